"""A report's chart with QtCharts (PySide6-Addons): bars, a line or a pie of one column.

QtCharts is imported only here, and only when a report is shown: the window works (a table with
a note) where the add-on is missing, and start-up never pays for it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QLabel, QWidget

from ispclient.domain.money import minor_digits
from ispclient.store.reports import ChartKind, Report

log = logging.getLogger(__name__)

UNAVAILABLE = "Charts need Qt's charts module (PySide6-Addons), which is not installed: the table shows every figure."


def charts_available() -> bool:
    try:
        import PySide6.QtCharts  # noqa: F401
    except ImportError:
        return False
    return True


def _label(value: Any) -> str:
    return value.strftime("%d %b") if isinstance(value, date) else str(value)


def _month(value: Any) -> date | None:
    """A month as the reports write it ("2026-01"), or None."""
    try:
        return datetime.strptime(str(value), "%Y-%m").date()
    except ValueError:
        return None


def labels_of(report: Report) -> list[str]:
    """The categories under the chart. Months as their short names, with the year under the first
    and under each January ("2026-01" twelve times over was cut to "2026…" at 150 %: the axis
    elides what does not fit its category)."""
    months = [_month(r[0]) for r in report.rows]
    if report.rows and all(months):
        return [m.strftime("%b") + (f"<br>{m.year}" if i == 0 or m.month == 1 else "")  # type: ignore[union-attr]
                for i, m in enumerate(months)]
    return [_label(r[0]) for r in report.rows]


def values(report: Report) -> tuple[list[str], list[float]]:
    """The chart's labels and values (money in whole units, as the axis reads)."""
    col = report.chart_column
    scale = 10 ** minor_digits(report.currency) if col in report.money_columns else 1
    return labels_of(report), [float(r[col]) / scale for r in report.rows]


def make_chart_view(report: Report) -> QWidget:
    """A chart view of the report, or a label saying why there is none."""
    if report.chart is None or not report.rows:
        return QLabel("")
    try:
        from PySide6.QtCharts import (
            QBarCategoryAxis,
            QBarSeries,
            QBarSet,
            QChart,
            QChartView,
            QLineSeries,
            QPieSeries,
            QValueAxis,
        )
    except ImportError:
        note = QLabel(UNAVAILABLE)
        note.setWordWrap(True)
        return note
    labels, numbers = values(report)
    chart = QChart()
    measure = report.columns[report.chart_column]
    title = report.title if measure.casefold() in report.title.casefold() else f"{report.title} — {measure}"
    chart.setTitle(title + (f" ({report.currency})" if report.chart_column in report.money_columns else ""))
    chart.legend().hide()
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    if report.chart is ChartKind.PIE:
        pie = QPieSeries()
        for label, number in zip(labels, numbers, strict=True):
            if number > 0:  # a slice can't be negative (a method with more refunds than payments)
                pie.append(f"{label}: {number:,.0f}", number).setLabelVisible(True)
        chart.addSeries(pie)
    else:
        axis_x = QBarCategoryAxis()
        axis_x.append(labels)
        if len(labels) > 16:
            axis_x.setLabelsAngle(-90)
        axis_y = QValueAxis()
        axis_y.setLabelFormat("%.0f")
        low, high = min([0.0, *numbers]), max([0.0, *numbers])
        axis_y.setRange(low, high * 1.1 if high > 0 else 1)
        axis_y.applyNiceNumbers()  # ticks at 0, 50, 100… rather than at fifths of the highest value
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        if report.chart is ChartKind.LINE:
            line = QLineSeries()
            for i, number in enumerate(numbers):
                line.append(i, number)
            chart.addSeries(line)
            line.attachAxis(axis_x)
            line.attachAxis(axis_y)
        else:
            bars = QBarSet(report.columns[report.chart_column])
            bars.append(numbers)
            series = QBarSeries()
            series.append(bars)
            chart.addSeries(series)
            series.attachAxis(axis_x)
            series.attachAxis(axis_y)
    view = QChartView(chart)
    view.setObjectName("reportChart")
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view


def chart_image(view: QWidget, width: int = 1400, height: int = 600) -> QImage | None:
    """The chart drawn for paper (None without a chart)."""
    try:
        from PySide6.QtCharts import QChartView
    except ImportError:
        return None
    if not isinstance(view, QChartView):
        return None
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene = view.scene()
    chart = view.chart()
    old = chart.size()
    chart.resize(width, height)
    scene.render(painter, image.rect(), chart.rect())
    chart.resize(old)
    painter.end()
    return image
