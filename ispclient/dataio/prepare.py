"""The preview: every row of the file read once, checked with the same rules and messages as the
client dialog, matched against the clients already here, and given a verdict.

Nothing is written. The checked rows go to a :class:`~ispclient.dataio.spool.Spool` (the grid
reads them a page at a time; the apply reads them in order), so memory grows by a few bytes per
row. The database is read once at the start (routers, packages, and the clients' IDs, usernames
and phones as plain tuples); the apply checks again inside each batch's transaction.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum, StrEnum
from typing import Any, NamedTuple

from ispclient.dataio import cells, opening, phones
from ispclient.dataio.cells import Cell
from ispclient.dataio.mapping import Field, Mapping
from ispclient.dataio.sources import MAX_ROWS, Source, SourceError, SourceInfo
from ispclient.dataio.spool import Spool
from ispclient.dataio.yielding import Yielder
from ispclient.domain import validation
from ispclient.domain.dates import check_day
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.money import format_money
from ispclient.domain.permissions import Permission
from ispclient.store import access
from ispclient.store.clients import validate_pppoe_password  # here, not per row (see apply.py's note on imports)

Progress = Callable[[int, float], object]  # rows done, fraction of the file read
Cancelled = Callable[[], bool]
CHECK_EVERY = 256  # rows between looks at the cancel flag and progress


class ImportCancelled(Exception):
    """The user pressed Cancel."""


class Verdict(IntEnum):
    NEW = 0
    UPDATE = 1
    DUPLICATE = 2
    ERROR = 3
    BLANK = 4


VERDICT_LABELS = {Verdict.NEW: "New", Verdict.UPDATE: "Update", Verdict.DUPLICATE: "Duplicate",
                  Verdict.ERROR: "Error", Verdict.BLANK: "Empty row"}
WRITTEN = (Verdict.NEW, Verdict.UPDATE)


class MatchKey(StrEnum):
    """How a row finds the client it updates."""

    CLIENT_CODE = "client_code"
    USERNAME = "pppoe_username"  # on the row's router
    PHONE = "phone"
    NONE = "none"  # every row is a new client


MATCH_LABELS = {MatchKey.CLIENT_CODE: "Client ID", MatchKey.USERNAME: "PPPoE username on its router",
                MatchKey.PHONE: "phone number", MatchKey.NONE: "nothing (every row is a new client)"}


@dataclass(frozen=True)
class NewPackage:
    """A package the import creates before its rows (the user agreed)."""

    name: str
    price_minor: int
    validity_days: int = 30


@dataclass(frozen=True)
class ImportOptions:
    match_by: MatchKey = MatchKey.CLIENT_CODE
    default_server_id: int | None = None  # the router of rows that name none
    paid: bool = True  # a subscription from the file is paid up unless its Paid cell says no
    day_first: bool | None = None  # 03/04/2026: None works it out from the file (else the locale)
    new_package_days: int = 30


class Prepared(NamedTuple):
    """One row after checking (what the spool keeps)."""

    line: int
    verdict: int
    message: str
    errors: dict[str, str]
    cells: tuple[str, ...]  # as read, the password blanked
    client_id: int | None  # the client an update changes
    version: int | None  # …as it was when previewed
    values: dict[str, Any]  # cleaned client fields the row gives (server as server_id)
    password_token: str | None
    package_id: int | None  # None with package_name: a package the import creates
    package_name: str
    ends_on: date | None
    paid: bool
    owed_minor: int


def _pack(row: Prepared) -> tuple[Any, ...]:
    """A row as the spool keeps it: plain values only (the verdict as its number, the end date as
    its day number), which the spool writes without pickle (see spool.py)."""
    ends = row.ends_on
    return (*row[:1], int(row.verdict), *row[2:11], None if ends is None else ends.toordinal(), *row[12:])


def _unpack(record: tuple[Any, ...]) -> Prepared:
    ends = record[11]
    return Prepared._make((*record[:11], None if ends is None else date.fromordinal(ends), *record[12:]))


class Existing(NamedTuple):
    id: int
    version: int
    client_code: str
    name: str
    server_id: int | None
    pppoe_username: str
    phone: str


@dataclass
class UnknownPackage:
    name: str
    rows: int = 0
    prices: Counter[int] = field(default_factory=Counter)

    def price_minor(self) -> int | None:
        """The price most rows give, if any."""
        return self.prices.most_common(1)[0][0] if self.prices else None


@dataclass
class Known:
    """What the preview needs of the database, read once."""

    country: str
    currency: str
    decimal_separator: str
    servers: dict[str, tuple[int, str]]  # folded name → (id, name)
    server_names: dict[int, str]
    packages: dict[str, tuple[int, str, int, int, bool]]  # folded name → (id, name, price, days, active)
    by_profile: dict[str, list[tuple[int, str, int, int, bool]]]
    by_price: dict[int, list[tuple[int, str, int, int, bool]]]
    by_code: dict[str, Existing]
    by_username: dict[tuple[int | None, str], Existing]
    by_phone: dict[str, list[Existing]]
    # Opening balances already recorded (dataio/opening.py): client id → (owed, receipt numbers).
    openings: dict[int, tuple[int, str]] = field(default_factory=dict)


def read_known() -> Known:
    """The routers, packages and clients as plain values (one read transaction)."""
    from ispclient.store import settings
    from ispclient.store.db import db

    with db.atomic():
        s = settings.load()
        servers = {sid: name for sid, name in db.execute_sql("SELECT id, name FROM server")}
        pkgs = [(int(i), n, int(p), int(d), bool(a), prof) for i, n, p, d, a, prof in
                db.execute_sql("SELECT id, name, price_minor, validity_days, active, ppp_profile FROM package")]
        rows = db.execute_sql("SELECT id, version, client_code, name, server_id, pppoe_username, phone "
                              "FROM client WHERE deleted_at IS NULL").fetchall()
        entries = db.execute_sql("SELECT client_id, credit_minor, receipt_no FROM payment WHERE voided_at IS NULL "
                                 f"AND method = {db.obj.param} ORDER BY id", (opening.METHOD,)).fetchall()
    known = Known(s.default_country, s.currency, s.decimal_separator,
                  {name.casefold(): (sid, name) for sid, name in servers.items()}, dict(servers),
                  {}, {}, {}, {}, {}, {})
    for pid, name, price, days, active, profile in pkgs:
        info = (pid, name, price, days, active)
        known.packages[name.casefold()] = info
        known.by_profile.setdefault(profile.casefold(), []).append(info)
        if active:
            known.by_price.setdefault(price, []).append(info)
    for cid, credit, number in entries:
        owed, seen = known.openings.get(int(cid), (0, ""))
        known.openings[int(cid)] = (owed - int(credit), f"{seen}, {number}" if seen else str(number))
    for r in rows:
        e = Existing(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6])
        known.by_code[e.client_code.lower()] = e
        if e.pppoe_username:
            known.by_username[(e.server_id, e.pppoe_username.lower())] = e
        if e.phone:
            known.by_phone.setdefault(e.phone, []).append(e)
    return known


@dataclass
class Preview:
    """Every row's verdict, the counts, and what the user may still have to decide."""

    info: SourceInfo
    header: list[str]
    mapping: Mapping
    options: ImportOptions
    spool: Spool
    counts: Counter[int] = field(default_factory=Counter)
    unknown_packages: dict[str, UnknownPackage] = field(default_factory=dict)
    file_codes: set[str] = field(default_factory=set)  # Client IDs the file gives (folded)
    key_id: str | None = None  # the PPPoE key the passwords were encrypted with
    day_first: bool = True
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.spool)

    def row(self, index: int) -> Prepared:
        return _unpack(self.spool.get(index))

    def rows(self, first: int, last: int) -> list[Prepared]:
        """Rows first…last (inclusive), in one read of the spool."""
        return [_unpack(r) for r in self.spool.many(first, last)]

    def __iter__(self) -> Iterator[Prepared]:
        """Every row in order (the apply)."""
        return map(_unpack, self.spool)

    def indices(self, verdicts: set[int]) -> list[int]:
        v = self.spool.verdicts
        return [i for i in range(len(v)) if v[i] in verdicts]

    def count(self, verdict: Verdict) -> int:
        return self.counts.get(verdict, 0)

    def summary(self) -> str:
        """'9,812 new, 140 updates, 48 errors' (and duplicates and empty rows when there are)."""
        parts = [f"{self.count(Verdict.NEW):,} new", f"{self.count(Verdict.UPDATE):,} update"
                 + ("" if self.count(Verdict.UPDATE) == 1 else "s")]
        if self.count(Verdict.DUPLICATE):
            parts.append(f"{self.count(Verdict.DUPLICATE):,} duplicate" + ("" if self.count(Verdict.DUPLICATE) == 1
                                                                            else "s"))
        parts.append(f"{self.count(Verdict.ERROR):,} error" + ("" if self.count(Verdict.ERROR) == 1 else "s"))
        if self.count(Verdict.BLANK):
            parts.append(f"{self.count(Verdict.BLANK):,} empty row" + ("" if self.count(Verdict.BLANK) == 1 else "s"))
        return ", ".join(parts)

    @property
    def to_write(self) -> int:
        return self.count(Verdict.NEW) + self.count(Verdict.UPDATE)

    def close(self) -> None:
        self.spool.close()


# -- checking one row ---------------------------------------------------------------------------

_TEXT_FIELDS = (Field.CLIENT_CODE, Field.NAME, Field.PHONE, Field.EMAIL, Field.ADDRESS, Field.NOTES,
                Field.PPPOE_USERNAME, Field.PPPOE_PASSWORD, Field.SERVER, Field.PACKAGE)


# An address written the plain way (ASCII, lower-case domain, a letters-only top-level domain that is
# not reserved) is one email-validator accepts unchanged: such addresses skip its 50 µs per call.
# Everything else goes through validation.email, so the messages are the dialog's.
_PLAIN_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                          r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63})$")
_RESERVED_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def email(text: str) -> str:
    """validation.email, quicker for the plain addresses that make up most of a client list."""
    m = _PLAIN_EMAIL.match(text)
    if m is not None and len(text) <= 254 and text.index("@") <= 64 and m.group(1) not in _RESERVED_TLDS:
        return text
    return validation.email(text)


def _formula_problem(text: str) -> str | None:
    if text.startswith("="):
        return f"“{text[:30]}” looks like a spreadsheet formula, not a value; put the value itself in the cell."
    return None


class _Checker:
    def __init__(self, preview: Preview, known: Known, cipher: Any, cipher_problem: str | None) -> None:
        self.p = preview
        self.k = known
        self.m = preview.mapping
        self.o = preview.options
        self.cipher = cipher
        self.cipher_problem = cipher_problem
        self.cols = [(f, i) for i, f in preview.mapping.columns.items()]
        self.text_cols = [(f, i) for f, i in self.cols if f in _TEXT_FIELDS and f is not Field.PPPOE_PASSWORD]
        self.password_col = preview.mapping.column_of(Field.PPPOE_PASSWORD)
        # In a CSV "=…" may be a formula typed in a spreadsheet and saved as text (a value written
        # "'=…" is text on purpose); an XLSX cell holds either a formula's value or text, never both.
        self.formulas_possible = preview.info.kind != "xlsx"
        self.width = len(preview.header)
        self.seen_codes: dict[str, int] = {}
        self.seen_usernames: dict[tuple[int | None, str], int] = {}
        self.seen_clients: dict[int, int] = {}
        # A file's dates and amounts repeat (a few hundred end dates, a few dozen prices): each
        # distinct cell is parsed once. Only answers are kept; a refused cell is parsed again, for
        # its message. Keyed by the cell's type too (1, 1.0 and True are different cells).
        self._dates: dict[tuple[type, Cell], date] = {}
        self._money: dict[tuple[type, Cell, str, bool], int] = {}

    def parse_date(self, raw: Cell) -> date:
        """cells.parse_date for the end date column, remembered."""
        key = (type(raw), raw)
        found = self._dates.get(key)
        if found is None:
            found = self._dates[key] = cells.parse_date(raw, "ends_on", "end date", self.p.day_first)
        return found

    def parse_money(self, raw: Cell, field: str, signed: bool = False) -> int:
        """cells.parse_money in the ISP's currency, remembered."""
        key = (type(raw), raw, field, signed)
        found = self._money.get(key)
        if found is None:
            found = self._money[key] = cells.parse_money(raw, field, self.k.currency, self.k.decimal_separator,
                                                         signed=signed)
        return found

    def cells_text(self, raw: list[Cell]) -> tuple[str, ...]:
        texts = [cells.as_text(c) for c in raw]
        if self.password_col is not None and self.password_col < len(texts) and texts[self.password_col]:
            texts[self.password_col] = ""  # never kept in clear, not even in the temporary file
        return tuple(texts)

    def check(self, line: int, raw: list[Cell]) -> Prepared:
        width = len(raw)
        got: dict[Field, Cell] = {f: (raw[i] if i < width else None) for f, i in self.cols}
        shown = self.cells_text(raw)
        texts: dict[Field, str] = {f: (shown[i] if i < width else "") for f, i in self.text_cols}
        if isinstance(got.get(Field.PPPOE_PASSWORD), str):  # kept as typed: the dialog refuses edge spaces
            texts[Field.PPPOE_PASSWORD] = cells.restore(str(got[Field.PPPOE_PASSWORD]))
        if not any(shown) and not (self.password_col is not None and self.password_col < len(raw)
                                   and cells.as_text(raw[self.password_col])):
            return Prepared(line, Verdict.BLANK, "", {}, shown, None, None, {}, None, None, "", None, False, 0)
        errors = Collector()
        notes: list[str] = []
        extra = [c for c in raw[self.width:] if cells.as_text(c)]
        if extra:
            errors.add("__all__", f"This row has {len(raw)} cells but the header has {self.width} columns "
                                  "(a delimiter inside a cell that is not in quotes?).")
        if self.formulas_possible:
            for f in texts:
                raw_cell = got[f]
                problem = _formula_problem(raw_cell.strip()) if isinstance(raw_cell, str) else None
                if problem:
                    errors.add(f.value, problem)
                    texts[f] = ""
        if self.m.name_from_username and not texts.get(Field.NAME) and texts.get(Field.PPPOE_USERNAME):
            texts[Field.NAME] = texts[Field.PPPOE_USERNAME]
            notes.append("Name taken from the PPPoE username.")

        # The router first: a username is unique per router, and matching may need it.
        server_id: int | None = None
        server_text = texts.get(Field.SERVER, "")
        if server_text:
            found = self.k.servers.get(server_text.casefold())
            if found is None:
                errors.add("server_id", f"No router named “{server_text[:60]}”. Add it under Manage ▸ Servers "
                                        "first, or choose one router for the rows that name none.")
            else:
                server_id = found[0]

        values: dict[str, Any] = {}
        code = errors.check("client_code", validation.client_code, texts[Field.CLIENT_CODE]) \
            if texts.get(Field.CLIENT_CODE) else None
        username = errors.check("pppoe_username", validation.pppoe_username, texts.get(Field.PPPOE_USERNAME, ""))
        phone = errors.check("phone", phones.phone, texts.get(Field.PHONE, ""), self.k.country)

        # Which client this row updates, if any.
        match: Existing | None = None
        if self.o.match_by is MatchKey.CLIENT_CODE and code:
            match = self.k.by_code.get(str(code).lower())
        elif self.o.match_by is MatchKey.USERNAME and username:
            sid = server_id if server_id is not None else self.o.default_server_id
            match = self.k.by_username.get((sid, str(username).lower()))
        elif self.o.match_by is MatchKey.PHONE and phone:
            sharing = self.k.by_phone.get(str(phone), [])
            if len(sharing) > 1:
                errors.add("phone", f"{len(sharing)} clients have this phone number "
                                    f"({', '.join(e.client_code for e in sharing[:3])}); match by Client ID instead.")
            elif sharing:
                match = sharing[0]
        new = match is None

        if server_id is None and new and username and self.o.default_server_id is not None:
            server_id = self.o.default_server_id
        effective_server = server_id if server_id is not None else (match.server_id if match else None)
        effective_username = username if username else (match.pppoe_username if match else "")

        for f, key, check in ((Field.NAME, "name", validation.name), (Field.EMAIL, "email", email),
                              (Field.ADDRESS, "address", validation.address),
                              (Field.NOTES, "notes", validation.notes)):
            text = texts.get(f, "")
            if text or (new and f is Field.NAME):
                value = errors.check(key, check, text)
                if value is not None:
                    values[key] = value
        if code:
            values["client_code"] = code
        if phone:
            values["phone"] = phone
        if username:
            values["pppoe_username"] = username
        if server_id is not None:
            values["server_id"] = server_id

        token: str | None = None
        password = texts.get(Field.PPPOE_PASSWORD, "")
        if password:
            if errors.check("pppoe_password", validate_pppoe_password, password) is not None:
                if not effective_username and "pppoe_username" not in errors.errors:
                    errors.add("pppoe_password", "Enter the PPPoE username this password belongs to.")
                elif self.cipher is None:
                    errors.add("pppoe_password", self.cipher_problem or "PPPoE passwords can't be saved on this PC.")
        if effective_username and effective_server is None and "server_id" not in errors.errors:
            errors.add("server_id", "Choose the router this PPPoE username logs in to.")

        # Clashes with other clients (the dialog's messages) and with earlier rows of the file.
        me = match.id if match else 0
        duplicate = ""
        if code:
            other = self.k.by_code.get(str(code).lower())
            if other is not None and other.id != me:
                same = "" if other.client_code == code else f" (as {other.client_code})"
                errors.add("client_code", f"Client ID {code} is already used by another client{same}.")
            first = self.seen_codes.get(str(code).lower())
            if first is not None:
                duplicate = f"Same Client ID as row {first:,}."
        if effective_username and effective_server is not None:
            ukey = (effective_server, str(effective_username).lower())
            other = self.k.by_username.get(ukey)
            if other is not None and other.id != me and (username or new):
                same = "" if other.pppoe_username == effective_username else \
                    f" as “{other.pppoe_username}” (the router doesn't tell capitals from small letters)"
                server_name = self.k.server_names.get(effective_server, "")
                errors.add("pppoe_username", f"“{effective_username}” is already used on {server_name}{same} by "
                                             f"{other.name} ({other.client_code}).")
            first = self.seen_usernames.get(ukey)
            if first is not None and not duplicate:
                duplicate = f"Same PPPoE username on {self.k.server_names.get(effective_server, '')} as row {first:,}."
        if match is not None and not duplicate:
            first = self.seen_clients.get(match.id)
            if first is not None:
                duplicate = f"Updates the same client ({match.client_code}) as row {first:,}."

        package_id, package_name, ends_on, paid = self._subscription(got, texts, errors, notes)
        owed = self._opening(got, errors)
        recorded = self.k.openings.get(match.id) if match is not None and owed else None
        if recorded is not None:  # one opening balance per client: the same again is nothing new
            why = opening.already_recorded(owed, recorded[0], recorded[1], self.k.currency)
            if why is not None:
                errors.add(Field.OPENING_BALANCE.value, why)
            owed = 0
        if owed:  # said in the preview: it becomes an entry of the client's ledger (dataio/opening.py)
            notes.append(opening.describe(owed, self.k.currency) + ".")

        if errors.errors:
            verdict = Verdict.ERROR
            message = " ".join(dict.fromkeys(errors.errors.values()))
        elif duplicate:
            verdict, message = Verdict.DUPLICATE, duplicate
        else:
            verdict = Verdict.NEW if new else Verdict.UPDATE
            message = " ".join(notes)
            if password and self.cipher is not None:
                token = self.cipher.encrypt(password)
            if code:
                self.seen_codes[str(code).lower()] = line
            if effective_username and effective_server is not None:
                self.seen_usernames[(effective_server, str(effective_username).lower())] = line
            if match is not None:
                self.seen_clients[match.id] = line
                message = (f"Updates {match.client_code} {match.name}. " + message).strip()
            if package_id is None and package_name:
                unknown = self.p.unknown_packages.setdefault(package_name.casefold(), UnknownPackage(package_name))
                unknown.rows += 1
                price = self._price(got, None)
                if price is not None:
                    unknown.prices[price] += 1
        return Prepared(line, verdict, message, errors.errors, shown, match.id if match else None,
                        match.version if match else None, values, token, package_id, package_name, ends_on,
                        paid, owed)

    def _package(self, text: str, errors: Collector) -> tuple[int | None, str]:
        """(id, name) of the package a cell names — by name, by PPP profile, or by price; (None,
        name) for one the import may create."""
        folded = text.casefold()
        found = self.k.packages.get(folded)
        if found is None:
            by_profile = [p for p in self.k.by_profile.get(folded, []) if p[4]]
            if len(by_profile) == 1:
                found = by_profile[0]
        if found is None:
            try:
                price = self.parse_money(text, "package")
            except ValidationError:
                price = None
            if price is not None:
                same = self.k.by_price.get(price, [])
                if len(same) == 1:
                    found = same[0]
                elif len(same) > 1:
                    errors.add("package", f"{len(same)} packages cost {format_money(price, self.k.currency)} "
                                          f"({', '.join(p[1] for p in same[:3])}): give the package's name.")
                    return None, ""
                else:
                    errors.add("package", f"No package costs {format_money(price, self.k.currency)}: give the "
                                          "package's name.")
                    return None, ""
        if found is None:
            name = errors.check("package", validation.required_text, text, "package", "package name")
            return None, str(name or "")
        if not found[4]:
            errors.add("package", f"“{found[1]}” is no longer sold. Choose an active package.")
        return found[0], found[1]

    def _price(self, got: dict[Field, Cell], errors: Collector | None) -> int | None:
        raw = got.get(Field.PRICE)
        if raw is None or cells.as_text(raw) == "":
            return None
        try:
            return self.parse_money(raw, "price")
        except ValidationError as e:
            if errors is not None:
                errors.add("price", next(iter(e.errors.values())))
            return None

    def _subscription(self, got: dict[Field, Cell], texts: dict[Field, str], errors: Collector,
                      notes: list[str]) -> tuple[int | None, str, date | None, bool]:
        package_text = texts.get(Field.PACKAGE, "")
        ends_raw = got.get(Field.ENDS_ON)
        ends_on: date | None = None
        if ends_raw is not None and cells.as_text(ends_raw):
            ends_on = errors.check("ends_on", self.parse_date, ends_raw)  # type: ignore[assignment]
        paid = self.o.paid
        if Field.PAID in got:
            said = errors.check("paid", cells.parse_yes_no, got[Field.PAID], "paid", "Paid")
            if isinstance(said, bool):
                paid = said
        self._price(got, errors)
        if not package_text:
            if ends_on is not None:
                errors.add("package", f"Give the package of the subscription that ends on {ends_on:%d %b %Y}.")
            return None, "", None, paid
        package_id, package_name = self._package(package_text, errors)
        if ends_on is None:
            if self.m.has(Field.ENDS_ON):
                notes.append("No end date: no subscription made.")
            return package_id, package_name, None, paid
        if package_id is not None:
            start = ends_on - timedelta(days=self.k.packages[package_name.casefold()][3])
            errors.check("ends_on", check_day, start, "ends_on", "start date (the end date less the package's days)")
        return package_id, package_name, ends_on, paid

    def _opening(self, got: dict[Field, Cell], errors: Collector) -> int:
        owed = 0
        for f, sign in ((Field.OPENING_BALANCE, 1), (Field.CREDIT, -1)):
            raw = got.get(f)
            if raw is None or cells.as_text(raw) == "":
                continue
            try:
                owed += sign * self.parse_money(raw, f.value, signed=True)
            except ValidationError as e:
                errors.add(f.value, next(iter(e.errors.values())))
                continue
        return owed


def _guess_day_first(source: Source, mapping: Mapping, sample_rows: int = 2000) -> bool | None:
    column = mapping.column_of(Field.ENDS_ON)
    if column is None:
        return None
    votes: Counter[bool] = Counter()
    for n, (_line, raw) in enumerate(source.rows()):
        if n >= sample_rows:
            break
        if column < len(raw) and isinstance(raw[column], str):
            hint = cells.date_order_hint(str(raw[column]))
            if hint is not None:
                votes[hint] += 1
    return votes.most_common(1)[0][0] if votes else None


def _locale_day_first() -> bool:
    from ispclient.domain.localization import system_locale

    pattern = str(system_locale().date_formats["short"].pattern).lower()
    return pattern.find("d") < pattern.find("m")


@access.requires(Permission.IMPORT_EXPORT)
def preview(source: Source, mapping: Mapping, options: ImportOptions = ImportOptions(),  # noqa: B008 - frozen
            *, progress: Progress | None = None, cancelled: Cancelled | None = None,
            known: Known | None = None) -> Preview:
    """Read and check every row (nothing is written). ImportCancelled when ``cancelled()`` says
    so; SourceError when the file can't be read on, or has more than MAX_ROWS rows."""
    from ispclient.store import secrets

    if not mapping.columns:
        raise SourceError("No column is imported: choose what at least one column holds (the name, at least).")
    if not mapping.has(Field.NAME) and not (mapping.name_from_username and mapping.has(Field.PPPOE_USERNAME)):
        raise SourceError("Choose the column that holds the clients' names: every client needs one.")
    known = known or read_known()
    day_first = options.day_first
    if day_first is None:
        day_first = _guess_day_first(source, mapping)
    if day_first is None:
        day_first = _locale_day_first()
    result = Preview(source.info, list(source.header), mapping, options, Spool(), day_first=day_first)
    cipher, problem = None, None
    if mapping.has(Field.PPPOE_PASSWORD):
        try:
            cipher = secrets.cipher()
            result.key_id = cipher.key_id
        except secrets.SecretsUnavailable as e:
            problem = next(iter(e.errors.values()))
    checker = _Checker(result, known, cipher, problem)
    code_col = mapping.column_of(Field.CLIENT_CODE)
    pause = Yielder()  # the GUI thread gets the GIL now and then (see yielding.py)
    try:
        for n, (line, raw) in enumerate(source.rows(), start=1):
            pause()
            if n > MAX_ROWS:
                raise SourceError(f"{source.info.path.name} has more than {MAX_ROWS:,} rows: split it into smaller "
                                  "files and import them one after the other. Nothing was imported.")
            row = checker.check(line, raw)
            result.spool.append(_pack(row), row.verdict)
            result.counts[row.verdict] += 1
            if code_col is not None and code_col < len(raw):
                text = cells.as_text(raw[code_col]).lower()
                if text:
                    result.file_codes.add(text)
            if n % CHECK_EVERY == 0:
                if cancelled is not None and cancelled():
                    raise ImportCancelled()
                if progress is not None:
                    progress(n, source.done_fraction())
    except BaseException:
        result.close()
        raise
    if progress is not None:
        progress(len(result), 1.0)
    if not len(result):
        result.notes.append("The file has a header but no rows.")
    return result
