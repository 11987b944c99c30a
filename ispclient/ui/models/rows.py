"""The base of the short lists shown whole — servers, packages, a client's subscriptions and
activity: rows by position, one header per column."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex


class RowListModel(QAbstractTableModel, Generic[R]):
    headers: ClassVar[Sequence[str]] = ()  # the header of each column, in column order

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    def _replace_rows(self, rows: Iterable[R]) -> None:
        """A new list: a reset, as it is short and reloaded whole."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.headers):
            return self.headers[section]
        return None


def list_view(model: QAbstractTableModel, name: str) -> QTableView:
    """A read-only table of whole rows, one selected at a time, for a RowListModel."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)  # Tab moves on to the buttons, not across cells
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def fit_width(view: QTableView, column: int, texts: Iterable[str]) -> int:
    """What ``view.sizeHintForColumn(column)`` gives, without asking the model for every cell:
    the row whose (already formatted) text is widest in the view's font is found with font
    metrics, and only that cell is measured by the delegate (icon, margins and all)."""
    metrics = view.fontMetrics()
    widest, best = -1, -1
    measured: dict[str, int] = {}  # dates, prices and statuses repeat
    for row, text in enumerate(texts):
        width = measured.get(text)
        if width is None:
            width = measured[text] = metrics.horizontalAdvance(text)
        if width > widest:
            widest, best = width, row
    if best < 0:
        return 0
    model = view.model()
    hint = view.sizeHintForIndex(model.index(best, column)).width()
    return hint + 1 if view.showGrid() else hint  # as QTableView adds for the grid line


def fit_column(view: QTableView, column: int, texts: Iterable[str]) -> None:
    """``view.resizeColumnToContents(column)`` from the formatted texts (see :func:`fit_width`)."""
    header = view.horizontalHeader()
    needed = fit_width(view, column, texts)
    if not header.isHidden():
        needed = max(needed, header.sectionSizeHint(column))
    header.resizeSection(column, needed)
