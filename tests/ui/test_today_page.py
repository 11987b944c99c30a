"""The Today page: tiles lead into the filtered client list, the takings show for those who may
see them, and a router that stops answering raises a red banner until it is back."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.simulator import RouterSim
from ispclient.store import queries
from ispclient.store import settings as store_settings
from ispclient.ui.context import AppContext
from ispclient.ui.main_window import MainWindow
from ispclient.ui.models.client_list import Column
from ispclient.ui.status_service import StatusService

from .conftest import Factory, Today, settle


def _names(w: MainWindow) -> list[str]:
    m = w.model
    return sorted(m.data(m.index(r, Column.NAME)) for r in range(m.rowCount()))


def _window(qtbot: QtBot, ctx: AppContext, service: StatusService | None = None) -> MainWindow:
    ctx.store.refresh_now()
    w = MainWindow(ctx, service, start_on_today=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.list_ready and w.today_page.figures is not None)
    settle(qtbot)
    return w


def _shop(make: Factory) -> dict[str, int]:
    store_settings.save(replace(store_settings.load(), currency="KES"))
    pkg = make.package(price="1500")
    ids = {name: make.client(name) for name in ("Amina", "Brian", "Chen", "Dora", "Esther")}
    make.subscription(ids["Amina"], pkg, date(2026, 1, 5), paid="1500")  # paid: owes nothing
    make.subscription(ids["Brian"], pkg, date(2025, 12, 20))  # owes 1,500, expiring (ends Jan 19)
    make.subscription(ids["Chen"], pkg, date(2025, 12, 1), paid="500")  # owes 1,000, expired Dec 31
    make.subscription(ids["Esther"], pkg, date(2026, 1, 10), paid="2000")  # 500 in credit
    return ids


def test_the_owes_money_tile_filters_the_list_to_exactly_those_clients(
        qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    _shop(make)
    w = _window(qtbot, ctx)
    assert w.tabs.currentWidget() is w.today_page
    page = w.today_page
    assert page.owing.figure.text() == "2"
    assert page.owing.detail.text() == "KES 2,500.00 owed in all"
    assert (page.expiring.figure.text(), page.expired.figure.text()) == ("1", "1")
    qtbot.mouseClick(page.owing, Qt.MouseButton.LeftButton)
    assert w.tabs.currentWidget() is w.clients_page
    assert w.filters.owes.isChecked() and w.filters.status.currentData() is None
    owing = sorted(r.name for r in queries.client_rows(ctx.today(), 7) if r.balance_minor > 0)
    assert _names(w) == owing == ["Brian", "Chen"]


def test_the_expiring_tile_shows_the_expiring_clients(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    _shop(make)
    w = _window(qtbot, ctx)
    w.filters.owes.setChecked(True)  # whatever was chosen before: the tile shows exactly its clients
    qtbot.mouseClick(w.today_page.expiring, Qt.MouseButton.LeftButton)
    assert w.filters.status.currentData() == SubscriptionStatus.EXPIRING.value and not w.filters.owes.isChecked()
    assert _names(w) == ["Brian"]


def test_figures_follow_a_sale_made_while_the_page_shows(qtbot: QtBot, ctx: AppContext, make: Factory,
                                                         today: Today) -> None:
    from ispclient.domain.clock import utcnow
    from ispclient.store import subscriptions as subs
    from ispclient.ui import ops

    today.value = utcnow().date()  # payments are stamped with the real clock: make it the ISP's day (UTC here)
    w = _window(qtbot, ctx)
    page = w.today_page
    assert page.takings.isEnabled() and page.takings.figure.text() == "USD 0.00"
    client, pkg = make.client("Farah"), make.package("Biz", "3000")
    ops.Op(w, lambda: subs.create_subscription(client, pkg, today.value,
                                               payment=subs.PaymentInput("1000", "Mobile money"))).run()
    qtbot.waitUntil(lambda: page.owing.figure.text() == "1" and page.takings.figure.text() == "USD 1,000.00",
                    timeout=5000)
    assert "Mobile money USD 1,000.00" in page.takings.detail.text()


def test_a_stopped_router_raises_the_banner_and_it_clears_when_back(
        qtbot: QtBot, ctx: AppContext, make: Factory, router: RouterSim) -> None:
    north = make.server("North tower", port=router.port)
    make.client("Amina", server_id=north, pppoe_username="amina.w")
    router.add_secret("amina.w")
    router.connect("amina.w", address="100.64.0.7", uptime="1h")
    service = StatusService(ctx, offload=False)
    w = _window(qtbot, ctx, service)
    try:
        with qtbot.waitSignal(service.refreshed, timeout=10_000):
            service.refresh()
        assert w.router_banner.isHidden()
        label = w.today_page.router_labels[north]
        assert "Up" in label.text()

        router.stop()
        with qtbot.waitSignal(service.refreshed, timeout=10_000):  # one refresh
            service.refresh()
        assert not w.router_banner.isHidden()
        assert "North tower is down" in w.router_banner.text()
        assert "Down" in w.today_page.router_labels[north].text()

        router.start()
        with qtbot.waitSignal(service.refreshed, timeout=10_000):
            service.refresh()
        assert w.router_banner.isHidden()
        assert "Up" in w.today_page.router_labels[north].text()
    finally:
        service.shutdown()


def test_the_page_is_read_when_shown_not_before(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    _shop(make)
    ctx.store.refresh_now()
    w = MainWindow(ctx)  # opens on the list
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.list_ready)
    settle(qtbot)
    assert w.today_page.figures is None
    w.today_action.trigger()  # Ctrl+1
    qtbot.waitUntil(lambda: w.today_page.figures is not None)
    assert w.today_page.owing.figure.text() == "2"


def test_a_tile_grows_to_show_every_line_of_its_detail(qtbot: QtBot) -> None:
    """The takings by method wrap to several lines at 150 % on a 1366-wide screen: the tile is
    as tall as its text, not cut off at the button's own height (seen under X11 before)."""
    from PySide6.QtWidgets import QGridLayout, QWidget

    from ispclient.ui.today_page import Tile

    holder = QWidget()
    grid = QGridLayout(holder)
    short, long = Tile("a", "Owe money"), Tile("b", "Taken today")
    grid.addWidget(short, 0, 0)
    grid.addWidget(long, 0, 1)
    qtbot.addWidget(holder)
    short.set("3", "KES 82,400.00 owed in all")
    long.set("KES 89,750.00", "\n".join(f"{m} KES {n},500.00" for m, n in (
        ("Cash", 23), ("Bank transfer", 21), ("Mobile money", 44), ("Cheque", 1))) + "\n2 voided, not counted")
    holder.resize(420, 100)  # narrower and shorter than the text needs
    holder.show()
    qtbot.waitExposed(holder)
    qtbot.waitUntil(lambda: long.detail.height() >= long.detail.heightForWidth(long.detail.width()))
    detail = long.detail.geometry()
    assert detail.bottom() < long.height()  # inside the tile, not clipped by it
    assert long.detail.height() >= long.detail.heightForWidth(long.detail.width()) > long.title.height() * 4
    assert long.height() == short.height()  # one row of the grid: the tiles stay even


def test_the_win_back_tile_shows_exactly_the_clients_it_counts(qtbot: QtBot, ctx: AppContext,
                                                               make: Factory) -> None:
    ids = _shop(make)  # Chen's subscription ended on Dec 31: within the 30 days
    old = make.package("Old", "900")
    make.subscription(ids["Dora"], old, date(2025, 9, 1))  # ended on Oct 1: expired, long ago
    w = _window(qtbot, ctx)
    page = w.today_page
    assert page.expired.figure.text() == "1"
    qtbot.mouseClick(page.expired, Qt.MouseButton.LeftButton)
    assert w.filters.status.currentText() == "Expired, last 30 days"
    assert _names(w) == ["Chen"]  # the tile's one client, not every expired one
    w.filters.status.setCurrentIndex(w.filters.status.findData(SubscriptionStatus.EXPIRED.value))
    assert _names(w) == ["Chen", "Dora"]
    w.filters.status.setCurrentIndex(w.filters.status.findText("Expired, last 30 days"))
    assert _names(w) == ["Chen"] and w.model.filter.ended_since == ctx.today() - timedelta(days=30)


def test_ctrl_p_and_esc_on_the_today_page_never_act_on_a_client_out_of_sight(
        qtbot: QtBot, ctx: AppContext, make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl+P / Ctrl+R on the Today page took money from the list's selected (or first) client,
    whom the person at the desk could not see; Esc cleared a search they could not see either."""
    from ispclient.ui.client import counter

    _shop(make)
    opened: list[int] = []
    monkeypatch.setattr(counter, "for_client", lambda _w, _ctx, client_id, _what: opened.append(client_id))
    w = _window(qtbot, ctx)
    w.filters.search.setText("Brian")
    qtbot.waitUntil(lambda: w.model.rowCount() == 1)
    w.show_today()
    w.select_client(w.model.client_id(0))
    w.activateWindow()
    w.today_page.setFocus()
    qtbot.keyClick(w.today_page, Qt.Key.Key_Escape)
    assert w.filters.search.text() == "Brian" and w.tabs.currentWidget() is w.today_page
    qtbot.keyClick(w.today_page, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert opened == []  # nobody's payment dialog
    assert w.tabs.currentWidget() is w.clients_page and w.filters.search.hasFocus()
    assert "Find the client, then press Ctrl+P again." in w.statusBar().currentMessage()
    qtbot.keyClick(w.filters.search, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # now in sight
    assert len(opened) == 1


def test_the_auto_renew_tile_lists_the_renewals_and_opens_their_clients(qtbot: QtBot, ctx: AppContext,
                                                                      make: Factory) -> None:
    """The tile counted auto-renew's renewals since midnight but opened Router sync; it lists
    them — whom to ask for the money — and Enter opens the client, to take the payment."""
    from ispclient.store import subscriptions as subs
    from ispclient.ui.renewals_window import Column as RenewalColumn
    from ispclient.ui.renewals_window import RenewalsWindow

    ids = _shop(make)
    pkg = make.package("Auto", "1200")
    make.subscription(ids["Dora"], pkg, date(2025, 12, 1), auto_renew=True)
    assert [s.client_id for s in subs.run_auto_renew(ctx.today())] == [ids["Dora"]]
    w = _window(qtbot, ctx)
    assert w.today_page.renewed.figure.text() == "1"
    qtbot.mouseClick(w.today_page.renewed, Qt.MouseButton.LeftButton)
    window = w._tool_windows["renewals"]
    assert isinstance(window, RenewalsWindow) and window.isVisible()
    qtbot.waitUntil(lambda: window.found is not None)
    m = window.model
    assert m.rowCount() == 1 and m.data(m.index(0, RenewalColumn.NAME)) == "Dora"
    assert m.data(m.index(0, RenewalColumn.PRICE)) == "KES 1,200.00"
    assert m.data(m.index(0, RenewalColumn.OWES)) == "KES 2,400.00"  # the first period, unpaid, and the renewal
    assert "1 of these clients owe" in window.summary.text()
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ids["Dora"] in w.client_windows)
    # A payment taken meanwhile (elsewhere): the window reads again, Dora owes less.
    from ispclient.store import money
    from ispclient.store.changes import Changes

    money.record_payment(ids["Dora"], money.PaymentInput("1200"))
    ctx.events.changed.emit(Changes(clients=frozenset({ids["Dora"]}), payments=True))
    qtbot.waitUntil(lambda: m.data(m.index(0, RenewalColumn.OWES)) == "KES 1,200.00")
