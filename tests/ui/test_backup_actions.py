"""Backups from the app's menu, as the front desk uses them: back up now, restore a backup (the
app restarts on it), check the database, and the offer to restore when the data is refused."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import peewee
import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ispclient import store
from ispclient.paths import AppPaths
from ispclient.store import backup, clients, integrity, schema
from ispclient.store.instance_lock import InstanceLock
from ispclient.store.models import Client
from ispclient.ui import backup_actions, msgbox, ops
from ispclient.ui.backup_actions import BackupActions, RestoreDialog

from .conftest import Factory, settle


class Boxes:
    """Every message box the user would have seen, answered as the test says."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.confirm_answer = True
        self.choose_answer: str | None = None
        monkeypatch.setattr(msgbox, "info", lambda _p, title, text: self.shown.append(("info", title, text)))
        monkeypatch.setattr(msgbox, "error", lambda _p, title, text: self.shown.append(("error", title, text)))
        monkeypatch.setattr(msgbox, "confirm", self._confirm)
        monkeypatch.setattr(msgbox, "choose", self._choose)

    def _confirm(self, _p: object, title: str, text: str, **_kw: object) -> bool:
        self.shown.append(("confirm", title, text))
        return self.confirm_answer

    def _choose(self, _p: object, title: str, text: str, choices: list[str], **_kw: object) -> str | None:
        self.shown.append(("choose", title, text))
        return self.choose_answer


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> Boxes:
    return Boxes(monkeypatch)


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    w = QWidget()
    qtbot.addWidget(w)
    return w


@pytest.fixture
def restarts() -> list[str]:
    return []


@pytest.fixture
def actions(window: QWidget, app_paths: AppPaths, db: peewee.Database, restarts: list[str]) -> BackupActions:
    return BackupActions(window, app_paths, restart=lambda: restarts.append("restart"))


def wait_idle(qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: ops.in_flight() == 0, timeout=10_000)


def some_clients(make: Factory, n: int = 3) -> None:
    for i in range(n):
        make.client(name=f"Client {i}")


def test_back_up_now_saves_a_backup_and_says_where(qtbot: QtBot, actions: BackupActions, make: Factory,
                                                   boxes: Boxes, app_paths: AppPaths) -> None:
    some_clients(make)
    actions.back_up_action.trigger()
    qtbot.waitUntil(lambda: bool(boxes.shown), timeout=10_000)
    [info] = backup.list_backups(app_paths.backup_dir)
    assert boxes.shown == [("info", "Backup saved", f"The data was backed up to:\n{info.path}\n"
                                                    f"({backup.size_text(info.size)})")]
    assert integrity.check_file(info.path).ok
    wait_idle(qtbot)
    assert actions.back_up_action.isEnabled()


def test_restore_dialog_lists_backups_newest_first_with_dates_and_sizes(qtbot: QtBot, tmp_path: Path) -> None:
    for name in ("ispclient-auto-20260110-080000.sqlite3", "ispclient-manual-20260112-174500.sqlite3"):
        (tmp_path / name).write_bytes(b"x" * 1_500_000)
    dialog = RestoreDialog(None, backup.list_backups(tmp_path))
    qtbot.addWidget(dialog)
    rows = [[dialog.list.topLevelItem(i).text(c) for c in range(3)]  # type: ignore[union-attr]
            for i in range(dialog.list.topLevelItemCount())]
    assert rows == [["Mon 12 Jan 2026 17:45", "Manual", "1.5 MB"], ["Sat 10 Jan 2026 08:00", "Daily", "1.5 MB"]]
    assert dialog.chosen() == tmp_path / "ispclient-manual-20260112-174500.sqlite3"  # newest preselected
    assert dialog.ok.isEnabled()
    empty = RestoreDialog(None, [])
    qtbot.addWidget(empty)
    assert not empty.ok.isEnabled() and empty.chosen() is None


def test_restore_puts_the_backup_back_and_restarts(qtbot: QtBot, actions: BackupActions, make: Factory,
                                                   boxes: Boxes, app_paths: AppPaths, restarts: list[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    some_clients(make)
    saved = backup.create_backup(app_paths.database, app_paths.backup_dir)
    clients.create_client(clients.ClientInput(client_code="LATE1", name="Added after the backup"))
    lock = InstanceLock(app_paths.data_dir).acquire()
    actions.lock = lock
    monkeypatch.setattr(RestoreDialog, "ask", classmethod(lambda cls, parent, backups: backups[0].path))

    actions.restore_action.trigger()
    qtbot.waitUntil(lambda: restarts == ["restart"], timeout=10_000)
    assert [kind for kind, _t, _x in boxes.shown] == ["confirm"]
    assert saved.path.name in boxes.shown[0][2] and "kept as a copy" in boxes.shown[0][2]
    assert not lock.held  # handed over to the restarted app
    store.open_database(app_paths.database, app_paths.backup_dir)  # what the restarted app does
    assert Client.select().count() == 3
    assert not Client.select().where(Client.client_code == "LATE1").exists()
    assert any(b.kind == "before-restore" for b in backup.list_backups(app_paths.backup_dir))


def test_a_damaged_backup_is_refused_and_the_app_carries_on(qtbot: QtBot, actions: BackupActions, make: Factory,
                                                            boxes: Boxes, app_paths: AppPaths, restarts: list[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    some_clients(make)
    bad = app_paths.backup_dir / "ispclient-manual-20260101-090000.sqlite3"
    bad.write_bytes(b"this is not a database" * 500)
    monkeypatch.setattr(RestoreDialog, "ask", classmethod(lambda cls, parent, backups: bad))
    actions.restore_action.trigger()
    qtbot.waitUntil(lambda: len(boxes.shown) == 2, timeout=10_000)
    kind, title, text = boxes.shown[1]
    assert (kind, title) == ("error", "The backup can't be restored") and "is damaged" in text
    assert restarts == []
    assert Client.select().count() == 3  # still working on the data as it was


def test_cancelling_changes_nothing(qtbot: QtBot, actions: BackupActions, make: Factory, boxes: Boxes,
                                    app_paths: AppPaths, restarts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    some_clients(make)
    backup.create_backup(app_paths.database, app_paths.backup_dir)
    monkeypatch.setattr(RestoreDialog, "ask", classmethod(lambda cls, parent, backups: backups[0].path))
    boxes.confirm_answer = False
    actions.restore_action.trigger()
    wait_idle(qtbot)
    assert restarts == [] and len(backup.list_backups(app_paths.backup_dir)) == 1


def test_check_database_reports_in_plain_words(qtbot: QtBot, actions: BackupActions, make: Factory,
                                               boxes: Boxes) -> None:
    some_clients(make)
    actions.check_action.trigger()
    qtbot.waitUntil(lambda: bool(boxes.shown), timeout=10_000)
    [(kind, title, text)] = boxes.shown
    assert (kind, title) == ("info", "Database check") and "no problems found" in text


def test_check_finding_damage_offers_a_restore(qtbot: QtBot, actions: BackupActions, boxes: Boxes,
                                               app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(integrity, "check_file", lambda path, full=True: integrity.CheckResult(
        False, ("Page 7: btree page type invalid",), 0.1, True))
    actions.check_action.trigger()
    qtbot.waitUntil(lambda: bool(boxes.shown), timeout=10_000)
    [(kind, title, text)] = boxes.shown
    assert (kind, title) == ("choose", "The database is damaged")
    assert "Page 7" in text and "No good backup was found" in text
    assert integrity.needs_check(app_paths.database) is not None  # next start checks it before use


def test_daily_backup_at_start_up_reports_in_the_status_bar(qtbot: QtBot, actions: BackupActions,
                                                            make: Factory) -> None:
    some_clients(make)
    with qtbot.waitSignal(actions.status_message, timeout=10_000) as said:
        assert actions.start_automatic_backup() is not None
    assert said.args[0].startswith("Daily backup saved")
    later: list[str] = []
    actions.status_message.connect(later.append)
    actions.start_automatic_backup()
    settle(qtbot)
    assert later == []  # once a day


def test_on_postgresql_the_actions_say_where_backups_are(window: QWidget, app_paths: AppPaths) -> None:
    on_pg = BackupActions(window, app_paths, db_url="postgresql://desk@server/isp")
    for action in on_pg.actions:
        assert not action.isEnabled() and "pg_dump" in action.toolTip()
    assert on_pg.start_automatic_backup() is None  # nothing to copy: not even started


def test_refused_data_at_start_up_can_be_restored_from_the_offer(qtbot: QtBot, app_paths: AppPaths, boxes: Boxes,
                                                                 tmp_path: Path) -> None:
    database = store.open_database(app_paths.database, app_paths.backup_dir)
    clients.create_client(clients.ClientInput(client_code="C1", name="Amina Wanjiru"))
    saved = backup.create_backup(app_paths.database, app_paths.backup_dir, now=datetime(2026, 1, 14, 8))
    schema.SchemaVersion.update(version=schema.CURRENT_VERSION + 1).execute()
    store.close_database()
    with pytest.raises(schema.SchemaError) as refused:
        store.open_database(app_paths.database, app_paths.backup_dir)
    boxes.choose_answer = "Restore this backup"
    assert backup_actions.offer_restore(None, refused.value, app_paths)
    assert boxes.shown[0][1] == "The data can't be opened" and str(saved.path) in boxes.shown[0][2]
    database = store.open_database(app_paths.database, app_paths.backup_dir)
    assert schema.version(database) == schema.CURRENT_VERSION and Client.select().count() == 1
    store.close_database()
    boxes.choose_answer = None  # "Quit"
    assert not backup_actions.offer_restore(None, refused.value, app_paths)


def test_restart_runs_the_same_program_with_the_same_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/opt/ispclient/ispclient", "--data-dir", "D:/isp"])
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert backup_actions.restart_command() == (sys.executable, ["--data-dir", "D:/isp"])
    monkeypatch.setattr(sys, "frozen", False)
    assert backup_actions.restart_command() == (sys.executable, ["-m", "ispclient", "--data-dir", "D:/isp"])


def test_the_daily_backup_waits_until_the_app_has_started(qtbot: QtBot, actions: BackupActions, make: Factory,
                                                          app_paths: AppPaths) -> None:
    some_clients(make)
    actions.schedule_automatic_backup(delay_ms=200)
    assert backup.list_backups(app_paths.backup_dir) == []  # not during start-up…
    with qtbot.waitSignal(actions.status_message, timeout=10_000):
        pass
    assert [b.kind for b in backup.list_backups(app_paths.backup_dir)] == ["auto"]  # …but soon after
