"""The cash-up report of a shift: HTML for the screen, printed or saved as PDF through Qt's print
stack (QTextDocument with QPrinter / QPdfWriter) — the same stack receipts use."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QWidget

from ispclient.domain import shifts as rules
from ispclient.domain.clock import to_local
from ispclient.domain.dates import format_moment
from ispclient.domain.money import format_amount, format_money
from ispclient.store.shifts import ShiftReport
from ispclient.ui.widgets.formatting import local_time

# Qt's rich text takes cell spacing from the table's attributes, not from CSS padding.
_TABLE = "<table cellspacing='0' cellpadding='3' width='100%'>"
_TABLE_HALF = "<table cellspacing='0' cellpadding='3' width='60%'>"
_STYLE = """
body { font-family: sans-serif; font-size: 10pt; }
h1 { font-size: 15pt; margin: 0 0 2pt 0; }
h2 { font-size: 11pt; margin: 10pt 0 3pt 0; }
th { text-align: left; border-bottom: 1px solid #888; }
td.n, th.n { text-align: right; }
td.code, td.n { white-space: nowrap; }  /* an amount or a code never broken across lines */
tr.total td { border-top: 1px solid #888; font-weight: bold; }
.muted { color: #666; }
.short { color: #b3261e; font-weight: bold; }
.over { color: #8a5a00; font-weight: bold; }
"""


def cashup_html(report: ShiftReport, printed_by: str = "") -> str:
    s, up, cur, tz = report.shift, report.cash_up, report.currency, report.timezone

    def money(minor: int | None) -> str:
        return "—" if minor is None else escape(format_money(minor, cur))

    def amount(minor: int) -> str:  # in the tables, whose headings name the currency: "KES" in every
        return escape(format_amount(minor, cur))  # cell left names broken mid-word in a narrow pane

    state = (f"Closed {escape(local_time(s.closed_at, tz))} on {escape(s.closed_pc or '?')}"
             if s.closed_at else "Open — figures as they stand now")
    rows = "".join(
        f"<tr><td>{escape(m.method)}</td><td class='n'>{m.payment_count}</td><td class='n'>{amount(m.payments_minor)}"
        f"</td><td class='n'>{amount(m.refunds_minor) if m.refund_count else '—'}</td>"
        f"<td class='n'>{amount(m.voided_minor) if m.voided_count else '—'}</td>"
        f"<td class='n'><b>{amount(m.expected_minor)}</b></td></tr>" for m in up.methods)
    rows = rows or "<tr><td colspan='6' class='muted'>No money taken in this shift.</td></tr>"
    total = (f"<tr class='total'><td>Total</td><td></td><td></td><td></td><td></td>"
             f"<td class='n'>{amount(up.expected_total_minor)}</td></tr>")
    parts = [
        f"<style>{_STYLE}</style>",
        f"<h1>Cash-up — {escape(s.staff_name)}</h1>",
        (f"<p class='muted'>{escape(report.isp_name) + ' · ' if report.isp_name else ''}Shift {s.id}: opened "
         f"{escape(local_time(s.opened_at, tz))} on {escape(s.opened_pc or '?')}. {state}.</p>"),
        f"<h2>Expected per payment method ({escape(cur.upper())})</h2>",
        f"{_TABLE}<tr><th>Method</th><th class='n'>Payments</th><th class='n'>Taken</th><th class='n'>Refunded</th>"
        f"<th class='n'>Voided</th><th class='n'>Expected</th></tr>{rows}{total}</table>",
        f"<h2>Cash in the drawer</h2>{_TABLE_HALF}",
        f"<tr><td>Opening float</td><td class='n'>{money(up.opening_float_minor)}</td></tr>",
        f"<tr><td>Cash taken less cash refunded</td>"
        f"<td class='n'>{money(up.method(rules.CASH).expected_minor)}</td></tr>",
        f"<tr class='total'><td>Expected in the drawer</td><td class='n'>{money(up.expected_cash_minor)}</td></tr>",
    ]
    if s.counted_cash_minor is not None and s.difference_minor is not None:
        diff = s.difference_minor
        css = "" if diff == 0 else ("short" if diff < 0 else "over")
        parts += [f"<tr><td>Counted</td><td class='n'>{money(s.counted_cash_minor)}</td></tr>",
                  f"<tr><td>Difference</td><td class='n {css}'>"
                  f"{escape(rules.describe_difference(diff, format_money(abs(diff), cur)))}</td></tr>"]
    parts.append("</table>")
    if s.note:
        parts.append(f"<p><b>Note:</b> {escape(s.note)}</p>")
    if up.voided:
        voids = "".join(f"<tr><td>{escape(local_time(e.at, tz))}</td><td>{escape(e.client)}</td>"
                        f"<td>{escape(e.method)}</td><td class='n'>{amount(abs(e.amount_minor))}</td>"
                        f"<td>{escape(e.void_reason)}</td></tr>" for e in up.voided)
        parts.append(f"<h2>Voided (not in the totals, {escape(cur.upper())})</h2>{_TABLE}"
                     f"<tr><th>When</th><th>Client</th><th>Method</th>"
                     f"<th class='n'>Amount</th><th>Reason</th></tr>{voids}</table>")
    # The time alone on the shift's own day (the date only for an entry on another), and a
    # receipt number or reference never broken inside: the report is read in a narrow pane.
    shift_day = to_local(s.opened_at, tz).date()
    entries = "".join(
        f"<tr><td>{escape(format_moment(e.at, tz, shift_day))}</td><td>{escape(e.client)}</td>"
        f"<td>{escape(e.method)}</td><td class='code'>{escape(e.receipt)}</td>"
        f"<td class='code'>{escape(e.reference)}</td><td class='n'>{amount(e.amount_minor)}</td></tr>"
        for e in report.entries if not e.voided)
    if entries:
        parts.append(f"<h2>Money taken ({escape(cur.upper())})</h2>{_TABLE}"
                     f"<tr><th>When</th><th>Client</th><th>Method</th><th>Receipt</th>"
                     f"<th>Reference</th><th class='n'>Amount</th></tr>{entries}</table>")
    if s.closed_at:
        parts.append("<p class='muted'>A closed shift does not change: corrections are new entries in an open shift."
                     "</p>")
    if printed_by:
        parts.append(f"<p class='muted'>Printed by {escape(printed_by)}.</p>")
    parts.append("<p><br>Counted by: ____________________ &nbsp;&nbsp; Checked by: ____________________</p>")
    return "".join(parts)


def document(html: str) -> QTextDocument:
    doc = QTextDocument()
    doc.setHtml(html)
    return doc


def save_pdf(html: str, path: Path) -> Path:
    """A4 portrait, 15 mm margins."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle("Cash-up")
    writer.setCreator("ispclient")
    document(html).print_(writer)
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"The PDF could not be written to {path}.")
    return path


def print_report(parent: QWidget | None, html: str) -> bool:
    """The system's print dialog; True when it was sent to a printer."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print the cash-up")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    document(html).print_(printer)
    return True
