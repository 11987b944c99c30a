"""Where a GUI stall is spent: ``ISPCLIENT_BENCH_STALL_TRACE=FILE`` makes a bench write the GUI
thread's Python stack each time its 10 ms timer is late by more than 40 ms. A stack ending in
``exec``/``processEvents`` means Qt's own work (painting, layout); one ending in ``gc`` or a
module of ours names the culprit."""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

LATE_MS = 40.0


def start(last_tick: Callable[[], float], phase: Callable[[], str]) -> None:
    """``last_tick()``: ``time.perf_counter()`` of the GUI timer's last tick; ``phase()``: a label."""
    trace = os.environ.get("ISPCLIENT_BENCH_STALL_TRACE")
    if not trace:
        return
    gui = threading.main_thread().ident
    threading.Thread(target=_watch, args=(Path(trace), gui, last_tick, phase), name="stall-trace",
                     daemon=True).start()


def _watch(path: Path, gui: int | None, last_tick: Callable[[], float], phase: Callable[[], str]) -> None:
    with path.open("a", encoding="utf-8") as out:
        seen = 0.0
        while True:  # a daemon thread: ends with the bench
            time.sleep(0.01)
            last = last_tick()
            late = (time.perf_counter() - last) * 1000
            if late > LATE_MS and last != seen:
                frame = sys._current_frames().get(gui or 0)
                if frame is not None:
                    out.write(f"--- {phase()}, {late:.0f} ms late\n{''.join(traceback.format_stack(frame)[-14:])}")
                    out.flush()
                seen = last
