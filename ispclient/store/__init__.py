"""Persistence: peewee models, opening and migrating the database, and the service functions
that are the only way data changes (each one transaction with its audit event)."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import peewee

from ispclient.store import integrity
from ispclient.store.db import BUSY_TIMEOUT_MS, db, make_database, sqlite_path, test_connection
from ispclient.store.dbconfig import Target
from ispclient.store.schema import SchemaError, migrate

log = logging.getLogger(__name__)


def _refuse(database: peewee.Database, path: Path, problem: str, backup_dir: Path | None) -> SchemaError:
    from ispclient.store import backup

    if not database.is_closed():
        database.close()
    hint, newest = backup.restore_hint(backup_dir, path.stem)
    return SchemaError(f"The database file {path} is damaged ({problem}). It was not changed.\n\n{hint}",
                       backup=newest)


def _connect(database: peewee.Database) -> None:
    """Connect, waiting out a second process that is switching a new file to WAL at the same
    moment: SQLite answers that one "locked" at once instead of calling the busy handler."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            database.connect(reuse_if_open=True)
            return
        except peewee.OperationalError as e:
            if "locked" not in str(e).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def open_database(target: str | Path | Target, backup_dir: Path | None = None) -> peewee.Database:
    """Open (creating or migrating) the database at a path or URL and bind the models to it.

    A damaged or newer-schema database is refused (SchemaError naming the newest good backup in
    ``backup_dir``), never recreated. The SQLite file's header is checked on every open; the
    slower quick check (~0.5 s at 100,000 clients) only when the file is not exactly as the last
    clean :func:`close_database` left it (see :mod:`ispclient.store.integrity`)."""
    database = make_database(target)
    path = sqlite_path(database)
    reason = None
    if path is not None and path.exists():
        problem = integrity.header_problem(path)
        if problem:
            raise _refuse(database, path, problem, backup_dir)
        reason = integrity.needs_check(path)
    db.initialize(database)
    try:
        _connect(database)
        if path is not None:
            if reason:
                check = integrity.check_database(database)
                log.info("quick check of %s (%s): %s in %.2f s", path, reason,
                         "ok" if check.ok else "damaged", check.seconds)
                if not check.ok:
                    raise _refuse(database, path, check.problems[0], backup_dir)
            integrity.mark_in_use(path)
        migrate(backup_dir)
        _ensure_case_indexes(database)
        from ispclient.store import settings

        settings.ensure_defaults()
        settings.apply_locale()
    except (peewee.DatabaseError, sqlite3.DatabaseError) as e:  # rows fetched later raise sqlite3's
        if path is None or not integrity.is_damage(e):
            raise
        raise _refuse(database, path, str(e), backup_dir) from e
    except SchemaError:
        database.close()
        raise
    return database


def is_open_on(path: Path) -> bool:
    """Whether this process already has the SQLite file at ``path`` open (the demo opens it to
    build its data before the window is made)."""
    obj = db.obj
    return obj is not None and not obj.is_closed() and sqlite_path() == Path(path).resolve()


def id_of(row: peewee.Model) -> int:
    """The database id of what a service function saved: the screens keep ids, never rows."""
    return int(row.get_id())


def close_thread_connection() -> None:
    """Close the calling thread's connection (each worker thread has its own), if it has one."""
    obj = db.obj
    if obj is not None and not obj.is_closed():
        obj.close()


def _ensure_case_indexes(database: peewee.Database) -> None:
    """The case-insensitive unique indexes wait while older data holds twins; try again at each
    start (a listing of the client table's indexes once they exist)."""
    from ispclient.store.schema import ensure_case_indexes

    try:
        ensure_case_indexes(database)
    except peewee.DatabaseError:  # e.g. another PC creating the same index this very moment
        log.warning("could not create the case-insensitive indexes now; next start tries again", exc_info=True)


def close_database() -> None:
    """Close this thread's connection; for SQLite, record a clean shutdown when it was the last."""
    obj = db.obj
    if obj is not None and not obj.is_closed():
        obj.close()
    path = sqlite_path(obj) if obj is not None else None
    if path is not None:
        integrity.mark_closed(path)


__all__ = ["SchemaError", "close_database", "db", "id_of", "open_database", "test_connection"]
