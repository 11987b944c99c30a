"""Every misbehaving router, on every path that talks to a router: each call ends by its
deadline (+1 s) with the reason the mode deserves, in bounded memory, leaving nothing behind.

Before the deadline and the reply ceilings, a dripping router, endless rows or an endless
sentence kept every one of these calls going for as long as the router liked (90 s and more),
and endless rows grew the process by gigabytes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import keyring
import pytest

from ispclient import app, paths, store
from ispclient.domain.connection import ClientConnection, UnknownReason
from ispclient.routeros.errors import RouterError
from ispclient.routeros.offload import StatusHelper
from ispclient.routeros.provision import UNAVAILABLE
from ispclient.routeros.session import test_connection
from ispclient.routeros.status import RouterBatch, check_batch, check_one
from ispclient.routeros.target import RouterTarget
from ispclient.simulator.hostile import MODES
from ispclient.store import catalog, clients, router_queue, settings
from ispclient.store.models import RouterChange, Server
from tests.routeros.hostile.conftest import (
    DEADLINE_S,
    ENDS_WITHIN_S,
    PASSWORD,
    RSS_GROWTH_LIMIT,
    TIMEOUT,
    Expect,
    HostileFactory,
    PeakMemory,
    expectation,
)

PATHS = ("test-connection", "client-check", "status-refresh", "status-refresh-helper", "provisioning", "enforce")
WHOLE_TABLE_PATHS = {"status-refresh", "status-refresh-helper"}


@pytest.fixture(scope="module")
def helper() -> Iterator[StatusHelper]:
    h = StatusHelper()
    yield h
    h.close()


def ended(conn: ClientConnection) -> tuple[UnknownReason | None, str]:
    return conn.reason, conn.detail


def queued_change(data_dir: Path, target: RouterTarget) -> int:
    """A data folder whose one router is ``target`` (its timeout included) and whose one client's
    secret is queued for it; the server's id."""
    app_paths = paths.under(data_dir).ensure()
    store.open_database(app_paths.database, app_paths.backup_dir)
    try:
        settings.save(replace(settings.load(), manage_secrets=True))
        server = catalog.create_server(catalog.ServerInput(name="Hostile router", host=target.host, port=target.port,
                                                           tls=target.tls, ca_file=target.ca_file or ""))
        Server.update(timeout_s=target.timeout).where(Server.id == server.id).execute()  # below the form's 1 s
        clients.create_client(clients.ClientInput(client_code="C00001", name="Amina Wanjiru",
                                                  pppoe_username="amina", server_id=server.id))
        assert RouterChange.select().count() == 1
        keyring.set_password(settings.keyring_service(), f"server-{server.id}", PASSWORD)  # the test's keyring
        return int(server.id)
    finally:
        store.close_database()


def change_outcome(data_dir: Path) -> tuple[str, str]:
    """(status, last error) of the one queued change."""
    app_paths = paths.under(data_dir)
    store.open_database(app_paths.database, app_paths.backup_dir)
    try:
        change = RouterChange.get()
        return change.status, change.last_error
    finally:
        store.close_database()


def run_path(path: str, target: RouterTarget, tmp_path: Path, helper: StatusHelper) -> tuple[object, str]:
    """Make the call; (reason, detail) — for the queue paths (status the change is left in, its error)."""
    if path == "test-connection":
        try:
            test_connection(target)
        except RouterError as error:
            return error.reason, error.detail
        raise AssertionError("Test connection succeeded against a hostile router")
    if path == "client-check":
        return ended(check_one(RouterBatch(1, target, ("amina",))))
    if path == "status-refresh":
        return ended(check_batch(RouterBatch(1, target, ("amina", "bob")))[(1, "amina")])
    if path == "status-refresh-helper":
        future = helper.submit(RouterBatch(1, target, ("amina", "bob")))
        return ended(future.result(timeout=DEADLINE_S + 10)[(1, "amina")])
    data_dir = tmp_path / "data"
    sid = queued_change(data_dir, target)
    if path == "provisioning":
        app_paths = paths.under(data_dir)
        store.open_database(app_paths.database, app_paths.backup_dir)
        try:
            router_queue.drain({sid: router_queue.target_for(Server.get_by_id(sid), PASSWORD)})
        finally:
            store.close_database()
    else:  # the nightly `ispclient enforce`, as Task Scheduler runs it
        code = app.main(["enforce", "--data-dir", str(data_dir)])
        assert code in (1, 2)  # waiting for the router, or refused by it
    return change_outcome(data_dir)


def check_outcome(path: str, outcome: tuple[object, str], expect: Expect) -> None:
    first, detail = outcome
    assert any(word in detail for word in expect.words), (detail, expect.words)
    if path in ("provisioning", "enforce"):
        # The reason decides what the queue does: wait for the router, or mark the change failed.
        retry = {r in UNAVAILABLE for r in expect.reasons}
        assert first in ({"pending"} if retry == {True} else {"failed"} if retry == {False} else {"pending", "failed"})
    else:
        assert first in expect.reasons, (first, detail)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("mode", MODES)
def test_each_misbehaviour_ends_by_its_deadline(hostile: HostileFactory, helper: StatusHelper, tmp_path: Path,
                                                 mode: str, path: str) -> None:
    h = hostile(mode)
    with PeakMemory() as memory:
        started = time.monotonic()
        outcome = run_path(path, h.target, tmp_path, helper)
        elapsed = time.monotonic() - started
    assert elapsed < ENDS_WITHIN_S, f"{mode} on {path}: {elapsed:.1f} s"
    check_outcome(path, outcome, expectation(mode, path in WHOLE_TABLE_PATHS))
    if memory.growth is not None:
        assert memory.growth < RSS_GROWTH_LIMIT, f"{mode} on {path}: +{memory.growth / 2**20:.0f} MB"


@pytest.mark.parametrize("path", ["test-connection", "client-check", "status-refresh", "provisioning"])
@pytest.mark.parametrize("mode", ["drip", "endless-rows", "huge-words", "close-mid-reply"])
def test_inside_a_working_tls_session_too(hostile: HostileFactory, helper: StatusHelper, tmp_path: Path,
                                          mode: str, path: str) -> None:
    h = hostile(mode, tls=True)
    with PeakMemory() as memory:
        started = time.monotonic()
        outcome = run_path(path, h.target, tmp_path, helper)
        elapsed = time.monotonic() - started
    assert elapsed < ENDS_WITHIN_S, f"{mode} over TLS on {path}: {elapsed:.1f} s"
    check_outcome(path, outcome, expectation(mode, path in WHOLE_TABLE_PATHS))
    if memory.growth is not None:
        assert memory.growth < RSS_GROWTH_LIMIT


@pytest.mark.parametrize("mode", ["silent", "drip", "endless-rows", "endless-sentence", "huge-words", "garbage"])
def test_during_login(hostile: HostileFactory, helper: StatusHelper, tmp_path: Path, mode: str) -> None:
    h = hostile(mode, at="login")
    with PeakMemory() as memory:
        started = time.monotonic()
        reason, detail = run_path("test-connection", h.target, tmp_path, helper)
        elapsed = time.monotonic() - started
    assert elapsed < ENDS_WITHIN_S
    assert reason in expectation(mode, False).reasons, detail
    if memory.growth is not None:
        assert memory.growth < RSS_GROWTH_LIMIT


def test_a_drip_is_cut_at_the_deadline_not_before(hostile: HostileFactory) -> None:
    """The deadline, not the per-read timeout, is what ends a drip: every byte comes within
    the timeout, so the call lasts the whole deadline (a generous bound either side)."""
    h = hostile("drip")
    started = time.monotonic()
    with pytest.raises(RouterError) as caught:
        test_connection(h.target)
    elapsed = time.monotonic() - started
    assert caught.value.reason is UnknownReason.TIMED_OUT
    assert DEADLINE_S - 0.5 < elapsed < ENDS_WITHIN_S
    assert TIMEOUT < DEADLINE_S  # the per-read timeout alone would never have fired
