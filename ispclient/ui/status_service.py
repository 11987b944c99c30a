"""Connection statuses for the whole app: owns the StatusChecker and feeds the ConnectionBook.

The GUI thread turns database rows and keyring passwords into plain RouterBatch requests;
workers only ever see those. Windows never talk to the checker: they ask the book
(``request_refresh``, ``request_client``) and read the answers from it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import QObject, QThreadPool, Signal

from ispclient.domain.connection import ClientConnection, UnknownReason
from ispclient.routeros.credentials import CredentialStore
from ispclient.routeros.status import RouterBatch
from ispclient.routeros.target import RouterTarget
from ispclient.store import queries
from ispclient.store.models import Server
from ispclient.ui.context import AppContext, ConnKey
from ispclient.ui.status_checker import StatusChecker

log = logging.getLogger(__name__)


def router_batch(server: Server, usernames: tuple[str, ...], credentials: CredentialStore) -> RouterBatch:
    """One router's request; without a saved password it says so instead of asking."""
    password = credentials.get(server.id)
    if password is None:
        return RouterBatch(server.id, None, usernames, UnknownReason.NO_CREDENTIALS,
                           f"No API password is saved for {server.name}.")
    try:
        target = RouterTarget(
            server_id=server.id, name=server.name, host=server.host, port=server.port, tls=server.tls,
            ca_file=server.ca_file or None, username=server.username, password=password,
            timeout=server.timeout_s, encoding=server.encoding,
        )
    except (ValueError, LookupError) as e:  # a row edited outside the app
        return RouterBatch(server.id, None, usernames, UnknownReason.PROTOCOL_ERROR, f"{server.name}: {e}")
    return RouterBatch(server.id, target, usernames)


def build_batches(credentials: CredentialStore) -> list[RouterBatch]:
    """A request per router that has clients with a PPPoE username: one query each."""
    users = queries.usernames_by_server()
    return [router_batch(server, tuple(name for _, name in users[server.id]), credentials)
            for server in queries.servers() if users.get(server.id)]


class StatusService(QObject):
    """Refreshes every router on a timer and on request, and single clients on request."""

    refresh_started = Signal()
    refreshed = Signal()  # every router of the latest refresh has answered (or failed)

    def __init__(self, ctx: AppContext, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.checker = StatusChecker(self._batches, self, pool=pool,
                                     interval_s=ctx.settings().refresh_interval_s)
        self.last_refresh: datetime | None = None  # local time the latest refresh landed
        self.refreshing = False
        self.checker.router_done.connect(self._router_done)
        self.checker.client_status.connect(self._client_status)
        self.checker.refresh_finished.connect(self._finished)
        ctx.connections.refresh_requested.connect(self.refresh)
        ctx.connections.client_check_requested.connect(self.check_client)
        ctx.events.settings_changed.connect(self._settings_changed)

    def _batches(self) -> list[RouterBatch]:
        return build_batches(self.ctx.credentials)

    def start(self, refresh_now: bool = True) -> None:
        self.checker.start(refresh_now=False)
        if refresh_now:
            self.refresh()

    def stop(self) -> None:
        self.checker.stop()

    def shutdown(self, wait_ms: int = 3000) -> bool:
        """Stop the timer and drop late answers; wait a little for running checks."""
        return self.checker.shutdown(wait_ms)

    def refresh(self) -> None:
        self.refreshing = True
        self.refresh_started.emit()
        self.checker.refresh()

    def check_client(self, server_id: int, username: str) -> None:
        server = Server.get_or_none(Server.id == server_id)
        if server is None:
            self.ctx.connections.update({(server_id, username): ClientConnection.unknown(UnknownReason.NO_SERVER)})
            return
        self.checker.check_client(router_batch(server, (username,), self.ctx.credentials))

    def _router_done(self, _server_id: int, results: dict[ConnKey, ClientConnection]) -> None:
        self.ctx.connections.update(results)

    def _client_status(self, server_id: int, username: str, conn: ClientConnection) -> None:
        self.ctx.connections.update({(server_id, username): conn})

    def _finished(self) -> None:
        self.refreshing = False
        self.last_refresh = datetime.now()
        self.refreshed.emit()

    def _settings_changed(self) -> None:
        self.checker.set_interval(self.ctx.settings().refresh_interval_s)
