"""The app as it starts, measured from inside: ``python -m bench.load_probe CONFIG_JSON``.

It does what ``ispclient --data-dir D`` does at start-up (``app.main`` → ``application.run``:
logging, crash hook, ``start_session``, ``window.show()``, ``status.start()``), then reports
``loaded`` the moment the client table has painted its rows. The parent measures the wall time
from spawning this process to that line (interpreter start and imports included).

With ``"mode": "full"`` it goes on in the same process, offscreen, through the real widgets:
typing in the search box, clicking column headers, F5 refreshes, a refresh with one router
hanging, opening the client with 100 subscriptions; then reports peak RSS.

Protocol on stdout: lines starting with ``@`` are JSON for the parent; a ``{"request": …}``
line waits for one line back on stdin (the parent owns the simulated routers).
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # first thing: the probe's own clock starts here

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import keyring  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402

from bench.routers import API_PASSWORD  # noqa: E402


class BenchKeyring(KeyringBackend):
    """The routers' API password for every server; anything else kept in memory (never the OS's)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        if username.startswith("server-"):
            return API_PASSWORD
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def send(message: dict[str, Any]) -> None:
    sys.stdout.write("@" + json.dumps(message) + "\n")
    sys.stdout.flush()


def ask(message: dict[str, Any]) -> str:
    send(message)
    return sys.stdin.readline().strip()


def rss_mb() -> float:
    """Peak resident set size so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux
        return rss_mb()


def main(config: dict[str, Any]) -> int:
    from ispclient import app as cli
    from ispclient import paths

    keyring.set_keyring(BenchKeyring())
    app_paths = paths.under(config["data_dir"]).ensure()
    log_file = cli._configure_logging(app_paths)  # what app.main does first
    from ispclient.ui.crash import install_excepthook

    install_excepthook(log_file)
    from PySide6.QtCore import QEvent, QObject

    from ispclient.ui.application import start_session

    t_imports = time.perf_counter()
    session = start_session(app_paths, argv=["ispclient"])
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
    window.table.viewport().installEventFilter(painted)
    window.show()  # what application.run does, up to app.exec()
    t_shown = time.perf_counter()
    status.start()
    t_status = time.perf_counter()
    spin_until(app, lambda: painted.paints > 0 and window.model.rowCount() > 0, 30)
    t_loaded = time.perf_counter()
    send({"event": "loaded", "rows": window.model.rowCount(), "probe_imports_s": t_imports - _T0,
          "probe_session_s": t_session - t_imports, "probe_show_s": t_loaded - t_session,
          "probe_status_start_s": t_status - t_shown, "probe_first_paint_s": t_loaded - t_status,
          "probe_total_s": t_loaded - _T0})
    if config.get("mode") != "full":
        session.close()
        return 0
    results: dict[str, Any] = {"rows": window.model.rowCount()}
    try:
        measure_all(app, session, painted, config, results, t_loaded)
    finally:
        session.close()
    send({"event": "results", **results})
    return 0


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
    """A 10 ms timer on the GUI thread; its longest gap is the longest the window froze."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        self._tick()  # the gap up to now counts too
        return max(self.gaps)


def measure_all(app: Any, session: Any, painted: Any, config: dict[str, Any], out: dict[str, Any],
                t_loaded: float) -> None:
    from PySide6.QtCore import Qt

    from ispclient.ui.models.client_list import Column

    window, status = session.window, session.status
    timeout = float(config.get("refresh_timeout_s", 60))

    # The refresh application.run started with the window: it lands after the list is shown.
    if status.refreshing:
        wait_for_signal(status.refreshed, timeout)
    out["status_first_refresh_s"] = time.perf_counter() - t_loaded  # counted from the list being shown
    out["rss_after_load_mb"] = current_rss_mb()
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
    out["rss_after_search_mb"] = current_rss_mb()

    # Sort: a header click on every column, both directions, on the whole list.
    header = window.table.horizontalHeader()
    sorts: dict[str, float] = {}
    for column in Column:
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            before = painted.paints, changes[0]
            t = time.perf_counter()
            window.table.sortByColumn(column, order)
            settle(*before)
            sorts[f"{column.name.lower()}_{'asc' if order == Qt.SortOrder.AscendingOrder else 'desc'}"] = \
                (time.perf_counter() - t) * 1000
    assert header.sortIndicatorSection() == list(Column)[-1]
    window.table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
    app.processEvents()
    out["sort_ms_max"] = max(sorts.values())
    out["sort_slowest"] = max(sorts, key=sorts.__getitem__)
    out["sort_ms"] = {k: round(v, 2) for k, v in sorts.items()}
    out["rss_after_sort_mb"] = current_rss_mb()

    # F5: all routers → the list updated (every row's status changes: checked-at moves on).
    refreshes: list[float] = []
    stalls: list[float] = []
    for _ in range(int(config.get("refreshes", 3))):
        meter = StallMeter()
        meter.start()
        t = time.perf_counter()
        status.refresh()
        if not wait_for_signal(status.refreshed, timeout):
            raise RuntimeError("a status refresh did not finish")
        app.processEvents()  # the repaint of the updated rows
        refreshes.append(time.perf_counter() - t)
        stalls.append(meter.stop())
    out["status_refresh_s"] = statistics.median(refreshes)
    out["status_refresh_runs_s"] = refreshes
    out["gui_max_stall_normal_refresh_ms"] = max(stalls)
    out["peak_rss_mb"] = rss_mb()  # after load + search + sort + status refresh
    out["rss_after_refresh_mb"] = current_rss_mb()
    counts = window.model.counts()
    out["online_after_refresh"] = counts.online

    # One router hangs until its timeout while the others answer: the window must keep going.
    hang = config.get("hang_index")
    if hang is not None:
        ask({"request": "fault", "index": hang, "fault": "hang"})
        meter = StallMeter()
        meter.start()
        t = time.perf_counter()
        status.refresh()
        finished = wait_for_signal(status.refreshed, timeout)
        app.processEvents()
        out["gui_max_stall_ms"] = meter.stop()
        out["stall_refresh_s"] = time.perf_counter() - t
        out["stall_refresh_finished"] = finished
        out["stall_timer_ticks"] = len(meter.gaps)
        out["unknown_during_hang"] = window.model.counts().unknown
        ask({"request": "fault", "index": hang, "fault": "none"})
        # Let the hung router's worker give up before going on (it holds its thread until then).
        spin_until(app, lambda: not status.checker.is_busy(config["hang_server_id"]), 30)

    # The client with 100 subscriptions: construct, show, events processed (tabs filled).
    big = config.get("big_client_id")
    if big is not None:
        opens: list[float] = []
        for _ in range(6):
            t = time.perf_counter()
            client_window = window.open_client(big)
            app.processEvents()
            spin_until(app, lambda w=client_window: w.windowHandle() is not None  # type: ignore[misc]
                       and w.windowHandle().isExposed() and w.detail is not None, 5)
            app.processEvents()
            opens.append((time.perf_counter() - t) * 1000)
            out["client_window_subscriptions"] = client_window.subscriptions.table.model().rowCount()
            client_window.close()
            spin_until(app, lambda: big not in window.client_windows, 5)
        out["client_window_first_ms"] = opens[0]
        out["client_window_ms"] = statistics.median(opens[1:])
        out["client_window_runs_ms"] = opens
    out["peak_rss_end_mb"] = rss_mb()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main(json.loads(sys.argv[1])))
