"""Writing a previewed import: the service function of an import, in batches.

Each batch of rows is one transaction with its audit events (``client.create`` /
``client.edit``, ``subscription.create``, ``payment.record`` — the same actions the dialogs
write, so the client's Activity tab and the changes broadcast treat them alike). Inside the
transaction every row is checked again against what the database holds now (another PC may have
taken a Client ID or a username, or edited a client, since the preview): a row that no longer
fits is rejected whole, the rest of the batch goes in. A cancelled or failed import leaves whole
batches only, and the result says which rows went in. Router changes are queued once, after the
last batch (``provisioning.sync_all``), not client by client.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import peewee

from ispclient.dataio import cells, opening
from ispclient.dataio.prepare import (
    ImportCancelled,
    NewPackage,
    Prepared,
    Preview,
    Verdict,
)
from ispclient.dataio.yielding import Yielder
from ispclient.domain import subscriptions as rules
from ispclient.domain.clock import utcnow, zone
from ispclient.domain.errors import ValidationError
from ispclient.domain.ledger import EntryKind
from ispclient.domain.money import format_money, to_decimal
from ispclient.domain.permissions import Permission
from ispclient.store import access
from ispclient.store.changes import note, note_audit
from ispclient.store.db import db as database
from ispclient.store.db import is_sqlite

log = logging.getLogger(__name__)

BATCH_ROWS = 1000
MANY_CLIENTS = 2000  # more changed clients than this: windows reload their lists instead
PAYMENT_METHOD = "Imported"
Progress = Callable[[int, int], object]  # rows handled so far, rows to handle


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    cells: tuple[str, ...]


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    subscriptions: int = 0
    payments: int = 0
    openings: int = 0  # opening balances and credit recorded (dataio/opening.py)
    rejected: list[Rejected] = field(default_factory=list)
    batches: int = 0
    batches_total: int = 0
    lines_in: list[tuple[int, int]] = field(default_factory=list)  # first–last row of each batch that went in
    stopped: str = ""  # why it stopped early: "cancelled", or the failure
    packages_created: list[str] = field(default_factory=list)
    router_changes: int = 0
    report: Path | None = None

    @property
    def complete(self) -> bool:
        return not self.stopped

    def rows_in_text(self) -> str:
        """'rows 2–1,001 and 1,002–2,001' — which rows of the file went in (merged ranges)."""
        merged: list[list[int]] = []
        for first, last in self.lines_in:
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        if not merged:
            return "no rows"
        parts = [f"{a:,}–{b:,}" if a != b else f"{a:,}" for a, b in merged]
        return "rows " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])

    def summary(self) -> str:
        text = f"{self.created:,} clients added, {self.updated:,} updated"
        if self.unchanged:
            text += f", {self.unchanged:,} already up to date"
        text += f"; {self.subscriptions:,} subscriptions ({self.payments:,} paid)"
        if self.openings:
            text += f"; {self.openings:,} opening balances"
        text += f"; {len(self.rejected):,} rows not imported."
        if self.packages_created:
            text += f" New packages: {', '.join(self.packages_created)}."
        if self.router_changes:
            text += f" {self.router_changes:,} router changes queued."
        if self.stopped:
            text += (f" Stopped ({self.stopped}) after {self.batches} of {self.batches_total} batches: "
                     f"{self.rows_in_text()} of the file went in, whole; nothing after them.")
        return text


# -- SQL helpers --------------------------------------------------------------------------------


# Modules are imported once, at the top, not in functions run per row or per value: once the
# GUI has loaded PySide6, every ``import`` statement goes through its import hook (Python code,
# ~2 µs a time), which cost an import run from the wizard 10–20 % more than the same import run
# without Qt.


def _db() -> Any:
    return database


def _sqlite() -> bool:
    return is_sqlite()


def _v(value: object) -> object:
    """A value as the database driver takes it (SQLite stores dates as text, as peewee writes them)."""
    if isinstance(value, date) and _sqlite():
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value.isoformat()
    return value


# Between statements too: SQLite lets go of the GIL at each row it writes (see yielding.py).
_between_statements = Yielder()


def _insert(table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
    """Rows whose dates are already as the driver takes them (:func:`_v`)."""
    if not rows:
        return
    _between_statements()
    db = _db()
    names = ", ".join(f'"{c}"' for c in columns)
    if _sqlite():
        db.cursor().executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})', rows)
        return
    import peewee
    from psycopg2.extras import execute_values

    with peewee.__exception_wrapper__:  # type: ignore[attr-defined]
        execute_values(db.cursor(), f'INSERT INTO "{table}" ({names}) VALUES %s', rows, page_size=len(rows))


def _select(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    """Rows of a query written with ? marks; dates in ``params`` already as :func:`_v` gives them."""
    _between_statements()
    db = _db()
    return list(db.execute_sql(sql.replace("?", db.obj.param), list(params)).fetchall())


def _marks(n: int) -> str:
    return ",".join(["?"] * n)


CODE_INDEX = "client_code_live_nocase"  # store/schema.py CASE_INDEXES


def _code_index() -> str:
    """SQLite's planner, without statistics, reads a batch's 1,000 Client IDs through the index on
    ``deleted_at`` (every live client) rather than the one on ``lower(client_code)``: each batch
    then walks the whole table, and a 100,000-row import spent more time there than writing. On
    SQLite the query names the index (when it exists: it waits while clients differ only in
    case); PostgreSQL's planner has statistics."""
    if not _sqlite():
        return ""
    found = _select("SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?", [CODE_INDEX])
    return f"INDEXED BY {CODE_INDEX}" if found else ""


def _codes_sql(n: int, index: str) -> str:
    """(id, lower Client ID) of the live clients with these ``n`` Client IDs (lower-cased)."""
    return (f"SELECT id, lower(client_code) FROM client {index} WHERE deleted_at IS NULL AND "
            f"lower(client_code) IN ({_marks(n)})")


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# -- audit -------------------------------------------------------------------------------------

_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode  # one encoder, not one per event
_AUDIT_COLUMNS = ("at", "actor", "action", "entity", "entity_id", "client_id", "summary", "before", "after",
                  "staff_id", "os_user", "pc_name")


class _Trail:
    """The batch's audit events, written in one statement; then the change tracker is told what
    they changed, as :func:`ispclient.store.audit.record` tells it of each event."""

    def __init__(self, at: datetime, actor: str) -> None:
        from ispclient.store import access, audit

        self.at = _v(at)
        self.actor = actor
        # Who and where, as audit.record writes them: the staff member, the OS user, the PC.
        self.where = (access.staff_id(), audit.os_user()[:100], audit.pc_name())
        self.rows: list[tuple[object, ...]] = []
        self.actions: set[str] = set()
        self.clients: set[int] = set()

    def add(self, action: str, entity: str, entity_id: int | None, client_id: int | None, summary: str,
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
        self.actions.add(action)
        if client_id is not None:
            self.clients.add(client_id)
        self.rows.append((self.at, self.actor, action, entity, entity_id, client_id, summary,
                          _JSON(before) if before else "{}", _JSON(after) if after else "{}", *self.where))

    def write(self) -> None:
        _insert("audit_event", _AUDIT_COLUMNS, self.rows)
        # What the events changed, told once per batch (as many calls of note_audit would).
        for action in self.actions:
            note_audit(action, None)
        note(clients=self.clients)
        self.rows, self.actions, self.clients = [], set(), set()


# -- Client IDs for rows without one ------------------------------------------------------------


class _Codes:
    """Client IDs after the highest one with the installation's prefix, skipping the IDs the file
    gives to other rows."""

    def __init__(self, suggested: str, reserved: set[str]) -> None:
        m = re.match(r"^(.*?)(\d+)$", suggested)
        self.prefix, self.n, self.width = (m.group(1), int(m.group(2)), len(m.group(2))) if m else (suggested, 1, 5)
        self.reserved = reserved

    def next(self) -> str:
        while True:
            code = f"{self.prefix}{self.n:0{self.width}d}"
            self.n += 1
            if code.lower() not in self.reserved:
                return code


# -- one batch ----------------------------------------------------------------------------------


@dataclass
class _Context:
    preview: Preview
    actor: str
    packages: dict[str, tuple[int, str, int, int, bool]]  # folded name → (id, name, price, days, active)
    currency: str
    timezone: str
    codes: _Codes
    cipher: Any
    source_name: str
    server_names: dict[int, str]
    receipt_prefix: str
    code_index: str = ""  # _code_index()


_CLIENT_FIELDS = ("client_code", "name", "phone", "email", "address", "notes", "pppoe_username", "server_id")
_CLIENT_COLUMNS = ("client_code", "name", "phone", "email", "address", "notes", "pppoe_username", "pppoe_password_enc",
                   "server_id", "router_desired", "created_at", "updated_at", "deleted_at", "deleted_by", "version",
                   "pppoe_password_unknown")
_SUB_COLUMNS = ("client_id", "package_id", "package_name", "price_minor", "starts_on", "ends_on", "auto_renew",
                "renewed_from_id", "created_at", "created_by", "cancelled_at", "cancelled_by", "cancel_reason")
_PAY_COLUMNS = ("client_id", "subscription_id", "kind", "amount_minor", "credit_minor", "method", "reference", "note",
                "paid_at", "taken_by", "receipt_no")


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    subscriptions: int = 0
    payments: int = 0
    openings: int = 0
    rejected: list[Rejected] = field(default_factory=list)


@functools.lru_cache(maxsize=4096)
def _day_text(day: date) -> str:
    """'02 Dec 2026', once per date (an import's rows share a few hundred dates; formatting a date
    imports the time module again each time, through the import hook above)."""
    return day.strftime("%d %b %Y")


@functools.lru_cache(maxsize=4096)
def _paid_at(day: date, tz_name: str, sqlite: bool) -> object:
    """Midnight of ``day`` in the ISP's time zone, in UTC, as the driver (``sqlite`` or not)
    takes it: once per date."""
    at = _midnight_utc(day, tz_name)
    return at.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else at


def _midnight_utc(day: date, tz_name: str) -> datetime:
    tz = zone(tz_name)
    local = datetime.combine(day, time())
    aware = local.replace(tzinfo=tz) if tz else local.astimezone()
    return aware.astimezone(UTC).replace(tzinfo=None)


def _write_batch(rows: list[Prepared], ctx: _Context) -> _Outcome:
    """Check again and write one batch; the caller holds the transaction."""
    from ispclient.store import balances, receipts, secrets
    from ispclient.store.db import lock_client_rows

    out = _Outcome()
    now = utcnow()
    now_db = _v(now)
    trail = _Trail(now, ctx.actor)
    bad: dict[int, str] = {}  # index in rows → why it is rejected now

    if ctx.cipher is not None and any(r.password_token for r in rows):
        secrets.check_key_unchanged(ctx.cipher)

    # Packages: created by this import, or still on sale.
    for i, r in enumerate(rows):
        if r.package_name and r.ends_on is not None:
            pkg = ctx.packages.get(r.package_name.casefold())
            if pkg is None:
                bad[i] = (f"No package “{r.package_name}”: it was not created. Add it under Manage ▸ Packages "
                          "(or let the import create it) and import this row again.")
            elif not pkg[4]:
                bad[i] = f"“{pkg[1]}” is no longer sold. Choose an active package."

    # Updates: the client as it is now, locked; refused when edited or deleted since the preview.
    update_ids = sorted({r.client_id for r in rows if r.client_id is not None})
    stored: dict[int, dict[str, Any]] = {}
    if update_ids:
        lock_client_rows(update_ids)
        names = ("id", "version", "deleted_at", *_CLIENT_FIELDS, "pppoe_password_enc", "created_at", "updated_at")
        for values in _select(f"SELECT {', '.join(names)} FROM client WHERE id IN ({_marks(len(update_ids))})",
                              update_ids):
            stored[int(values[0])] = dict(zip(names, values, strict=True))
    for i, r in enumerate(rows):
        if r.client_id is None or i in bad:
            continue
        now_row = stored.get(r.client_id)
        if now_row is None or now_row["deleted_at"] is not None:
            bad[i] = "This client was deleted (on another PC) since the preview; nothing was changed."
        elif int(now_row["version"]) != r.version:
            bad[i] = ("This client was edited (on another PC) since the preview; nothing was changed. Import the "
                      "row again to apply it over their change.")

    # Client IDs for new rows that give none.
    codes: dict[int, str] = {}
    for i, r in enumerate(rows):
        if i not in bad:
            code = r.values.get("client_code")
            if not code and r.client_id is None:
                code = ctx.codes.next()
            elif not code:
                code = stored[r.client_id]["client_code"]  # type: ignore[index]
            codes[i] = str(code)

    # Clashes with what other PCs saved since the preview (the unique indexes would refuse the
    # whole batch; here only the row is refused, with the dialog's message).
    for _attempt in range(5):
        wanted = sorted({c.lower() for c in codes.values()})
        taken: dict[str, int] = {}
        if wanted:
            for cid, code in _select(_codes_sql(len(wanted), ctx.code_index), wanted):
                taken[code] = int(cid)
        again = False
        for i, code in list(codes.items()):
            owner = taken.get(code.lower())
            if owner is not None and owner != rows[i].client_id:
                if not rows[i].values.get("client_code") and rows[i].client_id is None:
                    codes[i] = ctx.codes.next()  # our own suggestion was taken meanwhile: the next one
                    again = True
                else:
                    bad[i] = f"Client ID {code} was just given to another client (on another PC)."
                    del codes[i]
        if not again:
            break
    user_keys: dict[int, tuple[int, str]] = {}
    for i, r in enumerate(rows):
        if i in bad:
            continue
        base = stored.get(r.client_id or -1, {})
        username = r.values.get("pppoe_username", base.get("pppoe_username") or "")
        server_id = r.values.get("server_id", base.get("server_id"))
        if username and server_id is not None:
            user_keys[i] = (int(server_id), str(username).lower())
    owners: dict[tuple[int, str], int] = {}
    for server in sorted({s for s, _u in user_keys.values()}):  # by router: the index is (server, username)
        names_wanted = sorted({u for s, u in user_keys.values() if s == server})
        owners.update({(server, u): int(cid) for cid, u in _select(
            "SELECT id, lower(pppoe_username) FROM client WHERE deleted_at IS NULL AND pppoe_username <> '' AND "
            f"server_id = ? AND lower(pppoe_username) IN ({_marks(len(names_wanted))})", [server, *names_wanted])})
    if user_keys:
        for i, key in user_keys.items():
            owner = owners.get(key)
            if owner is not None and owner != rows[i].client_id:
                router = ctx.server_names.get(key[0], "this router")
                bad[i] = f"“{key[1]}” was just given to another client on {router} (on another PC)."

    # Subscriptions of clients being updated: skip one already there, refuse an overlap.
    subs_now: dict[int, list[_Period]] = {}
    sub_ids = [r.client_id for i, r in enumerate(rows) if r.client_id is not None and r.ends_on and i not in bad]
    if sub_ids:
        for cid, start, end, name in _select(
                "SELECT client_id, starts_on, ends_on, package_name FROM subscription WHERE cancelled_at IS NULL "
                f"AND client_id IN ({_marks(len(sub_ids))})", sub_ids):
            subs_now.setdefault(int(cid), []).append(_Period(_as_date(start), _as_date(end), name))
    sell: dict[int, tuple[date, date, tuple[int, str, int, int, bool]]] = {}
    for i, r in enumerate(rows):
        if i in bad or r.ends_on is None or not r.package_name:
            continue
        pkg = ctx.packages[r.package_name.casefold()]
        start = r.ends_on - timedelta(days=pkg[3])
        mine = subs_now.get(r.client_id or -1, [])
        if any(p.ends_on == r.ends_on and p.package_name == pkg[1] for p in mine):
            continue  # imported before: already there
        try:
            rules.check_no_overlap(start, r.ends_on, mine, start)
        except ValidationError as e:
            bad[i] = "The subscription was not added: " + next(iter(e.errors.values()))
            continue
        sell[i] = (start, r.ends_on, pkg)

    # Opening balances: one per client. Already there with the same amount: nothing to do
    # (the file imported again); another amount: the row is refused.
    open_now: dict[int, tuple[int, str]] = {}  # client id → (owed, receipt numbers)
    open_ids = sorted({r.client_id for i, r in enumerate(rows) if r.client_id is not None and r.owed_minor
                       and i not in bad})
    if open_ids:
        for cid, credit, number in _select(
                "SELECT client_id, credit_minor, receipt_no FROM payment WHERE voided_at IS NULL AND method = ? "
                f"AND client_id IN ({_marks(len(open_ids))}) ORDER BY id", [opening.METHOD, *open_ids]):
            owed, seen = open_now.get(int(cid), (0, ""))
            open_now[int(cid)] = (owed - int(credit), f"{seen}, {number}" if seen else str(number))
    owe: dict[int, int] = {}  # index in rows → amount owed (< 0: paid ahead) to record
    for i, r in enumerate(rows):
        if i in bad or not r.owed_minor:
            continue
        recorded = open_now.get(r.client_id) if r.client_id is not None else None
        if recorded is None:
            owe[i] = r.owed_minor
            continue
        why = opening.already_recorded(r.owed_minor, recorded[0], recorded[1], ctx.currency)
        if why is not None:
            bad[i] = why

    # -- writes -----------------------------------------------------------------------------
    new_rows = [i for i, r in enumerate(rows) if r.client_id is None and i not in bad]
    inserted = []
    for i in new_rows:
        r = rows[i]
        v = r.values
        inserted.append((codes[i], v.get("name", ""), v.get("phone", ""), v.get("email", ""), v.get("address", ""),
                         v.get("notes", ""), v.get("pppoe_username", ""), r.password_token or "", v.get("server_id"),
                         "", now_db, now_db, None, "", 1, False))
    _insert("client", _CLIENT_COLUMNS, inserted)
    ids: dict[int, int] = {}
    if new_rows:
        by_code = {codes[i].lower(): i for i in new_rows}
        for cid, code in _select(_codes_sql(len(by_code), ctx.code_index), sorted(by_code)):
            ids[by_code[code]] = int(cid)
    for i in new_rows:
        r, cid = rows[i], ids[i]
        v = r.values
        after = {"id": cid, "client_code": codes[i], "name": v.get("name", ""), "phone": v.get("phone", ""),
                 "email": v.get("email", ""), "address": v.get("address", ""), "notes": v.get("notes", ""),
                 "pppoe_username": v.get("pppoe_username", ""), "server": v.get("server_id"),
                 "created_at": now.isoformat(), "updated_at": now.isoformat(), "deleted_at": None, "deleted_by": ""}
        if r.password_token:
            after["pppoe_password_set"] = True
        trail.add("client.create", "client", cid, cid,
                  f"Client {codes[i]} “{after['name']}” created (imported from {ctx.source_name}, row {r.line:,})",
                  after=after)
        out.created += 1

    for i, r in enumerate(rows):
        if r.client_id is None or i in bad:
            continue
        before_row = stored[r.client_id]
        changes = {k: v for k, v in r.values.items() if before_row.get(k) != v}
        if r.password_token:
            changes["pppoe_password_enc"] = r.password_token
        if changes:
            _update_client(r.client_id, changes, now_db)
            shown = [k for k in changes if k != "pppoe_password_enc"]
            old = {("server" if k == "server_id" else k): before_row.get(k) for k in shown}
            new = {("server" if k == "server_id" else k): changes[k] for k in shown}
            if r.password_token:
                old["pppoe_password_set"], new["pppoe_password_set"] = bool(before_row.get("pppoe_password_enc")), True
            trail.add("client.edit", "client", r.client_id, r.client_id,
                      f"Client {codes[i]} edited (imported from {ctx.source_name}, row {r.line:,})", old, new)
            out.updated += 1
        elif i not in sell and i not in owe:
            out.unchanged += 1
        ids[i] = r.client_id

    entries: list[tuple[int, tuple[object, ...]]] = []  # (index in rows, ledger entry without its number)
    paid_for: dict[int, tuple[int, str, date]] = {}  # index → (subscription id, package name, start)
    if sell:
        sold = [(ids[i], pkg[0], pkg[1], pkg[2], _v(start), _v(end), False, None, now_db, ctx.actor, None, "", "")
                for i, (start, end, pkg) in sell.items()]
        _insert("subscription", _SUB_COLUMNS, sold)
        client_ids = sorted({ids[i] for i in sell})
        sub_of = {int(cid): int(sid) for sid, cid in _select(
            f"SELECT id, client_id FROM subscription WHERE client_id IN ({_marks(len(client_ids))}) AND created_at = ?",
            [*client_ids, now_db])}
        for i, (start, end, pkg) in sell.items():
            cid = ids[i]
            sid = sub_of[cid]
            after = {"id": sid, "client": cid, "package": pkg[0], "package_name": pkg[1], "price_minor": pkg[2],
                     "starts_on": start.isoformat(), "ends_on": end.isoformat(), "auto_renew": False}
            trail.add("subscription.create", "subscription", sid, cid,
                      f"Subscription “{pkg[1]}” {_day_text(start)} – {_day_text(end)} created (imported)",
                      after=after)
            out.subscriptions += 1
            if rows[i].paid and pkg[2] > 0:
                # Paid to the old system: a payment entry on the subscription (in no shift).
                entries.append((i, (cid, sid, EntryKind.PAYMENT.value, pkg[2], 0, PAYMENT_METHOD,
                                    f"import {ctx.source_name}"[:100], "Paid before the move to ispclient (imported)",
                                    _paid_at(start, ctx.timezone, _sqlite()), ctx.actor)))
                paid_for[i] = (sid, pkg[1], start)
    for i, owed in owe.items():
        entries.append((i, (ids[i], None, opening.KIND.value, 0, opening.credit_of(owed), opening.METHOD,
                            f"import {ctx.source_name}"[:100],
                            f"{opening.describe(owed, ctx.currency)} (imported, row {rows[i].line:,})", now_db,
                            ctx.actor)))
    numbers = receipts.take_numbers(len(entries), ctx.receipt_prefix)
    _insert("payment", _PAY_COLUMNS, [(*entry, number) for (_i, entry), number in zip(entries, numbers, strict=True)])
    # The kept balance of every client whose money changed, in this transaction (store/balances.py).
    money_clients = sorted({ids[i] for i in sell} | {ids[i] for i in owe})
    balances.refresh(money_clients)
    if entries:
        pay_of = {str(no): int(pid) for pid, no in _select(
            f"SELECT id, receipt_no FROM payment WHERE receipt_no IN ({_marks(len(numbers))})", numbers)}
        _select_none("UPDATE payment SET balance_after_minor = (SELECT c.balance_minor FROM client c WHERE "
                     f"c.id = payment.client_id) WHERE id IN ({_marks(len(pay_of))})", sorted(pay_of.values()))
        kept = balances.balances(money_clients)
        credit_now = _credits(money_clients)
        money: dict[int, str] = {}  # a few prices, formatted once each
        for (i, entry), number in zip(entries, numbers, strict=True):
            cid, pid = ids[i], pay_of[number]
            state = {"client_balance": kept.get(cid, 0), "client_credit": credit_now.get(cid, 0)}
            if entry[2] == EntryKind.PAYMENT.value:
                sid, name, start = paid_for[i]
                amount = int(entry[3])  # type: ignore[call-overload]
                price_text = money.get(amount) or money.setdefault(amount, format_money(amount, ctx.currency))
                trail.add("payment.record", "payment", pid, cid,
                          f"{number}: {price_text} received ({PAYMENT_METHOD}) for “{name}” from {_day_text(start)}",
                          after={"id": pid, "receipt_no": number, "subscription": sid, "kind": EntryKind.PAYMENT.value,
                                 "amount_minor": amount, "credit_minor": 0, "method": PAYMENT_METHOD, **state})
                out.payments += 1
            else:
                credit = int(entry[4])  # type: ignore[call-overload]
                trail.add("payment.credit", "payment", pid, cid,
                          f"{number}: {opening.describe(-credit, ctx.currency)} (imported from {ctx.source_name}, "
                          f"row {rows[i].line:,})",
                          after={"id": pid, "receipt_no": number, "subscription": None, "kind": opening.KIND.value,
                                 "amount_minor": 0, "credit_minor": credit, "method": opening.METHOD, **state})
                out.openings += 1
    trail.write()
    out.rejected = [Rejected(rows[i].line, reason, rows[i].cells) for i, reason in sorted(bad.items())]
    return out


@dataclass(frozen=True)
class _Period:
    starts_on: date
    ends_on: date
    package_name: str
    is_cancelled: bool = False


def _select_none(sql: str, params: Sequence[object]) -> None:
    db = _db()
    db.execute_sql(sql.replace("?", db.obj.param), list(params))


def _credits(client_ids: Sequence[int]) -> dict[int, int]:
    """Each client's credit now (store/balances.py's definition), for the audit events."""
    from ispclient.store import balances

    out: dict[int, int] = {}
    for k in range(0, len(client_ids), 500):
        part = list(client_ids[k:k + 500])
        out.update({int(c): int(v) for c, v in _select(
            f"SELECT c.id, {balances.credit_sql('c')} FROM client c WHERE c.id IN ({_marks(len(part))})", part)})
    return out


def _update_client(client_id: int, changes: dict[str, Any], now: object) -> None:
    sets = ", ".join(f'"{k}" = ?' for k in changes)
    extra = ', "pppoe_password_unknown" = ?' if "pppoe_password_enc" in changes else ""
    params: list[object] = [*changes.values()] + ([False] if extra else []) + [now, client_id]
    db = _db()
    db.execute_sql(f'UPDATE client SET {sets}{extra}, "version" = "version" + 1, "updated_at" = ? '
                   "WHERE id = ?".replace("?", db.obj.param), [_v(p) for p in params])


# -- the whole import ---------------------------------------------------------------------------


@contextmanager
def _rare_checkpoints() -> Iterator[None]:
    """SQLite copies its write-ahead log back into the database file after any commit that leaves
    the log over 1,000 pages: after nearly every batch of an import, rewriting the same index
    pages again and again (half the import's time at 100,000 rows). During the import this
    connection lets the log grow to 256 MB first (a 100,000-row import checkpoints about once),
    then checkpoints and gives the space back. Each batch is still committed as before; other
    connections are unaffected."""
    if not _sqlite():
        yield
        return
    db = _db()
    before = db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
    db.execute_sql("PRAGMA wal_autocheckpoint = 65536")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA wal_autocheckpoint = {int(before)}")
        try:  # TRUNCATE: the log file shrinks back (it waits out readers, at most the busy timeout)
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except Exception:  # noqa: BLE001 - the next commit checkpoints anyway
            log.debug("checkpoint after the import failed", exc_info=True)


def _create_packages(wanted: Iterable[NewPackage], currency: str, actor: str | None) -> list[str]:
    from ispclient.store import catalog

    made = []
    for pkg in wanted:
        data = catalog.PackageInput(pkg.name, str(to_decimal(pkg.price_minor, currency)), pkg.validity_days,
                                    ppp_profile=pkg.name[:100])
        try:
            catalog.create_package(data, actor=actor)
            made.append(pkg.name)
        except ValidationError as e:
            if "already exists" not in " ".join(e.errors.values()):
                raise
    return made


def _read_packages() -> dict[str, tuple[int, str, int, int, bool]]:
    return {n.casefold(): (int(i), n, int(p), int(d), bool(a)) for i, n, p, d, a in
            _db().execute_sql("SELECT id, name, price_minor, validity_days, active FROM package")}


@access.requires(Permission.IMPORT_EXPORT)
def apply_import(preview: Preview, *, create_packages: Sequence[NewPackage] = (), actor: str | None = None,
                 progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                 batch_rows: int = BATCH_ROWS, report: Path | None = None) -> ApplyResult:
    """Write the preview's new and updated rows in batches (see the module docstring)."""
    from ispclient.store import audit, changes, clients, provisioning, settings
    from ispclient.store.db import atomic

    who = actor or audit.current_actor()
    s = settings.load()
    result = ApplyResult()
    result.packages_created = _create_packages(create_packages, s.currency, actor)
    servers = {int(i): n for i, n in _db().execute_sql("SELECT id, name FROM server")}
    cipher = None
    if preview.key_id is not None:
        from ispclient.store import secrets

        cipher = secrets.cipher(create=False)
    ctx = _Context(preview, who, _read_packages(), s.currency, s.timezone,
                   _Codes(clients.suggest_client_code(), set(preview.file_codes)), cipher,
                   preview.info.path.name, servers, s.receipt_prefix, _code_index())
    total = preview.to_write
    result.batches_total = max(1, -(-total // batch_rows)) if total else 0
    done = 0
    batch: list[Prepared] = []
    touched = 0

    def flush() -> bool:
        nonlocal done, touched
        if not batch:
            return True
        if cancelled is not None and cancelled():
            result.stopped = "cancelled"
            return False
        try:
            try:
                with atomic():
                    out = _write_batch(batch, ctx)
            except (peewee.IntegrityError, sqlite3.IntegrityError):
                # Another PC saved the same Client ID or username between our check and our
                # insert (the unique index said so, and the batch was undone): check again, now
                # seeing their row, which refuses just that row.
                log.info("import batch %d met a row saved on another PC; trying it again", result.batches + 1)
                with atomic():
                    out = _write_batch(batch, ctx)
        except ImportCancelled:
            result.stopped = "cancelled"
            return False
        except Exception as e:  # noqa: BLE001 - reported: the batch was rolled back whole
            from ispclient.store.errors import user_message

            log.exception("import batch %d failed", result.batches + 1)
            text = next(iter(e.errors.values())) if isinstance(e, ValidationError) else (user_message(e) or
                                                                                      f"{type(e).__name__}: {e}")
            result.stopped = f"batch {result.batches + 1} failed and was undone: {text}"
            return False
        result.batches += 1
        result.lines_in.append((batch[0].line, batch[-1].line))
        result.created += out.created
        result.updated += out.updated
        result.unchanged += out.unchanged
        result.subscriptions += out.subscriptions
        result.payments += out.payments
        result.openings += out.openings
        result.rejected.extend(out.rejected)
        touched += out.created + out.updated
        done += len(batch)
        batch.clear()
        if progress is not None:
            progress(done, total)
        return True

    pending_rejects: list[Rejected] = []
    stopped_at: int | None = None
    pause = Yielder()  # the GUI thread gets the GIL now and then (see yielding.py)
    with _rare_checkpoints():
        for row in preview:
            pause()
            if stopped_at is not None:
                break
            if row.verdict in (Verdict.NEW, Verdict.UPDATE):
                batch.append(row)
                if len(batch) >= batch_rows and not flush():
                    stopped_at = row.line
            elif row.verdict in (Verdict.ERROR, Verdict.DUPLICATE):
                pending_rejects.append(Rejected(row.line, row.message, row.cells))
        if stopped_at is None:
            flush()
    result.rejected = sorted(pending_rejects + result.rejected, key=lambda r: r.line)
    if touched > MANY_CLIENTS:
        changes.note(all_clients=True)  # cheaper for the windows than re-reading each client
    if result.created or result.updated or result.subscriptions or result.openings:
        with atomic():
            audit.record("client.import", "import", None,
                         summary=f"Import of {preview.info.path.name}: {result.summary()}", actor=actor,
                         after={"file": preview.info.path.name, "created": result.created, "updated": result.updated,
                                "rejected": len(result.rejected), "stopped": result.stopped})
        if s.manage_secrets:
            counts = provisioning.sync_all(actor=who, reason=f"Clients imported from {preview.info.path.name}")
            result.router_changes = counts.queued
    if report is not None and result.rejected:
        result.report = write_report(report, preview.header, result.rejected)
    return result


def write_report(path: Path, header: Sequence[str], rejected: Sequence[Rejected]) -> Path:
    """The rows not imported, each with why: the file's own columns first (to fix and import
    again), then its row number and the reason. Passwords are left out."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([cells.neutralise(h) for h in header] + ["Row in file", "Why it was not imported"])
        for r in rejected:
            padded = list(r.cells) + [""] * (len(header) - len(r.cells))
            out.writerow([cells.neutralise(c) for c in padded] + [r.line, cells.neutralise(r.reason)])
    return path


def default_report_path(source: Path, fallback_dir: Path) -> Path:
    """Next to the imported file, else in ``fallback_dir`` (a read-only folder, a USB stick…)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    name = f"{source.stem}-not-imported-{stamp}.csv"
    folder = source.parent
    try:
        probe = folder / f".{name}.probe"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
        return folder / name
    except OSError:
        fallback_dir.mkdir(parents=True, exist_ok=True)
        return fallback_dir / name
