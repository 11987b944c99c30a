"""Download the Windows wheels of ispclient's dependencies, from Linux, for `make windows-check`.

    python3 installer/windows_wheels.py DEST --extras dev,postgres

``pip download --platform win_amd64`` picks Windows wheels but still evaluates environment markers
for the machine it runs on, so every ``; sys_platform == "win32"`` dependency is silently left out
(keyring's pywin32-ctypes, PyInstaller's pefile and pywin32-ctypes, pytest's colorama...). This
script reads the project's requirements from pyproject.toml, downloads them, then walks the
downloaded wheels' own requirements with Windows markers and downloads whatever is still missing,
until nothing is: whatever the project depends on today, the Windows Python gets all of it. The
Windows-only names it had to add are printed, so a reader sees what Linux pip missed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
import zipfile
from email.parser import HeaderParser
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename
except ImportError:  # a bare interpreter: pip carries its own copy
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"
# The marker environment of CPython 3.11 on 64-bit Windows (PEP 508 names).
WINDOWS = {
    "os_name": "nt",
    "sys_platform": "win32",
    "platform_system": "Windows",
    "platform_machine": "AMD64",
    "platform_release": "10",
    "platform_version": "10.0.19045",
    "python_version": PYTHON_VERSION,
    "python_full_version": "3.11.9",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "implementation_version": "3.11.9",
}
PIP_PLATFORM = ["--platform", "win_amd64", "--python-version", PYTHON_VERSION, "--only-binary=:all:"]


def _applies(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**WINDOWS, "extra": extra}) for extra in extras | {""})


def project_requirements(extras: set[str]) -> list[Requirement]:
    """pyproject.toml's dependencies plus the chosen extras (``ispclient[test]`` inside an extra
    is followed), the build backend's requirements, and pip itself."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    name = canonicalize_name(project["project"]["name"])
    optional = project["project"].get("optional-dependencies", {})
    wanted, todo, reqs = set(), list(extras), [Requirement(r) for r in project["project"]["dependencies"]]
    while todo:
        extra = todo.pop()
        if extra in wanted:
            continue
        if extra not in optional:
            raise SystemExit(f"windows_wheels: pyproject.toml has no extra {extra!r}")
        wanted.add(extra)
        for text in optional[extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == name:
                todo.extend(req.extras)
            else:
                reqs.append(req)
    reqs += [Requirement(r) for r in project["build-system"]["requires"]]
    reqs.append(Requirement("pip"))
    return [r for r in reqs if _applies(r, set())]


def _download(dest: Path, reqs: list[Requirement]) -> None:
    # The marker is dropped: it was evaluated for Windows above, pip would evaluate it for Linux.
    texts = [f"{r.name}{'[' + ','.join(sorted(r.extras)) + ']' if r.extras else ''}{r.specifier}" for r in reqs]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    *PIP_PLATFORM, "--dest", str(dest), *texts], check=True)


def _wheels(dest: Path) -> dict[str, Path]:
    found = {}
    for wheel in dest.glob("*.whl"):
        found[canonicalize_name(parse_wheel_filename(wheel.name)[0])] = wheel
    return found


def _requires(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(z.read(meta).decode("utf-8"))
    return [Requirement(text) for text in headers.get_all("Requires-Dist") or []]


def missing_for_windows(dest: Path) -> list[Requirement]:
    """Requirements of the downloaded wheels that apply on Windows and have no wheel here yet."""
    have = _wheels(dest)
    missing: dict[str, Requirement] = {}
    for wheel in have.values():
        for req in _requires(wheel):
            key = canonicalize_name(req.name)
            if key not in have and key not in missing and _applies(req, set()):
                missing[key] = req
    return list(missing.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--extras", default="dev,postgres")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    _download(args.dest, project_requirements({e for e in args.extras.split(",") if e}))
    added: list[str] = []
    for _round in range(10):
        missing = missing_for_windows(args.dest)
        if not missing:
            break
        added += [str(r) for r in missing]
        _download(args.dest, missing)
    else:
        raise SystemExit("windows_wheels: Windows requirements still missing after 10 rounds")
    print(f"{len(_wheels(args.dest))} Windows wheels in {args.dest}")
    print("Windows-only dependencies that Linux pip missed: " + (", ".join(added) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
