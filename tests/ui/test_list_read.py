"""The list's first read starts before the main window is built (ui/list_read.FirstRead); the
window takes it over, whether it has landed yet or not, and a newer read supersedes it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from pytestqt.qtbot import QtBot

from ispclient.ui import list_read, main_window
from ispclient.ui.context import AppContext
from ispclient.ui.main_window import MainWindow
from ispclient.ui.models.client_list import ClientListModel, Column
from tests.ui.conftest import Factory, settle

NAMES = ("Dora Müller", "Amina Wanjiru", "Chen Li", "Brian Otieno")


@pytest.fixture
def clients(make: Factory) -> list[int]:
    return [make.client(name) for name in NAMES]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every list read started (its arguments), and still started."""
    started: list[dict[str, Any]] = []
    real = list_read.start

    def counted(parent: Any, model: Any, *args: Any, **kwargs: Any) -> None:
        started.append({"parent": parent, **kwargs})
        real(parent, model, *args, **kwargs)

    monkeypatch.setattr(list_read, "start", counted)
    return started


def _loaded(window: MainWindow) -> list[int]:
    count: list[int] = []
    window.list_loaded.connect(lambda: count.append(1))
    return count


def _names(model: ClientListModel) -> list[str]:
    return [model.client_row(cid).name for cid in model.visible_client_ids()]  # type: ignore[union-attr]


def test_a_read_that_landed_before_the_window_is_installed_as_it_is_built(
        qtbot: QtBot, ctx: AppContext, clients: list[int], reads: list[dict[str, Any]]) -> None:
    model = ClientListModel(ctx.connections)
    first = list_read.FirstRead(ctx, model)
    settle(qtbot)  # page and whole list read, no window yet: the page is shown, the list kept
    assert not model.complete and model.rowCount() == len(NAMES)
    window = MainWindow(ctx, model=model, first_read=first)
    qtbot.addWidget(window)
    assert window.list_ready and model.complete  # taken over at once: no second read
    assert len(reads) == 1 and reads[0]["parent"] is model and reads[0]["renew"]
    assert _names(window.model) == sorted(NAMES)


def test_a_window_built_while_the_read_is_on_its_way_gets_it(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                              reads: list[dict[str, Any]]) -> None:
    model = ClientListModel(ctx.connections)
    first = list_read.FirstRead(ctx, model)
    window = MainWindow(ctx, model=model, first_read=first)
    qtbot.addWidget(window)
    loaded = _loaded(window)
    assert not window.list_ready
    settle(qtbot)
    assert window.list_ready and loaded == [1] and len(reads) == 1
    assert window.model.counts().total == len(NAMES)


def test_a_reload_before_the_first_read_lands_supersedes_it(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                            reads: list[dict[str, Any]],
                                                            make: Factory) -> None:
    model = ClientListModel(ctx.connections)
    first = list_read.FirstRead(ctx, model)
    window = MainWindow(ctx, model=model, first_read=first)
    qtbot.addWidget(window)
    loaded = _loaded(window)
    make.client("Esther Achieng")  # after the first read began: only the newer read may have her
    window.reload()  # answers come back through the event loop: the first read can't be in yet
    settle(qtbot)
    assert loaded == [1]  # installed once: the first read's answer was dropped
    assert [r["parent"] for r in reads] == [model, window] and not reads[1]["renew"]
    assert "Esther Achieng" in _names(window.model)


def test_the_early_page_is_not_shown_in_another_order(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    model = ClientListModel(ctx.connections)
    pages: list[int] = []
    real = model.show_page
    monkeypatch.setattr(model, "show_page", lambda rows, texts=None: (pages.append(len(rows)), real(rows, texts)))
    list_read.FirstRead(ctx, model)
    model.sort(Column.CLIENT_ID)  # the window restored another order before the page came back
    settle(qtbot)
    assert pages == []  # the first page by name would have shown the wrong rows first
    model.sort(Column.NAME)
    other = ClientListModel(ctx.connections)
    shown: list[int] = []
    monkeypatch.setattr(other, "show_page", lambda rows, texts=None: shown.append(len(rows)))
    list_read.FirstRead(ctx, other)
    settle(qtbot)
    assert shown == [len(NAMES)]  # by name, as the page was read: shown


def test_a_failed_first_read_is_reported_by_the_window(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(list_read, "read_index", broken)
    errors: list[BaseException] = []
    monkeypatch.setattr(MainWindow, "_reload_failed", lambda self, e: errors.append(e))
    model = ClientListModel(ctx.connections)
    first = list_read.FirstRead(ctx, model)
    settle(qtbot)  # failed before the window exists: kept for it
    window = MainWindow(ctx, model=model, first_read=first)
    qtbot.addWidget(window)
    assert [str(e) for e in errors] == ["disk on fire"] and not window.list_ready


def test_later_start_up_work_waits_for_the_list_to_be_painted(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    monkeypatch.setattr(MainWindow, "_preload_client_window", lambda self: events.append("preload"))
    monkeypatch.setattr(main_window, "SETTLE_WAIT_MS", 60_000)  # only the paint can settle it here
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    painted: list[int] = []

    class Paints(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and window.list_ready:
                painted.append(1)
            return False

    paints = Paints()
    window.table.viewport().installEventFilter(paints)
    window.list_loaded.connect(lambda: events.append("loaded"))
    window.list_settled.connect(lambda: events.append(f"settled after {len(painted)} paints"))
    window.show()
    qtbot.waitUntil(lambda: len(events) == 3, timeout=5000)
    assert events[0] == "loaded" and events[1] == "preload" and events[2] != "settled after 0 paints"
    window.reload()  # later reads: nothing more to settle
    settle(qtbot)
    qtbot.wait(200)
    assert len(events) == 4 and events[3] == "loaded"


def test_a_list_not_on_screen_settles_after_a_while(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_window, "SETTLE_WAIT_MS", 50)
    monkeypatch.setattr(MainWindow, "_preload_client_window", lambda self: None)
    window = MainWindow(ctx, start_on_today=True)  # never shown: the list never paints
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.list_settled, timeout=5000):
        pass
    assert window.list_ready


def test_the_first_page_is_read_in_the_order_the_window_restores(qtbot: QtBot, ctx: AppContext,
                                                                 clients: list[int],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The page is read before the window exists, in the order its saved header will show (the
    page by name ascending was dropped for a list left sorted by name descending: the rows then
    waited for the whole read)."""
    from PySide6.QtCore import Qt

    from ispclient.ui.window_state import saved_sort

    assert saved_sort(ctx.paths, list_read.STATE_GROUP, list_read.STATE_TABLE) is None  # nothing saved yet
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.list_ready)
    window.table.horizontalHeader().setSortIndicator(Column.NAME, Qt.SortOrder.DescendingOrder)
    window.close()  # saves its state
    saved = saved_sort(ctx.paths, list_read.STATE_GROUP, list_read.STATE_TABLE)
    assert saved == (Column.NAME, True)

    model = ClientListModel(ctx.connections)
    pages: list[list[str]] = []
    monkeypatch.setattr(model, "show_page", lambda rows, texts=None: pages.append([r.name for r in rows]))
    first = list_read.FirstRead(ctx, model, saved)
    again = MainWindow(ctx, model=model, first_read=first)  # restores the order, takes the read over
    qtbot.addWidget(again)
    assert again.model.sort_column == Column.NAME and again.model.sort_order == Qt.SortOrder.DescendingOrder
    qtbot.waitUntil(lambda: again.list_ready)
    assert pages == [sorted(NAMES, key=str.casefold, reverse=True)]  # the page came, in the window's order

    by_id = ClientListModel(ctx.connections)
    reads: list[bool | None] = []
    real = list_read.start

    def counted(*args: Any, page_descending: bool | None, **kwargs: Any) -> None:
        reads.append(page_descending)
        real(*args, page_descending=page_descending, **kwargs)

    monkeypatch.setattr(list_read, "start", counted)
    by_id_read = list_read.FirstRead(ctx, by_id, (Column.CLIENT_ID, True))
    assert reads == [None]  # no quick page by Client ID: none read for nothing
    landed: list[Any] = []
    by_id_read.take_over(landed.append, lambda e: None)
    qtbot.waitUntil(lambda: bool(landed))
    index = landed[0]  # sorted as the window will restore it, in the read: not on the GUI thread
    assert Column.CLIENT_ID in index.sorted_columns()
    assert (index.sort_column, index.descending) == (Column.CLIENT_ID, True)
    assert [index.code(s) for s in index.visible] == sorted((index.code(s) for s in index.visible), reverse=True)


def test_the_other_columns_are_sorted_in_the_background_once_the_list_is_shown(
        qtbot: QtBot, ctx: AppContext, clients: list[int]) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.list_settled, timeout=5000):
        pass
    index = window.model.list_index
    qtbot.waitUntil(lambda: index.sorted_columns() == set(Column), timeout=5000)  # type: ignore[union-attr]
    assert index.c.natural_key is not None  # type: ignore[union-attr]
    window.reload()  # a later read: warmed as soon as it is in
    qtbot.waitUntil(lambda: window.model.list_index is not index, timeout=5000)
    qtbot.waitUntil(lambda: window.model.list_index.sorted_columns() == set(Column),  # type: ignore[union-attr]
                    timeout=5000)
    window.table.sortByColumn(Column.CLIENT_ID, Qt.SortOrder.AscendingOrder)
    assert _names(window.model) == list(NAMES)  # by Client ID: as made (the factory numbers them in order)


def test_a_read_works_out_the_name_order_whatever_order_it_was_started_with(ctx: AppContext,
                                                                           clients: list[int]) -> None:
    """The app's first read starts before the window restores its order (None then): the window
    then sorts by name (or by another column, after name) without working that out itself."""
    from ispclient.listing.search import ClientFilter

    index = list_read.read_index(ctx.today(), 7, {}, ClientFilter(), None, False)
    assert index.sorted_columns() == {Column.NAME}  # the others: once shown (list_read.warm)
    assert index.visible_client_ids() == sorted(index.visible_client_ids())  # as it was asked: by id
