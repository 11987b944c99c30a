"""The list's read started ahead of the index's builder (no numpy here: see below).

On SQLite each chunk is read by a helper thread with its own connection, the database working
without the GIL while the builder turns the last chunk into arrays. The reading needs nothing of
the builder, so :class:`ReadAhead` starts it on its own: the app's first read starts it as soon
as the first page is in, while the builder's thread is still importing numpy (~0.15-0.3 s at
start-up, sharing the GIL with the window being built). By the time the builder wants them, the
list's context and its first chunks are waiting; before, the builder read the context only after
numpy was in, and the first chunk was asked for after that (~0.15-0.25 s later at 100,000 clients).

Starting it costs its caller nothing (two threads): the first page's op, whose answer the window
is waiting for, starts it and returns. Reader 0 works out the chunks' id ranges and reads chunks
0, 2, 4…; reader 1 reads the context meanwhile, then chunks 1, 3, 5….

This module imports no numpy (``tests/ui/test_start_up.py`` checks the window's modules don't).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ispclient.store.queries import ListContext, RowChunk

READERS = 2  # helper threads reading chunks ahead (each its own SQLite connection)
AHEAD = 2  # chunks each reader keeps ready at most (a chunk is a few MB of joined text)

Item = tuple[int, int, "RowChunk"]


class ReadAhead:
    """The list's read under way: its :attr:`context` and every chunk of the list, in id order.

    Where the database works without the GIL and a connection costs nothing (SQLite:
    ``queries.reads_ahead``), helper threads read from construction on: reader ``r`` takes ranges
    ``r``, ``r + READERS``…, at most ``AHEAD`` chunks ahead. Elsewhere (PostgreSQL: a connection
    costs round trips) the thread that asks reads: the context when asked, the chunks one by one
    as iterated.

    Iterate it once; :meth:`close` (also at the end of the iteration, or when it is left early)
    stops the helpers, which close their connections (closing twice does nothing more)."""

    def __init__(self, today: date, expiring_days: int, chunk_rows: int | None = None,
                 threads: bool | None = None) -> None:
        from ispclient.store import queries

        self.today = today
        self.expiring_days = expiring_days
        self.chunk_rows = chunk_rows or queries.CHUNK_ROWS
        self.sql = ""
        self.ranges: list[tuple[int, int]] = []
        self._context: ListContext | None = None
        self._context_error: BaseException | None = None
        self._plan_error: BaseException | None = None
        self._planned = threading.Event()  # sql and ranges are set (or _plan_error)
        self._context_read = threading.Event()  # _context is set (or _context_error)
        self._ready: list[queue.Queue[Item | BaseException | None]] = [
            queue.Queue(maxsize=AHEAD) for _ in range(READERS)]
        self._stop = threading.Event()
        self._iterated = False
        threaded = queries.reads_ahead() if threads is None else threads
        self._helpers = [threading.Thread(target=self._reader, args=(r,), name=f"ispclient-list-reader-{r}",
                                          daemon=True) for r in range(READERS if threaded else 0)]
        for helper in self._helpers:
            helper.start()

    # -- in the helper threads ----------------------------------------------------------------

    def _plan(self) -> None:
        from ispclient.store import queries

        self.sql = queries.list_chunk_sql()
        self.ranges = queries.list_id_ranges(self.chunk_rows)

    def _read_context(self) -> None:
        from ispclient.store import queries

        try:
            self._context = queries.list_context(self.today, self.expiring_days)
        except BaseException as error:  # noqa: B036 - handed to the thread asking for it
            self._context_error = error
        finally:
            self._context_read.set()

    def _reader(self, mine: int) -> None:
        from ispclient.store import queries

        ready = self._ready[mine]
        try:
            if mine == 0:
                try:
                    self._plan()
                except BaseException as error:  # noqa: B036 - raised by the iterating thread
                    self._plan_error = error
                finally:
                    self._planned.set()
            if mine == READERS - 1:
                self._read_context()  # reader 1: while reader 0 works out the ranges
            self._planned.wait()
            if self._plan_error is not None:
                return
            for first, stop in self.ranges[mine::READERS]:
                if self._stop.is_set():
                    return
                ready.put((first, stop, queries.list_chunk(self.today, first, stop, self.sql)))
            ready.put(None)
        except BaseException as error:  # noqa: B036 - handed to the iterating thread, which raises it
            ready.put(error)
        finally:
            queries.release_read_memory()
            _close_connection()

    # -- in the builder's thread --------------------------------------------------------------

    @property
    def context(self) -> ListContext:
        """What turning the chunks into rows needs besides them (waits for it to be read)."""
        if not self._helpers:
            if self._context is None:
                from ispclient.store import queries

                self._context = queries.list_context(self.today, self.expiring_days)
            return self._context
        self._context_read.wait()
        if self._context_error is not None:
            raise self._context_error
        assert self._context is not None
        return self._context

    def __iter__(self) -> Iterator[Item]:
        if self._iterated:
            raise RuntimeError("a ReadAhead is iterated once")
        self._iterated = True
        from ispclient.store import queries

        try:
            if not self._helpers:
                self._plan()
                for first, stop in self.ranges:
                    yield first, stop, queries.list_chunk(self.today, first, stop, self.sql)
                return
            self._planned.wait()
            if self._plan_error is not None:
                raise self._plan_error
            for turn in range(len(self.ranges)):
                item = self._ready[turn % READERS].get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading: each helper finishes the chunk in hand and closes its connection."""
        self._stop.set()
        for r, helper in enumerate(self._helpers):
            while helper.is_alive():  # it may be waiting to hand over a chunk: take them
                try:
                    self._ready[r].get(timeout=0.05)
                except queue.Empty:
                    pass
            helper.join()

    @property
    def reading(self) -> bool:
        """Whether a helper thread is still at work."""
        return any(helper.is_alive() for helper in self._helpers)


def _close_connection() -> None:
    from ispclient.store import close_thread_connection

    close_thread_connection()
