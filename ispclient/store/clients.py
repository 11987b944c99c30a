"""Client services: create, edit, delete (undoable). Each is one transaction with its audit."""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from ispclient.domain import clients as client_rules
from ispclient.domain import validation
from ispclient.domain.clock import utcnow
from ispclient.domain.errors import Collector, ValidationError
from ispclient.store import audit, settings
from ispclient.store.db import atomic
from ispclient.store.models import Client, Server, Subscription


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


class DeleteRefused(ValidationError):
    """“Unable to delete client”, with the subscription that blocks it so the UI can open it."""

    def __init__(self, message: str, subscription_id: int) -> None:
        super().__init__({"__all__": message})
        self.subscription_id = subscription_id


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


def validate(data: ClientInput, client_id: int | None = None) -> dict[str, object]:
    """The cleaned values, or ValidationError with a message for every bad field."""
    country = settings.load().default_country
    errors = Collector()
    code = errors.check("client_code", validation.client_code, data.client_code)
    name = errors.check("name", validation.name, data.name)
    phone = errors.check("phone", validation.phone, data.phone, country)
    email = errors.check("email", validation.email, data.email)
    address = errors.check("address", validation.address, data.address)
    notes = errors.check("notes", validation.notes, data.notes)
    username = errors.check("pppoe_username", validation.pppoe_username, data.pppoe_username)
    server = None
    if data.server_id is not None:
        server = Server.get_or_none(Server.id == data.server_id)
        if server is None:
            errors.add("server_id", "That router no longer exists; choose another.")
    others = _live() & (Client.id != (client_id or 0))
    if code and Client.select().where(others & (Client.client_code == code)).exists():
        errors.add("client_code", f"Client ID {code} is already used by another client.")
    if username and server is not None:
        clash = Client.get_or_none(others & (Client.server == server) & (Client.pppoe_username == username))
        if clash is not None:
            errors.add("pppoe_username",
                       f"“{username}” is already used on {server.name} by {clash.name} ({clash.client_code}).")
    if username and server is None and not errors.errors.get("server_id"):
        errors.add("server_id", "Choose the router this PPPoE username logs in to.")
    errors.raise_if_any()
    return {"client_code": code, "name": name, "phone": phone, "email": email, "address": address,
            "notes": notes, "pppoe_username": username, "server": server}


def _unique_violation(e: peewee.IntegrityError) -> ValidationError:
    """Another PC took the same Client ID or username between our check and our write."""
    text = str(e).lower()
    if "pppoe" in text:
        return ValidationError.single("pppoe_username", "That PPPoE username was just taken on this router.")
    if "code" in text:
        return ValidationError.single("client_code", "That Client ID was just taken by another client.")
    return ValidationError.single("__all__", "The change clashes with another record; reload and try again.")


def create_client(data: ClientInput, *, actor: str | None = None) -> Client:
    values = validate(data)
    try:
        with atomic():
            client = Client.create(**values)
            audit.record("client.create", "client", client.id, client_id=client.id,
                         summary=f"Client {client.client_code} “{client.name}” created",
                         after=audit.snapshot(client), actor=actor)
    except peewee.IntegrityError as e:
        raise _unique_violation(e) from None
    return client


def edit_client(client_id: int, data: ClientInput, *, actor: str | None = None) -> Client:
    values = validate(data, client_id)
    try:
        with atomic():
            client = Client.get((Client.id == client_id) & _live())
            before = audit.snapshot(client)
            for k, v in values.items():
                setattr(client, k, v)
            client.updated_at = utcnow()
            client.save()
            old, new = audit.changes(before, audit.snapshot(client, exclude=("updated_at",)))
            audit.record("client.edit", "client", client.id, client_id=client.id,
                         summary=f"Client {client.client_code} edited", before=old, after=new, actor=actor)
    except peewee.IntegrityError as e:
        raise _unique_violation(e) from None
    return client


def delete_client(client_id: int, *, actor: str | None = None) -> Client:
    """Delete (reversibly) a client whose subscriptions are all Expired or Cancelled."""
    today = settings.today()
    with atomic():
        client = Client.get((Client.id == client_id) & _live())
        subs = list(client.subscriptions.order_by(Subscription.starts_on))
        blocker = client_rules.delete_blocker(subs, today)
        if blocker is not None:
            raise DeleteRefused(client_rules.delete_refusal(blocker, blocker.package_name, today), blocker.id)
        client.deleted_at = utcnow()
        client.deleted_by = actor or audit.current_actor()
        client.save()
        audit.record("client.delete", "client", client.id, client_id=client.id,
                     summary=f"Client {client.client_code} “{client.name}” deleted", actor=actor)
    return client


def undo_delete_client(client_id: int, *, actor: str | None = None) -> Client:
    """Bring a deleted client back with all their history."""
    with atomic():
        client = Client.get(Client.id == client_id)
        if client.deleted_at is None:
            return client
        others = _live() & (Client.id != client.id)
        if Client.select().where(others & (Client.client_code == client.client_code)).exists():
            raise ValidationError.single(
                "client_code", f"Can't restore: Client ID {client.client_code} has since been given to another client."
            )
        if client.pppoe_username and Client.select().where(
            others & (Client.server == client.server_id) & (Client.pppoe_username == client.pppoe_username)
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
    return client
