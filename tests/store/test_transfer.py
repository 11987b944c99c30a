"""Copy SQLite → PostgreSQL keeps every row: counts and a checksum of each table compared, ids kept,
sequences reset, same schema version; refused into a non-empty database; all or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import peewee
import pytest

from ispclient import cli_db, paths, store
from ispclient.store import catalog, clients, schema, settings, transfer
from ispclient.store import subscriptions as subs
from ispclient.store.db import make_database
from ispclient.store.instance_lock import InstanceLock
from ispclient.store.models import Client, Payment, RouterChange, SchemaVersion, Subscription

from .conftest import PG_URL, Factory, reset_postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
    reset_postgres(PG_URL)
    yield PG_URL
    store.close_database()


def build_source(path: Path) -> dict[str, tuple[int, str]]:
    """A small but varied installation, made through the services; returns its checksums."""
    database = store.open_database(path)
    make = Factory()
    server = make.server()
    home, biz = make.package(), make.package("Business 50M", "4999.50", 30)
    for i in range(30):
        cid = make.client(name=f"Zoë 王小明 محمد {i}", phone="(201) 555-0123", email=f"c{i}@example.com",
                          pppoe_username=f"user{i}", server_id=server, notes="line one\nline two, “quoted”")
        make.subscription(cid, home if i % 2 else biz, date(2025, 9, 1), auto_renew=i % 3 == 0,
                          payment=subs.PaymentInput("1500", "Mobile money", f"QX{i}"))
    clients.create_client(clients.ClientInput(client_code="PW1", name="With password", pppoe_username="pw",
                                              server_id=server, pppoe_password="s3cret!"))
    gone = make.client(name="Moved away")
    clients.delete_client(gone)
    subs.run_auto_renew(date(2026, 1, 15))  # renewals chained through renewed_from
    settings.save(settings.Settings(currency="KES", default_country="KE", client_code_prefix="K"))
    RouterChange.create(server=server, username="user1", reason="Expired: disable", disabled=True)
    catalog.edit_package(biz, catalog.PackageInput("Business 50M", "5200", 30, active=False))
    sums = transfer.checksums(database)
    store.close_database()
    return sums


def test_copy_keeps_every_row_and_ids_and_resets_sequences(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "ispclient.sqlite3"
    sums = build_source(src)
    assert sums["subscription"][0] > 31 and sums["payment"][0] == 30  # renewals were made
    progress: list[tuple[str, int]] = []
    report = transfer.copy_database(src, pg_url, batch_size=7, progress=lambda t, n: progress.append((t, n)))

    assert {t.table: (t.rows, t.checksum) for t in report.tables} == sums
    assert report.schema_version == schema.CURRENT_VERSION
    assert ("subscription", 7) in progress
    dest = store.open_database(pg_url)  # the app on PostgreSQL: nothing to migrate
    assert transfer.checksums(dest) == sums  # recomputed from PostgreSQL itself
    assert schema.version(dest) == schema.CURRENT_VERSION and SchemaVersion.select().count() == 1
    assert Subscription.select().where(Subscription.renewed_from.is_null(False)).count() > 0
    assert clients.pppoe_password(Client.get(Client.client_code == "PW1").id) == "s3cret!"
    newest = max(c.id for c in Client.select())
    first = clients.create_client(clients.ClientInput(client_code="PG1", name="First on PostgreSQL"))
    assert first.id == newest + 1  # the sequences continue after the copied ids: no clash
    pay = subs.record_payment(Subscription.select().first().id, subs.PaymentInput("10"))
    assert pay.id == sums["payment"][0] + 1


def test_copy_refuses_a_database_that_is_not_empty(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "ispclient.sqlite3"
    sums = build_source(src)
    transfer.copy_database(src, pg_url)
    with pytest.raises(transfer.CopyRefused, match="is not empty"):
        transfer.copy_database(src, pg_url)
    assert transfer.checksums(store.open_database(pg_url)) == sums  # the first copy, untouched


def test_a_copy_that_fails_midway_leaves_postgresql_empty(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "ispclient.sqlite3"
    build_source(src)
    with sqlite3.connect(src) as conn:  # SQLite doesn't enforce lengths; PostgreSQL does
        conn.execute("UPDATE client SET name = ? WHERE id = (SELECT max(id) FROM client)", ("x" * 300,))
    conn.close()
    with pytest.raises(transfer.CopyRefused, match="Nothing was copied"):
        transfer.copy_database(src, pg_url, batch_size=5)
    dest = make_database(pg_url)
    assert dest.get_tables() == []
    dest.close()


def test_copy_wants_the_source_at_this_programs_schema(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "ispclient.sqlite3"
    build_source(src)
    with sqlite3.connect(src) as conn:
        conn.execute("UPDATE schema_version SET version = version - 1")
    conn.close()
    with pytest.raises(transfer.CopyRefused, match="open it once with this version"):
        transfer.copy_database(src, pg_url)


def test_checksums_notice_a_single_changed_value(tmp_path: Path) -> None:
    src = tmp_path / "ispclient.sqlite3"
    sums = build_source(src)
    database = store.open_database(src)
    Payment.update(amount_minor=Payment.amount_minor + 1).where(Payment.id == 3).execute()
    after = transfer.checksums(database)
    store.close_database()
    assert after["payment"] != sums["payment"] and after["payment"][0] == sums["payment"][0]
    assert {k: v for k, v in after.items() if k != "payment"} == {k: v for k, v in sums.items() if k != "payment"}


def test_passwords_stay_out_of_messages() -> None:
    assert transfer.redact("postgresql://desk:hunter2@db.local:5433/isp") == "postgresql://desk:***@db.local:5433/isp"
    with pytest.raises(transfer.CopyRefused) as e:
        transfer.copy_database(Path("/nonexistent.sqlite3"), "postgresql://desk:hunter2@127.0.0.1:1/isp")
    assert "hunter2" not in str(e.value)


def test_copy_refuses_a_url_that_is_not_postgresql(tmp_path: Path) -> None:
    src = tmp_path / "ispclient.sqlite3"
    store.open_database(src)
    store.close_database()
    with pytest.raises(transfer.CopyRefused, match="not a postgresql"):
        transfer.copy_database(src, str(tmp_path / "other.sqlite3"))
    assert isinstance(make_database(str(src)), peewee.SqliteDatabase)


def test_command_line_copy_to_postgres(tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    app_paths = paths.under(tmp_path / "data").ensure()
    sums = build_source(app_paths.database)
    with InstanceLock(app_paths.data_dir):  # the app is still open on the SQLite data
        assert cli_db.run("copy-to-postgres", pg_url, app_paths) == 1
        assert "Close the app" in capsys.readouterr().err
    assert cli_db.run("copy-to-postgres", pg_url, app_paths) == 0
    out = capsys.readouterr().out
    assert "every table was checked" in out and "--db-url postgresql://" in out
    assert "ispclient-ci" not in out  # the password is never printed
    assert transfer.checksums(store.open_database(pg_url)) == sums
    store.close_database()
    assert cli_db.run("check", None, app_paths, pg_url) == 0
    assert f"schema {schema.CURRENT_VERSION}" in capsys.readouterr().out
