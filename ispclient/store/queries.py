"""Read models for the screens: one SQL pass each, shaped as plain frozen records.

The list of 100,000 clients is built from three aggregate queries, not per-client lookups.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import peewee

from ispclient.domain import ledger
from ispclient.domain import subscriptions as rules
from ispclient.domain.clients import QuickStats, delete_blocker, delete_refusal, quick_stats
from ispclient.domain.connection import split_in_stretches
from ispclient.domain.subscriptions import NO_SUBSCRIPTION, Period
from ispclient.store.db import db, is_sqlite
from ispclient.store.models import Client, Package, RouterChange, Server


class ClientRow(NamedTuple):
    """One line of the client list.

    A named tuple rather than a frozen dataclass: as immutable, and built ~4× faster (a frozen
    dataclass sets each field through ``object.__setattr__``: 0.18 s for 100,000 rows).
    """

    id: int
    client_code: str
    name: str
    phone: str
    email: str
    pppoe_username: str
    server_id: int | None
    server_name: str
    package_name: str
    status: str  # a SubscriptionStatus value or NO_SUBSCRIPTION
    starts_on: date | None
    ends_on: date | None
    balance_minor: int = 0  # what the client owes (store/balances.py); negative: paid ahead


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# The subscription that describes each client today (the latest-ending one already started,
# not cancelled) comes from the covering index subscription_describes (schema 4) as one text
# value, "start end package": one string per row instead of three, parsed once per distinct
# value below. Server names are joined in Python (5 routers, not 100,000 copies). The balance
# is store/balances.py's, whatever it is made of.
_ROWS_SQL = """
SELECT c.id, c.client_code, c.name, c.phone, c.email, c.pppoe_username, c.server_id, (
    SELECT {period} FROM subscription s
    WHERE s.client_id = c.id AND s.cancelled_at IS NULL AND s.starts_on <= {p}
    ORDER BY s.ends_on DESC LIMIT 1), {balance}
FROM client c {hint}
WHERE c.deleted_at IS NULL {extra}
{order}
"""
_PERIOD_SQLITE = "s.starts_on || s.ends_on || s.package_name"  # dates are stored as YYYY-MM-DD
_PERIOD_POSTGRES = "to_char(s.starts_on, 'YYYY-MM-DD') || to_char(s.ends_on, 'YYYY-MM-DD') || s.package_name"

# In start order (not client order) so the subscription_upcoming index answers it; the first
# seen per client is still their next one.
_SCHEDULED_SQL = """
SELECT s.client_id, s.package_name, s.starts_on, s.ends_on FROM subscription s
WHERE s.cancelled_at IS NULL AND s.starts_on > {p} {extra}
ORDER BY s.starts_on, s.id
"""
CHUNK_ROWS = 20_000  # rows turned into records at a time: few objects alive at once (see client_row_chunks)
PAGE_ORDER = "lower(c.name), c.id"  # near the list's name order (fold), for the first page
PAGE_ORDER_DESC = "lower(c.name) DESC, c.id DESC"
PAGE_INDEX = "client_name_order"  # (lower(name), id) of live clients

Described = tuple[str, str | None, date | None, date | None]  # package, status, start, end


class _RowMaker:
    """Turns the list query's raw rows into ClientRows, as :func:`client_row_chunks` reads them."""

    def __init__(self, today: date, expiring_days: int, scheduled: dict[int, Described]) -> None:
        self.today = today
        self.expiring_days = expiring_days
        self.scheduled = scheduled
        self.servers: dict[int | None, str] = {sid: name for sid, name in db.execute_sql("SELECT id, name FROM server")}
        self.servers[None] = ""
        # Clients share a few thousand (start, end, package) periods: each distinct one is parsed,
        # and a running one's status worked out, once (the per-row work was half the time). A
        # period that has ended is marked by a status of None.
        self.periods: dict[str, Described] = {}

    def rows(self, raw: list[tuple[Any, ...]]) -> list[ClientRow]:
        scheduled, periods, servers = self.scheduled, self.periods, self.servers
        expired = rules.SubscriptionStatus.EXPIRED.value
        no_subscription: Described = ("", NO_SUBSCRIPTION, None, None)
        new_row = tuple.__new__  # ClientRow(...) without its Python-level __new__
        out: list[ClientRow] = []
        append = out.append
        for cid, code, name, phone, email, user, server_id, period, balance in raw:
            if period is None:
                pkg, status, start, end = scheduled.get(cid, no_subscription)
            else:
                described = periods.get(period)
                if described is None:
                    described = periods[period] = _describe(period, self.today, self.expiring_days)
                pkg, status, start, end = described
                if status is None:  # ended: the next one, if sold, describes the client better
                    pkg, status, start, end = scheduled.get(cid) or (pkg, expired, start, end)
            append(new_row(ClientRow, (cid, code, name, phone, email, user, server_id, servers[server_id],
                                       pkg, status, start, end, int(balance))))
        return out


def _scheduled(today: date, client_ids: Sequence[int] | None = None) -> dict[int, Described]:
    p = db.obj.param
    extra, params = "", []
    if client_ids is not None:
        extra = f"AND s.client_id IN ({','.join([p] * len(client_ids))})"
        params = list(client_ids)
    status = rules.SubscriptionStatus.SCHEDULED.value
    scheduled: dict[int, Described] = {}
    days: dict[object, date | None] = {}  # a few hundred distinct days among tens of thousands of rows
    for cid, pkg, start, end in db.execute_sql(_SCHEDULED_SQL.format(p=p, extra=extra), [today, *params]):
        if cid not in scheduled:
            first = days.get(start) or days.setdefault(start, _as_date(start))
            last = days.get(end) or days.setdefault(end, _as_date(end))
            scheduled[cid] = (pkg, status, first, last)
    return scheduled


def _rows_sql(extra: str = "", order: str = "", hint: str = "") -> str:
    from ispclient.store.balances import client_balance_sql

    period = _PERIOD_SQLITE if is_sqlite() else _PERIOD_POSTGRES
    return _ROWS_SQL.format(p=db.obj.param, period=period, balance=client_balance_sql("c"), extra=extra, order=order,
                            hint=hint)


def client_row_chunks(today: date, expiring_days: int, chunk_rows: int = CHUNK_ROWS) -> Iterator[list[ClientRow]]:
    """Every client's list row, a chunk at a time, from one statement (one snapshot).

    Chunks keep the garbage collector's work small: at most one chunk's raw tuples and records
    are alive at once (a million tuples alive at once made each full collection walk them all).
    The caller turns each chunk into columns before asking for the next."""
    maker = _RowMaker(today, expiring_days, _scheduled(today))
    cursor = db.execute_sql(_rows_sql(), [today])
    while True:
        raw = cursor.fetchmany(chunk_rows)
        if not raw:
            break
        yield maker.rows(raw)


def client_rows(today: date, expiring_days: int, client_ids: list[int] | None = None,
                id_range: tuple[int, int] | None = None) -> list[ClientRow]:
    """The list's rows: each client with the subscription that describes them today (these
    clients only, or those with ids in [first, stop))."""
    if id_range is not None:
        maker = _RowMaker(today, expiring_days, _scheduled(today))
        p = db.obj.param
        sql = _rows_sql(f"AND c.id >= {p} AND c.id < {p}", "ORDER BY c.id")
        return maker.rows(db.execute_sql(sql, [today, *id_range]).fetchall())
    if client_ids is None:
        return [row for chunk in client_row_chunks(today, expiring_days) for row in chunk]
    if not client_ids:
        return []
    rows: list[ClientRow] = []
    for i in range(0, len(client_ids), 500):  # bounded statements (PostgreSQL and SQLite alike)
        batch = list(client_ids[i:i + 500])
        marks = ",".join([db.obj.param] * len(batch))
        maker = _RowMaker(today, expiring_days, _scheduled(today, batch))
        rows += maker.rows(db.execute_sql(_rows_sql(f"AND c.id IN ({marks})"), [today, *batch]).fetchall())
    return rows


def client_rows_page(today: date, expiring_days: int, limit: int, descending: bool = False) -> list[ClientRow]:
    """The first ``limit`` rows in name order (as the database orders names: close to the list's
    own order, which folds accents) — shown while the whole list is read."""
    order = PAGE_ORDER_DESC if descending else PAGE_ORDER
    # SQLite without statistics would take the index on deleted_at and sort every client; this one
    # (schema 11) is in name order already. PostgreSQL's planner finds it by itself.
    hint = f"INDEXED BY {PAGE_INDEX}" if is_sqlite() else ""
    raw = db.execute_sql(_rows_sql(order=f"ORDER BY {order} LIMIT {int(limit)}", hint=hint), [today]).fetchall()
    return _RowMaker(today, expiring_days, _scheduled(today, [r[0] for r in raw])).rows(raw) if raw else []


# -- the whole list, a chunk of clients at a time ------------------------------------------

LIST_SEP = "\x1f"  # joins a chunk's texts (a control character no field may hold; checked)
# One statement per chunk of clients (by id range): every column of the chunk comes back as one
# joined text, made by the database. Python then never holds an object per client — at a
# million clients the per-row tuples were most of the read's time and all of its garbage.
# On SQLite the aggregates read the client table directly, in the order of its rowid range
# search (id order: the builder checks it, and reads a chunk out of order as rows instead); a
# sub-select ordered by id ran as a co-routine handing each row over, ~20 % more of the read's
# CPU at a million clients. PostgreSQL orders each aggregate itself.
_CHUNK_SQL_SQLITE = """
SELECT count(*), {ids}, {codes}, {names}, {phones}, {emails}, {usernames}, {server_ids}, {periods}, {balances}
FROM client c
WHERE +c.deleted_at IS NULL AND c.id >= {p} AND c.id < {p}
"""
_CHUNK_SQL_POSTGRES = """
SELECT count(*), {ids}, {codes}, {names}, {phones}, {emails}, {usernames}, {server_ids}, {periods}, {balances}
FROM (SELECT c.id, c.client_code, c.name, c.phone, c.email, c.pppoe_username, COALESCE(c.server_id, -1) AS server_id,
             {period} AS period, {balance} AS balance
      FROM client c
      WHERE c.deleted_at IS NULL AND c.id >= {p} AND c.id < {p}) x
"""
# The subscription that describes the client today, or '' (the period of _ROWS_SQL).
_CHUNK_PERIOD = """COALESCE((SELECT {period} FROM subscription s
                   WHERE s.client_id = c.id AND s.cancelled_at IS NULL AND s.starts_on <= {p}
                   ORDER BY s.ends_on DESC LIMIT 1), '')"""


@dataclass(frozen=True)
class RowChunk:
    """The list's clients with ids in [first, stop): each column as one text, values joined by
    LIST_SEP (numbers by commas), in the same order in every column."""

    count: int
    ids: str
    codes: str
    names: str
    phones: str
    emails: str
    usernames: str
    server_ids: str  # -1 for no server
    periods: str  # "start end package" of the subscription that describes the client today, or ''
    balances: str


@dataclass(frozen=True)
class Upcoming:
    """The subscriptions sold to start after today, earliest first (the first of a client is
    their next one): client ids comma-joined, and the period of each, "start end package"."""

    count: int
    client_ids: str
    periods: list[str]


@dataclass(frozen=True)
class ListContext:
    """What turning chunks into list rows needs besides the chunks (read once per list read)."""

    today: date
    expiring_days: int
    upcoming: Upcoming  # who has their next subscription sold already, and which
    servers: dict[int, str]  # server id → name


# Every subscription to come in one row, as _SCHEDULED_SQL orders them (start, then id: the one
# subscription_upcoming lists first); not a tuple per subscription (tens of thousands of them).
_UPCOMING_SQL_SQLITE = """
SELECT count(*), group_concat(x.client_id, ','), group_concat(x.period, char(31))
FROM (SELECT s.client_id, {period} AS period FROM subscription s
      WHERE s.cancelled_at IS NULL AND s.starts_on > {p} ORDER BY s.starts_on, s.id) x
"""
_UPCOMING_SQL_POSTGRES = """
SELECT count(*), string_agg(s.client_id::text, ',' ORDER BY s.starts_on, s.id),
       string_agg({period}, chr(31) ORDER BY s.starts_on, s.id)
FROM subscription s WHERE s.cancelled_at IS NULL AND s.starts_on > {p}
"""


def list_chunk_sql() -> str:
    from ispclient.store.balances import client_balance_sql

    p = db.obj.param
    balance = f"COALESCE({client_balance_sql('c')}, 0)"
    if is_sqlite():
        period = _CHUNK_PERIOD.format(period=_PERIOD_SQLITE, p=p)

        def text(column: str) -> str:
            return f"group_concat({column}, char(31))"

        def number(column: str) -> str:
            return f"group_concat({column}, ',')"

        return _CHUNK_SQL_SQLITE.format(
            ids=number("c.id"), codes=text("c.client_code"), names=text("c.name"), phones=text("c.phone"),
            emails=text("c.email"), usernames=text("c.pppoe_username"),
            server_ids=number("COALESCE(c.server_id, -1)"), periods=text(period), balances=number(balance),
            p=p)  # "+c.deleted_at": by the id range, not the index on deleted_at

    def pg_text(column: str) -> str:
        return f"string_agg(x.{column}, chr(31) ORDER BY x.id)"

    def pg_number(column: str) -> str:
        return f"string_agg(x.{column}::text, ',' ORDER BY x.id)"

    return _CHUNK_SQL_POSTGRES.format(
        ids=pg_number("id"), codes=pg_text("client_code"), names=pg_text("name"), phones=pg_text("phone"),
        emails=pg_text("email"), usernames=pg_text("pppoe_username"), server_ids=pg_number("server_id"),
        periods=pg_text("period"), balances=pg_number("balance"), p=p,
        period=_CHUNK_PERIOD.format(period=_PERIOD_POSTGRES, p=p), balance=balance)


def list_context(today: date, expiring_days: int) -> ListContext:
    servers = {int(sid): name for sid, name in db.execute_sql("SELECT id, name FROM server")}
    return ListContext(today, expiring_days, list_upcoming(today), servers)


def list_upcoming(today: date) -> Upcoming:
    """The subscriptions to come (:class:`Upcoming`)."""
    sqlite = is_sqlite()
    sql = _UPCOMING_SQL_SQLITE if sqlite else _UPCOMING_SQL_POSTGRES
    row = db.execute_sql(sql.format(period=_PERIOD_SQLITE if sqlite else _PERIOD_POSTGRES, p=db.obj.param),
                         [today]).fetchone()
    count = int(row[0] or 0)
    periods = row[2].split(LIST_SEP) if count else []
    if len(periods) != count:  # a package's name holds the separator: each client's next one instead
        scheduled = _scheduled(today)
        return Upcoming(len(scheduled), ",".join(map(str, scheduled)), [
            f"{start}{end}{pkg}" for pkg, _, start, end in scheduled.values()])
    return Upcoming(count, row[1] or "", periods)


def list_id_ranges(chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """[first, stop) id ranges of about ``chunk_rows`` live clients each, covering them all.

    Ids are given in turn, so each range is ``chunk_rows`` ids wide (fewer live clients where some
    were deleted): the ends of the id range cost nothing to read, where counting the live clients
    cost ~75 ms at a million, before the first chunk. Only ids spread far apart are counted."""
    low, high = db.execute_sql("SELECT (SELECT min(id) FROM client), (SELECT max(id) FROM client)").fetchone()
    if low is None:
        return []
    low, high = int(low), int(high)
    span = chunk_rows
    if (high - low + 1) // chunk_rows > SPREAD_CHUNKS:
        count = int(db.execute_sql("SELECT count(*) FROM client WHERE deleted_at IS NULL").fetchone()[0])
        span = max(1, (high - low + 1) * chunk_rows // max(1, count))
    return [(first, min(first + span, high + 1)) for first in range(low, high + 1, span)]


SPREAD_CHUNKS = 1000  # more id ranges than this: the ids are spread out, the live clients counted


def list_chunk(today: date, first: int, stop: int, sql: str | None = None) -> RowChunk:
    """The list's clients with ids in [first, stop), as one joined text per column."""
    row = db.execute_sql(sql or list_chunk_sql(), [today, first, stop]).fetchone()
    count = int(row[0] or 0)
    if not count:
        return RowChunk(0, "", "", "", "", "", "", "", "", "")
    return RowChunk(count, *(value or "" for value in row[1:]))


def reads_ahead() -> bool:
    """Whether the list is best read by a second thread ahead of the one building it: on SQLite
    (a second connection costs nothing, and SQLite works without the GIL); not over a network,
    where a connection costs round trips."""
    return is_sqlite()


def read_ahead_threads() -> int:
    """How many threads read the list's chunks ahead (:func:`reads_ahead`): two where SQLite keeps
    no memory statistics (they share the work), else one — two connections reading at once then
    contend inside SQLite and took twice the CPU for nothing (see store/sqlite_library.py)."""
    from ispclient.store import sqlite_library

    if not reads_ahead():
        return 0
    return 2 if sqlite_library.memory_statistics_off() else 1


def release_read_memory() -> None:
    """Give back the page cache this thread's SQLite connection filled reading the whole list
    (up to 32 MB a connection; the list is read once, its pages aren't wanted again)."""
    if is_sqlite():
        db.execute_sql("PRAGMA shrink_memory")


def describe_period(period: str, today: date, expiring_days: int) -> Described:
    """(package, status or None when ended, start, end) of a "start end package" value."""
    return _describe(period, today, expiring_days)


def _describe(period: str, today: date, expiring_days: int) -> tuple[str, str | None, date, date]:
    """(package, status or None when ended, start, end) of a "start end package" value."""
    start, end = date.fromisoformat(period[:10]), date.fromisoformat(period[10:20])
    status = rules.status(Period(start, end), today, expiring_days).value if end > today else None
    return period[20:], status, start, end


@dataclass(frozen=True)
class ServerInfo:
    """A router as the screens see it (its API password is in the keyring, never here)."""

    id: int
    name: str
    host: str
    port: int
    tls: bool
    ca_file: str
    username: str
    timeout_s: float
    encoding: str

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}" + (" (TLS)" if self.tls else "")


@dataclass(frozen=True)
class PackageInfo:
    id: int
    name: str
    description: str
    price_minor: int
    validity_days: int
    ppp_profile: str
    active: bool


def package_order(p: PackageInfo) -> tuple[bool, int, int, str]:
    """On sale first, then by price and validity — "Home 5" before "Home 10", never as text."""
    return (not p.active, p.price_minor, p.validity_days, p.name.casefold())


@dataclass(frozen=True)
class Catalog:
    """Routers and packages: read once, kept by the app until a change names the catalog."""

    servers: tuple[ServerInfo, ...] = ()  # by name
    packages: tuple[PackageInfo, ...] = ()  # package_order

    def server(self, server_id: int | None) -> ServerInfo | None:
        return next((s for s in self.servers if s.id == server_id), None) if server_id is not None else None

    def package(self, package_id: int | None) -> PackageInfo | None:
        return next((p for p in self.packages if p.id == package_id), None) if package_id is not None else None

    def on_sale(self) -> tuple[PackageInfo, ...]:
        return tuple(p for p in self.packages if p.active)


def _server_info(s: Server) -> ServerInfo:
    return ServerInfo(s.id, s.name, s.host, s.port, bool(s.tls), s.ca_file, s.username, float(s.timeout_s),
                      s.encoding)


def servers() -> list[ServerInfo]:
    return [_server_info(s) for s in Server.select().order_by(Server.name)]


def packages(active_only: bool = False) -> list[PackageInfo]:
    q = Package.select()
    if active_only:
        q = q.where(Package.active)
    rows = [PackageInfo(p.id, p.name, p.description, p.price_minor, p.validity_days, p.ppp_profile, bool(p.active))
            for p in q]
    return sorted(rows, key=package_order)


def catalog() -> Catalog:
    """Both lists in one read transaction."""
    with db.atomic():
        return Catalog(tuple(servers()), tuple(packages()))


def clients_per_server() -> dict[int, int]:
    """How many (not deleted) clients each router has."""
    cursor = db.execute_sql("SELECT server_id, COUNT(*) FROM client WHERE deleted_at IS NULL "
                            "AND server_id IS NOT NULL GROUP BY server_id")
    return {int(sid): int(n) for sid, n in cursor}


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    package_id: int
    package_name: str
    price_minor: int
    starts_on: date
    ends_on: date
    auto_renew: bool
    is_cancelled: bool
    cancelled_at: datetime | None
    cancelled_by: str
    cancel_reason: str
    created_at: datetime
    created_by: str
    paid_minor: int
    renewed_from_id: int | None
    cancel_on: date | None = None  # cancelled at the end of the paid period: service stops that day

    def status(self, today: date, expiring_days: int) -> rules.SubscriptionStatus:
        return rules.status(self, today, expiring_days)

    @property
    def due_minor(self) -> int:
        """What it costs the client: its price, nothing once cancelled."""
        return 0 if self.is_cancelled else self.price_minor

    @property
    def balance_minor(self) -> int:
        """Still to pay on it (negative: paid beyond it, or money left on a cancelled one)."""
        return self.due_minor - self.paid_minor

    @property
    def movable_to_credit(self) -> int:
        return ledger.movable_to_credit(self.price_minor, self.paid_minor, self.is_cancelled)


@dataclass(frozen=True)
class PaymentView:
    """One ledger entry (domain/ledger.py): a payment, a refund or a move to or from credit."""

    id: int
    subscription_id: int | None  # None: on the client's credit only
    amount_minor: int  # the till: + received, − given back, 0 for a transfer
    method: str
    reference: str
    note: str
    paid_at: datetime
    taken_by: str
    kind: str = "payment"  # ledger.EntryKind
    credit_minor: int = 0  # + to credit, − credit used
    receipt_no: str = ""
    voided_at: datetime | None = None
    voided_by: str = ""
    void_reason: str = ""
    void_receipt_no: str = ""
    tendered_minor: int | None = None
    balance_after_minor: int | None = None

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def on_subscription(self) -> int:
        """What it put on (or took off) its subscription."""
        return ledger.on_subscription(self)


@dataclass(frozen=True)
class ClientInfo:
    """A client's own fields as the screens see them (the PPPoE password only as "one is stored")."""

    id: int
    client_code: str
    name: str
    phone: str
    email: str
    address: str
    notes: str
    pppoe_username: str
    has_pppoe_password: bool
    server_id: int | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_by: str
    version: int = 0  # optimistic concurrency: an edit from this read is refused if it is stale
    pppoe_password_unknown: bool = False  # saved with a PPPoE key that was lost: set a new one
    secret_held: bool = False  # the PPP secret was disabled by hand

    @property
    def label(self) -> str:
        return f"{self.name} ({self.client_code})"


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str  # the staff member's name; the OS user for rows from before staff accounts
    action: str
    summary: str
    before: str  # JSON
    after: str  # JSON
    staff_id: int | None = None  # None: the system, or a row from before staff accounts
    os_user: str = ""  # the PC's user account the change was made under ("" on older rows)
    pc_name: str = ""  # the PC it was made on ("" on older rows)

    @property
    def where(self) -> str:
        """“on FRONTDESK-1 (Windows user reception)”, or "" for rows from before staff accounts."""
        parts = [f"on {self.pc_name}"] if self.pc_name else []
        if self.os_user:
            parts.append(f"(PC user {self.os_user})")
        return " ".join(parts)


@dataclass(frozen=True)
class WaitingChange:
    """A change still waiting for (or refused by) a router: "Pending on router since …"."""

    server_name: str
    reason: str
    status: str
    created_at: datetime
    last_error: str


@dataclass(frozen=True)
class ClientDetail:
    client: ClientInfo
    server: ServerInfo | None
    subscriptions: list[SubscriptionView]  # newest first
    payments: list[PaymentView]  # newest first
    stats: QuickStats
    today: date
    activity: tuple[AuditView, ...] = ()  # newest first
    waiting: tuple[WaitingChange, ...] = ()  # oldest first
    balance_minor: int = 0  # what the client owes (negative: in credit), store/balances.py
    credit_minor: int = 0  # money of theirs held for the next sale

    def payment(self, payment_id: int) -> PaymentView | None:
        return next((p for p in self.payments if p.id == payment_id), None)

    def payments_of(self, subscription_id: int | None) -> list[PaymentView]:
        """The entries of one subscription (None: those on credit only), newest first."""
        return [p for p in self.payments if p.subscription_id == subscription_id]

    def owing(self) -> list[SubscriptionView]:
        """Subscriptions not cancelled with money still due, oldest first."""
        return sorted((s for s in self.subscriptions if not s.is_cancelled and s.balance_minor > 0),
                      key=lambda s: (s.starts_on, s.id))

    def current(self) -> SubscriptionView | None:
        return rules.current(self.subscriptions, self.today)

    def headline(self) -> SubscriptionView | None:
        return rules.headline(self.subscriptions, self.today)

    def delete_blocker(self) -> SubscriptionView | None:
        return delete_blocker(self.subscriptions, self.today)

    def delete_refusal(self) -> str | None:
        sub = self.delete_blocker()
        return delete_refusal(sub, sub.package_name, self.today) if sub else None

    def subscription(self, subscription_id: int) -> SubscriptionView | None:
        return next((s for s in self.subscriptions if s.id == subscription_id), None)

    @property
    def pending_since(self) -> datetime | None:
        return min((w.created_at for w in self.waiting), default=None)


ACTIVITY_LIMIT = 500

# Everything the client window shows, as ONE statement: one snapshot, and one round trip to a
# PostgreSQL server on another PC (20 ms each over a VPN; five for a transaction of three reads).
# Each part is a JSON value built by the database; {o}/{a}/{g} are the dialect's JSON object,
# array and aggregate functions.
_DETAIL_SQL = """
SELECT
  (SELECT {a}(c.id, c.client_code, c.name, c.phone, c.email, c.address, c.notes, c.pppoe_username,
              c.pppoe_password_enc <> '', c.server_id, c.created_at, c.updated_at, c.deleted_at, c.deleted_by,
              s.id, s.name, s.host, s.port, s.tls, s.ca_file, s.username, s.timeout_s, s.encoding,
              c.version, c.pppoe_password_unknown, c.secret_held, c.balance_minor)
   FROM client c LEFT JOIN server s ON s.id = c.server_id WHERE c.id = {p}),
  (SELECT {g}({a}(b.id, b.package_id, b.package_name, b.price_minor, b.starts_on, b.ends_on, b.auto_renew,
                  b.cancelled_at, b.cancelled_by, b.cancel_reason, b.created_at, b.created_by, b.renewed_from_id,
                  b.cancel_on))
   FROM subscription b WHERE b.client_id = {p}),
  (SELECT {g}({a}(y.id, y.subscription_id, y.amount_minor, y.method, y.reference, y.note, y.paid_at, y.taken_by,
                  y.kind, y.credit_minor, y.receipt_no, y.voided_at, y.voided_by, y.void_reason, y.void_receipt_no,
                  y.tendered_minor, y.balance_after_minor))
   FROM payment y WHERE y.client_id = {p}),
  (SELECT {g}({a}(e.id, e.at, e.actor, e.action, e.summary, e.before, e.after, e.staff_id, e.os_user, e.pc_name))
   FROM (SELECT * FROM audit_event WHERE client_id = {p} ORDER BY at DESC, id DESC LIMIT {limit}) e),
  (SELECT {g}({a}(v.name, r.reason, r.status, r.created_at, r.last_error))
   FROM router_change r JOIN server v ON v.id = r.server_id
   WHERE r.client_id = {p} AND r.status IN ('pending', 'failed'))
"""
_SQLITE_JSON = {"o": "json_object", "a": "json_array", "g": "json_group_array"}
_POSTGRES_JSON = {"o": "json_build_object", "a": "json_build_array", "g": "json_agg"}


def _json(value: object) -> Any:
    """A JSON column: text from SQLite, already parsed by psycopg2."""
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str | bytes) else value


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _d(value: str) -> date:
    return date.fromisoformat(value[:10])


def client_detail(client_id: int, today: date) -> ClientDetail:
    """Everything the client window shows, in one statement; DoesNotExist if there is no such client.

    The amount paid per subscription is summed from the client's own ledger entries, not by a
    ``GROUP BY`` over the whole payment table (0.47 s at 600,000 payments for every window).
    """
    names = _SQLITE_JSON if is_sqlite() else _POSTGRES_JSON
    sql = _DETAIL_SQL.format(p=db.obj.param, limit=ACTIVITY_LIMIT, **names)
    row = db.execute_sql(sql, (client_id,) * 5).fetchone()
    head = _json(row[0])
    if head is None:
        raise Client.DoesNotExist(f"client {client_id} does not exist")
    client = ClientInfo(head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7], bool(head[8]),
                        head[9], _dt(head[10]) or datetime.min, _dt(head[11]) or datetime.min, _dt(head[12]),
                        head[13], int(head[23]), bool(head[24]), bool(head[25]))
    server = ServerInfo(head[14], head[15], head[16], head[17], bool(head[18]), head[19], head[20],
                        float(head[21]), head[22]) if head[14] is not None else None
    pays = [PaymentView(r[0], r[1], int(r[2]), r[3], r[4], r[5], _dt(r[6]) or datetime.min, r[7], r[8], int(r[9]),
                        r[10], _dt(r[11]), r[12], r[13], r[14] or "", r[15], r[16]) for r in _json(row[2]) or ()]
    pays.sort(key=lambda p: (p.paid_at, p.id), reverse=True)
    paid: dict[int, int] = defaultdict(int)
    for pay in pays:
        if pay.subscription_id is not None and not pay.is_void:
            paid[pay.subscription_id] += pay.on_subscription
    subs = [SubscriptionView(r[0], r[1], r[2], r[3], _d(r[4]), _d(r[5]), bool(r[6]), r[7] is not None, _dt(r[7]),
                             r[8], r[9], _dt(r[10]) or datetime.min, r[11], paid.get(r[0], 0), r[12],
                             _d(r[13]) if r[13] else None)
            for r in _json(row[1]) or ()]
    subs.sort(key=lambda s: (s.starts_on, s.id), reverse=True)
    events = tuple(AuditView(e[0], _dt(e[1]) or datetime.min, e[2], e[3], e[4], e[5], e[6], e[7], e[8] or "",
                             e[9] or "") for e in _json(row[3]) or ())
    events = tuple(sorted(events, key=lambda e: (e.at, e.id), reverse=True))
    waiting = tuple(sorted((WaitingChange(w[0], w[1], w[2], _dt(w[3]) or datetime.min, w[4])
                            for w in _json(row[4]) or ()), key=lambda w: w.created_at))
    stats = quick_stats(subs, [ledger.revenue(pays)])
    return ClientDetail(client, server, subs, pays, stats, today, events, waiting,
                        balance_minor=int(head[26]), credit_minor=ledger.credit(pays))


def usernames_by_server() -> dict[int, tuple[str, ...]]:
    """The live PPPoE usernames of each router, for the status check's one query per router.

    Runs at every refresh: one joined text per router, split in C — no Python row per client
    (0.03 s instead of 0.25 s at 100,000 clients). A router where a username holds the separator
    (data from before the rules) is read row by row instead."""
    sep = LIST_SEP
    # SQLite picks the deleted_at index (and reads each row) unless told: the partial index of
    # live usernames holds exactly these rows and columns.
    hint = "INDEXED BY client_pppoe_live " if is_sqlite() else ""
    joined = "group_concat(pppoe_username, char(31))" if is_sqlite() else "string_agg(pppoe_username, chr(31))"
    where = "WHERE deleted_at IS NULL AND server_id IS NOT NULL AND pppoe_username <> ''"
    out: dict[int, tuple[str, ...]] = {}
    for server_id, count, text in db.execute_sql(
            f"SELECT server_id, count(*), {joined} FROM client {hint}{where} GROUP BY server_id").fetchall():
        names = tuple(split_in_stretches(text, sep))
        if len(names) != count:
            names = tuple(u for (u,) in db.execute_sql(
                f"SELECT pppoe_username FROM client {hint}{where} AND server_id = {db.obj.param}", [server_id]))
        out[int(server_id)] = names
    return out


@dataclass(frozen=True)
class QueuedChange:
    """One router change for the client window ("pending on router since …") and the sync view."""

    id: int
    server_id: int
    server_name: str
    username: str
    client_id: int | None
    client_code: str
    client_name: str
    reason: str
    status: str  # pending | failed | done | superseded | discarded
    created_at: datetime  # UTC
    attempts: int
    next_attempt_at: datetime  # UTC
    last_error: str
    applied_at: datetime | None

    @property
    def waiting(self) -> bool:
        return self.status in ("pending", "failed")


def _queued(q: peewee.ModelSelect[RouterChange]) -> list[QueuedChange]:
    rows = (q.select(RouterChange, Server.name, Client.client_code, Client.name.alias("client_name"))
            .join(Server).switch(RouterChange)
            .join(Client, peewee.JOIN.LEFT_OUTER, on=(Client.id == RouterChange.client_id))
            .order_by(RouterChange.id).objects())
    return [QueuedChange(r.id, r.server_id, r.name, r.username, r.client_id, r.client_code or "",
                         r.client_name or "", r.reason, r.status, r.created_at, r.attempts, r.next_attempt_at,
                         r.last_error, r.applied_at) for r in rows]


def pending_changes(client_id: int) -> list[QueuedChange]:
    """The client's changes still waiting for a router, oldest first."""
    return _queued(RouterChange.select().where((RouterChange.client_id == client_id)
                                               & RouterChange.status.in_(("pending", "failed"))))


def pending_since(client_id: int) -> datetime | None:
    """When the oldest waiting change was queued: "pending on router since …"."""
    waiting = pending_changes(client_id)
    return min(c.created_at for c in waiting) if waiting else None


def router_queue(server_id: int | None = None, *, include_finished: bool = False,
                 limit: int = 2000) -> list[QueuedChange]:
    """The sync view's rows: waiting changes, plus the latest finished ones if asked."""
    q = RouterChange.select()
    if server_id is not None:
        q = q.where(RouterChange.server == server_id)
    if not include_finished:
        q = q.where(RouterChange.status.in_(("pending", "failed")))
    else:
        recent = RouterChange.select(RouterChange.id).order_by(RouterChange.id.desc()).limit(limit)
        q = q.where(RouterChange.id.in_(recent))
    return _queued(q)
