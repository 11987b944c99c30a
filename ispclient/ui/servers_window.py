"""Servers (MikroTik routers): list, add, edit, remove. Removing also forgets the API password."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.connection import ConnectionState, RouterStatuses, UnknownReason
from ispclient.routeros.credentials import CredentialStore
from ispclient.store import catalog, queries
from ispclient.store.changes import Changes
from ispclient.store.queries import ServerInfo
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.subscription_view import set_allowed
from ispclient.ui.help import install_f1
from ispclient.ui.models.rows import RowListModel, list_view
from ispclient.ui.style import connection_icon
from ispclient.ui.widgets.formatting import local_time
from ispclient.ui.window_state import WindowState

log = logging.getLogger(__name__)
_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    ADDRESS = 1
    TLS = 2
    USER = 3
    PASSWORD = 4
    TIMEOUT = 5
    ENCODING = 6
    CLIENTS = 7
    STATUS = 8
    CHECKED = 9


HEADERS = {
    Column.NAME: "Name", Column.ADDRESS: "Address", Column.TLS: "TLS", Column.USER: "API user",
    Column.PASSWORD: "Password", Column.TIMEOUT: "Timeout", Column.ENCODING: "Encoding",
    Column.CLIENTS: "Clients", Column.STATUS: "Status", Column.CHECKED: "Last check",
}
SERVER_ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class RouterState:
    """Whether a router answered its last check: "Up", "Down — <reason>" or "Not checked"."""

    text: str
    checked_at: datetime | None = None
    detail: str = ""
    up: bool | None = None  # None: not checked


NOT_CHECKED_ROUTER = RouterState("Not checked", detail="Not checked since the app started; F5 checks every router.")


def router_state(statuses: RouterStatuses | None) -> RouterState:
    """A router's state from its latest whole answer in the connection book."""
    if statuses is None:
        return NOT_CHECKED_ROUTER
    if statuses.online or statuses.others_state() is not ConnectionState.UNKNOWN:
        return RouterState("Up", statuses.checked_at, "The router answered the last check.", True)
    failed = next(iter(statuses.others.values()), None)
    if failed is None or failed.reason is None:
        return RouterState("Up", statuses.checked_at, "", True)
    if failed.reason is UnknownReason.NO_CREDENTIALS:
        return RouterState(f"Can't check — {failed.reason.label}", failed.checked_at,
                           "Edit the server and enter its API password.", None)
    return RouterState(f"Down — {failed.reason.label}", failed.checked_at, failed.detail, False)


@dataclass(frozen=True)
class ServerRow:
    id: int
    name: str
    host: str
    port: int
    tls: bool
    ca_file: str
    username: str
    timeout_s: float
    encoding: str
    password_saved: bool
    clients: int
    status: RouterState = field(default_factory=lambda: NOT_CHECKED_ROUTER)

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class ServersModel(RowListModel[ServerRow]):
    headers = tuple(HEADERS[c] for c in Column)

    def set_rows(self, rows: Sequence[ServerRow]) -> None:
        self._replace_rows(rows)

    def row_of(self, server_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == server_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.ToolTipRole and col is Column.TLS and row.ca_file:
            return f"Verified against {row.ca_file}"
        if role == Qt.ItemDataRole.ToolTipRole and col is Column.PASSWORD and not row.password_saved:
            return "No API password saved: statuses show Unknown. Edit the server to enter it."
        if role == Qt.ItemDataRole.ToolTipRole and col in (Column.STATUS, Column.CHECKED):
            return row.status.detail or None
        if role == Qt.ItemDataRole.DecorationRole and col is Column.STATUS:
            up = row.status.up
            state = ConnectionState.UNKNOWN if up is None else ConnectionState.ONLINE if up else ConnectionState.OFFLINE
            return connection_icon(state)
        if role == SERVER_ID_ROLE:
            return row.id
        return None

    @staticmethod
    def _display(row: ServerRow, col: Column) -> str:
        if col is Column.NAME:
            return row.name
        if col is Column.ADDRESS:
            return row.address
        if col is Column.TLS:
            return "Yes" if row.tls else "No"
        if col is Column.USER:
            return row.username
        if col is Column.PASSWORD:
            return "Saved" if row.password_saved else "Not saved"
        if col is Column.TIMEOUT:
            return f"{row.timeout_s:g} s"
        if col is Column.ENCODING:
            return row.encoding
        if col is Column.STATUS:
            return row.status.text
        if col is Column.CHECKED:
            return local_time(row.status.checked_at, seconds=True) if row.status.checked_at else "—"
        return str(row.clients)

    def set_states(self, states: dict[int, RouterState]) -> None:
        """New router states (the connection book changed): only the two status columns repaint."""
        self._rows = [replace(r, status=states.get(r.id, r.status)) for r in self._rows]
        if self._rows:
            self.dataChanged.emit(self.index(0, Column.STATUS), self.index(len(self._rows) - 1, Column.CHECKED))


def load_rows(servers: Sequence[ServerInfo], credentials: CredentialStore) -> list[ServerRow]:
    """The table's rows: each router with its client count and whether its password is saved
    (a database count and keyring reads: run in the background)."""
    counts = queries.clients_per_server()
    return [
        ServerRow(s.id, s.name, s.host, s.port, s.tls, s.ca_file, s.username, s.timeout_s, s.encoding,
                  credentials.get(s.id) is not None, counts.get(s.id, 0))
        for s in servers
    ]


class ServersWindow(WindowState, QWidget):
    state_group = "ServersWindow"
    default_size = QSize(1100, 440)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Servers")
        self.ctx = ctx
        self._select_later: int | None = None  # a router just added: selected once it is listed
        self.model = ServersModel(self)
        self.table = list_view(self.model, "servers")
        self.add_button = QPushButton("&Add server…")
        self.edit_button = QPushButton("&Edit…")
        self.remove_button = QPushButton("&Remove…")
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.remove_button.clicked.connect(self.remove)
        self.table.activated.connect(lambda _i: self.edit())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        install_f1(self, "servers")
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.remove)
        ctx.store.catalog_changed.connect(self.reload)
        ctx.events.changed.connect(self._data_changed)
        ctx.connections.changed.connect(self._connections_changed)
        self.restore_window_state()
        self.reload()

    def _data_changed(self, changes: Changes) -> None:
        if changes.clients or changes.all_clients:  # client counts per router
            self.reload()

    def reload(self, *_args: object) -> None:
        servers, credentials = self.ctx.catalog().servers, self.ctx.credentials
        ops.Op(self, lambda: load_rows(servers, credentials), key="rows").on_success(self.show_rows).run()

    def router_states(self) -> dict[int, RouterState]:
        return {s.id: router_state(self.ctx.connections.router(s.id)) for s in self.ctx.catalog().servers}

    def _connections_changed(self, _keys: object) -> None:
        self.model.set_states(self.router_states())

    def show_rows(self, rows: list[ServerRow]) -> None:
        selected = self.selected_id()
        states = self.router_states()
        self.model.set_rows([replace(r, status=states.get(r.id, r.status)) for r in rows])
        self.table.resizeColumnsToContents()
        if self._select_later is not None:
            selected, self._select_later = self._select_later, None
        row = self.model.row_of(selected) if selected is not None else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        self._update_buttons()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()).id if rows else None

    def _update_buttons(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            why: str | None = "Select a server first." if self.model.rowCount() else "No servers yet."
            set_allowed(self.edit_button, why)
            set_allowed(self.remove_button, why)
            return
        row = self.model.row_at(rows[0].row())
        set_allowed(self.edit_button, None, "Change this server's address, login or password.")
        set_allowed(self.remove_button, None if not row.clients else
                    f"“{row.name}” still has {row.clients} client(s). Move them to another server first.",
                    "Remove this server and forget its API password.")

    def add(self) -> None:
        from ispclient.ui.dialogs.server_dialog import ServerDialog  # librouteros with it: not at start-up

        server_id = ServerDialog.ask(self, self.ctx)
        if server_id is not None:
            self._select_later = server_id

    def edit(self) -> None:
        server_id = self.selected_id()
        if server_id is not None:
            from ispclient.ui.dialogs.server_dialog import ServerDialog

            ServerDialog.ask(self, self.ctx, server_id)

    def remove(self) -> None:
        server_id = self.selected_id()
        if server_id is None:
            return
        row = self.model.row_at(self.model.row_of(server_id))
        if not msgbox.confirm(self, "Remove server",
                              f"Remove “{row.name}” ({row.address}) and forget its API password?",
                              ok_text="&Remove"):
            return
        credentials = self.ctx.credentials

        def remove() -> None:
            catalog.delete_server(server_id)
            credentials.delete(server_id)  # only once the router is really gone

        ops.Op(self, remove, key="remove").on_failure(lambda error: msgbox.error(
            self, "Unable to remove server", ops.describe_error(error)[1])).run()
