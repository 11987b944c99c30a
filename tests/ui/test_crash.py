"""An unhandled exception is logged in full and shows one friendly box with the log's path."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from ispclient.logging_setup import configure_logging
from ispclient.ui import crash


@pytest.fixture
def log_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    yield configure_logging(tmp_path / "logs", console=False)
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(crash, "show_message", lambda title, text: shown.append((title, text)))
    return shown


def _raise_unhandled(exc: BaseException) -> None:
    """What Python does with an exception nobody caught."""
    try:
        raise exc
    except BaseException:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]


def test_one_friendly_box_and_the_full_traceback_in_the_log(
    qapp: object, log_path: Path, boxes: list[tuple[str, str]]
) -> None:
    crash.install_excepthook(log_path)

    _raise_unhandled(ValueError("payment total is not a number"))

    assert len(boxes) == 1
    title, text = boxes[0]
    assert "Something went wrong" in text
    assert str(log_path) in text
    assert "Traceback" not in text and "ValueError" not in text
    logged = log_path.read_text(encoding="utf-8")
    assert "CRITICAL" in logged and "Traceback (most recent call last)" in logged
    assert "ValueError: payment total is not a number" in logged
    assert "_raise_unhandled" in logged  # the frames, not just the message


def test_errors_while_the_box_is_open_are_logged_but_show_no_second_box(
    qapp: object, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []

    def box_whose_event_loop_hits_another_error(title: str, text: str) -> None:
        shown.append(text)
        _raise_unhandled(RuntimeError("repaint failed too"))  # e.g. a paint event under the box

    monkeypatch.setattr(crash, "show_message", box_whose_event_loop_hits_another_error)
    crash.install_excepthook(log_path)

    _raise_unhandled(KeyError("first"))

    assert len(shown) == 1
    logged = log_path.read_text(encoding="utf-8")
    assert "KeyError: 'first'" in logged and "RuntimeError: repaint failed too" in logged


def test_a_later_error_gets_its_own_box_once_the_first_is_closed(
    qapp: object, log_path: Path, boxes: list[tuple[str, str]]
) -> None:
    crash.install_excepthook(log_path)
    _raise_unhandled(ValueError("one"))
    _raise_unhandled(ValueError("two"))
    assert len(boxes) == 2


def test_an_exception_in_a_slot_reaches_the_hook(
    qtbot: QtBot, log_path: Path, boxes: list[tuple[str, str]]
) -> None:
    crash.install_excepthook(log_path)

    def failing_slot() -> None:
        raise ZeroDivisionError("revenue per day")

    QTimer.singleShot(0, failing_slot)
    qtbot.waitUntil(lambda: len(boxes) == 1)
    assert "ZeroDivisionError: revenue per day" in log_path.read_text(encoding="utf-8")


def test_an_exception_in_a_thread_shows_the_box_on_the_gui_thread(
    qtbot: QtBot, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown_on: list[threading.Thread] = []
    monkeypatch.setattr(crash, "show_message", lambda title, text: shown_on.append(threading.current_thread()))
    crash.install_excepthook(log_path)

    def job() -> None:
        raise OSError("router went away")

    worker = threading.Thread(target=job, name="RouterPoll")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(shown_on) == 1)

    assert shown_on == [threading.main_thread()]
    logged = log_path.read_text(encoding="utf-8")
    assert "Unhandled exception in thread RouterPoll" in logged
    assert "OSError: router went away" in logged


def test_keyboard_interrupt_is_left_to_python(
    qapp: object, log_path: Path, boxes: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    default: list[type[BaseException]] = []
    hook: Callable[..., None] = lambda t, v, tb: default.append(t)  # noqa: E731
    monkeypatch.setattr(sys, "__excepthook__", hook)
    crash.install_excepthook(log_path)
    _raise_unhandled(KeyboardInterrupt())
    assert boxes == [] and default == [KeyboardInterrupt]


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's remark on any dialog
def test_the_real_box_is_a_plain_text_critical_message(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real box, closed by read_and_close
    seen: list[tuple[QMessageBox.Icon, str, object]] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append((box.icon(), box.text(), box.textFormat()))
        box.close()

    QTimer.singleShot(0, read_and_close)
    crash.show_message(crash.TITLE, crash.crash_text(Path("C:/Users/desk/<logs>/ispclient.log")))

    icon, text, text_format = seen[0]
    assert icon == QMessageBox.Icon.Critical
    assert "<logs>" in text  # shown literally, never as rich text
    assert text_format == Qt.TextFormat.PlainText
