"""Keeps connection statuses fresh without ever blocking the GUI thread.

Work is queued per router: at most one job runs against a router at a time (a refresh that
arrives while it is busy waits for it, and only the latest waiting request is kept). Each
refresh has a generation number; results of an older generation are dropped, so a slow router
can't overwrite what the user is looking at now. Everything runs as background ops: the list of
routers and usernames (the database and the keyring) on the database lane, each router's check
on the router lane. A router that hangs or floods costs its thread at most its deadline
(``RouterTarget.deadline_s``, enforced by the socket layer), and other routers never wait for it;
the event loop keeps running meanwhile.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QObject, QTimer, Signal

from ispclient.domain.connection import ClientConnection, RouterStatuses, UnknownReason, now_utc
from ispclient.ui import ops

if TYPE_CHECKING:  # the router modules (librouteros, asyncio: ~50 ms) are imported by the first check
    from ispclient.routeros.offload import StatusHelper
    from ispclient.routeros.status import RouterBatch, StatusKey

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60.0
# The helper's check ends by the router's deadline; past that and this margin the helper
# itself is stuck (and is replaced).
HELPER_MARGIN_S = 2.0

BatchProvider = Callable[[], Iterable["RouterBatch"]]


@dataclass(frozen=True)
class _Outcome:
    server_id: int
    ticket: int  # the refresh generation, or the single lookup's ticket
    batch: RouterStatuses | None = None  # set for a router's refresh
    username: str | None = None  # set for a single-client lookup
    single: ClientConnection | None = None


class StatusChecker(QObject):
    router_done = Signal(int, object)  # server id, RouterStatuses (a mapping (server id, username) → status)
    refresh_finished = Signal()  # every router of the latest refresh has reported
    client_status = Signal(int, str, object)  # server id, username, ClientConnection

    def __init__(self, provider: BatchProvider, parent: QObject | None = None,
                 interval_s: float = DEFAULT_INTERVAL_S) -> None:
        """``provider`` lists the routers to check with their usernames; it runs in the
        background (it reads the database and the keyring)."""
        super().__init__(parent)
        self._provider = provider
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self.set_interval(interval_s)
        self._generation = 0
        self._outstanding: set[int] = set()  # routers of the current generation yet to report
        self._busy: set[int] = set()  # routers with a job running
        self._waiting_batch: dict[int, tuple[int, RouterBatch]] = {}
        self._waiting_clients: dict[int, dict[str, tuple[int, RouterBatch]]] = {}
        self._tickets = itertools.count(1)
        self._latest_ticket: dict[StatusKey, int] = {}
        # Where whole routers are checked: a helper process when set (the GIL stays free for
        # the window), else the pool thread itself.
        self.helper: StatusHelper | None = None
        # Called with each router's answer in the thread that got it (ConnectionBook.prepare).
        self.prepare: Callable[[RouterStatuses], None] | None = None

    # -- timer ----------------------------------------------------------------------------

    @property
    def interval_s(self) -> float:
        return self._timer.interval() / 1000

    def set_interval(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("the refresh interval must be positive")
        self._timer.setInterval(round(seconds * 1000))

    def start(self, refresh_now: bool = True) -> None:
        self._timer.start()
        if refresh_now:
            self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def is_active(self) -> bool:
        return self._timer.isActive()

    def shutdown(self, wait_ms: int = 3000) -> bool:
        """Stop, forget waiting work, drop late results; wait (events still delivered) for the
        running checks to come back — True if they did within ``wait_ms``."""
        self.stop()
        self._generation += 1
        self._waiting_batch.clear()
        self._waiting_clients.clear()
        self._latest_ticket.clear()
        self._outstanding.clear()
        deadline = QDeadlineTimer(wait_ms)
        while self._busy and not deadline.hasExpired():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if self._busy:
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
        return not self._busy

    # -- requests ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Check every router the provider lists now (F5, the timer); one batch per server id."""
        self._generation += 1
        generation = self._generation
        provider = self._provider
        ops.Op(self, lambda: list(provider()), key="batches") \
            .on_success(lambda batches: self._refresh_with(generation, batches)).run()

    def _refresh_with(self, generation: int, batches: list[RouterBatch]) -> None:
        if generation != self._generation:
            return  # a newer refresh (or a shutdown) came since
        self._outstanding = {batch.server_id for batch in batches}
        self._waiting_batch.clear()  # requests of older generations are superseded
        for batch in batches:
            if batch.target is None:  # nothing to ask: answer at once
                self._report_batch(generation, batch.server_id, check_batch(batch))
            else:
                self._waiting_batch[batch.server_id] = (generation, batch)
                self._pump(batch.server_id)
        if not batches:
            self.refresh_finished.emit()

    def check_client(self, batch: RouterBatch) -> None:
        """Look one client up in detail (their window opened); answers with ``client_status``."""
        if len(batch.usernames) != 1:
            raise ValueError("check_client needs a batch of exactly one username")
        username = batch.usernames[0]
        ticket = next(self._tickets)
        self._latest_ticket[(batch.server_id, username)] = ticket
        if batch.target is None:
            self._report_client(batch.server_id, username, ticket, check_one(batch))
            return
        self._waiting_clients.setdefault(batch.server_id, {})[username] = (ticket, batch)
        self._pump(batch.server_id)

    def is_busy(self, server_id: int) -> bool:
        return server_id in self._busy

    # -- the per-router queue ---------------------------------------------------------------

    def _pump(self, server_id: int) -> None:
        if server_id in self._busy:
            return  # its turn comes when the running job reports
        job = self._next_job(server_id)
        if job is None:
            return
        self._busy.add(server_id)
        ops.Op(self, job, lane=ops.Lane.ROUTER).on_success(self._on_outcome).on_failure(self._on_error).run()

    def _next_job(self, server_id: int) -> Callable[[], _Outcome] | None:
        clients = self._waiting_clients.get(server_id)
        if clients:  # someone is looking at a client window: they go first
            username = next(iter(clients))
            ticket, batch = clients.pop(username)
            return lambda: _run_one(batch, ticket)
        if server_id in self._waiting_batch:
            generation, batch = self._waiting_batch.pop(server_id)
            helper, prepare = self.helper, self.prepare
            return lambda: _run_batch(batch, generation, helper, prepare)
        return None

    def _on_outcome(self, outcome: _Outcome) -> None:
        self._busy.discard(outcome.server_id)
        if outcome.username is not None and outcome.single is not None:
            self._report_client(outcome.server_id, outcome.username, outcome.ticket, outcome.single)
        elif outcome.batch is not None:
            self._report_batch(outcome.ticket, outcome.server_id, outcome.batch)
        self._pump(outcome.server_id)

    def _on_error(self, error: BaseException) -> None:
        # Only a BaseException (KeyboardInterrupt…) gets past _run_*; the router stays marked busy.
        log.error("A status check was interrupted: %r", error)

    def _report_batch(self, generation: int, server_id: int, results: RouterStatuses) -> None:
        if generation != self._generation:
            log.debug("Dropped stale statuses of server %s (generation %s)", server_id, generation)
            return
        self.router_done.emit(server_id, results)
        if server_id in self._outstanding:
            self._outstanding.discard(server_id)
            if not self._outstanding:
                self.refresh_finished.emit()

    def _report_client(self, server_id: int, username: str, ticket: int, conn: ClientConnection) -> None:
        if self._latest_ticket.get((server_id, username)) != ticket:
            return  # a newer lookup of this client is on its way
        del self._latest_ticket[(server_id, username)]
        self.client_status.emit(server_id, username, conn)


def check_batch(batch: RouterBatch) -> RouterStatuses:
    """:func:`ispclient.routeros.status.check_batch`, imported when first needed: the router
    modules are not among the window's first paint's (the batches are built in the background,
    which imports them before any check)."""
    from ispclient.routeros import status

    return status.check_batch(batch)


def check_one(batch: RouterBatch) -> ClientConnection:
    from ispclient.routeros import status

    return status.check_one(batch)


# Run on the router lane: plain data in, plain data out, and never an exception.

def _run_batch(batch: RouterBatch, generation: int, helper: StatusHelper | None = None,
               prepare: Callable[[RouterStatuses], None] | None = None) -> _Outcome:
    try:
        results = _in_helper(batch, helper) if helper is not None and batch.target is not None else None
        if results is None:
            results = check_batch(batch)
    except Exception:
        log.exception("Status check of server %s failed", batch.server_id)
        unknown = ClientConnection.unknown(UnknownReason.NOT_CHECKED, "The check failed (see the log).")
        results = RouterStatuses.failed(batch.server_id, batch.usernames, unknown)
    if prepare is not None:
        prepare(results)  # never raises (the book logs a preparer's failure)
    return _Outcome(batch.server_id, generation, batch=results)


def helper_wait_s(deadline_s: float) -> float:
    """How long a pool thread waits for the helper's answer about a router with this deadline."""
    return deadline_s + HELPER_MARGIN_S


def _in_helper(batch: RouterBatch, helper: StatusHelper) -> RouterStatuses | None:
    """The helper's answer; None to check in this thread instead (the helper is unavailable)."""
    from ispclient.routeros.offload import HelperUnavailable

    assert batch.target is not None
    wait_s = helper_wait_s(batch.target.deadline_s)
    future = None
    try:
        future = helper.submit(batch)
        return future.result(timeout=wait_s)
    except HelperUnavailable as e:
        if helper.stopping:
            return RouterStatuses.failed(batch.server_id, batch.usernames, ClientConnection.unknown(
                UnknownReason.NOT_CHECKED, "The app is closing."))
        log.info("Server %s checked in-process: %s", batch.server_id, e)
        return None
    except TimeoutError:
        log.warning("The status helper did not answer for server %s in %.0f s", batch.server_id, wait_s)
        if future is not None:
            helper.abandon(future)  # it is stuck: replaced, so it holds nothing of ours
        return RouterStatuses.failed(batch.server_id, batch.usernames, ClientConnection.unknown(
            UnknownReason.TIMED_OUT, f"No answer within {wait_s:.0f} s.", checked_at=now_utc()))


def _run_one(batch: RouterBatch, ticket: int) -> _Outcome:
    try:
        conn = check_one(batch)
    except Exception:
        log.exception("Status check of a client on server %s failed", batch.server_id)
        conn = ClientConnection.unknown(UnknownReason.NOT_CHECKED, "The check failed (see the log).")
    return _Outcome(batch.server_id, ticket, username=batch.usernames[0], single=conn)
