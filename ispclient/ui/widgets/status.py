"""A coloured dot followed by its status word, e.g. ● Online; and status text colours that stay
readable on light and dark palettes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
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


def set_text_colour(label: QLabel, colour: QColor | None) -> None:
    """``label``'s text in ``colour`` (None: the palette's own) — through its palette, not a style
    sheet: a style sheet is parsed and the label re-polished on every change."""
    if colour is None:
        label.setPalette(QPalette())  # nothing of its own: the window's palette, theme changes and all
        return
    palette = QPalette()  # only the text colour is its own; the rest follows the window's
    palette.setColor(QPalette.ColorRole.WindowText, colour)
    label.setPalette(palette)


def bold(label: QLabel, on: bool = True) -> None:
    """Semi-bold (600) text; only the weight is the label's own, the rest follows the window's."""
    font = QFont()
    if on:
        font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)


class StatusBadge(QWidget):
    def __init__(self, parent: QWidget | None = None, dot_size: int = 12) -> None:
        super().__init__(parent)
        self._dot_size = dot_size
        self.dot = QLabel(self)
        self.text = QLabel(self)
        bold(self.text)
        self.colour = ""
        self._shown: tuple[str, str, int] | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)

    def set_status(self, text: str, colour: str) -> None:
        """``colour`` is the status colour (the dot); the text gets a readable shade of it."""
        background = self.palette().window().color().rgba()
        if self._shown == (text, colour, background):
            return
        self._shown = (text, colour, background)
        self.colour = colour
        self.dot.setPixmap(dot_icon(colour, self._dot_size).pixmap(self._dot_size, self._dot_size))
        self.text.setText(text)
        set_text_colour(self.text, readable_colour(colour, QColor.fromRgba(background)))
        self.setAccessibleName(text)
