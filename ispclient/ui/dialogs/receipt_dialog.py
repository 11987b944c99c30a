"""A receipt: shown right after a payment is recorded (Enter prints it), and again from the
payment history to reprint it (a voided one prints "VOID"). Print, Save PDF and Preview each
take one key: Enter or P, S, V."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.ledger import EntryKind
from ispclient.domain.money import format_money
from ispclient.store import receipts
from ispclient.store.receipts import Receipt
from ispclient.ui import msgbox, ops, receipt_print
from ispclient.ui.context import AppContext
from ispclient.ui.help import install_f1
from ispclient.ui.receipt_print import LAYOUT_LABELS, ReceiptPreview

log = logging.getLogger(__name__)


def ask_save_path(parent: QWidget | None, suggested: Path) -> Path | None:
    """Where to save the PDF (tests patch this: a real file dialog waits for a click)."""
    name, _filter = QFileDialog.getSaveFileName(parent, "Save receipt as PDF", str(suggested), "PDF files (*.pdf)")
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")


def suggested_name(r: Receipt) -> str:
    """'Receipt R-000123 Amina Wanjiru.pdf', safe as a Windows file name."""
    text = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', "-", f"Receipt {r.number} {r.client_name}").strip(" .")
    return f"{text[:120]}.pdf"


def headline(r: Receipt) -> str:
    def money(minor: int) -> str:
        return format_money(minor, r.currency)

    if r.kind is EntryKind.PAYMENT:
        text = f"{money(r.amount_minor)} received from {r.client_name}."
        if r.change_minor:
            text += f" Change to give: {money(r.change_minor)}."
        if r.applied:
            n = len(r.applied)
            text += f" It also paid {n} other owed subscription{'s' if n > 1 else ''}."
    elif r.kind is EntryKind.REFUND:
        text = f"{money(-r.amount_minor)} given back to {r.client_name}."
    elif r.credit_minor >= 0:
        text = f"{money(r.credit_minor)} moved to {r.client_name}'s credit."
    else:
        text = f"{money(-r.credit_minor)} of {r.client_name}'s credit used."
    if r.is_void:
        text = f"VOID ({r.void_reason}) — {text}"
    return text


class ReceiptDialog(QDialog):
    def __init__(self, ctx: AppContext, payment_id: int, just_recorded: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.payment_id = payment_id
        self.receipt: Receipt | None = None
        self.last_preview: ReceiptPreview | None = None
        self.setWindowTitle("Payment recorded" if just_recorded else "Receipt")
        self.setMinimumWidth(460)

        self.title = QLabel("Loading the receipt…")
        self.title.setObjectName("receipt_title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setObjectName("receipt_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.status = QLabel()
        self.status.setObjectName("receipt_status")
        self.status.setWordWrap(True)
        self.paper = QComboBox()
        self.paper.setObjectName("paper")
        for key, label in LAYOUT_LABELS.items():
            self.paper.addItem(label, key)
        self.paper.setCurrentIndex(max(0, self.paper.findData(ctx.settings().receipt_layout)))
        paper_row = QFormLayout()
        paper_row.addRow("Pape&r:", self.paper)

        self.buttons = QDialogButtonBox()
        self.print_button = QPushButton("&Print…")
        self.pdf_button = QPushButton("&Save PDF…")
        self.preview_button = QPushButton("Pre&view…")
        for button in (self.print_button, self.pdf_button, self.preview_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        self.print_button.setDefault(True)  # Enter prints
        self.buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(self.print_receipt)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.preview_button.clicked.connect(self.preview)
        for key, slot in (("P", self.print_receipt), ("S", self.save_pdf), ("V", self.preview)):
            QShortcut(QKeySequence(key), self, slot)
        install_f1(self, "receipts")

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(paper_row)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._enable(False)
        self.reload()

    def reload(self) -> None:
        payment_id = self.payment_id
        ops.Op(self, lambda: receipts.receipt(payment_id), key="receipt").on_success(self._show).run()

    def _enable(self, on: bool) -> None:
        for button in (self.print_button, self.pdf_button, self.preview_button):
            button.setEnabled(on)

    def _show(self, r: Receipt) -> None:
        self.receipt = r
        kind = {EntryKind.PAYMENT: "Receipt", EntryKind.REFUND: "Refund", EntryKind.TRANSFER: "Credit note"}[r.kind]
        self.title.setText(f"{kind} {r.number}" + (" — VOID" if r.is_void else ""))
        self.text.setText(headline(r))
        self._enable(True)
        self.print_button.setFocus()

    def layout_chosen(self) -> receipt_print.Layout:
        return receipt_print.layout_of(str(self.paper.currentData()))

    # -- actions -------------------------------------------------------------------------------

    def print_receipt(self) -> None:
        if self.receipt is None:
            return
        if receipt_print.print_receipt(self, self.receipt, self.layout_chosen()):
            self.status.setText(f"Receipt {self.receipt.number} sent to the printer.")

    def save_pdf(self) -> None:
        r = self.receipt
        if r is None:
            return
        folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or Path.home())
        path = ask_save_path(self, folder / suggested_name(r))
        if path is None:
            return
        receipt_print.save_pdf(r, self.layout_chosen(), path)
        if not path.is_file() or path.stat().st_size == 0:  # QPdfWriter says nothing when it can't write
            msgbox.error(self, "Not saved", f"The receipt could not be written to {path}. Choose another folder "
                                            "(one you can write to, with free space).")
            return
        self.saved_path = path
        self.status.setText(f"Saved to {path}")

    def preview(self) -> None:
        if self.receipt is not None:
            self.last_preview = receipt_print.preview(self, self.receipt, self.layout_chosen())

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, payment_id: int,
            just_recorded: bool = False) -> ReceiptDialog:
        """Show the receipt (window-modal, not blocking: the money is already recorded) and
        return the dialog; it deletes itself when closed."""
        dialog = cls(ctx, payment_id, just_recorded, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
