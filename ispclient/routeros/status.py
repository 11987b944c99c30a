"""Online/Offline/Unknown for PPPoE clients, one router at a time.

A whole router costs one ``/ppp/active/print`` (plus, when someone is offline, one
``/ppp/secret/print`` to tell "never connected"), however many clients it serves: never one
query per client. Failures never escape: every asked-for client comes back Unknown with the
reason instead.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ispclient.domain.connection import (
    ClientConnection,
    OfflineCause,
    RouterStatuses,
    UnknownReason,
    now_utc,
    session_fields,
)
from ispclient.routeros.errors import RouterError
from ispclient.routeros.session import RouterSession, open_session
from ispclient.routeros.target import RouterTarget
from ispclient.routeros.wire import Row

log = logging.getLogger(__name__)

ACTIVE_PROPLIST = ("name", "address", "uptime", "caller-id")
SECRET_PROPLIST = ("name", "last-logged-out", "disabled")
NO_SECRET = "no PPP secret with this name on the router"
SECRET_DISABLED = "the PPP secret is disabled on the router"
# How RouterOS spells "has never logged out": it leaves the property out (or says "never"; older
# versions show the epoch). A RouterOS without the property at all would read as never connected.
_NEVER = ("", "never", "jan/01/1970 00:00:00", "1970-01-01 00:00:00")

StatusKey = tuple[int, str]  # (server id, PPPoE username): usernames are unique per server only
__all__ = ["RouterBatch", "RouterStatuses", "StatusKey", "check_batch", "check_one", "fetch_client_status",
           "fetch_statuses", "router_statuses"]


@dataclass(frozen=True)
class RouterBatch:
    """The GUI thread's plain-data request for one router: who to look up, and how.

    ``target`` is None when the router cannot be asked at all; ``problem`` then says why
    (e.g. ``NO_CREDENTIALS`` when the keyring has no password for it).
    """

    server_id: int
    target: RouterTarget | None
    usernames: tuple[str, ...]
    problem: UnknownReason | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if (self.target is None) == (self.problem is None):
            raise ValueError("a batch has either a target or a problem")

    # Sent to the status helper pickled: the usernames as one joined string. A tuple of 200,000
    # names pickled in one C call held the app's GIL ~40 ms (a router thread sending the batch).
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        names = self.usernames
        joined = _BATCH_SEP.join(names)
        if joined.count(_BATCH_SEP) == len(names) - 1:  # else a name holds the separator: as it is
            state["usernames"] = (len(names), joined)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        names = state["usernames"]
        if len(names) == 2 and isinstance(names[0], int):  # (count, joined)
            count, joined = names
            state = {**state, "usernames": tuple(joined.split(_BATCH_SEP)) if count else ()}
        for key, value in state.items():
            object.__setattr__(self, key, value)


_BATCH_SEP = "\x1f"  # joins a pickled batch's usernames (a control character no username holds)


def fetch_statuses(target: RouterTarget, usernames: Iterable[str]) -> dict[str, ClientConnection]:
    """Every username's status on ``target`` from one active-sessions query (and one secrets query)."""
    statuses = router_statuses(0, target, usernames)
    return {name: statuses[(0, name)] for name in statuses.usernames()}


def router_statuses(server_id: int, target: RouterTarget, usernames: Iterable[str]) -> RouterStatuses:
    """The statuses of ``usernames`` (duplicates ignored) on ``target``, compact.

    Replies are read row by row keeping only what the statuses need (a string per asked-for
    session, two flags per offline client's secret): a router with 20,000 secrets and 12,000
    sessions never holds 32,000 row dicts. Offline statuses come in a handful of kinds, each one
    shared object. Failures never escape: everyone comes back Unknown with the reason.
    """
    wanted = dict.fromkeys(usernames)
    if not wanted:
        return RouterStatuses(server_id, {}, {})
    online: dict[str, str] = {}

    def keep_session(row: Row) -> None:
        name = row.get("name", "")
        if name in wanted and name not in online:  # several sessions for one secret: keep the first
            online[name] = session_fields(row.get("address", ""), row.get("uptime", ""), row.get("caller-id", ""))

    try:
        with open_session(target) as session:
            session.print_each("/ppp/active", ACTIVE_PROPLIST, keep_session)
            checked_at = now_utc()
            offline = {name for name in wanted if name not in online} if len(online) < len(wanted) else set()
            secrets = _secrets(session, offline) if offline else None
    except RouterError as error:
        return RouterStatuses.failed(server_id, wanted, _unknown(error))
    kinds: dict[SecretFlags | str | None, ClientConnection] = {}  # 40,000 offline clients: ≤ 6 objects
    others: dict[str, ClientConnection] = {}
    for name in offline:
        kind: SecretFlags | str | None = secrets.get(name, "no secret") if secrets is not None else None
        conn = kinds.get(kind)
        if conn is None:
            conn = kinds[kind] = _offline(secrets, name, checked_at)
        others[name] = conn
    return RouterStatuses(server_id, online, others, checked_at)


def fetch_client_status(target: RouterTarget, username: str) -> ClientConnection:
    """One client, for their window: two ``?name=`` queries at most, and the fullest answer."""
    try:
        with open_session(target) as session:
            active = session.print("/ppp/active", ACTIVE_PROPLIST, name=username)
            checked_at = now_utc()
            if active:
                return _online(active[0], checked_at)
            secrets: dict[str, SecretFlags] = {}
            for row in session.print("/ppp/secret", SECRET_PROPLIST, name=username):
                secrets.setdefault(row.get("name", ""), _flags(row))
    except RouterError as error:
        return _unknown(error)
    return _offline(secrets, username, checked_at)


def check_batch(batch: RouterBatch) -> RouterStatuses:
    """A whole :class:`RouterBatch`, keyed by (server id, username); what a worker runs."""
    if batch.target is None:
        assert batch.problem is not None  # guaranteed by RouterBatch
        return RouterStatuses.failed(batch.server_id, batch.usernames,
                                     ClientConnection.unknown(batch.problem, batch.detail))
    return router_statuses(batch.server_id, batch.target, batch.usernames)


def check_one(batch: RouterBatch) -> ClientConnection:
    """The single client of ``batch`` with :func:`fetch_client_status`'s detail."""
    if len(batch.usernames) != 1:
        raise ValueError("check_one needs a batch of exactly one username")
    if batch.target is None:
        assert batch.problem is not None
        return ClientConnection.unknown(batch.problem, batch.detail)
    return fetch_client_status(batch.target, batch.usernames[0])


def _secrets(session: RouterSession, names: Container[str]) -> dict[str, SecretFlags] | None:
    """``names``' secrets as (never connected, disabled); None if the router won't say (the
    active list still stands)."""
    secrets: dict[str, SecretFlags] = {}

    def keep(row: Row) -> None:
        name = row.get("name", "")
        if name in names and name not in secrets:
            secrets[name] = _flags(row)

    try:
        session.print_each("/ppp/secret", SECRET_PROPLIST, keep)
    except RouterError as error:
        log.info("%s: no never-connected detail: %s", session.target.name, error)
        return None
    return secrets


SecretFlags = tuple[bool, bool]  # (never connected, disabled)
_FLAGS: dict[SecretFlags, SecretFlags] = {(a, b): (a, b) for a in (False, True) for b in (False, True)}


def _flags(secret: Row) -> SecretFlags:
    never = secret.get("last-logged-out", "").strip().lower() in _NEVER
    return _FLAGS[never, secret.get("disabled", "") in ("true", "yes")]  # shared: no tuple per secret


def _online(row: Row, checked_at: datetime) -> ClientConnection:
    return ClientConnection.online(row.get("address", ""), row.get("uptime", ""), row.get("caller-id", ""),
                                   checked_at=checked_at)


def _offline(secrets: Mapping[str, SecretFlags] | None, name: str, checked_at: datetime) -> ClientConnection:
    if secrets is None:
        return ClientConnection.offline(checked_at=checked_at)
    flags = secrets.get(name)
    if flags is None:
        return ClientConnection.offline(detail=NO_SECRET, checked_at=checked_at, cause=OfflineCause.NO_SECRET)
    never, disabled = flags
    if disabled:  # a disabled account can't log in, whatever else is true
        cause = OfflineCause.SECRET_DISABLED
    else:
        cause = OfflineCause.NEVER_CONNECTED if never else OfflineCause.CUSTOMER_SIDE
    return ClientConnection.offline(never_connected=never, detail=SECRET_DISABLED if disabled else "",
                                    checked_at=checked_at, cause=cause)


def _unknown(error: RouterError) -> ClientConnection:
    return ClientConnection.unknown(error.reason, error.detail, checked_at=now_utc())
