"""A coloured dot followed by its status word, e.g. ● Online; and status text colours that stay
readable on light and dark palettes."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ispclient.ui.style import dot_icon

MIN_CONTRAST = 4.5  # WCAG AA for normal text


def _luminance(c: QColor) -> float:
    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable_colour(colour: str, background: QColor, minimum: float = MIN_CONTRAST) -> QColor:
    """``colour`` darkened (light background) or lightened (dark one) until text in it reads well;
    the hue stays, so green is still green."""
    c = QColor(colour)
    dark_background = _luminance(background) < 0.18
    for _ in range(30):
        if contrast(c, background) >= minimum:
            break
        c = c.lighter(108) if dark_background else c.darker(108)
        if dark_background and c.value() >= 255:  # lighter() stops at full value: desaturate instead
            c = QColor.fromHsv(c.hue(), max(c.saturation() - 20, 0), 255)
    return c


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
        """``colour`` is the status colour (the dot); the text gets a readable shade of it."""
        self.colour = colour
        self.dot.setPixmap(dot_icon(colour, self._dot_size).pixmap(self._dot_size, self._dot_size))
        self.text.setText(text)
        shade = readable_colour(colour, self.palette().window().color())
        self.text.setStyleSheet(f"color: {shade.name()}; font-weight: 600;")
        self.setAccessibleName(text)
