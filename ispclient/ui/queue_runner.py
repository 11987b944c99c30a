"""Keeps the routers following the database while the app is open.

A timer (and :meth:`QueueRunner.run_now`, e.g. "Retry now") starts a *run*: auto-renew and
expiry first (database only, :func:`ispclient.enforce.apply_rules`), then the change queue of
every router with something due, each router in a worker of its own. A save drains the queue a
moment later (no rules). The GUI thread prepares the plain requests (router targets with their
keyring passwords, the PPPoE cipher); workers open their own database connections.

One slow router never delays another: a router is drained by one worker at a time, but a
router still busy (its deadline not yet over) holds up neither the rules nor the other routers'
changes — a save for a healthy router is pushed while a dripping one is still being waited on.
``finished`` reports a run once the routers it started on are done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from ispclient.ui import workers
from ispclient.ui.context import AppContext

if TYPE_CHECKING:
    from ispclient.enforce import EnforceSummary
    from ispclient.routeros.target import RouterTarget
    from ispclient.store.router_queue import DrainReport
    from ispclient.store.secrets import PasswordCipher

# The enforcement code (router sessions, the change queue, encryption) is imported at the first
# run, not while the window is being built.

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60
DRAIN_DELAY_MS = 800
# The first run waits until the window has painted and the status check has started: it reads
# the database and talks to the routers, which would compete with both for the 2 cores.
FIRST_RUN_DELAY_MS = 5000
# Workers wait on routers, not the CPU; one per router, so a few slow ones never queue the rest.
MAX_ROUTER_WORKERS = 32


def _rules_then_due() -> tuple[EnforceSummary, list[int]]:
    """Auto-renew and expiry (no router), then which routers have changes due."""
    from ispclient.enforce import apply_rules
    from ispclient.store import router_queue

    with router_queue.own_connection():
        summary = apply_rules()
        router_queue.purge()
        return summary, router_queue.due_servers()


def _due() -> list[int]:
    from ispclient.store import router_queue

    return router_queue.due_servers()


@dataclass(frozen=True)
class _Drained:
    server_id: int
    report: DrainReport | None  # None: the drain failed (``error`` says why)
    counts: tuple[int, int] = (0, 0)  # (pending, failed) over every router afterwards
    error: BaseException | None = None


def _drain_router(targets: dict[int, RouterTarget], server_id: int, cipher: PasswordCipher | None) -> _Drained:
    """One router's due changes; never raises, so the runner always learns the router is free."""
    from ispclient.store import router_queue

    try:
        with router_queue.own_connection():
            report = router_queue.drain(targets, cipher=cipher, server_ids=[server_id])
            return _Drained(server_id, report, router_queue.waiting_counts())
    except Exception as e:  # noqa: BLE001 - reported by the runner
        return _Drained(server_id, None, error=e)


@dataclass
class _Run:
    """A run's summary, completed as the routers it started on report."""

    summary: EnforceSummary
    waiting: set[int] = field(default_factory=set)


class QueueRunner(QObject):
    finished = Signal(object)  # EnforceSummary
    failed = Signal(str)  # why the run could not complete

    def __init__(self, ctx: AppContext, interval_s: int = DEFAULT_INTERVAL_S, pool: QThreadPool | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        if pool is None:  # our own: routers waited on never starve the app's other background work
            pool = QThreadPool(self)
            pool.setMaxThreadCount(MAX_ROUTER_WORKERS)
        self.pool = pool
        self.last: EnforceSummary | None = None
        self._rules_running = False
        self._finding = False  # a look for due routers is under way
        self._draining: set[int] = set()  # routers with a worker on them
        self._asked_meanwhile = False  # a drain was asked for while looking for due routers
        self._again = False  # a busy router had changes due: look again once it is done
        self._runs: list[_Run] = []
        self._names: dict[int, str] = {}  # router names, for a run's problems
        self._shut_down = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_s * 1000)
        self._timer.timeout.connect(self.run_now)
        self._first_run = QTimer(self)
        self._first_run.setSingleShot(True)
        self._first_run.timeout.connect(self.run_now)
        # A save queues its router change; push it within a second instead of at the next tick.
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(DRAIN_DELAY_MS)
        self._drain_timer.timeout.connect(self._drain)
        ctx.events.clients_changed.connect(lambda _ids: self._drain_timer.start())

    @property
    def running(self) -> bool:
        return self._rules_running or self._finding or bool(self._draining)

    def busy_routers(self) -> frozenset[int]:
        """Routers a worker is applying changes to right now."""
        return frozenset(self._draining)

    def start(self, first_run_delay_ms: int = FIRST_RUN_DELAY_MS) -> None:
        """Run after ``first_run_delay_ms`` (the window is up by then), then on every tick."""
        self._timer.start()
        self._first_run.start(first_run_delay_ms)

    def stop(self) -> None:
        self._timer.stop()
        self._first_run.stop()
        self._drain_timer.stop()

    def shutdown(self, wait_ms: int = 1000) -> bool:
        """Stop for good: no new work, every router call stopped now; True if the workers ended
        within ``wait_ms`` (they end within a fraction of a second once their routers are cut)."""
        from ispclient.routeros import deadline

        self._shut_down = True
        self.stop()
        deadline.abort_all()
        return bool(self.pool.waitForDone(wait_ms))

    # -- runs ------------------------------------------------------------------------------

    def run_now(self) -> bool:
        """Start a run unless the rules of one are still being applied; True if started."""
        if self._rules_running or self._shut_down:
            return False
        self._rules_running = True
        worker = workers.Worker(_rules_then_due)
        worker.signals.result.connect(self._rules_done)
        worker.signals.error.connect(self._error)
        worker.signals.finished.connect(self._rules_over)
        workers.start(worker, self.pool)
        return True

    def _rules_done(self, result: tuple[EnforceSummary, list[int]]) -> None:
        summary, due = result
        run = _Run(summary, self._start_drains(due))
        if run.waiting:
            self._runs.append(run)
        else:
            self._complete(run)

    def _rules_over(self) -> None:
        self._rules_running = False

    def _complete(self, run: _Run) -> None:
        self.last = run.summary
        self.finished.emit(run.summary)

    # -- draining, router by router --------------------------------------------------------

    def _drain(self) -> None:
        if self._shut_down:
            return
        if self._finding:
            self._asked_meanwhile = True
            return
        self._finding = True
        worker = workers.Worker(_due)
        worker.signals.result.connect(self._start_drains)
        worker.signals.error.connect(self._error)
        worker.signals.finished.connect(self._found)
        workers.start(worker, self.pool)

    def _found(self) -> None:
        self._finding = False
        if self._asked_meanwhile and not self._shut_down:
            self._asked_meanwhile = False
            self._drain_timer.start()

    def _start_drains(self, due: list[int]) -> set[int]:
        """A worker for each router in ``due`` that has none; the routers started on."""
        if self._shut_down:
            return set()
        free = [sid for sid in due if sid not in self._draining]
        if len(free) < len(due):
            self._again = True  # a busy router's new changes: look again once it is done
        if not free:
            return set()
        from ispclient.store import router_queue, secrets

        targets = router_queue.router_targets(self.ctx.credentials.get)
        cipher = secrets.try_cipher()
        for sid in free:
            self._draining.add(sid)
            if sid in targets:
                self._names[sid] = targets[sid].name
            worker = workers.Worker(_drain_router, {sid: targets[sid]} if sid in targets else {}, sid, cipher)
            worker.signals.result.connect(self._drained)
            worker.signals.error.connect(self._error)
            workers.start(worker, self.pool)
        return set(free)

    def _drained(self, done: _Drained) -> None:
        sid = done.server_id
        self._draining.discard(sid)
        if done.error is not None:
            self._error(done.error)
        for run in list(self._runs):
            if sid not in run.waiting:
                continue
            if done.report is not None:
                summary = run.summary
                summary.applied += done.report.applied
                summary.pending, summary.failed = done.counts
                summary.problems.update({self._names.get(k, str(k)): why for k, why in done.report.problems.items()})
            run.waiting.discard(sid)
            if not run.waiting:
                self._runs.remove(run)
                self._complete(run)
        if self._again and not self._shut_down:
            self._again = False
            self._drain_timer.start()

    def _error(self, error: BaseException) -> None:
        log.error("router sync run failed: %s", type(error).__name__, exc_info=error)
        self.failed.emit(f"{type(error).__name__}: {error}")
