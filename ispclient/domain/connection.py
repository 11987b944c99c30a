"""A client's PPPoE connection status as the front desk sees it: Online, Offline or Unknown.

Unknown always carries a reason the user can act on; :func:`troubleshooting` turns it into the
"Connection status unavailable" explanation in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ConnectionState(StrEnum):
    ONLINE = "Online"
    OFFLINE = "Offline"
    UNKNOWN = "Unknown"

    @property
    def label(self) -> str:
        return self.value

    @property
    def dot(self) -> str:
        return _DOTS[self]


_DOTS = {ConnectionState.ONLINE: "🟢", ConnectionState.OFFLINE: "🔴", ConnectionState.UNKNOWN: "⚪"}


class UnknownReason(StrEnum):
    """Why a status could not be determined; values are stable codes (logs, filters)."""

    UNREACHABLE = "unreachable"
    TIMED_OUT = "timed-out"
    LOGIN_REFUSED = "login-refused"
    TLS_REJECTED = "tls-rejected"
    CONNECTION_DROPPED = "connection-dropped"
    PROTOCOL_ERROR = "protocol-error"
    NO_SERVER = "no-server"
    NO_USERNAME = "no-username"
    NO_CREDENTIALS = "no-credentials"
    NOT_CHECKED = "not-checked"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    UnknownReason.UNREACHABLE: "server unreachable",
    UnknownReason.TIMED_OUT: "server timed out",
    UnknownReason.LOGIN_REFUSED: "login refused",
    UnknownReason.TLS_REJECTED: "TLS certificate rejected",
    UnknownReason.CONNECTION_DROPPED: "connection dropped",
    UnknownReason.PROTOCOL_ERROR: "unexpected router reply",
    UnknownReason.NO_SERVER: "no server assigned",
    UnknownReason.NO_USERNAME: "no PPPoE username",
    UnknownReason.NO_CREDENTIALS: "no API password saved",
    UnknownReason.NOT_CHECKED: "not checked yet",
}

# What the front desk can do about each reason (the seed's "Connection status unavailable").
_ADVICE = {
    UnknownReason.UNREACHABLE: (
        "The MikroTik server is offline or unreachable. Check that the router is switched on, "
        "that this computer's network (and VPN, if you use one) is connected, and that the "
        "server's address and API port are right in Servers."
    ),
    UnknownReason.TIMED_OUT: (
        "The MikroTik server did not answer in time. This is usually a network connectivity "
        "issue or a slow VPN link; try again in a moment, or raise the server's timeout in Servers."
    ),
    UnknownReason.LOGIN_REFUSED: (
        "The MikroTik server refused the login: the API user name or password is wrong, or the "
        "user is not allowed to use the API. Fix them in Servers."
    ),
    UnknownReason.TLS_REJECTED: (
        "The MikroTik server's certificate was rejected (a certificate problem: wrong CA "
        "certificate file, expired certificate or a host name that does not match). Check the "
        "TLS settings in Servers."
    ),
    UnknownReason.CONNECTION_DROPPED: (
        "The connection to the MikroTik server was dropped while checking. This is usually a "
        "network connectivity issue; try again in a moment."
    ),
    UnknownReason.PROTOCOL_ERROR: (
        "The MikroTik server sent a reply this app could not understand. Check that the server's "
        "API port and text encoding are right in Servers."
    ),
    UnknownReason.NO_SERVER: "The client has no server assigned. Assign one in Edit.",
    UnknownReason.NO_USERNAME: "The client has no PPPoE username. Assign one in Edit.",
    UnknownReason.NO_CREDENTIALS: (
        "No API password is saved for this client's server. Enter it in Servers."
    ),
    UnknownReason.NOT_CHECKED: "The status has not been checked yet. Press F5 to check now.",
}

_NEVER_CONNECTED = (
    "The client has never connected: the router knows the PPPoE username but has no record of a "
    "login. Check the PPPoE username and password set in the customer's router."
)
_OFFLINE = (
    "The client is not connected right now. Ask the customer to check that their router is "
    "switched on and its cables are plugged in."
)


class OfflineCause(StrEnum):
    """Why an Offline client is offline, as far as the router shows it (its ``/ppp/secret``)."""

    SECRET_DISABLED = "secret-disabled"  # the account exists but is disabled: they can't log in
    NO_SECRET = "no-secret"  # the router has no account with this username
    NEVER_CONNECTED = "never-connected"  # the account is there, enabled, and was never used
    CUSTOMER_SIDE = "customer-side"  # enabled and used before: their router, cable or power


@dataclass(frozen=True)
class ClientConnection:
    """One client's status at ``checked_at`` (UTC, aware; None when nothing was asked)."""

    state: ConnectionState
    reason: UnknownReason | None = None
    detail: str = ""  # human text: the router's own words or the precise failure
    address: str = ""
    uptime: str = ""  # RouterOS duration as the router wrote it, e.g. "1d2h3m4s"
    caller_id: str = ""  # the customer's MAC for PPPoE
    never_connected: bool = False
    checked_at: datetime | None = None
    cause: OfflineCause | None = None  # Offline only; None when the router didn't show the secret

    def __post_init__(self) -> None:
        if (self.state is ConnectionState.UNKNOWN) != (self.reason is not None):
            raise ValueError("an Unknown status needs a reason, and only an Unknown one")
        if self.never_connected and self.state is not ConnectionState.OFFLINE:
            raise ValueError("only an Offline client can have never connected")
        if self.cause is not None and self.state is not ConnectionState.OFFLINE:
            raise ValueError("only an Offline client has an offline cause")
        if self.checked_at is not None and self.checked_at.utcoffset() != UTC.utcoffset(None):
            raise ValueError("checked_at must be an aware UTC datetime")

    @classmethod
    def online(
        cls, address: str = "", uptime: str = "", caller_id: str = "", *, checked_at: datetime | None = None
    ) -> ClientConnection:
        return cls(ConnectionState.ONLINE, address=address, uptime=uptime, caller_id=caller_id,
                   checked_at=checked_at)

    @classmethod
    def offline(
        cls, *, never_connected: bool = False, detail: str = "", checked_at: datetime | None = None,
        cause: OfflineCause | None = None,
    ) -> ClientConnection:
        if cause is None and never_connected:
            cause = OfflineCause.NEVER_CONNECTED
        return cls(ConnectionState.OFFLINE, never_connected=never_connected, detail=detail,
                   checked_at=checked_at, cause=cause)

    @classmethod
    def unknown(
        cls, reason: UnknownReason, detail: str = "", *, checked_at: datetime | None = None
    ) -> ClientConnection:
        return cls(ConnectionState.UNKNOWN, reason=reason, detail=detail, checked_at=checked_at)

    @property
    def label(self) -> str:
        """Short text for lists: "Online", "Offline — never connected", "Unknown — timed out"."""
        if self.reason is not None:
            return f"{self.state.label} — {self.reason.label}"
        if self.never_connected:
            return f"{self.state.label} — never connected"
        return self.state.label


NOT_CHECKED = ClientConnection.unknown(UnknownReason.NOT_CHECKED)


_FIELD = "\x00"  # joins an online session's address, uptime and caller id (never in RouterOS values)


_WIRE = "\x1f"  # joins the names of a pickled RouterStatuses (a control character no username holds)
_SLICE = 16_384  # names put in a dict per step while unpickling (~2 ms of the GIL each)


_SPLIT_CHARS = 262_144  # characters of joined names split per step while unpickling (~1 ms of the GIL)


def _split(text: str, count: int) -> list[str]:
    """``text`` split at each _WIRE (see :func:`split_in_stretches`); ``count`` 0: no names."""
    return split_in_stretches(text, _WIRE) if count else []


def split_in_stretches(text: str, sep: str) -> list[str]:
    """``text.split(sep)``, a stretch at a time (~1 ms of the GIL each): one split of a router's
    200,000 names is one C call holding the GIL ~10 ms, which the window's thread waits out each
    time it needs the GIL back meanwhile."""
    if len(text) <= _SPLIT_CHARS:
        return text.split(sep)
    out: list[str] = []
    start = 0
    while True:
        cut = text.find(sep, start + _SPLIT_CHARS)
        if cut < 0:
            out.extend(text[start:].split(sep))
            return out
        out.extend(text[start:cut].split(sep))
        start = cut + 1


def _rebuilt(keys: list[str], values: list[str] | None, value: object = None,
             out: dict[str, Any] | None = None) -> dict[str, Any]:
    """A dict of ``keys`` (to ``values``, or all to ``value``), made a slice at a time: between
    slices another thread waiting for the GIL (the window's) gets it. Into ``out`` when given
    (not made apart and copied in: one more C call over every name)."""
    out = {} if out is None else out
    for first in range(0, len(keys), _SLICE):
        part = keys[first:first + _SLICE]
        if values is None:
            out.update(dict.fromkeys(part, value))
        else:
            out.update(zip(part, values[first:first + _SLICE], strict=True))
    return out


def session_fields(address: str, uptime: str, caller_id: str) -> str:
    """An online session as :class:`RouterStatuses` keeps it: one string, no container."""
    return f"{address}{_FIELD}{uptime}{_FIELD}{caller_id}"


class RouterStatuses(Mapping[tuple[int, str], ClientConnection]):
    """One router's answer for every asked username, kept compact; a read-only mapping of
    (server id, username) → :class:`ClientConnection`.

    A refresh lands 100,000 statuses, most of which nobody looks at: an online client is kept
    as one string (address, uptime and caller id joined) and becomes a ``ClientConnection``
    only when asked for (then kept, so asking twice gives the same object); everyone else
    shares a handful of Offline/Unknown objects. Dicts of strings are not tracked by the
    garbage collector, so a refresh no longer feeds it 60,000 objects to scan.
    """

    __slots__ = ("server_id", "checked_at", "online", "others", "_made", "_others_state", "prepared")

    def __init__(self, server_id: int, online: dict[str, str], others: dict[str, ClientConnection],
                 checked_at: datetime | None = None) -> None:
        self.server_id = server_id
        self.checked_at = checked_at
        self.online = online  # username → "address\0uptime\0caller id"
        self.others = others  # every other asked username → its (shared) status
        self._made: dict[str, ClientConnection] = {}
        self._others_state: ConnectionState | None | bool = False  # False: not worked out yet
        # What readers of the answer worked out from it in the background, before it reached the
        # GUI thread (each client list's lookups: ispclient.listing.connections.resolve); opaque here.
        self.prepared: tuple[object, ...] = ()

    @classmethod
    def failed(cls, server_id: int, usernames: Iterable[str], conn: ClientConnection) -> RouterStatuses:
        """Everyone on the router with the same (Unknown) status."""
        return cls(server_id, {}, dict.fromkeys(usernames, conn), conn.checked_at)

    def connection(self, username: str) -> ClientConnection | None:
        """``username``'s status, or None if this answer does not cover them."""
        conn = self.others.get(username)
        if conn is not None:
            return conn
        conn = self._made.get(username)
        if conn is None:
            session = self.online.get(username)
            if session is None:
                return None
            address, uptime, caller_id = session.split(_FIELD, 2)
            conn = self._made[username] = ClientConnection.online(address, uptime, caller_id,
                                                                 checked_at=self.checked_at)
        return conn

    def state(self, username: str) -> ConnectionState | None:
        """Like :meth:`connection`, but only the state (no object made)."""
        if username in self.online:
            return ConnectionState.ONLINE
        conn = self.others.get(username)
        return None if conn is None else conn.state

    def others_state(self) -> ConnectionState | None:
        """The state all usernames not online share (Offline, or Unknown when the router
        failed), or None when they differ."""
        if self._others_state is False:
            values = self.others.values()
            kinds = dict(zip(map(id, values), values, strict=True)).values()  # a handful of objects
            states = {c.state for c in kinds}
            self._others_state = states.pop() if len(states) == 1 else None
        return self._others_state  # type: ignore[return-value]

    # Pickled (the status helper's answer to the app) as a few long strings: each list of names
    # joined, the online sessions joined, the others grouped by their (shared) status. Unpickling
    # 200,000 names as dicts was one C call holding the GIL 50-110 ms in the app (the window
    # froze that long); the strings unpickle in a millisecond and the dicts are rebuilt in
    # slices, letting go of the GIL between them.

    def __getstate__(self) -> tuple[object, ...]:
        groups: dict[int, tuple[ClientConnection, list[str]]] = {}
        for name, conn in self.others.items():
            group = groups.get(id(conn))
            if group is None:
                group = groups[id(conn)] = (conn, [])
            group[1].append(name)
        joined = [(_WIRE, list(self.online)), (_WIRE, list(self.online.values())),
                  *((_WIRE, names) for _, names in groups.values())]
        texts = [_WIRE.join(values) for _, values in joined]
        if any(text.count(_WIRE) != max(len(values) - 1, 0) for text, (_, values) in zip(texts, joined, strict=True)):
            # a value holds the separator (never from RouterOS): the dicts as they are
            return ("dicts", self.server_id, self.checked_at, self.online, self.others, self._others_state)
        if self._others_state is False:  # worked out here (the child) from the groups, not by the app
            states = {conn.state for conn, _ in groups.values()}
            self._others_state = states.pop() if len(states) == 1 else None
        return ("joined", self.server_id, self.checked_at, len(self.online), texts[0], texts[1],
                [(conn, len(names), text) for (conn, names), text in zip(groups.values(), texts[2:], strict=True)],
                self._others_state)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._made = {}
        self.prepared = ()
        if state[0] == "dicts":
            _, self.server_id, self.checked_at, self.online, self.others, self._others_state = state
            return
        _, self.server_id, self.checked_at, count, names, sessions, groups, self._others_state = state
        self.online = _rebuilt(_split(names, count), _split(sessions, count))
        self.others = {}
        for conn, size, text in groups:
            _rebuilt(_split(text, size), None, conn, self.others)

    def usernames(self) -> Iterator[str]:
        yield from self.online
        yield from self.others

    def __getitem__(self, key: tuple[int, str]) -> ClientConnection:
        conn = self.connection(key[1]) if key[0] == self.server_id else None
        if conn is None:
            raise KeyError(key)
        return conn

    def __contains__(self, key: object) -> bool:
        return (isinstance(key, tuple | list) and len(key) == 2 and key[0] == self.server_id
                and (key[1] in self.online or key[1] in self.others))

    def __iter__(self) -> Iterator[tuple[int, str]]:
        server_id = self.server_id
        return ((server_id, name) for name in self.usernames())

    def __len__(self) -> int:
        return len(self.online) + len(self.others)

    def __repr__(self) -> str:
        return f"RouterStatuses(server {self.server_id}: {len(self.online)} online, {len(self.others)} other)"

    __hash__ = None  # type: ignore[assignment]  # a mapping


def now_utc() -> datetime:
    return datetime.now(UTC)


class DisabledBecause(StrEnum):
    """Why the app itself would have a client's secret disabled (the client's window knows)."""

    NOT = "not"  # their service runs: a disabled secret is a mistake on the router
    CUT_OFF = "cut-off"  # expired or unpaid after the grace days
    BY_HAND = "by-hand"  # disabled by hand from the client's window


_DISABLED_ADVICE = {
    DisabledBecause.CUT_OFF: (
        "Their PPPoE account is disabled on the router because their subscription has ended or is unpaid. "
        "Renew their subscription or record a payment: the router enables the account again."
    ),
    DisabledBecause.BY_HAND: (
        "Their PPPoE account was disabled by hand (see Activity). Enable it (Router ▸ Enable account) "
        "when they should be back online."
    ),
    DisabledBecause.NOT: (
        "Their PPPoE account is disabled on the router although their service is running. Enable it "
        "(Router ▸ Enable account) and ask them to reconnect."
    ),
}
_NO_SECRET = (
    "The router has no PPPoE account with this username, so the customer can't log in. Push it now "
    "(Router ▸ Push to router), or check the PPPoE username in Edit."
)


def offline_advice(conn: ClientConnection, disabled_because: DisabledBecause = DisabledBecause.NOT) -> str:
    """What to do about an Offline client, following the cause the router showed."""
    if conn.cause is OfflineCause.SECRET_DISABLED:
        return _DISABLED_ADVICE[disabled_because]
    if conn.cause is OfflineCause.NO_SECRET:
        return _NO_SECRET
    if conn.cause is OfflineCause.NEVER_CONNECTED or conn.never_connected:
        return _NEVER_CONNECTED
    return _OFFLINE


def troubleshooting(conn: ClientConnection, disabled_because: DisabledBecause = DisabledBecause.NOT) -> str:
    """Plain front-desk words on why the status is what it is; empty for Online."""
    if conn.state is ConnectionState.ONLINE:
        return ""
    if conn.state is ConnectionState.OFFLINE:
        text = offline_advice(conn, disabled_because)
    else:
        assert conn.reason is not None  # guaranteed by __post_init__
        text = f"Connection status unavailable. {_ADVICE[conn.reason]}"
    if conn.detail:
        text += f"\n\nDetails: {conn.detail}"
    return text
