"""File ▸ Import clients…: choose a file, say what its columns hold, see every row's verdict,
then import in batches with a progress bar and Cancel.

All reading, checking and writing runs as ops on the slow lane (the GUI thread only shows
progress, which arrives by signal); the import's changes reach the other windows through the op
like any other change.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ispclient.dataio import mapping as mapping_rules
from ispclient.dataio.apply import ApplyResult, apply_import, default_report_path, write_report
from ispclient.dataio.cells import as_text
from ispclient.dataio.mapping import LABELS, PRESETS, Field, Mapping
from ispclient.dataio.prepare import (
    MATCH_LABELS,
    ImportCancelled,
    ImportOptions,
    MatchKey,
    NewPackage,
    Preview,
    Verdict,
    preview,
)
from ispclient.dataio.sources import DELIMITERS, ReadOptions, Source, SourceError, open_source
from ispclient.domain.money import format_amount, parse_amount
from ispclient.ui import collector, msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.help import install_f1
from ispclient.ui.import_preview_model import PreviewModel, cell_text

T = TypeVar("T")
SAMPLE_ROWS = 8
FIT_ROWS = 40  # rows the preview's column widths are measured on
PROGRESS_EVERY_S = 0.2
_quiet_gc = threading.Lock()
_quiet_count = 0
_switch = 0.005
_was_enabled = True


@contextmanager
def _no_full_collections() -> Iterator[None]:
    """While an import reads or writes 100,000 rows, the garbage collector's full passes over
    every object in the process (100–300 ms each, the GUI thread waiting on them) are put off:
    the rows are plain values that reference counting frees anyway."""
    global _quiet_count, _switch, _was_enabled
    with _quiet_gc:
        _quiet_count += 1
        if _quiet_count == 1:
            _was_enabled = gc.isenabled()
            gc.disable()
            collector.hold()  # the GUI thread's collector (ui/collector.py) puts off full passes too
            # …and the worker hands the interpreter back to the GUI thread every millisecond, not 5.
            _switch = sys.getswitchinterval()
            sys.setswitchinterval(0.001)
    try:
        yield
    finally:
        with _quiet_gc:
            _quiet_count -= 1
            if _quiet_count == 0:
                gc.freeze()  # what is alive now is not walked by the next full pass either (as the list does)
                collector.release()
                if _was_enabled:  # else the GUI thread's collector does it
                    gc.enable()
                sys.setswitchinterval(_switch)


def _quietly(fn: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        with _no_full_collections():
            return fn()

    return run
ENCODING_CHOICES = (("Work it out", None), ("UTF-8", "utf-8"), ("UTF-8 with BOM", "utf-8-sig"),
                    ("UTF-16 (Excel “Unicode text”)", "utf-16"), ("Windows-1252", "cp1252"))
FILTERS = (("Every row", None), ("New", {Verdict.NEW}), ("Updates", {Verdict.UPDATE}),
           ("Errors and duplicates", {Verdict.ERROR, Verdict.DUPLICATE}), ("Errors", {Verdict.ERROR}),
           ("Duplicates", {Verdict.DUPLICATE}))


def ask_open_path(parent: QWidget) -> str:
    """The file dialog (a function, so tests can answer it)."""
    path, _ = QFileDialog.getOpenFileName(parent, "Import clients from", "",
                                          "Client lists (*.csv *.txt *.xlsx *.rsc);;All files (*)")
    return path


def ask_save_path(parent: QWidget, title: str, suggested: str, filters: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


class Progress(QObject):
    """Progress from a worker thread, delivered to the GUI thread by Qt's queued signals."""

    moved = Signal(int, int, str)  # done, total, text

    def __init__(self, every_s: float = PROGRESS_EVERY_S) -> None:
        super().__init__()
        self.every_s = every_s
        self._last = -1.0

    def report(self, done: int, total: int, text: str) -> None:
        """From the worker: at most one step every ``every_s`` (and always the last) reaches the
        GUI thread — each one relays out a page there, holding the interpreter the worker needs."""
        now = time.monotonic()
        if done < total and now - self._last < self.every_s:
            return
        self._last = now
        self.moved.emit(done, total, text)


class ImportWizard(QDialog):
    imported = Signal(object)  # the ApplyResult, once an import has run (whole, stopped or failed part-way)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("importWizard")
        self.setWindowTitle("Import clients")
        self.resize(1100, 680)
        self.source: Source | None = None
        self.sample: list[list[object]] = []
        self.mapping = Mapping()
        self.preview: Preview | None = None
        self.outcome: ApplyResult | None = None
        self._cancel = threading.Event()
        self._busy = False
        # No parent: a worker may still emit on it after the wizard was closed and deleted.
        self.progress = Progress()
        self.progress.moved.connect(self._moved)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._file_page())
        self.pages.addWidget(self._mapping_page())
        self.pages.addWidget(self._preview_page())
        self.pages.addWidget(self._apply_page())
        self.back_button = QPushButton("< &Back")
        self.next_button = QPushButton("&Next >")
        self.cancel_button = QPushButton("Cancel")
        self.back_button.clicked.connect(self._back)
        self.next_button.clicked.connect(self._next)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.back_button, self.next_button, self.cancel_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        install_f1(self, "import")
        self._show_page(0)

    # -- pages ------------------------------------------------------------------------------

    def _file_page(self) -> QWidget:
        page = QWidget()
        intro = QLabel("Bring clients in from a spreadsheet (CSV or Excel .xlsx), another billing system's export "
                       "(PHPNuxBill's customer CSV) or a MikroTik export file (/ppp secret export, .rsc) — no "
                       "router connection needed. Nothing is written until you have seen what each row will do.")
        intro.setWordWrap(True)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importPath")
        self.path_edit.setPlaceholderText("The file to import")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.encoding_box = QComboBox()
        for label, value in ENCODING_CHOICES:
            self.encoding_box.addItem(label, value)
        self.delimiter_box = QComboBox()
        self.delimiter_box.addItem("Work it out", None)
        for mark, name in DELIMITERS.items():
            self.delimiter_box.addItem(name.capitalize(), mark)
        self.sheet_box = QComboBox()
        self.sheet_box.setEnabled(False)
        self.path_edit.textEdited.connect(lambda _text: self.sheet_box.clear())  # another file, other sheets
        self.file_note = QLabel()
        self.file_note.setObjectName("fileNote")
        self.file_note.setWordWrap(True)
        form = QFormLayout()
        file_label = QLabel("&File:")
        file_label.setBuddy(self.path_edit)
        form.addRow(file_label, row)
        form.addRow("Text &encoding (CSV):", self.encoding_box)
        form.addRow("&Delimiter (CSV):", self.delimiter_box)
        form.addRow("&Sheet (Excel):", self.sheet_box)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.file_note)
        layout.addStretch(1)
        return page

    def _mapping_page(self) -> QWidget:
        page = QWidget()
        self.mapping_note = QLabel()
        self.mapping_note.setObjectName("mappingNote")
        self.mapping_note.setWordWrap(True)
        self.preset_box = QComboBox()
        self.preset_box.addItem("As guessed (or as last time)", None)
        for preset in PRESETS:
            self.preset_box.addItem(preset.label, preset.key)
        self.preset_box.activated.connect(self._preset_chosen)
        self.sample_table = QTableWidget()
        self.sample_table.setObjectName("mappingTable")
        self.sample_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.match_box = QComboBox()
        for key, label in MATCH_LABELS.items():
            self.match_box.addItem(label, key.value)
        self.router_box = QComboBox()
        self.paid_box = QCheckBox("Subscriptions in the file are paid up (a Paid column overrides this)")
        self.paid_box.setChecked(True)
        self.name_box = QCheckBox("No name? Use the PPPoE username (router secrets often have no comment)")
        self.name_box.toggled.connect(self._name_rule_changed)
        form = QFormLayout()
        form.addRow("Ready-made &mapping:", self.preset_box)
        form.addRow("Update the client with the same:", self.match_box)
        form.addRow("&Router for rows that name none:", self.router_box)
        form.addRow("", self.paid_box)
        form.addRow("", self.name_box)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("Say what each column holds (the first row of choices); leave a column as “not "
                                "imported” to skip it."))
        layout.addWidget(self.mapping_note)
        layout.addWidget(self.sample_table, 1)
        layout.addLayout(form)
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget()
        self.summary_label = QLabel()
        self.summary_label.setObjectName("previewSummary")
        font = self.summary_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.summary_label.setFont(font)
        self.filter_box = QComboBox()
        for label, _ in FILTERS:
            self.filter_box.addItem(label)
        self.filter_box.currentIndexChanged.connect(self._filter_changed)
        self.rejects_button = QPushButton("Save the rows not imported…")
        self.rejects_button.clicked.connect(self._save_rejects)
        top = QHBoxLayout()
        top.addWidget(self.summary_label, 1)
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.filter_box)
        top.addWidget(self.rejects_button)
        self.preview_model = PreviewModel(self)
        self.preview_view = QTableView()
        self.preview_view.setObjectName("previewTable")
        self.preview_view.setModel(self.preview_model)
        self.preview_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview_view.verticalHeader().hide()
        self.preview_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.preview_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.packages_label = QLabel()
        self.packages_label.setWordWrap(True)
        self.packages_table = QTableWidget(0, 4)
        self.packages_table.setObjectName("newPackages")
        self.packages_table.setHorizontalHeaderLabels(["Create", "Package", "Price", "Days"])
        self.packages_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.packages_table.setMaximumHeight(130)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.preview_view, 1)
        layout.addWidget(self.packages_label)
        layout.addWidget(self.packages_table)
        return page

    def _apply_page(self) -> QWidget:
        page = QWidget()
        self.bar = QProgressBar()
        self.bar.setObjectName("importProgress")
        self.status = QLabel()
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(page)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addStretch(1)
        return page

    # -- navigation --------------------------------------------------------------------------

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.back_button.setEnabled(0 < index < 3 and not self._busy)
        self.next_button.setEnabled(not self._busy)
        self.next_button.setText({0: "&Next >", 1: "&Check the rows >", 2: self._import_text(), 3: "&Close"}[index])
        self.cancel_button.setText("Cancel")
        self.cancel_button.setVisible(index < 3 or self._busy)

    def _import_text(self) -> str:
        n = self.preview.to_write if self.preview is not None else 0
        return f"&Import {n:,} row{'' if n == 1 else 's'}"

    def _back(self) -> None:
        self._show_page(max(0, self.pages.currentIndex() - 1))

    def _next(self) -> None:
        page = self.pages.currentIndex()
        if page == 0:
            self.read_file()
        elif page == 1:
            self.check_rows()
        elif page == 2:
            self.start_import()
        else:
            self.accept()

    def _cancel_clicked(self) -> None:
        if self._busy:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.status.setText(self.status.text() + "\nStopping after the batch being written…"
                                if self.pages.currentIndex() == 3 else "Stopping…")
            return
        self.reject()

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self._cancel.clear()
        self.cancel_button.setEnabled(True)
        self.next_button.setEnabled(not busy)
        self.back_button.setEnabled(not busy and 0 < self.pages.currentIndex() < 3)
        if text:
            self.file_note.setText(text)

    def _browse(self) -> None:
        path = ask_open_path(self)
        if path:
            self.path_edit.setText(path)
            self.sheet_box.clear()
            self.read_file()

    # -- step 1: the file --------------------------------------------------------------------

    def read_file(self) -> None:
        path = self.path_edit.text().strip()
        if not path:
            self.file_note.setText("Choose the file to import.")
            return
        options = ReadOptions(self.encoding_box.currentData(), self.delimiter_box.currentData(),
                              self.sheet_box.currentText() or None)
        config_dir = self.ctx.paths.config_dir

        def read() -> tuple[Source, list[list[object]], Mapping, str]:
            source = open_source(Path(path), options)
            sample: list[list[object]] = []
            for _line, cells in source.rows():
                sample.append(list(cells))
                if len(sample) >= SAMPLE_ROWS:
                    break
            chosen, why = mapping_rules.initial(source.header, config_dir)
            return source, sample, chosen, why

        self._set_busy(True, "Reading the file…")
        ops.Op(self, read, key="read", lane=ops.Lane.SLOW).on_success(self._file_read) \
            .on_failure(self._file_failed).on_done(lambda: self._set_busy(False)).run()

    def _file_failed(self, error: BaseException) -> None:
        if isinstance(error, SourceError):
            self.file_note.setText(str(error))
        else:
            ops.show_error(self, error)

    def _file_read(self, found: tuple[Source, list[list[object]], Mapping, str]) -> None:
        self.source, self.sample, self.mapping, why = found
        info = self.source.info
        self.file_note.setText(f"{info.path.name}: {info.describe()}, {len(self.source.header)} columns.")
        if info.kind == "xlsx" and not self.sheet_box.count():
            self.sheet_box.addItems(list(info.sheets))
            self.sheet_box.setCurrentText(info.sheet)
        self.sheet_box.setEnabled(info.kind == "xlsx")
        self.mapping_note.setText(f"Columns: {why}.")
        self._fill_routers()
        self._fill_mapping()
        self._show_page(1)

    # -- step 2: the mapping -----------------------------------------------------------------

    def _fill_routers(self) -> None:
        self.router_box.clear()
        self.router_box.addItem("None (such rows are refused when they have a username)", None)
        for server in self.ctx.catalog().servers:
            self.router_box.addItem(server.name, server.id)
        if self.source is not None and self.source.info.kind == "mikrotik" and len(self.ctx.catalog().servers) == 1:
            self.router_box.setCurrentIndex(1)

    def _fill_mapping(self) -> None:
        assert self.source is not None
        header = self.source.header
        table = self.sample_table
        table.clear()
        table.setColumnCount(len(header))
        table.setRowCount(len(self.sample) + 1)
        table.setHorizontalHeaderLabels(header)
        table.setVerticalHeaderLabels(["Import as"] + [str(i + 1) for i in range(len(self.sample))])
        for column in range(len(header)):
            box = QComboBox()
            box.addItem("not imported", None)
            for f in Field:
                box.addItem(LABELS[f], f.value)
            current = self.mapping.columns.get(column)
            box.setCurrentIndex(box.findData(current.value) if current else 0)
            box.currentIndexChanged.connect(lambda _i, c=column, b=box: self._column_changed(c, b))
            table.setCellWidget(0, column, box)
            for row, cells in enumerate(self.sample, start=1):
                text = as_text(cells[column]) if column < len(cells) else ""  # type: ignore[arg-type]
                if self.mapping.columns.get(column) is Field.PPPOE_PASSWORD and text:
                    text = "••••••"
                table.setItem(row, column, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        self.name_box.blockSignals(True)
        self.name_box.setChecked(self.mapping.name_from_username)
        self.name_box.blockSignals(False)

    def column_box(self, column: int) -> QComboBox:
        box = self.sample_table.cellWidget(0, column)
        assert isinstance(box, QComboBox)
        return box

    def _column_changed(self, column: int, box: QComboBox) -> None:
        value = box.currentData()
        self.mapping = self.mapping.with_column(column, Field(value) if value else None)
        for other in range(self.sample_table.columnCount()):  # a field is imported from one column only
            if other != column:
                b = self.column_box(other)
                wanted = self.mapping.columns.get(other)
                index = b.findData(wanted.value) if wanted else 0
                if b.currentIndex() != index:
                    b.blockSignals(True)
                    b.setCurrentIndex(index)
                    b.blockSignals(False)

    def _name_rule_changed(self, on: bool) -> None:
        self.mapping = Mapping(self.mapping.columns, on)

    def _preset_chosen(self) -> None:
        key = self.preset_box.currentData()
        if self.source is None:
            return
        if key is None:
            self.mapping = mapping_rules.initial(self.source.header, self.ctx.paths.config_dir)[0]
        else:
            preset = next(p for p in PRESETS if p.key == key)
            self.mapping = preset.mapping(self.source.header)
            self.mapping_note.setText(f"Columns: {preset.label}. {preset.note}")
        self._fill_mapping()

    def options(self) -> ImportOptions:
        return ImportOptions(MatchKey(self.match_box.currentData()), self.router_box.currentData(),
                             self.paid_box.isChecked())

    # -- step 3: the preview -----------------------------------------------------------------

    def check_rows(self) -> None:
        if self.source is None:
            return
        source, chosen, options = self.source, self.mapping, self.options()
        cancel, progress = self._cancel, self.progress

        def check() -> Preview:
            return preview(source, chosen, options, cancelled=cancel.is_set,
                           progress=lambda n, f: progress.report(int(f * 1000), 1000, f"{n:,} rows checked…"))

        if self.preview is not None:
            self.preview_model.set_preview(None)
            self.preview.close()
            self.preview = None
        self._set_busy(True)
        self.mapping_note.setText("Checking every row…")
        ops.Op(self, _quietly(check), key="check", lane=ops.Lane.SLOW).on_success(self._checked) \
            .on_failure(self._check_failed).on_done(lambda: self._set_busy(False)).run()

    def _moved(self, done: int, total: int, text: str) -> None:
        if self.pages.currentIndex() == 3:
            self.bar.setMaximum(max(total, 1))
            self.bar.setValue(done)
            self.status.setText(text)
        else:
            self.mapping_note.setText(f"Checking every row… {text} ({done * 100 // max(total, 1)} %)")

    def _check_failed(self, error: BaseException) -> None:
        if isinstance(error, ImportCancelled):
            self.mapping_note.setText("Checking stopped; nothing was imported.")
        elif isinstance(error, SourceError):
            self.mapping_note.setText(str(error))
        else:
            ops.show_error(self, error)

    def _checked(self, result: Preview) -> None:
        self.preview = result
        self.summary_label.setText(result.summary() + (" — " + " ".join(result.notes) if result.notes else ""))
        self.filter_box.setCurrentIndex(0)
        self.preview_model.set_preview(result)
        self._fit_columns()
        self._fill_packages(result)
        self.rejects_button.setEnabled(bool(result.count(Verdict.ERROR) + result.count(Verdict.DUPLICATE)))
        self._show_page(2)
        self.next_button.setEnabled(result.to_write > 0)

    def _fit_columns(self) -> None:
        """Widths from the header and the first rows (not all 100,000: each is read from disk),
        read from the rows themselves in one go rather than cell by cell through the model (a
        few hundred calls of it on the GUI thread)."""
        metrics = self.preview_view.fontMetrics()
        model = self.preview_model
        sample = min(model.rowCount(), FIT_ROWS)
        rows = [model.prepared(row) for row in range(sample)]
        for column in range(model.columnCount()):
            texts = {str(model.headerData(column, Qt.Orientation.Horizontal) or "")}
            texts.update(cell_text(row, column) for row in rows)
            width = max(metrics.horizontalAdvance(t) for t in texts) + 24
            self.preview_view.setColumnWidth(column, min(width, 320))

    def _fill_packages(self, result: Preview) -> None:
        unknown = list(result.unknown_packages.values())
        self.packages_table.setRowCount(len(unknown))
        self.packages_label.setVisible(bool(unknown))
        self.packages_table.setVisible(bool(unknown))
        if not unknown:
            return
        currency = self.ctx.settings().currency
        rows = sum(u.rows for u in unknown)
        self.packages_label.setText(f"{len(unknown)} package(s) the file names are not in the catalogue ({rows:,} "
                                    "rows). Tick the ones to create (with their price and days); rows of packages "
                                    "not created are not imported.")
        for i, u in enumerate(unknown):
            tick = QTableWidgetItem()
            price = u.price_minor()
            tick.setCheckState(Qt.CheckState.Checked if price is not None else Qt.CheckState.Unchecked)
            self.packages_table.setItem(i, 0, tick)
            name = QTableWidgetItem(u.name)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.packages_table.setItem(i, 1, name)
            self.packages_table.setItem(i, 2, QTableWidgetItem(format_amount(price, currency) if price is not None
                                                               else ""))
            days = QSpinBox()
            days.setRange(1, 3660)
            days.setValue(self.options().new_package_days)
            self.packages_table.setCellWidget(i, 3, days)

    def new_packages(self) -> list[NewPackage]:
        """The packages ticked for creating; ValueError naming a bad price."""
        currency = self.ctx.settings().currency
        wanted = []
        for i in range(self.packages_table.rowCount()):
            tick, name, price = (self.packages_table.item(i, c) for c in range(3))
            if tick is None or name is None or tick.checkState() != Qt.CheckState.Checked:
                continue
            days = self.packages_table.cellWidget(i, 3)
            assert isinstance(days, QSpinBox)
            try:
                minor = parse_amount(price.text() if price else "", currency, allow_zero=True)
            except ValueError as e:
                raise ValueError(f"The price of “{name.text()}”: {e}") from None
            wanted.append(NewPackage(name.text(), minor, days.value()))
        return wanted

    def _filter_changed(self, index: int) -> None:
        verdicts = FILTERS[index][1]
        self.preview_model.set_preview(self.preview, {int(v) for v in verdicts} if verdicts else None)

    def _save_rejects(self) -> None:
        if self.preview is None:
            return
        default = default_report_path(self.preview.info.path, self.ctx.paths.data_dir / "reports")
        path = ask_save_path(self, "Save the rows not imported", str(default), "CSV (*.csv)")
        if not path:
            return
        result = self.preview

        def save() -> Path:
            from ispclient.dataio.apply import Rejected

            rows = [Rejected(r.line, r.message, r.cells) for r in result
                    if r.verdict in (Verdict.ERROR, Verdict.DUPLICATE)]
            return write_report(Path(path), result.header, rows)

        ops.Op(self, save, key="rejects", lane=ops.Lane.SLOW).on_success(
            lambda p: self.summary_label.setText(f"{result.summary()} — rows not imported saved to {p}")).run()

    # -- step 4: the import ------------------------------------------------------------------

    def start_import(self) -> None:
        if self.preview is None or self.source is None:
            return
        try:
            packages = self.new_packages()
        except ValueError as e:
            msgbox.error(self, "Please check", str(e))
            return
        result, progress, cancel = self.preview, self.progress, self._cancel
        report = default_report_path(result.info.path, self.ctx.paths.data_dir / "reports")
        header, chosen, config_dir = self.source.header, self.mapping, self.ctx.paths.config_dir

        def write() -> ApplyResult:
            done = apply_import(result, create_packages=packages, cancelled=cancel.is_set, report=report,
                                progress=lambda n, total: progress.report(n, total, f"{n:,} of {total:,} rows "
                                                                                          "written…"))
            mapping_rules.save(config_dir, header, chosen)
            return done

        self._show_page(3)
        self._set_busy(True)
        self.next_button.setEnabled(False)
        self.cancel_button.setVisible(True)
        self.bar.setRange(0, max(result.to_write, 1))
        self.bar.setValue(0)
        self.status.setText(f"Writing {result.to_write:,} rows in batches (each batch is saved whole)…")
        ops.Op(self, _quietly(write), key="apply", lane=ops.Lane.SLOW).on_success(self._imported) \
            .on_failure(self._import_failed).on_done(self._import_done).run()

    def _imported(self, result: ApplyResult) -> None:
        self.outcome = result
        self.imported.emit(result)
        if result.complete:
            self.bar.setValue(self.bar.maximum())
        text = result.summary()
        if result.report is not None:
            text += f"\n\nThe rows not imported, with the reasons, are in {result.report} (passwords left out)."
        self.status.setText(text)

    def _import_failed(self, error: BaseException) -> None:
        title, text = ops.describe_error(error)
        self.status.setText(f"{title}: {text}")

    def _import_done(self) -> None:
        self._set_busy(False)
        self._show_page(3)
        self.cancel_button.setVisible(False)

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        if self._busy:
            self._cancel.set()
        super().closeEvent(event)  # type: ignore[arg-type]

    def done(self, result: int) -> None:
        if self._busy:
            self._cancel.set()
        ops.forget(self)
        if self.preview is not None and not self._busy:
            self.preview_model.set_preview(None)
            self.preview.close()
            self.preview = None
        super().done(result)


def open_import(ctx: AppContext, parent: QWidget | None) -> ImportWizard:
    """File ▸ Import clients…: the wizard beside the main window (it does its work in the background)."""
    wizard = ImportWizard(ctx, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.show()
    return wizard


def ask(parent: QWidget, ctx: AppContext) -> ImportWizard:
    """The set-up wizard's "Import a spreadsheet…" (ui/setup_wizard.py): the import wizard over
    it, window-modal (the set-up waits for it, without a nested event loop); its ``imported``
    signal says what went in."""
    wizard = ImportWizard(ctx, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.setWindowModality(Qt.WindowModality.WindowModal)
    wizard.show()
    return wizard

