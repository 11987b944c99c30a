"""The set-up wizard driven end to end against a simulated router: a fresh folder ends with the
ISP's details, a router that tests OK, packages made from its PPP profiles and clients imported
from its PPP secrets. Also: skipping, resuming, the checks beside the fields, Help and F1."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ispclient.domain import localization
from ispclient.simulator import RouterSim
from ispclient.store import clients, queries, settings
from ispclient.store.models import Client, Package, Server
from ispclient.ui.context import AppContext
from ispclient.ui.help import GuideWindow
from ispclient.ui.main_window import MainWindow
from ispclient.ui.setup_wizard import DONE, SetupWizard, needs_setup, package_name
from tests.ui.conftest import ROUTER_PASSWORD, TODAY, settle


@pytest.fixture
def isp_router(router: RouterSim) -> RouterSim:
    """The ISP's router as it is before the app: profiles and PPP secrets, some in use."""
    for profile in ("home-10m", "biz-50m"):
        router.state.add(router.state.profiles, {"name": profile})
    router.add_secret("amina.w", password="Amina-pw-1", profile="home-10m", comment="C0101 Amina Wanjiru")
    router.add_secret("otieno", password="Otieno-pw-2", profile="biz-50m", comment="Brian Otieno")
    router.add_secret("shop.kisumu", password="Shop-pw-3", profile="home-10m", disabled=True)
    router.connect("amina.w")
    return router


def wizard_at(qtbot: QtBot, wizard: SetupWizard, page: int) -> None:
    qtbot.waitUntil(lambda: wizard.currentId() == page, timeout=8000)


def test_a_fresh_folder_is_set_up_end_to_end_against_the_router(
        qtbot: QtBot, ctx: AppContext, isp_router: RouterSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(localization, "system_locale", lambda: localization.Locale.parse("sw_KE"))
    assert needs_setup(ctx.settings(), has_clients=False, has_routers=False)
    wizard = SetupWizard(ctx)
    wizard.show()
    qtbot.waitExposed(wizard)

    # 1. The business; country, currency and time zone start from the PC's locale (Kenya here).
    isp = wizard.isp
    assert (isp.country.text(), isp.currency.text(), isp.timezone.text()) == ("KE", "KES", "Africa/Nairobi")
    wizard.next()  # refused: no name yet, said beside the field
    assert wizard.currentId() == 0
    assert "business name" in isp.fields.message("isp_name")
    isp.isp_name.setText("Lakeside Net Ltd")
    isp.isp_address.setPlainText("Oginga Odinga St, Kisumu")
    isp.isp_phone.setText("0712 345678")
    isp.isp_tax_number.setText("P051234567X")
    wizard.next()
    wizard_at(qtbot, wizard, 1)

    # 2. The router, tested through the op API.
    page = wizard.router
    page.name.setText("Kisumu core")
    page.host.setText("127.0.0.1")
    page.port.setValue(isp_router.port)
    page.username.setText("admin")
    page.password.setText(ROUTER_PASSWORD)
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.test_ok, timeout=8000)
    assert page.test_result.text().startswith("Connected to Test router, RouterOS")
    wizard.next()
    wizard_at(qtbot, wizard, 2)

    # 3. Packages from the router's PPP profiles.
    packages = wizard.packages
    qtbot.waitUntil(lambda: packages.table.rowCount() == 2, timeout=8000)
    assert [packages.table.item(r, 1).text() for r in range(2)] == ["home-10m", "biz-50m"]
    wizard.next()  # no prices yet: refused, with the rows' problems
    assert wizard.currentId() == 2
    assert "Home 10M: Enter the amount" in packages.fields.message("packages") or \
        "Home 10M:" in packages.fields.message("packages")
    packages.table.item(0, 3).setText("1500")
    packages.table.item(1, 2).setText("Business 50")
    packages.table.item(1, 3).setText("6500")
    wizard.next()
    wizard_at(qtbot, wizard, 3)

    # 4. Clients from the router's PPP secrets.
    people = wizard.clients
    qtbot.mouseClick(people.secrets_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "imported" in people.status.text(), timeout=10_000)
    assert people.status.text().startswith("3 client(s) imported")
    wizard.button(SetupWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=5000)
    settle(qtbot)

    s = settings.load()
    assert (s.isp_name, s.isp_address, s.isp_phone, s.isp_tax_number) == (
        "Lakeside Net Ltd", "Oginga Odinga St, Kisumu", "+254712345678", "P051234567X")
    assert (s.default_country, s.currency, s.timezone, s.setup_progress) == ("KE", "KES", "Africa/Nairobi", DONE)
    server = Server.get()
    assert (server.name, server.host, server.port) == ("Kisumu core", "127.0.0.1", isp_router.port)
    assert ctx.credentials.get(server.id) == ROUTER_PASSWORD  # in the keyring, not the database
    assert {(p.name, p.ppp_profile, p.price_minor) for p in Package.select()} == {
        ("Home 10M", "home-10m", 150_000), ("Business 50", "biz-50m", 650_000)}
    imported = {c.pppoe_username: c for c in Client.select()}
    assert set(imported) == {"amina.w", "otieno", "shop.kisumu"}
    assert imported["amina.w"].name == "Amina Wanjiru" and imported["amina.w"].server_id == server.id
    assert clients.pppoe_password(imported["otieno"].id) == "Otieno-pw-2"  # kept, encrypted
    assert not needs_setup(s, has_clients=True, has_routers=True)


def test_finish_later_resumes_at_the_step_reached(qtbot: QtBot, ctx: AppContext) -> None:
    wizard = SetupWizard(ctx)
    wizard.show()
    wizard.isp.isp_name.setText("Lakeside Net Ltd")
    wizard.next()
    wizard_at(qtbot, wizard, 1)
    wizard.reject()  # Finish later
    settle(qtbot)
    ctx.store.refresh_now()
    assert ctx.settings().setup_progress == "page:1"
    assert needs_setup(ctx.settings(), has_clients=True, has_routers=False)  # half-way: offered again
    again = SetupWizard(ctx)
    again.show()
    assert again.currentId() == 1 and again.isp.isp_name.text() == "Lakeside Net Ltd"
    again.done(0)


def test_a_router_that_does_not_answer_says_why_and_the_step_can_be_skipped(
        qtbot: QtBot, ctx: AppContext) -> None:
    wizard = SetupWizard(ctx)
    wizard.show()
    wizard.isp.isp_name.setText("Lakeside Net Ltd")
    wizard.next()
    wizard_at(qtbot, wizard, 1)
    page = wizard.router
    page.host.setText("not a host!")
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert page.test_result.text() == "Fix the fields marked in red first."
    assert page.fields.message("host") != ""
    page.name.setText("Nothing there")
    page.host.setText("127.0.0.1")
    page.port.setValue(1)  # nothing listens
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.test_result.text().startswith("Could not connect"), timeout=10_000)
    assert not page.test_ok
    page.name.setText("")
    page.host.setText("")
    wizard.next()  # no router for now: the step is skipped, nothing saved
    wizard_at(qtbot, wizard, 2)
    assert queries.catalog().servers == ()
    wizard.done(0)


def test_no_wizard_for_an_installation_in_use_or_one_that_skipped_it(ctx: AppContext) -> None:
    s = ctx.settings()
    assert not needs_setup(s, has_clients=True, has_routers=True)
    assert not needs_setup(replace(s, setup_progress="skipped"), has_clients=False, has_routers=False)
    assert needs_setup(replace(s, setup_progress="page:2"), has_clients=True, has_routers=True)
    assert package_name("home-10m") == "Home 10M" and package_name("biz_50m") == "Biz 50M"
    assert TODAY.year == 2026


def test_user_guide_opens_offline_and_f1_opens_the_page_for_the_window(qtbot: QtBot, ctx: AppContext) -> None:
    main = MainWindow(ctx)
    main.show()
    qtbot.waitExposed(main)
    main.guide_action.trigger()
    guide = next(w for w in QApplication.topLevelWidgets() if isinstance(w, GuideWindow) and w.isVisible())
    text = guide.browser.toPlainText()
    assert "set-up wizard" in text and "Why is a client offline?" in text
    assert guide.browser.source().isLocalFile()  # shipped with the app: no network
    assert main.guide_action.shortcut().toString() == "F1"
    guide.close()
    from ispclient.ui.servers_window import ServersWindow

    servers = ServersWindow(ctx, main)
    servers.show()
    qtbot.waitExposed(servers)
    servers.activateWindow()
    qtbot.waitUntil(servers.isActiveWindow, timeout=2000)
    qtbot.keyClick(servers, Qt.Key.Key_F1)
    guide = next(w for w in QApplication.topLevelWidgets() if isinstance(w, GuideWindow) and w.isVisible())
    shown = guide.browser.cursorForPosition(guide.browser.viewport().rect().topLeft()).block().text()
    assert "Routers (Servers)" in shown or guide.browser.verticalScrollBar().value() > 0
    main.close()


def test_a_fresh_installation_opens_the_wizard_once_the_list_is_empty(
        qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from ispclient.ui.application import offer_setup

    opened: list[AppContext] = []
    monkeypatch.setattr(SetupWizard, "ask", classmethod(lambda _cls, _parent, c: opened.append(c) or True))
    main = MainWindow(ctx)
    offer_setup(SimpleNamespace(window=main, ctx=ctx))  # type: ignore[arg-type]
    main.show()
    qtbot.waitUntil(lambda: main.list_ready)
    qtbot.waitUntil(lambda: bool(opened))
    assert opened == [ctx]
    main.reload()  # only once per start
    settle(qtbot)
    assert len(opened) == 1
    main.close()


def test_an_installation_with_clients_does_not_open_it(qtbot: QtBot, ctx: AppContext,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from ispclient.ui.application import offer_setup

    clients.create_client(clients.ClientInput("C00001", "Amina Wanjiru"))
    opened: list[AppContext] = []
    monkeypatch.setattr(SetupWizard, "ask", classmethod(lambda _cls, _parent, c: opened.append(c) or True))
    main = MainWindow(ctx)
    offer_setup(SimpleNamespace(window=main, ctx=ctx))  # type: ignore[arg-type]
    main.show()
    qtbot.waitUntil(lambda: main.list_ready)
    settle(qtbot)
    assert opened == []
    main.close()
