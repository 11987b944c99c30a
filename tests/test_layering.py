"""Only ispclient/ui and app.py may import Qt: the other layers stay testable without a GUI.
And the UI reads plain read models: no peewee, no ``store.models`` rows in ispclient/ui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ispclient"
QT_FREE = ["domain", "store", "routeros", "simulator", "dataio", "listing"]
# What the UI must not touch: peewee itself and the rows it makes (read models come from
# store/queries; changes go through the service functions).
ROWS = {"peewee", "playhouse", "ispclient.store.models", "ispclient.store.db"}


def _imported_modules(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    for _attempt in range(5):
        try:
            tree = ast.parse(text)
            break
        except SystemError:  # Python 3.11's AST recursion counter is shared by threads (gh-106905):
            continue  # another thread formatting a traceback meanwhile trips it; parsing again is fine
    else:
        tree = ast.parse(text)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            # ``from ispclient.store import models`` imports the module ispclient.store.models
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _touches_rows(module: str) -> bool:
    return any(module == r or module.startswith(r + ".") for r in ROWS)


def test_ui_imports_no_peewee_or_store_models() -> None:
    files = sorted((PACKAGE / "ui").rglob("*.py"))
    assert files
    offenders = [f"{f.relative_to(PACKAGE)}: {m}" for f in files for m in _imported_modules(f) if _touches_rows(m)]
    assert offenders == []


@pytest.mark.parametrize("source", ["import peewee\n", "from peewee import fn\n",
                                    "from ispclient.store.models import Client\n",
                                    "from ispclient.store import models\n",
                                    "from ispclient.store import db, queries\n"])
def test_the_checker_sees_row_imports(tmp_path: Path, source: str) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(source, encoding="utf-8")
    assert any(_touches_rows(m) for m in _imported_modules(sample))


def test_the_checker_lets_read_models_through(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from ispclient.store import queries\nfrom ispclient.store.queries import ClientDetail\n",
                      encoding="utf-8")
    assert not any(_touches_rows(m) for m in _imported_modules(sample))


@pytest.mark.parametrize("layer", QT_FREE)
def test_layer_has_no_qt_import(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"layer {layer} has no modules"
    offenders = [
        f"{f.relative_to(PACKAGE)}: {m}"
        for f in files
        for m in _imported_modules(f)
        if m.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"}
    ]
    assert offenders == []


def test_domain_imports_no_peewee_or_sockets() -> None:
    for f in sorted((PACKAGE / "domain").rglob("*.py")):
        for m in _imported_modules(f):
            assert m.split(".")[0] not in {"peewee", "socket", "librouteros", "keyring"}, f"{f}: {m}"


def test_the_checker_sees_qt_imports(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from PySide6.QtCore import QObject\n", encoding="utf-8")
    assert "PySide6.QtCore" in _imported_modules(sample)
