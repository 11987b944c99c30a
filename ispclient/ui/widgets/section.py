"""A titled group of “Label: value” rows, as on the client overview."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget


class ValueLabel(QLabel):
    """Read-only value text: wraps, and can be selected with the mouse to copy."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class Section(QGroupBox):
    """Rows are addressed by a key; ``value(key)`` returns the shown text (tests read it)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._fields: dict[str, QWidget] = {}
        self._labels: dict[str, QLabel] = {}

    def add_row(self, key: str, label: str, widget: QWidget | None = None) -> QWidget:
        field = widget if widget is not None else ValueLabel(parent=self)
        field.setObjectName(key)
        caption = QLabel(label, self)
        caption.setObjectName(f"{key}_label")
        self.form.addRow(caption, field)
        self._fields[key] = field
        self._labels[key] = caption
        return field

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
