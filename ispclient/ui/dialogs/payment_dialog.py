"""Record payment: what the client owes, what they pay for (a subscription, or credit paid in
advance), the money taken — then the receipt, printed or saved in one key.

The amount starts empty: the cashier types what was taken. What goes beyond what is due becomes
the client's credit, and the dialog says so before saving; the client's credit can pay what the
cash leaves due.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QWidget

from ispclient.domain import ledger
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money
from ispclient.store import id_of, money
from ispclient.store.queries import ClientDetail, SubscriptionView
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.dialogs.money_fields import MoneyFields
from ispclient.ui.help import install_f1
from ispclient.ui.widgets import Section
from ispclient.ui.widgets.formatting import day

ON_CREDIT = -1  # the "For" choice of money paid in advance


def balance_text(balance_minor: int, currency: str) -> str:
    """'KES 1,500.00 owed', 'KES 500.00 in credit', 'Nothing owed'."""
    if balance_minor > 0:
        return f"{format_money(balance_minor, currency)} owed"
    if balance_minor < 0:
        return f"{format_money(-balance_minor, currency)} in credit"
    return "Nothing owed"


def subscription_choice(sub: SubscriptionView, currency: str) -> str:
    due = f"{format_money(sub.balance_minor, currency)} due" if sub.balance_minor > 0 else "paid"
    return f"{sub.package_name} · {day(sub.starts_on)} – {day(sub.ends_on)} · {due}"


class PaymentDialog(FormDialog):
    save_text = "&Record payment"

    def __init__(self, ctx: AppContext, detail: ClientDetail, subscription_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Record payment", parent)
        self.ctx = ctx
        self.detail = detail
        self.currency = ctx.settings().currency
        self.client_id = detail.client.id
        self.credit_available = max(0, detail.credit_minor)
        self.setMinimumWidth(620)  # the "For" choices name package, period and what is due
        self.setWindowTitle(f"Record payment — {detail.client.label}")

        summary = Section("Account")
        summary.add_row("owed", "Balance:")
        summary.add_row("credit", "Credit:")
        summary.add_row("due", "Due on it:")
        summary.set_value("owed", balance_text(detail.balance_minor, self.currency))
        summary.set_value("credit", format_money(self.credit_available, self.currency))
        summary.set_row_visible("credit", self.credit_available > 0)
        self.summary = summary
        self.outer.insertWidget(1, summary)

        self.target = QComboBox()
        self.target.setObjectName("target")
        self._fill_targets(subscription_id)
        self.use_credit = QCheckBox(f"Use &credit: {format_money(self.credit_available, self.currency)} available")
        self.use_credit.setToolTip("The client's credit pays what the cash leaves due.")
        self.use_credit.setObjectName("use_credit")
        self.use_credit.setChecked(True)
        self.allocation = QLabel()
        self.allocation.setObjectName("allocation")
        self.allocation.setWordWrap(True)

        f = self.fields
        f.add("subscription", "&For:", self.target, aliases=("subscription_id",))
        self.money = MoneyFields(f, self.currency, self._update, amount_label=f"&Amount received ({self.currency}):")
        f.add("use_credit", "", self.use_credit)
        f.add("allocation", "", self.allocation)
        self.target.currentIndexChanged.connect(lambda _i: self._update())
        self.use_credit.toggled.connect(lambda _on: self._update())
        self._update()
        self.finish_layout()
        install_f1(self, "selling")
        self.money.amount.setFocus()

    @property
    def amount(self) -> Any:  # the amount field, for tests and callers
        return self.money.amount

    @property
    def method(self) -> Any:
        return self.money.method

    @property
    def reference(self) -> Any:
        return self.money.reference

    # -- what it pays for ----------------------------------------------------------------------

    def _fill_targets(self, chosen: int | None) -> None:
        owing = self.detail.owing()
        head = self.detail.headline()
        others = [s for s in self.detail.subscriptions if not s.is_cancelled and s not in owing]
        if chosen is not None:
            picked = self.detail.subscription(chosen)
            if picked is not None and picked not in owing and picked in others:
                others.remove(picked)
                others.insert(0, picked)
        for sub in [*owing, *others]:
            self.target.addItem(subscription_choice(sub, self.currency), sub.id)
        self.target.addItem("Client credit — paid in advance", ON_CREDIT)
        if chosen is None:
            chosen = owing[0].id if owing else (head.id if head is not None and not head.is_cancelled
                                                and head.balance_minor > 0 else ON_CREDIT)
        self.target.setCurrentIndex(max(0, self.target.findData(chosen)))

    def subscription(self) -> SubscriptionView | None:
        data = self.target.currentData()
        return self.detail.subscription(int(data)) if isinstance(data, int) and data != ON_CREDIT else None

    def _credit_usable(self) -> bool:
        sub = self.subscription()
        return self.credit_available > 0 and sub is not None and sub.balance_minor > 0

    def _update(self) -> None:
        if not hasattr(self, "money"):
            return  # still building the form
        sub = self.subscription()
        usable = self._credit_usable()
        self.fields.set_row_visible("use_credit", usable)
        due = max(0, sub.balance_minor) if sub is not None else 0
        self.summary.set_value("due", (f"{format_money(sub.price_minor, self.currency)} price, "
                                       f"{format_money(sub.paid_minor, self.currency)} paid — "
                                       f"{format_money(due, self.currency)} due") if sub else "—")
        self.summary.set_row_visible("due", sub is not None)
        if sub is not None:
            self.money.amount.setPlaceholderText(f"{format_money(due, self.currency)} due — type what was taken")
        else:
            self.money.amount.setPlaceholderText("Type what was taken")
        self.allocation.setText(self._allocation_text(sub, due, usable and self.use_credit.isChecked()))
        # The allocation may have grown a line or two: grow to show it, now and once the layout
        # has taken the new text in (Qt computes a wrapped label's height lazily).
        self.form_layout.invalidate()
        self.fit_height()
        QTimer.singleShot(0, self, self.fit_height)

    def _allocation_text(self, sub: SubscriptionView | None, due: int, use_credit: bool) -> str:
        cash = self.money.cash_minor()
        cur = self.currency
        if sub is None:
            return "All of it goes to the client's credit, used on their next sale." if cash else ""
        split = ledger.split_payment(cash, due, self.credit_available, use_credit)
        if not cash and not split.credit_used:
            return ""
        parts = []
        if split.credit_used:
            parts.append(f"{format_money(split.credit_used, cur)} of credit is used.")
        left = due - split.on_subscription
        if left > 0:
            parts.append(f"{format_money(left, cur)} will still be due on “{sub.package_name}”.")
        else:
            parts.append(f"“{sub.package_name}” is paid in full.")
        if split.to_credit:
            # What is beyond this one's due pays the client's other owed subscriptions first,
            # oldest first (as the store does: ledger.allocate); only the rest becomes credit.
            still = [s for s in self.detail.owing() if s.id != sub.id]
            shares, _left = ledger.allocate(ledger.spreadable(split.to_credit, self.detail.credit_minor),
                                            [(s.id, s.balance_minor) for s in still])
            kept = split.to_credit - sum(share for _sid, share in shares)
            if shares:
                paid_off = sum(share for _sid, share in shares)
                owed = sum(s.balance_minor for s in still)
                n = len(still)
                them = "the other owed subscription" if n == 1 else f"the {n} other owed subscriptions"
                since = f"(from {day(still[0].starts_on)})"
                if paid_off >= owed:
                    parts.append(f"<br><b>{format_money(paid_off, cur)}</b> beyond what is due also pays {them} "
                                 f"{since} in full.")
                else:
                    parts.append(f"<br><b>{format_money(paid_off, cur)}</b> beyond what is due also pays toward {them} "
                                 f"{since}, oldest first; {format_money(owed - paid_off, cur)} will still be owed.")
            if kept:
                parts.append(f"<b>{format_money(kept, cur)}</b> beyond what is {'owed' if shares else 'due'} goes to "
                             "the client's credit.")
        return " ".join(parts)

    # -- validation and saving -------------------------------------------------------------

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        credit_pays = self._credit_usable() and self.use_credit.isChecked()
        self.money.validate(errors, required=not credit_pays)
        return errors

    def remote_check(self) -> Callable[[], Mapping[str, str]] | None:
        return self.money.remote_check()

    def remote_result(self, errors: Mapping[str, str]) -> None:
        self.money.remote_result(errors)

    def _save_failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.money.refused(error.errors)
        super()._save_failed(error)

    def data(self) -> money.PaymentInput:
        return self.money.payment_input(use_credit=self._credit_usable() and self.use_credit.isChecked())

    def work(self) -> Callable[[], Any]:
        client_id, data = self.client_id, self.data()
        sub = self.subscription()
        sub_id = sub.id if sub is not None else None
        return lambda: id_of(money.record_payment(client_id, data, subscription_id=sub_id))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, detail: ClientDetail,
            subscription_id: int | None = None) -> int | None:
        """The new payment's id (its receipt offered at once), or None if the user cancelled."""
        payment_id = cls.run(cls(ctx, detail, subscription_id, parent))
        if payment_id is not None:
            from ispclient.ui.dialogs.receipt_dialog import ReceiptDialog

            ReceiptDialog.ask(parent, ctx, payment_id, just_recorded=True)
        return payment_id
