from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import librouteros

ROOT = Path(__file__).resolve().parents[2]


def test_command_line_simulator() -> None:
    args = [
        sys.executable,
        "-m",
        "ispclient.simulator",
        "--port",
        "0",
        "--clients",
        "10",
        "--online-ratio",
        "0.3",
        "--seed",
        "4",
        "--user",
        "admin:t0psecret",
        "--identity",
        "Tower-1",
        "--no-empty",
    ]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        host, port = first.removeprefix("listening on ").rsplit(":", 1)
        assert first.startswith("listening on ") and host == "127.0.0.1"
        api = librouteros.connect(host, "admin", "t0psecret", port=int(port), timeout=5)
        assert len(list(api.path("/ppp/secret"))) == 10
        assert len(list(api.path("/ppp/active"))) == 3
        assert list(api("/system/identity/print")) == [{"name": "Tower-1"}]
        api.close()
        proc.send_signal(signal.SIGTERM)  # on Windows this is TerminateProcess, not a clean exit
        out, err = proc.communicate(timeout=5)
    finally:
        proc.kill()
    if sys.platform != "win32":
        assert proc.returncode == 0, err
    assert "t0psecret" not in first + out + err
