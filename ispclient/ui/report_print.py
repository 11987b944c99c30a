"""A report on paper and as PDF, through the same stack as receipts and the cash-up: the report is
a QTextDocument (HTML, its chart an image resource), printed by ``QTextDocument.print_`` onto a
QPrinter or a QPdfWriter. Also the report's cells as text (the table) and as typed values (CSV and
XLSX through ``dataio.writers``)."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QWidget

from ispclient.dataio import writers
from ispclient.domain.money import format_money, minor_digits
from ispclient.store.reports import Report
from ispclient.ui.widgets.formatting import day

CHART_URL = QUrl("report://chart.png")


def cell_text(report: Report, column: int, value: Any) -> str:
    if value is None:
        return ""
    if column in report.money_columns and isinstance(value, int):
        return format_money(value, report.currency)
    if isinstance(value, date) and not isinstance(value, datetime):
        return day(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def cell_value(report: Report, column: int, value: Any) -> writers.Value:
    if column in report.money_columns and isinstance(value, int):
        return writers.Money(value, minor_digits(report.currency))
    return value  # type: ignore[no-any-return]


def export(report: Report, path: Path, fmt: str) -> int:
    """Write the report's table (and its totals line) as CSV or XLSX; the number of rows."""
    rows = [[cell_value(report, i, v) for i, v in enumerate(row)] for row in report.rows]
    if report.totals is not None:
        rows.append([cell_value(report, i, v) for i, v in enumerate(report.totals)])
    return writers.write_table(path, fmt, list(report.columns), rows, sheet_name=report.title[:31])


def range_text(report: Report) -> str:
    return day(report.first) if report.first == report.last else f"{day(report.first)} – {day(report.last)}"


def report_html(report: Report, isp_name: str = "", with_chart: bool = False) -> str:
    numeric = {i for i, v in enumerate(report.rows[0]) if isinstance(v, int)} if report.rows else set()
    head = "".join(f"<th align='{'right' if i in numeric else 'left'}'>{escape(c)}</th>"
                   for i, c in enumerate(report.columns))

    def line(row: tuple[Any, ...], strong: bool = False) -> str:
        cells = "".join(f"<td align='{'right' if i in numeric else 'left'}'>"
                        f"{'<b>' if strong else ''}{escape(cell_text(report, i, v))}{'</b>' if strong else ''}</td>"
                        for i, v in enumerate(row))
        return f"<tr>{cells}</tr>"

    empty = f"<tr><td colspan='{len(report.columns)}'>Nothing in this range.</td></tr>"
    body = "".join(line(r) for r in report.rows) or empty
    if report.totals is not None and report.rows:
        body += line(report.totals, strong=True)
    parts = ["<html><body style='font-family: sans-serif; font-size: 9pt'>"]
    if isp_name:
        parts.append(f"<p style='color:#555'>{escape(isp_name)}</p>")
    parts.append(f"<h2>{escape(report.title)}</h2><p>{escape(range_text(report))}</p>")
    if with_chart:
        parts.append(f"<p><img src='{CHART_URL.toString()}' width='640'></p>")
    parts.append("<table border='1' cellspacing='0' cellpadding='3' width='100%' style='border-collapse: collapse'>"
                 f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if report.note:
        parts.append(f"<p style='color:#555'>{escape(report.note)}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def document(html: str, chart: QImage | None = None) -> QTextDocument:
    doc = QTextDocument()
    if chart is not None:
        doc.addResource(QTextDocument.ResourceType.ImageResource, CHART_URL, chart)
    doc.setHtml(html)
    return doc


def save_pdf(html: str, path: Path, title: str, chart: QImage | None = None) -> Path:
    """A4 portrait, 15 mm margins (as the cash-up)."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(title)
    writer.setCreator("ispclient")
    document(html, chart).print_(writer)
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"The PDF could not be written to {path}.")
    return path


def print_html(parent: QWidget | None, html: str, title: str, chart: QImage | None = None) -> bool:
    """The system's print dialog; True when it was sent to a printer."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print: {title}")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    document(html, chart).print_(printer)
    return True
