"""Where a client window's open is spent: ``ISPCLIENT_BENCH_OPEN_TRACE=FILE`` makes a bench write,
for every open it times, when each step of it began and ended (ms from the click) and what every
thread of the process did meanwhile (time on a CPU, time runnable waiting for one, from the kernel's
per-thread counters: Linux only).

The steps: ``adopt`` (the spare window becomes the client's: its read starts), ``read`` (the
client's data read, on a database lane thread), ``deliver`` (the answer handed to the GUI thread),
``show_detail`` (the window filled), ``check_now`` (the client's line asked of its router),
``bring_up`` (shown, first painted, activated). An open whose time is well above its GUI thread's
CPU time waited: for the read, for the GIL (another thread ran meanwhile) or for a CPU.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import stall_trace

_file: Path | None = None
_t0 = 0.0
_steps: list[tuple[str, str, float, float]] = []
_before: stall_trace.Sample = {}
_counters: Any = None


def install() -> None:
    """Wrap the steps of an open (only when the trace is asked for)."""
    global _file, _counters
    trace = os.environ.get("ISPCLIENT_BENCH_OPEN_TRACE")
    if not trace or _file is not None:
        return
    _file = Path(trace)
    _file.write_text("")
    from ispclient.store import queries
    from ispclient.ui import ops
    from ispclient.ui.client import window

    cls = window.ClientWindow
    for name in ("adopt", "show_detail", "check_now", "_bring_up"):
        setattr(cls, name, _timed(getattr(cls, name), name.strip("_")))
    queries.client_detail = _timed(queries.client_detail, "read")
    ops._deliver = _timed(ops._deliver, "deliver")
    mailbox = ops._mailbox  # (made already: its slot is the old _deliver — connected again)
    if mailbox is not None:
        mailbox.delivered.disconnect()
        mailbox.delivered.connect(ops._deliver)
    if stall_trace.TASKS.exists():
        _counters = stall_trace._Counters()


def _timed(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def step(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            if _t0:
                _steps.append((name, threading.current_thread().name, (start - _t0) * 1000,
                               (time.perf_counter() - _t0) * 1000))
    return step


def _processes() -> dict[str, int]:
    """Every process's CPU time so far (ns, its threads' schedstat summed), by "pid name"."""
    got: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            total = 0
            for task in (entry / "task").iterdir():
                total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        got[f"{entry.name} {name}"] = total
    return got


_procs: dict[str, int] = {}


class _EventLog:
    """The GUI thread's events during an open (an application-wide event filter): each with the
    time from the previous one — what the previous event's handling took, roughly."""

    def __init__(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent, QObject

        log = self

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
                if _t0:
                    log.events.append((time.perf_counter(), type(watched).__name__, watched.objectName(),
                                       event.type().name))
                return False

        self.events: list[tuple[float, str, str, str]] = []
        self.filter = Filter()
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self.filter)

    def take(self, end: float) -> list[tuple[float, float, str]]:
        """(ms from the click, ms until the next event, what) for the events followed by a gap of
        over 0.3 ms: where the GUI thread's time went, event by event."""
        events, self.events = self.events, []
        out = []
        for i, (t, kind, name, what) in enumerate(events):
            following = events[i + 1][0] if i + 1 < len(events) else end
            if following - t > 0.0003:
                out.append((round((t - _t0) * 1000, 2), round((following - t) * 1000, 2), f"{kind}({name}) {what}"))
        return out


_events: _EventLog | None = None


def begin() -> None:
    global _t0, _before, _procs, _events
    if _file is None:
        return
    _steps.clear()
    if _events is None and os.environ.get("ISPCLIENT_BENCH_OPEN_EVENTS"):
        _events = _EventLog()
    if _events is not None:
        _events.events.clear()
    if _counters is not None:
        _procs = _processes()
    if _counters is not None:
        _counters.refresh()
        _before = _counters.read()
    _t0 = time.perf_counter()


def end(label: str, took_ms: float, gui_cpu_ms: float) -> None:
    global _t0
    if _file is None or not _t0:
        return
    threads: dict[str, Any] = {}
    if _counters is not None:
        after = _counters.read()
        names = {t.native_id: t.name for t in threading.enumerate()}
        for tid, (ran, waited) in after.items():
            ran0, waited0 = _before.get(tid, (0, 0))
            if ran - ran0 > 100_000 or waited - waited0 > 100_000:  # more than 0.1 ms either way
                threads[names.get(tid, str(tid))] = {"ran_ms": round((ran - ran0) / 1e6, 2),
                                                     "waited_ms": round((waited - waited0) / 1e6, 2)}
    others: dict[str, Any] = {}
    if _counters is not None:
        others = {name: round((ns - _procs.get(name, 0)) / 1e6, 2) for name, ns in _processes().items()
                  if ns - _procs.get(name, 0) > 100_000}
    if _events is not None:
        others["events"] = _events.take(time.perf_counter())  # type: ignore[assignment]
    record = {"open": label, "processes_ms": others, "ms": round(took_ms, 2), "gui_cpu_ms": round(gui_cpu_ms, 2),
              "steps": [(n, th, round(a, 2), round(b, 2)) for n, th, a, b in _steps], "threads": threads}
    with _file.open("a") as out:
        out.write(json.dumps(record) + "\n")
    _t0 = 0.0
