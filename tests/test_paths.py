"""Where the data lives: the documented Windows folder, and the move from the 0.1.0 layout.

Windows folders are asked of platformdirs' Windows implementation with %LOCALAPPDATA% pointed
at a temporary folder, so these run (and move files) on every OS without touching a real profile.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import platformdirs
import platformdirs.windows
import pytest

from ispclient import paths
from ispclient.store.instance_lock import InstanceLock

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = r"%LOCALAPPDATA%\ispclient"


@pytest.fixture
def local_appdata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in %LOCALAPPDATA% for platformdirs' Windows folders."""
    root = tmp_path / "AppData" / "Local"
    root.mkdir(parents=True)
    folders = {"CSIDL_LOCAL_APPDATA": str(root), "CSIDL_APPDATA": str(tmp_path / "AppData" / "Roaming")}
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", folders.__getitem__)
    monkeypatch.delenv(paths.ENV_HOME, raising=False)
    return root


def windows_default() -> paths.AppPaths:
    return paths.default(platformdirs.windows.Windows)


def legacy_folder(local: Path) -> Path:
    """The 0.1.0 data folder with what a user had in it."""
    old = local / "ispclient" / "ispclient"
    (old / "backups").mkdir(parents=True)
    (old / "Logs").mkdir()
    (old / "demo" / "logs").mkdir(parents=True)
    (old / "ispclient.sqlite3").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    (old / "ispclient.sqlite3-wal").write_bytes(b"wal frames")
    (old / "ispclient.sqlite3.state").write_text("clean", encoding="utf-8")
    (old / "ui-state.ini").write_text("[main]\ngeometry=1\n", encoding="utf-8")
    (old / "backups" / "ispclient-2026-01-01.sqlite3").write_bytes(b"backup")
    (old / "Logs" / "ispclient.log").write_text("old log\n", encoding="utf-8")
    (old / "demo" / "ispclient.sqlite3").write_bytes(b"demo data")
    return old


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_windows_data_folder_is_the_documented_one(local_appdata: Path) -> None:
    got = windows_default()
    assert got.data_dir == local_appdata / "ispclient"
    assert got.database == local_appdata / "ispclient" / "ispclient.sqlite3"
    assert got.log_dir == local_appdata / "ispclient" / "Logs"
    assert got.backup_dir == local_appdata / "ispclient" / "backups"
    assert got.config_dir == local_appdata / "ispclient"
    assert paths.demo().data_dir != got.data_dir  # (this OS's demo; never the user's data)


@pytest.mark.skipif(sys.platform != "win32", reason="asks Windows itself for %LOCALAPPDATA%")
def test_windows_itself_gives_the_documented_folder() -> None:
    # No move is attempted here: only the folder Windows' own API gives is compared.
    dirs = platformdirs.PlatformDirs("ispclient", paths._APP_AUTHOR, roaming=False)
    assert Path(dirs.user_data_dir) == Path(os.environ["LOCALAPPDATA"]) / "ispclient"


def test_docs_and_installer_name_the_same_folder() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    iss = (ROOT / "installer" / "ispclient.iss").read_text(encoding="utf-8")
    where = re.search(r"\*\*Where the data is\*\*:[^`]*`([^`]+)` on\s+Windows", readme)
    assert where and where.group(1) == DOCUMENTED
    row = next(line for line in operations.splitlines() if line.startswith("| Windows"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1].startswith(r"`C:\Users\<you>\AppData\Local\ispclient`") and DOCUMENTED in cells[1]
    assert cells[2] == r"`…\AppData\Local\ispclient\Logs`"
    # The uninstaller's "delete my data" deletes {localappdata}\<DataDirName>.
    data_dir_name = re.search(r'#define DataDirName "([^"]+)"', iss)
    assert data_dir_name and data_dir_name.group(1) == "ispclient"
    assert "ExpandConstant('{localappdata}\\{#DataDirName}')" in iss


def test_other_systems_have_no_legacy_folder(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("the Windows layout is tested above")
    dirs = platformdirs.PlatformDirs("ispclient", paths._APP_AUTHOR, roaming=False)
    legacy = platformdirs.PlatformDirs("ispclient", paths._LEGACY_APP_AUTHOR, roaming=False)
    assert dirs.user_data_dir == legacy.user_data_dir  # the app author only ever mattered on Windows


def test_legacy_folder_moves_up_intact(local_appdata: Path) -> None:
    old = legacy_folder(local_appdata)
    before = snapshot(old)
    got = windows_default()
    new = local_appdata / "ispclient"
    assert got.data_dir == new
    assert not old.exists() and not (local_appdata / "ispclient" / "ispclient.moving").exists()
    assert snapshot(new) == before  # every file, byte for byte, and nothing else
    assert got.database.read_bytes() == before["ispclient.sqlite3"]
    assert (got.log_dir / "ispclient.log").read_text(encoding="utf-8") == "old log\n"
    assert windows_default() == got  # the next start finds nothing left to move


def test_a_file_in_both_places_moves_nothing(local_appdata: Path) -> None:
    old = legacy_folder(local_appdata)
    new = local_appdata / "ispclient"
    (new / "ui-state.ini").write_text("newer\n", encoding="utf-8")
    before_old, before_new = snapshot(old), (new / "ui-state.ini").read_bytes()
    got = windows_default()
    assert got.data_dir == old and got.log_dir == old / "Logs" and got.config_dir == old
    assert snapshot(old) == before_old
    assert (new / "ui-state.ini").read_bytes() == before_new


def test_a_folder_open_in_another_window_is_left_alone(local_appdata: Path) -> None:
    old = legacy_folder(local_appdata)
    before = snapshot(old)
    with InstanceLock(old):  # another window (the lock is per open file, so this process counts)
        assert windows_default().data_dir == old
        assert {k: v for k, v in snapshot(old).items() if k != "ispclient.lock"} == before
    assert windows_default().data_dir == local_appdata / "ispclient"


def test_a_move_cut_short_is_finished_at_the_next_start(local_appdata: Path) -> None:
    old = legacy_folder(local_appdata)
    before = snapshot(old)
    new = local_appdata / "ispclient"
    staging = new / "ispclient.moving"
    old.rename(staging)  # the power went off after the first step and one file ...
    (staging / "ispclient.sqlite3").rename(new / "ispclient.sqlite3")
    got = windows_default()
    assert got.data_dir == new and not staging.exists()
    assert {k: v for k, v in snapshot(new).items()} == before


def test_a_move_that_cannot_finish_says_so_and_keeps_every_file(local_appdata: Path) -> None:
    old = legacy_folder(local_appdata)
    new = local_appdata / "ispclient"
    staging = new / "ispclient.moving"
    old.rename(staging)
    (new / "ui-state.ini").write_text("written meanwhile\n", encoding="utf-8")
    with pytest.raises(paths.MoveIncomplete, match=r"ui-state\.ini") as raised:
        windows_default()
    assert str(staging) in str(raised.value) and str(new) in str(raised.value)
    assert (staging / "ui-state.ini").read_text(encoding="utf-8") == "[main]\ngeometry=1\n"
    assert (new / "ui-state.ini").read_text(encoding="utf-8") == "written meanwhile\n"
    assert (new / "ispclient.sqlite3").exists()  # the database went first


def test_data_dir_and_env_never_move_anything(local_appdata: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    old = legacy_folder(local_appdata)
    assert paths.resolve(tmp_path / "mine").data_dir == (tmp_path / "mine").resolve()
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path / "home"))
    assert paths.resolve().data_dir == (tmp_path / "home").resolve()
    assert old.is_dir()


@pytest.mark.skipif(sys.platform != "win32", reason="the app's own start on Windows")
def test_the_app_moves_the_legacy_folder_at_start(tmp_path: Path) -> None:
    """On Windows (or Wine): a real start with %LOCALAPPDATA% elsewhere finds the old data."""
    local = tmp_path / "Local"
    old = legacy_folder(local)
    before = snapshot(old)
    script = ("import platformdirs.windows as w, sys; "
              f"w.get_win_folder = lambda name: {str(local)!r}; "
              "from ispclient import paths; print(paths.resolve().data_dir)")
    env = {k: v for k, v in os.environ.items() if k != paths.ENV_HOME}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == local / "ispclient"
    assert snapshot(local / "ispclient") == before
