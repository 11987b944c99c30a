"""What every window receives in its constructor: paths, the change broadcaster, credentials,
the settings and catalog as last read, and the book of connection statuses. No global app object."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ispclient.domain import clock
from ispclient.domain.connection import NOT_CHECKED, ClientConnection, ConnectionState, RouterStatuses, UnknownReason
from ispclient.paths import AppPaths
from ispclient.store.changes import Changes
from ispclient.store.queries import Catalog
from ispclient.store.settings import Settings
from ispclient.ui import ops

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ispclient.routeros.credentials import CredentialStore
    from ispclient.ui.session import StaffSession

ConnKey = tuple[int, str]  # (server id, PPPoE username): usernames are unique per router only


class SettingsStore(QObject):
    """The business settings and the catalog (routers, packages) as last read from the database.

    Read once at start-up; read again — in the background — when finished work says it changed
    them (:class:`Changes`), then :attr:`settings_changed` / :attr:`catalog_changed` tell the
    windows. Screens read these instead of the database: no query on the GUI thread, and a
    window opening costs no settings or package reads.
    """

    settings_changed = Signal()
    catalog_changed = Signal()

    def __init__(self, settings: Settings | None = None, catalog: Catalog | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.catalog = catalog or Catalog()
        ops.bus().changed.connect(self._changed)

    @classmethod
    def load(cls, parent: QObject | None = None) -> SettingsStore:
        """Read both now (start-up, before any window is shown)."""
        from ispclient.store import queries
        from ispclient.store import settings as store_settings

        return cls(store_settings.load(), queries.catalog(), parent)

    def refresh_now(self) -> None:
        """Read both again in the calling thread: for start-up, the command line and tests —
        never from a window (use :meth:`reload`)."""
        from ispclient.store import queries
        from ispclient.store import settings as store_settings

        self._apply((store_settings.load(), queries.catalog()))

    def today(self) -> date:
        """Today in the ISP's time zone."""
        return clock.today(self.settings.timezone)

    def _changed(self, changes: Changes) -> None:
        if changes.settings or changes.catalog:
            self.reload(settings=changes.settings, catalog=changes.catalog)

    def reload(self, *, settings: bool = True, catalog: bool = True) -> None:
        from ispclient.store import queries
        from ispclient.store import settings as store_settings

        def read() -> tuple[Settings | None, Catalog | None]:
            return (store_settings.load() if settings else None, queries.catalog() if catalog else None)

        ops.Op(self, read, key=(settings, catalog)).on_success(self._apply).run()

    def _apply(self, fresh: tuple[Settings | None, Catalog | None]) -> None:
        new_settings, new_catalog = fresh
        if new_settings is not None and new_settings != self.settings:
            self.settings = new_settings
            self.settings_changed.emit()
        if new_catalog is not None and new_catalog != self.catalog:
            self.catalog = new_catalog
            self.catalog_changed.emit()


class ConnectionBook(QObject):
    """The latest connection status of every (router, username), fed by the status checker.

    A router's refresh is kept as it arrives (a compact :class:`RouterStatuses`, replacing the
    router's previous one: no per-client copying); single lookups and other updates are kept on
    top of it until the router's next answer covers them.
    """

    # The (server id, username) keys whose status changed: any collection supporting ``in`` and
    # iteration (a RouterStatuses for a whole router). ``object``, not ``list``: a typed list is
    # converted to a QVariantList on every emit (12 ms for a router's 20,000 keys).
    changed = Signal(object)
    # Windows ask; the status service (which owns the checker and its workers) answers.
    refresh_requested = Signal()
    client_check_requested = Signal(int, str)  # server id, username

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._routers: dict[int, RouterStatuses] = {}
        self._single: dict[int, dict[str, ClientConnection]] = {}  # newer than the router's answer
        self._preparers: tuple[weakref.WeakMethod[Callable[[RouterStatuses], None]], ...] = ()

    def add_preparer(self, method: Callable[[RouterStatuses], None]) -> None:
        """A bound method that works out, in the status checker's thread, what its owner will
        want from each router's answer (kept weakly: its owner may go first)."""
        self._preparers = (*self._preparers, weakref.WeakMethod(method))

    def prepare(self, statuses: RouterStatuses) -> None:
        """Called in the thread that got a router's answer, before it is handed to :meth:`update`
        (any thread: the preparers only read)."""
        for ref in self._preparers:
            method = ref()
            if method is None:
                continue
            try:
                method(statuses)
            except Exception:  # only a head start is lost: the answer is applied all the same
                log.exception("Preparing a router's statuses failed")

    def get(self, server_id: int | None, username: str) -> ClientConnection:
        if server_id is None:
            return _NO_SERVER
        if not username:
            return _NO_USERNAME
        single = self._single.get(server_id)
        if single:
            conn = single.get(username)
            if conn is not None:
                return conn
        statuses = self._routers.get(server_id)
        if statuses is not None:
            conn = statuses.connection(username)
            if conn is not None:
                return conn
        return NOT_CHECKED

    def state(self, server_id: int | None, username: str) -> ConnectionState:
        """``get(...).state`` without making the status object."""
        if server_id is None or not username:
            return ConnectionState.UNKNOWN
        single = self._single.get(server_id)
        if single:
            conn = single.get(username)
            if conn is not None:
                return conn.state
        statuses = self._routers.get(server_id)
        if statuses is not None:
            state = statuses.state(username)
            if state is not None:
                return state
        return ConnectionState.UNKNOWN

    def empty(self) -> bool:
        """Whether nothing has been checked yet (then every status is Unknown)."""
        return not self._routers and not any(self._single.values())

    def router(self, server_id: int) -> RouterStatuses | None:
        """The router's latest whole answer (single lookups since then not included)."""
        return self._routers.get(server_id)

    def singles(self, server_id: int) -> Mapping[str, ClientConnection]:
        """Statuses of this router's clients that are newer than :meth:`router`'s."""
        return self._single.get(server_id) or {}

    def update(self, results: Mapping[ConnKey, ClientConnection]) -> None:
        """New statuses; a :class:`RouterStatuses` replaces its router's previous answer whole."""
        if isinstance(results, RouterStatuses):
            self._update_router(results)
            return
        changed = [k for k, v in results.items() if self.get(*k) != v]
        for (server_id, username), conn in results.items():
            self._single.setdefault(server_id, {})[username] = conn
        if changed:
            self.changed.emit(changed)

    def _update_router(self, statuses: RouterStatuses) -> None:
        self._routers[statuses.server_id] = statuses
        single = self._single.get(statuses.server_id)
        if single:  # what the router just said is newer
            for username in [u for u in single if (statuses.server_id, u) in statuses]:
                del single[username]
        self.changed.emit(statuses)

    def keys(self) -> Iterable[ConnKey]:
        keys: dict[ConnKey, None] = {}
        for statuses in self._routers.values():
            keys.update(dict.fromkeys(statuses))
        for server_id, single in self._single.items():
            keys.update(dict.fromkeys((server_id, u) for u in single))
        return keys.keys()

    def request_refresh(self) -> None:
        self.refresh_requested.emit()

    def request_client(self, server_id: int | None, username: str) -> None:
        if server_id is not None and username:
            self.client_check_requested.emit(server_id, username)


def _new_session() -> StaffSession:
    from ispclient.ui.session import StaffSession

    return StaffSession()


_NO_SERVER = ClientConnection.unknown(UnknownReason.NO_SERVER)
_NO_USERNAME = ClientConnection.unknown(UnknownReason.NO_USERNAME)


@dataclass
class AppContext:
    paths: AppPaths
    credentials: CredentialStore
    store: SettingsStore = field(default_factory=SettingsStore)
    connections: ConnectionBook = field(default_factory=ConnectionBook)
    demo: bool = False
    session: StaffSession = field(default_factory=lambda: _new_session())

    @property
    def events(self) -> ops.ChangeBus:
        """Where finished work says what it changed (``events.changed``: a :class:`Changes`)."""
        return ops.bus()

    def settings(self) -> Settings:
        return self.store.settings

    def catalog(self) -> Catalog:
        return self.store.catalog

    def today(self) -> date:
        return self.store.today()
