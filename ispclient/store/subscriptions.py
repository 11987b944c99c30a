"""Subscription services: create, renew, cancel, record payments, auto-renew."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import NamedTuple

import peewee

from ispclient.domain import actions, ledger, validation
from ispclient.domain import subscriptions as rules
from ispclient.domain.clock import utcnow
from ispclient.domain.dates import check_day, day_text
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.permissions import Permission
from ispclient.store import access, audit, balances, money, settings
from ispclient.store.db import atomic, db, lock_client_row, lock_client_rows, lock_row
from ispclient.store.errors import RecordDeleted
from ispclient.store.models import AuditEvent, Client, Package, Payment, Subscription
from ispclient.store.money import PaymentInput as PaymentInput  # re-exported: the forms build these
from ispclient.store.money import RefundInput as RefundInput

log = logging.getLogger(__name__)
MAX_CANCEL_REASON = 500


def _live_client(client_id: int) -> Client:
    return money.live_client(client_id)


def _locked_subscription(subscription_id: object) -> Subscription:
    """The subscription, read again after its client's row is locked: every service that checks
    a subscription before writing holds the same lock, so another PC's cancel, payment or delete
    is either wholly before this check or wholly after this write."""
    sid = _whole_id(subscription_id, "subscription")
    found = Subscription.select(Subscription.client).where(Subscription.id == sid).tuples().first()
    if found is None:
        raise RecordDeleted("This subscription no longer exists; reload the client.")
    lock_client_row(found[0])
    return Subscription.get_by_id(sid)


def _whole_id(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single("__all__", f"Choose a {what}.")
    return value


def _sync_client(client_id: int, reason: str, actor: str | None) -> None:
    # Imported here, not at the top: start-up's auto-renew needs none of the router queue.
    from ispclient.store import provisioning

    provisioning.sync_client(client_id, reason, actor=actor)


@access.requires(Permission.SELL)
def create_subscription(
    client_id: int,
    package_id: int,
    start: date,
    *,
    auto_renew: bool = False,
    payment: PaymentInput | None = None,
    actor: str | None = None,
) -> Subscription:
    """Sell a package to a client from ``start``; refused if it overlaps another subscription.

    The client's row is locked and the client, the package and the other subscriptions are read
    again under it: a delete, another sale or a package change on another PC is either wholly
    before or wholly after this sale."""
    s = settings.load()
    currency = s.currency
    today = settings.today()
    errors = Collector()
    client_id = _whole_id(client_id, "client")
    start = errors.check("start", check_day, start, "start", "start date")  # type: ignore[assignment]
    package = None
    if not isinstance(package_id, bool) and isinstance(package_id, int):
        package = Package.get_or_none(Package.id == package_id)
    if package is None:
        errors.add("package", "Choose a package.")
    elif not package.active:
        errors.add("package", f"“{package.name}” is no longer sold. Choose an active package.")
    if not isinstance(auto_renew, bool):
        errors.add("auto_renew", "Auto-renew is on or off.")
    pay_values = None
    if payment is not None:
        try:
            pay_values = money.clean_payment(payment, currency, s.decimal_separator)
        except ValidationError as e:
            for k, v in e.errors.items():
                errors.add(k, v)
    errors.raise_if_any()
    with atomic():
        lock_client_row(client_id)
        lock_row("package", package_id, share=True)
        package = Package.get_by_id(package_id)  # again: another PC may have changed it meanwhile
        if not package.active:
            raise ValidationError.single("package", f"“{package.name}” is no longer sold. Choose an active package.")
        end = rules.end_date(start, package.validity_days)
        check_day(end, "start", "end date")
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
        balances.refresh([client.id])
        if pay_values is not None:
            money.take_payment(client, sub, pay_values, actor)
        _sync_client(client.id, "Subscription created", actor)
    return sub


def renewal_start(client_id: int) -> date:
    """Start of a renewal: the end date of the running (or last scheduled) one, else today."""
    return rules.renewal_start(Subscription.select().where(Subscription.client == client_id), settings.today())


@access.requires(Permission.RENEW)
def renew_subscription(
    subscription_id: int,
    *,
    package_id: int | None = None,
    auto_renew: bool | None = None,
    payment: PaymentInput | None = None,
    actor: str | None = None,
) -> Subscription:
    """The next period for this subscription's client, starting where the current one ends."""
    old = Subscription.get_or_none(Subscription.id == _whole_id(subscription_id, "subscription"))
    if old is None:
        raise RecordDeleted("This subscription no longer exists; reload the client.")
    why = actions.renew_blocker(rules.status(old, settings.today()), packages_on_sale=True)
    if why is not None:  # the package's own sale is checked with the sale, under the client's lock
        raise ValidationError.single("__all__", why)
    return create_subscription(
        old.client_id, package_id or old.package_id, renewal_start(old.client_id),
        auto_renew=old.auto_renew if auto_renew is None else auto_renew, payment=payment, actor=actor,
    )


# What happens to money paid on a subscription that is cancelled.
MONEY_TO_CREDIT = "credit"  # kept as the client's credit, used on the next sale
MONEY_REFUND = "refund"  # given back now (the refund's amount; anything left goes to credit)
MONEY_CHOICES = (MONEY_TO_CREDIT, MONEY_REFUND)


@access.requires(Permission.CANCEL)
def cancel_subscription(subscription_id: int, reason: str = "", *, money_to: str = MONEY_TO_CREDIT,
                        refund: RefundInput | None = None, actor: str | None = None,
                        at_period_end: bool = False) -> Subscription:
    """Cancel now (service stops today: the router applies the expiry action at once), and in the
    same transaction settle the money paid on it: refunded (``money_to`` "refund" with ``refund``)
    and/or moved to the client's credit — never left stranded. Or ``at_period_end``: service runs
    until the end date, then stops with no grace days and no renewal (``cancel_on``; the
    subscription then reads Expired, not Cancelled, and what was paid for it stays on it)."""
    if at_period_end:
        return _cancel_at_period_end(subscription_id, reason, actor)
    today = settings.today()
    s = settings.load()
    reason = validation.text_block(reason, "reason", "reason", MAX_CANCEL_REASON)
    if money_to not in MONEY_CHOICES:
        raise ValidationError.single("money_to", "Choose what happens to the money paid on it.")
    refund_values = None
    if money_to == MONEY_REFUND:
        access.check(Permission.VOID_REFUND)  # giving money back is a manager's, as a refund on its own
        if refund is None:
            raise ValidationError.single("amount", "Enter the amount given back.")
        refund_values = money.clean_refund(refund, s.currency, s.decimal_separator)
    with atomic():
        sub = _locked_subscription(subscription_id)
        st = rules.status(sub, today)
        if st is rules.SubscriptionStatus.CANCELLED:
            raise ValidationError.single(
                "__all__", f"This subscription is already cancelled ({money.cancelled_text(sub, s.timezone)}).")
        why = actions.cancel_blocker(st)
        if why is not None:
            raise ValidationError.single("__all__", why)
        client = money.live_client(sub.client_id) if refund_values else Client.get_by_id(sub.client_id)
        before = audit.snapshot(sub)
        sub.cancelled_at = utcnow()
        sub.cancelled_by = actor or audit.current_actor()
        sub.cancel_reason = reason
        sub.auto_renew = False
        sub.save()
        old, new = audit.changes(before, audit.snapshot(sub))
        audit.record("subscription.cancel", "subscription", sub.id, client_id=sub.client_id,
                     summary=f"Subscription “{sub.package_name}” cancelled"
                             + (f": {sub.cancel_reason}" if sub.cancel_reason else ""),
                     before=old, after=new, actor=actor)
        balances.refresh([sub.client_id])
        _settle_cancelled(client, sub, refund_values, actor)
        _sync_client(sub.client_id, "Subscription cancelled", actor)
    return sub


def _cancel_at_period_end(subscription_id: int, reason: str, actor: str | None) -> Subscription:
    today = settings.today()
    reason = validation.text_block(reason, "reason", "reason", MAX_CANCEL_REASON)
    with atomic():
        sub = _locked_subscription(subscription_id)
        st = rules.status(sub, today)
        if st not in (rules.SubscriptionStatus.ACTIVE, rules.SubscriptionStatus.EXPIRING):
            raise ValidationError.single(
                "__all__", "Only a running subscription can stop at the end of its period; cancel this one now.")
        before = audit.snapshot(sub)
        sub.cancel_on = sub.ends_on
        sub.cancel_reason = reason
        sub.auto_renew = False
        sub.save()
        old, new = audit.changes(before, audit.snapshot(sub))
        audit.record("subscription.cancel_at_end", "subscription", sub.id, client_id=sub.client_id,
                     summary=f"Subscription “{sub.package_name}” cancelled from {day_text(sub.ends_on)} (the end of "
                             "its period)" + (f": {sub.cancel_reason}" if sub.cancel_reason else ""),
                     before=old, after=new, actor=actor)
        _sync_client(sub.client_id, "Subscription to stop at the end of its period", actor)
    return sub


def _settle_cancelled(client: Client, sub: Subscription, refund_values: dict[str, object] | None,
                      actor: str | None) -> None:
    """The money on a subscription just cancelled: the refund asked for, the rest to credit."""
    if refund_values is not None:
        paid = balances.paid_on(sub.id)
        amount = int(refund_values["amount_minor"])  # type: ignore[call-overload]
        ledger.check_refund(amount, paid, f"the subscription “{sub.package_name}”", settings.load().currency)
        money.refund_locked(client, sub, amount, refund_values, actor)
    money.move_to_credit_locked(client, sub, actor, "subscription cancelled")


@access.requires(Permission.SELL)
def set_auto_renew(subscription_id: int, on: bool, *, actor: str | None = None) -> Subscription:
    if not isinstance(on, bool):
        raise ValidationError.single("auto_renew", "Auto-renew is on or off.")
    with atomic():
        sub = _locked_subscription(subscription_id)
        if sub.is_cancelled:
            raise ValidationError.single("auto_renew", "A cancelled subscription can't renew.")
        if sub.auto_renew != on:
            sub.auto_renew = on
            sub.save()
            audit.record("subscription.edit", "subscription", sub.id, client_id=sub.client_id,
                         summary=f"Auto-renew turned {'on' if on else 'off'} for “{sub.package_name}”",
                         before={"auto_renew": not on}, after={"auto_renew": on}, actor=actor)
    return sub


@access.requires(Permission.TAKE_PAYMENTS)
def record_payment(subscription_id: int, data: PaymentInput, *, actor: str | None = None) -> Payment:
    """Take money for a subscription (what goes beyond its due becomes credit); refused when it
    is cancelled — also when another PC cancels it at the same moment (both hold the client's
    row lock)."""
    sid = _whole_id(subscription_id, "subscription")
    found = Subscription.select(Subscription.client).where(Subscription.id == sid).tuples().first()
    if found is None:
        raise RecordDeleted("This subscription no longer exists; reload the client.")
    return money.record_payment(int(found[0]), data, subscription_id=sid, actor=actor)


# Auto-renew's candidates, from the partial index subscription_auto_renew (schema 4): ended,
# auto-renewing, not cancelled, not renewed yet, of a client not deleted. A subscription that
# can't be renewed has its auto-renew turned off (with the reason in the audit trail), so it
# is looked at once, not at every start.
_DUE_SQL = """
SELECT s.id, s.client_id, s.package_id, s.package_name, s.ends_on FROM subscription s
WHERE s.auto_renew AND s.cancelled_at IS NULL AND NOT s.renewed AND s.ends_on <= {p}
  AND NOT EXISTS (SELECT 1 FROM subscription r WHERE r.renewed_from_id = s.id)
  AND EXISTS (SELECT 1 FROM client c WHERE c.id = s.client_id AND c.deleted_at IS NULL) {extra}
"""
_CLIENTS_PER_TRANSACTION = 500


class _Due(NamedTuple):
    id: int
    client_id: int
    package_id: int
    package_name: str
    ends_on: date


class _Sibling(NamedTuple):
    id: int
    starts_on: date
    ends_on: date
    package_name: str
    is_cancelled: bool = False  # only live ones are read


def _due(today: date, client_ids: list[int] | None = None) -> list[_Due]:
    p = db.obj.param
    extra = f"AND s.client_id IN ({','.join([p] * len(client_ids))})" if client_ids else ""
    cursor = db.execute_sql(_DUE_SQL.format(p=p, extra=extra), [today, *(client_ids or [])])
    # Sorted here, not in SQL: an ORDER BY client_id would steer the planner off the index.
    return sorted((_Due(sid, cid, pid, name, _as_date(end)) for sid, cid, pid, name, end in cursor.fetchall()),
                  key=lambda d: (d.client_id, d.ends_on, d.id))


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@access.automatic
def run_auto_renew(today: date | None = None, *, actor: str = "auto-renew") -> list[Subscription]:
    """Roll every expired auto-renew subscription into its next period(s), unpaid.

    One that can't be renewed (its package is no longer sold, or the front desk already sold
    the next period by hand) has auto-renew turned off, with the reason in the audit trail.
    Idempotent: a subscription is renewed at most once (``renewed_from`` is unique), so running
    this twice, or on two PCs at once, creates nothing twice; each batch of clients is locked
    and looked at again inside its transaction.
    The routers follow in ``provisioning.sync_all``, which ``enforce`` runs right after this.
    """
    today = today or settings.today()
    client_ids = sorted({d.client_id for d in _due(today)})
    created: list[Subscription] = []
    for i in range(0, len(client_ids), _CLIENTS_PER_TRANSACTION):
        batch = client_ids[i:i + _CLIENTS_PER_TRANSACTION]
        for attempt in range(3):
            try:
                created.extend(_auto_renew_batch(batch, today, actor))
                break
            except peewee.IntegrityError:
                # Another PC renewed one between our check and our insert: its renewal stands,
                # and the batch's next look sees it.
                log.info("auto-renew of clients %s…%s met a renewal done elsewhere (attempt %d)",
                         batch[0], batch[-1], attempt + 1)
    return created


def _auto_renew_batch(client_ids: list[int], today: date, actor: str) -> list[Subscription]:
    created: list[Subscription] = []
    with atomic():
        lock_client_rows(client_ids)
        # Looked at again inside the transaction: another PC may have renewed, cancelled or
        # deleted meanwhile.
        due = _due(today, client_ids)
        if not due:
            return created
        packages = {pkg.id: pkg for pkg in Package.select()}
        siblings = _live_siblings(sorted({d.client_id for d in due}))
        stopped: list[tuple[_Due, str]] = []
        for sub in due:
            package = packages[sub.package_id]
            if not package.active:
                stopped.append((sub, f"the package “{package.name}” is no longer sold"))
                continue
            mine = siblings.setdefault(sub.client_id, [])
            start = sub.ends_on  # the next period first: years of periods only if it is free
            clash = rules.find_overlap(start, rules.end_date(start, package.validity_days), mine)
            if clash is not None:  # the front desk already sold the next period by hand
                stopped.append((sub, f"the period from {start:%d %b %Y} was already sold by hand "
                                     f"(“{clash.package_name}” {clash.starts_on:%d %b %Y} – "
                                     f"{clash.ends_on:%d %b %Y})"))
                continue
            prev = sub.id
            for start, end in rules.auto_renew_chain(sub.ends_on, package.validity_days, today):
                if rules.find_overlap(start, end, mine) is not None:
                    break  # sold by hand further on: the last renewal is looked at when it ends
                nxt = Subscription.create(
                    client=sub.client_id, package=package, package_name=package.name,
                    price_minor=package.price_minor, starts_on=start, ends_on=end, auto_renew=True,
                    renewed_from=prev, created_by=actor,
                )
                Subscription.update(renewed=True).where(Subscription.id == prev).execute()
                audit.record("subscription.auto_renew", "subscription", nxt.id, client_id=sub.client_id,
                             summary=f"“{nxt.package_name}” renewed automatically: "
                                     f"{start:%d %b %Y} – {end:%d %b %Y} (unpaid)",
                             after=audit.snapshot(nxt), actor=actor)
                mine.append(_Sibling(nxt.id, start, end, package.name))
                created.append(nxt)
                prev = nxt.id
        balances.refresh({sub.client_id for sub in due})
        _stop_auto_renew(stopped, actor)
    return created


def _live_siblings(client_ids: list[int]) -> dict[int, list[_Sibling]]:
    """The clients' subscriptions not cancelled, as plain records (plain SQL: the first run on
    an older data set can read hundreds of thousands)."""
    p = db.obj.param
    out: dict[int, list[_Sibling]] = {}
    dates: dict[object, date] = {}
    for i in range(0, len(client_ids), 500):
        batch = client_ids[i:i + 500]
        cursor = db.execute_sql(
            "SELECT client_id, id, starts_on, ends_on, package_name FROM subscription "
            f"WHERE client_id IN ({','.join([p] * len(batch))}) AND cancelled_at IS NULL", batch)
        for cid, sid, start, end, name in cursor.fetchall():
            start = dates.get(start) or dates.setdefault(start, _as_date(start))
            end = dates.get(end) or dates.setdefault(end, _as_date(end))
            out.setdefault(cid, []).append(_Sibling(sid, start, end, name))
    return out


def _stop_auto_renew(stopped: list[tuple[_Due, str]], actor: str) -> None:
    """Turn auto-renew off where it can't go on, each with its reason in the audit trail: in
    bulk, because a data set can hold thousands of them the first time."""
    if not stopped:
        return
    p = db.obj.param
    cursor = db.cursor()
    cursor.executemany(f"UPDATE subscription SET auto_renew = {p} WHERE id = {p}",
                       [(False, sub.id) for sub, _reason in stopped])
    now = AuditEvent.at.db_value(utcnow())
    before, after = json.dumps({"auto_renew": True}), json.dumps({"auto_renew": False})
    cursor.executemany(
        'INSERT INTO audit_event ("at", "actor", "action", "entity", "entity_id", "client_id", "summary", '
        '"before", "after", "os_user", "pc_name") '
        f"VALUES ({', '.join([p] * 11)})",
        [(now, actor, "subscription.edit", "subscription", sub.id, sub.client_id,
          f"Auto-renew stopped for “{sub.package_name}”: {reason}", before, after, audit.os_user()[:100],
          audit.pc_name()) for sub, reason in stopped])
    log.info("auto-renew turned off for %d subscription(s) that can't be renewed", len(stopped))
