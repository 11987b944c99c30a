"""Where a GUI stall is spent: ``ISPCLIENT_BENCH_STALL_TRACE=FILE`` makes a bench write the GUI
thread's Python stack each time its 10 ms timer is late by more than 40 ms (``LATE_MS``). A stack ending in
``exec``/``processEvents`` means Qt's own work (painting, layout); one ending in ``gc`` or a
module of ours names the culprit.

On Linux each stall also says what every thread of the process did meanwhile, from the kernel's
per-thread counters (``/proc/self/task/TID/schedstat``: time on a CPU, time runnable but waiting
for one). That tells the three kinds of stall apart:
- the GUI thread **ran** most of the stall: our GUI code or Qt's;
- it **waited for a CPU**: the OS gave the cores to other processes;
- it **slept**: waiting for the GIL (or a lock) while the thread that ran meanwhile held it.
The tracer needs the GIL too, so it can't always look during a stall: the bench's timer tells it
each stall's start and end (``note``), and every stall gets its attribution afterwards, from
counters the timer itself reads at both ends (a ``pread`` of each thread's schedstat, ~10 µs).
A sleeping GUI thread is split further by what the other threads did meanwhile: one that **ran**
through it held the GIL (a long call of ours); one that **waited for a CPU** was descheduled
holding it (the OS again). The virtual machine's stolen time (``/proc/stat``'s steal: the host
ran something else on our virtual CPUs) is given too: a stall the guest counts as "ran" may be
one where the host ran nothing of ours.
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

# ISPCLIENT_BENCH_STALL_LATE_MS: a lower bar, to see the short stalls too (what a quiet machine shows).
LATE_MS = float(os.environ.get("ISPCLIENT_BENCH_STALL_LATE_MS", "40"))
TASKS = Path("/proc/self/task")

# {native thread id: (ns on a CPU, ns runnable waiting for a CPU)}
Sample = dict[int, tuple[int, int]]


_stalls: deque[tuple[float, float, str, Sample, Sample, int, str]] = deque()
_tracing = False
_started = 0.0  # perf_counter() when the trace started: each stall says when it began, from then


class _Counters:
    """Each thread's schedstat through a file kept open (one ``pread`` per thread), and the
    machine's stolen time: cheap enough for the GUI timer to read at every tick."""

    def __init__(self, tasks: Path = TASKS) -> None:
        self.tasks = tasks
        # No lock: the GUI thread must never wait for the tracer thread (one descheduled while
        # holding a lock would stall the GUI thread itself). refresh() swaps in a new dict, and
        # closes the files of ended threads one refresh later, when no read can still use them.
        self.fds: dict[int, int] = {}
        self._ended: list[int] = []
        self._refreshing = threading.Lock()  # one refresh at a time; a second one skips, never waits
        self.stat = _open(Path("/proc/stat"))

    def refresh(self) -> None:
        """Open the threads started since, let go of those ended (the tracer thread calls this
        every ~0.1 s; the GUI timer every ~0.5 s when there is no tracer)."""
        if not self._refreshing.acquire(blocking=False):
            return
        try:
            tids = {int(e.name) for e in self.tasks.iterdir()}
            for fd in self._ended:
                os.close(fd)
            fds = {tid: fd for tid, fd in self.fds.items() if tid in tids}
            self._ended = [fd for tid, fd in self.fds.items() if tid not in tids]
            for tid in tids - fds.keys():
                fd = _open(self.tasks / str(tid) / "schedstat")
                if fd is not None:
                    fds[tid] = fd
            self.fds = fds
        except (OSError, ValueError):
            return
        finally:
            self._refreshing.release()

    def read(self) -> Sample:
        got: Sample = {}
        for tid, fd in self.fds.items():  # never changed in place (see refresh)
            try:
                ran, waited, _ = os.pread(fd, 128, 0).split(maxsplit=2)
                got[tid] = (int(ran), int(waited))
            except (OSError, ValueError):  # the thread ended
                continue
        return got

    def steal_ms(self) -> int:
        """Milliseconds the host took from all our virtual CPUs so far (0 where not told)."""
        if self.stat is None:
            return 0
        try:
            fields = os.pread(self.stat, 256, 0).split(b"\n", 1)[0].split()
            return int(fields[8]) * 1000 // os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0
        except (OSError, ValueError):
            return 0


def _open(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


_counters: _Counters | None = None
_last: tuple[Sample, int] = ({}, 0)
# Every late tick since count() (gap between ticks in ms, its cause): the bench's own figures.
_seen: list[tuple[float, str | None]] = []
SEEN_MS = 15.0  # gaps between ticks longer than this are kept with their cause
# The causes that are the operating system's (see cause()); "tracer" is the tracer thread's own
# (the measurement's); the others are ours.
OS_CAUSES = frozenset({"cpu", "gil-descheduled"})
_tracer_threads: set[int] = set()  # native ids of the tracer threads


def count() -> bool:
    """Read the per-thread counters at every tick from now on (also without a trace), so
    :func:`take` can say which stalls were the OS's; False where the kernel doesn't keep them."""
    global _counters, _last
    if _counters is None:
        if not TASKS.is_dir():
            return False
        _counters = _Counters()
    _counters.refresh()
    _seen.clear()
    _last = ({}, 0)  # the next tick starts afresh (not from the counters of an earlier measurement)
    return True


def take() -> list[tuple[float, str | None]]:
    """The late ticks seen since :func:`count` (and forgets them): (ms between ticks, cause)."""
    got = list(_seen)
    _seen.clear()
    return got


def start(last_tick: Callable[[], float], phase: Callable[[], str]) -> None:
    """``last_tick()``: ``time.perf_counter()`` of the GUI timer's last tick; ``phase()``: a label."""
    trace = os.environ.get("ISPCLIENT_BENCH_STALL_TRACE")
    if not trace:
        return
    global _tracing, _started
    _started = time.perf_counter()
    gui = threading.main_thread().ident
    _note_long_collections(Path(trace))
    count()
    _tracing = True
    threading.Thread(target=_watch, args=(Path(trace), gui, last_tick, phase), name="stall-trace",
                     daemon=True).start()


def mark(label: str) -> None:
    """A moment of the run (the first rows painted, the list complete) in the trace, for
    telling which stalls came before it."""
    trace = os.environ.get("ISPCLIENT_BENCH_STALL_TRACE")
    if trace and _tracing:
        with Path(trace).open("a", encoding="utf-8") as out:
            out.write(f"*** {label} (at {time.perf_counter() - _started:.2f} s)\n")


def note(began: float, ended: float, label: str) -> None:
    """The GUI timer's call at every tick (``time.perf_counter()`` values of the previous tick and
    this one): the counters at both ends of a late one go to the tracer. Cheap; does nothing
    unless tracing."""
    global _last
    if _counters is None:
        return
    before, before_steal = _last
    if not _tracing and len(_seen) % 64 == 0 and int(ended * 2) != int(began * 2):
        _counters.refresh()  # about every half second: lane threads started since (the tracer does it otherwise)
    _last = (_counters.read(), _counters.steal_ms())
    gap = (ended - began) * 1000
    if gap > SEEN_MS and before:
        _seen.append((gap, cause(before, _last[0], threading.main_thread().native_id, gap)))
        if len(_seen) > 100_000:  # nobody takes them: keep the newest
            del _seen[:50_000]
    if _tracing and gap > LATE_MS + 10 and before:
        _stalls.append((began, ended, label, before, _last[0], _last[1] - before_steal, _other_stacks()))


def _other_stacks() -> str:
    """Where the other threads are as the GUI thread gets going again (it has the GIL: a thread
    that held it through the stall has only just let go, so its stack is at or right after the
    call that held it)."""
    me = threading.get_ident()
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        name = names.get(ident, str(ident))
        if ident != me and name != "stall-trace":
            out.append(f"  [{name} as the stall ended]\n{''.join(traceback.format_stack(frame)[-5:])}")
    return "".join(out)


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


def _split(before: Sample, after: Sample, gui: int | None, stall_ms: float
           ) -> tuple[float, float, float, list[tuple[float, float, int]]] | None:
    """(GUI ran, GUI waited for a CPU, GUI slept, [(ran, waited, thread) of the others]) in ms."""
    if not before or not after or gui not in after or gui not in before:
        return None
    ran = (after[gui][0] - before[gui][0]) / 1e6
    waited = (after[gui][1] - before[gui][1]) / 1e6
    slept = max(0.0, stall_ms - ran - waited)
    others = sorted(((after[t][0] - before.get(t, (0, 0))[0]) / 1e6, (after[t][1] - before.get(t, (0, 0))[1]) / 1e6,
                     t) for t in after if t != gui)
    return ran, waited, slept, others


def cause(before: Sample, after: Sample, gui: int | None, stall_ms: float) -> str | None:
    """What most of a stall was: "ran" (the GUI thread's own work), "cpu" (it waited for a CPU),
    "gil-held" (it slept while another thread of ours ran through: a long hold of the GIL),
    "gil-descheduled" (it slept while the thread holding the GIL waited for a CPU), "slept"
    (neither); None without the counters. "cpu" and "gil-descheduled" are the OS's (OS_CAUSES)."""
    split = _split(before, after, gui, stall_ms)
    if split is None:
        return None
    ran, waited, slept, others = split
    if ran >= waited and ran >= slept:
        return "ran"
    if waited >= slept:
        return "cpu"
    if others:
        top_ran, top_waited, top = max(others)
        if top_ran >= slept / 2 and top_ran >= top_waited:
            return "tracer" if top in _tracer_threads else "gil-held"
        if max(w for _r, w, _t in others) >= slept / 2:
            return "gil-descheduled"
    return "slept"


def attribute(before: Sample, after: Sample, gui: int | None, names: dict[int, str],
              stall_ms: float, steal_ms: int | None = None) -> str:
    """One line: what the GUI thread did during the stall and what the other threads did meanwhile."""
    split = _split(before, after, gui, stall_ms)
    if split is None:
        return "  (no per-thread counters here)"
    ran, waited, slept, others = split
    busy = ", ".join(f"{names.get(t, str(t))} ran {ms:.0f}" + (f" (waited for a CPU {w:.0f})" if w >= 1 else "")
                     for ms, w, t in reversed(others) if ms >= 1 or w >= 1)
    why = cause(before, after, gui, stall_ms)
    kind = {"ran": "GUI thread ran (our GUI code or Qt)", "cpu": "GUI thread waited for a CPU (the OS)"}.get(
        str(why), "GUI thread slept (the GIL or a lock)")
    if why == "tracer":
        kind += " — the stall tracer itself ran through it (the measurement's own cost)"
    elif why == "gil-held":
        kind += f" — {names.get(max(others)[2], str(max(others)[2]))} ran through it: a long hold of the GIL (ours)"
    elif why == "gil-descheduled":
        kind += " — the GIL's holder itself waited for a CPU (the OS)"
    stolen = "" if steal_ms is None else f"; the host stole {steal_ms} ms of CPU (both virtual CPUs)"
    return (f"  {kind}: ran {ran:.0f} ms, waited for a CPU {waited:.0f} ms, slept {slept:.0f} ms;"
            f" meanwhile {busy or 'no other thread of ours ran'}{stolen}")


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
    _tracer_threads.add(threading.get_native_id())
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
            if _counters is not None and len(history) % 10 == 0:
                _counters.refresh()
            counters = sample()
            history.append((now, counters))
            last = last_tick()
            late = (now - last) * 1000
            if late > LATE_MS and last != seen:
                frames = sys._current_frames()
                out.write(f"--- {phase()}, {late:.0f} ms late, still going (at {last - _started:.2f} s)\n")
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
            while _stalls:  # the counters the timer read at the stall's two ends
                began, ended, label, at_start, at_end, stolen, stacks = _stalls.popleft()
                stall = (ended - began) * 1000
                out.write(f"=== {label}: a {stall - 10:.0f} ms stall, whole (the ticks {stall:.0f} ms apart;"
                          f" at {began - _started:.2f} s)\n")
                out.write(attribute(at_start, at_end, gui_native, _names(), stall, stolen) + "\n" + stacks)
                out.flush()


def _note_long_collections(path: Path, longer_than_ms: float = 20.0) -> None:
    """Garbage-collector passes longer than ``longer_than_ms``, with their generation and thread."""
    import gc

    if any(getattr(cb, "stall_trace", False) for cb in gc.callbacks):
        return  # one note per pass, however many measurements start a trace
    started: dict[int, tuple[float, float, tuple[int, int, int]]] = {}

    def callback(phase: str, info: dict[str, int]) -> None:
        me = threading.get_ident()
        if phase == "start":  # the thread's own CPU time too: a pass the OS interrupted is not a long pass
            started[me] = (time.perf_counter(), time.thread_time(), gc.get_count())
            return
        wall, cpu, counts = started.pop(me, (time.perf_counter(), time.thread_time(), (0, 0, 0)))
        took = (time.perf_counter() - wall) * 1000
        if took > longer_than_ms:
            with path.open("a", encoding="utf-8") as out:
                out.write(f"--- gc generation {info.get('generation')} took {took:.0f} ms "
                          f"({(time.thread_time() - cpu) * 1000:.0f} ms of it on a CPU) on "
                          f"{threading.current_thread().name} (collected {info.get('collected')}; "
                          f"counts {counts})\n")

    callback.stall_trace = True  # type: ignore[attr-defined]
    gc.callbacks.append(callback)
