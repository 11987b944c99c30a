"""Expiry enforcement on a simulated router: each action after the grace period and not before,
renewal and payment bring the client back."""

from __future__ import annotations

from datetime import date

import pytest

from ispclient import enforce
from ispclient.simulator import RouterSim
from ispclient.store import subscriptions as subs
from ispclient.store.models import Subscription

from .conftest import PPPOE_PASSWORD, World, configure

START = date(2025, 12, 20)  # a 30-day package from here ends (first day without service) 19 Jan 2026
GRACE_LAST_DAY = date(2026, 1, 21)
CUT_OFF_DAY = date(2026, 1, 22)


def setup_client(world: World, sim: RouterSim, *, auto_renew: bool = False) -> tuple[int, int, int]:
    sid = world.add_router(sim)
    pkg = world.make.package("Home 10M", ppp_profile="home-10m")
    cid = world.make.client("Amina Wanjiru", pppoe_username="amina", server_id=sid, pppoe_password=PPPOE_PASSWORD)
    world.make.subscription(cid, pkg, START, auto_renew=auto_renew, payment=subs.PaymentInput("1500"))
    return sid, pkg, cid


def run(world: World) -> enforce.EnforceSummary:
    return enforce.enforce(world.targets, now=world.now())


def test_new_subscription_creates_an_enabled_secret(world: World, sim: RouterSim) -> None:
    setup_client(world, sim)
    assert sim.secret("amina") is None  # queued, not sent inside the transaction
    report = world.drain()
    assert (report.applied, report.pending, report.failed) == (1, 0, 0)  # create + subscribe collapsed
    secret = sim.secret("amina")
    assert secret is not None
    assert (secret["password"], secret["profile"], secret["service"], secret["disabled"]) == (
        PPPOE_PASSWORD, "home-10m", "pppoe", "false")
    assert secret["comment"] == "T00001 Amina Wanjiru"


@pytest.mark.parametrize("action", ["disable", "limit", "remove", "nothing"])
def test_expiry_action_after_grace_and_not_before(world: World, sim: RouterSim, action: str) -> None:
    configure(expiry_action=action, limit_profile="expired")
    setup_client(world, sim)
    world.drain()
    sim.connect("amina")
    world.clock.today = GRACE_LAST_DAY
    summary = run(world)
    assert (summary.cut_off, summary.applied) == (0, 0)
    assert sim.secret("amina")["disabled"] == "false" and len(sim.active()) == 1  # type: ignore[index]

    world.clock.today = CUT_OFF_DAY
    sim.commands.clear()
    summary = run(world)
    secret, active = sim.secret("amina"), sim.active()
    writes = [c[0] for c in sim.commands if not c[0].endswith(("/print", "/login"))]
    if action == "disable":
        assert secret is not None and secret["disabled"] == "true" and secret["profile"] == "home-10m"
        assert active == []
    elif action == "limit":
        assert secret is not None and secret["disabled"] == "false" and secret["profile"] == "expired"
        assert active == []
    elif action == "remove":
        assert secret is None and active == []
    else:
        assert secret is not None and secret["disabled"] == "false" and len(active) == 1
        assert writes == []
    assert summary.cut_off == 1 and summary.exit_code == 0
    assert f"1 {enforce._VERBS[action]}," in summary.line()


@pytest.mark.parametrize("action", ["disable", "limit", "remove"])
def test_renewal_re_enables(world: World, sim: RouterSim, action: str) -> None:
    configure(expiry_action=action)
    _, pkg, cid = setup_client(world, sim)
    world.clock.today = CUT_OFF_DAY
    run(world)
    subs.create_subscription(cid, pkg, subs.renewal_start(cid))
    world.drain()
    secret = sim.secret("amina")
    assert secret is not None and secret["disabled"] == "false" and secret["profile"] == "home-10m"
    assert secret["password"] == PPPOE_PASSWORD  # a removed secret comes back with its password


def test_unpaid_auto_renewal_is_cut_off_after_grace_and_payment_re_enables(world: World, sim: RouterSim) -> None:
    _, _, cid = setup_client(world, sim, auto_renew=True)
    world.drain()
    world.clock.today = GRACE_LAST_DAY
    summary = run(world)
    assert summary.renewed == 1 and sim.secret("amina")["disabled"] == "false"  # type: ignore[index]
    world.clock.today = CUT_OFF_DAY
    assert run(world).cut_off == 1
    assert sim.secret("amina")["disabled"] == "true"  # type: ignore[index]
    unpaid = Subscription.get(Subscription.renewed_from.is_null(False))
    subs.record_payment(unpaid.id, subs.PaymentInput("1500"))
    world.drain()
    assert sim.secret("amina")["disabled"] == "false"  # type: ignore[index]
    assert run(world).restored == 0  # already restored by the payment itself


def test_cancelling_applies_the_action_at_once(world: World, sim: RouterSim) -> None:
    _, pkg, cid = setup_client(world, sim)
    world.drain()
    sim.connect("amina")
    running = world.make.subscription(cid, pkg, date(2026, 1, 19))  # the renewal, running from the 19th
    world.clock.today = date(2026, 1, 20)
    subs.cancel_subscription(running, "moved away")
    world.drain()
    assert sim.secret("amina")["disabled"] == "true" and sim.active() == []  # type: ignore[index]


def test_nothing_is_queued_while_secrets_are_not_managed(world: World, sim: RouterSim) -> None:
    configure(manage_secrets=False)
    setup_client(world, sim)
    assert world.drain().applied == 0 and sim.secret("amina") is None
    configure(manage_secrets=True)  # turning it on pushes every client at the next run
    summary = run(world)
    assert summary.applied == 1 and sim.secret("amina") is not None


def test_dry_run_tells_what_turning_management_on_would_do(world: World, sim: RouterSim) -> None:
    configure(manage_secrets=False)
    setup_client(world, sim)
    world.clock.today = CUT_OFF_DAY
    from dataclasses import replace

    from ispclient.store import provisioning, settings
    from ispclient.store.models import RouterChange

    proposed = replace(settings.load(), manage_secrets=True)
    counts = provisioning.sync_all(dry_run=True, settings=proposed)
    assert (counts.queued, counts.cut_off) == (1, 1)
    assert RouterChange.select().count() == 0
