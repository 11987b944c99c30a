"""PostgreSQL going away under a running app: a restarted server or a dropped connection.

The action in flight fails with DatabaseUnavailable ("The database server was restarted; please
try again") and changes nothing; the next action of that thread reconnects and works — on every
worker thread, each with its own connection. Never a raw InterfaceError, never "connection
already closed" until the app restarts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import peewee
import psycopg2
import pytest

from ispclient import store
from ispclient.store import audit, clients, errors
from ispclient.store.db import db
from ispclient.store.errors import DatabaseUnavailable
from ispclient.store.models import Client

from .conftest import PG_URL, PrivatePg


def _admin(url: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def _backend_pid() -> int:
    return int(db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])


def _terminate(admin_url: str, *pids: int) -> None:
    """What a network blip or a server-side kill does: the server ends these connections."""
    conn = _admin(admin_url)
    try:
        for pid in pids:
            conn.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
    finally:
        conn.close()


@pytest.fixture
def pg(db: peewee.Database) -> Iterator[peewee.Database]:
    if not isinstance(db, peewee.PostgresqlDatabase):
        pytest.skip("a PostgreSQL connection drop")
    yield db


def _new_client(code: str, name: str = "Amina Wanjiru") -> Client:
    return clients.create_client(clients.ClientInput(client_code=code, name=name))


def _pause_inside_transaction(monkeypatch: pytest.MonkeyPatch, when_inside: Callable[[], None]) -> None:
    """Run ``when_inside`` once, inside the next service transaction (at its audit record)."""
    real = audit.record
    done = threading.Event()

    def record(*args: object, **kwargs: object) -> object:
        if not done.is_set():
            done.set()
            when_inside()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "record", record)


def test_a_dropped_idle_connection_is_replaced_before_the_next_action(pg: peewee.Database) -> None:
    _new_client("C1")
    _terminate(PG_URL, _backend_pid())
    _new_client("C2")  # no error: the dead connection was noticed and replaced
    assert Client.select().count() == 2


def test_the_action_in_flight_fails_plainly_and_changes_nothing(pg: peewee.Database,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    first = _new_client("C1")
    pid = _backend_pid()
    _pause_inside_transaction(monkeypatch, lambda: _terminate(PG_URL, pid))
    with pytest.raises(DatabaseUnavailable) as e:
        clients.edit_client(first.id, clients.ClientInput(client_code="C1", name="Changed", phone=""))
    assert str(e.value) == errors.RESTARTED
    assert "connection" not in str(e.value).lower()
    # The next action reconnects and works; the failed edit left nothing behind.
    assert Client.get_by_id(first.id).name == "Amina Wanjiru"
    clients.edit_client(first.id, clients.ClientInput(client_code="C1", name="Changed again"))
    assert Client.get_by_id(first.id).name == "Changed again"


def test_a_drop_the_idle_check_cannot_see(pg: peewee.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection that died without a word (a cable pulled, a NAT forgetting it): a read is
    simply read again on a new connection, and so is a save's first look (nothing was written yet)."""
    from ispclient.store.db import PostgresqlDatabase

    monkeypatch.setattr(PostgresqlDatabase, "_dropped_while_idle", lambda self: False)
    first = _new_client("C1")
    _terminate(PG_URL, _backend_pid())
    time.sleep(0.2)
    assert Client.select().count() == 1  # SELECT outside a transaction: retried
    _terminate(PG_URL, _backend_pid())
    time.sleep(0.2)
    clients.edit_client(first.id, clients.ClientInput("C1", "Changed"))
    assert Client.get_by_id(first.id).name == "Changed"
    _terminate(PG_URL, _backend_pid())
    time.sleep(0.2)
    from ispclient.store.db import atomic

    with atomic():  # BEGIN on the dead connection: begun again on a new one
        Client.update(notes="straight in").where(Client.id == first.id).execute()
    assert Client.get_by_id(first.id).notes == "straight in"


def test_each_worker_thread_reconnects_on_its_own(pg: peewee.Database) -> None:
    """The app runs database work on a few long-lived threads, one connection each."""
    _new_client("C0")
    n = 3
    pids: list[int] = [0] * n
    outcomes: list[object] = [None] * n
    opened, dropped, go = threading.Barrier(n + 1), threading.Event(), threading.Event()

    def worker(i: int) -> None:
        pids[i] = _backend_pid()  # this thread's own connection
        opened.wait()
        go.wait()
        try:
            outcomes[i] = _new_client(f"W{i}", f"Worker {i}").id
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            outcomes[i] = e
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    opened.wait()
    assert len(set(pids)) == n and _backend_pid() not in pids
    _terminate(PG_URL, *pids)
    dropped.set()
    go.set()
    for t in threads:
        t.join(30)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert Client.select().count() == n + 1


def test_a_server_that_cannot_be_reached_is_said_plainly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(DatabaseUnavailable) as e:
        store.open_database(f"postgresql://nobody@127.0.0.1:{port}/nothing")
    assert f"127.0.0.1:{port} can't be reached" in str(e.value)
    db.initialize(None)


# --- a real restart of a (private) PostgreSQL server ----------------------------------------------


def test_restart_mid_session_then_a_successful_save(private_pg: PrivatePg, monkeypatch: pytest.MonkeyPatch) -> None:
    url = private_pg.url(database=private_pg.fresh_database())
    store.open_database(url)
    try:
        client = _new_client("C1")
        idle_worker_result: list[object] = []
        idle_ready, restarted = threading.Event(), threading.Event()

        def idle_worker() -> None:
            """A worker thread whose connection sits idle across the restart."""
            _backend_pid()
            idle_ready.set()
            restarted.wait(60)
            try:
                idle_worker_result.append(_new_client("C2", "Idle worker").id)
            except Exception as e:  # noqa: BLE001
                idle_worker_result.append(e)
            finally:
                db.close()

        worker = threading.Thread(target=idle_worker)
        worker.start()
        idle_ready.wait(30)
        # The edit in flight while the server restarts:
        _pause_inside_transaction(monkeypatch, private_pg.server.restart)
        with pytest.raises(DatabaseUnavailable) as e:
            clients.edit_client(client.id, clients.ClientInput(client_code="C1", name="During restart"))
        assert str(e.value) == "The database server was restarted; please try again."
        restarted.set()
        worker.join(60)
        monkeypatch.undo()
        # Then a successful save, on this thread and on the idle worker's.
        clients.edit_client(client.id, clients.ClientInput(client_code="C1", name="After restart"))
        assert Client.get_by_id(client.id).name == "After restart"
        assert len(idle_worker_result) == 1 and isinstance(idle_worker_result[0], int), idle_worker_result
        assert Client.select().count() == 2
    finally:
        store.close_database()


def test_test_connection_says_what_answered(private_pg: PrivatePg) -> None:
    from ispclient.store import dbconfig
    from ispclient.store.db import test_connection
    from ispclient.store.errors import DatabaseUnavailable as Unavailable

    from .pg_server import PASSWORD

    config, _ = dbconfig.parse_url(private_pg.url(password=False, database=private_pg.fresh_database()))
    assert "Connected over TLS to PostgreSQL" in test_connection(config, PASSWORD)
    assert "no ispclient data yet" in test_connection(config, PASSWORD)
    with pytest.raises(Unavailable, match="refused the password"):
        test_connection(config, "wrong password")
