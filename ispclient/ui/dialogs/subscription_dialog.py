"""Sell a package: package, start (today or a chosen date), end date as it will be, auto-renew,
and the payment taken now (empty amount = unpaid). Renewals start when the current one ends."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

from ispclient.domain import subscriptions as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_amount, format_money, parse_amount
from ispclient.store import id_of, settings
from ispclient.store import subscriptions as service
from ispclient.store.queries import ClientDetail, PackageInfo
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
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
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("Leave empty if the client has not paid yet")
        self.method = QComboBox()
        self.method.addItems(settings.PAYMENT_METHODS)

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
        f.add("amount", f"A&mount paid now ({self.currency}):", self.amount)
        f.add("method", "Payment &method:", self.method)
        for w in (self.start_today, self.start_on, self.start_date):
            f.watch(w, "start")
        self.start_today.toggled.connect(self._update)
        self.start_date.dateChanged.connect(self._update)
        self.package.currentIndexChanged.connect(self._package_changed)
        self.amount.textEdited.connect(self._amount_edited)
        self._amount_from_price = True
        self._packages: dict[int, PackageInfo] = {}

        self._fill()
        self.finish_layout()
        if not self._packages:  # say so at once rather than leave Save greyed out unexplained
            self.fields.touch_all()
            self.fields.validate_now()
        self.package.setFocus()

    # -- filling -------------------------------------------------------------------------

    def _fill(self) -> None:
        active = self.ctx.catalog().on_sale()
        old = None
        if self.renew_from:
            old = next((s for s in self._existing if s.id == self.renew_from), None)
        self._packages = {p.id: p for p in active}
        for pkg in active:
            self.package.addItem(package_text(pkg, self.currency), pkg.id)
            self.package.setItemData(self.package.count() - 1, pkg.description or None,
                                     Qt.ItemDataRole.ToolTipRole)
        if old is not None:
            index = self.package.findData(old.package_id)
            if index >= 0:
                self.package.setCurrentIndex(index)
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

    # -- live updates --------------------------------------------------------------------

    def _amount_edited(self, _text: str) -> None:
        self._amount_from_price = False

    def _package_changed(self) -> None:
        pkg = self.selected_package()
        if pkg is not None and self._amount_from_price:
            self.amount.setText(format_amount(pkg.price_minor, self.currency))
        info = ""
        if pkg is not None:
            info = f"{format_money(pkg.price_minor, self.currency)} for {plural(pkg.validity_days, 'day')}"
            if pkg.description:
                info += f" · {pkg.description}"
        self.package_info.setText(info)
        self.package_info.setVisible(bool(info))
        self._update()

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
            errors["package"] = "No package is on sale. Add one in Packages first."
        else:
            start = self.start()
            try:
                rules.check_no_overlap(start, rules.end_date(start, pkg.validity_days), self._existing,
                                       self.today)
            except ValidationError as e:
                errors.update(e.errors)
        if self.amount.text().strip():
            try:
                parse_amount(self.amount.text(), self.currency)
            except ValidationError as e:
                errors["amount"] = next(iter(e.errors.values()))
        return errors

    def payment(self) -> service.PaymentInput | None:
        text = self.amount.text().strip()
        return service.PaymentInput(amount=text, method=self.method.currentText()) if text else None

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
        """The new subscription's id, or None if the user cancelled."""
        return cls.run(cls(ctx, detail, renew_from, parent))
