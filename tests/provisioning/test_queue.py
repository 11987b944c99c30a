"""The durable change queue: retried while a router is down and applied exactly once when it is
back, in order, superseded states collapsed, every command audited without passwords."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from ispclient import enforce
from ispclient.simulator import RouterSim
from ispclient.store import clients, queries, router_queue
from ispclient.store import subscriptions as subs
from ispclient.store.models import AuditEvent, Client, RouterChange

from .conftest import PPPOE_PASSWORD, World
from .test_expiry import CUT_OFF_DAY, setup_client


def writes(sim: RouterSim) -> list[list[str]]:
    return [c for c in sim.commands if c[0].endswith(("/add", "/set", "/remove"))]


def edit(cid: int, **changes: object) -> None:
    c = Client.get_by_id(cid)
    values: dict[str, object] = {"client_code": c.client_code, "name": c.name, "pppoe_username": c.pppoe_username,
                                 "server_id": c.server_id}
    values.update(changes)
    clients.edit_client(cid, clients.ClientInput(**values))  # type: ignore[arg-type]


def test_backoff_doubles_up_to_half_an_hour() -> None:
    assert [router_queue.backoff(n).total_seconds() for n in (1, 2, 3, 4, 7, 50)] == [30, 60, 120, 240, 1800, 1800]


def test_router_down_during_expiry_gets_the_change_exactly_once(world: World, sim: RouterSim) -> None:
    setup_client(world, sim)
    world.drain()
    sim.connect("amina")
    sim.stop()
    world.clock.today = CUT_OFF_DAY
    summary = enforce.enforce(world.targets, now=world.now())
    assert (summary.cut_off, summary.applied, summary.pending, summary.exit_code) == (1, 0, 1, enforce.EXIT_PENDING)
    assert "Main router" in summary.problems
    change = RouterChange.get(RouterChange.status == router_queue.PENDING)
    assert change.attempts == 1 and "refused the connection" in change.last_error
    [pending] = queries.pending_changes(Client.get().id)
    assert pending.server_name == "Main router" and "refused" in pending.last_error

    sim.start()  # back on the same port
    sim.commands.clear()
    world.later(seconds=10)  # the back-off (30 s) has not run out: nothing is tried
    assert world.drain().applied == 0 and sim.commands == []
    world.later(seconds=25)
    report = world.drain()
    assert (report.applied, report.pending, report.failed) == (1, 0, 0)
    assert [c[0] for c in writes(sim)] == ["/ppp/secret/set", "/ppp/active/remove"]
    assert sim.secret("amina")["disabled"] == "true" and sim.active() == []  # type: ignore[index]

    world.later(hours=1)
    again = enforce.enforce(world.targets, now=world.now())
    assert (again.cut_off, again.applied, again.pending) == (0, 0, 0)
    assert len(writes(sim)) == 2  # exactly once
    assert queries.pending_changes(Client.get().id) == []


def test_two_queued_changes_for_one_client_apply_in_order(world: World, sim: RouterSim) -> None:
    _, pkg, cid = setup_client(world, sim)
    world.drain()
    sim.stop()
    edit(cid, pppoe_username="amina.w")  # 1: remove "amina", create "amina.w"
    running = Subscription_running(world, cid, pkg)
    subs.cancel_subscription(running, "moved away")  # 2: "amina.w" disabled at once
    waiting = list(RouterChange.select().where(RouterChange.status.in_(router_queue.WAITING))
                   .order_by(RouterChange.id))
    assert [(c.username, c.present, c.disabled) for c in waiting] == [("amina", False, None),
                                                                      ("amina.w", True, True)]
    assert RouterChange.select().where(RouterChange.status == router_queue.SUPERSEDED).count() >= 1
    sim.start()
    sim.commands.clear()
    world.later(minutes=1)
    assert world.drain().applied == 2
    assert [(c[0], c[1]) for c in writes(sim)] == [("/ppp/secret/remove", "=.id=*1"),
                                                   ("/ppp/secret/add", "=name=amina.w")]
    assert "=disabled=yes" in writes(sim)[1]
    assert sim.secret("amina") is None
    assert sim.secret("amina.w")["disabled"] == "true"  # type: ignore[index]
    assert sim.secret("amina.w")["password"] == PPPOE_PASSWORD  # type: ignore[index]


def Subscription_running(world: World, cid: int, pkg: int) -> int:  # noqa: N802
    """A renewal running from the old end date, today inside it."""
    sid = world.make.subscription(cid, pkg, date(2026, 1, 19))
    world.clock.today = date(2026, 1, 20)
    return sid


def test_moving_a_client_moves_the_secret(world: World, sim: RouterSim, sim2: RouterSim) -> None:
    _, _, cid = setup_client(world, sim)
    north = world.add_router(sim2, "North POP")
    world.drain()
    sim.connect("amina")
    edit(cid, server_id=north)
    report = world.drain()
    assert report.applied == 2
    assert sim.secret("amina") is None and sim.active() == []
    moved = sim2.secret("amina")
    assert moved is not None and moved["disabled"] == "false" and moved["password"] == PPPOE_PASSWORD


def test_deleting_a_client_removes_the_secret_and_undo_brings_it_back(world: World, sim: RouterSim) -> None:
    sid = world.add_router(sim)
    cid = world.make.client(pppoe_username="amina", server_id=sid, pppoe_password=PPPOE_PASSWORD)
    world.drain()
    assert sim.secret("amina")["disabled"] == "true"  # type: ignore[index]  # no subscription yet
    clients.delete_client(cid)
    world.drain()
    assert sim.secret("amina") is None
    clients.undo_delete_client(cid)
    world.drain()
    assert sim.secret("amina") is not None


def test_a_rejected_change_fails_without_blocking_the_others(world: World, sim: RouterSim) -> None:
    sid = world.add_router(sim)
    bad = world.make.package("Gold", ppp_profile="no-such-profile")
    good = world.make.package("Home", ppp_profile="home-10m")
    a = world.make.client("A", pppoe_username="a", server_id=sid, pppoe_password="pw-a-1234")
    b = world.make.client("B", pppoe_username="b", server_id=sid, pppoe_password="pw-b-1234")
    world.make.subscription(a, bad, world.clock.today)
    world.make.subscription(b, good, world.clock.today)
    report = world.drain()
    assert (report.applied, report.failed) == (1, 1)
    failed = RouterChange.get(RouterChange.status == router_queue.FAILED)
    assert failed.username == "a" and "profile" in failed.last_error
    assert sim.secret("b") is not None and sim.secret("a") is None
    summary = enforce.enforce(world.targets, now=world.now() + timedelta(minutes=5))
    assert summary.failed == 1 and summary.exit_code == enforce.EXIT_ERROR


def test_every_command_is_audited_with_the_client_and_no_password(world: World, sim: RouterSim) -> None:
    _, _, cid = setup_client(world, sim)
    world.drain()
    sim.connect("amina")
    world.clock.today = CUT_OFF_DAY
    enforce.enforce(world.targets, now=world.now())
    events = list(AuditEvent.select().where(AuditEvent.action == "router.command").order_by(AuditEvent.id))
    assert [json.loads(e.after)["command"] for e in events] == [
        "/ppp/secret/add", "/ppp/secret/set", "/ppp/active/remove"]
    assert all(e.client_id == cid and e.entity_id == Client.get_by_id(cid).server_id for e in events)
    assert "password=(set)" in events[0].summary
    assert len(writes(sim)) == len(events)
    everything = " ".join(e.summary + e.before + e.after for e in AuditEvent.select())
    assert PPPOE_PASSWORD not in everything


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
@pytest.mark.parametrize(("name", "stored"), [("José Müller", "José Müller"), ("王小明", None)])
def test_non_ascii_comments(world: World, encoding: str, name: str, stored: str | None) -> None:
    from .conftest import start_sim

    router = start_sim(encoding)
    try:
        sid = world.add_router(router, encoding=encoding)
        world.make.client(name, pppoe_username="user1", server_id=sid, pppoe_password=PPPOE_PASSWORD)
        assert world.drain().applied == 1
        expected = stored or (name if encoding == "utf-8" else "???")  # cp1252 has no Chinese
        assert router.secret("user1")["comment"] == f"T00001 {expected}"  # type: ignore[index]
        router.commands.clear()
        provisioning_push(sid)
        assert world.drain().applied == 1
        assert writes(router) == []  # the '?' fallback compares equal: nothing re-sent
    finally:
        router.stop()


def provisioning_push(server_id: int) -> None:
    from ispclient.store import provisioning

    assert provisioning.push_everything(server_id) == 1
