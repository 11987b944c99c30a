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
        gc_guard.pending, gc_guard.long_lived = 1, 0  # enough new long-lived objects for a full pass
        gc_guard.check()
        assert gc_guard.passes[2] == before[2] + 1
    finally:
        gc_guard.threshold = gc.get_threshold()


def test_held_young_passes_are_middle_ones() -> None:
    """While an import holds the collector, what survives a young pass goes straight on to the
    oldest generation: no middle generation builds up for a longer pass later."""
    app = QApplication.instance()
    assert app is not None
    gc_guard = collector.install(app)
    gc_guard.threshold = (-1, 1_000_000, 1_000_000)  # only the young generation is over its threshold
    try:
        gc_guard.check()  # not held: a young pass; its survivors wait in the middle generation
        survivors = [[i] for i in range(5000)]
        before = list(gc_guard.passes)
        gc_guard.check()
        assert gc_guard.passes[0] == before[0] + 1 and gc_guard.passes[1] == before[1]
        assert any(o is survivors for o in gc.get_objects(1))
        collector.hold()
        try:
            more = [[i] for i in range(5000)]
            gc_guard.check()
        finally:
            collector.release()
        assert gc_guard.passes[0] == before[0] + 1 and gc_guard.passes[1] == before[1] + 1
        assert gc_guard.passes[2] == before[2]
        middle = gc.get_objects(1)
        assert not any(o is survivors or o is more for o in middle)
        assert any(o is more for o in gc.get_objects(2))
    finally:
        gc_guard.threshold = gc.get_threshold()


def test_a_full_pass_waits_for_a_quarter_more_long_lived_objects() -> None:
    """As CPython's own rule: no full pass until what reached the oldest generation since the last
    one is a quarter of what that one kept (the threshold alone made one every ten middle passes:
    20-50 ms of the GUI thread each with a big list loaded, finding nothing)."""
    app = QApplication.instance()
    assert app is not None
    gc_guard = collector.install(app)
    gc_guard.threshold = (-1, -1, -1)
    # Long-lived objects of the test's own: after the app's start-up froze its objects (an
    # earlier test started a session), the oldest generation may hold only a few hundred.
    stock = [[i] for i in range(20_000)]
    try:
        gc_guard.check()
        gc_guard.pending = gc_guard.long_lived  # enough: a full pass, which takes stock
        gc_guard.check()
        kept = gc_guard.long_lived
        assert kept > 1000 and gc_guard.pending == 0
        before = list(gc_guard.passes)
        gc_guard.check()  # nothing new: a middle pass instead
        assert gc_guard.passes[2] == before[2] and gc_guard.passes[1] == before[1] + 1
        survivors = [[i] for i in range(kept // 4 + 1000)]  # new objects that live on
        gc_guard.check()  # a middle pass moves them to the oldest generation ...
        assert gc_guard.passes[2] == before[2] and gc_guard.pending > kept // 4
        gc_guard.check()  # ... and they earned a full pass
        assert gc_guard.pending == 0 and gc_guard.passes[2] == before[2] + 1
        assert gc_guard.long_lived >= kept + len(survivors) // 2
        assert len(stock) == 20_000  # held to the end: part of what the passes kept
    finally:
        gc_guard.threshold = gc.get_threshold()
