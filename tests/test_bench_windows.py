"""The benchmark runs where os.getloadavg does not exist (Windows): the load average reads "n/a".

The whole runner is started with os.getloadavg removed, as on Windows, on its smallest figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_LOADAVG = ("import os, runpy, sys; "
                   "hasattr(os, 'getloadavg') and delattr(os, 'getloadavg'); "
                   "sys.argv[0] = 'bench'; runpy.run_module('bench', run_name='__main__', alter_sys=True)")


def test_bench_runs_without_os_getloadavg(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", WITHOUT_LOADAVG, "--tiny",
                           "--only", "status_batch_vs_per_client_ratio", "--out", str(out),
                           "--data-root", str(tmp_path / "data")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["load_average_start"] == "n/a"
    assert results["load_average_end"] == "n/a"
    assert isinstance(results["status_batch_vs_per_client_ratio"], int | float)


def test_the_load_average_is_a_number_where_the_os_has_one() -> None:
    from bench.__main__ import load_average

    value = load_average()
    assert isinstance(value, float) if hasattr(os, "getloadavg") else value == "n/a"


WITHOUT_RESOURCE = """
import os, sys
sys.modules["resource"] = None  # import resource -> ImportError, as on Windows
hasattr(os, "getloadavg") and delattr(os, "getloadavg")
import bench.hostile, bench.load_probe, bench.transfer
assert bench.hostile.resource is None
print(round(bench.load_probe.rss_mb()), round(bench.hostile.current_rss() / 2**20), bench.transfer.load_average())
"""


def test_the_bench_modules_import_and_read_memory_without_the_resource_module() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", WITHOUT_RESOURCE], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    probe_mb, hostile_mb, load = done.stdout.split()
    assert int(probe_mb) > 10 and int(hostile_mb) > 10 and load == "n/a"
