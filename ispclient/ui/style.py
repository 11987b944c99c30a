"""Shared look: status colours (readable on light and dark backgrounds) and drawn status dots."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from ispclient.domain.connection import ConnectionState
from ispclient.domain.subscriptions import SubscriptionStatus

CONNECTION_COLOURS = {
    ConnectionState.ONLINE: "#1e9e4a",
    ConnectionState.OFFLINE: "#d93025",
    ConnectionState.UNKNOWN: "#9aa0a6",
}

SUBSCRIPTION_COLOURS = {
    SubscriptionStatus.ACTIVE: "#1e9e4a",
    SubscriptionStatus.EXPIRING: "#e37400",
    SubscriptionStatus.EXPIRED: "#d93025",
    SubscriptionStatus.SCHEDULED: "#1a73e8",
    SubscriptionStatus.CANCELLED: "#9aa0a6",
}


@cache
def dot_icon(colour: str, size: int = 12) -> QIcon:
    """A filled circle with a thin darker rim, drawn at 1x and 2x for high-DPI screens."""
    icon = QIcon()
    for scale in (1, 2):
        pm = QPixmap(size * scale, size * scale)
        pm.setDevicePixelRatio(scale)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(colour)
        p.setBrush(fill)
        p.setPen(fill.darker(140))
        p.drawEllipse(QRectF(1, 1, size - 2, size - 2))
        p.end()
        icon.addPixmap(pm)
    return icon


def connection_icon(state: ConnectionState, size: int = 12) -> QIcon:
    return dot_icon(CONNECTION_COLOURS[state], size)
