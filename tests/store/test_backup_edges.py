"""Backups at their edges: interrupted ones leave nothing behind, a full disk says so, a restore
refuses a backup whose header, tables or columns don't match what it claims, and every backup
says that it does not contain the PPPoE password key."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ispclient import cli_db, paths, store
from ispclient.store import backup, clients

from .child import spawn, wait_ready


@pytest.fixture
def app_paths(tmp_path: Path) -> Iterator[paths.AppPaths]:
    p = paths.under(tmp_path / "data").ensure()
    store.open_database(p.database, backup_dir=p.backup_dir)
    for i in range(30):
        clients.create_client(clients.ClientInput(f"C{i}", f"Client {i}", notes="n" * 2000))
    store.close_database()
    yield p
    store.close_database()


def _partials(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if ".partial" in p.name]


def test_killed_backups_leave_no_partial_files(app_paths: paths.AppPaths) -> None:
    for _ in range(12):
        child = spawn("hang-backup", str(app_paths.database), str(app_paths.backup_dir))
        wait_ready(child)  # its partial file is written, not yet renamed
        child.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no chance to clean up
        child.wait(30)
        # Each backup first removes what killed ones left: they never pile up.
        assert len(_partials(app_paths.backup_dir)) == 1
    backup.create_backup(app_paths.database, app_paths.backup_dir, "manual")
    assert _partials(app_paths.backup_dir) == []  # …the next backup removes
    assert len(backup.list_backups(app_paths.backup_dir)) == 1


def test_a_running_backup_keeps_its_partial_file(app_paths: paths.AppPaths) -> None:
    child = spawn("hang-backup", str(app_paths.database), str(app_paths.backup_dir))
    try:
        wait_ready(child)
        backup.create_backup(app_paths.database, app_paths.backup_dir, "manual")
        assert len(_partials(app_paths.backup_dir)) == 1  # still being written by a live process
    finally:
        child.kill()
        child.wait(30)
    backup.remove_partials(app_paths.backup_dir)
    assert _partials(app_paths.backup_dir) == []


def test_a_backup_on_a_full_disk_says_so_and_leaves_nothing(app_paths: paths.AppPaths,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup.os, "fsync", no_space)
    with pytest.raises(backup.BackupError) as e:
        backup.create_backup(app_paths.database, app_paths.backup_dir, "manual")
    assert "the disk is full" in str(e.value)
    assert _partials(app_paths.backup_dir) == [] and backup.list_backups(app_paths.backup_dir) == []


def test_backups_say_they_do_not_contain_the_key(app_paths: paths.AppPaths,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_db.run("backup", None, app_paths) == 0
    out = capsys.readouterr().out
    assert "do not contain the PPPoE password key" in out and "ispclient key export" in out
    readme = (app_paths.backup_dir / "README.txt").read_text(encoding="utf-8")
    assert "do not contain the PPPoE password key" in readme
    assert backup.list_backups(app_paths.backup_dir)  # the README is not taken for a backup


# --- restore refuses what is not what it claims ----------------------------------------------------


def _edit(path: Path, *sql: str) -> None:
    with sqlite3.connect(path) as conn:
        for statement in sql:
            conn.execute(statement)
    conn.close()


def _damage_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[16:18] = (3000).to_bytes(2, "big")  # a page size that can't be
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("spoil", "message"), [
    (_damage_header, "header is damaged"),
    (lambda p: _edit(p, "DROP TABLE payment"), "the table payment is missing"),
    (lambda p: _edit(p, "ALTER TABLE client DROP COLUMN notes"), "client lacks notes"),
    (lambda p: _edit(p, "CREATE TABLE nickname (x TEXT)"), "an unknown table nickname"),
    (lambda p: _edit(p, "UPDATE schema_version SET version = 4"),
     "audit_event has unknown columns os_user, pc_name, staff_id"),  # the first five problems are named
    (lambda p: _edit(p, "UPDATE schema_version SET version = 7"),
     "client has unknown columns balance_minor, secret_held"),
    (lambda p: _edit(p, "UPDATE schema_version SET version = 8"), "client has unknown columns balance_minor"),
    (lambda p: _edit(p, "UPDATE schema_version SET version = 1"), "router_change"),
])
def test_restore_refuses_a_backup_that_does_not_match_its_schema(app_paths: paths.AppPaths, spoil: object,
                                                                 message: str) -> None:
    info = backup.create_backup(app_paths.database, app_paths.backup_dir, "manual")
    spoil(info.path)  # type: ignore[operator]
    before = app_paths.database.read_bytes()
    with pytest.raises(backup.RestoreRefused) as e:
        backup.restore(info.path, app_paths.database, app_paths.backup_dir)
    assert message in str(e.value)
    assert app_paths.database.read_bytes() == before
    assert not list(app_paths.data_dir.glob("*.restoring"))


def test_a_backup_of_an_older_schema_with_its_own_columns_is_accepted(app_paths: paths.AppPaths) -> None:
    """A real schema-4 backup (before this version's columns) is what it claims: restorable."""
    info = backup.create_backup(app_paths.database, app_paths.backup_dir, "manual")
    _edit(info.path, "DROP INDEX IF EXISTS client_code_live_nocase", "DROP INDEX IF EXISTS client_pppoe_live_nocase",
          "ALTER TABLE client DROP COLUMN version", "ALTER TABLE client DROP COLUMN pppoe_password_unknown",
          # SQLite can't drop a column with a foreign key: the payment table without it, as schema 4 had it
          "CREATE TABLE p4 AS SELECT id, subscription_id, amount_minor, method, reference, note, paid_at, taken_by "
          "FROM payment", "DROP TABLE payment", "ALTER TABLE p4 RENAME TO payment",
          "ALTER TABLE audit_event DROP COLUMN staff_id", "ALTER TABLE audit_event DROP COLUMN os_user",
          "ALTER TABLE audit_event DROP COLUMN pc_name", "DROP TABLE shift", "DROP TABLE sign_in_lock",
          "DROP TABLE staff",
          "ALTER TABLE client DROP COLUMN secret_held", "ALTER TABLE subscription DROP COLUMN cancel_on",
          "DROP INDEX IF EXISTS client_owing",  # schema 10's, on the column below
          "ALTER TABLE router_change DROP COLUMN action", "ALTER TABLE client DROP COLUMN balance_minor",
          "DROP TABLE counter",
          "DROP INDEX IF EXISTS subscription_auto_renew_due",  # schema 11's, on the column below
          "ALTER TABLE subscription DROP COLUMN renewed", "UPDATE schema_version SET version = 4")
    assert backup.verify_backup(info.path) == 4


def test_restore_command_refuses_and_exits_1(app_paths: paths.AppPaths,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    info = backup.create_backup(app_paths.database, app_paths.backup_dir, "manual")
    _edit(info.path, "DROP TABLE subscription")
    assert cli_db.run("restore", str(info.path), app_paths) == 1
    assert "the table subscription is missing" in capsys.readouterr().err

