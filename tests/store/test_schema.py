"""Schema versions: new databases are current, older ones are backed up then migrated,
newer ones are refused with a message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import peewee
import pytest

from ispclient import store
from ispclient.store import schema
from ispclient.store.models import Client, SchemaVersion


def test_new_database_is_current_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    database = store.open_database(tmp_path / "a.sqlite3")
    try:
        assert schema.version(database) == schema.CURRENT_VERSION
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 1000
        indexes = {r[1] for r in database.execute_sql("PRAGMA index_list(client)")}
        assert {"client_code_live", "client_pppoe_live"} <= indexes
    finally:
        store.close_database()


def test_migration_backs_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.sqlite3"
    store.open_database(path)
    Client.create(client_code="C1", name="Before migration")
    store.close_database()

    def add_column(database: peewee.Database) -> None:
        database.execute_sql("ALTER TABLE client ADD COLUMN nickname TEXT DEFAULT ''")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, add_column])
    monkeypatch.setattr(schema, "CURRENT_VERSION", len(schema.MIGRATIONS))
    database = store.open_database(path, backup_dir=tmp_path / "backups")
    try:
        assert schema.version(database) == schema.CURRENT_VERSION
        cols = {r[1] for r in database.execute_sql("PRAGMA table_info(client)")}
        assert "nickname" in cols
    finally:
        store.close_database()
    backups = list((tmp_path / "backups").glob("*before-schema-*.sqlite3"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as old:
        assert old.execute("SELECT name FROM client").fetchall() == [("Before migration",)]
        assert old.execute("SELECT version FROM schema_version").fetchone()[0] == schema.CURRENT_VERSION - 1
        assert "nickname" not in {r[1] for r in old.execute("PRAGMA table_info(client)")}


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    store.open_database(path)
    SchemaVersion.update(version=schema.CURRENT_VERSION + 5).execute()
    store.close_database()
    with pytest.raises(schema.SchemaError, match="newer version of ispclient"):
        store.open_database(path)
    store.close_database()
    # The file is left as it was, not recreated.
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == schema.CURRENT_VERSION + 5
