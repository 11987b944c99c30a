"""View Subscription: every detail of one subscription, its payments and cancellation, with
Cancel / Renew / Record payment, and for its entries Receipt / Void; money left on a cancelled
one can be refunded or moved to credit. The rules for each action are in domain/actions.py."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.actions import (
    CLIENT_DELETED,
    cancel_blocker,
    move_to_credit_blocker,
    payment_blocker,
    refund_blocker,
    renew_blocker,
    void_blocker,
)
from ispclient.domain.money import format_money
from ispclient.domain.permissions import Permission
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.store import id_of, queries
from ispclient.store import subscriptions as service
from ispclient.store.changes import Changes
from ispclient.store.queries import ClientDetail, PaymentView, SubscriptionView
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.models.payments import PaymentsModel
from ispclient.ui.style import SUBSCRIPTION_COLOURS
from ispclient.ui.widgets import Section, StatusBadge
from ispclient.ui.widgets.formatting import day, days_left_text, local_time

log = logging.getLogger(__name__)

# -- when each action is allowed: the rules live in domain/actions.py ----------------------------

def set_allowed(button: QWidget, why_not: str | None, tooltip: str = "") -> None:
    """Enable ``button``, or disable it with a tooltip saying why not."""
    button.setEnabled(why_not is None)
    button.setToolTip(why_not or tooltip)


# -- the dialog ----------------------------------------------------------------------------

class SubscriptionViewDialog(QDialog):
    """Non-modal: the front desk can keep it open beside the client window."""

    def __init__(self, ctx: AppContext, client_id: int, subscription_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.subscription_id = subscription_id
        self.client_id = client_id
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumSize(640, 560)
        self.setWindowTitle("Subscription")
        self.sub: SubscriptionView | None = None
        self.detail: ClientDetail | None = None
        self._deleted: str | None = None

        self.details = Section("Subscription")
        d = self.details
        d.add_row("client", "Client:")
        d.add_row("package", "Package:")
        self.status = StatusBadge()
        d.add_row("status", "Status:", self.status)
        d.add_row("start", "Start Date:")
        d.add_row("end", "End Date:")
        d.add_row("days_left", "Days left:")
        self.auto_renew = QCheckBox("Renew &automatically when it ends")
        d.add_row("auto_renew", "Auto-Renew:", self.auto_renew)
        d.add_row("price", "Price (as sold):")
        d.add_row("paid", "Paid:")
        d.add_row("balance", "Balance due:")
        d.add_row("created", "Created:")
        d.add_row("renewal_of", "Renewal of:")
        self.cancellation = Section("Cancelled")
        c = self.cancellation
        c.add_row("cancelled_at", "When:")
        c.add_row("cancelled_by", "By:")
        c.add_row("cancel_reason", "Reason:")

        self.payments_model = PaymentsModel(self)
        self.payments = QTableView()
        self.payments.setObjectName("payments")
        self.payments.setModel(self.payments_model)
        self.payments.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.payments.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.payments.verticalHeader().hide()
        self.payments.horizontalHeader().setStretchLastSection(True)
        self.payments.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.payments.setTabKeyNavigation(False)
        self.no_payments = QLabel("No payments recorded for this subscription.")
        self.receipt_button = QPushButton("Recei&pt…")
        self.void_button = QPushButton("&Void…")
        self.refund_button = QPushButton("Re&fund…")
        self.to_credit_button = QPushButton("Move to cre&dit…")
        entry_row = QHBoxLayout()
        for b in (self.receipt_button, self.void_button, self.refund_button, self.to_credit_button):
            entry_row.addWidget(b)
        entry_row.addStretch(1)

        self.cancel_button = QPushButton("&Cancel subscription…")
        self.renew_button = QPushButton("&Renew…")
        self.pay_button = QPushButton("Record &payment…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        for b in (self.pay_button, self.renew_button, self.cancel_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.details)
        layout.addWidget(self.cancellation)
        payments_title = QLabel("<b>Payments</b>")
        layout.addWidget(payments_title)
        layout.addWidget(self.payments, 1)
        layout.addWidget(self.no_payments)
        layout.addLayout(entry_row)
        layout.addLayout(row)

        self.cancel_button.clicked.connect(self._cancel)
        self.renew_button.clicked.connect(self._renew)
        self.pay_button.clicked.connect(self._pay)
        self.receipt_button.clicked.connect(self._receipt)
        self.void_button.clicked.connect(self._void)
        self.refund_button.clicked.connect(self._refund)
        self.to_credit_button.clicked.connect(self._to_credit)
        self.payments.activated.connect(lambda _i: self._receipt())
        self.payments.selectionModel().selectionChanged.connect(lambda *_a: self._update_entry_buttons())
        self.auto_renew.toggled.connect(self._set_auto_renew)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        for button in (self.cancel_button, self.renew_button, self.pay_button, self.auto_renew, self.receipt_button,
                       self.void_button, self.refund_button, self.to_credit_button):
            set_allowed(button, "Loading…")
        ctx.events.changed.connect(self._data_changed)
        ctx.store.catalog_changed.connect(self._show_again)
        ctx.store.settings_changed.connect(self._show_again)
        self.reload()

    def _data_changed(self, changes: Changes) -> None:
        if changes.touches_client(self.client_id):
            self.reload()

    def reload(self) -> None:
        client_id, today = self.client_id, self.ctx.today()
        ops.Op(self, lambda: queries.client_detail(client_id, today), key="detail") \
            .on_success(self.show_detail).run()

    def show_detail(self, detail: ClientDetail) -> None:
        if detail.subscription(self.subscription_id) is None:  # gone with its client
            self.close()
            return
        self.detail = detail
        self._show_again()

    def _show_again(self) -> None:
        detail = self.detail
        if detail is None:
            return
        today = detail.today
        s = self.ctx.settings()
        sub = detail.subscription(self.subscription_id)
        assert sub is not None
        self.sub = sub
        client = detail.client
        status = sub.status(today, s.expiring_days)
        cur = s.currency
        self.setWindowTitle(f"Subscription “{sub.package_name}” — {client.name} ({client.client_code})")
        d = self.details
        d.set_value("client", f"{client.name} ({client.client_code})"
                    + (" — deleted" if client.deleted_at is not None else ""))
        d.set_value("package", sub.package_name)
        self.status.set_status(status.value, SUBSCRIPTION_COLOURS[status])
        d.set_value("start", day(sub.starts_on))
        d.set_value("end", day(sub.ends_on), "The end date is the first day without service: it "
                                              f"expires at 00:00 on {day(sub.ends_on)}.")
        d.set_value("days_left", days_left_text(sub, status, today))
        self.auto_renew.blockSignals(True)
        self.auto_renew.setChecked(sub.auto_renew)
        self.auto_renew.blockSignals(False)
        ended = status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED)
        set_allowed(self.auto_renew, self.ctx.session.refusal(Permission.SELL)
                    or ("A cancelled or ended subscription can't renew." if ended else None))
        d.set_value("price", format_money(sub.price_minor, cur))
        d.set_value("paid", format_money(sub.paid_minor, cur))
        bal = sub.balance_minor
        if sub.is_cancelled:
            d.set_value("balance", "Nothing due (cancelled)" if bal == 0 else
                        f"{format_money(-bal, cur)} paid on it — refund it or move it to credit")
        else:
            d.set_value("balance", "Nothing due" if bal == 0 else
                        format_money(bal, cur) if bal > 0 else f"Paid beyond the price by {format_money(-bal, cur)}")
        d.set_value("created", f"{local_time(sub.created_at, s.timezone)} by {sub.created_by or 'unknown'}")
        prev = next((x for x in detail.subscriptions if x.id == sub.renewed_from_id), None)
        d.set_value("renewal_of", f"“{prev.package_name}” {day(prev.starts_on)} – {day(prev.ends_on)} "
                                  "(renewed automatically)" if prev else "")
        d.set_row_visible("renewal_of", prev is not None)
        self.cancellation.setVisible(sub.is_cancelled)
        if sub.is_cancelled:
            c = self.cancellation
            c.set_value("cancelled_at", local_time(sub.cancelled_at, s.timezone))
            c.set_value("cancelled_by", sub.cancelled_by or "unknown")
            c.set_value("cancel_reason", sub.cancel_reason or "(no reason given)")
        pays = detail.payments_of(sub.id)
        selected = self.selected_payment()
        self.payments_model.set_rows(pays, cur, s.timezone,
                                     {sub.id: f"“{sub.package_name}” ({day(sub.starts_on)})"})
        if pays:
            row = self.payments_model.row_of(selected.id) if selected is not None else -1
            self.payments.selectRow(max(row, 0))
        self.payments.setVisible(bool(pays))
        self.no_payments.setVisible(not pays)
        on_sale = bool(self.ctx.catalog().on_sale())
        deleted = CLIENT_DELETED if client.deleted_at is not None else None
        self._deleted = deleted
        refusal = self.ctx.session.refusal
        set_allowed(self.cancel_button, refusal(Permission.CANCEL) or deleted or cancel_blocker(status))
        set_allowed(self.renew_button, refusal(Permission.RENEW) or deleted or renew_blocker(status, on_sale),
                    "Sell the next period, starting when the current one ends.")
        set_allowed(self.pay_button, refusal(Permission.TAKE_PAYMENTS) or deleted or payment_blocker(status))
        set_allowed(self.refund_button, refusal(Permission.VOID_REFUND) or deleted or refund_blocker(sub.paid_minor),
                    "Give money paid on this subscription back to the client.")
        set_allowed(self.to_credit_button, refusal(Permission.VOID_REFUND) or deleted
                    or move_to_credit_blocker(sub.movable_to_credit, sub.is_cancelled),
                    f"Move {format_money(sub.movable_to_credit, cur)} to the client's credit.")
        self._update_entry_buttons()

    def selected_payment(self) -> PaymentView | None:
        rows = self.payments.selectionModel().selectedRows() if self.payments.selectionModel() else []
        return self.payments_model.row_at(rows[0].row()) if rows else None

    def _update_entry_buttons(self) -> None:
        pay = self.selected_payment()
        none = "Select a payment first." if self.payments_model.rowCount() else "No payments yet."
        set_allowed(self.receipt_button, None if pay else none, "Show, print or save its receipt (Enter).")
        set_allowed(self.void_button, (self.ctx.session.refusal(Permission.VOID_REFUND) or self._deleted
                                       or void_blocker(pay.is_void)) if pay else none,
                    "Mark it void, saying why: it stays in the history and no longer counts.")

    # -- actions ---------------------------------------------------------------------------

    def _cancel(self) -> None:
        from ispclient.ui.dialogs.cancel_dialog import CancelDialog

        if self.detail is not None:
            CancelDialog.ask(self, self.ctx, self.detail, self.subscription_id)

    def _renew(self) -> None:
        from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog

        if self.detail is not None:
            SubscriptionDialog.ask(self, self.ctx, self.detail, renew_from=self.subscription_id)

    def _pay(self) -> None:
        from ispclient.ui.dialogs.payment_dialog import PaymentDialog

        if self.detail is not None:
            PaymentDialog.ask(self, self.ctx, self.detail, self.subscription_id)

    def _receipt(self) -> None:
        from ispclient.ui.dialogs.receipt_dialog import ReceiptDialog

        pay = self.selected_payment()
        if pay is not None:
            ReceiptDialog.ask(self, self.ctx, pay.id)

    def _void(self) -> None:
        from ispclient.ui.dialogs.correction_dialogs import VoidDialog

        pay = self.selected_payment()
        if pay is not None and self.detail is not None and self.void_button.isEnabled():
            VoidDialog.ask(self, self.ctx, self.detail, pay)

    def _refund(self) -> None:
        from ispclient.ui.dialogs.correction_dialogs import RefundDialog

        if self.detail is not None:
            RefundDialog.ask(self, self.ctx, self.detail, self.subscription_id)

    def _to_credit(self) -> None:
        from ispclient.ui.dialogs.correction_dialogs import move_to_credit

        if self.detail is not None:
            move_to_credit(self, self.ctx, self.detail, self.subscription_id)

    def _set_auto_renew(self, on: bool) -> None:
        subscription_id = self.subscription_id
        def refused(error: BaseException) -> None:
            ops.show_error(self, error)
            self._show_again()  # the box goes back to what the database says

        ops.Op(self, lambda: id_of(service.set_auto_renew(subscription_id, on)), key="auto_renew") \
            .on_failure(refused).run()


def open_subscription(parent: QWidget | None, ctx: AppContext, client_id: int,
                      subscription_id: int) -> SubscriptionViewDialog:
    """Show one subscription's details (non-modal) and return the dialog."""
    dialog = SubscriptionViewDialog(ctx, client_id, subscription_id, parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
