"""The check that Qt's X11 plugin can load (``make run`` and the app's start): which system
libraries are missing, the packages that ship them, and one plain line instead of Qt's abort."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ispclient import app, platform_check

# The check and its installer are Linux's (xcb, apt-get, root): Windows has neither, and never runs them.
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's xcb check and apt-get")


@linux_only
def test_missing_libraries_are_named_with_their_packages(tmp_path: Path) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    missing = platform_check.missing_libraries(
        plugin, ldd=lambda _p: ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"], loadable=lambda name: False)
    assert missing == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert platform_check.packages_for(missing) == ["libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"]
    line = platform_check.problem({"DISPLAY": ":0"}, missing)
    assert line is not None and "\n" not in line
    assert line.endswith("sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")


def test_no_check_for_other_platforms_or_when_all_is_there() -> None:
    assert platform_check.problem({"QT_QPA_PLATFORM": "offscreen"}, ["libxcb-icccm.so.4"]) is None
    assert platform_check.problem({"DISPLAY": ":0"}, []) is None
    assert not platform_check.uses_xcb({"DISPLAY": ":0"}, platform="win32")
    assert platform_check.uses_xcb({"QT_QPA_PLATFORM": "xcb"}, platform="linux")


@linux_only
def test_install_uses_apt_get_as_root_or_says_it_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(platform_check.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(platform_check.os, "geteuid", lambda: 0)
    assert platform_check.install(["libxcb-icccm4"], run=lambda cmd: ran.append(cmd) or 0)
    assert ran == [["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends",
                    "libxcb-icccm4"]]
    monkeypatch.setattr(platform_check.os, "geteuid", lambda: 1000)
    assert not platform_check.install(["libxcb-icccm4"], run=lambda cmd: 1)  # no password-less sudo


def test_the_app_says_what_to_install_instead_of_a_qt_abort(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(platform_check, "problem", lambda: "ispclient can't open its window: install libxcb1")
    assert app.main(["--data-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == "ispclient can't open its window: install libxcb1"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb plugin is Linux only")
def test_the_check_runs_on_this_machine() -> None:
    """What `make run` runs first: it answers (exit 0 when all is present, 1 naming packages)."""
    done = subprocess.run([sys.executable, "-m", "ispclient.platform_check"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode in (0, 1), done.stderr
    if done.returncode == 0:
        assert done.stdout.strip() == "Qt's X11 libraries: all present"
    else:
        assert "sudo apt-get install " in done.stderr
