"""The payment history: one row per ledger entry (payment, refund, move to or from credit), newest
first; a voided one stays, greyed and struck through, saying why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from ispclient.domain import ledger
from ispclient.domain.ledger import KIND_LABELS, OPENING, EntryKind
from ispclient.domain.money import format_money
from ispclient.store.queries import PaymentView
from ispclient.ui.widgets.formatting import local_time

_Index = QModelIndex | QPersistentModelIndex


class PaymentColumn(IntEnum):
    RECEIPT = 0
    WHEN = 1
    WHAT = 2
    AMOUNT = 3
    METHOD = 4
    REFERENCE = 5
    NOTE = 6
    TAKEN_BY = 7


PAYMENT_HEADERS = {
    PaymentColumn.RECEIPT: "Receipt",
    PaymentColumn.WHEN: "When",
    PaymentColumn.WHAT: "What",
    PaymentColumn.AMOUNT: "Amount",
    PaymentColumn.METHOD: "Method",
    PaymentColumn.REFERENCE: "Reference",
    PaymentColumn.NOTE: "Note",
    PaymentColumn.TAKEN_BY: "Taken by",
}
PAYMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
VOID_ROLE = Qt.ItemDataRole.UserRole + 2


def what_text(pay: PaymentView, currency: str, subscriptions: Mapping[int, str],
              parts: Sequence[PaymentView] = ()) -> str:
    """'Payment for Home 10 Mbps (05 Jan 2026)', '… + KES 500.00 to credit', 'Refund from credit'.
    ``parts``: the credit transfers that carried some of this payment to other owed subscriptions."""
    kind = EntryKind(pay.kind)
    target = subscriptions.get(pay.subscription_id, "a subscription") if pay.subscription_id is not None else ""
    if kind is EntryKind.PAYMENT:
        text = f"Payment for {target}" if target else "Paid in advance (credit)"
        live = [p for p in parts if pay.is_void or not p.is_void]  # a voided payment reads as it was
        spread = sum(-p.credit_minor for p in live)
        if target and spread:
            text += (f"; {format_money(spread, currency)} paid on {len(live)} other subscription"
                     f"{'s' if len(live) > 1 else ''}")
        if target and pay.credit_minor - spread > 0:
            text += f"; {format_money(pay.credit_minor - spread, currency)} to credit"
        elif pay.credit_minor < 0:
            text += f"; {format_money(-pay.credit_minor, currency)} of credit used"
        return text
    if kind is EntryKind.REFUND:
        return f"Refund from {target}" if target else "Refund from credit"
    if pay.method == OPENING and not target:  # brought in by an import (dataio/opening.py)
        return "Opening balance: owed before the move" if pay.credit_minor < 0 else \
            "Opening credit: paid ahead before the move"
    if ledger.is_applied_part(pay.kind, pay.reference, pay.note):
        return f"Paid on {target} from receipt {pay.reference}"
    if pay.credit_minor >= 0:
        return f"Moved to credit from {target}"
    return f"Credit used for {target}"


def amount_text(pay: PaymentView, currency: str) -> str:
    if pay.kind == EntryKind.TRANSFER.value:
        return format_money(abs(pay.credit_minor), currency)
    return format_money(pay.amount_minor, currency)


class PaymentsModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PaymentView] = []
        self._currency = "USD"
        self._tz = ""
        self._subscriptions: dict[int, str] = {}
        self._parts: dict[str, list[PaymentView]] = {}  # by the payment's receipt number

    def set_rows(self, rows: Sequence[PaymentView], currency: str, tz_name: str,
                 subscriptions: Mapping[int, str] | None = None) -> None:
        """``subscriptions``: what to call each subscription ("Home 10 Mbps (05 Jan 2026)")."""
        self.beginResetModel()
        self._rows = list(rows)
        self._currency = currency
        self._tz = tz_name
        self._subscriptions = dict(subscriptions or {})
        self._parts = {}
        for p in self._rows:
            if ledger.is_applied_part(p.kind, p.reference, p.note):
                self._parts.setdefault(p.reference, []).append(p)
        self.endResetModel()

    def row_at(self, row: int) -> PaymentView:
        return self._rows[row]

    def row_of(self, payment_id: int) -> int:
        return next((i for i, p in enumerate(self._rows) if p.id == payment_id), -1)

    def column_texts(self, col: PaymentColumn) -> list[str]:
        """What the column shows, row by row (to size it without the view asking every cell)."""
        return [self._display(pay, col) for pay in self._rows]

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
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(pay, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col is PaymentColumn.AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and pay.is_void and col is not PaymentColumn.NOTE:
            font = QFont(QApplication.font())
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and pay.is_void:
            return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == PAYMENT_ID_ROLE:
            return pay.id
        if role == VOID_ROLE:
            return pay.is_void
        return None

    def _display(self, pay: PaymentView, col: PaymentColumn) -> str:
        if col is PaymentColumn.RECEIPT:
            return pay.receipt_no
        if col is PaymentColumn.WHEN:
            return local_time(pay.paid_at, self._tz)
        if col is PaymentColumn.WHAT:
            return what_text(pay, self._currency, self._subscriptions, self._parts.get(pay.receipt_no, ()))
        if col is PaymentColumn.AMOUNT:
            return amount_text(pay, self._currency)
        if col is PaymentColumn.METHOD:
            return pay.method
        if col is PaymentColumn.REFERENCE:
            return pay.reference
        if col is PaymentColumn.NOTE:
            if pay.is_void:
                return f"VOID: {pay.void_reason}"
            return pay.note.splitlines()[0] if pay.note else ""
        return pay.taken_by

    def _tooltip(self, pay: PaymentView, col: PaymentColumn) -> str | None:
        if pay.is_void:
            return (f"Voided {local_time(pay.voided_at, self._tz)} by {pay.voided_by or 'unknown'} (receipt "
                    f"{pay.void_receipt_no}): {pay.void_reason}")
        if col is PaymentColumn.NOTE and pay.note:
            return pay.note
        if col is PaymentColumn.WHAT:
            return KIND_LABELS[EntryKind(pay.kind)]
        return None
