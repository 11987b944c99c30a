"""The test suite in the Windows Python under Wine: ``make windows-check TESTS=1``, step 14.

usage: python.exe -u installer/wine_tests.py FONT_DIR LIMIT_SECONDS [PYTEST_ARGS...]

Run with ``-u`` so that each test's line reaches the log as it ends: a Windows program's stdout
here is a pipe, which Python buffers 8 KB at a time (so a run that hung once left an empty log).

Two bounds turn a hang into a failure that shows the stack of where it hung, never a wait for ever:
- each test: pytest-timeout (``timeout`` in pyproject.toml; its thread method, the only one on
  Windows) prints every thread's stack and ends the process;
- the whole run: LIMIT_SECONDS. At the limit faulthandler's C watchdog thread, which needs no GIL,
  prints "Timeout (h:mm:ss)!" and every thread's stack; a moment later a thread of this module
  prints them again, as they are then, and ends the process.

Both end the process with TerminateProcess, not ``os._exit``: under Wine 8, a process that ends
with ``_exit`` from a thread other than the main one (as both bounds do) can stay half-ended for
ever (no CPU, its pipes open), which is how the tests step once hung with an empty log.
``windows-check.sh`` also kills the prefix from outside should even that not end it.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import sys
import threading
import time
from typing import IO, NoReturn

import pytest

GRACE_S = 5  # after the stacks are printed, before the process is ended


_exit = os._exit


def terminate(code: int) -> NoReturn:
    """End this process at once (no DLL detach, no atexit): TerminateProcess on Windows (and
    Wine), ``os._exit`` elsewhere (where tests/test_wine_tests_runner.py runs it)."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            pass
    if sys.platform == "win32":
        kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
        kernel32.GetCurrentProcess.restype = ctypes.c_void_p
        kernel32.TerminateProcess(ctypes.c_void_p(kernel32.GetCurrentProcess()), ctypes.c_uint(code))
    _exit(code)


class RunLimit:
    """The whole run's deadline. pytest's faulthandler plugin cancels the (single, process-wide)
    faulthandler timer whenever a test fails (``pytest_exception_interact``), so it is set again
    with the time left after every test and after every such cancel."""

    def __init__(self, seconds: float, stream: IO[str]) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.stream = stream
        self.arm()
        threading.Thread(target=self._end_at_deadline, name="wine-tests-limit", daemon=True).start()

    def arm(self) -> None:
        left = self.deadline - time.monotonic()
        if left > 0:  # past it, the stacks are out already (once is enough)
            faulthandler.dump_traceback_later(left, exit=False, file=self.stream)

    def _end_at_deadline(self) -> None:
        while (left := self.deadline + GRACE_S - time.monotonic()) > 0:
            time.sleep(left)
        print(f"\nwine_tests: the test suite did not end within {self.seconds:.0f} s: stopped; every thread's "
              "stack now (any above are from the limit itself):", file=self.stream, flush=True)
        faulthandler.dump_traceback(file=self.stream, all_threads=True)
        terminate(1)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logfinish(self) -> None:
        self.arm()

    @pytest.hookimpl(trylast=True)
    def pytest_exception_interact(self) -> None:
        self.arm()


def main(argv: list[str]) -> int:
    font_dir, limit, pytest_args = argv[0], float(argv[1]), argv[2:]
    # tests/conftest.py runs Qt offscreen, which on Windows reads fonts only from QT_QPA_FONTDIR;
    # Wine does not pass QT_* variables on to Windows programs, so they are set here.
    os.environ.update(QT_QPA_PLATFORM="offscreen", QT_QPA_FONTDIR=font_dir)
    sys.path.insert(0, os.getcwd())  # as `python -m pytest` has it: `-p tests.wine`, tests.* imports
    # pytest-timeout ends the run with os._exit(1) from its timer thread: see the module docstring.
    os._exit = terminate  # type: ignore[assignment]
    # The real stderr, kept before pytest's fd capture points fd 2 at a temporary file during
    # each test (the stacks of a hung test would go there and be lost).
    stderr = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
    limit_plugin = RunLimit(limit, stderr)
    # The limit stays in force after pytest returns: a hang while the interpreter ends (a thread
    # that never stops) fails the run too.
    return int(pytest.main(["-p", "no:cacheprovider", "-p", "tests.wine", *pytest_args], plugins=[limit_plugin]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
