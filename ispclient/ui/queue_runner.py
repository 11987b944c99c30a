"""Keeps the routers following the database while the app is open.

A timer (and :meth:`QueueRunner.run_now`, e.g. after a save) starts one background op running
:func:`ispclient.enforce.enforce` — auto-renew, expiry, then the change queue — on the router
lane. What it changes (an auto-renewal, a client cut off) is broadcast like any other change,
so open windows show it. One run at a time: a tick while one is running is skipped, never
queued behind a slow router.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

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


def _drain_queue(credentials: CredentialStore) -> DrainReport:
    """Only the queued changes (no auto-renew or full sync): cheap enough to run after each save."""
    from ispclient.store import router_queue, secrets

    with router_queue.own_connection():
        return router_queue.drain(router_queue.router_targets(credentials.get), cipher=secrets.try_cipher())


def _enforce(credentials: CredentialStore) -> EnforceSummary:
    from ispclient.enforce import enforce
    from ispclient.store import router_queue, secrets

    return enforce(router_queue.router_targets(credentials.get), cipher=secrets.try_cipher())


class QueueRunner(QObject):
    finished = Signal(object)  # EnforceSummary
    failed = Signal(str)  # why the run could not complete

    def __init__(self, ctx: AppContext, interval_s: int = DEFAULT_INTERVAL_S, pool: QThreadPool | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pool = pool
        self.last: EnforceSummary | None = None
        self._running = False
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
        return self._running

    def start(self, first_run_delay_ms: int = FIRST_RUN_DELAY_MS) -> None:
        """Run after ``first_run_delay_ms`` (the window is up by then), then on every tick."""
        self._timer.start()
        self._first_run.start(first_run_delay_ms)

    def stop(self) -> None:
        self._timer.stop()
        self._first_run.stop()

    def _data_changed(self, changes: Changes) -> None:
        if changes.router_queued:  # a save queued a router change: push it soon
            self._drain_timer.start()

    def run_now(self) -> bool:
        """Start a run unless one is going; True if started."""
        if self._running:
            return False
        self._running = True
        credentials = self.ctx.credentials
        ops.Op(self, lambda: _enforce(credentials), lane=ops.Lane.ROUTER).on_success(self._done) \
            .on_failure(self._error).on_done(self._finished).run()
        return True

    def _drain(self) -> None:
        if self._running:
            self._drain_timer.start()  # try again once the running pass is over
            return
        self._running = True
        credentials = self.ctx.credentials
        ops.Op(self, lambda: _drain_queue(credentials), lane=ops.Lane.ROUTER) \
            .on_failure(self._error).on_done(self._finished).run()

    def _done(self, summary: EnforceSummary) -> None:
        self.last = summary
        self.finished.emit(summary)

    def _error(self, error: BaseException) -> None:
        log.error("router sync run failed: %s", type(error).__name__, exc_info=error)
        self.failed.emit(f"{type(error).__name__}: {error}")

    def _finished(self) -> None:
        self._running = False
