"""The command line as the build and the README use it, in real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from ispclient import app, paths, store
from ispclient.store import clients

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ["main", "client-overview", "client-subscriptions", "client-activity", "subscription-dialog",
         "server-dialog", "router-sync", "wizard"]


def run_app(*args: str, timeout: float = 60, pythonpath: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           # Never the real OS keychain: the same in-memory backend the tests use.
           "PYTHON_KEYRING_BACKEND": "tests.conftest.MemoryKeyring"}
    env.pop("ISPCLIENT_HOME", None)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "ispclient", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_smoke_test_exits_0_and_builds_the_main_window(tmp_path: Path) -> None:
    result = run_app("--smoke-test", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "smoke test ok" in result.stdout and "main window built" in result.stdout
    assert (tmp_path / "ispclient.sqlite3").exists()


def test_smoke_test_fails_and_says_why_when_the_list_cannot_load(tmp_path: Path) -> None:
    """A build that leaves numpy out (build.spec once excluded it) must fail the smoke test, not hang
    on the error box the failed background read opens."""
    shadow = tmp_path / "shadow" / "numpy"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'numpy\'")\n')
    result = run_app("--smoke-test", "--data-dir", str(tmp_path / "data"), pythonpath=str(shadow.parent))
    assert result.returncode == 1
    assert "smoke test failed: a background task failed" in result.stderr
    assert "numpy" in (tmp_path / "data" / "logs" / "ispclient.log").read_text(encoding="utf-8")


def test_demo_screenshots(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    result = run_app("--demo", "--data-dir", str(tmp_path / "data"), "--screenshot", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    for size in ("1366x768", "1920x1080"):
        for name in SHOTS:
            image = QImage(str(out / f"{name}-{size}.png"))
            assert not image.isNull(), f"{name}-{size}.png"
    main = QImage(str(out / "main-1366x768.png"))
    assert (main.width(), main.height()) == (1366, 768)  # the window on a picture of the whole screen
    assert (tmp_path / "data" / "demo" / "ispclient.sqlite3").exists()  # never the real data directory
    assert not (tmp_path / "data" / "ispclient.sqlite3").exists()


def test_screenshot_needs_demo(tmp_path: Path) -> None:
    result = run_app("--screenshot", str(tmp_path))
    assert result.returncode == 2 and "--demo" in result.stderr


def test_run_or_demo_opens_the_demo_only_without_clients(tmp_path: Path) -> None:
    own = paths.under(tmp_path).ensure()
    assert not app.has_clients(own)
    assert not own.database.exists()  # looking did not create a database
    store.open_database(own.database)
    clients.create_client(clients.ClientInput("C1", "Amina Wanjiru"))
    store.close_database()
    assert app.has_clients(own)


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help(args: list[str]) -> None:
    result = run_app(*args, timeout=30)
    assert result.returncode == 0 and "ispclient" in result.stdout


# Its own 180 s bound must come first (it reports the app's output; pytest-timeout's 120 s ends the
# whole run): under Wine, on a loaded machine, it took 90 s.
@pytest.mark.timeout(240)
def test_demo_smoke_test_reports_the_real_client_count(tmp_path: Path) -> None:
    """The list loads in the background: the smoke test waits for it (it said "0 clients")."""
    result = run_app("--demo", "--smoke-test", "--data-dir", str(tmp_path), timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "main window built (300 clients)" in result.stdout
