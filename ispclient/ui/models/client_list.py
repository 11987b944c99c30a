"""The client list as a Qt table model: a thin adapter over a Qt-free
:class:`~ispclient.listing.index.ClientIndex`, which decides which clients are shown and in what
order (tested on its own, against plain Python definitions).

This module turns the index's visible slots into rows and cells for the view, tells the view what
changed with the narrowest signals, and feeds connection statuses from the book into the index.
Only the ~40 rows on screen are ever turned into strings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from ispclient.domain.connection import ClientConnection, ConnectionState, RouterStatuses, troubleshooting
from ispclient.domain.money import format_money
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.domain.validation import display_phone
from ispclient.listing.counts import ListCounts
from ispclient.listing.keys import CONNECTION_RANK, HEADERS, SORT_KEYS, Column
from ispclient.listing.page import PageIndex
from ispclient.listing.search import ClientFilter
from ispclient.store.queries import ClientRow
from ispclient.ui.context import ConnectionBook, ConnKey
from ispclient.ui.style import SUBSCRIPTION_COLOURS, connection_icon
from ispclient.ui.widgets.status import readable_colour

if TYPE_CHECKING:  # numpy and the index are imported when a whole list arrives, not before the first page
    from ispclient.listing.columns import Slots
    from ispclient.listing.connections import Snapshot
    from ispclient.listing.index import ClientIndex

__all__ = ["CLIENT_ID_ROLE", "CONNECTION_RANK", "CONNECTION_ROLE", "CONNECTION_ROLES", "HEADERS", "ROW_ROLE",
           "SORT_KEYS", "SORT_ROLE", "ClientListModel", "Column", "ListCounts", "connection_tooltip", "format_date"]

AnyIndex = QModelIndex | QPersistentModelIndex

_USER = Qt.ItemDataRole.UserRole.value
CLIENT_ID_ROLE = _USER + 1  # the client's database id (int)
SORT_ROLE = _USER + 2  # the column's sort key
CONNECTION_ROLE = _USER + 3  # the ClientConnection
ROW_ROLE = _USER + 4  # the ClientRow

# Roles and columns as plain ints: data() compares them a thousand times per paint.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_NOTHING = frozenset(r.value for r in (  # asked of every cell, never answered
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole, Qt.ItemDataRole.AccessibleTextRole))
CONNECTION_ROLES = [_DISPLAY, _DECORATION, _TOOLTIP, SORT_ROLE, CONNECTION_ROLE]
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_COLUMNS = len(Column)
_NAME, _SUBSCRIPTION, _CONNECTION, _BALANCE_COLUMN = (int(c) for c in (
    Column.NAME, Column.SUBSCRIPTION, Column.CONNECTION, Column.BALANCE))

# Above this many separate row ranges a change is cheaper (and no less correct) as one reset.
MAX_INCREMENTAL_RUNS = 64
MAX_DATA_CHANGED_RANGES = 200
STATUS_SLICE = 5000  # single status changes applied per turn of the event loop
ROW_CACHE = 512  # rows whose cells are kept as strings (a screenful is ~40)


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


def _same(a: Any, b: Any) -> bool:
    """Whether two lists of slots (arrays of the index, or the first page's lists) are equal."""
    if len(a) != len(b):
        return False
    if isinstance(a, list) or isinstance(b, list):
        return list(a) == list(b)
    import numpy as np

    return bool(np.array_equal(a, b))


@dataclass(frozen=True)
class CellTexts:
    """Phones and balances as the list writes them, made off the GUI thread."""

    currency: tuple[str, str | None]
    phones: dict[str, str]
    money: dict[int, str]


def cell_texts(rows: Sequence[ClientRow], currency: tuple[str, str | None]) -> CellTexts:
    """The phones and balances of ``rows`` as shown. Made in the background with the first page:
    the first paint then neither formats them nor loads Babel's locale data and the phone
    metadata (~50 ms on the GUI thread, the longest freeze of the start)."""
    code, separator = currency
    return CellTexts(currency, {r.phone: display_phone(r.phone) for r in rows},
                     {r.balance_minor: format_money(r.balance_minor, code, decimal_separator=separator)
                      for r in rows if r.balance_minor})


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
        self._index: ClientIndex | PageIndex = PageIndex([], connections.state)
        self._complete = False  # the index holds every client (not only the first page)
        self._sort_column: Column | None = None
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._status_colours: dict[str, QColor] | None = None
        self._owing_colour: QColor | None = None
        self._currency = "USD"
        self._decimal_separator: str | None = None
        self._cells: dict[int, tuple[str, ...]] = {}  # slot → its cells as shown
        self._money: dict[int, str] = {}
        self._phones: dict[str, str] = {}
        self._pending_keys: deque[ConnKey] = deque()
        self._draining = False
        self._applied: dict[int, RouterStatuses] = {}  # each router's answer as last applied
        connections.changed.connect(self.update_connections)
        connections.add_preparer(self.prepare_router)

    # -- loading ----------------------------------------------------------------------------

    @property
    def list_index(self) -> ClientIndex | PageIndex:
        """The index shown (read only: change it through this model)."""
        return self._index

    @property
    def complete(self) -> bool:
        """Whether every client is in (not only the first page read while the list loads)."""
        return self._complete

    def install(self, rows: Sequence[ClientRow]) -> None:
        """Every row afresh (tests, small lists): built here, in the calling thread."""
        from ispclient.listing.build import from_rows

        self.install_index(from_rows(rows))

    def show_page(self, rows: Sequence[ClientRow], texts: CellTexts | None = None) -> None:
        """The first page of the list, shown while the whole list is read (ignored once it is in);
        ``texts``: its phones and balances as shown, made in the background (:func:`cell_texts`)."""
        if self._complete:
            return
        if texts is not None and texts.currency == (self._currency, self._decimal_separator):
            self._phones.update(texts.phones)
            self._money.update(texts.money)
        self._swap(PageIndex(rows, self._book.state), complete=False)

    @property
    def currency(self) -> tuple[str, str | None]:
        """(currency, decimal separator) the Balance column writes money with."""
        return self._currency, self._decimal_separator

    def connection_snapshot(self) -> Snapshot:
        """What the book knows now, for a list read to start from (:meth:`install_index`)."""
        book = self._book
        return {sid: (book.router(sid), dict(book.singles(sid))) for sid in self._index.servers}

    def install_index(self, index: ClientIndex, seen: Snapshot | None = None) -> None:
        """A whole list read and built in the background (with the statuses of ``seen`` already
        applied): shown in the current filter and order, with what the book learnt since."""
        from ispclient.listing import connections as listing_connections

        book = self._book
        seen = seen or {}
        self._applied = {}
        for server_id in set(index.servers) | set(self._index.servers):
            router, _ = seen.get(server_id, (None, {}))
            current = book.router(server_id)
            if current is not None:
                if current is not router:
                    listing_connections.apply_router(index, current, router, book.state)
                self._applied[server_id] = current
            singles = book.singles(server_id)
            if singles:
                listing_connections.apply_keys(index, [(server_id, u) for u in singles], book.state)
        self._swap(index, complete=True)

    def _swap(self, index: ClientIndex | PageIndex, complete: bool) -> None:
        index.filter = self._index.filter
        index.sort_column = self._sort_column
        index.descending = self._sort_order == Qt.SortOrder.DescendingOrder
        index.set_filter(index.filter)  # works out the visible rows (and sorts) before the reset
        self.beginResetModel()
        self._index = index
        self._complete = complete
        self._cells.clear()
        self.endResetModel()
        self.counts_changed.emit()

    def set_currency(self, currency: str, decimal_separator: str | None = None) -> None:
        """How the Balance column writes money (the installation's settings)."""
        if (currency, decimal_separator) != (self._currency, self._decimal_separator):
            self._currency, self._decimal_separator = currency, decimal_separator
            self._money.clear()
            self._cells.clear()
            if self.rowCount():
                self.dataChanged.emit(self.index(0, Column.BALANCE), self.index(self.rowCount() - 1, Column.BALANCE),
                                      [_DISPLAY])

    def apply_rows(self, client_ids: Sequence[int], rows: Sequence[ClientRow]) -> None:
        """These clients as read again in the background: changed rows update, the ones not in
        ``rows`` (deleted) go, new ones appear."""
        index = self._index
        if not client_ids or isinstance(index, PageIndex):
            return  # the first page: the whole list, read meanwhile, has them (the window re-reads later changes)
        old = index.visible
        changed, removed = index.apply(client_ids, rows)
        if not changed and not removed:
            return
        for slot in (*changed, *removed):
            self._cells.pop(slot, None)
        self._transition(old, index.visible)
        self._emit_rows_changed(changed, 0, len(Column) - 1, [])
        self.counts_changed.emit()

    # -- filtering --------------------------------------------------------------------------

    @property
    def filter(self) -> ClientFilter:
        return self._index.filter

    def set_filter(self, flt: ClientFilter) -> None:
        """Show the rows matching ``flt``. A reset: the window keeps the selection by client id."""
        index = self._index
        if flt == index.filter:
            return
        old = index.visible
        index.set_filter(flt)
        if not _same(old, index.visible):
            self.beginResetModel()
            self.endResetModel()
        self.counts_changed.emit()

    def _transition(self, old: Slots, new: Slots) -> None:
        """The view showed ``old`` and must show ``new`` (the index holds it already), with the
        narrowest signals: removed runs, a layout change when kept rows moved (selections follow
        their clients), inserted runs. Many scattered runs: one reset."""
        import numpy as np

        if _same(old, new):
            return
        size = self._index.capacity
        in_old = np.zeros(size, dtype=np.bool_)
        in_old[old] = True
        in_new = np.zeros(size, dtype=np.bool_)
        in_new[new] = True
        remove_runs = _runs(np.flatnonzero(~in_new[old]).tolist())
        add_runs = _runs(np.flatnonzero(~in_old[new]).tolist())
        if len(remove_runs) + len(add_runs) > MAX_INCREMENTAL_RUNS:
            self.beginResetModel()
            self._cells.clear()
            self.endResetModel()
            return
        index = self._index
        shown = old
        index.visible = old  # Qt asks rowCount() between the signals: each step shows its rows
        for first, last in reversed(remove_runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            shown = np.concatenate([shown[:first], shown[last + 1:]])
            index.visible = shown
            self.endRemoveRows()
        kept = new[in_old[new]]
        if not np.array_equal(shown, kept):
            self._relayout(shown, kept)
            shown = kept
        for first, last in add_runs:
            self.beginInsertRows(QModelIndex(), first, last)
            shown = np.concatenate([shown[:first], new[first:last + 1], shown[first:]])
            index.visible = shown
            self.endInsertRows()
        index.visible = new

    def _relayout(self, old: Any, new: Any) -> None:
        """The same rows in a new order: selections and the current row stay on their clients."""
        self.layoutAboutToBeChanged.emit()
        index = self._index
        index.visible = new
        before = self.persistentIndexList()
        if before:
            row_of: Any
            if isinstance(index, PageIndex):
                place = {s: r for r, s in enumerate(new)}
                row_of = [place.get(s, -1) for s in range(index.capacity)]
            else:
                import numpy as np

                row_of = np.full(index.capacity, -1, dtype=np.int64)
                row_of[new] = np.arange(len(new))
            after = []
            for i in before:
                r = int(row_of[old[i.row()]]) if 0 <= i.row() < len(old) else -1
                after.append(self.index(r, i.column()) if r >= 0 else QModelIndex())
            self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    # -- sorting ----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order by ``column``: ascending is by its key, ties by name, then by client id;
        descending is exactly the reverse."""
        if not 0 <= column < len(Column):
            return
        self._sort_column = Column(column)
        self._sort_order = order
        index = self._index
        old = index.visible
        index.sort(self._sort_column, order == Qt.SortOrder.DescendingOrder)
        new = index.visible
        if not _same(old, new):
            index.visible = old
            self._relayout(old, new)

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

        A router's whole answer (a RouterStatuses) is applied as whole arrays and repaints the
        Connection column once; other changes are applied in slices between events."""
        if isinstance(self._index, PageIndex):  # the first page reads the book as it paints
            self._cells.clear()
            if self._index.filter.connection is not None:
                self.beginResetModel()
                self._index.states_changed()
                self.endResetModel()
            elif self.rowCount():
                self.dataChanged.emit(self.index(0, Column.CONNECTION),
                                      self.index(self.rowCount() - 1, Column.CONNECTION), CONNECTION_ROLES)
            self.counts_changed.emit()
            return
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
        self._apply_keys(keys)
        if not pending:
            self.connections_applied.emit()

    def prepare_router(self, statuses: RouterStatuses) -> None:
        """A router's answer looked up in the list's index in the status checker's thread, before
        it arrives here (at a million clients, 10-40 ms per router the GUI thread no longer
        spends). Only reads the index; the lookups are used if they still fit it when applied
        (the same rows, compared with the same answer before it)."""
        from ispclient.listing import connections as listing_connections

        index = self._index  # whichever is shown now: the GUI thread may swap it meanwhile
        if not isinstance(index, PageIndex):
            before = self._applied.get(statuses.server_id)  # what it will be compared with, as a rule
            resolved = listing_connections.resolve(index, statuses, before)
            if resolved is not None:  # beside those of other lists reading the same book
                statuses.prepared = (*statuses.prepared, resolved)

    def _apply_router(self, statuses: RouterStatuses) -> None:
        from ispclient.listing import connections as listing_connections

        index = self._index
        assert not isinstance(index, PageIndex)
        before = self._applied.get(statuses.server_id)
        self._applied[statuses.server_id] = statuses
        mine = [r for r in statuses.prepared if isinstance(r, listing_connections.Resolved) and r.index() is index]
        if mine:  # its slot arrays not kept in the book
            statuses.prepared = tuple(r for r in statuses.prepared if r not in mine)
        moved = listing_connections.apply_router(index, statuses, before, self._book.state, mine[0] if mine else None)
        if moved:
            self._cells.clear()
        self._states_moved(moved)
        if self.rowCount():  # checked-at changed for all of them: the view repaints what it shows
            self.dataChanged.emit(self.index(0, Column.CONNECTION),
                                  self.index(self.rowCount() - 1, Column.CONNECTION), CONNECTION_ROLES)
        self.counts_changed.emit()

    def _apply_keys(self, keys: list[ConnKey]) -> None:
        from ispclient.listing import connections as listing_connections

        if isinstance(self._index, PageIndex):
            return
        touched, moved = listing_connections.apply_keys(self._index, keys, self._book.state)
        for server_id, _ in keys:
            self._applied.pop(server_id, None)  # newer than the router's answer: start afresh next time
        if not touched:
            return
        for slot in touched:
            self._cells.pop(slot, None)
        self._states_moved(moved)
        self._emit_rows_changed(touched, Column.CONNECTION, Column.CONNECTION, CONNECTION_ROLES)
        self.counts_changed.emit()

    def _states_moved(self, moved: bool) -> None:
        """Some rows' connection state changed: a connection filter follows."""
        index = self._index
        if moved and index.filter.connection is not None and not isinstance(index, PageIndex):
            old = index.visible
            index.states_changed()
            self._transition(old, index.visible)

    def _emit_rows_changed(self, slots: Sequence[int], first_col: int, last_col: int, roles: list[int]) -> None:
        """dataChanged for the rows showing ``slots``, neighbours coalesced into one range."""
        if not self.rowCount() or not slots:
            return
        rows = self._index.rows_of_slots(slots)
        if not rows:
            return
        ranges = _runs(rows)
        if len(ranges) > MAX_DATA_CHANGED_RANGES:
            ranges = [(rows[0], rows[-1])]
        for first, last in ranges:
            self.dataChanged.emit(self.index(first, first_col), self.index(last, last_col), roles)

    # -- reading ----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self._index.visible)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else _COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < _COLUMNS:
            if role == _DISPLAY:
                return HEADERS[Column(section)]
            if role == _ALIGNMENT and section == Column.BALANCE:
                return _RIGHT
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        # Called ~8 times per cell per paint (a thousand times a screen): plain int comparisons,
        # no enum arithmetic, the row's cells made once and kept.
        r = index.row()
        visible = self._index.visible
        if r < 0 or r >= len(visible):
            return None
        c = index.column()
        if role == _DISPLAY:
            cells = self._cells.get(int(visible[r]))
            return (cells or self._row_cells(int(visible[r])))[c]
        if role in _NOTHING:
            return None
        slot = int(visible[r])
        if role == _FOREGROUND:
            if c == _SUBSCRIPTION:
                return self._status_colour(self._index.status(slot))
            if c == _BALANCE_COLUMN and self._index.balance(slot) > 0:
                return self._owing()
            return None
        if role == _ALIGNMENT:
            return _RIGHT if c == _BALANCE_COLUMN else None
        if role == _DECORATION:
            return connection_icon(self._index.state(slot)) if c == _CONNECTION else None
        if role == CLIENT_ID_ROLE:
            return self._index.client_id(slot)
        if role == SORT_ROLE:
            key = self._index.sort_key(Column(c), slot)
            return key.decode("utf-8", "surrogatepass") if isinstance(key, bytes) else key
        if role == ROW_ROLE:
            return self._index.row(slot)
        if role == CONNECTION_ROLE:
            return self._connection(slot)
        if role == _TOOLTIP:
            if c == _CONNECTION:
                return connection_tooltip(self._connection(slot))
            if c == _NAME:
                return "\n".join(x for x in (self._index.name(slot), self._index.email(slot)) if x)
        return None

    def _connection(self, slot: int) -> ClientConnection:
        index = self._index
        return self._book.get(index.server_id(slot), index.username(slot))

    def _row_cells(self, slot: int) -> tuple[str, ...]:
        """The row's cells as shown, made once (a changed row, status or currency forgets them)."""
        index = self._index
        cells = (index.code(slot), index.name(slot), self._phone(index.phone(slot)), index.username(slot),
                 index.server_name(slot), index.package_name(slot), index.status(slot),
                 format_date(index.ends_on(slot)), index.state(slot).label, self._balance(index.balance(slot)))
        if len(self._cells) >= ROW_CACHE:
            self._cells.clear()
        self._cells[slot] = cells
        return cells

    def _phone(self, e164: str) -> str:
        text = self._phones.get(e164)
        if text is None:  # phonenumbers takes ~0.1 ms a number: a screenful is worth keeping
            if len(self._phones) > 4096:
                self._phones.clear()
            text = self._phones[e164] = display_phone(e164)
        return text

    def _balance(self, minor: int) -> str:
        if not minor:
            return ""
        text = self._money.get(minor)
        if text is None:
            if len(self._money) > 4096:
                self._money.clear()
            text = self._money[minor] = format_money(minor, self._currency, decimal_separator=self._decimal_separator)
        return text

    def _status_colour(self, status: str) -> QColor | None:
        """Expiring, Expired and Scheduled stand out, in a shade readable on this palette."""
        if self._status_colours is None:
            background = QGuiApplication.palette().color(QPalette.ColorRole.Base)
            self._status_colours = {s.value: readable_colour(colour, background)
                                    for s, colour in SUBSCRIPTION_COLOURS.items()
                                    if s is not SubscriptionStatus.ACTIVE}
        return self._status_colours.get(status)

    def _owing(self) -> QColor:
        if self._owing_colour is None:
            background = QGuiApplication.palette().color(QPalette.ColorRole.Base)
            self._owing_colour = readable_colour(SUBSCRIPTION_COLOURS[SubscriptionStatus.EXPIRED], background)
        return self._owing_colour

    def palette_changed(self) -> None:
        """Light/dark mode switched: recolour the status texts and amounts owed."""
        self._status_colours = None
        self._owing_colour = None
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, _COLUMNS - 1), [_FOREGROUND])

    # -- for the window ---------------------------------------------------------------------

    def client_id(self, row: int) -> int:
        return self._index.client_id(int(self._index.visible[row]))

    def row_of_client(self, client_id: int) -> int | None:
        """The row showing this client, or None when it is filtered out or unknown."""
        slot = self._index.live_slot(client_id)
        return None if slot is None else self._index.row_of_slot(slot)

    def client_row(self, client_id: int) -> ClientRow | None:
        slot = self._index.live_slot(client_id)
        return None if slot is None else self._index.row(slot)

    def visible_client_ids(self) -> list[int]:
        return self._index.visible_client_ids()

    def counts(self) -> ListCounts:
        return self._index.counts()
