"""The client window's router lines: the PPPoE password masked with a reveal button, and
"pending on router since …" while a change waits for an unreachable router."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pytestqt.qtbot import QtBot

from ispclient.store import settings
from ispclient.ui.client.overview import MASK
from ispclient.ui.context import AppContext

from .conftest import Factory
from .test_client_window import open_window


def test_password_is_masked_until_revealed(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    server = make.server()
    client = make.client(pppoe_username="amina", server_id=server, pppoe_password="Kisumu-2026")
    overview = open_window(qtbot, ctx, client).overview
    assert overview.connection.value("pppoe_username") == "amina"
    assert overview.password_value.text() == MASK
    assert not overview.connection.label("pppoe_password").isHidden()
    overview.reveal.click()
    qtbot.waitUntil(lambda: overview.password_value.text() == "Kisumu-2026")  # decrypted in the background
    overview.reveal.click()
    assert overview.password_value.text() == MASK


def test_no_password_row_without_a_password(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    client = make.client(pppoe_username="bob", server_id=make.server())
    overview = open_window(qtbot, ctx, client).overview
    assert overview.connection.label("pppoe_password").isHidden()


def test_pending_change_is_shown(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    settings.save(replace(settings.load(), manage_secrets=True))
    server = make.server(port=1)  # nothing listens: the change stays queued
    client = make.client(pppoe_username="amina", server_id=server, pppoe_password="Kisumu-2026")
    make.subscription(client, make.package(), date(2026, 1, 10))
    overview = open_window(qtbot, ctx, client).overview
    text = overview.connection.value("router_sync")
    assert text.startswith("Pending on router since")
    assert not overview.connection.label("router_sync").isHidden()


def test_nothing_pending_hides_the_line(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    client = make.client(pppoe_username="amina", server_id=make.server())
    overview = open_window(qtbot, ctx, client).overview
    assert overview.connection.label("router_sync").isHidden()
