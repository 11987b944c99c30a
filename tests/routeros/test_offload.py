"""Whole routers checked in the helper process: the same answers as in-process, and a clean
fallback signal when the helper is gone."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from ispclient.domain.connection import ConnectionState, UnknownReason
from ispclient.routeros.offload import HelperUnavailable, StatusHelper
from ispclient.routeros.status import RouterBatch, check_batch
from ispclient.routeros.target import RouterTarget
from ispclient.simulator import RouterSim


@pytest.fixture(scope="module")
def helper() -> Iterator[StatusHelper]:
    h = StatusHelper()
    yield h
    h.close()


@pytest.fixture
def clients(sim: RouterSim) -> RouterSim:
    sim.add_secret("alice")
    sim.add_secret("bob", last_logged_out="2025-01-10 08:30:00")
    sim.add_secret("carol")  # never connected
    sim.connect("alice", address="10.0.0.7", caller_id="AA:BB:CC:00:00:07", uptime="1h2m3s")
    return sim


def test_the_helper_answers_as_the_app_would(helper: StatusHelper, clients: RouterSim, target: RouterTarget) -> None:
    batch = RouterBatch(7, target, ("alice", "bob", "carol", "dave"))
    remote = helper.submit(batch).result(timeout=30)
    local = check_batch(batch)
    assert set(remote) == set(local) == {(7, "alice"), (7, "bob"), (7, "carol"), (7, "dave")}
    assert [(remote[k].state, remote[k].label, remote[k].address, remote[k].detail) for k in sorted(remote)] == \
        [(local[k].state, local[k].label, local[k].address, local[k].detail) for k in sorted(local)]
    assert remote[(7, "alice")].state is ConnectionState.ONLINE
    assert remote[(7, "alice")] is remote[(7, "alice")]  # made once, then kept


def test_routers_are_checked_side_by_side(helper: StatusHelper, clients: RouterSim, target: RouterTarget) -> None:
    with RouterSim(host="127.0.0.1", port=0, users={"admin": "x" * 12}) as dead:
        dead.fault = "hang"
        hung = RouterTarget(8, "hung", "127.0.0.1", dead.port, password="x" * 12, timeout=1.5)
        slow = helper.submit(RouterBatch(8, hung, ("zed",)))
        fast = helper.submit(RouterBatch(7, target, ("alice",)))
        assert fast.result(timeout=30)[(7, "alice")].state is ConnectionState.ONLINE
        assert not slow.done()  # the hung router did not hold the other one up
        assert slow.result(timeout=30)[(8, "zed")].reason is UnknownReason.TIMED_OUT


def test_a_closed_or_lost_helper_says_so(clients: RouterSim, target: RouterTarget) -> None:
    lost = StatusHelper()
    assert lost.submit(RouterBatch(7, target, ("alice",))).result(timeout=30)
    lost._process.kill()
    lost._process.join(5)
    lost._reader.join(5)
    assert lost.closed and not lost.stopping
    with pytest.raises(HelperUnavailable):
        lost.submit(RouterBatch(7, target, ("alice",)))
    lost.close()
    assert lost.stopping


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="stops the child with SIGSTOP (POSIX)")
def test_closing_never_waits_on_a_child_that_stopped_reading(target: RouterTarget) -> None:
    """A child that stops reading lets the pipe fill: the sends of the checks under way block.
    Quitting (close) must not wait for them — it used to wait for ever, the helper's lock held
    through a blocked send — and the blocked checks hear the helper is gone."""
    helper = StatusHelper()
    os.kill(helper._process.pid, signal.SIGSTOP)  # type: ignore[arg-type]
    names = tuple(f"user{i:06d}@example" for i in range(60_000))  # ~1 MB a batch: more than the pipe holds
    outcomes: list[str] = []

    def check() -> None:
        try:
            helper.submit(RouterBatch(7, target, names)).result(timeout=30)
            outcomes.append("answered")
        except HelperUnavailable:
            outcomes.append("unavailable")

    threads = [threading.Thread(target=check, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the sends are stuck on the full pipe by now
    assert not outcomes
    closing = threading.Thread(target=helper.close, daemon=True)
    closing.start()
    closing.join(10)  # a second or so (JOIN_S twice); before, it never returned
    assert not closing.is_alive()
    for t in threads:
        t.join(10)
    assert outcomes == ["unavailable"] * 3 and helper.stopping
