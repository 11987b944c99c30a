"""SQLite without its memory statistics (store/sqlite_library.py). The setting is the whole
process's and is made before any connection opens: checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import peewee

from ispclient.listing import build
from ispclient.store import queries, sqlite_library
from tests.store.conftest import Factory

ROOT = Path(__file__).resolve().parents[2]

_FRESH = """
import ctypes, sys
from datetime import date
from ispclient.store import open_database, queries, sqlite_library
from ispclient.store import clients
assert not sqlite_library.memory_statistics_off()
off = sqlite_library.without_memory_statistics()
open_database(sys.argv[1])
for n in range(50):
    clients.create_client(clients.ClientInput(client_code=f"C{n:04d}", name=f"Client {n}"))
from ispclient.listing import build
assert queries.read_ahead_threads() == (2 if off else 1)  # two only where they no longer contend
index = build.read(date(2026, 1, 15), 7, chunk_rows=7)  # 8 chunks
assert sorted(index.row(s).client_code for s in range(index.n)) == [f"C{n:04d}" for n in range(50)]
if off:
    library = sqlite_library._library()
    library.sqlite3_memory_used.restype = ctypes.c_int64
    assert library.sqlite3_memory_used() == 0, library.sqlite3_memory_used()  # nothing counted
print("ok", "off" if off else "kept")
"""


def test_sqlite_without_memory_statistics_reads_the_list_with_two_threads(tmp_path: Path) -> None:
    """Everywhere (the Windows workflow included: the library reached through ctypes) the list
    reads right; on Linux the statistics are off and two threads read it."""
    done = subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path / "fresh.sqlite3")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.startswith("ok"), done.stderr
    if sys.platform == "linux":
        assert done.stdout.strip() == "ok off"


def test_too_late_once_a_database_is_open(db: peewee.Database, make: Factory) -> None:
    make.client("Amina Wanjiru")
    assert not sqlite_library.without_memory_statistics()  # SQLite left as it is, the database open
    assert not sqlite_library.memory_statistics_off()
    assert queries.read_ahead_threads() == (1 if queries.reads_ahead() else 0)
    assert build.read(date(2026, 1, 15), 7).n == 1
