"""Keeps the routers following the database while the app is open.

A timer (and :meth:`QueueRunner.run_now`, e.g. after a save) starts one background run of
:func:`ispclient.enforce.enforce` — auto-renew, expiry, then the change queue — on the thread
pool. The GUI thread prepares the plain request (router targets with their keyring passwords,
the PPPoE cipher); the worker opens its own database connection. One run at a time: a tick
while one is running is skipped, never queued behind a slow router.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from ispclient.enforce import EnforceSummary, enforce
from ispclient.routeros.target import RouterTarget
from ispclient.store import router_queue, secrets
from ispclient.store.secrets import PasswordCipher
from ispclient.ui import workers
from ispclient.ui.context import AppContext

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60
DRAIN_DELAY_MS = 800


def _drain_queue(targets: dict[int, RouterTarget], cipher: PasswordCipher | None) -> router_queue.DrainReport:
    """Only the queued changes (no auto-renew or full sync): cheap enough to run after each save."""
    with router_queue.own_connection():
        return router_queue.drain(targets, cipher=cipher)


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
        # A save queues its router change; push it within a second instead of at the next tick.
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(DRAIN_DELAY_MS)
        self._drain_timer.timeout.connect(self._drain)
        ctx.events.clients_changed.connect(lambda _ids: self._drain_timer.start())

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Run now, then on every tick."""
        self._timer.start()
        QTimer.singleShot(0, self, self.run_now)

    def stop(self) -> None:
        self._timer.stop()

    def run_now(self) -> bool:
        """Start a run unless one is going; True if started."""
        if self._running:
            return False
        targets = router_queue.router_targets(self.ctx.credentials.get)
        cipher = secrets.try_cipher()
        self._running = True
        worker = workers.Worker(enforce, targets, cipher=cipher)
        worker.signals.result.connect(self._done)
        worker.signals.error.connect(self._error)
        worker.signals.finished.connect(self._finished)
        workers.start(worker, self.pool)
        return True

    def _drain(self) -> None:
        if self._running:
            self._drain_timer.start()  # try again once the running pass is over
            return
        targets = router_queue.router_targets(self.ctx.credentials.get)
        self._running = True
        worker = workers.Worker(_drain_queue, targets, secrets.try_cipher())
        worker.signals.error.connect(self._error)
        worker.signals.finished.connect(self._finished)
        workers.start(worker, self.pool)

    def _done(self, summary: EnforceSummary) -> None:
        self.last = summary
        self.finished.emit(summary)

    def _error(self, error: BaseException) -> None:
        log.error("router sync run failed: %s", type(error).__name__, exc_info=error)
        self.failed.emit(f"{type(error).__name__}: {error}")

    def _finished(self) -> None:
        self._running = False
