"""The first page of the list, shown while the whole list is read: the hundred-odd rows of one
quick query, with the plain definitions (``row_matches``, ``sorted_rows``) applied to them.

Pure Python — no numpy: the window paints these rows before numpy (and the index) is even
imported; the whole list's :class:`~ispclient.listing.index.ClientIndex` replaces this moments
later. It answers what the table model asks of an index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from ispclient.domain.connection import ConnectionState
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.listing.counts import ListCounts
from ispclient.listing.keys import SORT_KEYS, Column, sorted_rows
from ispclient.listing.search import ClientFilter, encode, row_matches
from ispclient.store.queries import ClientRow

StateOf = Callable[[int | None, str], ConnectionState]  # (server id, username) → state


class PageIndex:
    """A few rows, by position (their slots), filtered and sorted the obvious way."""

    def __init__(self, rows: Sequence[ClientRow], state_of: StateOf) -> None:
        self.rows = list(rows)
        self._state_of = state_of
        self._slot_of = {r.id: i for i, r in enumerate(self.rows)}
        self.servers = {r.server_id: r.server_name for r in self.rows if r.server_id is not None}
        self.filter = ClientFilter()
        self.sort_column: Column | None = None
        self.descending = False
        self.visible: list[int] = list(range(len(self.rows)))

    @property
    def capacity(self) -> int:
        return len(self.rows)

    def state(self, slot: int) -> ConnectionState:
        r = self.rows[slot]
        return self._state_of(r.server_id, r.pppoe_username)

    def set_filter(self, flt: ClientFilter) -> None:
        self.filter = flt
        self._show()

    def sort(self, column: Column | None, descending: bool = False) -> None:
        self.sort_column, self.descending = column, descending
        self._show()

    def _show(self) -> None:
        rows = self.rows
        if self.sort_column is None:
            ordered = sorted(rows, key=lambda r: r.id)
        else:
            ordered = sorted_rows(rows, self.sort_column, lambda r: self.state(self._slot_of[r.id]), self.descending)
        self.visible = [self._slot_of[r.id] for r in ordered
                        if row_matches(r, self.state(self._slot_of[r.id]), self.filter)]

    def states_changed(self) -> None:
        self._show()

    # -- what the table model reads -------------------------------------------------------------

    def row(self, slot: int) -> ClientRow:
        return self.rows[slot]

    def client_id(self, slot: int) -> int:
        return self.rows[slot].id

    def live_slot(self, client_id: int) -> int | None:
        return self._slot_of.get(client_id)

    def row_of_slot(self, slot: int) -> int | None:
        return self.visible.index(slot) if slot in self.visible else None

    def rows_of_slots(self, slots: Iterable[int]) -> list[int]:
        row_of = {s: r for r, s in enumerate(self.visible)}
        return sorted(row_of[s] for s in slots if s in row_of)

    def visible_client_ids(self) -> list[int]:
        return [self.rows[s].id for s in self.visible]

    def code(self, slot: int) -> str:
        return self.rows[slot].client_code

    def name(self, slot: int) -> str:
        return self.rows[slot].name

    def email(self, slot: int) -> str:
        return self.rows[slot].email

    def phone(self, slot: int) -> str:
        return self.rows[slot].phone

    def username(self, slot: int) -> str:
        return self.rows[slot].pppoe_username

    def server_id(self, slot: int) -> int | None:
        return self.rows[slot].server_id

    def server_name(self, slot: int) -> str:
        return self.rows[slot].server_name

    def package_name(self, slot: int) -> str:
        return self.rows[slot].package_name

    def status(self, slot: int) -> str:
        return self.rows[slot].status

    def ends_on(self, slot: int) -> date | None:
        return self.rows[slot].ends_on

    def balance(self, slot: int) -> int:
        return self.rows[slot].balance_minor

    def sort_key(self, column: Column, slot: int) -> Any:
        key = SORT_KEYS[column](self.rows[slot], self.state(slot))
        return encode(key) if isinstance(key, str) else key

    def counts(self) -> ListCounts:
        states = [self.state(i) for i in range(len(self.rows))]
        return ListCounts(len(self.visible), len(self.rows), states.count(ConnectionState.ONLINE),
                          states.count(ConnectionState.OFFLINE), states.count(ConnectionState.UNKNOWN),
                          sum(1 for r in self.rows if r.status == SubscriptionStatus.EXPIRING),
                          sum(1 for r in self.rows if r.balance_minor > 0))
