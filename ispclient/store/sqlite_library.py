"""SQLite's process-wide settings, made once as the app starts.

SQLite keeps memory statistics unless told not to (SQLITE_CONFIG_MEMSTATUS): every allocation it
makes then takes one process-wide mutex, to count it. Two connections working at once in two
threads fight over that mutex — reading the client list of a million clients with two threads
took ~2.5 s of CPU where one thread took ~1.5 s (thousands of futex waits), so a second reader
bought no time. Without the statistics (the app reads none of them and sets no heap limit) two
threads share the work: ~1.5 s of CPU, ~0.9-1.0 s of wall time.

SQLite is configured only before it is initialised, and Python's sqlite3 module initialises it
when imported: :func:`without_memory_statistics` shuts it down, configures it and starts it
again, which SQLite allows only while no connection is open and no other thread uses it — so only
first thing in the app's start (``app.main``), never once the database is open.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from typing import Any

log = logging.getLogger(__name__)

SQLITE_OK = 0
SQLITE_CONFIG_MEMSTATUS = 9
_memory_statistics_off = False


def _library() -> Any:
    """The SQLite library Python's sqlite3 module uses (AttributeError or OSError when it can't
    be reached)."""
    import _sqlite3

    if sys.platform == "win32":  # the module's own sqlite3.dll, beside it
        library = ctypes.CDLL(os.path.join(os.path.dirname(_sqlite3.__file__), "sqlite3.dll"))
    else:  # the module's handle reaches the library it is linked with
        library = ctypes.CDLL(_sqlite3.__file__)
    library.sqlite3_config  # noqa: B018 - AttributeError here when not reachable
    return library


def without_memory_statistics() -> bool:
    """SQLite without its memory statistics for the rest of the process; True if so. Call it
    before any SQLite connection is opened, while no other thread runs (see the module's notes)."""
    global _memory_statistics_off
    if _memory_statistics_off:
        return True
    from ispclient.store.db import db

    if db.obj is not None:  # a database is open: too late to shut SQLite down
        return False
    try:
        library = _library()
    except (AttributeError, OSError) as e:
        log.info("SQLite keeps its memory statistics (its library can't be reached: %s)", e)
        return False
    if library.sqlite3_shutdown() != SQLITE_OK:
        return False
    done = library.sqlite3_config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == SQLITE_OK
    library.sqlite3_initialize()  # else the first connection initialises it
    _memory_statistics_off = done
    log.info("SQLite memory statistics %s", "off" if done else "kept (not configurable)")
    return done


def memory_statistics_off() -> bool:
    """Whether :func:`without_memory_statistics` turned them off in this process."""
    return _memory_statistics_off
