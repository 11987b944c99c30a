"""The database commands of the command line (no Qt): back up, list backups, restore, check, and
copy to PostgreSQL. Each returns the process's exit code: 0 done, 1 refused or failed, 2 misuse.

    ispclient backup                    back up the database now
    ispclient backups                   list the backups, newest first
    ispclient restore FILE              put a backup back (close the app first)
    ispclient check                     full integrity check
    ispclient copy-to-postgres URL      copy the data into an empty PostgreSQL database
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from ispclient import store
from ispclient.logging_setup import scrub
from ispclient.paths import AppPaths
from ispclient.store import backup, integrity, schema, transfer
from ispclient.store.instance_lock import DataInUse, InstanceLock

COMMANDS = {
    "backup": "back up the database now",
    "backups": "list the backups, newest first",
    "restore": "restore FILE: put a backup back (close the app first)",
    "check": "run a full integrity check of the database",
    "copy-to-postgres": "copy-to-postgres URL: copy the data into an empty PostgreSQL database",
}
_ON_POSTGRES = ("The data is on PostgreSQL: back it up and restore it on the server "
                "(pg_dump / pg_restore, or the hosting provider's backups). Those backups do not contain the "
                "PPPoE password key either: keep a copy with ispclient key export FILE.")


def _say(text: str, out: TextIO | None = None) -> None:
    print(text, file=out or sys.stdout, flush=True)


def _fail(text: str) -> int:
    print(text, file=sys.stderr, flush=True)
    return 1


def run(command: str, argument: str | None, paths: AppPaths, db_url: str | None = None) -> int:
    """Run one of COMMANDS (app.py's entry point for them)."""
    if command == "backup":
        return run_backup(paths, db_url)
    if command == "backups":
        return run_list_backups(paths, db_url)
    if command == "restore":
        return run_restore(paths, db_url, argument)
    if command == "check":
        return run_check(paths, db_url)
    if command == "copy-to-postgres":
        return run_copy_to_postgres(paths, argument, db_url)
    return _fail(f"Unknown command {command!r}; one of: {', '.join(COMMANDS)}.")


def run_backup(paths: AppPaths, db_url: str | None = None) -> int:
    db_path = backup.sqlite_file(paths, db_url)
    if db_path is None:
        return _fail(_ON_POSTGRES)
    started = time.perf_counter()
    try:
        info = backup.create_backup(db_path, paths.backup_dir, "manual")
    except backup.BackupError as e:
        return _fail(str(e))
    _say(f"Backed up to {info.path} ({backup.size_text(info.size)}, {time.perf_counter() - started:.1f} s).")
    _say(backup.KEY_NOTE)
    return 0


def run_list_backups(paths: AppPaths, db_url: str | None = None) -> int:
    db_path = backup.sqlite_file(paths, db_url)
    if db_path is None:
        return _fail(_ON_POSTGRES)
    found = backup.list_backups(paths.backup_dir, db_path.stem)
    if not found:
        _say(f"No backups yet in {paths.backup_dir}.")
        return 0
    for info in found:
        _say(f"{info.describe()}\n    {info.path}")
    return 0


def _backup_file(paths: AppPaths, argument: str) -> Path:
    """A path as given, or the name of a file in the backup directory."""
    given = Path(argument).expanduser()
    if not given.exists() and (paths.backup_dir / argument).exists():
        return paths.backup_dir / argument
    return given


def run_restore(paths: AppPaths, db_url: str | None, argument: str | None) -> int:
    db_path = backup.sqlite_file(paths, db_url)
    if db_path is None:
        return _fail(_ON_POSTGRES)
    if not argument:
        _fail("Which backup? ispclient restore FILE (ispclient backups lists them).")
        return 2
    chosen = _backup_file(paths, argument)
    lock = InstanceLock(paths.data_dir)
    try:
        lock.acquire()
    except DataInUse as e:
        return _fail(f"{e}\n\nClose the app, then run the restore again.")
    try:
        result = backup.restore(chosen, db_path, paths.backup_dir)
        store.open_database(db_path, paths.backup_dir)  # migrates a backup of an older schema now
        store.close_database()
    except (backup.BackupError, schema.SchemaError) as e:
        return _fail(str(e))
    finally:
        lock.release()
    _say(f"Restored {result.restored_from.name} into {db_path}.")
    _say(backup.KEY_NOTE.replace("Keep a copy of it with", "If this PC lacks it, import it with")
         .replace("export FILE", "import FILE").replace("→ Export", "→ Import"))
    if result.previous_copy is not None:
        _say(f"The data as it was before the restore is kept in {result.previous_copy}.")
    if result.schema_version < schema.CURRENT_VERSION:
        _say(f"The backup was made by an older version (schema {result.schema_version}); it was brought "
             f"up to schema {schema.CURRENT_VERSION}.")
    return 0


def run_check(paths: AppPaths, db_url: str | None = None) -> int:
    db_path = backup.sqlite_file(paths, db_url)
    if db_path is None:
        assert db_url is not None
        try:
            database = store.open_database(db_url)
            version = schema.version(database)
            balances_text = _check_balances()
        except Exception as e:  # noqa: BLE001 - whatever stops us is the answer
            return _fail(f"Could not open {transfer.redact(db_url)}: {scrub(str(e))}")
        finally:
            store.close_database()
        _say(f"PostgreSQL database {transfer.redact(db_url)} answers, schema {version}. PostgreSQL checks "
             f"its own pages; there is no integrity check to run from here. {balances_text}")
        return 0
    if not db_path.is_file():
        return _fail(f"There is no database at {db_path}.")
    _say(f"Checking {db_path} …")
    result = integrity.check_file(db_path, full=True)
    if not result.ok:
        integrity.mark_suspect(db_path, "ispclient check found damage")  # the app won't use it unchecked
        hint, _ = backup.restore_hint(paths.backup_dir, db_path.stem)
        return _fail(f"{result.summary()}\n\n{hint}")
    _say(f"{result.summary()} Schema {backup.backup_version(db_path)}.")
    try:
        store.open_database(db_path, paths.backup_dir)
        _say(_check_balances())
    finally:
        store.close_database()
    return 0


def _check_balances() -> str:
    """Each client's kept balance against their payments (store/balances.py), fixed if it drifted."""
    from ispclient.store import balances

    wrong = balances.repair()
    if not wrong:
        return "Client balances: every one agrees with the payments."
    shown = ", ".join(f"client {cid} ({kept} → {summed})" for cid, kept, summed in wrong[:10])
    return (f"Client balances: {len(wrong)} disagreed with the payments and were recomputed (minor units): "
            f"{shown}{' …' if len(wrong) > 10 else ''}.")


def _progress(table: str, rows: int) -> None:
    if rows % 100_000 == 0:
        _say(f"    {table}: {rows} rows …")


def run_copy_to_postgres(paths: AppPaths, dest_url: str | None, db_url: str | None = None) -> int:
    if not dest_url:
        _fail("Copy to which database? ispclient copy-to-postgres postgresql://user@host/dbname")
        return 2
    src = backup.sqlite_file(paths, db_url)
    if src is None:
        return _fail("The data is already on PostgreSQL.")
    lock = InstanceLock(paths.data_dir)
    try:
        lock.acquire()  # nobody may go on writing to the SQLite file once it is copied
    except DataInUse as e:
        return _fail(f"{e}\n\nClose the app, then run the copy again.")
    try:
        store.open_database(src, paths.backup_dir)  # refuses damage; brings an older schema up to date
        store.close_database()
        _say(f"Copying {src} to {transfer.redact(dest_url)} (about 1 minute per 100,000 clients) …")
        report = transfer.copy_database(src, dest_url, progress=_progress)
    except (transfer.CopyRefused, schema.SchemaError) as e:
        return _fail(str(e))
    finally:
        lock.release()
    for t in report.tables:
        _say(f"    {t.table:<16} {t.rows:>9} rows")
    if report.nul_removed:
        _say(f"{report.nul_removed} row(s) held invisible NUL characters, which PostgreSQL can't store; they were "
             "left out of the copy (nothing visible changed).")
    _say(f"Copied {report.rows} rows in {report.seconds:.1f} s; every table was checked (row counts and "
         f"checksums match), schema {report.schema_version}.\n\n"
         f"Now start ispclient on every PC with:\n    ispclient --db-url {transfer.redact(dest_url)}\n"
         f"{src} is no longer used; keep it (and its backups) until you are happy with the move.")
    return 0
