"""The day's figures (the Today page) and the owner's reports — SQL aggregates, no Qt.

Every figure is one GROUP BY (or a few), the same SQL on SQLite and PostgreSQL:

* Money follows the ledger (``domain/ledger.py``) and the till (``domain/shifts.py``): a payment
  is money in, a refund money out, a voided entry counts for nothing (its amount is shown apart),
  a transfer to or from credit moves no money and is left out. Revenue = payments − refunds.
* Days and months are the ISP's, in the time zone of the settings: their bounds are worked out
  in Python (``shifts.day_bounds``, daylight saving included) as naive UTC, how ``paid_at`` is
  stored, and the rows are put in their day or month by a join on a small table of bounds (so a
  payment at 00:30 local, 21:30 UTC the evening before, counts on the local day).
* An entry is counted on the day it was taken; voiding it later takes it out of that day.

Who may read what: the Today page is for anyone signed in (the front desk starts the day on it),
but its takings are shown only to those who may read the reports (:data:`Permission.REPORTS`:
the owner and managers); the reports need that permission.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ispclient.domain import dates, permissions
from ispclient.domain import shifts as till
from ispclient.domain.permissions import Permission
from ispclient.store import access, settings
from ispclient.store.db import db, is_sqlite
from ispclient.store.shifts import day_bounds

WIN_BACK_DAYS = 30  # expired this recently, not renewed: worth a call
CHURN_DAYS = 30  # not renewed within this many days of the end date: churned
NO_PACKAGE = "(on credit, no package)"
NO_ROUTER = "(no router)"
NO_STAFF = "(the system)"
AUTO_RENEW_ACTION = "subscription.auto_renew"


# -- read models ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MethodTakings:
    method: str
    payments_minor: int = 0
    payment_count: int = 0
    refunds_minor: int = 0  # a positive amount
    refund_count: int = 0
    voided_minor: int = 0  # voided entries' amounts (positive); counted nowhere else
    voided_count: int = 0

    @property
    def net_minor(self) -> int:
        return self.payments_minor - self.refunds_minor


@dataclass(frozen=True)
class StaffTakings:
    name: str
    net_minor: int
    count: int


@dataclass(frozen=True)
class RouterFigures:
    """A router as the database sees it; up/down and who is online come from the status checks."""

    server_id: int
    name: str
    clients: int
    pending_changes: int  # waiting to be sent (failed ones included)
    failed_changes: int
    last_error: str = ""


@dataclass(frozen=True)
class ProvisioningFailure:
    router: str
    username: str
    reason: str
    error: str
    attempts: int


@dataclass(frozen=True)
class TodayFigures:
    day: date
    currency: str
    expiring_days: int
    expiring: int  # the list's "Expiring" clients
    expired_recently: int  # ended within WIN_BACK_DAYS, nothing after it: the win-back calls
    owing: int  # the list's "Owes money" clients
    owed_minor: int
    takings: tuple[MethodTakings, ...] | None  # None: the signed-in role may not see revenue
    takings_by_staff: tuple[StaffTakings, ...] | None
    routers: tuple[RouterFigures, ...]
    auto_renewed: int  # since midnight
    failures: tuple[ProvisioningFailure, ...]  # router changes the routers refused (latest first)
    failed_changes: int

    @property
    def taken_minor(self) -> int:
        return sum(m.net_minor for m in self.takings or ())

    @property
    def pending_changes(self) -> int:
        return sum(r.pending_changes for r in self.routers)


class ReportKind(enum.Enum):
    """Each value is the report's title."""

    REVENUE_BY_DAY = "Revenue per day"
    REVENUE_BY_MONTH = "Revenue per month"
    REVENUE_BY_PACKAGE = "Revenue by package"
    REVENUE_BY_METHOD = "Revenue by payment method"
    REVENUE_BY_ROUTER = "Revenue by router"
    REVENUE_BY_STAFF = "Revenue by staff member"
    ACTIVE_SUBSCRIBERS = "Active subscribers"
    NEW_AND_CHURN = "New clients and churn"
    SUBSCRIPTIONS = "Subscriptions sold, renewed, cancelled"
    DEBTORS = "Debtors"


class ChartKind(enum.StrEnum):
    BARS = "bars"
    LINE = "line"
    PIE = "pie"


@dataclass(frozen=True)
class Report:
    """A report as rows of plain values: the window shows, charts, prints and exports it."""

    kind: ReportKind
    first: date
    last: date  # included
    currency: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    money_columns: frozenset[int] = frozenset()  # minor units in these
    chart: ChartKind | None = None  # of the first column (labels) against the value column
    chart_column: int = 1
    note: str = ""  # how the figures are counted, printed under the table
    totals: tuple[Any, ...] | None = None

    @property
    def title(self) -> str:
        return self.kind.value

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]


# -- helpers ---------------------------------------------------------------------------------------

def _stamp(moment: datetime) -> object:
    """A bound as the database compares it: SQLite keeps timestamps as ISO text."""
    return moment.isoformat(" ") if is_sqlite() else moment


def _day(d: date) -> object:
    return d.isoformat() if is_sqlite() else d


def _as_date(value: object) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def months(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    out, m = [], _month_start(first)
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


def _bounds(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    return day_bounds(first, tz)[0], day_bounds(last, tz)[1]


def _buckets_sql(buckets: Sequence[tuple[object, ...]]) -> tuple[str, list[object]]:
    """``WITH b(k, lo, hi) AS (VALUES ...)`` for these rows (k an int, then the bounds)."""
    p = db.obj.param
    width = len(buckets[0])
    values = ", ".join("(" + ", ".join([p] * width) + ")" for _ in buckets)
    names = ("k", "lo", "hi")[:width]
    if not is_sqlite():  # PostgreSQL types a VALUES list by its first row: say the first column's
        values = values.replace(f"({p}", f"({p}::int", 1)
    return f"WITH b({', '.join(names)}) AS (VALUES {values}) ", [v for row in buckets for v in row]


def _period_buckets(first: date, last: date, by_month: bool, tz: str) -> list[tuple[date, datetime, datetime]]:
    if by_month:
        return [(m, day_bounds(max(m, first), tz)[0], day_bounds(min(_next_month(m) - timedelta(days=1), last), tz)[1])
                for m in months(first, last)]
    out, d = [], first
    while d <= last:
        lo, hi = day_bounds(d, tz)
        out.append((d, lo, hi))
        d += timedelta(days=1)
    return out


def _revenue_sql() -> str:
    """Payments, refunds (as positive) and their counts of the entries matched (not voided)."""
    return ("SUM(CASE WHEN y.kind = 'payment' THEN y.amount_minor ELSE 0 END), "
            "SUM(CASE WHEN y.kind = 'payment' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN y.kind = 'refund' THEN -y.amount_minor ELSE 0 END), "
            "SUM(CASE WHEN y.kind = 'refund' THEN 1 ELSE 0 END) ")


_MONEY_KINDS = "y.kind IN ('payment', 'refund')"


def _indexed(index: str) -> str:
    """SQLite's planner prefers the plain deleted_at index to these partial ones (50 ms against
    2 ms at 100,000 clients): name the index there; PostgreSQL picks it by itself."""
    return f"INDEXED BY {index}" if is_sqlite() else ""


def _may_see_revenue() -> bool:
    actor = access.current()
    return actor is not None and permissions.refusal(actor, Permission.REPORTS) is None


# -- the Today page --------------------------------------------------------------------------------

# Subscriptions ending in a window (not cancelled), each the latest-ending of its client's already
# started ones: the list's "Expiring" (a renewal may be waiting after it) — the few thousand that
# end near today, found by the subscription_ends index, not every client's latest one.
_ENDING_SQL = """
SELECT COUNT(DISTINCT s.client_id) FROM subscription s JOIN client c ON c.id = s.client_id
WHERE s.cancelled_at IS NULL AND s.ends_on > {p} AND s.ends_on <= {p} AND s.starts_on <= {p} AND c.deleted_at IS NULL
AND NOT EXISTS (SELECT 1 FROM subscription n WHERE n.client_id = s.client_id AND n.cancelled_at IS NULL
                AND n.ends_on > s.ends_on {started})
"""


def _client_counts(today: date, expiring_days: int) -> tuple[int, int, int, int]:
    """(expiring, expired recently, owing, owed) — the list's own definitions: a client is
    described by their latest-ending subscription already started (not cancelled); an ended one
    counts as expired only when nothing is scheduled after it (any later-ending subscription,
    started or not, rules the client out)."""
    p = db.obj.param
    t = _day(today)
    expiring = db.execute_sql(_ENDING_SQL.format(p=p, started=f"AND n.starts_on <= {p}"),
                              [t, _day(today + timedelta(days=expiring_days)), t, t]).fetchone()[0]
    expired = db.execute_sql(_ENDING_SQL.format(p=p, started=""),
                             [_day(today - timedelta(days=WIN_BACK_DAYS + 1)), t, t]).fetchone()[0]
    owing, owed = db.execute_sql(f"SELECT COUNT(*), SUM(balance_minor) FROM client {_indexed('client_owing')} "
                                 "WHERE deleted_at IS NULL AND balance_minor > 0").fetchone()
    return int(expiring or 0), int(expired or 0), int(owing or 0), int(owed or 0)


def takings(lo: datetime, hi: datetime) -> tuple[tuple[MethodTakings, ...], tuple[StaffTakings, ...]]:
    """Money taken between the two moments, per method (as the cash-up adds it) and per staff
    member (net)."""
    p = db.obj.param
    # Apart, so each half is read by its own (partial) index on paid_at.
    rows = [row for voided in (False, True) for row in db.execute_sql(
        f"SELECT y.method, y.kind, {int(voided)}, y.taken_by, COUNT(*), SUM(y.amount_minor) FROM payment y "
        f"WHERE y.voided_at IS {'NOT ' if voided else ''}NULL AND y.paid_at >= {p} AND y.paid_at < {p} "
        f"AND {_MONEY_KINDS} GROUP BY y.method, y.kind, y.taken_by", [_stamp(lo), _stamp(hi)]).fetchall()]
    per_method: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    per_staff: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for method, kind, voided, taken_by, n, total in rows:
        key = till.CASH if till.is_cash(method) else method.strip()
        m, n, total = per_method[key], int(n), int(total)
        if voided:
            m[4] += abs(total)
            m[5] += n
            continue
        if kind == till.PAYMENT:
            m[0] += total
            m[1] += n
        else:
            m[2] += -total
            m[3] += n
        s = per_staff[taken_by or NO_STAFF]
        s[0] += total
        s[1] += n
    known = settings.PAYMENT_METHODS
    order = sorted(per_method, key=lambda k: (0 if till.is_cash(k) else 1,
                                              known.index(k) if k in known else len(known), k))
    methods = tuple(MethodTakings(k, *per_method[k]) for k in order)
    people = tuple(sorted((StaffTakings(k, v[0], v[1]) for k, v in per_staff.items()),
                          key=lambda s: (-s.net_minor, s.name)))
    return methods, people


def _routers() -> tuple[RouterFigures, ...]:
    clients = dict(db.execute_sql(f"SELECT server_id, COUNT(*) FROM client {_indexed('client_live_server')} "
                                  "WHERE deleted_at IS NULL AND server_id IS NOT NULL GROUP BY server_id").fetchall())
    waiting: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for sid, status, n in db.execute_sql("SELECT server_id, status, COUNT(*) FROM router_change "
                                         "WHERE status IN ('pending', 'failed') GROUP BY server_id, status"):
        waiting[sid][0] += int(n)
        if status == "failed":
            waiting[sid][1] += int(n)
    errors = dict(db.execute_sql(
        "SELECT r.server_id, r.last_error FROM router_change r WHERE r.status = 'failed' AND r.id = "
        "(SELECT MAX(f.id) FROM router_change f WHERE f.server_id = r.server_id AND f.status = 'failed')").fetchall())
    return tuple(RouterFigures(int(sid), name, int(clients.get(sid, 0)), waiting[sid][0], waiting[sid][1],
                               errors.get(sid) or "")
                 for sid, name in db.execute_sql("SELECT id, name FROM server ORDER BY name, id"))


def _failures(limit: int) -> tuple[int, tuple[ProvisioningFailure, ...]]:
    count = int(db.execute_sql("SELECT COUNT(*) FROM router_change WHERE status = 'failed'").fetchone()[0])
    rows = db.execute_sql(
        "SELECT v.name, r.username, r.reason, r.last_error, r.attempts FROM router_change r "
        f"JOIN server v ON v.id = r.server_id WHERE r.status = 'failed' ORDER BY r.id DESC LIMIT {int(limit)}")
    return count, tuple(ProvisioningFailure(*row) for row in rows)


@access.signed_in
def today_figures(today: date | None = None) -> TodayFigures:
    """Everything the Today page shows, read in one go (a handful of aggregate statements)."""
    s = settings.load()
    today = today or settings.today()
    expiring, expired, owing, owed = _client_counts(today, s.expiring_days)
    lo, hi = day_bounds(today, s.timezone)
    methods: tuple[MethodTakings, ...] | None = None
    people: tuple[StaffTakings, ...] | None = None
    if _may_see_revenue():
        methods, people = takings(lo, hi)
    auto = int(db.execute_sql(f"SELECT COUNT(*) FROM audit_event WHERE action = {db.obj.param} "
                              f"AND at >= {db.obj.param}", [AUTO_RENEW_ACTION, _stamp(lo)]).fetchone()[0])
    failed, failures = _failures(5)
    return TodayFigures(today, s.currency, s.expiring_days, expiring, expired, owing, owed, methods, people,
                        _routers(), auto, failures, failed)


@dataclass(frozen=True)
class AutoRenewal:
    """A subscription auto-renew made (the Today page's tile, opened): who to ask for the money."""

    client_id: int
    client_code: str
    client_name: str
    phone: str
    package: str
    starts_on: date
    ends_on: date
    price_minor: int
    balance_minor: int  # the client's balance now (what they owe, all told)


@dataclass(frozen=True)
class AutoRenewals:
    day: date
    currency: str
    renewals: tuple[AutoRenewal, ...]  # the latest first


def auto_renewals(today: date | None = None) -> AutoRenewals:
    """The renewals auto-renew made since the business's midnight (those the Today page counts),
    the latest first; a client deleted since is left out."""
    s = settings.load()
    today = today or settings.today()
    lo, _ = day_bounds(today, s.timezone)
    p = db.obj.param
    rows = db.execute_sql(
        "SELECT c.id, c.client_code, c.name, c.phone, s.package_name, s.starts_on, s.ends_on, s.price_minor, "
        "c.balance_minor FROM audit_event e JOIN subscription s ON s.id = e.entity_id "
        f"JOIN client c ON c.id = s.client_id WHERE e.action = {p} AND e.entity = 'subscription' AND e.at >= {p} "
        "AND c.deleted_at IS NULL ORDER BY e.at DESC, e.id DESC", [AUTO_RENEW_ACTION, _stamp(lo)]).fetchall()
    return AutoRenewals(today, s.currency, tuple(
        AutoRenewal(int(cid), code or "", name or "", phone or "", package or "", _as_date(start), _as_date(end),
                    int(price or 0), int(balance or 0))
        for cid, code, name, phone, package, start, end, price, balance in rows))


# -- the reports -----------------------------------------------------------------------------------

_MONEY_HEAD = ("Payments", "Count", "Refunds", "Refund count", "Revenue")
_MONEY_NOTE = ("Revenue = payments − refunds, by the day each was taken (the ISP's time zone); voided entries "
               "and moves to or from credit count for nothing.")


def _money_row(label: Any, payments: Any, n: Any, refunds: Any, m: Any) -> tuple[Any, ...]:
    pay, ref = int(payments or 0), int(refunds or 0)
    return (label, pay, int(n or 0), ref, int(m or 0), pay - ref)


def _money_totals(rows: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    return ("Total", *(sum(r[i] for r in rows) for i in range(1, 6)))


def _revenue_over_time(first: date, last: date, by_month: bool, tz: str) -> list[tuple[Any, ...]]:
    buckets = _period_buckets(first, last, by_month, tz)
    with_sql, params = _buckets_sql([(i, _stamp(lo), _stamp(hi)) for i, (_, lo, hi) in enumerate(buckets)])
    found = {int(k): rest for k, *rest in db.execute_sql(
        with_sql + f"SELECT b.k, {_revenue_sql()} FROM b JOIN payment y ON y.paid_at >= b.lo AND y.paid_at < b.hi "
        f"WHERE y.voided_at IS NULL AND {_MONEY_KINDS} GROUP BY b.k", params)}
    return [_money_row(d.strftime("%Y-%m") if by_month else d, *found.get(i, (0, 0, 0, 0)))
            for i, (d, _, _) in enumerate(buckets)]


_GROUPS = {
    ReportKind.REVENUE_BY_PACKAGE: ("Package", "s.package_name", "LEFT JOIN subscription s ON s.id = y.subscription_id",
                                    NO_PACKAGE),
    ReportKind.REVENUE_BY_METHOD: ("Payment method", "y.method", "", ""),
    ReportKind.REVENUE_BY_ROUTER: ("Router", "v.name", "JOIN client c ON c.id = y.client_id "
                                                       "LEFT JOIN server v ON v.id = c.server_id", NO_ROUTER),
    ReportKind.REVENUE_BY_STAFF: ("Staff member", "y.taken_by", "", NO_STAFF),
}


def _revenue_grouped(kind: ReportKind, first: date, last: date, tz: str) -> tuple[str, list[tuple[Any, ...]]]:
    head, key, join, empty = _GROUPS[kind]
    lo, hi = _bounds(first, last, tz)
    p = db.obj.param
    merged: dict[str, list[int]] = defaultdict(lambda: [0] * 4)
    for label, *money in db.execute_sql(
            f"SELECT {key}, {_revenue_sql()} FROM payment y {join} WHERE y.paid_at >= {p} AND y.paid_at < {p} "
            f"AND y.voided_at IS NULL AND {_MONEY_KINDS} GROUP BY {key}", [_stamp(lo), _stamp(hi)]):
        name = (label or "").strip() or empty
        if kind is ReportKind.REVENUE_BY_METHOD and till.is_cash(name):
            name = till.CASH
        for i, v in enumerate(money):
            merged[name][i] += int(v or 0)
    rows = [_money_row(name, *v) for name, v in merged.items()]
    rows.sort(key=lambda r: (-r[5], r[0]))
    return head, rows


def _active_subscribers(first: date, last: date, tz: str) -> list[tuple[Any, ...]]:
    """Clients with a subscription covering the last day of each month (today for this month)."""
    points = [(m, min(_next_month(m) - timedelta(days=1), last)) for m in months(first, last)]
    with_sql, params = _buckets_sql([(i, _day(d), _stamp(day_bounds(d, tz)[1])) for i, (_, d) in enumerate(points)])
    found = dict(db.execute_sql(
        with_sql + "SELECT b.k, COUNT(DISTINCT s.client_id) FROM b JOIN subscription s ON s.starts_on <= b.lo "
        "AND s.ends_on > b.lo AND (s.cancelled_at IS NULL OR s.cancelled_at >= b.hi) GROUP BY b.k", params).fetchall())
    return [(m.strftime("%Y-%m"), d, int(found.get(i, 0))) for i, (m, d) in enumerate(points)]


def _plus_days(column: str, days: int) -> str:
    return f"date({column}, '+{int(days)} days')" if is_sqlite() else f"({column} + {int(days)})"


def _new_and_churn(first: date, last: date, tz: str, today: date, churn_days: int) -> list[tuple[Any, ...]]:
    """New clients per month (added then), and churned ones: a subscription (not cancelled) ended
    that month and nothing of theirs followed within ``churn_days`` — counted once that many
    days have passed (until then: "not yet known")."""
    ms = months(first, last)
    new_b = [(i, _stamp(day_bounds(max(m, first), tz)[0]),
              _stamp(day_bounds(min(_next_month(m) - timedelta(days=1), last), tz)[1])) for i, m in enumerate(ms)]
    with_sql, params = _buckets_sql(new_b)
    new = dict(db.execute_sql(with_sql + "SELECT b.k, COUNT(*) FROM b JOIN client c ON c.created_at >= b.lo "
                                         "AND c.created_at < b.hi GROUP BY b.k", params).fetchall())
    end_b = [(i, _day(max(m, first)), _day(min(_next_month(m) - timedelta(days=1), last))) for i, m in enumerate(ms)]
    with_sql, params = _buckets_sql(end_b)
    p = db.obj.param
    ended: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for k, known, n in db.execute_sql(
            with_sql + f"SELECT b.k, CASE WHEN {_plus_days('s.ends_on', churn_days)} <= {p} THEN 1 ELSE 0 END, "
            "COUNT(DISTINCT s.client_id) FROM b JOIN subscription s ON s.ends_on >= b.lo AND s.ends_on <= b.hi "
            "WHERE s.cancelled_at IS NULL AND NOT EXISTS (SELECT 1 FROM subscription n WHERE n.client_id = s.client_id "
            f"AND n.id <> s.id AND n.cancelled_at IS NULL AND n.ends_on > s.ends_on "
            f"AND n.starts_on <= {_plus_days('s.ends_on', churn_days)}) "
            f"GROUP BY b.k, CASE WHEN {_plus_days('s.ends_on', churn_days)} <= {p} THEN 1 ELSE 0 END",
            [*params, _day(today), _day(today)]):
        ended[int(k)][0 if known else 1] += int(n)
    return [(m.strftime("%Y-%m"), int(new.get(i, 0)), ended[i][0], ended[i][1]) for i, m in enumerate(ms)]


def _subscriptions(first: date, last: date, tz: str) -> list[tuple[Any, ...]]:
    """Per month: first subscriptions sold, renewals by hand (the client had one before), renewals
    made by auto-renew, and cancellations."""
    ms = months(first, last)
    with_sql, params = _buckets_sql([(i, _stamp(day_bounds(max(m, first), tz)[0]),
                                      _stamp(day_bounds(min(_next_month(m) - timedelta(days=1), last), tz)[1]))
                                     for i, m in enumerate(ms)])
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * 4)
    for k, what, n in db.execute_sql(
            with_sql + "SELECT b.k, e.what, COUNT(*) FROM b JOIN ("
            "SELECT s.created_at AS at, CASE WHEN s.renewed_from_id IS NOT NULL THEN 2 "
            "WHEN EXISTS (SELECT 1 FROM subscription o WHERE o.client_id = s.client_id AND o.id < s.id) THEN 1 "
            "ELSE 0 END AS what FROM subscription s "
            "UNION ALL SELECT s.cancelled_at, 3 FROM subscription s WHERE s.cancelled_at IS NOT NULL"
            ") e ON e.at >= b.lo AND e.at < b.hi GROUP BY b.k, e.what", params):
        counts[int(k)][int(what)] += int(n)
    return [(m.strftime("%Y-%m"), *counts[i]) for i, m in enumerate(ms)]


def _debtors(today: date) -> list[tuple[Any, ...]]:
    """Who owes what, oldest debt first: since the start of their oldest subscription (not
    cancelled) not paid in full; a client owing with none such (a refund beyond their credit)
    counts from the day they were added."""
    rows = db.execute_sql(
        "SELECT c.client_code, c.name, c.phone, c.balance_minor, (SELECT MIN(s.starts_on) FROM subscription s "
        "WHERE s.client_id = c.id AND s.cancelled_at IS NULL AND s.price_minor > (SELECT COALESCE(SUM("
        "p.amount_minor - p.credit_minor), 0) FROM payment p WHERE p.subscription_id = s.id AND p.voided_at IS NULL)), "
        "c.created_at FROM client c WHERE c.deleted_at IS NULL AND c.balance_minor > 0").fetchall()
    out = []
    for code, name, phone, owed, since, created in rows:
        day = _as_date(since) if since is not None else _as_date(created)
        out.append((code, name, phone, int(owed), day, max(0, (today - day).days)))
    out.sort(key=lambda r: (r[4], -r[3], r[1]))
    return out


@access.requires(Permission.REPORTS)
def report(kind: ReportKind, first: date, last: date, *, churn_days: int = CHURN_DAYS,
           today: date | None = None) -> Report:
    """One report over the days ``first`` to ``last`` (both included, the ISP's days)."""
    dates.check_range(first, last)
    s = settings.load()
    tz, cur = s.timezone, s.currency
    today = today or settings.today()
    money = frozenset({1, 3, 5})
    if kind in (ReportKind.REVENUE_BY_DAY, ReportKind.REVENUE_BY_MONTH):
        by_month = kind is ReportKind.REVENUE_BY_MONTH
        rows = _revenue_over_time(first, last, by_month, tz)
        return Report(kind, first, last, cur, ("Month" if by_month else "Day", *_MONEY_HEAD), tuple(rows), money,
                      ChartKind.BARS, 5, _MONEY_NOTE, _money_totals(rows))
    if kind in _GROUPS:
        head, rows = _revenue_grouped(kind, first, last, tz)
        chart = ChartKind.PIE if kind is ReportKind.REVENUE_BY_METHOD else ChartKind.BARS
        return Report(kind, first, last, cur, (head, *_MONEY_HEAD), tuple(rows), money, chart, 5, _MONEY_NOTE,
                      _money_totals(rows))
    if kind is ReportKind.ACTIVE_SUBSCRIBERS:
        rows = _active_subscribers(first, last, tz)
        return Report(kind, first, last, cur, ("Month", "On", "Active subscribers"), tuple(rows), frozenset(),
                      ChartKind.LINE, 2, "Clients with a subscription (not cancelled by then) covering the day shown.")
    if kind is ReportKind.NEW_AND_CHURN:
        rows = _new_and_churn(first, last, tz, today, churn_days)
        return Report(kind, first, last, cur, ("Month", "New clients", "Churned", "Not yet known"), tuple(rows),
                      frozenset(), ChartKind.BARS, 1,
                      f"Churned: a subscription ended that month and the client had nothing after it within "
                      f"{churn_days} days. “Not yet known”: those days have not all passed.",
                      ("Total", *(sum(r[i] for r in rows) for i in range(1, 4))))
    if kind is ReportKind.SUBSCRIPTIONS:
        rows = _subscriptions(first, last, tz)
        return Report(kind, first, last, cur, ("Month", "Sold (first)", "Renewed", "Auto-renewed", "Cancelled"),
                      tuple(rows), frozenset(), ChartKind.BARS, 1,
                      "Sold: a client's first subscription; renewed: any later one sold by hand.",
                      ("Total", *(sum(r[i] for r in rows) for i in range(1, 5))))
    if kind is ReportKind.DEBTORS:
        rows = _debtors(today)
        return Report(kind, first, last, cur, ("Client ID", "Name", "Phone", "Owes", "Owing since", "Days"),
                      tuple(rows), frozenset({3}), None, 3,
                      "Every client who owes money now (the range does not apply), oldest debt first.",
                      ("Total", "", "", sum(r[3] for r in rows), "", ""))
    raise ValueError(f"unknown report {kind!r}")
