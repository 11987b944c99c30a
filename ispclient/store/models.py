"""The peewee models: clients, routers, packages, subscriptions, payments, audit, settings."""

from __future__ import annotations

import peewee as pw

from ispclient.domain.clock import utcnow
from ispclient.store.db import db


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Server(BaseModel):
    """A MikroTik router. Its API password lives only in the OS keyring, keyed by id."""

    name = pw.CharField(max_length=100, unique=True)
    host = pw.CharField(max_length=255)
    port = pw.IntegerField(default=8728)
    tls = pw.BooleanField(default=False)
    ca_file = pw.CharField(max_length=1000, default="")
    username = pw.CharField(max_length=100, default="admin")
    timeout_s = pw.FloatField(default=5.0)
    encoding = pw.CharField(max_length=20, default="utf-8")
    created_at = pw.DateTimeField(default=utcnow)


class Package(BaseModel):
    name = pw.CharField(max_length=100, unique=True)
    description = pw.TextField(default="")
    price_minor = pw.BigIntegerField()
    validity_days = pw.IntegerField()
    ppp_profile = pw.CharField(max_length=100, default="default")
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)


class Client(BaseModel):
    # The ISP's own reference ("Client ID" on screen); unique among clients not deleted.
    client_code = pw.CharField(max_length=32)
    name = pw.CharField(max_length=200)
    phone = pw.CharField(max_length=32, default="")
    email = pw.CharField(max_length=254, default="")
    address = pw.TextField(default="")
    notes = pw.TextField(default="")
    pppoe_username = pw.CharField(max_length=64, default="")
    # Fernet token (store/secrets.py); the clear password is never stored. Schema 2.
    pppoe_password_enc = pw.TextField(default="")
    server = pw.ForeignKeyField(Server, null=True, backref="clients", on_delete="RESTRICT")
    # JSON of the last desired router state queued for this client, so a sync queues only
    # what changed (store/provisioning.py). Schema 2.
    router_desired = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    # Deleting only sets this, so "Undo" brings the client back with all their history.
    deleted_at = pw.DateTimeField(null=True, index=True)
    deleted_by = pw.CharField(max_length=100, default="")
    # Optimistic concurrency: each edit adds one, and an edit made from an older version (another
    # PC saved meanwhile) is refused instead of silently undoing the other PC's change. Schema 5.
    version = pw.IntegerField(default=1)
    # The PPPoE password was encrypted with a key that is lost ("start a new key"): the router
    # still has it, this database no longer knows it. Schema 5.
    pppoe_password_unknown = pw.BooleanField(default=False)
    # The front desk disabled the PPP secret by hand (audited): it stays disabled whatever the
    # subscriptions say, until enabled by hand again. Schema 7.
    secret_held = pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")])
    # What the client owes (negative: in credit), kept by store/balances.refresh inside every
    # transaction that changes a subscription or a payment of theirs; never drifts from
    # balances.computed_balance_sql (integrity check and tests). The list sorts and filters on it.
    balance_minor = pw.BigIntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])


class Subscription(BaseModel):
    client = pw.ForeignKeyField(Client, backref="subscriptions", on_delete="CASCADE")
    package = pw.ForeignKeyField(Package, backref="subscriptions", on_delete="RESTRICT")
    # As sold: later edits of the package don't rewrite history.
    package_name = pw.CharField(max_length=100)
    price_minor = pw.BigIntegerField()
    starts_on = pw.DateField()
    ends_on = pw.DateField()  # first day without service
    auto_renew = pw.BooleanField(default=False)
    renewed_from = pw.ForeignKeyField("self", null=True, unique=True, backref="renewals", on_delete="SET NULL")
    # Auto-renew made this one's successor (one has ``renewed_from`` = this): keeps the due-renewals
    # index to the open ends of chains. Schema 11.
    renewed = pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")])  # raw inserts leave it out
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(max_length=100, default="")
    cancelled_at = pw.DateTimeField(null=True)
    cancelled_by = pw.CharField(max_length=100, default="")
    cancel_reason = pw.TextField(default="")
    # Cancelled "at the end of the paid period": service runs until this day, then stops with no
    # grace days and no renewal (cancelled_at stays empty until then). Schema 7.
    cancel_on = pw.DateField(null=True)

    class Meta:
        indexes = ((("client", "starts_on"), False),)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Staff(BaseModel):
    """A staff account (schema 7). The password is kept only as its argon2 hash (store/staff.py).
    Usernames and display names are unique whatever their case (indexes made in schema.py)."""

    username = pw.CharField(max_length=32)
    display_name = pw.CharField(max_length=60)
    role = pw.CharField(max_length=12)  # domain.permissions.Role
    active = pw.BooleanField(default=True)
    password_hash = pw.CharField(max_length=200)
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(max_length=100, default="")
    password_changed_at = pw.DateTimeField(default=utcnow)
    version = pw.IntegerField(default=1)


class SignInLock(BaseModel):
    """Wrong passwords per username, shared by every PC (schema 7). Keyed by a hash of the
    lower-cased username: a password typed into the username box is never stored."""

    key = pw.CharField(max_length=64, primary_key=True)
    failures = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    last_failure_at = pw.DateTimeField(null=True)


class Shift(BaseModel):
    """One staff member's time at the till, from opening to the cash-up (schema 7). At most one
    open shift per member (a partial unique index); once closed it is never changed."""

    staff = pw.ForeignKeyField(Staff, backref="shifts", on_delete="RESTRICT")
    opened_at = pw.DateTimeField(default=utcnow)
    opened_pc = pw.CharField(max_length=100, default="")
    opening_float_minor = pw.BigIntegerField(default=0)
    closed_at = pw.DateTimeField(null=True)
    closed_pc = pw.CharField(max_length=100, default="")
    expected_cash_minor = pw.BigIntegerField(null=True)
    counted_cash_minor = pw.BigIntegerField(null=True)
    difference_minor = pw.BigIntegerField(null=True)
    totals = pw.TextField(default="")  # JSON at the close: the totals per method as they were
    note = pw.TextField(default="")

    class Meta:
        indexes = ((("opened_at",), False),)


class Payment(BaseModel):
    """One entry of the client's money ledger (domain/ledger.py): a payment, a refund or a
    transfer to or from their credit. Never edited or deleted; a wrong one is voided."""

    client = pw.ForeignKeyField(Client, backref="payments", on_delete="CASCADE")
    # None: the entry is on the client's credit only (paid in advance, refunded from credit).
    subscription = pw.ForeignKeyField(Subscription, null=True, backref="payments", on_delete="CASCADE")
    kind = pw.CharField(max_length=12, default="payment", constraints=[pw.SQL("DEFAULT 'payment'")])  # EntryKind
    amount_minor = pw.BigIntegerField()  # the till: + in, − out, 0 for a transfer
    # The client's credit: + added, − used.
    credit_minor = pw.BigIntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])
    method = pw.CharField(max_length=40)
    reference = pw.CharField(max_length=100, default="")
    note = pw.TextField(default="")
    paid_at = pw.DateTimeField(default=utcnow)
    taken_by = pw.CharField(max_length=100, default="")
    # The shift of the staff member who took it (schema 7); None before staff accounts, or when
    # the system recorded it.
    shift = pw.ForeignKeyField(Shift, null=True, backref="payments", on_delete="RESTRICT")
    receipt_no = pw.CharField(max_length=40, unique=True)  # store/receipts.py: gap-free, never reused
    tendered_minor = pw.BigIntegerField(null=True)  # cash handed over (the change is printed)
    balance_after_minor = pw.BigIntegerField(null=True)  # the client's balance right after it
    voided_at = pw.DateTimeField(null=True)
    voided_by = pw.CharField(max_length=100, default="", constraints=[pw.SQL("DEFAULT ''")])
    void_reason = pw.TextField(default="", constraints=[pw.SQL("DEFAULT ''")])
    void_receipt_no = pw.CharField(max_length=40, null=True, unique=True)

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class AuditEvent(BaseModel):
    at = pw.DateTimeField(default=utcnow, index=True)
    actor = pw.CharField(max_length=100)
    action = pw.CharField(max_length=60)  # "client.create", "subscription.cancel", "router.command" …
    entity = pw.CharField(max_length=40)
    entity_id = pw.IntegerField(null=True)
    # A plain id, not a foreign key: the trail outlives anything it describes.
    client_id = pw.IntegerField(null=True)
    summary = pw.TextField(default="")
    before = pw.TextField(default="")  # JSON
    after = pw.TextField(default="")  # JSON
    # Schema 7: the staff member (a plain id, like client_id), and where it was done. ``actor`` is
    # the staff member's name then; rows from before staff accounts keep their OS user there.
    staff_id = pw.IntegerField(null=True)
    os_user = pw.CharField(max_length=100, default="", constraints=[pw.SQL("DEFAULT ''")])
    pc_name = pw.CharField(max_length=100, default="", constraints=[pw.SQL("DEFAULT ''")])

    class Meta:
        indexes = ((("client_id", "at"), False),)


class RouterChange(BaseModel):
    """One queued desired state of one PPP secret on one router (store/router_queue.py).

    Holds no password: a change that sets one reads the client's encrypted column when it is
    applied. Schema 2.
    """

    server = pw.ForeignKeyField(Server, backref="changes", on_delete="CASCADE")
    username = pw.CharField(max_length=64)  # the secret's name on that router
    client_id = pw.IntegerField(null=True, index=True)  # plain id, like the audit trail
    present = pw.BooleanField(default=True)
    disabled = pw.BooleanField(null=True)  # None: leave as it is (a new secret starts disabled)
    profile = pw.CharField(max_length=100, null=True)  # None: leave as it is
    comment = pw.CharField(max_length=300, default="")
    reason = pw.CharField(max_length=200, default="")  # "Subscription renewed", "Expired: disable"…
    status = pw.CharField(max_length=12, default="pending")  # pending|failed|done|superseded
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(max_length=100, default="")
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    last_error = pw.TextField(default="")
    applied_at = pw.DateTimeField(null=True)
    # A worker (on this or another PC) holds the change until lease_until while applying it.
    lease_owner = pw.CharField(max_length=40, default="")
    lease_until = pw.DateTimeField(null=True)
    # "disconnect": only drop the user's live session (apply a new profile now); "" a secret state.
    # Schema 7.
    action = pw.CharField(max_length=20, default="", constraints=[pw.SQL("DEFAULT ''")])

    class Meta:
        indexes = (
            (("status", "server", "next_attempt_at"), False),
            (("server", "username", "status"), False),
        )


class Setting(BaseModel):
    key = pw.CharField(max_length=100, primary_key=True)
    value = pw.TextField()


class Counter(BaseModel):
    """Numbers handed out one after another ("receipt"): the row is updated inside the
    transaction that uses the number, so a rolled-back one is never skipped, and two PCs queue on
    the row's lock instead of taking the same one."""

    name = pw.CharField(max_length=40, primary_key=True)
    value = pw.BigIntegerField(default=0)  # the last number handed out


class SchemaVersion(BaseModel):
    version = pw.IntegerField()


MODELS: list[type[BaseModel]] = [
    Server, Package, Client, Subscription, Payment, AuditEvent, Setting, SchemaVersion, RouterChange,
    Staff, SignInLock, Shift, Counter,
]
