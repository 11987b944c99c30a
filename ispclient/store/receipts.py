"""Receipt numbers and what a receipt shows — no Qt (ui/receipts.py lays it out and prints it).

Numbers are sequential per installation: ``<prefix><number>`` (R-000001, R-000002…), one counter
for payments, refunds, credit moves and voids. The counter row is updated inside the transaction
of the entry that takes the number: a transaction that rolls back gives its number back (never
skipped), and a second PC waits on the row's lock until the first commits (never the same number
twice); a unique index on the numbers stands behind both.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime

from ispclient.domain import validation
from ispclient.domain.ledger import EntryKind
from ispclient.domain.permissions import Permission
from ispclient.store import access, settings
from ispclient.store.db import atomic, db
from ispclient.store.models import Client, Counter, Payment, Setting, Subscription

RECEIPT = "receipt"
NUMBER_WIDTH = 6
LOGO_KEY = "receipt_logo_png"  # base64 PNG in the settings table, read only for receipts
MAX_LOGO_BYTES = 512 * 1024


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{NUMBER_WIDTH}d}"


def take_number(prefix: str | None = None) -> str:
    """The next receipt number; call inside the transaction of the entry that carries it."""
    sql = f"UPDATE counter SET value = value + 1 WHERE name = {db.obj.param} RETURNING value"
    row = db.execute_sql(sql, (RECEIPT,)).fetchone()
    if row is None:  # a database made before the counter existed: start it (migration normally does)
        Counter.insert(name=RECEIPT, value=0).on_conflict_ignore().execute()
        row = db.execute_sql(sql, (RECEIPT,)).fetchone()
    return format_number(settings.load().receipt_prefix if prefix is None else prefix, int(row[0]))


def take_numbers(count: int, prefix: str | None = None) -> list[str]:
    """The next ``count`` receipt numbers in one step (an import's batch of entries): the same
    counter row, locked and given back on rollback like :func:`take_number`'s."""
    if count <= 0:
        return []
    sql = f"UPDATE counter SET value = value + {db.obj.param} WHERE name = {db.obj.param} RETURNING value"
    row = db.execute_sql(sql, (count, RECEIPT)).fetchone()
    if row is None:
        Counter.insert(name=RECEIPT, value=0).on_conflict_ignore().execute()
        row = db.execute_sql(sql, (count, RECEIPT)).fetchone()
    last = int(row[0])
    prefix = settings.load().receipt_prefix if prefix is None else prefix
    return [format_number(prefix, n) for n in range(last - count + 1, last + 1)]


def last_number() -> int:
    counter = Counter.get_or_none(Counter.name == RECEIPT)
    return int(counter.value) if counter else 0


def number_part(receipt_no: str) -> int:
    """The counter's number in a receipt number ("R-000042" → 42)."""
    digits = len(receipt_no) - len(receipt_no.rstrip("0123456789"))
    return int(receipt_no[-digits:]) if digits else 0


# -- the logo ------------------------------------------------------------------------------

def logo() -> bytes | None:
    row = Setting.get_or_none(Setting.key == LOGO_KEY)
    if row is None or not row.value:
        return None
    try:
        return base64.b64decode(row.value)
    except ValueError:
        return None


@access.requires(Permission.SETTINGS)
def set_logo(png: bytes | None, *, actor: str | None = None) -> None:
    """Keep (or with None, drop) the logo printed at the top of receipts: a PNG the screen has
    already scaled down."""
    from ispclient.domain.errors import ValidationError
    from ispclient.store import audit

    if png is not None and len(png) > MAX_LOGO_BYTES:
        raise ValidationError.single("logo", f"The logo is too large ({len(png) // 1024:,} KB; at most "
                                             f"{MAX_LOGO_BYTES // 1024} KB).")
    with atomic():
        had = logo() is not None
        settings.put(LOGO_KEY, base64.b64encode(png).decode("ascii") if png else "")
        audit.record("settings.edit", "settings", None, summary="Receipt logo " + (
            "changed" if png and had else "added" if png else "removed"),
            before={"receipt_logo": had}, after={"receipt_logo": png is not None}, actor=actor)


# -- what a receipt shows ------------------------------------------------------------------

@dataclass(frozen=True)
class IspDetails:
    name: str
    address: str
    phone: str
    tax_number: str
    footer: str
    logo_png: bytes | None = None


@dataclass(frozen=True)
class Applied:
    """Part of a payment that paid another owed subscription of the client."""

    package_name: str
    starts_on: date
    ends_on: date
    amount_minor: int


@dataclass(frozen=True)
class Receipt:
    """One entry as its receipt shows it; amounts in minor units of ``currency``."""

    payment_id: int
    number: str
    kind: EntryKind
    issued_at: datetime  # UTC
    taken_by: str
    client_name: str
    client_code: str
    pppoe_username: str
    package_name: str  # "" for an entry on credit only
    starts_on: date | None
    ends_on: date | None
    amount_minor: int  # the till: + received, − given back
    credit_minor: int  # + to credit, − credit used
    method: str
    reference: str
    note: str
    tendered_minor: int | None
    balance_after_minor: int | None
    currency: str
    timezone: str
    isp: IspDetails
    voided_at: datetime | None = None
    voided_by: str = ""
    void_reason: str = ""
    void_number: str = ""
    applied: tuple[Applied, ...] = ()  # what of the payment paid the client's other owed subscriptions

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def kept_as_credit(self) -> int:
        """What of a payment stayed as the client's credit, after paying what else was owed."""
        return max(0, self.credit_minor - sum(a.amount_minor for a in self.applied))

    @property
    def on_subscription(self) -> int:
        return self.amount_minor - self.credit_minor if self.package_name else 0

    @property
    def change_minor(self) -> int | None:
        if self.tendered_minor is None or self.amount_minor <= 0:
            return None
        return max(0, self.tendered_minor - self.amount_minor)


def receipt(payment_id: int) -> Receipt:
    """The receipt of one entry (DoesNotExist if there is none), with the ISP's details."""
    with db.atomic():
        pay = Payment.get_by_id(payment_id)
        client = Client.get_by_id(pay.client_id)
        sub = Subscription.get_by_id(pay.subscription_id) if pay.subscription_id is not None else None
        s = settings.load()
        phone = validation.display_phone(s.isp_phone) if s.isp_phone else ""
        isp = IspDetails(s.isp_name, s.isp_address, phone, s.isp_tax_number, s.receipt_footer, logo())
        from ispclient.store import money  # money takes its numbers from here

        # A voided payment shows the split it had (its transfers were voided with it).
        parts = money.applied_transfers(pay, include_void=pay.is_void)
        subs = {x.id: x for x in Subscription.select().where(Subscription.id.in_([p.subscription_id for p in parts]))} \
            if parts else {}
        applied = tuple(Applied(subs[p.subscription_id].package_name, subs[p.subscription_id].starts_on,
                                subs[p.subscription_id].ends_on, -p.credit_minor) for p in parts)
    return Receipt(
        payment_id=pay.id, number=pay.receipt_no, kind=EntryKind(pay.kind), issued_at=pay.paid_at,
        taken_by=pay.taken_by, client_name=client.name, client_code=client.client_code,
        pppoe_username=client.pppoe_username, package_name=sub.package_name if sub else "",
        starts_on=sub.starts_on if sub else None, ends_on=sub.ends_on if sub else None,
        amount_minor=pay.amount_minor, credit_minor=pay.credit_minor, method=pay.method, reference=pay.reference,
        note=pay.note, tendered_minor=pay.tendered_minor, balance_after_minor=pay.balance_after_minor,
        currency=s.currency, timezone=s.timezone, isp=isp, voided_at=pay.voided_at, voided_by=pay.voided_by,
        void_reason=pay.void_reason, void_number=pay.void_receipt_no or "", applied=applied,
    )


def receipt_of_sale(subscription_id: int) -> int | None:
    """The entry that paid for a subscription when it was sold (None: sold unpaid)."""
    pay = (Payment.select(Payment.id).where(Payment.subscription == subscription_id)
           .order_by(Payment.id).first())
    return int(pay.id) if pay is not None else None
