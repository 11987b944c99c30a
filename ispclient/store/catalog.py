"""Packages and servers (routers): create, edit, delete — each one transaction plus audit."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import peewee

from ispclient.domain import subscriptions as rules
from ispclient.domain import validation
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.money import parse_amount
from ispclient.domain.permissions import Permission
from ispclient.store import access, audit, settings
from ispclient.store.db import atomic, lock_row
from ispclient.store.errors import RecordDeleted
from ispclient.store.models import Client, Package, Server

ENCODINGS = ("utf-8", "cp1252")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")


@dataclass(frozen=True)
class PackageInput:
    name: str
    price: str
    validity_days: int
    ppp_profile: str = "default"
    description: str = ""
    active: bool = True


def _clean_package(data: PackageInput, s: settings.Settings, package_id: int | None) -> dict[str, object]:
    errors = Collector()
    name = errors.check("name", validation.required_text, data.name, "name", "package name")
    price = errors.check("price", lambda: parse_amount(data.price, s.currency, allow_zero=True,
                                                       decimal_separator=s.decimal_separator))
    errors.check("validity_days", rules.validate_validity, data.validity_days)
    profile = errors.check("ppp_profile", validation.required_text, data.ppp_profile, "ppp_profile", "PPP profile")
    description = errors.check("description", validation.text_block, data.description, "description",
                               "description", validation.MAX_DESCRIPTION)
    if not isinstance(data.active, bool):
        errors.add("active", "A package is either sold or not.")
    if name and Package.select().where((Package.name == name) & (Package.id != (package_id or 0))).exists():
        errors.add("name", f"A package named “{name}” already exists.")
    errors.raise_if_any()
    return {"name": name, "price_minor": price, "validity_days": data.validity_days,
            "ppp_profile": profile, "description": description, "active": data.active}


def _name_taken(e: peewee.IntegrityError, what: str) -> ValidationError:
    """Another PC saved the same name between our check and our write (the unique index said so)."""
    if "unique" in str(e).lower():
        return ValidationError.single("name", f"A {what} of that name was just saved on another PC; "
                                              "choose another name.")
    return ValidationError.single("__all__", "The change clashes with another record; reload and try again.")


@access.requires(Permission.PACKAGES)
def create_package(data: PackageInput, *, actor: str | None = None) -> Package:
    values = _clean_package(data, settings.load(), None)
    try:
        with atomic():
            pkg = Package.create(**values)
            audit.record("package.create", "package", pkg.id, summary=f"Package “{pkg.name}” created",
                         after=audit.snapshot(pkg), actor=actor)
    except peewee.IntegrityError as e:
        raise _name_taken(e, "package") from None
    return pkg


@access.requires(Permission.PACKAGES)
def edit_package(package_id: int, data: PackageInput, *, actor: str | None = None) -> Package:
    """Saved under the package's row lock: a sale on another PC (which holds it shared) reads the
    price either before or after this edit, never half of it."""
    values = _clean_package(data, settings.load(), package_id)
    try:
        with atomic():
            lock_row("package", package_id)
            pkg = Package.get_or_none(Package.id == package_id)
            if pkg is None:
                raise RecordDeleted("This package no longer exists; reload the list.")
            before = audit.snapshot(pkg)
            for k, v in values.items():
                setattr(pkg, k, v)
            pkg.save()
            old, new = audit.changes(before, audit.snapshot(pkg))
            audit.record("package.edit", "package", pkg.id, summary=f"Package “{pkg.name}” edited",
                         before=old, after=new, actor=actor)
    except peewee.IntegrityError as e:
        raise _name_taken(e, "package") from None
    return pkg


@dataclass(frozen=True)
class ServerInput:
    name: str
    host: str
    port: int = 8728
    tls: bool = False
    ca_file: str = ""
    username: str = "admin"
    timeout_s: float = 5.0
    encoding: str = "utf-8"


def validate_host(host: object) -> str:
    if not isinstance(host, str):
        raise ValidationError.single("host", "Enter the address as text (IP or host name).")
    cleaned = host.strip()
    if not cleaned:
        raise ValidationError.single("host", "Enter the router's address (IP or host name).")
    try:
        ipaddress.ip_address(cleaned)
        return cleaned
    except ValueError:
        pass
    if not _HOSTNAME.match(cleaned):
        raise ValidationError.single("host", f"“{cleaned}” is not an IP address or host name.")
    return cleaned


def _clean_server(data: ServerInput, server_id: int | None) -> dict[str, object]:
    errors = Collector()
    name = errors.check("name", validation.required_text, data.name, "name", "router name")
    host = errors.check("host", validate_host, data.host)
    if isinstance(data.port, bool) or not isinstance(data.port, int) or not 1 <= data.port <= 65535:
        errors.add("port", "The API port is a number from 1 to 65535 (usually 8728, or 8729 with TLS).")
    username = errors.check("username", validation.required_text, data.username, "username", "API user name")
    if isinstance(data.timeout_s, bool) or not isinstance(data.timeout_s, int | float) \
            or not 1 <= data.timeout_s <= 120:
        errors.add("timeout_s", "The timeout is between 1 and 120 seconds.")
    if data.encoding not in ENCODINGS:
        errors.add("encoding", "The router's text encoding is utf-8 or cp1252.")
    if not isinstance(data.tls, bool):
        errors.add("tls", "TLS is on or off.")
    ca_file = errors.check("ca_file", validation.line, data.ca_file, "ca_file", "CA certificate file", 1000) or ""
    if ca_file and not data.tls:
        errors.add("ca_file", "A CA certificate is only used with TLS (API-SSL) on.")
    elif ca_file and not Path(str(ca_file)).is_file():
        errors.add("ca_file", f"No certificate file at {ca_file}.")
    if name and Server.select().where((Server.name == name) & (Server.id != (server_id or 0))).exists():
        errors.add("name", f"A router named “{name}” already exists.")
    errors.raise_if_any()
    return {"name": name, "host": host, "port": data.port, "tls": data.tls, "ca_file": ca_file,
            "username": username, "timeout_s": float(data.timeout_s), "encoding": data.encoding}


@access.requires(Permission.SERVERS)
def create_server(data: ServerInput, *, actor: str | None = None) -> Server:
    values = _clean_server(data, None)
    try:
        with atomic():
            srv = Server.create(**values)
            audit.record("server.create", "server", srv.id, summary=f"Router “{srv.name}” added",
                         after=audit.snapshot(srv), actor=actor)
    except peewee.IntegrityError as e:
        raise _name_taken(e, "router") from None
    return srv


@access.requires(Permission.SERVERS)
def edit_server(server_id: int, data: ServerInput, *, actor: str | None = None) -> Server:
    values = _clean_server(data, server_id)
    try:
        with atomic():
            lock_row("server", server_id)
            srv = Server.get_or_none(Server.id == server_id)
            if srv is None:
                raise RecordDeleted("This router was removed (on another PC); reload the list.")
            before = audit.snapshot(srv)
            for k, v in values.items():
                setattr(srv, k, v)
            srv.save()
            old, new = audit.changes(before, audit.snapshot(srv))
            audit.record("server.edit", "server", srv.id, summary=f"Router “{srv.name}” edited",
                         before=old, after=new, actor=actor)
    except peewee.IntegrityError as e:
        raise _name_taken(e, "router") from None
    return srv


@access.requires(Permission.SERVERS)
def delete_server(server_id: int, *, actor: str | None = None) -> None:
    """Remove a router; refused while clients are assigned to it. The caller deletes its
    keyring secret after this succeeds.

    The router's row is locked before the clients are counted: a client being given this router
    on another PC at the same moment either is counted or finds the router gone."""
    with atomic():
        lock_row("server", server_id)
        srv = Server.get_or_none(Server.id == server_id)
        if srv is None:
            raise RecordDeleted("This router was already removed (on another PC).")
        assigned = Client.select().where((Client.server == srv) & Client.deleted_at.is_null()).count()
        if assigned:
            raise ValidationError.single(
                "__all__", f"“{srv.name}” still has {assigned} client(s). Move them to another router first."
            )
        # Deleted clients keep history but no longer need the router.
        Client.update(server=None).where(Client.server == srv).execute()
        before = audit.snapshot(srv)
        try:
            srv.delete_instance()
        except peewee.IntegrityError:
            raise ValidationError.single("__all__", f"“{srv.name}” is still in use.") from None
        audit.record("server.delete", "server", server_id, summary=f"Router “{srv.name}” removed",
                     before=before, actor=actor)
