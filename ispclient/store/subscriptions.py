"""Subscription services: create, renew, cancel, record payments, auto-renew."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import peewee

from ispclient.domain import subscriptions as rules
from ispclient.domain import validation
from ispclient.domain.clock import utcnow
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.money import format_money, parse_amount
from ispclient.store import audit, provisioning, settings
from ispclient.store.db import atomic, lock_client_row
from ispclient.store.models import Client, Package, Payment, Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentInput:
    amount: str
    method: str = "Cash"
    reference: str = ""
    note: str = ""


def _clean_payment(data: PaymentInput, currency: str) -> dict[str, object]:
    errors = Collector()
    amount = errors.check("amount", parse_amount, data.amount, currency)
    method = data.method.strip()
    if not method:
        errors.add("method", "Choose how the client paid.")
    elif len(method) > 40:
        errors.add("method", "The payment method is too long (at most 40 characters).")
    if len(data.reference.strip()) > 100:
        errors.add("reference", "The reference is too long (at most 100 characters).")
    notes = errors.check("note", validation.notes, data.note)
    errors.raise_if_any()
    return {"amount_minor": amount, "method": method, "reference": data.reference.strip(), "note": notes}


def _live_client(client_id: int) -> Client:
    client = Client.get_or_none((Client.id == client_id) & Client.deleted_at.is_null())
    if client is None:
        raise ValidationError.single("__all__", "This client has been deleted.")
    return client


def _add_payment(sub: Subscription, values: dict[str, object], actor: str | None) -> Payment:
    currency = settings.load().currency
    pay = Payment.create(subscription=sub, taken_by=actor or audit.current_actor(), **values)
    audit.record("payment.record", "payment", pay.id, client_id=sub.client_id,
                 summary=f"Payment of {format_money(pay.amount_minor, currency)} ({pay.method}) for "
                         f"“{sub.package_name}” from {sub.starts_on:%d %b %Y}",
                 after=audit.snapshot(pay), actor=actor)
    return pay


def create_subscription(
    client_id: int,
    package_id: int,
    start: date,
    *,
    auto_renew: bool = False,
    payment: PaymentInput | None = None,
    actor: str | None = None,
) -> Subscription:
    """Sell a package to a client from ``start``; refused if it overlaps another subscription."""
    currency = settings.load().currency
    today = settings.today()
    errors = Collector()
    package = Package.get_or_none(Package.id == package_id)
    if package is None:
        errors.add("package", "Choose a package.")
    elif not package.active:
        errors.add("package", f"“{package.name}” is no longer sold. Choose an active package.")
    pay_values = None
    if payment is not None:
        try:
            pay_values = _clean_payment(payment, currency)
        except ValidationError as e:
            for k, v in e.errors.items():
                errors.add(k, v)
    errors.raise_if_any()
    assert package is not None
    end = rules.end_date(start, package.validity_days)
    with atomic():
        lock_client_row(client_id)
        client = _live_client(client_id)
        existing = list(client.subscriptions)
        rules.check_no_overlap(start, end, existing, today)
        sub = Subscription.create(
            client=client, package=package, package_name=package.name, price_minor=package.price_minor,
            starts_on=start, ends_on=end, auto_renew=auto_renew, created_by=actor or audit.current_actor(),
        )
        audit.record("subscription.create", "subscription", sub.id, client_id=client.id,
                     summary=f"Subscription “{sub.package_name}” {start:%d %b %Y} – {end:%d %b %Y} created",
                     after=audit.snapshot(sub), actor=actor)
        if pay_values is not None:
            _add_payment(sub, pay_values, actor)
        provisioning.sync_client(client.id, "Subscription created", actor=actor)
    return sub


def renewal_start(client_id: int) -> date:
    """Start of a renewal: the end date of the running (or last scheduled) one, else today."""
    return rules.renewal_start(Subscription.select().where(Subscription.client == client_id), settings.today())


def renew_subscription(
    subscription_id: int,
    *,
    package_id: int | None = None,
    auto_renew: bool | None = None,
    payment: PaymentInput | None = None,
    actor: str | None = None,
) -> Subscription:
    """The next period for this subscription's client, starting where the current one ends."""
    old = Subscription.get_by_id(subscription_id)
    return create_subscription(
        old.client_id, package_id or old.package_id, renewal_start(old.client_id),
        auto_renew=old.auto_renew if auto_renew is None else auto_renew, payment=payment, actor=actor,
    )


def cancel_subscription(subscription_id: int, reason: str = "", *, actor: str | None = None) -> Subscription:
    today = settings.today()
    if len(reason.strip()) > 500:
        raise ValidationError.single("reason", "The reason is too long (at most 500 characters).")
    with atomic():
        sub = Subscription.get_by_id(subscription_id)
        st = rules.status(sub, today)
        if st is rules.SubscriptionStatus.CANCELLED:
            raise ValidationError.single("__all__", "This subscription is already cancelled.")
        if st is rules.SubscriptionStatus.EXPIRED:
            raise ValidationError.single(
                "__all__", "This subscription has already ended; there is nothing to cancel."
            )
        before = audit.snapshot(sub)
        sub.cancelled_at = utcnow()
        sub.cancelled_by = actor or audit.current_actor()
        sub.cancel_reason = reason.strip()
        sub.auto_renew = False
        sub.save()
        old, new = audit.changes(before, audit.snapshot(sub))
        audit.record("subscription.cancel", "subscription", sub.id, client_id=sub.client_id,
                     summary=f"Subscription “{sub.package_name}” cancelled"
                             + (f": {sub.cancel_reason}" if sub.cancel_reason else ""),
                     before=old, after=new, actor=actor)
        provisioning.sync_client(sub.client_id, "Subscription cancelled", actor=actor)
    return sub


def set_auto_renew(subscription_id: int, on: bool, *, actor: str | None = None) -> Subscription:
    with atomic():
        sub = Subscription.get_by_id(subscription_id)
        if sub.is_cancelled:
            raise ValidationError.single("auto_renew", "A cancelled subscription can't renew.")
        if sub.auto_renew != on:
            sub.auto_renew = on
            sub.save()
            audit.record("subscription.edit", "subscription", sub.id, client_id=sub.client_id,
                         summary=f"Auto-renew turned {'on' if on else 'off'} for “{sub.package_name}”",
                         before={"auto_renew": not on}, after={"auto_renew": on}, actor=actor)
    return sub


def record_payment(subscription_id: int, data: PaymentInput, *, actor: str | None = None) -> Payment:
    values = _clean_payment(data, settings.load().currency)
    with atomic():
        sub = Subscription.get_by_id(subscription_id)
        if sub.is_cancelled:
            raise ValidationError.single(
                "__all__", "This subscription is cancelled; record the payment on another one."
            )
        _live_client(sub.client_id)
        pay = _add_payment(sub, values, actor)
        provisioning.sync_client(sub.client_id, "Payment recorded", actor=actor)
        return pay


def run_auto_renew(today: date | None = None, *, actor: str = "auto-renew") -> list[Subscription]:
    """Roll every expired auto-renew subscription into its next period(s), unpaid.

    Idempotent: a subscription is renewed at most once (``renewed_from`` is unique), so running
    this twice, or on two PCs at once, creates nothing twice.
    The routers follow in ``provisioning.sync_all``, which ``enforce`` runs right after this.
    """
    today = today or settings.today()
    created: list[Subscription] = []
    due = (Subscription.select()
           .join(Client).switch(Subscription)
           .where(Subscription.auto_renew & Subscription.cancelled_at.is_null()
                  & (Subscription.ends_on <= today) & Client.deleted_at.is_null())
           .where(~Subscription.id.in_(Subscription.select(Subscription.renewed_from)
                                       .where(Subscription.renewed_from.is_null(False)))))
    for sub in list(due):
        try:
            created.extend(_auto_renew_one(sub, today, actor))
        except peewee.IntegrityError:
            # Another PC renewed it between our check and our insert: its renewal stands.
            log.info("auto-renew of subscription %s was done elsewhere", sub.id)
    return created


def _auto_renew_one(sub: Subscription, today: date, actor: str) -> list[Subscription]:
    created: list[Subscription] = []
    with atomic():
        lock_client_row(sub.client_id)
        # Re-check inside the transaction: another PC may have renewed it meanwhile.
        if Subscription.select().where(Subscription.renewed_from == sub.id).exists():
            return created
        package = sub.package
        if not package.active:
            log.info("auto-renew skipped for subscription %s: package %s inactive", sub.id, package.name)
            return created
        siblings = list(Subscription.select().where(Subscription.client == sub.client_id))
        prev = sub
        for start, end in rules.auto_renew_chain(sub.ends_on, package.validity_days, today):
            if rules.find_overlap(start, end, siblings) is not None:
                break  # the front desk already sold the next period by hand
            nxt = Subscription.create(
                client=sub.client_id, package=package, package_name=package.name,
                price_minor=package.price_minor, starts_on=start, ends_on=end, auto_renew=True,
                renewed_from=prev, created_by=actor,
            )
            audit.record("subscription.auto_renew", "subscription", nxt.id, client_id=sub.client_id,
                         summary=f"“{nxt.package_name}” renewed automatically: "
                                 f"{start:%d %b %Y} – {end:%d %b %Y} (unpaid)",
                         after=audit.snapshot(nxt), actor=actor)
            siblings.append(nxt)
            created.append(nxt)
            prev = nxt
    return created
