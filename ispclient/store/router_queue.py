"""The durable queue of router changes: desired states written with the data change, applied later.

* :func:`enqueue` runs inside the service's transaction, so a change is queued if and only if
  the data change commits. An entry is a whole desired state of one secret (``server``,
  ``username``): a newer one for the same secret supersedes the older ones still waiting.
* :func:`drain` (a background worker or ``ispclient enforce``) applies due entries in order,
  one router session per router, never holding a transaction while a router is talked to.
  Routers are drained side by side, each in a thread of its own with its own deadlines (the
  login, then each change): a router that answers slowly, or not at all, never delays another.
  A router that can't be reached keeps its entries pending with back-off (30 s, 1, 2, 4 …
  30 min); a command the router rejects marks the entry failed (retried with the same back-off,
  as the ISP may fix the profile meanwhile). An entry is marked done only after the router
  accepted it, and states are idempotent, so a retry after a lost reply is harmless.
* Entries are leased while applied, so two PCs draining one PostgreSQL database don't both
  send them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ispclient.domain.clock import utcnow
from ispclient.domain.connection import UnknownReason
from ispclient.domain.permissions import Permission
from ispclient.routeros.errors import RouterError
from ispclient.routeros.provision import SecretState, SentCommand, apply_state, drop_sessions, is_unavailable
from ispclient.routeros.session import RouterSession, open_session
from ispclient.routeros.target import RouterTarget
from ispclient.store import access, audit, changes
from ispclient.store.db import atomic, db
from ispclient.store.models import Client, RouterChange, Server
from ispclient.store.secrets import KeyMissing, PasswordCipher, SecretsUnavailable, try_cipher
from ispclient.store.secrets import cipher as new_cipher

log = logging.getLogger(__name__)

PENDING, FAILED, DONE, SUPERSEDED, DISCARDED = "pending", "failed", "done", "superseded", "discarded"
WAITING = (PENDING, FAILED)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)
LEASE = timedelta(minutes=5)
DRAIN_ACTOR = "router-sync"
DISCONNECT = "disconnect"  # RouterChange.action: drop the live session only


@dataclass(frozen=True)
class Desired:
    """A secret's desired state as the database sees it (no password: see ``password_tag``)."""

    server_id: int
    username: str
    present: bool = True
    disabled: bool | None = None
    profile: str | None = None
    comment: str = ""
    password_tag: str = ""  # changes when the stored password does, so a new one gets pushed


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts`` (1 → 30 s, 2 → 1 min … at most 30 min)."""
    return min(FIRST_RETRY * 2 ** max(0, min(attempts, 20) - 1), MAX_RETRY)


def enqueue(desired: Desired, *, client_id: int | None, reason: str, actor: str | None = None,
            action: str = "") -> RouterChange:
    """Queue ``desired`` (or, with ``action=DISCONNECT``, a drop of the live session); call inside
    the transaction of the data change it follows. A state supersedes the states still waiting for
    the same secret; a disconnect only older disconnects."""
    changes.note(clients=(client_id,), router_queue=True, router_queued=True)
    (RouterChange.update(status=SUPERSEDED)
     .where((RouterChange.server == desired.server_id) & (RouterChange.username == desired.username)
            & RouterChange.status.in_(WAITING) & (RouterChange.action == action))
     .execute())
    return RouterChange.create(
        server=desired.server_id, username=desired.username, client_id=client_id, present=desired.present,
        disabled=desired.disabled, profile=desired.profile, comment=desired.comment, reason=reason[:200],
        created_by=actor or audit.current_actor(), action=action,
    )


@access.requires(Permission.ROUTER_SYNC)
def retry_now(server_id: int | None = None) -> int:
    """Make every waiting change due now (the "Retry now" button); returns how many."""
    changes.note(router_queue=True)
    q = RouterChange.update(next_attempt_at=utcnow()).where(RouterChange.status.in_(WAITING))
    if server_id is not None:
        q = q.where(RouterChange.server == server_id)
    return int(q.execute())


@access.requires(Permission.ROUTER_SYNC)
def discard(change_id: int, *, actor: str | None = None) -> None:
    """Give up on a waiting change; the router keeps whatever it has (reconcile shows it)."""
    with atomic():
        change = RouterChange.get_by_id(change_id)
        if change.status not in WAITING:
            return
        change.status = DISCARDED
        change.save()
        audit.record("router.discard", "router_change", change.id, client_id=change.client_id,
                     summary=f"Pending router change for “{change.username}” discarded", actor=actor)


@access.automatic
def purge(older_than: timedelta = timedelta(days=90)) -> int:
    """Forget finished entries (the audit trail keeps their commands)."""
    cutoff = utcnow() - older_than
    return int(RouterChange.delete()
               .where(RouterChange.status.in_((DONE, SUPERSEDED, DISCARDED)) & (RouterChange.created_at < cutoff))
               .execute())


def waiting_counts(server_ids: Iterable[int] | None = None) -> tuple[int, int]:
    """(pending, failed) entries still waiting, optionally for some routers only."""
    q = RouterChange.select(RouterChange.status).where(RouterChange.status.in_(WAITING))
    if server_ids is not None:
        q = q.where(RouterChange.server.in_(list(server_ids)))
    statuses = [s for (s,) in q.tuples()]
    return statuses.count(PENDING), statuses.count(FAILED)


# -- draining -----------------------------------------------------------------------------


@dataclass
class DrainReport:
    applied: int = 0  # entries now done
    pending: int = 0  # still waiting for a router to come back (after this run)
    failed: int = 0  # rejected by a router or by us (after this run)
    commands: int = 0  # writes sent
    problems: dict[int, str] = field(default_factory=dict)  # server id → why it was not reached

    def merge(self, other: DrainReport) -> None:
        self.applied += other.applied
        self.commands += other.commands
        self.problems.update(other.problems)


@contextlib.contextmanager
def own_connection() -> Iterator[None]:
    """A connection for this thread (a worker's own), left open if the caller already has one."""
    if db.is_closed():
        with db.connection_context():
            yield
    else:
        yield


@access.automatic
def drain(
    targets: Mapping[int, RouterTarget],
    *,
    cipher: PasswordCipher | None = None,
    now: datetime | None = None,
    server_ids: Iterable[int] | None = None,
    actor: str = DRAIN_ACTOR,
    ignore_backoff: bool = False,
) -> DrainReport:
    """Apply every due change; ``targets`` holds a ready target (password included) per server id.

    Safe to run in a worker thread: it opens its own database connection. A server with
    waiting changes but no target (no API password saved) keeps them pending.
    ``ignore_backoff`` tries every waiting change now (the nightly run, "Retry now").
    """
    with own_connection():
        now = max(now, utcnow()) if now is not None else utcnow()  # a test's clock only runs ahead
        wanted = set(server_ids) if server_ids is not None else None
        if ignore_backoff:
            for sid in wanted if wanted is not None else [None]:
                retry_now(sid)
            now = max(now, utcnow())  # retry_now stamped them a moment after ``now``
        due_servers = {sid for (sid,) in RouterChange.select(RouterChange.server).distinct()
                       .where(RouterChange.status.in_(WAITING) & (RouterChange.next_attempt_at <= now)).tuples()}
        if wanted is not None:
            due_servers &= wanted
        if cipher is None:
            cipher = try_cipher()
        report = DrainReport()
        for part in _side_by_side(sorted(due_servers), targets, cipher, now, actor):
            report.merge(part)
        report.pending, report.failed = waiting_counts(wanted)
        return report


def due_servers(now: datetime | None = None) -> list[int]:
    """Routers with a change due now (what a drain would talk to)."""
    now = now or utcnow()
    with own_connection():
        return sorted(sid for (sid,) in RouterChange.select(RouterChange.server).distinct()
                      .where(RouterChange.status.in_(WAITING) & (RouterChange.next_attempt_at <= now)).tuples())


def _side_by_side(server_ids: list[int], targets: Mapping[int, RouterTarget], cipher: PasswordCipher | None,
                  now: datetime, actor: str) -> list[DrainReport]:
    """:func:`_drain_server` for each router, each in a daemon thread with its own database
    connection; returns when every one is over (each is bounded by its router's deadlines)."""
    if len(server_ids) <= 1:  # nothing to overlap: no thread
        return [_drain_server(sid, targets.get(sid), cipher, now, actor) for sid in server_ids]
    reports: dict[int, DrainReport] = {}
    errors: list[BaseException] = []

    def one(sid: int) -> None:
        try:
            with db.connection_context():
                reports[sid] = _drain_server(sid, targets.get(sid), cipher, now, actor)
        except BaseException as e:  # noqa: BLE001 - raised in the caller's thread below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(sid,), name=f"drain-{sid}", daemon=True) for sid in server_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [reports[sid] for sid in server_ids if sid in reports]


def _claim(server_id: int, now: datetime, token: str) -> list[RouterChange]:
    with atomic():
        due = (RouterChange.select(RouterChange.id)
               .where((RouterChange.server == server_id) & RouterChange.status.in_(WAITING)
                      & (RouterChange.next_attempt_at <= now)
                      & (RouterChange.lease_until.is_null() | (RouterChange.lease_until < now))))
        ids = [i for (i,) in due.tuples()]
        if ids:
            (RouterChange.update(lease_owner=token, lease_until=now + LEASE)
             .where(RouterChange.id.in_(ids) & RouterChange.status.in_(WAITING)
                    & (RouterChange.lease_until.is_null() | (RouterChange.lease_until < now)))
             .execute())
    return list(RouterChange.select().where((RouterChange.lease_owner == token) & RouterChange.status.in_(WAITING))
                .order_by(RouterChange.id))


def _drain_server(server_id: int, target: RouterTarget | None, cipher: PasswordCipher | None, now: datetime,
                  actor: str) -> DrainReport:
    report = DrainReport()
    token = uuid.uuid4().hex
    claimed = _claim(server_id, now, token)
    if not claimed:
        return report
    if target is None:
        error = RouterError(UnknownReason.NO_CREDENTIALS, "No API password is saved for this router.")
        _postpone(claimed, error, now)
        report.problems[server_id] = error.detail
        return report
    try:
        session = open_session(target)  # within the target's deadline
    except RouterError as error:
        _postpone(claimed, error, now)
        report.problems[server_id] = error.detail
        return report
    with session:
        for index, claim in enumerate(claimed):
            change = RouterChange.get_or_none(RouterChange.id == claim.id)
            if change is None or change.status not in WAITING:
                continue  # superseded while we were busy
            sent: list[SentCommand] = []
            try:
                session.new_deadline()  # each change is one step with a deadline of its own
                if change.action == DISCONNECT:
                    drop_sessions(session, change.username, sent)
                else:
                    if not change.present:
                        _keep_password_for_undo(session, change, cipher)
                    apply_state(session, _secret_state(change, cipher), sent)
            except RouterError as error:
                report.commands += len(sent)
                with atomic():
                    _record_commands(change, target, sent, actor)
                    if is_unavailable(error):
                        _postpone(claimed[index:], error, now)
                    else:
                        _fail(change, _explain(error.detail, change, target), now)
                if is_unavailable(error):
                    report.problems[server_id] = error.detail
                    break
            except KeyMissing as error:  # another PC has the key: it applies this change, or we do later
                _wait_for_key(change, str(error), now)
            except SecretsUnavailable as error:
                _fail(change, str(error), now)
            else:
                report.commands += len(sent)
                report.applied += 1
                _finish(change, target, sent, actor, now)
    return report


def _keep_password_for_undo(session: RouterSession, change: RouterChange, cipher: PasswordCipher | None) -> None:
    """Before a deleted client's secret is removed: when the database has no password for it
    (imported from the router, made before passwords were kept), keep the router's, encrypted,
    with the deleted client — so Undo can put the secret back as it was."""
    if change.client_id is None:
        return
    client = Client.get_or_none(Client.id == change.client_id)
    if client is None or client.deleted_at is None or client.pppoe_password_enc \
            or client.pppoe_username != change.username:
        return
    rows = session.print("/ppp/secret", ("name", "password"), name=change.username)
    password = rows[0].get("password", "") if rows else ""
    if not password:
        return
    try:
        used = cipher or new_cipher()
    except SecretsUnavailable as error:  # no keyring here: Undo will ask for a new password
        log.info("the router's password for %s was not kept: %s", change.username, error)
        return
    (Client.update(pppoe_password_enc=used.encrypt(password), pppoe_password_unknown=False)
     .where((Client.id == client.id) & (Client.pppoe_password_enc == "")).execute())


def _secret_state(change: RouterChange, cipher: PasswordCipher | None) -> SecretState:
    password = None
    if change.present and change.client_id is not None:
        client = Client.get_or_none(Client.id == change.client_id)
        if client is not None and client.pppoe_password_enc and client.pppoe_username == change.username:
            token = client.pppoe_password_enc
            if cipher is None:
                raise KeyMissing("This PC can't read the stored PPPoE passwords (no key in its keyring).")
            password = cipher.decrypt(token)
    return SecretState(name=change.username, present=change.present, password=password, profile=change.profile,
                       disabled=change.disabled, comment=change.comment if change.present else None)


def _explain(detail: str, change: RouterChange, target: RouterTarget) -> str:
    if change.profile and "profile" in detail:
        return f"{detail} Check that the PPP profile “{change.profile}” exists on {target.name}."
    return detail


def _finish(change: RouterChange, target: RouterTarget, sent: list[SentCommand], actor: str,
            now: datetime) -> None:
    with atomic():
        _record_commands(change, target, sent, actor)
        (RouterChange.update(status=DONE, applied_at=utcnow(), attempts=RouterChange.attempts + 1,
                             last_error="", lease_owner="", lease_until=None)
         .where(RouterChange.id == change.id).execute())


def _fail(change: RouterChange, error: str, now: datetime) -> None:
    changes.note(clients=(change.client_id,), router_queue=True)
    attempts = change.attempts + 1
    (RouterChange.update(status=FAILED, attempts=attempts, last_error=error[:2000],
                         next_attempt_at=now + backoff(attempts), lease_owner="", lease_until=None)
     .where((RouterChange.id == change.id) & RouterChange.status.in_(WAITING)).execute())


def _wait_for_key(change: RouterChange, error: str, now: datetime) -> None:
    """Still pending, not failed: a PC holding the PPPoE key (or this one, once it is imported)
    applies it. Not counted as an attempt."""
    (RouterChange.update(status=PENDING, last_error=error[:2000], next_attempt_at=now + backoff(1),
                         lease_owner="", lease_until=None)
     .where((RouterChange.id == change.id) & RouterChange.status.in_(WAITING)).execute())


def _postpone(waiting: list[RouterChange], error: RouterError, now: datetime) -> None:
    changes.note(router_queue=True)
    attempts = max(c.attempts for c in waiting) + 1
    ids = [c.id for c in waiting]
    (RouterChange.update(status=PENDING, attempts=RouterChange.attempts + 1, last_error=error.detail[:2000],
                         next_attempt_at=now + backoff(attempts), lease_owner="", lease_until=None)
     .where(RouterChange.id.in_(ids) & RouterChange.status.in_(WAITING)).execute())


def _record_commands(change: RouterChange, target: RouterTarget, sent: list[SentCommand], actor: str) -> None:
    for cmd in sent:
        outcome = "" if cmd.ok else f" — rejected: {cmd.error}"
        audit.record("router.command", "server", target.server_id, client_id=change.client_id,
                     summary=f"{target.name}: {cmd.text()}{outcome}",
                     after={"command": cmd.command, "words": list(cmd.words), "ok": cmd.ok, "error": cmd.error,
                            "change_id": change.id, "reason": change.reason},
                     actor=actor)


# -- targets --------------------------------------------------------------------------------


def router_targets(password_of: Callable[[int], str | None]) -> dict[int, RouterTarget]:
    """A ready target per router whose API password ``password_of`` (the keyring) has."""
    out: dict[int, RouterTarget] = {}
    for server in Server.select():
        password = password_of(server.id)
        if password is not None:
            out[server.id] = target_for(server, password)
    return out


def server_names() -> dict[int, str]:
    return {s.id: s.name for s in Server.select(Server.id, Server.name)}


def target_for(server: Server, password: str) -> RouterTarget:
    return RouterTarget(server_id=server.id, name=server.name, host=server.host, port=server.port, tls=server.tls,
                        ca_file=server.ca_file or None, username=server.username, password=password,
                        timeout=server.timeout_s, encoding=server.encoding)

