"""Shifts and the cash-up: totals per method against hand-computed figures, the closed shift
read-only, a manager's view of the day, and two cashiers on two PCs at once."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import peewee
import pytest

from ispclient.domain import shifts as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import SYSTEM, Actor, PermissionDenied
from ispclient.store import access, balances, shifts, staff
from ispclient.store import subscriptions as subs
from ispclient.store.models import AuditEvent, Payment, Shift

from .child import run_together
from .conftest import PG_URL, Factory

PW = "shift-test-pw-1"
AT = datetime(2026, 1, 15, 9, 0)


def test_cash_up_against_hand_computed_totals() -> None:
    """Cash, mobile money, a bank transfer, a voided payment and two refunds; a float of 1,000.00.

    By hand (amounts in cents):
      Cash:         1,500.00 + 2,500.00 = 4,000.00 taken; 500.00 refunded; 700.00 voided (not counted)
                    expected 3,500.00; in the drawer with the float: 4,500.00
      Mobile money: 3,000.00 + 1,200.00 = 4,200.00 taken; 200.00 refunded → 4,000.00
      Bank transfer: 9,500.00 → 9,500.00
      Total expected 17,000.00. Counted cash 4,450.00 → short by 50.00.
    """
    entries = [
        rules.TillEntry(1, rules.PAYMENT, "Cash", 150_000, AT),
        rules.TillEntry(2, rules.PAYMENT, "Mobile money", 300_000, AT),
        rules.TillEntry(3, rules.PAYMENT, "cash", 250_000, AT),  # typed in lower case: still cash
        rules.TillEntry(4, rules.PAYMENT, "Cash", 70_000, AT, voided=True, void_reason="Typed twice"),
        rules.TillEntry(5, rules.REFUND, "Cash", -50_000, AT),
        rules.TillEntry(6, rules.PAYMENT, "Bank transfer", 950_000, AT),
        rules.TillEntry(7, rules.PAYMENT, "Mobile money", 120_000, AT),
        rules.TillEntry(8, rules.REFUND, "Mobile money", -20_000, AT),
        rules.TillEntry(9, "transfer", "Credit", 0, AT),  # credit moved: no money changes hands
    ]
    up = rules.cash_up(entries, opening_float_minor=100_000, known_methods=("Cash", "Bank transfer", "Mobile money"))
    assert [m.method for m in up.methods] == ["Cash", "Bank transfer", "Mobile money"]
    cash = up.method("Cash")
    assert (cash.payments_minor, cash.payment_count, cash.refunds_minor, cash.voided_minor, cash.voided_count) == \
        (400_000, 2, 50_000, 70_000, 1)
    assert cash.expected_minor == 350_000 and up.expected_cash_minor == 450_000
    assert up.method("Mobile money").expected_minor == 400_000
    assert up.method("Bank transfer").expected_minor == 950_000
    assert up.expected_total_minor == 1_700_000
    assert [e.id for e in up.voided] == [4]
    assert up.difference(445_000) == -5_000
    assert rules.describe_difference(-5_000, "KES 50.00") == "Short by KES 50.00"
    assert rules.describe_difference(0, "") == "Balanced"


def _people() -> tuple[Actor, Actor, Actor]:
    owner = staff.create_first_owner("olive", "Olive Owner", PW)
    with access.acting_as(owner):
        a = staff.actor_of(staff.create_staff(staff.StaffInput("cate", "Cate Cashier", "cashier", True, PW)))
        b = staff.actor_of(staff.create_staff(staff.StaffInput("carl", "Carl Cashier", "cashier", True, PW)))
        m = staff.actor_of(staff.create_staff(staff.StaffInput("mary", "Mary Manager", "manager", True, PW)))
    return a, b, m


def test_payments_go_to_the_takers_shift_and_the_close_records_the_count(
        db: peewee.Database, make: Factory, clock: object) -> None:
    package = make.package(price="1500")
    client = make.client()
    cate, carl, mary = _people()
    with access.acting_as(cate):
        opened = shifts.open_shift("1,000")
        sub = subs.create_subscription(client, package, date(2026, 1, 15), payment=subs.PaymentInput("1500"))
        subs.record_payment(sub.id, subs.PaymentInput("3000", "Mobile money", "QK7"))
        subs.record_payment(sub.id, subs.PaymentInput("200", "cash"))
    with access.acting_as(carl):
        subs.record_payment(sub.id, subs.PaymentInput("999", "Cash"))  # opens Carl's shift by itself
    with access.acting_as(SYSTEM):
        subs.record_payment(sub.id, subs.PaymentInput("50", "Cash"))  # the system's: no shift
    by_shift = {p.amount_minor: p.shift_id for p in Payment.select()}
    carls = Shift.get(Shift.staff == carl.staff_id).id
    assert by_shift == {150_000: opened.id, 300_000: opened.id, 20_000: opened.id, 99_900: carls, 5_000: None}

    with access.acting_as(cate):
        report = shifts.close_shift(opened.id, "2,650", "Two notes of 50 short")
    # Expected cash: float 1,000 + 1,500 + 200 = 2,700; counted 2,650 → short 50.
    assert report.cash_up.expected_cash_minor == 270_000
    assert report.cash_up.method("Mobile money").expected_minor == 300_000
    closed = Shift.get_by_id(opened.id)
    assert (closed.expected_cash_minor, closed.counted_cash_minor, closed.difference_minor) == \
        (270_000, 265_000, -5_000)
    assert closed.closed_at is not None and closed.note == "Two notes of 50 short"
    event = AuditEvent.select().where(AuditEvent.action == "shift.close").get()
    assert "Short by USD 50.00" in event.summary and event.actor == "Cate Cashier"

    # Closed means read-only: no second close, and the next payment starts a new shift.
    with access.acting_as(cate):
        with pytest.raises(ValidationError, match="already closed"):
            shifts.close_shift(opened.id, "2,700")
        later = subs.record_payment(sub.id, subs.PaymentInput("100"))
        assert later.shift_id not in (None, opened.id)
        again = shifts.shift_report(opened.id)
    assert again.cash_up == report.cash_up and again.shift.counted_cash_minor == 265_000

    # A cashier sees their own shifts only; a manager sees every shift of the day.
    with access.acting_as(carl), pytest.raises(PermissionDenied, match="see every shift"):
        shifts.shift_report(opened.id)
    with access.acting_as(carl), pytest.raises(PermissionDenied, match="see every shift"):
        shifts.shifts_of_day(date.today())
    with access.acting_as(mary):
        day = shifts.shifts_of_day(date.today())
        assert {(s.staff_name, s.is_open) for s in day} == {
            ("Cate Cashier", False), ("Carl Cashier", True), ("Cate Cashier", True)}
        assert shifts.shift_report(carls).cash_up.expected_cash_minor == 99_900
        shifts.close_shift(carls, "999")  # a manager closes the shift of a cashier who went home
    assert Shift.get_by_id(carls).difference_minor == 0


def test_one_open_shift_per_member(db: peewee.Database, make: Factory) -> None:
    cate, _carl, _mary = _people()
    with access.acting_as(cate):
        shifts.open_shift()
        with pytest.raises(ValidationError, match="already open"):
            shifts.open_shift()
    with pytest.raises(peewee.IntegrityError):  # the index holds even past the service
        Shift.create(staff=cate.staff_id)


@pytest.mark.postgres
def test_two_cashiers_on_two_pcs_at_once_on_postgresql(db: peewee.Database, make: Factory, tmp_path: Path) -> None:
    """Each PC signs in its own cashier and takes 20 payments at the same moment on the same
    subscriptions, then closes its shift: each shift holds exactly its own payments and totals."""
    if not PG_URL or not isinstance(db, peewee.PostgresqlDatabase):
        pytest.skip("two PCs share a PostgreSQL database")
    from argon2 import PasswordHasher

    staff.use_hasher(PasswordHasher())  # the children hash with the real parameters
    package = make.package(price="100")
    ids = [make.subscription(make.client(f"Client {i}"), package, date(2026, 1, 1)) for i in range(20)]
    _people()
    joined = ",".join(map(str, ids))
    a, b = run_together(tmp_path, ("shift-pay", PG_URL, "cate", PW, joined, "Cash", "150", "3000"),
                        ("shift-pay", PG_URL, "carl", PW, joined, "Mobile money", "70", ""))
    assert a["shift"] != b["shift"]
    assert (a["expected_cash"], a["difference"], a["total"]) == (300_000, 0, 300_000)
    assert (b["expected_cash"], b["difference"], b["total"]) == (0, None, 140_000)  # Carl's still open
    for result, shift_id in ((a, a["shift"]), (b, b["shift"])):
        mine = {p.id for p in Payment.select().where(Payment.shift == shift_id)}
        assert mine == set(result["payments"]) == set(result["entries"])  # type: ignore[arg-type]
    assert Shift.select().count() == 2 and Payment.select().count() == 40


@pytest.mark.postgres
def test_one_cashier_on_two_pcs_at_once_gets_one_shift(db: peewee.Database, make: Factory, tmp_path: Path) -> None:
    if not PG_URL or not isinstance(db, peewee.PostgresqlDatabase):
        pytest.skip("two PCs share a PostgreSQL database")
    from argon2 import PasswordHasher

    staff.use_hasher(PasswordHasher())
    package = make.package(price="100")
    ids = [make.subscription(make.client(f"Client {i}"), package, date(2026, 1, 1)) for i in range(10)]
    _people()
    joined = ",".join(map(str, ids))
    a, b = run_together(tmp_path, ("shift-pay", PG_URL, "cate", PW, joined, "Cash", "10", ""),
                        ("shift-pay", PG_URL, "cate", PW, joined, "Cash", "10", ""))
    assert a["shift"] == b["shift"]
    assert Shift.select().count() == 1 and Payment.select().where(Payment.shift == a["shift"]).count() == 20


def test_the_cash_up_counts_voids_and_refunds_taken_through_the_services(
        db: peewee.Database, make: Factory, clock: object) -> None:
    """Cate's shift, float 1,000.00: 1,500.00 cash, a 15,000.00 cash typo (voided by Mary before
    the close), 3,000.00 mobile money. Mary gives back 500.00 cash and 200.00 mobile money from
    the credit: refunds leave Mary's drawer, not Cate's.

    By hand: Cate's cash expected 1,000 + 1,500 = 2,500.00 (the typo not counted, listed as void);
    mobile money 3,000.00. Counted 2,450.00 → short by 50.00. Mary's shift: cash −500.00,
    mobile money −200.00. A void after the close leaves the closed totals as they were."""
    from ispclient.store import money

    package = make.package(price="1500")
    client = make.client()
    cate, _carl, mary = _people()
    with access.acting_as(cate):
        opened = shifts.open_shift("1,000")
        sub = subs.create_subscription(client, package, date(2026, 1, 15), payment=subs.PaymentInput("1500", "Cash"))
        typo = subs.record_payment(sub.id, subs.PaymentInput("15000", "Cash"))  # all to credit: January is paid
        subs.record_payment(sub.id, subs.PaymentInput("3000", "Mobile money", "QK9"))
    with access.acting_as(mary):
        money.void(typo.id, "Typed 15,000 instead of 1,500")
        back_cash = money.refund(client, money.RefundInput("500", "Cash"))
        back_mobile = money.refund(client, money.RefundInput("200", "Mobile money", "RF-7"))
    marys = Shift.get(Shift.staff == mary.staff_id).id
    assert {back_cash.shift_id, back_mobile.shift_id} == {marys} and typo.shift_id == opened.id

    with access.acting_as(cate):
        report = shifts.close_shift(opened.id, "2,450")
    up = report.cash_up
    cash = up.method("Cash")
    assert (cash.payments_minor, cash.payment_count, cash.refunds_minor, cash.voided_minor, cash.voided_count) == \
        (150_000, 1, 0, 1_500_000, 1)
    assert (up.expected_cash_minor, up.method("Mobile money").expected_minor) == (250_000, 300_000)
    assert up.expected_total_minor == 450_000
    assert [e.id for e in up.voided] == [typo.id] and up.voided[0].void_reason == "Typed 15,000 instead of 1,500"
    assert Shift.get_by_id(opened.id).difference_minor == -5_000
    assert report.shift.payment_count == 2 and report.shift.taken_minor == 450_000  # the void left out

    with access.acting_as(mary):
        mine = shifts.shift_report(marys).cash_up
        assert (mine.method("Cash").refunds_minor, mine.method("Cash").refund_count) == (50_000, 1)
        assert (mine.expected_cash_minor, mine.method("Mobile money").expected_minor) == (-50_000, -20_000)
        # A correction after Cate's close: the closed shift keeps the totals it was closed with.
        first = Payment.get((Payment.shift == opened.id) & (Payment.amount_minor == 150_000))
        money.void(first.id, "Wrong client")
        again = shifts.shift_report(opened.id)
    assert again.cash_up.expected_cash_minor == 250_000 and again.cash_up.method("Cash").payments_minor == 150_000
    # …and its list of voids and its count as they were at the close: the late void is not among them.
    assert [e.id for e in again.cash_up.voided] == [typo.id]
    assert (again.shift.payment_count, again.shift.taken_minor) == (2, 450_000)
    assert not next(e for e in again.entries if e.id == first.id).voided
    assert Payment.get_by_id(first.id).voided_at is not None  # the void itself stands, in the ledger


def test_a_payment_that_also_pays_older_subscriptions_counts_its_cash_once(
        db: peewee.Database, make: Factory, clock: object) -> None:
    """KES 10,500 taken on the current subscription pays two older ones too (credit transfers):
    the shift counts the 10,500 once, as one payment."""
    home10 = make.package("Home 10 Mbps", price="3500")
    client = make.client()
    old = subs.create_subscription(client, home10, date(2025, 12, 16))
    mid = subs.create_subscription(client, home10, date(2026, 1, 15))
    nxt = subs.create_subscription(client, home10, date(2026, 2, 14))
    cate, _carl, _mary = _people()
    with access.acting_as(cate):
        opened = shifts.open_shift("500")
        pay = subs.record_payment(old.id, subs.PaymentInput("10500", "Cash"))
        report = shifts.shift_report(opened.id)
    assert Payment.select().where(Payment.kind == "transfer").count() == 2  # 3,500 each to the other two
    assert Payment.get_by_id(pay.id).credit_minor == 700_000
    assert {p.subscription_id for p in Payment.select().where(Payment.kind == "transfer")} == {mid.id, nxt.id}
    assert balances.balances([client])[client] == 0 and balances.credit(client) == 0
    assert report.cash_up.method("Cash").payments_minor == 1_050_000
    assert report.cash_up.method("Cash").payment_count == 1
    assert report.cash_up.expected_cash_minor == 50_000 + 1_050_000
    assert report.cash_up.expected_total_minor == 1_050_000
