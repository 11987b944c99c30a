"""A second front-desk PC on PostgreSQL from the command line: db-connect (password typed once,
kept in the keyring), TLS verify-full against the server's CA, `--db-url` without a password,
masked URLs — and afterwards no database password in the data folder, the logs or `ps` — plus the
PPPoE key moved between two data folders, and a start on a full disk."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ispclient import app, store
from ispclient.store import clients, dbconfig, secrets
from ispclient.store.models import Client
from tests.conftest import MemoryKeyring
from tests.store.conftest import PG_URL, PrivatePg, private_pg, reset_postgres  # noqa: F401 - fixture
from tests.store.pg_server import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    return tmp_path / "os-keyring.json"  # stands for Windows Credential Manager: outside the data folder


def _env(keyring_file: Path) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ISPCLIENT_TEST_KEYRING": str(keyring_file),
           "PYTHON_KEYRING_BACKEND": "tests.store.file_keyring.FileKeyring"}
    env.pop("ISPCLIENT_HOME", None)
    env.pop("ISPCLIENT_TEST_PG_URL", None)  # the child must find its password where the app does
    return env


def run_app(keyring_file: Path, *args: str, stdin: str = "", timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ispclient", *args], cwd=ROOT, env=_env(keyring_file),
                          input=stdin, capture_output=True, text=True, timeout=timeout, check=False)


def run_watching_ps(keyring_file: Path, *args: str, timeout: float = 120) -> tuple[int, str, list[str]]:
    """Run the app and sample every process's command line (and the app's environment) while it runs."""
    proc = subprocess.Popen([sys.executable, "-m", "ispclient", *args], cwd=ROOT, env=_env(keyring_file),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        seen.append(subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout)
        try:
            seen.append(Path(f"/proc/{proc.pid}/environ").read_bytes().decode("utf-8", "replace"))
            seen.append(Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode("utf-8", "replace"))
        except OSError:
            pass
        time.sleep(0.05)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out, seen


def _files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.mark.skipif(not shutil.which("ps"), reason="needs ps")
def test_a_second_pc_over_tls_verify_full_keeps_the_password_out_of_files_logs_and_ps(
        private_pg: PrivatePg, tmp_path: Path, keyring_file: Path) -> None:  # noqa: F811
    data = tmp_path / "data"
    url = private_pg.url(password=False, database=private_pg.fresh_database())
    assert PASSWORD not in url
    connected = run_app(keyring_file, "--data-dir", str(data), "db-connect", url, stdin=PASSWORD + "\n")
    assert connected.returncode == 0, connected.stderr
    assert "Connected to postgresql://" in connected.stdout and "verify-full" in connected.stdout
    # A whole session on it: the app starts from the saved settings and the keyring, builds its window.
    code, out, seen = run_watching_ps(keyring_file, "--data-dir", str(data), "--smoke-test")
    assert code == 0, out
    assert "smoke test ok" in out
    status = run_app(keyring_file, "--data-dir", str(data), "key", "status")
    assert status.returncode == 0, status.stderr
    assert len(seen) > 3
    assert not [s for s in seen if PASSWORD in s], "the database password showed in ps or the environment"
    assert _files_holding(data, PASSWORD) == []  # data folder, logs, settings
    assert list((data / "logs").glob("*.log")) and "database: postgresql://ispclient_admin@127.0.0.1" in \
        (data / "logs" / "ispclient.log").read_text(encoding="utf-8")
    assert PASSWORD in keyring_file.read_text(encoding="utf-8")  # it is where it belongs


def test_verify_full_refuses_a_server_another_ca_signed_and_a_plain_connection(
        private_pg: PrivatePg, tmp_path: Path, keyring_file: Path) -> None:  # noqa: F811
    from ispclient.simulator.tls import make_test_ca

    other_ca, _cert, _key = make_test_ca(tmp_path / "other-ca")
    name = private_pg.fresh_database()
    wrong = private_pg.url(password=False, database=name).replace(str(private_pg.ca_file), str(other_ca))
    result = run_app(keyring_file, "--data-dir", str(tmp_path / "d1"), "db-connect", wrong, stdin=PASSWORD + "\n")
    assert result.returncode == 1 and "could not be reached securely (TLS)" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    plain = private_pg.url(password=False, database=name, tls="disable")
    result = run_app(keyring_file, "--data-dir", str(tmp_path / "d2"), "db-connect", plain, stdin=PASSWORD + "\n")
    assert result.returncode == 1 and "no encryption" in result.stderr, result.stderr
    assert not (tmp_path / "d1" / dbconfig.CONFIG_NAME).exists()  # nothing saved after a failed test


@pytest.fixture
def pg() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
    reset_postgres(PG_URL)
    yield PG_URL
    store.close_database()


def test_a_db_url_with_a_password_works_is_warned_about_and_masked(pg: str, tmp_path: Path,
                                                                   keyring_file: Path) -> None:
    _config, password = dbconfig.parse_url(pg)
    assert password
    data = tmp_path / "data"
    result = run_app(keyring_file, "--data-dir", str(data), "--db-url", pg, "check")
    assert result.returncode == 0, result.stderr
    assert "contains its password" in result.stderr
    assert password not in result.stdout + result.stderr
    log = (data / "logs" / "ispclient.log").read_text(encoding="utf-8")
    assert ":***@" in log and password not in log


def test_a_db_url_without_a_password_reads_the_keyring(pg: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    config, password = dbconfig.parse_url(pg)
    bare = config.url()
    assert app.main(["--data-dir", str(tmp_path), "--db-url", bare, "check"]) == 1
    assert "No password is saved for the database" in capsys.readouterr().err
    dbconfig.save_password(config, password or "")
    assert app.main(["--data-dir", str(tmp_path), "--db-url", bare, "check"]) == 0
    assert "answers, schema" in capsys.readouterr().out


# --- the PPPoE key between two data folders --------------------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_key_export_and_import_between_two_data_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        memory_keyring: MemoryKeyring,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    pc_a, pc_b, key_file = tmp_path / "pc-a", tmp_path / "pc-b", tmp_path / "usb" / "pppoe.key"
    key_file.parent.mkdir()
    pc_a.mkdir()
    store.open_database(pc_a / "ispclient.sqlite3")
    cid = clients.create_client(clients.ClientInput("C1", "Amina", pppoe_username="amina",
                                                    server_id=_server(), pppoe_password="Pppoe-Secret-31")).id
    store.close_database()
    _stdin(monkeypatch, "short\nshort\n")
    assert app.main(["--data-dir", str(pc_a), "key", "export", str(key_file)]) == 1
    assert "at least 8" in capsys.readouterr().err
    _stdin(monkeypatch, "counter passphrase 7\ncounter passphrase 7\n")
    assert app.main(["--data-dir", str(pc_a), "key", "export", str(key_file)]) == 0
    assert "ispclient key import FILE" in capsys.readouterr().out
    # The new PC: the data moved over (a backup restored), its keyring empty.
    pc_b.mkdir()
    shutil.copyfile(pc_a / "ispclient.sqlite3", pc_b / "ispclient.sqlite3")
    import keyring

    keyring.set_keyring(MemoryKeyring())
    assert app.main(["--data-dir", str(pc_b), "key", "status"]) == 0
    assert "the key is on another PC" in capsys.readouterr().out
    _stdin(monkeypatch, "wrong passphrase\n")
    assert app.main(["--data-dir", str(pc_b), "key", "import", str(key_file)]) == 1
    assert "passphrase is not the one" in capsys.readouterr().err
    _stdin(monkeypatch, "counter passphrase 7\n")
    assert app.main(["--data-dir", str(pc_b), "key", "import", str(key_file)]) == 0
    store.open_database(pc_b / "ispclient.sqlite3")
    try:
        assert clients.pppoe_password(cid) == "Pppoe-Secret-31"
    finally:
        store.close_database()
    assert app.main(["--data-dir", str(pc_b), "key", "new"]) == 1
    assert "nothing is lost" in capsys.readouterr().err


def test_key_new_when_lost_lists_the_unknown_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import keyring

    store.open_database(tmp_path / "ispclient.sqlite3")
    clients.create_client(clients.ClientInput("C1", "Amina", pppoe_username="amina", server_id=_server(),
                                              pppoe_password="Pppoe-Secret-31"))
    store.close_database()
    keyring.set_keyring(MemoryKeyring())  # reinstalled Windows: the key is gone
    _stdin(monkeypatch, "no\n")
    assert app.main(["--data-dir", str(tmp_path), "key", "new"]) == 1
    _stdin(monkeypatch, "NEW KEY\n")
    assert app.main(["--data-dir", str(tmp_path), "key", "new"]) == 0
    assert "1 client(s) now have an unknown PPPoE password" in capsys.readouterr().out
    assert app.main(["--data-dir", str(tmp_path), "key", "status"]) == 0
    out = capsys.readouterr().out
    assert "this PC has the key" in out and "unknown PPPoE password (set a new one): C1" in out
    store.open_database(tmp_path / "ispclient.sqlite3")
    try:
        assert secrets.key_status() is secrets.KeyStatus.PRESENT
        assert Client.get().pppoe_password_unknown
    finally:
        store.close_database()


def _server() -> int:
    from ispclient.store import catalog

    return int(catalog.create_server(catalog.ServerInput("Main router", "10.0.0.1")).id)


# --- a full disk at start-up -----------------------------------------------------------------------


def test_start_on_a_full_disk_explains_and_exits_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from ispclient.ui import msgbox

    shown: list[str] = []
    monkeypatch.setattr(msgbox, "error", lambda parent, title, text: shown.append(f"{title}: {text}"))
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 4096, 4096))  # type: ignore[attr-defined]
    assert app.main(["--data-dir", str(tmp_path)]) == 1
    assert len(shown) == 1 and shown[0].startswith("ispclient can't start: The disk is full")
    assert "4 KB free" in shown[0]
    assert app.main(["--data-dir", str(tmp_path), "backup"]) == 1
    assert "The disk is full" in capsys.readouterr().err
    assert not (tmp_path / "ispclient.sqlite3").exists()  # nothing half-made


def test_a_really_full_disk(tmp_path: Path, keyring_file: Path) -> None:
    """On a real (tiny) file system filled to the brim: no traceback, exit 1, plain words."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("needs Linux, root and permission to mount a small tmpfs")
    try:
        data = mount / "data"
        made = run_app(keyring_file, "--data-dir", str(data), "key", "status")  # makes the database
        assert made.returncode == 0, made.stderr
        (mount / "filler").write_bytes(b"\0" * (mount.stat().st_size or 0))
        with (mount / "filler").open("ab") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        for args in (("backup",), ("check",), ("key", "status")):
            result = run_app(keyring_file, "--data-dir", str(data), *args)
            assert result.returncode == 1, (args, result.stdout, result.stderr)
            assert "The disk is full" in result.stderr and "Traceback" not in result.stderr, result.stderr
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_backup_prints_its_note_to_an_ansi_code_page_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errors: str
) -> None:
    # Windows gives a redirected stdout its ANSI code page: the note's "→" raised there after the
    # backup was made (the frozen app then hung on its error box under `make windows-check`,
    # where Python's stdout has errors="surrogateescape").
    store.open_database(tmp_path / "ispclient.sqlite3")
    store.close_database()
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="cp1252", errors=errors)
    monkeypatch.setattr(sys, "stdout", out)
    assert app.main(["--data-dir", str(tmp_path), "backup"]) == 0
    out.flush()
    said = raw.getvalue().decode("cp1252")
    assert "Backed up to" in said and "(or Settings ? PPPoE password key ? Export)" in said
    assert list((tmp_path / "backups").glob("*.sqlite3"))
