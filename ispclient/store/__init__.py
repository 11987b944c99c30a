"""Persistence: peewee models, opening and migrating the database, and the service functions
that are the only way data changes (each one transaction with its audit event)."""

from __future__ import annotations

import logging
from pathlib import Path

import peewee

from ispclient.store.db import db, is_sqlite, make_database
from ispclient.store.schema import SchemaError, migrate

log = logging.getLogger(__name__)


def open_database(target: str | Path, backup_dir: Path | None = None) -> peewee.Database:
    """Open (creating or migrating) the database at a path or URL and bind the models to it."""
    database = make_database(target)
    db.initialize(database)
    database.connect(reuse_if_open=True)
    if is_sqlite(database):
        check = database.execute_sql("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            database.close()
            raise SchemaError(f"The database file is damaged ({check}). Restore a backup.")
    migrate(backup_dir)
    from ispclient.store import settings

    settings.ensure_defaults()
    return database


def close_database() -> None:
    if db.obj is not None and not db.obj.is_closed():
        db.obj.close()


__all__ = ["SchemaError", "close_database", "db", "open_database"]
