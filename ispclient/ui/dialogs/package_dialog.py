"""Add or edit a package: name, description, price, validity, the PPP profile it maps to, active."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

from ispclient.domain import subscriptions as rules
from ispclient.domain import validation
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_amount, parse_amount
from ispclient.store import catalog, id_of
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog


class PackageDialog(FormDialog):
    def __init__(self, ctx: AppContext, package_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit package" if package_id else "Add package", parent)
        self.ctx = ctx
        self.package_id = package_id
        self.currency = ctx.settings().currency
        self.setMinimumWidth(500)

        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Home 10 Mbps")
        self.description = QPlainTextEdit()
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.price = QLineEdit()
        self.validity = QSpinBox()
        self.validity.setRange(1, rules.MAX_VALIDITY_DAYS)
        self.validity.setValue(30)
        self.validity.setSuffix(" days")
        self.ppp_profile = QLineEdit("default")
        self.active = QCheckBox("&On sale (inactive packages keep their history but can't be sold)")
        self.active.setChecked(True)

        f = self.fields
        f.add("name", "&Name:", self.name)
        f.add("description", "&Description:", self.description)
        f.add("price", f"&Price ({self.currency}):", self.price, aliases=("amount",))
        f.add("validity_days", "&Validity:", self.validity,
              hint="A 30-day package sold on 1 January ends on 31 January (no service from that day).")
        f.add("ppp_profile", "PPP p&rofile:", self.ppp_profile,
              hint="The RouterOS PPP profile (bandwidth) this package maps to.")
        f.add("active", "", self.active)
        self._fill()
        self.finish_layout()
        self.name.setFocus()

    def _fill(self) -> None:
        if not self.package_id:
            return
        pkg = self.ctx.catalog().package(self.package_id)
        if pkg is None:  # removed meanwhile: the form stays empty, Save creates it anew
            return
        self.name.setText(pkg.name)
        self.description.setPlainText(pkg.description)
        self.price.setText(format_amount(pkg.price_minor, self.currency))
        self.validity.setValue(pkg.validity_days)
        self.ppp_profile.setText(pkg.ppp_profile)
        self.active.setChecked(pkg.active)

    def data(self) -> catalog.PackageInput:
        return catalog.PackageInput(
            name=self.name.text(), price=self.price.text(), validity_days=self.validity.value(),
            ppp_profile=self.ppp_profile.text(), description=self.description.toPlainText(),
            active=self.active.isChecked(),
        )

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        checks: tuple[tuple[str, Callable[[], object]], ...] = (
            ("name", lambda: validation.required_text(self.name.text(), "name", "package name")),
            ("price", lambda: parse_amount(self.price.text(), self.currency, allow_zero=True)),
            ("validity_days", lambda: rules.validate_validity(self.validity.value())),
            ("ppp_profile", lambda: validation.required_text(self.ppp_profile.text(), "ppp_profile",
                                                             "PPP profile")),
        )
        for field, check in checks:
            try:
                check()
            except ValidationError as e:
                errors[field] = next(iter(e.errors.values()))
        return errors

    def work(self) -> Callable[[], Any]:
        data, package_id = self.data(), self.package_id
        if package_id is None:
            return lambda: id_of(catalog.create_package(data))
        return lambda: id_of(catalog.edit_package(package_id, data))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, package_id: int | None = None) -> int | None:
        """The saved package's id, or None if the user cancelled."""
        return cls.run(cls(ctx, package_id, parent))
