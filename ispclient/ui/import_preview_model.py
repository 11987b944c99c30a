"""The import preview's rows as a table: row number, verdict, why, then the file's own cells.

The rows live in the preview's spool file, not in memory: the model holds the indices of the
rows the filter shows (every row: a ``range``, not a 100,000-item list) and reads a page of rows
when the view paints them. Everything here runs on the GUI thread and the view asks ``data``
for every role of every visible cell (a few thousand calls a paint): roles it doesn't answer go
back at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ispclient.dataio.prepare import VERDICT_LABELS, Prepared, Preview, Verdict

AnyIndex = QModelIndex | QPersistentModelIndex
PAGE = 200
ROLES = frozenset(int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                   Qt.ItemDataRole.ForegroundRole))
FIXED = ("Row", "Verdict", "What happens")
VERDICT_COLOURS = {Verdict.NEW: QColor("#2e7d32"), Verdict.UPDATE: QColor("#1565c0"),
                   Verdict.DUPLICATE: QColor("#b26a00"), Verdict.ERROR: QColor("#c62828"),
                   Verdict.BLANK: QColor("#757575")}


class PreviewModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._preview: Preview | None = None
        self._shown: Sequence[int] = ()
        self._pages: dict[int, list[Prepared]] = {}

    def set_preview(self, preview: Preview | None, verdicts: set[int] | None = None) -> None:
        self.beginResetModel()
        self._preview = preview
        self._pages.clear()
        if preview is None:
            self._shown = ()
        elif verdicts is None:
            self._shown = range(len(preview))
        else:
            self._shown = preview.indices(verdicts)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._preview is None:
            return 0
        return len(FIXED) + len(self._preview.header)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole or self._preview is None:
            return None
        if section < len(FIXED):
            return FIXED[section]
        return self._preview.header[section - len(FIXED)]

    def prepared(self, row: int) -> Prepared:
        assert self._preview is not None
        index = self._shown[row]
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            if len(self._pages) > 50:  # a few hundred rows around what is on screen
                self._pages.clear()
            last = min(len(self._preview), (page + 1) * PAGE) - 1
            rows = self._pages[page] = self._preview.rows(page * PAGE, last)
        return rows[index - page * PAGE]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in ROLES or self._preview is None:
            return None
        r = index.row()
        if not 0 <= r < len(self._shown) or not index.isValid():
            return None
        row = self.prepared(r)
        column = index.column()
        if role == Qt.ItemDataRole.ForegroundRole:
            return VERDICT_COLOURS.get(Verdict(row.verdict)) if column == 1 else None
        if column == 2 and role == Qt.ItemDataRole.ToolTipRole and row.errors:
            return "\n".join(dict.fromkeys(row.errors.values()))
        text = cell_text(row, column)
        return text if role == Qt.ItemDataRole.DisplayRole or column < len(FIXED) or len(text) > 40 else None


def cell_text(row: Prepared, column: int) -> str:
    """What the grid shows in ``column`` for ``row``."""
    if column == 0:
        return f"{row.line:,}"
    if column == 1:
        return VERDICT_LABELS[Verdict(row.verdict)]
    if column == 2:
        return row.message or ("New client" if row.verdict == Verdict.NEW else "")
    cell = column - len(FIXED)
    return row.cells[cell] if cell < len(row.cells) else ""
