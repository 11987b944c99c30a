"""View Subscription: every detail of one subscription, its payments and cancellation, with
Cancel / Renew / Record payment. Also the rules for when those actions are allowed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
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

from ispclient.domain.money import format_money
from ispclient.domain.permissions import Permission
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.store import id_of, queries
from ispclient.store import subscriptions as service
from ispclient.store.changes import Changes
from ispclient.store.queries import ClientDetail, PaymentView, SubscriptionView
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.style import SUBSCRIPTION_COLOURS
from ispclient.ui.widgets import Section, StatusBadge
from ispclient.ui.widgets.formatting import day, days_left_text, local_time

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex


# -- when each action is allowed (None = allowed, else why not) -------------------------------

def cancel_blocker(status: SubscriptionStatus) -> str | None:
    if status is SubscriptionStatus.CANCELLED:
        return "This subscription is already cancelled."
    if status is SubscriptionStatus.EXPIRED:
        return "This subscription has already ended; there is nothing to cancel."
    return None


def renew_blocker(status: SubscriptionStatus, packages_on_sale: bool) -> str | None:
    if status is SubscriptionStatus.CANCELLED:
        return "A cancelled subscription can't be renewed; use Create Subscription instead."
    if not packages_on_sale:
        return "No package is on sale. Add or re-activate one in Packages first."
    return None


def payment_blocker(status: SubscriptionStatus) -> str | None:
    if status is SubscriptionStatus.CANCELLED:
        return "This subscription is cancelled; record the payment on another one."
    return None


def set_allowed(button: QWidget, why_not: str | None, tooltip: str = "") -> None:
    """Enable ``button``, or disable it with a tooltip saying why not."""
    button.setEnabled(why_not is None)
    button.setToolTip(why_not or tooltip)


# -- payments table ------------------------------------------------------------------------

class PaymentColumn(IntEnum):
    WHEN = 0
    AMOUNT = 1
    METHOD = 2
    REFERENCE = 3
    NOTE = 4
    TAKEN_BY = 5


PAYMENT_HEADERS = {
    PaymentColumn.WHEN: "When",
    PaymentColumn.AMOUNT: "Amount",
    PaymentColumn.METHOD: "Method",
    PaymentColumn.REFERENCE: "Reference",
    PaymentColumn.NOTE: "Note",
    PaymentColumn.TAKEN_BY: "Taken by",
}
PAYMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class PaymentsModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PaymentView] = []
        self._currency = "USD"
        self._tz = ""

    def set_rows(self, rows: Sequence[PaymentView], currency: str, tz_name: str) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._currency = currency
        self._tz = tz_name
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(PaymentColumn)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(PaymentColumn):
            return PAYMENT_HEADERS[PaymentColumn(section)]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        pay = self._rows[index.row()]
        col = PaymentColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(pay, col)
        if role == Qt.ItemDataRole.ToolTipRole and col is PaymentColumn.NOTE and pay.note:
            return pay.note
        if role == Qt.ItemDataRole.TextAlignmentRole and col is PaymentColumn.AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == PAYMENT_ID_ROLE:
            return pay.id
        return None

    def _display(self, pay: PaymentView, col: PaymentColumn) -> str:
        if col is PaymentColumn.WHEN:
            return local_time(pay.paid_at, self._tz)
        if col is PaymentColumn.AMOUNT:
            return format_money(pay.amount_minor, self._currency)
        if col is PaymentColumn.METHOD:
            return pay.method
        if col is PaymentColumn.REFERENCE:
            return pay.reference
        if col is PaymentColumn.NOTE:
            return pay.note.splitlines()[0] if pay.note else ""
        return pay.taken_by


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
        layout.addLayout(row)

        self.cancel_button.clicked.connect(self._cancel)
        self.renew_button.clicked.connect(self._renew)
        self.pay_button.clicked.connect(self._pay)
        self.auto_renew.toggled.connect(self._set_auto_renew)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        for button in (self.cancel_button, self.renew_button, self.pay_button, self.auto_renew):
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
        d.set_value("balance", "Nothing due" if bal == 0 else
                    format_money(bal, cur) if bal > 0 else f"Overpaid by {format_money(-bal, cur)}")
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
        pays = [p for p in detail.payments if p.subscription_id == sub.id]
        self.payments_model.set_rows(pays, cur, s.timezone)
        self.payments.setVisible(bool(pays))
        self.no_payments.setVisible(not pays)
        on_sale = bool(self.ctx.catalog().on_sale())
        deleted = "This client has been deleted." if client.deleted_at is not None else None
        refusal = self.ctx.session.refusal
        set_allowed(self.cancel_button, refusal(Permission.CANCEL) or deleted or cancel_blocker(status))
        set_allowed(self.renew_button, refusal(Permission.RENEW) or deleted or renew_blocker(status, on_sale),
                    "Sell the next period, starting when the current one ends.")
        set_allowed(self.pay_button, refusal(Permission.TAKE_PAYMENTS) or deleted or payment_blocker(status))

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
