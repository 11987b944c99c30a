"""Activity tab: this client's audit trail — when, who, what — with the values before and after."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ispclient.store.queries import AuditView
from ispclient.ui.models.rows import RowListModel, fit_column, list_view
from ispclient.ui.widgets.formatting import local_time

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    WHEN = 0
    WHO = 1
    WHAT = 2
    WHERE = 3  # the PC and its user


HEADERS = {Column.WHEN: "When", Column.WHO: "Who", Column.WHAT: "What", Column.WHERE: "PC"}
EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class ActivityRow:
    id: int
    at: datetime
    actor: str
    action: str
    summary: str
    before: dict[str, Any]
    after: dict[str, Any]
    pc_name: str = ""
    os_user: str = ""
    staff: bool = False  # a staff member (not the system, nor a row from before staff accounts)

    @classmethod
    def from_event(cls, e: AuditView) -> ActivityRow:
        return cls(e.id, e.at, e.actor, e.action, e.summary or e.action, _json(e.before), _json(e.after),
                   e.pc_name, e.os_user, e.staff_id is not None)

    @property
    def where(self) -> str:
        """“FRONTDESK-1 (PC user reception)”; empty for rows from before staff accounts."""
        if not self.pc_name and not self.os_user:
            return ""
        return f"{self.pc_name or '?'} (PC user {self.os_user or '?'})"

    def changes_text(self) -> str:
        """'Name: “Jon” → “John”' per changed field; plain values when only one side exists."""
        keys = list(dict.fromkeys([*self.before, *self.after]))
        lines = []
        for k in keys:
            label = k.replace("_", " ").capitalize()
            if k in self.before and k in self.after:
                lines.append(f"{label}: {_show(self.before[k])} → {_show(self.after[k])}")
            elif k in self.after:
                lines.append(f"{label}: {_show(self.after[k])}")
            else:
                lines.append(f"{label} (before): {_show(self.before[k])}")
        return "\n".join(lines)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return f"“{value}”" if isinstance(value, str) else str(value)


class ActivityModel(RowListModel[ActivityRow]):
    """The events, their When/Who/What/PC texts worked out once in :meth:`set_rows` (views ask
    ``data()`` for every cell on each paint and size hint)."""

    headers = tuple(HEADERS[c] for c in Column)
    _tz = ""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._texts: list[tuple[str, str, str, str]] = []

    def set_rows(self, rows: Sequence[ActivityRow], tz_name: str) -> None:
        self._tz = tz_name
        self._texts = [(local_time(r.at, tz_name, seconds=True), r.actor, r.summary, r.where) for r in rows]
        self._replace_rows(rows)

    def column_texts(self, col: Column) -> list[str]:
        return [t[col] for t in self._texts]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[index.row()][index.column()]
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == Column.WHO:
                return ("A staff member's sign-in" if row.staff else
                        "The PC user (from before staff accounts, or the app's own work)") + \
                    (f" — on {row.where}" if row.where else "")
            return row.changes_text() or None
        if role == EVENT_ID_ROLE:
            return row.id
        return None


class ActivityTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = ActivityModel(self)
        self._table = list_view(self._model, "activity")
        self._table.setWordWrap(False)
        header = self._table.horizontalHeader()
        header.setStretchLastSection(False)  # "What" takes the spare width, not the PC
        header.setSectionResizeMode(Column.WHAT, QHeaderView.ResizeMode.Stretch)
        self.details = QPlainTextEdit()
        self.details.setObjectName("activity_details")
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select an event to see the values before and after.")
        self.details.setTabChangesFocus(True)
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(QLabel("Changes:"))
        box_layout.addWidget(self.details)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._table)
        splitter.addWidget(box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._table.selectionModel().currentRowChanged.connect(self._show_changes)
        self._pending: tuple[Sequence[AuditView], str] | None = None  # events not yet in the table

    @property
    def model(self) -> ActivityModel:
        """The events' model, filled with the latest data (see :meth:`show_events`)."""
        self._fill_pending()
        return self._model

    @property
    def table(self) -> QTableView:
        self._fill_pending()
        return self._table

    @property
    def table_view(self) -> QTableView:
        """The table as it is (its header's state, say), without filling it."""
        return self._table

    def show_events(self, events: Sequence[AuditView], tz_name: str) -> None:
        """Fill the table now if the tab is on screen, else when it is first shown or asked for
        (:attr:`model`, :attr:`table`): most opens never look at the audit trail."""
        self._pending = (events, tz_name)
        if self.isVisible():
            self._fill_pending()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fill_pending()

    def _fill_pending(self) -> None:
        if self._pending is None:
            return
        events, tz_name = self._pending
        self._pending = None
        self._model.set_rows([ActivityRow.from_event(e) for e in events], tz_name)
        for col in (Column.WHEN, Column.WHO, Column.WHERE):
            fit_column(self._table, col, self._model.column_texts(col))
        self.details.clear()

    def _show_changes(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.details.clear()
            return
        row = self._model.row_at(current.row())
        text = row.changes_text()
        self.details.setPlainText(f"{row.summary}\n\n{text}" if text else row.summary)
