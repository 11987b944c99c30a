"""The main window driven as a front-desk user drives it: search, filter, sort, open, refresh."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt
from PySide6.QtGui import QColor, QPaintEvent, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ispclient.domain.connection import ClientConnection, ConnectionState
from ispclient.domain.subscriptions import NO_SUBSCRIPTION
from ispclient.simulator import RouterSim
from ispclient.store import settings as store_settings
from ispclient.ui import msgbox
from ispclient.ui.context import AppContext
from ispclient.ui.main_window import EMPTY_HINT, LOADING_HINT, NO_MATCH_HINT, ClientTable, MainWindow
from ispclient.ui.models import CLIENT_ID_ROLE, Column
from ispclient.ui.status_service import StatusService, build_batches
from ispclient.ui.style import CONNECTION_COLOURS
from tests.ui.conftest import Factory, changed_elsewhere


@dataclass
class Desk:
    """Four clients on two routers: one active and online, one expiring, one expired, one new."""

    north: int
    south: int
    amina: int  # Active, North, amina.w
    brian: int  # Expiring, North, brian.o
    chen: int  # Expired, South, chen.l
    dora: int  # no subscription, no server


@pytest.fixture
def desk(ctx: AppContext, make: Factory) -> Desk:
    store_settings.save(replace(store_settings.load(), currency="KES", default_country="KE"))
    north, south = make.server("North tower"), make.server("South hill")
    pkg = make.package()
    amina = make.client("Amina Wanjiru", phone="0712 345678", email="amina@example.co.ke",
                        server_id=north, pppoe_username="amina.w")
    brian = make.client("Brian Otieno", phone="+254 722 000111", server_id=north, pppoe_username="brian.o")
    chen = make.client("Chen Li", server_id=south, pppoe_username="chen.l")
    dora = make.client("Dora Müller")
    make.subscription(amina, pkg, date(2026, 1, 5), paid="1500")  # ends 4 Feb: Active
    make.subscription(brian, pkg, date(2025, 12, 20))  # ends 19 Jan: Expiring
    make.subscription(chen, pkg, date(2025, 11, 1))  # ended 1 Dec: Expired
    return Desk(north, south, amina, brian, chen, dora)


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext, desk: Desk) -> Iterator[MainWindow]:
    ctx.store.refresh_now()  # the desk's settings
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.list_ready)
    yield w


def names(w: MainWindow) -> list[str]:
    m = w.model
    return [m.data(m.index(r, Column.NAME)) for r in range(m.rowCount())]


def click_header(qtbot: QtBot, w: MainWindow, column: Column) -> None:
    header = w.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def press_shortcut(qtbot: QtBot, w: MainWindow, key: Qt.Key,
                   modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    w.activateWindow()
    qtbot.waitActive(w)
    qtbot.keyClick(QApplication.focusWidget() or w, key, modifier)


def test_typing_in_search_narrows_the_list(qtbot: QtBot, window: MainWindow) -> None:
    assert names(window) == ["Amina Wanjiru", "Brian Otieno", "Chen Li", "Dora Müller"]
    qtbot.keyClicks(window.filters.search, "o")
    assert names(window) == ["Amina Wanjiru", "Brian Otieno", "Dora Müller"]  # e-mail .co.ke, Otieno, Dora
    qtbot.keyClicks(window.filters.search, "t")
    assert names(window) == ["Brian Otieno"]
    assert window.shown_label.text() == "Showing 1 of 4 clients"
    window.filters.search.setText("0712")  # a phone number as people say it
    assert names(window) == ["Amina Wanjiru"]
    window.filters.search.setText("muller")  # accents don't matter
    assert names(window) == ["Dora Müller"]
    window.filters.search.setText("nobody")
    assert names(window) == []
    assert window.shown_label.text() == "Showing 0 of 4 clients"
    assert window.table.placeholder == NO_MATCH_HINT  # said in the empty list


def test_escape_clears_the_search_and_ctrl_f_focuses_it(qtbot: QtBot, window: MainWindow) -> None:
    window.table.setFocus()
    window.find_action.trigger()
    assert window.filters.search.hasFocus() or QApplication.focusWidget() is window.filters.search
    qtbot.keyClicks(window.filters.search, "chen")
    assert names(window) == ["Chen Li"]
    window.clear_action.trigger()
    assert window.filters.search.text() == ""
    assert len(names(window)) == 4
    assert window.find_action.shortcut().toString() == "Ctrl+F"
    assert window.clear_action.shortcut().toString() == "Esc"


def test_each_filter(qtbot: QtBot, window: MainWindow, ctx: AppContext, desk: Desk) -> None:
    f = window.filters

    def choose(combo: object, text: str) -> None:
        combo.setCurrentIndex(combo.findText(text))  # type: ignore[attr-defined]

    choose(f.status, "Expiring")
    assert names(window) == ["Brian Otieno"]
    choose(f.status, "Expired")
    assert names(window) == ["Chen Li"]
    choose(f.status, NO_SUBSCRIPTION)
    assert names(window) == ["Dora Müller"]
    choose(f.status, "All subscriptions")
    choose(f.server, "North tower")
    assert names(window) == ["Amina Wanjiru", "Brian Otieno"]
    choose(f.server, "No server assigned")
    assert names(window) == ["Dora Müller"]
    choose(f.server, "All servers")
    ctx.connections.update({(desk.north, "amina.w"): ClientConnection.online(),
                            (desk.north, "brian.o"): ClientConnection.offline()})
    choose(f.connection, "Online")
    assert names(window) == ["Amina Wanjiru"]
    choose(f.connection, "Offline")
    assert names(window) == ["Brian Otieno"]
    choose(f.connection, "Unknown")
    assert names(window) == ["Chen Li", "Dora Müller"]
    ctx.connections.update({(desk.south, "chen.l"): ClientConnection.offline()})  # the filter follows
    assert names(window) == ["Dora Müller"]
    window.clear_action.trigger()  # empty search: Esc resets the filters
    assert len(names(window)) == 4


def test_sorting_by_clicking_headers(qtbot: QtBot, window: MainWindow) -> None:
    click_header(qtbot, window, Column.SUBSCRIPTION)  # Expiring first: the ones to call
    assert names(window)[0] == "Brian Otieno"
    assert window.table.horizontalHeader().sortIndicatorSection() == Column.SUBSCRIPTION
    click_header(qtbot, window, Column.NAME)
    assert names(window) == ["Amina Wanjiru", "Brian Otieno", "Chen Li", "Dora Müller"]
    click_header(qtbot, window, Column.NAME)
    assert names(window) == ["Dora Müller", "Chen Li", "Brian Otieno", "Amina Wanjiru"]
    click_header(qtbot, window, Column.END_DATE)
    assert names(window) == ["Chen Li", "Brian Otieno", "Amina Wanjiru", "Dora Müller"]


def test_f5_asks_for_a_status_refresh(qtbot: QtBot, window: MainWindow, ctx: AppContext) -> None:
    assert window.refresh_action.shortcut().toString() == "F5"
    window.table.setFocus()
    with qtbot.waitSignal(ctx.connections.refresh_requested, timeout=1000):
        press_shortcut(qtbot, window, Qt.Key.Key_F5)


def test_ctrl_n_opens_the_new_client_dialog_and_selects_the_new_client(
        qtbot: QtBot, window: MainWindow, ctx: AppContext, make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    from ispclient.ui.dialogs.client_dialog import ClientDialog

    asked: list[object] = []

    def fake_ask(parent: object, context: AppContext, client: object = None) -> int:
        asked.append((parent, client))
        new = make.client("Aaron Newman")
        changed_elsewhere(context, clients=[new])
        return new

    monkeypatch.setattr(ClientDialog, "ask", staticmethod(fake_ask))
    window.filters.search.setText("chen")  # the new client doesn't match: the search clears
    assert window.new_action.shortcut().toString() == "Ctrl+N"
    press_shortcut(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert asked == [(window, None)]
    qtbot.waitUntil(lambda: names(window)[0] == "Aaron Newman")
    assert window.selected_client_id() == window.model.data(window.model.index(0, 0), CLIENT_ID_ROLE)
    assert window.shown_label.text() == "5 clients"


def test_enter_opens_the_client_window_once(qtbot: QtBot, window: MainWindow, desk: Desk) -> None:
    window.select_client(desk.brian)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert list(window.client_windows) == [desk.brian]
    first = window.client_windows[desk.brian]
    assert first.windowTitle().startswith("Brian Otieno")
    qtbot.keyClick(window.table, Qt.Key.Key_Enter)  # again: the same window comes forward
    assert window.client_windows[desk.brian] is first
    window.select_client(desk.amina)
    index = window.model.index(window.model.row_of_client(desk.amina), Column.NAME)
    rect = window.table.visualRect(index)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert set(window.client_windows) == {desk.brian, desk.amina}
    first.close()
    qtbot.waitUntil(lambda: desk.brian not in window.client_windows)


def test_enter_in_the_search_box_opens_the_first_match(qtbot: QtBot, window: MainWindow, desk: Desk) -> None:
    window.table.clearSelection()
    qtbot.keyClicks(window.filters.search, "0722")
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Return)
    assert list(window.client_windows) == [desk.brian]


def test_delete_key_deletes_after_confirming_and_undo_brings_back(
        qtbot: QtBot, window: MainWindow, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)
    notices: list[QMessageBox] = []
    real_notice = msgbox.undo_notice
    monkeypatch.setattr(msgbox, "undo_notice", lambda *a, **k: notices.append(real_notice(*a, **k)))
    window.select_client(desk.chen)  # expired: may be deleted
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: "Chen Li" not in names(window))
    assert window.shown_label.text() == "3 clients"
    undo = next(b for b in notices[0].buttons() if "Undo" in b.text())
    undo.click()
    qtbot.waitUntil(lambda: "Chen Li" in names(window))


def test_delete_is_refused_with_the_reason_while_a_subscription_runs(
        qtbot: QtBot, window: MainWindow, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    monkeypatch.setattr(msgbox, "choose", lambda _p, title, text, *a, **k: said.append(f"{title}: {text}"))
    window.select_client(desk.amina)
    window.delete_action.trigger()
    qtbot.waitUntil(lambda: bool(said))
    assert said[0].startswith("Unable to delete client")
    assert "Amina Wanjiru" in names(window)


def test_status_bar_counts(qtbot: QtBot, window: MainWindow, ctx: AppContext, desk: Desk) -> None:
    assert window.shown_label.text() == "4 clients"
    assert window.expiring_label.text() == "1 expiring within 7 days"
    assert "0&nbsp;online" in window.connection_label.text()
    assert "4&nbsp;unknown" in window.connection_label.text()
    ctx.connections.update({(desk.north, "amina.w"): ClientConnection.online(),
                            (desk.north, "brian.o"): ClientConnection.offline()})
    text = window.connection_label.text()
    assert "1&nbsp;online" in text and "1&nbsp;offline" in text and "2&nbsp;unknown" in text


def test_status_bar_counts_never_drawn_over_each_other_in_a_narrow_window(
        qtbot: QtBot, window: MainWindow, ctx: AppContext) -> None:
    """At 150 % on a 1366-pixel screen the bar is ~900 logical pixels: the counts go short, then the
    check time goes, but no two are drawn over each other (seen under X11 before the fix)."""

    def spans() -> list[tuple[int, int]]:
        labels = [window.shown_label, window.connection_label, window.expiring_label, window.owing_label,
                  window.refresh_label, window.who_label]
        return sorted((lb.x(), lb.x() + lb.width()) for lb in labels if lb.isVisible() and lb.text())

    window.resize(1300, 700)
    qtbot.waitUntil(lambda: window.expiring_label.text() == "1 expiring within 7 days")
    from ispclient.store import staff

    ctx.session.sign_in(staff.create_first_owner("olivia", "Olivia Wanjiku-Kamau Achieng", "narrow-bar-pw-1"))
    assert window.who_label.text() == "Signed in: Olivia Wanjiku-Kamau Achieng (owner)"
    for width in (1300, 760, 560):
        window.resize(width, 700)
        QApplication.processEvents()
        qtbot.waitUntil(lambda w=width: window.width() <= max(w, window.minimumWidth()) + 1)  # type: ignore[misc]
        QApplication.processEvents()
        edges = spans()
        assert all(a_end <= b_start for (_a, a_end), (b_start, _b) in zip(edges, edges[1:], strict=False)), \
            (width, edges)
        assert edges[-1][1] <= window.statusBar().width(), (width, edges)
    assert window.expiring_label.text() == "1 expiring"  # the short form, the whole one in its tooltip
    assert window.expiring_label.toolTip() == "1 expiring within 7 days"
    window.resize(1300, 700)
    qtbot.waitUntil(lambda: window.expiring_label.text() == "1 expiring within 7 days")


def test_statuses_against_a_real_router(qtbot: QtBot, ctx: AppContext, desk: Desk, router: RouterSim,
                                        make: Factory) -> None:
    from ispclient.store.catalog import ServerInput, edit_server

    edit_server(desk.north, ServerInput("North tower", "127.0.0.1", router.port, timeout_s=1.0))
    dead = RouterSim().start()  # a port with nothing listening once it stops
    dead_port = dead.port
    dead.stop()
    edit_server(desk.south, ServerInput("South hill", "127.0.0.1", dead_port, timeout_s=1.0))
    router.add_secret("amina.w")
    router.add_secret("brian.o", last_logged_out="2026-01-14 08:00:00")
    router.connect("amina.w", address="100.64.0.7", uptime="2h3m")
    make.client("Aaron Abbot")  # Unknown (no server), first by name
    service = StatusService(ctx)
    w = MainWindow(ctx, service)
    qtbot.addWidget(w)
    w.show()
    w.resize(1300, 700)  # room for the whole texts (a narrow bar gets the short ones)
    qtbot.waitUntil(lambda: w.list_ready)
    assert w.refresh_label.text() == "Status not checked yet"
    w.table.sortByColumn(Column.CONNECTION, Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(service.refreshed, timeout=10_000):
        w.refresh_action.trigger()
    # Sorted by connection again once the refresh landed: Online, Offline, then Unknown by name.
    assert names(w) == ["Amina Wanjiru", "Brian Otieno", "Aaron Abbot", "Chen Li", "Dora Müller"]
    m = w.model

    def cell(client_id: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
        return m.data(m.index(m.row_of_client(client_id), Column.CONNECTION), role)

    def colour(client_id: int) -> str:
        icon = cell(client_id, Qt.ItemDataRole.DecorationRole)
        return icon.pixmap(12, 12).toImage().pixelColor(6, 6).name()  # type: ignore[attr-defined]

    assert (cell(desk.amina), colour(desk.amina)) == ("Online", CONNECTION_COLOURS[ConnectionState.ONLINE])
    assert "100.64.0.7" in cell(desk.amina, Qt.ItemDataRole.ToolTipRole)
    assert (cell(desk.brian), colour(desk.brian)) == ("Offline", CONNECTION_COLOURS[ConnectionState.OFFLINE])
    assert (cell(desk.chen), colour(desk.chen)) == ("Unknown", CONNECTION_COLOURS[ConnectionState.UNKNOWN])
    assert "server unreachable" in cell(desk.chen, Qt.ItemDataRole.ToolTipRole)
    assert "no server assigned" in cell(desk.dora, Qt.ItemDataRole.ToolTipRole)
    assert w.refresh_label.text().startswith("Status checked ")
    text = w.connection_label.text()
    assert "1&nbsp;online" in text and "1&nbsp;offline" in text and "3&nbsp;unknown" in text
    service.shutdown()


def test_a_router_without_a_saved_password_says_so(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    srv = make.server("No password", password=None)
    client = make.client("Eve Kariuki", server_id=srv, pppoe_username="eve")
    service = StatusService(ctx)
    w = MainWindow(ctx, service)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.list_ready)
    with qtbot.waitSignal(service.refreshed, timeout=5000):
        ctx.connections.request_refresh()
    index = w.model.index(w.model.row_of_client(client), Column.CONNECTION)
    assert "no API password saved" in w.model.data(index, Qt.ItemDataRole.ToolTipRole)
    service.shutdown()


def test_empty_state_hint(qtbot: QtBot, ctx: AppContext) -> None:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    assert w.stack.currentWidget() is not w.empty  # not "no clients yet" while they are being read
    qtbot.waitUntil(lambda: w.list_ready)
    assert w.stack.currentWidget() is w.empty
    assert w.empty.findChild(type(w.shown_label), "emptyHint").text() == EMPTY_HINT
    assert w.shown_label.text() == "No clients"
    assert not w.filters.isVisible()  # nothing to search yet


def test_column_widths_and_sort_persist(qtbot: QtBot, ctx: AppContext, desk: Desk) -> None:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.list_ready)
    w.table.setColumnWidth(Column.NAME, 333)
    w.table.sortByColumn(Column.END_DATE, Qt.SortOrder.DescendingOrder)
    w.resize(700, 500)
    w.close()
    again = MainWindow(ctx)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.list_ready)
    assert again.table.columnWidth(Column.NAME) == 333
    assert again.model.sort_column is Column.END_DATE
    assert again.model.sort_order == Qt.SortOrder.DescendingOrder
    assert names(again)[0] == "Dora Müller"  # no end date: last ascending, first descending
    assert again.size().width() == 700


def test_an_edit_elsewhere_shows_in_the_list(qtbot: QtBot, window: MainWindow, ctx: AppContext,
                                             desk: Desk) -> None:
    from ispclient.store import clients

    c = clients.edit_client(desk.dora, clients.ClientInput("C00004", "Dora Schmidt"))
    changed_elsewhere(ctx, clients=[c.id])
    qtbot.waitUntil(lambda: "Dora Schmidt" in names(window))
    with qtbot.waitSignal(window.list_loaded):
        changed_elsewhere(ctx, catalog=True, all_clients=True)  # a renamed server reloads everything
    assert len(names(window)) == 4


def test_the_status_service_follows_client_edits(qtbot: QtBot, ctx: AppContext, desk: Desk, make: Factory) -> None:
    from ispclient.store import clients

    service = StatusService(ctx)
    names_of = {b.server_id: set(b.usernames) for b in build_batches(ctx.credentials)}
    assert names_of == {desk.north: {"amina.w", "brian.o"}, desk.south: {"chen.l"}}
    new = make.client("Fiona Achieng", server_id=desk.south, pppoe_username="fiona.a")
    clients.edit_client(desk.brian, clients.ClientInput("C00002", "Brian Otieno", server_id=desk.south,
                                                        pppoe_username="brian.o"))
    changed_elsewhere(ctx, clients=[new, desk.brian])
    names_of = {b.server_id: set(b.usernames) for b in build_batches(ctx.credentials)}
    assert names_of == {desk.north: {"amina.w"}, desk.south: {"chen.l", "fiona.a", "brian.o"}}
    service.shutdown()


def test_owes_money_filter_and_count(qtbot: QtBot, ctx: AppContext, desk: Desk, make: Factory) -> None:
    w = MainWindow(ctx)  # Amina paid in full; Brian and Chen owe for their subscriptions
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.list_ready)
    assert w.owing_label.text() == "2 owe money"
    w.filters.owes.setChecked(True)
    assert names(w) == ["Brian Otieno", "Chen Li"]
    assert w.model.data(w.model.index(0, Column.BALANCE)) == "KES 1,500.00"
    w.clear_action.trigger()  # Esc with an empty search: every filter off
    assert not w.filters.owes.isChecked() and len(names(w)) == 4


def test_the_first_page_shows_before_the_whole_list_is_in(qtbot: QtBot, ctx: AppContext, desk: Desk,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from ispclient.store import queries

    release = threading.Event()
    chunk = queries.list_chunk

    def slow_chunk(*a: object, **kw: object) -> object:
        release.wait(10)  # a whole list that takes its time (a million clients)
        return chunk(*a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(queries, "list_chunk", slow_chunk)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.waitUntil(lambda: w.model.rowCount() == 4)
        assert not w.model.complete and not w.list_ready
        assert names(w) == ["Amina Wanjiru", "Brian Otieno", "Chen Li", "Dora Müller"]
        assert w.shown_label.text() == LOADING_HINT
    finally:
        release.set()
    qtbot.waitUntil(lambda: w.list_ready)
    assert w.model.complete and w.shown_label.text() == "4 clients"


# -- a client window opening over the list: the list is not drawn again ------------------------------


class _ViewportPaints(QObject):
    """The regions the table's viewport paints."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.rects: list[QRect] = []
        viewport.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            assert isinstance(event, QPaintEvent)
            self.rects.append(event.region().boundingRect())
        return False


def _table_with_rows(qtbot: QtBot) -> tuple[QMainWindow, ClientTable]:
    model = QStandardItemModel(40, 4)
    for row in range(40):
        for column in range(4):
            model.setItem(row, column, QStandardItem(f"{row}:{column}"))
    main = QMainWindow()
    table = ClientTable()
    table.setModel(model)
    main.setCentralWidget(table)
    qtbot.addWidget(main)
    main.resize(500, 500)
    main.show()
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)
    table.setFocus()
    table.selectRow(3)
    qtbot.waitUntil(table.hasFocus)
    return main, table


def _activate_another_window(qtbot: QtBot) -> QWidget:
    other = QWidget()
    qtbot.addWidget(other)
    other.resize(200, 100)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other)
    return other


def test_another_window_activated_repaints_only_the_lists_selected_row(qtbot: QtBot) -> None:
    """Opening a client window deactivates the main window: Qt repainted every row and column of
    the list then (~10 ms of each open); only the selected (and current) row looks different."""
    main, table = _table_with_rows(qtbot)
    qtbot.wait(50)  # shown and painted
    paints = _ViewportPaints(table.viewport())
    other = _activate_another_window(qtbot)
    qtbot.wait(50)
    row = QRect(0, table.rowViewportPosition(3), table.viewport().width(), table.rowHeight(3))
    assert paints.rects, "the selected row is drawn again as an inactive window's"
    assert all(row.contains(r) for r in paints.rects), paints.rects

    # Back to the list: the same.
    paints.rects.clear()
    other.close()
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)
    qtbot.wait(50)
    assert all(row.contains(r) for r in paints.rects), paints.rects


def test_an_inactive_palette_that_changes_the_cells_repaints_the_whole_list(qtbot: QtBot) -> None:
    main, table = _table_with_rows(qtbot)
    palette = table.palette()
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Base, QColor("#eeeeee"))
    table.setPalette(palette)
    qtbot.wait(50)
    paints = _ViewportPaints(table.viewport())
    _activate_another_window(qtbot)
    qtbot.wait(50)
    assert any(r.contains(table.viewport().rect()) for r in paints.rects), paints.rects


@pytest.mark.parametrize("with_routers", [True, False])
def test_the_keyring_is_made_ready_in_the_background_once_the_list_is_in(
        qtbot: QtBot, ctx: AppContext, make: Factory, monkeypatch: pytest.MonkeyPatch, with_routers: bool) -> None:
    """A client window's first status check read the router's password through a keyring never
    used yet: its imports held the GIL while that window was filled and painted. With routers to
    check, the keyring is imported once the list is in, off the GUI thread, before any window opens."""
    import threading

    from ispclient.routeros import credentials

    warmed: list[str] = []
    monkeypatch.setattr(credentials, "warm", lambda: warmed.append(threading.current_thread().name))
    if with_routers:
        make.client("Amina Wanjiru", server_id=make.server("North tower"), pppoe_username="amina.w")
    else:
        make.client("Dora Müller")
    ctx.store.refresh_now()
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.list_settled, timeout=5000):
        pass
    qtbot.waitUntil(lambda: w._client_spare().ready, timeout=5000)  # (not kept waiting for the keyring)
    if with_routers:
        qtbot.waitUntil(lambda: bool(warmed), timeout=5000)
        assert len(warmed) == 1 and warmed[0] != threading.current_thread().name
    else:
        qtbot.wait(200)
        assert warmed == []
