"""Python's garbage collector, run on the GUI thread only.

The cyclic collector runs in whichever thread happens to allocate when a threshold is crossed.
If that pass frees a cycle holding a Qt wrapper — a closed dialog in a cycle with its slots, a
lambda that kept a widget — the C++ object is deleted on that thread, and a database lane
deleting a QWidget brings the whole process down (seen in the full test suite: a segfault on the
GUI thread while a lane was reading a client). So automatic collection is off, and a timer on
the GUI thread collects by the collector's own thresholds; reference counting still frees
everything not in a cycle at once, in any thread.

:func:`hold` / :func:`release` put off full (oldest-generation) passes while a long job makes
and drops hundreds of thousands of plain rows (the import), as ``gc.disable`` did before; young
passes are then middle ones (see :meth:`GuiCollector.check`).

A full pass also waits, as CPython's own collector does, until the objects that reached the
oldest generation since the last one are a quarter of those it kept then: the threshold alone
made one every ten middle passes, each 20–50 ms of the GUI thread with 100,000 clients loaded
(several hundred under load), almost all of them finding nothing.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250

_lock = threading.Lock()
_held = 0


def hold() -> None:
    """Put off full passes until :func:`release` (calls nest)."""
    global _held
    with _lock:
        _held += 1


def release() -> None:
    global _held
    with _lock:
        _held = max(0, _held - 1)


def held() -> bool:
    return _held > 0


class GuiCollector(QObject):
    """Install once, on the GUI thread, for the life of the application."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.passes = [0, 0, 0]  # collections made, per generation (tests, diagnostics)
        self.long_lived = 0  # objects the last full pass kept (0: none made yet)
        self.pending = 0  # objects moved to the oldest generation since (an upper estimate)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the generations whose counts crossed their thresholds, as gc would have."""
        counts = gc.get_count()
        generation = -1
        for g in range(3):
            if counts[g] > self.threshold[g]:
                generation = g
        if generation == 2 and (held() or self.pending < self.long_lived // 4):
            generation = 1 if counts[1] > self.threshold[1] else 0 if counts[0] > self.threshold[0] else -1
        if generation == 0 and held():
            # While an import runs, what survives a young pass is mostly its own work in hand (a
            # batch of rows) and the modules it imported: a young pass would walk them, then every
            # tenth pass a middle one walks them all again (10-25 ms of the GUI thread at 100,000
            # rows). A middle pass each time walks each survivor once, in passes no longer than a
            # young one.
            generation = 1
        if generation < 0:
            return
        if generation == 1:  # what survives the young generations moves to the oldest
            young = max(0, counts[0]) + len(gc.get_objects(1))  # the youngest's count is its size
            self.pending += max(0, young - gc.collect(1))
        elif generation == 2:
            gc.collect(2)
            self.long_lived = len(gc.get_objects(2))
            self.pending = 0
        else:
            gc.collect(0)
        self.passes[generation] += 1

    def stop(self) -> None:
        """Automatic collection again (the application is ending)."""
        self._timer.stop()
        gc.enable()


_installed: GuiCollector | None = None


def install(parent: QObject) -> GuiCollector:
    """The application's collector (made once, parented to the QApplication)."""
    global _installed
    if _installed is None:
        _installed = GuiCollector(parent)
    return _installed
