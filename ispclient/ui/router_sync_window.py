"""Router sync: the change queue, reconcile with a router, push everything, import secrets.

Everything runs as background ops: reading a router on the router lane (an answer for a router
the user has since moved away from is dropped), the queue and the fixes on the database lane.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.clock import to_local
from ispclient.routeros.errors import RouterError
from ispclient.routeros.import_secrets import ImportRow
from ispclient.routeros.reconcile import Difference, fetch_secrets
from ispclient.routeros.wire import Row
from ispclient.store import provisioning, queries, router_queue, router_sync
from ispclient.store.changes import Changes
from ispclient.store.queries import QueuedChange
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.help import install_f1
from ispclient.ui.queue_runner import QueueRunner
from ispclient.ui.window_state import WindowState

log = logging.getLogger(__name__)
T = TypeVar("T")
_Index = QModelIndex | QPersistentModelIndex


def _when(value: Any) -> str:
    return f"{to_local(value):%d %b %Y %H:%M}" if value is not None else ""


class QueueColumn(IntEnum):
    CLIENT = 0
    USERNAME = 1
    CHANGE = 2
    STATUS = 3
    SINCE = 4
    NEXT = 5
    ERROR = 6


QUEUE_COLUMNS: dict[int, tuple[str, Callable[[QueuedChange], str]]] = {
    QueueColumn.CLIENT: ("Client", lambda c: f"{c.client_code} {c.client_name}".strip()),
    QueueColumn.USERNAME: ("Username", lambda c: c.username),
    QueueColumn.CHANGE: ("Change", lambda c: c.reason),
    QueueColumn.STATUS: ("Status", lambda c: c.status.capitalize()),
    QueueColumn.SINCE: ("Queued", lambda c: _when(c.created_at)),
    QueueColumn.NEXT: ("Next try", lambda c: _when(c.next_attempt_at) if c.waiting else _when(c.applied_at)),
    QueueColumn.ERROR: ("Last error", lambda c: c.last_error),
}


class DiffColumn(IntEnum):
    KIND = 0
    USERNAME = 1
    CLIENT = 2
    DETAIL = 3


DIFF_COLUMNS: dict[int, tuple[str, Callable[[Difference], str]]] = {
    DiffColumn.KIND: ("Difference", lambda d: d.kind.label),
    DiffColumn.USERNAME: ("Username", lambda d: d.username),
    DiffColumn.CLIENT: ("Client", lambda d: d.client_label),
    DiffColumn.DETAIL: ("Detail", lambda d: d.detail),
}


class ImportColumn(IntEnum):
    USERNAME = 0
    CLIENT_ID = 1
    NAME = 2
    PROFILE = 3
    PACKAGE = 4
    PROBLEMS = 5


IMPORT_COLUMNS: dict[int, tuple[str, Callable[[ImportRow], str]]] = {
    ImportColumn.USERNAME: ("Username", lambda r: r.username),
    ImportColumn.CLIENT_ID: ("Client ID", lambda r: r.client_code),
    ImportColumn.NAME: ("Name", lambda r: r.name),
    ImportColumn.PROFILE: ("Profile", lambda r: r.profile + (" (disabled)" if r.disabled else "")),
    ImportColumn.PACKAGE: ("Package", lambda r: r.package_name),
    ImportColumn.PROBLEMS: ("Problems", lambda r: ("Not imported: " if r.blocking else "") + " ".join(r.problems)),
}


class RowsModel(QAbstractTableModel, Generic[T]):
    """Read-only rows of frozen records; columns named by the table's IntEnum."""

    def __init__(self, columns: dict[int, tuple[str, Callable[[T], str]]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return self.columns[index.column()][1](self.rows[index.row()])

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][0]
        return None


def _table(model: QAbstractTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.setWordWrap(False)  # one line per change; the full text is in the tooltip
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    # Size the columns to their contents once filled, within reason, so names aren't cut short.
    model.modelReset.connect(lambda: _fit_columns(view))
    return view


def _fit_columns(view: QTableView) -> None:
    header = view.horizontalHeader()
    last = header.count() - 1
    for column in range(last):
        view.resizeColumnToContents(column)
        header.resizeSection(column, min(header.sectionSize(column), 260))


class RouterSyncWindow(WindowState, QWidget):
    """A window of its own (not a panel over the main window), closed with Esc."""

    state_group = "RouterSyncWindow"
    default_size = QSize(1000, 560)

    def __init__(self, ctx: AppContext, runner: QueueRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.runner = runner
        self.setWindowTitle("Router sync")

        self.server = QComboBox()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.retry = QPushButton("&Retry now")
        self.check = QPushButton("&Check router")
        self.push = QPushButton("&Push everything…")
        self.fetch_import = QPushButton("&Import from router…")
        top = QHBoxLayout()
        top.addWidget(QLabel("Router:"))
        top.addWidget(self.server, 1)
        for b in (self.retry, self.check, self.push, self.fetch_import):
            top.addWidget(b)

        self.queue_model: RowsModel[QueuedChange] = RowsModel(QUEUE_COLUMNS, self)
        self.diff_model: RowsModel[Difference] = RowsModel(DIFF_COLUMNS, self)
        self.import_model: RowsModel[ImportRow] = RowsModel(IMPORT_COLUMNS, self)
        self.queue_view, self.diff_view, self.import_view = (
            _table(self.queue_model), _table(self.diff_model), _table(self.import_model))
        self.show_finished = QCheckBox("Show &finished changes")
        self.discard = QPushButton("&Discard selected")
        self.fix_router = QPushButton("Fix on the &router")
        self.fix_database = QPushButton("Fix in the data&base")
        self.do_import = QPushButton("Create the clients")
        self.tabs = QTabWidget()
        self.tabs.addTab(self._page(self.queue_view, self.show_finished, self.discard), "&Queue")
        self.tabs.addTab(self._page(self.diff_view, self.fix_router, self.fix_database), "&Differences")
        self.tabs.addTab(self._page(self.import_view, self.do_import), "I&mport preview")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

        self.server.currentIndexChanged.connect(self._server_changed)
        self.show_finished.toggled.connect(self.reload_queue)
        self.retry.clicked.connect(self.retry_now)
        self.check.clicked.connect(lambda: self._fetch("check"))
        self.fetch_import.clicked.connect(lambda: self._fetch("import"))
        self.push.clicked.connect(self.push_everything)
        self.discard.clicked.connect(self.discard_selected)
        self.fix_router.clicked.connect(lambda: self.fix("router"))
        self.fix_database.clicked.connect(lambda: self.fix("database"))
        self.do_import.clicked.connect(self.import_clients)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        install_f1(self, "router-sync")
        ctx.events.changed.connect(self._data_changed)
        ctx.store.catalog_changed.connect(self._load_servers)
        self.restore_window_state()
        self._load_servers()

    def state_tables(self) -> dict[str, QTableView]:
        return {"queue": self.queue_view}

    def _data_changed(self, changes: Changes) -> None:
        if changes.router_queue or changes.catalog:
            self.reload_queue()

    @staticmethod
    def _page(view: QTableView, *buttons: QWidget) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for b in buttons:
            row.addWidget(b)
        layout.addLayout(row)
        return page

    # -- data ------------------------------------------------------------------------------

    def _load_servers(self) -> None:
        chosen = self.server_id()
        self.server.blockSignals(True)
        self.server.clear()
        for srv in self.ctx.catalog().servers:
            self.server.addItem(srv.name, srv.id)
        self.server.setCurrentIndex(max(0, self.server.findData(chosen)))
        self.server.blockSignals(False)
        self._server_changed()

    def server_id(self) -> int | None:
        value = self.server.currentData()
        return int(value) if value is not None else None

    def _server_changed(self) -> None:
        ops.forget_key(self, "fetch")  # answers for the previous router are now stale
        self.diff_model.set_rows([])
        self.import_model.set_rows([])
        self.reload_queue()

    def reload_queue(self) -> None:
        server_id, finished = self.server_id(), self.show_finished.isChecked()
        ops.Op(self, lambda: queries.router_queue(server_id, include_finished=finished), key="queue") \
            .on_success(self._show_queue).run()

    def _show_queue(self, rows: list[QueuedChange]) -> None:
        self.queue_model.set_rows(rows)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_server = self.server_id() is not None
        for b in (self.retry, self.check, self.push, self.fetch_import):
            b.setEnabled(has_server)
        self.fix_router.setEnabled(bool(self.diff_model.rows))
        self.fix_database.setEnabled(bool(self.diff_model.rows))
        self.do_import.setEnabled(any(r.importable for r in self.import_model.rows))

    def _selected(self, view: QTableView, model: RowsModel[T]) -> list[T]:
        rows = sorted({i.row() for i in view.selectionModel().selectedRows()})
        return [model.rows[r] for r in rows] or list(model.rows)

    # -- actions ---------------------------------------------------------------------------

    def _kick_runner(self) -> None:
        if self.runner is not None:
            self.runner.run_now()

    def retry_now(self) -> None:
        server_id = self.server_id()
        ops.Op(self, lambda: router_queue.retry_now(server_id), key="retry") \
            .on_success(lambda _n: self._kick_runner()).run()

    def discard_selected(self) -> None:
        chosen = [c for c in self._selected(self.queue_view, self.queue_model) if c.waiting]
        if not chosen or not msgbox.confirm(self, "Discard changes", f"Discard {len(chosen)} waiting change(s)? "
                                            "The router keeps what it has now.", ok_text="Discard"):
            return
        ids = [change.id for change in chosen]

        def discard() -> None:
            for change_id in ids:
                router_queue.discard(change_id)

        ops.Op(self, discard, key="discard").run()

    def push_everything(self) -> None:
        sid, name = self.server_id(), self.server.currentText()
        if sid is None or not msgbox.confirm(
                self, "Push everything", f"Send every client's PPP secret to {name} again "
                "(after restoring a backup or replacing the router)?", ok_text="Push everything"):
            return

        def push() -> int:
            queued = provisioning.push_everything(sid)
            router_queue.retry_now(sid)
            return queued

        ops.Op(self, push, key="push") \
            .on_success(lambda queued: self._queued(f"{queued} change(s) queued for {name}.")).run()

    def _queued(self, text: str) -> None:
        self.status.setText(text)
        self._kick_runner()

    def _fetch(self, purpose: str) -> None:
        sid = self.server_id()
        if sid is None:
            return
        credentials = self.ctx.credentials
        self.status.setText(f"Reading the PPP secrets of {self.server.currentText()}…")

        def read() -> list[Difference] | list[ImportRow] | None:
            targets = router_queue.router_targets(credentials.get)
            if sid not in targets:
                return None
            rows: list[Row] = fetch_secrets(targets[sid])
            return router_sync.reconcile(sid, rows) if purpose == "check" else router_sync.import_preview(sid, rows)

        ops.Op(self, read, key="fetch", lane=ops.Lane.ROUTER) \
            .on_success(lambda result: self._fetched(purpose, result)).on_failure(self._fetch_failed).run()

    def _fetched(self, purpose: str, result: list[Any] | None) -> None:
        if result is None:
            self.status.setText("No API password is saved for this router. Enter it in Servers.")
        elif purpose == "check":
            self.diff_model.set_rows(result)
            self.status.setText(f"{len(result)} difference(s)." if result else "The router matches the database.")
            self.tabs.setCurrentIndex(1)
        else:
            self.import_model.set_rows(result)
            n = sum(r.importable for r in result)
            self.status.setText(f"{len(result)} secret(s) are not clients yet; {n} can be imported.")
            self.tabs.setCurrentIndex(2)
        self._update_buttons()

    def _fetch_failed(self, error: BaseException) -> None:
        detail = str(error) if isinstance(error, RouterError) else type(error).__name__
        self.status.setText(f"The router could not be read: {detail}")

    def fix(self, side: str) -> None:
        sid = self.server_id()
        chosen = self._selected(self.diff_view, self.diff_model)
        if sid is None or not chosen:
            return
        if side == "router":
            def fix_router() -> int:
                queued = router_sync.fix_router(sid, chosen)
                router_queue.retry_now(sid)
                return queued

            ops.Op(self, fix_router, key="fix").on_success(
                lambda queued: self._queued(f"{queued} change(s) queued for the router.")).run()
        else:
            ops.Op(self, lambda: router_sync.fix_database(chosen), key="fix").on_success(self._fixed_in_database).run()
        self.diff_model.set_rows([d for d in self.diff_model.rows if d not in chosen])
        self._update_buttons()

    def _fixed_in_database(self, refused: list[str]) -> None:
        if refused:
            msgbox.info(self, "Fix in the database", "Not changed in the database:\n\n" + "\n".join(refused))

    def import_clients(self) -> None:
        sid = self.server_id()
        rows = [r for r in self.import_model.rows if r.importable]
        if sid is None or not rows or not msgbox.confirm(
                self, "Import clients", f"Create {len(rows)} client(s) from the router's PPP secrets?",
                ok_text="Create clients"):
            return
        ops.Op(self, lambda: router_sync.import_clients(sid, rows), key="import") \
            .on_success(self._imported).run()

    def _imported(self, created: list[int]) -> None:
        self.import_model.set_rows([r for r in self.import_model.rows if not r.importable])
        self.status.setText(f"{len(created)} client(s) created.")
        self._update_buttons()
