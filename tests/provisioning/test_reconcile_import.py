"""Reconcile finds and fixes each kind of difference; import previews, then creates exactly
the new clients."""

from __future__ import annotations

from ispclient.routeros.reconcile import DiffKind, fetch_secrets
from ispclient.simulator import RouterSim
from ispclient.store import provisioning, router_sync
from ispclient.store.models import AuditEvent, Client

from .conftest import PPPOE_PASSWORD, World


def four_clients(world: World, sim: RouterSim) -> int:
    sid = world.add_router(sim)
    pkg = world.make.package("Home 10M", ppp_profile="home-10m")
    for user in ("gone", "off", "slow", "fine"):
        cid = world.make.client(user.title(), pppoe_username=user, server_id=sid, pppoe_password=PPPOE_PASSWORD)
        world.make.subscription(cid, pkg, world.clock.today)
    assert world.drain().applied == 4
    return sid


def tamper(sim: RouterSim) -> None:
    """What staff do on the router by hand, behind the database's back."""
    state = sim.state
    state.remove(state.secrets, sim.secret("gone")[".id"])  # type: ignore[index]
    state.set(state.secrets, sim.secret("off")[".id"], {"disabled": "yes"})  # type: ignore[index]
    state.set(state.secrets, sim.secret("slow")[".id"], {"profile": "home-50m"})  # type: ignore[index]
    sim.add_secret("stranger", "pw-stranger", comment="walk-in")


def test_reconcile_finds_each_kind_and_fixing_the_router_clears_them(world: World, sim: RouterSim) -> None:
    sid = four_clients(world, sim)
    tamper(sim)
    diffs = router_sync.reconcile(sid, fetch_secrets(world.targets[sid]))
    assert sorted((d.kind, d.username) for d in diffs) == sorted([
        (DiffKind.MISSING, "gone"), (DiffKind.DISABLED, "off"), (DiffKind.PROFILE, "slow"),
        (DiffKind.EXTRA, "stranger")])
    assert all(d.detail for d in diffs)
    assert router_sync.fix_router(sid, diffs) == 4
    assert world.drain().applied == 4
    assert router_sync.reconcile(sid, fetch_secrets(world.targets[sid])) == []
    assert sim.secret("gone")["password"] == PPPOE_PASSWORD  # type: ignore[index]
    assert sim.secret("stranger") is None


def test_fixing_the_database_side(world: World, sim: RouterSim) -> None:
    sid = four_clients(world, sim)
    tamper(sim)
    diffs = router_sync.reconcile(sid, fetch_secrets(world.targets[sid]))
    refused = router_sync.fix_database(diffs)
    assert len(refused) == 3  # only the missing secret can be followed: its client is detached
    gone = Client.get(Client.name == "Gone")
    assert gone.server_id is None and gone.pppoe_username == ""
    left = router_sync.reconcile(sid, fetch_secrets(world.targets[sid]))
    assert {d.username for d in left} == {"off", "slow", "stranger"}


def test_push_everything_restores_a_replaced_router(world: World, sim: RouterSim) -> None:
    sid = four_clients(world, sim)
    for secret in sim.secrets():  # a factory-reset replacement router
        sim.state.remove(sim.state.secrets, secret[".id"])
    assert provisioning.push_everything(sid) == 4
    assert world.drain().applied == 4
    assert {s["name"] for s in sim.secrets()} == {"gone", "off", "slow", "fine"}


def test_import_previews_then_creates_exactly_the_new_clients(world: World, sim: RouterSim) -> None:
    sid = world.add_router(sim)
    world.make.package("Home 10M", ppp_profile="home-10m")
    world.make.client("Known", pppoe_username="known", server_id=sid)
    sim.add_secret("known", "pw-known-1")
    sim.add_secret("jose", "pw-jose-123", profile="home-10m", comment="C00077 José Müller")
    sim.add_secret("wang", "pw-wang-123", profile="home-50m", comment="王小明", disabled=True)
    sim.add_secret("bad name", "pw-bad-1234")
    sim.add_secret("Known", "pw-twin-1234")
    before = (Client.select().count(), AuditEvent.select().count())

    rows = router_sync.import_preview(sid, fetch_secrets(world.targets[sid]))
    assert (Client.select().count(), AuditEvent.select().count()) == before  # a preview writes nothing
    by_user = {r.username: r for r in rows}
    assert set(by_user) == {"jose", "wang", "bad name", "Known"}  # "known" is already a client here
    jose, wang = by_user["jose"], by_user["wang"]
    assert (jose.client_code, jose.name, jose.package_name, jose.problems) == ("C00077", "José Müller", "Home 10M", ())
    assert wang.name == "王小明" and wang.disabled and wang.importable
    assert any("No package uses PPP profile “home-50m”" in p for p in wang.problems)
    assert by_user["bad name"].blocking and "Invalid username" in by_user["bad name"].problems[0]
    assert by_user["Known"].blocking and "Duplicate" in by_user["Known"].problems[0]

    created = router_sync.import_clients(sid, rows)
    assert len(created) == 2
    new = {c.pppoe_username: c for c in Client.select().where(Client.id.in_(created))}
    assert set(new) == {"jose", "wang"}
    assert new["jose"].client_code == "C00077" and new["jose"].server_id == sid
    from ispclient.store import clients

    assert clients.pppoe_password(new["jose"].id) == "pw-jose-123"
    assert AuditEvent.select().where(AuditEvent.action == "client.import").count() == 2
    again = router_sync.import_preview(sid, fetch_secrets(world.targets[sid]))
    assert {r.username for r in again} == {"bad name", "Known"}
    # Imported clients have no subscription yet: the router keeps them as they are.
    sim.commands.clear()
    world.drain()
    assert sim.secret("jose")["disabled"] == "false" and sim.secret("wang")["disabled"] == "true"  # type: ignore[index]
    assert sim.secret("jose")["comment"] == "C00077 José Müller"  # type: ignore[index]
