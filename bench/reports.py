"""Issue 16's figures: the Today page's read (``dashboard_ms``) and twelve months of revenue
(``report_revenue_12m_ms``) on the generated database, each the median of a few runs, read as the
app reads them — an op on the database lane — while a 1 ms timer on the GUI thread measures the
longest gap in the event loop (``report_gui_stall_ms``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

RUNS = 5


def _timed_in_lane(fn: Callable[[], object], runs: int) -> tuple[list[float], float]:
    """Run ``fn`` ``runs`` times as a DB-lane op, one after another; (times in ms, longest GUI stall)."""
    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer

    from ispclient.ui import ops

    app = QCoreApplication.instance() or QCoreApplication([])
    times: list[float] = []
    stall = 0.0
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        nonlocal stall
        now = clock.elapsed()
        stall = max(stall, float(now - last[0]))
        last[0] = now

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(tick)
    for _ in range(runs):
        done: list[float] = []
        started = time.perf_counter()
        ops.Op(None, fn, lane=ops.Lane.DB).on_success(
            lambda _v, done=done, started=started: done.append(time.perf_counter() - started)).run()
        last[0] = clock.elapsed()
        timer.start()
        while not done:
            app.processEvents()
            time.sleep(0.0005)
        timer.stop()
        times.append(done[0] * 1000)
    return times, stall


def measure(db_path: Path, runs: int = RUNS) -> dict[str, Any]:
    """The two figures (median ms) and the stall, on ``db_path`` (a copy is not needed: reads only)."""
    from ispclient import store
    from ispclient.domain.permissions import SYSTEM
    from ispclient.store import access, reports, settings

    store.open_database(db_path)
    try:
        with access.acting_as(SYSTEM):
            today = settings.today()
            first = first_of_months_back(today, 11)  # twelve months, this one included

            def dashboard() -> object:
                with access.acting_as(SYSTEM):
                    return reports.today_figures()

            def revenue() -> object:
                with access.acting_as(SYSTEM):
                    return reports.report(reports.ReportKind.REVENUE_BY_MONTH, first, today)

            dashboard()  # the first read warms the page cache as the app's start-up would have
            dash_times, dash_stall = _timed_in_lane(dashboard, runs)
            revenue()
            rev_times, rev_stall = _timed_in_lane(revenue, runs)
            payments = int(store.db.execute_sql("SELECT COUNT(*) FROM payment").fetchone()[0])
            return {
                "dashboard_ms": round(statistics.median(dash_times), 1),
                "dashboard_ms_max": round(max(dash_times), 1),
                "report_revenue_12m_ms": round(statistics.median(rev_times), 1),
                "report_revenue_12m_ms_max": round(max(rev_times), 1),
                "report_gui_stall_ms": round(max(dash_stall, rev_stall), 1),
                "report_payments": payments,
                "report_range": f"{first.isoformat()}..{today.isoformat()}",
            }
    finally:
        from ispclient.ui import ops

        ops.shutdown()
        store.close_database()


def first_of_months_back(today: date, months: int) -> date:
    d = today.replace(day=1)
    for _ in range(months):
        d = (d - timedelta(days=1)).replace(day=1)
    return d


def measure_in_child(db_path: Path, runs: int = RUNS) -> dict[str, Any]:
    """:func:`measure` in a fresh process (its own Qt application and database connection)."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys; from pathlib import Path; from bench import reports; "
            f"print(json.dumps(reports.measure(Path(sys.argv[1]), {int(runs)})))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, check=True,
                         env=env, cwd=Path(__file__).resolve().parent.parent, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


if __name__ == "__main__":  # python -m bench.reports DB: the figures on an existing database
    import json
    import sys

    print(json.dumps(measure_in_child(Path(sys.argv[1])), indent=2))
