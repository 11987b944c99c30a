"""Pictures the UI tests need, drawn here (no image files in the repository)."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter


def logo_png(width: int = 300) -> bytes:
    image = QImage(width, width // 3, QImage.Format.Format_ARGB32)
    image.fill(QColor("#1565c0"))
    painter = QPainter(image)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setPixelSize(width // 8)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(image.rect(), int(Qt.AlignmentFlag.AlignCenter), "SKYLINE")
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 takes str
    return bytes(data.data())
