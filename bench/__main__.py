"""``python -m bench [--quick | --tiny | --million] [--pg-latency MS] [--only KEY,...] [--out FILE]``

Generates the data (cached in ``bench/.data/``, moved to today's dates on later days), starts the
simulated routers, runs the app offscreen in fresh processes and writes ``results.json`` plus a
table of figure, value, target and pass/fail. What each figure means and how it is measured:
``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import figures, measure, utf8_output
from bench.generate import SIZES, Size

HERE = Path(__file__).resolve().parent
UI_KEYS = ("search_ms_median", "search_ms_p95", "sort_ms_max", "client_open_6_ms", "client_open_100_ms",
           "status_refresh_s", "gui_max_stall_ms", "peak_rss_mb", "sql_statements_per_open")
LOAD_KEYS = ("first_rows_s", "list_complete_s")
PG_KEYS = ("pg_client_open_ms", "pg_open_stall_ms")
REPORT_KEYS = ("dashboard_ms", "report_revenue_12m_ms", "report_gui_stall_ms")


@dataclass(frozen=True)
class Plan:
    size: Size
    load_runs: int
    ratio_clients: int
    ratio_sample: int | None  # per-client lookups actually timed (None: all of them)
    pg_size: Size | None  # the data set copied into PostgreSQL for the --pg-latency figures


PLANS = {
    "full": Plan(SIZES["full"], 3, 1000, None, SIZES["full"]),
    "million": Plan(SIZES["million"], 3, 1000, 200, SIZES["full"]),
    "quick": Plan(SIZES["5000"], 1, 1000, 60, SIZES["5000"]),
    "tiny": Plan(SIZES["tiny"], 1, 100, 10, None),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="5,000 clients; under 30 seconds")
    size.add_argument("--tiny", action="store_true", help="200 clients: checks the runner works (tests)")
    size.add_argument("--million", action="store_true", help="1,000,000 clients (the issue's 1M column)")
    p.add_argument("--pg-latency", type=float, metavar="MS",
                   help="also open clients on PostgreSQL behind a proxy adding MS per round trip "
                        "(ISPCLIENT_BENCH_PG_URL, else ISPCLIENT_TEST_PG_URL + _bench)")
    p.add_argument("--only", metavar="KEY,...", help="measure only these figures; other keys are kept from --out")
    p.add_argument("--out", type=Path, default=HERE / "results.json", help="where to write the JSON")
    p.add_argument("--data-root", type=Path, help="where generated data is cached (default bench/.data)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--no-transfer", action="store_true",
                   help="leave out the 100,000-row import/export (a few minutes; make bench-transfer runs it alone)")
    return p


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    utf8_output()
    args = build_parser().parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    mode = "tiny" if args.tiny else "quick" if args.quick else "million" if args.million else "full"
    plan = PLANS[mode]
    only = {k.strip() for k in args.only.split(",")} if args.only else None

    def wanted(*keys: str) -> bool:
        return only is None or bool(only.intersection(keys))

    results: dict[str, Any] = {}
    if only is not None and args.out.exists():
        results = json.loads(args.out.read_text(encoding="utf-8"))
    started = time.perf_counter()
    results.update(environment(mode))
    measure.compile_bytecode()
    log(f"bench: {mode} run, {plan.size.clients:,} clients, {plan.size.sessions:,} sessions "
        f"(load average {results['load_average_start']})")

    if wanted("clients", *LOAD_KEYS, *UI_KEYS, *REPORT_KEYS):
        log(f"  data and routers ({plan.size.name}) …")
        t = time.perf_counter()
        stack = measure.start_stack(plan.size, root=args.data_root)
        results["data_ready_s"] = round(time.perf_counter() - t, 1)
        try:
            results["clients"] = stack.info.clients
            results["data"] = data_summary(stack.info)
            if wanted(*LOAD_KEYS):
                log(f"  start-up × {plan.load_runs} …")
                results.update(measure.list_load(stack, plan.load_runs))
            if wanted(*UI_KEYS):
                log("  search, sort, status refresh, hung router, client windows …")
                probe = measure.run_probe(stack, "full")
                results["first_rows_s_full_probe"] = probe.pop("first_rows_s")
                results["list_complete_s_full_probe"] = probe.pop("list_complete_s")
                results.update(probe)
                # The status figures mean something only if every router answered in time (at a
                # million clients the simulators once spent longer than the deadline on each
                # refresh: every status figure then timed a timeout, and nothing said so).
                results["routers_answered"] = probe.get("online_after_refresh") == plan.size.sessions
            if wanted(*REPORT_KEYS):
                from bench import reports

                log("  the Today page and twelve months of revenue …")
                results.update(reports.measure_in_child(Path(stack.info.path)))
        finally:
            stack.stop()

    if mode == "full" and wanted(*figures.TRANSFER_KEYS) and not args.no_transfer:
        from bench import transfer

        log("  import and export of 100,000 rows (bench/transfer.py) …")
        got = transfer.run(100_000, root=args.data_root)
        results.update({k: v for k, v in got.items() if k not in ("load_average_start", "load_average_end")})

    if args.pg_latency is not None and plan.pg_size is not None and wanted(*PG_KEYS):
        from bench import postgres

        url = postgres.bench_url()
        log(f"  PostgreSQL with {args.pg_latency:g} ms round trips ({plan.pg_size.clients:,} clients, "
            f"{postgres.database_name(url)}) …")
        stack = measure.start_stack(plan.pg_size, root=args.data_root)
        try:
            results.update(measure.pg_latency(stack, args.pg_latency, url))
        except Exception as e:  # noqa: BLE001 - no PostgreSQL here: say so, measure the rest
            log(f"  PostgreSQL figures skipped: {type(e).__name__}: {e}")
            results["pg_skipped"] = f"{type(e).__name__}: {e}"
        finally:
            stack.stop()
        opens = [results.get(f"pg_client_open_{k}_ms") for k in ("6", "100")]
        if all(isinstance(v, int | float) for v in opens):
            results["pg_client_open_ms"] = max(opens)  # type: ignore[type-var]
    statements = [results.get(k) for k in ("sql_statements_per_open", "pg_sql_statements_per_open")]
    results["sql_statements_per_open_sqlite"] = statements[0]
    if all(isinstance(v, int) for v in statements):
        results["sql_statements_per_open"] = max(statements)  # type: ignore[type-var]

    if wanted("status_batch_vs_per_client_ratio"):
        log(f"  one query per router against one per client ({plan.ratio_clients:,} clients, 20 ms link) …")
        results.update(measure.batch_vs_per_client(plan.ratio_clients, 20.0, plan.ratio_sample))

    results["load_average_end"] = load_average()
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(figures.table(results))
    misses = figures.missed(results)
    if results.get("routers_answered") is False:
        misses.append(f"routers_answered (online after a refresh: {results.get('online_after_refresh')} of "
                      f"{plan.size.sessions:,}; the status figures timed the routers' deadline)")
    print(f"\n{mode} run in {results['bench_seconds']:.0f} s (load average {results['load_average_start']} → "
          f"{results['load_average_end']}); {len(misses)} target(s) missed"
          f"{': ' + ', '.join(misses) if misses else ''}; written to {args.out}")
    return 1 if args.strict and misses else 0


def environment(mode: str) -> dict[str, Any]:
    """What the numbers depend on besides the code: the machine and how busy it was."""
    try:
        from PySide6 import __version__ as pyside
    except ImportError:  # pragma: no cover
        pyside = "?"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=HERE, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"mode": mode, "python": platform.python_version(), "pyside6": pyside, "cpus": os.cpu_count(),
            "platform": platform.platform(terse=True), "commit": commit,
            "load_average_start": load_average()}


def load_average() -> float | str:
    """The 1-minute load average, or "n/a" where the OS has none (Windows has no os.getloadavg)."""
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return round(os.getloadavg()[0], 2)


def data_summary(info: Any) -> dict[str, Any]:
    return {"size": info.size, "clients": info.clients, "deleted_clients": info.deleted_clients,
            "subscriptions": info.subscriptions, "payments": info.payments, "audit_events": info.audit_events,
            "statuses": info.statuses, "routers": len(info.server_ids)}


if __name__ == "__main__":
    sys.exit(main())
