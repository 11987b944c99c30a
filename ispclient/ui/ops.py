"""The one way the GUI runs work that touches the database, a router or anything slow.

In the spirit of Anki's ``QueryOp`` / ``CollectionOp``::

    Op(self, lambda: queries.client_detail(client_id, today), key="detail") \\
        .on_success(self.show_detail) \\
        .run()

* ``fn`` runs off the GUI thread, on a *lane* (a few long-lived threads: database work keeps one
  connection per thread, so a second PC on a remote PostgreSQL pays no reconnect per read).
* The answer comes back in the GUI thread. It is **dropped** when ``parent`` has been deleted,
  :func:`forget` was called for it (a window that closed), or — for ops with a ``key`` — a newer
  op with the same ``parent`` and ``key`` was started since (the user moved on). Ops without a
  key never supersede each other (a router check per router, say).
* Failures go to ``on_failure`` — by default :func:`show_error`, the one error dialog.
* ``fn`` runs in a copy of the GUI thread's context variables as they were at ``run()`` (who is
  signed in, say), so the store sees the same session the window does.
* Whatever ``fn`` changed is tracked (:mod:`ispclient.store.changes`: every service function
  notes its audit events) and broadcast as one :class:`Changes` on :func:`bus` — also when the
  answer itself is dropped, because the data did change. Nobody emits change signals by hand.
* A lane thread never drops the last reference to anything of an op (its ``fn``, handlers,
  result or exception): those often hold a widget (``lambda: ...self...``, a bound ``_show``),
  and a Python-owned widget freed there is a QWidget deleted off the GUI thread — a crash some
  time later. The thread hands all of it over in a :class:`_Work`, which the GUI thread empties.
"""

from __future__ import annotations

import contextvars
import enum
import itertools
import logging
import queue
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, Signal

from ispclient.store import changes as tracked_changes
from ispclient.store.changes import Changes

log = logging.getLogger(__name__)

T = TypeVar("T")


class Lane(enum.Enum):
    """Where an op runs. Each lane has its own threads, so a hung router or a long backup never
    delays a client window opening."""

    DB = "db"  # reads and writes of the database: short, many
    ROUTER = "router"  # talking to routers: waits on the network, bounded by their deadlines
    SLOW = "slow"  # backups, imports, exports, integrity checks: long, few


# Router threads mostly wait on the network (each call bounded by its router's deadline): enough
# that a few slow routers never hold up the healthy ones. Threads start only as work arrives.
_LANE_THREADS = {Lane.DB: 3, Lane.ROUTER: 32, Lane.SLOW: 2}


class ChangeBus(QObject):
    """Where finished work says what it changed. Windows connect to :attr:`changed`."""

    changed = Signal(object)  # Changes


class _Mailbox(QObject):
    """Lives in the GUI thread; workers emit into it, Qt queues the call to the GUI thread."""

    delivered = Signal(object)


class _Work:
    """An op on its way through a lane thread, and its answer on the way back.

    The thread reaches the op's function, context and answer only through this object, keeps
    nothing of them in its own variables once it has emitted it, and the GUI thread empties it
    in :func:`_deliver`. So whichever thread lets go of the shell last, everything in it is
    freed on the GUI thread.
    """

    __slots__ = ("op", "fn", "context", "outcome")

    def __init__(self, op: Op[Any], fn: Callable[[], Any], context: contextvars.Context) -> None:
        self.op: Op[Any] | None = op
        self.fn: Callable[[], Any] | None = fn
        self.context: contextvars.Context | None = context
        self.outcome: tuple[bool, Any, Changes] | None = None


def _tracked(work: _Work) -> tuple[Any, Changes]:
    assert work.fn is not None
    with tracked_changes.track() as changed:
        value = work.fn()
    return value, changed()


_undelivered: list[_Work] = []  # answers nobody could take (the application quit): never freed here


def _run(work: _Work) -> None:
    """On a lane thread: run the op's function and send the answer to the GUI thread."""
    assert work.context is not None
    try:
        work.outcome = (True, *work.context.run(_tracked, work))
    except BaseException as error:  # noqa: B036 - a worker thread has nobody else to tell
        work.outcome = (False, error, tracked_changes.NOTHING)
    try:
        _the_mailbox_of_workers().delivered.emit(work)
    except RuntimeError:  # the application is gone (tests, shutdown)
        _undelivered.append(work)
        log.debug("an op finished after the application quit")


class _Lane:
    """Threads of one lane, started as work arrives, living until :func:`shutdown`.

    Plain daemon threads, not a QThreadPool: a pool expires idle threads (and with them their
    database connection) and can't be told to close each thread's connection at shutdown.
    """

    def __init__(self, lane: Lane, size: int) -> None:
        self.lane = lane
        self.size = size
        self.jobs: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.waiting = 0  # jobs submitted, not yet started
        self.running = 0
        self.lock = threading.Lock()
        self.closed = False

    def submit(self, work: _Work) -> None:
        with self.lock:
            if self.closed:
                raise RuntimeError("the application is shutting down")
            self.waiting += 1
            idle = len(self.threads) - self.running - (self.waiting - 1)
            if idle <= 0 and len(self.threads) < self.size:
                thread = threading.Thread(target=self._loop, name=f"ispclient-{self.lane.value}-{len(self.threads)}",
                                          daemon=True)
                self.threads.append(thread)
                thread.start()
        self.jobs.put(work)

    def _loop(self) -> None:
        try:
            while True:
                work = self.jobs.get()
                if work is None:
                    return
                with self.lock:
                    self.waiting -= 1
                    self.running += 1
                try:
                    _run(work)
                finally:
                    # Only an emptied shell once the GUI thread took the answer (see _Work).
                    del work
                    if self.lane is not Lane.DB:
                        # Only the database lane keeps a connection per thread (reads are many and
                        # short); a router or slow-lane thread would hold a PostgreSQL connection
                        # of its own per thread for nothing between jobs.
                        _close_thread_connection()
                    with self.lock:
                        self.running -= 1
        finally:
            _close_thread_connection()

    def shutdown(self, deadline: QDeadlineTimer) -> bool:
        """Ask every thread to finish after its current job; True if all did in time."""
        with self.lock:
            self.closed = True
            threads = list(self.threads)
        for _ in threads:
            self.jobs.put(None)
        for thread in threads:
            thread.join(max(0.0, deadline.remainingTime() / 1000))
        return not any(t.is_alive() for t in threads)


def _close_thread_connection() -> None:
    """A lane thread's database connection is closed by the thread that opened it."""
    try:
        from ispclient.store import close_thread_connection

        close_thread_connection()
    except Exception:  # noqa: BLE001 - closing at exit must never raise
        log.debug("closing a worker's database connection failed", exc_info=True)


_lanes: dict[Lane, _Lane] = {}
_mailbox: _Mailbox | None = None
_bus: ChangeBus | None = None
_in_flight: set[Op[Any]] = set()
_generations: dict[tuple[int, Hashable], int] = {}  # (parent, key) → the newest op's number
_epochs: dict[int, int] = {}  # parent → times forget() was called for it
_tickets = itertools.count(1)


def bus() -> ChangeBus:
    """The process's change broadcaster (one app per process)."""
    global _bus
    if _bus is None or not shiboken6.isValid(_bus):
        _bus = ChangeBus(QCoreApplication.instance())
    return _bus


def _the_mailbox_of_workers() -> _Mailbox:
    """The mailbox as a lane thread sees it: made by :meth:`Op.run` in the GUI thread."""
    if _mailbox is None:
        raise RuntimeError("no mailbox: the application is gone")
    return _mailbox


def _the_mailbox() -> _Mailbox:
    global _mailbox
    if _mailbox is None or not shiboken6.isValid(_mailbox):
        _mailbox = _Mailbox(QCoreApplication.instance())
        _mailbox.delivered.connect(_deliver)
    return _mailbox


def _lane(lane: Lane) -> _Lane:
    runner = _lanes.get(lane)
    if runner is None or runner.closed:
        runner = _lanes[lane] = _Lane(lane, _LANE_THREADS[lane])
    return runner


class Op(Generic[T]):
    """Background work for ``parent``; chain the handlers, then :meth:`run`."""

    def __init__(self, parent: QObject | None, fn: Callable[[], T], *, key: Hashable | None = None,
                 lane: Lane = Lane.DB) -> None:
        self.parent = parent
        self.fn = fn
        self.key = key
        self.lane = lane
        self._success: Callable[[T], object] | None = None
        self._failure: Callable[[BaseException], object] | None = None
        self._done: Callable[[], object] | None = None
        self._generation = 0
        self._epoch = 0
        self.dropped = False  # set when the answer came back unwanted

    def on_success(self, fn: Callable[[T], object]) -> Op[T]:
        self._success = fn
        return self

    def on_failure(self, fn: Callable[[BaseException], object]) -> Op[T]:
        """Replaces the default :func:`show_error` (a form puts a ValidationError beside its fields)."""
        self._failure = fn
        return self

    def on_done(self, fn: Callable[[], object]) -> Op[T]:
        """Called after success or failure (not when the answer is dropped): re-enable a button."""
        self._done = fn
        return self

    def run(self) -> Op[T]:
        _the_mailbox()  # created in the GUI thread, before any worker needs it
        bus()
        if self.parent is not None:
            self._epoch = _epochs.get(id(self.parent), 0)
            if self.key is not None:
                slot = (id(self.parent), self.key)
                self._generation = _generations[slot] = _generations.get(slot, 0) + 1
        _in_flight.add(self)
        # The session (who is signed in) goes with the work.
        _lane(self.lane).submit(_Work(self, self.fn, contextvars.copy_context()))
        return self

    def wanted(self) -> bool:
        """Whether an answer now would still be shown."""
        parent = self.parent
        if parent is None:
            return True
        if not shiboken6.isValid(parent) or _epochs.get(id(parent), 0) != self._epoch:
            return False
        return self.key is None or _generations.get((id(parent), self.key)) == self._generation


def _deliver(work: _Work) -> None:
    op, outcome = work.op, work.outcome
    work.op = work.fn = work.context = work.outcome = None  # freed here, on the GUI thread
    assert op is not None and outcome is not None
    ok, value, changed = outcome
    _in_flight.discard(op)
    if changed:
        bus().changed.emit(changed)
    if not op.wanted():
        op.dropped = True
        if not ok:
            log.info("a background task for a closed window failed: %r", value)
        return
    try:
        if ok:
            if op._success is not None:
                op._success(value)
        elif op._failure is not None:
            op._failure(value)
        else:
            show_error(op.parent, value)
    finally:
        if op._done is not None:
            op._done()


def forget(parent: QObject) -> None:
    """Drop every answer still on its way to ``parent`` (call when a window closes)."""
    _epochs[id(parent)] = _epochs.get(id(parent), 0) + 1


def forget_key(parent: QObject, key: Hashable) -> None:
    """Drop the answer of ``parent``'s op with this key still on its way (a newer read supersedes it)."""
    slot = (id(parent), key)
    if slot in _generations:
        _generations[slot] += 1


def in_flight() -> int:
    """How many ops have not come back yet (tests, shutdown)."""
    return len(_in_flight)


def shutdown(timeout_ms: int = 2000) -> bool:
    """Stop the lanes (each thread closes its database connection); True if all stopped in time.
    Threads still busy (a router past its deadline) are daemons: they never keep the process."""
    deadline = QDeadlineTimer(timeout_ms)
    stopped = all([runner.shutdown(deadline) for runner in list(_lanes.values())])
    _lanes.clear()
    _in_flight.clear()
    return stopped


def describe_error(error: BaseException) -> tuple[str, str]:
    """(title, text) a front-desk user can act on, for any failure of background work."""
    from ispclient.domain.errors import ValidationError
    from ispclient.store.errors import user_message

    if isinstance(error, ValidationError):
        return "Please check", "\n".join(dict.fromkeys(error.errors.values()))
    text = user_message(error)
    if text is not None:
        return "Not done", text
    return ("Something went wrong",
            f"That didn't work: {type(error).__name__}: {error}\n\nNothing was half-saved. The details "
            "are in the log (Help ▸ About shows where).")


def show_error(parent: QObject | None, error: BaseException) -> None:
    """The one error dialog for background work."""
    from PySide6.QtWidgets import QWidget

    from ispclient.ui import msgbox

    title, text = describe_error(error)
    if title == "Something went wrong":
        log.error("background task failed", exc_info=error)
    else:
        log.info("background task refused: %s", text)
    widget = parent if isinstance(parent, QWidget) and shiboken6.isValid(parent) else None
    msgbox.error(widget, title, text)
