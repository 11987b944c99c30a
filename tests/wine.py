"""The test suite under Wine (``make windows-check TESTS=1`` loads this with ``-p tests.wine``).

Wine runs the real Windows build of Python, Qt and every wheel, so the suite tests the Windows
code paths (msvcrt locks, Credential Manager, Windows paths). A few things Wine 8 does differently
from Windows 10; each is listed here with the reason, names Wine in its skip reason, and applies
only when the tests really run under Wine. Nothing here hides a failure that Windows would show:
a difference that Windows shares (e.g. ``socket.shutdown`` not waking a blocked ``recv``, which
CPython documents for Windows too) is not listed, and fails here as it would there.
Elsewhere: the misbehaving-router tests double their router timeout under Wine
(tests/routeros/hostile/conftest.py), every bound of theirs derived from it.
"""

from __future__ import annotations

import socket
import sys
import time

import pytest


def wine_version() -> str | None:
    """Wine's version when this Windows Python runs under Wine, else None."""
    if sys.platform != "win32":
        return None
    try:
        import ctypes

        get_version = ctypes.WinDLL("ntdll").wine_get_version
    except (OSError, AttributeError):
        return None
    get_version.restype = ctypes.c_char_p
    return str(get_version().decode("ascii"))


WINE = wine_version()


def recv_cost_us(calls: int = 2000) -> float:
    """Microseconds per one-byte recv() on a local socket pair (Linux: under 1)."""
    a, b = socket.socketpair()
    with a, b:
        b.sendall(b"x" * calls)
        started = time.perf_counter()
        for _ in range(calls):
            a.recv(1)
        return (time.perf_counter() - started) / calls * 1e6


# Tests that cannot pass under Wine for a reason of Wine's (node id prefix -> reason); {recv_us} is
# measured when the run starts.
SKIPS: dict[str, str] = {
    "tests/simulator/test_faults.py::test_latency_is_per_reply_not_per_sentence":
        "a recv() costs {recv_us:.0f} µs here (Wine passes socket calls through wineserver; natively a few µs) "
        "and librouteros reads each word with its own recv(): 200 rows take over a second, this test's bound",
}

# Wine 8 rejects the TCP keep-alive timing options that Windows 10 1709+ accepts (WSAENOPROTOOPT,
# WinError 10042). routeros_api (the test suite's second RouterOS client) sets them whenever the
# socket module has them, so under Wine they are hidden: those tests then run, minus keep-alive.
KEEPALIVE_OPTIONS = ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT")


def pytest_configure(config: pytest.Config) -> None:
    if WINE is None:
        return
    for name in KEEPALIVE_OPTIONS:
        if hasattr(socket, name):
            delattr(socket, name)


def pytest_report_header(config: pytest.Config) -> str:
    if WINE is None:
        return "tests.wine: not under Wine, nothing changed"
    return (f"tests.wine: Wine {WINE}; socket.{'/'.join(KEEPALIVE_OPTIONS)} hidden (Wine rejects them); "
            f"{len(SKIPS)} Wine-only skips")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if WINE is None:
        return
    facts = {"recv_us": recv_cost_us()}
    for item in items:
        nodeid = item.nodeid.replace("\\", "/")
        for prefix, reason in SKIPS.items():
            if nodeid.startswith(prefix):
                item.add_marker(pytest.mark.skip(reason=f"Wine {WINE}: {reason.format(**facts)}"))
