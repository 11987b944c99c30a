"""One slow router never delays another: the change queue drains routers side by side, each
within its own deadlines, and auto-renew and expiry never wait on a router.

Before: routers were drained one after another, so a router dripping its replies held every
later router's changes (a healthy router's change stayed pending 40 s and counting)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from ispclient import enforce
from ispclient.simulator import RouterSim
from ispclient.simulator.hostile import HostileRouter
from ispclient.store import router_queue
from ispclient.store.models import Client, RouterChange, Server
from ispclient.store.subscriptions import PaymentInput

from .conftest import API_PASSWORD, PPPOE_PASSWORD, World

START = date(2026, 1, 1)


@pytest.fixture
def dripping() -> Iterator[HostileRouter]:
    with HostileRouter("drip", drip_s=0.2) as router:  # each byte within the 1 s timeout
        yield router


def add_dripping(world: World, router: HostileRouter) -> int:
    sid = world.make.server("Dripping router", port=router.port, timeout_s=1.0)
    world.targets[sid] = router_queue.target_for(Server.get_by_id(sid), API_PASSWORD)
    return sid


def client_on(world: World, sid: int, username: str) -> int:
    pkg = world.make.package(f"Home {username}", ppp_profile="home-10m")
    cid = world.make.client(username.title(), pppoe_username=username, server_id=sid, pppoe_password=PPPOE_PASSWORD)
    world.make.subscription(cid, pkg, START, payment=PaymentInput("1500"))
    return cid


def status_of(username: str) -> str:
    return str(RouterChange.select(RouterChange.status).where(RouterChange.username == username)
               .order_by(RouterChange.id.desc()).get().status)


def test_a_dripping_router_does_not_hold_up_a_healthy_one(world: World, sim: RouterSim,
                                                          dripping: HostileRouter) -> None:
    slow = add_dripping(world, dripping)  # the lower id: drained first when it was one at a time
    healthy = world.add_router(sim, "Healthy router")
    assert slow < healthy
    client_on(world, slow, "zed")
    client_on(world, healthy, "amina")
    deadline_s = world.targets[slow].deadline_s
    reports: list[router_queue.DrainReport] = []
    started = time.monotonic()
    drainer = threading.Thread(target=lambda: reports.append(world.drain()), daemon=True)
    drainer.start()
    while sim.secret("amina") is None and time.monotonic() - started < 10:
        time.sleep(0.02)
    applied_after = time.monotonic() - started
    assert sim.secret("amina") is not None
    assert applied_after < 2.0  # not after the dripping router's deadline
    assert drainer.is_alive()  # the dripping router is still being waited on meanwhile
    drainer.join(deadline_s + 5)
    assert not drainer.is_alive()
    assert time.monotonic() - started < deadline_s + 1.0  # the run ends by the slow router's deadline
    [report] = reports
    assert (report.applied, report.pending) == (1, 1)
    assert "did not finish within 4 s" in report.problems[slow]
    assert (status_of("amina"), status_of("zed")) == (router_queue.DONE, router_queue.PENDING)


def test_each_change_gets_a_deadline_of_its_own(world: World, sim: RouterSim) -> None:
    """Changes applied on one session don't share one deadline: 30 changes at 40 ms a command
    take longer than one deadline (1.2 s here) in all, and every one of them is applied."""
    sid = world.add_router(sim)
    world.targets[sid] = replace(world.targets[sid], timeout=0.3)
    for i in range(30):
        client_on(world, sid, f"user{i:02d}")
    sim.latency_ms = 40
    started = time.monotonic()
    report = world.drain()
    assert time.monotonic() - started > world.targets[sid].deadline_s  # longer than one deadline in all…
    assert (report.applied, report.pending, report.failed) == (30, 0, 0)  # …and nothing was cut off


def test_enforce_ends_by_the_slowest_deadline(world: World, sim: RouterSim, dripping: HostileRouter) -> None:
    slow = add_dripping(world, dripping)
    healthy = world.add_router(sim, "Healthy router")
    client_on(world, slow, "zed")
    client_on(world, healthy, "amina")
    started = time.monotonic()
    summary = enforce.enforce(world.targets, now=world.now())
    assert time.monotonic() - started < world.targets[slow].deadline_s + 1.0
    assert (summary.applied, summary.pending, summary.exit_code) == (1, 1, enforce.EXIT_PENDING)
    assert "did not finish" in summary.problems["Dripping router"]
    assert Client.select().count() == 2
