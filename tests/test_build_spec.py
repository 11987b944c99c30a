"""Packaging stays consistent: build.spec, the Inno Setup script and the workflows name the same
files, paths and version source; the app never imports what the build leaves out; resources are
found from a checkout and from the frozen bundle alike."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import ispclient
from ispclient import resources

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
ISS = ROOT / "installer" / "ispclient.iss"
WINDOWS_WORKFLOW = ROOT / ".github" / "workflows" / "windows.yml"
CI_WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
LICENSES = ROOT / "resources" / "LICENSES"


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _spec_literal(name: str) -> object:
    for node in _spec_tree().body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"build.spec has no literal {name} = ...")


def _root_paths(tree: ast.AST) -> set[Path]:
    """Every ``ROOT / "a" / "b"`` expression in the spec, as a path in this checkout."""

    def parts(node: ast.AST) -> list[str] | None:
        if isinstance(node, ast.Name) and node.id == "ROOT":
            return []
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = parts(node.left)
            if left is not None and isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
                return [*left, node.right.value]
        return None

    return {ROOT.joinpath(*p) for node in ast.walk(tree) if (p := parts(node))}


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exe_keywords() -> dict[str, object]:
    for node in ast.walk(_spec_tree()):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "EXE":
            return {
                kw.arg: ast.literal_eval(kw.value) if isinstance(kw.value, ast.Constant) else kw.value
                for kw in node.keywords
                if kw.arg
            }
    raise AssertionError("build.spec has no EXE(...)")


# --- build.spec --------------------------------------------------------------------------------


def test_spec_parses_and_names_existing_files() -> None:
    named = _root_paths(_spec_tree())
    expected = {
        ROOT / "ispclient" / "__main__.py",
        ROOT / "resources",
        ROOT / "resources" / "icons" / "app.ico",
        ROOT / "LICENSE",
        ROOT / "installer" / "pyi_rth_keyring.py",
        ROOT / "installer" / "hooks",
        ROOT / "installer" / "version_info.py",
    }
    assert expected <= named
    assert [p for p in sorted(named) if not p.exists()] == []


def test_spec_builds_one_windowed_folder_named_ispclient_without_upx() -> None:
    exe = _exe_keywords()
    assert exe["console"] is False
    assert exe["upx"] is False
    assert exe["exclude_binaries"] is True  # one-folder: COLLECT gathers the binaries
    assert _spec_literal("EXE_NAME") == "ispclient"
    assert "COLLECT(" in SPEC.read_text(encoding="utf-8")


def test_spec_takes_the_version_from_the_package() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert "from ispclient import" in text and "__version__" in text
    assert not re.search(r"""['"]\d+\.\d+(\.\d+)?['"]""", text), "no hard-coded version in build.spec"


def test_keyring_backends_are_collected_and_exist() -> None:
    backends = _spec_literal("KEYRING_BACKENDS")
    assert isinstance(backends, list)
    assert "keyring.backends.Windows" in backends
    for name in backends:
        assert importlib.util.find_spec(name) is not None, name
    text = SPEC.read_text(encoding="utf-8")
    assert 'copy_metadata("keyring")' in text  # entry points: how keyring finds backends


def test_runtime_hook_selects_credential_manager_only_when_frozen_on_windows() -> None:
    hook = (ROOT / "installer" / "pyi_rth_keyring.py").read_text(encoding="utf-8")
    ast.parse(hook)
    assert 'sys.platform == "win32"' in hook and "frozen" in hook
    assert "keyring.set_keyring(WinVaultKeyring())" in hook


def test_excluded_modules_are_not_imported_by_the_app() -> None:
    """Take a module out of EXCLUDES in build.spec before using it: the frozen app lacks it."""
    excludes = _spec_literal("EXCLUDES")
    lazy = _spec_literal("NUMPY_LAZY_PARTS")
    assert isinstance(excludes, list) and isinstance(lazy, list)
    excludes += lazy

    def excluded(module: str) -> bool:
        return any(module == e or module.startswith(e + ".") for e in excludes)

    offenders = []
    for path in sorted((ROOT / "ispclient").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # `import numpy as np` then `np.random...`: numpy loads such parts lazily, on first use.
        aliases = {a.asname or a.name: a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                   for a in node.names}
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                names = [f"{aliases[node.value.id]}.{node.attr}"]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if excluded(n)]
    assert offenders == []


def test_what_the_app_needs_is_not_excluded() -> None:
    excludes = set(_spec_literal("EXCLUDES"))  # type: ignore[arg-type]
    needed = {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg", "PySide6.QtPrintSupport",
              "sqlite3",
              "keyring", "peewee", "librouteros", "phonenumbers", "phonenumbers.data", "email_validator",
              "platformdirs", "cryptography", "psycopg2", "logging", "ssl",
              "numpy", "numpy.linalg", "numpy.typing", "numpy.ma"}  # the list's index (linalg: numpy's own import)
    assert needed.isdisjoint(excludes)


def test_import_numpy_loads_nothing_the_build_leaves_out() -> None:
    # The frozen app failed with "cannot import name 'fft' from partially initialized module
    # 'numpy'" when numpy 1.26's parts were excluded as numpy 2's are: 1.26 imports them eagerly.
    excludes, lazy = _spec_literal("EXCLUDES"), _spec_literal("NUMPY_LAZY_PARTS")
    assert isinstance(excludes, list) and isinstance(lazy, list)
    code = "import sys, numpy; print(numpy.__version__); print(*sorted(sys.modules), sep='\\n')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    major, loaded = int(out[0].split(".")[0]), set(out[1:])

    def hit(parts: list[str]) -> set[str]:
        return {m for m in loaded for e in parts if m == e or m.startswith(e + ".")}

    assert hit(excludes) == set()
    if major >= 2:
        assert hit(lazy) == set()  # so the spec may leave them out
    else:
        assert {p for p in lazy if p in loaded} == set(lazy)  # why the spec keeps them for numpy 1


def test_windows_version_resource_is_generated_from_the_package_version(tmp_path: Path) -> None:
    version_info = _load(ROOT / "installer" / "version_info.py")
    path = version_info.write_version_file(
        tmp_path / "version_info.txt", ispclient.__version__,
        app_name="ispclient", display_name="ISP Client", exe_name="ispclient",
    )
    text = path.read_text(encoding="utf-8")
    numbers = version_info.version_numbers(ispclient.__version__)

    # Evaluate it as PyInstaller does on Windows, with recording stand-ins for its classes.
    def record(kind: str):  # type: ignore[no-untyped-def]
        return lambda *args, **kwargs: (kind, args, kwargs)

    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct",
             "VarFileInfo", "VarStruct"]
    info = eval(text, {name: record(name) for name in names})  # noqa: S307 - our own generated file
    assert info[0] == "VSVersionInfo"
    ffi = info[2]["ffi"]
    assert ffi[2]["filevers"] == ffi[2]["prodvers"] == numbers
    assert f"StringStruct('ProductVersion', '{ispclient.__version__}')" in text
    assert "StringStruct('OriginalFilename', 'ispclient.exe')" in text


@pytest.mark.parametrize(
    ("version", "numbers"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.0.1rc1", (2, 0, 1, 0)), ("1.2.3.4.5", (1, 2, 3, 4))],
)
def test_version_numbers(version: str, numbers: tuple[int, ...]) -> None:
    assert _load(ROOT / "installer" / "version_info.py").version_numbers(version) == numbers


# --- installer and workflows --------------------------------------------------------------------


def test_iss_packs_the_spec_output_and_takes_the_version_from_the_command_line() -> None:
    iss = ISS.read_text(encoding="utf-8")
    assert 'Source: "dist\\ispclient\\*"' in iss
    assert '#define ExeName "ispclient.exe"' in iss
    assert "#ifndef AppVersion" in iss and "#error" in iss
    assert "#define AppVersion" not in iss
    assert "AppVersion={#AppVersion}" in iss
    assert re.search(r"^AppId=\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}$", iss, re.M)
    assert re.search(r"^PrivilegesRequired=lowest$", iss, re.M)
    assert ispclient.__version__ not in iss


def test_iss_files_exist_relative_to_its_source_dir() -> None:
    iss = ISS.read_text(encoding="utf-8")
    source_dir = (ISS.parent / re.search(r"^SourceDir=(.+)$", iss, re.M).group(1)).resolve()  # type: ignore[union-attr]
    assert source_dir == ROOT
    for key in ("LicenseFile", "SetupIconFile"):
        value = re.search(rf"^{key}=(.+)$", iss, re.M).group(1)  # type: ignore[union-attr]
        assert (source_dir / value.replace("\\", "/")).is_file(), key


def test_nightly_enforce_task_is_optional_and_removed_on_uninstall() -> None:
    iss = ISS.read_text(encoding="utf-8")
    assert re.search(r'^Name: "nightlyenforce";.*Flags: unchecked', iss, re.M)
    assert "/Create /F /SC DAILY /ST 02:00" in iss and '{#ExeName}\\"" enforce' in iss
    uninstall_run = iss.split("[UninstallRun]", 1)[1].split("[", 1)[0]
    assert "/Delete /F /TN" in uninstall_run


def test_windows_workflow_matches_spec_and_installer() -> None:
    wf = WINDOWS_WORKFLOW.read_text(encoding="utf-8")
    assert "runs-on: windows-latest" in wf
    assert 'python-version: "3.11"' in wf
    assert "-m pytest" in wf
    assert "PyInstaller --noconfirm --clean build.spec" in wf
    assert '$exe = "dist\\ispclient\\ispclient.exe"' in wf and "--smoke-test" in wf
    assert "Start-Process" in wf and "-Wait -PassThru" in wf and "ExitCode" in wf
    assert "choco install innosetup" in wf
    assert 'python -c "import ispclient; print(ispclient.__version__)"' in wf
    assert '"/DAppVersion=${{ steps.version.outputs.version }}" installer\\ispclient.iss' in wf
    assert "actions/upload-artifact@v4" in wf
    iss = ISS.read_text(encoding="utf-8")
    out_dir = re.search(r"^OutputDir=(.+)$", iss, re.M).group(1).replace("\\", "/")  # type: ignore[union-attr]
    base = re.search(r"^OutputBaseFilename=(.+)$", iss, re.M).group(1)  # type: ignore[union-attr]
    artifact = f"{out_dir}/{base}.exe".replace("{#AppVersion}", "${{ steps.version.outputs.version }}")
    assert f"path: {artifact}" in wf
    assert ispclient.__version__ not in wf


def test_ci_workflow_runs_the_suite_through_the_ci_entry_point() -> None:
    wf = CI_WORKFLOW.read_text(encoding="utf-8")
    assert "runs-on: ubuntu-latest" in wf and 'python-version: "3.11"' in wf
    assert re.search(r"run: (sudo env \"PATH=\$PATH\" )?bash .ci/run$", wf, re.M)
    assert (ROOT / ".ci" / "run").is_file()


def test_every_bundled_licence_is_listed_and_every_listed_file_exists() -> None:
    listing = (LICENSES / "README.txt").read_text(encoding="utf-8")
    files = {p.name for p in LICENSES.iterdir() if p.name != "README.txt"}
    assert {n for n in files if n not in listing} == set()
    mentioned = set(re.findall(r"[\w.+-]+\.txt", listing)) - {"README.txt", "LICENSE.txt"}
    assert mentioned - files == set()
    assert {"Qt-PySide6-Shiboken6-LGPL-3.0.txt", "GPL-3.0.txt", "librouteros-GPL-2.0.txt"} <= files


def test_the_installed_numpy_wheels_licence_is_shipped_word_for_word() -> None:
    # Its wheel's LICENSE.txt lists what the wheel bundles (OpenBLAS, the GCC runtime, libquadmath),
    # and that differs between numpy 1.26 and 2.x and between Linux and Windows: whichever numpy
    # this Python would freeze, its text must be one of ours.
    from importlib.metadata import distribution

    files = distribution("numpy").files or []
    top = [f for f in files if f.name == "LICENSE.txt" and f.parent.name.endswith(("dist-info", "licenses"))]
    assert len(top) == 1, top
    text = top[0].read_text(encoding="utf-8").replace("\r\n", "\n")
    ours = {p.name: p.read_text(encoding="utf-8") for p in LICENSES.glob("numpy-*LICENSE-*-wheel.txt")}
    assert [name for name, kept in ours.items() if kept == text], "numpy's licence is not in resources/LICENSES"


# --- resource_path -------------------------------------------------------------------------------


def test_resource_path_finds_the_checkouts_resources_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    icon = resources.resource_path("icons", "app.svg")
    assert icon == ROOT / "resources" / "icons" / "app.svg"
    assert icon.is_absolute() and icon.is_file()


def test_resource_path_uses_the_bundle_when_frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "resources" / "icons").mkdir(parents=True)
    (tmp_path / "resources" / "icons" / "app.ico").write_bytes(b"\0")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)

    assert resources.resource_path("icons", "app.ico") == tmp_path / "resources" / "icons" / "app.ico"
    with pytest.raises(FileNotFoundError, match="app.svg"):
        resources.resource_path("icons", "app.svg")  # not in this (fake) bundle


def test_resource_path_names_the_missing_file() -> None:
    with pytest.raises(FileNotFoundError, match="nope.png"):
        resources.resource_path("icons", "nope.png")
