"""Connection states in the index: a router's whole answer, or single changes, applied to the
clients they name.

A router's answer covers tens of thousands of usernames; they are found as whole arrays (each
router's usernames sorted once, looked up with ``searchsorted``), never a Python line per client.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ispclient.domain.connection import ClientConnection, ConnectionState, RouterStatuses
from ispclient.listing.columns import Slots
from ispclient.listing.index import ClientIndex, UserTable

BookState = Callable[[int, str], ConnectionState]  # (server id, username) → state, as the book has it


@dataclass(frozen=True)
class Resolved:
    """A router's answer looked up in an index ahead of time, in the background (:func:`resolve`):
    which slots take which state, and the slots whose state the book decides (clients added since
    the router was asked, or no longer asked). Good for that index only while its rows are as
    they were (:attr:`ClientIndex.rows_version`), and against the same answer before it."""

    index: weakref.ref[ClientIndex]
    rows_version: int
    before: RouterStatuses | None  # the answer it was compared with (None: the answer taken whole)
    groups: tuple[tuple[ConnectionState, Slots], ...]
    unnamed: Slots
    table: UserTable | None  # the router's usernames table, made for the lookups (the index had none)

    def fits(self, index: ClientIndex, before: RouterStatuses | None) -> bool:
        return self.index() is index and self.rows_version == index.rows_version and self.before is before


def resolve(index: ClientIndex, statuses: RouterStatuses, before: RouterStatuses | None = None) -> Resolved | None:
    """:func:`apply_router`'s lookups (at a million clients, 30-40 ms of encoding and binary
    searches per router for a whole answer; ~10 ms to compare one with ``before``; as much again
    to sort the router's usernames after a change to its clients) done in the calling thread,
    while the GUI thread may be changing the index. None when the rows changed meanwhile (then
    :func:`apply_router` looks them up itself): what was read may be torn, but the version tells."""
    server_id = statuses.server_id
    version = index.rows_version
    try:
        table, own = index.user_table(server_id)
        if _comparable(statuses, before):
            assert before is not None
            groups, gone = _differences(statuses, before)
            looked_up = tuple((state, index.user_slots(server_id, names, table)) for state, names in groups)
            unnamed = index.user_slots(server_id, gone, table)
        else:
            before = None
            looked_up = _groups(index, statuses, statuses.others_state(), table)
            unnamed = _unnamed(table[2], looked_up)
    except (RuntimeError, ValueError, IndexError):  # the columns changed under us (the rows did, then)
        return None
    if index.rows_version != version:
        return None
    return Resolved(weakref.ref(index), version, before, looked_up, unnamed, None if own else table)


def apply_router(index: ClientIndex, statuses: RouterStatuses, before: RouterStatuses | None,
                 book_state: BookState, resolved: Resolved | None = None) -> bool:
    """One router's answer; ``before`` is the answer last applied to the same clients (then only
    the usernames that went on- or offline since are looked up); ``resolved``: its lookups made
    already (:func:`resolve`), used if they still fit. Whether any state changed."""
    server_id = statuses.server_id
    comparable = _comparable(statuses, before)
    if resolved is not None and not resolved.fits(index, before if comparable else None):
        resolved = None
    if resolved is not None and resolved.table is not None:  # not sorted again here
        index.adopt_user_table(server_id, resolved.table, resolved.rows_version)
    if not len(index.server_slots(server_id)):
        return False
    if resolved is not None:
        return _apply_groups(index, server_id, resolved.groups, resolved.unnamed, book_state)
    if comparable:
        assert before is not None
        groups, gone = _differences(statuses, before)
        looked_up = tuple((state, index.user_slots(server_id, names)) for state, names in groups)
        return _apply_groups(index, server_id, looked_up, index.user_slots(server_id, gone), book_state)
    looked_up = _groups(index, statuses, statuses.others_state())
    return _apply_groups(index, server_id, looked_up, _unnamed(index.server_slots(server_id), looked_up), book_state)


def _comparable(statuses: RouterStatuses, before: RouterStatuses | None) -> bool:
    """Whether only what changed since ``before`` need be applied: the same clients asked, as a
    rule, and everyone not online in the same (shared) state in both."""
    if before is None or len(before) != len(statuses):
        return False
    others_state = statuses.others_state()
    return others_state is not None and before.others_state() is others_state


def _groups(index: ClientIndex, statuses: RouterStatuses, others_state: ConnectionState | None,
            table: UserTable | None = None) -> tuple[tuple[ConnectionState, Slots], ...]:
    """The slots the answer names, by the state it gives them."""
    server_id = statuses.server_id
    groups = []
    if others_state is not None:  # the usual: all Offline, or all Unknown (the router failed)
        groups.append((others_state, index.user_slots(server_id, list(statuses.others), table)))
    else:
        by_state: dict[ConnectionState, list[str]] = defaultdict(list)
        for name, conn in statuses.others.items():
            by_state[conn.state].append(name)
        for state, names in by_state.items():
            groups.append((state, index.user_slots(server_id, names, table)))
    groups.append((ConnectionState.ONLINE, index.user_slots(server_id, list(statuses.online), table)))
    return tuple(groups)


def _unnamed(mine: Slots, groups: tuple[tuple[ConnectionState, Slots], ...]) -> Slots:
    """The router's clients the answer does not name (added since the router was asked)."""
    if sum(len(slots) for _, slots in groups) >= len(mine):
        return np.zeros(0, dtype=np.int64)
    return np.setdiff1d(mine, np.concatenate([slots for _, slots in groups]))


def _differences(statuses: RouterStatuses, before: RouterStatuses
                 ) -> tuple[tuple[tuple[ConnectionState, list[str]], ...], list[str]]:
    """The usernames that went online, and those that went offline (or unknown), since ``before``;
    and those no longer asked (the book decides their state)."""
    flipped = statuses.online.keys() ^ before.online.keys()
    others_state = statuses.others_state()
    assert others_state is not None
    online = [name for name in flipped if name in statuses.online]
    others = [name for name in flipped if name in statuses.others]
    gone = [name for name in flipped if name not in statuses.online and name not in statuses.others]
    return ((ConnectionState.ONLINE, online), (others_state, others)), gone


def _apply_groups(index: ClientIndex, server_id: int, groups: Iterable[tuple[ConnectionState, Slots]],
                  unnamed: Slots, book_state: BookState) -> bool:
    changed = False
    for state, slots in groups:
        changed |= index.set_states(slots, state)
    for slot in unnamed.tolist():
        changed |= index.set_states(np.array([slot]), book_state(server_id, index.username(slot)))
    return changed


def apply_keys(index: ClientIndex, keys: Iterable[tuple[int, str]], book_state: BookState) -> tuple[list[int], bool]:
    """Single changes (a client window's own check): the slots they name, and whether any state
    changed."""
    by_server: dict[int, list[str]] = defaultdict(list)
    for server_id, username in keys:
        by_server[server_id].append(username)
    touched: list[int] = []
    changed = False
    for server_id, names in by_server.items():
        slots = index.user_slots(server_id, names)
        for slot in slots.tolist():
            changed |= index.set_states(np.array([slot]), book_state(server_id, index.username(slot)))
            touched.append(slot)
    return touched, changed


# What the book knew of each router when a list read began: its whole answer and the single
# lookups newer than it.
Snapshot = dict[int, tuple[RouterStatuses | None, dict[str, ClientConnection]]]


def snapshot_state(snapshot: Snapshot) -> BookState:
    """The book's ``state`` as it was at the snapshot."""
    def state(server_id: int, username: str) -> ConnectionState:
        router, singles = snapshot.get(server_id, (None, {}))
        conn = singles.get(username)
        if conn is not None:
            return conn.state
        known = router.state(username) if router is not None else None
        return known or ConnectionState.UNKNOWN
    return state


def apply_snapshot(index: ClientIndex, snapshot: Snapshot) -> None:
    """Every status of the snapshot (in the background, as the index is built)."""
    state = snapshot_state(snapshot)
    for server_id, (router, singles) in snapshot.items():
        if router is not None:
            apply_router(index, router, None, state)
        if singles:
            apply_keys(index, [(server_id, u) for u in singles], state)
