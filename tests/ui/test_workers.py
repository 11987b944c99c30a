"""The background-work template: results and errors arrive as signals in the GUI thread."""

from __future__ import annotations

import gc
import sys
import threading

from PySide6.QtCore import QThread, QThreadPool
from pytestqt.qtbot import QtBot

from ispclient.ui import workers
from ispclient.ui.workers import Worker, WorkerSignals, run_in_background, start


def test_result_arrives_in_the_gui_thread(qtbot: QtBot) -> None:
    seen: dict[str, object] = {}
    worker = Worker(lambda a, b: (a + b, threading.current_thread().name), 2, b=3)

    def on_result(value: object) -> None:
        seen["value"] = value
        seen["in_gui_thread"] = QThread.currentThread() is qtbot_app_thread()

    worker.signals.result.connect(on_result)
    with qtbot.waitSignals([worker.signals.result, worker.signals.finished], order="strict", timeout=5000):
        start(worker)
    value, thread_name = seen["value"]  # type: ignore[misc]
    assert value == 5
    assert thread_name != threading.current_thread().name  # it ran in a pool thread
    assert seen["in_gui_thread"] is True


def qtbot_app_thread() -> QThread:
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    assert app is not None
    return app.thread()


def test_an_exception_is_emitted_not_lost(qtbot: QtBot) -> None:
    def boom() -> None:
        raise ValueError("router said no")

    worker = Worker(boom)
    results: list[object] = []
    errors: list[BaseException] = []
    worker.signals.result.connect(results.append)
    worker.signals.error.connect(errors.append)
    with qtbot.waitSignals([worker.signals.error, worker.signals.finished], order="strict", timeout=5000):
        start(worker)
    [error] = errors
    assert isinstance(error, ValueError) and str(error) == "router said no"
    assert error.__traceback__ is not None  # kept for the log
    assert results == []


def test_many_workers_all_report_and_are_released(qtbot: QtBot) -> None:
    pool = QThreadPool()
    pool.setMaxThreadCount(4)
    got: list[int] = []
    done: list[int] = []
    for n in range(200):
        worker = Worker(lambda n=n: n * n)
        worker.signals.result.connect(got.append)
        worker.signals.finished.connect(lambda n=n: done.append(n))
        start(worker, pool)
        del worker
    gc.collect()  # nothing we hold keeps the runnables alive: start() must
    qtbot.waitUntil(lambda: len(done) == 200, timeout=10_000)
    assert sorted(got) == [n * n for n in range(200)]
    qtbot.waitUntil(lambda: workers.in_flight() == 0, timeout=5000)
    pool.waitForDone()


def test_run_in_background_shorthand(qtbot: QtBot) -> None:
    results: list[object] = []
    errors: list[BaseException] = []
    run_in_background(sum, [1, 2, 3], on_result=results.append, on_error=errors.append)
    qtbot.waitUntil(lambda: results == [6], timeout=5000)
    assert errors == []


def test_signal_emits_do_not_eat_the_true_singleton(qtbot: QtBot) -> None:
    # PySide6 6.12.0 + Python 3.11: each emit()/disconnect() dropped a reference to True until
    # the interpreter aborted ("bool_dealloc"); pyproject excludes that release.
    signals = WorkerSignals()
    slot = signals.result.connect(lambda value: None)
    before = sys.getrefcount(True)
    for n in range(1000):
        signals.result.emit(n)
    signals.result.disconnect(slot)
    assert sys.getrefcount(True) >= before - 1
