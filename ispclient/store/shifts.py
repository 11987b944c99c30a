"""Shifts: each staff member takes money within their own open shift, closed by a cash-up.

* A payment recorded by a signed-in staff member belongs to their open shift; when they have
  none, one is opened then (with no float) — :func:`for_payment`, called inside the payment's
  transaction. The system's payments (the demo, an import) belong to no shift.
* One open shift per member whichever PC they use (a partial unique index, and their staff row
  locked while a shift is found or opened), so two PCs never open two.
* Closing it records what the till should hold per method (``domain/shifts.py``), the cash
  counted and the difference, and the totals as they were. A closed shift never changes: money
  corrected later (a void, a refund) is a new entry in the shift of whoever makes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ispclient.domain import clock
from ispclient.domain import shifts as rules
from ispclient.domain.clock import utcnow
from ispclient.domain.dates import format_moment
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money, parse_amount
from ispclient.domain.permissions import Permission
from ispclient.store import access, audit, settings
from ispclient.store.db import atomic, db, lock_row
from ispclient.store.errors import RecordDeleted
from ispclient.store.models import Shift, Staff

MAX_NOTE = 1000


@dataclass(frozen=True)
class ShiftView:
    id: int
    staff_id: int
    staff_name: str
    opened_at: datetime
    opened_pc: str
    opening_float_minor: int
    closed_at: datetime | None
    closed_pc: str
    expected_cash_minor: int | None
    counted_cash_minor: int | None
    difference_minor: int | None
    note: str
    payment_count: int = 0
    taken_minor: int = 0  # money in less money out, every method

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class ShiftReport:
    """Everything the cash-up shows and prints."""

    shift: ShiftView
    entries: tuple[rules.TillEntry, ...]
    cash_up: rules.CashUp  # a closed shift's: the totals as they were at its close
    currency: str
    timezone: str
    isp_name: str = ""


def _view(row: Shift, name: str, count: int = 0, taken: int = 0) -> ShiftView:
    return ShiftView(row.id, row.staff_id, name, row.opened_at, row.opened_pc, row.opening_float_minor,
                     row.closed_at, row.closed_pc, row.expected_cash_minor, row.counted_cash_minor,
                     row.difference_minor, row.note, count, taken)


def _open_for(staff_id: int) -> Shift | None:
    return Shift.get_or_none((Shift.staff == staff_id) & Shift.closed_at.is_null())


def _open_new(staff_id: int, float_minor: int, how: str) -> Shift:
    row = Shift.create(staff=staff_id, opening_float_minor=float_minor, opened_pc=audit.pc_name())
    currency = settings.load().currency
    audit.record("shift.open", "shift", row.id,
                 summary=f"Shift opened {how}" + (f" with a float of {format_money(float_minor, currency)}"
                                                  if float_minor else ""),
                 after={"opening_float_minor": float_minor, "pc": row.opened_pc})
    return row


def for_payment() -> int | None:
    """The id of the signed-in member's open shift, opened now if they have none; call inside
    the transaction that records the money. None for the system."""
    staff_id = access.staff_id()
    if staff_id is None:
        return None
    lock_row("staff", staff_id)  # two PCs of one member: one finds the other's new shift
    row = _open_for(staff_id)
    if row is None:
        row = _open_new(staff_id, 0, "with the first payment")
    return int(row.id)


@access.requires(Permission.TAKE_PAYMENTS)
def open_shift(opening_float: str = "") -> ShiftView:
    """Start a shift with the cash already in the drawer (the float; empty: none)."""
    actor = access.check(Permission.TAKE_PAYMENTS)
    if actor.staff_id is None:
        raise ValidationError.single("__all__", "Shifts belong to staff members: sign in first.")
    s = settings.load()
    float_minor = parse_amount(opening_float, s.currency, allow_zero=True,
                               decimal_separator=s.decimal_separator) if str(opening_float).strip() else 0
    with atomic():
        lock_row("staff", actor.staff_id)
        if _open_for(actor.staff_id) is not None:
            raise ValidationError.single("__all__", "Your shift is already open; close it before opening another.")
        row = _open_new(actor.staff_id, float_minor, "")
    return _view(row, actor.name)


def my_open_shift() -> ShiftView | None:
    """The signed-in member's open shift, if any (a read)."""
    actor = access.current()
    if actor is None or actor.staff_id is None:
        return None
    row = _open_for(actor.staff_id)
    if row is None:
        return None
    count, taken = _counts([row.id]).get(row.id, (0, 0))
    return _view(row, actor.name, count, taken)


def _till_entries(shift_id: int) -> list[rules.TillEntry]:
    """The money taken in the shift, as till entries: payments (money in), refunds (money out, a
    negative amount) and voided ones marked (the ledger of domain/ledger.py; a move to or from
    credit changes no till and has no shift). A closed shift reads as it was closed: an entry
    voided after the close is not marked, as its totals counted it."""
    p = db.obj.param
    cursor = db.execute_sql(
        "SELECT y.id, y.kind, y.method, y.amount_minor, y.paid_at, y.receipt_no, c.name, c.client_code, y.taken_by, "
        "y.voided_at, y.void_reason, s.closed_at, y.reference FROM payment y JOIN client c ON c.id = y.client_id "
        f"JOIN shift s ON s.id = y.shift_id WHERE y.shift_id = {p} ORDER BY y.paid_at, y.id", (shift_id,))
    entries = []
    for pid, kind, method, amount, at, receipt, name, code, taken_by, voided_at, void_reason, closed_at, reference \
            in cursor:
        voided = voided_at is not None and (closed_at is None or _as_datetime(voided_at) <= _as_datetime(closed_at))
        entries.append(rules.TillEntry(pid, kind, method, int(amount), _as_datetime(at), voided=voided,
                                       receipt=receipt, client=f"{name} ({code})", taken_by=taken_by,
                                       void_reason=void_reason if voided else "", reference=reference or ""))
    return entries


def _as_datetime(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _counts(shift_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not shift_ids:
        return {}
    p = db.obj.param
    cursor = db.execute_sql(
        # As _till_entries: a closed shift counts what was voided after its close, as it was closed.
        "SELECT y.shift_id, COUNT(*), COALESCE(SUM(y.amount_minor), 0) FROM payment y JOIN shift s ON s.id = "
        "y.shift_id WHERE (y.voided_at IS NULL OR y.voided_at > s.closed_at) "
        f"AND y.shift_id IN ({','.join([p] * len(shift_ids))}) GROUP BY y.shift_id", shift_ids)
    return {int(sid): (int(n), int(total)) for sid, n, total in cursor.fetchall()}


def _totals_json(cash_up: rules.CashUp) -> str:
    return json.dumps([{"method": m.method, "payments": m.payments_minor, "payment_count": m.payment_count,
                        "refunds": m.refunds_minor, "refund_count": m.refund_count, "voided": m.voided_minor,
                        "voided_count": m.voided_count} for m in cash_up.methods])


def _totals_from(text: str, opening_float: int, voided: tuple[rules.TillEntry, ...]) -> rules.CashUp:
    methods = tuple(rules.MethodTotal(d["method"], d["payments"], d["payment_count"], d["refunds"],
                                      d["refund_count"], d["voided"], d["voided_count"])
                    for d in json.loads(text or "[]"))
    return rules.CashUp(methods, opening_float, voided)


def _readable(row: Shift) -> None:
    """A member reads their own shifts; a manager or the owner reads everyone's."""
    actor = access.check_signed_in()
    if actor.staff_id != row.staff_id:
        access.check(Permission.SEE_ALL_SHIFTS)


def _report(row: Shift) -> ShiftReport:
    s = settings.load()
    entries = tuple(_till_entries(row.id))
    if row.closed_at is not None:
        cash_up = _totals_from(row.totals, row.opening_float_minor, rules.cash_up(entries).voided)
    else:
        cash_up = rules.cash_up(entries, row.opening_float_minor, settings.PAYMENT_METHODS)
    count, taken = _counts([row.id]).get(row.id, (0, 0))
    name = Staff.get_by_id(row.staff_id).display_name
    return ShiftReport(_view(row, name, count, taken), entries, cash_up, s.currency, s.timezone)


@access.signed_in
def shift_report(shift_id: int) -> ShiftReport:
    """The cash-up of one shift (open: as it stands now; closed: as it was closed)."""
    row = Shift.get_or_none(Shift.id == shift_id)
    if row is None:
        raise RecordDeleted("There is no such shift.")
    _readable(row)
    return _report(row)


@access.requires(Permission.TAKE_PAYMENTS)
def close_shift(shift_id: int, counted_cash: str, note: str = "") -> ShiftReport:
    """The cash-up: the expected totals as they are now, the cash counted, the difference.
    Your own shift; a manager or the owner may close anyone's (a cashier who went home)."""
    s = settings.load()
    counted = parse_amount(counted_cash, s.currency, allow_zero=True, decimal_separator=s.decimal_separator) \
        if str(counted_cash).strip() else None
    if counted is None:
        raise ValidationError.single("counted_cash", "Type the cash counted in the drawer (0 if none).")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError.single("note", f"The note has at most {MAX_NOTE} characters.")
    with atomic():
        found = Shift.select(Shift.staff).where(Shift.id == shift_id).tuples().first()
        if found is None:
            raise RecordDeleted("There is no such shift.")
        lock_row("staff", found[0])  # no payment of that member slips in while the totals are made
        row = Shift.get_by_id(shift_id)
        _readable(row)
        if row.closed_at is not None:
            tz = s.timezone
            raise ValidationError.single(
                "__all__", f"This shift was already closed at {format_moment(row.closed_at, tz)}; a closed shift "
                           "can't change. Corrections are new entries in an open shift.")
        cash_up = rules.cash_up(_till_entries(row.id), row.opening_float_minor, settings.PAYMENT_METHODS)
        row.closed_at = utcnow()
        row.closed_pc = audit.pc_name()
        row.expected_cash_minor = cash_up.expected_cash_minor
        row.counted_cash_minor = counted
        row.difference_minor = cash_up.difference(counted)
        row.totals = _totals_json(cash_up)
        row.note = note
        row.save()
        diff = rules.describe_difference(row.difference_minor, format_money(abs(row.difference_minor), s.currency))
        audit.record("shift.close", "shift", row.id,
                     summary=f"Shift closed: cash expected {format_money(row.expected_cash_minor, s.currency)}, "
                             f"counted {format_money(counted, s.currency)} — {diff}",
                     after={"expected_cash_minor": row.expected_cash_minor, "counted_cash_minor": counted,
                            "difference_minor": row.difference_minor, "note": note})
    return _report(row)


def day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The ISP's calendar day as naive UTC (how timestamps are stored)."""
    tz = clock.zone(tz_name)

    def midnight(d: date) -> datetime:
        naive = datetime.combine(d, time())
        return (naive.replace(tzinfo=tz) if tz else naive.astimezone()).astimezone(UTC).replace(tzinfo=None)

    return midnight(day), midnight(day + timedelta(days=1))


def _list(query: object) -> list[ShiftView]:
    rows = list(query)  # type: ignore[call-overload]
    counts = _counts([r.id for r in rows])
    names = {r.id: r.display_name for r in Staff.select(Staff.id, Staff.display_name)}
    return [_view(r, names.get(r.staff_id, "?"), *counts.get(r.id, (0, 0))) for r in rows]


@access.requires(Permission.SEE_ALL_SHIFTS)
def shifts_of_day(day: date) -> list[ShiftView]:
    """Every member's shift that was open at some time of that day (the ISP's time zone)."""
    start, end = day_bounds(day, settings.load().timezone)
    query = Shift.select().where((Shift.opened_at < end) & (Shift.closed_at.is_null() | (Shift.closed_at >= start))) \
        .order_by(Shift.opened_at, Shift.id)
    return _list(query)


@access.signed_in
def my_shifts(limit: int = 30) -> list[ShiftView]:
    """The signed-in member's latest shifts, newest first."""
    actor = access.check_signed_in()
    if actor.staff_id is None:
        return []
    return _list(Shift.select().where(Shift.staff == actor.staff_id).order_by(Shift.opened_at.desc()).limit(limit))
