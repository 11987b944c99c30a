"""The Reports window: a report over a range as a table and a chart, printed to PDF through the
receipts' stack, exported to CSV and XLSX, and read again when a payment is taken."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ispclient.domain.clock import utcnow
from ispclient.store import money
from ispclient.store.reports import ReportKind
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.main_window import MainWindow
from ispclient.ui.report_chart import charts_available
from ispclient.ui.reports_window import ReportsWindow, preset_range

from .conftest import Factory, changed_elsewhere, settle


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext, make: Factory) -> ReportsWindow:
    pkg = make.package("Home", "1500")
    amina, brian = make.client("Amina"), make.client("Brian")
    make.subscription(amina, pkg, date(2026, 1, 5), paid="1500")
    make.subscription(brian, pkg, date(2026, 1, 5), paid="1000")
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    w = main.show_reports()
    assert isinstance(w, ReportsWindow)
    settle(qtbot)
    return w


def _month(w: ReportsWindow) -> None:
    # Payments are stamped with the real clock; the tests' "today" is January 2026.
    w.show_kind(ReportKind.REVENUE_BY_MONTH, date(2026, 1, 1), utcnow().date())


def test_revenue_per_month_table_and_chart(qtbot: QtBot, window: ReportsWindow) -> None:
    _month(window)
    qtbot.waitUntil(lambda: window.report is not None and window.report.last == utcnow().date())
    report = window.report
    assert report is not None
    month = utcnow().strftime("%Y-%m")
    assert [r[0] for r in report.rows][-1] == month
    assert report.totals is not None and report.totals[-1] == 250_000
    m = window.model
    last = m.rowCount() - 1
    assert m.data(m.index(last, 0)) == "Total" and m.data(m.index(last, 5)) == "USD 2,500.00"
    if charts_available():
        from PySide6.QtCharts import QChartView

        assert isinstance(window.chart_view, QChartView)
        assert window.chart_view.chart().series()[0].count() == 1  # one set of bars


def test_pdf_csv_and_xlsx(qtbot: QtBot, window: ReportsWindow, tmp_path: Path) -> None:
    _month(window)
    qtbot.waitUntil(lambda: window.report is not None and window.report.last == utcnow().date())
    pdf = window.save_pdf(tmp_path / "revenue.pdf")
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 2000
    window.export(tmp_path / "revenue.csv", "csv")
    window.export(tmp_path / "revenue.xlsx", "xlsx")
    settle(qtbot)
    assert window.saved.text().endswith("revenue.xlsx")
    with open(tmp_path / "revenue.csv", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Month", "Payments", "Count", "Refunds", "Refund count", "Revenue"]
    assert rows[-1][0] == "Total" and rows[-1][-1] == "2500.00"
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "revenue.xlsx").active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[-1][0] == "Total" and float(values[-1][-1]) == 2500.0  # type: ignore[arg-type]


def test_a_refund_reads_the_report_again(qtbot: QtBot, ctx: AppContext, window: ReportsWindow,
                                         make: Factory) -> None:
    _month(window)
    qtbot.waitUntil(lambda: window.report is not None and window.report.last == utcnow().date())
    cid = make.client("Chen")
    ops.Op(window, lambda: money.record_payment(cid, money.PaymentInput("700", "Cash"))).run()
    qtbot.waitUntil(lambda: window.report is not None and window.report.totals is not None
                    and window.report.totals[-1] == 320_000, timeout=5000)
    changed_elsewhere(ctx, payments=True)
    settle(qtbot)


def test_every_report_shows(qtbot: QtBot, window: ReportsWindow) -> None:
    for kind in ReportKind:
        window.show_kind(kind, date(2025, 12, 1), date(2026, 1, 15))
        qtbot.waitUntil(lambda k=kind: window.report is not None and window.report.kind is k)  # type: ignore[misc]
        assert window.model.columnCount() == len(window.report.columns)  # type: ignore[union-attr]
        if charts_available():
            from PySide6.QtCharts import QChartView

            if isinstance(window.chart_view, QChartView):  # a title never says the same thing twice
                parts = window.chart_view.chart().title().split(" (")[0].split(" — ")
                assert len(parts) == len({p.casefold() for p in parts}), window.chart_view.chart().title()


def test_presets() -> None:
    today = date(2026, 3, 15)
    assert preset_range("Last month", today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert preset_range("Last 12 months", today) == (date(2025, 4, 1), today)
    assert preset_range("This year", today) == (date(2026, 1, 1), today)


def test_a_range_that_ends_before_it_starts_is_said_beside_the_dates_and_reads_nothing(
        qtbot: QtBot, window: ReportsWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stepping From past To (the calendar's arrows, a day a click) popped an error box per click
    and left the heading at "loading…"; now a line beside the dates says why, and nothing is read."""
    from PySide6.QtCore import QDate

    from ispclient.store import reports
    from ispclient.ui import msgbox

    qtbot.waitUntil(lambda: window.report is not None)
    shown = window.report
    heading = window.heading.text()
    boxes: list[str] = []
    monkeypatch.setattr(msgbox, "error", lambda *a, **k: boxes.append(str(a)))
    reads: list[object] = []
    real = reports.report
    monkeypatch.setattr(reports, "report", lambda *a, **k: (reads.append(a), real(*a, **k))[1])
    last = window.last.date()
    for days in (1, 2, 3):
        window.first.setDate(last.addDays(days))
    settle(qtbot)
    assert window.range_error.isVisibleTo(window)
    assert window.range_error.text() == "The end of the range is before its start."
    assert reads == [] and boxes == []
    assert window.report is shown and window.heading.text() == heading  # the report shown stays, as it was
    window.first.setDate(QDate(last.year(), last.month(), 1))
    qtbot.waitUntil(lambda: window.report is not shown)
    assert not window.range_error.isVisibleTo(window) and len(reads) == 1
    assert "loading" not in window.heading.text()


def test_a_report_that_fails_is_said_once_and_the_heading_does_not_stay_loading(
        qtbot: QtBot, window: ReportsWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    from ispclient.store import reports

    qtbot.waitUntil(lambda: window.report is not None)
    errors: list[BaseException] = []
    monkeypatch.setattr(ops, "show_error", lambda _parent, e: errors.append(e))

    def broken(*_a: object, **_k: object) -> object:
        raise RuntimeError("the disk is away")

    monkeypatch.setattr(reports, "report", broken)
    window.reload()
    qtbot.waitUntil(lambda: bool(errors))
    assert len(errors) == 1 and "loading" not in window.heading.text()


def test_month_labels_under_a_chart_are_short_with_the_year_at_each_turn() -> None:
    """Twelve "2026-01" labels were cut to "2026…" at 150 % (seen under X11): months show as
    their short names, the year under the first and under each January."""
    from datetime import date

    from ispclient.store.reports import ChartKind, Report, ReportKind
    from ispclient.ui.report_chart import labels_of

    def report(firsts: list[object]) -> Report:
        return Report(ReportKind.REVENUE_BY_MONTH, date(2025, 11, 1), date(2026, 2, 28), "KES", ("Month", "Revenue"),
                      tuple((f, 100) for f in firsts), frozenset({1}), ChartKind.BARS)

    assert labels_of(report(["2025-11", "2025-12", "2026-01", "2026-02"])) == [
        "Nov<br>2025", "Dec", "Jan<br>2026", "Feb"]
    assert labels_of(report([date(2026, 1, 5), date(2026, 1, 6)])) == ["05 Jan", "06 Jan"]  # days as before
    assert labels_of(report(["Home 10M", "2026-13"])) == ["Home 10M", "2026-13"]  # not months: as they are
