"""installer/wine_tests.py, which runs the suite under Wine (``make windows-check TESTS=1``): a test
that hangs, or a run past its limit, ends the run with the stacks of where it hung and a failing
exit code, in the form windows-check.sh looks for (its TIMEOUT_MARK)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "installer" / "wine_tests.py"
HANGS = """
import time


def test_waits_for_ever():
    time.sleep(600)
"""


def timeout_mark() -> re.Pattern[str]:
    script = (ROOT / "installer" / "windows-check.sh").read_text(encoding="utf-8")
    found = re.search(r"^TIMEOUT_MARK='(.*)'$", script, re.MULTILINE)
    assert found, "windows-check.sh defines no TIMEOUT_MARK"
    return re.compile(found.group(1), re.MULTILINE)


def run(tmp_path: Path, limit: float, *pytest_args: str) -> tuple[int, str, float]:
    (tmp_path / "test_hangs.py").write_text(HANGS, encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-u", str(RUNNER), str(tmp_path), str(limit), "-v", *pytest_args,
                           str(tmp_path / "test_hangs.py")], cwd=ROOT, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=100)
    return done.returncode, done.stdout, time.monotonic() - started


def test_a_run_past_its_limit_stops_with_every_threads_stack(tmp_path: Path) -> None:
    code, out, took = run(tmp_path, 10, "-p", "no:timeout")  # the test is running by then
    assert code == 1, out
    assert took < 120, out  # 10 s, the stacks, 5 s of grace: not the test's 600 s
    assert timeout_mark().search(out), out
    assert "in test_waits_for_ever" in out, out  # where it hung
    assert "the test suite did not end within 10 s" in out, out


def test_a_test_past_pytest_timeouts_limit_ends_the_run_with_its_stack(tmp_path: Path) -> None:
    code, out, took = run(tmp_path, 600, "--timeout=2", "--timeout-method=thread")
    assert code == 1, out
    assert took < 120, out
    assert timeout_mark().search(out), out
    assert "in test_waits_for_ever" in out, out
