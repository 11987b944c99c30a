"""The client list's read, all in the background: expired auto-renewals rolled over (the first
read of the day), the first page shown while the whole list is read, then the whole list indexed.

The app's first read starts as soon as the database is open (:class:`FirstRead`), before the
main window is built: importing and building the window is ~0.3 s of the GUI thread, which the
read (mostly SQLite and numpy, without the GIL) now overlaps instead of following. The window
takes the read over (:meth:`FirstRead.take_over`) when it is built; its later reads (a new day,
changed settings) start from :func:`start` itself.

This module imports no numpy: the index's modules are imported by the read, in the background.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from ispclient.listing.page import PageIndex
from ispclient.store import access, queries
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.models.client_list import CellTexts, ClientListModel, Column, cell_texts

if TYPE_CHECKING:
    from ispclient.listing.connections import Snapshot
    from ispclient.listing.index import ClientIndex, Warmed
    from ispclient.listing.search import ClientFilter

log = logging.getLogger(__name__)

PAGE_ROWS = 120  # read first, shown while the whole list is read: more than a screenful
STATE_GROUP, STATE_TABLE = "MainWindow", "clients"  # where the main window saves the list's header

Landed = Callable[["ClientIndex"], object]
Failed = Callable[[BaseException], object]


def start(parent: QObject, model: ClientListModel, today: date, expiring_days: int, seen: Snapshot, *,
          renew: bool, page_descending: bool | None, on_index: Landed, on_failure: Failed,
          sort: tuple[Column, bool] | None = None) -> None:
    """Read the list for ``model`` as ops of ``parent`` (keys "list-page" and "list"): auto-renewals
    first when ``renew``, a first page by name when ``page_descending`` is not None (shown only
    while the model still shows the list by name in that order), then the whole list, indexed
    and given the statuses of ``seen`` (``on_index``), sorted as the model is — or by ``sort``
    (column, descending), the order its window will restore (the first read starts before)."""
    # The whole read starts once expired auto-renewals are rolled over (before any row is read)
    # and the first page is in: the page alone takes ~50 ms, ~200 ms sharing the disk and both
    # cores with the read's threads.
    page_done = threading.Event()
    currency = model.currency
    flt, column = model.filter, model.sort_column
    descending = model.sort_order == Qt.SortOrder.DescendingOrder
    if sort is not None:
        column, descending = sort

    def renew_then_page() -> tuple[list[queries.ClientRow], CellTexts | None]:
        try:
            if renew:
                from ispclient.store.subscriptions import run_auto_renew

                access.as_system(lambda: run_auto_renew(today))()  # the app's rule, not the member's act
            rows = [] if page_descending is None else \
                queries.client_rows_page(today, expiring_days, PAGE_ROWS, page_descending)
        finally:
            page_done.set()
        return rows, cell_texts(rows, currency) if rows else None

    def show_page(page: tuple[list[queries.ClientRow], CellTexts | None]) -> None:
        rows, texts = page
        if rows and model.sort_column in (None, Column.NAME) and \
                (model.sort_order == Qt.SortOrder.DescendingOrder) == page_descending:
            model.show_page(rows, texts)

    def read() -> ClientIndex:
        from ispclient.listing import build  # noqa: F401 - numpy's import (~0.15 s) overlaps the page's read

        page_done.wait(60)
        return read_index(today, expiring_days, seen, flt, column, descending)

    if renew or page_descending is not None:
        ops.Op(parent, renew_then_page, key="list-page").on_success(show_page).on_failure(on_failure).run()
    else:
        page_done.set()
    ops.Op(parent, read, key="list").on_success(on_index).on_failure(on_failure).run()


def read_index(today: date, expiring_days: int, seen: Snapshot, flt: ClientFilter, column: Column | None,
               descending: bool) -> ClientIndex:
    """The whole list, indexed, off the GUI thread: read, built, given the statuses known when the
    read began, filtered and sorted as the window shows it, every router's usernames sorted. The
    other columns' orders are worked out once it is shown (:func:`warm`): at a million clients
    they were a fifth of the read's work, which the list no longer waits for."""
    from ispclient.listing import build, connections

    index = build.read(today, expiring_days)
    index.warm_users()
    # By name: the list's default order and every other order's tie-break. The app's first read
    # starts before the window has restored its order (the model says None then): without this,
    # the window worked it out on the GUI thread as it installed the list (~180 ms at 1M clients).
    index.ascending(Column.NAME)
    connections.apply_snapshot(index, seen)
    index.sort_column, index.descending = column, descending
    index.set_filter(flt)
    return index


def warm(parent: QObject, model: ClientListModel) -> None:
    """The orders of the columns the list is not sorted by, and the Client IDs' natural key,
    worked out in the background once the list is shown, so the first click on any header only
    shows an order (each is 20-150 ms at a million clients; a click before they are in works its
    column out itself). Kept only if the list has not changed meanwhile (ClientIndex.adopt)."""
    index = model.list_index
    if isinstance(index, PageIndex):
        return

    def adopt(warmed: Warmed) -> None:
        if model.list_index is index:
            index.adopt(warmed)

    def work() -> Warmed:
        from ispclient.dataio.yielding import Yielder

        # Nobody waits for these: every 5 ms of work, 2 ms for the GUI thread, which paints the
        # list just shown (the start's longest stalls were it waiting for the GIL or a CPU here).
        return index.warmed(Yielder(every_s=0.005, pause_s=0.002))

    ops.Op(parent, work, key="list-warm", lane=ops.Lane.SLOW).on_success(adopt) \
        .on_failure(lambda e: log.warning("working out the list's orders failed: %r", e)).run()


class FirstRead:
    """The app's first read of the list, started before its window exists (:func:`start` with the
    model as the ops' parent); the window takes it over once built."""

    def __init__(self, ctx: AppContext, model: ClientListModel, saved_sort: tuple[int, bool] | None = None) -> None:
        self.model = model
        self.today = ctx.today()
        self.expiring_days = ctx.settings().expiring_days
        self.seen = model.connection_snapshot()
        self._index: ClientIndex | None = None
        self._error: BaseException | None = None
        self._on_index: Landed | None = None
        self._on_failure: Failed | None = None
        # The page by name in the order the window will restore (``saved_sort``: column,
        # descending; ascending by name when none was saved). A list last sorted by another
        # column has no quick first page: it shows when the whole read is in.
        # The whole read is sorted so too: the window sorting a million rows by another column
        # as it installed the list froze it (0.1-0.6 s).
        column, descending = (Column(saved_sort[0]), saved_sort[1]) \
            if saved_sort is not None and 0 <= saved_sort[0] < len(Column) else (Column.NAME, False)
        start(model, model, self.today, self.expiring_days, self.seen, renew=True,
              page_descending=descending if column == Column.NAME else None,
              on_index=self._landed, on_failure=self._failed, sort=(column, descending))

    def take_over(self, on_index: Landed, on_failure: Failed) -> None:
        """Where the read's outcome goes (at once, if it is already in)."""
        self._on_index, self._on_failure = on_index, on_failure
        if self._index is not None:
            index, self._index = self._index, None
            on_index(index)
        elif self._error is not None:
            error, self._error = self._error, None
            on_failure(error)

    def abandon(self) -> None:
        """A newer read supersedes this one: its answers, still on their way, are dropped."""
        ops.forget_key(self.model, "list")
        ops.forget_key(self.model, "list-page")
        self._on_index = self._on_failure = None
        self._index = self._error = None

    def _landed(self, index: ClientIndex) -> None:
        if self._on_index is not None:
            self._on_index(index)
        else:
            self._index = index

    def _failed(self, error: BaseException) -> None:
        if self._on_failure is not None:
            self._on_failure(error)
        else:
            self._error = error
