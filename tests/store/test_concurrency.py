"""Two app processes writing at once — on one SQLite file (WAL, busy timeout, IMMEDIATE) and on
PostgreSQL (several PCs) — stay correct: nothing lost, nothing doubled, a clash is a
ValidationError naming the field, never a crash."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import peewee
import pytest

from ispclient import store
from ispclient.domain.errors import ValidationError
from ispclient.store import clients, schema
from ispclient.store.db import sqlite_path
from ispclient.store.models import AuditEvent, Client, Payment, SchemaVersion, Subscription

from .child import run_together
from .conftest import BACKENDS, PG_URL, Factory, reset_postgres


def target_of(database: peewee.Database) -> str:
    path = sqlite_path(database)
    return str(path) if path is not None else PG_URL


def test_two_processes_record_payments_on_one_subscription(db: peewee.Database, make: Factory,
                                                           tmp_path: Path) -> None:
    sub = make.subscription(make.client(), make.package(), date(2026, 1, 1))
    target = target_of(db)
    a, b = run_together(tmp_path, ("payments", target, str(sub), "40"), ("payments", target, str(sub), "40"))
    ids = set(a["ids"]) | set(b["ids"])  # type: ignore[arg-type]
    assert len(ids) == 80
    assert {p.id for p in Payment.select().where(Payment.subscription == sub)} == ids
    assert Payment.select().where(Payment.subscription == sub).count() == 80
    audited = {e.entity_id for e in AuditEvent.select().where(AuditEvent.action == "payment.record")}
    assert audited == ids


@pytest.mark.parametrize("clash", ["username", "code"])
def test_two_processes_taking_the_same_names_one_wins_one_is_told(
        db: peewee.Database, make: Factory, tmp_path: Path, clash: str) -> None:
    server = make.server()
    target = target_of(db)
    n = 25
    a, b = run_together(tmp_path, ("clients", target, str(server), "A", str(n), clash),
                        ("clients", target, str(server), "B", str(n), clash))
    field = "pppoe_username" if clash == "username" else "client_code"
    for i, pair in enumerate(zip(a["outcomes"], b["outcomes"], strict=True)):  # type: ignore[call-overload]
        assert sorted(pair) == sorted([field, "ok"]), f"name #{i}: {pair}"
    live = list(Client.select().where(Client.deleted_at.is_null()))
    assert len(live) == n
    created = {e.entity_id for e in AuditEvent.select().where(AuditEvent.action == "client.create")}
    assert created == {c.id for c in live}


@pytest.mark.parametrize(("clash", "field"), [("pppoe_username", "pppoe_username"), ("client_code", "client_code")])
def test_a_clash_the_check_missed_is_reported_on_its_field(
        db: peewee.Database, make: Factory, monkeypatch: pytest.MonkeyPatch, clash: str, field: str) -> None:
    """Another PC commits between our check and our write: the unique index refuses the row and
    the service names the field — even when the clashing Client ID contains "pppoe"."""
    server = make.server()
    first = clients.create_client(clients.ClientInput(client_code="PPPOE-7", name="First",
                                                      pppoe_username="amina", server_id=server))
    real_validate = clients.validate

    def check_passes_then_other_pc_commits(data: clients.ClientInput,
                                           client_id: int | None = None) -> dict[str, object]:
        values = real_validate(dataclasses.replace(data, client_code="FRESH", pppoe_username="fresh"), client_id)
        return {**values, clash: getattr(first, clash)}

    monkeypatch.setattr(clients, "validate", check_passes_then_other_pc_commits)
    with pytest.raises(ValidationError) as e:
        clients.create_client(clients.ClientInput(client_code="X1", name="Second", pppoe_username="x",
                                                  server_id=server))
    assert list(e.value.errors) == [field]
    assert Client.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "client.create").count() == 1


@pytest.fixture(params=BACKENDS)
def empty_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
        reset_postgres(PG_URL)
        yield PG_URL
    else:
        yield str(tmp_path / "new.sqlite3")
    store.close_database()


def test_three_processes_creating_the_database_at_once(empty_target: str, tmp_path: Path) -> None:
    results = run_together(tmp_path, *[("open", empty_target)] * 3)
    assert [r["version"] for r in results] == [schema.CURRENT_VERSION] * 3
    store.open_database(empty_target)
    assert SchemaVersion.select().count() == 1


def test_two_processes_running_auto_renew_at_once_renew_once(db: peewee.Database, make: Factory,
                                                             tmp_path: Path) -> None:
    package = make.package(days=30)
    subs = [make.subscription(make.client(), package, date(2025, 10, 1), auto_renew=True) for _ in range(5)]
    target = target_of(db)
    a, b = run_together(tmp_path, ("renew", target, "2026-01-15"), ("renew", target, "2026-01-15"))
    created = a["created"] + b["created"]  # type: ignore[operator]
    assert len(created) == len(set(created))
    for sub in subs:
        chain = Subscription.select().where(Subscription.client == Subscription.get_by_id(sub).client_id)
        # 1 Oct + 30-day periods up to 15 Jan: the original and three renewals, each made once.
        assert chain.count() == 4
    assert len(created) == 15


def test_an_older_database_is_migrated_once_on_either_backend(db: peewee.Database, make: Factory,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The same schema versions on PostgreSQL: a newer program brings the database up once."""
    cid = make.client()
    target = target_of(db)
    store.close_database()
    steps: list[int] = []

    def add_nickname(database: peewee.Database) -> None:
        steps.append(1)
        database.execute_sql("ALTER TABLE client ADD COLUMN nickname VARCHAR(40) NOT NULL DEFAULT ''")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, add_nickname])
    monkeypatch.setattr(schema, "CURRENT_VERSION", len(schema.MIGRATIONS))
    database = store.open_database(target)
    assert schema.version(database) == schema.CURRENT_VERSION and SchemaVersion.select().count() == 1
    assert "nickname" in {c.name for c in database.get_columns("client")}
    store.close_database()
    store.open_database(target)  # already current: nothing runs twice
    assert steps == [1] and Client.get_by_id(cid).name == "Amina Wanjiru"
