"""Can Qt open a window here? On Linux its xcb platform plugin needs system libraries that a
fresh Debian/Ubuntu lacks (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1…); without them Qt
aborts with a core dump and a message about plugins. This finds which are missing — without
importing Qt — so the app says in one line what to install, and ``make run`` installs them.

``python -m ispclient.platform_check`` prints what is missing (exit 1) or nothing (exit 0);
``--install`` installs them with apt-get when run as root (or with password-less sudo), else
prints the exact ``apt-get install`` line to run (exit 1).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

# Library file → the Debian/Ubuntu package that ships it.
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
# Qt 6.5+ loads this one itself at start (so ldd does not list it) and aborts without it.
LOADED_AT_RUN_TIME = ("libxcb-cursor.so.0",)


def uses_xcb(env: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    """Whether Qt will use its xcb (X11) plugin: Linux, and no other platform asked for."""
    env = dict(os.environ) if env is None else env
    if not platform.startswith("linux"):
        return False
    wanted = env.get("QT_QPA_PLATFORM", "")
    if wanted:
        return wanted.split(":")[0].split(";")[0] == "xcb"
    return not env.get("WAYLAND_DISPLAY") or bool(env.get("DISPLAY"))


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin (found without importing Qt)."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.exists():
            return plugin
    return None


def _ldd_missing(path: Path) -> list[str]:
    """Libraries ``path`` needs that the dynamic loader can't find (``ldd``'s "not found")."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line]


def _loadable(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def missing_libraries(plugin: Path | None = None, ldd: Callable[[Path], list[str]] = _ldd_missing,
                      loadable: Callable[[str], bool] = _loadable) -> list[str]:
    """The system libraries Qt's xcb plugin needs and can't find, in a stable order."""
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return []
    missing = dict.fromkeys(ldd(plugin))
    qpa = plugin.parent.parent.parent / "lib" / "libQt6XcbQpa.so.6"
    if qpa.exists():
        missing.update(dict.fromkeys(ldd(qpa)))
    for name in LOADED_AT_RUN_TIME:
        if not loadable(name):
            missing[name] = None
    return sorted(missing)


def packages_for(libraries: Sequence[str]) -> list[str]:
    """Debian/Ubuntu package names for these libraries (unknown ones as they are)."""
    return sorted(dict.fromkeys(PACKAGES.get(lib, lib) for lib in libraries))


def problem(env: dict[str, str] | None = None, libraries: Sequence[str] | None = None) -> str | None:
    """One line saying what to install, or None when Qt can open its window here."""
    if not uses_xcb(env):
        return None
    libraries = missing_libraries() if libraries is None else libraries
    if not libraries:
        return None
    return (f"ispclient can't open its window: Qt's X11 support needs system libraries that are missing "
            f"({', '.join(libraries)}). Install them with: sudo apt-get install {' '.join(packages_for(libraries))}")


def install(packages: Sequence[str], run: Callable[[list[str]], int] | None = None) -> bool:
    """apt-get install ``packages`` as root (or with password-less sudo); False if that can't be done."""
    if shutil.which("apt-get") is None:
        return False
    runner = run or (lambda cmd: subprocess.run(cmd, check=False).returncode)
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and runner(["sudo", "-n", "true"]) == 0:
        prefix = ["sudo", "-n"]
    else:
        return False
    env_prefix = ["env", "DEBIAN_FRONTEND=noninteractive"]
    if runner([*prefix, *env_prefix, "apt-get", "install", "-y", "--no-install-recommends", *packages]) == 0:
        return True
    runner([*prefix, *env_prefix, "apt-get", "update"])  # a fresh machine's package lists may be empty
    return runner([*prefix, *env_prefix, "apt-get", "install", "-y", "--no-install-recommends", *packages]) == 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not sys.platform.startswith("linux"):
        return 0
    libraries = missing_libraries()
    if not libraries:
        print("Qt's X11 libraries: all present")
        return 0
    packages = packages_for(libraries)
    if "--install" in args:
        print(f"Installing the system libraries Qt needs: {' '.join(packages)}")
        if install(packages) and not missing_libraries():
            return 0
        print(f"Could not install them (this needs root or sudo). Run: sudo apt-get install {' '.join(packages)}",
              file=sys.stderr)
        return 1
    print(problem({"QT_QPA_PLATFORM": "xcb"}, libraries), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
