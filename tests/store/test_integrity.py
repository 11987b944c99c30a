"""Integrity: damaged files are refused with a clear message, never recreated; the quick check
runs at start-up only when the file is not as a clean shutdown left it."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

from ispclient import store
from ispclient.store import integrity, schema
from ispclient.store.models import Client

from .test_backup import damage, populate


def make_db(path: Path, n: int = 20) -> None:
    store.open_database(path)
    populate(n)
    store.close_database()


def test_a_clean_shutdown_is_trusted_anything_else_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    make_db(path, 3)
    assert integrity.needs_check(path) is None

    store.open_database(path)
    assert integrity.needs_check(path) == "the program did not shut down cleanly last time"  # as after a crash
    store.close_database()
    assert integrity.needs_check(path) is None

    os.utime(path, ns=(1, 1))  # something else wrote to it (or copied another file over it)
    assert integrity.needs_check(path) == "the file changed since the program last closed it"
    integrity.mark_closed(path)
    path.with_name(path.name + "-wal").write_bytes(b"x" * 32)
    assert integrity.needs_check(path) == "a write-ahead log was left behind"
    path.with_name(path.name + "-wal").unlink()
    integrity.forget_state(path)
    assert integrity.needs_check(path) == "no record of a clean shutdown"


def test_the_quick_check_runs_only_when_needed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "a.sqlite3"
    make_db(path, 3)
    with caplog.at_level(logging.INFO, logger="ispclient.store"):
        store.open_database(path)
        store.close_database()
        assert "quick check" not in caplog.text
        integrity.mark_suspect(path, "test")
        store.open_database(path)
        store.close_database()
    assert "quick check of" in caplog.text and "damage was suspected: test): ok" in caplog.text
    assert integrity.needs_check(path) is None  # a passing check clears the suspicion


def test_damage_after_a_crash_is_refused_and_the_file_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    make_db(path, 20)
    integrity.mark_in_use(path)  # as if the program had been killed
    damage(path)
    before = path.read_bytes()
    with pytest.raises(schema.SchemaError, match="is damaged") as e:
        store.open_database(path, backup_dir=tmp_path / "backups")
    assert "No good backup was found" in str(e.value) and e.value.backup is None
    assert path.read_bytes() == before


@pytest.mark.parametrize(("content", "problem"), [
    (b"PK\x03\x04" + b"\x00" * 5000, "not an SQLite database"),
    (None, "cut short"),
])
def test_a_file_that_is_not_a_whole_database_is_refused(tmp_path: Path, content: bytes | None,
                                                        problem: str) -> None:
    path = tmp_path / "a.sqlite3"
    make_db(path, 3)
    data = path.read_bytes()
    path.write_bytes(content if content is not None else data[: len(data) - 1000])
    with pytest.raises(schema.SchemaError, match=problem):
        store.open_database(path)
    assert integrity.header_problem(path) is not None
    assert len(path.read_bytes()) in (5004, len(data) - 1000)  # untouched, not recreated


def test_full_and_quick_checks_report_damage_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    make_db(path, 20)
    good = integrity.check_file(path, full=True)
    assert good.ok and good.problems == () and good.summary().startswith("Full integrity check: no problems")
    damage(path)
    for full in (True, False):
        bad = integrity.check_file(path, full=full)
        assert not bad.ok and bad.problems
        assert "the database is damaged" in bad.summary()


def test_checking_the_open_database_while_the_app_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    database = store.open_database(path)
    try:
        populate(3)
        assert integrity.check_database(database, full=True).ok
        assert integrity.check_file(path, full=True).ok  # its own read-only connection
        assert Client.select().count() == 3
    finally:
        store.close_database()


def test_damage_errors_are_told_apart_from_busy_ones() -> None:
    assert integrity.is_damage(sqlite3.DatabaseError("database disk image is malformed"))
    assert integrity.is_damage(sqlite3.DatabaseError("file is not a database"))
    assert not integrity.is_damage(sqlite3.OperationalError("database is locked"))
