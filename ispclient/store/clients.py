"""Client services: create, edit, delete (undoable). Each is one transaction with its audit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import peewee

from ispclient.domain import clients as client_rules
from ispclient.domain import validation
from ispclient.domain.clock import utcnow
from ispclient.domain.dates import format_moment
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.permissions import Permission
from ispclient.store import access, audit, provisioning, secrets, settings
from ispclient.store.db import atomic, lock_client_row
from ispclient.store.errors import Change, ChangedElsewhere, RecordDeleted
from ispclient.store.models import AuditEvent, Client, Server, Subscription


@dataclass(frozen=True)
class ClientInput:
    """What the client form holds, as typed."""

    client_code: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    pppoe_username: str = ""
    server_id: int | None = None
    notes: str = ""
    pppoe_password: str | None = field(default=None, repr=False)  # None: unchanged; "": remove


class DeleteRefused(ValidationError):
    """“Unable to delete client”, with the subscription that blocks it so the UI can open it."""

    def __init__(self, message: str, subscription_id: int) -> None:
        super().__init__({"__all__": message})
        self.subscription_id = subscription_id


MAX_PPPOE_PASSWORD = 64
# Stored encrypted and never in the audit trail; only whether it changed is.
_NOT_AUDITED = ("pppoe_password_enc", "router_desired", "version", "pppoe_password_unknown")


def validate_pppoe_password(value: str) -> str:
    """A password a PPPoE dialer can type: printable ASCII, no leading/trailing spaces."""
    if value != value.strip():
        raise ValidationError.single("pppoe_password", "The PPPoE password can't start or end with a space.")
    if len(value) > MAX_PPPOE_PASSWORD:
        raise ValidationError.single(
            "pppoe_password", f"The PPPoE password is too long (at most {MAX_PPPOE_PASSWORD} characters)."
        )
    if not all(" " <= ch <= "~" for ch in value):
        raise ValidationError.single(
            "pppoe_password", "The PPPoE password can only use English letters, digits and punctuation."
        )
    return value


@dataclass(frozen=True)
class _NewPassword:
    token: str | None  # the new encrypted password ("" to remove it), None to keep the stored one
    cipher: secrets.PasswordCipher | None = None

    def check_key(self) -> None:
        """In the transaction: the key the token was made with is still the database's."""
        if self.token and self.cipher is not None:
            secrets.check_key_unchanged(self.cipher)


def _encrypted_password(data: ClientInput) -> _NewPassword:
    if data.pppoe_password is None:
        return _NewPassword(None)
    if data.pppoe_password == "":
        return _NewPassword("")
    used = secrets.cipher()
    return _NewPassword(used.encrypt(data.pppoe_password), used)


@access.requires(Permission.SEE_PPPOE_PASSWORDS)
def pppoe_password(client_id: int) -> str | None:
    """The client's PPPoE password in clear, for the reveal button; None when none is stored.
    SecretsUnavailable says why it can't be shown (no key here; or unknown since a new key)."""
    client = Client.get_by_id(client_id)
    if client.pppoe_password_unknown and not client.pppoe_password_enc:
        raise secrets.SecretsUnavailable(PASSWORD_UNKNOWN)
    token = client.pppoe_password_enc
    return secrets.cipher(create=False).decrypt(token) if token else None


PASSWORD_UNKNOWN = ("Unknown — set a new one. It was saved with a key that was lost (a new key was started); the "
                    "router still has the old password until a new one is saved here.")


def pppoe_password_state(client_id: int) -> str:
    """"none", "saved" or "unknown" (saved with a lost key: set a new one)."""
    client = Client.get_by_id(client_id)
    if client.pppoe_password_enc:
        return "saved"
    return "unknown" if client.pppoe_password_unknown else "none"


def _live() -> peewee.Expression:
    return Client.deleted_at.is_null()


def suggest_client_code() -> str:
    prefix = settings.load().client_code_prefix
    # Only codes with the prefix matter; pull the highest few rather than every row.
    codes = (Client.select(Client.client_code)
             .where(Client.client_code.startswith(prefix))
             .order_by(peewee.fn.LENGTH(Client.client_code).desc(), Client.client_code.desc())
             .limit(50).tuples())
    return client_rules.next_client_code((c for (c,) in codes), prefix)


def suggest_pppoe_username(name: str, server_id: int | None, client_id: int | None = None) -> str:
    """A PPPoE username from ``name``, unique on that router among live clients (not counting
    ``client_id`` itself)."""
    base = client_rules.username_base(name)
    if not base:
        return ""
    q = Client.select(Client.pppoe_username).where(
        _live() & (peewee.fn.LOWER(Client.pppoe_username).startswith(base)) & (Client.id != (client_id or 0)))
    q = q.where(Client.server == server_id) if server_id is not None else q.where(Client.server.is_null())
    return client_rules.suggest_username(name, (u for (u,) in q.tuples()))


def _check_fields(data: ClientInput, country: str, errors: Collector) -> dict[str, object]:
    """The input on its own, without the database: cleaned values, problems into ``errors``."""
    code = errors.check("client_code", validation.client_code, data.client_code)
    name = errors.check("name", validation.name, data.name)
    phone = errors.check("phone", validation.phone, data.phone, country)
    email = errors.check("email", validation.email, data.email)
    address = errors.check("address", validation.address, data.address)
    notes = errors.check("notes", validation.notes, data.notes)
    username = errors.check("pppoe_username", validation.pppoe_username, data.pppoe_username)
    if data.pppoe_password:
        errors.check("pppoe_password", validate_pppoe_password, data.pppoe_password)
        if not username and not errors.errors.get("pppoe_username"):
            errors.add("pppoe_password", "Enter the PPPoE username this password belongs to.")
    if username and data.server_id is None:
        errors.add("server_id", "Choose the router this PPPoE username logs in to.")
    return {"client_code": code, "name": name, "phone": phone, "email": email, "address": address,
            "notes": notes, "pppoe_username": username}


def field_errors(data: ClientInput, country: str) -> dict[str, str]:
    """What is wrong with the input on its own (no database): the dialog checks this live."""
    errors = Collector()
    _check_fields(data, country, errors)
    return errors.errors


def validate(data: ClientInput, client_id: int | None = None) -> dict[str, object]:
    """The cleaned values, or ValidationError with a message for every bad field."""
    errors = Collector()
    values = _check_fields(data, settings.load().default_country, errors)
    code, username = values["client_code"], values["pppoe_username"]
    server = None
    if data.server_id is not None:
        server = Server.get_or_none(Server.id == data.server_id)
        if server is None:
            errors.add("server_id", "That router no longer exists; choose another.")
    others = _live() & (Client.id != (client_id or 0))
    # Compared whatever their case: RouterOS treats "Amina" and "amina" as one secret, and a
    # Client ID read out at the counter has no case. Twins left from before this rule don't stop
    # an edit that leaves the value as it was.
    stored = Client.get_or_none(Client.id == client_id) if client_id is not None else None
    if code and (stored is None or stored.client_code != code):
        clash = Client.get_or_none(others & (peewee.fn.LOWER(Client.client_code) == code.lower()))
        if clash is not None:
            same = "" if clash.client_code == code else f" (as {clash.client_code})"
            errors.add("client_code", f"Client ID {code} is already used by another client{same}.")
    if username and server is not None and (stored is None or (stored.pppoe_username, stored.server_id)
                                            != (username, server.id)):
        clash = Client.get_or_none(others & (Client.server == server)
                                   & (peewee.fn.LOWER(Client.pppoe_username) == username.lower()))
        if clash is not None:
            same = "" if clash.pppoe_username == username else \
                f" as “{clash.pppoe_username}” (the router doesn't tell capitals from small letters)"
            errors.add("pppoe_username",
                       f"“{username}” is already used on {server.name}{same} by {clash.name} ({clash.client_code}).")
    errors.raise_if_any()
    return {**values, "server": server}


def check(data: ClientInput, client_id: int | None = None) -> dict[str, str]:
    """Everything :func:`validate` would refuse, as field messages ({} when it would pass)."""
    try:
        validate(data, client_id)
    except ValidationError as e:
        return e.errors
    return {}


def _unique_violation(e: peewee.IntegrityError) -> ValidationError:
    """Another PC took the same Client ID or username between our check and our write (see below)."""
    text = str(e).lower().split("\ndetail:")[0]
    if "foreign key" in text:  # the client table refers to nothing but its router
        return ValidationError.single("server_id", "That router was just removed on another PC; choose another.")
    return _unique_clash(text)


def _unique_clash(text: str) -> ValidationError:
    """Another PC took the same Client ID or username between our check and our write.

    Matched on the index or columns the database names — PostgreSQL: unique constraint
    "client_pppoe_live"; SQLite: "client.server_id, client.pppoe_username" — and never on
    PostgreSQL's DETAIL line, which quotes the clashing value (a Client ID may read "PPPOE-7")."""
    if "client_pppoe_live" in text or "client.pppoe_username" in text:
        return ValidationError.single("pppoe_username", "That PPPoE username was just taken on this router.")
    if "client_code_live" in text or "client.client_code" in text:
        return ValidationError.single("client_code", "That Client ID was just taken by another client.")
    return ValidationError.single("__all__", "The change clashes with another record; reload and try again.")


@access.requires(Permission.EDIT_CLIENTS)
def create_client(data: ClientInput, *, actor: str | None = None) -> Client:
    values = validate(data)
    password = _encrypted_password(data)  # before the transaction: the keyring may be slow
    token = password.token
    if token:
        values["pppoe_password_enc"] = token
    try:
        with atomic():
            password.check_key()
            client = Client.create(**values)
            after = audit.snapshot(client, exclude=_NOT_AUDITED)
            if token:
                after["pppoe_password_set"] = True
            audit.record("client.create", "client", client.id, client_id=client.id,
                         summary=f"Client {client.client_code} “{client.name}” created",
                         after=after, actor=actor)
            provisioning.sync_client(client.id, "Client created", actor=actor)
    except peewee.IntegrityError as e:
        raise _unique_violation(e) from None
    return client


@access.requires(Permission.EDIT_CLIENTS)
def edit_client(client_id: int, data: ClientInput, *, actor: str | None = None,
                expected_version: int | None = None) -> Client:
    """Save the edit form. ``expected_version`` is the ``Client.version`` the form was filled
    from: when another PC saved the client since, the edit is refused (ChangedElsewhere, saying
    who, when and what changed) instead of silently undoing theirs. None: last save wins."""
    values = validate(data, client_id)
    password = _encrypted_password(data)
    token = password.token
    if token is not None:
        values["pppoe_password_enc"] = token
        values["pppoe_password_unknown"] = False
    try:
        with atomic():
            password.check_key()
            lock_client_row(client_id)
            client = _editable(client_id)
            if expected_version is not None and client.version != expected_version:
                raise changed_elsewhere(client, expected_version)
            before = audit.snapshot(client, exclude=_NOT_AUDITED)
            had_password = bool(client.pppoe_password_enc)
            for k, v in values.items():
                setattr(client, k, v)
            client.updated_at = utcnow()
            client.version = client.version + 1
            client.save()
            old, new = audit.changes(before, audit.snapshot(client, exclude=("updated_at", *_NOT_AUDITED)))
            if token is not None and (token or had_password):
                old["pppoe_password_set"], new["pppoe_password_set"] = had_password, bool(token)
            audit.record("client.edit", "client", client.id, client_id=client.id,
                         summary=f"Client {client.client_code} edited", before=old, after=new, actor=actor)
            provisioning.sync_client(client.id, "Client edited", actor=actor)
    except peewee.IntegrityError as e:
        raise _unique_violation(e) from None
    return client


def _editable(client_id: int) -> Client:
    """The client, not deleted; RecordDeleted in plain words otherwise."""
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        raise RecordDeleted("This client no longer exists (it was removed on another PC). Close this window.")
    if client.deleted_at is not None:
        when = format_moment(client.deleted_at, settings.load().timezone)
        who = f" by {client.deleted_by}" if client.deleted_by else ""
        raise RecordDeleted(f"This client was deleted on another PC at {when}{who}, so the change was not saved. "
                            "Close this window; Undo delete in the client list brings them back.")
    return client


def changed_elsewhere(client: Client, expected_version: int) -> ChangedElsewhere:
    """Who changed the client since ``expected_version``, when, and what: from the client.edit
    events of the edits since (each edit adds one to the version and writes one event)."""
    missed = max(client.version - expected_version, 0)
    events = list(AuditEvent.select().where((AuditEvent.client_id == client.id) & (AuditEvent.action == "client.edit"))
                  .order_by(AuditEvent.id.desc()).limit(missed)) if missed else []
    firsts: dict[str, object] = {}
    lasts: dict[str, object] = {}
    for event in reversed(events):  # oldest first
        before, after = _json(event.before), _json(event.after)
        for name, value in after.items():
            firsts.setdefault(name, before.get(name))
            lasts[name] = value
    changes = tuple(Change(_LABELS.get(f, f), firsts[f], lasts[f]) for f in lasts if f in _LABELS)
    newest = events[0] if events else None
    tz = settings.load().timezone
    return ChangedElsewhere("client", newest.at if newest else None, newest.actor if newest else "", changes,
                            format_moment(newest.at, tz) if newest else "")


_LABELS = {"client_code": "Client ID", "name": "name", "phone": "phone", "email": "e-mail", "address": "address",
           "notes": "notes", "pppoe_username": "PPPoE username", "server": "router",
           "pppoe_password_set": "PPPoE password"}


def _json(text: str) -> dict[str, object]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@access.requires(Permission.DELETE_CLIENTS)
def delete_client(client_id: int, *, actor: str | None = None) -> Client:
    """Delete (reversibly) a client whose subscriptions are all Expired or Cancelled.

    The client's row is locked first: another PC selling a subscription at the same moment
    either sells first (and the delete is refused) or finds the client deleted."""
    today = settings.today()
    with atomic():
        lock_client_row(client_id)
        client = _editable(client_id)
        subs = list(client.subscriptions.order_by(Subscription.starts_on))
        blocker = client_rules.delete_blocker(subs, today)
        if blocker is not None:
            raise DeleteRefused(client_rules.delete_refusal(blocker, blocker.package_name, today), blocker.id)
        client.deleted_at = utcnow()
        client.deleted_by = actor or audit.current_actor()
        client.save()
        audit.record("client.delete", "client", client.id, client_id=client.id,
                     summary=f"Client {client.client_code} “{client.name}” deleted", actor=actor)
        provisioning.sync_client(client.id, "Client deleted", actor=actor)
    return client


@access.requires(Permission.DELETE_CLIENTS)
def undo_delete_client(client_id: int, *, actor: str | None = None) -> Client:
    """Bring a deleted client back with all their history."""
    try:
        with atomic():
            lock_client_row(client_id)
            client = Client.get_or_none(Client.id == client_id)
            if client is None:
                raise RecordDeleted("This client no longer exists.")
            if client.deleted_at is None:
                return client
            others = _live() & (Client.id != client.id)
            same_code = peewee.fn.LOWER(Client.client_code) == client.client_code.lower()
            if Client.select().where(others & same_code).exists():
                raise ValidationError.single(
                    "client_code",
                    f"Can't restore: Client ID {client.client_code} has since been given to another client.")
            if client.pppoe_username and Client.select().where(
                others & (Client.server == client.server_id)
                & (peewee.fn.LOWER(Client.pppoe_username) == client.pppoe_username.lower())
            ).exists():
                raise ValidationError.single(
                    "pppoe_username",
                    f"Can't restore: PPPoE username “{client.pppoe_username}” has since been given to another client.",
                )
            client.deleted_at = None
            client.deleted_by = ""
            client.save()
            audit.record("client.restore", "client", client.id, client_id=client.id,
                         summary=f"Client {client.client_code} “{client.name}” restored (delete undone)", actor=actor)
            provisioning.sync_client(client.id, "Client restored", actor=actor)
    except peewee.IntegrityError as e:  # another PC took the ID or username between check and write
        clash = _unique_violation(e)
        field = next(iter(clash.errors))
        raise ValidationError.single(field, "Can't restore: " + clash.errors[field][0].lower()
                                     + clash.errors[field][1:]) from None
    return client
