"""What every window receives in its constructor: paths, data-change events, credentials,
and the book of connection statuses. No global app object."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ispclient.domain.connection import ClientConnection, UnknownReason
from ispclient.paths import AppPaths
from ispclient.store import settings as store_settings

if TYPE_CHECKING:
    from ispclient.routeros.credentials import CredentialStore

ConnKey = tuple[int, str]  # (server id, PPPoE username): usernames are unique per router only


class DataEvents(QObject):
    """Broadcast after a service function commits, so every open window shows the change."""

    clients_changed = Signal(list)  # client ids whose row or details changed (created, edited, deleted…)
    catalog_changed = Signal()  # servers or packages added, edited or removed
    settings_changed = Signal()


class ConnectionBook(QObject):
    """The latest connection status of every (router, username), fed by the status checker."""

    changed = Signal(list)  # list[ConnKey] whose status changed
    # Windows ask; the status service (which owns the checker and its workers) answers.
    refresh_requested = Signal()
    client_check_requested = Signal(int, str)  # server id, username

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._by_key: dict[ConnKey, ClientConnection] = {}

    def get(self, server_id: int | None, username: str) -> ClientConnection:
        if server_id is None:
            return ClientConnection.unknown(UnknownReason.NO_SERVER)
        if not username:
            return ClientConnection.unknown(UnknownReason.NO_USERNAME)
        return self._by_key.get((server_id, username)) or ClientConnection.unknown(UnknownReason.NOT_CHECKED)

    def update(self, results: dict[ConnKey, ClientConnection]) -> None:
        changed = [k for k, v in results.items() if self._by_key.get(k) != v]
        self._by_key.update(results)
        if changed:
            self.changed.emit(changed)

    def keys(self) -> Iterable[ConnKey]:
        return self._by_key.keys()

    def request_refresh(self) -> None:
        self.refresh_requested.emit()

    def request_client(self, server_id: int | None, username: str) -> None:
        if server_id is not None and username:
            self.client_check_requested.emit(server_id, username)


@dataclass
class AppContext:
    paths: AppPaths
    credentials: CredentialStore
    events: DataEvents = field(default_factory=DataEvents)
    connections: ConnectionBook = field(default_factory=ConnectionBook)
    demo: bool = False

    def settings(self) -> store_settings.Settings:
        return store_settings.load()

    def today(self) -> date:
        return store_settings.today()
