"""Benchmarks of the front desk's waits: start-up, search, sort, client window, router status.

Run with ``make bench`` / ``make bench-quick`` (``python -m bench``); see ``bench/README.md``.
"""
