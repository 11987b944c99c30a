"""What auto-renew did since midnight (the Today page's tile, opened): each renewal with its
client, the new period, its price and what the client owes now — the people to ask for money
at the counter or by phone. Enter or a double-click opens the client."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ispclient.domain.money import format_money
from ispclient.store import reports
from ispclient.store.changes import Changes
from ispclient.store.reports import AutoRenewal, AutoRenewals
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.help import install_f1
from ispclient.ui.models.rows import RowListModel, list_view
from ispclient.ui.widgets.formatting import day
from ispclient.ui.window_state import WindowState

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    CODE = 0
    NAME = 1
    PHONE = 2
    PACKAGE = 3
    PERIOD = 4
    PRICE = 5
    OWES = 6


HEADERS = {Column.CODE: "Client ID", Column.NAME: "Name", Column.PHONE: "Phone", Column.PACKAGE: "Package",
           Column.PERIOD: "New period", Column.PRICE: "Price", Column.OWES: "Owes now"}
_MONEY = (Column.PRICE, Column.OWES)


class RenewalsModel(RowListModel[AutoRenewal]):
    headers = tuple(HEADERS[c] for c in Column)
    _currency = "USD"

    def set_rows(self, found: AutoRenewals) -> None:
        self._currency = found.currency
        self._replace_rows(found.renewals)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if col is Column.CODE:
                return r.client_code
            if col is Column.NAME:
                return r.client_name
            if col is Column.PHONE:
                return r.phone
            if col is Column.PACKAGE:
                return r.package
            if col is Column.PERIOD:
                return f"{day(r.starts_on)} – {day(r.ends_on)}"
            if col is Column.PRICE:
                return format_money(r.price_minor, self._currency)
            return format_money(r.balance_minor, self._currency) if r.balance_minor > 0 else "Nothing"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in _MONEY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RenewalsWindow(WindowState, QWidget):
    """Opened from the Today page; ``open_client`` asks the main window for a client's window."""

    state_group = "RenewalsWindow"
    default_size = QSize(960, 480)
    open_client = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("renewalsWindow")
        self.setWindowTitle("Auto-renewed since midnight")
        self.ctx = ctx
        self.found: AutoRenewals | None = None
        self.model = RenewalsModel(self)
        self.table = list_view(self.model, "renewals")
        self.summary = QLabel("Reading…")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.open_button = QPushButton("&Open client")
        self.open_button.setEnabled(False)
        close = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.activated.connect(lambda index: self._open(index.row()))  # Enter or a double-click
        self.table.selectionModel().selectionChanged.connect(
            lambda *_a: self.open_button.setEnabled(self._selected() is not None))
        self.open_button.clicked.connect(lambda: self._open(self._selected()))
        close.clicked.connect(self.close)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        install_f1(self, "today")
        ctx.events.changed.connect(self._changed)
        self.restore_window_state()
        self.reload()

    def reload(self) -> None:
        today = self.ctx.today()
        ops.Op(self, lambda: reports.auto_renewals(today), key="list").on_success(self._show).run()

    def _changed(self, changes: Changes) -> None:
        if changes.subscriptions or changes.payments or changes.clients or changes.all_clients:
            self.reload()

    def _show(self, found: AutoRenewals) -> None:
        self.found = found
        selected = self._selected()
        chosen = self.model.row_at(selected).client_id if selected is not None else None
        self.model.set_rows(found)
        n = len(found.renewals)
        unpaid = sum(1 for r in found.renewals if r.balance_minor > 0)
        if not n:
            self.summary.setText(f"Auto-renew has renewed nobody since midnight ({day(found.day)}).")
        else:
            self.summary.setText(
                f"{n} subscription{'s' if n != 1 else ''} renewed by auto-renew since midnight ({day(found.day)}); "
                f"{unpaid} of these clients owe money now. Enter opens a client, to take the payment.")
        self.table.resizeColumnsToContents()
        rows = [i for i, r in enumerate(found.renewals) if r.client_id == chosen]
        if n:  # the one chosen before a reload, if still there, else the latest
            self.table.selectRow(rows[0] if rows else 0)

    def _selected(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _open(self, row: int | None) -> None:
        if row is not None and 0 <= row < self.model.rowCount():
            self.open_client.emit(self.model.row_at(row).client_id)
