"""Sell a package: package, start (today or a chosen date), end date as it will be, auto-renew,
and the payment taken now. Renewals start when the current one ends.

Safe defaults at the counter: the package is the client's own (the one being renewed, else their
current or last one; none for a new client — the cashier picks), the amount received starts
empty (empty = unpaid), and the client's credit, if any, is offered to pay it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain import ledger
from ispclient.domain import subscriptions as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money
from ispclient.store import id_of, receipts
from ispclient.store import subscriptions as service
from ispclient.store.queries import ClientDetail, PackageInfo, SubscriptionView
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.dialogs.money_fields import MoneyFields
from ispclient.ui.widgets import NoticeBox
from ispclient.ui.widgets.formatting import day, plural


def package_text(pkg: PackageInfo, currency: str) -> str:
    return f"{pkg.name} — {format_money(pkg.price_minor, currency)} / {plural(pkg.validity_days, 'day')}"


class SubscriptionDialog(FormDialog):
    save_text = "&Create subscription"

    def __init__(self, ctx: AppContext, detail: ClientDetail, renew_from: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Renew subscription" if renew_from else "Create subscription", parent)
        if renew_from:
            self.save_button.setText("&Renew")
        self.ctx = ctx
        self.client_id = detail.client.id
        self.detail = detail
        self.renew_from = renew_from
        self.today = ctx.today()
        self.currency = ctx.settings().currency
        self.setMinimumWidth(540)
        self.setWindowTitle(f"{self.windowTitle()} — {detail.client.label}")
        self._existing = detail.subscriptions
        self.renewal_date = rules.renewal_start(detail.subscriptions, self.today)
        self.is_renewal = self.renewal_date > self.today

        self.renewal_note = NoticeBox(kind="info")
        self.renewal_note.setObjectName("renewal_note")
        self.outer.insertWidget(1, self.renewal_note)
        self.renewal_note.setVisible(self.is_renewal)
        if self.is_renewal:
            self.renewal_note.set_text(
                "", f"This is a renewal: starts on {day(self.renewal_date)} when the current one ends.")

        self.package = QComboBox()
        self.package_info = QLabel()
        self.package_info.setObjectName("package_info")
        self.package_info.setWordWrap(True)
        self.start_today = QRadioButton("&Today")
        self.start_on = QRadioButton("O&n")
        self.start_group = QButtonGroup(self)
        self.start_group.addButton(self.start_today)
        self.start_group.addButton(self.start_on)
        self.start_date = QDateEdit()
        self.start_date.setCalendarPopup(True)
        self.start_date.setDisplayFormat("dd MMM yyyy")
        start_box = QWidget()
        start_row = QHBoxLayout(start_box)
        start_row.setContentsMargins(0, 0, 0, 0)
        start_row.addWidget(self.start_today)
        start_row.addWidget(self.start_on)
        start_row.addWidget(self.start_date)
        start_row.addStretch(1)
        self.end_label = QLabel()
        self.end_label.setObjectName("end_date")
        self.end_label.setWordWrap(True)
        self.auto_renew = QCheckBox("Renew &automatically when it ends")
        self.credit_available = max(0, detail.credit_minor)
        self.use_credit = QCheckBox(f"Use cr&edit: {format_money(self.credit_available, self.currency)} available")
        self.use_credit.setToolTip("The client's credit pays what the cash leaves due.")
        self.use_credit.setObjectName("use_credit")
        self.use_credit.setChecked(self.credit_available > 0)
        self.due_now = QLabel()
        self.due_now.setObjectName("due_now")
        self.due_now.setWordWrap(True)

        f = self.fields
        package_box = QWidget()
        package_rows = QVBoxLayout(package_box)
        package_rows.setContentsMargins(0, 0, 0, 0)
        package_rows.setSpacing(2)
        package_rows.addWidget(self.package)
        package_rows.addWidget(self.package_info)
        f.add("package", "&Package:", package_box, aliases=("package_id",), buddy=self.package)
        f.watch(self.package, "package")
        f.add("start", "&Start:", start_box, aliases=("end",), buddy=self.start_today)
        f.add("end_date", "End date:", self.end_label)
        f.add("auto_renew", "", self.auto_renew,
              hint="The next subscription starts on the end date, same package, unpaid until paid.")
        f.add("use_credit", "", self.use_credit)
        self.money = MoneyFields(f, self.currency, self._update_money,
                                 amount_label=f"Amo&unt paid now ({self.currency}):", reference_label="Re&ference:",
                                 with_note=False)
        self.money.amount.setPlaceholderText("Empty: not paid yet — type what was taken")
        f.add("due_now", "", self.due_now)
        f.set_row_visible("use_credit", self.credit_available > 0)
        for w in (self.start_today, self.start_on, self.start_date):
            f.watch(w, "start")
        self.start_today.toggled.connect(self._update)
        self.start_date.dateChanged.connect(self._update)
        self.package.currentIndexChanged.connect(self._package_changed)
        self.use_credit.toggled.connect(lambda _on: self._update_money())
        self._packages: dict[int, PackageInfo] = {}

        self._fill()
        self.finish_layout()
        if not self._packages:  # say so at once rather than leave Save greyed out unexplained
            self.fields.touch_all()
            self.fields.validate_now()
        self.package.setFocus()

    # -- filling -------------------------------------------------------------------------

    def _fill(self) -> None:
        active = self.ctx.catalog().on_sale()  # by price, never as text
        old = None
        if self.renew_from:
            old = next((s for s in self._existing if s.id == self.renew_from), None)
        self._packages = {p.id: p for p in active}
        for pkg in active:
            self.package.addItem(package_text(pkg, self.currency), pkg.id)
            self.package.setItemData(self.package.count() - 1, pkg.description or None,
                                     Qt.ItemDataRole.ToolTipRole)
        self.package.setPlaceholderText("Choose a package…")
        own = old or own_package_subscription(self._existing, self.today)
        self.package.setCurrentIndex(self.package.findData(own.package_id) if own is not None else -1)
        if own is not None and self.package.currentIndex() < 0:
            self.package_info.setText(f"“{own.package_name}” is no longer sold: choose another package.")
        if old is not None:
            self.auto_renew.setChecked(old.auto_renew)
        qstart = QDate(self.renewal_date.year, self.renewal_date.month, self.renewal_date.day)
        self.start_date.setDate(qstart)
        if self.is_renewal:
            self.start_on.setChecked(True)
        else:
            self.start_today.setChecked(True)
        if self.renew_from:  # a renewal always starts where the running one ends
            for w in (self.start_today, self.start_on, self.start_date):
                w.setEnabled(False)
        self._package_changed()

    def selected_package(self) -> PackageInfo | None:
        return self._packages.get(self.package.currentData())

    def start(self) -> date:
        if self.start_today.isChecked():
            return self.today
        picked = self.start_date.date().toPython()
        assert isinstance(picked, date)
        return picked

    @property
    def amount(self) -> QLineEdit:
        return self.money.amount

    @property
    def method(self) -> QComboBox:
        return self.money.method

    # -- live updates --------------------------------------------------------------------

    def _package_changed(self) -> None:
        pkg = self.selected_package()
        info = self.package_info.text() if pkg is None else ""
        if pkg is not None:
            info = f"{format_money(pkg.price_minor, self.currency)} for {plural(pkg.validity_days, 'day')}"
            if pkg.description:
                info += f" · {pkg.description}"
        self.package_info.setText(info)
        self.package_info.setVisible(bool(info))
        self._update()
        self._update_money()

    def _credit_used(self) -> bool:
        return self.credit_available > 0 and self.use_credit.isChecked()

    def _update_money(self) -> None:
        """What is due now and where the money goes, as the cashier types."""
        if not hasattr(self, "money"):
            return  # still building the form
        pkg = self.selected_package()
        if pkg is None:
            self.due_now.setText("")
            return
        cur = self.currency
        split = ledger.split_payment(self.money.cash_minor(), pkg.price_minor, self.credit_available,
                                     self._credit_used())
        parts = [f"Price {format_money(pkg.price_minor, cur)}."]
        if split.credit_used:
            parts.append(f"{format_money(split.credit_used, cur)} paid from credit.")
        left = pkg.price_minor - split.on_subscription
        if left > 0:
            parts.append(f"<b>{format_money(left, cur)}</b> will be due.")
        else:
            parts.append("Paid in full.")
        if split.to_credit:
            # As the store does (money.take_payment): what is beyond the price pays the client's
            # owed subscriptions first, oldest first; only the rest becomes credit.
            owing = self.detail.owing()
            shares, _left = ledger.allocate(ledger.spreadable(split.to_credit, self.detail.credit_minor),
                                            [(s.id, s.balance_minor) for s in owing])
            paid_off = sum(share for _sid, share in shares)
            if paid_off:
                n = len(shares)
                parts.append(f"<b>{format_money(paid_off, cur)}</b> beyond the price pays {n} owed subscription"
                             f"{'s' if n > 1 else ''} (from {day(owing[0].starts_on)}).")
            kept = split.to_credit - paid_off
            if kept and paid_off:
                parts.append(f"<b>{format_money(kept, cur)}</b> left over goes to the client's credit.")
            elif kept:
                parts.append(f"<b>{format_money(kept, cur)}</b> beyond the price goes to the client's credit.")
        self.due_now.setText(" ".join(parts))

    def _update(self) -> None:
        self.start_date.setEnabled(self.start_on.isChecked() and not self.renew_from)
        pkg = self.selected_package()
        if pkg is None:
            self.end_label.setText("—")
            return
        end = rules.end_date(self.start(), pkg.validity_days)
        self.end_label.setText(f"{day(end)} — service stops at 00:00 that day "
                               f"({plural(pkg.validity_days, 'day')} from {day(self.start())})")

    # -- validation and saving -------------------------------------------------------------

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        pkg = self.selected_package()
        if pkg is None:
            errors["package"] = "Choose a package." if self._packages else \
                "No package is on sale. Add one in Packages first."
        else:
            start = self.start()
            try:
                rules.check_no_overlap(start, rules.end_date(start, pkg.validity_days), self._existing,
                                       self.today)
            except ValidationError as e:
                errors.update(e.errors)
        self.money.validate(errors, required=False)
        return errors

    def remote_check(self) -> Callable[[], Mapping[str, str]] | None:
        return self.money.remote_check()

    def remote_result(self, errors: Mapping[str, str]) -> None:
        self.money.remote_result(errors)

    def _save_failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.money.refused(error.errors)
        super()._save_failed(error)

    def payment(self) -> service.PaymentInput | None:
        """The money taken now; None when nothing was taken and no credit is used (unpaid)."""
        if not self.money.amount.text().strip() and not self._credit_used():
            return None
        return self.money.payment_input(use_credit=self._credit_used())

    def work(self) -> Callable[[], Any]:
        pkg = self.selected_package()
        assert pkg is not None
        auto, payment, package_id = self.auto_renew.isChecked(), self.payment(), pkg.id
        if self.renew_from:
            renew_from = self.renew_from
            return lambda: id_of(service.renew_subscription(renew_from, package_id=package_id, auto_renew=auto,
                                                      payment=payment))
        client_id, start = self.client_id, self.start()
        return lambda: id_of(service.create_subscription(client_id, package_id, start, auto_renew=auto,
                                                   payment=payment))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, detail: ClientDetail,
            renew_from: int | None = None) -> int | None:
        """The new subscription's id, or None if the user cancelled. When money was taken, its
        receipt is offered at once."""
        dialog = cls(ctx, detail, renew_from, parent)
        took_money = False

        def saved() -> None:
            nonlocal took_money
            took_money = dialog.payment() is not None

        dialog.accepted.connect(saved)
        sub_id = cls.run(dialog)
        if sub_id is not None and took_money:
            from ispclient.ui.dialogs.receipt_dialog import ReceiptDialog

            ops.Op(parent, lambda: receipts.receipt_of_sale(sub_id), key="sale-receipt") \
                .on_success(lambda pid: ReceiptDialog.ask(parent, ctx, pid, just_recorded=True) if pid else None).run()
        return sub_id


def own_package_subscription(subs: Sequence[SubscriptionView], today: date) -> SubscriptionView | None:
    """The subscription whose package is the client's own: the one that describes them today
    (current, next or last), else the last one sold even if cancelled; None for a new client."""
    head = rules.headline(subs, today)
    if head is not None:
        return head
    return max(subs, key=lambda s: (s.starts_on, s.id), default=None)
