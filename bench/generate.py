"""Benchmark data through the real store: tables from ``open_database``, rows by ``insert_many``.

Deterministic for a (size, seed, today): the same clients, subscriptions and payments every run,
so a generated database is cached under ``bench/.data/`` and reused. Subscriptions are chained
per client without overlaps (as the services guarantee), ending relative to ``today`` so the
list shows every status: Active, Expiring, Expired, Scheduled, Cancelled and No subscription.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 5  # bump when the data shape changes: cached databases are then rebuilt
BIG_CLIENT_SUBSCRIPTIONS = 100  # the client whose window the benchmark opens

FIRST = (
    "Amina Wanjiru Achieng Akinyi Atieno Brian Kevin Dennis Faith Grace Mercy Joy Esther Naliaka Otieno Kamau "
    "Njoroge Mwangi Kiprono Chebet Jepchirchi Wafula Nafula Juma Halima Zawadi Baraka Imani Neema Rehema "
    "Chinedu Ngozi Emeka Adaeze Oluwaseun Funmilayo Tunde Yetunde Kwame Akosua Kofi Abena Yaw Efua Thabo "
    "Lerato Sipho Nomvula Tendai Farai Chipo Tatenda Mohamed Fatuma Hassan Aisha Omar Khadija Ali Mariam "
    "John Mary Peter Ann James Susan David Ruth Daniel Joseph Sarah Paul Lucy Samuel Alice Michael Jane "
    "José María Zoë Chloé Renée André François Łukasz Søren Björn Ümit Çağla Nguyễn Jürgen Inés Ngũgĩ"
).split()
LAST = (
    "Wanjiru Kamau Otieno Odhiambo Ochieng Mwangi Njoroge Kariuki Kimani Mutua Musyoka Wambua Kiprop "
    "Cheruiyot Kipchumba Wekesa Barasa Simiyu Omondi Onyango Owino Atieno Nyambura Wairimu Muthoni Gitau "
    "Adeyemi Okafor Okonkwo Eze Balogun Adebayo Mensah Owusu Boateng Asante Nkosi Dlamini Ndlovu Moyo "
    "Banda Phiri Mwale Hassan Abdi Ahmed Mohamed Yusuf Ali Said Juma Mollel Lyimo Massawe Shirima "
    "Smith Brown Müller García Fernández Dubois Lefèvre Nowak Kowalski Jørgensen Öztürk Nguyễn Núñez "
    "Mbugua Ng'ang'a Wa-Kahiga O'Brien"
).split() + ["van der Merwe", "de la Cruz"]
STREETS = ("Ngong Road", "Moi Avenue", "Thika Road", "Jogoo Road", "Langata Road", "Kenyatta Avenue",
           "Waiyaki Way", "Mombasa Road", "Kiambu Road", "Limuru Road", "Outering Road", "Juja Road")
TOWNS = ("Nairobi", "Ruaka", "Kitengela", "Rongai", "Syokimau", "Thika", "Kikuyu", "Ngong", "Juja", "Athi River")
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "gmail.com", "gmail.com", "example.co.ke", "safaricom.co.ke")
METHODS = ("Cash", "Mobile money", "Mobile money", "Mobile money", "Bank transfer", "Card")
SERVERS = ("North tower", "Kibera POP", "Westlands core", "Ruaka hill", "Rongai sector")
STAFF = ("frontdesk1", "frontdesk2", "mary", "peter")
# name, description, price in cents (KES), validity days, PPP profile, active, weight
PACKAGES = (
    ("Home 5 Mbps", "Entry home plan", 150_000, 30, "home-5M", True, 30),
    ("Home 10 Mbps", "Most popular", 250_000, 30, "home-10M", True, 35),
    ("Home 20 Mbps", "Streaming", 350_000, 30, "home-20M", True, 15),
    ("Business 50 Mbps", "Static IP, SLA", 800_000, 30, "biz-50M", True, 5),
    ("Weekly 5 Mbps", "Pay as you go", 40_000, 7, "home-5M", True, 8),
    ("Quarterly 10 Mbps", "Three months, one discount", 700_000, 90, "home-10M", True, 5),
    ("Legacy 2 Mbps", "No longer sold", 100_000, 30, "legacy-2M", False, 2),
)


@dataclass(frozen=True)
class Size:
    """How much data a run uses."""

    name: str
    clients: int
    sessions: int  # active PPP sessions over all routers
    servers: int = 5
    mean_subscriptions: float = 6.0
    deleted_ratio: float = 0.005  # soft-deleted clients (kept for Undo; not in the list)
    no_router_ratio: float = 0.01  # clients without a server/PPPoE username yet


SIZES = {
    "full": Size("full", 100_000, 60_000),  # the data set
    "million": Size("million", 1_000_000, 600_000),  # make bench-1m
    "5000": Size("5000", 5_000, 3_000),  # list_load_s_5000, and all of --quick
    "tiny": Size("tiny", 200, 120),  # --tiny: the smoke test
}


@dataclass
class DataInfo:
    """What the generator made: counts for the report, ids and usernames for the routers."""

    path: str
    size: str
    clients: int  # live clients (shown in the list)
    deleted_clients: int
    subscriptions: int
    payments: int
    audit_events: int
    big_client_id: int
    server_ids: list[int]
    statuses: dict[str, int] = field(default_factory=dict)  # the list's status column, live clients
    usernames: dict[str, list[str]] = field(default_factory=dict)  # server id → live PPPoE usernames
    today: str = ""
    seconds: float = 0.0

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> DataInfo:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def data_dir() -> Path:
    d = Path(__file__).resolve().parent / ".data"
    d.mkdir(exist_ok=True)
    return d


def cached(size: Size, seed: int = 1, today: date | None = None, root: Path | None = None) -> DataInfo:
    """The database for ``size``: generated once per generator and schema version, and moved to
    today on later days (every date is relative to the day it was made for: shifting them all by
    the same number of days gives what generating on the new day gives, in seconds instead of
    minutes — a million clients take ~6 minutes to generate)."""
    from ispclient.store.schema import CURRENT_VERSION

    today = today or date.today()
    root = root or data_dir()
    stem = f"{size.name}-{size.clients}-s{seed}-g{GENERATOR_VERSION}-v{CURRENT_VERSION}"
    home = root / stem
    info_file = home / "data.json"
    if info_file.exists():
        info = DataInfo.load(info_file)
        # A folder copied elsewhere (a bench run writes into its data: router ports, window state)
        # is used where it is, not where it was made (data.json names the database's full path).
        info.path = str(home / Path(info.path).name)
        made_for = date.fromisoformat(info.today)
        if made_for != today:
            shift_days(Path(info.path), (today - made_for).days)
            info.today = today.isoformat()
            info.save(info_file)
        return info
    if _migrated(root, f"{size.name}-{size.clients}-s{seed}-g{GENERATOR_VERSION}-v", home):
        return cached(size, seed, today, root)
    for old in root.glob(f"{size.name}-*"):  # an older generator's data
        _remove_tree(old)
    home.mkdir(parents=True)
    info = generate(home / "ispclient.sqlite3", size, seed, today)
    info.save(info_file)
    return info


def _migrated(root: Path, prefix: str, home: Path) -> bool:
    """This generator's data made for an older schema, brought to today's schema by the store's
    own migrations (as a user's database is) and moved to ``home``: minutes of generating saved."""
    from ispclient import store

    older = {int(p.name[len(prefix):]): p for p in root.glob(f"{prefix}*")
             if p.name[len(prefix):].isdigit() and (p / "data.json").exists() and p != home}
    if not older:
        return False
    source = older[max(older)]
    source.rename(home)
    info_file = home / "data.json"
    info = DataInfo.load(info_file)
    info.path = str(home / Path(info.path).name)
    store.open_database(Path(info.path))
    store.close_database()
    info.save(info_file)
    return True


# Every date and time the generator writes, per table.
DATED = {
    "client": ("created_at", "updated_at", "deleted_at"),
    "subscription": ("starts_on", "ends_on", "created_at", "cancelled_at"),
    "payment": ("paid_at",),
    "audit_event": ("at",),
}


def shift_days(path: Path, days: int) -> None:
    """Move every generated date and time ``days`` days on (indexes rebuilt once, afterwards)."""
    if not days:
        return
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        indexes = _without_indexes(conn)
        for table, columns in DATED.items():
            have = {row[1]: row[2] for row in conn.execute(f"PRAGMA table_info({table})")}
            sets = ", ".join(f"{c} = {'date' if have[c].upper() == 'DATE' else 'datetime'}({c}, '{days:+d} days')"
                             for c in columns if c in have)
            conn.execute(f"UPDATE {table} SET {sets}")  # noqa: S608 - fixed names
        for sql in indexes:
            conn.execute(sql)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _remove_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            _remove_tree(child)
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


# -- the data -------------------------------------------------------------------------------


_NO_DECOMPOSITION = str.maketrans("øØłŁđĐ", "oOlLdD")


def _email_part(text: str) -> str:
    import unicodedata

    text = text.translate(_NO_DECOMPOSITION)
    base = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in base.lower() if ch.isalnum())


def _phone(rng: random.Random) -> str:
    """A Kenyan mobile number in E.164 (as the store keeps phones): +2547XXXXXXXX / +2541XXXXXXXX."""
    prefix = rng.choice(("70", "71", "72", "74", "79", "11", "10", "76"))
    return f"+254{prefix}{rng.randrange(10**7):07d}"


def _status_plan(rng: random.Random) -> str:
    """What the client's latest subscription looks like today."""
    return rng.choices(
        ("active", "expiring", "expired", "scheduled", "cancelled", "none"),
        weights=(52, 10, 22, 3, 5, 8),
    )[0]


def _when(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randrange(5, 17), rng.randrange(60), rng.randrange(60))


class _Builder:
    """Accumulates rows as tuples in column order, with explicit ids."""

    def __init__(self, size: Size, seed: int, today: date) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.today = today
        self.clients: list[tuple[object, ...]] = []
        self.subs: list[tuple[object, ...]] = []
        self.payments: list[tuple[object, ...]] = []
        self.audit: list[tuple[object, ...]] = []
        self.package_weights = [p[6] for p in PACKAGES if p[5]]
        self.active_packages = [i + 1 for i, p in enumerate(PACKAGES) if p[5]]
        self.statuses: Counter[str] = Counter()

    def sub_count(self, plan: str) -> int:
        if plan == "none":
            return 0
        # Mean ~6.5 for clients with any: with the 8 % who have none, about 6 per client overall.
        return max(1, min(24, round(self.rng.expovariate(1 / 6.5))))

    def add_chain(self, client_id: int, plan: str, count: int, package_id: int) -> None:
        """``count`` subscriptions back to back (with the odd lapse), the latest per ``plan``."""
        rng, today = self.rng, self.today
        validity = PACKAGES[package_id - 1][3]
        if plan == "active":
            last_end = today + timedelta(days=rng.randint(8, max(8, validity - 1)))
        elif plan == "expiring":
            last_end = today + timedelta(days=rng.randint(1, 7))
        elif plan == "scheduled":
            last_end = today + timedelta(days=rng.randint(1, 20) + validity)
        else:  # expired / cancelled
            last_end = today - timedelta(days=rng.randint(0, 400))
        chain: list[tuple[int, date, date, bool]] = []
        end = last_end
        pkg = package_id
        for i in range(count):
            v = PACKAGES[pkg - 1][3]
            start = end - timedelta(days=v)
            cancelled = (i == 0 and plan == "cancelled") or (i > 0 and rng.random() < 0.03)
            chain.append((pkg, start, end, cancelled))
            end = start - timedelta(days=rng.choice((0, 0, 0, 0, 0, 0, 1, 2, 5, 14, 40)))  # renewals, lapses
            if rng.random() < 0.05:  # an upgrade or downgrade some time ago
                pkg = rng.choices(self.active_packages, weights=self.package_weights)[0]
                if rng.random() < 0.1:
                    pkg = len(PACKAGES)  # the legacy package they were on before
        chain.reverse()  # oldest first: ids grow with time, as they do in a real database
        self.add_periods(client_id, chain)

    def add_periods(self, client_id: int, chain: list[tuple[int, date, date, bool]]) -> None:
        """Subscriptions oldest first. Auto-renew as the app leaves it after running daily: an
        ended auto-renew subscription has its renewal (``renewed_from``), or auto-renew is off —
        otherwise start-up's auto-renew run would rewrite the data set."""
        previous: tuple[int, date, bool] | None = None  # id, end, auto-renew of the one before
        for pkg, start, end, cancelled in chain:
            auto = not cancelled and self.rng.random() < 0.3
            renewed_from = None
            if previous is not None and previous[2] and previous[1] == start:
                renewed_from = previous[0]
            elif previous is not None and previous[2]:
                self.subs[-1] = (*self.subs[-1][:7], False, *self.subs[-1][8:])  # lapsed: turned off
            sub_id = self.add_subscription(client_id, pkg, start, end, cancelled, auto, renewed_from)
            previous = (sub_id, end, auto)
        if previous is not None and previous[2] and previous[1] <= self.today:
            self.subs[-1] = (*self.subs[-1][:7], False, *self.subs[-1][8:])

    def add_subscription(self, client_id: int, pkg: int, start: date, end: date, cancelled: bool,
                         auto_renew: bool = False, renewed_from: int | None = None) -> int:
        rng = self.rng
        sub_id = len(self.subs) + 1
        name, _, price, _, _, _, _ = PACKAGES[pkg - 1]
        created = _when(min(start, self.today) - timedelta(days=rng.randint(0, 3)), rng)
        staff = rng.choice(STAFF)
        cancelled_at = _when(start + timedelta(days=rng.randint(0, 3)), rng) if cancelled else None
        self.subs.append((
            sub_id, client_id, pkg, name, price, start, end, auto_renew, renewed_from, created, staff,
            cancelled_at, staff if cancelled else "", "Customer moved" if cancelled else "",
        ))
        if cancelled:
            return sub_id
        roll = rng.random()
        future_or_now = end > self.today
        if roll < (0.75 if future_or_now else 0.86):
            self.add_payment(client_id, sub_id, price, start, staff)
        elif roll < 0.94:  # paid in two instalments
            first = price // 2
            self.add_payment(client_id, sub_id, first, start, staff)
            self.add_payment(client_id, sub_id, price - first, min(start + timedelta(days=10), self.today), staff)
        # else: unpaid
        return sub_id

    def add_payment(self, client_id: int, sub_id: int, amount: int, day: date, staff: str) -> None:
        rng = self.rng
        method = rng.choice(METHODS)
        ref = f"Q{rng.randrange(36**8):08X}" if method == "Mobile money" else ""
        number = len(self.payments) + 1
        self.payments.append((number, client_id, sub_id, amount, method, ref, "",
                              _when(min(day, self.today), rng), staff, f"R-{number:06d}"))

    def add_audit(self, at: datetime, action: str, entity: str, entity_id: int, client_id: int, summary: str) -> None:
        self.audit.append((at, self.rng.choice(STAFF), action, entity, entity_id, client_id,
                           summary, "", "{}", "", ""))  # no PC or OS user: history from before staff accounts


def _client_plans(b: _Builder, server_ids: list[int]) -> tuple[dict[str, list[str]], int, int]:
    size, rng, today = b.size, b.rng, b.today
    usernames: dict[str, list[str]] = {str(s): [] for s in server_ids}
    deleted = 0
    big_client = 1
    for i in range(1, size.clients + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}" if rng.random() < 0.85 else f"{first} {rng.choice(FIRST)} {last}"
        phone = _phone(rng) if rng.random() < 0.97 else ""
        email = (f"{_email_part(first)}.{_email_part(last)}{rng.randrange(100) if rng.random() < 0.5 else ''}"
                 f"@{rng.choice(DOMAINS)}") if rng.random() < 0.7 else ""
        address = f"Plot {rng.randint(1, 400)}, {rng.choice(STREETS)}, {rng.choice(TOWNS)}"
        if i == big_client or rng.random() >= size.no_router_ratio:
            server_id = rng.choice(server_ids)
            username = f"client{i:05d}"
        else:
            server_id, username = None, ""
        is_deleted = i != big_client and rng.random() < size.deleted_ratio
        created = _when(today - timedelta(days=rng.randint(400, 3000)), rng)
        deleted_at = _when(today - timedelta(days=rng.randint(1, 300)), rng) if is_deleted else None
        b.clients.append((i, f"C{i:05d}", name, phone, email, address, "", username, "", server_id, "",
                          created, created, deleted_at, "mary" if is_deleted else ""))
        b.add_audit(created, "client.create", "client", i, i, f"Client {name} (C{i:05d}) created")
        package = rng.choices(b.active_packages, weights=b.package_weights)[0]
        if i == big_client:
            _big_chain(b, i)
            plan = "active"
        else:
            plan = "expired" if is_deleted else _status_plan(rng)
            b.add_chain(i, plan, b.sub_count(plan), package)
        if is_deleted:
            deleted += 1
        elif username:
            usernames[str(server_id)].append(username)
    return usernames, deleted, big_client


def _big_chain(b: _Builder, client_id: int) -> None:
    """A client of eight years: 100 monthly subscriptions, the last one running, each in the trail."""
    start = b.today - timedelta(days=30 * (BIG_CLIENT_SUBSCRIPTIONS - 1) + 10)
    chain = []
    for n in range(BIG_CLIENT_SUBSCRIPTIONS):
        chain.append((2 if n > 40 else 1, start, start + timedelta(days=30), n in (17, 63)))
        start += timedelta(days=30)
    first_sub, first_payment = len(b.subs), len(b.payments)
    b.add_periods(client_id, chain)
    for sub in b.subs[first_sub:]:
        b.add_audit(sub[9], "subscription.create", "subscription", sub[0], client_id,  # type: ignore[arg-type]
                    f"Subscription “{sub[3]}” {sub[5]:%d %b %Y} – {sub[6]:%d %b %Y} created")
    for pay in b.payments[first_payment:]:
        b.add_audit(pay[7], "payment.record", "payment", pay[0], client_id,  # type: ignore[arg-type]
                    f"Payment of KES {pay[3] / 100:,.2f} ({pay[4]})")


def _list_status(subs: list[tuple[object, ...]], today: date) -> str:
    """The list's status column for one client, the slow plain way (to report the mix)."""
    from ispclient.domain import subscriptions as rules

    periods = [rules.Period(s[5], s[6], s[11] is not None) for s in subs]  # type: ignore[arg-type]
    live = [p for p in periods if not p.is_cancelled]
    current = [p for p in live if p.starts_on <= today < p.ends_on]
    if current:
        return rules.status(current[0], today).value
    if any(p.starts_on > today for p in live):
        return rules.SubscriptionStatus.SCHEDULED.value
    if live:
        return rules.SubscriptionStatus.EXPIRED.value
    return rules.NO_SUBSCRIPTION


def generate(path: Path, size: Size, seed: int = 1, today: date | None = None) -> DataInfo:
    """Create the database at ``path`` (through the store's own schema) and fill it."""
    from ispclient import store
    from ispclient.store import settings as store_settings
    from ispclient.store.db import db
    from ispclient.store.models import AuditEvent, Client, Package, Payment, Server, Subscription
    from ispclient.store.models import Counter as NumberCounter

    started = time.perf_counter()
    today = today or date.today()
    database = store.open_database(path)
    try:
        with db.atomic():
            store_settings.save(store_settings.Settings(currency="KES", default_country="KE"), actor="bench")
            for n in range(size.servers):
                Server.insert(name=SERVERS[n % len(SERVERS)] + ("" if n < len(SERVERS) else f" {n}"),
                              host="127.0.0.1", port=8728, username="admin", timeout_s=2.0).execute()
            Package.insert_many(
                [(name, desc, price, days, prof, active) for name, desc, price, days, prof, active, _ in PACKAGES],
                fields=[Package.name, Package.description, Package.price_minor, Package.validity_days,
                        Package.ppp_profile, Package.active],
            ).execute()
        server_ids = [s.id for s in Server.select(Server.id).order_by(Server.id)]
        b = _Builder(size, seed, today)
        usernames, deleted, big_client = _client_plans(b, server_ids)

        database.execute_sql("PRAGMA synchronous=OFF")  # generation only: the file is rebuilt on a crash
        indexes = _without_indexes(database)
        _bulk(database, Client, [(*row, 1, False, False, 0) for row in b.clients], [
            Client.id, Client.client_code, Client.name, Client.phone, Client.email, Client.address, Client.notes,
            Client.pppoe_username, Client.pppoe_password_enc, Client.server, Client.router_desired,
            Client.created_at, Client.updated_at, Client.deleted_at, Client.deleted_by, Client.version,
            Client.pppoe_password_unknown, Client.secret_held, Client.balance_minor])  # balances summed below
        _bulk(database, Subscription, [(*row, False) for row in b.subs], [
            Subscription.id, Subscription.client, Subscription.package, Subscription.package_name,
            Subscription.price_minor, Subscription.starts_on, Subscription.ends_on, Subscription.auto_renew,
            Subscription.renewed_from, Subscription.created_at, Subscription.created_by, Subscription.cancelled_at,
            Subscription.cancelled_by, Subscription.cancel_reason, Subscription.renewed])
        # as auto-renew leaves them: a period with its renewal is marked renewed
        database.execute_sql("UPDATE subscription SET renewed = 1 WHERE id IN "
                             "(SELECT renewed_from_id FROM subscription WHERE renewed_from_id IS NOT NULL)")
        _bulk(database, Payment, [(*row, "payment", 0, "", "") for row in b.payments], [
            Payment.id, Payment.client, Payment.subscription, Payment.amount_minor, Payment.method, Payment.reference,
            Payment.note, Payment.paid_at, Payment.taken_by, Payment.receipt_no, Payment.kind, Payment.credit_minor,
            Payment.voided_by, Payment.void_reason])
        _bulk(database, AuditEvent, b.audit, [
            AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.entity,
            AuditEvent.entity_id, AuditEvent.client_id, AuditEvent.summary, AuditEvent.before, AuditEvent.after,
            AuditEvent.os_user, AuditEvent.pc_name])
        for sql in indexes:
            database.execute_sql(sql)
        with db.atomic():  # as the money services keep them: the receipt counter and each client's balance
            from ispclient.store import balances

            NumberCounter.replace(name="receipt", value=len(b.payments)).execute()
            balances.refresh_all()
        database.execute_sql("PRAGMA synchronous=NORMAL")
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")

        deleted_ids = {c[0] for c in b.clients if c[13] is not None}
        by_client: dict[int, list[tuple[object, ...]]] = {}
        for s in b.subs:
            by_client.setdefault(s[1], []).append(s)  # type: ignore[arg-type]
        statuses = Counter(_list_status(by_client.get(c[0], []), today)  # type: ignore[call-overload]
                           for c in b.clients if c[0] not in deleted_ids)
    finally:
        store.close_database()
    return DataInfo(
        path=str(path), size=size.name, clients=size.clients - deleted, deleted_clients=deleted,
        subscriptions=len(b.subs), payments=len(b.payments), audit_events=len(b.audit), big_client_id=big_client,
        server_ids=server_ids, statuses=dict(statuses), usernames=usernames, today=today.isoformat(),
        seconds=round(time.perf_counter() - started, 2),
    )


def _bulk(database: object, model: type, rows: list[tuple[object, ...]], fields: list[object]) -> None:
    """The model's own ``insert_many`` statement, executed for every row in one transaction.

    peewee renders SQL value by value (≈3 µs each: 45 s for the full data set); rendering one
    row and handing all rows to ``executemany`` with the same values as peewee would bind
    (dates as ISO text, booleans as integers) fills the same columns in a fraction of that.
    Dates are turned into text a column at a time (the columns that hold them, seen in the first
    row), not by looking at every value of every row.
    """
    if not rows:
        return
    sql, _ = model.insert_many([rows[0]], fields=fields).sql()  # type: ignore[attr-defined]
    dated = {i for row in rows[:200] for i, v in enumerate(row) if isinstance(v, date)}
    columns = list(zip(*rows, strict=True))
    for i in dated:
        columns[i] = tuple(None if v is None else str(v) for v in columns[i])  # datetime is a date too
    with database.atomic():  # type: ignore[attr-defined]
        database.cursor().executemany(sql, zip(*columns, strict=True))  # type: ignore[attr-defined]


def _without_indexes(database: Any) -> list[str]:
    """Drop the tables' secondary indexes (their definitions are returned): a bulk load then
    writes each table once and each index is built in one sorted pass afterwards."""
    run = database.execute if isinstance(database, sqlite3.Connection) else database.execute_sql
    found = list(run("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                     "AND tbl_name IN ('client', 'subscription', 'payment', 'audit_event')"))
    for name, _ in found:
        run(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def counts(path: Path) -> dict[str, int]:
    """Row counts straight from the file (for tests and the report)."""
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed table names
                for t in ("client", "subscription", "payment", "server", "package", "audit_event")}
