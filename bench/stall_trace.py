"""Where a GUI stall is spent: ``ISPCLIENT_BENCH_STALL_TRACE=FILE`` makes a bench write the GUI
thread's Python stack each time its 10 ms timer is late by more than 40 ms. A stack ending in
``exec``/``processEvents`` means Qt's own work (painting, layout); one ending in ``gc`` or a
module of ours names the culprit.

On Linux each stall also says what every thread of the process did meanwhile, from the kernel's
per-thread counters (``/proc/self/task/TID/schedstat``: time on a CPU, time runnable but waiting
for one). That tells the three kinds of stall apart:
- the GUI thread **ran** most of the stall: our GUI code or Qt's;
- it **waited for a CPU**: the OS gave the cores to other processes;
- it **slept**: waiting for the GIL (or a lock) while the thread that ran meanwhile held it.
The tracer needs the GIL too, so it can't always look during a stall: the bench's timer tells it
each stall's start and end (``note``), and every stall gets its attribution afterwards, from the
samples taken around it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path

LATE_MS = 40.0
TASKS = Path("/proc/self/task")

# {native thread id: (ns on a CPU, ns runnable waiting for a CPU)}
Sample = dict[int, tuple[int, int]]


_stalls: deque[tuple[float, float, str]] = deque()


def start(last_tick: Callable[[], float], phase: Callable[[], str]) -> None:
    """``last_tick()``: ``time.perf_counter()`` of the GUI timer's last tick; ``phase()``: a label."""
    trace = os.environ.get("ISPCLIENT_BENCH_STALL_TRACE")
    if not trace:
        return
    gui = threading.main_thread().ident
    _note_long_collections(Path(trace))
    threading.Thread(target=_watch, args=(Path(trace), gui, last_tick, phase), name="stall-trace",
                     daemon=True).start()


def note(began: float, ended: float, label: str) -> None:
    """The GUI timer's call after a late tick (``time.perf_counter()`` values); cheap, any thread."""
    if (ended - began) * 1000 > LATE_MS + 10:
        _stalls.append((began, ended, label))


def sample(tasks: Path = TASKS) -> Sample:
    """Each thread's cumulative CPU and run-queue time now; empty where the kernel doesn't say."""
    got: Sample = {}
    try:
        entries = list(tasks.iterdir())
    except OSError:
        return got
    for entry in entries:
        try:
            ran, waited, _ = (entry / "schedstat").read_text().split(maxsplit=2)
            got[int(entry.name)] = (int(ran), int(waited))
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
    return got


def attribute(before: Sample, after: Sample, gui: int | None, names: dict[int, str],
              stall_ms: float) -> str:
    """One line: what the GUI thread did during the stall and which threads ran meanwhile."""
    if not before or not after or gui not in after or gui not in before:
        return "  (no per-thread counters here)"
    ran = (after[gui][0] - before[gui][0]) / 1e6
    waited = (after[gui][1] - before[gui][1]) / 1e6
    slept = max(0.0, stall_ms - ran - waited)
    kind = max((ran, "GUI thread ran (our GUI code or Qt)"), (waited, "GUI thread waited for a CPU (the OS)"),
               (slept, "GUI thread slept (the GIL or a lock)"))[1]
    others = sorted(((after[t][0] - before.get(t, (0, 0))[0]) / 1e6, t) for t in after if t != gui)
    busy = ", ".join(f"{names.get(t, str(t))} ran {ms:.0f}" for ms, t in reversed(others) if ms >= 1)
    return (f"  {kind}: ran {ran:.0f} ms, waited for a CPU {waited:.0f} ms, slept {slept:.0f} ms;"
            f" meanwhile {busy or 'no other thread of ours ran'}")


def _names() -> dict[int, str]:
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    try:
        for entry in TASKS.iterdir():
            if int(entry.name) not in names:
                names[int(entry.name)] = (entry / "comm").read_text().strip()  # Qt's own threads
    except (OSError, ValueError):
        pass
    return names


def _watch(path: Path, gui: int | None, last_tick: Callable[[], float], phase: Callable[[], str]) -> None:
    gui_native = threading.main_thread().native_id
    history: deque[tuple[float, Sample]] = deque(maxlen=400)  # ~4 s of 10 ms samples

    def around(t: float, after: bool = False) -> Sample:
        """The last sample taken at or before ``t``, or the first at or after it."""
        found: Sample = {}
        for at, counters in history:
            if after and at >= t:
                return counters
            if not after and at > t:
                break
            found = counters
        return found

    with path.open("a", encoding="utf-8") as out:
        seen = 0.0
        while True:  # a daemon thread: ends with the bench
            time.sleep(0.01)
            now = time.perf_counter()
            counters = sample()
            history.append((now, counters))
            last = last_tick()
            late = (now - last) * 1000
            if late > LATE_MS and last != seen:
                frames = sys._current_frames()
                out.write(f"--- {phase()}, {late:.0f} ms late, still going\n")
                out.write(attribute(around(last), counters, gui_native, _names(), late) + "\n")
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
            while _stalls and _stalls[0][1] <= now - 0.02:  # a sample after its end is in the history
                began, ended, label = _stalls.popleft()
                stall = (ended - began) * 1000 - 10  # the timer's own 10 ms isn't late
                out.write(f"=== {label}: a {stall:.0f} ms stall, whole\n")
                out.write(attribute(around(began), around(ended, after=True), gui_native, _names(), stall) + "\n")
                out.flush()


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
