"""Money services: take a payment, refund, move money to credit, void — each one transaction with
its audit event (the client's balance and credit before and after), its receipt number and the
client's kept balance brought up to date. The ledger's rules are in domain/ledger.py.

Every service locks the client's row first, then takes the receipt number (which locks the
counter): two PCs working on one client queue, and the duplicate-reference check, made after the
counter's lock, sees every payment committed before it on any PC.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ispclient.domain import actions, ledger, validation
from ispclient.domain import subscriptions as rules
from ispclient.domain.clock import utcnow
from ispclient.domain.dates import format_moment
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.ledger import EntryKind
from ispclient.domain.money import format_money, parse_amount
from ispclient.domain.permissions import Permission
from ispclient.store import access, audit, balances, receipts, settings, shifts
from ispclient.store.db import atomic, db, lock_client_row
from ispclient.store.errors import RecordDeleted
from ispclient.store.models import Client, Payment, Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentInput:
    """Money taken at the counter, as typed. ``amount`` may be empty when ``use_credit`` pays."""

    amount: str
    method: str = "Cash"
    reference: str = ""
    note: str = ""
    tendered: str = ""  # cash handed over, when more than the amount (the change is shown and printed)
    use_credit: bool = False  # let the client's credit pay what this cash leaves due
    duplicate_reference_ok: bool = False  # the cashier checked: same reference, another payment


@dataclass(frozen=True)
class RefundInput:
    """Money given back, as typed."""

    amount: str
    method: str = "Cash"
    reference: str = ""
    note: str = ""


class DuplicateReference(ValidationError):
    """The reference is already on another (not void) payment: said before saving."""

    def __init__(self, message: str, receipt_no: str) -> None:
        super().__init__({"reference": message})
        self.receipt_no = receipt_no


# -- input ---------------------------------------------------------------------------------

def _amount(text: object, currency: str, separator: str, field: str = "amount", *, allow_zero: bool = False) -> int:
    try:
        return parse_amount(text, currency, allow_zero=allow_zero, decimal_separator=separator)
    except ValidationError as e:
        raise ValidationError.single(field, next(iter(e.errors.values()))) from None


def clean_payment(data: PaymentInput, currency: str, decimal_separator: str = "") -> dict[str, Any]:
    """The payment's values, or every field's problem at once. A negative amount is refused
    here: money going back is a refund."""
    errors = Collector()
    if not isinstance(data, PaymentInput):
        raise ValidationError.single("amount", "Enter the payment.")
    text = data.amount.strip() if isinstance(data.amount, str) else data.amount
    amount: Any = 0
    if text == "" and data.use_credit:
        pass  # the credit alone pays
    elif isinstance(text, str) and text.startswith(("-", "−")):
        errors.add("amount", "A payment can't be negative. To give money back, record a refund.")
    else:
        amount = errors.check("amount", _amount, text, currency, decimal_separator)
    method = errors.check("method", validation.line, data.method, "method", "payment method", 40, True)
    reference = errors.check("reference", validation.line, data.reference, "reference", "reference", 100)
    note = errors.check("note", validation.text_block, data.note, "note", "note", validation.MAX_NOTES)
    tendered = None  # cash only: the change given back is printed on the receipt
    is_cash = isinstance(data.method, str) and data.method.strip().casefold() == ledger.CASH.casefold()
    if is_cash and isinstance(data.tendered, str) and data.tendered.strip():
        tendered = errors.check("tendered", _amount, data.tendered, currency, decimal_separator, "tendered")
        if isinstance(tendered, int) and isinstance(amount, int) and tendered < amount:
            errors.add("tendered", "The cash handed over is less than the amount received.")
    errors.raise_if_any()
    return {"amount_minor": amount or 0, "method": method, "reference": reference, "note": note,
            "tendered_minor": tendered, "use_credit": bool(data.use_credit),
            "duplicate_reference_ok": bool(data.duplicate_reference_ok)}


def clean_refund(data: RefundInput, currency: str, decimal_separator: str = "") -> dict[str, Any]:
    errors = Collector()
    text = data.amount.strip() if isinstance(data.amount, str) else data.amount
    amount: Any = None
    if isinstance(text, str) and text.startswith(("-", "−")):
        errors.add("amount", "Type the amount given back without a minus sign.")
    else:
        amount = errors.check("amount", _amount, text, currency, decimal_separator)
    method = errors.check("method", validation.line, data.method, "method", "refund method", 40, True)
    reference = errors.check("reference", validation.line, data.reference, "reference", "reference", 100)
    note = errors.check("note", validation.text_block, data.note, "note", "note", validation.MAX_NOTES)
    errors.raise_if_any()
    return {"amount_minor": amount, "method": method, "reference": reference, "note": note}


# -- reading under the lock ----------------------------------------------------------------

def live_client(client_id: int) -> Client:
    """The client, not deleted; RecordDeleted saying when and by whom otherwise."""
    client = Client.get_or_none(Client.id == client_id)
    if client is None or client.deleted_at is not None:
        when = ""
        if client is not None:
            when = f" at {format_moment(client.deleted_at or utcnow(), settings.load().timezone)}" + \
                (f" by {client.deleted_by}" if client.deleted_by else "")
        raise RecordDeleted(f"This client was deleted{when}; nothing was saved.")
    return client


def _whole_id(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single("__all__", f"Choose a {what}.")
    return value


def _subscription_of(client_id: int, subscription_id: int) -> Subscription:
    sub = Subscription.get_or_none((Subscription.id == subscription_id) & (Subscription.client == client_id))
    if sub is None:
        raise RecordDeleted("This subscription no longer exists; reload the client.")
    return sub


def cancelled_text(sub: Subscription, tz_name: str) -> str:
    return f"by {sub.cancelled_by or 'someone'} at {format_moment(sub.cancelled_at or utcnow(), tz_name)}"


def _kept_balance(client_id: int) -> int:
    row = db.execute_sql(f"SELECT balance_minor FROM client WHERE id = {db.obj.param}", (client_id,)).fetchone()
    return int(row[0]) if row else 0


def duplicate_of(reference: str) -> Payment | None:
    """A payment (not void, not cash) already carrying this reference, whatever its case."""
    reference = reference.strip()
    if not reference:
        return None
    return (Payment.select().where((Payment.kind == EntryKind.PAYMENT.value) & Payment.voided_at.is_null()
                                   & (Payment.reference != "") & (Payment.method != ledger.CASH)
                                   & (db_lower(Payment.reference) == reference.lower()))
            .order_by(Payment.id).first())


def db_lower(field: Any) -> Any:
    from peewee import fn

    return fn.LOWER(field)


def duplicate_message(reference: str) -> tuple[str, str] | None:
    """(message, receipt number) when the reference is already on a payment — for the payment
    form's check before saving, and the service's refusal."""
    other = duplicate_of(reference)
    if other is None:
        return None
    s = settings.load()
    client = Client.get_or_none(Client.id == other.client_id)
    who = f", {client.name} ({client.client_code})" if client else ""
    return (f"Reference “{reference.strip()}” is already on receipt {other.receipt_no} "
            f"({format_money(other.amount_minor, s.currency)} {other.method}, "
            f"{format_moment(other.paid_at, s.timezone)}{who}). The same payment twice? If this is "
            "another payment, tick “Record it anyway”.", other.receipt_no)


# -- writing an entry ----------------------------------------------------------------------

_ACTIONS = {EntryKind.PAYMENT: "payment.record", EntryKind.REFUND: "payment.refund",
            EntryKind.TRANSFER: "payment.credit"}


def _write(client: Client, sub: Subscription | None, kind: EntryKind, amount_minor: int, credit_minor: int, *,
           method: str, reference: str = "", note: str = "", tendered_minor: int | None = None,
           summary: str, actor: str | None, duplicate_reference_ok: bool = True) -> Payment:
    """One ledger entry with its receipt number, the kept balance and the audit event. The
    client's row is locked by the caller."""
    s = settings.load()
    before = {"client_balance": _kept_balance(client.id), "client_credit": balances.credit(client.id)}
    number = receipts.take_number(s.receipt_prefix)  # from here on, money writes on every PC queue
    if kind is EntryKind.PAYMENT and ledger.reference_is_unique(method, reference) and not duplicate_reference_ok:
        found = duplicate_message(reference)
        if found is not None:
            raise DuplicateReference(*found)
    # Money in or out of the till counts in the cashier's shift; a move to or from credit moves none.
    shift = shifts.for_payment() if kind is not EntryKind.TRANSFER else None
    pay = Payment.create(client=client.id, subscription=sub.id if sub else None, kind=kind.value,
                         amount_minor=amount_minor, credit_minor=credit_minor, method=method, reference=reference,
                         note=note, tendered_minor=tendered_minor, receipt_no=number, shift=shift,
                         taken_by=actor or audit.current_actor())
    after_balance = _refresh_one(client.id)
    pay.balance_after_minor = after_balance
    Payment.update(balance_after_minor=after_balance).where(Payment.id == pay.id).execute()
    after = {**audit.snapshot(pay), "client_balance": after_balance, "client_credit": balances.credit(client.id)}
    audit.record(_ACTIONS[kind], "payment", pay.id, client_id=client.id, summary=f"{number}: {summary}",
                 before=before, after=after, actor=actor)
    return pay


def _refresh_one(client_id: int) -> int:
    row = db.execute_sql(f"UPDATE client SET balance_minor = {balances.computed_balance_sql('client')} "
                         f"WHERE id = {db.obj.param} RETURNING balance_minor", (client_id,)).fetchone()
    return int(row[0])


def _for(sub: Subscription | None) -> str:
    return f"“{sub.package_name}” from {sub.starts_on:%d %b %Y}" if sub else "the client's credit"


def take_payment(client: Client, sub: Subscription | None, values: dict[str, Any], actor: str | None) -> Payment:
    """Inside a transaction holding the client's lock: the payment (and any credit it uses or
    leaves) on ``sub``, or on credit when ``sub`` is None."""
    currency = settings.load().currency
    amount = int(values["amount_minor"])
    due = sub.price_minor - balances.paid_on(sub.id) if sub is not None else 0
    credit_now = balances.credit(client.id)
    split = ledger.split_payment(amount, due, credit_now, bool(values.get("use_credit")))
    if amount == 0 and split.credit_used == 0:
        if not values.get("use_credit"):
            message = "Enter the amount received."
        elif credit_now <= 0:
            message = "The client has no credit to use; enter the amount received."
        else:
            message = "Nothing is due on it for the credit to pay; enter the amount received."
        raise ValidationError.single("amount", message)
    kind = EntryKind.PAYMENT if amount > 0 else EntryKind.TRANSFER
    parts = []
    if amount:
        parts.append(f"{format_money(amount, currency)} received ({values['method']})")
    if split.credit_used:
        parts.append(f"{format_money(split.credit_used, currency)} of credit used")
    summary = " + ".join(parts) + f" for {_for(sub)}"
    # Money beyond what this subscription needs pays the client's other owed ones, oldest first;
    # only what is left after all of them is kept as credit. An imported opening debt (credit
    # below nothing) is older than any subscription: it is settled first.
    spread: list[tuple[Subscription, int]] = []
    kept = split.to_credit
    if sub is not None and split.to_credit > 0:
        others = owed_others(client.id, sub.id)
        shares, _left = ledger.allocate(ledger.spreadable(split.to_credit, credit_now),
                                       [(o.id, due) for o, due in others])
        kept = split.to_credit - sum(share for _sid, share in shares)
        by_id = {o.id: o for o, _due in others}
        spread = [(by_id[sid], share) for sid, share in shares]
    if spread:
        n = len(spread)
        summary += (f"; {format_money(sum(share for _o, share in spread), currency)} beyond what was due paid on "
                    f"{n} other subscription{'s' if n > 1 else ''}")
    if kept and sub is not None:
        summary += f"; {format_money(kept, currency)} beyond what was due kept as credit"
    pay = _write(client, sub, kind, amount, split.credit_minor, method=values["method"] if amount else "Credit",
                 reference=values["reference"], note=values["note"], tendered_minor=values.get("tendered_minor"),
                 summary=summary, actor=actor, duplicate_reference_ok=bool(values.get("duplicate_reference_ok")))
    for other, share in spread:  # the excess first lands as credit on the payment; these apply it
        _write(client, other, EntryKind.TRANSFER, 0, -share, method="Credit", reference=pay.receipt_no,
               note=ledger.applied_note(pay.receipt_no),
               summary=f"{format_money(share, currency)} of receipt {pay.receipt_no} paid on {_for(other)}",
               actor=actor)
    return pay


def owed_others(client_id: int, except_id: int) -> list[tuple[Subscription, int]]:
    """The client's other subscriptions not cancelled with money due, oldest first, each with
    what is due on it (read under the client's lock)."""
    paid = balances.paid_by_subscription([client_id])
    subs = (Subscription.select().where((Subscription.client == client_id) & (Subscription.id != except_id)
                                        & Subscription.cancelled_at.is_null())
            .order_by(Subscription.starts_on, Subscription.id))
    return [(o, o.price_minor - paid.get(o.id, 0)) for o in subs if o.price_minor - paid.get(o.id, 0) > 0]


def applied_transfers(pay: Payment, *, include_void: bool = False) -> list[Payment]:
    """The credit transfers that carried part of this payment to the client's other owed
    subscriptions, in the order they were made."""
    if pay.kind != EntryKind.PAYMENT.value:
        return []
    query = Payment.select().where((Payment.client == pay.client_id) & (Payment.kind == EntryKind.TRANSFER.value)
                                   & (Payment.reference == pay.receipt_no)
                                   & (Payment.note == ledger.applied_note(pay.receipt_no)) & (Payment.id > pay.id))
    if not include_void:
        query = query.where(Payment.voided_at.is_null())
    return list(query.order_by(Payment.id))


def _payment_target(client_id: int, subscription_id: int | None) -> Subscription | None:
    if subscription_id is None:
        return None
    sub = _subscription_of(client_id, _whole_id(subscription_id, "subscription"))
    if actions.payment_blocker(rules.status(sub, settings.today())) is not None:
        raise ValidationError.single(
            "__all__", f"This subscription was cancelled ({cancelled_text(sub, settings.load().timezone)}); record "
                       "the payment on another one (or as credit).")
    return sub


@access.requires(Permission.TAKE_PAYMENTS)
def record_payment(client_id: int, data: PaymentInput, *, subscription_id: int | None = None,
                   actor: str | None = None) -> Payment:
    """Take money from a client: for one subscription (what goes beyond its due becomes credit),
    or on credit (paid in advance) when ``subscription_id`` is None."""
    s = settings.load()
    values = clean_payment(data, s.currency, s.decimal_separator)
    client_id = _whole_id(client_id, "client")
    with atomic():
        lock_client_row(client_id)
        client = live_client(client_id)
        sub = _payment_target(client_id, subscription_id)
        pay = take_payment(client, sub, values, actor)
        sync_client(client_id, "Payment recorded", actor)
    return pay


@access.requires(Permission.VOID_REFUND)
def refund(client_id: int, data: RefundInput, *, subscription_id: int | None = None,
           actor: str | None = None) -> Payment:
    """Give money back: from what was paid on a subscription, or from the client's credit."""
    s = settings.load()
    values = clean_refund(data, s.currency, s.decimal_separator)
    client_id = _whole_id(client_id, "client")
    with atomic():
        lock_client_row(client_id)
        client = live_client(client_id)
        sub = None
        if subscription_id is not None:
            sub = _subscription_of(client_id, _whole_id(subscription_id, "subscription"))
            available, source = balances.paid_on(sub.id), f"the subscription “{sub.package_name}”"
        else:
            available, source = balances.credit(client_id), "the client's credit"
        amount = int(values["amount_minor"])
        ledger.check_refund(amount, available, source, s.currency)
        pay = refund_locked(client, sub, amount, values, actor)
        sync_client(client_id, "Refund recorded", actor)
    return pay


def refund_locked(client: Client, sub: Subscription | None, amount: int, values: dict[str, Any],
                  actor: str | None) -> Payment:
    """Inside a transaction holding the client's lock, the amount already checked."""
    currency = settings.load().currency
    return _write(client, sub, EntryKind.REFUND, -amount, 0 if sub else -amount, method=values["method"],
                  reference=values["reference"], note=values["note"],
                  summary=f"{format_money(amount, currency)} refunded ({values['method']}) from {_for(sub)}",
                  actor=actor)


def move_to_credit_locked(client: Client, sub: Subscription, actor: str | None, why: str = "") -> Payment | None:
    """Inside a transaction holding the client's lock: the subscription's movable money to
    credit (None when there is none)."""
    movable = ledger.movable_to_credit(sub.price_minor, balances.paid_on(sub.id), sub.is_cancelled)
    if movable <= 0:
        return None
    currency = settings.load().currency
    return _write(client, sub, EntryKind.TRANSFER, 0, movable, method="Credit", note=why,
                  summary=f"{format_money(movable, currency)} moved from {_for(sub)} to the client's credit"
                          + (f" ({why})" if why else ""), actor=actor)


@access.requires(Permission.VOID_REFUND)
def move_to_credit(subscription_id: int, *, actor: str | None = None) -> Payment:
    """All the money of a cancelled subscription (or what was paid beyond a live one's price) to
    the client's credit."""
    sid = _whole_id(subscription_id, "subscription")
    with atomic():
        client_id = _client_of_subscription(sid)
        lock_client_row(client_id)
        client = live_client(client_id)
        sub = _subscription_of(client_id, sid)
        movable = ledger.movable_to_credit(sub.price_minor, balances.paid_on(sub.id), sub.is_cancelled)
        why = actions.move_to_credit_blocker(movable, sub.is_cancelled)
        if why is not None:
            raise ValidationError.single("__all__", why)
        pay = move_to_credit_locked(client, sub, actor)
        assert pay is not None
        sync_client(client_id, "Money moved to credit", actor)
    return pay


def _client_of_subscription(subscription_id: int) -> int:
    row = Subscription.select(Subscription.client).where(Subscription.id == subscription_id).tuples().first()
    if row is None:
        raise RecordDeleted("This subscription no longer exists; reload the client.")
    return int(row[0])


@access.requires(Permission.VOID_REFUND)
def void(payment_id: int, reason: str, *, actor: str | None = None) -> Payment:
    """Mark a wrong entry void (it stays, marked, with its own receipt number): it no longer
    counts in the balance, the credit or the revenue. A payment that also paid other owed
    subscriptions takes those credit transfers with it, in the same transaction."""
    reason = ledger.check_void_reason(reason)
    pid = _whole_id(payment_id, "payment")
    with atomic():
        row = Payment.select(Payment.client).where(Payment.id == pid).tuples().first()
        if row is None:
            raise RecordDeleted("This payment no longer exists; reload the client.")
        client_id = int(row[0])
        lock_client_row(client_id)
        client = live_client(client_id)
        pay = Payment.get_by_id(pid)
        s = settings.load()
        if pay.is_void:
            raise ValidationError.single(
                "__all__", f"Receipt {pay.receipt_no} was already voided (by {pay.voided_by or 'someone'} at "
                           f"{format_moment(pay.voided_at or utcnow(), s.timezone)}, receipt {pay.void_receipt_no}): "
                           f"{pay.void_reason}")
        for part in applied_transfers(pay):  # undone first: their credit comes back to the payment's
            _void_one(client, part, f"{reason} (part of receipt {pay.receipt_no}, voided with it)", actor)
        _void_one(client, pay, reason, actor)
        sync_client(client_id, "Payment voided", actor)
    return pay


def _void_one(client: Client, pay: Payment, reason: str, actor: str | None) -> None:
    """One entry voided, inside a transaction holding the client's lock: its blockers checked,
    its void receipt number, the kept balance and the audit event."""
    s = settings.load()
    client_id = client.id
    paid = balances.paid_on(pay.subscription_id) if pay.subscription_id is not None else 0
    facts = ledger.Entry(pay.kind, pay.subscription_id, pay.amount_minor, pay.credit_minor, False)
    why = ledger.void_blocker(facts, paid, balances.credit(client_id), balances.opening_debt(client_id))
    if why is not None:
        if ledger.is_applied_part(pay.kind, pay.reference, pay.note):
            why = f"Receipt {pay.reference} also paid receipt {pay.receipt_no}, which can't be undone: {why}"
        raise ValidationError.single("__all__", why)
    before = {"voided_at": None, "voided_by": "", "void_reason": "", "void_receipt_no": None,
              "client_balance": _kept_balance(client_id), "client_credit": balances.credit(client_id)}
    pay.voided_at = utcnow()
    pay.voided_by = actor or audit.current_actor()
    pay.void_reason = reason
    pay.void_receipt_no = receipts.take_number(s.receipt_prefix)
    pay.save(only=[Payment.voided_at, Payment.voided_by, Payment.void_reason, Payment.void_receipt_no])
    after = {"voided_at": pay.voided_at.isoformat(), "voided_by": pay.voided_by, "void_reason": reason,
             "void_receipt_no": pay.void_receipt_no, "client_balance": _refresh_one(client_id),
             "client_credit": balances.credit(client_id)}
    audit.record("payment.void", "payment", pay.id, client_id=client.id,
                 summary=f"{pay.void_receipt_no}: receipt {pay.receipt_no} "
                         f"({format_money(pay.amount_minor or abs(pay.credit_minor), s.currency)}) voided: {reason}",
                 before=before, after=after, actor=actor)


def sync_client(client_id: int, reason: str, actor: str | None) -> None:
    # Imported here: start-up's auto-renew needs none of the router queue.
    from ispclient.store import provisioning

    provisioning.sync_client(client_id, reason, actor=actor)
