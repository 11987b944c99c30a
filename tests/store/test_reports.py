"""The Today page's figures and every report against a hand-computed fixture, on SQLite and
PostgreSQL: voids, refunds, credit, a cancelled subscription, and payments either side of the
ISP's midnight (Africa/Nairobi, UTC+3: 21:00 UTC is midnight there).

The fixture, by hand (amounts in whole currency units; "today" is 2026-01-15):

  client  router  subscription (start → end)         money (UTC time → local day)
  A       Core    Home 1,500  Jan 1 → Jan 31          1,500 Cash  Jan 14 21:30 → Jan 15 (after midnight)
                  renewed by hand: Jan 31 → Mar 2     unpaid
  B       Core    Home 1,500  Dec 20 → Jan 19         1,000 Mobile money Jan 15 20:59 → Jan 15 (23:59)
  C       North   Biz 3,000   Dec 10 → Jan 9          3,000 Cash Dec 10
  D       —       Home 1,500  Nov 1 → Dec 1           unpaid
  E       North   Home 1,500  Jan 10 → Feb 9          3,000 Cash Jan 15 21:00 → Jan 16 (midnight): 1,500 credit
  F       —       Biz 3,000   Jan 15, cancelled        3,000 Bank transfer Jan 15 06:00; cancelled Jan 15 08:00
                                                      (money to credit); 1,000 Cash refunded from credit 07:00
  G       —       Home 1,500  Jan 5 → Feb 4           1,500 Card Jan 15 05:00, voided
  H       Core    Home 1,500  Dec 23 → Jan 22         1,500 Cash Dec 23

  Today's takings: Cash 1,500 in, 1,000 out → 500; Mobile money 1,000; Bank transfer 3,000;
  Card 1,500 voided (nothing). Net 4,500. Balances: A 1,500, B 500, D 1,500, G 1,500 owe (5,000);
  E −1,500, F −2,000. Expiring within 7 days: B (Jan 19), H (Jan 22, the 7th day). Expired in the
  last 30 days, nothing after: C. D ended 45 days ago.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import pytest

from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import SYSTEM, PermissionDenied, Role
from ispclient.store import access, balances, money, reports, settings
from ispclient.store import subscriptions as subs
from ispclient.store.models import Client, Payment, RouterChange, Subscription
from ispclient.store.reports import ReportKind

from .conftest import Clock, Factory

TODAY = date(2026, 1, 15)
U = 100  # minor units per unit


@dataclass
class Shop:
    ids: dict[str, int]


def _at(pay_id: int, when: datetime, by: str) -> None:
    Payment.update(paid_at=when, taken_by=by).where(Payment.id == pay_id).execute()


def _made(client_id: int, when: datetime) -> None:
    Client.update(created_at=when).where(Client.id == client_id).execute()
    Subscription.update(created_at=when).where(Subscription.client == client_id).execute()


def _last_payment(client_id: int) -> int:
    return int(Payment.select().where(Payment.client == client_id).order_by(Payment.id.desc()).first().id)


@pytest.fixture
def shop(make: Factory, clock: Clock) -> Shop:
    """The fixture of the module docstring. Entries are made by the real services; their times
    (the services stamp "now") are then set to the moments the table gives."""
    clock.today = TODAY
    settings.save(replace(settings.load(), timezone="Africa/Nairobi", expiring_days=7))
    core, north = make.server("Core"), make.server("North")
    home, biz = make.package("Home", "1500"), make.package("Biz", "3000")
    ids: dict[str, int] = {}

    def client(name: str, server: int | None) -> int:
        extra = {"server_id": server, "pppoe_username": name.lower()} if server else {}
        ids[name] = make.client(name, **extra)
        return ids[name]

    def paid(name: str, pkg: int, start: date, amount: str | None, method: str = "Cash") -> int:
        payment = subs.PaymentInput(amount, method) if amount else None
        return make.subscription(ids[name], pkg, start, payment=payment)

    a = client("A", core)
    a_sub = paid("A", home, date(2026, 1, 1), "1500")
    _at(_last_payment(a), datetime(2026, 1, 14, 21, 30), "Amina")
    _made(a, datetime(2025, 12, 31, 21, 30))  # Jan 1, 00:30 in Nairobi
    renewal = subs.renew_subscription(a_sub)
    Subscription.update(created_at=datetime(2026, 1, 15, 10, 0)).where(Subscription.id == renewal.id).execute()

    b = client("B", core)
    paid("B", home, date(2025, 12, 20), "1000", "Mobile money")
    _at(_last_payment(b), datetime(2026, 1, 15, 20, 59), "Baraka")
    _made(b, datetime(2025, 12, 20, 9))

    c = client("C", north)
    paid("C", biz, date(2025, 12, 10), "3000")
    _at(_last_payment(c), datetime(2025, 12, 10, 8), "Amina")
    _made(c, datetime(2025, 12, 10, 8))

    d = client("D", None)
    paid("D", home, date(2025, 11, 1), None)
    _made(d, datetime(2025, 11, 1, 9))

    e = client("E", north)
    paid("E", home, date(2026, 1, 10), "3000")
    _at(_last_payment(e), datetime(2026, 1, 15, 21, 0), "Amina")
    _made(e, datetime(2026, 1, 10, 9))

    f = client("F", None)
    f_sub = paid("F", biz, date(2026, 1, 15), "3000", "Bank transfer")
    _at(_last_payment(f), datetime(2026, 1, 15, 6, 0), "Baraka")
    _made(f, datetime(2026, 1, 15, 5))
    subs.cancel_subscription(f_sub, "Moved away", money_to=subs.MONEY_TO_CREDIT)
    Subscription.update(cancelled_at=datetime(2026, 1, 15, 8, 0)).where(Subscription.id == f_sub).execute()
    money.refund(f, money.RefundInput("1000", "Cash"))
    _at(_last_payment(f), datetime(2026, 1, 15, 7, 0), "Baraka")

    g = client("G", None)
    paid("G", home, date(2026, 1, 5), "1500", "Card")
    g_pay = _last_payment(g)
    _at(g_pay, datetime(2026, 1, 15, 5, 0), "Baraka")
    money.void(g_pay, "Card declined")
    _made(g, datetime(2026, 1, 5, 9))

    h = client("H", core)
    paid("H", home, date(2025, 12, 23), "1500")
    _at(_last_payment(h), datetime(2025, 12, 23, 10), "Amina")
    _made(h, datetime(2025, 12, 23, 10))

    assert balances.drift() == []
    return Shop(ids)


def test_today_against_the_hand_computed_figures(shop: Shop) -> None:
    t = reports.today_figures()
    assert t.day == TODAY
    assert (t.expiring, t.expired_recently) == (2, 1)
    assert (t.owing, t.owed_minor) == (4, 5000 * U)
    assert t.takings is not None and t.takings_by_staff is not None
    by = {m.method: m for m in t.takings}
    assert list(by) == ["Cash", "Bank transfer", "Mobile money", "Card"]  # cash first, then the settings' order
    assert (by["Cash"].payments_minor, by["Cash"].payment_count, by["Cash"].refunds_minor,
            by["Cash"].refund_count, by["Cash"].net_minor) == (1500 * U, 1, 1000 * U, 1, 500 * U)
    assert by["Mobile money"].net_minor == 1000 * U and by["Bank transfer"].net_minor == 3000 * U
    assert (by["Card"].net_minor, by["Card"].voided_minor, by["Card"].voided_count) == (0, 1500 * U, 1)
    assert t.taken_minor == 4500 * U
    assert [(s.name, s.net_minor, s.count) for s in t.takings_by_staff] == [
        ("Baraka", 3000 * U, 3), ("Amina", 1500 * U, 1)]  # Baraka: 1,000 + 3,000 − 1,000
    routers = {r.name: r for r in t.routers}
    assert (routers["Core"].clients, routers["North"].clients) == (3, 2)
    assert t.auto_renewed == 0


def test_the_tiles_agree_with_the_client_list(shop: Shop) -> None:
    """The list's "Expiring", "Expired" and "Owes money" are the same clients the tiles count."""
    from ispclient.store import queries

    rows = queries.client_rows(TODAY, 7)
    t = reports.today_figures()
    assert sum(r.status == "Expiring" for r in rows) == t.expiring
    assert sorted(r.name for r in rows if r.balance_minor > 0) == ["A", "B", "D", "G"]
    assert sum(r.balance_minor for r in rows if r.balance_minor > 0) == t.owed_minor
    assert {r.name for r in rows if r.status == "Expired"} == {"C", "D"}  # win-back: C only (D: 45 days)


def test_revenue_per_day_across_midnight(shop: Shop) -> None:
    r = reports.report(ReportKind.REVENUE_BY_DAY, date(2026, 1, 14), date(2026, 1, 16))
    assert [(row[0], row[-1]) for row in r.rows] == [
        (date(2026, 1, 14), 0), (date(2026, 1, 15), 4500 * U), (date(2026, 1, 16), 3000 * U)]
    assert r.rows[1][1:] == (5500 * U, 3, 1000 * U, 1, 4500 * U)
    assert r.totals == ("Total", 8500 * U, 4, 1000 * U, 1, 7500 * U)


def test_revenue_per_month_and_by_method_package_router_staff(shop: Shop) -> None:
    first, last = date(2025, 12, 1), date(2026, 1, 31)
    month = reports.report(ReportKind.REVENUE_BY_MONTH, first, last)
    assert [(row[0], row[-1]) for row in month.rows] == [("2025-12", 4500 * U), ("2026-01", 7500 * U)]

    def net(kind: ReportKind) -> dict[str, int]:
        return {row[0]: row[-1] for row in reports.report(kind, first, last).rows}

    assert net(ReportKind.REVENUE_BY_METHOD) == {"Cash": 8000 * U, "Bank transfer": 3000 * U,
                                                 "Mobile money": 1000 * U}
    assert net(ReportKind.REVENUE_BY_PACKAGE) == {"Home": 7000 * U, "Biz": 6000 * U, reports.NO_PACKAGE: -1000 * U}
    assert net(ReportKind.REVENUE_BY_ROUTER) == {"North": 6000 * U, "Core": 4000 * U, reports.NO_ROUTER: 2000 * U}
    assert net(ReportKind.REVENUE_BY_STAFF) == {"Amina": 9000 * U, "Baraka": 3000 * U}
    cash = next(r for r in reports.report(ReportKind.REVENUE_BY_METHOD, first, last).rows if r[0] == "Cash")
    assert cash == ("Cash", 9000 * U, 4, 1000 * U, 1, 8000 * U)


def test_active_subscribers_new_clients_churn_and_subscriptions(shop: Shop) -> None:
    first, last = date(2025, 12, 1), TODAY
    active = reports.report(ReportKind.ACTIVE_SUBSCRIBERS, first, last)
    # Dec 31: B, C, H. Jan 15: A, B, E, G, H (C ended Jan 9; F cancelled that morning).
    assert active.rows == (("2025-12", date(2025, 12, 31), 3), ("2026-01", TODAY, 5))
    churn = reports.report(ReportKind.NEW_AND_CHURN, first, last)
    # New: Dec C, B, H; Jan A (00:30 on Jan 1 in Nairobi), E, F, G. Churned: D (ended Dec 1,
    # nothing within 30 days). C ended Jan 9: its 30 days have not passed.
    assert churn.rows == (("2025-12", 3, 1, 0), ("2026-01", 4, 0, 1))
    sold = reports.report(ReportKind.SUBSCRIPTIONS, first, last)
    assert sold.rows == (("2025-12", 3, 0, 0, 0), ("2026-01", 4, 1, 0, 1))


def test_debtors_oldest_first(shop: Shop) -> None:
    r = reports.report(ReportKind.DEBTORS, TODAY, TODAY)
    assert [(row[1], row[3], row[4], row[5]) for row in r.rows] == [
        ("D", 1500 * U, date(2025, 11, 1), 75), ("B", 500 * U, date(2025, 12, 20), 26),
        ("G", 1500 * U, date(2026, 1, 5), 10), ("A", 1500 * U, date(2026, 1, 31), 0)]
    assert r.totals is not None and r.totals[3] == 5000 * U


def test_auto_renewals_and_provisioning_failures_show_today(make: Factory, clock: Clock) -> None:
    clock.today = TODAY
    pkg = make.package("Home", "1500")
    cid = make.client("K")
    make.subscription(cid, pkg, date(2025, 12, 1), auto_renew=True)
    assert len(subs.run_auto_renew(TODAY)) >= 1
    server = make.server("Core")
    RouterChange.create(server=server, username="k", status="failed", last_error="no such profile 'gold'",
                        reason="Subscription renewed", attempts=3)
    RouterChange.create(server=server, username="k2", status="pending")
    t = reports.today_figures()
    assert t.auto_renewed == 1
    renewed = reports.auto_renewals()  # what the tile opens: the same renewals, whom to ask for the money
    assert len(renewed.renewals) == t.auto_renewed and renewed.day == TODAY
    r = renewed.renewals[0]
    new = Subscription.select().where(Subscription.client == cid).order_by(Subscription.ends_on.desc()).get()
    assert (r.client_id, r.client_name, r.package, r.starts_on, r.ends_on, r.price_minor) == (
        cid, "K", "Home", new.starts_on, new.ends_on, 1500 * U)
    assert r.starts_on <= TODAY < r.ends_on and r.balance_minor == Client.get_by_id(cid).balance_minor > 0
    assert t.failed_changes == 1 and t.failures[0].error == "no such profile 'gold'"
    core = next(r for r in t.routers if r.name == "Core")
    assert (core.pending_changes, core.failed_changes, core.last_error) == (2, 1, "no such profile 'gold'")


def test_who_sees_revenue(shop: Shop) -> None:
    from ispclient.domain.permissions import Actor

    for role, sees in ((Role.OWNER, True), (Role.MANAGER, True), (Role.CASHIER, False), (Role.VIEWER, False)):
        actor = Actor(None, role.value, role.value, role)
        with access.acting_as(actor):
            # A staff id of None skips the fresh read of the staff row (a pretend member).
            t = reports.today_figures()
            assert (t.takings is not None) is sees
            assert t.owing == 4  # everyone signed in sees the clients' figures
    with access.acting_as(SYSTEM):
        assert reports.today_figures().takings is not None


def test_a_range_backwards_is_refused(shop: Shop) -> None:
    with pytest.raises(ValidationError, match="before its start"):
        reports.report(ReportKind.REVENUE_BY_DAY, TODAY, date(2026, 1, 1))
    with access.acting_as(None), pytest.raises(PermissionDenied):
        access.set_process_default(None)
        try:
            reports.report(ReportKind.REVENUE_BY_DAY, date(2026, 1, 1), TODAY)
        finally:
            access.set_process_default(SYSTEM)


def test_days_follow_daylight_saving(make: Factory, clock: Clock) -> None:
    """Europe/London: GMT until 29 March 2026 01:00 UTC, then BST (UTC+1). 23:30 UTC is the same
    day before the change and 00:30 the next day after it."""
    clock.today = date(2026, 3, 31)
    settings.save(replace(settings.load(), timezone="Europe/London"))
    pkg = make.package("Home", "1500")
    before, after = make.client("Before"), make.client("After")
    make.subscription(before, pkg, date(2026, 3, 1), payment=subs.PaymentInput("100"))
    _at(_last_payment(before), datetime(2026, 3, 27, 23, 30), "Amina")  # 23:30 GMT on the 27th
    make.subscription(after, pkg, date(2026, 3, 1), payment=subs.PaymentInput("200"))
    _at(_last_payment(after), datetime(2026, 3, 29, 23, 30), "Amina")  # 00:30 BST on the 30th
    r = reports.report(ReportKind.REVENUE_BY_DAY, date(2026, 3, 27), date(2026, 3, 30))
    assert [(row[0].day, row[-1]) for row in r.rows] == [(27, 100 * U), (28, 0), (29, 0), (30, 200 * U)]
