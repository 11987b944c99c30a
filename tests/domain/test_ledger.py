"""The ledger's arithmetic and the action rules, with concrete amounts (minor units)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ispclient.domain import actions, ledger
from ispclient.domain.errors import ValidationError
from ispclient.domain.ledger import Entry, EntryKind
from ispclient.domain.subscriptions import SubscriptionStatus


@dataclass(frozen=True)
class Sub:
    id: int
    price_minor: int
    is_cancelled: bool = False


PAY, REFUND, MOVE = EntryKind.PAYMENT.value, EntryKind.REFUND.value, EntryKind.TRANSFER.value


@pytest.mark.parametrize(("cash", "due", "credit", "use", "expected"), [
    (150000, 150000, 0, False, (150000, 0)),  # exactly what is due
    (300000, 150000, 0, False, (150000, 150000)),  # overpaid: the rest is credit
    (100000, 150000, 0, False, (100000, 0)),  # part-paid
    (100000, 150000, 80000, True, (150000, -50000)),  # credit covers what the cash leaves, no more
    (0, 150000, 200000, True, (150000, -150000)),  # credit alone pays
    (0, 150000, 200000, False, (0, 0)),  # credit not asked for
    (50000, 0, 0, False, (0, 50000)),  # nothing due (or no subscription): all to credit
    (50000, -20000, 0, False, (0, 50000)),  # paid beyond its price already
])
def test_split_payment(cash: int, due: int, credit: int, use: bool, expected: tuple[int, int]) -> None:
    split = ledger.split_payment(cash, due, credit, use)
    assert (split.on_subscription, split.credit_minor) == expected
    assert split.on_subscription + split.credit_minor == cash  # nothing appears or vanishes


def test_balance_paid_credit_and_revenue() -> None:
    subs = [Sub(1, 150000), Sub(2, 150000), Sub(3, 150000, is_cancelled=True)]
    entries = [
        Entry(PAY, 1, 300000, 150000),  # 1,500 on sub 1, 1,500 to credit
        Entry(MOVE, 2, 0, -150000),  # the credit pays sub 2
        Entry(PAY, 3, 150000, 0),  # paid on sub 3, later cancelled: counts for nothing…
        Entry(MOVE, 3, 0, 100000),  # …until moved to credit
        Entry(REFUND, None, -40000, -40000),  # 400 of that credit given back
        Entry(PAY, None, 99999, 99999, is_void=True),  # void: nothing
    ]
    assert ledger.paid_on(entries, 1) == ledger.paid_on(entries, 2) == 150000
    assert ledger.paid_on(entries, 3) == 50000
    assert ledger.credit(entries) == 150000 - 150000 + 100000 - 40000 == 60000
    assert ledger.revenue(entries) == 300000 + 150000 - 40000
    assert ledger.balance(subs, entries) == 300000 - 300000 - 60000


def test_void_blocker_keeps_money_from_going_below_nothing() -> None:
    pay = Entry(PAY, 1, 300000, 150000)
    assert ledger.void_blocker(pay, paid_on_its_subscription=150000, credit_now=150000) is None
    assert "refunded or moved" in str(ledger.void_blocker(pay, paid_on_its_subscription=100000, credit_now=150000))
    assert "since been used or refunded" in str(ledger.void_blocker(pay, 150000, credit_now=100000))
    assert ledger.void_blocker(Entry(PAY, 1, 1, 0, is_void=True), 1, 0) == "This entry is already void."
    refund = Entry(REFUND, None, -40000, -40000)
    assert ledger.void_blocker(refund, 0, credit_now=0) is None  # un-doing a refund gives the credit back


def test_a_payment_that_settled_an_opening_debt_can_be_voided() -> None:
    """A client imported owing 250 (credit −250) pays 250 on credit (credit 0): voiding that
    payment brings the debt back, no lower; without an opening debt the old rule holds."""
    settled = Entry(PAY, None, 25000, 25000)
    assert ledger.void_blocker(settled, 0, credit_now=0, opening_debt=-25000) is None
    assert "since been used" in str(ledger.void_blocker(settled, 0, credit_now=0))
    assert "since been used" in str(ledger.void_blocker(settled, 0, credit_now=-1, opening_debt=-25000))


def test_void_reason_and_refund_limits() -> None:
    assert ledger.check_void_reason("  typo  ") == "typo"
    with pytest.raises(ValidationError, match="Say why it is voided"):
        ledger.check_void_reason(" ")
    with pytest.raises(ValidationError, match="too long"):
        ledger.check_void_reason("x" * 501)
    ledger.check_refund(50000, 50000, "the client's credit", "KES")
    with pytest.raises(ValidationError, match="at most KES 500.00 can be refunded"):
        ledger.check_refund(50001, 50000, "the client's credit", "KES")
    with pytest.raises(ValidationError, match="nothing to refund"):
        ledger.check_refund(1, 0, "the client's credit", "KES")


def test_movable_to_credit() -> None:
    assert ledger.movable_to_credit(150000, 150000, cancelled=True) == 150000
    assert ledger.movable_to_credit(150000, 150000, cancelled=False) == 0
    assert ledger.movable_to_credit(150000, 200000, cancelled=False) == 50000


def test_references_that_name_a_transfer() -> None:
    assert ledger.reference_is_unique("Mobile money", "QK8ABC")
    assert not ledger.reference_is_unique("Cash", "book 12")
    assert not ledger.reference_is_unique("Bank transfer", "  ")


def test_action_rules() -> None:
    assert actions.cancel_blocker(SubscriptionStatus.ACTIVE) is None
    assert actions.cancel_blocker(SubscriptionStatus.EXPIRED) == (
        "This subscription has already ended; there is nothing to cancel.")
    assert actions.renew_blocker(SubscriptionStatus.EXPIRED, True) is None
    assert "can't be renewed" in str(actions.renew_blocker(SubscriptionStatus.CANCELLED, True))
    assert actions.renew_blocker(SubscriptionStatus.ACTIVE, False) == actions.NO_PACKAGE_ON_SALE
    assert actions.payment_blocker(SubscriptionStatus.SCHEDULED) is None
    assert "cancelled" in str(actions.payment_blocker(SubscriptionStatus.CANCELLED))
    assert actions.void_blocker(True) == "This entry is already void." and actions.void_blocker(False) is None
    assert actions.refund_blocker(0) is not None and actions.refund_blocker(1) is None
    assert actions.move_to_credit_blocker(0, True) == "No money is left on this cancelled subscription."
    assert actions.move_to_credit_blocker(1, False) is None
