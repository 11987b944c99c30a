"""Help ▸ User guide: the short guide shipped in ``resources/guide`` (no network, no browser),
and F1 in each window opening the part about that window."""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QTextBrowser, QVBoxLayout, QWidget

from ispclient.resources import resource_path

log = logging.getLogger(__name__)

PAGES = ("setup", "staff", "today", "main", "client", "offline", "selling", "receipts", "cancel", "delete", "till",
         "reports", "import", "servers", "packages", "router-sync", "backups", "keys")


class GuideWindow(QWidget):
    """The guide, read from the file shipped with the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("guide")
        self.setWindowTitle("User guide")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        from ispclient.ui.window_state import fitted_size

        self.resize(fitted_size(QSize(720, 640), self))
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        try:
            self.browser.setSource(QUrl.fromLocalFile(str(resource_path("guide", "index.html"))))
        except FileNotFoundError:
            log.warning("the user guide is missing from resources/guide")
            self.browser.setPlainText("The user guide is missing from this installation (resources/guide).")

    def show_page(self, page: str) -> None:
        if page in PAGES:
            self.browser.scrollToAnchor(page)


_window: GuideWindow | None = None


def open_guide(parent: QWidget | None = None, page: str = "") -> GuideWindow:
    """Show the guide (one window, raised if open) at ``page``. Asked from a modal dialog (Record
    payment, the sign-in), the guide goes under that dialog: elsewhere the dialog would block it
    (shown, but not to be scrolled or closed until the dialog is)."""
    global _window
    modal = QApplication.activeModalWidget()
    owner = modal if modal is not None else parent.window() if parent is not None else None
    if _window is None or not shiboken6.isValid(_window):
        _window = GuideWindow(owner)
    elif modal is not None and _window.parentWidget() is not modal:
        _window.setParent(modal, Qt.WindowType.Window)
    _window.show()
    _window.raise_()
    _window.activateWindow()
    _window.show_page(page)
    return _window


def install_f1(window: QWidget, page: str) -> None:
    """F1 in ``window`` opens the guide at ``page``."""
    QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), window,
              lambda: open_guide(window, page)).setContext(Qt.ShortcutContext.WindowShortcut)
