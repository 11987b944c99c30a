"""Schema versions: create a new database, or migrate an older one after backing it up."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _v2(database: peewee.Database) -> None:
    """PPPoE passwords (encrypted), the last desired router state, and the router change queue.

    Tolerant of a database that _v1 already created with these (it creates the current models).
    """
    from ispclient.store.models import RouterChange

    have = {c.name for c in database.get_columns("client")}
    for column in ("pppoe_password_enc", "router_desired"):
        if column not in have:
            database.execute_sql(f"ALTER TABLE client ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    database.create_tables([RouterChange], safe=True)


def _v3(database: peewee.Database) -> None:
    """An index of the subscriptions still to come, for the client list's "Scheduled" query:
    at 100,000 clients it reads the ~7,000 upcoming ones instead of scanning all 600,000
    (15 ms instead of 70 ms at every start-up and list reload)."""
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS subscription_upcoming ON subscription (starts_on) WHERE cancelled_at IS NULL")


def _v4(database: peewee.Database) -> None:
    """Two start-up queries answered from indexes alone.

    * The client list's "subscription that describes the client today" (one per client):
      ``subscription_describes`` holds every column that lookup reads, so it never visits the
      600,000-row table (the list query: 0.35 s → 0.22 s at 100,000 clients). It replaces
      ``subscription_current``, whose queries (by client, not cancelled) it answers as well.
    * Auto-renew's due subscriptions: only auto-renewing, not cancelled ones, by end date
      (0.2–0.3 s → 0.03 s at every start-up).
    """
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS subscription_describes "
        "ON subscription (client_id, ends_on, starts_on, package_name) WHERE cancelled_at IS NULL")
    database.execute_sql("DROP INDEX IF EXISTS subscription_current")
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS subscription_auto_renew "
        "ON subscription (ends_on) WHERE auto_renew AND cancelled_at IS NULL")


def _client_row_version_and_unknown_passwords(database: peewee.Database) -> None:
    """``client.version`` (optimistic concurrency: an edit based on an older version is refused)
    and ``client.pppoe_password_unknown`` (its key was lost and a new one started)."""
    have = {c.name for c in database.get_columns("client")}
    false = "0" if isinstance(database, peewee.SqliteDatabase) else "false"
    boolean = "INTEGER" if isinstance(database, peewee.SqliteDatabase) else "BOOLEAN"
    if "version" not in have:
        database.execute_sql("ALTER TABLE client ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
    if "pppoe_password_unknown" not in have:
        database.execute_sql(f"ALTER TABLE client ADD COLUMN pppoe_password_unknown {boolean} NOT NULL DEFAULT {false}")


def _case_insensitive_client_ids_and_usernames(database: peewee.Database) -> None:
    """Client IDs, and PPPoE usernames on one router, unique whatever their case (RouterOS
    treats "Amina" and "amina" as one secret). Never fails on an existing database: while older
    data holds such twins the index waits (see :func:`ensure_case_indexes`), and the service
    functions refuse new twins meanwhile."""
    ensure_case_indexes(database)


def _staff_shifts_and_who(database: peewee.Database) -> None:
    """Staff accounts, sign-in lock-outs and shifts; who did each audited change (the staff
    member, the OS user and the PC); which shift took each payment. Old audit rows keep their
    ``actor`` (the OS user then); the first start after this asks for the owner account."""
    from ispclient.store.models import AuditEvent, Shift, SignInLock, Staff

    database.create_tables([Staff, SignInLock, Shift], safe=True)
    have = {c.name for c in database.get_columns(AuditEvent._meta.table_name)}
    if "staff_id" not in have:
        database.execute_sql("ALTER TABLE audit_event ADD COLUMN staff_id INTEGER")
    for column in ("os_user", "pc_name"):
        if column not in have:
            database.execute_sql(f"ALTER TABLE audit_event ADD COLUMN {column} VARCHAR(100) NOT NULL DEFAULT ''")
    if "shift_id" not in {c.name for c in database.get_columns("payment")}:
        database.execute_sql("ALTER TABLE payment ADD COLUMN shift_id INTEGER REFERENCES shift (id) ON DELETE RESTRICT")
    for sql in (
        "CREATE UNIQUE INDEX IF NOT EXISTS staff_username_nocase ON staff (lower(username))",
        "CREATE UNIQUE INDEX IF NOT EXISTS staff_name_nocase ON staff (lower(display_name))",
        # One open shift per staff member, whichever PC they sign in on.
        "CREATE UNIQUE INDEX IF NOT EXISTS shift_open_per_staff ON shift (staff_id) WHERE closed_at IS NULL",
        "CREATE INDEX IF NOT EXISTS shift_staff ON shift (staff_id, opened_at)",
        "CREATE INDEX IF NOT EXISTS payment_shift ON payment (shift_id)",
    ):
        database.execute_sql(sql)


# Name → (columns, the rows that must be unique); the lower() of ASCII-only values (both fields
# allow ASCII only) is the same in SQLite and PostgreSQL.
CASE_INDEXES = {
    "client_code_live_nocase": ("lower(client_code)", "deleted_at IS NULL"),
    "client_pppoe_live_nocase": ("server_id, lower(pppoe_username)", "deleted_at IS NULL AND pppoe_username <> ''"),
}


def _index_names(database: peewee.Database, table: str) -> set[str]:
    return {ix.name for ix in database.get_indexes(table)}


def ensure_case_indexes(database: peewee.Database) -> list[str]:
    """Create the case-insensitive unique indexes that are missing and can be made now; returns
    the twins that still stop one (to log). Cheap once they exist: one index listing."""
    missing = [name for name in CASE_INDEXES if name not in _index_names(database, "client")]
    waiting: list[str] = []
    for name in missing:
        columns, where = CASE_INDEXES[name]
        twins = database.execute_sql(
            f"SELECT {columns}, COUNT(*) FROM client WHERE {where} GROUP BY {columns} HAVING COUNT(*) > 1 LIMIT 5"
        ).fetchall()
        if twins:
            waiting.append(f"{name}: {', '.join(str(t[:-1]) for t in twins)}")
            log.warning("index %s waits: clients differing only in case: %s", name, twins)
            continue
        database.execute_sql(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON client ({columns}) WHERE {where}")
    return waiting


def _router_actions_by_hand_and_cancel_at_period_end(database: peewee.Database) -> None:
    """``client.secret_held`` (PPP secret disabled by hand), ``subscription.cancel_on``
    (cancelled at the end of the paid period) and ``router_change.action`` ("disconnect")."""
    sqlite = isinstance(database, peewee.SqliteDatabase)
    false, boolean = ("0", "INTEGER") if sqlite else ("false", "BOOLEAN")
    added = {"client": ("secret_held", f"{boolean} NOT NULL DEFAULT {false}"),
             "subscription": ("cancel_on", "DATE"),
             "router_change": ("action", "VARCHAR(20) NOT NULL DEFAULT ''")}
    for table, (column, kind) in added.items():
        if column not in {c.name for c in database.get_columns(table)}:
            database.execute_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _payments_ledger_receipts_and_balances(database: peewee.Database) -> None:
    """The counter (issue 13): payments become a ledger (domain/ledger.py) — refunds, credit and
    voids, each with a receipt number — and every client keeps their balance.

    * ``payment``: ``client_id`` (entries on credit have no subscription, so ``subscription_id``
      may be empty), ``kind``, ``credit_minor``, ``receipt_no`` (unique), ``tendered_minor``,
      ``balance_after_minor`` and the void columns. Existing payments are numbered R-000001… in
      the order they were taken; SQLite can't drop a NOT NULL, so there the table is rebuilt.
    * ``counter``: the receipt counter, set after the last number given.
    * ``client.balance_minor``: summed once here, kept by every money service from now on.

    Tolerant of a database that _v1 already created with all of these (it creates the current
    models), where there is nothing to number or sum.
    """
    from ispclient.store import balances
    from ispclient.store.models import Counter

    sqlite = isinstance(database, peewee.SqliteDatabase)
    have = {c.name for c in database.get_columns("payment")}
    if "kind" not in have:
        (_ledger_sqlite if sqlite else _ledger_postgres)(database)
    if "balance_minor" not in {c.name for c in database.get_columns("client")}:
        database.execute_sql("ALTER TABLE client ADD COLUMN balance_minor BIGINT NOT NULL DEFAULT 0")
    database.create_tables([Counter], safe=True)
    for sql in _LEDGER_INDEXES:
        database.execute_sql(sql)
    issued = int(database.execute_sql("SELECT COUNT(*) FROM payment").fetchone()[0])
    if issued:  # a new database starts its counter at the first receipt (store/receipts.take_number)
        database.execute_sql(f"INSERT INTO counter (name, value) VALUES ('receipt', {issued})")
        balances.refresh_all()


_LEDGER_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS payment_receipt_no ON payment (receipt_no)",
    "CREATE UNIQUE INDEX IF NOT EXISTS payment_void_receipt_no ON payment (void_receipt_no)",
    "CREATE INDEX IF NOT EXISTS payment_client_id ON payment (client_id)",
    # The duplicate-reference check before each payment ("QK8ABC" already on R-000041?).
    "CREATE INDEX IF NOT EXISTS payment_reference ON payment (lower(reference)) WHERE reference <> ''",
]
_FIRST_RECEIPTS = "'R-' || {pad}(ROW_NUMBER() OVER (ORDER BY p.paid_at, p.id))"


def _ledger_sqlite(database: peewee.Database) -> None:
    """SQLite keeps NOT NULL on ``subscription_id``: the table is made again from the model, every
    column it had copied over (whatever steps before this one added), and its indexes remade."""
    from ispclient.store.models import Payment

    indexes = [sql for (sql,) in database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'payment' AND sql IS NOT NULL")]
    old = [c.name for c in database.get_columns("payment")]
    database.execute_sql("ALTER TABLE payment RENAME TO payment_before_ledger")
    for (name,) in database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                                        "AND tbl_name = 'payment_before_ledger' AND sql IS NOT NULL").fetchall():
        database.execute_sql(f'DROP INDEX "{name}"')
    Payment._schema.create_table(safe=False)  # type: ignore[attr-defined]  # its indexes after the rows: 3× faster
    made = {c.name for c in database.get_columns("payment")}
    # The numbers in the order the money was taken, worked out on (id, paid_at) alone: a window over
    # the whole rows sorts every note and reference too (13 s → 3 s at 600,000 payments).
    database.execute_sql("CREATE TEMP TABLE receipt_order (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    database.execute_sql("INSERT INTO receipt_order (id, n) "
                         "SELECT id, ROW_NUMBER() OVER (ORDER BY paid_at, id) FROM payment_before_ledger")
    filled = {"client_id": "s.client_id", "kind": "'payment'", "credit_minor": "0", "void_reason": "''",
              "voided_by": "''", "receipt_no": "'R-' || printf('%06d', r.n)"}
    kept = [c for c in old if c in made and c not in filled]
    columns = [*kept, *filled]
    database.execute_sql(
        f"INSERT INTO payment ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) "
        f"SELECT {', '.join([*(f'p.{chr(34)}{c}{chr(34)}' for c in kept), *filled.values()])} "
        "FROM payment_before_ledger p JOIN subscription s ON s.id = p.subscription_id "
        "JOIN receipt_order r ON r.id = p.id")
    database.execute_sql("DROP TABLE receipt_order")
    database.execute_sql("DROP TABLE payment_before_ledger")
    Payment._schema.create_indexes(safe=True)  # type: ignore[attr-defined]
    for sql in indexes:  # those the model does not make itself (payment_subscription, payment_shift…)
        database.execute_sql(re.sub(r"^CREATE (UNIQUE )?INDEX (?!IF NOT EXISTS)", r"CREATE \1INDEX IF NOT EXISTS ",
                                    sql, flags=re.IGNORECASE))


def _ledger_postgres(database: peewee.Database) -> None:
    run = database.execute_sql
    run("ALTER TABLE payment ALTER COLUMN subscription_id DROP NOT NULL")
    run("ALTER TABLE payment ADD COLUMN client_id INTEGER REFERENCES client (id) ON DELETE CASCADE")
    run("UPDATE payment SET client_id = s.client_id FROM subscription s WHERE s.id = payment.subscription_id")
    run("ALTER TABLE payment ALTER COLUMN client_id SET NOT NULL")
    run("ALTER TABLE payment ADD COLUMN kind VARCHAR(12) NOT NULL DEFAULT 'payment', "
        "ADD COLUMN credit_minor BIGINT NOT NULL DEFAULT 0, ADD COLUMN receipt_no VARCHAR(40), "
        "ADD COLUMN tendered_minor BIGINT, ADD COLUMN balance_after_minor BIGINT, "
        "ADD COLUMN voided_at TIMESTAMP, ADD COLUMN voided_by VARCHAR(100) NOT NULL DEFAULT '', "
        "ADD COLUMN void_reason TEXT NOT NULL DEFAULT '', ADD COLUMN void_receipt_no VARCHAR(40)")
    number = _FIRST_RECEIPTS.format(pad="lpad(") + "::text, 6, '0')"
    run(f"UPDATE payment SET receipt_no = r.number FROM (SELECT p.id, {number} AS number FROM payment p) r "
        "WHERE r.id = payment.id")
    run("ALTER TABLE payment ALTER COLUMN receipt_no SET NOT NULL")


def _report_indexes(database: peewee.Database) -> None:
    """The Today page and the reports (issue 16), measured at 100,000 clients and 600,000 payments:

    * money by the day it was taken: the entries that count (not voided) by ``paid_at`` with what
      the sums and the day's takings read, so twelve months of revenue is read from the index
      alone (1.7 s → 0.15 s), and a day's takings too (110 → 14 ms);
      the few voided ones by ``paid_at`` apart (the day's takings list them);
    * subscriptions by their end date (not cancelled): "expiring" and "expired lately" look at
      the few thousand ending near today instead of every client's latest one;
    * the clients who owe, the live clients per router, and clients and subscriptions by when
      they were made (new clients, sales per month).
    """
    for sql in (
        "CREATE INDEX IF NOT EXISTS payment_paid_at ON payment (paid_at, kind, amount_minor, method, taken_by) "
        "WHERE voided_at IS NULL",
        "CREATE INDEX IF NOT EXISTS payment_voided_paid_at ON payment (paid_at) WHERE voided_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS subscription_ends ON subscription (ends_on, client_id, starts_on) "
        "WHERE cancelled_at IS NULL",
        "CREATE INDEX IF NOT EXISTS client_owing ON client (balance_minor) "
        "WHERE deleted_at IS NULL AND balance_minor > 0",
        "CREATE INDEX IF NOT EXISTS client_live_server ON client (server_id) WHERE deleted_at IS NULL",
        "CREATE INDEX IF NOT EXISTS subscription_created ON subscription (created_at)",
        "CREATE INDEX IF NOT EXISTS client_created ON client (created_at)",
    ):
        database.execute_sql(sql)


def _start_up_without_history_scans(database: peewee.Database) -> None:
    """Two start-up reads that grew with the years of history, answered from small indexes
    (measured at 1,000,000 clients with 5.9 million subscriptions, 100,000 clients in brackets):

    * auto-renew's due subscriptions: ``subscription_auto_renew`` held every auto-renew period
      ever sold, each one renewed long ago but looked at again at every start (782,000 rows,
      2.2 s [79,000, 80 ms]). ``subscription.renewed`` marks the ones that have their renewal,
      and ``subscription_auto_renew_due`` leaves them out: it holds only the open ends of chains;
    * the list's first page, the first clients by name: ``client_name_order`` instead of sorting
      every client (0.55 s [80 ms]).
    """
    have = {c.name for c in database.get_columns("subscription")}
    sqlite = isinstance(database, peewee.SqliteDatabase)
    if "renewed" not in have:
        database.execute_sql(f"ALTER TABLE subscription ADD COLUMN renewed {'INTEGER' if sqlite else 'BOOLEAN'} "
                             f"NOT NULL DEFAULT {'0' if sqlite else 'false'}")
    database.execute_sql(f"UPDATE subscription SET renewed = {'1' if sqlite else 'true'} WHERE id IN "
                         "(SELECT renewed_from_id FROM subscription WHERE renewed_from_id IS NOT NULL)")
    for sql in (
        "DROP INDEX IF EXISTS subscription_auto_renew",
        "CREATE INDEX IF NOT EXISTS subscription_auto_renew_due ON subscription (ends_on) "
        "WHERE auto_renew AND cancelled_at IS NULL AND NOT renewed",
        "CREATE INDEX IF NOT EXISTS client_name_order ON client (lower(name), id) WHERE deleted_at IS NULL",
    ):
        database.execute_sql(sql)


# MIGRATIONS[n] brings a database from version n to n + 1. Append; never edit a released one.
MIGRATIONS: list[Callable[[peewee.Database], None]] = [
    _v1, _v2, _v3, _v4,
    _client_row_version_and_unknown_passwords,
    _case_insensitive_client_ids_and_usernames,
    _staff_shifts_and_who,
    _router_actions_by_hand_and_cancel_at_period_end,
    _payments_ledger_receipts_and_balances,
    _report_indexes,
    _start_up_without_history_scans,
]
CURRENT_VERSION = len(MIGRATIONS)

# Columns each step added to a table that existed before it (a backup claiming an older version
# lacks them); tables a step created are listed whole. Used to check a backup before restoring it.
COLUMNS_ADDED: dict[int, dict[str, frozenset[str]]] = {
    2: {"client": frozenset({"pppoe_password_enc", "router_desired"})},
    5: {"client": frozenset({"version", "pppoe_password_unknown"})},
    7: {"audit_event": frozenset({"staff_id", "os_user", "pc_name"}), "payment": frozenset({"shift_id"})},
    8: {"client": frozenset({"secret_held"}), "subscription": frozenset({"cancel_on"}),
        "router_change": frozenset({"action"})},
    9: {"client": frozenset({"balance_minor"}),
        "payment": frozenset({"client_id", "kind", "credit_minor", "receipt_no", "tendered_minor",
                              "balance_after_minor", "voided_at", "voided_by", "void_reason", "void_receipt_no"})},
    11: {"subscription": frozenset({"renewed"})},
}
TABLES_ADDED: dict[int, frozenset[str]] = {2: frozenset({"router_change"}),
                                           7: frozenset({"staff", "sign_in_lock", "shift"}),
                                           9: frozenset({"counter"})}


def expected_columns(version: int) -> dict[str, frozenset[str]]:
    """Every table and its columns as a database of ``version`` has them."""
    out: dict[str, set[str]] = {m._meta.table_name: {f.column_name for f in m._meta.sorted_fields}  # type: ignore[attr-defined]
                                for m in MODELS}
    for step, tables in TABLES_ADDED.items():
        if step > version:
            for table in tables:
                out.pop(table, None)
    for step, added in COLUMNS_ADDED.items():
        if step > version:
            for table, columns in added.items():
                if table in out:
                    out[table] -= columns
    return {t: frozenset(c) for t, c in out.items()}


class SchemaError(RuntimeError):
    """The database can't be used as it is; the message says what to do. ``backup`` is the newest
    good backup, when one was found, so the app can offer to restore it."""

    def __init__(self, message: str, backup: Path | None = None) -> None:
        super().__init__(message)
        self.backup = backup


def version(database: peewee.Database) -> int:
    if not database.table_exists(SchemaVersion._meta.table_name):  # type: ignore[attr-defined]
        return 0
    row = SchemaVersion.select().first()
    return int(row.version) if row else 0


def backup_sqlite(src: Path, dest_dir: Path, label: str) -> Path:
    """A consistent copy through SQLite's backup API (never a raw copy of a live WAL file)."""
    from ispclient.store import backup

    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = backup.free_path(dest_dir, src.stem, label, datetime.now())
    backup.copy_online(src, dest)  # written aside, synced, then renamed: never a half copy
    return dest


_MIGRATION_LOCK = 0x15C_11E7  # pg_advisory_xact_lock key: one migrating PC at a time


@contextmanager
def _migration_step(database: peewee.Database) -> Iterator[None]:
    """One step's transaction, taken so that two processes (or PCs) starting at once queue:
    IMMEDIATE on SQLite, an advisory lock on PostgreSQL."""
    if isinstance(database, peewee.SqliteDatabase):
        with database.atomic("IMMEDIATE"):
            yield
        return
    with database.atomic():
        if isinstance(database, peewee.PostgresqlDatabase):
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        yield


def migrate(backup_dir: Path | None = None) -> int:
    """Bring the open database to CURRENT_VERSION; returns the version it had."""
    database = db.obj
    found = version(database)
    path = sqlite_path(database)
    if found > CURRENT_VERSION:
        from ispclient.store import backup

        hint, newest = backup.restore_hint(backup_dir, path.stem) if path else ("", None)
        raise SchemaError(
            f"This database was written by a newer version of ispclient (schema {found}; this "
            f"program knows up to {CURRENT_VERSION}). Install the newer version to open it."
            + (f"\n\nIf you must use this version: {hint} Restoring it loses every change made "
               "since that backup." if newest else ""),
            backup=newest,
        )
    if found == CURRENT_VERSION:
        return found
    if found > 0 and path is not None and backup_dir is not None:
        copy = backup_sqlite(path, backup_dir, f"before-schema-{found + 1}")
        log.info("backed up database to %s before migrating from schema %d", copy, found)
    for step in range(found, CURRENT_VERSION):
        with _migration_step(database):
            if version(database) > step:
                continue  # another process or PC did this step while we waited
            MIGRATIONS[step](database)
            SchemaVersion.delete().execute()
            SchemaVersion.create(version=step + 1)
        log.info("database migrated to schema %d", step + 1)
    if is_sqlite(database):
        try:  # planner statistics: worth having, never worth failing a start for
            database.execute_sql("PRAGMA optimize")
        except peewee.OperationalError:
            log.info("PRAGMA optimize skipped: the database is busy (another process is opening it)")
    return found
