"""The client list: every client with their subscription and connection status, searched,
filtered and sorted on prepared Python data so 100,000 rows stay instant.

The model holds all rows (one *slot* each) and shows the *visible* ones: those that match the
filter, in the sort order. A keystroke scans precomputed search texts; a sort orders slots by
precomputed per-column keys (ties by name). Neither calls ``data()``.
"""

from __future__ import annotations

import re
import time
from bisect import insort
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from itertools import repeat
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from ispclient.domain.connection import (
    NOT_CHECKED,
    ClientConnection,
    ConnectionState,
    RouterStatuses,
    troubleshooting,
)
from ispclient.domain.subscriptions import NO_SUBSCRIPTION, SubscriptionStatus
from ispclient.domain.validation import display_phone
from ispclient.store.queries import ClientRow
from ispclient.ui.context import ConnectionBook, ConnKey
from ispclient.ui.models.client_filter import NO_SERVER, SEPARATOR, ClientFilter, fold, refines, search_text
from ispclient.ui.style import SUBSCRIPTION_COLOURS, connection_icon
from ispclient.ui.widgets.status import readable_colour

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    CLIENT_ID = 0
    NAME = 1
    PHONE = 2
    PPPOE_USERNAME = 3
    SERVER = 4
    PACKAGE = 5
    SUBSCRIPTION = 6
    END_DATE = 7
    CONNECTION = 8


HEADERS = {
    Column.CLIENT_ID: "Client ID",
    Column.NAME: "Name",
    Column.PHONE: "Phone",
    Column.PPPOE_USERNAME: "PPPoE username",
    Column.SERVER: "Server",
    Column.PACKAGE: "Package",
    Column.SUBSCRIPTION: "Subscription",
    Column.END_DATE: "End date",
    Column.CONNECTION: "Connection",
}

_USER = Qt.ItemDataRole.UserRole.value
CLIENT_ID_ROLE = _USER + 1  # the client's database id (int)
SORT_ROLE = _USER + 2  # the column's sort key
CONNECTION_ROLE = _USER + 3  # the ClientConnection
ROW_ROLE = _USER + 4  # the ClientRow

_DISPLAY = Qt.ItemDataRole.DisplayRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
CONNECTION_ROLES = [_DISPLAY.value, _DECORATION.value, _TOOLTIP.value, SORT_ROLE, CONNECTION_ROLE]

STATUS_RANK = {
    SubscriptionStatus.EXPIRING.value: 0,
    SubscriptionStatus.EXPIRED.value: 1,
    SubscriptionStatus.ACTIVE.value: 2,
    SubscriptionStatus.SCHEDULED.value: 3,
    SubscriptionStatus.CANCELLED.value: 4,
    NO_SUBSCRIPTION: 5,
}
CONNECTION_RANK = {ConnectionState.ONLINE: 0, ConnectionState.OFFLINE: 1, ConnectionState.UNKNOWN: 2}
# The model keeps each row's connection state as its rank, one byte per row (the statuses
# themselves stay in the ConnectionBook and are read for the rows on screen only).
_STATE_OF_RANK = tuple(sorted(CONNECTION_RANK, key=CONNECTION_RANK.__getitem__))
_DEAD = len(CONNECTION_RANK)  # the rank of a deleted slot's state: counted nowhere
_NO_END = date.max.toordinal() + 1  # rows without an end date sort after every date
_DIGITS = re.compile(r"\d+")
_RECORD = "\x1e"  # joins search texts for copying; names and e-mails can't contain it
# Above this many separate row ranges a change is cheaper (and no less correct) as one reset.
MAX_INCREMENTAL_RUNS = 64
MAX_DATA_CHANGED_RANGES = 200
MANY_CHANGES = 5000  # more changed rows than this: not worth working out which are shown
STATUS_SLICE = 5000  # status changes applied per turn of the event loop (~10 ms)
COPY_CHUNK = 4096  # search texts re-laid out per join/split (see _set_order)
WARM_UP_PAUSE_MS = 150  # between sorting one column ahead of time and the next


_CODE = re.compile(r"([^\W\d_]*)(\d+)")  # letters then digits: the usual Client ID


def _natural(text: str) -> str:
    """'C9' before 'C10': digit runs padded so plain string order is numeric order."""
    text = fold(text)
    m = _CODE.fullmatch(text)
    if m is not None:  # the common case, without a callback per digit run
        digits = m.group(2)
        return m.group(1) + digits.zfill(12)
    return _DIGITS.sub(lambda d: d.group().zfill(12), text) if any(c.isdigit() for c in text) else text


def _shared(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` for columns with few distinct values (servers, packages, dates): one key object
    per value instead of one per row — megabytes at 100,000 rows."""
    memo: dict[Any, Any] = {}

    def key(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            result = memo[value] = fn(value)
            return result

    return key


_server_key = _shared(fold)
_package_key = _shared(fold)
_date_key = _shared(lambda d: d.toordinal() if d else _NO_END)


def _lower(text: str) -> str:
    return text if text.islower() or not text else text.lower()  # no copy when already lower-case


SORT_KEYS: dict[Column, Callable[[ClientRow, ClientConnection], Any]] = {
    Column.CLIENT_ID: lambda r, c: _natural(r.client_code),
    Column.NAME: lambda r, c: fold(r.name),
    Column.PHONE: lambda r, c: r.phone,
    Column.PPPOE_USERNAME: lambda r, c: _lower(r.pppoe_username),
    Column.SERVER: lambda r, c: _server_key(r.server_name),
    Column.PACKAGE: lambda r, c: _package_key(r.package_name),
    Column.SUBSCRIPTION: lambda r, c: STATUS_RANK.get(r.status, 9),
    Column.END_DATE: lambda r, c: _date_key(r.ends_on),
    Column.CONNECTION: lambda r, c: CONNECTION_RANK[c.state],
}
_DEAD_KEY: dict[Column, Any] = {c: 0 if c in (Column.SUBSCRIPTION, Column.END_DATE, Column.CONNECTION) else ""
                                for c in Column}


def format_date(d: date | None) -> str:
    return f"{d:%d %b %Y}" if d else ""


def connection_tooltip(conn: ClientConnection) -> str:
    lines = [conn.label]
    if conn.state is ConnectionState.ONLINE:
        lines += [f"{label}: {value}" for label, value in
                  (("Address", conn.address), ("Uptime", conn.uptime), ("Caller ID", conn.caller_id)) if value]
    else:
        lines.append(troubleshooting(conn))
    if conn.checked_at is not None:
        lines.append(f"Checked at {conn.checked_at.astimezone():%H:%M:%S}")
    return "\n".join(lines)


@dataclass(frozen=True)
class ListCounts:
    """What the status bar says about the list."""

    shown: int
    total: int
    online: int
    offline: int
    unknown: int
    expiring: int


_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend  # runs an iterator to its end, in C


def _set_ranks(ranks: bytearray, slots: Iterable[int], rank: int) -> None:
    """``ranks[slot] = rank`` for every slot, without a Python line per slot."""
    _consume(map(ranks.__setitem__, slots, repeat(rank)))


def _runs(positions: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted positions as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for p in positions:
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


class ClientListModel(QAbstractTableModel):
    """All clients, of which the rows matching :meth:`set_filter` are shown, sorted by :meth:`sort`."""

    counts_changed = Signal()  # the numbers of :meth:`counts` may have changed
    connections_applied = Signal()  # every status change received so far is shown

    def __init__(self, connections: ConnectionBook, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._book = connections
        self._filter = ClientFilter()
        self._sort_column: Column | None = None
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._status_colours: dict[str, QColor] | None = None
        self._pending_keys: deque[ConnKey] = deque()
        self._draining = False
        self._warming = False
        self._last_search = 0.0
        self._clear()
        connections.changed.connect(self.update_connections)

    # -- state ------------------------------------------------------------------------------

    def _clear(self) -> None:
        self._rows: list[ClientRow | None] = []  # by slot; None once deleted
        self._text: list[str] = []  # search text by slot
        self._state = bytearray()  # connection state by slot: its CONNECTION_RANK (_DEAD once deleted)
        self._slot_of: dict[int, int] = {}  # client id → slot
        self._slot_numbers: list[int] = []  # see _slots
        # router → username → slot, built on the first status update; usernames are unique per
        # router among live clients.
        self._by_server: dict[int, dict[str, int]] | None = None
        # Each router's answer as last applied to its (unchanged since) clients: the next answer
        # then only needs the differences. Forgotten when the router's clients change.
        self._applied: dict[int, RouterStatuses] = {}
        self._phones: dict[int, str] = {}  # slot → phone as displayed, formatted on first paint
        self._ascending: dict[Column, list[int]] = {}  # live slots sorted by a column, built on first sort
        self._order: list[int] = []  # live slots in the current sort order
        # Their search texts in that order, as fresh copies laid out one after another in memory:
        # a scan in sort order then reads memory in order (5 ms at 100,000 rows instead of 30).
        self._order_text: list[str] = []
        self._visible: list[int] = []  # slots shown, in order
        self._row_of: dict[int, int] | None = None  # slot → row, built when needed
        # The last search's terms and the positions (in _order) of the rows matching them.
        self._hits: tuple[tuple[str, ...], list[int]] | None = None
        self._expiring: int | None = None  # live rows with an expiring subscription

    def _slots(self) -> list[int]:
        """0 … len(rows) - 1 as one set of int objects every slot list and map shares: above
        256 each int is an object of its own, 2.8 MB per 100,000 (three copies before)."""
        slots = self._slot_numbers
        if len(slots) != len(self._rows):
            slots = self._slot_numbers = list(range(len(self._rows)))
        return slots

    def _rank(self, row: ClientRow) -> int:
        return CONNECTION_RANK[self._book.state(row.server_id, row.pppoe_username)]

    def _ranks(self, rows: list[ClientRow]) -> bytearray:
        if self._book.empty():  # start-up: nothing checked yet
            return bytearray([CONNECTION_RANK[ConnectionState.UNKNOWN]]) * len(rows)
        return bytearray(map(self._rank, rows))

    def _slots_by_server(self) -> dict[int, dict[str, int]]:
        if self._by_server is None:
            by_server: dict[int, dict[str, int]] = {}
            for i, r in zip(self._slots(), self._rows, strict=False):
                if r is not None and r.server_id is not None and r.pppoe_username:
                    names = by_server.get(r.server_id)
                    if names is None:
                        names = by_server[r.server_id] = {}
                    names[r.pppoe_username] = i
            self._by_server = by_server
        return self._by_server

    def _unindex(self, row: ClientRow, slot: int) -> None:
        self._applied.pop(row.server_id, None)  # type: ignore[arg-type]
        if self._by_server is not None and row.server_id is not None:
            names = self._by_server.get(row.server_id)
            if names is not None and names.get(row.pppoe_username) == slot:
                del names[row.pppoe_username]

    def _tally(self, slot: int, sign: int) -> None:
        """Add (+1) or take away (-1) this slot's part of the cached expiring count."""
        row = self._rows[slot]
        if row is not None and self._expiring is not None and row.status == SubscriptionStatus.EXPIRING:
            self._expiring += sign

    def _set_slot(self, slot: int, row: ClientRow) -> None:
        old = self._rows[slot]
        if old is not None:
            self._unindex(old, slot)
            self._tally(slot, -1)
        self._rows[slot] = row
        self._slot_of[row.id] = slot
        self._text[slot] = search_text(row)
        self._state[slot] = self._rank(row)
        self._applied.pop(row.server_id, None)  # type: ignore[arg-type]
        if self._by_server is not None and row.server_id is not None and row.pppoe_username:
            self._by_server.setdefault(row.server_id, {})[row.pppoe_username] = slot
        self._phones.pop(slot, None)
        self._tally(slot, +1)

    def _kill_slot(self, slot: int) -> None:
        row = self._rows[slot]
        if row is None:
            return
        self._unindex(row, slot)
        self._tally(slot, -1)
        del self._slot_of[row.id]
        self._rows[slot] = None
        self._text[slot] = ""
        self._state[slot] = _DEAD
        self._phones.pop(slot, None)

    def _new_slot(self, row: ClientRow) -> int:
        slot = len(self._rows)
        self._rows.append(None)
        self._text.append("")
        self._state.append(_DEAD)
        self._set_slot(slot, row)
        return slot

    # -- loading ----------------------------------------------------------------------------

    def install(self, rows: Sequence[ClientRow]) -> None:
        """Every row afresh, as read in the background (start-up, a new day, settings changed)."""
        rows = sorted(rows, key=lambda r: r.id)
        self.beginResetModel()
        self._clear()
        self._rows = list(rows)
        self._text = [search_text(r) for r in rows]
        self._state = self._ranks(rows)
        self._slot_of = dict(zip([r.id for r in rows], self._slots(), strict=False))
        self._set_order(self._sorted_slots())
        self._visible = self._matching(self._filter)
        self.endResetModel()
        self.counts_changed.emit()
        QTimer.singleShot(0, self, self._slots_by_server)  # ready before the first statuses arrive
        self._warm_up()

    def apply_rows(self, client_ids: Sequence[int], rows: Sequence[ClientRow]) -> None:
        """These clients as read again in the background: changed rows update, the ones not in
        ``rows`` (deleted) go, new ones appear."""
        ids = list(dict.fromkeys(client_ids))
        if not ids:
            return
        fresh = {r.id: r for r in rows}
        changed: list[int] = []
        removed: list[int] = []
        for cid in ids:
            slot = self._slot_of.get(cid)
            row = fresh.get(cid)
            if row is None:
                if slot is not None:
                    self._kill_slot(slot)
                    removed.append(slot)
            elif slot is None:
                changed.append(self._new_slot(row))
            else:
                self._set_slot(slot, row)
                changed.append(slot)
        if len(changed) + len(removed) > MANY_CHANGES // 10:
            self._ascending.clear()  # sorting afresh is cheaper than so many moves
            self._set_order(self._sorted_slots())
            self._warm_up()
        else:
            self._move_in_sorted_lists(removed, changed)
            self._set_order(self._sorted_slots(), fresh_copies=False)
        self._transition(self._matching(self._filter))
        self._emit_rows_changed(changed, 0, len(Column) - 1, [])
        self.counts_changed.emit()

    # -- filtering --------------------------------------------------------------------------

    @property
    def filter(self) -> ClientFilter:
        return self._filter

    def set_filter(self, flt: ClientFilter) -> None:
        """Show the rows matching ``flt``. A reset: the window keeps the selection by client id."""
        if flt == self._filter:
            return
        self._last_search = time.monotonic()
        self._filter = flt
        visible = self._matching(flt)
        if visible != self._visible:
            self.beginResetModel()
            self._visible = visible
            self._row_of = None
            self.endResetModel()
        self.counts_changed.emit()

    def _set_order(self, order: list[int], fresh_copies: bool = True) -> None:
        """``order`` becomes the sort order; its search texts are laid out afresh in memory,
        unless only a few rows moved (their old copies keep their place)."""
        self._order = order
        self._hits = None
        texts = [self._text[slot] for slot in order]
        if not fresh_copies:
            self._order_text = texts
            return
        copies: list[str] = []
        for i in range(0, len(texts), COPY_CHUNK):  # a join and split per chunk allocate the copies
            part = texts[i:i + COPY_CHUNK]  # in order, without a 13 MB joined string at once
            chunk = _RECORD.join(part).split(_RECORD)
            copies += chunk if len(chunk) == len(part) else [(t + _RECORD)[:-1] for t in part]
        del texts
        self._order_text = copies
        text = self._text
        for slot, copy in zip(order, copies, strict=True):  # keep one copy of each text, not two
            text[slot] = copy

    def _search(self, terms: tuple[str, ...]) -> list[int]:
        """Positions in the sort order of the rows containing every term."""
        text = self._order_text
        base: list[int] | None = None
        if self._hits is not None and refines(terms, self._hits[0]):
            base = self._hits[1]  # one more letter typed: look only at the last matches
        for term in sorted(terms, key=len, reverse=True):  # the longest term narrows most
            if base is None:
                base = [i for i, t in enumerate(text) if term in t]
            else:
                base = [i for i in base if term in text[i]]
        assert base is not None
        self._hits = (terms, base)
        return base

    def _matching(self, flt: ClientFilter) -> list[int]:
        """The slots ``flt`` shows, in sort order."""
        order = self._order
        terms = flt.terms
        slots = [order[i] for i in self._search(terms)] if terms else list(order)
        rows = self._rows
        if flt.status is not None:
            status = flt.status
            slots = [s for s in slots if rows[s].status == status]  # type: ignore[union-attr]
        if flt.server_id is not None:
            server = None if flt.server_id == NO_SERVER else flt.server_id
            slots = [s for s in slots if rows[s].server_id == server]  # type: ignore[union-attr]
        if flt.connection is not None:
            ranks, rank = self._state, CONNECTION_RANK[flt.connection]
            slots = [s for s in slots if ranks[s] == rank]
        return slots

    def _transition(self, new: list[int]) -> None:
        """Show ``new`` instead of the visible rows, with the narrowest signals: removed and
        inserted runs, and a layout change when kept rows move. Many scattered runs → a reset."""
        old = self._visible
        if new == old:
            return
        new_set = set(new)
        old_set = set(old)
        remove_runs = _runs(r for r, s in enumerate(old) if s not in new_set)
        add_runs = _runs(i for i, s in enumerate(new) if s not in old_set)
        if len(remove_runs) + len(add_runs) > MAX_INCREMENTAL_RUNS:
            self.beginResetModel()
            self._visible = new
            self._row_of = None
            self.endResetModel()
            return
        self._visible = list(old)  # never edit a list another attribute may share
        for first, last in reversed(remove_runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._visible[first:last + 1]
            self._row_of = None
            self.endRemoveRows()
        kept = [s for s in new if s in old_set]
        if kept != self._visible:
            self._relayout(kept)
        for first, last in add_runs:
            self.beginInsertRows(QModelIndex(), first, last)
            self._visible[first:first] = new[first:last + 1]
            self._row_of = None
            self.endInsertRows()

    def _relayout(self, visible: list[int]) -> None:
        """Reorder the same rows, keeping selections and the current row on their clients."""
        self.layoutAboutToBeChanged.emit()
        old = self._visible
        self._visible = visible
        self._row_of = None
        before = self.persistentIndexList()
        if before:
            if len(before) <= 8:  # the usual current row and selection: no need to map every row
                after = [self.index(visible.index(old[i.row()]), i.column()) for i in before]
            else:
                row_of = self._rows_by_slot()
                after = [self.index(row_of[old[i.row()]], i.column()) for i in before]
            self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _rows_by_slot(self) -> dict[int, int]:
        if self._row_of is None:
            self._row_of = {s: r for r, s in enumerate(self._visible)}
        return self._row_of

    # -- sorting ----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order by ``column``: ascending is by its key, ties by name, then by load order;
        descending is exactly the reverse."""
        if not 0 <= column < len(Column):
            return
        self._sort_column = Column(column)
        self._sort_order = order
        self._set_order(self._sorted_slots())
        if len(self._visible) == len(self._order):  # nothing filtered out
            self._relayout(list(self._order))
        else:
            shown = set(self._visible)
            self._relayout([s for s in self._order if s in shown])

    def sort_keys(self, column: Column) -> Sequence[Any]:
        """The sort key of every slot for ``column`` (tests compare against Python's sorted()).

        Built for a sort and not kept: only the sorted order is (a column's keys are up to
        8 MB at 100,000 rows; a changed row's key is worked out on its own, see _sort_key)."""
        if column is Column.CONNECTION:
            return self._state  # the state's rank is the key
        if column is Column.NAME:  # the search text starts with the folded name
            return [t.partition(SEPARATOR)[0] for t in self._text]
        key = SORT_KEYS[column]
        dead = _DEAD_KEY[column]
        return [key(r, NOT_CHECKED) if r is not None else dead for r in self._rows]

    def _sort_key(self, column: Column, slot: int) -> Any:
        """``sort_keys(column)[slot]`` for one slot."""
        if column is Column.CONNECTION:
            return self._state[slot]
        if column is Column.NAME:
            return self._text[slot].partition(SEPARATOR)[0]
        row = self._rows[slot]
        return SORT_KEYS[column](row, NOT_CHECKED) if row is not None else _DEAD_KEY[column]

    def _sorted_ascending(self, column: Column) -> list[int]:
        cached = self._ascending.get(column)
        if cached is None:
            if column is Column.NAME:
                rows = self._rows
                live = [s for s in self._slots() if rows[s] is not None]
                cached = sorted(live, key=self.sort_keys(Column.NAME).__getitem__)
            elif column is Column.CONNECTION:  # three keys: a pass per key beats a sort (~10 ms)
                by_name, ranks = self._sorted_ascending(Column.NAME), self._state
                cached = []
                for rank in sorted(CONNECTION_RANK.values()):
                    cached += [s for s in by_name if ranks[s] == rank]
            else:
                cached = sorted(self._sorted_ascending(Column.NAME), key=self.sort_keys(column).__getitem__)
            self._ascending[column] = cached
        return cached

    def _move_in_sorted_lists(self, removed: list[int], changed: list[int]) -> None:
        """Keep the cached column orders sorted after a few rows changed: take the rows out and
        put them back where their new keys go (a full sort at 100,000 rows costs ~100 ms)."""
        if not self._ascending:
            return
        key = self._sort_key
        for column, slots in self._ascending.items():
            for slot in (*removed, *changed):
                try:
                    slots.remove(slot)
                except ValueError:
                    pass  # a new client
            if column is Column.NAME:
                for slot in changed:
                    insort(slots, slot, key=lambda s: (key(Column.NAME, s), s))
            else:
                for slot in changed:
                    insort(slots, slot, key=lambda s, c=column: (key(c, s), key(Column.NAME, s), s))  # type: ignore[misc]

    def _warm_up(self) -> None:
        """Sort every column once while the user isn't looking, a column per pause, so the first
        click on a header only has to show the order (at 100,000 rows: ~50 ms instead of ~150)."""
        if not self._warming:
            self._warming = True
            QTimer.singleShot(WARM_UP_PAUSE_MS, self, self._warm_next)

    def _warm_next(self) -> None:
        cold = [c for c in Column if c not in self._ascending]
        if not cold or not self._rows:
            self._warming = False
            return
        if time.monotonic() - self._last_search < WARM_UP_PAUSE_MS / 1000 * 3:
            QTimer.singleShot(WARM_UP_PAUSE_MS, self, self._warm_next)  # someone is typing: later
            return
        self._sorted_ascending(cold[0])
        QTimer.singleShot(WARM_UP_PAUSE_MS, self, self._warm_next)

    def _sorted_slots(self) -> list[int]:
        """Live slots in the current order."""
        if self._sort_column is None:
            rows = self._rows
            return [s for s in self._slots() if rows[s] is not None]
        ascending = self._sorted_ascending(self._sort_column)
        return ascending[::-1] if self._sort_order == Qt.SortOrder.DescendingOrder else list(ascending)

    @property
    def sort_column(self) -> Column | None:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    # -- connection statuses --------------------------------------------------------------

    def update_connections(self, keys: Iterable[ConnKey]) -> None:
        """New statuses from the book: only the rows that changed are repainted. Rows keep their
        place (no re-sort under the user's eyes); a connection filter is applied again.

        A router's whole answer (a RouterStatuses) costs a pass over that router's clients and
        one repaint of the Connection column; other changes (tens of thousands at most) are
        applied in slices between events, so the window never stalls on them."""
        if isinstance(keys, RouterStatuses):
            self._apply_router(keys)
            if not self._pending_keys:
                self.connections_applied.emit()
            return
        self._pending_keys.extend(keys)
        if len(self._pending_keys) <= STATUS_SLICE:
            self._apply_pending()
        elif not self._draining:
            self._draining = True
            QTimer.singleShot(0, self, self._apply_pending)

    @property
    def updating_connections(self) -> bool:
        """Whether status changes are still being applied (they arrive in slices)."""
        return bool(self._pending_keys)

    def _apply_pending(self) -> None:
        pending = self._pending_keys
        keys = [pending.popleft() for _ in range(min(STATUS_SLICE, len(pending)))]
        if pending:
            QTimer.singleShot(0, self, self._apply_pending)
        else:
            self._draining = False
        self._apply_connections(keys)
        if not pending:
            self.connections_applied.emit()

    def _apply_router(self, statuses: RouterStatuses) -> None:
        """One router's answer: its clients' states afresh, one repaint of the column."""
        server_id = statuses.server_id
        names = self._slots_by_server().get(server_id)
        if not names:
            return
        before = self._applied.get(server_id)
        self._applied[server_id] = statuses
        if (before is not None and len(before) == len(statuses)  # the same clients asked, as a rule
                and before.others_state() is statuses.others_state() is not None):
            moved = self._apply_router_changes(names, before, statuses)
        else:
            moved = self._apply_router_whole(names, statuses)
        self._connections_moved(moved)
        if self._visible:  # checked-at changed for all of them: the view repaints what it shows
            self.dataChanged.emit(self.index(0, Column.CONNECTION),
                                  self.index(len(self._visible) - 1, Column.CONNECTION), CONNECTION_ROLES)
        self.counts_changed.emit()

    def _apply_router_whole(self, names: dict[str, int], statuses: RouterStatuses) -> bool:
        """Every client of the router (~10 ms for 20,000: set operations and ``map``, no
        Python line per client); whether any state changed."""
        ranks = self._state
        before = bytes(ranks)
        online, others = statuses.online, statuses.others
        _set_ranks(ranks, map(names.__getitem__, names.keys() & online.keys()),
                   CONNECTION_RANK[ConnectionState.ONLINE])
        others_state = statuses.others_state()
        if others_state is not None:  # the usual: all Offline, or all Unknown (the router failed)
            _set_ranks(ranks, map(names.__getitem__, names.keys() & others.keys()), CONNECTION_RANK[others_state])
        else:
            for name in names.keys() & others.keys():
                ranks[names[name]] = CONNECTION_RANK[others[name].state]
        if len(names) > len(statuses):  # clients not asked (added since): what the book says
            book_state, server_id = self._book.state, statuses.server_id
            for name in names.keys() - online.keys() - others.keys():
                ranks[names[name]] = CONNECTION_RANK[book_state(server_id, name)]
        return ranks != before

    def _apply_router_changes(self, names: dict[str, int], before: RouterStatuses, statuses: RouterStatuses) -> bool:
        """Only the clients who went on- or offline since the router's previous answer (applied
        to the same clients): ~2 ms instead of ~10. Whether any state changed."""
        ranks, book_state = self._state, self._book.state
        online, others = statuses.online, statuses.others
        online_rank = CONNECTION_RANK[ConnectionState.ONLINE]
        others_state = statuses.others_state()
        assert others_state is not None
        others_rank = CONNECTION_RANK[others_state]
        moved = False
        for name in online.keys() ^ before.online.keys():
            slot = names.get(name)
            if slot is not None:
                ranks[slot] = online_rank if name in online else others_rank if name in others else \
                    CONNECTION_RANK[book_state(statuses.server_id, name)]
                moved = True
        return moved

    def _apply_connections(self, keys: list[ConnKey]) -> None:
        by_server = self._slots_by_server()
        ranks, book_state = self._state, self._book.state
        changed: list[int] = []
        moved = False
        for server_id, username in keys:
            names = by_server.get(server_id)
            slot = names.get(username) if names is not None else None
            if slot is None:
                continue
            changed.append(slot)
            self._applied.pop(server_id, None)  # newer than the router's answer: start afresh next time
            rank = CONNECTION_RANK[book_state(server_id, username)]
            if ranks[slot] != rank:
                ranks[slot] = rank
                moved = True
        if not changed:
            return
        self._connections_moved(moved)
        self._emit_rows_changed(changed, Column.CONNECTION, Column.CONNECTION, CONNECTION_ROLES)
        self.counts_changed.emit()

    def _connections_moved(self, moved: bool) -> None:
        """Some rows' connection state changed: the connection order and filter follow."""
        if not moved:
            return
        self._ascending.pop(Column.CONNECTION, None)  # the next click on the header sorts afresh (~10 ms)
        if self._filter.connection is not None:
            self._transition(self._matching(self._filter))

    def _emit_rows_changed(self, slots: list[int], first_col: int, last_col: int, roles: list[int]) -> None:
        """dataChanged for the rows showing ``slots``, neighbours coalesced into one range; when
        most rows changed (a full status refresh), one range over them all."""
        if not self._visible:
            return
        if len(slots) > MANY_CHANGES:
            ranges = [(0, len(self._visible) - 1)]
        else:
            row_of = self._rows_by_slot()
            rows = sorted(row_of[s] for s in slots if s in row_of)
            if not rows:
                return
            ranges = _runs(rows)
            if len(ranges) > MAX_DATA_CHANGED_RANGES:
                ranges = [(rows[0], rows[-1])]
        for first, last in ranges:
            self.dataChanged.emit(self.index(first, first_col), self.index(last, last_col), roles)

    # -- reading ----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < len(Column):
            return HEADERS[Column(section)]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self._visible) and 0 <= c < len(Column)):
            return None
        slot = self._visible[r]
        row = self._rows[slot]
        assert row is not None
        if role == _DISPLAY:
            return self._display(slot, row, Column(c))
        if role == CLIENT_ID_ROLE:
            return row.id
        if role == SORT_ROLE:
            return self._sort_key(Column(c), slot)
        if role == ROW_ROLE:
            return row
        if role == CONNECTION_ROLE:
            return self._book.get(row.server_id, row.pppoe_username)
        if c == Column.CONNECTION:
            if role == _DECORATION:
                return connection_icon(_STATE_OF_RANK[self._state[slot]])
            if role == _TOOLTIP:
                return connection_tooltip(self._book.get(row.server_id, row.pppoe_username))
        elif c == Column.SUBSCRIPTION and role == _FOREGROUND:
            return self._status_colour(row.status)
        elif c == Column.NAME and role == _TOOLTIP:
            return "\n".join(x for x in (row.name, row.email) if x)
        return None

    def _display(self, slot: int, row: ClientRow, col: Column) -> str:
        if col is Column.CLIENT_ID:
            return row.client_code
        if col is Column.NAME:
            return row.name
        if col is Column.PHONE:
            phone = self._phones.get(slot)
            if phone is None:
                phone = self._phones[slot] = display_phone(row.phone)
            return phone
        if col is Column.PPPOE_USERNAME:
            return row.pppoe_username
        if col is Column.SERVER:
            return row.server_name
        if col is Column.PACKAGE:
            return row.package_name
        if col is Column.SUBSCRIPTION:
            return row.status
        if col is Column.END_DATE:
            return format_date(row.ends_on)
        return _STATE_OF_RANK[self._state[slot]].label

    def _status_colour(self, status: str) -> QColor | None:
        """Expiring, Expired and Scheduled stand out, in a shade readable on this palette."""
        if self._status_colours is None:
            background = QGuiApplication.palette().color(QPalette.ColorRole.Base)
            self._status_colours = {s.value: readable_colour(colour, background)
                                    for s, colour in SUBSCRIPTION_COLOURS.items()
                                    if s is not SubscriptionStatus.ACTIVE}
        return self._status_colours.get(status)

    def palette_changed(self) -> None:
        """Light/dark mode switched: recolour the status texts."""
        self._status_colours = None
        if self._visible:
            self.dataChanged.emit(self.index(0, Column.SUBSCRIPTION),
                                  self.index(len(self._visible) - 1, Column.SUBSCRIPTION), [_FOREGROUND.value])

    # -- for the window ---------------------------------------------------------------------

    def client_id(self, row: int) -> int:
        r = self._rows[self._visible[row]]
        assert r is not None
        return r.id

    def row_of_client(self, client_id: int) -> int | None:
        """The row showing this client, or None when it is filtered out or unknown."""
        slot = self._slot_of.get(client_id)
        if slot is None:
            return None
        if self._row_of is not None:
            return self._row_of.get(slot)
        try:  # one C-speed scan beats building the whole slot → row map for a single client
            return self._visible.index(slot)
        except ValueError:
            return None

    def client_row(self, client_id: int) -> ClientRow | None:
        slot = self._slot_of.get(client_id)
        return None if slot is None else self._rows[slot]

    def visible_client_ids(self) -> list[int]:
        rows = self._rows
        return [rows[s].id for s in self._visible]  # type: ignore[union-attr]

    def counts(self) -> ListCounts:
        if self._expiring is None:
            self._expiring = sum(1 for r in self._rows if r is not None and r.status == SubscriptionStatus.EXPIRING)
        ranks = self._state  # counting bytes: microseconds at 100,000 rows
        return ListCounts(len(self._visible), len(self._slot_of), ranks.count(CONNECTION_RANK[ConnectionState.ONLINE]),
                          ranks.count(CONNECTION_RANK[ConnectionState.OFFLINE]),
                          ranks.count(CONNECTION_RANK[ConnectionState.UNKNOWN]), self._expiring)
