"""Money at the counter: payments, refunds, credit and voids as entries of one ledger — no Qt.

Every money event is one *entry*, never edited or deleted (a wrong one is voided, which keeps it
and marks it). An entry moves money between three places:

* the till: ``amount_minor`` — positive when money comes in (a payment), negative when it goes
  out (a refund), zero when nothing changes hands (a transfer);
* the client's **credit**: ``credit_minor`` — positive when money goes to credit (an overpayment,
  the money of a cancelled subscription), negative when credit is used (on a sale or renewal);
* one **subscription**: whatever is left, ``amount_minor - credit_minor`` (an entry without a
  subscription has all of its amount on credit).

So a payment of 3,000 on a subscription with 1,500 due is one entry: 3,000 in, 1,500 to credit,
1,500 on the subscription. Voided entries count for nothing.

A client's **balance** (what they owe) = the prices of their subscriptions not cancelled − what
is paid on those − their credit. Positive: they owe; negative: they are in credit. Money paid on
a cancelled subscription counts for nothing until it is refunded or moved to credit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ispclient.domain import actions
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money

MAX_VOID_REASON = 500
CASH = "Cash"
# The method of an opening balance brought in by an import (dataio/opening.py): a transfer on the
# client's credit, negative when the client owed money before the move to the app. Their credit
# may sit that far below nothing (the debt) until a payment settles it.
OPENING = "Opening balance"


class EntryKind(StrEnum):
    PAYMENT = "payment"  # money in
    REFUND = "refund"  # money out
    TRANSFER = "transfer"  # between a subscription and the client's credit; no money changes hands


KIND_LABELS = {EntryKind.PAYMENT: "Payment", EntryKind.REFUND: "Refund", EntryKind.TRANSFER: "Credit"}


class EntryLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def subscription_id(self) -> int | None: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def credit_minor(self) -> int: ...
    @property
    def is_void(self) -> bool: ...


@dataclass(frozen=True)
class Entry:
    """An entry's money facts as plain values."""

    kind: str
    subscription_id: int | None
    amount_minor: int
    credit_minor: int
    is_void: bool = False


class PricedLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def price_minor(self) -> int: ...
    @property
    def is_cancelled(self) -> bool: ...


def on_subscription(entry: EntryLike) -> int:
    """What the entry puts on (or takes off) its subscription."""
    return entry.amount_minor - entry.credit_minor if entry.subscription_id is not None else 0


def paid_on(entries: Iterable[EntryLike], subscription_id: int) -> int:
    """What is paid on one subscription (voided entries left out)."""
    return sum(on_subscription(e) for e in entries if e.subscription_id == subscription_id and not e.is_void)


def credit(entries: Iterable[EntryLike]) -> int:
    """The client's credit: money of theirs held for the next sale."""
    return sum(e.credit_minor for e in entries if not e.is_void)


def revenue(entries: Iterable[EntryLike]) -> int:
    """Money taken, less money given back (voided entries left out)."""
    return sum(e.amount_minor for e in entries if not e.is_void)


def balance(subscriptions: Iterable[PricedLike], entries: Iterable[EntryLike]) -> int:
    """What the client owes (negative: in credit)."""
    entries = list(entries)
    live = [s for s in subscriptions if not s.is_cancelled]
    due = sum(s.price_minor for s in live)
    paid = sum(paid_on(entries, s.id) for s in live)
    return due - paid - credit(entries)


def movable_to_credit(price_minor: int, paid_minor: int, cancelled: bool) -> int:
    """What of a subscription's money may go to credit: all of it once it is cancelled, else only
    what was paid beyond its price."""
    return max(0, paid_minor if cancelled else paid_minor - price_minor)


@dataclass(frozen=True)
class Split:
    """Where the money of one payment goes."""

    on_subscription: int
    credit_minor: int  # + overpayment kept as credit, − credit used

    @property
    def credit_used(self) -> int:
        return max(0, -self.credit_minor)

    @property
    def to_credit(self) -> int:
        return max(0, self.credit_minor)


def split_payment(cash_minor: int, due_minor: int, credit_available: int, use_credit: bool) -> Split:
    """Cash first; credit (when asked) covers what the cash leaves due; cash beyond what is due
    becomes credit. With nothing due (or no subscription) it all goes to credit."""
    due = max(0, due_minor)
    if cash_minor >= due:
        return Split(due, cash_minor - due)
    used = min(max(0, credit_available), due - cash_minor) if use_credit else 0
    return Split(cash_minor + used, -used)


def allocate(amount_minor: int, owed: Iterable[tuple[int, int]]) -> tuple[list[tuple[int, int]], int]:
    """Spread money over what is owed, in the order given (oldest first): ``owed`` is
    (subscription id, due) pairs; returns (subscription id, amount) for each one it pays, and
    what is left over (kept as credit). A payment beyond what its own subscription needs pays
    the client's other owed subscriptions this way before anything becomes credit."""
    left = max(0, amount_minor)
    parts: list[tuple[int, int]] = []
    for subscription_id, due in owed:
        if left <= 0:
            break
        part = min(left, max(0, due))
        if part > 0:
            parts.append((subscription_id, part))
            left -= part
    return parts, left


def spreadable(to_credit: int, credit_before: int) -> int:
    """What of a payment's excess (``to_credit``) may pay other owed subscriptions: all of it,
    less what settles an opening debt first (``credit_before`` below nothing)."""
    return max(0, min(to_credit, to_credit + credit_before))


def applied_note(receipt_no: str) -> str:
    """The note of a credit transfer that carries part of one payment to another owed
    subscription (with the payment's receipt number as its reference): how a void of the payment
    finds the transfers it must undo with it."""
    return f"Part of receipt {receipt_no}"


def is_applied_part(kind: str, reference: str, note: str) -> bool:
    """Whether an entry is a credit transfer carrying part of the payment whose receipt number
    is its reference (see :func:`applied_note`)."""
    return kind == EntryKind.TRANSFER.value and bool(reference) and note == applied_note(reference)


def reference_is_unique(method: str, reference: str) -> bool:
    """Whether a payment's reference names one transfer that can't be paid twice: a mobile-money
    or bank transaction, a card slip, a cheque. A cash "reference" is the cashier's own note."""
    return bool(reference.strip()) and method.strip().casefold() != CASH.casefold()


def check_void_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError.single("reason", "Say why it is voided (e.g. “typed 15,000 instead of 1,500”).")
    reason = reason.strip()
    if len(reason) > MAX_VOID_REASON:
        raise ValidationError.single("reason", f"The reason is too long (at most {MAX_VOID_REASON} characters).")
    return reason


def void_blocker(entry: EntryLike, paid_on_its_subscription: int, credit_now: int,
                 opening_debt: int = 0) -> str | None:
    """Why this entry can't be voided now (None: it can). Voiding must leave neither its
    subscription nor the client's credit holding less than nothing — or, for a client who came
    with a debt (``opening_debt`` ≤ 0, the sum of their opening entries owed), less than that debt:
    money given back or moved on since is undone first."""
    why = actions.void_blocker(entry.is_void)  # the screens' rule, the same words
    if why is not None:
        return why
    if entry.subscription_id is not None and paid_on_its_subscription - on_subscription(entry) < 0:
        return ("Money of this payment has since been refunded or moved to credit; void that refund or move "
                "first.")
    if credit_now - entry.credit_minor < min(0, opening_debt):
        return ("The credit this entry gave has since been used or refunded; void that use or refund first.")
    return None


def check_refund(amount_minor: int, available_minor: int, source: str, currency: str) -> None:
    """A refund gives back at most what is there: what was paid on the subscription, or the credit."""
    if available_minor <= 0:
        raise ValidationError.single("amount", f"There is nothing to refund: {source} holds no money.")
    if amount_minor > available_minor:
        raise ValidationError.single(
            "amount", f"That is more than {source} holds: at most {format_money(available_minor, currency)} "
                      "can be refunded.")
