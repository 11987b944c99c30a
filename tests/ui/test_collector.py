"""Cycles holding Qt objects are collected on the GUI thread, never on a database lane."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ispclient.ui import collector


class Holder:
    """A cycle with a Qt object in it (as a closed dialog and its slots make)."""

    def __init__(self) -> None:
        self.me = self
        self.widget_like = QObject()


def test_a_cycle_dropped_on_a_worker_thread_is_freed_on_the_gui_thread(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert app is not None
    gc_guard = collector.install(app)
    assert not gc.isenabled()  # the application's collector owns collection
    freed_on: list[object] = []
    refs: list[weakref.ref[Holder]] = []

    def worker() -> None:
        holder = Holder()
        refs.append(weakref.ref(holder))
        weakref.finalize(holder, lambda: freed_on.append(QThread.currentThread()))
        del holder
        junk = [[i] for i in range(50_000)]  # allocations that would have set off a collection here
        del junk

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert refs[0]() is not None and freed_on == []  # nothing collected on the worker
    gc_guard.threshold = (0, 0, 0)  # whatever the counts, the next check collects
    try:
        qtbot.waitUntil(lambda: refs[0]() is None, timeout=5000)
    finally:
        gc_guard.threshold = gc.get_threshold()
    assert freed_on == [app.thread()]


def test_held_puts_off_full_passes_only() -> None:
    app = QApplication.instance()
    assert app is not None
    gc_guard = collector.install(app)
    before = list(gc_guard.passes)
    gc_guard.threshold = (-1, -1, -1)
    try:
        collector.hold()
        gc_guard.check()
        assert gc_guard.passes[2] == before[2] and gc_guard.passes[1] == before[1] + 1
        collector.release()
        gc_guard.check()
        assert gc_guard.passes[2] == before[2] + 1
    finally:
        gc_guard.threshold = gc.get_threshold()
