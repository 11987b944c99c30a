"""The counter's money, with concrete amounts, on SQLite and PostgreSQL: voids, refunds, credit,
cancelled subscriptions, receipt numbers and the kept balance — each one transaction with its
audit event, nothing ever deleted, bad input refused with a message and nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import peewee
import pytest

from ispclient.domain.errors import ValidationError
from ispclient.store import balances, money, queries, receipts, settings
from ispclient.store import subscriptions as subs
from ispclient.store.models import AuditEvent, Client, Counter, Payment, Subscription

from .child import run_together
from .conftest import PG_URL, Clock, Factory

JAN = date(2026, 1, 1)


@pytest.fixture
def shop(make: Factory, clock: Clock) -> Iterator[tuple[int, int]]:
    """A client and the 1,500.00 package; balances checked against the sums after every test."""
    cid, pkg = make.client(), make.package(price="1500")
    yield cid, pkg
    assert balances.drift() == [], "the kept balance drifted from the ledger"


def detail(cid: int) -> queries.ClientDetail:
    return queries.client_detail(cid, settings.today())


def list_balance(cid: int) -> int:
    """What the client list reads: its SQL expression on the client row."""
    row = Client._meta.database.execute_sql(  # type: ignore[attr-defined]
        f"SELECT {balances.client_balance_sql('c')} FROM client c WHERE c.id = {Client._meta.database.param}",
        (cid,)).fetchone()
    return int(row[0])


def audit_of(action: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


def state() -> tuple[object, ...]:
    """Everything money-related, to prove a refusal changed nothing."""
    return (
        sorted((p.id, p.amount_minor, p.credit_minor, p.voided_at, p.receipt_no) for p in Payment.select()),
        sorted((c.id, c.balance_minor) for c in Client.select()),
        sorted((s.id, s.cancelled_at) for s in Subscription.select()),
        receipts.last_number(), AuditEvent.select().count(),
    )


def refused(fn: Callable[..., object], *args: object, **kw: object) -> dict[str, str]:
    before = state()
    with pytest.raises(ValidationError) as e:
        fn(*args, **kw)
    assert state() == before, "a refused call changed something"
    return e.value.errors


# -- void ------------------------------------------------------------------------------------

def test_void_changes_balance_revenue_quick_stats_and_the_list(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    jan = make.subscription(cid, pkg, JAN, payment=subs.PaymentInput("1500", "Cash"))
    feb = subs.renew_subscription(jan)
    typo = subs.record_payment(feb.id, subs.PaymentInput("15000", "Mobile money", "QK8ABC"))
    # 1,500 pays February, 13,500 beyond it is kept as credit.
    assert (typo.amount_minor, typo.credit_minor, typo.receipt_no) == (1500000, 1350000, "R-000002")
    d = detail(cid)
    assert (d.balance_minor, d.credit_minor, d.stats.total_revenue_minor) == (-1350000, 1350000, 1650000)
    assert list_balance(cid) == balances.balances([cid])[cid] == -1350000
    assert typo.balance_after_minor == -1350000

    voided = money.void(typo.id, "Typed 15,000 instead of 1,500", actor="amina")
    assert voided.void_receipt_no == "R-000003"
    d = detail(cid)
    assert (d.balance_minor, d.credit_minor, d.stats.total_revenue_minor) == (150000, 0, 150000)
    assert list_balance(cid) == balances.balances([cid])[cid] == 150000
    assert d.subscription(feb.id).paid_minor == 0 and d.subscription(feb.id).balance_minor == 150000  # type: ignore[union-attr]
    kept = d.payment(typo.id)
    assert kept is not None and kept.is_void and kept.void_reason == "Typed 15,000 instead of 1,500"
    assert kept.amount_minor == 1500000  # the entry stays as it was, marked void
    event = audit_of("payment.void")[-1]
    before, after = json.loads(event.before), json.loads(event.after)
    assert (before["voided_at"], before["client_balance"], before["client_credit"]) == (None, -1350000, 1350000)
    assert (after["void_reason"], after["client_balance"], after["client_credit"]) == (
        "Typed 15,000 instead of 1,500", 150000, 0)
    assert event.actor == "amina" and "R-000003: receipt R-000002" in event.summary


def test_void_twice_and_void_without_reason_are_refused(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN, payment=subs.PaymentInput("1500"))
    pay = Payment.get(Payment.subscription == sid)
    assert "Say why it is voided" in refused(money.void, pay.id, "  ")["reason"]
    money.void(pay.id, "Wrong client", actor="amina")
    message = refused(money.void, pay.id, "again")["__all__"]
    assert message.startswith("Receipt R-000001 was already voided (by amina at ") and "R-000002" in message


def test_a_void_that_would_leave_negative_money_is_refused(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN, payment=subs.PaymentInput("3000"))  # 1,500 to credit
    pay = Payment.get(Payment.subscription == sid)
    money.refund(cid, money.RefundInput("1000", "Cash"))  # from the credit
    assert "credit this entry gave has since been used or refunded" in refused(money.void, pay.id, "typo")["__all__"]


# -- refunds --------------------------------------------------------------------------------

def test_refund_from_credit_and_from_a_subscription(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN, payment=subs.PaymentInput("2000"))  # 500 to credit
    back = money.refund(cid, money.RefundInput("500", "Mobile money", "RF-1"), actor="amina")
    assert (back.kind, back.amount_minor, back.credit_minor, back.subscription_id) == ("refund", -50000, -50000, None)
    assert (back.method, back.reference, back.receipt_no) == ("Mobile money", "RF-1", "R-000002")
    d = detail(cid)
    assert (d.balance_minor, d.credit_minor, d.stats.total_revenue_minor) == (0, 0, 150000)
    part = money.refund(cid, money.RefundInput("400"), subscription_id=sid)
    d = detail(cid)
    assert d.subscription(sid).paid_minor == 110000  # type: ignore[union-attr]
    assert (d.balance_minor, d.stats.total_revenue_minor) == (40000, 110000)
    event = audit_of("payment.refund")[-1]
    assert json.loads(event.before)["client_balance"] == 0 and json.loads(event.after)["client_balance"] == 40000
    assert part.balance_after_minor == 40000


def test_refund_more_than_was_paid_is_refused(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN, payment=subs.PaymentInput("1000"))
    assert refused(money.refund, cid, money.RefundInput("1000.01"), subscription_id=sid)["amount"] == (
        "That is more than the subscription “Home 10M” holds: at most USD 1,000.00 can be refunded.")
    assert refused(money.refund, cid, money.RefundInput("5"))["amount"] == (
        "There is nothing to refund: the client's credit holds no money.")
    assert "without a minus sign" in refused(money.refund, cid, money.RefundInput("-5"), subscription_id=sid)["amount"]


# -- payments: bad input ----------------------------------------------------------------------

def test_negative_or_empty_payments_are_refused(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN)
    assert refused(subs.record_payment, sid, subs.PaymentInput("-1500"))["amount"] == (
        "A payment can't be negative. To give money back, record a refund.")
    assert refused(subs.record_payment, sid, subs.PaymentInput(""))["amount"] == "Enter an amount."
    assert refused(subs.record_payment, sid, subs.PaymentInput("", use_credit=True))["amount"] == (
        "The client has no credit to use; enter the amount received.")
    assert refused(subs.record_payment, sid, subs.PaymentInput("100", tendered="50"))["tendered"] == (
        "The cash handed over is less than the amount received.")


def test_a_duplicate_mobile_money_reference_is_refused_until_confirmed(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    other = make.client("Baraka Otieno")
    sid = make.subscription(cid, pkg, JAN, payment=subs.PaymentInput("1500", "Mobile money", "QK8ABC"))
    theirs = make.subscription(other, pkg, JAN)
    errors = refused(subs.record_payment, theirs, subs.PaymentInput("1500", "Mobile money", "qk8abc"))
    assert errors["reference"].startswith("Reference “qk8abc” is already on receipt R-000001 (USD 1,500.00 "
                                          "Mobile money, ")
    assert "Amina Wanjiru (T00001)" in errors["reference"] and "Record it anyway" in errors["reference"]
    assert money.duplicate_message("QK8ABC") is not None and money.duplicate_message("other") is None
    # The number the refused payment took went back: the next one follows without a gap.
    ok = subs.record_payment(theirs, subs.PaymentInput("1500", "Mobile money", "qk8abc", duplicate_reference_ok=True))
    assert ok.receipt_no == "R-000002"
    # Cash "references" are the cashier's own notes, never checked; a voided payment's reference is free again.
    subs.record_payment(sid, subs.PaymentInput("1", "Cash", "QK8ABC"))
    money.void(ok.id, "Same payment twice")
    subs.record_payment(theirs, subs.PaymentInput("1500", "Bank transfer", "QK8ABC-2"))


def test_payment_on_a_cancelled_subscription_goes_nowhere(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN)
    subs.cancel_subscription(sid, "Moving", actor="amina")
    assert "was cancelled (by amina" in refused(subs.record_payment, sid, subs.PaymentInput("100"))["__all__"]
    assert "can't be renewed" in refused(subs.renew_subscription, sid)["__all__"]  # the same rule as the screens


# -- credit -----------------------------------------------------------------------------------

def test_overpayment_becomes_credit_and_pays_the_renewal(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    jan = make.subscription(cid, pkg, JAN)
    pay = subs.record_payment(jan, subs.PaymentInput("3000", "Cash", tendered="3500"))
    assert (pay.amount_minor, pay.credit_minor, pay.tendered_minor) == (300000, 150000, 350000)
    assert detail(cid).credit_minor == 150000 and detail(cid).balance_minor == -150000
    event = audit_of("payment.record")[-1]
    assert "USD 1,500.00 beyond what was due kept as credit" in event.summary
    assert (json.loads(event.before)["client_credit"], json.loads(event.after)["client_credit"]) == (0, 150000)
    assert (json.loads(event.before)["client_balance"], json.loads(event.after)["client_balance"]) == (150000, -150000)
    # The renewal, paid by the credit alone: no money changes hands.
    feb = subs.renew_subscription(jan, payment=subs.PaymentInput("", use_credit=True))
    used = Payment.get(Payment.subscription == feb.id)
    assert (used.kind, used.amount_minor, used.credit_minor, used.method) == ("transfer", 0, -150000, "Credit")
    d = detail(cid)
    assert d.subscription(feb.id).balance_minor == 0  # type: ignore[union-attr]
    assert (d.balance_minor, d.credit_minor, d.stats.total_revenue_minor) == (0, 0, 300000)
    # Credit covers only what the cash leaves due, and what it can: 1,000 cash + 500 credit.
    subs.record_payment(jan, subs.PaymentInput("500"))  # beyond January's price: 500 to credit
    mar = subs.renew_subscription(feb.id, payment=subs.PaymentInput("1000", use_credit=True))
    both = Payment.get(Payment.subscription == mar.id)
    assert (both.amount_minor, both.credit_minor) == (100000, -50000)
    assert detail(cid).subscription(mar.id).paid_minor == 150000  # type: ignore[union-attr]
    assert detail(cid).balance_minor == 0


def test_a_cancelled_subscriptions_money_moves_to_credit(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN + timedelta(days=10), payment=subs.PaymentInput("1500"))
    subs.cancel_subscription(sid, "Moving to another town", actor="amina")
    moved = Payment.get((Payment.subscription == sid) & (Payment.kind == "transfer"))
    assert (moved.amount_minor, moved.credit_minor, moved.receipt_no) == (0, 150000, "R-000002")
    d = detail(cid)
    assert (d.balance_minor, d.credit_minor, d.stats.total_revenue_minor) == (-150000, 150000, 150000)
    assert d.subscription(sid).paid_minor == 0  # type: ignore[union-attr]
    cancel = audit_of("subscription.cancel")[-1]
    assert json.loads(cancel.before)["cancelled_at"] is None and json.loads(cancel.after)["cancel_reason"] == (
        "Moving to another town")
    credit = audit_of("payment.credit")[-1]
    assert (json.loads(credit.before)["client_credit"], json.loads(credit.after)["client_credit"]) == (0, 150000)
    assert "to the client's credit (subscription cancelled)" in credit.summary


def test_cancel_with_a_refund_gives_money_back_and_keeps_the_rest_as_credit(shop: tuple[int, int],
                                                                            make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN + timedelta(days=10), payment=subs.PaymentInput("1500"))
    assert "more than the subscription" in refused(
        subs.cancel_subscription, sid, "x", money_to=subs.MONEY_REFUND, refund=subs.RefundInput("1600"))["amount"]
    subs.cancel_subscription(sid, "Unhappy", money_to=subs.MONEY_REFUND, refund=subs.RefundInput("1000", "Cash"))
    kinds = [(p.kind, p.amount_minor, p.credit_minor) for p in Payment.select().order_by(Payment.id)]
    assert kinds == [("payment", 150000, 0), ("refund", -100000, 0), ("transfer", 0, 50000)]
    d = detail(cid)
    assert (d.balance_minor, d.credit_minor, d.stats.total_revenue_minor) == (-50000, 50000, 50000)


def test_money_on_an_old_cancelled_subscription_can_move_later(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN + timedelta(days=10), payment=subs.PaymentInput("1500"))
    subs.cancel_subscription(sid, "x")
    assert "No money is left" in refused(money.move_to_credit, sid)["__all__"]
    # A live subscription paid beyond its price (data from before the counter) moves only the excess.
    live = make.subscription(cid, pkg, JAN + timedelta(days=20))
    Payment.create(client=cid, subscription=live, amount_minor=200000, method="Cash", receipt_no="OLD-1")
    balances.refresh([cid])
    assert money.move_to_credit(live).credit_minor == 50000


# -- receipts and nothing deleted ---------------------------------------------------------------

def test_receipt_numbers_follow_each_other_across_kinds_and_a_new_prefix(shop: tuple[int, int],
                                                                        make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN, payment=subs.PaymentInput("2000"))
    money.refund(cid, money.RefundInput("100"))
    settings.save(settings.Settings(receipt_prefix="2026/"))
    pay = subs.record_payment(sid, subs.PaymentInput("10"))
    voided = money.void(pay.id, "test")
    numbers = [p.receipt_no for p in Payment.select().order_by(Payment.id)] + [voided.void_receipt_no]
    assert numbers == ["R-000001", "R-000002", "2026/000003", "2026/000004"]
    assert receipts.last_number() == 4
    assert "Choose the receipt paper" in refused(settings.save, settings.Settings(receipt_layout="a3"))[
        "receipt_layout"]
    assert "not ending in a digit" in refused(settings.save, settings.Settings(receipt_prefix="R2"))["receipt_prefix"]


def test_a_receipt_holds_what_the_customer_needs(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    settings.save(settings.Settings(currency="KES", isp_name="Skyline Net", isp_tax_number="P051234567X"))
    sid = make.subscription(cid, pkg, JAN)
    pay = subs.record_payment(sid, subs.PaymentInput("2000", "Cash", tendered="2500"), actor="amina")
    r = receipts.receipt(pay.id)
    assert (r.number, r.client_name, r.package_name, r.amount_minor, r.credit_minor) == (
        "R-000001", "Amina Wanjiru", "Home 10M", 200000, 50000)
    assert (r.on_subscription, r.change_minor, r.balance_after_minor, r.taken_by) == (150000, 50000, -50000, "amina")
    assert (r.isp.name, r.isp.tax_number, r.currency, r.is_void) == ("Skyline Net", "P051234567X", "KES", False)
    money.void(pay.id, "wrong")
    assert receipts.receipt(pay.id).is_void and receipts.receipt(pay.id).void_number == "R-000002"


def test_nothing_is_ever_deleted(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    sid = make.subscription(cid, pkg, JAN + timedelta(days=10), payment=subs.PaymentInput("1500"))
    seen: dict[int, tuple[int, int]] = {}

    def still_there() -> None:
        for p in Payment.select():
            seen.setdefault(p.id, (p.amount_minor, p.credit_minor))
        assert {p.id: (p.amount_minor, p.credit_minor) for p in Payment.select()} == seen

    extra = subs.record_payment(sid, subs.PaymentInput("700"))
    still_there()
    money.void(extra.id, "typo")
    still_there()
    subs.cancel_subscription(sid, "x")
    still_there()
    money.refund(cid, money.RefundInput("1500"))
    still_there()
    assert len(seen) == 4 and Subscription.select().count() == 1
    numbers = sorted(receipts.number_part(n) for p in Payment.select()
                     for n in (p.receipt_no, p.void_receipt_no) if n)
    assert numbers == list(range(1, receipts.last_number() + 1))


def test_auto_renew_keeps_balances(shop: tuple[int, int], make: Factory) -> None:
    cid, pkg = shop
    make.subscription(cid, pkg, date(2025, 11, 1), auto_renew=True, payment=subs.PaymentInput("1500"))
    subs.run_auto_renew(date(2026, 1, 15))
    assert detail(cid).balance_minor == 2 * 150000  # two unpaid periods rolled over


# -- two processes ----------------------------------------------------------------------------

@pytest.mark.timeout(300)  # its own 240 s bound comes first (pytest-timeout's 120 s ends the whole run)
def test_two_processes_taking_200_receipts_each_get_distinct_gap_free_numbers(
        db: peewee.Database, make: Factory, clock: Clock, tmp_path: Path) -> None:
    from ispclient.store.db import sqlite_path

    cid = make.client()
    sid = make.subscription(cid, make.package(price="1500"), JAN,
                           payment=subs.PaymentInput("1", "Mobile money", "DUP-1"))
    path = sqlite_path(db)
    target = str(path) if path is not None else PG_URL
    a, b = run_together(tmp_path, ("receipts", target, str(cid), str(sid), "A", "200"),
                        ("receipts", target, str(cid), str(sid), "B", "200"), timeout=240)
    mine = a["numbers"] + b["numbers"]  # type: ignore[operator]
    assert "unexpected" not in mine and a["refused"] == b["refused"] == 20
    assert len(mine) == len(set(mine)) == 2 * (200 + 8)
    ours, theirs = ([receipts.number_part(n) for n in c["numbers"]] for c in (a, b))  # type: ignore[attr-defined]
    assert min(ours) < max(theirs) and min(theirs) < max(ours), "the two processes did not write at the same time"
    issued = sorted(receipts.number_part(n) for n in ["R-000001", *mine])
    assert issued == list(range(1, 2 * 208 + 2)), "receipt numbers skipped or repeated"
    stored = {p.receipt_no for p in Payment.select()}
    stored |= {p.void_receipt_no for p in Payment.select() if p.void_receipt_no}
    assert stored == {"R-000001", *mine}
    assert Counter.get_by_id("receipt").value == 2 * 208 + 1
    assert balances.drift() == []
    backend = "sqlite" if path is not None else "postgres"
    print(f"\n[receipts] {backend}: {len(mine)} numbers from two processes, distinct and gap-free "
          f"(R-000002…{receipts.format_number('R-', max(issued))}), {a['refused'] + b['refused']} refused "
          "payments gave their number back")


# -- migration ---------------------------------------------------------------------------------

def test_an_older_database_gets_receipt_numbers_and_balances(db: peewee.Database, make: Factory, clock: Clock,
                                                             tmp_path: Path) -> None:
    """A database from before the counter (as the step before it left it, shifts included): its
    payments numbered in the order they were taken, each client's balance summed, the counter set
    after the last number, every column and index it had kept."""
    from ispclient import store
    from ispclient.store import schema
    from ispclient.store.db import sqlite_path

    amina, baraka = make.client(), make.client("Baraka Otieno")
    pkg = make.package(price="1500")
    jan, feb = make.subscription(amina, pkg, JAN), make.subscription(amina, pkg, JAN + timedelta(days=30))
    gone = make.subscription(baraka, pkg, JAN)
    subs.cancel_subscription(gone, "moved")
    sqlite = isinstance(db, peewee.SqliteDatabase)
    old_shape = [
        # Later steps' indexes first (one on balance_minor), then the counter's own shape.
        "DROP INDEX IF EXISTS client_owing", "DROP INDEX IF EXISTS client_live_server",
        "DROP INDEX IF EXISTS subscription_ends", "DROP INDEX IF EXISTS subscription_created",
        "DROP INDEX IF EXISTS client_created",
        "DROP TABLE payment", "DROP TABLE counter", "ALTER TABLE client DROP COLUMN balance_minor",
        f"CREATE TABLE payment (id {'INTEGER' if sqlite else 'SERIAL'} PRIMARY KEY, subscription_id INTEGER NOT NULL "
        "REFERENCES subscription (id) ON DELETE CASCADE, amount_minor BIGINT NOT NULL, method VARCHAR(40) NOT NULL, "
        f"reference VARCHAR(100) NOT NULL, note TEXT NOT NULL, paid_at {'DATETIME' if sqlite else 'TIMESTAMP'} "
        "NOT NULL, taken_by VARCHAR(100) NOT NULL, shift_id INTEGER REFERENCES shift (id))",
        "CREATE INDEX payment_shift ON payment (shift_id)",
        "CREATE INDEX payment_subscription ON payment (subscription_id, amount_minor)",
        f"UPDATE schema_version SET version = {schema.MIGRATIONS.index(schema._payments_ledger_receipts_and_balances)}",
    ]
    for sql in old_shape:
        db.execute_sql(sql)
    p = db.param
    for sub, amount, day in ((jan, 150000, 3), (feb, 50000, 40), (jan, 20000, 1), (gone, 150000, 2)):
        db.execute_sql(f"INSERT INTO payment (subscription_id, amount_minor, method, reference, note, paid_at, "
                       f"taken_by) VALUES ({p}, {p}, 'Cash', '', '', {p}, 'amina')",
                       (sub, amount, f"{JAN + timedelta(days=day)} 09:00:00"))
    path = sqlite_path(db)
    store.close_database()
    reopened = store.open_database(path if path is not None else PG_URL, backup_dir=tmp_path / "backups")
    assert schema.version(reopened) == schema.CURRENT_VERSION
    if path is not None:
        assert list((tmp_path / "backups").glob("*before-schema-*")), "no backup before the migration"
    by_id = {p.id: p for p in Payment.select()}
    assert [(by_id[i].receipt_no, by_id[i].client_id) for i in (1, 2, 3, 4)] == [
        ("R-000003", amina), ("R-000004", amina), ("R-000001", amina), ("R-000002", baraka)]
    assert all(p.kind == "payment" and p.credit_minor == 0 and not p.is_void for p in by_id.values())
    assert "payment_shift" in {ix.name for ix in reopened.get_indexes("payment")}  # the index it had, remade
    # Amina: 3,000 due − 1,700 − 500 paid = 800; Baraka's cancelled subscription counts for nothing.
    assert balances.balances([amina, baraka]) == {amina: 80000, baraka: 0}
    assert balances.drift() == [] and receipts.last_number() == 4
    assert subs.record_payment(feb, subs.PaymentInput("100")).receipt_no == "R-000005"
    assert money.move_to_credit(gone).credit_minor == 150000  # the stranded money can go to credit now


# -- one payment for everything owed ------------------------------------------------------------

MAR, APR, MAY = date(2026, 3, 4), date(2026, 4, 3), date(2026, 5, 3)


@pytest.fixture
def owing(make: Factory, clock: Clock) -> Iterator[tuple[int, list[int]]]:
    """KES 10,500 owed over three subscriptions: March (Home 20, 4,500, 1,000 paid), April and the
    current May (Home 10, 3,500 each, unpaid)."""
    clock.today = date(2026, 5, 10)
    settings.save(settings.Settings(currency="KES"))
    home20, home10 = make.package("Home 20 Mbps", price="4500"), make.package("Home 10 Mbps", price="3500")
    cid = make.client()
    old = make.subscription(cid, home20, MAR, payment=subs.PaymentInput("1000"))
    apr = make.subscription(cid, home10, APR)
    may = make.subscription(cid, home10, MAY)
    assert detail(cid).balance_minor == 1_050_000
    yield cid, [old, apr, may]
    assert balances.drift() == [], "the kept balance drifted from the ledger"


def owed_on(cid: int, sids: list[int]) -> list[int]:
    d = detail(cid)
    return [d.subscription(sid).balance_minor for sid in sids]  # type: ignore[union-attr]


def test_paying_the_whole_balance_on_the_current_subscription_pays_every_owed_one(
        owing: tuple[int, list[int]]) -> None:
    cid, (old, apr, may) = owing
    pay = subs.record_payment(may, subs.PaymentInput("10500", "Cash"), actor="amina")
    assert (pay.receipt_no, pay.amount_minor, pay.credit_minor, pay.balance_after_minor) == (
        "R-000002", 1_050_000, 700_000, 0)
    d = detail(cid)
    assert owed_on(cid, [old, apr, may]) == [0, 0, 0]
    assert [d.subscription(s).paid_minor for s in (old, apr, may)] == [450_000, 350_000, 350_000]  # type: ignore[union-attr]
    assert (d.balance_minor, d.credit_minor, list_balance(cid)) == (0, 0, 0)
    # The 7,000 beyond May's due first landed as credit on the payment; two transfers under its
    # receipt applied it, oldest first. They move no cash and belong to no shift.
    parts = money.applied_transfers(pay)
    assert [(p.subscription_id, p.kind, p.amount_minor, p.credit_minor, p.reference, p.shift_id) for p in parts] == [
        (old, "transfer", 0, -350_000, "R-000002", None), (apr, "transfer", 0, -350_000, "R-000002", None)]
    assert [p.receipt_no for p in parts] == ["R-000003", "R-000004"]  # the ledger numbers transfers: no gap
    assert d.stats.total_revenue_minor == 1_150_000  # 1,000 + 10,500: the transfers count no money
    # One receipt for the customer, listing the split; nothing kept as credit.
    r = receipts.receipt(pay.id)
    assert r.number == "R-000002" and r.on_subscription == 350_000 and r.kept_as_credit == 0
    assert [(a.package_name, a.starts_on, a.amount_minor) for a in r.applied] == [
        ("Home 20 Mbps", MAR, 350_000), ("Home 10 Mbps", APR, 350_000)]
    # The audit trail: the payment, then each transfer with the credit before and after.
    assert "KES 7,000.00 beyond what was due paid on 2 other subscriptions" in audit_of("payment.record")[-1].summary
    moves = audit_of("payment.credit")[-2:]
    assert [(json.loads(e.before)["client_credit"], json.loads(e.after)["client_credit"]) for e in moves] == [
        (700_000, 350_000), (350_000, 0)]
    assert [json.loads(e.after)["client_balance"] for e in moves] == [0, 0]
    assert "R-000003: KES 3,500.00 of receipt R-000002 paid on “Home 20 Mbps” from 04 Mar 2026" == moves[0].summary


def test_paying_beyond_everything_owed_keeps_only_the_rest_as_credit(owing: tuple[int, list[int]]) -> None:
    cid, (old, apr, may) = owing
    pay = subs.record_payment(may, subs.PaymentInput("12000", "Mobile money", "QK8ZZZ"))
    assert owed_on(cid, [old, apr, may]) == [0, 0, 0]
    d = detail(cid)
    assert (d.balance_minor, d.credit_minor) == (-150_000, 150_000)
    r = receipts.receipt(pay.id)
    assert (r.credit_minor, r.kept_as_credit, sum(a.amount_minor for a in r.applied)) == (850_000, 150_000, 700_000)
    assert "KES 1,500.00 beyond what was due kept as credit" in audit_of("payment.record")[-1].summary


def test_paying_part_of_what_is_owed_pays_the_oldest_first(owing: tuple[int, list[int]]) -> None:
    cid, (old, apr, may) = owing
    pay = subs.record_payment(may, subs.PaymentInput("5000"))
    assert owed_on(cid, [old, apr, may]) == [200_000, 350_000, 0]  # 1,500 of March's 3,500; April untouched
    assert (detail(cid).balance_minor, detail(cid).credit_minor) == (550_000, 0)
    assert receipts.receipt(pay.id).kept_as_credit == 0


def test_voiding_such_a_payment_undoes_the_whole_split(owing: tuple[int, list[int]]) -> None:
    cid, (old, apr, may) = owing
    pay = subs.record_payment(may, subs.PaymentInput("10500"))
    entries = Payment.select().count()
    money.void(pay.id, "Paid by the neighbour, not this client", actor="amina")
    assert owed_on(cid, [old, apr, may]) == [350_000, 350_000, 350_000]
    d = detail(cid)
    assert (d.balance_minor, d.credit_minor, list_balance(cid), d.stats.total_revenue_minor) == (
        1_050_000, 0, 1_050_000, 100_000)
    assert Payment.select().count() == entries  # nothing deleted: four entries, three of them void
    parts = money.applied_transfers(pay, include_void=True)
    assert all(p.is_void for p in [Payment.get_by_id(pay.id), *parts]) and len(parts) == 2
    assert [p.void_receipt_no for p in parts] + [Payment.get_by_id(pay.id).void_receipt_no] == [
        "R-000005", "R-000006", "R-000007"]
    assert "part of receipt R-000002, voided with it" in parts[0].void_reason
    voids = audit_of("payment.void")
    assert len(voids) == 3 and json.loads(voids[-1].after)["client_balance"] == 1_050_000
    assert [json.loads(v.after)["client_credit"] for v in voids] == [350_000, 700_000, 0]
    numbers = sorted(receipts.number_part(n) for p in Payment.select() for n in (p.receipt_no, p.void_receipt_no) if n)
    assert numbers == list(range(1, receipts.last_number() + 1))
    r = receipts.receipt(pay.id)
    assert r.is_void and len(r.applied) == 2  # the reprint shows the split it had, marked VOID


def test_a_void_whose_transfer_money_has_moved_on_is_refused(owing: tuple[int, list[int]]) -> None:
    cid, (old, _apr, may) = owing
    pay = subs.record_payment(may, subs.PaymentInput("10500"))
    money.refund(cid, money.RefundInput("4500"), subscription_id=old)  # March's 4,500, 3,500 of it from this payment
    message = refused(money.void, pay.id, "typo")["__all__"]
    assert message.startswith("Receipt R-000002 also paid receipt R-000003, which can't be undone:")


def test_an_imported_opening_debt_is_settled_before_the_other_subscriptions(owing: tuple[int, list[int]]) -> None:
    """An opening debt (imported: credit below nothing) is older than any subscription."""
    from ispclient.domain import ledger
    from ispclient.domain.ledger import EntryKind
    from ispclient.store.db import atomic, lock_client_row

    cid, (old, apr, may) = owing
    with atomic():
        lock_client_row(cid)
        money._write(Client.get_by_id(cid), None, EntryKind.TRANSFER, 0, -200_000, method=ledger.OPENING,
                     summary="Opening balance: KES 2,000.00 owed", actor=None)
    assert detail(cid).balance_minor == 1_250_000
    subs.record_payment(may, subs.PaymentInput("10500"))  # 7,000 beyond May: 2,000 settles the debt first
    assert owed_on(cid, [old, apr, may]) == [0, 200_000, 0]
    assert (detail(cid).balance_minor, detail(cid).credit_minor) == (200_000, 0)
    subs.record_payment(apr, subs.PaymentInput("2000"))
    assert (detail(cid).balance_minor, detail(cid).credit_minor) == (0, 0)


def test_money_beyond_a_renewals_price_pays_what_is_owed_first(owing: tuple[int, list[int]]) -> None:
    cid, (old, apr, may) = owing
    june = subs.renew_subscription(may, payment=subs.PaymentInput("15000"))  # 3,500 + 10,500 owed + 1,000
    assert owed_on(cid, [old, apr, may, june.id]) == [0, 0, 0, 0]
    assert (detail(cid).balance_minor, detail(cid).credit_minor) == (-100_000, 100_000)
    assert Payment.select().where(Payment.kind == "transfer").count() == 3
