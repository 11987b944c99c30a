"""The app as it starts, measured from inside: ``python -m bench.load_probe CONFIG_JSON``.

It does what ``ispclient --data-dir D`` does at start-up (``app.main`` → ``application.run``:
logging, crash hook, ``start_session``, ``window.show()``, ``status.start()``) and reports
``first_rows`` when the client table has painted rows (the first page, read while the whole list
is read) and ``complete`` when the whole list is in (searchable, every sort order ready). The
parent measures the wall time from spawning this process to each line (interpreter start and
imports included).

``"mode": "full"`` goes on, offscreen, through the real widgets: typing in the search box,
clicking column headers (real clicks: one sort each), F5 refreshes, a refresh with one router
hanging, opening a client with 6 and one with 100 subscriptions. A 10 ms timer runs on the GUI
thread from ``window.show()`` to the end: its longest gap is the longest the window froze.
``"mode": "pg-open"`` (the app on PostgreSQL through a delaying proxy) only opens clients.

Protocol on stdout: lines starting with ``@`` are JSON for the parent; a ``{"request": …}``
line waits for one line back on stdin (the parent owns the simulated routers).
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # first thing: the probe's own clock starts here

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from bench import open_trace, stall_trace  # noqa: E402

SETTLE_S = 0.3  # idle time before a steady-state memory sample


def send(message: dict[str, Any]) -> None:
    sys.stdout.write("@" + json.dumps(message) + "\n")
    sys.stdout.flush()


def ask(message: dict[str, Any]) -> str:
    send(message)
    return sys.stdin.readline().strip()


# -- memory, on every OS (Windows has no ``resource`` module) -------------------------------------

def _windows_memory() -> tuple[float, float]:
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                    ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                    ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t), ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                    ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

    counters = Counters()
    counters.cb = ctypes.sizeof(Counters)
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    psapi = ctypes.WinDLL("psapi")  # type: ignore[attr-defined]
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    # Declared, or ctypes passes the 64-bit pseudo-handle as a C int (OverflowError).
    psapi.GetProcessMemoryInfo.argtypes = [wintypes.HANDLE, ctypes.POINTER(Counters), wintypes.DWORD]
    psapi.GetProcessMemoryInfo.restype = wintypes.BOOL
    if not psapi.GetProcessMemoryInfo(kernel32.GetCurrentProcess(), ctypes.byref(counters), counters.cb):
        raise ctypes.WinError()  # type: ignore[attr-defined]
    return counters.WorkingSetSize / 2**20, counters.PeakWorkingSetSize / 2**20


def rss_mb() -> float:
    """Resident memory now."""
    if sys.platform == "win32":
        return _windows_memory()[0]
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux
        return rss_high_water_mb()


def rss_high_water_mb() -> float:
    """The most resident memory the OS saw this process use (any moment, however brief)."""
    if sys.platform == "win32":
        return _windows_memory()[1]
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


class Memory:
    """Resident memory in the steady state after each phase (the app idle for SETTLE_S: what it
    holds, not what a moment of work touched), sampled every 50 ms in between too."""

    def __init__(self) -> None:
        self.steady: dict[str, float] = {}
        self.sampled = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.sampled = max(self.sampled, rss_mb())

    def settle(self, app: Any, phase: str) -> float:
        spin_for(app, SETTLE_S)
        value = self.steady[phase] = rss_mb()
        return value

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1)


# -- the event loop -------------------------------------------------------------------------------

def spin_until(app: Any, done: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop (without burning the CPU the workers need) until ``done()``."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.perf_counter() + timeout_s
    app.processEvents()
    while not done():
        if time.perf_counter() > deadline:
            return False
        loop = QEventLoop()
        QTimer.singleShot(2, loop.quit)
        loop.exec()
    return True


def spin_for(app: Any, seconds: float) -> None:
    end = time.perf_counter() + seconds
    spin_until(app, lambda: time.perf_counter() >= end, seconds + 1)


def wait_for_signal(signal: Any, timeout_s: float) -> bool:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    fired: list[bool] = []
    signal.connect(loop.quit)
    signal.connect(lambda *a: fired.append(True))
    QTimer.singleShot(round(timeout_s * 1000), loop.quit)
    loop.exec()
    try:
        signal.disconnect(loop.quit)
    except (RuntimeError, TypeError):
        pass
    return bool(fired)


class StallMeter:
    """A 10 ms timer on the GUI thread; its longest gap is the longest the window froze. Gaps are
    kept per phase of the run (start, search, sort, status, open)."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.phase = "start"
        self.longest: dict[str, float] = {}
        self.ticks = 0
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000
        stall_trace.note(self._last, now, f"phase {self.phase}")
        self._last = now
        self.ticks += 1
        if gap > self.longest.get(self.phase, 0.0):
            self.longest[self.phase] = gap

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()
        stall_trace.start(lambda: self._last, lambda: f"phase {self.phase}")

    def enter(self, phase: str) -> None:
        self._tick()  # the gap up to now belongs to the phase that just ended
        self.phase = phase

    def outside(self, step: Callable[[], Any]) -> Any:
        """The probe's own blocking step (asking the runner to make a router hang): the window
        waits for the probe then, not for the app, so the gap is not counted."""
        self._tick()
        try:
            return step()
        finally:
            self._last = time.perf_counter()

    def stop(self) -> float:
        self._tick()
        self.timer.stop()
        return max(self.longest.values(), default=0.0)


class BusyMeter:
    """The GUI thread's CPU time in each turn of its event loop (between two moments it is about
    to block waiting for events; waiting costs no CPU): the longest is the longest the window
    froze by its own work, whatever else the machine ran (a stall is that, plus waiting for a CPU
    or for the GIL). Measured at start-up only: later the probe drives the window itself (typing,
    clicking) between turns that never block, and those would all count as one."""

    def __init__(self, stalls: StallMeter) -> None:
        from PySide6.QtCore import QAbstractEventDispatcher

        self.stalls = stalls
        self.longest: dict[str, float] = {}
        self._cpu = time.thread_time()
        dispatcher = QAbstractEventDispatcher.instance()
        if dispatcher is not None:
            dispatcher.aboutToBlock.connect(self._blocking)

    def _blocking(self) -> None:
        cpu = time.thread_time()
        ms = (cpu - self._cpu) * 1000
        self._cpu = cpu
        phase = self.stalls.phase
        if ms > self.longest.get(phase, 0.0):
            self.longest[phase] = ms

    def enter(self) -> None:
        """A new phase: the work of the probe's own step before it (not a turn of the loop) is not counted."""
        self._cpu = time.thread_time()


class GcPauses:
    """The longest garbage collection, from the collector's own callbacks."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections += 1
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._started) * 1000)


class StatementCounter:
    """SQL statements the app runs (every peewee statement goes through Database.execute_sql)."""

    def __init__(self) -> None:
        import peewee

        self.count = 0
        self.counting = False
        original = peewee.Database.execute_sql

        def counted(db: Any, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            if self.counting:
                self.count += 1
            return original(db, sql, params, *args, **kwargs)

        peewee.Database.execute_sql = counted  # type: ignore[method-assign]


# -- the run ------------------------------------------------------------------------------------

def main(config: dict[str, Any]) -> int:
    from ispclient import app as cli
    from ispclient import paths

    # The keyring the app finds when it first asks for a password (it imports keyring then, in the
    # background): the probe doesn't import keyring itself (see bench/bench_keyring.py).
    os.environ["PYTHON_KEYRING_BACKEND"] = "bench.bench_keyring.BenchKeyring"
    app_paths = paths.under(config["data_dir"]).ensure()
    (Path(config["data_dir"]) / "ui-state.ini").unlink(missing_ok=True)  # every run starts as the first
    from ispclient.store import sqlite_library

    sqlite_library.without_memory_statistics()  # as app.main does, before any connection
    log_file = cli._configure_logging(app_paths)  # what app.main does first
    from ispclient.ui.crash import install_excepthook

    install_excepthook(log_file)
    from PySide6.QtCore import QEvent, QObject

    from ispclient.ui.application import start_session

    memory = Memory()
    pauses = GcPauses()
    statements = StatementCounter()
    t_imports = time.perf_counter()
    session = start_session(app_paths, argv=["ispclient"], db_url=config.get("db_url"))
    t_session = time.perf_counter()
    app, window, status = session.app, session.window, session.status

    class PaintCounter(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    painted = PaintCounter()
    # The app opens on the Today page (issue 16); these figures are the client list's: shown first
    # here, as it was before that page (its figures are bench/reports.py's).
    window.tabs.setCurrentWidget(window.clients_page)
    window.table.viewport().installEventFilter(painted)
    stalls = StallMeter()
    busy = BusyMeter(stalls)
    window.show()  # what application.run does, up to app.exec()
    stalls.start()
    t_shown = time.perf_counter()
    if config.get("mode") != "pg-open":
        stalls.enter("status_start")  # the status service's own start (usernames per router)
        status.start()
        stalls.enter("start")
    busy.enter()  # counted from here, as the stalls are
    spin_until(app, lambda: painted.paints > 0 and window.model.rowCount() > 0, 120)
    t_rows = time.perf_counter()
    stall_trace.mark("first rows painted")
    send({"event": "first_rows", "rows": window.model.rowCount(), "probe_imports_s": t_imports - _T0,
          "probe_session_s": t_session - t_imports, "probe_show_to_rows_s": t_rows - t_shown,
          "probe_gui_cpu_to_rows_s": time.thread_time()})
    spin_until(app, lambda: window.list_ready, 600)
    before = painted.paints
    spin_until(app, lambda: painted.paints > before, 2)  # the whole list painted
    t_complete = time.perf_counter()
    stall_trace.mark("list complete")
    # CPU against wall: on a shared machine a slow start is either our work or a wait for a CPU.
    send({"event": "complete", "rows": window.model.rowCount(), "probe_show_to_complete_s": t_complete - t_shown,
          "probe_cpu_s": time.process_time(), "probe_gui_cpu_s": time.thread_time(),
          "probe_start_stall_ms": max(stalls.longest.values(), default=0.0),
          "probe_start_busy_ms": max(busy.longest.values(), default=0.0),
          "probe_load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None})
    out: dict[str, Any] = {"rows": window.model.rowCount()}
    try:
        if config.get("mode") == "full":
            measure_all(app, session, painted, config, out, stalls, memory, statements)
        elif config.get("mode") == "pg-open":
            stalls.enter("settle")
            spin_for(app, 0.5)
            measure_opens(app, window, config, out, stalls, statements, prefix="pg_", runs=6)
        if config.get("mode") in ("full", "pg-open"):
            out["gui_max_stall_ms"] = stalls.stop()
            out["gui_stall_by_phase_ms"] = {k: round(v, 1) for k, v in stalls.longest.items()}
            out["gui_timer_ticks"] = stalls.ticks
            out["gc_max_pause_ms"] = pauses.longest_ms
            out["gc_collections"] = pauses.collections
            out["rss_steady_mb"] = {k: round(v, 1) for k, v in memory.steady.items()}
            out["peak_rss_mb"] = max(memory.steady.values(), default=rss_mb())
            out["rss_sampled_max_mb"] = memory.sampled
            out["rss_high_water_mb"] = rss_high_water_mb()
    finally:
        memory.stop()
        session.close()
    if config.get("mode") in ("full", "pg-open"):
        send({"event": "results", **out})
    return 0


def measure_all(app: Any, session: Any, painted: Any, config: dict[str, Any], out: dict[str, Any],
                stalls: StallMeter, memory: Memory, statements: StatementCounter) -> None:
    window, status = session.window, session.status
    timeout = float(config.get("refresh_timeout_s", 60))

    # The refresh application.run started with the window: it lands after the list is shown.
    if status.refreshing:
        wait_for_signal(status.refreshed, timeout)
    stall_trace.mark("the first status refresh landed")
    stalls.enter("settle")
    memory.settle(app, "after_load")
    counts = window.model.counts()
    out["online"], out["offline"], out["unknown"] = counts.online, counts.offline, counts.unknown

    changes = [0]  # the model's view-changing signals: each asks the table for a repaint
    model = window.model
    for signal in (model.modelReset, model.layoutChanged, model.rowsInserted, model.rowsRemoved):
        signal.connect(lambda *_a: changes.__setitem__(0, changes[0] + 1))

    def settle(before_paints: int, before_changes: int) -> None:
        """Until the table has repainted, if the model told it anything changed."""
        app.processEvents()
        if changes[0] != before_changes and painted.paints == before_paints:
            spin_until(app, lambda: painted.paints > before_paints, 5)

    def keystroke(text: str) -> float:
        before = painted.paints, changes[0]
        t = time.perf_counter()
        window.filters.search.setText(text)
        settle(*before)
        return (time.perf_counter() - t) * 1000

    # Search: every query typed a key at a time, as at the counter; each keystroke is a sample.
    stalls.enter("search")
    samples: list[float] = []
    per_query: dict[str, float] = {}
    for query in config["queries"]:
        keystroke("")
        times = [keystroke(query[:n]) for n in range(1, len(query) + 1)]
        per_query[query] = round(max(times), 2)
        samples += times
    clear_ms = keystroke("")
    out["search_ms_median"] = statistics.median(samples)
    out["search_ms_p95"] = percentile(samples, 95)
    out["search_ms_max"] = max(samples)
    out["search_keystrokes"] = len(samples)
    out["search_clear_ms"] = clear_ms
    out["search_slowest_query"] = max(per_query, key=per_query.__getitem__)
    out["search_ms_by_query"] = per_query
    stalls.enter("settle")
    memory.settle(app, "after_search")

    # Sort: a real click on each column's header, twice (one order, then the other). A click
    # sorts once (QTableView.sortByColumn sorted twice: it was the wrong thing to time).
    stalls.enter("sort")
    out["sort_ms"] = sorts = click_every_header(app, window, painted, settle, changes)
    out["sort_ms_max"] = max(sorts.values())
    out["sort_slowest"] = max(sorts, key=sorts.__getitem__)
    stalls.enter("settle")
    memory.settle(app, "after_sort")

    # F5: all routers → the list updated (every row's status changes: checked-at moves on).
    stalls.enter("status")
    refreshes: list[float] = []
    for _ in range(int(config.get("refreshes", 3))):
        t = time.perf_counter()
        status.refresh()
        if not wait_for_signal(status.refreshed, timeout):
            raise RuntimeError("a status refresh did not finish")
        app.processEvents()  # the repaint of the updated rows
        refreshes.append(time.perf_counter() - t)
    out["status_refresh_s"] = statistics.median(refreshes)
    out["status_refresh_runs_s"] = refreshes
    out["online_after_refresh"] = window.model.counts().online

    # One router hangs until its timeout while the others answer: the window must keep going.
    hang = config.get("hang_index")
    if hang is not None:
        stalls.outside(lambda: ask({"request": "fault", "index": hang, "fault": "hang"}))
        stalls.enter("status_hung_router")
        t = time.perf_counter()
        status.refresh()
        finished = wait_for_signal(status.refreshed, timeout)
        app.processEvents()
        out["stall_refresh_s"] = time.perf_counter() - t
        out["stall_refresh_finished"] = finished
        out["unknown_during_hang"] = window.model.counts().unknown
        stalls.outside(lambda: ask({"request": "fault", "index": hang, "fault": "none"}))
        # Let the hung router's worker give up before going on (it holds its thread until then).
        spin_until(app, lambda: not status.checker.is_busy(config["hang_server_id"]), 30)
    stalls.enter("settle")
    memory.settle(app, "after_status")
    measure_opens(app, window, config, out, stalls, statements, prefix="", runs=6)
    stalls.enter("settle")
    memory.settle(app, "after_open")


def click_every_header(app: Any, window: Any, painted: Any, settle: Callable[[int, int], None],
                       changes: list[int]) -> dict[str, float]:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from ispclient.ui.models.client_list import Column

    header = window.table.horizontalHeader()
    sorts: dict[str, float] = {}
    for column in Column:
        window.table.scrollTo(window.model.index(0, column))  # the header section in view
        app.processEvents()
        for _ in range(2):
            x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
            before = painted.paints, changes[0]
            t = time.perf_counter()
            QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                             QPoint(x, header.height() // 2))
            settle(*before)
            took = (time.perf_counter() - t) * 1000
            if header.sortIndicatorSection() != column:
                raise RuntimeError(f"the click on {column.name} did not sort by it")
            order = "asc" if header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder else "desc"
            sorts[f"{column.name.lower()}_{order}"] = round(took, 2)
    window.table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
    window.table.scrollTo(window.model.index(0, 0))
    app.processEvents()
    return sorts


def measure_opens(app: Any, window: Any, config: dict[str, Any], out: dict[str, Any], stalls: StallMeter,
                  counter: StatementCounter, prefix: str, runs: int) -> None:
    """Open each configured client ``runs`` times, the first open included (the window fills
    from one background read: done when ``window.detail`` is there, the window shown and painted)."""
    open_trace.install()
    for key, client_id in (("6", config.get("client_6")), ("100", config.get("big_client_id"))):
        if client_id is None:
            continue
        stalls.enter(f"{prefix}open_{key}")
        times: list[float] = []
        cpu: list[float] = []  # the GUI thread's own CPU time: what the open costs it, whatever the load
        counts: list[int] = []
        wire: list[int] = []
        for run in range(runs):
            on_wire = int(ask({"request": "queries"})) if config.get("db_url") else 0
            counter.count, counter.counting = 0, True
            open_trace.begin()
            t, t_cpu = time.perf_counter(), time.thread_time()
            client_window = window.open_client(client_id)
            spin_until(app, lambda w=client_window: w.detail is not None and w.isVisible(), 10)  # type: ignore[misc]
            app.processEvents()  # the tabs painted with it
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - t_cpu) * 1000)
            open_trace.end(f"{prefix}open_{key} #{run + 1}", times[-1], cpu[-1])
            counter.counting = False
            counts.append(counter.count)
            if config.get("db_url"):  # what reached the server, BEGIN and COMMIT included
                wire.append(int(ask({"request": "queries"})) - on_wire)
            out[f"{prefix}client_{key}_subscriptions"] = len(client_window.detail.subscriptions)
            client_window.close()
            spin_until(app, lambda c=client_id: c not in window.client_windows, 5)  # type: ignore[misc]
        out[f"{prefix}client_open_{key}_ms"] = max(times)  # the first open included
        out[f"{prefix}client_open_{key}_first_ms"] = times[0]
        out[f"{prefix}client_open_{key}_median_ms"] = statistics.median(times)
        out[f"{prefix}client_open_{key}_runs_ms"] = [round(x, 2) for x in times]
        out[f"{prefix}client_open_{key}_gui_cpu_runs_ms"] = [round(x, 2) for x in cpu]
        out[f"{prefix}sql_statements_per_open_{key}"] = max(wire or counts)
        out[f"{prefix}sql_statements_per_open_{key}_runs"] = wire or counts
        out[f"{prefix}open_stall_{key}_ms"] = stalls.longest.get(f"{prefix}open_{key}", 0.0)
    keys = [k for k in ("6", "100") if f"{prefix}client_open_{k}_ms" in out]
    if keys:
        out[f"{prefix}sql_statements_per_open"] = max(out[f"{prefix}sql_statements_per_open_{k}"] for k in keys)
        out[f"{prefix}open_stall_ms"] = max(out[f"{prefix}open_stall_{k}_ms"] for k in keys)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main(json.loads(sys.argv[1])))
