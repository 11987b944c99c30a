"""The service functions: every change validated, one transaction, one audit event."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ispclient.domain.errors import ValidationError
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.store import catalog, clients, queries
from ispclient.store import subscriptions as subs
from ispclient.store.models import AuditEvent, Client, Package, Payment, Server, Subscription

from .conftest import Clock, Factory


def counts() -> dict[str, int]:
    return {m.__name__: m.select().count() for m in (Client, Server, Package, Subscription, Payment, AuditEvent)}


def refused(func, *args, **kwargs) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Call a service that must refuse; check it changed nothing and return the field messages."""
    before = counts()
    with pytest.raises(ValidationError) as e:
        func(*args, **kwargs)
    assert counts() == before
    return e.value.errors


# --- clients -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["محمد عبد الله الحسيني", "王小明", "Zoë 🚀 Ωmega 👨‍👩‍👧"])
def test_names_in_any_script_stored_exactly(make: Factory, name: str) -> None:
    cid = make.client(name=name)
    assert Client.get_by_id(cid).name == name
    assert queries.client_rows(date(2026, 1, 1), 7)[0].name == name


def test_create_client_writes_audit_event(make: Factory) -> None:
    cid = make.client(name="Amina Wanjiru", phone="(201) 555-0123", email="amina@example.com")
    ev = AuditEvent.get(AuditEvent.action == "client.create")
    assert ev.client_id == cid and ev.actor
    after = json.loads(ev.after)
    assert after["name"] == "Amina Wanjiru" and after["phone"] == "+12015550123"


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"name": "  "}, "name", "Enter the client's name"),
        ({"email": "amina@"}, "email", "not a valid e-mail"),
        ({"phone": "call me"}, "phone", "not a phone number"),
        ({"address": "x" * 10_000}, "address", "too long"),
        ({"client_code": ""}, "client_code", "Enter a Client ID"),
    ],
)
def test_bad_client_input_changes_nothing(make: Factory, fields: dict[str, str], field: str, fragment: str) -> None:
    data = {"client_code": "C1", "name": "Amina"} | fields
    errors = refused(clients.create_client, clients.ClientInput(**data))
    assert fragment in errors[field]


def test_all_bad_fields_reported_at_once(make: Factory) -> None:
    errors = refused(clients.create_client, clients.ClientInput("", "", phone="x", email="y"))
    assert set(errors) == {"client_code", "name", "phone", "email"}


def test_duplicate_client_id(make: Factory) -> None:
    make.client(client_code="C00001")
    errors = refused(clients.create_client, clients.ClientInput("C00001", "Other"))
    assert "already used" in errors["client_code"]


def test_pppoe_username_unique_per_server_only(make: Factory) -> None:
    r1, r2 = make.server("North"), make.server("South")
    make.client(pppoe_username="amina", server_id=r1)
    errors = refused(clients.create_client, clients.ClientInput("C9", "Bob", pppoe_username="amina", server_id=r1))
    assert "already used on North" in errors["pppoe_username"]
    make.client(pppoe_username="amina", server_id=r2)  # another router: fine


@pytest.mark.parametrize("username", ["amina w", "amína", "用户"])
def test_pppoe_username_with_spaces_or_non_ascii(make: Factory, username: str) -> None:
    r = make.server()
    errors = refused(clients.create_client, clients.ClientInput("C9", "Bob", pppoe_username=username, server_id=r))
    assert "pppoe_username" in errors


def test_username_needs_a_router(make: Factory) -> None:
    errors = refused(clients.create_client, clients.ClientInput("C9", "Bob", pppoe_username="bob"))
    assert "router" in errors["server_id"]


def test_edit_client_records_only_changes(make: Factory) -> None:
    cid = make.client(name="Amina", client_code="C1")
    clients.edit_client(cid, clients.ClientInput("C1", "Amina Otieno", address="Kisumu"))
    ev = AuditEvent.get(AuditEvent.action == "client.edit")
    assert json.loads(ev.before) == {"name": "Amina", "address": ""}
    assert json.loads(ev.after) == {"name": "Amina Otieno", "address": "Kisumu"}


def test_edit_with_bad_input_keeps_the_old_values(make: Factory) -> None:
    cid = make.client(name="Amina", client_code="C1")
    refused(clients.edit_client, cid, clients.ClientInput("C1", "", email="bad"))
    assert Client.get_by_id(cid).name == "Amina"


def test_suggested_client_code(make: Factory) -> None:
    assert clients.suggest_client_code() == "C00001"
    make.client(client_code="C00041")
    make.client(client_code="C00007")
    assert clients.suggest_client_code() == "C00042"


# --- subscriptions ---------------------------------------------------------------------------


def test_subscription_keeps_package_as_sold(make: Factory, clock: Clock) -> None:
    pkg = make.package("Home 10M", "1500", 30)
    sid = make.subscription(make.client(), pkg, date(2026, 1, 1))
    catalog.edit_package(pkg, catalog.PackageInput("Home 10 Mbps", "2000", 30))
    sub = Subscription.get_by_id(sid)
    assert (sub.package_name, sub.price_minor, sub.ends_on) == ("Home 10M", 150000, date(2026, 1, 31))


def test_overlapping_subscription_refused(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package()
    make.subscription(cid, pkg, date(2026, 1, 1))
    errors = refused(subs.create_subscription, cid, pkg, date(2026, 1, 20))
    assert "overlaps" in errors["start"] and "31\u00a0Jan\u00a02026" in errors["start"]  # a date never wraps


def test_renewal_starts_on_old_end_date(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package()
    sid = make.subscription(cid, pkg, date(2026, 1, 1))
    assert subs.renewal_start(cid) == date(2026, 1, 31)
    new = subs.renew_subscription(sid, payment=subs.PaymentInput("1500", "Mobile money", "QK7H2"))
    assert (new.starts_on, new.ends_on) == (date(2026, 1, 31), date(2026, 3, 2))
    assert new.payments.count() == 1


def test_inactive_package_cannot_be_sold(make: Factory, clock: Clock) -> None:
    pkg = make.package(active=False)
    errors = refused(subs.create_subscription, make.client(), pkg, date(2026, 1, 1))
    assert "no longer sold" in errors["package"]


def test_bad_payment_with_subscription_creates_neither(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package()
    for amount, fragment in (("-100", "negative"), ("ten", "not an amount")):
        errors = refused(subs.create_subscription, cid, pkg, date(2026, 1, 1), payment=subs.PaymentInput(amount))
        assert fragment in errors["amount"]


def test_cancel_inside_active_period(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package()
    sid = make.subscription(cid, pkg, date(2026, 1, 1), auto_renew=True)
    subs.cancel_subscription(sid, "Moving away")
    detail = queries.client_detail(cid, clock.today)
    assert detail.subscriptions[0].status(clock.today, 7) is SubscriptionStatus.CANCELLED
    assert detail.current() is None
    assert not detail.subscriptions[0].auto_renew
    assert "Moving away" in AuditEvent.get(AuditEvent.action == "subscription.cancel").summary
    # The period is free again.
    make.subscription(cid, pkg, date(2026, 1, 15))
    errors = refused(subs.cancel_subscription, sid)
    assert "already cancelled" in errors["__all__"]


def test_cancel_expired_refused(make: Factory, clock: Clock) -> None:
    sid = make.subscription(make.client(), make.package(), date(2025, 11, 1))
    assert "already ended" in refused(subs.cancel_subscription, sid)["__all__"]


def test_payments_add_up_in_amount_and_revenue(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package(price="1500")
    sid = make.subscription(cid, pkg, date(2026, 1, 1), payment=subs.PaymentInput("1000"))
    subs.record_payment(sid, subs.PaymentInput("500.50", "Bank transfer", "TRX-1"))
    detail = queries.client_detail(cid, clock.today)
    # 0.50 beyond the price is kept as the client's credit, not left on the subscription.
    assert detail.subscriptions[0].paid_minor == 150000
    assert detail.credit_minor == 50 and detail.balance_minor == -50
    assert detail.stats.total_revenue_minor == 150050
    assert detail.stats.total_subscriptions == 1
    assert detail.stats.active_since == date(2026, 1, 1)
    for bad in ("-5", "abc", "0"):
        refused(subs.record_payment, sid, subs.PaymentInput(bad))


def test_package_with_zero_validity_refused(db: object) -> None:
    errors = refused(catalog.create_package, catalog.PackageInput("Broken", "10", 0))
    assert "at least 1 day" in errors["validity_days"]


def test_package_negative_price_refused(db: object) -> None:
    assert "negative" in refused(catalog.create_package, catalog.PackageInput("X", "-1", 30))["price"]


# --- auto-renew ------------------------------------------------------------------------------


def test_auto_renew_twice_creates_nothing_twice(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package(price="1500")
    make.subscription(cid, pkg, date(2025, 12, 1), auto_renew=True)  # ends 31 Dec
    catalog.edit_package(pkg, catalog.PackageInput("Home 10M", "1800", 30))  # current price applies
    created = subs.run_auto_renew(date(2026, 1, 15))
    assert [(s.starts_on, s.ends_on, s.price_minor) for s in created] == [
        (date(2025, 12, 31), date(2026, 1, 30), 180000)
    ]
    assert subs.run_auto_renew(date(2026, 1, 15)) == []
    assert Subscription.select().count() == 2
    assert created[0].payments.count() == 0  # unpaid until a payment is recorded


def test_auto_renew_catches_up_after_weeks_off(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package()
    make.subscription(cid, pkg, date(2025, 11, 1), auto_renew=True)  # ends 1 Dec
    created = subs.run_auto_renew(date(2026, 1, 15))
    assert [s.starts_on for s in created] == [date(2025, 12, 1), date(2025, 12, 31)]
    assert subs.run_auto_renew(date(2026, 1, 15)) == []


def test_auto_renew_ignores_cancelled_and_manual(make: Factory, clock: Clock) -> None:
    pkg = make.package()
    a, b = make.client(), make.client()
    sa = make.subscription(a, pkg, date(2026, 1, 1), auto_renew=True)
    subs.cancel_subscription(sa)
    make.subscription(b, pkg, date(2025, 12, 1), auto_renew=False)
    assert subs.run_auto_renew(date(2026, 3, 1)) == []


def test_auto_renew_that_cannot_go_on_is_turned_off_once_with_its_reason(make: Factory, clock: Clock) -> None:
    pkg, old_pkg = make.package(), make.package("Legacy 2M")
    sold, retired, renews = make.client(), make.client(), make.client()
    by_hand = make.subscription(sold, pkg, date(2025, 12, 1), auto_renew=True)  # ends 31 Dec
    make.subscription(sold, pkg, date(2025, 12, 31))  # the next period, sold at the counter
    gone = make.subscription(retired, old_pkg, date(2025, 12, 1), auto_renew=True)
    Package.update(active=False).where(Package.id == old_pkg).execute()
    make.subscription(renews, pkg, date(2025, 12, 1), auto_renew=True)

    created = subs.run_auto_renew(date(2026, 1, 15))
    assert [s.client_id for s in created] == [renews]
    assert not Subscription.get_by_id(by_hand).auto_renew and not Subscription.get_by_id(gone).auto_renew
    stops = {e.entity_id: e.summary for e in AuditEvent.select().where(AuditEvent.summary.contains("stopped"))}
    assert "already sold by hand" in stops[by_hand] and "31 Dec 2025" in stops[by_hand]
    assert "“Legacy 2M” is no longer sold" in stops[gone]
    assert all(AuditEvent.get(AuditEvent.entity_id == sid, AuditEvent.summary.contains("stopped")).client_id == cid
               for sid, cid in ((by_hand, sold), (gone, retired)))
    assert subs.run_auto_renew(date(2026, 1, 15)) == []
    assert {s.client_id for s in subs.run_auto_renew(date(2026, 3, 1))} == {renews}  # weeks later
    assert AuditEvent.select().where(AuditEvent.summary.contains("stopped")).count() == 2  # each stopped once


# --- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "fragment"),
    [(date(2026, 1, 1), "is active"), (date(2025, 12, 20), "is expiring"), (date(2026, 2, 1), "is scheduled")],
)
def test_delete_refused_with_reason(make: Factory, clock: Clock, start: date, fragment: str) -> None:
    cid, pkg = make.client(), make.package("Home 10M")
    sid = make.subscription(cid, pkg, start)
    before = counts()
    with pytest.raises(clients.DeleteRefused) as e:
        clients.delete_client(cid)
    assert counts() == before
    assert e.value.subscription_id == sid
    msg = e.value.errors["__all__"]
    assert msg.startswith("Unable to delete client") and fragment in msg and "“Home 10M”" in msg


def test_delete_after_cancel_and_undo(make: Factory, clock: Clock) -> None:
    cid = make.client(client_code="C00001", pppoe_username="amina", server_id=make.server())
    sid = make.subscription(cid, make.package(), date(2026, 1, 1), payment=subs.PaymentInput("1500"))
    subs.cancel_subscription(sid)
    clients.delete_client(cid)
    assert [r.id for r in queries.client_rows(clock.today, 7)] == []
    clients.undo_delete_client(cid)
    rows = queries.client_rows(clock.today, 7)
    assert [r.client_code for r in rows] == ["C00001"]
    assert queries.client_detail(cid, clock.today).stats.total_revenue_minor == 150000
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.client_id == cid).order_by(AuditEvent.id)]
    assert actions[-2:] == ["client.delete", "client.restore"]


def test_deleted_clients_code_can_be_reused_but_then_undo_refuses(make: Factory, clock: Clock) -> None:
    cid = make.client(client_code="C00001")
    clients.delete_client(cid)
    make.client(client_code="C00001", name="Newcomer")
    errors = refused(clients.undo_delete_client, cid)
    assert "has since been given" in errors["client_code"]


# --- list query --------------------------------------------------------------------------------


def test_list_rows_show_the_right_subscription(make: Factory, clock: Clock) -> None:
    pkg = make.package("Home 10M")
    ids = {k: make.client(name=k) for k in ("active", "expiring", "expired", "scheduled", "none", "cancelled")}
    make.subscription(ids["active"], pkg, date(2026, 1, 1))
    make.subscription(ids["expiring"], pkg, date(2025, 12, 20))
    make.subscription(ids["expired"], pkg, date(2025, 11, 1))
    make.subscription(ids["scheduled"], pkg, date(2026, 2, 1))
    subs.cancel_subscription(make.subscription(ids["cancelled"], pkg, date(2026, 1, 1)))
    rows = {r.name: r for r in queries.client_rows(clock.today, 7)}
    assert {k: rows[k].status for k in ids} == {
        "active": "Active", "expiring": "Expiring", "expired": "Expired", "scheduled": "Scheduled",
        "none": "No subscription", "cancelled": "No subscription",
    }
    assert rows["active"].ends_on == date(2026, 1, 31)
    assert (rows["expired"].package_name, rows["expired"].starts_on, rows["expired"].ends_on) == (
        "Home 10M", date(2025, 11, 1), date(2025, 12, 1))
    assert rows["scheduled"].starts_on == date(2026, 2, 1)
    back = make.client(name="coming back")  # ended, and the next one already sold
    make.subscription(back, make.package("Biz 20M"), date(2025, 11, 1))
    make.subscription(back, pkg, date(2026, 2, 10))
    row = queries.client_rows(clock.today, 7, client_ids=[back])[0]
    assert (row.status, row.package_name, row.starts_on) == ("Scheduled", "Home 10M", date(2026, 2, 10))
    only = queries.client_rows(clock.today, 7, client_ids=[ids["expired"]])
    assert [r.status for r in only] == ["Expired"]


# --- servers -----------------------------------------------------------------------------------


def test_server_validation(db: object) -> None:
    bad = catalog.ServerInput("", "not a host!", port=0, timeout_s=0, encoding="latin9")
    errors = refused(catalog.create_server, bad)
    assert set(errors) == {"name", "host", "port", "timeout_s", "encoding"}


def test_delete_server_refused_while_clients_assigned(make: Factory) -> None:
    r = make.server("North")
    make.client(pppoe_username="a", server_id=r)
    assert "still has 1 client" in refused(catalog.delete_server, r)["__all__"]


def test_client_balance_is_due_on_live_subscriptions_minus_paid(db: object, clock: Clock, make: Factory) -> None:
    from ispclient.store import balances

    pkg = make.package(price="1500")
    owes, paid_up, cancelled, none = (make.client(f"Client {i}") for i in range(4))
    subs.create_subscription(owes, pkg, clock.today, payment=subs.PaymentInput("500"))
    subs.create_subscription(paid_up, pkg, clock.today, payment=subs.PaymentInput("1500"))
    gone = subs.create_subscription(cancelled, pkg, clock.today)
    subs.cancel_subscription(gone.id, "moved")
    assert balances.balances([owes, paid_up, cancelled, none]) == {owes: 100000, paid_up: 0, cancelled: 0, none: 0}
