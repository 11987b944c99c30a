"""The open client list follows what the counter does, through the one path: the service call runs
in an op, its audit events become a ``Changes``, and the list reads only those clients again and
updates their rows in the index (no whole-list reload). And a header click sorts once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from ispclient.listing.index import ClientIndex
from ispclient.listing.keys import Column
from ispclient.store import queries
from ispclient.store import subscriptions as subs
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.main_window import MainWindow
from ispclient.ui.queue_runner import QueueRunner
from tests.ui.conftest import Factory, Today, settle


@pytest.fixture
def shop(ctx: AppContext, make: Factory) -> dict[str, int]:
    pkg = make.package("Home 10 Mbps", "1500")
    amina = make.client("Amina Wanjiru")
    brian = make.client("Brian Otieno")
    return {"pkg": pkg, "amina": amina, "brian": brian,
            "amina_sub": make.subscription(amina, pkg, date(2026, 1, 1)),  # unpaid: owes 1,500
            "brian_sub": make.subscription(brian, pkg, date(2026, 1, 1), paid="1500", auto_renew=True)}


@pytest.fixture
def main(qtbot: QtBot, ctx: AppContext, shop: dict[str, int]) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.list_ready)
    return w


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[object]]]:
    """What lists read: ``rows`` (some clients again) and ``chunks`` (a whole-list reload). Main
    windows of earlier tests may still be listening (deleted later): each reads the same rows."""
    seen: dict[str, list[object]] = {"rows": [], "chunks": []}
    rows, chunk = queries.client_rows, queries.list_chunk

    def client_rows(today: date, days: int, ids: object = None, *a: object, **kw: object) -> object:
        seen["rows"].append(ids)
        return rows(today, days, ids, *a, **kw)  # type: ignore[arg-type]

    def list_chunk(*a: object, **kw: object) -> object:
        seen["chunks"].append(a)
        return chunk(*a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(queries, "client_rows", client_rows)
    monkeypatch.setattr(queries, "list_chunk", list_chunk)
    yield seen


def only_these_rows_read(reads: dict[str, list[object]], *client_ids: int) -> bool:
    return bool(reads["rows"]) and all(ids == list(client_ids) for ids in reads["rows"]) and reads["chunks"] == []


def run_as_the_dialog_would(qtbot: QtBot, parent: MainWindow, work: Callable[[], object]) -> None:
    ops.Op(parent, work).run()
    settle(qtbot)


def test_a_payment_updates_the_balance_and_the_owes_money_filter_in_the_open_list(
        qtbot: QtBot, main: MainWindow, shop: dict[str, int], reads: dict[str, list[object]]) -> None:
    amina = shop["amina"]
    assert main.model.client_row(amina).balance_minor == 150000  # type: ignore[union-attr]
    main.filters.owes.setChecked(True)
    assert main.model.counts().shown == 1 and main.owing_label.text() == "1 owes money"

    run_as_the_dialog_would(qtbot, main, lambda: subs.record_payment(shop["amina_sub"], subs.PaymentInput("1500")))

    qtbot.waitUntil(lambda: main.model.client_row(amina).balance_minor == 0)  # type: ignore[union-attr]
    assert main.model.counts().shown == 0  # the filter follows: Amina owes nothing now
    assert main.owing_label.text() != "1 owes money"
    assert only_these_rows_read(reads, amina)  # her row read again, nothing else


def test_a_renewal_updates_the_balance_in_the_open_list(
        qtbot: QtBot, main: MainWindow, shop: dict[str, int], reads: dict[str, list[object]]) -> None:
    brian = shop["brian"]
    before = main.model.client_row(brian)
    assert before is not None and before.ends_on == date(2026, 1, 31) and before.balance_minor == 0

    run_as_the_dialog_would(qtbot, main, lambda: subs.renew_subscription(shop["brian_sub"]))

    # Renewed ahead of time: the list still describes today's period, and the renewal is owed.
    qtbot.waitUntil(lambda: main.model.client_row(brian).balance_minor == 150000)  # type: ignore[union-attr]
    after = main.model.client_row(brian)
    assert after is not None and (after.status, after.ends_on) == ("Active", date(2026, 1, 31))
    main.filters.owes.setChecked(True)
    assert main.model.counts().shown == 2
    assert only_these_rows_read(reads, brian)


def test_an_auto_renewal_by_the_queue_runner_updates_only_that_row(
        qtbot: QtBot, ctx: AppContext, main: MainWindow, shop: dict[str, int], today: Today,
        reads: dict[str, list[object]]) -> None:
    brian = shop["brian"]
    loaded: list[object] = []
    main.list_loaded.connect(lambda *a: loaded.append(a))
    today.value = date(2026, 2, 3)  # Brian's period ran out on 31 January
    runner = QueueRunner(ctx)
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        assert runner.run_now()
    assert done.args[0].renewed == 1
    qtbot.waitUntil(lambda: main.model.client_row(brian).ends_on == date(2026, 3, 2))  # type: ignore[union-attr]
    settle(qtbot)
    assert main.model.client_row(brian).status == "Active"  # type: ignore[union-attr]
    assert only_these_rows_read(reads, brian) and loaded == []
    runner.stop()


def click_header(qtbot: QtBot, w: MainWindow, column: Column) -> None:
    header = w.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_a_header_click_sorts_once(qtbot: QtBot, main: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sortByColumn`` sorted twice (the bench once timed that); a real click must sort once."""
    sorts: list[tuple[Column, bool]] = []
    sort = ClientIndex.sort

    def counted(self: ClientIndex, column: Column, descending: bool = False) -> None:
        sorts.append((column, descending))
        sort(self, column, descending)

    monkeypatch.setattr(ClientIndex, "sort", counted)
    for column in (Column.END_DATE, Column.END_DATE, Column.NAME, Column.BALANCE):
        sorts.clear()
        click_header(qtbot, main, column)
        assert len(sorts) == 1 and sorts[0][0] is column, sorts
    assert main.model.sort_column is Column.BALANCE
