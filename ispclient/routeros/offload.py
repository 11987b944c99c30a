"""Whole-router status checks in a helper process, so reading 60,000 sessions never competes
with the window for the GIL.

Parsing a big router's replies costs ~0.1 s of Python per router; five routers parsed in
threads of the app held the GIL most of a refresh and froze the window in 30–100 ms steps.
One child process (``spawn``, as on Windows) runs each request in a thread of its own (routers
are waited on more than computed, and a hung one must not hold up the others) and sends back
the compact :class:`RouterStatuses`; the app only unpickles it (a few ms, in C).

Callers get a :class:`~concurrent.futures.Future`. If the child cannot start or dies, futures
fail with :class:`HelperUnavailable` and callers check the router in their own thread instead.
Frozen (PyInstaller) builds must call ``multiprocessing.freeze_support()`` first thing.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection

from ispclient.routeros.status import RouterBatch, RouterStatuses, check_batch

log = logging.getLogger(__name__)

MAX_THREADS = 8  # routers checked at once in the child (as many as the app's pool)
JOIN_S = 2.0
NICENESS = 10


class HelperUnavailable(RuntimeError):
    """The helper process is closed, could not start or has died: check in-process instead."""


class StatusHelper:
    """The child process and the thread that reads its answers. Thread-safe."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), name="ispclient-status-helper", daemon=True)
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._futures: dict[int, Future[RouterStatuses]] = {}
        self._ids = itertools.count(1)
        self._closed = False  # no more requests (closed, or the child is gone)
        self._stopping = False  # close() was called
        self._reader = threading.Thread(target=self._read, name="status-helper-reader", daemon=True)
        self._reader.start()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def stopping(self) -> bool:
        """Whether it was closed on purpose (the app is quitting), not lost."""
        return self._stopping

    def submit(self, batch: RouterBatch) -> Future[RouterStatuses]:
        future: Future[RouterStatuses] = Future()
        job = next(self._ids)
        with self._lock:
            if self._closed:
                raise HelperUnavailable("the status helper is closed")
            self._futures[job] = future
            try:
                self._conn.send((job, batch))
            except (OSError, ValueError) as e:  # the child is gone
                del self._futures[job]
                raise HelperUnavailable(f"the status helper is gone: {e}") from e
        return future

    def _read(self) -> None:
        while True:
            try:
                job, ok, value = self._conn.recv()
            except (EOFError, OSError):
                break
            except Exception:  # an answer that would not unpickle: that job fails, others go on
                log.exception("Unreadable answer from the status helper")
                continue
            with self._lock:
                future = self._futures.pop(job, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(HelperUnavailable(value))
        with self._lock:
            if not self._closed:
                log.warning("The status helper process stopped; checking routers in-process")
            self._closed = True
            pending = list(self._futures.values())
            self._futures.clear()
        for future in pending:
            future.set_exception(HelperUnavailable("the status helper stopped"))

    def close(self) -> None:
        """Stop the child (running checks are abandoned: their futures fail)."""
        with self._lock:
            self._stopping = True
            if not self._closed:
                self._closed = True
                try:
                    self._conn.send(None)
                except (OSError, ValueError):
                    pass
        self._process.join(JOIN_S)
        if self._process.is_alive():  # a check still waiting on a hung router
            self._process.terminate()
            self._process.join(JOIN_S)
        self._reader.join(JOIN_S)
        self._conn.close()


def start_helper() -> StatusHelper | None:
    """A running helper, or None (logged) when a child process cannot be started here."""
    try:
        return StatusHelper()
    except Exception:
        log.warning("Could not start the status helper process; checking routers in-process", exc_info=True)
        return None


def _lower_priority() -> None:
    """Below the app's own priority: on two cores, parsing a refresh must never take the CPU
    from the window (the window waits on the routers anyway, not on this)."""
    try:
        if sys.platform == "win32":
            import ctypes

            below_normal = 0x4000  # BELOW_NORMAL_PRIORITY_CLASS
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
        else:
            os.nice(NICENESS)
    except (OSError, AttributeError):
        pass  # not allowed here: same priority, still no GIL shared


def _serve(conn: Connection) -> None:
    """The child: a thread per request, answers sent back as they are ready."""
    _lower_priority()
    send_lock = threading.Lock()

    def run(job: int, batch: RouterBatch) -> None:
        try:
            answer: tuple[int, bool, object] = (job, True, check_batch(batch))
        except Exception as e:  # check_batch turns router failures into statuses: this is a bug
            answer = (job, False, f"{type(e).__name__}: {e}")
        with send_lock:
            try:
                conn.send(answer)
            except (OSError, ValueError):
                pass  # the app has gone

    pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="router")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            break
        if message is None:
            break
        pool.submit(run, *message)
    os._exit(0)  # without waiting for a hung router: nobody wants its answer any more
