"""Servers and Packages windows: list, add, edit, remove (with the keyring secret), refusals."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ispclient.store import catalog, clients
from ispclient.store.models import Server
from ispclient.ui import msgbox
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.package_dialog import PackageDialog
from ispclient.ui.dialogs.server_dialog import ServerDialog
from ispclient.ui.packages_window import Column as PackageColumn
from ispclient.ui.packages_window import PackagesModel, PackagesWindow
from ispclient.ui.servers_window import Column as ServerColumn
from ispclient.ui.servers_window import ServersModel, ServersWindow, load_rows
from tests.ui.conftest import settle
from tests.ui.test_client_window import clipped, dark_palette, drive

TODAY = date(2026, 1, 15)  # the `today` fixture of tests/ui/conftest.py pins this date


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $ISPCLIENT_SHOTS to keep and look at them, else the test's tmp dir."""
    folder = Path(os.environ.get("ISPCLIENT_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def servers(ctx: AppContext) -> tuple[int, int]:
    north = catalog.create_server(catalog.ServerInput(name="North tower", host="10.0.0.1"))
    south = catalog.create_server(catalog.ServerInput(name="South hill", host="10.0.1.1", port=8729, tls=True))
    ctx.credentials.set(north.id, "north-pw")
    ctx.credentials.set(south.id, "south-pw")
    ctx.store.refresh_now()
    return int(north.id), int(south.id)


def texts(model: Any, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def open_servers(qtbot: QtBot, ctx: AppContext) -> ServersWindow:
    w = ServersWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    settle(qtbot)  # its rows are read in the background
    return w


def test_servers_window_lists_servers(qtbot: QtBot, ctx: AppContext, servers: tuple[int, int]) -> None:
    clients.create_client(clients.ClientInput("C00001", "Amina", pppoe_username="amina", server_id=servers[0]))
    w = open_servers(qtbot, ctx)
    m = w.model
    assert texts(m, ServerColumn.NAME) == ["North tower", "South hill"]
    assert texts(m, ServerColumn.ADDRESS) == ["10.0.0.1:8728", "10.0.1.1:8729"]
    assert texts(m, ServerColumn.TLS) == ["No", "Yes"]
    assert texts(m, ServerColumn.PASSWORD) == ["Saved", "Saved"]
    assert texts(m, ServerColumn.CLIENTS) == ["1", "0"]


def test_add_server_through_the_dialog(qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_servers(qtbot, ctx)
    assert not w.edit_button.isEnabled() and w.edit_button.toolTip() == "No servers yet."

    def as_user(dlg: ServerDialog) -> None:
        qtbot.keyClicks(dlg.name, "East ridge")
        qtbot.keyClicks(dlg.host, "192.168.88.1")
        qtbot.keyClicks(dlg.password, "east-pw")
        dlg.fields.validate_now()
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, ServerDialog, as_user)
    qtbot.mouseClick(w.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: texts(w.model, ServerColumn.NAME) == ["East ridge"])
    assert w.selected_id() is not None
    assert ctx.credentials.get(w.selected_id()) == "east-pw"


def test_remove_server_forgets_its_password(qtbot: QtBot, ctx: AppContext, servers: tuple[int, int],
                                            memory_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    north, south = servers
    w = open_servers(qtbot, ctx)
    w.table.selectRow(w.model.row_of(south))
    asked: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda _p, _t, text, **_kw: asked.append(text) or True)
    with qtbot.waitSignal(ctx.store.catalog_changed):
        qtbot.mouseClick(w.remove_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert asked == ["Remove “South hill” (10.0.1.1:8729) and forget its API password?"]
    assert Server.get_or_none(Server.id == south) is None
    assert ctx.credentials.get(south) is None and "south-pw" not in memory_keyring.store.values()
    assert ctx.credentials.get(north) == "north-pw"
    assert texts(w.model, ServerColumn.NAME) == ["North tower"]


def test_remove_server_with_clients_is_refused_and_keeps_the_password(
        qtbot: QtBot, ctx: AppContext, servers: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    north, _ = servers
    clients.create_client(clients.ClientInput("C00001", "Amina", server_id=north))
    w = open_servers(qtbot, ctx)
    w.table.selectRow(w.model.row_of(north))
    assert not w.remove_button.isEnabled()
    assert w.remove_button.toolTip() == "“North tower” still has 1 client(s). Move them to another server first."
    # The Delete key still answers, with the store's refusal.
    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(msgbox, "confirm", lambda *_a, **_kw: True)
    monkeypatch.setattr(msgbox, "error", lambda _p, title, text: errors.append((title, text)))
    w.remove()
    settle(qtbot)
    assert errors == [("Unable to remove server",
                       "“North tower” still has 1 client(s). Move them to another router first.")]
    assert Server.get_or_none(Server.id == north) is not None
    assert ctx.credentials.get(north) == "north-pw"


def test_packages_window_lists_adds_and_shows_off_sale(qtbot: QtBot, ctx: AppContext,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    catalog.create_package(catalog.PackageInput("Home 10 Mbps", "1500", 30, ppp_profile="10M"))
    old = catalog.create_package(catalog.PackageInput("Legacy 2 Mbps", "500", 30, active=False))
    ctx.store.refresh_now()
    w = PackagesWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    m = w.model
    assert texts(m, PackageColumn.NAME) == ["Home 10 Mbps", "Legacy 2 Mbps"]
    assert texts(m, PackageColumn.PRICE) == ["USD 1,500.00", "USD 500.00"]
    assert texts(m, PackageColumn.VALIDITY) == ["30 days", "30 days"]
    assert texts(m, PackageColumn.ON_SALE) == ["Yes", "No"]
    assert "Not on sale" in m.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    w.show_inactive.setChecked(False)
    assert texts(m, PackageColumn.NAME) == ["Home 10 Mbps"]
    w.show_inactive.setChecked(True)

    def as_user(dlg: PackageDialog) -> None:
        qtbot.keyClicks(dlg.name, "Week 5 Mbps")
        qtbot.keyClicks(dlg.price, "400")
        dlg.validity.setValue(7)
        dlg.fields.validate_now()
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, PackageDialog, as_user)
    qtbot.mouseClick(w.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Week 5 Mbps" in texts(m, PackageColumn.NAME))
    assert m.row_at(m.row_of(w.selected_id())).name == "Week 5 Mbps"

    # Re-activating an old package from the list.
    w.table.selectRow(m.row_of(old.id))

    def reactivate(dlg: PackageDialog) -> None:
        dlg.active.setChecked(True)
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, PackageDialog, reactivate)
    qtbot.mouseClick(w.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: m.index(m.row_of(old.id), PackageColumn.ON_SALE).data() == "Yes")


def test_catalog_models_pass_qtmodeltester(qtmodeltester: Any, ctx: AppContext, servers: tuple[int, int]) -> None:
    catalog.create_package(catalog.PackageInput("Home 10 Mbps", "1500", 30, description="Line one\nline two"))
    s = ServersModel()
    s.set_rows(load_rows(ctx.catalog().servers, ctx.credentials))
    qtmodeltester.check(s)
    p = PackagesModel()
    from ispclient.store import queries

    p.set_rows(queries.packages(), "USD")
    qtmodeltester.check(p)
    qtmodeltester.check(ServersModel())
    qtmodeltester.check(PackagesModel())


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_catalog_windows_render_without_clipping(qtbot: QtBot, ctx: AppContext, servers: tuple[int, int],
                                                 scheme: str, shots: Path) -> None:
    catalog.create_package(catalog.PackageInput("Home 10 Mbps", "1500", 30, description="Unlimited"))
    catalog.create_package(catalog.PackageInput("Legacy 2 Mbps", "500", 30, active=False))
    ctx.store.refresh_now()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if scheme == "dark":
        app.setPalette(dark_palette())
    try:
        for w, name in ((ServersWindow(ctx), "servers"), (PackagesWindow(ctx), "packages")):
            qtbot.addWidget(w)
            w.show()
            qtbot.waitExposed(w)
            assert w.grab().save(str(shots / f"window-{name}-{scheme}.png"))
            assert clipped(w) == []
    finally:
        app.setPalette(old)
