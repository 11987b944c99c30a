"""The Reports window (Reports menu): a report, a date range, its chart and its table; print,
save as PDF, export to CSV or XLSX. Each report is read by ``store.reports.report`` on the
database lane (SQL aggregates), and read again when the money or the subscriptions change."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain import dates
from ispclient.domain.errors import ValidationError
from ispclient.store import reports
from ispclient.store.changes import Changes
from ispclient.store.reports import Report, ReportKind
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.help import install_f1
from ispclient.ui.models.rows import RowListModel, list_view
from ispclient.ui.report_chart import UNAVAILABLE, chart_image, charts_available, make_chart_view
from ispclient.ui.report_print import export, print_html, range_text, report_html, save_pdf
from ispclient.ui.window_state import WindowState

_Index = QModelIndex | QPersistentModelIndex

# Ranges a person asks for; each (label, first, last) from today.
PRESETS = ("This month", "Last month", "Last 12 months", "This year", "Today")


def preset_range(name: str, today: date) -> tuple[date, date]:
    first_of_month = today.replace(day=1)
    if name == "This month":
        return first_of_month, today
    if name == "Last month":
        last = first_of_month - timedelta(days=1)
        return last.replace(day=1), last
    if name == "Last 12 months":
        start = first_of_month
        for _ in range(11):
            start = (start - timedelta(days=1)).replace(day=1)
        return start, today
    if name == "This year":
        return today.replace(month=1, day=1), today
    return today, today


def default_range(kind: ReportKind, today: date) -> tuple[date, date]:
    if kind is ReportKind.REVENUE_BY_DAY:
        return preset_range("This month", today)
    return preset_range("Last 12 months", today)


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


class ReportModel(RowListModel[tuple[Any, ...]]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: Report | None = None

    def set_report(self, report: Report) -> None:
        self.report = report
        self.headers = report.columns  # type: ignore[misc]
        rows = list(report.rows)
        if report.totals is not None and rows:
            rows.append(report.totals)
        self._replace_rows(rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        from ispclient.ui.report_print import cell_text

        r = self.report
        if r is None or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(r, index.column(), value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and r.totals is not None and index.row() == len(r.rows):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return None


class ReportsWindow(WindowState, QWidget):
    state_group = "ReportsWindow"
    default_size = QSize(1100, 720)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("reportsWindow")
        self.setWindowTitle("Reports")
        self.ctx = ctx
        self.report: Report | None = None
        self.kind = QComboBox()
        self.kind.setObjectName("reportKind")
        self.kind.setAccessibleName("Report")
        for k in ReportKind:
            self.kind.addItem(k.value, k)
        self.first = self._date_edit("reportFirst", "From")
        self.last = self._date_edit("reportLast", "To")
        self.preset = QComboBox()
        self.preset.setObjectName("reportPreset")
        self.preset.addItem("Range…", None)
        for name in PRESETS:
            self.preset.addItem(name, name)
        self.print_button = QPushButton("&Print…")
        self.pdf_button = QPushButton("Save &PDF…")
        self.csv_button = QPushButton("Export &CSV…")
        self.xlsx_button = QPushButton("Export &XLSX…")
        self.print_button.clicked.connect(self.print_report)
        self.pdf_button.clicked.connect(self.ask_pdf)
        self.csv_button.clicked.connect(lambda: self.ask_export("csv"))
        self.xlsx_button.clicked.connect(lambda: self.ask_export("xlsx"))
        top = QHBoxLayout()
        top.addWidget(_buddy("&Report:", self.kind))
        top.addWidget(self.kind)
        top.addSpacing(12)
        top.addWidget(_buddy("&From:", self.first))
        top.addWidget(self.first)
        top.addWidget(_buddy("&To:", self.last))
        top.addWidget(self.last)
        top.addWidget(self.preset)
        # Under the dates, not a dialog per click of the calendar's arrows (nor in their row: at
        # 150 % the row's minimum width grew past a 1366-wide screen with it).
        self.range_error = QLabel()
        self.range_error.setObjectName("reportRangeError")
        self.range_error.setStyleSheet("color: #c62828;")
        self.range_error.setWordWrap(True)
        self.range_error.hide()
        top.addStretch(1)
        self.heading = QLabel()
        self.heading.setObjectName("reportHeading")
        self.model = ReportModel(self)
        self.table = list_view(self.model, "reportTable")
        self.chart_holder = QWidget()
        self.chart_layout = QVBoxLayout(self.chart_holder)
        self.chart_layout.setContentsMargins(0, 0, 0, 0)
        self.chart_view: QWidget = QLabel("" if charts_available() else UNAVAILABLE)
        self.chart_layout.addWidget(self.chart_view)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.chart_holder)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.note = QLabel()
        self.note.setObjectName("reportNote")
        self.note.setWordWrap(True)
        self.saved = QLabel()  # where the last PDF or export went (said here, not in a box to click away)
        self.saved.setObjectName("reportSaved")
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        for b in (self.print_button, self.pdf_button, self.csv_button, self.xlsx_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.range_error)
        layout.addWidget(self.heading)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.saved)
        today = ctx.today()
        self._set_range(*default_range(ReportKind.REVENUE_BY_MONTH, today))
        self.kind.setCurrentIndex(self.kind.findData(ReportKind.REVENUE_BY_MONTH))
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.first.dateChanged.connect(lambda _d: self.reload())
        self.last.dateChanged.connect(lambda _d: self.reload())
        self.preset.activated.connect(self._preset_chosen)
        ctx.events.changed.connect(self._data_changed)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)  # as every other tool window
        install_f1(self, "reports")
        self._set_buttons()
        self.restore_window_state()
        self.reload()

    def _date_edit(self, name: str, label: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(label)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd MMM yyyy")
        return edit

    def _set_range(self, first: date, last: date) -> None:
        for edit, d in ((self.first, first), (self.last, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(d.year, d.month, d.day))
            edit.blockSignals(False)

    def show_kind(self, kind: ReportKind, first: date | None = None, last: date | None = None) -> None:
        """Show this report (over this range, or its usual one)."""
        default_first, default_last = default_range(kind, self.ctx.today())
        self._set_range(first or default_first, last or default_last)
        self.kind.blockSignals(True)
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.kind.blockSignals(False)
        self.reload()

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        if kind in (ReportKind.REVENUE_BY_DAY,) and (self.range()[1] - self.range()[0]).days > 92:
            self._set_range(*default_range(kind, self.ctx.today()))  # a day per bar: a month, not a year
        self.reload()

    def _preset_chosen(self) -> None:
        name = self.preset.currentData()
        if name:
            self._set_range(*preset_range(name, self.ctx.today()))
            self.preset.setCurrentIndex(0)
            self.reload()

    def range(self) -> tuple[date, date]:
        return self.first.date().toPython(), self.last.date().toPython()  # type: ignore[return-value]

    def _data_changed(self, changes: Changes) -> None:
        if changes.payments or changes.subscriptions or changes.clients or changes.all_clients or changes.catalog:
            self.reload()

    def reload(self) -> None:
        kind: ReportKind = self.kind.currentData()
        first, last = self.range()
        try:
            dates.check_range(first, last)
        except ValidationError as e:
            # Nothing is read; the report shown (or on its way) stays, its heading naming its range.
            self.range_error.setText(next(iter(e.errors.values())))
            self.range_error.show()
            return
        self.range_error.hide()
        self.heading.setText(f"<b>{kind.value}</b> — loading…")
        ops.Op(self, lambda: reports.report(kind, first, last), key="report") \
            .on_success(self.show_report).on_failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        """Said once, and the heading no longer says "loading…" for ever."""
        shown = self.report
        self.heading.setText(f"<b>{shown.title}</b> — {range_text(shown)}" if shown is not None else "")
        ops.show_error(self, error)

    def show_report(self, report: Report) -> None:
        self.report = report
        self.model.set_report(report)
        self.table.resizeColumnsToContents()
        self.heading.setText(f"<b>{report.title}</b> — {range_text(report)}")
        self.note.setText(report.note)
        old = self.chart_view
        self.chart_view = make_chart_view(report) if charts_available() else QLabel(UNAVAILABLE)
        self.chart_layout.replaceWidget(old, self.chart_view)
        old.deleteLater()
        self.chart_holder.setVisible(report.chart is not None)
        self._set_buttons()

    def _set_buttons(self) -> None:
        for b in (self.print_button, self.pdf_button, self.csv_button, self.xlsx_button):
            b.setEnabled(self.report is not None)

    def _html(self) -> str:
        assert self.report is not None
        return report_html(self.report, self.ctx.settings().isp_name, with_chart=self._chart() is not None)

    def _chart(self) -> Any:
        return chart_image(self.chart_view) if self.report is not None and self.report.chart else None

    def print_report(self) -> None:
        if self.report is not None:
            print_html(self, self._html(), self.report.title, self._chart())

    def _suggested(self, ext: str) -> str:
        assert self.report is not None
        r = self.report
        name = f"{r.title.lower().replace(' ', '-').replace(',', '')}-{r.first.isoformat()}-{r.last.isoformat()}"
        return str(Path.home() / f"{name}.{ext}")

    def ask_pdf(self) -> None:
        if self.report is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the report as PDF", self._suggested("pdf"), "PDF (*.pdf)")
        if path:
            self.save_pdf(Path(path))

    def save_pdf(self, path: Path) -> Path | None:
        assert self.report is not None
        try:  # a page or two of text: quicker than handing Qt's painting to another thread
            saved = save_pdf(self._html(), path, self.report.title, self._chart())
        except OSError as e:
            msgbox.error(self, "The report was not saved", str(e))
            return None
        self.saved.setText(f"Saved as {saved}")
        return saved

    def ask_export(self, fmt: str) -> None:
        if self.report is None:
            return
        label = "CSV (*.csv)" if fmt == "csv" else "Excel workbook (*.xlsx)"
        path, _ = QFileDialog.getSaveFileName(self, f"Export the report as {fmt.upper()}", self._suggested(fmt), label)
        if path:
            self.export(Path(path), fmt)

    def export(self, path: Path, fmt: str) -> None:
        report = self.report
        assert report is not None
        ops.Op(self, lambda: export(report, path, fmt), key="export", lane=ops.Lane.SLOW) \
            .on_success(lambda n: self.saved.setText(f"{n:,} rows saved as {path}")).run()

    def state_tables(self) -> dict[str, Any]:
        return {}
