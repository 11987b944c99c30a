"""Demo mode: realistic sample data made through the real services, and RouterOS simulators on
loopback whose PPP sessions match it, so a newcomer sees Online, Offline and Unknown at work.

No Qt here. The demo lives in its own data directory (``paths.demo()``), never the user's.
Building is deterministic for a seed; running again reuses what is there and only restarts the
simulators (on the stored ports, or new ones if those are taken).
"""

from __future__ import annotations

import hashlib
import logging
import random
import socket
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import phonenumbers

from ispclient.domain import subscriptions as rules
from ispclient.domain.clock import utcnow
from ispclient.domain.money import format_amount, to_decimal
from ispclient.domain.permissions import Actor, Role
from ispclient.paths import AppPaths
from ispclient.routeros.credentials import CredentialStore
from ispclient.simulator import RouterSim
from ispclient.store import access, db, open_database, secrets, shifts, staff
from ispclient.store import clients as client_service
from ispclient.store import settings as settings_service
from ispclient.store import subscriptions as subscription_service
from ispclient.store.catalog import PackageInput, ServerInput, create_package, create_server, edit_package, edit_server
from ispclient.store.db import sqlite_path
from ispclient.store.models import AuditEvent, Client, Package, Server, Subscription
from ispclient.store.router_queue import Desired

log = logging.getLogger(__name__)

DEFAULT_CLIENTS = 300
DEFAULT_SEED = 2024
# Obviously not a real secret: the simulated routers accept it and nothing else does.
DEMO_API_USER = "demo-api"
DEMO_PASSWORD = "demo-password-not-secret"
DEMO_ACTORS = ("grace", "peter", "amina")
# The demo's staff accounts share one password, which the demo's sign-in shows: not a secret.
DEMO_STAFF_PASSWORD = "demo-staff-pass"
DEMO_STAFF = (("owner", "Demo Owner", Role.OWNER), ("peter", "Peter Mwangi", Role.MANAGER),
              ("grace", "Grace Achieng", Role.CASHIER), ("amina", "Amina Hassan", Role.CASHIER),
              ("victor", "Victor Otieno", Role.VIEWER))


@dataclass(frozen=True)
class DemoServer:
    name: str
    reachable: bool  # False: nothing listens on its port, so its clients show Unknown


DEMO_SERVERS = (
    DemoServer("Nairobi Core", True),
    DemoServer("Mombasa Road", True),
    DemoServer("Kisumu POP", False),
)

# name, price (KES), validity days, PPP profile, active
DEMO_PACKAGES = (
    ("Home 5 Mbps", "1500", 30, "home-5m", True),
    ("Home 10 Mbps", "2500", 30, "home-10m", True),
    ("Home 20 Mbps", "3500", 30, "home-20m", True),
    ("Business 50 Mbps", "9500", 30, "business-50m", True),
    ("Weekly 5 Mbps", "450", 7, "home-5m", True),
    ("Legacy 2 Mbps", "999", 30, "legacy-2m", False),  # no longer sold; old subscriptions keep it
)


@dataclass(frozen=True)
class Region:
    """Names and phone numbers from one part of the world."""

    country: str  # for phone numbers
    weight: int
    first: tuple[str, ...]
    last: tuple[str, ...]
    mobile_prefixes: tuple[str, ...]  # national significant number prefixes of mobile numbers
    local_format: bool = False  # typed the way a Kenyan front desk writes local numbers: 0712 345678


REGIONS = (
    Region("KE", 50, ("Wanjiru", "Otieno", "Achieng", "Mwangi", "Chebet", "Njeri", "Kiprop", "Akinyi", "Kamau",
                      "Wambui", "Omondi", "Nyambura", "Kipchoge", "Atieno", "Muthoni", "Baraka", "Zawadi"),
           ("Kamau", "Ochieng", "Njoroge", "Rotich", "Odhiambo", "Wanjiku", "Kariuki", "Mutua", "Kiptoo",
            "Onyango", "Macharia", "Cherono", "Wafula", "Nyaga", "Mwende"),
           ("710", "711", "712", "713", "720", "721", "722", "723", "740", "745", "757", "768", "790", "111", "115"),
           local_format=True),
    Region("NG", 8, ("Chinedu", "Ngozi", "Oluwaseun", "Aisha", "Emeka", "Funmilayo", "Ifeoma", "Tunde", "Chiamaka"),
           ("Okafor", "Adeyemi", "Babatunde", "Bello", "Nwosu", "Adebayo", "Eze", "Okonkwo", "Abubakar"),
           ("803", "806", "813", "816", "703", "706", "805", "807", "815", "905")),
    Region("UG", 7, ("Nakato", "Mukasa", "Namubiru", "Kato", "Babirye", "Ssekandi", "Apio", "Okello"),
           ("Ssempijja", "Okello", "Nansubuga", "Byaruhanga", "Tumusiime", "Mugisha", "Akello", "Kiggundu"),
           ("772", "782", "701", "752", "776", "703")),
    Region("IN", 8, ("Priya", "Rahul", "Ananya", "Arjun", "Lakshmi", "Vikram", "Deepa", "नेहा", "राजेश"),
           ("Sharma", "Verma", "Iyer", "Nair", "Subramanian", "Patel", "Reddy", "गुप्ता", "कुमार"),
           ("98", "99", "97", "96", "91", "90", "81", "70")),
    Region("AE", 6, ("محمد", "فاطمة", "Omar", "Layla", "Youssef", "Mariam", "Khalid", "Noor"),
           ("العلي", "الحسن", "Haddad", "Mansour", "El-Amin", "Al-Farsi", "Saleh", "Khoury"),
           ("50", "52", "54", "55", "56", "58")),
    Region("CN", 6, ("李", "王", "张", "Chen", "Liu", "Zhou", "Huang"),
           ("伟", "芳", "敏", "Jing", "Wei", "Min", "Xiaoming", "Lei"),
           ("138", "139", "136", "150", "151", "186", "187", "131")),
    Region("MX", 5, ("José", "María", "Sebastián", "Lucía", "Andrés", "Valentina", "Joaquín", "Ximena"),
           ("García", "Fernández", "Rodríguez", "Pérez", "Hernández", "Martínez", "López", "Gómez"),
           ("155", "181", "133", "222", "244")),
    Region("BR", 3, ("João", "Ana", "Luís", "Beatriz", "Thiago", "Camila"),
           ("Gonçalves", "Araújo", "Conceição", "Brandão", "Simões", "Magalhães"),
           ("119", "219", "319", "419", "519")),
    Region("DE", 7, ("Zoë", "François", "Søren", "Łukasz", "Siobhán", "Jürgen", "Élodie", "Agnieszka", "Ólafur"),
           ("Müller", "Dubois", "Jørgensen", "Kowalski", "O'Brien", "Schäfer", "Lefèvre", "Wiśniewska", "Sigurðsson"),
           ("151", "152", "157", "160", "170", "171", "176")),
)

PLACES = (
    ("Ngong Road", "Kilimani, Nairobi"), ("Argwings Kodhek Rd", "Hurlingham, Nairobi"),
    ("Moi Avenue", "Mombasa"), ("Nyali Road", "Nyali, Mombasa"), ("Oginga Odinga St", "Kisumu"),
    ("Thika Road", "Kasarani, Nairobi"), ("Jogoo Road", "Makadara, Nairobi"), ("Kenyatta Avenue", "Nakuru"),
    ("Langata Road", "South C, Nairobi"), ("Waiyaki Way", "Westlands, Nairobi"), ("Mombasa Road", "Syokimau"),
    ("Kakamega Road", "Milimani, Kisumu"), ("Links Road", "Nyali, Mombasa"), ("Outer Ring Road", "Donholm, Nairobi"),
)
BUILDINGS = ("Apartment", "House", "Flat", "Shop", "Office")
MAIL_HOSTS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "safaricom.co.ke")

# Subscription stories and how often they occur.
STORIES = (
    ("active", 52), ("expiring", 7), ("expired", 13), ("scheduled", 5), ("renewed-ahead", 4),
    ("cancelled", 6), ("new", 5), ("no-server", 3), ("former", 3),
)
# One client in RENEWS_TODAY_EVERY has auto-renew on and a period ending today: renewed as the demo
# is made, so the Today page's auto-renew tile has the morning's renewals to show (unpaid, as
# auto-renew leaves them). Every so many, not drawn: a small demo has some too.
RENEWS_TODAY_EVERY = 50


_STROKES = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def _ascii(text: str) -> str:
    """Latin names as ASCII for user names and e-mail addresses; other scripts give ''."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_STROKES))
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in ".-"))


def _phone(rng: random.Random, region: Region) -> str:
    for _ in range(200):
        prefix = rng.choice(region.mobile_prefixes)
        example = phonenumbers.example_number_for_type(region.country, phonenumbers.PhoneNumberType.MOBILE)
        assert example is not None, region.country
        length = len(str(example.national_number))
        nsn = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix)))
        number = phonenumbers.parse(f"+{example.country_code}{nsn}", None)
        if phonenumbers.is_valid_number(number):
            if region.local_format:
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    raise RuntimeError(f"no valid demo phone number for {region.country}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _is_open_on(app_paths: AppPaths) -> bool:
    path = sqlite_path()
    return db.obj is not None and not db.obj.is_closed() and path is not None \
        and path.resolve() == Path(app_paths.database).resolve()


def ensure_open(app_paths: AppPaths) -> None:
    """The demo database, opened (and created) unless it already is."""
    app_paths.ensure()
    if not _is_open_on(app_paths):
        open_database(app_paths.database, app_paths.backup_dir)


def demo_password(username: str) -> str:
    """The demo PPPoE password of ``username`` (stored encrypted, and the simulated router's)."""
    return "demo-" + hashlib.sha256(username.encode("utf-8")).hexdigest()[:8]


Progress = Callable[[int, int], None]  # (clients made, clients to make)


def needs_building(app_paths: AppPaths) -> bool:
    ensure_open(app_paths)
    return not Client.select().exists()


def build_demo(app_paths: AppPaths, *, clients: int = DEFAULT_CLIENTS, seed: int = DEFAULT_SEED,
               today: date | None = None, progress: Progress | None = None) -> bool:
    """Fill the demo database unless it already has clients; True if it was built now.
    ``progress`` hears how far it got (a splash screen's bar)."""
    ensure_open(app_paths)
    if Client.select().exists():
        return False
    _Builder(random.Random(seed), today or date.today(), progress).build(clients)
    log.info("Built demo data: %d clients in %s", clients, app_paths.data_dir)
    return True


class _Builder:
    def __init__(self, rng: random.Random, today: date, progress: Progress | None = None) -> None:
        self.rng = rng
        self.today = today
        self.progress = progress
        try:  # demo clients keep their PPPoE passwords (so a deleted one comes back whole on Undo)
            secrets.cipher()
            self.passwords = True
        except secrets.SecretsUnavailable:
            self.passwords = False
        self.used_usernames: set[str] = set()
        # (timestamp, id) per table: history happened over months, not in the second it was built
        self.backdated: dict[str, list[tuple[str, int]]] = {"client": [], "subscription": [], "payment": []}

    def build(self, count: int) -> None:
        old = settings_service.load()
        with db.atomic():  # one transaction: the services' own become savepoints
            settings_service.save(replace(old, currency="KES", default_country="KE", isp_name="Demo Networks Ltd",
                                          isp_address="Moi Avenue, 2nd floor\nNairobi", isp_phone="+254 700 000 000",
                                          isp_tax_number="P000000000X"), actor="demo")
            servers = [create_server(ServerInput(s.name, "127.0.0.1", _free_port(), username=DEMO_API_USER,
                                                 timeout_s=2.0), actor="demo") for s in DEMO_SERVERS]
            packages = [create_package(PackageInput(name, price, days, profile, f"{name} for {days} days"),
                                       actor="demo") for name, price, days, profile, _ in DEMO_PACKAGES]
            self.packages = packages
            stories = [s for s, w in STORIES for _ in range(w)]
            for made in range(count):
                due = made % RENEWS_TODAY_EVERY == RENEWS_TODAY_EVERY // 2
                self.client("renews-today" if due else self.rng.choice(stories), servers)
                if self.progress is not None and made % 10 == 9:
                    self.progress(made + 1, count)
            self.backdate()
            subscription_service.run_auto_renew(self.today)  # what the app's start would do (renews-today)
            for pkg, (*_, active) in zip(packages, DEMO_PACKAGES, strict=True):
                if not active:
                    edit_package(pkg.id, PackageInput(pkg.name, str(pkg.price_minor // 100), pkg.validity_days,
                                                      pkg.ppp_profile, "No longer sold", active=False), actor="demo")
            # The demo's routers follow the subscriptions, so expiry and renewals show on them.
            settings_service.save(replace(settings_service.load(), manage_secrets=True), actor="demo")
            # Its simulated routers are filled from the data at every start: they agree already.
            from ispclient.store import provisioning

            provisioning.assume_routers_agree(today=self.today)

    def backdate(self) -> None:
        conn = db.connection()
        audit = AuditEvent._meta.table_name
        for table, column, action in (("client", "created_at", "client.create"),
                                      ("subscription", "created_at", "subscription.create"),
                                      ("payment", "paid_at", "payment.record")):
            rows = self.backdated[table]
            conn.executemany(f"UPDATE {table} SET {column} = ? WHERE id = ?", rows)  # noqa: S608 - fixed names
            conn.executemany(f"UPDATE {audit} SET at = ? WHERE entity = '{table}' AND entity_id = ? "  # noqa: S608
                             f"AND action = '{action}'", rows)
        conn.executemany("UPDATE client SET updated_at = ? WHERE id = ?", self.backdated["client"])

    # -- one client ---------------------------------------------------------------------------

    def client(self, story: str, servers: list[Server]) -> None:
        rng = self.rng
        region = rng.choices(REGIONS, weights=[r.weight for r in REGIONS])[0]
        first = rng.choice(region.first)
        last = rng.choice([x for x in region.last if bool(_ascii(x)) == bool(_ascii(first))])  # one script
        name = f"{first}{last}" if region.country == "CN" and not first.isascii() else f"{first} {last}"
        base = ".".join(p for p in (_ascii(first), _ascii(last)) if p) or f"user{rng.randrange(1000, 9999)}"
        base = base.lower()
        username = base
        while username in self.used_usernames:
            username = f"{base}{rng.randrange(2, 99)}"
        self.used_usernames.add(username)
        latin = bool(_ascii(first) or _ascii(last))
        email = f"{base}@{rng.choice(MAIL_HOSTS)}" if latin and rng.random() < 0.75 else ""
        street, area = rng.choice(PLACES)
        address = f"{rng.choice(BUILDINGS)} {rng.randrange(1, 80)}, {street}, {area}"
        server = None if story == "no-server" else rng.choices(servers, weights=(5, 4, 2))[0]
        actor = rng.choice(DEMO_ACTORS)
        client = client_service.create_client(client_service.ClientInput(
            client_code=client_service.suggest_client_code(), name=name, phone=_phone(rng, region),
            email=email, address=address, pppoe_username=username if server else "",
            server_id=server.id if server else None,
            pppoe_password=demo_password(username) if server and self.passwords else None,
            notes="Prefers M-Pesa payments." if rng.random() < 0.1 else ""), actor=actor)
        first_start = self.history(client.id, story, actor)
        # Signed up before their first subscription — and never after today (a scheduled one).
        joined = min(first_start or self.today, self.today)
        created = datetime.combine(joined - timedelta(days=rng.randrange(0, 5)),
                                   time(8 + rng.randrange(9), rng.randrange(60)))
        self.backdated["client"].append((str(min(created, self.latest())), client.id))

    def latest(self) -> datetime:
        """A moment just past: nothing in the demo happened later than now (stored as UTC)."""
        return utcnow() - timedelta(minutes=1)

    def history(self, client_id: int, story: str, actor: str) -> date | None:
        """Subscriptions telling ``story``; the first start date (None when there are none)."""
        rng, today = self.rng, self.today
        if story == "new":
            return None
        pkg = rng.choices(self.packages[:5], weights=(8, 12, 6, 2, 1))[0]
        days = pkg.validity_days
        if story in ("active", "renewed-ahead", "no-server"):
            current_start = today - timedelta(days=rng.randrange(0, days - 7 if days > 8 else 1))
            if story == "renewed-ahead":
                current_start = today - timedelta(days=days - rng.randrange(2, 7))
        elif story == "expiring":
            current_start = today - timedelta(days=days - rng.randrange(1, 8))
        elif story == "renews-today":
            current_start = today - timedelta(days=days)
        elif story == "scheduled":
            current_start = today + timedelta(days=rng.randrange(1, 10))
        elif story == "cancelled":
            current_start = today - timedelta(days=rng.randrange(1, days))
        else:  # expired, former
            current_start = today - timedelta(days=days + rng.randrange(1, 60))
        past = 0 if story == "scheduled" else rng.randrange(0, 9)  # a scheduled one has nothing running
        # A few long-time clients started on the legacy package, which is no longer sold.
        legacy = self.packages[5] if past >= 6 and rng.random() < 0.5 else None
        periods = [legacy if legacy is not None and i < past // 2 else pkg for i in range(past + 1)]
        start = current_start - timedelta(days=sum(p.validity_days for p in periods[:-1]))
        first = start
        for i, package in enumerate(periods):
            current = i == past
            sub = self.subscription(client_id, package, start, actor,
                                    auto_renew=current and (story == "renews-today"
                                                            or story == "active" and rng.random() < 0.4),
                                    paid=self.paid_share(current, story))
            if current and story == "cancelled":
                self.cancel(sub, actor)
            start = sub.ends_on
        if story == "renewed-ahead":  # paid the next period before this one ends
            self.subscription(client_id, pkg, start, actor, auto_renew=False, paid=1.0)
        return first

    def cancel(self, sub: Subscription, actor: str) -> None:
        """Cancelled as an ISP would: people who leave get their money back; the others keep it as
        credit for when they come back."""
        from ispclient.store.money import RefundInput

        reason = self.rng.choice(("Moving house", "Switched provider", "Line fault, refunded", ""))
        paid = sum(p.amount_minor for p in sub.payments if p.voided_at is None)
        if reason and paid > 0:
            currency = settings_service.load().currency
            given = RefundInput(str(to_decimal(paid, currency)),
                                "Mobile money" if reason != "Moving house" else "Cash", note="On leaving")
            subscription_service.cancel_subscription(sub.id, reason, money_to=subscription_service.MONEY_REFUND,
                                                     refund=given, actor=actor)
        else:
            subscription_service.cancel_subscription(sub.id, reason, actor=actor)

    def paid_share(self, current: bool, story: str) -> float:
        r = self.rng.random()
        # Most people pay before their period starts; a few still owe on this one, fewer on old ones.
        if not current:
            return 1.0 if r < 0.985 else 0.5
        if story in ("expiring", "active"):
            return 1.0 if r < 0.82 else 0.5 if r < 0.92 else 0.0
        return 1.0 if r < 0.9 else 0.0

    def subscription(self, client_id: int, package: object, start: date, actor: str, *,
                     auto_renew: bool, paid: float) -> Subscription:
        rng = self.rng
        sub = subscription_service.create_subscription(client_id, package.id, start,  # type: ignore[attr-defined]
                                                       auto_renew=auto_renew, actor=actor)
        sold = min(datetime.combine(min(start, self.today), time(8 + rng.randrange(10), rng.randrange(60))),
                   self.latest() - timedelta(minutes=90))
        self.backdated["subscription"].append((str(sold), sub.id))
        amount = round(sub.price_minor * paid / 100)
        if amount > 0:
            method = rng.choices(settings_service.PAYMENT_METHODS[:4], weights=(3, 2, 8, 1))[0]
            reference = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10)) \
                if method != "Cash" else ""
            pay = subscription_service.record_payment(
                sub.id, subscription_service.PaymentInput(str(amount), method, reference), actor=actor)
            paid_at = sold + timedelta(minutes=rng.randrange(1, 90))
            self.backdated["payment"].append((str(paid_at), pay.id))
        return sub


def ensure_demo_staff() -> Actor:
    """The demo's staff (made once, also in a demo folder from before staff accounts), with a
    shift in progress for a cashier and a closed one for another; the owner, to sign in."""
    if not staff.has_staff():
        owner = staff.create_first_owner(DEMO_STAFF[0][0], DEMO_STAFF[0][1], DEMO_STAFF_PASSWORD)
        people = {owner.username: owner}
        with access.acting_as(owner):
            for username, name, role in DEMO_STAFF[1:]:
                people[username] = staff.actor_of(staff.create_staff(
                    staff.StaffInput(username, name, role.value, True, DEMO_STAFF_PASSWORD)))
        _shift(people["amina"], "1000", [("Cash", 1.0), ("Mobile money", 1.0), ("Cash", 0.5)], counted_short=50)
        _shift(people["grace"], "2000", [("Cash", 1.0), ("Mobile money", 1.0), ("Cash", 1.0), ("Bank transfer", 1.0)])
    row = next(v for v in staff.staff_list() if v.username == DEMO_STAFF[0][0])
    return Actor(row.id, row.username, row.display_name, row.role)


def _shift(actor: Actor, opening_float: str, payments: list[tuple[str, float]], counted_short: int | None = None) \
        -> None:
    """A shift of the demo's day: payments on subscriptions that still owe, and (for one) its cash-up."""
    owing = [s for s in Subscription.select().where(Subscription.cancelled_at.is_null())
             .order_by(Subscription.ends_on.desc()).limit(400)
             if s.price_minor > sum(p.amount_minor for p in s.payments)]
    skip = 0 if actor.username == "grace" else len(payments)
    with access.acting_as(actor):
        opened = shifts.open_shift(opening_float)
        for sub, (method, share) in zip(owing[skip:], payments, strict=False):
            amount = max(1, round(sub.price_minor * share / 100))
            reference = "" if method == "Cash" else f"QK{sub.id:06d}"
            subscription_service.record_payment(sub.id, subscription_service.PaymentInput(str(amount), method,
                                                                                          reference))
        if counted_short is not None:
            report = shifts.shift_report(opened.id)
            counted = report.cash_up.expected_cash_minor - counted_short * 100
            shifts.close_shift(opened.id, format_amount(counted, report.currency), "Counted twice; 50 short.")


# -- simulated routers -----------------------------------------------------------------------

def _clients_on(server_id: int) -> Iterator[tuple[int, str, str]]:
    """(client id, PPPoE username, list status) of the live clients on a router."""
    s = settings_service.load()
    for row in _client_rows(s.expiring_days):
        if row.server_id == server_id and row.pppoe_username:
            yield row.id, row.pppoe_username, row.status


def _client_rows(expiring_days: int) -> list:  # type: ignore[type-arg]
    from ispclient.store.queries import client_rows

    return client_rows(settings_service.today(), expiring_days)


def _desired_secrets(server_id: int) -> dict[int, Desired]:
    """What each client's secret on this router should look like today (as the change queue
    would leave it), so a restarted demo router agrees with the database."""
    from ispclient.store import provisioning

    s = settings_service.load()
    today = settings_service.today()
    out: dict[int, Desired] = {}
    for client in Client.select().where((Client.server == server_id) & Client.deleted_at.is_null()):
        state, profile = provisioning.state_of(client, today, s.grace_days)
        wanted = provisioning.desired_for(client, state, profile, s)
        if wanted is not None:
            out[client.id] = wanted
    return out


def _add_profiles(sim: RouterSim) -> None:
    """Every package's PPP profile and the slow profile for expired clients."""
    names = {p.ppp_profile for p in Package.select()} | {settings_service.load().limit_profile}
    for name in sorted(names - {"default", "default-encryption"}):
        sim.state.add(sim.state.profiles, {"name": name})


def _populate(sim: RouterSim, server_id: int, seed: int) -> None:
    """Secrets for every client of the router; ~65 % of the paying ones online, some never connected."""
    rng = random.Random(f"{seed}-{server_id}")
    now = datetime.now()
    paying = {rules.SubscriptionStatus.ACTIVE.value, rules.SubscriptionStatus.EXPIRING.value}
    expired = rules.SubscriptionStatus.EXPIRED.value
    _add_profiles(sim)
    desired = _desired_secrets(server_id)
    for client_id, username, status in _clients_on(server_id):
        never = rng.random() < 0.08
        last_out = None if never else now - timedelta(minutes=rng.randrange(5, 60 * 24 * 20))
        wanted = desired.get(client_id)
        if wanted is not None and not wanted.present:
            continue
        disabled = bool(wanted and wanted.disabled)
        sim.add_secret(username, password=demo_password(username), last_logged_out=last_out, disabled=disabled,
                       profile=(wanted.profile if wanted and wanted.profile else "default"),
                       comment=wanted.comment if wanted else "")
        if disabled:
            continue  # a cut-off client can't be online
        # Paying clients are mostly up; some expired ones are still in their grace days.
        online_chance = 0.85 if status in paying else 0.3 if status == expired else 0.05
        if not never and rng.random() < online_chance:
            index = client_id % 65000
            mac = ":".join(f"{b:02X}" for b in (0x4C, 0x5E, 0x0C, (index >> 8) & 255, index & 255, server_id))
            uptime = f"{rng.randrange(0, 20)}d{rng.randrange(24)}h{rng.randrange(60)}m{rng.randrange(60)}s"
            sim.connect(username, address=f"100.64.{(client_id >> 8) & 255}.{client_id & 255}",
                        caller_id=mac, uptime=uptime.removeprefix("0d"))


def start_demo_routers(app_paths: AppPaths, credentials: CredentialStore | None = None,
                       *, seed: int = DEFAULT_SEED) -> list[RouterSim]:
    """Start a simulator for each reachable demo router, on its stored port (a new one, saved
    through the service, when that is taken); make sure nothing answers for the unreachable one;
    save the demo API password for all of them. The caller stops the simulators."""
    ensure_open(app_paths)
    credentials = credentials or CredentialStore(settings_service.keyring_service())
    reachable = {s.name: s.reachable for s in DEMO_SERVERS}
    sims: list[RouterSim] = []
    try:
        for server in Server.select().order_by(Server.id):
            if server.name not in reachable:
                continue  # a router the user added to the demo: left alone
            credentials.set(server.id, DEMO_PASSWORD, session_only=False)
            if not reachable[server.name]:
                if _listening(server.port):
                    _move(server, _free_port())
                continue
            sim = RouterSim("127.0.0.1", server.port, users={DEMO_API_USER: DEMO_PASSWORD}, identity=server.name)
            try:
                sim.start()
            except OSError:
                sim.port = 0
                sim.start()
                _move(server, sim.port)
            sims.append(sim)
            _populate(sim, server.id, seed)
    except BaseException:
        for sim in sims:
            sim.stop()
        raise
    return sims


def _move(server: Server, port: int) -> None:
    log.info("Demo router %s moves to port %d", server.name, port)
    edit_server(server.id, ServerInput(server.name, server.host, port, server.tls, server.ca_file, server.username,
                                       server.timeout_s, server.encoding), actor="demo")
