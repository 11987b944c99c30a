"""Staff accounts: the first owner, signing in (with the lock-out), and the owner's management.

Passwords are kept only as argon2id hashes in the library's own format
(``$argon2id$v=19$m=65536,t=3,p=4$…``): never stored, logged or put in the audit trail in
the clear. A username that fails five times in a row is locked for a minute on every PC (the
count is in the database); the lock is keyed by a hash of the username, so a password typed
into the username box by mistake is not kept anywhere either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import peewee
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ispclient.domain import staff as rules
from ispclient.domain.clock import utcnow
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.permissions import Actor, Permission, Role
from ispclient.store import access, audit, settings
from ispclient.store.db import atomic, db, is_sqlite
from ispclient.store.errors import ChangedElsewhere, RecordDeleted
from ispclient.store.models import SignInLock, Staff

# argon2id with the library's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes):
# about 0.1–0.2 s per sign-in on a front-desk PC.
_hasher = PasswordHasher()
_DUMMY_HASH: str | None = None  # verified against for unknown usernames: the same time either way
_FIRST_OWNER_LOCK = 0x15C_0A11  # pg_advisory_xact_lock key: one first owner, whichever PC is first


class SignInRefused(ValidationError):
    """Wrong username or password, locked, or turned off; the message says which it may say."""

    def __init__(self, message: str, locked_seconds: int = 0) -> None:
        super().__init__({"__all__": message})
        self.locked_seconds = locked_seconds


def hasher() -> PasswordHasher:
    return _hasher


def use_hasher(new: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (tests use cheaper parameters; the format stays argon2id's); the old one."""
    global _hasher, _DUMMY_HASH
    old, _hasher, _DUMMY_HASH = _hasher, new, None
    return old


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not a password of anyone's")
    return _DUMMY_HASH


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class StaffInput:
    username: str
    display_name: str
    role: str  # a Role value
    active: bool = True
    password: str | None = field(default=None, repr=False)  # None: unchanged (an edit)


def actor_of(row: Staff) -> Actor:
    return Actor(row.id, row.username, row.display_name, Role(row.role))


def has_staff() -> bool:
    """Whether any staff account exists (none: the first start asks for the owner)."""
    return bool(Staff.select().exists())


def has_history() -> bool:
    """Whether the data was used before staff accounts (an upgrade, not a new data folder)."""
    from ispclient.store.models import AuditEvent

    return bool(AuditEvent.select().exists())


def _lock_key(username: str) -> str:
    text = f"{settings.installation_id()}:{username.strip().lower()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _by_username(username: str) -> Staff | None:
    """Matched here, not in SQL: what was typed into the username box (maybe a password, by
    mistake) never reaches a statement, so not even a DEBUG log of the queries holds it."""
    wanted = username.strip().lower()
    return next((row for row in Staff.select() if row.username.lower() == wanted), None)


def _clean(data: StaffInput, staff_id: int | None, *, new: bool) -> dict[str, object]:
    errors = Collector()
    username = errors.check("username", rules.username, data.username)
    name = errors.check("display_name", rules.display_name, data.display_name)
    try:
        role = Role(data.role)
    except ValueError:
        errors.add("role", "Choose a role: owner, manager, cashier or viewer.")
        role = None
    if not isinstance(data.active, bool):
        errors.add("active", "An account is on or off.")
    if new or data.password is not None:
        errors.check("password", rules.password, data.password, str(username or data.username))
    others = Staff.id != (staff_id or 0)
    if username and Staff.select().where(others & (peewee.fn.LOWER(Staff.username) == str(username).lower())).exists():
        errors.add("username", f"The username “{username}” is taken.")
    if name and Staff.select().where(others & (peewee.fn.LOWER(Staff.display_name) == str(name).lower())).exists():
        errors.add("display_name", f"Another account is called “{name}”: the activity would not tell them apart.")
    errors.raise_if_any()
    return {"username": username, "display_name": name, "role": role.value if role else "", "active": data.active}


def _taken(e: peewee.IntegrityError) -> ValidationError:
    text = str(e).lower()
    if "display_name" in text or "staff_name" in text:
        return ValidationError.single("display_name", "That name was just given to another account (on another PC).")
    return ValidationError.single("username", "That username was just taken (on another PC).")


def _snapshot(row: Staff) -> dict[str, object]:
    return audit.snapshot(row, exclude=("password_hash", "version"))


@access.open_to_all
def create_first_owner(username: str, display_name: str, password: str) -> Actor:
    """The owner of a database with no staff yet (a new data folder, or the first start after the
    upgrade that brought staff accounts). Refused once any account exists: then sign in."""
    values = _clean(StaffInput(username, display_name, Role.OWNER.value, True, password), None, new=True)
    hashed = _hasher.hash(password)  # before the transaction: ~0.2 s
    try:
        with atomic():
            if not is_sqlite():
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_FIRST_OWNER_LOCK,))
            if Staff.select().exists():
                raise ValidationError.single(
                    "__all__", "An owner account was just created (on another PC). Sign in with it.")
            row = Staff.create(**values, password_hash=hashed, created_by=audit.os_user()[:100])
            owner = actor_of(row)
            with access.acting_as(owner):
                audit.record("staff.create", "staff", row.id, summary=f"Owner account “{row.username}” created "
                             f"({row.display_name}) — the first staff account", after=_snapshot(row))
                audit.record("staff.sign_in", "staff", row.id, summary=f"{row.display_name} signed in")
    except peewee.IntegrityError as e:
        raise _taken(e) from None
    return owner


@access.open_to_all
def sign_in(username: str, password: str) -> Actor:
    """The staff member these credentials open; SignInRefused otherwise (and the failure counted)."""
    errors = Collector()
    if not isinstance(username, str) or not username.strip():
        errors.add("username", "Type your username.")
    if not isinstance(password, str) or not password:
        errors.add("password", "Type your password.")
    errors.raise_if_any()
    key = _lock_key(username)
    now = utcnow()
    lock = SignInLock.get_or_none(SignInLock.key == key)
    seconds = rules.locked_for(lock.locked_until if lock else None, now)
    if seconds:
        raise SignInRefused(rules.locked_message(seconds), seconds)
    row = _by_username(username)
    matches = _verify(row.password_hash if row is not None else _dummy_hash(), password)
    if row is None or not matches:
        seconds = _count_failure(key, row)
        raise SignInRefused(rules.locked_message(seconds) if seconds else rules.WRONG, seconds)
    if not row.active:
        with atomic():
            SignInLock.delete().where(SignInLock.key == key).execute()
            audit.record("staff.sign_in_refused", "staff", row.id,
                         summary=f"{row.display_name} tried to sign in: the account is turned off")
        raise SignInRefused(rules.DISABLED)
    actor = actor_of(row)
    with atomic():
        SignInLock.delete().where(SignInLock.key == key).execute()
        if _hasher.check_needs_rehash(row.password_hash):  # stronger parameters since it was set
            Staff.update(password_hash=_hasher.hash(password)).where(Staff.id == row.id).execute()
        with access.acting_as(actor):
            audit.record("staff.sign_in", "staff", row.id, summary=f"{row.display_name} signed in")
    return actor


def _count_failure(key: str, row: Staff | None) -> int:
    """One more wrong password for this username (on any PC); the seconds it is now locked."""
    now = utcnow()
    with atomic():
        SignInLock.insert(key=key, failures=1, last_failure_at=now).on_conflict(
            conflict_target=[SignInLock.key],
            update={SignInLock.failures: SignInLock.failures + 1, SignInLock.last_failure_at: now},
        ).execute()
        lock = SignInLock.get(SignInLock.key == key)
        locked = lock.failures >= rules.MAX_FAILURES
        if locked:
            lock.failures = 0
            lock.locked_until = now + rules.LOCK_FOR
            lock.save()
        who = row.display_name if row is not None else "an unknown username"
        if locked:
            summary = f"Sign-in for {who} locked for a minute after {rules.MAX_FAILURES} wrong passwords"
        else:
            summary = f"Wrong password for {who} ({lock.failures} of {rules.MAX_FAILURES})"
        # The typed username is not written when it matches nobody: it may be a mistyped password.
        audit.record("staff.sign_in_failed", "staff", row.id if row is not None else None, summary=summary)
    return rules.locked_for(lock.locked_until, now) if locked else 0


@access.signed_in
def change_own_password(current_password: str, new_password: str) -> None:
    """The signed-in member's own password (the current one asked again)."""
    actor = access.check_signed_in()
    if actor.staff_id is None:
        raise ValidationError.single("__all__", "Only a staff member has a password to change.")
    row = Staff.get_by_id(actor.staff_id)
    if not _verify(row.password_hash, current_password or ""):
        raise ValidationError.single("current_password", "That is not your current password.")
    rules.password(new_password, row.username, "new_password")
    hashed = _hasher.hash(new_password)
    with atomic():
        Staff.update(password_hash=hashed, password_changed_at=utcnow(), version=Staff.version + 1) \
            .where(Staff.id == row.id).execute()
        audit.record("staff.password", "staff", row.id, summary=f"{row.display_name} changed their password")


def _lock_owners() -> None:
    """Serialise changes that could leave no owner: two PCs demoting the two last owners queue."""
    if not is_sqlite():
        db.execute_sql("SELECT id FROM staff WHERE role = 'owner' ORDER BY id FOR UPDATE")


def _check_an_owner_stays() -> None:
    owners = Staff.select().where((Staff.role == Role.OWNER.value) & Staff.active).count()
    if owners == 0:
        raise ValidationError.single("role", "There must always be an owner who can sign in: make someone else "
                                             "owner first.")


@access.requires(Permission.STAFF)
def create_staff(data: StaffInput) -> Staff:
    values = _clean(data, None, new=True)
    assert data.password is not None
    hashed = _hasher.hash(data.password)
    try:
        with atomic():
            row = Staff.create(**values, password_hash=hashed, created_by=audit.current_actor()[:100])
            audit.record("staff.create", "staff", row.id,
                         summary=f"Staff account “{row.username}” ({row.display_name}, {row.role}) created",
                         after=_snapshot(row))
    except peewee.IntegrityError as e:
        raise _taken(e) from None
    return row


@access.requires(Permission.STAFF)
def edit_staff(staff_id: int, data: StaffInput, *, expected_version: int | None = None) -> Staff:
    """Name, username, role, on/off and (when given) a new password the owner sets. Refused when
    it would leave no owner who can sign in."""
    values = _clean(data, staff_id, new=False)
    hashed = _hasher.hash(data.password) if data.password is not None else None
    try:
        with atomic():
            _lock_owners()
            row = Staff.get_or_none(Staff.id == staff_id)
            if row is None:
                raise RecordDeleted("This staff account no longer exists; reload the list.")
            if expected_version is not None and row.version != expected_version:
                raise ChangedElsewhere("staff account", None, "", ())
            before = _snapshot(row)
            for k, v in values.items():
                setattr(row, k, v)
            if hashed is not None:
                row.password_hash = hashed
                row.password_changed_at = utcnow()
            row.version = row.version + 1
            row.save()
            _check_an_owner_stays()
            old, new = audit.changes(before, _snapshot(row))
            if hashed is not None:
                old["password"], new["password"] = "(old)", "(new, set by the owner)"
            audit.record("staff.edit", "staff", row.id, summary=f"Staff account “{row.username}” edited",
                         before=_masked(old), after=_masked(new))
    except peewee.IntegrityError as e:
        raise _taken(e) from None
    return row


def _masked(values: dict[str, object]) -> dict[str, object]:
    """audit.record drops a "password" key; say that it changed under another name."""
    if "password" in values:
        values = {**{k: v for k, v in values.items() if k != "password"}, "password_set": values["password"]}
    return values


@dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    password_changed_at: datetime
    version: int
    locked_seconds: int = 0

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.username})"


def staff_list() -> list[StaffView]:
    """Every account, owners first, then by name (a read: anyone may see who works here)."""
    now = utcnow()
    locks = {row.key: row.locked_until for row in SignInLock.select().where(SignInLock.locked_until > now)}
    order = {r.value: i for i, r in enumerate(Role)}
    rows = [StaffView(r.id, r.username, r.display_name, Role(r.role), bool(r.active), r.created_at,
                      r.password_changed_at, r.version,
                      rules.locked_for(locks.get(_lock_key(r.username)) if locks else None, now))
            for r in Staff.select()]
    return sorted(rows, key=lambda v: (order.get(v.role.value, 9), v.display_name.lower()))
