"""The running app with one router dripping and another healthy: the healthy router's changes
and statuses arrive within 2 s, and closing ends every router call — in this process and in
a real app process, which exits promptly.

Before: a dripping router held the change queue (a healthy router's change stayed pending for
40 s and counting, auto-renew and expiry stopped), and after the window closed the process
never exited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ispclient import paths, store
from ispclient.domain.connection import ConnectionState
from ispclient.routeros.credentials import CredentialStore
from ispclient.simulator import RouterSim
from ispclient.simulator.hostile import HostileRouter
from ispclient.store import catalog, clients, router_queue, settings
from ispclient.store import subscriptions as subs
from ispclient.store.changes import Changes
from ispclient.store.models import Client, RouterChange, Server
from ispclient.ui import ops
from ispclient.ui.context import AppContext, SettingsStore
from ispclient.ui.queue_runner import QueueRunner
from ispclient.ui.status_service import StatusService
from tests.conftest import MemoryKeyring
from tests.routeros.hostile.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[3]
PROBE = "tests.routeros.hostile.app_probe"


@dataclass
class TwoRouters:
    healthy: RouterSim
    dripping: HostileRouter
    healthy_id: int = 0
    dripping_id: int = 0


@pytest.fixture
def routers() -> Iterator[TwoRouters]:
    with RouterSim(users={"admin": PASSWORD}) as healthy, HostileRouter("drip", drip_s=0.2) as dripping:
        healthy.state.add(healthy.state.profiles, {"name": "home-10m"})
        yield TwoRouters(healthy, dripping)


def fill(routers: TwoRouters, password_of: dict[int, str]) -> None:
    """Two routers (the dripping one first, as a one-at-a-time queue would reach it first) and a
    paying client on each, in the open database."""
    settings.save(replace(settings.load(), manage_secrets=True))
    pkg = int(catalog.create_package(catalog.PackageInput("Home 10M", "1500", 30, ppp_profile="home-10m")).id)
    for name, port, code, username in (("Dripping router", routers.dripping.port, "C00001", "zed"),
                                       ("Healthy router", routers.healthy.port, "C00002", "amina")):
        sid = int(catalog.create_server(catalog.ServerInput(name=name, host="127.0.0.1", port=port,
                                                            timeout_s=1.0)).id)
        password_of[sid] = PASSWORD
        cid = int(clients.create_client(clients.ClientInput(client_code=code, name=username.title(),
                                                            pppoe_username=username, server_id=sid,
                                                            pppoe_password="pppoe-pw-1")).id)
        subs.create_subscription(cid, pkg, date.today(), payment=subs.PaymentInput("1500"))
        if username == "zed":
            routers.dripping_id = sid
        else:
            routers.healthy_id = sid


@pytest.fixture
def ctx(qtbot: QtBot, tmp_path: Path, routers: TwoRouters) -> Iterator[AppContext]:
    app_paths = paths.under(tmp_path / "home").ensure()
    store.open_database(app_paths.database, app_paths.backup_dir)
    passwords: dict[int, str] = {}
    fill(routers, passwords)
    context = AppContext(paths=app_paths, credentials=CredentialStore("ispclient-test"), store=SettingsStore.load())
    for sid, password in passwords.items():
        context.credentials.set(sid, password)
    yield context
    ops.shutdown(5000)
    store.close_database()


def latest_change(username: str) -> RouterChange:
    return RouterChange.select().where(RouterChange.username == username).order_by(RouterChange.id.desc()).get()


def change_status(username: str) -> str:
    return str(latest_change(username).status)


def test_a_dripping_router_holds_up_nothing_and_closing_is_prompt(qtbot: QtBot, ctx: AppContext,
                                                                  routers: TwoRouters) -> None:
    runner = QueueRunner(ctx)
    service = StatusService(ctx, offload=False)
    try:
        # The change queue: both routers drained at once; the healthy one's change lands first.
        assert runner.run_now()
        qtbot.waitUntil(lambda: routers.healthy.secret("amina") is not None, timeout=2000)
        assert routers.dripping_id in runner.busy_routers()  # still being waited on meanwhile

        # A save while the dripping router is still busy is pushed to the healthy one anyway.
        amina = Client.get(Client.pppoe_username == "amina")
        clients.edit_client(amina.id, clients.ClientInput(client_code=amina.client_code, name="Amina Wanjiru",
                                                          pppoe_username="amina", server_id=routers.healthy_id))
        # What the edit op would broadcast (the test called the service directly).
        ctx.events.changed.emit(Changes(clients=frozenset({amina.id}), router_queue=True, router_queued=True))
        qtbot.waitUntil(lambda: change_status("amina") == router_queue.DONE, timeout=2000)  # the edit's change
        assert (routers.healthy.secret("amina") or {}).get("comment", "").endswith("Wanjiru")
        assert routers.dripping_id in runner.busy_routers()

        # Auto-renew and expiry don't wait for it either: a new run's rules go ahead at once.
        with qtbot.waitSignal(runner.finished, timeout=2000):
            assert runner.run_now()
        assert routers.dripping_id in runner.busy_routers()

        # The status refresh: the healthy router answers while the dripping one is still out.
        service.refresh()
        qtbot.waitUntil(lambda: ctx.connections.get(routers.healthy_id, "amina").state is ConnectionState.OFFLINE,
                        timeout=2000)
        assert service.checker.is_busy(routers.dripping_id)
    finally:
        # Closing: every router call is cut, every worker ends, well before any router deadline.
        started = time.monotonic()
        runner.shutdown()
        status_done = service.shutdown(1000)
        runner_done = ops.shutdown(1000)
        closed_in = time.monotonic() - started
    assert runner_done and status_done
    assert closed_in < 2.0
    qtbot.waitUntil(lambda: not runner.running, timeout=1000)
    assert change_status("zed") == router_queue.PENDING  # cut off, kept for the next run
    assert "closing" in latest_change("zed").last_error


def test_the_app_process_exits_promptly_with_a_router_dripping(tmp_path: Path, routers: TwoRouters,
                                                               memory_keyring: MemoryKeyring) -> None:
    """The real app (start_session, window, status service, queue runner) in its own process,
    both routers in use; the window closes while the dripping router is being waited on (its
    deadline is 20 s away) and the process must be gone within 2 s (+1 s slack for a busy machine)."""
    app_paths = paths.under(tmp_path / "home").ensure()
    store.open_database(app_paths.database, app_paths.backup_dir)
    try:
        fill(routers, {})
        Server.update(timeout_s=5.0).where(Server.id == routers.dripping_id).execute()
        Server.update(timeout_s=5.0).where(Server.id == routers.healthy_id).execute()
    finally:
        store.close_database()
    config = {"data_dir": str(app_paths.data_dir), "password": PASSWORD, "close_after_s": 10.0,
              # this "PC"'s keyring: the PPPoE-password key made while filling the database
              "keyring": [[service, user, value] for (service, user), value in memory_keyring.store.items()]}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("ISPCLIENT_HOME", None)
    proc = subprocess.Popen([sys.executable, "-m", PROBE, json.dumps(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    closing_at = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("closing"):
                closing_at = time.monotonic()
                break
        assert closing_at is not None, (lines, proc.stderr.read() if proc.stderr else "")
        proc.wait(timeout=30)
        exited_in = time.monotonic() - closing_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rest = proc.stdout.read() if proc.stdout else ""
    assert proc.returncode == 0, (lines, rest, proc.stderr.read() if proc.stderr else "")
    engaged = json.loads(lines[-1].split(" ", 1)[1])
    assert engaged["dripping_connections"] >= 1  # the app was talking to the dripping router
    assert engaged["healthy_done"]  # and had applied the healthy router's change
    assert exited_in < 3.0, f"the process took {exited_in:.1f} s to exit after its window closed"
