"""Opening the database: SQLite (one PC) with safe pragmas, or PostgreSQL (several PCs)."""

from __future__ import annotations

import logging
from pathlib import Path

import peewee
from playhouse.db_url import connect as connect_url

log = logging.getLogger(__name__)

db = peewee.DatabaseProxy()

BUSY_TIMEOUT_MS = 5000
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",  # safe with WAL: a power cut loses at most the last commits, never the file
    "busy_timeout": BUSY_TIMEOUT_MS,
    "cache_size": -32_000,  # 32 MB
}


def make_database(target: str | Path) -> peewee.Database:
    """A database object for a file path or a ``postgresql://`` / ``sqlite:///`` URL."""
    text = str(target)
    if text.startswith(("postgres://", "postgresql://")):
        return connect_url(text.replace("postgres://", "postgresql://", 1))
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    return peewee.SqliteDatabase(
        text, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, autoconnect=True
    )


def is_sqlite(database: peewee.Database | peewee.DatabaseProxy | None = None) -> bool:
    d = database if database is not None else db
    if isinstance(d, peewee.DatabaseProxy):
        d = d.obj
    return isinstance(d, peewee.SqliteDatabase)


def sqlite_path(database: peewee.Database | peewee.DatabaseProxy | None = None) -> Path | None:
    d = database if database is not None else db
    if isinstance(d, peewee.DatabaseProxy):
        d = d.obj
    if isinstance(d, peewee.SqliteDatabase) and d.database != ":memory:":
        return Path(d.database)
    return None


def atomic() -> peewee._atomic:
    """A write transaction; IMMEDIATE on SQLite so two writers queue instead of deadlocking."""
    obj = db.obj
    if isinstance(obj, peewee.SqliteDatabase):
        return obj.atomic("IMMEDIATE")
    return db.atomic()


def lock_client_row(client_id: int) -> None:
    """Serialise writers on one client's subscriptions for the rest of the transaction.

    SQLite's IMMEDIATE transactions already admit one writer at a time; PostgreSQL needs the
    row lock, or two PCs could both pass the overlap check and both insert.
    """
    if not is_sqlite():
        db.execute_sql(f"SELECT id FROM client WHERE id = {db.obj.param} FOR UPDATE", (client_id,))


def lock_client_rows(client_ids: list[int]) -> None:
    """:func:`lock_client_row` for many clients, taken in id order so that two PCs locking
    overlapping sets queue instead of deadlocking."""
    if not is_sqlite() and client_ids:
        marks = ",".join([db.obj.param] * len(client_ids))
        db.execute_sql(f"SELECT id FROM client WHERE id IN ({marks}) ORDER BY id FOR UPDATE", sorted(client_ids))
