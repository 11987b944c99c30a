"""Message boxes through one door, so tests can patch them and nothing blocks unexpectedly.

Callers use ``msgbox.confirm(...)`` (module attribute lookup), never ``from msgbox import confirm``,
so a test's ``monkeypatch.setattr(msgbox, "confirm", ...)`` takes effect everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

# Non-modal notices without a parent must be kept alive until they close.
_open_notices: set[QMessageBox] = set()


def _box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def error(parent: QWidget | None, title: str, text: str) -> None:
    box = _box(parent, QMessageBox.Icon.Warning, title, text)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()


def info(parent: QWidget | None, title: str, text: str) -> None:
    box = _box(parent, QMessageBox.Icon.Information, title, text)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.exec()


def confirm(parent: QWidget | None, title: str, text: str, ok_text: str = "OK",
            cancel_text: str = "Cancel") -> bool:
    """True if the user chose ``ok_text``. The safe choice (cancel) is the default button."""
    box = _box(parent, QMessageBox.Icon.Question, title, text)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(cancel_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is ok


def choose(parent: QWidget | None, title: str, text: str, choices: Sequence[str],
           close_text: str = "Close") -> str | None:
    """A warning with extra buttons; the chosen text, or None for Close/Esc."""
    box = _box(parent, QMessageBox.Icon.Warning, title, text)
    buttons = {box.addButton(c, QMessageBox.ButtonRole.ActionRole): c for c in choices}
    close = box.addButton(close_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(close)
    box.setEscapeButton(close)
    box.exec()
    clicked = box.clickedButton()
    return next((text for button, text in buttons.items() if button is clicked), None)


def undo_notice(parent: QWidget | None, title: str, text: str, on_undo: Callable[[], object],
                timeout_ms: int = 30_000) -> QMessageBox:
    """A non-modal note with an Undo button (e.g. “Client deleted — Undo”); closes by itself."""
    box = _box(parent, QMessageBox.Icon.Information, title, text)
    box.setObjectName("undoNotice")
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    undo: QPushButton = box.addButton("&Undo", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    undo.clicked.connect(on_undo)
    _open_notices.add(box)
    box.finished.connect(lambda _r: _open_notices.discard(box))
    box.destroyed.connect(lambda *_: _open_notices.discard(box))
    QTimer.singleShot(timeout_ms, box, box.close)
    box.show()
    return box
