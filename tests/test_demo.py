"""Demo mode: realistic data in every status, and simulators that make Online, Offline and
Unknown show up for real."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest

from ispclient import demo, paths, store
from ispclient.domain.connection import ConnectionState, UnknownReason
from ispclient.domain.subscriptions import NO_SUBSCRIPTION, SubscriptionStatus
from ispclient.paths import AppPaths
from ispclient.routeros.credentials import CredentialStore
from ispclient.routeros.status import check_batch
from ispclient.store import queries, settings
from ispclient.store.models import Client, Package, Payment, Server, Subscription
from ispclient.ui.status_service import build_batches

CLIENTS = 150


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppPaths]:
    """One demo built for the module (building costs a few seconds)."""
    app_paths = paths.under(tmp_path_factory.mktemp("demo"))
    assert demo.build_demo(app_paths, clients=CLIENTS)
    store.close_database()
    yield app_paths


@pytest.fixture
def opened(built: AppPaths) -> Iterator[AppPaths]:
    demo.ensure_open(built)
    yield built
    store.close_database()


def test_every_status_and_realistic_people(opened: AppPaths) -> None:
    rows = queries.client_rows(settings.today(), settings.load().expiring_days)
    assert len(rows) == CLIENTS
    statuses = Counter(r.status for r in rows)
    for status in (*(s.value for s in SubscriptionStatus if s is not SubscriptionStatus.CANCELLED),
                   NO_SUBSCRIPTION):
        assert statuses[status] > 0, status
    assert Subscription.select().where(Subscription.cancelled_at.is_null(False)).exists()
    assert Subscription.select().where(Subscription.auto_renew).exists()
    # Names from several countries, with accents and non-Latin scripts.
    names = [r.name for r in rows]
    assert any(not n.isascii() and any(c.isalpha() and c.isascii() for c in n) for n in names)  # accents
    assert any(not any(c.isascii() for c in n.replace(" ", "")) for n in names)  # another script
    regions = {phonenumbers.region_code_for_number(phonenumbers.parse(r.phone)) for r in rows if r.phone}
    assert {"KE", "NG", "UG", "IN"} <= regions and len(regions) >= 6
    assert settings.load().default_country == "KE" and settings.load().currency == "KES"
    # Packages: 4-6, one no longer sold; payments in full, in part and none.
    packages = list(Package.select())
    assert 4 <= len(packages) <= 6 and sum(not p.active for p in packages) == 1
    paid = {s.id: sum(p.amount_minor for p in s.payments) for s in Subscription.select()}
    prices = {s.id: s.price_minor for s in Subscription.select()}
    assert any(paid[i] == prices[i] for i in paid)
    assert any(0 < paid[i] < prices[i] for i in paid)
    assert any(paid[i] == 0 for i in paid)
    assert Payment.select().where(Payment.method == "Mobile money").exists()
    assert {s.host for s in Server.select()} == {"127.0.0.1"} and len({s.port for s in Server.select()}) == 3


def test_the_morning_has_auto_renewals_to_show(opened: AppPaths) -> None:
    """The Today page's auto-renew tile (and its list) has this morning's renewals: new periods
    starting today, their clients' old periods ending today."""
    from ispclient.store import reports

    renewed = reports.auto_renewals()
    assert len(renewed.renewals) == CLIENTS // demo.RENEWS_TODAY_EVERY
    today = settings.today()
    assert any(r.balance_minor >= r.price_minor for r in renewed.renewals)  # someone to ask for the money
    for r in renewed.renewals:
        assert r.starts_on == today and r.price_minor > 0
        new = Subscription.get((Subscription.client == r.client_id) & (Subscription.starts_on == today))
        assert new.renewed_from is not None
        assert new.renewed_from.ends_on == today and new.renewed_from.auto_renew


def test_money_looks_like_a_live_isps(opened: AppPaths) -> None:
    """Most people have paid; the few who owe, owe on their current period; credit is what someone
    who cancelled left with the ISP; those who left with a reason got their money back."""
    from ispclient.store import balances
    from ispclient.store.models import Payment

    live = list(Client.select().where(Client.deleted_at.is_null()))
    owing = [c for c in live if c.balance_minor > 0]
    assert 0.03 * len(live) <= len(owing) <= 0.25 * len(live), len(owing)
    for c in (c for c in live if c.balance_minor < 0):
        cancelled = Subscription.select().where(Subscription.client == c.id, Subscription.cancelled_at.is_null(False))
        assert cancelled.exists()
    refunds = Payment.select().where(Payment.kind == "refund")
    assert refunds.count() > 0 and all(p.amount_minor < 0 for p in refunds)
    assert balances.drift() == []


def test_building_again_keeps_what_is_there(opened: AppPaths) -> None:
    before = Client.select().count()
    assert not demo.build_demo(opened, clients=10)
    assert Client.select().count() == before


def test_the_same_seed_builds_the_same_people(tmp_path: Path) -> None:
    people = []
    for name in ("a", "b"):
        app_paths = paths.under(tmp_path / name)
        demo.build_demo(app_paths, clients=12, seed=7)
        people.append([(c.client_code, c.name, c.phone, c.pppoe_username) for c in Client.select().order_by(Client.id)])
        store.close_database()
    assert people[0] == people[1]


def test_statuses_against_the_demo_routers(opened: AppPaths) -> None:
    credentials = CredentialStore(settings.keyring_service())
    sims = demo.start_demo_routers(opened, credentials)
    try:
        assert len(sims) == 2
        results = {}
        for batch in build_batches(credentials):
            results.update(check_batch(batch))
        states = Counter(c.state for c in results.values())
        reachable = states[ConnectionState.ONLINE] + states[ConnectionState.OFFLINE]
        assert 0.5 <= states[ConnectionState.ONLINE] / reachable <= 0.8
        assert states[ConnectionState.OFFLINE] > 0
        unreachable = Server.get(Server.name == "Kisumu POP").id
        assert {c.reason for (sid, _), c in results.items() if sid == unreachable} == {UnknownReason.UNREACHABLE}
        assert any(c.never_connected for c in results.values())
        assert {credentials.get(s.id) for s in Server.select()} == {demo.DEMO_PASSWORD}
    finally:
        for sim in sims:
            sim.stop()


def test_taken_ports_move_the_demo_routers(opened: AppPaths) -> None:
    first = Server.get(Server.name == "Nairobi Core")
    dead = Server.get(Server.name == "Kisumu POP")
    with socket.socket() as a, socket.socket() as b:
        for sock, port in ((a, first.port), (b, dead.port)):
            sock.bind(("127.0.0.1", port))
            sock.listen()
        sims = demo.start_demo_routers(opened)
        try:
            moved = Server.get_by_id(first.id)
            assert moved.port != first.port and moved.port in {s.port for s in sims}
            assert Server.get_by_id(dead.id).port != dead.port  # something answered there: moved away
        finally:
            for sim in sims:
                sim.stop()


def test_nothing_in_the_demo_happened_after_now(opened: AppPaths) -> None:
    from ispclient.domain.clock import utcnow

    now = utcnow()
    assert max(c.created_at for c in Client.select()) <= now
    assert max(s.created_at for s in Subscription.select()) <= now
    assert max(p.paid_at for p in Payment.select()) <= now
    # A client whose only subscription is scheduled signed up before it starts, and not in the future.
    today = settings.today()
    for client in Client.select():
        starts = [s.starts_on for s in client.subscriptions]
        if starts and min(starts) > today:
            assert client.created_at.date() <= today


def test_building_reports_progress(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    app_paths = paths.under(tmp_path)
    try:
        assert demo.needs_building(app_paths)
        demo.build_demo(app_paths, clients=30, progress=lambda done, total: seen.append((done, total)))
        assert not demo.needs_building(app_paths)
        # Demo clients keep the PPPoE password their simulated router has: a deleted one comes back
        # whole on Undo (the router secret is made again with it).
        from ispclient.store import clients as client_service

        with_account = list(Client.select().where(Client.pppoe_username != ""))
        assert with_account
        for client in with_account:
            assert client_service.pppoe_password(client.id) == demo.demo_password(client.pppoe_username)
    finally:
        store.close_database()
    assert seen == [(10, 30), (20, 30), (30, 30)]


def test_the_demo_opens_with_nothing_waiting_for_its_routers(opened: AppPaths) -> None:
    """Its routers are made from its data, so the first sync has nothing to queue (it queued a
    change per client: the installed demo opened with 99–127 changes waiting per router)."""
    from ispclient.store import provisioning
    from ispclient.store.models import RouterChange

    assert settings.load().manage_secrets
    assert provisioning.sync_all(dry_run=True).queued == 0
    assert RouterChange.select().count() == 0
    assert Client.select().where(Client.router_desired != "").count() > CLIENTS // 2
