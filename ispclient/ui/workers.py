"""The one template for background work: a plain callable run on a QThreadPool.

Results and errors come back as Qt signals, delivered in the GUI thread (the signals object
lives there). ``run()`` catches every exception and emits it: nothing is lost in a pool thread.

PySide6 lifetime: the pool deletes the C++ runnable after ``run()`` (autoDelete), and with it
the Python wrapper's reference to its signals object — possibly in the worker thread while the
emitted signals are still queued. So :func:`start` keeps each signals object alive in a GUI-thread
registry until ``finished`` has been delivered, then lets Qt delete it in its own thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    result = Signal(object)  # what the callable returned
    error = Signal(object)  # the exception it raised (with __traceback__)
    finished = Signal()  # always last, after result or error


class Worker(QRunnable):
    """Runs ``fn(*args, **kwargs)`` in a pool thread. Give it only plain data, never widgets or rows."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.signals = WorkerSignals()  # created here, so it lives in the GUI thread

    def run(self) -> None:
        signals = self.signals
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # noqa: B036 - a pool thread has nobody else to tell
            log.debug("background task %s failed", getattr(self.fn, "__name__", self.fn), exc_info=True)
            signals.error.emit(exc)
        else:
            signals.result.emit(result)
        finally:
            signals.finished.emit()


_alive: set[WorkerSignals] = set()


def start(worker: Worker, pool: QThreadPool | None = None, priority: int = 0) -> Worker:
    """Queue ``worker`` on ``pool`` (default: the global pool). Call from the GUI thread."""
    signals = worker.signals
    _alive.add(signals)
    signals.finished.connect(lambda: _release(signals))
    (pool or QThreadPool.globalInstance()).start(worker, priority)
    return worker


def run_in_background(fn: Callable[..., Any], *args: Any, pool: QThreadPool | None = None,
                      on_result: Callable[[Any], object] | None = None,
                      on_error: Callable[[BaseException], object] | None = None) -> Worker:
    """Shorthand: wrap ``fn(*args)`` in a :class:`Worker`, connect the handlers and start it."""
    worker = Worker(fn, *args)
    if on_result is not None:
        worker.signals.result.connect(on_result)
    if on_error is not None:
        worker.signals.error.connect(on_error)
    return start(worker, pool)


def _release(signals: WorkerSignals) -> None:
    _alive.discard(signals)
    signals.deleteLater()


def in_flight() -> int:
    """How many started workers have not delivered ``finished`` yet (for tests and shutdown)."""
    return len(_alive)
