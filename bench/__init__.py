"""Benchmarks of the front desk's waits: start-up, search, sort, client window, router status.

Run with ``make bench`` / ``make bench-quick`` (``python -m bench``); see ``bench/README.md``.
"""

import sys


def utf8_output() -> None:
    """Print the runners' tables (≥, →, …) as UTF-8 wherever the output goes: on Windows a pipe or
    file otherwise gets the ANSI code page (cp1252), which has no ≥, and the print raises."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
