"""A coloured dot followed by its status word, e.g. ● Online."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ispclient.ui.style import dot_icon


class StatusBadge(QWidget):
    def __init__(self, parent: QWidget | None = None, dot_size: int = 12) -> None:
        super().__init__(parent)
        self._dot_size = dot_size
        self.dot = QLabel(self)
        self.text = QLabel(self)
        self.colour = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)

    def set_status(self, text: str, colour: str) -> None:
        self.colour = colour
        self.dot.setPixmap(dot_icon(colour, self._dot_size).pixmap(self._dot_size, self._dot_size))
        self.text.setText(text)
        self.text.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.setAccessibleName(text)
