"""``python -m bench [--quick | --tiny] [--only KEY,...] [--out bench/results.json]``

Generates the data (cached per day in ``bench/.data/``), starts the simulated routers, runs the
app offscreen in fresh processes and writes ``results.json`` plus a table of figure, value,
target and pass/fail. What each figure means and how it is measured: ``bench/README.md``.
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

from bench import figures, measure
from bench.generate import SIZES, Size

HERE = Path(__file__).resolve().parent
UI_KEYS = ("search_ms_median", "search_ms_p95", "sort_ms_max", "client_window_ms", "status_refresh_s",
           "gui_max_stall_ms", "peak_rss_mb")


@dataclass(frozen=True)
class Plan:
    size: Size
    load_runs: int
    small: Size | None  # a second data set for list_load_s_5000 (the full run only)
    ratio_clients: int
    ratio_sample: int | None  # per-client lookups actually timed (None: all of them)


PLANS = {
    "full": Plan(SIZES["full"], 3, SIZES["5000"], 1000, None),
    "quick": Plan(SIZES["5000"], 3, None, 1000, 60),
    "tiny": Plan(SIZES["tiny"], 1, None, 100, 10),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="5,000 clients; under a minute")
    size.add_argument("--tiny", action="store_true", help="200 clients: checks the runner works (tests)")
    p.add_argument("--only", metavar="KEY,...", help="measure only these figures; other keys are kept from --out")
    p.add_argument("--out", type=Path, default=HERE / "results.json", help="where to write the JSON")
    p.add_argument("--data-root", type=Path, help="where generated data is cached (default bench/.data)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return p


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    plan = PLANS[mode]
    only = {k.strip() for k in args.only.split(",")} if args.only else None

    def wanted(*keys: str) -> bool:
        return only is None or bool(only.intersection(keys))

    results: dict[str, Any] = {}
    if only is not None and args.out.exists():
        results = json.loads(args.out.read_text(encoding="utf-8"))
    started = time.perf_counter()
    results.update(environment(mode))
    log(f"bench: {mode} run, {plan.size.clients:,} clients, {plan.size.sessions:,} sessions "
        f"(load average {results['load_average_start']})")

    if wanted("clients", "list_load_s", *UI_KEYS):
        log(f"  data and routers ({plan.size.name}) …")
        stack = measure.start_stack(plan.size, root=args.data_root)
        try:
            results["clients"] = stack.info.clients
            results["data"] = data_summary(stack.info)
            if wanted("list_load_s"):
                log(f"  start-up × {plan.load_runs} …")
                load = measure.list_load(stack, plan.load_runs)
                results.update(load)
                if plan.size.clients == SIZES["5000"].clients:
                    results["list_load_s_5000"] = load["list_load_s"]
            if wanted(*UI_KEYS):
                log("  search, sort, status refresh, hung router, client window …")
                probe = measure.run_probe(stack, "full")
                results["list_load_s_full_probe"] = probe.pop("list_load_s")
                results.update(probe)
        finally:
            stack.stop()

    if plan.small is not None and wanted("list_load_s_5000"):
        log(f"  start-up at {plan.small.clients:,} clients × {plan.load_runs} …")
        stack = measure.start_stack(plan.small, root=args.data_root)
        try:
            small = measure.list_load(stack, plan.load_runs)
            results["list_load_s_5000"] = small["list_load_s"]
            results["list_load_runs_s_5000"] = small["list_load_runs_s"]
        finally:
            stack.stop()

    if wanted("status_batch_vs_per_client_ratio"):
        log(f"  one query per router against one per client ({plan.ratio_clients:,} clients, 20 ms link) …")
        results.update(measure.batch_vs_per_client(plan.ratio_clients, 20.0, plan.ratio_sample))

    results["load_average_end"] = load_average()
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(figures.table(results))
    misses = figures.missed(results)
    print(f"\n{mode} run in {results['bench_seconds']:.0f} s; {len(misses)} target(s) missed"
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
