"""Import and export tests: a fresh database (SQLite, and PostgreSQL when ISPCLIENT_TEST_PG_URL
is set), files written by the tests themselves, rows made through the real services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import peewee
import pytest

from ispclient import store
from ispclient.store import catalog, clients, settings

PG_URL = os.environ.get("ISPCLIENT_TEST_PG_URL", "")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
TODAY = date(2026, 1, 15)


def reset_postgres(url: str) -> None:
    from ispclient.store.db import make_database

    database = make_database(url)
    database.connect()
    database.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
    database.execute_sql("CREATE SCHEMA public")
    database.close()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[peewee.Database]:
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
        reset_postgres(PG_URL)
        database = store.open_database(PG_URL)
    else:
        database = store.open_database(tmp_path / "test.sqlite3", backup_dir=tmp_path / "backups")
    monkeypatch.setattr(settings, "today", lambda: TODAY)
    put = settings.put
    put("default_country", "KE")
    put("currency", "KES")
    yield database
    try:
        if not database.is_closed():
            from ispclient.store import balances

            # Every import keeps each client's balance equal to its ledger (store/balances.py).
            assert balances.drift() == [], "client.balance_minor drifted from the ledger"
    finally:
        store.close_database()


class Factory:
    """Routers, packages and clients made through the real services."""

    def __init__(self) -> None:
        self.n = 0

    def server(self, name: str = "Main router") -> int:
        return int(catalog.create_server(catalog.ServerInput(name=name, host="127.0.0.1")).id)

    def package(self, name: str = "Home 10", price: str = "1500", days: int = 30, **kw: object) -> int:
        return int(catalog.create_package(catalog.PackageInput(name, price, days, **kw)).id)  # type: ignore[arg-type]

    def client(self, name: str = "Amina Wanjiru", **kw: object) -> int:
        self.n += 1
        values: dict[str, object] = {"client_code": f"T{self.n:05d}", "name": name}
        values.update(kw)
        return int(clients.create_client(clients.ClientInput(**values)).id)  # type: ignore[arg-type]


@pytest.fixture
def make(db: peewee.Database) -> Factory:
    return Factory()


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    import csv

    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path
