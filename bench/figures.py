"""The figures ``results.json`` reports, their targets, and the table printed at the end."""

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

    def passed(self, value: float | None) -> bool | None:
        if self.target is None or value is None:
            return None
        return value >= self.target if self.at_least else value <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'≥' if self.at_least else '≤'} {self.target:g}{self.unit and ' ' + self.unit}"


# The figures, in its order. ``list_load_s_5000`` is the "≤ 0.5 at 5,000 clients" row.
FIGURES = (
    Figure("clients", "clients in the list", ""),
    Figure("list_load_s", "start → list shown", "s", 1.0),
    Figure("list_load_s_5000", "start → list shown, 5,000 clients", "s", 0.5),
    Figure("search_ms_median", "search keystroke, median", "ms", 30),
    Figure("search_ms_p95", "search keystroke, 95th percentile", "ms", 60),
    Figure("sort_ms_max", "sort, slowest column", "ms", 150),
    Figure("client_window_ms", "open client (100 subscriptions)", "ms", 50),
    Figure("status_refresh_s", "status refresh, all routers", "s", 1.5),
    Figure("status_batch_vs_per_client_ratio", "batch vs per-client lookup", "×", 50, at_least=True),
    Figure("gui_max_stall_ms", "longest GUI stall, one router hung", "ms", 50),
    Figure("peak_rss_mb", "peak memory (RSS)", "MB", 300),
)
REQUIRED_KEYS = tuple(f.key for f in FIGURES if f.key != "list_load_s_5000")
SMALL_DATA_SET = 5_000


def figures_for(results: Mapping[str, object]) -> tuple[Figure, ...]:
    """On the 5,000-client data set (``--quick``) the start-up target is the 5,000-client one,
    and ``list_load_s_5000`` is the same measurement: shown once."""
    clients = results.get("clients")
    if isinstance(clients, int | float) and clients <= SMALL_DATA_SET:
        return tuple(replace(f, target=0.5, label=f"{f.label} ({clients:,.0f} clients)") if f.key == "list_load_s"
                     else f for f in FIGURES if f.key != "list_load_s_5000")
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
        if not isinstance(value, int | float):
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
