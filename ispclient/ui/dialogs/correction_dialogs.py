"""Corrections, never deletions: void a wrong entry (it stays, marked VOID, with the reason), give
money back (a refund, from a subscription or from the client's credit), move a cancelled
subscription's money to credit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from ispclient.domain import ledger
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money, parse_amount
from ispclient.store import id_of, money, settings
from ispclient.store.queries import ClientDetail, PaymentView
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.help import install_f1
from ispclient.ui.models.payments import amount_text
from ispclient.ui.widgets import NoticeBox
from ispclient.ui.widgets.formatting import day, local_time


class VoidDialog(FormDialog):
    save_text = "&Void it"

    def __init__(self, ctx: AppContext, detail: ClientDetail, payment: PaymentView,
                 parent: QWidget | None = None) -> None:
        super().__init__(f"Void receipt {payment.receipt_no}", parent)
        self.payment_id = payment.id
        self.setMinimumWidth(480)
        cur = ctx.settings().currency
        when = local_time(payment.paid_at, ctx.settings().timezone)
        text = (f"Void receipt {payment.receipt_no} ({amount_text(payment, cur)} {payment.method}, {when}) of "
                f"{detail.client.label}? It stays in the history, marked VOID with your reason and a receipt "
                "number of its own, and no longer counts in the balance, the credit or the revenue.")
        # Money of this payment that paid the client's other owed subscriptions goes with it.
        parts = sorted((p for p in detail.payments if not p.is_void and p.id != payment.id
                        and ledger.is_applied_part(p.kind, p.reference, p.note) and p.reference == payment.receipt_no),
                       key=lambda p: p.id)
        if parts:
            n = len(parts)
            text += (f" The {format_money(sum(-p.credit_minor for p in parts), cur)} of it that paid {n} other "
                     f"subscription{'s' if n > 1 else ''} (receipt{'s' if n > 1 else ''} "
                     f"{', '.join(p.receipt_no for p in parts)}) is undone with it: "
                     f"{'they' if n > 1 else 'it'} will be owed again.")
        self.warning = NoticeBox("A void can't be undone", text)
        self.outer.insertWidget(1, self.warning)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("e.g. typed 15,000 instead of 1,500; recorded on the wrong client")
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.fields.add("reason", "&Reason:", self.reason)
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("&Keep it")
        self.finish_layout()
        install_f1(self, "receipts")
        self.reason.setFocus()

    def validate(self) -> Mapping[str, str]:
        try:
            ledger.check_void_reason(self.reason.toPlainText())
        except ValidationError as e:
            return e.errors
        return {}

    def work(self) -> Callable[[], Any]:
        payment_id, reason = self.payment_id, self.reason.toPlainText()
        return lambda: id_of(money.void(payment_id, reason))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, detail: ClientDetail, payment: PaymentView) -> bool:
        return cls.run(cls(ctx, detail, payment, parent)) is not None


class RefundDialog(FormDialog):
    """Money given back: from one subscription (what was paid on it) or from the client's credit."""

    save_text = "&Record refund"

    def __init__(self, ctx: AppContext, detail: ClientDetail, subscription_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Refund", parent)
        self.client_id = detail.client.id
        self.subscription_id = subscription_id
        self.currency = ctx.settings().currency
        self.setMinimumWidth(480)
        sub = detail.subscription(subscription_id) if subscription_id is not None else None
        if sub is not None:
            self.available = max(0, sub.paid_minor)
            source = f"“{sub.package_name}” ({day(sub.starts_on)} – {day(sub.ends_on)})"
            self.source = f"the subscription “{sub.package_name}”"
        else:
            self.available = max(0, detail.credit_minor)
            source = self.source = "the client's credit"
        self.setWindowTitle(f"Refund — {detail.client.label}")
        self.note_box = NoticeBox("", f"Give money back to {detail.client.name} from {source}: at most "
                                      f"{format_money(self.available, self.currency)}.", kind="info")
        self.outer.insertWidget(1, self.note_box)
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(f"at most {format_money(self.available, self.currency)}")
        self.method = QComboBox()
        self.method.addItems(settings.PAYMENT_METHODS)
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("Mobile-money or bank transaction (optional)")
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        f = self.fields
        f.add("amount", f"&Amount given back ({self.currency}):", self.amount)
        f.add("method", "&Method:", self.method)
        f.add("reference", "&Reference:", self.reference)
        f.add("note", "N&ote:", self.note)
        self.finish_layout()
        install_f1(self, "receipts")
        self.amount.setFocus()

    def validate(self) -> Mapping[str, str]:
        text = self.amount.text().strip()
        if text.startswith(("-", "−")):
            return {"amount": "Type the amount given back without a minus sign."}
        try:
            amount = parse_amount(text, self.currency)
            ledger.check_refund(amount, self.available, self.source, self.currency)
        except ValidationError as e:
            return {"amount": next(iter(e.errors.values()))}
        return {}

    def work(self) -> Callable[[], Any]:
        client_id, sub_id = self.client_id, self.subscription_id
        data = money.RefundInput(self.amount.text(), self.method.currentText(), self.reference.text(),
                                 self.note.toPlainText())
        return lambda: id_of(money.refund(client_id, data, subscription_id=sub_id))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, detail: ClientDetail,
            subscription_id: int | None = None) -> int | None:
        """The refund's id (its receipt offered at once), or None."""
        refund_id = cls.run(cls(ctx, detail, subscription_id, parent))
        if refund_id is not None:
            from ispclient.ui.dialogs.receipt_dialog import ReceiptDialog

            ReceiptDialog.ask(parent, ctx, refund_id, just_recorded=True)
        return refund_id


def move_to_credit(parent: QWidget, ctx: AppContext, detail: ClientDetail, subscription_id: int) -> None:
    """Confirm, then move the subscription's money to the client's credit (in the background)."""
    sub = detail.subscription(subscription_id)
    if sub is None:
        return
    amount = format_money(sub.movable_to_credit, ctx.settings().currency)
    if not msgbox.confirm(parent, "Move to credit",
                          f"Move {amount} from “{sub.package_name}” ({day(sub.starts_on)} – {day(sub.ends_on)}) "
                          f"to {detail.client.name}'s credit? It is used on their next sale or renewal.",
                          ok_text="&Move to credit"):
        return
    ops.Op(parent, lambda: id_of(money.move_to_credit(subscription_id)), key="move-to-credit").run()
