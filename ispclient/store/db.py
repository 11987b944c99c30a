"""Opening the database: SQLite (one PC) with safe pragmas, or PostgreSQL (several PCs)."""

from __future__ import annotations

import logging
import select
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import peewee

from ispclient.store import dbconfig, errors
from ispclient.store.dbconfig import DbConfig, Target
from ispclient.store.errors import DatabaseUnavailable, DiskFull
from ispclient.store.memo import memo_scope, transaction_memo

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


class SqliteDatabase(peewee.SqliteDatabase):
    """SQLite whose "disk is full" is said in those words.

    On SQLITE_FULL, SQLite rolls the transaction back itself; peewee's own ROLLBACK then failed
    with "cannot rollback - no transaction is active" and that was all the user saw."""

    def rollback(self) -> None:
        conn = self._state.conn
        if conn is not None and not conn.in_transaction:
            return  # SQLite already rolled it back (disk full, I/O error)
        super().rollback()

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return super().execute_sql(sql, params)
        except peewee.OperationalError as e:
            raise translate(e, self) from e

    def commit(self) -> None:
        try:
            super().commit()
        except peewee.OperationalError as e:
            raise translate(e, self) from e


class PostgresqlDatabase(peewee.PostgresqlDatabase):
    """PostgreSQL that survives a server restart or a network blip.

    Connections are per thread (peewee's thread-local state). When the server drops this
    thread's connection, the statement or transaction in flight fails with
    :class:`DatabaseUnavailable` ("The database server was restarted; please try again") and the
    dead connection is thrown away, so this thread's next action opens a new one. A transaction
    is never silently replayed: the user decides whether to try again."""

    def _connect(self) -> Any:
        try:
            return super()._connect()
        except Exception as e:  # psycopg2.OperationalError: refused, timed out, bad password…
            raise DatabaseUnavailable(unreachable_message(self, e)) from None

    def _lost(self) -> bool:
        conn = self._state.conn
        return conn is not None and bool(getattr(conn, "closed", 0))

    def _dropped_while_idle(self) -> bool:
        """An idle connection has nothing to read unless the server said goodbye (a restart sends
        "terminating connection" and closes): checked before a statement outside a transaction,
        so the first action after a restart already runs on a new connection."""
        conn = self._state.conn
        if conn is None or self.in_transaction():
            return False
        try:
            readable, _, _ = select.select([conn], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def cursor(self, named_cursor: Any = None) -> Any:
        if self._lost() or self._dropped_while_idle():
            if self.in_transaction():
                raise DatabaseUnavailable(errors.RESTARTED)
            log.info("the database connection of this thread was lost; reconnecting")
            self._discard()
        return super().cursor(named_cursor)

    def connect(self, reuse_if_open: bool = False) -> bool:
        # peewee's connect() forgets the open connection_context()s of this thread; a reconnect
        # inside one must keep them, or leaving the context fails.
        contexts = list(self._state.ctx)
        opened = super().connect(reuse_if_open)
        if contexts and not self._state.ctx:
            self._state.ctx = contexts
        return bool(opened)

    def _discard(self) -> None:
        conn, contexts = self._state.conn, self._state.ctx
        self._state.reset()
        self._state.ctx = contexts
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - it is already dead
                pass

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return super().execute_sql(sql, params)
        except (peewee.OperationalError, peewee.InterfaceError) as e:
            if not self._lost():
                raise
            if not self.in_transaction() and sql.lstrip()[:6].upper() == "SELECT":
                # A read outside a transaction changed nothing: once more, on a new connection.
                self._discard()
                try:
                    return super().execute_sql(sql, params)
                except (peewee.OperationalError, peewee.InterfaceError) as again:
                    if self._lost():
                        raise DatabaseUnavailable(errors.RESTARTED) from again
                    raise
            raise DatabaseUnavailable(errors.RESTARTED) from e

    def begin(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().begin(*args, **kwargs)
        except (peewee.OperationalError, peewee.InterfaceError):
            if not self._lost():
                raise
            # Nothing was done yet: begin again on a new connection.
            self._discard()
            try:
                super().begin(*args, **kwargs)
            except (peewee.OperationalError, peewee.InterfaceError) as again:
                if self._lost():
                    raise DatabaseUnavailable(errors.RESTARTED) from again
                raise

    def commit(self) -> None:
        try:
            super().commit()
        except (peewee.OperationalError, peewee.InterfaceError) as e:
            if self._lost():
                raise DatabaseUnavailable(errors.RESTARTED_AT_COMMIT) from e
            raise

    def rollback(self) -> None:
        if self._lost():
            return  # the server ended the transaction with the connection
        super().rollback()


def unreachable_message(database: peewee.Database, error: BaseException) -> str:
    params = database.connect_params
    where = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"
    text = str(error).strip()
    detail = text.splitlines()[0] if text else type(error).__name__
    label = f"{params.get('user', '')}@{where}/{database.database}"
    if "no password supplied" in text:
        return (f"No password is saved for the database {label}. Save it in Settings → Database, or with "
                "ispclient db-connect URL.")
    if "password authentication failed" in text:
        return (f"The database server at {where} refused the password of {params.get('user', '')}. Save the "
                "right one in Settings → Database, or with ispclient db-connect URL.")
    if "certificate" in text.lower() or "ssl" in text.lower():
        return f"The database server at {where} could not be reached securely (TLS): {detail}"
    return f"The database server at {where} can't be reached ({detail}). Check the network and try again."


def translate(error: BaseException, database: peewee.Database | None = None) -> BaseException:
    """A plain-words store error for a driver's error, or the error itself."""
    if isinstance(error, DatabaseUnavailable | DiskFull):
        return error
    text = str(error).lower()
    if "database or disk is full" in text or "no space left on device" in text or "could not extend file" in text:
        return DiskFull(errors.disk_full_message())
    d = database if database is not None else db.obj
    if isinstance(d, PostgresqlDatabase) and d._lost():
        return DatabaseUnavailable(errors.RESTARTED)
    return error


def make_database(target: str | Path | DbConfig | Target) -> peewee.Database:
    """A database object for a file path, a ``postgresql://`` / ``sqlite:///`` URL, a saved
    PostgreSQL config or a resolved :class:`~ispclient.store.dbconfig.Target`.

    A PostgreSQL URL without a password takes the one saved in the keyring for it."""
    if isinstance(target, DbConfig):
        target = Target(postgres=target, password=dbconfig.saved_password(target))
    if isinstance(target, Target):
        if target.postgres is not None:
            return PostgresqlDatabase(target.postgres.database, **target.postgres.connect_params(target.password))
        assert target.sqlite is not None
        target = target.sqlite
    text = str(target)
    if dbconfig.is_postgres_url(text):
        config, password = dbconfig.parse_url(text)
        if password is None:
            password = dbconfig.saved_password(config)
        return PostgresqlDatabase(config.database, **config.connect_params(password))
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    return SqliteDatabase(
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


@contextmanager
def atomic() -> Iterator[None]:
    """A write transaction; IMMEDIATE on SQLite so two writers queue instead of deadlocking.

    A lost server connection or a full disk leaves it as :class:`DatabaseUnavailable` or
    :class:`DiskFull`, whichever statement (or raw cursor) met it."""
    with memo_scope():
        try:
            yield from _atomic()
        except BaseException:
            memo = transaction_memo()
            if memo is not None:
                memo.clear()  # it may hold what the rolled-back transaction read of its own writes
            raise


def _atomic() -> Iterator[None]:
    obj = db.obj
    try:
        with obj.atomic("IMMEDIATE") if isinstance(obj, peewee.SqliteDatabase) else db.atomic():
            yield
    except (peewee.PeeweeException, sqlite3.Error, OSError) as e:
        translated = translate(e, obj)
        if translated is e:
            raise
        raise translated from e
    except Exception as e:
        if type(e).__module__.startswith("psycopg2"):  # a raw cursor's error (execute_values…)
            translated = translate(e, obj)
            if translated is not e:
                raise translated from e
        raise


def lock_row(table: str, row_id: int, *, share: bool = False) -> None:
    """Lock one row for the rest of the transaction (PostgreSQL; SQLite's IMMEDIATE transaction
    already admits one writer at a time). ``share`` lets other readers lock it too but makes a
    writer of that row wait: a sale holds its package while another PC edits the price."""
    if not is_sqlite():
        mode = "SHARE" if share else "UPDATE"
        db.execute_sql(f'SELECT id FROM "{table}" WHERE id = {db.obj.param} FOR {mode}', (row_id,))


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


def test_connection(config: DbConfig, password: str | None) -> str:
    """Reach a PostgreSQL database with these settings on a connection of its own (the app's
    stays as it is): what answered, or DatabaseUnavailable saying why not. For a worker thread."""
    probe = PostgresqlDatabase(config.database, **config.connect_params(password))
    try:
        probe.connect()
        server = probe.execute_sql("SHOW server_version").fetchone()[0]
        tls = probe.execute_sql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        has_schema = probe.table_exists("schema_version")
        version = probe.execute_sql("SELECT version FROM schema_version LIMIT 1").fetchone() if has_schema else None
    except peewee.DatabaseError as e:
        raise DatabaseUnavailable(unreachable_message(probe, e)) from None
    finally:
        if not probe.is_closed():
            probe.close()
    secured = "over TLS" if tls and tls[0] else "without TLS"
    data = f"ispclient data, schema {version[0]}" if version else "no ispclient data yet (the first start creates it)"
    return f"Connected {secured} to PostgreSQL {server}: {data}."
