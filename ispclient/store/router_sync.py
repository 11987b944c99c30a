"""The database side of reconcile and import: what we expect on a router, and the fixes.

Reading the router happens in a worker (``routeros.reconcile.fetch_secrets``); these functions
take its plain rows. Fixing the router side goes through the change queue like any change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ispclient.domain.clients import next_client_code
from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import Permission
from ispclient.routeros.import_secrets import ImportRow, Known, preview
from ispclient.routeros.reconcile import Difference, DiffKind, Expected, compare
from ispclient.routeros.wire import Row
from ispclient.store import access, audit, clients, provisioning, secrets
from ispclient.store import settings as store_settings
from ispclient.store.db import atomic, lock_client_row
from ispclient.store.models import Client, Package, Server
from ispclient.store.router_queue import Desired, enqueue


def expected_for_server(server_id: int, today: date | None = None) -> list[Expected]:
    """Every secret the database expects on this router, by the same rules as the queue."""
    s = store_settings.load()
    today = today or store_settings.today()
    rows = list(Client.select().where((Client.server == server_id) & (Client.pppoe_username != ""))
                .order_by(Client.deleted_at.is_null(False), Client.client_code))
    facts = provisioning._all_facts([c.id for c in rows])
    out: dict[str, Expected] = {}
    for client in rows:
        if client.pppoe_username in out:
            continue  # a deleted client whose username a live one now has
        state, profile = provisioning.state_of(client, today, s.grace_days, facts.get(client.id, []))
        desired = provisioning.desired_for(client, state, profile, s)
        if desired is None:
            continue
        out[client.pppoe_username] = Expected(client.pppoe_username, client.id, provisioning.comment_for(client),
                                              desired.present, desired.disabled, desired.profile)
    return list(out.values())


def reconcile(server_id: int, router_rows: Iterable[Row]) -> list[Difference]:
    return compare(router_rows, expected_for_server(server_id))


@access.requires(Permission.ROUTER_SYNC)
def fix_router(server_id: int, differences: Iterable[Difference], *, actor: str | None = None) -> int:
    """Queue the database's state for each difference; a secret no client owns is removed."""
    queued = 0
    with atomic():
        for diff in differences:
            if diff.client_id is None:
                enqueue(Desired(server_id, diff.username, present=False), client_id=None,
                        reason="Reconcile: remove a secret no client owns", actor=actor)
                queued += 1
                continue
            lock_client_row(diff.client_id)
            result = provisioning.sync_client(diff.client_id, f"Reconcile: {diff.kind.label.lower()}", actor=actor,
                                              force=True, managed_only=False)
            queued += len(result.changes) if result else 0
    return queued


@access.requires(Permission.ROUTER_SYNC)
def fix_database(differences: Iterable[Difference], *, actor: str | None = None) -> list[str]:
    """Make the database follow the router where that means something; returns what can't be.

    A secret missing on the router detaches its client from the router (username cleared). A
    secret only on the router is imported through the import preview instead. The enabled
    state and profile follow from subscriptions, so those are fixed on the router.
    """
    refused: list[str] = []
    for diff in differences:
        if diff.kind is DiffKind.MISSING and diff.client_id is not None:
            c = Client.get_by_id(diff.client_id)
            clients.edit_client(c.id, clients.ClientInput(
                c.client_code, c.name, c.phone, c.email, c.address, "", None, c.notes), actor=actor)
        elif diff.kind is DiffKind.EXTRA and diff.client_id is None:
            refused.append(f"“{diff.username}”: use Import to make it a client.")
        else:
            refused.append(f"“{diff.username}”: its state comes from the subscriptions; fix it on the router, or "
                           "renew or cancel the subscription.")
    return refused


# -- import ---------------------------------------------------------------------------------


def known_for_import(server_id: int) -> Known:
    here: set[str] = set()
    deleted: dict[str, str] = {}
    elsewhere: dict[str, str] = {}
    folded: dict[str, str] = {}
    names = {s.id: s.name for s in Server.select()}
    for c in Client.select().where(Client.pppoe_username != ""):
        label = f"{c.client_code} {c.name}"
        if c.deleted_at is None and c.server_id == server_id:
            here.add(c.pppoe_username)
            folded[c.pppoe_username.lower()] = label
        elif c.deleted_at is not None and c.server_id == server_id:
            deleted[c.pppoe_username] = label
        elif c.deleted_at is None:
            elsewhere[c.pppoe_username] = f"{label} on {names.get(c.server_id, 'no router')}"
    codes = frozenset(code for (code,) in Client.select(Client.client_code).where(Client.deleted_at.is_null())
                      .tuples())
    return Known(frozenset(here), deleted, elsewhere, folded, codes, _packages_by_profile())


def _packages_by_profile() -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for p in Package.select().where(Package.active).order_by(Package.id):
        out.setdefault(p.ppp_profile, (p.id, p.name))  # the oldest package wins
    return out


def import_preview(server_id: int, router_rows: Iterable[Row]) -> list[ImportRow]:
    """Preview rows for the router's secrets not yet clients here; writes nothing."""
    prefix = store_settings.load().client_code_prefix
    return preview(router_rows, known_for_import(server_id), lambda taken: next_client_code(taken, prefix))


@access.requires(Permission.ROUTER_SYNC)
def import_clients(server_id: int, rows: Iterable[ImportRow], *, actor: str | None = None) -> list[int]:
    """Create a client for each importable row, all or nothing; returns their ids."""
    rows = [r for r in rows if r.importable]
    server = Server.get_by_id(server_id)
    try:
        secrets.cipher()
        keep_passwords = True
    except secrets.SecretsUnavailable:
        keep_passwords = False  # the router keeps them; we import without
    created: list[int] = []
    with atomic():
        for row in rows:
            data = clients.ClientInput(row.client_code, row.name, pppoe_username=row.username, server_id=server_id,
                                       pppoe_password=(row.password or None) if keep_passwords else None)
            try:
                client = clients.create_client(data, actor=actor)
            except ValidationError as e:
                raise ValidationError.single("__all__", f"“{row.username}”: {e}") from None
            audit.record("client.import", "client", client.id, client_id=client.id,
                         summary=f"Client {client.client_code} “{client.name}” imported from the PPP secret "
                                 f"“{row.username}” on {server.name}", actor=actor)
            created.append(client.id)
    return created
