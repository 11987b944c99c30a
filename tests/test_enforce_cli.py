"""`ispclient enforce --data-dir D` on a demo data directory with its simulated routers running:
the demo's routers agree with its data from the start; a change made at the counter is pushed by
the next run, with one summary line; the run after it changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ispclient import demo, paths, store
from ispclient.app import main
from ispclient.domain.permissions import SYSTEM
from ispclient.routeros.credentials import CredentialStore
from ispclient.store import access, provisioning, settings
from ispclient.store.models import Client, Server

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

        # The demo's routers are made from its data: nothing to push at first.
        code, (_, _, _, applied, pending, failed) = run_enforce(app_paths.data_dir, capsys)
        assert (code, applied, pending, failed) == (0, 0, 0, 0)
        assert writes() == 0
        # A change at the counter: one client's secret held by hand reaches its router.
        store.open_database(app_paths.database, app_paths.backup_dir)
        up = Server.get(Server.name == "Nairobi Core").id
        enabled = {s["name"] for sim in sims for s in sim.secrets() if s.get("disabled") == "false"}
        client = next(c for c in Client.select().where(Client.server == up) if c.pppoe_username in enabled)
        with access.acting_as(SYSTEM):
            provisioning.hold_secret(client.id, True)
        store.close_database()
        code, (_, _, _, applied, pending, failed) = run_enforce(app_paths.data_dir, capsys)
        assert code == 0 and applied >= 1 and (pending, failed) == (0, 0), (applied, pending, failed)
        first_writes = writes()
        assert first_writes >= 1
        held = [s for sim in sims for s in sim.secrets() if s.get("name") == client.pppoe_username]
        assert [s.get("disabled") for s in held] == ["true"]
        code2, (renewed2, cut2, restored2, applied2, pending2, failed2) = run_enforce(app_paths.data_dir, capsys)
        assert (renewed2, cut2, restored2, applied2, failed2) == (0, 0, 0, 0, 0)
        assert pending2 == pending
        assert writes() == first_writes  # nothing sent to the routers the second time
    finally:
        for sim in sims:
            sim.stop()
        store.close_database()
