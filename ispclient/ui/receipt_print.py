"""Receipts on paper and as PDF, through Qt's own text and print stack: the receipt is a
QTextDocument (HTML), printed by ``QTextDocument.print_`` onto a QPrinter (the print dialog, the
preview) or a QPdfWriter (Save PDF). No page is drawn by hand.

Layouts (a setting, ``receipt_layout``): A4 and A5 sheets, and 80 mm / 58 mm thermal rolls. A roll's
page is as long as the receipt: the document is laid out on the device first and the page height
set from it, so a roll printer never feeds a blank half metre.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QWidget

from ispclient.domain.ledger import EntryKind
from ispclient.domain.money import format_money
from ispclient.store.receipts import Receipt
from ispclient.ui.widgets.formatting import day, local_time

log = logging.getLogger(__name__)

LOGO_URL = QUrl("receipt://logo.png")


@dataclass(frozen=True)
class Layout:
    key: str
    label: str
    width_mm: float
    height_mm: float | None  # None: a roll, as long as the receipt
    margin_mm: float
    font_pt: float
    logo_mm: float  # the logo's width on paper
    body_pct: int = 100  # a sheet's receipt keeps to the middle, not spread over 18 cm

    @property
    def roll(self) -> bool:
        return self.height_mm is None


LAYOUTS = {
    "a4": Layout("a4", "A4 sheet", 210, 297, 15, 11, 40, 65),
    "a5": Layout("a5", "A5 sheet", 148, 210, 12, 10, 32, 85),
    "80mm": Layout("80mm", "80 mm roll", 80, None, 4, 8.5, 40),
    "58mm": Layout("58mm", "58 mm roll", 58, None, 3, 7.5, 30),
}
LAYOUT_LABELS = {key: layout.label for key, layout in LAYOUTS.items()}


def layout_of(key: str) -> Layout:
    return LAYOUTS.get(key, LAYOUTS["80mm"])


# -- the document ----------------------------------------------------------------------------

TITLES = {EntryKind.PAYMENT: "RECEIPT", EntryKind.REFUND: "REFUND", EntryKind.TRANSFER: "CREDIT NOTE"}


def _e(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _row(label: str, value: str, *, strong: bool = False, indent: int = 0) -> str:
    weight = " style='font-weight:bold'" if strong else ""
    text = _e(label)
    if indent:  # a block margin, so that a label wrapping on a narrow roll stays indented
        text = f"<div style='margin-left:{indent}em'>{text}</div>"
    return f"<tr><td>{text}</td><td align='right'{weight}>{_e(value)}</td></tr>"


def _rows(r: Receipt) -> list[str]:
    """The money lines, in the order a customer reads them."""
    def money(minor: int) -> str:
        return format_money(minor, r.currency)

    rows: list[str] = []
    if r.kind is EntryKind.PAYMENT:
        rows.append(_row("Amount received", money(r.amount_minor), strong=True))
        if r.package_name and r.credit_minor > 0:
            # Named when the money also paid other subscriptions (the Package and Period above say which one).
            label = f"for {r.package_name} {_period(r.starts_on, r.ends_on)}" if r.applied else "for the subscription"
            rows.append(_row(label, money(r.on_subscription), indent=1))
            if r.applied:
                rows.append(_row("for earlier subscriptions" if all(a.starts_on <= (r.starts_on or a.starts_on)
                                                                    for a in r.applied)
                                 else "for other subscriptions owed", "", indent=1))
            for a in r.applied:
                rows.append(_row(f"{a.package_name} {_period(a.starts_on, a.ends_on)}", money(a.amount_minor),
                                 indent=2))
            if r.kept_as_credit:
                rows.append(_row("kept as credit", money(r.kept_as_credit), indent=1))
        elif not r.package_name:
            rows.append(_row("kept as credit", money(r.credit_minor), indent=1))
        if r.credit_minor < 0:
            rows.append(_row("Credit used", money(-r.credit_minor)))
            rows.append(_row("Total paid", money(r.on_subscription), strong=True))
    elif r.kind is EntryKind.REFUND:
        rows.append(_row("Amount given back", money(-r.amount_minor), strong=True))
        rows.append(_row("From", "the subscription" if r.package_name else "the client's credit"))
    else:
        if r.credit_minor >= 0:
            rows.append(_row("Moved to credit", money(r.credit_minor), strong=True))
        else:
            rows.append(_row("Paid from credit", money(-r.credit_minor), strong=True))
    if r.kind is not EntryKind.TRANSFER:
        rows.append(_row("Method", r.method))
    if r.reference:
        rows.append(_row("Reference", r.reference))
    change = r.change_minor
    if r.tendered_minor is not None and change is not None:
        rows.append(_row("Cash tendered", money(r.tendered_minor)))
        rows.append(_row("Change", money(change)))
    return rows


def _period(start: date | None, end: date | None) -> str:
    # Non-breaking: on a narrow roll the period wraps whole, never "03 May – 02 / Jun".
    return f"{start:%d %b} – {end:%d %b}".replace(" ", "\u00a0").replace("–", "\u2060–\u2060") if start and end else ""


def _balance_text(r: Receipt) -> str:
    b = r.balance_after_minor
    if b is None:
        return "—"
    if b > 0:
        return f"{format_money(b, r.currency)} owed"
    if b < 0:
        return f"{format_money(-b, r.currency)} in credit"
    return f"{format_money(0, r.currency)} — nothing owed"


def _balance_label(r: Receipt) -> str:
    # A voided payment no longer counts: the balance it printed was the client's then, not now.
    return "Balance when taken" if r.is_void else "Balance after this"


def receipt_html(r: Receipt, layout: Layout) -> str:
    isp = r.isp
    head: list[str] = []
    if isp.logo_png:
        head.append(f"<img src='{LOGO_URL.toString()}' width='{_mm_px(layout.logo_mm)}'>")
    head.append(f"<div style='font-size:{layout.font_pt * 1.35:.1f}pt; font-weight:bold'>"
                f"{_e(isp.name or 'Receipt')}</div>")
    details = [isp.address, f"Tel: {isp.phone}" if isp.phone else "",
               f"Tax no.: {isp.tax_number}" if isp.tax_number else ""]
    head.append(_e("\n".join(d for d in details if d)))
    void = ""
    if r.is_void:
        when = local_time(r.voided_at, r.timezone)
        void = (f"<p align='center' style='font-size:{layout.font_pt * 2.4:.1f}pt; font-weight:bold; "
                f"color:#b00020'>VOID</p><p align='center'>Voided {_e(when)} by {_e(r.voided_by or 'unknown')} "
                f"(receipt {_e(r.void_number)}): {_e(r.void_reason)}</p>")
    who = [_row("No.", r.number, strong=True), _row("Date", local_time(r.issued_at, r.timezone)),
           _row("Served by", r.taken_by or "—")]
    client = [_row("Client", r.client_name), _row("Client ID", r.client_code)]
    if r.pppoe_username:
        client.append(_row("PPPoE", r.pppoe_username))
    if r.package_name:
        client.append(_row("Package", r.package_name))
        client.append(_row("Period", f"{day(r.starts_on)} – {day(r.ends_on)}"))
    else:
        client.append(_row("For", "Client credit"))
    note = f"<p>{_e(r.note)}</p>" if r.note else ""
    footer = f"<p align='center'>{_e(isp.footer)}</p>" if isp.footer else ""
    rule = "<hr>"
    table = "<table width='100%' cellspacing='0' cellpadding='1'>{}</table>"
    body = (
        f"<div align='center'>{'<br>'.join(head)}</div>{rule}"
        f"<p align='center' style='font-size:{layout.font_pt * 1.5:.1f}pt; font-weight:bold'>{TITLES[r.kind]}</p>"
        f"{void}{table.format(''.join(who))}{rule}{table.format(''.join(client))}{rule}"
        f"{table.format(''.join(_rows(r)))}{rule}"
        f"{table.format(_row(_balance_label(r), _balance_text(r), strong=True))}"
        f"{note}{rule}{footer}"
    )
    if layout.body_pct == 100:
        return body
    return (f"<table width='{layout.body_pct}%' align='center' cellspacing='0' cellpadding='0'>"
            f"<tr><td>{body}</td></tr></table>")


def _screen_dpi() -> float:
    screen = QGuiApplication.primaryScreen()
    return float(screen.logicalDotsPerInchY()) if screen is not None else 96.0


def _mm_px(mm: float) -> int:
    """Millimetres in the document's own units (the screen's logical pixels, which Qt scales to
    the device it prints on)."""
    return round(mm / 25.4 * _screen_dpi())


def document(r: Receipt, layout: Layout) -> QTextDocument:
    doc = QTextDocument()
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(layout.font_pt)
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setDefaultStyleSheet("td { padding: 1px 0; } hr { height: 1px; }")
    if r.isp.logo_png:
        image = QImage.fromData(r.isp.logo_png)
        if not image.isNull():
            doc.addResource(QTextDocument.ResourceType.ImageResource, LOGO_URL, image)
    doc.setHtml(receipt_html(r, layout))
    doc.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, f"Receipt {r.number}")
    return doc


def text_of(r: Receipt, layout: Layout) -> str:
    """What the receipt says, as plain text (the preview's check, tests)."""
    return document(r, layout).toPlainText()


# -- onto a device ---------------------------------------------------------------------------
# The document is laid out once, in the screen's logical pixels, page by page (a "paginated"
# document): QTextDocument.print_ then only scales it onto the device, so the PDF, the printer and
# the picture all show the same lines. (A document without pages would get print_'s own 2 cm
# margins and page numbers — on an 80 mm roll that leaves 32 mm for the text.)

def _px(mm: float) -> float:
    return mm / 25.4 * _screen_dpi()


def paged_document(r: Receipt, layout: Layout) -> tuple[QTextDocument, QSizeF]:
    """The document laid out for its paper, and the paper's size in millimetres: the sheet, or
    the roll's width by the receipt's length (with room to spare, never a second page)."""
    doc = document(r, layout)
    width = _px(layout.width_mm - 2 * layout.margin_mm)
    if layout.height_mm is None:
        doc.setTextWidth(width)
        height_mm = round(float(doc.size().height()) / _screen_dpi() * 25.4 * 1.03 + 2 * layout.margin_mm + 4)
    else:
        height_mm = round(layout.height_mm)
    doc.setPageSize(QSizeF(width, _px(height_mm - 2 * layout.margin_mm)))
    return doc, QSizeF(layout.width_mm, height_mm)


def page_size(r: Receipt, layout: Layout) -> QSizeF:
    return paged_document(r, layout)[1]


def setup(device: QPagedPaintDevice, size: QSizeF, layout: Layout) -> None:
    if layout.roll:
        page = QPageSize(size, QPageSize.Unit.Millimeter, layout.label, QPageSize.SizeMatchPolicy.ExactMatch)
    else:
        page = QPageSize(QPageSize.PageSizeId.A4 if layout.key == "a4" else QPageSize.PageSizeId.A5)
    m = layout.margin_mm
    device.setPageLayout(QPageLayout(page, QPageLayout.Orientation.Portrait, QMarginsF(m, m, m, m),
                                     QPageLayout.Unit.Millimeter))


def render(device: QPagedPaintDevice, r: Receipt, layout: Layout) -> QTextDocument:
    """Print the receipt on ``device`` (a printer or a PDF writer); the document printed is
    returned (the preview keeps what it said)."""
    doc, size = paged_document(r, layout)
    setup(device, size, layout)
    doc.print_(device)
    return doc


def save_pdf(r: Receipt, layout: Layout, path: Path) -> None:
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setTitle(f"Receipt {r.number}")
    writer.setCreator("ispclient")
    render(writer, r, layout)


def render_image(r: Receipt, layout: Layout, dpi: int = 203) -> QImage:
    """The receipt as a picture of its paper at ``dpi`` (203: a thermal printer's), laid out as
    the printer gets it: for a quick look, and the tests."""
    doc, size = paged_document(r, layout)
    image = QImage(round(size.width() / 25.4 * dpi), round(size.height() / 25.4 * dpi), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    scale = dpi / _screen_dpi()
    painter.scale(scale, scale)
    painter.translate(_px(layout.margin_mm), _px(layout.margin_mm))
    doc.drawContents(painter)
    painter.end()
    return image


# -- the dialogs -----------------------------------------------------------------------------

def _printer(r: Receipt, layout: Layout) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(f"Receipt {r.number}")
    setup(printer, page_size(r, layout), layout)
    return printer


def ask_printer(parent: QWidget | None, printer: QPrinter) -> bool:
    """The Qt print dialog (tests patch this: a real one waits for a click)."""
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print receipt")
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


def print_receipt(parent: QWidget | None, r: Receipt, layout: Layout) -> bool:
    """Through the print dialog; True if it was sent to a printer."""
    printer = _printer(r, layout)
    if not ask_printer(parent, printer):
        return False
    render(printer, r, layout)
    return True


class ReceiptPreview(QPrintPreviewDialog):
    """The print preview; keeps the document it last showed (``shown_text``), and prints from
    its own Print button."""

    def __init__(self, r: Receipt, layout: Layout, parent: QWidget | None = None) -> None:
        self.paper = _printer(r, layout)
        super().__init__(self.paper, parent)
        self.setWindowTitle(f"Receipt {r.number} — preview")
        self.receipt = r
        self.layout_used = layout
        self.shown_text = ""
        self.paintRequested.connect(self._paint)

    def _paint(self, printer: QPrinter) -> None:
        self.shown_text = render(printer, self.receipt, self.layout_used).toPlainText()


def preview(parent: QWidget | None, r: Receipt, layout: Layout) -> ReceiptPreview:
    """Open the print preview (window-modal, not blocking) and return it."""
    dialog = ReceiptPreview(r, layout, parent)
    dialog.resize(520, 720)
    dialog.open()
    return dialog
