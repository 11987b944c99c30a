"""A titled group of “Label: value” rows, as on the client overview."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


def value_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """Read-only value text that wraps (a plain QLabel: a Python subclass made every one of
    Qt's calls into it — size hints, events, paints — look for a Python override first)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class Section(QGroupBox):
    """Rows are addressed by a key; ``value(key)`` returns the shown text (tests read it).

    Values can be selected with the mouse to copy — switched on when the pointer first enters
    the section: a selectable QLabel keeps a text document, which made filling and laying out a
    window of them about twice as slow, and nobody selects text they have not pointed at."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._fields: dict[str, QWidget] = {}
        self._labels: dict[str, QLabel] = {}
        self._selectable: list[QLabel] = []
        self._pointed_at = False

    def add_row(self, key: str, label: str, widget: QWidget | None = None) -> QWidget:
        field = widget if widget is not None else value_label(parent=self)
        field.setObjectName(key)
        caption = QLabel(label, self)
        caption.setObjectName(f"{key}_label")
        self.form.addRow(caption, field)
        self._fields[key] = field
        self._labels[key] = caption
        if widget is None:
            self.make_selectable(field)  # type: ignore[arg-type]  # value_label's QLabel
        return field

    def make_selectable(self, label: QLabel) -> None:
        """``label`` (anywhere in the section) becomes selectable with the mouse once pointed at."""
        if self._pointed_at:
            label.setTextInteractionFlags(label.textInteractionFlags() | SELECTABLE)
        else:
            self._selectable.append(label)

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 - Qt's name
        if not self._pointed_at:
            self._pointed_at = True
            for label in self._selectable:
                if shiboken6.isValid(label):
                    label.setTextInteractionFlags(label.textInteractionFlags() | SELECTABLE)
            self._selectable.clear()
        super().enterEvent(event)

    def add_full_width(self, widget: QWidget) -> None:
        self.form.addRow(widget)

    def field(self, key: str) -> QWidget:
        return self._fields[key]

    def label(self, key: str) -> QLabel:
        return self._labels[key]

    def set_value(self, key: str, text: str, tooltip: str = "") -> None:
        field = self._fields[key]
        if isinstance(field, QLabel):
            field.setText(text)
        field.setToolTip(tooltip)

    def value(self, key: str) -> str:
        field = self._fields[key]
        return field.text() if isinstance(field, QLabel) else ""

    def set_row_visible(self, key: str, visible: bool) -> None:
        self.form.setRowVisible(self._fields[key], visible)
