"""Record a payment against one subscription, showing its price, what is paid and what is due."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_amount, format_money, parse_amount
from ispclient.store import id_of, settings
from ispclient.store import subscriptions as service
from ispclient.store.queries import ClientDetail
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.widgets import Section
from ispclient.ui.widgets.formatting import day


class PaymentDialog(FormDialog):
    save_text = "&Record payment"

    def __init__(self, ctx: AppContext, detail: ClientDetail, subscription_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__("Record payment", parent)
        self.ctx = ctx
        self.subscription_id = subscription_id
        self.currency = ctx.settings().currency
        self.setMinimumWidth(480)
        self.client_id = detail.client.id
        sub = detail.subscription(subscription_id)
        assert sub is not None, "the subscription is one of this client's"
        self.setWindowTitle(f"Record payment — {detail.client.label}")

        summary = Section("Subscription")
        summary.add_row("package", "Package:")
        summary.add_row("period", "Period:")
        summary.add_row("price", "Price:")
        summary.add_row("paid", "Paid so far:")
        summary.add_row("balance", "Balance due:")
        summary.set_value("package", sub.package_name)
        summary.set_value("period", f"{day(sub.starts_on)} – {day(sub.ends_on)}")
        summary.set_value("price", format_money(sub.price_minor, self.currency))
        summary.set_value("paid", format_money(sub.paid_minor, self.currency))
        balance = sub.balance_minor
        summary.set_value("balance", format_money(max(balance, 0), self.currency)
                          + (f" (overpaid by {format_money(-balance, self.currency)})" if balance < 0 else ""))
        self.summary = summary
        self.outer.insertWidget(1, summary)

        self.amount = QLineEdit()
        if balance > 0:
            self.amount.setText(format_amount(balance, self.currency))
        self.method = QComboBox()
        self.method.addItems(settings.PAYMENT_METHODS)
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("Receipt, transaction or cheque number (optional)")
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)

        f = self.fields
        f.add("amount", f"&Amount ({self.currency}):", self.amount)
        f.add("method", "Payment &method:", self.method)
        f.add("reference", "&Reference:", self.reference)
        f.add("note", "N&ote:", self.note, aliases=("notes",))
        self.finish_layout()
        self.amount.setFocus()
        self.amount.selectAll()

    def data(self) -> service.PaymentInput:
        return service.PaymentInput(amount=self.amount.text(), method=self.method.currentText(),
                                    reference=self.reference.text(), note=self.note.toPlainText())

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        try:
            parse_amount(self.amount.text(), self.currency)
        except ValidationError as e:
            errors["amount"] = next(iter(e.errors.values()))
        if len(self.reference.text().strip()) > 100:
            errors["reference"] = "The reference is too long (at most 100 characters)."
        return errors

    def work(self) -> Callable[[], Any]:
        subscription_id, data = self.subscription_id, self.data()
        return lambda: id_of(service.record_payment(subscription_id, data))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, detail: ClientDetail, subscription_id: int) -> int | None:
        """The new payment's id, or None if the user cancelled."""
        return cls.run(cls(ctx, detail, subscription_id, parent))
