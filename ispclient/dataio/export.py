"""What can be exported: the client list as shown, every client, payments in a date range,
subscriptions, the audit log — each as a header and typed rows for :mod:`.writers`.

Times are written in the ISP's time zone (stored in UTC); dates and money stay typed. Nothing
secret is exported: no PPPoE password, no router password, no key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import phonenumbers

from ispclient.dataio import phones
from ispclient.dataio.writers import Money, Value, write_table
from ispclient.domain.clock import to_local, zone
from ispclient.domain.ledger import KIND_LABELS
from ispclient.domain.money import minor_digits
from ispclient.domain.permissions import Permission
from ispclient.domain.subscriptions import Period
from ispclient.domain.subscriptions import status as subscription_status
from ispclient.domain.validation import display_phone
from ispclient.store import access

KINDS = ("clients", "payments", "subscriptions", "audit")
_KIND_LABELS = {k.value: v for k, v in KIND_LABELS.items()}


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: Iterator[Sequence[Value]]
    sheet: str


def _utc_bound(day: date, tz_name: str) -> datetime:
    local = datetime.combine(day, time())
    tz = zone(tz_name)
    aware = local.replace(tzinfo=tz) if tz else local.astimezone()
    return aware.astimezone(UTC).replace(tzinfo=None)


def _local(moment: object, tz_name: str) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.fromisoformat(str(moment))
    return to_local(moment, tz_name).replace(tzinfo=None, microsecond=0)


def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _settings() -> Any:
    from ispclient.store import settings

    return settings.load()


def _db() -> Any:
    from ispclient.store.db import db

    return db


# -- the client list, as the main window shows it -----------------------------------------------

# Country codes as text, to split a stored number without parsing it. phonenumbers is imported at
# the top (domain.validation has loaded it anyway): an import statement in a function run per
# number goes through PySide6's import hook once the GUI is up.
_COUNTRY_CODES = frozenset(str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def shown_phone(e164: str) -> str:
    """``validation.display_phone`` for a stored E.164 number, several times quicker: the number
    is split into its country code and national number instead of parsed, and formatted as
    format_number does (dataio/phones.py); anything unusual goes the long way."""
    if e164.startswith("+") and e164[1:].isdigit():
        for size in (1, 2, 3):
            code, rest = e164[1:1 + size], e164[1 + size:]
            if code in _COUNTRY_CODES and rest and rest[0] != "0":
                quick = phones.international(int(code), rest)
                if quick is not None:
                    return quick
                number = phonenumbers.PhoneNumber(country_code=int(code), national_number=int(rest))
                return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return display_phone(e164)


LIST_COLUMNS = ("CLIENT_ID", "NAME", "PHONE", "PPPOE_USERNAME", "SERVER", "PACKAGE", "SUBSCRIPTION", "END_DATE",
                "CONNECTION", "BALANCE")


def list_getter(column: str, connection: Callable[[int | None, str], str] | None,
                digits: int = 2) -> Callable[[Any], Value]:
    """How to read one column of the client list from a ``queries.ClientRow``, as the list shows
    it, typed (chosen once per column, not per cell)."""
    getters: dict[str, Callable[[Any], Value]] = {
        "CLIENT_ID": lambda r: str(r.client_code), "NAME": lambda r: str(r.name),
        "PHONE": lambda r: shown_phone(r.phone), "PPPOE_USERNAME": lambda r: str(r.pppoe_username),
        "SERVER": lambda r: str(r.server_name), "PACKAGE": lambda r: str(r.package_name),
        "SUBSCRIPTION": lambda r: str(r.status), "END_DATE": lambda r: _day(r.ends_on),
        "CONNECTION": lambda r: connection(r.server_id, r.pppoe_username) if connection is not None else "",
        # What the client owes, store/balances.py's (negative: paid ahead).
        "BALANCE": lambda r: Money(int(r.balance_minor), digits)}
    try:
        return getters[column]
    except KeyError:
        raise ValueError(f"unknown list column {column!r}") from None


def list_value(column: str, row: Any, connection: Callable[[int | None, str], str] | None,
               digits: int = 2) -> Value:
    """One cell of the client list (a ``queries.ClientRow``) as the list shows it, typed."""
    return list_getter(column, connection, digits)(row)


@access.requires(Permission.IMPORT_EXPORT)
def client_list(ids: Sequence[int], columns: Sequence[str], headers: Sequence[str], today: date,
                expiring_days: int, connection: Callable[[int | None, str], str] | None = None) -> Table:
    """The list's rows ``ids`` (in that order) and ``columns`` (in that order), read again from the
    database — the list's own rows stay with the window."""
    from ispclient.store import queries

    by_id = {r.id: r for r in queries.client_rows(today, expiring_days)}
    digits = minor_digits(_settings().currency)
    getters = [list_getter(c, connection, digits) for c in columns]

    def rows() -> Iterator[Sequence[Value]]:
        for cid in ids:
            row = by_id.get(cid)
            if row is not None:  # deleted since the list was shown
                yield [get(row) for get in getters]

    return Table(list(headers), rows(), "Clients")


# -- every client --------------------------------------------------------------------------------

# "Opening balance": what the client owes (negative: paid ahead) apart from the subscription on
# the same row — an import of this file records it as the opening balance (dataio/opening.py), and
# the row's Paid says whether the subscription's price is due, so the balance comes back whole.
CLIENT_HEADER = ["Client ID", "Name", "Phone", "Email", "Address", "Notes", "PPPoE username", "Server", "Package",
                 "Price", "Subscription", "Starts", "End date", "Paid", "Opening balance", "Created"]


@access.requires(Permission.IMPORT_EXPORT)
def clients(today: date | None = None, *, search: str = "", status: str = "", server: str = "") -> Table:
    """Every client (not deleted) with their current subscription: what an import reads back."""
    from ispclient.store import queries
    from ispclient.store import settings as store_settings

    s = _settings()
    today = today or store_settings.today()
    digits = minor_digits(s.currency)
    rows = queries.client_rows(today, s.expiring_days)
    extra = {int(i): (a, n, c) for i, a, n, c in
             _db().execute_sql("SELECT id, address, notes, created_at FROM client WHERE deleted_at IS NULL")}
    money: dict[tuple[int, date], tuple[int, int]] = {}
    for cid, start, price, paid in _db().execute_sql(
            f"SELECT s.client_id, s.starts_on, s.price_minor, {_PAID} FROM subscription s "
            "WHERE s.cancelled_at IS NULL"):
        money[(int(cid), _day(start))] = (int(price), int(paid))  # type: ignore[index]
    words = search.casefold().split()
    server_folded = server.casefold()

    def wanted(r: Any) -> bool:
        if status and r.status.casefold() != status.casefold():
            return False
        if server_folded and r.server_name.casefold() != server_folded:
            return False
        if words:
            text = " ".join((r.client_code, r.name, r.phone, r.email, r.pppoe_username)).casefold()
            return all(w in text for w in words)
        return True

    def out() -> Iterator[Sequence[Value]]:
        for r in sorted(rows, key=lambda r: r.client_code):
            if not wanted(r):
                continue
            address, notes, created = extra.get(r.id, ("", "", None))
            price, paid = money.get((r.id, r.starts_on), (None, 0)) if r.starts_on else (None, 0)
            paid_up = paid >= price if price is not None else None
            # An import makes this row's subscription paid up or with its whole price due.
            due_on_import = price if price is not None and not paid_up else 0
            yield [r.client_code, r.name, r.phone, r.email, address, notes, r.pppoe_username, r.server_name,
                   r.package_name, Money(price, digits) if price is not None else None, r.status, r.starts_on,
                   r.ends_on, paid_up, Money(int(r.balance_minor) - due_on_import, digits),
                   _local(created, s.timezone)]

    return Table(CLIENT_HEADER, out(), "Clients")


# -- payments, subscriptions, the audit log ------------------------------------------------------

# Every entry of the counter's ledger (domain/ledger.py): payments, refunds, moves to and from
# credit, opening balances; a voided entry is listed, marked, and counts for nothing.
PAYMENT_HEADER = ["Paid at", "Receipt", "Kind", "Client ID", "Name", "Package", "Subscription starts", "Amount",
                  "To credit", "Method", "Reference", "Note", "Taken by", "Voided at", "Void reason"]
# What is paid on a subscription (voided entries left out): store/balances.py's definition.
_PAID = ("(SELECT COALESCE(SUM(p.amount_minor - p.credit_minor), 0) FROM payment p "
         "WHERE p.subscription_id = s.id AND p.voided_at IS NULL)")


def _range(column: str, start: date | None, end: date | None, tz_name: str) -> tuple[str, list[object]]:
    """A WHERE clause for a timestamp column between two local days (both included)."""
    from ispclient.dataio.apply import _v

    where, params = [], []
    p = _db().obj.param
    if start is not None:
        where.append(f"{column} >= {p}")
        params.append(_v(_utc_bound(start, tz_name)))
    if end is not None:
        where.append(f"{column} < {p}")
        params.append(_v(_utc_bound(end + timedelta(days=1), tz_name)))
    return (" WHERE " + " AND ".join(where)) if where else "", params


@access.requires(Permission.IMPORT_EXPORT)
def payments(start: date | None = None, end: date | None = None) -> Table:
    s = _settings()
    digits = minor_digits(s.currency)
    where, params = _range("p.paid_at", start, end, s.timezone)
    cursor = _db().execute_sql(
        "SELECT p.paid_at, p.receipt_no, p.kind, c.client_code, c.name, s.package_name, s.starts_on, p.amount_minor, "
        "p.credit_minor, p.method, p.reference, p.note, p.taken_by, p.voided_at, p.void_reason FROM payment p "
        "LEFT JOIN subscription s ON s.id = p.subscription_id "
        f"JOIN client c ON c.id = p.client_id{where} ORDER BY p.paid_at, p.id", params)

    def out() -> Iterator[Sequence[Value]]:
        for (paid_at, receipt, kind, code, name, package, starts, amount, credit, method, ref, note, by, voided,
             why) in cursor:
            yield [_local(paid_at, s.timezone), receipt, _KIND_LABELS.get(kind, kind), code, name, package or "",
                   _day(starts), Money(int(amount), digits), Money(int(credit), digits), method, ref, note, by,
                   _local(voided, s.timezone), why or ""]

    return Table(PAYMENT_HEADER, out(), "Payments")


SUBSCRIPTION_HEADER = ["Client ID", "Name", "Package", "Price", "Starts", "Ends", "Status", "Auto-renew", "Paid",
                       "Balance", "Cancelled at", "Cancelled by", "Cancel reason", "Created at", "Created by"]


@access.requires(Permission.IMPORT_EXPORT)
def subscriptions(start: date | None = None, end: date | None = None, today: date | None = None) -> Table:
    """Subscriptions running at some time between ``start`` and ``end`` (all without them)."""
    from ispclient.store import settings as store_settings

    s = _settings()
    today = today or store_settings.today()
    digits = minor_digits(s.currency)
    p = _db().obj.param
    where, params = [], []
    if start is not None:
        where.append(f"s.ends_on > {p}")
        params.append(start.isoformat())
    if end is not None:
        where.append(f"s.starts_on <= {p}")
        params.append(end.isoformat())
    cursor = _db().execute_sql(
        "SELECT c.client_code, c.name, s.package_name, s.price_minor, s.starts_on, s.ends_on, s.auto_renew, "
        f"{_PAID}, s.cancelled_at, "
        "s.cancelled_by, s.cancel_reason, s.created_at, s.created_by FROM subscription s JOIN client c ON "
        f"c.id = s.client_id{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY c.client_code, s.starts_on",
        params)

    def out() -> Iterator[Sequence[Value]]:
        for code, name, package, price, starts, ends, auto, paid, cancelled, by, reason, created, creator in cursor:
            period = Period(_day(starts), _day(ends), cancelled is not None)  # type: ignore[arg-type]
            state = subscription_status(period, today, s.expiring_days).value
            balance = 0 if cancelled is not None else int(price) - int(paid)
            yield [code, name, package, Money(int(price), digits), _day(starts), _day(ends), state, bool(auto),
                   Money(int(paid), digits), Money(balance, digits), _local(cancelled, s.timezone), by, reason,
                   _local(created, s.timezone), creator]

    return Table(SUBSCRIPTION_HEADER, out(), "Subscriptions")


AUDIT_HEADER = ["When", "Who", "Action", "What", "Client ID", "Summary", "Before", "After"]


@access.requires(Permission.IMPORT_EXPORT)
def audit(start: date | None = None, end: date | None = None) -> Table:
    s = _settings()
    where, params = _range("a.at", start, end, s.timezone)
    cursor = _db().execute_sql(
        "SELECT a.at, a.actor, a.action, a.entity, c.client_code, a.summary, a.before, a.after FROM audit_event a "
        f"LEFT JOIN client c ON c.id = a.client_id{where} ORDER BY a.at, a.id", params)

    def out() -> Iterator[Sequence[Value]]:
        for at, actor, action, entity, code, summary, before, after in cursor:
            yield [_local(at, s.timezone), actor, action, entity, code or "", summary,
                   "" if before in ("", "{}") else before, "" if after in ("", "{}") else after]

    return Table(AUDIT_HEADER, out(), "Audit log")


def write(table: Table, path: Path, fmt: str) -> int:
    """Write a table to CSV or XLSX; rows written."""
    return write_table(path, fmt, table.header, table.rows, table.sheet)


def format_for(path: Path, given: str | None = None) -> str:
    """"csv" or "xlsx": as given, else from the file name (CSV when it says nothing)."""
    if given:
        return given.lower()
    return "xlsx" if Path(path).suffix.lower() == ".xlsx" else "csv"
