"""Subscriptions tab: the history table with View, Cancel, Renew and Record payment."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from functools import cache
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, SignalInstance
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.actions import CLIENT_DELETED, cancel_blocker, payment_blocker, renew_blocker
from ispclient.domain.money import format_money
from ispclient.domain.permissions import Permission
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.store.queries import ClientDetail, SubscriptionView
from ispclient.store.settings import Settings
from ispclient.ui.dialogs.subscription_view import set_allowed
from ispclient.ui.models.rows import RowListModel, fit_width, list_view
from ispclient.ui.style import SUBSCRIPTION_COLOURS, dot_icon
from ispclient.ui.widgets.formatting import day
from ispclient.ui.widgets.status import readable_colour

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    PACKAGE = 0
    STATUS = 1
    START = 2
    END = 3
    DUE = 4
    PAID = 5
    BALANCE = 6
    AUTO_RENEW = 7


HEADERS = {
    Column.PACKAGE: "Package",
    Column.STATUS: "Status",
    Column.START: "Start Date",
    Column.END: "End Date",
    Column.DUE: "Due",
    Column.PAID: "Paid",
    Column.BALANCE: "Balance",
    Column.AUTO_RENEW: "Auto-Renew",
}
MONEY_COLUMNS = (Column.DUE, Column.PAID, Column.BALANCE)
SUBSCRIPTION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
UNPAID_COLOUR = SUBSCRIPTION_COLOURS[SubscriptionStatus.EXPIRING]
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class HistoryRow:
    sub: SubscriptionView
    status: SubscriptionStatus
    texts: tuple[str, ...] = ()  # what each column shows, formatted once when the rows arrive
    colours: tuple[str | None, ...] = ()  # each column's text colour (None: the palette's)


@cache
def _readable_brush(colour: str, background_rgba: int) -> QBrush:
    """``colour`` made readable on this background (the palette's base: light or dark, as it is
    when painted — the theme may change while the window is open)."""
    return QBrush(readable_colour(colour, QColor.fromRgba(background_rgba)))


def _balance_text(sub: SubscriptionView, currency: str) -> str:
    if sub.is_cancelled:
        return f"{format_money(sub.paid_minor, currency)} to refund or move" if sub.paid_minor > 0 else "—"
    if sub.balance_minor > 0:
        return f"{format_money(sub.balance_minor, currency)} " + ("unpaid" if sub.paid_minor == 0 else "due")
    if sub.balance_minor < 0:
        return f"{format_money(-sub.balance_minor, currency)} over"
    return "Paid" if sub.price_minor else "Free"


def _texts(sub: SubscriptionView, status: SubscriptionStatus, currency: str) -> tuple[str, ...]:
    """Each column's text, in column order."""
    return (
        sub.package_name,
        status.value,
        day(sub.starts_on),
        day(sub.ends_on),
        "—" if sub.is_cancelled else format_money(sub.due_minor, currency),
        format_money(sub.paid_minor, currency),
        _balance_text(sub, currency),
        "Yes" if sub.auto_renew else "No",
    )


class SubscriptionHistoryModel(RowListModel[HistoryRow]):
    """One row per subscription, newest first: what it costs (due), what was paid on it, and the
    balance still to pay (or the money left on a cancelled one).

    Every cell's text and colour is worked out once in :meth:`set_rows`: views ask ``data()`` for
    each cell on every paint and size hint, and formatting money per call was most of an open."""

    headers = tuple(HEADERS[c] for c in Column)
    _currency = "USD"

    def set_rows(self, subs: Sequence[SubscriptionView], today: date, expiring_days: int, currency: str) -> None:
        self._currency = currency
        rows = []
        for sub in subs:
            status = sub.status(today, expiring_days)
            unpaid = (sub.balance_minor > 0 and status is not SubscriptionStatus.CANCELLED) or \
                (sub.is_cancelled and sub.paid_minor > 0)
            colours = tuple(SUBSCRIPTION_COLOURS[status] if col is Column.STATUS else
                            UNPAID_COLOUR if col is Column.BALANCE and unpaid else None for col in Column)
            rows.append(HistoryRow(sub, status, _texts(sub, status, currency), colours))
        self._replace_rows(rows)

    def row_of(self, subscription_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.sub.id == subscription_id), -1)

    def column_texts(self, col: Column) -> list[str]:
        return [r.texts[col] for r in self._rows]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.texts[col]
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = row.colours[col]
            return None if colour is None else _readable_brush(colour, QApplication.palette().base().color().rgba())
        if role == Qt.ItemDataRole.DecorationRole and col == Column.STATUS:
            return dot_icon(SUBSCRIPTION_COLOURS[row.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, Column(col))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in MONEY_COLUMNS:
            return _RIGHT
        if role == SUBSCRIPTION_ID_ROLE:
            return row.sub.id
        if role == STATUS_ROLE:
            return row.status.value
        return None

    def _tooltip(self, row: HistoryRow, col: Column) -> str | None:
        sub = row.sub
        cur = self._currency
        if col in MONEY_COLUMNS:
            return (f"Price {format_money(sub.price_minor, cur)} · paid {format_money(sub.paid_minor, cur)} · "
                    f"balance {format_money(sub.balance_minor, cur)}")
        if col is Column.END:
            return f"First day without service: expires at 00:00 on {day(sub.ends_on)}."
        if col is Column.STATUS and sub.is_cancelled:
            return f"Cancelled by {sub.cancelled_by or 'unknown'}" + (
                f": {sub.cancel_reason}" if sub.cancel_reason else "")
        return None


class SubscriptionsTab(QWidget):
    """Emits the subscription id for each action; the window opens the dialogs."""

    view_requested = Signal(int)
    cancel_requested = Signal(int)
    renew_requested = Signal(int)
    pay_requested = Signal(int)
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # What the signed-in role can't do (the window sets it from the session): its tooltip.
        self.refusal: Callable[[Permission], str | None] = lambda _permission: None
        self._model = SubscriptionHistoryModel(self)
        self._table = list_view(self._model, "history")
        self._table.setAlternatingRowColors(True)
        header = self._table.horizontalHeader()
        header.setStretchLastSection(False)  # the package column takes the spare width
        header.setSectionResizeMode(Column.PACKAGE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        self.view_button = QPushButton("Vie&w…")
        self.cancel_button = QPushButton("&Cancel…")
        self.renew_button = QPushButton("&Renew…")
        self.pay_button = QPushButton("Record &payment…")
        buttons = QHBoxLayout()
        for b in (self.view_button, self.pay_button, self.renew_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self._table, 1)
        layout.addLayout(buttons)
        self._packages_on_sale = True
        self._deleted = False
        self.widths_restored = False  # set once saved or fitted widths are in place
        self._pending: tuple[ClientDetail, Settings, bool] | None = None  # data not yet in the table

        self._table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._table.activated.connect(lambda _i: self._emit(self.view_requested))
        self.view_button.clicked.connect(lambda: self._emit(self.view_requested))
        self.cancel_button.clicked.connect(lambda: self._emit(self.cancel_requested))
        self.renew_button.clicked.connect(lambda: self._emit(self.renew_requested))
        self.pay_button.clicked.connect(lambda: self._emit(self.pay_requested))
        self._update_buttons()

    @property
    def model(self) -> SubscriptionHistoryModel:
        """The history's model, filled with the latest data (see :meth:`show_detail`)."""
        self._fill_pending()
        return self._model

    @property
    def table(self) -> QTableView:
        self._fill_pending()
        return self._table

    @property
    def table_view(self) -> QTableView:
        """The table as it is (its header's state, say), without filling it."""
        return self._table

    def show_detail(self, detail: ClientDetail, settings: Settings, packages_on_sale: bool) -> None:
        """Fill the table now if the tab is on screen, else when it is first shown or asked for
        (:attr:`model`, :attr:`table`): a window opens on the Overview, and a client with years of
        subscriptions should not pay for this table until then."""
        self._pending = (detail, settings, packages_on_sale)
        if self.isVisible():
            self._fill_pending()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fill_pending()

    def _fill_pending(self) -> None:
        if self._pending is None:
            return
        detail, settings, packages_on_sale = self._pending
        self._pending = None
        selected = self.selected_id()
        self._packages_on_sale = packages_on_sale
        self._deleted = detail.client.deleted_at is not None
        self._model.set_rows(detail.subscriptions, detail.today, settings.expiring_days, settings.currency)
        self._fit_columns()
        if selected is None and self._model.rowCount():
            head = detail.headline()
            selected = head.id if head else detail.subscriptions[0].id
        if selected is not None:
            self.select(selected)
        self._update_buttons()

    def _fit_columns(self) -> None:
        """Columns other than Package fit their text: sized to it on the first fill without
        saved widths, and never left narrower than it ("Sche…") — whatever width was saved.
        Measured from the model's formatted texts (:func:`fit_width`), not cell by cell."""
        if not self._model.rowCount():
            return
        header = self._table.horizontalHeader()
        first = not self.widths_restored
        self.widths_restored = True
        for col in Column:
            if col is Column.PACKAGE:
                continue
            needed = max(fit_width(self._table, col, self._model.column_texts(col)), header.sectionSizeHint(col))
            if first or header.sectionSize(col) < needed:
                header.resizeSection(col, needed)

    def selected_id(self) -> int | None:
        self._fill_pending()
        rows = self._table.selectionModel().selectedRows()
        return int(self._model.data(rows[0], SUBSCRIPTION_ID_ROLE)) if rows else None

    def select(self, subscription_id: int) -> None:
        self._fill_pending()
        row = self._model.row_of(subscription_id)
        if row >= 0:
            self._table.selectRow(row)

    def _emit(self, signal: SignalInstance) -> None:
        sub_id = self.selected_id()
        if sub_id is not None:
            signal.emit(sub_id)

    def refresh_buttons(self) -> None:
        """Enable what the selection and the signed-in role allow (then ``selection_changed``)."""
        self._update_buttons()

    def _update_buttons(self) -> None:
        rows = self._table.selectionModel().selectedRows()
        if not rows:
            why = "Select a subscription in the table first." if self._model.rowCount() else \
                "This client has no subscriptions yet."
            for b in (self.view_button, self.cancel_button, self.renew_button, self.pay_button):
                set_allowed(b, why)
            self.selection_changed.emit()
            return
        status = self._model.row_at(rows[0].row()).status
        deleted = CLIENT_DELETED if self._deleted else None
        set_allowed(self.view_button, None, "All details and payments of this subscription (Enter).")
        refusal = self.refusal
        set_allowed(self.cancel_button, refusal(Permission.CANCEL) or deleted or cancel_blocker(status))
        set_allowed(self.renew_button, refusal(Permission.RENEW) or deleted
                    or renew_blocker(status, self._packages_on_sale),
                    "Sell the next period, starting when the current one ends.")
        set_allowed(self.pay_button, refusal(Permission.TAKE_PAYMENTS) or deleted or payment_blocker(status))
        self.selection_changed.emit()
