"""Every directory the app writes to, in one place.

platformdirs gives the per-user locations; ``--data-dir DIR`` or ``ISPCLIENT_HOME`` put
everything (database, logs, backups, settings) under one directory instead.

On Windows the data folder is ``%LOCALAPPDATA%\\ispclient`` (logs in its ``Logs`` folder), as the
README, the operations guide and the installer's "delete my data" say. Versions up to 0.1.0 used
``%LOCALAPPDATA%\\ispclient\\ispclient`` (platformdirs' "app author" folder above the app's own):
the first start of a newer version moves that folder's contents up, never overwriting a file,
and keeps using the old folder untouched when it cannot (see :func:`move_legacy`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

from ispclient import APP_NAME

log = logging.getLogger(__name__)

ENV_HOME = "ISPCLIENT_HOME"
_APP_AUTHOR: Literal[False] = False  # no author folder above ours: %LOCALAPPDATA%\ispclient on Windows
_LEGACY_APP_AUTHOR = "ispclient"  # up to 0.1.0: %LOCALAPPDATA%\ispclient\ispclient
_STAGING_SUFFIX = ".moving"  # the legacy folder while its contents move up (resumed if cut short)
# The database moves first: once it has, the data is in its new home even if the rest waits.
_DATABASE_FIRST = ("ispclient.sqlite3", "ispclient.sqlite3-wal", "ispclient.sqlite3-shm",
                   "ispclient.sqlite3.state")


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    log_dir: Path
    backup_dir: Path
    config_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "ispclient.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "ispclient.log"

    @property
    def settings_file(self) -> Path:
        """Qt UI state (geometry, column widths); business settings live in the database."""
        return self.config_dir / "ui-state.ini"

    def ensure(self) -> AppPaths:
        for d in (self.data_dir, self.log_dir, self.backup_dir, self.config_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def under(root: Path | str) -> AppPaths:
    root = Path(root).expanduser().resolve()
    return AppPaths(root, root / "logs", root / "backups", root)


def resolve(data_dir: Path | str | None = None) -> AppPaths:
    """The app's directories: ``data_dir`` first, then ``ISPCLIENT_HOME``, then the OS default."""
    if data_dir:
        return under(data_dir)
    env = os.environ.get(ENV_HOME)
    if env:
        return under(env)
    return default()


def default(dirs_class: type[platformdirs.PlatformDirs] = platformdirs.PlatformDirs) -> AppPaths:
    """The per-user folders of this OS (``dirs_class`` lets tests ask for Windows' anywhere),
    after moving a legacy ``ispclient\\ispclient`` folder up when there is one."""
    new = dirs_class(APP_NAME, _APP_AUTHOR, roaming=False)
    old = dirs_class(APP_NAME, _LEGACY_APP_AUTHOR, roaming=False)
    data, legacy = Path(new.user_data_dir), Path(old.user_data_dir)
    if legacy != data and not move_legacy(legacy, data):
        return AppPaths(legacy, Path(old.user_log_dir), legacy / "backups", Path(old.user_config_dir))
    return AppPaths(data, Path(new.user_log_dir), data / "backups", Path(new.user_config_dir))


def demo() -> AppPaths:
    """The demo's own directory: never the user's real data."""
    env = os.environ.get(ENV_HOME)
    return under(Path(env) / "demo" if env else default().data_dir / "demo")


class MoveIncomplete(OSError):
    """Part of the legacy data folder could not be moved; the message names both folders."""


def move_legacy(legacy: Path, target: Path) -> bool:
    """Move the contents of ``legacy`` into ``target``; True when the data now lives in ``target``.

    Nothing is ever overwritten or deleted: a file that exists in both places, or a legacy folder
    open in another ispclient window, leaves everything as it was (False: keep using ``legacy``).
    The legacy folder is first renamed to ``<name>.moving`` in one step (which fails, changing
    nothing, while Windows has a file in it open), then its entries are moved up one by one, the
    database first; a move cut short (power cut) is finished at the next start.
    """
    staging = legacy.with_name(legacy.name + _STAGING_SUFFIX)
    if not staging.exists():
        if not legacy.is_dir():
            return True  # nothing to move (the usual case)
        if _in_use(legacy):
            log.warning("Data folder %s is open in another ispclient window: not moved to %s", legacy, target)
            return False
        clashes = _clashes(legacy, target, skip=legacy)
        if clashes:
            log.warning("Data folder %s not moved to %s: both have %s", legacy, target, ", ".join(clashes))
            return False
        try:
            legacy.rename(staging)
        except OSError as error:
            log.warning("Data folder %s not moved to %s: %s", legacy, target, error)
            return False
    target.mkdir(parents=True, exist_ok=True)
    _merge(staging, target)
    left = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    if left:
        raise MoveIncomplete(f"Moving your data from {legacy} to {target} stopped before these files in "
                             f"{staging} were moved: {', '.join(left)}. Move them into {target} by hand "
                             "(never overwrite a file there), then start ispclient again.")
    _remove_empty(staging)
    log.warning("Data folder moved from %s to %s", legacy, target)
    return True


def _in_use(folder: Path) -> bool:
    from ispclient.store.instance_lock import DataInUse, InstanceLock

    lock = InstanceLock(folder)
    if not lock.path.exists():
        return False
    try:
        lock.acquire()
    except DataInUse:
        return True
    lock.release()
    return False


def _clashes(source: Path, target: Path, skip: Path) -> list[str]:
    """Entries of ``source`` that a merge into ``target`` could not move without overwriting."""
    found = []
    for entry in source.iterdir():
        there = target / entry.name
        if there == skip or not there.exists():
            continue
        if entry.is_dir() and there.is_dir():
            found += _clashes(entry, there, skip)
        else:
            found.append(str(there))
    return found


def _merge(source: Path, target: Path) -> None:
    entries = sorted(source.iterdir(), key=lambda p: (p.name not in _DATABASE_FIRST, p.name))
    for entry in entries:
        there = target / entry.name
        if entry.is_dir() and there.is_dir():
            _merge(entry, there)
        elif not there.exists() and not there.is_symlink():
            entry.rename(there)


def _remove_empty(folder: Path) -> None:
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        sub.rmdir()
    folder.rmdir()
