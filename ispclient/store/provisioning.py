"""What each client's PPP secret should look like, and the hooks that queue it.

The services call :func:`sync_client` inside their transaction after changing data; it works
out the client's desired secret from their subscriptions and the settings, and queues it only
when it differs from the last one queued (kept in ``Client.router_desired``). The nightly or
timed :func:`sync_all` does the same for every client, which is how expiry after the grace
period, scheduled starts and changed settings reach the routers.

Rules (settings: grace_days, expiry_action, limit_profile):

* **Active**: a non-cancelled subscription covers today → enabled with its package's profile.
  An auto-renewed period stays active only while paid, or for ``grace_days`` after its start.
* **Grace**: the last subscription ended less than ``grace_days`` ago and nothing was cancelled
  since → still enabled. A cancellation applies the expiry action at once.
* **Expired** (or unpaid): the expiry action — disable (and drop the session), limit (slow
  profile, drop the session), remove the secret, or nothing.
* **New** (never had a subscription, e.g. just created or imported): the secret exists; its
  enabled flag and profile are left alone, and a secret we create starts disabled.
* A deleted client's secret is removed; a client moved to another router or renamed has the
  old secret removed and the new one ensured.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from enum import StrEnum

from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import Permission
from ispclient.store import access, audit, balances
from ispclient.store import settings as store_settings
from ispclient.store.db import atomic, lock_client_row
from ispclient.store.models import Client, Package, RouterChange, Server, Subscription
from ispclient.store.router_queue import DISCONNECT, Desired, enqueue


class ServiceState(StrEnum):
    ACTIVE = "active"
    GRACE = "grace"
    UNPAID = "unpaid"
    EXPIRED = "expired"
    NEW = "new"
    DELETED = "deleted"

    @property
    def cut_off(self) -> bool:
        return self in (ServiceState.UNPAID, ServiceState.EXPIRED)

    @property
    def in_service(self) -> bool:
        return self in (ServiceState.ACTIVE, ServiceState.GRACE)


@dataclass(frozen=True)
class SubFacts:
    """What the rules need of one subscription."""

    id: int
    starts_on: date
    ends_on: date
    cancelled_on: date | None
    renewed_from_id: int | None  # set only by auto-renew
    paid_in_full: bool
    profile: str
    ends_early: bool = False  # cancelled "at the end of the paid period": cancelled_on is that day

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_on is not None


def service_state(subs: list[SubFacts], today: date, grace_days: int) -> tuple[ServiceState, str | None]:
    """The client's state today and, when in service, the PPP profile it runs on."""
    if not subs:
        return ServiceState.NEW, None
    grace = timedelta(days=grace_days)
    # Cancelled at once: gone. Cancelled at the end of the paid period: live until that day.
    live = [s for s in subs if s.cancelled_on is None or (s.ends_early and s.cancelled_on > today)]
    cover = next((s for s in live if s.starts_on <= today < s.ends_on), None)
    if cover is not None:
        by_id = {s.id: s for s in live}
        period: SubFacts | None = cover
        while period is not None and period.renewed_from_id is not None:  # the unbroken auto-renew chain
            if not period.paid_in_full and today >= period.starts_on + grace:
                return ServiceState.UNPAID, None
            period = by_id.get(period.renewed_from_id)
        return ServiceState.ACTIVE, cover.profile
    ended = [s for s in live if s.ends_on <= today]
    if ended:
        last = max(ended, key=lambda s: s.ends_on)
        cancelled_since = any(s.cancelled_on is not None and s.cancelled_on >= last.ends_on for s in subs)
        if today < last.ends_on + grace and not cancelled_since:
            return ServiceState.GRACE, last.profile
    return ServiceState.EXPIRED, None


def comment_for(client: Client) -> str:
    return f"{client.client_code} {client.name}"


def password_tag(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()[:12] if token else ""


def desired_for(client: Client, state: ServiceState, profile: str | None,
                s: store_settings.Settings) -> Desired | None:
    """The secret ``client`` should have, or None when they have no router or username."""
    if client.server_id is None or not client.pppoe_username:
        return None
    base = {"server_id": client.server_id, "username": client.pppoe_username, "comment": comment_for(client),
            "password_tag": password_tag(client.pppoe_password_enc)}
    if state is ServiceState.DELETED:
        return Desired(client.server_id, client.pppoe_username, present=False)
    if client.secret_held:  # disabled by hand: stays so until enabled by hand
        return Desired(**base, disabled=True)
    if state.in_service:
        return Desired(**base, disabled=False, profile=profile)
    if state is ServiceState.NEW or s.expiry_action == "nothing":
        return Desired(**base)
    if s.expiry_action == "remove":
        return Desired(client.server_id, client.pppoe_username, present=False)
    if s.expiry_action == "limit":
        return Desired(**base, disabled=False, profile=s.limit_profile)
    return Desired(**base, disabled=True)


def describe(desired: Desired | None, state: ServiceState) -> str:
    """Plain words for the queue view: "enable (home-10m)", "disable", "remove"…"""
    if desired is None:
        return "no secret"
    if not desired.present:
        return "remove the secret"
    if desired.disabled is None and desired.profile is None:
        return "keep as it is" if state is not ServiceState.NEW else "ensure the secret (a new one starts disabled)"
    if desired.disabled:
        return "disable and disconnect"
    if state.cut_off:
        return f"limit to profile “{desired.profile}” and disconnect"
    return f"enable with profile “{desired.profile}”"


# -- the stored last desired state --------------------------------------------------------------


def _load(text: str) -> tuple[Desired | None, ServiceState | None]:
    if not text:
        return None, None
    data = json.loads(text)
    state = ServiceState(data.pop("state")) if data.get("state") else None
    return Desired(**data), state


def _dump(desired: Desired | None, state: ServiceState) -> str:
    if desired is None:
        return ""
    return json.dumps({**asdict(desired), "state": state.value}, ensure_ascii=False, sort_keys=True)


# -- per client ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    changes: list[RouterChange]
    before: ServiceState | None
    after: ServiceState


def _facts(client_id: int) -> list[SubFacts]:
    paid = balances.paid_by_subscription([client_id])
    rows = (Subscription.select(Subscription, Package.ppp_profile).join(Package)
            .where(Subscription.client == client_id).objects())
    return [_fact(sub, sub.ppp_profile, int(paid.get(sub.id) or 0)) for sub in rows]


def _fact(sub: Subscription, profile: str, paid_minor: int) -> SubFacts:
    cancelled = sub.cancelled_at.date() if sub.cancelled_at is not None else sub.cancel_on
    return SubFacts(sub.id, sub.starts_on, sub.ends_on, cancelled, sub.renewed_from_id,
                    paid_minor >= sub.price_minor, profile, sub.cancelled_at is None and sub.cancel_on is not None)


def state_of(client: Client, today: date, grace_days: int,
             facts: list[SubFacts] | None = None) -> tuple[ServiceState, str | None]:
    if client.deleted_at is not None:
        return ServiceState.DELETED, None
    return service_state(facts if facts is not None else _facts(client.id), today, grace_days)


def sync_client(client_id: int, reason: str, *, actor: str | None = None, force: bool = False,
                today: date | None = None, managed_only: bool = True) -> SyncResult | None:
    """Queue what changed in ``client_id``'s desired secret; call inside the data change's
    transaction. ``force`` queues the state even if unchanged (push everything). None when
    secrets are not managed (unless ``managed_only`` is off: an explicit reconcile fix)."""
    s = store_settings.load()
    if managed_only and not s.manage_secrets:
        return None
    today = today or store_settings.today()
    client = Client.get_by_id(client_id)
    state, profile = state_of(client, today, s.grace_days)
    new = desired_for(client, state, profile, s)
    old, old_state = _load(client.router_desired)
    changes: list[RouterChange] = []
    if old is not None and old.present and (new is None or (old.server_id, old.username) != (new.server_id,
                                                                                              new.username)):
        if Server.get_or_none(Server.id == old.server_id) is not None:
            gone = Desired(old.server_id, old.username, present=False)
            changes.append(enqueue(gone, client_id=client.id, reason=f"{reason} → remove the old secret",
                                   actor=actor))
    if new is not None and (force or new != old):
        changes.append(enqueue(new, client_id=client.id, reason=f"{reason} → {describe(new, state)}", actor=actor))
    text = _dump(new, state)
    if text != client.router_desired:
        Client.update(router_desired=text).where(Client.id == client.id).execute()
    return SyncResult(changes, old_state, state)


# -- everyone --------------------------------------------------------------------------------


@dataclass
class SyncCounts:
    cut_off: int = 0  # clients newly disabled / limited / removed
    restored: int = 0  # clients back in service
    queued: int = 0  # queue entries written


@access.automatic
def assume_routers_agree(*, today: date | None = None) -> int:
    """Note every client's desired secret as already on its router, queueing nothing; how many
    were noted. Only for routers made from the data itself (the demo's simulators are filled
    from :func:`desired_for`): a first sync would otherwise queue a change per client, and the
    demo opened with hundreds of changes waiting while its routers already agreed."""
    s = store_settings.load()
    today = today or store_settings.today()
    candidates = list(Client.select().where((Client.server.is_null(False)) & (Client.pppoe_username != "")))
    facts = _all_facts([c.id for c in candidates])
    noted = 0
    with atomic():
        for client in candidates:
            state, profile = state_of(client, today, s.grace_days, facts.get(client.id, []))
            text = _dump(desired_for(client, state, profile, s), state)
            if text != client.router_desired:
                Client.update(router_desired=text).where(Client.id == client.id).execute()
                noted += 1
    return noted


@access.automatic
def sync_all(*, today: date | None = None, actor: str = "enforce", force: bool = False,
             server_id: int | None = None, reason: str = "Daily check", dry_run: bool = False,
             settings: store_settings.Settings | None = None) -> SyncCounts:
    """Queue every client whose desired secret changed (expiry after grace, starts, settings…).

    One pass over all clients with a few bulk queries; only changed clients are written, each in
    its own short transaction. ``dry_run`` with proposed ``settings`` only counts what would
    change: the settings dialog warns "turning this on disables 12 clients" before saving.
    """
    s = settings or store_settings.load()
    counts = SyncCounts()
    if not s.manage_secrets:
        return counts
    today = today or store_settings.today()
    q = Client.select().where(((Client.server.is_null(False)) & (Client.pppoe_username != ""))
                              | (Client.router_desired != ""))
    candidates = list(q)
    facts = _all_facts([c.id for c in candidates])
    for client in candidates:
        state, profile = state_of(client, today, s.grace_days, facts.get(client.id, []))
        new = desired_for(client, state, profile, s)
        old, _ = _load(client.router_desired)
        if server_id is not None and server_id not in {d.server_id for d in (new, old) if d is not None}:
            continue
        if new == old and (not force or new is None or not new.present):
            continue  # unchanged; a push repeats only secrets that should exist
        if dry_run:
            _, old_state = _load(client.router_desired)
            counts.queued += 1
            counts.cut_off += state.cut_off and (old_state is None or not old_state.cut_off)
            counts.restored += state.in_service and old_state is not None and old_state.cut_off
            continue
        with atomic():
            lock_client_row(client.id)  # two PCs' nightly runs queue each change once
            result = sync_client(client.id, reason, actor=actor, force=force, today=today)
        if result is None:
            continue
        counts.queued += len(result.changes)
        if result.changes and result.after.cut_off and (result.before is None or not result.before.cut_off):
            counts.cut_off += 1
        if result.changes and result.after.in_service and result.before is not None and result.before.cut_off:
            counts.restored += 1
    return counts


def _all_facts(client_ids: list[int]) -> dict[int, list[SubFacts]]:
    if not client_ids:
        return {}
    wanted = set(client_ids)
    paid = balances.paid_by_subscription(None if len(wanted) > 500 else wanted)
    out: dict[int, list[SubFacts]] = defaultdict(list)
    rows = Subscription.select(Subscription, Package.ppp_profile).join(Package).objects()
    for sub in rows:
        if sub.client_id in wanted:
            out[sub.client_id].append(_fact(sub, sub.ppp_profile, int(paid.get(sub.id) or 0)))
    return dict(out)


@access.requires(Permission.ROUTER_SYNC)
def push_everything(server_id: int | None = None, *, actor: str | None = None) -> int:
    """Queue every managed client's full state again (after a backup restore or a new router)."""
    counts = sync_all(actor=actor or "push-everything", force=True, server_id=server_id,
                      reason="Push everything")
    return counts.queued


# -- router actions by hand ----------------------------------------------------------------------


class RouterActionRefused(ValidationError):
    """A router action that can't be done for this client (no router or username)."""


def _router_client(client_id: int) -> Client:
    client = Client.get_or_none(Client.id == client_id)
    if client is None or client.deleted_at is not None:
        raise RouterActionRefused({"__all__": "This client was deleted; nothing was sent to the router."})
    if client.server_id is None or not client.pppoe_username:
        raise RouterActionRefused({"__all__": "Assign a router and a PPPoE username in Edit first."})
    return client


@access.requires(Permission.ROUTER_SYNC)
def hold_secret(client_id: int, disabled: bool, *, actor: str | None = None) -> SyncResult | RouterChange:
    """Disable the client's PPP secret by hand (it stays disabled whatever the subscriptions say,
    and their session is dropped), or enable it again — queued like every router change, with
    its audit event. With secrets managed, enabling hands the secret back to the rules (an
    expired client stays disabled until renewed or paid)."""
    with atomic():
        lock_client_row(client_id)
        client = _router_client(client_id)
        verb = "disabled" if disabled else "enabled"
        audit.record("client.router_hold", "client", client.id, client_id=client.id,
                     summary=f"PPPoE account “{client.pppoe_username}” {verb} by hand",
                     before={"secret_held": client.secret_held}, after={"secret_held": disabled}, actor=actor)
        Client.update(secret_held=disabled).where(Client.id == client.id).execute()
        reason = f"{'Disabled' if disabled else 'Enabled'} by hand"
        s = store_settings.load()
        if s.manage_secrets:
            result = sync_client(client.id, reason, actor=actor, force=True)
            assert result is not None  # managed
            return result
        # Not managed: send exactly what was asked, nothing else.
        wanted = Desired(client.server_id, client.pppoe_username, disabled=disabled, comment=comment_for(client),
                         password_tag=password_tag(client.pppoe_password_enc))
        return enqueue(wanted, client_id=client.id, reason=f"{reason} → {describe(wanted, ServiceState.ACTIVE)}",
                       actor=actor)


@access.requires(Permission.ROUTER_SYNC)
def disconnect_now(client_id: int, *, actor: str | None = None) -> RouterChange:
    """Drop the client's live PPPoE session (it reconnects with the profile it has now): a queued
    router change like any other, with the same deadlines, and audited."""
    with atomic():
        client = _router_client(client_id)
        audit.record("client.router_disconnect", "client", client.id, client_id=client.id,
                     summary=f"Session of “{client.pppoe_username}” disconnected by hand", actor=actor)
        return enqueue(Desired(client.server_id, client.pppoe_username), client_id=client.id,
                       reason="Disconnect the session now (by hand)", actor=actor, action=DISCONNECT)


@access.requires(Permission.ROUTER_SYNC)
def push_client(client_id: int, *, actor: str | None = None) -> SyncResult | None:
    """Queue the client's secret as the database has it now (e.g. missing on the router), also
    when provisioning is off."""
    with atomic():
        lock_client_row(client_id)
        _router_client(client_id)
        return sync_client(client_id, "Pushed by hand", actor=actor, force=True, managed_only=False)
