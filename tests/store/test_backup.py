"""Backups: consistent copies, daily and on demand, rotated; restore checks the backup, keeps the
current data, and brings back every record — migrating a backup of an older schema."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import peewee
import pytest

from ispclient import cli_db, paths, store
from ispclient.store import backup, clients, integrity, schema, transfer
from ispclient.store.instance_lock import InstanceLock
from ispclient.store.models import Client, SchemaVersion

from .conftest import Factory


def populate(n: int = 40) -> None:
    """Clients, subscriptions and payments through the real services."""
    make = Factory()
    server, package = make.server(), make.package()
    for i in range(n):
        cid = make.client(name=f"Client {i} Wanjiru", pppoe_username=f"user{i}", server_id=server)
        make.subscription(cid, package, date(2026, 1, 1), payment=_payment())


def _payment() -> object:
    from ispclient.store.subscriptions import PaymentInput

    return PaymentInput("1500", reference="M-PESA QX1")


def damage(path: Path) -> None:
    """Overwrite a page in the middle of a closed database file, as failing disks do."""
    time.sleep(0.05)  # damage comes later than the last clean close (mtime ticks can be coarse)
    size = path.stat().st_size
    page = int.from_bytes(path.read_bytes()[16:18], "big")
    with path.open("r+b") as f:
        f.seek((size // page // 2) * page)
        f.write(b"\xde\xad\xbe\xef" * (page // 4))


@pytest.fixture
def app_paths(tmp_path: Path) -> Iterator[paths.AppPaths]:
    p = paths.under(tmp_path / "data").ensure()
    yield p
    store.close_database()


def open_app(p: paths.AppPaths) -> peewee.Database:
    return store.open_database(p.database, backup_dir=p.backup_dir)


# --- rotation ----------------------------------------------------------------------------------


def test_rotation_keeps_7_daily_4_weekly_12_monthly() -> None:
    end = date(2026, 1, 15)
    stamps = [datetime(d.year, d.month, d.day, 9) for d in (end - timedelta(days=n) for n in range(730))]
    stamps.append(datetime(2026, 1, 15, 18))  # a manual one later that day: the day's newest
    kept = backup.kept(stamps, now=datetime(2026, 1, 16, 10))
    daily = {datetime(2026, 1, 15, 18)} | {datetime(2026, 1, d, 9) for d in range(9, 15)}
    weekly = {datetime(2026, 1, 15, 18), datetime(2026, 1, 11, 9), datetime(2026, 1, 4, 9), datetime(2025, 12, 28, 9)}
    month_ends = [date(2025, m + 1, 1) - timedelta(days=1) for m in range(2, 12)] + [date(2025, 12, 31)]
    monthly = {datetime(2026, 1, 15, 18)} | {datetime(d.year, d.month, d.day, 9) for d in month_ends}
    assert kept == daily | weekly | monthly
    assert len(kept) == 20


def test_rotation_never_throws_away_the_last_backups_after_a_long_gap() -> None:
    # The PC was off for months: the three backups there are stay, whatever their age.
    stamps = [datetime(2024, 3, 1, 9), datetime(2024, 3, 2, 9), datetime(2024, 3, 2, 17)]
    assert backup.kept(stamps, now=datetime(2026, 1, 15)) == {datetime(2024, 3, 1, 9), datetime(2024, 3, 2, 17)}


def test_rotation_keeps_every_backup_of_the_last_24_hours() -> None:
    # This morning's daily copy survives a "Back up now" after a mistake at noon.
    stamps = [datetime(2026, 1, 15, 8), datetime(2026, 1, 15, 12), datetime(2026, 1, 14, 8), datetime(2026, 1, 14, 9)]
    assert backup.kept(stamps, now=datetime(2026, 1, 15, 13)) == set(stamps) - {datetime(2026, 1, 14, 8)}


def test_rotate_deletes_only_its_own_backups(tmp_path: Path) -> None:
    for n in range(20):
        (tmp_path / f"ispclient-auto-202601{n + 1:02d}-090000.sqlite3").write_bytes(b"x")
        (tmp_path / f"ispclient-before-restore-202512{n + 1:02d}-090000.sqlite3").write_bytes(b"x")
    mine = tmp_path / "copy of ispclient from USB.sqlite3"
    other = tmp_path / "otherdb-auto-20200101-090000.sqlite3"
    mine.write_bytes(b"x")
    other.write_bytes(b"x")
    deleted = backup.rotate(tmp_path)
    left = {b.path.name for b in backup.list_backups(tmp_path)}
    assert mine.exists() and other.exists()
    assert len([n for n in left if "-auto-" in n]) == 7 + 2  # 7 days, and 2 older weeks' newest
    assert len([n for n in left if "before-restore" in n]) == backup.KEEP_SAFETY
    assert "ispclient-before-restore-20251220-090000.sqlite3" in left
    assert len(deleted) == 40 - len(left)


# --- making backups ----------------------------------------------------------------------------


def test_backup_taken_while_writing_is_consistent_and_self_contained(app_paths: paths.AppPaths) -> None:
    open_app(app_paths)
    populate(10)
    stop = threading.Event()

    def keep_writing() -> None:
        with store.db.connection_context():
            i = 0
            while not stop.is_set():
                clients.create_client(clients.ClientInput(client_code=f"W{i}", name=f"Writer {i}"))
                i += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        time.sleep(0.05)
        info = backup.create_backup(app_paths.database, app_paths.backup_dir)
    finally:
        stop.set()
        writer.join()
    assert info.kind == "manual" and info.size > 0
    assert integrity.check_file(info.path, full=True).ok
    with sqlite3.connect(info.path) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal
        n_clients = copy.execute("SELECT count(*) FROM client").fetchone()[0]
        n_created = copy.execute("SELECT count(*) FROM audit_event WHERE action='client.create'").fetchone()[0]
    assert n_clients == n_created >= 10  # a snapshot: no client without its audit event
    assert not list(app_paths.backup_dir.glob("*.partial"))


def test_daily_backup_once_a_day(app_paths: paths.AppPaths) -> None:
    open_app(app_paths)
    populate(5)
    info = backup.maybe_backup(app_paths)
    assert isinstance(info, backup.BackupInfo) and info.kind == "auto"
    assert integrity.check_file(info.path, full=False).ok
    assert backup.maybe_backup(app_paths) is None  # already backed up today
    tomorrow = datetime.now() + timedelta(days=1)
    assert backup.maybe_backup(app_paths, now=tomorrow) is not None
    assert len(backup.list_backups(app_paths.backup_dir)) == 2


def test_no_automatic_backup_of_postgresql_or_of_nothing(app_paths: paths.AppPaths) -> None:
    assert backup.maybe_backup(app_paths, db_url="postgresql://desk@server/isp") is None
    assert backup.maybe_backup(app_paths) is None  # no database yet


def test_a_damaged_live_file_is_caught_by_the_daily_backup(app_paths: paths.AppPaths) -> None:
    open_app(app_paths)
    populate(20)
    store.close_database()
    good = backup.create_backup(app_paths.database, app_paths.backup_dir, "auto",
                                now=datetime.now() - timedelta(days=1))
    damage(app_paths.database)
    integrity.mark_closed(app_paths.database)  # bit rot that left no trace a start-up would see
    assert integrity.needs_check(app_paths.database) is None

    with pytest.raises(backup.BackupError, match="is damaged") as e:
        backup.create_backup(app_paths.database, app_paths.backup_dir, "auto")
    assert str(good.path) in str(e.value)
    assert [b.path for b in backup.list_backups(app_paths.backup_dir)] == [good.path]  # no bad copy kept
    assert integrity.needs_check(app_paths.database, ).startswith("damage was suspected")  # type: ignore[union-attr]
    with pytest.raises(schema.SchemaError, match="is damaged") as refused:
        open_app(app_paths)
    assert refused.value.backup == good.path


# --- damage, refusal and restore ---------------------------------------------------------------


def test_damaged_file_is_refused_naming_the_backup_and_restore_brings_back_every_record(
        app_paths: paths.AppPaths) -> None:
    database = open_app(app_paths)
    populate(20)
    before = transfer.checksums(database)
    info = backup.create_backup(app_paths.database, app_paths.backup_dir)
    store.close_database()
    damage(app_paths.database)
    damaged_bytes = app_paths.database.read_bytes()

    with pytest.raises(schema.SchemaError) as refused:
        open_app(app_paths)
    message = str(refused.value)
    assert "is damaged" in message and str(info.path) in message and "ispclient restore" in message
    assert refused.value.backup == info.path
    assert app_paths.database.read_bytes() == damaged_bytes  # refused, not recreated or touched

    result = backup.restore(info.path, app_paths.database, app_paths.backup_dir)
    assert result.schema_version == schema.CURRENT_VERSION
    assert result.previous_copy is not None
    # Kept page for page (only the header's journal-mode bytes differ), for whoever can salvage it.
    assert result.previous_copy.read_bytes()[100:] == damaged_bytes[100:]
    database = open_app(app_paths)
    assert transfer.checksums(database) == before
    assert Client.select().count() == 20


def test_restore_keeps_a_copy_of_the_current_data_first(app_paths: paths.AppPaths) -> None:
    open_app(app_paths)
    populate(3)
    info = backup.create_backup(app_paths.database, app_paths.backup_dir)
    clients.create_client(clients.ClientInput(client_code="LATE1", name="Added after the backup"))
    store.close_database()

    result = backup.restore(info.path, app_paths.database, app_paths.backup_dir)
    assert result.previous_copy is not None and result.previous_copy.name.startswith("ispclient-before-restore-")
    with sqlite3.connect(result.previous_copy) as kept:
        assert kept.execute("SELECT count(*) FROM client WHERE client_code='LATE1'").fetchone()[0] == 1
    for suffix in ("-wal", "-shm", ".state", ".restoring"):
        assert not Path(f"{app_paths.database}{suffix}").exists()
    open_app(app_paths)
    assert not Client.select().where(Client.client_code == "LATE1").exists()
    assert Client.select().count() == 3


def test_restore_refuses_while_another_program_has_the_database_open(app_paths: paths.AppPaths) -> None:
    database = open_app(app_paths)
    populate(2)
    info = backup.create_backup(app_paths.database, app_paths.backup_dir)
    clients.create_client(clients.ClientInput(client_code="LATE1", name="Added after the backup"))
    before = transfer.checksums(database)
    with pytest.raises(backup.RestoreRefused, match="open in another program"):
        backup.restore(info.path, app_paths.database, app_paths.backup_dir)  # we still have it open
    assert transfer.checksums(database) == before
    assert not list(app_paths.data_dir.glob("*.restoring"))
    assert len(backup.list_backups(app_paths.backup_dir)) == 1


def _set_version(path: Path, version: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (version,))
    conn.close()


@pytest.mark.parametrize(("spoil", "message"), [
    (lambda p: _set_version(p, schema.CURRENT_VERSION + 1), "newer version of ispclient"),
    (damage, "is damaged"),
    (lambda p: p.write_bytes(b"PK\x03\x04 a zip file, not a database" * 100), "is damaged"),
    (lambda p: _set_version(p, 0), "not an ispclient database"),
])
def test_restore_refuses_a_bad_backup_and_changes_nothing(app_paths: paths.AppPaths, spoil: object,
                                                          message: str) -> None:
    open_app(app_paths)
    populate(20)
    info = backup.create_backup(app_paths.database, app_paths.backup_dir)
    store.close_database()
    spoil(info.path)  # type: ignore[operator]
    before = app_paths.database.read_bytes()
    with pytest.raises(backup.RestoreRefused, match=message):
        backup.restore(info.path, app_paths.database, app_paths.backup_dir)
    assert app_paths.database.read_bytes() == before
    assert len(backup.list_backups(app_paths.backup_dir)) == 1  # no "before-restore" copy either


def test_restored_backup_of_an_older_schema_is_migrated_on_open(app_paths: paths.AppPaths,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    open_app(app_paths)
    populate(5)
    old = backup.create_backup(app_paths.database, app_paths.backup_dir)
    store.close_database()
    old_version = schema.CURRENT_VERSION

    def add_nickname(database: peewee.Database) -> None:
        database.execute_sql("ALTER TABLE client ADD COLUMN nickname TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, add_nickname])  # a newer program
    monkeypatch.setattr(schema, "CURRENT_VERSION", old_version + 1)
    open_app(app_paths)  # the live file moves on to the new schema
    store.close_database()

    result = backup.restore(old.path, app_paths.database, app_paths.backup_dir)
    assert result.schema_version == old_version
    database = open_app(app_paths)
    assert schema.version(database) == old_version + 1
    assert "nickname" in {c.name for c in database.get_columns("client")}
    assert Client.select().count() == 5
    kinds = {b.kind for b in backup.list_backups(app_paths.backup_dir)}
    assert f"before-schema-{old_version + 1}" in kinds  # migrating backed the restored file up first


def test_newer_schema_is_refused_naming_the_newest_backup_it_can_open(app_paths: paths.AppPaths) -> None:
    open_app(app_paths)
    populate(2)
    info = backup.create_backup(app_paths.database, app_paths.backup_dir)
    SchemaVersion.update(version=schema.CURRENT_VERSION + 1).execute()
    store.close_database()
    newer = backup.create_backup(app_paths.database, app_paths.backup_dir)  # a backup it can't open
    assert newer.path != info.path
    with pytest.raises(schema.SchemaError, match="newer version of ispclient") as refused:
        open_app(app_paths)
    assert refused.value.backup == info.path and str(info.path) in str(refused.value)


def test_backups_list_newest_first_with_dates_and_sizes(tmp_path: Path) -> None:
    for name in ("ispclient-auto-20260110-080000.sqlite3", "ispclient-manual-20260112-174500.sqlite3",
                 "ispclient-before-schema-3-20260111-090000-1.sqlite3"):
        (tmp_path / name).write_bytes(b"x" * 2_500_000)
    listed = backup.list_backups(tmp_path)
    assert [b.kind for b in listed] == ["manual", "before-schema-3", "auto"]
    assert listed[0].describe() == "12 Jan 2026 17:45 · Manual · 2.5 MB"
    assert listed[1].kind_label == "Before a program upgrade"
    os.utime(listed[2].path)  # the date comes from the name, not the file's mtime
    assert backup.list_backups(tmp_path)[2].taken_at == datetime(2026, 1, 10, 8)


# --- the command line --------------------------------------------------------------------------


def test_command_line_backup_list_check_and_restore(app_paths: paths.AppPaths,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    open_app(app_paths)
    populate(3)
    store.close_database()
    assert cli_db.run("backup", None, app_paths) == 0
    [info] = backup.list_backups(app_paths.backup_dir)
    assert f"Backed up to {info.path}" in capsys.readouterr().out
    assert cli_db.run("backups", None, app_paths) == 0
    assert str(info.path) in capsys.readouterr().out
    assert cli_db.run("check", None, app_paths) == 0
    out = capsys.readouterr().out
    assert "no problems found" in out and "Client balances: every one agrees with the payments." in out

    # A kept balance changed behind the services' back is said and recomputed.
    open_app(app_paths).execute_sql("UPDATE client SET balance_minor = 123 WHERE id = 1")
    store.close_database()
    assert cli_db.run("check", None, app_paths) == 0
    out = capsys.readouterr().out
    assert "Client balances: 1 disagreed with the payments and were recomputed (minor units): client 1 (123 → " in out
    open_app(app_paths)
    from ispclient.store import balances

    assert balances.drift() == []
    store.close_database()

    damage(app_paths.database)
    assert cli_db.run("check", None, app_paths) == 1
    err = capsys.readouterr().err
    assert "the database is damaged" in err and str(info.path) in err
    with pytest.raises(schema.SchemaError):
        open_app(app_paths)  # a failed check makes the app refuse the file, even after a clean close

    with InstanceLock(app_paths.data_dir):  # the app is open: the restore waits for it to close
        assert cli_db.run("restore", info.path.name, app_paths) == 1
        assert "Close the app" in capsys.readouterr().err
    assert cli_db.run("restore", info.path.name, app_paths) == 0
    assert "Restored" in capsys.readouterr().out
    open_app(app_paths)
    assert Client.select().count() == 3


def test_command_line_sends_postgresql_users_to_the_server(app_paths: paths.AppPaths,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("backup", "backups", "restore"):
        assert cli_db.run(command, "x", app_paths, "postgresql://desk@server/isp") == 1
        assert "pg_dump" in capsys.readouterr().err
    assert cli_db.run("restore", None, app_paths) == 2
