"""One app window per data directory: a second one is told plainly that the data is open elsewhere.

The database itself takes concurrent writers safely (WAL, a busy timeout, short IMMEDIATE
transactions), so command-line runs such as a scheduled ``ispclient enforce`` work while the app is
open. Two *windows* on one SQLite file are refused: neither would see the other's changes, and a
restore must know nobody else has the file open.

The lock is an OS file lock (``flock`` / ``LockFileEx`` via ``msvcrt``), which the OS drops when
the process ends — a crash or power cut never leaves a stale lock behind.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType

LOCK_NAME = "ispclient.lock"
_WIN_LOCK_OFFSET = 1 << 20  # Windows locks are mandatory: lock a byte past the owner text


class DataInUse(RuntimeError):
    """The data directory is open in another ispclient window; the message says where."""


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some locked-down PCs
        return "unknown"


class InstanceLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout_s: float = 0.0) -> InstanceLock:
        """Take the lock, waiting up to ``timeout_s``; DataInUse names who holds it."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout_s
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise DataInUse(self.in_use_message())
            time.sleep(0.1)
        self._fd = fd
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                 "since": datetime.now().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(owner).encode("utf-8"))
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def owner(self) -> dict[str, object]:
        try:
            text = self.path.read_bytes()[:_WIN_LOCK_OFFSET].decode("utf-8", "replace").strip()
            data = json.loads(text)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def in_use_message(self) -> str:
        o = self.owner()
        since = str(o.get("since", ""))
        try:
            when = f" since {datetime.fromisoformat(since):%d %b %Y %H:%M}"
        except ValueError:
            when = ""
        who = f" by {o['user']} on {o['host']} (process {o['pid']}){when}" if o.get("pid") else ""
        return (f"ispclient is already open on this data ({self.path.parent}){who}.\n\n"
                "Switch to that window (look in the taskbar), or close it and try again. Only one "
                "window at a time may use a data folder; to work from several PCs, move the data "
                "to PostgreSQL (see the operations guide).")

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
