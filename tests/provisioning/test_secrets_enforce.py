"""PPPoE passwords only encrypted at rest; settings; schema 2; the headless ``enforce`` run."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from ispclient import enforce, paths, store
from ispclient.domain.errors import ValidationError
from ispclient.store import catalog, clients, schema, secrets, settings
from ispclient.store import subscriptions as subs
from ispclient.store.models import Client
from tests.conftest import MemoryKeyring

from .conftest import API_PASSWORD, PPPOE_PASSWORD, Clock, Factory, World, configure, start_sim
from .test_expiry import CUT_OFF_DAY, START, setup_client


def test_database_file_holds_no_clear_pppoe_password(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "a.sqlite3"
    store.open_database(path)
    router = start_sim()
    try:
        world = World(Factory(), clock, {})
        configure(manage_secrets=True)
        setup_client(world, router)
        cid = Client.get().id
        clients.edit_client(cid, clients.ClientInput("T00001", "Amina W", pppoe_username="amina",
                                                     server_id=Client.get().server_id,
                                                     pppoe_password=PPPOE_PASSWORD + "-2"))
        world.drain()
        assert router.secret("amina")["password"] == PPPOE_PASSWORD + "-2"  # type: ignore[index]
        assert clients.pppoe_password(cid) == PPPOE_PASSWORD + "-2"
        assert Client.get().pppoe_password_enc.startswith("gAAAA")  # a Fernet token
        store.db.obj.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        router.stop()
        store.close_database()
    files = list(tmp_path.glob("a.sqlite3*"))
    assert files
    for f in files:
        data = f.read_bytes()
        assert PPPOE_PASSWORD.encode() not in data and API_PASSWORD.encode() not in data, f


def test_without_a_keyring_pppoe_passwords_are_refused(make: Factory) -> None:
    keyring.set_keyring(fail.Keyring())
    sid = make.server()
    with pytest.raises(ValidationError) as e:
        make.client(pppoe_username="amina", server_id=sid, pppoe_password=PPPOE_PASSWORD)
    assert "keyring" in e.value.errors["pppoe_password"]
    assert Client.select().count() == 0
    make.client(pppoe_username="amina", server_id=sid)  # without a password all is well


def test_another_pc_needs_the_key(make: Factory, memory_keyring: MemoryKeyring) -> None:
    sid = make.server()
    cid = make.client(pppoe_username="amina", server_id=sid, pppoe_password=PPPOE_PASSWORD)
    exported = secrets.export_key()
    keyring.set_keyring(MemoryKeyring())  # a second front-desk PC, same database
    with pytest.raises(secrets.SecretsUnavailable, match="another PC"):
        clients.pppoe_password(cid)
    with pytest.raises(secrets.SecretsUnavailable, match="another PC"):
        make.client(pppoe_username="bob", server_id=sid, pppoe_password="x-bob-1234")
    with pytest.raises(secrets.SecretsUnavailable):
        secrets.import_key("not a key")
    secrets.import_key(exported)
    assert clients.pppoe_password(cid) == PPPOE_PASSWORD


def test_password_rules(make: Factory) -> None:
    sid = make.server()
    for bad in (" lead", "tab\there", "é-accent", "x" * 65):
        with pytest.raises(ValidationError) as e:
            make.client(pppoe_username="u1", server_id=sid, pppoe_password=bad)
        assert "pppoe_password" in e.value.errors
    with pytest.raises(ValidationError) as e:
        make.client(pppoe_password="no-username-1")
    assert "username" in e.value.errors["pppoe_password"]


def test_router_settings_round_trip_and_validation(make: Factory) -> None:
    assert settings.load().manage_secrets is False  # nothing reaches a router until turned on
    saved = configure(manage_secrets=True, grace_days=7, expiry_action="limit", limit_profile="slow-256k")
    assert settings.load() == saved and settings.load().manage_secrets is True
    configure(manage_secrets=False)
    assert settings.load().manage_secrets is False
    with pytest.raises(ValidationError) as e:
        settings.save(replace(settings.load(), grace_days=-1, expiry_action="explode"))
    assert set(e.value.errors) == {"grace_days", "expiry_action"}
    with pytest.raises(ValidationError) as e:
        settings.save(replace(settings.load(), expiry_action="limit", limit_profile=" "))
    assert set(e.value.errors) == {"limit_profile"}


def test_schema_2_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store.open_database(path)
    Client.create(client_code="C1", name="From schema 1")
    store.close_database()
    with sqlite3.connect(path) as conn:  # what schema 1 looked like
        conn.execute("DROP TABLE router_change")
        conn.execute("ALTER TABLE client DROP COLUMN pppoe_password_enc")
        conn.execute("ALTER TABLE client DROP COLUMN router_desired")
        conn.execute("UPDATE schema_version SET version = 1")
    database = store.open_database(path, backup_dir=tmp_path / "backups")
    try:
        assert schema.version(database) == schema.CURRENT_VERSION >= 2
        client = Client.get()
        assert (client.name, client.pppoe_password_enc, client.router_desired) == ("From schema 1", "", "")
        assert database.table_exists("router_change")
    finally:
        store.close_database()
    assert list((tmp_path / "backups").glob("*before-schema-2*"))


# -- ispclient enforce --data-dir D -------------------------------------------------------------


def make_data_dir(root: Path, clock: Clock, port: int) -> paths.AppPaths:
    app_paths = paths.under(root).ensure()
    store.open_database(app_paths.database, backup_dir=app_paths.backup_dir)
    try:
        configure(manage_secrets=True, grace_days=3, expiry_action="disable")
        sid = catalog.create_server(catalog.ServerInput("Main router", "127.0.0.1", port=port, timeout_s=1)).id
        keyring.set_password(settings.keyring_service(), f"server-{sid}", API_PASSWORD)
        pkg = catalog.create_package(catalog.PackageInput("Home 10M", "1500", 30, ppp_profile="home-10m")).id
        for n, auto in ((1, True), (2, False), (3, False)):
            cid = clients.create_client(clients.ClientInput(f"C{n}", f"Client {n}", pppoe_username=f"user{n}",
                                                            server_id=sid, pppoe_password=f"pw-user-{n}")).id
            subs.create_subscription(cid, pkg, START, auto_renew=auto, payment=subs.PaymentInput("1500"))
        subs.create_subscription(3, pkg, date(2026, 1, 19))  # renewed by hand: stays enabled
    finally:
        store.close_database()
    return app_paths


def test_headless_enforce_applies_due_changes_then_changes_nothing(tmp_path: Path, clock: Clock) -> None:
    router = start_sim()
    try:
        app_paths = make_data_dir(tmp_path / "data", clock, router.port)
        clock.today = CUT_OFF_DAY
        lines: list[str] = []
        assert enforce.run_headless(app_paths, out=lines.append) == enforce.EXIT_OK
        # user1's auto-renewal is unpaid after the grace period and user2 expired: both disabled.
        assert lines == ["enforce: 1 renewed, 2 disabled, 0 re-enabled, 3 applied, 0 pending, 0 failed"]
        assert [router.secret(f"user{n}")["disabled"] for n in (1, 2, 3)] == ["true", "true", "false"]  # type: ignore[index]
        router.commands.clear()
        lines.clear()
        assert enforce.run_headless(app_paths, out=lines.append) == enforce.EXIT_OK
        assert lines == ["enforce: 0 renewed, 0 disabled, 0 re-enabled, 0 applied, 0 pending, 0 failed"]
        assert [c for c in router.commands if not c[0].endswith(("/print", "/login"))] == []
    finally:
        router.stop()


def test_headless_enforce_with_the_router_down_exits_1_then_catches_up(tmp_path: Path, clock: Clock) -> None:
    router = start_sim()
    try:
        app_paths = make_data_dir(tmp_path / "data", clock, router.port)
        router.stop()
        clock.today = CUT_OFF_DAY
        lines: list[str] = []
        assert enforce.run_headless(app_paths, out=lines.append) == enforce.EXIT_PENDING
        assert lines[0] == "enforce: 1 renewed, 2 disabled, 0 re-enabled, 0 applied, 3 pending, 0 failed"
        assert lines[1].startswith("  Main router: ") and "refused the connection" in lines[1]
        router.start()
        lines.clear()
        assert enforce.run_headless(app_paths, out=lines.append) == enforce.EXIT_OK  # no back-off wait at night
        assert lines == ["enforce: 0 renewed, 0 disabled, 0 re-enabled, 3 applied, 0 pending, 0 failed"]
    finally:
        router.stop()


def test_headless_enforce_reports_an_unusable_data_dir(tmp_path: Path) -> None:
    bad = tmp_path / "data"
    bad.mkdir()
    (bad / "ispclient.sqlite3").write_bytes(b"this is not a database" * 100)
    lines: list[str] = []
    assert enforce.run_headless(paths.under(bad), out=lines.append) == enforce.EXIT_ERROR
    assert lines[0].startswith("enforce: error: ")
