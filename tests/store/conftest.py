"""A fresh database per test: SQLite always, PostgreSQL too when ISPCLIENT_TEST_PG_URL is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import peewee
import pytest

from ispclient import store
from ispclient.store import catalog, clients, settings
from ispclient.store import subscriptions as subs

PG_URL = os.environ.get("ISPCLIENT_TEST_PG_URL", "")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def reset_postgres(url: str) -> None:
    from ispclient.store.db import make_database

    database = make_database(url)
    database.connect()
    database.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
    database.execute_sql("CREATE SCHEMA public")
    database.close()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[peewee.Database]:
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
        reset_postgres(PG_URL)
        database = store.open_database(PG_URL)
    else:
        database = store.open_database(tmp_path / "test.sqlite3", backup_dir=tmp_path / "backups")
    yield database
    store.close_database()


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.today = date(2026, 1, 15)
        monkeypatch.setattr(settings, "today", lambda: self.today)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


class Factory:
    """Short ways to make rows through the real services."""

    def __init__(self) -> None:
        self.n = 0

    def server(self, name: str = "Main router", **kw: object) -> int:
        return int(catalog.create_server(catalog.ServerInput(name=name, host="127.0.0.1", **kw)).id)  # type: ignore[arg-type]

    def package(self, name: str = "Home 10M", price: str = "1500", days: int = 30, **kw: object) -> int:
        return int(catalog.create_package(catalog.PackageInput(name, price, days, **kw)).id)  # type: ignore[arg-type]

    def client(self, name: str = "Amina Wanjiru", **kw: object) -> int:
        self.n += 1
        values: dict[str, object] = {"client_code": f"T{self.n:05d}", "name": name}
        values.update(kw)
        return int(clients.create_client(clients.ClientInput(**values)).id)  # type: ignore[arg-type]

    def subscription(self, client_id: int, package_id: int, start: date, **kw: object) -> int:
        return int(subs.create_subscription(client_id, package_id, start, **kw).id)  # type: ignore[arg-type]


@pytest.fixture
def make(db: peewee.Database) -> Factory:
    return Factory()


class PrivatePg:
    """A private PostgreSQL server that demands TLS, with the test CA that signed its certificate."""

    def __init__(self, server: object, ca_file: Path) -> None:
        from .pg_server import PrivateServer

        assert isinstance(server, PrivateServer)
        self.server = server
        self.ca_file = ca_file

    def url(self, *, password: bool = True, tls: str = "verify-full", database: str = "postgres") -> str:
        query = f"sslmode={tls}" + (f"&sslrootcert={self.ca_file}" if tls == "verify-full" else "")
        return self.server.url(password=password, query=query, database=database)

    def fresh_database(self) -> str:
        """A new empty database's name."""
        import uuid

        import psycopg2

        name = f"t_{uuid.uuid4().hex[:12]}"
        conn = psycopg2.connect(self.url())
        conn.autocommit = True
        try:
            conn.cursor().execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()
        return name


@pytest.fixture(scope="session")
def private_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePg]:
    """Started once per test run (about 2 s); tests that restart it leave it running."""
    from ispclient.simulator.tls import make_test_ca

    from .pg_server import PrivateServer, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no private PostgreSQL server: {reason}")
    ca_file, cert, key = make_test_ca(tmp_path_factory.mktemp("pg-ca"), hostname="localhost")
    server = PrivateServer(tls_files=(cert, key)).init()
    try:
        server.start()
    except Exception as e:  # noqa: BLE001 - say why, then skip
        log = server.root / "log"
        text = log.read_text() if log.exists() else ""
        server.destroy()
        pytest.skip(f"the private PostgreSQL server did not start: {e}\n{text[-2000:]}")
    yield PrivatePg(server, ca_file)
    server.destroy()


class OtherPc:
    """Another front-desk PC, caught in the middle of a service call: the call runs in its own
    thread (its own database connection) and pauses inside its transaction, at its first audit
    record — after its check and its write, before its commit. Meanwhile this PC runs the
    competing service in :meth:`meanwhile`; it must wait for the other PC's commit (the lock)
    and then see its result (the check after the lock), or be refused by an index."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import threading

        from ispclient.store import audit

        self._threading = threading
        self._paused = threading.Event()
        self._release = threading.Event()
        self._thread: threading.Thread | None = None
        self.result: object = None
        real = audit.record

        def record(*args: object, **kwargs: object) -> object:
            event = real(*args, **kwargs)  # type: ignore[arg-type]
            if threading.current_thread() is self._thread and not self._paused.is_set():
                self._paused.set()
                self._release.wait(30)
            return event

        monkeypatch.setattr(audit, "record", record)

    def starts(self, fn: object, *args: object, **kwargs: object) -> None:
        from ispclient.store.db import db

        def run() -> None:
            try:
                self.result = fn(*args, **kwargs)  # type: ignore[operator]
            except Exception as e:  # noqa: BLE001 - looked at by the test
                self.result = e
            finally:
                self._paused.set()
                db.close()

        self._thread = self._threading.Thread(target=run)
        self._thread.start()
        assert self._paused.wait(30), "the other PC's call never reached its transaction"

    def meanwhile(self, fn: object, *args: object, hold_s: float = 0.4, **kwargs: object) -> object:
        """Run ``fn`` on this PC while the other PC's transaction is open; the other PC commits
        ``hold_s`` later (this PC's check has run by then, unless a lock makes it wait)."""
        out: list[object] = []
        from ispclient.store.db import db

        def run() -> None:
            try:
                out.append(fn(*args, **kwargs))  # type: ignore[operator]
            except Exception as e:  # noqa: BLE001
                out.append(e)
            finally:
                db.close()

        mine = self._threading.Thread(target=run)
        mine.start()
        mine.join(hold_s)
        self._release.set()
        assert self._thread is not None
        self._thread.join(30)
        mine.join(30)
        assert out, "this PC's call did not finish"
        return out[0]


@pytest.fixture
def other_pc(db: peewee.Database, monkeypatch: pytest.MonkeyPatch) -> OtherPc:
    return OtherPc(monkeypatch)
