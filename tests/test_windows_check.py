"""`make windows-check` stays wired up: its wheel resolver finds Windows-only requirements, the Wine
stand-ins stay out of the product, and the GitHub workflow keeps what the Wine run found it needs."""

from __future__ import annotations

import importlib.util
import re
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "installer" / "windows-check.sh"


def _wheels_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("windows_wheels", ROOT / "installer" / "windows_wheels.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel(folder: Path, name: str, version: str, requires: list[str]) -> None:
    meta = "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}".format(
        name, version, "".join(f"Requires-Dist: {r}\n" for r in requires))
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as z:
        z.writestr(f"{name}-{version}.dist-info/METADATA", meta)


def test_windows_only_requirements_are_found(tmp_path: Path) -> None:
    wheels = _wheels_module()
    _wheel(tmp_path, "keyring", "25.7.0", ['pywin32-ctypes>=0.2.0; sys_platform == "win32"',
                                           'SecretStorage>=3.2; sys_platform == "linux"',
                                           "jaraco.classes"])
    _wheel(tmp_path, "jaraco.classes", "3.4.0", [])
    _wheel(tmp_path, "pytest", "9.0.0", ['colorama>=0.4; sys_platform == "win32"',
                                         'pygments; extra == "dev"'])
    missing = sorted(str(r) for r in wheels.missing_for_windows(tmp_path))
    assert missing == ['colorama>=0.4; sys_platform == "win32"', 'pywin32-ctypes>=0.2.0; sys_platform == "win32"']


def test_project_requirements_follow_the_extras() -> None:
    wheels = _wheels_module()
    names = {r.name.lower() for r in wheels.project_requirements({"dev", "postgres"})}
    assert {"pyside6-essentials", "keyring", "pytest", "pyinstaller", "psycopg2-binary", "setuptools", "pip"} <= names
    assert "ispclient" not in names  # the dev extra's ispclient[test] is followed, not downloaded


def test_the_target_is_on_demand_and_not_part_of_make_test() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^windows-check:(.*)\n\t(.+)$", makefile, re.M)
    assert target and "installer/windows-check.sh" in target.group(2) and "TESTS=$(TESTS)" in target.group(2)
    test_target = re.search(r"^test:(.*)$", makefile, re.M)
    assert test_target and "windows-check" not in test_target.group(1)
    assert "windows-check" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_stand_ins_are_built_for_the_check_only() -> None:
    sources = sorted(p.stem for p in (ROOT / "installer" / "wine").glob("*.c"))
    assert sources == ["bcryptprimitives", "icuuc"]
    script = SCRIPT.read_text(encoding="utf-8")
    assert "drive_c/windows/system32" in script  # into the Wine prefix only
    assert 'dist_has_no_standins "$ROOT/dist/ispclient"' in script and 'dist_has_no_standins "$app"' in script
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    iss = (ROOT / "installer" / "ispclient.iss").read_text(encoding="utf-8")
    for name in sources:
        assert name not in spec and name not in iss


def test_every_wine_gap_is_stated_in_the_script() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    for gap in ("stdout/stderr is a regular file", "icuuc.dll", "ProcessPrng", "{autopf}",
                "Class does not exist", "schtasks rejects /SC"):
        assert gap in script, gap


def test_the_workflow_gives_offscreen_qt_fonts_on_windows() -> None:
    workflow = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    test_step = workflow.split("- name: Test", 1)[1].split("- name:", 1)[0]
    assert "QT_QPA_FONTDIR" in test_step and "python -m pytest" in test_step


def test_the_wine_plugin_changes_nothing_off_wine() -> None:
    import socket
    import sys

    from tests import wine

    if sys.platform != "win32":
        assert wine.WINE is None
    if wine.WINE is None and sys.platform == "linux":
        assert hasattr(socket, "TCP_KEEPIDLE")  # not hidden: the plugin only acts under Wine
    for prefix, reason in wine.SKIPS.items():
        assert prefix.startswith("tests/") and "::" in prefix and reason


def test_windows_gets_a_time_zone_database() -> None:
    """Windows has no IANA zones of its own: without the tzdata package zoneinfo knows none, and no
    time zone could be set (found under Wine: the reports' and the set-up wizard's tests failed)."""
    wheels = _wheels_module()
    tzdata = [r for r in wheels.project_requirements(set()) if r.name.lower() == "tzdata"]
    assert len(tzdata) == 1 and wheels._applies(tzdata[0], set())
    assert tzdata[0].marker is not None and "win32" in str(tzdata[0].marker)  # Linux has the system's


def test_the_programs_the_check_runs_end_in_time_with_their_exit_code_checked() -> None:
    """Setup, the smoke tests, enforce, backup and the uninstaller: each through ``wt SECONDS``,
    which fails the step on a non-zero exit code and kills a program that hangs."""
    script = SCRIPT.read_text(encoding="utf-8")
    wt = script.split("\nwt() {", 1)[1].split("\n}", 1)[0]
    assert "timeout --kill-after" in wt and "exited $rc" in wt and "did not end within" in wt
    code = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    for call in ('-setup.exe" /VERYSILENT', '.exe" --smoke-test', 'ispclient.exe" enforce', 'ispclient.exe" backup',
                 'unins000.exe" /VERYSILENT'):
        lines = [line for line in code if call in line]
        assert lines and all(re.match(r"\s*wt \d+ ", line) for line in lines), (call, lines)
