"""Connection states in the index: a router's whole answer, or single changes, applied to the
clients they name.

A router's answer covers tens of thousands of usernames; they are found as whole arrays (each
router's usernames sorted once, looked up with ``searchsorted``), never a Python line per client.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from ispclient.domain.connection import ClientConnection, ConnectionState, RouterStatuses
from ispclient.listing.index import ClientIndex

BookState = Callable[[int, str], ConnectionState]  # (server id, username) → state, as the book has it


def apply_router(index: ClientIndex, statuses: RouterStatuses, before: RouterStatuses | None,
                 book_state: BookState) -> bool:
    """One router's answer; ``before`` is the answer last applied to the same clients (then only
    the usernames that went on- or offline since are looked up). Whether any state changed."""
    server_id = statuses.server_id
    if not len(index.server_slots(server_id)):
        return False
    others_state = statuses.others_state()
    if (before is not None and len(before) == len(statuses)  # the same clients asked, as a rule
            and others_state is not None and before.others_state() is others_state):
        return _apply_differences(index, statuses, before, others_state, book_state)
    return _apply_whole(index, statuses, others_state, book_state)


def _apply_whole(index: ClientIndex, statuses: RouterStatuses, others_state: ConnectionState | None,
                 book_state: BookState) -> bool:
    server_id = statuses.server_id
    changed = False
    covered = []
    if others_state is not None:  # the usual: all Offline, or all Unknown (the router failed)
        slots = index.user_slots(server_id, list(statuses.others))
        changed |= index.set_states(slots, others_state)
        covered.append(slots)
    else:
        by_state: dict[ConnectionState, list[str]] = defaultdict(list)
        for name, conn in statuses.others.items():
            by_state[conn.state].append(name)
        for state, names in by_state.items():
            slots = index.user_slots(server_id, names)
            changed |= index.set_states(slots, state)
            covered.append(slots)
    online = index.user_slots(server_id, list(statuses.online))
    changed |= index.set_states(online, ConnectionState.ONLINE)
    covered.append(online)
    mine = index.server_slots(server_id)
    if sum(len(s) for s in covered) < len(mine):  # clients added since the router was asked
        asked = np.concatenate(covered)
        for slot in np.setdiff1d(mine, asked).tolist():
            changed |= index.set_states(np.array([slot]), book_state(server_id, index.username(slot)))
    return changed


def _apply_differences(index: ClientIndex, statuses: RouterStatuses, before: RouterStatuses,
                       others_state: ConnectionState, book_state: BookState) -> bool:
    server_id = statuses.server_id
    flipped = statuses.online.keys() ^ before.online.keys()
    if not flipped:
        return False
    online = [name for name in flipped if name in statuses.online]
    others = [name for name in flipped if name in statuses.others]
    changed = index.set_states(index.user_slots(server_id, online), ConnectionState.ONLINE)
    changed |= index.set_states(index.user_slots(server_id, others), others_state)
    for name in flipped - statuses.online.keys() - statuses.others.keys():  # no longer asked
        changed |= index.set_states(index.user_slots(server_id, [name]), book_state(server_id, name))
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
