"""Shifts and the cash-up: your shifts (a manager or the owner: every shift of a day), the report
of the one selected, opening a shift with a float, closing it with the cash counted, printing
and saving the report as PDF. A closed shift is shown as it was closed; it never changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import IntEnum
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain import shifts as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money, parse_amount
from ispclient.domain.permissions import Permission
from ispclient.store import shifts
from ispclient.store.changes import Changes
from ispclient.store.shifts import ShiftReport, ShiftView
from ispclient.ui import msgbox, ops
from ispclient.ui.cashup_report import cashup_html, print_report, save_pdf
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.dialogs.subscription_view import set_allowed
from ispclient.ui.help import install_f1
from ispclient.ui.models.rows import RowListModel, list_view
from ispclient.ui.widgets.formatting import local_time
from ispclient.ui.window_state import WindowState

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    MEMBER = 0
    OPENED = 1
    CLOSED = 2
    TAKEN = 3
    DIFFERENCE = 4


HEADERS = {Column.MEMBER: "Staff member", Column.OPENED: "Opened", Column.CLOSED: "Closed", Column.TAKEN: "Taken",
           Column.DIFFERENCE: "Cash-up"}


class ShiftsModel(RowListModel[ShiftView]):
    headers = tuple(HEADERS[c] for c in Column)
    _currency = "USD"
    _tz = ""

    def set_rows(self, rows: Sequence[ShiftView], currency: str, tz: str) -> None:
        self._currency, self._tz = currency, tz
        self._replace_rows(rows)

    def row_of(self, shift_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == shift_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        s = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if col is Column.MEMBER:
                return s.staff_name
            if col is Column.OPENED:
                return local_time(s.opened_at, self._tz)
            if col is Column.CLOSED:
                return local_time(s.closed_at, self._tz) if s.closed_at else "Open"
            if col is Column.TAKEN:
                return format_money(s.taken_minor, self._currency)
            if s.difference_minor is None:
                return "—"
            return rules.describe_difference(s.difference_minor, format_money(abs(s.difference_minor), self._currency))
        if role == Qt.ItemDataRole.TextAlignmentRole and col is Column.TAKEN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class OpenShiftDialog(FormDialog):
    save_text = "&Open shift"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Open my shift", parent)
        self.currency = ctx.settings().currency
        self.float = QLineEdit()
        self.float.setObjectName("float")
        self.float.setPlaceholderText("0")
        self.fields.add("opening_float", f"Cash in the drawer &now ({self.currency}):", self.float,
                        hint="The float you start with; it is part of the cash expected at the cash-up.")
        self.finish_layout()
        install_f1(self, "till")

    def validate(self) -> Mapping[str, str]:
        text = self.float.text().strip()
        if text:
            try:
                parse_amount(text, self.currency, allow_zero=True)
            except ValidationError as e:
                return {"opening_float": next(iter(e.errors.values()))}
        return {}

    def work(self) -> Callable[[], Any]:
        text = self.float.text()
        return lambda: shifts.open_shift(text)


class CloseShiftDialog(FormDialog):
    """The cash-up: what the drawer should hold, the cash counted, the difference, a note."""

    save_text = "&Close shift"

    def __init__(self, report: ShiftReport, parent: QWidget | None = None) -> None:
        super().__init__(f"Cash-up — {report.shift.staff_name}", parent)
        self.setObjectName("closeShiftDialog")
        self.report = report
        self.currency = report.currency
        self.setMinimumWidth(460)
        up = report.cash_up
        rows = "".join(f"<tr><td>{escape(m.method)}</td><td align='right'>"
                       f"{escape(format_money(m.expected_minor, self.currency))}</td></tr>" for m in up.methods)
        summary = QLabel(
            "<p>Expected per payment method:</p><table cellspacing='0' cellpadding='2'>"
            + (rows or "<tr><td>No money taken.</td></tr>") + "</table>"
            f"<p>Cash expected in the drawer, with the float of "
            f"{escape(format_money(up.opening_float_minor, self.currency))}: "
            f"<b>{escape(format_money(up.expected_cash_minor, self.currency))}</b></p>")
        summary.setTextFormat(Qt.TextFormat.RichText)
        summary.setWordWrap(True)
        summary.setObjectName("expected")
        self.outer.insertWidget(1, summary)
        self.counted = QLineEdit()
        self.counted.setObjectName("counted_cash")
        self.difference = QLabel("—")
        self.difference.setObjectName("difference")
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.fields.add("counted_cash", f"Cash &counted ({self.currency}):", self.counted)
        self.form_layout.addRow("Difference:", self.difference)
        self.fields.add("note", "&Note:", self.note, hint="Why it is short or over, if you know.")
        self.counted.textChanged.connect(self._show_difference)
        self.finish_layout()
        install_f1(self, "till")
        self.counted.setFocus()

    def _show_difference(self) -> None:
        try:
            counted = parse_amount(self.counted.text(), self.currency, allow_zero=True)
        except ValidationError:
            self.difference.setText("—")
            return
        diff = self.report.cash_up.difference(counted)
        self.difference.setText(rules.describe_difference(diff, format_money(abs(diff), self.currency)))

    def validate(self) -> Mapping[str, str]:
        if not self.counted.text().strip():
            return {"counted_cash": "Count the cash in the drawer and type it (0 if none)."}
        try:
            parse_amount(self.counted.text(), self.currency, allow_zero=True)
        except ValidationError as e:
            return {"counted_cash": next(iter(e.errors.values()))}
        return {}

    def work(self) -> Callable[[], Any]:
        shift_id, counted, note = self.report.shift.id, self.counted.text(), self.note.toPlainText()
        return lambda: shifts.close_shift(shift_id, counted, note)

    def saved_id(self, result: Any) -> int | None:
        return self.report.shift.id


class ShiftsWindow(WindowState, QWidget):
    state_group = "ShiftsWindow"
    default_size = QSize(1180, 640)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("shiftsWindow")
        self.setWindowTitle("Shifts and cash-up")
        self.ctx = ctx
        self.report: ShiftReport | None = None
        self._select_later: int | None = None
        self.model = ShiftsModel(self)
        self.table = list_view(self.model, "shifts")
        today = ctx.today()  # the business's day (its time zone), not this PC's clock
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setObjectName("day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("dd MMM yyyy")
        self.scope = QLabel()
        self.view = QTextBrowser()
        self.view.setObjectName("cashup")
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the report fits the width
        self.open_button = QPushButton("&Open my shift…")
        self.close_button = QPushButton("&Close shift (cash-up)…")
        self.print_button = QPushButton("&Print…")
        self.pdf_button = QPushButton("Save as P&DF…")
        top = QHBoxLayout()
        top.addWidget(self.scope)
        top.addWidget(self.day)
        top.addStretch(1)
        top.addWidget(self.open_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        right_layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([560, 700])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.day.dateChanged.connect(lambda _d: self.reload())
        self.open_button.clicked.connect(self.open_shift)
        self.close_button.clicked.connect(self.close_shift)
        self.print_button.clicked.connect(self.print_report)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._load_report())
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        install_f1(self, "till")
        ctx.events.changed.connect(self._changed)
        ctx.session.changed.connect(self.reload)
        self.restore_window_state()
        self.reload()

    @property
    def sees_all(self) -> bool:
        return self.ctx.session.can(Permission.SEE_ALL_SHIFTS)

    def _changed(self, changes: Changes) -> None:
        if changes.payments or changes.staff:
            self.reload()

    def reload(self) -> None:
        all_of_day = self.sees_all
        self.day.setVisible(all_of_day)
        self.scope.setText("Every shift of" if all_of_day else "My latest shifts")
        day: date = self.day.date().toPython()  # type: ignore[assignment]
        read: Callable[[], list[ShiftView]] = (lambda: shifts.shifts_of_day(day)) if all_of_day else shifts.my_shifts
        ops.Op(self, read, key="list").on_success(self._show).run()
        ops.Op(self, shifts.my_open_shift, key="mine").on_success(self._show_mine).run()

    def _show_mine(self, mine: ShiftView | None) -> None:
        refusal = self.ctx.session.refusal(Permission.TAKE_PAYMENTS)
        set_allowed(self.open_button, refusal or ("Your shift is open (since "
                                                  f"{local_time(mine.opened_at, self.ctx.settings().timezone)})."
                                                  if mine else None),
                    "Start your shift with the cash in the drawer (a payment starts one by itself too).")
        if mine is not None and self._select_later is None and self.model.row_of(mine.id) < 0 and not self.sees_all:
            self._select_later = mine.id

    def _show(self, rows: list[ShiftView]) -> None:
        selected = self._select_later or self.selected_id()
        self._select_later = None
        s = self.ctx.settings()
        self.model.set_rows(rows, s.currency, s.timezone)
        self.table.resizeColumnsToContents()
        row = self.model.row_of(selected) if selected is not None else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectRow(row)
            self._load_report()  # again: its figures may have changed, though the row is the same
        else:
            self.report = None
            self.view.setHtml("<p>No shifts here yet. A shift opens with your first payment, or with "
                              "<i>Open my shift</i>.</p>")
        self._update_buttons()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return int(self.model.row_at(rows[0].row()).id) if rows else None

    def select_shift(self, shift_id: int) -> None:
        self._select_later = shift_id
        row = self.model.row_of(shift_id)
        if row >= 0:
            self.table.selectRow(row)

    def _load_report(self) -> None:
        shift_id = self.selected_id()
        if shift_id is None:
            return
        ops.Op(self, lambda: shifts.shift_report(shift_id), key="report").on_success(self._show_report).run()

    def _show_report(self, report: ShiftReport) -> None:
        self.report = report
        self.view.setHtml(cashup_html(report))
        self._update_buttons()

    def _update_buttons(self) -> None:
        r = self.report
        why = None if r is not None else "Select a shift first."
        for button in (self.print_button, self.pdf_button):
            set_allowed(button, why, "The cash-up report on A4.")
        close_why = why or (None if r is not None and r.shift.is_open else "This shift is closed; it can't change.")
        close_why = self.ctx.session.refusal(Permission.TAKE_PAYMENTS) or close_why
        set_allowed(self.close_button, close_why, "Count the cash, type it, and close the shift.")

    def open_shift(self) -> None:
        dialog = OpenShiftDialog(self.ctx, self)
        if FormDialog.run(dialog) is not None:
            self.reload()

    def close_shift(self) -> None:
        if self.report is None or not self.close_button.isEnabled():
            return
        dialog = CloseShiftDialog(self.report, self)
        if FormDialog.run(dialog) is not None:
            self.select_shift(self.report.shift.id)
            self.reload()

    def _html(self) -> str:
        assert self.report is not None
        actor = self.ctx.session.actor
        return cashup_html(self.report, actor.name if actor is not None and not actor.is_system else "")

    def print_report(self) -> None:
        if self.report is not None:
            print_report(self, self._html())

    def save_pdf(self) -> None:
        if self.report is None:
            return
        s = self.report.shift
        suggested = str(Path.home() / f"cash-up-{s.staff_name.replace(' ', '-').lower()}-{s.id}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Save the cash-up as PDF", suggested, "PDF (*.pdf)")
        if not path:
            return
        try:  # one page of text: quicker than handing Qt's painting to another thread
            saved = save_pdf(self._html(), Path(path))
        except OSError as e:
            msgbox.error(self, "The cash-up was not saved", str(e))
            return
        msgbox.info(self, "Cash-up saved", f"Saved as {saved}.")
