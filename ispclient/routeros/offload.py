"""Whole-router status checks in a helper process, so reading 60,000 sessions never competes
with the window for the GIL.

Parsing a big router's replies costs ~0.1 s of Python per router; five routers parsed in
threads of the app held the GIL most of a refresh and froze the window in 30–100 ms steps.
One child process (``spawn``, as on Windows) runs each request in a thread of its own (routers
are waited on more than computed, and a slow one must not hold up the others) and sends back
the compact :class:`RouterStatuses`; the app only unpickles it (a few ms, in C). Every check
ends by its router's deadline; one that does not is the child's fault, and the child is then
replaced (:meth:`StatusHelper.abandon`).

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
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection

from ispclient.routeros.status import RouterBatch, RouterStatuses, check_batch

log = logging.getLogger(__name__)

JOIN_S = 0.5  # a child asked to stop exits at once; past this it is killed
NICENESS = 10


class HelperUnavailable(RuntimeError):
    """The helper process is closed, could not start or has died: check in-process instead."""


class _Child:
    """One helper process, the pipe to it and the thread reading its answers."""

    def __init__(self, on_gone: Callable[[_Child], None]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), name="ispclient-status-helper", daemon=True)
        self.process.start()
        child.close()
        self.futures: dict[int, Future[RouterStatuses]] = {}
        self.lock = threading.Lock()  # guards futures (the reader thread pops from it)
        # One message at a time down the pipe. Held through a send, which blocks while the pipe is
        # full: nothing else is held meanwhile (see StatusHelper.submit and stop below).
        self.send_lock = threading.Lock()
        self._on_gone = on_gone
        self.reader = threading.Thread(target=self._read, name="status-helper-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                job, ok, value = self.conn.recv()
            except (EOFError, OSError):
                break
            except Exception:  # an answer that would not unpickle: that job fails, others go on
                log.exception("Unreadable answer from the status helper")
                continue
            with self.lock:
                future = self.futures.pop(job, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(HelperUnavailable(value))
        self._on_gone(self)

    def runs(self, future: Future[RouterStatuses]) -> bool:
        with self.lock:
            return any(f is future for f in self.futures.values())

    def fail_all(self, why: str) -> None:
        with self.lock:
            pending = list(self.futures.values())
            self.futures.clear()
        for future in pending:
            if not future.done():
                future.set_exception(HelperUnavailable(why))

    def stop(self) -> None:
        """Ask the child to exit; kill it if it does not at once. Never waits on the pipe: a child
        that stopped reading with the pipe full would hold a send (and whoever made it) for ever,
        and quitting the app with it — the word to stop goes from a thread of its own, and the
        kill ends the sends that were stuck."""
        threading.Thread(target=self._ask_to_stop, name="status-helper-stop", daemon=True).start()
        self.process.join(JOIN_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(JOIN_S)
        # The pipe is closed once no send is under way (those stuck end as the child dies): a
        # handle closed under a send could be reused by the next file opened, and written to.
        if self.send_lock.acquire(timeout=JOIN_S):
            try:
                self.conn.close()
            finally:
                self.send_lock.release()
        if self.reader is not threading.current_thread():
            self.reader.join(JOIN_S)

    def _ask_to_stop(self) -> None:
        try:
            with self.send_lock:
                self.conn.send(None)
        except (OSError, ValueError):
            pass  # gone already, or closed by stop()


class StatusHelper:
    """The child process and the thread that reads its answers. Thread-safe.

    A check the caller gave up on (:meth:`abandon`) while the child still runs it means the
    child is stuck past every deadline: the child is killed and replaced, so abandoned work
    never holds anything. Checks running in the old child fail with :class:`HelperUnavailable`
    (their callers check in-process instead).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = False  # no more requests (closed, or the child is gone)
        self._stopping = False  # close() was called
        self.restarts = 0
        self._child = _Child(self._gone)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def stopping(self) -> bool:
        """Whether it was closed on purpose (the app is quitting), not lost."""
        return self._stopping

    @property
    def _process(self) -> multiprocessing.process.BaseProcess:
        return self._child.process

    @property
    def _reader(self) -> threading.Thread:
        return self._child.reader

    def submit(self, batch: RouterBatch) -> Future[RouterStatuses]:
        future: Future[RouterStatuses] = Future()
        job = next(self._ids)
        with self._lock:
            if self._closed:
                raise HelperUnavailable("the status helper is closed")
            child = self._child
            with child.lock:
                child.futures[job] = future
        # Sent without holding the helper's lock: a send waits while the pipe is full, and close()
        # (quitting) or abandon() must never wait for it. A child stopped or replaced meanwhile
        # fails the send, or this future (fail_all): either way the caller hears of it.
        try:
            with child.send_lock:
                child.conn.send((job, batch))
        except (OSError, ValueError) as e:  # the child is gone, or its pipe closed by stop()
            with child.lock:
                child.futures.pop(job, None)
            raise HelperUnavailable(f"the status helper is gone: {e}") from e
        return future

    def abandon(self, future: Future[RouterStatuses]) -> None:
        """The caller stopped waiting for ``future``: if the child still runs it, replace the child."""
        with self._lock:
            child = self._child
            if self._closed or future.done() or not child.runs(future):
                return
            log.warning("The status helper is stuck past a check's deadline; starting a new one")
            try:
                self._child = _Child(self._gone)
            except Exception:
                log.warning("Could not start a new status helper; checking routers in-process", exc_info=True)
                self._closed = True
            self.restarts += 1
        child.fail_all("the status helper was restarted")
        child.stop()

    def _gone(self, child: _Child) -> None:
        with self._lock:
            current = child is self._child
            if current and not self._closed:
                log.warning("The status helper process stopped; checking routers in-process")
                self._closed = True
        child.fail_all("the status helper stopped" if current else "the status helper was restarted")

    def close(self) -> None:
        """Stop the child (running checks are abandoned: their futures fail)."""
        with self._lock:
            self._stopping = True
            self._closed = True
            child = self._child
        child.stop()
        child.fail_all("the status helper stopped")


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

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            break
        if message is None:
            break
        # A thread per request, no pool: a router that takes its whole deadline holds no slot
        # another router needs (the app sends one request per router at a time).
        threading.Thread(target=run, args=message, name="router", daemon=True).start()
    os._exit(0)  # without waiting for a hung router: nobody wants its answer any more
