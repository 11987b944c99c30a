"""Every directory the app writes to, in one place.

platformdirs gives the per-user locations; ``--data-dir DIR`` or ``ISPCLIENT_HOME`` put
everything (database, logs, backups, settings) under one directory instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ispclient import APP_NAME

ENV_HOME = "ISPCLIENT_HOME"
_APP_AUTHOR = "ispclient"


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
    dirs = platformdirs.PlatformDirs(APP_NAME, _APP_AUTHOR, roaming=False)
    data = Path(dirs.user_data_dir)
    return AppPaths(data, Path(dirs.user_log_dir), data / "backups", Path(dirs.user_config_dir))


def demo() -> AppPaths:
    """The demo's own directory: never the user's real data."""
    env = os.environ.get(ENV_HOME)
    base = Path(env) / "demo" if env else Path(platformdirs.user_data_dir(APP_NAME, _APP_AUTHOR)) / "demo"
    return under(base)
