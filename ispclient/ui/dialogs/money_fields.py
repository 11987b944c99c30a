"""The money taken at the counter, as rows of a form: amount (empty until the cashier types what
was taken), method, cash tendered with the change to give, the reference (a mobile-money or bank
reference already used on another payment is said before saving) and a note.

Used by Record payment and by the sale/renewal dialog, so both behave alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain import ledger
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money, parse_amount
from ispclient.store import money, settings
from ispclient.ui.dialogs.form import FieldForm

ANYWAY = "Record it an&yway: it is a different payment"


def amount_or_none(text: str, currency: str) -> int | None:
    try:
        return parse_amount(text, currency)
    except ValidationError:
        return None


class MoneyFields:
    """Adds the rows to ``form``; ``changed`` is called when anything that moves the totals
    changes (the dialog redraws what goes where)."""

    def __init__(self, form: FieldForm, currency: str, changed: Callable[[], None], *, amount_label: str,
                 reference_label: str = "&Reference:", with_note: bool = True) -> None:
        self.form = form
        self.currency = currency
        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.method = QComboBox()
        self.method.setObjectName("method")
        self.method.addItems(settings.PAYMENT_METHODS)
        self.tendered = QLineEdit()
        self.tendered.setObjectName("tendered")
        self.tendered.setPlaceholderText("Cash handed over (optional)")
        self.change = QLabel()
        self.change.setObjectName("change")
        self.reference = QLineEdit()
        self.reference.setObjectName("reference")
        self.reference.setPlaceholderText("Mobile-money or bank transaction, cheque number… (optional)")
        self.anyway = QCheckBox(ANYWAY)
        self.anyway.setObjectName("duplicate_ok")
        self.anyway.hide()
        self.note: QPlainTextEdit | None = None

        form.add("amount", amount_label, self.amount)
        form.add("method", "Payment &method:", self.method)
        tendered_box = QWidget()
        row = QHBoxLayout(tendered_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.tendered, 1)
        row.addWidget(self.change, 1)
        form.add("tendered", "Cash ten&dered:", tendered_box, buddy=self.tendered)
        form.watch(self.tendered, "tendered")
        ref_box = QWidget()
        col = QVBoxLayout(ref_box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(self.reference)
        col.addWidget(self.anyway)
        form.add("reference", reference_label, ref_box, buddy=self.reference)
        form.watch(self.reference, "reference")
        form.watch(self.anyway, "reference")
        if with_note:
            self.note = QPlainTextEdit()
            self.note.setObjectName("note")
            self.note.setTabChangesFocus(True)
            self.note.setFixedHeight(self.note.fontMetrics().lineSpacing() * 3 + 14)
            form.add("note", "N&ote:", self.note, aliases=("notes",))
        for signal in (self.amount.textChanged, self.tendered.textChanged):
            signal.connect(lambda _t: self._update(changed))
        self.method.currentIndexChanged.connect(lambda _i: self._update(changed))
        self.reference.textChanged.connect(lambda _t: self.anyway.setChecked(False))
        self._update(changed)

    # -- state -------------------------------------------------------------------------------

    @property
    def is_cash(self) -> bool:
        return self.method.currentText() == ledger.CASH

    def cash_minor(self) -> int:
        """The amount typed, 0 when empty or not (yet) an amount."""
        return amount_or_none(self.amount.text(), self.currency) or 0

    def _update(self, changed: Callable[[], None]) -> None:
        cash = self.is_cash
        self.form.set_row_visible("tendered", cash)
        tendered = amount_or_none(self.tendered.text(), self.currency) if cash else None
        amount = self.cash_minor()
        if tendered is not None and amount and tendered >= amount:
            self.change.setText(f"Change: <b>{format_money(tendered - amount, self.currency)}</b>")
        else:
            self.change.setText("")
        changed()

    def validate(self, errors: dict[str, str], *, required: bool) -> None:
        """Problems of the money rows; ``required``: an amount must be typed (no credit pays)."""
        text = self.amount.text().strip()
        if text.startswith(("-", "−")):
            errors["amount"] = "A payment can't be negative. To give money back, record a refund."
        elif text or required:
            try:
                parse_amount(text, self.currency)
            except ValidationError as e:
                errors["amount"] = next(iter(e.errors.values()))
        if len(self.reference.text().strip()) > 100:
            errors["reference"] = "The reference is too long (at most 100 characters)."
        if self.is_cash and self.tendered.text().strip():
            try:
                tendered = parse_amount(self.tendered.text(), self.currency)
            except ValidationError as e:
                errors["tendered"] = next(iter(e.errors.values()))
            else:
                if tendered < self.cash_minor():
                    errors["tendered"] = "The cash handed over is less than the amount received."

    def payment_input(self, *, use_credit: bool = False) -> money.PaymentInput:
        note = self.note.toPlainText() if self.note is not None else ""
        return money.PaymentInput(amount=self.amount.text().strip(), method=self.method.currentText(),
                                  reference=self.reference.text(), note=note,
                                  tendered=self.tendered.text() if self.is_cash else "", use_credit=use_credit,
                                  duplicate_reference_ok=self.anyway.isChecked())

    # -- the duplicate reference ---------------------------------------------------------------

    def remote_check(self) -> Callable[[], Mapping[str, str]] | None:
        """The database's word on the reference, when it names a transfer that can't be paid twice."""
        reference = self.reference.text().strip()
        if not ledger.reference_is_unique(self.method.currentText(), reference) or self.anyway.isChecked():
            return None

        def check() -> Mapping[str, str]:
            found = money.duplicate_message(reference)
            return {"reference": found[0]} if found else {}

        return check

    def remote_result(self, errors: Mapping[str, str]) -> None:
        if "reference" in errors:
            self.anyway.show()

    def refused(self, errors: Mapping[str, str]) -> None:
        """A save refused: a duplicate found only then (another PC, a quick Save) offers the box too."""
        if "reference" in errors and "already on receipt" in errors["reference"]:
            self.anyway.show()
