"""Receipts and the business details printed on them: the ISP's name, address, phone, tax number
and logo, the receipt number's prefix, the paper, and a closing line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from ispclient.domain import validation
from ispclient.domain.errors import ValidationError
from ispclient.store import receipts, settings
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.receipt_print import LAYOUT_LABELS

LOGO_MAX_WIDTH = 600  # pixels kept: sharp at 40 mm on a 300 dpi printer


def ask_logo_file(parent: QWidget | None) -> Path | None:
    """The image to use as logo (tests patch this: a real file dialog waits for a click)."""
    formats = " ".join(f"*.{bytes(f.data()).decode()}" for f in QImageReader.supportedImageFormats())
    name, _filter = QFileDialog.getOpenFileName(parent, "Choose the logo", "", f"Images ({formats})")
    return Path(name) if name else None


def logo_png(path: Path) -> bytes:
    """The image at ``path`` scaled down for receipts, as PNG; ValidationError if it isn't one."""
    image = QImage(str(path))
    if image.isNull():
        raise ValidationError.single("logo", f"{path.name} is not an image this program can read (use PNG or JPEG).")
    if image.width() > LOGO_MAX_WIDTH:
        image = image.scaledToWidth(LOGO_MAX_WIDTH, Qt.TransformationMode.SmoothTransformation)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 takes str
    return bytes(data.data())


class ReceiptSettingsDialog(FormDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Receipts and business details", parent)
        self.ctx = ctx
        self.old = ctx.settings()
        self.setMinimumWidth(560)
        self._logo: bytes | None = None
        self._logo_changed = False
        self._last_number: int | None = None

        self.isp_name = QLineEdit()
        self.isp_address = QPlainTextEdit()
        self.isp_address.setTabChangesFocus(True)
        self.isp_address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.isp_phone = QLineEdit()
        self.isp_tax = QLineEdit()
        self.prefix = QLineEdit()
        self.layout_box = QComboBox()
        for key, label in LAYOUT_LABELS.items():
            self.layout_box.addItem(label, key)
        self.footer = QLineEdit()
        self.logo_view = QLabel("No logo")
        self.logo_view.setObjectName("logo_view")
        self.logo_view.setMinimumHeight(48)
        choose = QPushButton("C&hoose…")
        self.remove_logo = QPushButton("Remo&ve")
        logo_box = QWidget()
        row = QHBoxLayout(logo_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.logo_view, 1)
        row.addWidget(choose)
        row.addWidget(self.remove_logo)
        self.next_number = QLabel("…")
        self.next_number.setObjectName("next_number")

        f = self.fields
        f.add("isp_name", "Business &name:", self.isp_name, hint="As printed at the top of every receipt.")
        f.add("isp_address", "&Address:", self.isp_address)
        f.add("isp_phone", "&Phone:", self.isp_phone)
        f.add("isp_tax_number", "&Tax number:", self.isp_tax, hint="e.g. the KRA PIN or VAT number, if any.")
        f.add("logo", "&Logo:", logo_box, buddy=choose)
        f.add("receipt_prefix", "Receipt &prefix:", self.prefix,
              hint="Receipt numbers continue from the last one whatever the prefix: never reused, never skipped.")
        f.add("next_number", "Next receipt:", self.next_number)
        f.add("receipt_layout", "Pape&r:", self.layout_box, hint="Thermal rolls print as long as the receipt.")
        f.add("receipt_footer", "&Closing line:", self.footer)
        choose.clicked.connect(self._choose_logo)
        self.remove_logo.clicked.connect(self._drop_logo)
        self.prefix.textChanged.connect(lambda _t: self._show_next())
        self._fill()
        self.finish_layout()
        ops.Op(self, lambda: (receipts.logo(), receipts.last_number()), key="load").on_success(self._loaded).run()

    def _fill(self) -> None:
        s = self.old
        self.isp_name.setText(s.isp_name)
        self.isp_address.setPlainText(s.isp_address)
        self.isp_phone.setText(validation.display_phone(s.isp_phone) if s.isp_phone else "")
        self.isp_tax.setText(s.isp_tax_number)
        self.prefix.setText(s.receipt_prefix)
        self.layout_box.setCurrentIndex(max(0, self.layout_box.findData(s.receipt_layout)))
        self.footer.setText(s.receipt_footer)

    def _loaded(self, loaded: tuple[bytes | None, int]) -> None:
        logo, last = loaded
        if not self._logo_changed:
            self._logo = logo
            self._show_logo()
        self._last_number = last
        self._show_next()

    def _show_next(self) -> None:
        if self._last_number is not None:
            self.next_number.setText(receipts.format_number(self.prefix.text().strip(), self._last_number + 1))

    def _show_logo(self) -> None:
        pixmap = QPixmap()
        if self._logo and pixmap.loadFromData(self._logo):
            self.logo_view.setPixmap(pixmap.scaledToHeight(48, Qt.TransformationMode.SmoothTransformation))
        else:
            self.logo_view.setText("No logo")
        self.remove_logo.setEnabled(self._logo is not None)

    def _choose_logo(self) -> None:
        path = ask_logo_file(self)
        if path is None:
            return
        try:
            self._logo = logo_png(path)
        except ValidationError as e:
            self.fields.show_server_errors(e.errors)
            return
        self._logo_changed = True
        self.fields.dirty = True
        self._show_logo()

    def _drop_logo(self) -> None:
        self._logo = None
        self._logo_changed = True
        self.fields.dirty = True
        self._show_logo()

    def data(self) -> settings.Settings:
        return replace(self.old, isp_name=self.isp_name.text(), isp_address=self.isp_address.toPlainText(),
                       isp_phone=self.isp_phone.text(), isp_tax_number=self.isp_tax.text(),
                       receipt_prefix=self.prefix.text(), receipt_layout=str(self.layout_box.currentData()),
                       receipt_footer=self.footer.text())

    def validate(self) -> Mapping[str, str]:
        try:
            settings.validate(self.data())
        except ValidationError as e:
            return e.errors
        return {}

    def work(self) -> Callable[[], Any]:
        new, old = self.data(), self.old
        logo, logo_changed = self._logo, self._logo_changed

        def save() -> int:
            settings.save(new, changed_from=old)
            if logo_changed:
                receipts.set_logo(logo)
            return 1

        return save

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext) -> bool:
        return cls.run(cls(ctx, parent)) is not None
