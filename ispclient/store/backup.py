"""Backups of the SQLite database: consistent online copies made the first time the app starts
each day and on demand, verified and rotated; the newest good one found when the live file is
refused; and restoring one in place of the live file.

A backup is one self-contained file ``<db stem>-<kind>-<YYYYmmdd-HHMMSS>.sqlite3`` in the backup
directory. Kinds: ``auto`` (daily) and ``manual`` ("Back up now") are rotated together — the
newest backup of each of the 7 most recent days, 4 most recent weeks and 12 most recent months
that have one is kept; safety copies (``before-restore``, ``before-schema-N``) are kept 10 deep.
Files with other names are never touched.

Backups do not contain the PPPoE password key (it lives in each PC's keyring): :data:`KEY_NOTE`
says so wherever backups are made or restored, and a README.txt in the backup folder.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ispclient.domain.permissions import SYSTEM, Permission
from ispclient.paths import AppPaths
from ispclient.store import access, integrity, schema
from ispclient.store.db import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

REGULAR_KINDS = ("auto", "manual")
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
KEEP_SAFETY = 10
_TAIL = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?\.sqlite3$")
_KIND_LABELS = {"auto": "Daily", "manual": "Manual", "before-restore": "Before a restore"}

_busy = threading.Lock()  # one backup at a time in this process


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime  # local time, from the file name
    kind: str
    size: int

    @property
    def regular(self) -> bool:
        return self.kind in REGULAR_KINDS

    @property
    def kind_label(self) -> str:
        if self.kind.startswith("before-schema-"):
            return "Before a program upgrade"
        return _KIND_LABELS.get(self.kind, self.kind)

    def describe(self) -> str:
        return f"{self.taken_at:%d %b %Y %H:%M} · {self.kind_label} · {size_text(self.size)}"


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


def sqlite_file(paths: AppPaths, db_url: str | None = None) -> Path | None:
    """The SQLite file the app uses, or None on PostgreSQL (whose backups are the server's job)."""
    if not db_url:
        return paths.database
    if db_url.startswith(("postgres://", "postgresql://")):
        return None
    return Path(db_url.removeprefix("sqlite:///"))


# --- names and listing -------------------------------------------------------------------------


def _parse(path: Path, stem: str) -> BackupInfo | None:
    name = path.name
    m = _TAIL.search(name)
    if not m or not name.startswith(f"{stem}-") or m.start() <= len(stem) + 1:
        return None
    try:
        taken = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    return BackupInfo(path, taken, name[len(stem) + 1:m.start()], size)


def list_backups(backup_dir: Path, stem: str = "ispclient") -> list[BackupInfo]:
    """This database's backups, newest first."""
    try:
        entries = list(backup_dir.iterdir())
    except OSError:
        return []
    found = [b for b in (_parse(p, stem) for p in entries if p.is_file()) if b is not None]
    # Same second: "-1", "-2"… were made after the plain name, and are longer.
    return sorted(found, key=lambda b: (b.taken_at, len(b.path.name), b.path.name), reverse=True)


def free_path(backup_dir: Path, stem: str, kind: str, when: datetime) -> Path:
    dest = backup_dir / f"{stem}-{kind}-{when:%Y%m%d-%H%M%S}.sqlite3"
    n = 1
    while dest.exists():
        dest = backup_dir / f"{stem}-{kind}-{when:%Y%m%d-%H%M%S}-{n}.sqlite3"
        n += 1
    return dest


# --- copying -----------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":
        return  # Windows can't open a directory; NTFS journals the rename itself
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_from(source: sqlite3.Connection, dest: Path) -> None:
    """Copy an open database through SQLite's backup API into ``dest``: written as a partial
    file, made self-contained (no -wal needed), synced, then renamed into place — so a crash
    never leaves a half backup that looks whole. A failed copy removes its partial file; one
    left by a killed process is removed by the next backup (:func:`remove_partials`)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f"{dest.name}.{os.getpid()}{PARTIAL}")
    partial.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # one step: a consistent snapshot; WAL lets writers carry on
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        with partial.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, dest)
    except BaseException:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)


PARTIAL = ".partial"
_PARTIAL_NAME = re.compile(r"\.(\d+)\.partial(-journal)?$")
_STALE_UNOWNED_S = 600  # a partial file without a process id (older versions) is old after 10 min


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_partials(backup_dir: Path) -> list[Path]:
    """Delete the partial files of backups whose process was killed (a power cut, Task Manager):
    each partial file names the process writing it, and one still running keeps its file."""
    import time

    removed: list[Path] = []
    try:
        entries = list(backup_dir.iterdir())
    except OSError:
        return removed
    for path in entries:
        if PARTIAL not in path.name:
            continue
        m = _PARTIAL_NAME.search(path.name)
        try:
            if m is not None:
                if (int(m.group(1)) == os.getpid() and _busy.locked()) or \
                        (int(m.group(1)) != os.getpid() and _process_alive(int(m.group(1)))):
                    continue
            elif time.time() - path.stat().st_mtime < _STALE_UNOWNED_S:
                continue
            path.unlink()
            removed.append(path)
        except OSError:
            log.warning("could not delete the unfinished backup %s", path, exc_info=True)
    if removed:
        log.info("removed %d unfinished backup file(s) left by an interrupted backup", len(removed))
    return removed


KEY_NOTE = ("Backups do not contain the PPPoE password key: it lives only in the keyring (Windows Credential "
            "Manager) of each PC that has it. Keep a copy of it with: ispclient key export FILE (or Settings → "
            "PPPoE password key → Export).")
_README = "README.txt"


def _write_readme(backup_dir: Path) -> None:
    readme = backup_dir / _README
    if readme.exists():
        return
    try:
        readme.write_text("These are backups of the ispclient database (one file each; restore one with "
                          "ispclient restore FILE, or File → Restore in the app).\n\n" + KEY_NOTE + "\n",
                          encoding="utf-8")
    except OSError:
        pass


def _full(e: BaseException) -> bool:
    return getattr(e, "errno", None) == errno.ENOSPC or "disk is full" in str(e).lower() \
        or "no space left" in str(e).lower()


def open_existing(path: Path, *, read_only: bool = False,
                  timeout: float = BUSY_TIMEOUT_MS / 1000) -> sqlite3.Connection:
    """A plain sqlite3 connection that never creates a missing file."""
    mode = "ro" if read_only else "rw"
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=timeout)


def copy_online(src: Path, dest: Path) -> None:
    """A consistent copy of a live (WAL) database — never a raw copy of its file."""
    source = open_existing(src)
    try:
        backup_from(source, dest)
    finally:
        source.close()


@access.requires(Permission.BACKUP)
def create_backup(db_path: Path, backup_dir: Path, kind: str = "manual", *, dest: Path | None = None,
                  now: datetime | None = None) -> BackupInfo:
    """Back up the database, check the copy, and rotate. The copy failing its check means the
    live file is damaged: it is then marked so the next start checks it and refuses it."""
    if not db_path.is_file():
        raise BackupError(f"There is no database at {db_path} to back up.")
    with _busy:
        remove_partials(backup_dir)
        dest = dest or free_path(backup_dir, db_path.stem, kind, now or datetime.now())
        try:
            copy_online(db_path, dest)
        except (sqlite3.DatabaseError, OSError) as e:
            if _full(e):
                raise BackupError(f"The backup could not be written to {dest}: the disk is full. Free some space "
                                  "(or choose another place for backups), then try again.") from e
            if isinstance(e, sqlite3.DatabaseError) and integrity.is_damage(e):
                integrity.mark_suspect(db_path, f"a backup could not be made: {e}")
                raise BackupError(damaged_message(db_path, str(e), backup_dir)) from e
            raise BackupError(f"The backup could not be written to {dest}: "
                              f"{getattr(e, 'strerror', None) or e}") from e
        _write_readme(backup_dir)
        check = integrity.check_file(dest, full=False)
        if not check.ok:
            dest.unlink(missing_ok=True)
            integrity.mark_suspect(db_path, f"its backup copy failed the check: {check.problems[0]}")
            raise BackupError(damaged_message(db_path, check.problems[0], backup_dir))
        info = _parse(dest, db_path.stem) or BackupInfo(dest, now or datetime.now(), kind, dest.stat().st_size)
        rotate(backup_dir, db_path.stem)
    log.info("backed up %s to %s (%s, checked in %.2f s)", db_path, dest, size_text(info.size), check.seconds)
    return info


# --- rotation ----------------------------------------------------------------------------------


def kept(stamps: Iterable[datetime], now: datetime | None = None, daily: int = KEEP_DAILY,
         weekly: int = KEEP_WEEKLY, monthly: int = KEEP_MONTHLY) -> set[datetime]:
    """The backup times to keep: every one of the last 24 hours (a "Back up now" never pushes out
    this morning's copy), and the newest of each of the ``daily`` most recent days that have a
    backup, likewise for ISO weeks and calendar months. Gaps (the PC was off for a month) never
    make the rules throw away the backups that remain."""
    ordered = sorted(set(stamps), reverse=True)
    recent = (now or datetime.now()) - timedelta(days=1)
    rules: list[tuple[int, Callable[[datetime], object]]] = [
        (daily, lambda t: t.date()),
        (weekly, lambda t: t.isocalendar()[:2]),
        (monthly, lambda t: (t.year, t.month)),
    ]
    keep = {t for t in ordered if t >= recent}
    for count, period in rules:
        seen: set[object] = set()
        for t in ordered:
            p = period(t)
            if p in seen:
                continue
            if len(seen) == count:
                break
            seen.add(p)
            keep.add(t)
    return keep


def rotate(backup_dir: Path, stem: str = "ispclient", now: datetime | None = None) -> list[Path]:
    """Delete the backups the rules no longer keep; returns what was deleted."""
    backups = list_backups(backup_dir, stem)
    regular = [b for b in backups if b.regular]
    keep = kept((b.taken_at for b in regular), now)
    doomed = [b.path for b in regular if b.taken_at not in keep]
    doomed += [b.path for b in [b for b in backups if not b.regular][KEEP_SAFETY:]]
    for path in doomed:
        try:
            path.unlink()
        except OSError:
            log.warning("could not delete old backup %s", path, exc_info=True)
    return doomed


# --- the daily backup --------------------------------------------------------------------------


def backup_due(db_path: Path, backup_dir: Path, now: datetime | None = None) -> bool:
    """True when no daily or manual backup was made today (cheap: one directory listing)."""
    if not db_path.is_file():
        return False
    today = (now or datetime.now()).date()
    newest = next((b for b in list_backups(backup_dir, db_path.stem) if b.regular), None)
    return newest is None or newest.taken_at.date() < today


@access.automatic
def maybe_backup(paths: AppPaths, *, db_url: str | None = None, now: datetime | None = None) -> BackupInfo | None:
    """The daily backup: made (and checked) if none was made today, else None. About 1 s of disk
    and CPU at 100,000 clients: the app runs it as a background op, a while after start-up."""
    db_path = sqlite_file(paths, db_url)
    if db_path is None or not backup_due(db_path, paths.backup_dir, now):
        return None
    dest = free_path(paths.backup_dir, db_path.stem, "auto", now or datetime.now())
    with access.acting_as(SYSTEM):  # the daily backup is the app's, whoever is signed in
        return create_backup(db_path, paths.backup_dir, "auto", dest=dest)


# --- finding a good backup ---------------------------------------------------------------------


def backup_version(path: Path) -> int | None:
    """The schema version recorded in a database file; None when it isn't an ispclient database."""
    try:
        conn = open_existing(path, read_only=True)
        try:
            row = conn.execute("SELECT version FROM schema_version LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def newest_good(backup_dir: Path, stem: str = "ispclient", tries: int = 5) -> BackupInfo | None:
    """The newest backup that passes a quick check and that this program can open."""
    for info in list_backups(backup_dir, stem)[:tries]:
        version = backup_version(info.path)
        if version and version <= schema.CURRENT_VERSION and integrity.check_file(info.path, full=False).ok:
            return info
    return None


def restore_hint(backup_dir: Path | None, stem: str = "ispclient") -> tuple[str, Path | None]:
    """What to tell a user whose database can't be used: the newest good backup and how to restore it."""
    good = newest_good(backup_dir, stem) if backup_dir is not None else None
    if good is None:
        where = f" in {backup_dir}" if backup_dir is not None else ""
        return (f"No good backup was found{where}. Keep the file as it is: whoever supports you may "
                "still recover data from it.", None)
    return (f"The newest good backup is {good.path} ({good.taken_at:%d %b %Y %H:%M}). Restore it "
            f"when the program offers to, or from the command line:\n"
            f"    ispclient restore \"{good.path}\"", good.path)


def damaged_message(db_path: Path, problem: str, backup_dir: Path | None) -> str:
    hint, _ = restore_hint(backup_dir, db_path.stem)
    return f"The database file {db_path} is damaged ({problem}). It was not changed.\n\n{hint}"


# --- restoring ---------------------------------------------------------------------------------


class RestoreRefused(BackupError):
    """The backup can't be restored (damaged, too new, not ours) or the data is in use."""


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    previous_copy: Path | None  # the database as it was before the restore
    schema_version: int  # of the backup; older than the program's means "migrated on open"


def verify_backup(path: Path) -> int:
    """A full integrity check of a backup, its schema version, and its tables and columns against
    that version's; RestoreRefused says why not."""
    if not path.is_file():
        raise RestoreRefused(f"There is no backup file at {path}.")
    check = integrity.check_file(path, full=True)
    if not check.ok:
        raise RestoreRefused(f"The backup {path.name} is damaged ({check.problems[0]}). Choose another backup.")
    version = backup_version(path)
    if not version:
        raise RestoreRefused(f"{path.name} is not an ispclient database.")
    if version > schema.CURRENT_VERSION:
        raise RestoreRefused(
            f"The backup {path.name} was written by a newer version of ispclient (schema {version}; this "
            f"program knows up to {schema.CURRENT_VERSION}). Install the newer version to restore it."
        )
    problems = shape_problems(path, version)
    if problems:
        raise RestoreRefused(f"The backup {path.name} does not hold the tables of the schema it claims "
                             f"(schema {version}): {'; '.join(problems[:5])}. Choose another backup.")
    return version


def shape_problems(path: Path, version: int) -> list[str]:
    """How the tables and columns of a database file differ from those of schema ``version``."""
    expected = schema.expected_columns(version)
    try:
        conn = open_existing(path, read_only=True)
        try:
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
            found = {t: {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')} for t in tables}
        finally:
            conn.close()
    except sqlite3.Error as e:
        return [str(e)]
    problems = [f"the table {t} is missing" for t in sorted(set(expected) - tables)]
    problems += [f"an unknown table {t}" for t in sorted(tables - set(expected))]
    for table in sorted(set(expected) & tables):
        missing, extra = expected[table] - found[table], found[table] - expected[table]
        if missing:
            problems.append(f"{table} lacks {', '.join(sorted(missing))}")
        if extra:
            problems.append(f"{table} has unknown columns {', '.join(sorted(extra))}")
    return problems


_IN_USE = ("The database is open in another program (another ispclient window, or a scheduled "
           "ispclient command). Close it and try again.")


def _keep_current(db_path: Path, backup_dir: Path, now: datetime) -> Path | None:
    """Copy the live database aside before it is replaced. Needs it closed everywhere: switching
    it out of WAL mode only succeeds for its sole user, and leaves one file with no -wal/-shm."""
    if not db_path.exists():
        return None
    dest = free_path(backup_dir, db_path.stem, "before-restore", now)
    try:
        conn = open_existing(db_path, timeout=1.0)
        try:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            if str(mode).lower() != "delete":
                raise RestoreRefused(_IN_USE)
            backup_from(conn, dest)
        finally:
            conn.close()
    except sqlite3.OperationalError as e:
        if "locked" in str(e).lower() or "busy" in str(e).lower():
            raise RestoreRefused(_IN_USE) from e
        if not integrity.is_damage(e):
            raise
        _raw_copy(db_path, dest)
    except sqlite3.DatabaseError as e:
        if not integrity.is_damage(e):
            raise
        _raw_copy(db_path, dest)
    return dest


def _raw_copy(db_path: Path, dest: Path) -> None:
    """A damaged file can't go through the backup API: keep its bytes (and its log) as they are."""
    import shutil

    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(db_path, dest)
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        shutil.copy2(wal, dest.with_name(dest.name + "-wal"))


@access.requires(Permission.RESTORE, fresh=False)  # the database is closed by then
def restore(backup_file: Path, db_path: Path, backup_dir: Path, *, verified_version: int | None = None,
            now: datetime | None = None) -> RestoreResult:
    """Put a backup in place of the live database.

    The caller has closed its own connections (and holds the instance lock). Order matters: the
    backup is checked and staged next to the live file first, then the live file is copied
    aside, and only then swapped in one rename — at no moment is there no database.
    ``verified_version``: what :func:`verify_backup` returned moments ago (in a worker), to
    skip checking the file twice."""
    version = verified_version if verified_version is not None else verify_backup(backup_file)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staged = db_path.with_name(db_path.name + ".restoring")
    with _busy:
        try:
            staged.unlink(missing_ok=True)  # left by a restore that was killed
            copy_online(backup_file, staged)
            previous = _keep_current(db_path, backup_dir, now or datetime.now())
            for suffix in ("-wal", "-shm"):
                db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
            integrity.forget_state(db_path)
            os.replace(staged, db_path)
            _fsync_dir(db_path.parent)
        except OSError as e:
            if getattr(e, "winerror", None) == 32:  # Windows: the file is open elsewhere
                raise RestoreRefused(_IN_USE) from e
            raise BackupError(f"The backup could not be restored: {e.strerror or e}") from e
        finally:
            staged.unlink(missing_ok=True)
    log.info("restored %s (schema %d) over %s; previous copy %s", backup_file, version, db_path, previous)
    return RestoreResult(backup_file, previous, version)
