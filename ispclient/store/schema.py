"""Schema versions: create a new database, or migrate an older one after backing it up."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import peewee

from ispclient.store.db import db, is_sqlite, sqlite_path
from ispclient.store.models import MODELS, SchemaVersion

log = logging.getLogger(__name__)

# Partial unique indexes: deleted clients keep their Client ID and PPPoE username on record
# without blocking a new client from taking them.
_V1_SQL = [
    "CREATE UNIQUE INDEX IF NOT EXISTS client_code_live ON client (client_code) WHERE deleted_at IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS client_pppoe_live ON client (server_id, pppoe_username) "
    "WHERE deleted_at IS NULL AND pppoe_username <> ''",
    "CREATE INDEX IF NOT EXISTS subscription_current ON subscription (client_id, cancelled_at, ends_on)",
    "CREATE INDEX IF NOT EXISTS payment_subscription ON payment (subscription_id, amount_minor)",
]


def _v1(database: peewee.Database) -> None:
    database.create_tables(MODELS)
    for sql in _V1_SQL:
        database.execute_sql(sql)


# MIGRATIONS[n] brings a database from version n to n + 1. Append; never edit a released one.
MIGRATIONS: list[Callable[[peewee.Database], None]] = [_v1]
CURRENT_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The database can't be used as it is; the message says what to do."""


def version(database: peewee.Database) -> int:
    if not database.table_exists(SchemaVersion._meta.table_name):  # type: ignore[attr-defined]
        return 0
    row = SchemaVersion.select().first()
    return int(row.version) if row else 0


def backup_sqlite(src: Path, dest_dir: Path, label: str) -> Path:
    """A consistent copy through SQLite's backup API (never a raw copy of a live WAL file)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{src.stem}-{label}-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    n = 1
    while dest.exists():
        dest = dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
        n += 1
    with sqlite3.connect(src) as source, sqlite3.connect(dest) as target:
        source.backup(target)
    source.close()
    target.close()
    return dest


def migrate(backup_dir: Path | None = None) -> int:
    """Bring the open database to CURRENT_VERSION; returns the version it had."""
    database = db.obj
    found = version(database)
    if found > CURRENT_VERSION:
        raise SchemaError(
            f"This database was written by a newer version of ispclient (schema {found}; this "
            f"program knows up to {CURRENT_VERSION}). Install the newer version to open it."
        )
    if found == CURRENT_VERSION:
        return found
    path = sqlite_path(database)
    if found > 0 and path is not None and backup_dir is not None:
        copy = backup_sqlite(path, backup_dir, f"before-schema-{found + 1}")
        log.info("backed up database to %s before migrating from schema %d", copy, found)
    for step in range(found, CURRENT_VERSION):
        with database.atomic():
            MIGRATIONS[step](database)
            SchemaVersion.delete().execute()
            SchemaVersion.create(version=step + 1)
        log.info("database migrated to schema %d", step + 1)
    if is_sqlite(database):
        database.execute_sql("PRAGMA optimize")
    return found
