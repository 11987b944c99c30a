"""When a router call must be over, and stopping every router call at once.

A per-read timeout alone does not bound a call: a router that sends one byte a second, or
rows without end, never lets a single read time out. So every operation also gets a
:class:`Deadline`, derived from the server's timeout, that the socket layer checks before and
during every wait, whatever the peer sends.

:func:`abort_all` is for quitting: it shuts down every router socket of this process (a
thread blocked on one wakes at once) and refuses new ones, so no thread is left waiting on a
router when the window closes. :func:`resume` allows calls again (tests, a second session in
one process).
"""

from __future__ import annotations

import socket
import threading
import time

# How long one wait on a socket may last before the abort flag is looked at again: quitting
# never waits longer than this for a thread to notice, even where shutdown() wakes nothing.
POLL_S = 0.25


class DeadlinePassed(TimeoutError):
    """The whole call ran past its deadline (the router kept the connection busy)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not finished within {seconds:g} s")
        self.seconds = seconds


class CallAborted(Exception):
    """Router calls are being stopped (the app is quitting)."""


class Deadline:
    """A moment (on the monotonic clock) by which an operation must be over."""

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("a deadline must be in the future")
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> float:
        """The seconds left; raises :class:`DeadlinePassed` (or :class:`CallAborted`) when none."""
        check_aborted()
        left = self.remaining()
        if left <= 0:
            raise DeadlinePassed(self.seconds)
        return left

    def wait_s(self, read_timeout: float) -> float:
        """How long the next wait may last: the read timeout, cut to what is left, in slices."""
        return min(read_timeout, self.check(), POLL_S)


_lock = threading.Lock()
_live: set[socket.socket] = set()
_aborting = False


def check_aborted() -> None:
    if _aborting:
        raise CallAborted("router calls are stopped: the app is closing")


def register(sock: socket.socket) -> None:
    """Track ``sock`` so :func:`abort_all` can wake whoever waits on it."""
    with _lock:
        if _aborting:
            raise CallAborted("router calls are stopped: the app is closing")
        _live.add(sock)


def unregister(sock: socket.socket) -> None:
    with _lock:
        _live.discard(sock)


def abort_all() -> int:
    """Stop every router call of this process now and refuse new ones; how many were open."""
    global _aborting
    with _lock:
        _aborting = True
        socks = list(_live)
    for sock in socks:
        try:  # shutdown, not close: the owning thread closes it (closing under it is unsafe)
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass
    return len(socks)


def resume() -> None:
    """Allow router calls again after :func:`abort_all`."""
    global _aborting
    with _lock:
        _aborting = False


def aborting() -> bool:
    return _aborting


def open_sockets() -> int:
    """Router sockets open right now (for tests: nothing may be left behind)."""
    with _lock:
        return len(_live)
