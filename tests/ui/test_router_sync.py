"""Router settings, the background queue runner and the router sync window, against a simulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from ispclient.simulator import RouterSim
from ispclient.store import router_queue, settings
from ispclient.store.models import Client, RouterChange
from ispclient.ui import msgbox
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.settings_dialog import SettingsDialog
from ispclient.ui.queue_runner import QueueRunner
from ispclient.ui.router_sync_window import RouterSyncWindow
from tests.ui.conftest import ROUTER_PASSWORD, Factory, settle

PPPOE_PASSWORD = "ui-pppoe-pw-7731"


@pytest.fixture
def managed(ctx: AppContext) -> None:
    settings.save(replace(settings.load(), manage_secrets=True))
    ctx.store.refresh_now()


def with_profiles(router: RouterSim) -> RouterSim:
    for name in ("home-10m", "expired"):
        router.state.add(router.state.profiles, {"name": name})
    return router


def client_on(make: Factory, router: RouterSim, username: str = "amina") -> tuple[int, int]:
    sid = make.servers[0] if make.servers else make.server(port=with_profiles(router).port)
    pkg = make.package(ppp_profile="home-10m")
    cid = make.client(pppoe_username=username, server_id=sid, pppoe_password=PPPOE_PASSWORD)
    make.subscription(cid, pkg, date(2026, 1, 1), paid="1500")
    return sid, cid


def run_once(qtbot: QtBot, runner: QueueRunner) -> Any:
    with qtbot.waitSignal(runner.finished, timeout=10_000) as blocker:
        assert runner.run_now()
    qtbot.waitUntil(lambda: not runner.running)
    return blocker.args[0]


def test_settings_dialog_saves_router_settings(qtbot: QtBot, ctx: AppContext,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda _p, _t, text, **_k: asked.append(text) or True)
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    assert not dialog.grace.isEnabled()  # off by default: nothing reaches a router
    dialog.manage.setChecked(True)
    dialog.grace.setValue(7)
    dialog.action.setCurrentIndex(dialog.action.findData("limit"))
    dialog.limit_profile.setText("slow-256k")
    assert dialog.limit_profile.isEnabled()
    assert dialog.try_save()  # counts what would change in the background, asks, then saves
    qtbot.waitUntil(lambda: dialog.result_id is not None, timeout=5000)
    saved = settings.load()
    assert (saved.manage_secrets, saved.grace_days, saved.expiry_action, saved.limit_profile) == (
        True, 7, "limit", "slow-256k")
    assert asked and "write to your routers" in asked[0]


def test_settings_dialog_keeps_management_off_when_not_confirmed(qtbot: QtBot, ctx: AppContext,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(msgbox, "confirm", lambda *_a, **_k: False)
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.manage.setChecked(True)
    dialog.try_save()
    qtbot.waitUntil(lambda: "Not turned on" in dialog.fields.message("manage_secrets"), timeout=5000)
    assert dialog.result_id is None
    assert settings.load().manage_secrets is False


def test_settings_dialog_shows_a_bad_limit_profile(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.manage.setChecked(True)
    dialog.action.setCurrentIndex(dialog.action.findData("limit"))
    dialog.limit_profile.setText("")
    assert not dialog.try_save()
    assert dialog.fields.message("limit_profile")


def test_queue_runner_applies_changes_in_the_background(qtbot: QtBot, ctx: AppContext, make: Factory,
                                                        router: RouterSim, managed: None) -> None:
    client_on(make, router)
    runner = QueueRunner(ctx)
    summary = run_once(qtbot, runner)
    assert (summary.applied, summary.pending, summary.failed) == (1, 0, 0)
    secret = router.secret("amina")
    assert secret is not None and secret["profile"] == "home-10m" and secret["password"] == PPPOE_PASSWORD


def test_sync_window_shows_pending_changes_and_retries(qtbot: QtBot, ctx: AppContext, make: Factory,
                                                       router: RouterSim, managed: None,
                                                       qtmodeltester: Any) -> None:
    _, cid = client_on(make, router)
    router.stop()
    runner = QueueRunner(ctx)
    assert run_once(qtbot, runner).pending == 1
    window = RouterSyncWindow(ctx, runner)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1)
    qtmodeltester.check(window.queue_model)
    change = window.queue_model.rows[0]
    assert change.client_id == cid and change.status == "pending" and "refused" in change.last_error
    router.start()
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        window.retry.click()
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 0)
    assert router.secret("amina") is not None
    window.show_finished.setChecked(True)
    qtbot.waitUntil(lambda: [c.status for c in window.queue_model.rows][-1:] == [router_queue.DONE])


def test_sync_window_reconciles_and_imports(qtbot: QtBot, ctx: AppContext, make: Factory, router: RouterSim,
                                            managed: None, monkeypatch: pytest.MonkeyPatch,
                                            qtmodeltester: Any) -> None:
    monkeypatch.setattr(msgbox, "confirm", lambda *_a, **_k: True)
    client_on(make, router)
    runner = QueueRunner(ctx)
    run_once(qtbot, runner)
    router.state.set(router.state.secrets, router.secret("amina")[".id"], {"disabled": "yes"})  # type: ignore[index]
    router.add_secret("walkin", "pw-walkin-1", profile="home-10m", comment="C00900 Walk In")
    window = RouterSyncWindow(ctx, runner)
    qtbot.addWidget(window)

    window.check.click()
    qtbot.waitUntil(lambda: window.diff_model.rowCount() == 2, timeout=5000)
    qtmodeltester.check(window.diff_model)
    assert {d.kind.value for d in window.diff_model.rows} == {"disabled", "extra"}
    window.diff_view.selectRow([d.kind.value for d in window.diff_model.rows].index("disabled"))
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        window.fix_router.click()
    qtbot.waitUntil(lambda: not runner.running)
    assert router.secret("amina")["disabled"] == "false"  # type: ignore[index]
    assert [d.kind.value for d in window.diff_model.rows] == ["extra"]

    window.fetch_import.click()
    qtbot.waitUntil(lambda: window.import_model.rowCount() == 1, timeout=5000)
    qtmodeltester.check(window.import_model)
    assert window.import_model.rows[0].client_code == "C00900"
    before = Client.select().count()
    with qtbot.waitSignal(ctx.events.changed):
        window.do_import.click()
    assert Client.select().count() == before + 1
    qtbot.waitUntil(lambda: window.import_model.rowCount() == 0)
    assert Client.get(Client.pppoe_username == "walkin").name == "Walk In"
    assert window.import_model.rowCount() == 0


def test_a_stale_router_answer_is_dropped(qtbot: QtBot, ctx: AppContext, make: Factory, router: RouterSim,
                                          managed: None) -> None:
    client_on(make, router)
    make.server("Second router", port=1, password=ROUTER_PASSWORD)
    router.latency_ms = 300  # the answer comes after the user moved on
    window = RouterSyncWindow(ctx)
    qtbot.addWidget(window)
    window.server.setCurrentIndex(window.server.findData(make.servers[0]))
    window.check.click()
    window.server.setCurrentIndex(window.server.findData(make.servers[1]))
    settle(qtbot)
    assert window.diff_model.rowCount() == 0 and window.status.text().startswith("Reading")
    assert RouterChange.select().count() >= 1
