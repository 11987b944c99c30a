"""The figures ``results.json`` reports, their targets, and the table printed at the end.

Targets are issue 11's table: one column for 100,000 clients (also applied to the smaller data
sets of ``--quick`` and ``--tiny``, where they are easy) and one for 1,000,000 (``--million``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    target: float | None = None
    at_least: bool = False  # a ratio to reach rather than a time/size to stay under
    million: float | None = None  # the target at a million clients, when it differs

    def passed(self, value: float | None) -> bool | None:
        if self.target is None or value is None:
            return None
        return value >= self.target if self.at_least else value <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'≥' if self.at_least else '≤'} {self.target:g}{self.unit and ' ' + self.unit}"


FIGURES = (
    Figure("clients", "clients in the list", ""),
    Figure("first_rows_s", "start → first rows painted", "s", 0.6, million=1.0),
    Figure("list_complete_s", "start → list complete (search/sort ready)", "s", 1.0, million=4.0),
    Figure("search_ms_p95", "search keystroke, 95th percentile", "ms", 30, million=50),
    Figure("search_ms_median", "search keystroke, median", "ms"),
    Figure("sort_ms_max", "sort, real header click, slowest column", "ms", 35, million=300),
    Figure("client_open_6_ms", "open a client with 6 subscriptions (first open included)", "ms", 20),
    Figure("client_open_100_ms", "open a client with 100 subscriptions (first open included)", "ms", 35),
    Figure("gui_max_stall_ms", "longest GUI stall, whole run", "ms", 50, million=100),
    Figure("peak_rss_mb", "peak RSS (steady state, max over the run)", "MB", 250, million=1200),
    Figure("pg_client_open_ms", "open a client, PostgreSQL 20 ms round trip: time", "ms", 120),
    Figure("pg_open_stall_ms", "open a client, PostgreSQL 20 ms round trip: GUI stall", "ms", 30),
    Figure("sql_statements_per_open", "SQL statements per client open", "", 3),
    Figure("status_refresh_s", "status refresh, all routers", "s", 1.5),
    Figure("dashboard_ms", "Today page: every figure read (median)", "ms", 300),
    Figure("report_revenue_12m_ms", "revenue per month, twelve months (median)", "ms", 500),
    Figure("report_gui_stall_ms", "longest GUI stall while they are read", "ms", 50),
    Figure("status_batch_vs_per_client_ratio", "batch vs per-client lookup", "×", 50, at_least=True),
)
# Issue 15's import and export of 100,000 rows (bench/transfer.py): measured by a full run only.
TRANSFER_FIGURES = (
    Figure("import_100k_s", "import 100,000 rows, preview + apply (slower of CSV, XLSX)", "s", 30),
    Figure("import_gui_max_stall_ms", "longest GUI stall during the imports", "ms", 50),
    Figure("export_100k_s", "export the 100,000-client list (slower of CSV, XLSX)", "s", 5),
)
FIGURES = FIGURES + TRANSFER_FIGURES
TRANSFER_KEYS = tuple(f.key for f in TRANSFER_FIGURES)
REQUIRED_KEYS = tuple(f.key for f in FIGURES if not f.key.startswith("pg_") and f.key not in TRANSFER_KEYS)
MILLION = 500_000  # from this many clients on, the 1,000,000 column's targets apply


def figures_for(results: Mapping[str, object]) -> tuple[Figure, ...]:
    clients = results.get("clients")
    if isinstance(clients, int | float) and clients >= MILLION:
        return tuple(replace(f, target=f.million) if f.million is not None else f for f in FIGURES)
    return FIGURES


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value != int(value) else f"{value:.0f}"


def table(results: Mapping[str, object]) -> str:
    """Figure, value, target, pass/fail — one line each, for the terminal and the notes."""
    rows = [("figure", "key", "value", "target", "result")]
    for f in figures_for(results):
        value = results.get(f.key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        verdict = f.passed(float(value))
        rows.append((f.label, f.key, f"{_number(float(value))}{f.unit and ' ' + f.unit}", f.target_text(),
                     "" if verdict is None else ("pass" if verdict else "FAIL")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i == 2 else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(r, widths, strict=True))).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def missed(results: Mapping[str, object]) -> list[str]:
    return [f.key for f in figures_for(results)
            if isinstance(results.get(f.key), int | float) and f.passed(float(results[f.key])) is False]  # type: ignore[arg-type]
