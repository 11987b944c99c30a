"""Start-up's two reads that used to walk the years of history: auto-renew's due periods and the
list's first page. Both come from small indexes; the answers stay what they were."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import peewee
import pytest

from ispclient.store import clients, queries, schema
from ispclient.store import subscriptions as subs
from ispclient.store.models import SchemaVersion, Subscription

from .conftest import Clock, Factory


def _renewed() -> dict[int, bool]:
    return {s.id: bool(s.renewed) for s in Subscription.select().order_by(Subscription.id)}


def test_auto_renew_marks_each_period_it_renewed(make: Factory, clock: Clock) -> None:
    cid, pkg = make.client(), make.package()
    first = make.subscription(cid, pkg, date(2025, 11, 1), auto_renew=True)  # ends 1 Dec
    created = subs.run_auto_renew(date(2026, 1, 15))  # two periods to catch up
    assert len(created) == 2
    assert _renewed() == {first: True, created[0].id: True, created[1].id: False}  # the chain's open end
    assert subs.run_auto_renew(date(2026, 1, 15)) == []
    later = subs.run_auto_renew(date(2026, 2, 10))  # the open end is due once it ends
    assert [s.renewed_from_id for s in later] == [created[1].id]
    assert _renewed()[created[1].id]


def test_the_migration_marks_what_was_renewed_before_it(make: Factory, clock: Clock, db: peewee.Database,
                                                        tmp_path: Path) -> None:
    pkg = make.package()
    chained, waiting = make.client(), make.client()
    first = make.subscription(chained, pkg, date(2025, 11, 1), auto_renew=True)
    renewals = [s.id for s in subs.run_auto_renew(date(2026, 1, 15))]
    due = make.subscription(waiting, pkg, date(2025, 12, 20), auto_renew=True)  # ends 19 Jan: due later
    # The database as schema 10 left it: no flag, the old index over every auto-renew period.
    for sql in ("DROP INDEX IF EXISTS subscription_auto_renew_due", "ALTER TABLE subscription DROP COLUMN renewed",
                "CREATE INDEX subscription_auto_renew ON subscription (ends_on) "
                "WHERE auto_renew AND cancelled_at IS NULL"):
        db.execute_sql(sql)
    SchemaVersion.update(version=schema.CURRENT_VERSION - 1).execute()

    schema.migrate(tmp_path / "backups")

    assert schema.version(db) == schema.CURRENT_VERSION
    assert _renewed() == {first: True, renewals[0]: True, renewals[1]: False, due: False}
    names = {ix.name for ix in db.get_indexes("subscription")}
    assert "subscription_auto_renew_due" in names and "subscription_auto_renew" not in names
    assert "client_name_order" in {ix.name for ix in db.get_indexes("client")}
    created = subs.run_auto_renew(date(2026, 2, 5))  # both open ends, nothing renewed twice
    assert sorted(s.renewed_from_id for s in created) == sorted([renewals[1], due])


def test_the_first_page_is_the_first_clients_by_name(make: Factory, clock: Clock) -> None:
    ids = {name: make.client(name=name) for name in ("delta", "Alpha", "charlie", "Bravo", "echo")}
    clients.delete_client(make.client(name="Aardvark"))  # deleted clients aren't listed
    page = queries.client_rows_page(date(2026, 1, 15), 7, 3)
    assert [r.id for r in page] == [ids["Alpha"], ids["Bravo"], ids["charlie"]]
    last = queries.client_rows_page(date(2026, 1, 15), 7, 2, descending=True)
    assert [r.id for r in last] == [ids["echo"], ids["delta"]]


def test_sqlite_answers_both_from_their_indexes(make: Factory, db: peewee.Database) -> None:
    if not isinstance(db, peewee.SqliteDatabase):
        pytest.skip("SQLite's plan; PostgreSQL's planner chooses by its statistics")
    due = " ".join(str(r) for r in db.execute_sql(
        "EXPLAIN QUERY PLAN " + subs._DUE_SQL.format(p="?", extra=""), ["2026-01-15"]))
    assert "subscription_auto_renew_due" in due
    page = " ".join(str(r) for r in db.execute_sql(
        "EXPLAIN QUERY PLAN " + queries._rows_sql(order=f"ORDER BY {queries.PAGE_ORDER} LIMIT 50",
                                             hint=f"INDEXED BY {queries.PAGE_INDEX}"), ["2026-01-15"]))
    assert "client_name_order" in page and "TEMP B-TREE FOR ORDER BY" not in page.split("CORRELATED")[0]
