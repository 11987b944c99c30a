"""Misbehaving routers on loopback, what each mode must end as, and a memory probe.

The routers are :class:`ispclient.simulator.hostile.HostileRouter`; the router timeout here is
``TIMEOUT`` (so one call's deadline is ``DEADLINE_S``), and a dripping router sends a byte every
``DRIP_S`` — less than the timeout, so no single read ever times out: only the deadline can
end the call.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ispclient.domain.connection import UnknownReason
from ispclient.routeros import deadline
from ispclient.routeros.target import RouterTarget
from ispclient.simulator.hostile import TLS_HANDSHAKE_MODES, HostileRouter
from ispclient.simulator.tls import make_test_ca
from tests.wine import WINE

# Under Wine every socket call goes through wineserver, and the check shares a loaded machine:
# twice in full runs a TLS-session test saw one read of 0.6 s time out (in isolation all pass).
# Every bound here derives from TIMEOUT, so doubling it there keeps each test's meaning.
TIMEOUT = 1.2 if WINE else 0.6
DEADLINE_S = RouterTarget(0, "x", "x", timeout=TIMEOUT).deadline_s
DRIP_S = 0.1
# "Ended by its deadline": the call's deadline plus the second of slack.
ENDS_WITHIN_S = DEADLINE_S + 1.0
RSS_GROWTH_LIMIT = 100 * 2**20
PASSWORD = "Hostile-API-pw-4410"

R = UnknownReason
TOO_LARGE = "reply was too large"
PAST_DEADLINE = f"did not finish within {DEADLINE_S:g} s"


@dataclass(frozen=True)
class Expect:
    """How a call against a mode must end: one of ``reasons``, with one of ``words`` in the detail."""

    reasons: tuple[UnknownReason, ...]
    words: tuple[str, ...]


# A stream without end on a whole-table read (the status refresh) may meet the row ceiling or
# the deadline first, depending on how fast this machine reads: either is the right end.
ENDLESS = Expect((R.PROTOCOL_ERROR, R.TIMED_OUT), (TOO_LARGE, PAST_DEADLINE))
EXPECT: dict[str, Expect] = {
    "silent": Expect((R.TIMED_OUT,), (f"within {TIMEOUT:g} s",)),
    "drip": Expect((R.TIMED_OUT,), (PAST_DEADLINE,)),
    "endless-rows": Expect((R.PROTOCOL_ERROR,), (TOO_LARGE,)),
    "endless-traps": Expect((R.PROTOCOL_ERROR,), (TOO_LARGE,)),
    "endless-sentence": Expect((R.PROTOCOL_ERROR,), (TOO_LARGE,)),
    "huge-words": Expect((R.PROTOCOL_ERROR,), (TOO_LARGE,)),
    "big-words": Expect((R.PROTOCOL_ERROR,), (TOO_LARGE,)),
    "length-2gb": Expect((R.PROTOCOL_ERROR,), ("a word of 2,147,483,648 bytes",)),
    "garbage": Expect((R.PROTOCOL_ERROR,), ("",)),  # whatever random bytes break first
    "close-mid-reply": Expect((R.CONNECTION_DROPPED,), ("closed the connection",)),
    "tls-silent": Expect((R.TIMED_OUT,), ("TLS handshake",)),
    "tls-garbage": Expect((R.TLS_REJECTED,), ("TLS handshake failed",)),
    "tls-drip": Expect((R.TIMED_OUT,), ("TLS handshake",)),
    "tls-untrusted": Expect((R.TLS_REJECTED,), ("certificate rejected",)),
}
STREAMED = {"endless-rows", "endless-traps"}  # whole-table reads end on either ceiling or deadline


def expectation(mode: str, whole_table: bool) -> Expect:
    return ENDLESS if whole_table and mode in STREAMED else EXPECT[mode]


def current_rss() -> int | None:
    # Windows first: under Wine /proc/self/statm opens too (Z:\ is /), but os.sysconf is POSIX.
    if sys.platform == "win32":
        from bench.load_probe import rss_mb  # the working set, through psapi

        return int(rss_mb() * 2**20)
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # neither Linux nor Windows: memory is not measured there
        return None


class PeakMemory:
    """The process's resident memory every 10 ms while in use; ``growth`` is its peak above
    the level at the start (None where it can't be read)."""

    def __init__(self) -> None:
        self.start = current_rss()
        self.peak = self.start or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-probe", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, current_rss() or 0)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss() or 0)

    @property
    def growth(self) -> int | None:
        return None if self.start is None else self.peak - self.start


@dataclass
class Hostile:
    router: HostileRouter
    target: RouterTarget


HostileFactory = Callable[..., Hostile]


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA the client trusts with a server certificate for 127.0.0.1, and another CA's."""
    base = tmp_path_factory.mktemp("hostile-tls")
    ca_file, cert_file, key_file = make_test_ca(base / "trusted", hostname="127.0.0.1")
    _other, other_cert, other_key = make_test_ca(base / "other", hostname="127.0.0.1")
    return {"ca": ca_file, "cert": cert_file, "key": key_file, "other_cert": other_cert, "other_key": other_key}


@pytest.fixture
def hostile(tls_files: dict[str, Path]) -> Iterator[HostileFactory]:
    """``hostile(mode, tls=False, at="command")``: a started router and a target for it."""
    started: list[HostileRouter] = []

    def make(mode: str, *, tls: bool = False, at: str = "command", **target: Any) -> Hostile:
        tls = tls or mode in TLS_HANDSHAKE_MODES
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert, key = ("other_cert", "other_key") if mode == "tls-untrusted" else ("cert", "key")
            context.load_cert_chain(str(tls_files[cert]), str(tls_files[key]))
        router = HostileRouter(mode, at=at, tls_context=context, drip_s=DRIP_S)  # type: ignore[arg-type]
        started.append(router.__enter__())
        values: dict[str, Any] = {"server_id": 1, "name": "Hostile router", "host": "127.0.0.1",
                                  "port": router.port, "tls": tls, "ca_file": str(tls_files["ca"]) if tls else None,
                                  "password": PASSWORD, "timeout": TIMEOUT}
        values.update(target)
        return Hostile(router, RouterTarget(**values))

    yield make
    for router in started:
        router.stop()


@pytest.fixture(autouse=True)
def nothing_left_behind() -> Iterator[None]:
    """After every test: no router socket open, no drain or lookup thread still running."""
    yield
    assert deadline.open_sockets() == 0
    left = [t.name for t in threading.enumerate() if t.name.startswith(("drain-", "router-dns"))]
    assert not left, left
