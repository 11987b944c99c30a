"""``python -m bench.transfer [--rows 100000] [--out bench/results-transfer.json]`` (``make bench-transfer``)

Import and export at scale, through the app's own code paths:

* ``import_100k_s`` — the import wizard (``ui/import_wizard.py``) driven offscreen on a fresh
  SQLite data folder with one router and two packages: read the file, check every row (the
  preview), import in batches. Wall time from "Check the rows" to the import's end, for a
  100,000-row CSV (``import_100k_csv_s``) and the same rows as XLSX (``import_100k_xlsx_s``);
  ``import_100k_s`` is the slower; ``*_cpu_s`` is the CPU time the process used meanwhile (all
  its threads), which other work on a shared machine disturbs less than the wall time. While it
  runs a 10 ms PreciseTimer ticks on the GUI thread:
  the longest gap between ticks is ``import_gui_max_stall_ms``. On Linux each stall is also
  given its cause from the kernel's per-thread counters (bench/stall_trace.py):
  ``import_gui_max_own_stall_ms`` is the longest that was not the operating system's (the GUI
  thread's own work, or a worker holding the GIL while running), ``*_gui_stalls_os`` how many over
  50 ms were (the GUI thread, or the thread holding the GIL, waiting for a CPU) — on a machine
  shared with other busy processes the plain figure is mostly theirs. ``--direct`` also times the same
  import without the wizard (``*_direct_preview_s``, ``*_direct_apply_s``: dataio called in this
  thread, no Qt loaded yet), side by side.
* ``export_100k_s`` — the client list as the main window shows it (all columns) read again and
  written to XLSX (``export_list_xlsx_s``) and CSV (``export_list_csv_s``) with
  ``dataio.export.client_list``; the slower of the two. ``export_clients_xlsx_s``: every client
  with their subscription (``ispclient export clients``).

A quarter of the rows carry an opening balance (arrears, or a few paid ahead): entries of the
counter's ledger with receipt numbers and the clients' kept balances refreshed in each batch.

Targets: import ≤ 30 s with no GUI stall over 50 ms; export ≤ 5 s. ``run()`` returns the
figures for another runner (bench/__main__.py) to merge.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench import utf8_output

HERE = Path(__file__).resolve().parent
TARGETS = {"import_100k_s": 30.0, "import_gui_max_stall_ms": 50.0, "export_100k_s": 5.0}
HEADER = ["Full name", "Mobile", "Email", "Username", "Password", "Router", "Plan", "Expires on", "Paid", "Balance"]
FIRST = ["Amina", "Baraka", "Chebet", "Daudi", "Esther", "Faith", "Grace", "Hassan", "Imani", "Juma", "Kofi",
         "Zoë", "Oluwaseun", "Ngozi", "Jürgen", "Émilie", "Wanjiru", "Otieno", "Achieng", "Mwangi"]
LAST = ["Wanjiru", "Otieno", "Mwangi", "Kamau", "Odhiambo", "Njoroge", "Okafor", "Adeyemi", "Müller", "Ndlovu",
        "Mensah", "Banda", "Phiri", "Kiptoo", "Chege"]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (OSError, AttributeError):  # Windows has no os.getloadavg
        return "n/a"


def rows(n: int, seed: int = 15) -> list[list[Any]]:
    """Clients as an ISP's spreadsheet holds them: mixed date styles, 70 % with e-mail."""
    rng = random.Random(seed)
    base = date(2026, 1, 1)
    out: list[list[Any]] = []
    for i in range(n):
        end = base + timedelta(days=rng.randrange(-40, 60))
        style = i % 3
        written: Any = end.isoformat() if style == 0 else end.strftime("%d/%m/%Y") if style == 1 else end
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        out.append([name, f"+2547{rng.randrange(10, 99)}{i:06d}", f"client{i}@example.com" if rng.random() < 0.7
                    else "", f"client{i:06d}", f"pw{rng.randrange(10**8):08d}", "Main router",
                    "Home 10" if i % 4 else "Office 20", written, "yes" if rng.random() < 0.8 else "no",
                    _balance(rng)])
    return out


def _balance(rng: random.Random) -> str:
    """What the old system said each owes: most nothing, some arrears, a few paid ahead (ledger
    entries through the counter's path, dataio/opening.py)."""
    roll = rng.random()
    return "" if roll < 0.75 else f"{rng.randrange(1, 60) * 100}" if roll < 0.95 else f"-{rng.randrange(1, 30) * 100}"


def write_files(n: int, folder: Path) -> tuple[Path, Path]:
    from ispclient.dataio.writers import write_table

    data = rows(n)
    csv_path, xlsx_path = folder / f"clients-{n}.csv", folder / f"clients-{n}.xlsx"
    write_table(csv_path, "csv", HEADER, [[v.strftime("%d %b %Y") if isinstance(v, date) else v for v in r]
                                          for r in data])
    write_table(xlsx_path, "xlsx", HEADER, data)
    return csv_path, xlsx_path


def _fresh_data(folder: Path) -> Any:
    from ispclient import paths, store
    from ispclient.store import catalog, settings

    app_paths = paths.under(folder).ensure()
    store.open_database(app_paths.database, app_paths.backup_dir)
    settings.put("default_country", "KE")
    settings.put("currency", "KES")
    catalog.create_server(catalog.ServerInput(name="Main router", host="10.0.0.1"))
    catalog.create_package(catalog.PackageInput("Home 10", "1500", 30))
    catalog.create_package(catalog.PackageInput("Office 20", "3000", 30))
    return app_paths


def _in_memory_keyring() -> None:
    """Passwords (the PPPoE key among them) kept in memory, never in the OS's keyring."""
    import keyring

    from bench.bench_keyring import BenchKeyring

    keyring.set_keyring(BenchKeyring())


def measure_import(path: Path, folder: Path) -> dict[str, float]:
    """Drive the import wizard on ``path`` into a fresh data folder; seconds and the GUI's worst stall."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ispclient.dataio import opening
    from ispclient.routeros.credentials import CredentialStore
    from ispclient.store import balances, close_database, queries
    from ispclient.store.models import Payment
    from ispclient.ui import ops
    from ispclient.ui.context import AppContext, SettingsStore
    from ispclient.ui.import_wizard import ImportWizard

    _app = QApplication.instance() or QApplication([])  # kept alive while the wizard runs
    from ispclient.ui import collector

    collector.install(_app)  # as the app does: the cyclic collector on the GUI thread only
    app_paths = _fresh_data(folder)
    ctx = AppContext(paths=app_paths, credentials=CredentialStore("bench"), store=SettingsStore.load())
    wizard = ImportWizard(ctx)
    wizard.show()

    def wait(until: Any, timeout_s: float = 600) -> None:
        """Run the event loop (as the app does, idle between events) until ``until()``."""
        loop = QEventLoop()
        check = QTimer()
        check.setInterval(50)
        deadline = time.monotonic() + timeout_s
        check.timeout.connect(lambda: loop.quit() if until() or time.monotonic() > deadline else None)
        check.start()
        if not until():
            loop.exec()
        check.stop()
        if not until():
            raise TimeoutError("the import did not finish")

    wizard.path_edit.setText(str(path))
    read_started = time.perf_counter()
    wizard.next_button.click()
    wait(lambda: ops.in_flight() == 0)
    read_s = time.perf_counter() - read_started
    stall = {"max": 0.0}
    clock = QElapsedTimer()
    clock.start()
    last = {"t": 0}

    stalls: list[tuple[float, float, str]] = []

    from bench import stall_trace

    last_tick = {"t": time.perf_counter()}
    stall_trace.start(lambda: last_tick["t"], lambda: f"import {path.name}")  # never Qt from that thread

    def tick() -> None:
        previous, last_tick["t"] = last_tick["t"], time.perf_counter()
        stall_trace.note(previous, last_tick["t"], f"import {path.name}")
        now = clock.elapsed()
        gap = float(now - last["t"]) - 10
        stall["max"] = max(stall["max"], gap)
        if gap > 40:  # where the worst ones happen (printed with --verbose)
            stalls.append((round((now - started_ms) / 1000, 2), gap, wizard.status.text()[:40] or
                           wizard.mapping_note.text()[:50]))
        last["t"] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)
    timer.timeout.connect(tick)
    counted = stall_trace.count()  # each stall's cause, from the kernel's counters (Linux)
    started = time.perf_counter()
    cpu_started = time.process_time()
    started_ms = last["t"] = clock.elapsed()
    timer.start()
    wizard.next_button.click()  # check the rows
    wait(lambda: ops.in_flight() == 0 and wizard.pages.currentIndex() == 2)
    checked = time.perf_counter()
    cpu_checked = time.process_time()
    summary = wizard.summary_label.text()
    wizard.next_button.click()  # import
    wait(lambda: ops.in_flight() == 0 and wizard.outcome is not None)
    done = time.perf_counter()
    cpu_done = time.process_time()
    timer.stop()
    causes = stall_trace.take()
    outcome = wizard.outcome
    assert outcome is not None
    clients = len(queries.client_rows(date(2026, 1, 15), 7))
    drifted = len(balances.drift(limit=1_000_000))  # must be 0: kept balances = the ledger's sums
    openings = Payment.select().where(Payment.method == opening.METHOD).count()
    wizard.close()
    ops.shutdown(5000)
    close_database()
    log(f"    {path.name}: {summary}; {outcome.summary()}")
    if os.environ.get("BENCH_VERBOSE"):
        log(f"    stalls over 40 ms (s since start, ms, what the wizard said): {stalls}")
    return {"seconds": round(done - started, 2), "preview_s": round(checked - started, 2),
            "apply_s": round(done - checked, 2), "read_header_s": round(read_s, 2),
            "cpu_s": round(cpu_done - cpu_started, 2), "preview_cpu_s": round(cpu_checked - cpu_started, 2),
            "apply_cpu_s": round(cpu_done - cpu_checked, 2),
            "gui_max_stall_ms": round(stall["max"], 1), "clients": clients,
            **(_own_stalls(causes) if counted else {}),
            "balance_drift": drifted, "opening_entries": openings}


def _own_stalls(causes: list[tuple[float, str | None]]) -> dict[str, float]:
    """The longest stall that was not the operating system's (the GUI thread's own work, or a
    worker holding the GIL while it ran), and how many over 50 ms were the OS's (the GUI thread,
    or the thread holding the GIL, waiting for a CPU): on a shared machine the plain longest
    stall is mostly the other processes'. Stalls under 5 ms are not looked at (0), nor those the
    stall tracer's own thread caused (ISPCLIENT_BENCH_STALL_TRACE)."""
    from bench import stall_trace

    own = [gap - 10 for gap, why in causes if why not in stall_trace.OS_CAUSES and why != "tracer"]
    return {"gui_max_own_stall_ms": round(max(own, default=0.0), 1),
            "gui_stalls_os": sum(1 for gap, why in causes if why in stall_trace.OS_CAUSES and gap - 10 > 50)}


def measure_direct(path: Path, folder: Path) -> dict[str, float]:
    """The same import without the wizard or Qt (``--direct``): ``dataio`` preview and apply
    called in this thread, as ``ispclient import`` does — what the wizard's figures compare to."""
    from ispclient.dataio import mapping
    from ispclient.dataio.apply import apply_import
    from ispclient.dataio.prepare import MATCH_LABELS, ImportOptions, preview
    from ispclient.dataio.sources import ReadOptions, open_source
    from ispclient.store import close_database

    app_paths = _fresh_data(folder)
    try:
        source = open_source(path, ReadOptions(None, None, None))
        chosen, _why = mapping.initial(source.header, app_paths.config_dir)
        started = time.perf_counter()
        checked = preview(source, chosen, ImportOptions(next(iter(MATCH_LABELS)), None, True))
        previewed = time.perf_counter()
        apply_import(checked)
        done = time.perf_counter()
        checked.close()
    finally:
        close_database()
    return {"preview_s": round(previewed - started, 2), "apply_s": round(done - previewed, 2)}


def measure_export(folder: Path, out: Path) -> dict[str, float]:
    from ispclient import paths, store
    from ispclient.dataio import export
    from ispclient.store import queries

    app_paths = paths.under(folder)
    store.open_database(app_paths.database, app_paths.backup_dir)
    try:
        today = date(2026, 1, 15)
        ids = [r.id for r in sorted(queries.client_rows(today, 7), key=lambda r: r.name)]
        columns = list(export.LIST_COLUMNS)
        headers = [c.replace("_", " ").title() for c in columns]
        figures: dict[str, float] = {"export_rows": len(ids)}
        for fmt in ("xlsx", "csv"):
            started, cpu_started = time.perf_counter(), time.process_time()
            export.write(export.client_list(ids, columns, headers, today, 7, lambda s, u: "Unknown"),
                         out / f"list.{fmt}", fmt)
            figures[f"export_list_{fmt}_s"] = round(time.perf_counter() - started, 2)
            figures[f"export_list_{fmt}_cpu_s"] = round(time.process_time() - cpu_started, 2)
        started = time.perf_counter()
        export.write(export.clients(today), out / "clients.xlsx", "xlsx")
        figures["export_clients_xlsx_s"] = round(time.perf_counter() - started, 2)
        figures["export_list_xlsx_mb"] = round((out / "list.xlsx").stat().st_size / 1e6, 1)
        return figures
    finally:
        store.close_database()


def run(n: int = 100_000, root: Path | None = None, direct: bool = False) -> dict[str, Any]:
    """Every figure of this module (see the docstring)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("ISPCLIENT_LOCALE", "en_US")
    _in_memory_keyring()
    results: dict[str, Any] = {"load_average_start": load_average(), "transfer_rows": n}
    with tempfile.TemporaryDirectory(prefix="ispclient-bench-transfer-", dir=root) as tmp:
        folder = Path(tmp)
        log(f"bench.transfer: {n:,} rows (load average {results['load_average_start']})")
        csv_path, xlsx_path = write_files(n, folder)
        for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
            if direct:
                log(f"  import {kind} without the wizard …")
                got = measure_direct(path, folder / f"direct-{kind}")
                results[f"import_100k_{kind}_direct_preview_s"] = got["preview_s"]
                results[f"import_100k_{kind}_direct_apply_s"] = got["apply_s"]
            log(f"  import {kind} …")
            got = measure_import(path, folder / f"data-{kind}")
            results[f"import_100k_{kind}_s"] = got["seconds"]
            results[f"import_100k_{kind}_preview_s"] = got["preview_s"]
            results[f"import_100k_{kind}_apply_s"] = got["apply_s"]
            for part in ("cpu_s", "preview_cpu_s", "apply_cpu_s"):
                results[f"import_100k_{kind}_{part}"] = got[part]
            results[f"import_100k_{kind}_gui_max_stall_ms"] = got["gui_max_stall_ms"]
            for part in ("gui_max_own_stall_ms", "gui_stalls_os"):
                if part in got:
                    results[f"import_100k_{kind}_{part}"] = got[part]
            results[f"import_100k_{kind}_clients"] = got["clients"]
            results[f"import_100k_{kind}_opening_entries"] = got["opening_entries"]
            results[f"import_100k_{kind}_balance_drift"] = got["balance_drift"]
        log("  export …")
        results.update(measure_export(folder / "data-xlsx", folder))
    results["import_100k_s"] = max(results["import_100k_csv_s"], results["import_100k_xlsx_s"])
    results["import_gui_max_stall_ms"] = max(results["import_100k_csv_gui_max_stall_ms"],
                                             results["import_100k_xlsx_gui_max_stall_ms"])
    if "import_100k_csv_gui_max_own_stall_ms" in results:
        results["import_gui_max_own_stall_ms"] = max(results["import_100k_csv_gui_max_own_stall_ms"],
                                                     results["import_100k_xlsx_gui_max_own_stall_ms"])
    results["export_100k_s"] = max(results["export_list_xlsx_s"], results["export_list_csv_s"])
    results["load_average_end"] = load_average()
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<34} {'value':>10} {'target':>8}  result"]
    for key in sorted(results):
        value = results[key]
        target = TARGETS.get(key)
        verdict = "" if target is None or not isinstance(value, int | float) else \
            ("pass" if value <= target else "MISS")
        lines.append(f"{key:<34} {value!s:>10} {'' if target is None else target:>8}  {verdict}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    utf8_output()
    p = argparse.ArgumentParser(prog="python -m bench.transfer", description="Import and export at scale.")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--out", type=Path, default=HERE / "results-transfer.json")
    p.add_argument("--direct", action="store_true", help="also time the import without the wizard (dataio called "
                   "directly), side by side")
    args = p.parse_args(argv)
    results = run(args.rows, direct=args.direct)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
