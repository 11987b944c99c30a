"""A boxed note with a bold title, e.g. the seed's “Connection status unavailable”."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

_KINDS = {
    # Translucent fills read on light and dark palettes alike.
    "warning": ("rgba(227, 116, 0, 0.12)", "#e37400"),
    "info": ("rgba(26, 115, 232, 0.10)", "#1a73e8"),
    "error": ("rgba(217, 48, 37, 0.10)", "#d93025"),
}


class NoticeBox(QFrame):
    def __init__(self, title: str = "", text: str = "", kind: str = "warning",
                 parent: QWidget | None = None, selectable: bool = True) -> None:
        super().__init__(parent)
        self.setProperty("notice", "true")  # styled by property: callers may set their own objectName
        self.title = QLabel(self)
        self.title.setObjectName("noticeTitle")
        self.body = QLabel(self)
        self.body.setObjectName("noticeBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        if selectable:  # else its Section makes it so when pointed at (Section.make_selectable)
            self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        self.set_kind(kind)
        self.set_text(title, text)

    def set_kind(self, kind: str) -> None:
        fill, edge = _KINDS[kind]
        self.setStyleSheet(
            f"QFrame[notice=\"true\"] {{ background: {fill}; border: 1px solid {edge}; border-left: 4px solid {edge};"
            " border-radius: 4px; }"
            " QLabel#noticeTitle { font-weight: 600; }"
        )

    def set_text(self, title: str, text: str) -> None:
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.body.setText(text)
        self.body.setVisible(bool(text))
