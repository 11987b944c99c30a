"""Is the SQLite file sound? Full and quick checks, and the cheap test that decides at start-up
whether a quick check is needed at all.

``PRAGMA quick_check`` reads every page: about 0.4–0.5 s on a 100,000-client database (170 MB),
too slow for every start. So a start-up runs it only when the file is not exactly as a clean
shutdown left it (a ``<db>.state`` file next to the database records its size, mtime and header
then): after a crash or power cut, after anything else touched the file, or when a daily
backup found damage. The 100-byte header is checked on every open (microseconds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import peewee

log = logging.getLogger(__name__)

_MAGIC = b"SQLite format 3\x00"
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "disk image")
_IN_USE, _CLOSED, _SUSPECT = "in-use", "closed", "suspect"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    problems: tuple[str, ...]
    seconds: float
    full: bool

    def summary(self) -> str:
        kind = "Full integrity check" if self.full else "Quick check"
        if self.ok:
            return f"{kind}: no problems found ({self.seconds:.1f} s)."
        shown = "\n".join(f"• {p}" for p in self.problems[:10])
        more = f"\n… and {len(self.problems) - 10} more" if len(self.problems) > 10 else ""
        return f"{kind}: the database is damaged.\n{shown}{more}"


def is_damage(exc: BaseException) -> bool:
    """True for SQLite's "the file is damaged" errors (not for "database is locked" and the like)."""
    text = str(exc).lower()
    return any(w in text for w in _DAMAGE_WORDS)


def _run(rows: list[tuple[object, ...]], started: float, full: bool) -> CheckResult:
    problems = tuple(str(r[0]) for r in rows)
    ok = problems == ("ok",)
    return CheckResult(ok, () if ok else problems, time.perf_counter() - started, full)


def check_file(path: Path, *, full: bool = True, max_errors: int = 100) -> CheckResult:
    """Check a database file through its own read-only connection (safe in a worker thread,
    while the app keeps using its own connection)."""
    started = time.perf_counter()
    pragma = "integrity_check" if full else "quick_check"
    problem = header_problem(path)
    if problem:
        return CheckResult(False, (problem,), time.perf_counter() - started, full)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute(f"PRAGMA {pragma}({int(max_errors)})").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return CheckResult(False, (str(e),), time.perf_counter() - started, full)
    return _run(rows, started, full)


def check_database(database: peewee.Database, *, full: bool = False) -> CheckResult:
    """Check the open database through its own connection."""
    started = time.perf_counter()
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = database.execute_sql(f"PRAGMA {pragma}(100)").fetchall()
    except (peewee.DatabaseError, sqlite3.DatabaseError) as e:  # fetching raises sqlite3's own
        if not is_damage(e):
            raise
        return CheckResult(False, (str(e),), time.perf_counter() - started, full)
    return _run(rows, started, full)


def header_problem(path: Path) -> str | None:
    """What is visibly wrong with the file's first 100 bytes and size, or None. Microseconds."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(100)
    except OSError as e:
        return f"the file can't be read ({e.strerror or e})"
    if size == 0:
        return None  # SQLite treats an empty file as a new database
    if len(head) < 100 or head[:16] != _MAGIC:
        return "it is not an SQLite database (its beginning is damaged, or it is another kind of file)"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header is damaged (page size {page_size})"
    if size % page_size:
        return f"its size ({size} bytes) is not a whole number of {page_size}-byte pages: it was cut short"
    return None


# --- clean-shutdown record ---------------------------------------------------------------------


def state_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".state")


def _fingerprint(db_path: Path) -> dict[str, object]:
    st = db_path.stat()
    with db_path.open("rb") as f:
        head = f.read(100)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "header": hashlib.sha256(head).hexdigest()}


def _write_state(db_path: Path, state: dict[str, object]) -> None:
    target = state_path(db_path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError:
        log.warning("could not record the database state in %s", target, exc_info=True)


def _read_state(db_path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(state_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _wal_has_data(db_path: Path) -> bool:
    wal = db_path.with_name(db_path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def needs_check(db_path: Path) -> str | None:
    """Why the file must be quick-checked before use, or None when it is exactly as a clean
    shutdown left it. Call before connecting (connecting creates the -wal file)."""
    state = _read_state(db_path)
    if state is None:
        return "no record of a clean shutdown"
    if state.get("state") == _SUSPECT:
        return f"damage was suspected: {state.get('reason', '')}"
    if state.get("state") != _CLOSED:
        return "the program did not shut down cleanly last time"
    if _wal_has_data(db_path):
        return "a write-ahead log was left behind"
    try:
        now = _fingerprint(db_path)
    except OSError as e:
        return f"the file can't be read ({e})"
    if any(state.get(k) != v for k, v in now.items()):
        return "the file changed since the program last closed it"
    return None


def mark_in_use(db_path: Path) -> None:
    """Before the first write of a session: a crash from here on means "check at next start"."""
    _write_state(db_path, {"state": _IN_USE, "pid": os.getpid()})


def mark_closed(db_path: Path) -> bool:
    """After the last connection closed: record the file as a clean shutdown left it.

    If another program still has it open (its write-ahead log is still there) the record stays
    "in use", and the next start checks the file: slower once, never wrong."""
    if not db_path.exists() or _wal_has_data(db_path):
        return False
    if (_read_state(db_path) or {}).get("state") == _SUSPECT:
        return False  # only a passing check at the next start clears a suspicion
    try:
        _write_state(db_path, {"state": _CLOSED, **_fingerprint(db_path)})
    except OSError:
        return False
    return True


def mark_suspect(db_path: Path, reason: str) -> None:
    """Force a quick check at the next start (a daily backup's copy of this file was damaged)."""
    _write_state(db_path, {"state": _SUSPECT, "reason": reason})


def forget_state(db_path: Path) -> None:
    state_path(db_path).unlink(missing_ok=True)
