"""Letting a thread that waits for the GIL have it, from a long job in a worker thread.

CPython hands the GIL over on request only once a waiting thread has gone a whole switch
interval without the holder letting go. A worker that lets go for a microsecond at every row —
``os.urandom`` as a password is encrypted, each row SQLite writes, a spool write — wakes the
waiting thread each time, takes the GIL back before that thread has been scheduled, and the wait
starts over: the import's GUI thread was seen asleep 40–70 ms at a time while the worker ran
(bench/stall_trace.py, "ran through it", the worker's stack at a spool write or ``os.urandom``).
A real pause now and then (a fraction of a millisecond, every ``every_s`` of work) gives it the
GIL: about 1.5 % of the job's time at the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable

EVERY_S = 0.02
PAUSE_S = 0.0003


class Yielder:
    """Call it often (each row); every ``every_s`` seconds it sleeps ``pause_s``."""

    def __init__(self, every_s: float = EVERY_S, pause_s: float = PAUSE_S,
                 clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], object] = time.sleep) -> None:
        self.every_s = every_s
        self.pause_s = pause_s
        self.clock = clock
        self.sleep = sleep
        self.pauses = 0
        self._last = clock()

    def __call__(self) -> None:
        now = self.clock()
        if now - self._last >= self.every_s:
            self.sleep(self.pause_s)
            self.pauses += 1
            self._last = self.clock()
