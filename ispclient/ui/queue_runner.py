"""Keeps the routers following the database while the app is open.

A timer (and :meth:`QueueRunner.run_now`, e.g. "Retry now") starts a *run*: auto-renew and
expiry first (database only, :func:`ispclient.enforce.apply_rules`), then the change queue of
every router with something due, each router in an op of its own on the router lane. A save
drains the queue a moment later (no rules). Everything runs as background ops: what a run
changes (an auto-renewal, a client cut off, a change applied) is broadcast like any other
change, so open windows show it without being told by hand.

One slow router never delays another: a router is drained by one op at a time, but a router
still busy (its deadline not yet over) holds up neither the rules nor the other routers'
changes — a save for a healthy router is pushed while a dripping one is still being waited on.
``finished`` reports a run once the routers it started on are done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from ispclient.store import access
from ispclient.store.changes import Changes
from ispclient.ui import ops
from ispclient.ui.context import AppContext

if TYPE_CHECKING:
    from ispclient.enforce import EnforceSummary
    from ispclient.routeros.credentials import CredentialStore
    from ispclient.store.router_queue import DrainReport

# The enforcement code (router sessions, the change queue, encryption) is imported at the first
# run, not while the window is being built.

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60
DRAIN_DELAY_MS = 800
# The first run waits until the window has painted and the status check has started: it reads
# the database and talks to the routers, which would compete with both for the 2 cores.
FIRST_RUN_DELAY_MS = 5000


def _rules_then_due() -> tuple[EnforceSummary, list[int]]:
    """Auto-renew and expiry (no router), then which routers have changes due."""
    from ispclient.enforce import apply_rules
    from ispclient.store import router_queue

    summary = apply_rules()
    router_queue.purge()
    return summary, router_queue.due_servers()


def _due() -> list[int]:
    from ispclient.store import router_queue

    return router_queue.due_servers()


@dataclass(frozen=True)
class _Drained:
    server_id: int
    name: str
    report: DrainReport | None  # None: the drain failed (``error`` says why)
    counts: tuple[int, int] = (0, 0)  # (pending, failed) over every router afterwards
    error: BaseException | None = None


def _drain_router(credentials: CredentialStore, server_id: int) -> _Drained:
    """One router's due changes; never raises, so the runner always learns the router is free.
    Its target (keyring password) and the PPPoE cipher are read here, off the GUI thread."""
    from ispclient.store import router_queue, secrets

    name = str(server_id)
    try:
        targets = {k: t for k, t in router_queue.router_targets(credentials.get).items() if k == server_id}
        if server_id in targets:
            name = targets[server_id].name
        report = router_queue.drain(targets, cipher=secrets.try_cipher(), server_ids=[server_id])
        return _Drained(server_id, name, report, router_queue.waiting_counts())
    except Exception as e:  # noqa: BLE001 - reported by the runner
        return _Drained(server_id, name, None, error=e)


@dataclass
class _Run:
    """A run's summary, completed as the routers it started on report."""

    summary: EnforceSummary
    waiting: set[int] = field(default_factory=set)


class QueueRunner(QObject):
    finished = Signal(object)  # EnforceSummary
    failed = Signal(str)  # why the run could not complete

    def __init__(self, ctx: AppContext, interval_s: int = DEFAULT_INTERVAL_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.last: EnforceSummary | None = None
        self._rules_running = False
        self._finding = False  # a look for due routers is under way
        self._draining: set[int] = set()  # routers with an op on them
        self._asked_meanwhile = False  # a drain was asked for while looking for due routers
        self._again = False  # a busy router had changes due: look again once it is done
        self._runs: list[_Run] = []
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
        ctx.events.changed.connect(self._data_changed)

    @property
    def running(self) -> bool:
        return self._rules_running or self._finding or bool(self._draining)

    def busy_routers(self) -> frozenset[int]:
        """Routers an op is applying changes to right now."""
        return frozenset(self._draining)

    def start(self, first_run_delay_ms: int = FIRST_RUN_DELAY_MS) -> None:
        """Run after ``first_run_delay_ms`` (the window is up by then), then on every tick."""
        self._timer.start()
        self._first_run.start(first_run_delay_ms)

    def stop(self) -> None:
        self._timer.stop()
        self._first_run.stop()
        self._drain_timer.stop()

    def shutdown(self) -> None:
        """Stop for good: no new work, and every router call is cut now (the ops on the router
        lane then end within a fraction of a second)."""
        from ispclient.routeros import deadline

        self._shut_down = True
        self.stop()
        deadline.abort_all()

    def _data_changed(self, changes: Changes) -> None:
        if changes.router_queued and not self._shut_down:  # a save queued a router change: push it soon
            self._drain_timer.start()

    # -- runs ------------------------------------------------------------------------------

    def run_now(self) -> bool:
        """Start a run unless the rules of one are still being applied; True if started."""
        if self._rules_running or self._shut_down:
            return False
        self._rules_running = True
        ops.Op(self, access.as_system(_rules_then_due)).on_success(self._rules_done).on_failure(self._error) \
            .on_done(self._rules_over).run()
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
        ops.Op(self, _due).on_success(self._start_drains).on_failure(self._error).on_done(self._found).run()

    def _found(self) -> None:
        self._finding = False
        if self._asked_meanwhile and not self._shut_down:
            self._asked_meanwhile = False
            self._drain_timer.start()

    def _start_drains(self, due: list[int]) -> set[int]:
        """An op for each router in ``due`` that has none; the routers started on."""
        if self._shut_down:
            return set()
        free = [sid for sid in due if sid not in self._draining]
        if len(free) < len(due):
            self._again = True  # a busy router's new changes: look again once it is done
        credentials = self.ctx.credentials
        for sid in free:
            self._draining.add(sid)
            # The queue acts as the system, whoever is signed in at this PC.
            ops.Op(self, access.as_system(lambda sid=sid: _drain_router(credentials, sid)),  # type: ignore[misc]
                   key=("drain", sid),
                   lane=ops.Lane.ROUTER).on_success(self._drained).run()
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
                summary.problems.update({done.name if k == sid else str(k): why
                                         for k, why in done.report.problems.items()})
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
