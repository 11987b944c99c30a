"""Connection statuses for the whole app: owns the StatusChecker and feeds the ConnectionBook.

Background ops turn the database's usernames and the keyring's passwords into plain
RouterBatch requests; the router checks only ever see those. Windows never talk to the checker:
they ask the book (``request_refresh``, ``request_client``) and read the answers from it.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from ispclient.domain.connection import ClientConnection, RouterStatuses, UnknownReason
from ispclient.memory import return_freed_memory
from ispclient.routeros import deadline
from ispclient.store import queries
from ispclient.store.queries import ServerInfo
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.status_checker import StatusChecker

if TYPE_CHECKING:  # the router modules are imported in the background, by the first batches built
    from ispclient.routeros.credentials import CredentialStore
    from ispclient.routeros.offload import StatusHelper
    from ispclient.routeros.status import RouterBatch

log = logging.getLogger(__name__)

# The helper process starts this long after start(): its ~0.3 s of start-up must not slow the
# window's first paint, and the start-up refresh is checked in-process meanwhile.
HELPER_DELAY_MS = 1000
HOLD_AT_MOST_MS = 30_000  # hold_until: the longest the checks wait for the list

def start_helper() -> StatusHelper | None:
    """The status helper process (:func:`ispclient.routeros.offload.start_helper`)."""
    from ispclient.routeros.offload import start_helper as start

    return start()


def router_batch(server: ServerInfo, usernames: tuple[str, ...], credentials: CredentialStore) -> RouterBatch:
    """One router's request; without a saved password it says so instead of asking."""
    from ispclient.routeros.status import RouterBatch
    from ispclient.routeros.target import RouterTarget

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
    """A request per router that has clients with a PPPoE username: one query each. Reads the
    database and the keyring: run it in the background (it does, as the checker's provider)."""
    users = queries.usernames_by_server()
    queries.release_read_memory()  # the usernames index went through this connection's page cache
    return [router_batch(server, users[server.id], credentials) for server in queries.servers() if users.get(server.id)]


class StatusService(QObject):
    """Refreshes every router on a timer and on request, and single clients on request."""

    refresh_started = Signal()
    refreshed = Signal()  # every router of the latest refresh has answered (or failed)

    def __init__(self, ctx: AppContext, parent: QObject | None = None, offload: bool = True) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._offload = offload  # check whole routers in a helper process once started
        self._shut_down = False
        credentials = ctx.credentials
        self.checker = StatusChecker(lambda: build_batches(credentials), self,
                                     interval_s=ctx.settings().refresh_interval_s)
        self.last_refresh: datetime | None = None  # local time the latest refresh landed
        self.refreshing = False
        self._queue: deque[RouterStatuses] = deque()
        self._pumping = False
        self._finish_when_applied = False
        self._held = False  # hold_until
        self._refresh_waiting = False
        self._helper_waiting = False
        self.checker.prepare = ctx.connections.prepare  # the list's lookups of an answer, in the background
        self.checker.router_done.connect(self._router_done)
        self.checker.client_status.connect(self._client_status)
        self.checker.refresh_finished.connect(self._finished)
        ctx.connections.refresh_requested.connect(self.refresh)
        ctx.connections.client_check_requested.connect(self.check_client)
        ctx.store.settings_changed.connect(self._settings_changed)

    def start(self, refresh_now: bool = True) -> None:
        self.checker.start(refresh_now=False)
        if refresh_now:
            self.refresh()
        if self._offload:
            QTimer.singleShot(HELPER_DELAY_MS, self, self._start_helper)

    def hold_until(self, signal: SignalInstance, at_most_ms: int = HOLD_AT_MOST_MS) -> None:
        """Put off router checks (and the helper process's start) until ``signal`` fires once, or
        ``at_most_ms`` passed: at start-up, the client list's first read. Both want the CPU, and
        the list is what the person at the desk waits for; a refresh asked for meanwhile is shown
        as under way and starts when the hold ends."""
        self._held = True

        def release(*_args: object) -> None:
            if not self._held:
                return
            signal.disconnect(release)
            self._held = False
            if self._shut_down:
                return
            # The list is in: the helper's start no longer delays it. Started now even when its
            # HELPER_DELAY_MS has not passed yet (a list in sooner than that): the held refresh
            # would otherwise be checked and parsed in this process's threads, holding the GIL
            # while the list paints (30-100 ms stalls at 100,000 clients).
            if self._helper_waiting or self._offload:
                self._helper_waiting = False
                self._start_helper()
            if self._refresh_waiting:
                # Through the helper when it was due (it takes the requests as soon as it is up):
                # five routers' replies parsed in this process froze the window in 30-100 ms steps.
                self._refresh_waiting = False
                self.checker.refresh()

        signal.connect(release)
        QTimer.singleShot(at_most_ms, self, release)  # a list that never loads holds nothing up

    @property
    def held(self) -> bool:
        return self._held

    def _start_helper(self) -> None:
        if self._held:
            self._helper_waiting = True
            return
        if self.checker.helper is None and not self._shut_down:
            self.checker.helper = start_helper()

    def stop(self) -> None:
        self.checker.stop()

    def shutdown(self, wait_ms: int = 1000) -> bool:
        """Stop the timer, drop late answers and cut every router call now (the app is
        quitting); True if the running checks ended within ``wait_ms`` (they do, once cut)."""
        self._shut_down = True
        self._queue.clear()
        deadline.abort_all()  # a check waiting on a router wakes at once
        helper, self.checker.helper = self.checker.helper, None
        if helper is not None:
            helper.close()  # checks waiting on it give up at once
        return self.checker.shutdown(wait_ms)

    def refresh(self) -> None:
        self.refreshing = True
        self.refresh_started.emit()
        if self._held:
            self._refresh_waiting = True
            return
        self.checker.refresh()

    def check_client(self, server_id: int, username: str) -> None:
        server = self.ctx.catalog().server(server_id)
        if server is None:
            self.ctx.connections.update({(server_id, username): ClientConnection.unknown(UnknownReason.NO_SERVER)})
            return
        credentials = self.ctx.credentials  # the keyring is read in the background
        ops.Op(self, lambda: router_batch(server, (username,), credentials), key=("client", server_id, username)) \
            .on_success(self.checker.check_client).run()

    def _router_done(self, _server_id: int, results: RouterStatuses) -> None:
        # A router's answer goes into the book (and the list takes a pass over its clients,
        # ~10 ms for 20,000) one router per turn of the event loop: answers that arrive
        # together would otherwise freeze the window for the sum of them.
        self._queue.append(results)
        if not self._pumping:
            self._pumping = True
            QTimer.singleShot(0, self, self._apply_next)

    def _apply_next(self) -> None:
        if self._queue:
            self.ctx.connections.update(self._queue.popleft())
        if self._queue:
            QTimer.singleShot(0, self, self._apply_next)  # let timers, input and paints in first
            return
        self._pumping = False
        if self._finish_when_applied:
            self._finish_when_applied = False
            self._finished()

    def _client_status(self, server_id: int, username: str, conn: ClientConnection) -> None:
        self.ctx.connections.update({(server_id, username): conn})

    def _finished(self) -> None:
        if self._pumping:  # the last routers' statuses are still going into the book
            self._finish_when_applied = True
            return
        self.refreshing = False
        self.last_refresh = datetime.now()
        self.refreshed.emit()
        # The routers' answers were parsed in worker threads, each with its own heap arena
        # (glibc): what they freed stays with the process unless handed back (~25 MB at 100,000
        # clients, ~2 ms to hand back).
        QTimer.singleShot(0, self, return_freed_memory)

    def _settings_changed(self) -> None:
        self.checker.set_interval(self.ctx.settings().refresh_interval_s)
