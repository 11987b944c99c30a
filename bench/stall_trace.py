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
    _note_long_collections(Path(trace))
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
                frames = sys._current_frames()
                out.write(f"--- {phase()}, {late:.0f} ms late\n")
                # The other threads too: a GUI thread stuck in exec() may be waiting for the GIL
                # that one of them holds through a long C call (this sample comes just after it).
                names = {t.ident: t.name for t in threading.enumerate()}
                for ident, frame in frames.items():
                    if ident == threading.get_ident():
                        continue
                    who = "GUI" if ident == gui else names.get(ident, str(ident))
                    out.write(f"  [{who}]\n{''.join(traceback.format_stack(frame)[-8:])}")
                out.flush()
                seen = last


def _note_long_collections(path: Path, longer_than_ms: float = 20.0) -> None:
    """Garbage-collector passes longer than ``longer_than_ms``, with their generation and thread."""
    import gc

    if any(getattr(cb, "stall_trace", False) for cb in gc.callbacks):
        return  # one note per pass, however many measurements start a trace
    started: dict[int, float] = {}

    def callback(phase: str, info: dict[str, int]) -> None:
        me = threading.get_ident()
        if phase == "start":
            started[me] = time.perf_counter()
            return
        took = (time.perf_counter() - started.pop(me, time.perf_counter())) * 1000
        if took > longer_than_ms:
            with path.open("a", encoding="utf-8") as out:
                out.write(f"--- gc generation {info.get('generation')} took {took:.0f} ms on "
                          f"{threading.current_thread().name} (collected {info.get('collected')})\n")

    callback.stall_trace = True  # type: ignore[attr-defined]
    gc.callbacks.append(callback)
