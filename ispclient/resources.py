"""Files shipped in ``resources/`` (icons, style sheets), found the same way from a source
checkout and from the frozen build — never relative to the working directory.

``resources/`` sits at the repository top level, next to the ``ispclient`` package; ``build.spec``
copies it to ``<bundle>/resources``. A non-editable wheel would not carry it: we ship only the
source checkout (``pip install -e``) and the PyInstaller folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    """``<bundle>/resources`` when frozen by PyInstaller, else ``<repository>/resources``."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "resources"
    return _SOURCE_ROOT / "resources"


def resource_path(*parts: str) -> Path:
    """The absolute path of ``resources/<parts...>``; raises FileNotFoundError if it is missing,
    so a packaging mistake shows up at the call site rather than as a blank icon."""
    base = resources_dir()
    path = base.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"resource {'/'.join(parts)!r} not found in {base}")
    return path
