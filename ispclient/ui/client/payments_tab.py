"""Payments tab: every money entry of the client (payments, refunds, credit moves, voided ones
marked), with Receipt (reprint), Void, Refund from credit and Record payment."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from ispclient.domain import actions
from ispclient.domain.money import format_money
from ispclient.domain.permissions import Permission
from ispclient.store.queries import ClientDetail, PaymentView
from ispclient.store.settings import Settings
from ispclient.ui.dialogs.payment_dialog import balance_text
from ispclient.ui.dialogs.subscription_view import set_allowed
from ispclient.ui.models.payments import PaymentColumn, PaymentsModel
from ispclient.ui.models.rows import fit_column, list_view
from ispclient.ui.widgets.formatting import day


def subscription_names(detail: ClientDetail) -> dict[int, str]:
    return {s.id: f"“{s.package_name}” ({day(s.starts_on)})" for s in detail.subscriptions}


class PaymentsTab(QWidget):
    """Emits what the user asked for; the window opens the dialogs."""

    record_requested = Signal()
    receipt_requested = Signal(int)  # payment id
    void_requested = Signal(int)
    refund_requested = Signal()  # from the client's credit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account = QLabel()
        self.account.setObjectName("payments_account")
        self.model = PaymentsModel(self)
        self.table = list_view(self.model, "payments")
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(PaymentColumn.WHAT, QHeaderView.ResizeMode.Stretch)
        self.record_button = QPushButton("Record &payment…")
        self.receipt_button = QPushButton("&Receipt…")
        self.void_button = QPushButton("&Void…")
        self.refund_button = QPushButton("Refund &credit…")
        buttons = QHBoxLayout()
        for b in (self.record_button, self.receipt_button, self.void_button, self.refund_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.account)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._deleted = False
        self._credit = 0
        self._pending: tuple[ClientDetail, Settings] | None = None
        # What the signed-in role can't do (the window sets it from the session): its tooltip.
        self.refusal: Callable[[Permission], str | None] = lambda _permission: None
        self.widths_restored = False

        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.activated.connect(lambda _i: self._emit_selected(self.receipt_requested))
        self.record_button.clicked.connect(self.record_requested)
        self.receipt_button.clicked.connect(lambda: self._emit_selected(self.receipt_requested))
        self.void_button.clicked.connect(lambda: self._emit_selected(self.void_requested))
        self.refund_button.clicked.connect(self.refund_requested)
        self._update_buttons()

    def show_detail(self, detail: ClientDetail, settings: Settings) -> None:
        """Fill the tab now if it is on screen, else when it is first shown: a window opens on the
        Overview, and a client with years of payments should not pay for this table until asked."""
        self._pending = (detail, settings)
        self._deleted = detail.client.deleted_at is not None
        self._credit = detail.credit_minor
        cur = settings.currency
        self.account.setText(f"Balance: <b>{balance_text(detail.balance_minor, cur)}</b>"
                             f" &nbsp;·&nbsp; Credit: <b>{format_money(max(0, detail.credit_minor), cur)}</b>"
                             f" &nbsp;·&nbsp; Revenue: {format_money(detail.stats.total_revenue_minor, cur)}")
        if self.isVisible():
            self._fill()
        else:
            self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._pending is not None:
            self._fill()

    def _fill(self) -> None:
        assert self._pending is not None
        detail, settings = self._pending
        self._pending = None
        selected = self.selected()
        self.model.set_rows(detail.payments, settings.currency, settings.timezone, subscription_names(detail))
        if not self.widths_restored and self.model.rowCount():
            self.widths_restored = True
            for col in PaymentColumn:
                if col is not PaymentColumn.WHAT:
                    fit_column(self.table, col, self.model.column_texts(col))
        if selected is not None and self.model.row_of(selected.id) >= 0:
            self.table.selectRow(self.model.row_of(selected.id))
        elif self.model.rowCount():
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> PaymentView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, payment_id: int) -> None:
        row = self.model.row_of(payment_id)
        if row >= 0:
            self.table.selectRow(row)

    def _emit_selected(self, signal: SignalInstance) -> None:
        pay = self.selected()
        if pay is not None:
            signal.emit(pay.id)

    def refresh_buttons(self) -> None:
        """Enable what the selection and the signed-in role allow."""
        self._update_buttons()

    def _update_buttons(self) -> None:
        pay = self.selected()
        deleted = actions.CLIENT_DELETED if self._deleted else None
        corrections = self.refusal(Permission.VOID_REFUND)
        set_allowed(self.record_button, self.refusal(Permission.TAKE_PAYMENTS) or deleted,
                    "Take money from this client (Ctrl+P in the client list).")
        none = "Select a payment in the table first." if self.model.rowCount() else "No payments yet."
        set_allowed(self.receipt_button, None if pay else none, "Show, print or save this entry's receipt (Enter).")
        set_allowed(self.void_button, (corrections or deleted or actions.void_blocker(pay.is_void)) if pay else none,
                    "Mark this entry void, saying why: it stays in the history and no longer counts.")
        set_allowed(self.refund_button, corrections or deleted or actions.refund_blocker(self._credit),
                    "Give the client's credit back to them.")
