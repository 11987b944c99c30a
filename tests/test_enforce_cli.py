"""`ispclient enforce --data-dir D` on a demo data directory with its simulated routers running:
the first run pushes what is due and prints one summary line; the second changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ispclient import demo, paths, store
from ispclient.app import main
from ispclient.routeros.credentials import CredentialStore
from ispclient.store import settings

SUMMARY = re.compile(r"^enforce: (\d+) renewed, (\d+) disabled, (\d+) re-enabled, (\d+) applied, "
                     r"(\d+) pending, (\d+) failed")


def run_enforce(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, tuple[int, ...]]:
    code = main(["enforce", "--data-dir", str(data_dir)])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("enforce:")]
    assert len(lines) == 1, lines
    match = SUMMARY.match(lines[0])
    assert match, lines[0]
    return code, tuple(int(g) for g in match.groups())


def test_enforce_on_demo_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app_paths = paths.under(tmp_path / "demo").ensure()
    demo.build_demo(app_paths, clients=60)
    store.open_database(app_paths.database, app_paths.backup_dir)
    credentials = CredentialStore(settings.keyring_service())
    sims = demo.start_demo_routers(app_paths, credentials)
    store.close_database()
    try:
        def writes() -> int:
            return sum(1 for sim in sims for c in sim.commands if c and c[0].endswith(("/set", "/add", "/remove")))

        code, (_, _, _, applied, pending, failed) = run_enforce(app_paths.data_dir, capsys)
        assert applied > 0 and failed == 0, (applied, pending, failed)
        assert code == (1 if pending else 0)  # the demo's third router never answers
        first_writes = writes()
        code2, (renewed2, cut2, restored2, applied2, pending2, failed2) = run_enforce(app_paths.data_dir, capsys)
        assert (renewed2, cut2, restored2, applied2, failed2) == (0, 0, 0, 0, 0)
        assert pending2 == pending
        assert writes() == first_writes  # nothing sent to the routers the second time
    finally:
        for sim in sims:
            sim.stop()
        store.close_database()
