"""Every client of the list as columns, and which of them a filter shows, in what order.

A row lives in a *slot* (its position in every column) for the life of the index: a changed
client keeps its slot, a new one gets the next, a deleted one is marked dead. The *visible* rows
are an array of slots: the live slots the filter lets through, in the sort order.

Everything that touches every row is a handful of whole-array operations (numpy, which lets go of
the GIL while it works): a keystroke compares a few dozen byte columns; a sort is a few radix
passes; the visible rows are ``order[mask[order]]``. Only the rows on screen are ever turned into
Python strings.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from ispclient.domain.connection import ConnectionState
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.listing import order as radix
from ispclient.listing import vectorized
from ispclient.listing.columns import SEP_CHAR, Bools, Field, Slots, Strings, rows_of
from ispclient.listing.counts import ListCounts
from ispclient.listing.keys import CONNECTION_RANK, CONNECTION_STATES, NO_END, STATUS_RANK, STATUSES, Column, natural
from ispclient.listing.search import NO_SERVER, ClientFilter, encode, fold, phone_forms, refines
from ispclient.store.queries import ClientRow

UNKNOWN = CONNECTION_RANK[ConnectionState.UNKNOWN]
EXPIRING = STATUS_RANK[SubscriptionStatus.EXPIRING.value]
FEW = 16  # fewer candidate rows than 1/FEW of all: compare only theirs (gathered in slot order; at 1M clients
# 25,000-60,000 candidates took 10-13 ms as whole columns, 6-7 ms gathered; 64 here before)
# Up to this many slots, a change to their rows is worked out for them alone (their rows, the
# counts), not by a pass over the whole index.
FEW_SLOTS = 8
HEADROOM = 1 / 16  # spare slots allocated for clients added after the build
# A router's usernames (those that fit the column) sorted as UTF-8 bytes, their slots, and all its
# slots that have a username (see ClientIndex._user_table).
UserTable = tuple[npt.NDArray[np.bytes_], Slots, Slots]


@dataclass
class Columns:
    """The index's arrays, all ``capacity`` long (slots ``n`` and up are spare)."""

    ids: npt.NDArray[np.int64]
    live: npt.NDArray[np.bool_]
    server: npt.NDArray[np.int64]  # server id, or NO_SERVER
    package: npt.NDArray[np.int32]  # into ``packages``
    status: npt.NDArray[np.uint8]  # into keys.STATUSES (which is their sort order)
    starts: npt.NDArray[np.int32]  # date ordinal, 0 when none
    ends: npt.NDArray[np.int32]
    balance: npt.NDArray[np.int64]  # minor units; above zero: owes money
    state: npt.NDArray[np.uint8]  # connection state, as keys.CONNECTION_RANK
    name: Strings
    code: Strings
    email: Strings
    phone: Field  # as stored (E.164): shown, and sorted by
    username: Field  # as stored: shown, and what the routers' answers name
    name_key: Field  # folded: searched and sorted by
    code_key: Field  # folded: searched
    natural_key: Field | None  # natural(Client ID): sorted by; made when first wanted (see ClientIndex.natural_key)
    email_key: Field
    username_key: Field  # folded: searched and sorted by (the same object as ``username`` when equal)
    digits: Field  # the phone's digits
    national: Field  # the phone's national form with its trunk 0

    def arrays(self) -> list[npt.NDArray[Any]]:
        return [self.ids, self.live, self.server, self.package, self.status, self.starts, self.ends, self.balance,
                self.state]

    def fields(self) -> list[Field]:
        seen: dict[int, Field] = {}
        for f in (self.phone, self.username, self.name_key, self.code_key, self.natural_key, self.email_key,
                  self.username_key, self.digits, self.national):
            if f is not None:
                seen[id(f)] = f
        return list(seen.values())

    def searched(self) -> list[Field]:
        return [self.name_key, self.code_key, self.email_key, self.username_key, self.digits, self.national]


@dataclass(frozen=True)
class Warmed:
    """Orders and keys worked out in the background for an index as it was (its versions)."""

    rows_version: int
    states_version: int
    natural_key: Field
    orders: dict[Column, Slots]


NATURAL_CHUNK = 65_536  # rows whose natural keys are worked out at once (bounds the temporaries)


def natural_field(code_key: Field, n: int, pause: Callable[[], object] = lambda: None,
                  chunk_rows: int | None = None) -> Field:
    """The natural key (keys.natural) of the first ``n`` slots' folded Client IDs, as a field of
    the same capacity: what the list read made for every chunk, made from ``code_key`` instead
    (``chunk_rows`` at a time, NATURAL_CHUNK unless said; ``pause`` called between chunks)."""
    chunk_rows = chunk_rows or NATURAL_CHUNK
    cols, long = code_key.cols, code_key.long
    width = code_key.width
    chunks: list[tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]] = []
    for first in range(0, n, chunk_rows):
        last = min(n, first + chunk_rows)
        matrix = np.ascontiguousarray(cols[:, first:last].T)
        filled = matrix != 0
        # the value's length: up to its last non-NUL byte (as Field.value strips the padding)
        lengths = np.zeros(last - first, dtype=np.int64)
        if width:
            lengths[:] = np.where(filled.any(axis=1), width - np.argmax(filled[:, ::-1], axis=1), 0)
        wide = [s for s in long if first <= s < last]
        if wide:  # longer than the column: the whole value
            values = [long[s] for s in wide]
            matrix = np.pad(matrix, ((0, 0), (0, max(map(len, values)) - width)))
            for s, value in zip(wide, values, strict=True):
                matrix[s - first, :len(value)] = np.frombuffer(value, dtype=np.uint8)
                lengths[s - first] = len(value)
        chunks.append(vectorized.natural_keys(matrix, lengths, natural))
        pause()
    return Field.build(chunks, code_key.capacity)


class ClientIndex:
    """All clients, the filter and sort order chosen, and the visible slots they give."""

    def __init__(self, columns: Columns, n: int, servers: dict[int, str], packages: list[str]) -> None:
        self.c = columns
        self.n = n  # slots in use
        self.servers = dict(servers)  # server id → name, as the rows named them
        self.packages = list(packages)
        self._package_of = {name: i for i, name in enumerate(self.packages)}
        self._ids_sorted = bool(n < 2 or (np.diff(columns.ids[:n]) > 0).all())  # slot order is id order
        self._recent: dict[int, int] = {}  # client id → slot, for slots added since _by_ids was made
        self._id_lookup: tuple[npt.NDArray[np.int64], Slots] | None = None  # ids sorted, their slots
        self._live_count = int(np.count_nonzero(columns.live[:n]))
        self.filter = ClientFilter()
        self.sort_column: Column | None = None
        self.descending = False
        self._ascending: dict[Column, Slots] = {}
        self._hits: tuple[tuple[str, ...], Bools] | None = None
        self._row_of: npt.NDArray[np.int64] | None = None
        self._counts: tuple[int, int, int, int, int] | None = None  # online, offline, unknown, expiring, owing
        self._users: dict[int, UserTable] = {}  # see _user_table
        # Bumped by every change of the rows (apply) and of the connection states (set_states):
        # work done in the background from an older index is dropped (adopt).
        self._rows_version = 0
        self._states_version = 0
        self._visible: Slots = self._live_slots()

    @property
    def visible(self) -> Slots:
        """The slots shown, in order (don't change the array: set a new one)."""
        return self._visible

    @visible.setter
    def visible(self, slots: Slots) -> None:
        self._visible = slots
        self._row_of = None

    # -- sizes and lookups ------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return len(self.c.ids)

    @property
    def total(self) -> int:
        return self._live_count

    def __len__(self) -> int:
        return len(self.visible)

    def _live_slots(self) -> Slots:
        return np.flatnonzero(self.c.live[:self.n]).astype(np.int64)

    def slot_of(self, client_id: int) -> int | None:
        """The client's slot (dead or alive), or None if the index never had them."""
        recent = self._recent.get(client_id)
        if recent is not None:
            return recent
        ids, slots = self._by_ids()
        at = int(np.searchsorted(ids, client_id))
        if at < len(ids) and ids[at] == client_id:
            return at if slots is None else int(slots[at])
        return None

    def _by_ids(self) -> tuple[npt.NDArray[np.int64], Slots | None]:
        """The ids in order and their slots (None: slot order is id order, the usual case)."""
        if self._ids_sorted:
            return self.c.ids[:self.n], None
        if self._id_lookup is None:
            order = np.argsort(self.c.ids[:self.n], kind="stable").astype(np.int64)
            self._id_lookup = (self.c.ids[order], order)
            self._recent.clear()
        return self._id_lookup

    def live_slot(self, client_id: int) -> int | None:
        slot = self.slot_of(client_id)
        return slot if slot is not None and self.c.live[slot] else None

    def row_of_slot(self, slot: int) -> int | None:
        """The visible row showing ``slot``, or None."""
        if self._row_of is not None:
            row = int(self._row_of[slot])
            return row if row >= 0 else None
        found = np.flatnonzero(self.visible == slot)
        return int(found[0]) if len(found) else None

    def rows_of_slots(self, slots: Iterable[int]) -> list[int]:
        """The visible rows showing these slots (those shown), ascending.

        Many slots: through every slot's row, worked out once per visible order (a pass over the
        whole index: ~10 ms at a million clients). A few (a client window's own status check,
        after a search or sort changed the order): each found by one comparison over the visible
        slots, a fraction of that, without working out the rest."""
        if self._row_of is None:
            wanted = slots if isinstance(slots, Sequence) else list(slots)
            if len(wanted) <= FEW_SLOTS:
                visible = self.visible
                return sorted(int(found[0]) for found in (np.flatnonzero(visible == s) for s in set(wanted))
                              if len(found))
            self._row_of = radix.rank_of(self.visible, self.capacity)
            slots = wanted
        row_of = self._row_of
        return sorted(r for r in (int(row_of[s]) for s in slots if s < len(row_of)) if r >= 0)

    def client_id(self, slot: int) -> int:
        return int(self.c.ids[slot])

    def visible_client_ids(self) -> list[int]:
        return [int(i) for i in self.c.ids[self.visible]]

    # -- one row ------------------------------------------------------------------------------

    def code(self, slot: int) -> str:
        return self.c.code.get(slot)

    def name(self, slot: int) -> str:
        return self.c.name.get(slot)

    def email(self, slot: int) -> str:
        return self.c.email.get(slot)

    def server_id(self, slot: int) -> int | None:
        sid = int(self.c.server[slot])
        return None if sid == NO_SERVER else sid

    def package_name(self, slot: int) -> str:
        return self.packages[int(self.c.package[slot])]

    def balance(self, slot: int) -> int:
        return int(self.c.balance[slot])

    def server_name(self, slot: int) -> str:
        sid = int(self.c.server[slot])
        return self.servers.get(sid, "") if sid != NO_SERVER else ""

    def status(self, slot: int) -> str:
        return STATUSES[int(self.c.status[slot])]

    def phone(self, slot: int) -> str:
        return self.c.phone.value(slot).decode("utf-8", "surrogatepass")

    def username(self, slot: int) -> str:
        return self.c.username.value(slot).decode("utf-8", "surrogatepass")

    def ends_on(self, slot: int) -> date | None:
        ordinal = int(self.c.ends[slot])
        return date.fromordinal(ordinal) if ordinal else None

    def state(self, slot: int) -> ConnectionState:
        return CONNECTION_STATES[int(self.c.state[slot])]

    def row(self, slot: int) -> ClientRow:
        c = self.c
        sid = int(c.server[slot])
        starts = int(c.starts[slot])
        return ClientRow(int(c.ids[slot]), c.code.get(slot), c.name.get(slot), self.phone(slot), c.email.get(slot),
                         self.username(slot), None if sid == NO_SERVER else sid, self.server_name(slot),
                         self.packages[int(c.package[slot])], self.status(slot),
                         date.fromordinal(starts) if starts else None, self.ends_on(slot), int(c.balance[slot]))

    # -- filtering ----------------------------------------------------------------------------

    def set_filter(self, flt: ClientFilter) -> None:
        self.filter = flt
        self._show()

    def _show(self) -> None:
        """Work out the visible slots afresh (filter or order changed)."""
        order = self.order()
        mask = self._mask(self.filter)
        self.visible = order if mask is None else order[mask[order]]

    def _mask(self, flt: ClientFilter) -> Bools | None:
        """Which slots the filter lets through (None: every live one)."""
        c, n = self.c, self.n
        mask: Bools | None = None

        def narrow(condition: Bools) -> None:
            nonlocal mask
            mask = condition if mask is None else np.logical_and(mask, condition, out=mask)

        if flt.status is not None:
            narrow(c.status[:n] == STATUS_RANK.get(flt.status, 255))
        if flt.server_id is not None:
            narrow(c.server[:n] == flt.server_id)
        if flt.connection is not None:
            narrow(c.state[:n] == CONNECTION_RANK[flt.connection])
        if flt.owes:
            narrow(c.balance[:n] > 0)
        if flt.ended_since is not None:  # no subscription: ends is 0, before any day
            narrow(c.ends[:n] >= flt.ended_since.toordinal())
        terms = flt.terms
        if terms:
            narrow(self._search(terms))
        return mask

    def _search(self, terms: tuple[str, ...]) -> Bools:
        """The live slots holding every term (a copy the caller may change)."""
        n = self.n
        done: tuple[str, ...] = ()
        last = self._hits
        if last is not None and len(last[1]) == n and refines(terms, last[0]):
            done, hits = last[0], last[1].copy()  # one more letter typed: only the last hits can match
        else:
            hits = self.c.live[:n].copy()
        for term in sorted(terms, key=len, reverse=True):  # the longest term narrows most
            if term not in done:
                np.logical_and(hits, self._term(encode(term), hits), out=hits)
        self._hits = (terms, hits)
        return hits.copy()

    def _term(self, term: bytes, within: Bools) -> Bools:
        """Slots (among ``within``) with ``term`` in some searched field."""
        n = self.n
        count = int(np.count_nonzero(within))
        if count == 0:
            return within.copy()
        if count * FEW < n:
            rows = np.flatnonzero(within)
            hit = np.zeros(len(rows), dtype=np.bool_)
            for field in self.c.searched():
                hit |= field.contains(term, n, rows)
            found = np.zeros(n, dtype=np.bool_)
            found[rows[hit]] = True
            return found
        found = np.zeros(n, dtype=np.bool_)
        for field in self.c.searched():
            np.logical_or(found, field.contains(term, n), out=found)
        return found

    # -- sorting ------------------------------------------------------------------------------

    def sort(self, column: Column | None, descending: bool = False) -> None:
        self.sort_column = column
        self.descending = descending
        self._show()

    def order(self) -> Slots:
        """Every live slot in the current sort order."""
        if self.sort_column is None:
            return self._by_id()
        ascending = self.ascending(self.sort_column)
        return ascending[::-1] if self.descending else ascending

    def sorted_columns(self) -> set[Column]:
        return set(self._ascending)

    def ascending(self, column: Column) -> Slots:
        """Live slots by ``column`` ascending: its key, then name, then client id. Cached."""
        cached = self._ascending.get(column)
        if cached is None:
            if column is Column.NAME:
                cached = self._sorted_by_field(self._by_id(), self.c.name_key)
            else:
                base = self.ascending(Column.NAME)
                cached = self._sorted_by(column, base)
            self._ascending[column] = cached
        return cached

    def natural_key(self) -> Field:
        """The natural key of every Client ID (only the Client ID column sorts by it): made from
        the folded Client IDs when first wanted — in the background by :meth:`warmed`, as a rule —
        not while the list is read (it was a sixth of the read's work)."""
        c = self.c
        if c.natural_key is None:
            c.natural_key = natural_field(c.code_key, self.n)
        return c.natural_key

    def _by_id(self) -> Slots:
        live = self._live_slots()
        if self._ids_sorted:
            return live
        return live[np.argsort(self.c.ids[live], kind="stable")]

    def _sorted_by_field(self, base: Slots, field: Field) -> Slots:
        ordered = radix.radix(base, field.digits(self.n))
        return radix.fix_long_values(ordered, field, field.value)

    def _sorted_by(self, column: Column, base: Slots, natural_key: Field | None = None) -> Slots:
        """``base`` (the name order) ordered by ``column``; ``natural_key`` (Client ID only): the
        one worked out in the background, else the index's own, made when first wanted."""
        c, n = self.c, self.n
        if column is Column.CLIENT_ID:
            return self._sorted_by_field(base, natural_key if natural_key is not None else self.natural_key())
        if column is Column.PHONE:
            return self._sorted_by_field(base, c.phone)
        if column is Column.PPPOE_USERNAME:
            return self._sorted_by_field(base, c.username_key)
        if column is Column.SERVER:
            return radix.radix(base, radix.int_digits(self._server_ranks()))
        if column is Column.PACKAGE:
            return radix.radix(base, radix.int_digits(self._package_ranks()))
        if column is Column.SUBSCRIPTION:
            return radix.radix(base, [c.status[:n]])
        if column is Column.END_DATE:
            return radix.radix(base, radix.int_digits(np.where(c.ends[:n] == 0, NO_END, c.ends[:n])))
        if column is Column.CONNECTION:
            return radix.radix(base, [c.state[:n]])
        return radix.radix(base, radix.int_digits(c.balance[:n]))

    def _server_ranks(self) -> npt.NDArray[np.int64]:
        """Each slot's server by folded name (no server: ''), as a dense rank."""
        names = {sid: fold(name) for sid, name in self.servers.items()}
        names[NO_SERVER] = ""
        ranks = {key: i for i, key in enumerate(sorted(set(names.values())))}
        ids = np.array(sorted(names), dtype=np.int64)
        table = np.array([ranks[names[int(sid)]] for sid in ids], dtype=np.int64)
        server = self.c.server[:self.n]
        return table[np.clip(np.searchsorted(ids, server), 0, len(ids) - 1)]

    def _package_ranks(self) -> npt.NDArray[np.int64]:
        keys = [fold(p) for p in self.packages]
        ranks = {key: i for i, key in enumerate(sorted(set(keys)))}
        table = np.array([ranks[k] for k in keys] or [0], dtype=np.int64)
        ranked: npt.NDArray[np.int64] = table[self.c.package[:self.n]]  # numpy 1.26's stubs: Any
        return ranked

    def sort_key(self, column: Column, slot: int) -> Any:
        """``column``'s key of one slot, comparable with every other slot's (the order's
        definition: what :meth:`ascending` sorts by before name and client id)."""
        c = self.c
        if column is Column.CLIENT_ID:
            return self.natural_key().value(slot)
        if column is Column.NAME:
            return c.name_key.value(slot)
        if column is Column.PHONE:
            return c.phone.value(slot)
        if column is Column.PPPOE_USERNAME:
            return c.username_key.value(slot)
        if column is Column.SERVER:
            return encode(fold(self.server_name(slot)))
        if column is Column.PACKAGE:
            return encode(fold(self.packages[int(c.package[slot])]))
        if column is Column.SUBSCRIPTION:
            return int(c.status[slot])
        if column is Column.END_DATE:
            return int(c.ends[slot]) or NO_END
        if column is Column.CONNECTION:
            return int(c.state[slot])
        return int(c.balance[slot])

    def _full_key(self, column: Column, slot: int) -> tuple[Any, ...]:
        if column is Column.NAME:
            return self.c.name_key.value(slot), int(self.c.ids[slot])
        return self.sort_key(column, slot), self.c.name_key.value(slot), int(self.c.ids[slot])

    # -- changes ------------------------------------------------------------------------------

    def apply(self, client_ids: Sequence[int], rows: Sequence[ClientRow]) -> tuple[list[int], list[int]]:
        """These clients as read again: changed rows are updated, the ones missing from ``rows``
        (deleted) die, new ones get a slot. Returns (changed or added slots, removed slots); the
        visible rows are worked out again."""
        fresh = {r.id: r for r in rows}
        changed: list[int] = []
        removed: list[int] = []
        routers: set[int] = {r.server_id for r in rows if r.server_id is not None}  # whose usernames may change
        for cid in dict.fromkeys(client_ids):
            slot = self.slot_of(cid)
            row = fresh.get(cid)
            if slot is not None:
                routers.add(int(self.c.server[slot]))
            if row is None:
                if slot is not None and self.c.live[slot]:
                    self.c.live[slot] = False
                    self._live_count -= 1
                    removed.append(slot)
                continue
            if slot is None:
                slot = self._new_slot(cid)
            elif not self.c.live[slot]:
                self.c.live[slot] = True
                self._live_count += 1
            self._write(slot, row)
            changed.append(slot)
        if changed or removed:
            for server_id in routers:  # before the version moves on (see user_table)
                self._users.pop(server_id, None)
            self._rows_version += 1
            self._reorder(changed, removed)
            self._changed()
        return changed, removed

    def _changed(self) -> None:
        self._hits = None
        self._counts = None
        self._show()

    def _new_slot(self, client_id: int) -> int:
        if self.n == self.capacity:
            self._grow(max(self.capacity + 1024, int(self.capacity * 1.25)))
        slot = self.n
        self.n += 1
        c = self.c
        c.ids[slot] = client_id
        c.live[slot] = True
        self._live_count += 1
        if self._ids_sorted and slot > 0 and c.ids[slot - 1] >= client_id:
            self._ids_sorted = False  # an old client back (undo a delete): looked up by a sorted copy
        if not self._ids_sorted:
            self._recent[client_id] = slot
            if len(self._recent) > 1024:
                self._id_lookup = None  # made again, with these, when next asked
        return slot

    def _grow(self, capacity: int) -> None:
        c = self.c
        for name in ("ids", "live", "server", "package", "status", "starts", "ends", "balance", "state"):
            old = getattr(c, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[:len(old)] = old
            setattr(c, name, new)
        for field in c.fields():
            field.grow(capacity)
        self._row_of = None

    def _write(self, slot: int, row: ClientRow) -> None:
        c = self.c
        c.server[slot] = NO_SERVER if row.server_id is None else row.server_id
        if row.server_id is not None:
            self.servers[row.server_id] = row.server_name
        package = self._package_of.get(row.package_name)
        if package is None:
            package = self._package_of[row.package_name] = len(self.packages)
            self.packages.append(row.package_name)
        c.package[slot] = package
        c.status[slot] = STATUS_RANK[row.status]
        c.starts[slot] = row.starts_on.toordinal() if row.starts_on else 0
        c.ends[slot] = row.ends_on.toordinal() if row.ends_on else 0
        c.balance[slot] = row.balance_minor
        c.name.set(slot, row.name)
        c.code.set(slot, row.client_code)
        c.email.set(slot, row.email)
        c.phone.set(slot, encode(row.phone))
        c.username.set(slot, encode(row.pppoe_username))
        c.name_key.set(slot, encode(fold(row.name)))
        c.code_key.set(slot, encode(fold(row.client_code)))
        if c.natural_key is not None:  # else made from code_key when wanted
            c.natural_key.set(slot, encode(natural(row.client_code)))
        c.email_key.set(slot, encode(fold(row.email)))
        if c.username_key is not c.username:
            c.username_key.set(slot, encode(fold(row.pppoe_username)))
        elif fold(row.pppoe_username) != row.pppoe_username:
            c.username_key = Field(c.username.cols.copy(), dict(c.username.long))  # no longer the same
            c.username_key.set(slot, encode(fold(row.pppoe_username)))
        digits, national = phone_forms(row.phone)
        c.digits.set(slot, encode(digits))
        c.national.set(slot, encode(national))

    def _reorder(self, changed: list[int], removed: list[int]) -> None:
        """Keep the cached orders sorted: the changed rows are taken out and put back where their
        keys go (a binary search each); after many changes the orders are sorted afresh."""
        if len(changed) + len(removed) > 256:
            self._ascending.clear()
            return
        moved = np.array(sorted(set(changed) | set(removed)), dtype=np.int64)
        for column, ascending in list(self._ascending.items()):
            kept = ascending[~np.isin(ascending, moved)] if len(moved) else ascending
            keys = _KeyedOrder(kept, lambda s, col=column: self._full_key(col, s))  # type: ignore[misc]
            back = sorted(changed, key=keys.key)
            at = [bisect.bisect_left(keys, keys.key(slot)) for slot in back]
            self._ascending[column] = np.insert(kept, at, back) if back else kept

    # -- connection states ----------------------------------------------------------------------

    @property
    def rows_version(self) -> int:
        """Changes with every change to the rows (not to their connection states)."""
        return self._rows_version

    def user_slots(self, server_id: int, usernames: Sequence[str], table: UserTable | None = None) -> Slots:
        """The live slots of these usernames on this router (the ones the index has): one
        array made of the names (no Python line per name) and a binary search of the router's
        (``table``: the router's :meth:`user_table`, in a background thread)."""
        if not usernames:
            return np.zeros(0, dtype=np.int64)
        names, slots, _ = table or self._user_table(server_id)
        found: Slots = np.zeros(0, dtype=np.int64)
        if len(names):
            # Made one byte wider than any name kept: a longer name is cut there, and left out.
            # The rest searched at the names' own width: searching the wider array made numpy
            # copy all the router's names to that width first (~2 ms at 200,000 names, even
            # for the one name a client window's check looks up).
            width = names.dtype.itemsize
            wider = _utf8_array(usernames, width + 1)
            fits = wider.view(np.uint8).reshape(len(wider), width + 1)[:, width] == 0
            wanted = wider.astype(names.dtype) if fits.all() else wider[fits].astype(names.dtype)
            at = np.searchsorted(names, wanted)
            at[at >= len(names)] = 0
            found = slots[at[names[at] == wanted]]
        long = self.c.username.long
        if long:  # usernames longer than the column: rare, checked whole
            mine = {v: s for s, v in long.items() if self.c.live[s] and self.c.server[s] == server_id}
            extra = [mine[e] for e in map(encode, usernames) if e in mine] if mine else []
            if extra:
                found = np.union1d(found, np.array(extra, dtype=np.int64)).astype(np.int64)
        return found

    def server_slots(self, server_id: int) -> Slots:
        """The live slots on this router that have a PPPoE username."""
        return self._user_table(server_id)[2]

    def user_table(self, server_id: int) -> tuple[UserTable, bool]:
        """This router's usernames table, and whether it is the index's own: made here if the
        index has none, but not kept (a background thread may call this while the GUI thread
        changes the index: see :meth:`adopt_user_table`). A change to the rows drops a router's
        table before :attr:`rows_version` moves on: a table got after reading the version is as
        new as that version, or the version has moved on by the time it is used."""
        table = self._users.get(server_id)
        if table is not None:
            return table, True
        return self._made_user_table(server_id), False

    def adopt_user_table(self, server_id: int, table: UserTable, rows_version: int) -> None:
        """A table :meth:`user_table` made (in the background) at ``rows_version``, kept if the
        rows are still as they were then and the index has made none meanwhile."""
        if rows_version == self._rows_version:
            self._users.setdefault(server_id, table)

    def _user_table(self, server_id: int) -> UserTable:
        """This router's usernames sorted (those that fit the column), their slots, and all its
        slots with a username; made when first asked (in the background, by the list read), again
        after a change to its clients."""
        table = self._users.get(server_id)
        if table is None:
            table = self._users[server_id] = self._made_user_table(server_id)
        return table

    def _made_user_table(self, server_id: int) -> UserTable:
        c, n = self.c, self.n
        mine = c.live[:n] & (c.server[:n] == server_id)
        if c.username.width:
            mine &= c.username.cols[0, :n] != 0
        else:
            mine[:] = False
        every = np.flatnonzero(mine)
        if c.username.long:  # found whole by user_slots, not by their cut-off heads
            mine[[s for s in c.username.long if s < n]] = False
        slots = np.flatnonzero(mine)
        width = max(c.username.width, 1)
        # The names as UTF-8 bytes, sorted as bytes (what the routers' answers are encoded to):
        # no decoding into str (a Python call per name: ~10 ms of the GIL per router).
        names = np.ascontiguousarray(c.username.cols[:, slots].T).view(f"S{width}").ravel()
        ordered = np.argsort(names, kind="stable")
        return names[ordered], slots[ordered], every

    def warm_users(self) -> None:
        """Every router's usernames sorted: what a router's answer is looked up in (the status
        refresh that follows the list read would otherwise sort them on the GUI thread)."""
        for server_id in self.servers:
            self._user_table(server_id)

    def warmed(self, pause: Callable[[], object] = lambda: None) -> Warmed:
        """The orders of the columns not sorted yet and the Client IDs' natural key, worked out
        without changing the index: safe in a background thread while the GUI thread uses and
        changes the index; :meth:`adopt` (in the GUI thread) keeps what is still true. ``pause``
        is called between steps (a Yielder: the GUI thread gets the GIL and a CPU meanwhile)."""
        rows, states = self._rows_version, self._states_version
        # In smaller chunks: each holds the GIL through a few dozen numpy calls (~20 ms at 65,536).
        natural_key = self.c.natural_key or natural_field(self.c.code_key, self.n, pause, NATURAL_CHUNK // 8)
        have = dict(self._ascending)  # a copy: the GUI thread may change the dict meanwhile
        name = have.get(Column.NAME)
        orders: dict[Column, Slots] = {}
        if name is None:
            name = orders[Column.NAME] = self._sorted_by_field(self._by_id(), self.c.name_key)
        for column in Column:
            if column is not Column.NAME and column not in have:
                pause()
                orders[column] = self._sorted_by(column, name, natural_key)
        return Warmed(rows, states, natural_key, orders)

    def adopt(self, warmed: Warmed) -> None:
        """What :meth:`warmed` worked out, unless the rows changed since (the connection order:
        unless the states changed); an order worked out meanwhile is kept."""
        if warmed.rows_version != self._rows_version:
            return
        if self.c.natural_key is None:
            self.c.natural_key = warmed.natural_key
        for column, order in warmed.orders.items():
            if column is Column.CONNECTION and warmed.states_version != self._states_version:
                continue
            self._ascending.setdefault(column, order)

    def set_states(self, slots: Slots, state: ConnectionState) -> bool:
        """These slots' connection state; whether any changed."""
        if not len(slots):
            return False
        rank = CONNECTION_RANK[state]
        states = self.c.state
        if bool((states[slots] == rank).all()):
            return False
        if self._counts is not None and len(slots) <= FEW_SLOTS:
            # The counts follow (a client window's check changes one row: counting them all
            # again took a pass over the whole index, ~10 ms at a million clients).
            slots = np.unique(slots)  # a slot named twice moves once
            live = self.c.live[slots]
            moved = np.bincount(states[slots][live], minlength=len(CONNECTION_STATES))
            online, offline, unknown, expiring, owing = self._counts
            per_state = [online - int(moved[0]), offline - int(moved[1]), unknown - int(moved[2])]
            per_state[rank] += int(moved.sum())
            self._counts = (per_state[0], per_state[1], per_state[2], expiring, owing)
        else:
            self._counts = None
        states[slots] = rank
        self._states_version += 1
        self._ascending.pop(Column.CONNECTION, None)  # sorted afresh when asked (~10 ms)
        return True

    def states_changed(self) -> None:
        """After :meth:`set_states`: a connection filter is applied again."""
        if self.filter.connection is not None:
            self._show()

    # -- counts ---------------------------------------------------------------------------------

    def counts(self) -> ListCounts:
        if self._counts is None:
            c, n = self.c, self.n
            live = c.live[:n]
            per_state = np.bincount(c.state[:n][live], minlength=len(CONNECTION_STATES))
            expiring = int(np.count_nonzero(live & (c.status[:n] == EXPIRING)))
            owing = int(np.count_nonzero(live & (c.balance[:n] > 0)))
            self._counts = (int(per_state[0]), int(per_state[1]), int(per_state[2]), expiring, owing)
        online, offline, unknown, expiring, owing = self._counts
        return ListCounts(len(self.visible), self._live_count, online, offline, unknown, expiring, owing)


def _utf8_array(texts: Sequence[str], width: int) -> npt.NDArray[np.bytes_]:
    """``texts`` as UTF-8 (lone surrogates kept, as :func:`encode` does), each cut at ``width``
    bytes: joined, encoded once and split into a matrix by whole-array operations (a router's
    answer names 100,000+ usernames: made one string at a time, ~20 ms of the GUI thread)."""
    joined = SEP_CHAR.join(texts)
    if joined.count(SEP_CHAR) != len(texts) - 1:  # a name holds the separator: one by one
        return np.array([encode(t) for t in texts], dtype=f"S{width}")
    matrix, _ = rows_of(encode(joined), len(texts))
    if matrix.shape[1] < width:
        matrix = np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))
    return np.ascontiguousarray(matrix[:, :width]).view(f"S{width}").ravel()


class _KeyedOrder(Sequence[Any]):
    """An order seen through a key function, for :mod:`bisect` (which reads ~20 of its items)."""

    def __init__(self, order: Slots, key: Callable[[int], Any]) -> None:
        self.order = order
        self.key = key

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, i: Any) -> Any:
        return self.key(int(self.order[i]))
