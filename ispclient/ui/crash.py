"""Unhandled exceptions: logged in full, then one friendly message box pointing at the log.

Front-desk users never see a traceback; the log file has it for whoever supports them. While a
box is open (its nested event loop keeps running, so more exceptions can arrive) further errors
are only logged — there is never more than one box on the screen.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from ispclient import APP_DISPLAY_NAME

log = logging.getLogger(__name__)

TITLE = f"{APP_DISPLAY_NAME} — unexpected error"


def crash_text(log_path: Path) -> str:
    return (
        f"Something went wrong and {APP_DISPLAY_NAME} could not finish what it was doing.\n\n"
        f"The details were written to:\n{log_path}\n\n"
        "If this keeps happening, send that file to whoever supports the program."
    )


def show_message(title: str, text: str) -> None:
    """The one place that opens the box: tests patch this."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, text)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()


class _CrashReporter(QObject):
    # Emitted from worker threads; the queued connection brings it to the GUI thread.
    crashed_in_thread = Signal()

    def __init__(self, log_path: Path) -> None:
        super().__init__()
        self.log_path = log_path
        self._showing = False
        self._app: QApplication | None = None
        self.crashed_in_thread.connect(self.show_once)

    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        try:
            log.critical("Unhandled exception", exc_info=(exc_type, exc, tb))
            if threading.current_thread() is threading.main_thread():
                self.show_once()
            else:
                self.crashed_in_thread.emit()
        except BaseException:  # the hook itself must never fail; fall back to the default
            sys.__excepthook__(exc_type, exc, tb)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        thread = args.thread.name if args.thread else "?"
        try:
            exc = args.exc_value
            log.critical("Unhandled exception in thread %s: %s", thread, args.exc_type.__name__,
                         exc_info=(args.exc_type, exc, args.exc_traceback) if exc is not None else None)
            self.crashed_in_thread.emit()
        except BaseException:
            threading.__excepthook__(args)

    def show_once(self) -> None:
        if self._showing:
            return  # a box is already open: the log has this one too
        self._showing = True
        try:
            if QApplication.instance() is None:
                # Failed before the app object existed: make one so the user still sees why.
                self._app = QApplication([sys.argv[0] if sys.argv else "ispclient"])
            show_message(TITLE, crash_text(self.log_path))
        except Exception:
            log.exception("Could not show the error message box")
        finally:
            self._showing = False


_reporter: _CrashReporter | None = None


def install_excepthook(log_path: Path) -> None:
    """Route unhandled exceptions (main thread and Python threads) to the log and one message box.

    Call it on the GUI thread, after logging is configured.
    """
    global _reporter
    _reporter = _CrashReporter(Path(log_path))
    sys.excepthook = _reporter.excepthook
    threading.excepthook = _reporter.thread_excepthook
