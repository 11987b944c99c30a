"""StatusChecker against real simulators: signals, stale results, a hanging router, one job per router."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from pytestqt.qtbot import QtBot

from ispclient.domain.connection import ClientConnection, ConnectionState, UnknownReason
from ispclient.routeros import status
from ispclient.routeros.status import RouterBatch
from ispclient.simulator import RouterSim
from ispclient.ui import status_checker as checker_module
from ispclient.ui.status_checker import StatusChecker
from tests.routeros.helpers import PASSWORD, target_for

Results = dict[tuple[int, str], ClientConnection]


@pytest.fixture
def north() -> Iterator[RouterSim]:
    with RouterSim(users={"admin": PASSWORD}, identity="North") as sim:
        for name in ("alice", "bob", "carol"):
            sim.add_secret(name, last_logged_out="2025-01-01 00:00:00" if name == "bob" else None)
        sim.connect("alice", address="10.1.0.2")
        yield sim


@pytest.fixture
def south() -> Iterator[RouterSim]:
    with RouterSim(users={"admin": PASSWORD}, identity="South") as sim:
        sim.add_secret("alice")  # another alice: usernames are unique per server only
        sim.connect("alice", address="10.2.0.2")
        yield sim


def batch(server_id: int, sim: RouterSim, *names: str, timeout: float = 1.0) -> RouterBatch:
    return RouterBatch(server_id, target_for(sim, server_id=server_id, timeout=timeout), names)


class Recorder:
    def __init__(self, checker: StatusChecker) -> None:
        self.routers: list[tuple[int, Results]] = []
        self.clients: list[tuple[int, str, ClientConnection]] = []
        self.finished = 0
        checker.router_done.connect(lambda sid, results: self.routers.append((sid, results)))
        checker.client_status.connect(lambda sid, name, conn: self.clients.append((sid, name, conn)))
        checker.refresh_finished.connect(self._finished)

    def _finished(self) -> None:
        self.finished += 1

    def merged(self) -> Results:
        return {key: conn for _, results in self.routers for key, conn in results.items()}


@pytest.fixture
def make_checker(qtbot: QtBot) -> Iterator[Callable[[Callable[[], list[RouterBatch]]], StatusChecker]]:
    made: list[StatusChecker] = []

    def make(provider: Callable[[], list[RouterBatch]]) -> StatusChecker:
        checker = StatusChecker(provider)
        made.append(checker)
        return checker

    yield make
    for checker in made:
        checker.shutdown()  # wait for pool threads before the simulators go away


@pytest.fixture
def concurrency(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Wraps the real status functions to record how many jobs run at once per router."""
    lock = threading.Lock()
    running: dict[int, int] = defaultdict(int)
    stats: dict[str, object] = {"max": defaultdict(int), "runs": defaultdict(int)}

    def counted(real: Callable[[RouterBatch], object]) -> Callable[[RouterBatch], object]:
        def wrapper(b: RouterBatch) -> object:
            with lock:
                running[b.server_id] += 1
                stats["runs"][b.server_id] += 1  # type: ignore[index]
                peak = stats["max"]
                peak[b.server_id] = max(peak[b.server_id], running[b.server_id])  # type: ignore[index]
            try:
                return real(b)
            finally:
                with lock:
                    running[b.server_id] -= 1
        return wrapper

    monkeypatch.setattr(checker_module, "check_batch", counted(status.check_batch))
    monkeypatch.setattr(checker_module, "check_one", counted(status.check_one))
    return stats


def test_results_arrive_by_signal_keyed_by_server_and_username(qtbot: QtBot, make_checker, north: RouterSim,
                                                               south: RouterSim) -> None:
    no_password = RouterBatch(3, None, ("zed",), UnknownReason.NO_CREDENTIALS, "No password saved.")
    checker = make_checker(lambda: [batch(1, north, "alice", "bob", "carol"), batch(2, south, "alice"),
                                    no_password])
    seen = Recorder(checker)
    with qtbot.waitSignal(checker.refresh_finished, timeout=5000):
        checker.refresh()

    results = seen.merged()
    assert sorted(sid for sid, _ in seen.routers) == [1, 2, 3] and seen.finished == 1
    assert results[(1, "alice")].address == "10.1.0.2"
    assert results[(2, "alice")].address == "10.2.0.2"
    assert results[(1, "bob")].label == "Offline"
    assert results[(1, "carol")].label == "Offline — never connected"
    assert results[(3, "zed")].reason is UnknownReason.NO_CREDENTIALS


def test_each_answer_is_prepared_in_the_thread_that_got_it_before_it_is_reported(
        qtbot: QtBot, make_checker, north: RouterSim, south: RouterSim) -> None:
    """The checker hands each router's answer to ``prepare`` (the list's lookups) off the GUI
    thread, before the GUI thread hears of it; a preparer that fails costs nothing but its head start."""
    checker = make_checker(lambda: [batch(1, north, "alice", "bob"), batch(2, south, "alice")])
    prepared: dict[int, threading.Thread] = {}

    def prepare(statuses: object) -> None:
        prepared[statuses.server_id] = threading.current_thread()  # type: ignore[attr-defined]
        if statuses.server_id == 2:  # type: ignore[attr-defined]
            raise RuntimeError("a preparer's bug")

    from ispclient.ui.context import ConnectionBook

    class Preparer:
        def __init__(self) -> None:
            self.book = ConnectionBook()
            self.book.add_preparer(self.prepare)

        def prepare(self, statuses: object) -> None:
            prepare(statuses)

    owner = Preparer()
    checker.prepare = owner.book.prepare
    reported: list[tuple[int, bool]] = []
    checker.router_done.connect(lambda sid, _r: reported.append((sid, sid in prepared)))
    with qtbot.waitSignal(checker.refresh_finished, timeout=5000):
        checker.refresh()
    assert sorted(reported) == [(1, True), (2, True)]  # prepared first, both reported (2's preparer failed)
    assert all(t is not threading.main_thread() for t in prepared.values())


def test_an_empty_provider_still_finishes(qtbot: QtBot, make_checker) -> None:
    checker = make_checker(lambda: [])
    with qtbot.waitSignal(checker.refresh_finished, timeout=1000):
        checker.refresh()


def test_stale_generation_is_dropped_and_one_job_per_router(qtbot: QtBot, make_checker, north: RouterSim,
                                                            concurrency: dict[str, object]) -> None:
    north.latency_ms = 150  # every reply takes a while: the refreshes overlap
    checker = make_checker(lambda: [batch(1, north, "alice", "bob")])
    seen = Recorder(checker)
    checker.refresh()
    qtbot.waitUntil(lambda: checker.is_busy(1))  # the list of routers is read in the background first
    north.disconnect("alice")  # what the second refresh must report
    for _ in range(4):
        checker.refresh()  # while busy: remembered, only the latest
    qtbot.waitUntil(lambda: seen.finished == 1 and not checker.is_busy(1), timeout=10_000)

    assert [sid for sid, _ in seen.routers] == [1]  # the first (stale) answer was dropped
    assert seen.merged()[(1, "alice")].state is ConnectionState.OFFLINE
    assert concurrency["max"] == {1: 1}
    assert concurrency["runs"] == {1: 2}


def test_single_client_lookups_queue_behind_the_router_and_the_latest_wins(
        qtbot: QtBot, make_checker, north: RouterSim, concurrency: dict[str, object]) -> None:
    north.latency_ms = 100
    checker = make_checker(lambda: [batch(1, north, "alice", "bob", "carol")])
    seen = Recorder(checker)
    checker.refresh()
    checker.check_client(batch(1, north, "carol"))
    checker.check_client(batch(1, north, "carol"))  # the window was opened again
    checker.check_client(batch(1, north, "alice"))
    qtbot.waitUntil(lambda: len(seen.clients) == 2 and seen.finished == 1, timeout=10_000)
    qtbot.wait(300)  # nothing else trickles in

    assert sorted((name, conn.label) for _, name, conn in seen.clients) == [
        ("alice", "Online"), ("carol", "Offline — never connected")]
    assert concurrency["max"] == {1: 1}
    with pytest.raises(ValueError):
        checker.check_client(batch(1, north, "alice", "bob"))


def test_a_client_without_a_target_is_answered_at_once(qtbot: QtBot, make_checker) -> None:
    checker = make_checker(lambda: [])
    seen = Recorder(checker)
    checker.check_client(RouterBatch(5, None, ("zed",), UnknownReason.NO_SERVER))
    assert [(sid, name, conn.reason) for sid, name, conn in seen.clients] == [(5, "zed", UnknownReason.NO_SERVER)]


def test_a_hanging_router_never_blocks_the_event_loop(qtbot: QtBot, make_checker, north: RouterSim,
                                                      south: RouterSim) -> None:
    north.fault = "hang"
    checker = make_checker(lambda: [batch(1, north, "alice", timeout=1.0), batch(2, south, "alice")])
    seen = Recorder(checker)
    ticks: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(lambda: ticks.append(clock.elapsed()))
    ticker.start()

    started = time.monotonic()
    with qtbot.waitSignal(checker.refresh_finished, timeout=5000):
        checker.refresh()
    waited = time.monotonic() - started
    ticker.stop()

    assert 0.9 < waited < 3.0
    assert seen.merged()[(1, "alice")].reason is UnknownReason.TIMED_OUT
    assert seen.merged()[(2, "alice")].state is ConnectionState.ONLINE
    assert [sid for sid, _ in seen.routers][0] == 2  # the healthy router did not wait for the dead one
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) > 40  # ~100 expected at 10 ms over ~1 s
    assert max(gaps) < 200


def test_the_timer_refreshes_until_stopped(qtbot: QtBot, make_checker, north: RouterSim) -> None:
    checker = make_checker(lambda: [batch(1, north, "alice")])
    seen = Recorder(checker)
    assert checker.interval_s == 60
    checker.set_interval(0.05)
    checker.start()
    assert checker.is_active()
    qtbot.waitUntil(lambda: seen.finished >= 3, timeout=5000)
    checker.stop()
    qtbot.wait(100)  # let a last in-flight refresh land
    count = seen.finished
    qtbot.wait(200)
    assert seen.finished == count and not checker.is_active()
    with pytest.raises(ValueError):
        checker.set_interval(0)


def test_shutdown_drops_late_results(qtbot: QtBot, make_checker, north: RouterSim) -> None:
    north.latency_ms = 200
    checker = make_checker(lambda: [batch(1, north, "alice")])
    seen = Recorder(checker)
    checker.refresh()
    checker.check_client(batch(1, north, "alice"))
    assert checker.shutdown(5000)
    qtbot.wait(100)
    assert seen.routers == [] and seen.clients == []


def test_whole_routers_can_be_checked_in_the_helper_process(qtbot: QtBot, make_checker, north: RouterSim,
                                                            south: RouterSim) -> None:
    from ispclient.routeros.offload import StatusHelper

    helper = StatusHelper()
    try:
        checker = make_checker(lambda: [batch(1, north, "alice", "bob", "carol"), batch(2, south, "alice")])
        checker.helper = helper
        seen = Recorder(checker)
        with qtbot.waitSignal(checker.refresh_finished, timeout=10_000):
            checker.refresh()
        results = seen.merged()
        assert results[(1, "alice")].address == "10.1.0.2"
        assert results[(2, "alice")].address == "10.2.0.2"
        assert results[(1, "carol")].label == "Offline — never connected"

        helper._process.kill()  # the helper dies: routers are checked in the pool thread again
        helper._process.join(5)
        helper._reader.join(5)
        north.disconnect("alice")
        seen.routers.clear()
        with qtbot.waitSignal(checker.refresh_finished, timeout=10_000):
            checker.refresh()
        assert seen.merged()[(1, "alice")].state is ConnectionState.OFFLINE
    finally:
        helper.close()
