"""Building a :class:`~ispclient.listing.index.ClientIndex` from the list's rows, a chunk at a time.

The database hands each chunk of clients over as one joined text per column
(:func:`ispclient.store.queries.list_chunk`); each becomes arrays at once — a few whole-chunk
folds, encodes and vectorised splits, no Python object per client. A million clients therefore
never exist as a million objects: the garbage collector (which walks every container object
alive) has as little to walk at 1,000,000 clients as at 1,000, so a collection can't freeze the
window whatever the list's size.

Rows already read as records (:class:`~ispclient.store.queries.ClientRow`: tests, a few changed
clients) go through the same columns (:meth:`IndexBuilder.add`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from ispclient.listing import vectorized
from ispclient.listing.columns import SEP_CHAR, Bytes2D, Field, Strings, rows_of
from ispclient.listing.index import HEADROOM, UNKNOWN, ClientIndex, Columns
from ispclient.listing.keys import STATUS_RANK
from ispclient.listing.search import NO_SERVER, encode, fold_joined, phone_forms
from ispclient.memory import return_freed_memory
from ispclient.store.queries import ClientRow, ListContext, RowChunk, Upcoming, describe_period

Chunk = tuple[Bytes2D, npt.NDArray[np.int64]]
# package, status, start, end of each client
Described = tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8], npt.NDArray[np.int32], npt.NDArray[np.int32]]
_ENDED, _NONE = 254, 253  # a period's status while the next subscription is looked for
_EXPIRED = STATUS_RANK["Expired"]
_NO_SUBSCRIPTION = STATUS_RANK["No subscription"]
_SCHEDULED = STATUS_RANK["Scheduled"]


def _ints(text: str, count: int) -> npt.NDArray[np.int64]:
    """``count`` comma-joined integers."""
    if not count:
        return np.zeros(0, dtype=np.int64)
    values = np.fromstring(text, dtype=np.int64, sep=",")  # the text form: C speed, no warning
    if len(values) != count:
        raise ValueError(f"expected {count} numbers, read {len(values)}")
    return values


def _clean(values: Sequence[str]) -> list[str]:
    """Values as the index may join them: a control character no field may hold (data from
    before the rules, or from outside the app) shows as U+FFFD."""
    return [v.replace(SEP_CHAR, "\ufffd") if SEP_CHAR in v else v for v in values]


class IndexBuilder:
    """Feed it chunks (:meth:`add_chunk` or :meth:`add`), then :meth:`finish`."""

    def __init__(self) -> None:
        self.count = 0
        self.arrays: dict[str, list[npt.NDArray[Any]]] = {
            k: [] for k in ("ids", "server", "package", "status", "starts", "ends", "balance")}
        self.texts: dict[str, list[tuple[str, npt.NDArray[np.int64]]]] = {"name": [], "code": [], "email": []}
        self.fields: dict[str, list[Chunk]] = {k: [] for k in (
            "phone", "username", "name_key", "code_key", "email_key", "username_key", "digits",
            "national")}
        self.username_folded = True  # every username is its own fold (then one field serves both)
        self.servers: dict[int, str] = {}
        self.packages: dict[str, int] = {}
        self._ordinals: dict[date | None, int] = {None: 0}
        # The periods seen ("start end package" → a number) and what each means.
        self._periods: dict[str, int] = {}
        self._period_parts: list[tuple[int, int, int, int]] = []  # package, status, start, end
        self._period_arrays: npt.NDArray[np.int64] | None = None
        self._next: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None  # see _upcoming
        self._next_of: Upcoming | None = None

    def _package(self, name: str) -> int:
        code = self.packages.get(name)
        if code is None:
            code = self.packages[name] = len(self.packages)
        return code

    def _ordinal(self, day: date | None) -> int:
        ordinal = self._ordinals.get(day)
        if ordinal is None:
            ordinal = self._ordinals[day] = day.toordinal()  # type: ignore[union-attr]
        return ordinal

    # -- what the database read ----------------------------------------------------------------

    def add_chunk(self, chunk: RowChunk, context: ListContext) -> None:
        """A chunk as the list query reads it (ValueError if a value holds the separator, or the
        chunk is not in id order: read those clients as rows instead)."""
        n = chunk.count
        if not n:
            return
        # Each column's values are counted as it is split (here, Strings.joined, rows_of in _add),
        # all before anything is kept: a chunk refused leaves the builder as it was.
        ids = _ints(chunk.ids, n)
        if not bool((ids[1:] > ids[:-1]).all()):
            raise ValueError("the chunk is not in id order")
        server = _ints(chunk.server_ids, n)
        balance = _ints(chunk.balances, n)
        texts = {key: Strings.joined(text, n) for key, text in (
            ("name", chunk.names), ("code", chunk.codes), ("email", chunk.emails))}
        periods = chunk.periods.split(SEP_CHAR)
        if len(periods) != n:
            raise ValueError("a value holds the separator")
        package, status, starts, ends = self._describe(periods, ids, context)  # (what it learns stays true)
        self.servers.update(context.servers)
        self._add(n, ids, chunk.codes, chunk.names, chunk.phones, chunk.emails, chunk.usernames, texts, server,
                  package, status, starts, ends, balance)

    def _period_numbers(self, periods: list[str], context: ListContext) -> npt.NDArray[np.int64]:
        """The number of each period ("start end package", or '' for none) in the table of those
        seen, each distinct one worked out once."""
        memo, parts = self._periods, self._period_parts
        which = np.fromiter(map(memo.get, periods, repeat(-1)), dtype=np.int64, count=len(periods))
        unknown = np.flatnonzero(which < 0)
        if len(unknown):  # the first chunks only: a few thousand periods in all
            for i in unknown.tolist():
                period = periods[i]
                number = memo.get(period)
                if number is None:
                    number = memo[period] = len(parts)
                    parts.append(self._period_part(period, context))
                which[i] = number
            self._period_arrays = None  # made again when next wanted
        return which

    def _period_part(self, period: str, context: ListContext) -> tuple[int, int, int, int]:
        if not period:
            return self._package(""), _NONE, 0, 0
        pkg, state, start, end = describe_period(period, context.today, context.expiring_days)
        return self._package(pkg), _ENDED if state is None else STATUS_RANK[state], self._ordinal(start), \
            self._ordinal(end)

    def _table(self) -> npt.NDArray[np.int64]:
        """Package, status, start and end of each period seen (by its number)."""
        if self._period_arrays is None:
            self._period_arrays = np.array(self._period_parts, dtype=np.int64).reshape(-1, 4)
        return self._period_arrays

    def _upcoming(self, context: ListContext) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The clients with a subscription to come (sorted ids) and the period number of their
        next one (the first listed)."""
        if self._next is None or self._next_of is not context.upcoming:
            upcoming = context.upcoming
            ids = _ints(upcoming.client_ids, upcoming.count)
            numbers = self._period_numbers(upcoming.periods, context)
            clients, first = np.unique(ids, return_index=True)
            self._next, self._next_of = (clients, numbers[first]), upcoming
        return self._next

    def _describe(self, periods: list[str], ids: npt.NDArray[np.int64], context: ListContext) -> Described:
        """Package, status, start and end of each client, from the subscription that describes
        them today — or, when that one has ended or there is none, the next one sold."""
        which = self._period_numbers(periods, context)
        waiting = np.flatnonzero(self._table()[which, 1] >= _NONE)
        if len(waiting):
            clients, numbers = self._upcoming(context)
            if len(clients):
                wanted = ids[waiting]
                at = np.minimum(np.searchsorted(clients, wanted), len(clients) - 1)
                found = clients[at] == wanted  # those with a subscription to come
                which[waiting[found]] = numbers[at[found]]
                scheduled = waiting[found]
            else:
                scheduled = waiting[:0]
        table = self._table()[which]  # after _upcoming, which may have added periods
        package, status = table[:, 0].astype(np.int32), table[:, 1].astype(np.uint8)
        starts, ends = table[:, 2].astype(np.int32), table[:, 3].astype(np.int32)
        if len(waiting):
            status[scheduled] = _SCHEDULED
        status[status == _ENDED] = _EXPIRED  # nothing to come: the ended one describes them
        none = status == _NONE
        status[none] = _NO_SUBSCRIPTION
        package[none] = self._package("")
        return package, status, starts, ends

    # -- records ------------------------------------------------------------------------------

    def add(self, rows: Sequence[ClientRow]) -> None:
        n = len(rows)
        if not n:
            return
        (ids, codes, names, phones, emails, users, server_ids, server_names, packages, statuses, starts, ends,
         balances) = zip(*rows, strict=True)
        joined = {key: SEP_CHAR.join(_clean(values)) for key, values in (
            ("codes", codes), ("names", names), ("phones", phones), ("emails", emails), ("users", users))}
        texts = {key: Strings.joined(joined[key + "s"], n) for key in ("name", "code", "email")}
        self.servers.update((s, name) for s, name in zip(server_ids, server_names, strict=True) if s is not None)
        self._add(n, np.array(ids, dtype=np.int64), joined["codes"], joined["names"], joined["phones"],
                  joined["emails"], joined["users"], texts,
                  np.array([NO_SERVER if s is None else s for s in server_ids], dtype=np.int64),
                  np.array([self._package(p) for p in packages], dtype=np.int32),
                  np.array([STATUS_RANK[s] for s in statuses], dtype=np.uint8),
                  np.array([self._ordinal(d) for d in starts], dtype=np.int32),
                  np.array([self._ordinal(d) for d in ends], dtype=np.int32),
                  np.array(balances, dtype=np.int64))

    # -- both ---------------------------------------------------------------------------------

    def _add(self, n: int, ids: npt.NDArray[np.int64], codes: str, names: str, phones: str, emails: str, users: str,
             texts: dict[str, tuple[str, npt.NDArray[np.int64]]], server: npt.NDArray[np.int64],
             package: npt.NDArray[np.int32], status: npt.NDArray[np.uint8], starts: npt.NDArray[np.int32],
             ends: npt.NDArray[np.int32], balance: npt.NDArray[np.int64]) -> None:
        code_key = rows_of(encode(fold_joined(codes)), n)  # its natural key: when first sorted by
        name_key = rows_of(encode(fold_joined(names)), n)
        email_key = rows_of(encode(fold_joined(emails)), n)
        username = rows_of(encode(users), n)
        folded_users = fold_joined(users)
        # the same arrays when already folded (the usual)
        username_key = username if folded_users == users else rows_of(encode(folded_users), n)
        phone = rows_of(encode(phones), n)
        digits, national = vectorized.phone_forms(*phone, phone_forms)
        if username_key is not username:
            self.username_folded = False
        for key, field in (("code_key", code_key), ("name_key", name_key), ("email_key", email_key),
                           ("username", username), ("username_key", username_key), ("phone", phone),
                           ("digits", digits), ("national", national)):
            self.fields[key].append(field)
        for key, text in texts.items():
            self.texts[key].append(text)
        for key, values in (("ids", ids), ("server", server), ("package", package), ("status", status),
                            ("starts", starts), ("ends", ends), ("balance", balance)):
            self.arrays[key].append(values)
        self.count += n

    def finish(self) -> ClientIndex:
        n = self.count
        capacity = n + max(1024, int(n * HEADROOM))

        def column(key: str, dtype: Any) -> npt.NDArray[Any]:
            out = np.zeros(capacity, dtype=dtype)
            if self.arrays[key]:
                out[:n] = np.concatenate(self.arrays[key])
            return out

        live = np.zeros(capacity, dtype=np.bool_)
        live[:n] = True
        state = np.full(capacity, UNKNOWN, dtype=np.uint8)
        fields = {key: Field.build(chunks, capacity) for key, chunks in self.fields.items()
                  if not (key == "username_key" and self.username_folded)}
        if self.username_folded:
            fields["username_key"] = fields["username"]
        columns = Columns(
            ids=column("ids", np.int64), live=live, server=column("server", np.int64),
            package=column("package", np.int32), status=column("status", np.uint8),
            starts=column("starts", np.int32), ends=column("ends", np.int32),
            balance=column("balance", np.int64), state=state,
            name=Strings.build(self.texts["name"]), code=Strings.build(self.texts["code"]),
            email=Strings.build(self.texts["email"]), natural_key=None, **fields)
        packages = sorted(self.packages, key=self.packages.__getitem__) or [""]
        return ClientIndex(columns, n, self.servers, packages)


def build(chunks: Iterable[Sequence[ClientRow]]) -> ClientIndex:
    builder = IndexBuilder()
    for rows in chunks:
        builder.add(rows)
    return builder.finish()


def from_rows(rows: Sequence[ClientRow], chunk_rows: int = 20_000) -> ClientIndex:
    """An index of these rows (in client id order, as the database reads them)."""
    ordered = sorted(rows, key=lambda r: r.id)
    return build(ordered[i:i + chunk_rows] for i in range(0, len(ordered), chunk_rows))


def read(today: date, expiring_days: int, chunk_rows: int | None = None) -> ClientIndex:
    """Every client of the list from the database, a chunk at a time (run it off the GUI thread).

    On SQLite the chunks are read by helper threads ahead (:func:`queries.read_ahead_threads`):
    the database works (without the GIL) on the next chunks while this thread turns the last one
    into arrays, so the read takes about as long as the longer of the two instead of their sum."""
    from ispclient.store import queries

    chunk_rows = chunk_rows or queries.CHUNK_ROWS
    sql = queries.list_chunk_sql()
    ranges = queries.list_id_ranges(chunk_rows)
    # The readers start first: what the chunks need besides (the subscriptions to come) is read
    # here meanwhile, instead of before the first chunk.
    readers = queries.read_ahead_threads()
    ahead = _ReadAhead(today, ranges, sql, readers) if readers and len(ranges) > 1 else None
    try:
        context = queries.list_context(today, expiring_days)
        builder = IndexBuilder()
        chunks = ahead if ahead is not None else \
            ((first, stop, queries.list_chunk(today, first, stop, sql)) for first, stop in ranges)
        for first, stop, chunk in chunks:
            try:
                builder.add_chunk(chunk, context)
            except ValueError:  # a value holds the separator: these clients as records instead
                builder.add(queries.client_rows(today, expiring_days, id_range=(first, stop)))
    finally:
        if ahead is not None:
            ahead.stop()
    queries.release_read_memory()  # the whole table went through this connection's page cache
    index = builder.finish()
    del builder
    return_freed_memory()
    return index


class _ReadAhead:
    """The chunks of ``ranges`` in order, read by ``readers`` helper threads (each its own
    connection, closed when done; reader ``r`` takes ranges ``r``, ``r + readers``…) at most two
    chunks ahead each. The threads start at once, before the first chunk is asked for;
    :meth:`stop` (also when the chunks' loop ends, however it ends) lets them finish the chunk
    in hand and waits for them."""

    def __init__(self, today: date, ranges: list[tuple[int, int]], sql: str, readers: int) -> None:
        from ispclient.store import queries

        self.ranges = ranges
        readers = max(1, min(readers, len(ranges) - 1))
        self.ready: list[queue.Queue[tuple[int, int, RowChunk] | BaseException | None]] = [
            queue.Queue(maxsize=2) for _ in range(readers)]
        self.stop_reading = threading.Event()

        def reader(mine: int) -> None:
            try:
                for first, stop in ranges[mine::readers]:
                    if self.stop_reading.is_set():
                        return
                    self.ready[mine].put((first, stop, queries.list_chunk(today, first, stop, sql)))
                self.ready[mine].put(None)
            except BaseException as error:  # noqa: B036 - handed to the reading thread, which raises it
                self.ready[mine].put(error)
            finally:
                queries.release_read_memory()
                _close_connection()

        self.helpers = [threading.Thread(target=reader, args=(r,), name=f"ispclient-list-reader-{r}", daemon=True)
                        for r in range(readers)]
        for helper in self.helpers:
            helper.start()

    def __iter__(self) -> Iterator[tuple[int, int, RowChunk]]:
        readers = len(self.helpers)
        try:
            for turn in range(len(self.ranges)):
                item = self.ready[turn % readers].get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.stop()

    def stop(self) -> None:
        self.stop_reading.set()
        for r, helper in enumerate(self.helpers):
            while helper.is_alive():  # let it finish the chunk in hand and close its connection
                try:
                    self.ready[r].get(timeout=0.05)
                except queue.Empty:
                    pass
            helper.join()


def _close_connection() -> None:
    from ispclient.store import close_thread_connection

    close_thread_connection()
