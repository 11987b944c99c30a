"""What a front-desk user sees of the shared-database hardening: the client form refusing a
stale save (who changed what) or a client deleted elsewhere, the PPPoE key dialog moving the key,
the first-start import offer, and Settings ▸ Database testing a connection in the background."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ispclient.store import clients, dbconfig, queries, secrets
from ispclient.store.models import Client
from ispclient.store.queries import ClientInfo
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs import pppoe_key_dialog
from ispclient.ui.dialogs.client_dialog import ClientDialog
from ispclient.ui.dialogs.database_dialog import DatabaseDialog
from ispclient.ui.dialogs.pppoe_key_dialog import PppoeKeyDialog, offer_import
from tests.conftest import MemoryKeyring
from tests.ui.conftest import Factory


def _info(client_id: int) -> ClientInfo:
    return queries.client_detail(client_id, date(2026, 1, 15)).client


def _save(qtbot: QtBot, dlg: object) -> None:
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not dlg.saving, timeout=10_000)  # type: ignore[attr-defined]


def _show(qtbot: QtBot, dlg: object) -> object:
    qtbot.addWidget(dlg, before_close_func=lambda d: setattr(getattr(d, "fields", d), "dirty", False))  # type: ignore[arg-type]
    dlg.show()  # type: ignore[attr-defined]
    qtbot.waitExposed(dlg)  # type: ignore[arg-type]
    return dlg


def test_a_save_from_a_stale_form_is_refused_saying_who_changed_what(qtbot: QtBot, ctx: AppContext,
                                                                     make: Factory) -> None:
    cid = make.client("Amina Wanjiru")
    dlg = _show(qtbot, ClientDialog(ctx, _info(cid)))
    assert isinstance(dlg, ClientDialog)
    # Meanwhile another PC saves a new phone number.
    clients.edit_client(cid, clients.ClientInput("C00001", "Amina Wanjiru", phone="+254712345678"), actor="amina",
                        expected_version=1)
    dlg.name.setText("Amina W. Otieno")
    dlg.fields.validate_now()
    _save(qtbot, dlg)
    assert dlg.isVisible()  # nothing typed is lost
    text = dlg.general.text()
    assert text.startswith("This client was changed on another PC at ") and "by amina — reload and try again" in text
    assert "phone: (empty) → “+254712345678”" in text
    client = Client.get_by_id(cid)
    assert (client.name, client.phone) == ("Amina Wanjiru", "+254712345678")


def test_saving_a_client_another_pc_deleted_says_so(qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    cid = make.client()
    dlg = _show(qtbot, ClientDialog(ctx, _info(cid)))
    assert isinstance(dlg, ClientDialog)
    clients.delete_client(cid, actor="amina")
    dlg.name.setText("Renamed")
    dlg.fields.validate_now()
    _save(qtbot, dlg)
    assert "was deleted on another PC at" in dlg.general.text() and "by amina" in dlg.general.text()


def test_the_key_moves_to_a_second_pc_through_the_dialog(qtbot: QtBot, ctx: AppContext, make: Factory,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = make.server()
    cid = make.client(pppoe_username="amina", server_id=sid, pppoe_password="Pppoe-Secret-77")
    key_file = tmp_path / "pppoe.key"
    infos: list[str] = []
    monkeypatch.setattr(msgbox, "info", lambda parent, title, text: infos.append(text))
    monkeypatch.setattr(msgbox, "error", lambda parent, title, text: infos.append("ERROR " + text))
    monkeypatch.setattr(pppoe_key_dialog, "ask_file", lambda parent, save: str(key_file))
    monkeypatch.setattr(pppoe_key_dialog, "ask_passphrase", lambda parent, prompt: "front desk 2026")
    dlg = _show(qtbot, PppoeKeyDialog())
    assert isinstance(dlg, PppoeKeyDialog)
    qtbot.waitUntil(lambda: "this PC has the key" in dlg.status.text(), timeout=5000)
    dlg.export_key()
    qtbot.waitUntil(lambda: bool(infos), timeout=10000)
    assert infos[-1].startswith("The key is in") and key_file.exists()
    keyring.set_keyring(MemoryKeyring())  # the second PC
    dlg.refresh()
    qtbot.waitUntil(lambda: "the key is on another PC" in dlg.status.text(), timeout=5000)
    dlg.import_key()
    qtbot.waitUntil(lambda: len(infos) == 2, timeout=10000)
    assert "saved in this PC's keyring" in infos[-1]
    qtbot.waitUntil(lambda: "this PC has the key" in dlg.status.text(), timeout=5000)
    assert clients.pppoe_password(cid) == "Pppoe-Secret-77"


def test_a_second_pc_is_offered_the_import_at_start(qtbot: QtBot, ctx: AppContext, make: Factory,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    make.client(pppoe_username="amina", server_id=make.server(), pppoe_password="Pppoe-Secret-77")
    asked: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda parent, title, text, ok_text="OK": asked.append(text) or False)
    offer_import(None)  # this PC has the key: nothing to offer
    qtbot.waitUntil(lambda: ops.in_flight() == 0, timeout=5000)
    assert asked == []
    keyring.set_keyring(MemoryKeyring())
    offer_import(None)
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert len(asked) == 1 and "doesn't have the key" in asked[0] and "Import it now?" in asked[0]
    assert secrets.import_offered()


def test_database_settings_test_the_connection_in_the_background(qtbot: QtBot, ctx: AppContext,
                                                                 memory_keyring: MemoryKeyring,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.store.conftest import PG_URL

    if not PG_URL:
        pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
    config, password = dbconfig.parse_url(PG_URL)
    dlg = _show(qtbot, DatabaseDialog(ctx))
    assert isinstance(dlg, DatabaseDialog)
    dlg.host.setText(config.host)
    dlg.port.setValue(config.port)
    dlg.database.setText(config.database)
    dlg.user.setText(config.user)
    dlg.password.setText("not the password")
    dlg.test_connection()
    assert dlg.test_result.text() == "Connecting…"  # the window did not wait
    qtbot.waitUntil(lambda: dlg.test_result.text().startswith("✘"), timeout=15000)
    assert "refused the password" in dlg.test_result.text()
    dlg.password.setText(password or "")
    dlg.test_connection()
    qtbot.waitUntil(lambda: dlg.test_result.text().startswith("✔"), timeout=15000)
    assert "Connected" in dlg.test_result.text()
    shown: list[str] = []
    monkeypatch.setattr(msgbox, "info", lambda parent, title, text: shown.append(text))
    dlg.fields.validate_now()
    _save(qtbot, dlg)
    assert shown and "next start" in shown[0]
    saved = dbconfig.load(ctx.paths.config_dir)
    assert saved is not None and saved.host == config.host
    assert password not in (ctx.paths.config_dir / dbconfig.CONFIG_NAME).read_text(encoding="utf-8")
    assert dbconfig.saved_password(saved) == password
