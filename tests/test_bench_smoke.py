"""The benchmark's correctness, never its timings: the generated data is what the store would
hold, and the runner works end to end on a tiny data set, writing every figure as a number."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bench.figures import REQUIRED_KEYS, missed, table
from bench.generate import BIG_CLIENT_SUBSCRIPTIONS, SIZES, counts, generate
from ispclient import store
from ispclient.domain import subscriptions as rules
from ispclient.store import queries
from ispclient.store.models import Client, Payment, Subscription

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 1, 15)


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> object:
    path = tmp_path_factory.mktemp("bench") / "ispclient.sqlite3"
    info = generate(path, SIZES["tiny"], seed=1, today=TODAY)
    return info


def test_generated_counts_match_the_file(tiny_db: object) -> None:
    info = tiny_db
    n = counts(Path(info.path))  # type: ignore[attr-defined]
    assert n["client"] == 200 == info.clients + info.deleted_clients  # type: ignore[attr-defined]
    assert n["server"] == 5
    assert n["subscription"] == info.subscriptions  # type: ignore[attr-defined]
    assert n["payment"] == info.payments  # type: ignore[attr-defined]
    # About six of each per client (the big client adds 100 of its own).
    per_client = (info.subscriptions - BIG_CLIENT_SUBSCRIPTIONS) / 199  # type: ignore[attr-defined]
    assert 4 <= per_client <= 8
    assert 4 <= (info.payments - BIG_CLIENT_SUBSCRIPTIONS) / 199 <= 8  # type: ignore[attr-defined]


def test_the_list_shows_every_status_and_agrees_with_the_generator(tiny_db: object) -> None:
    info = tiny_db
    store.open_database(info.path)  # type: ignore[attr-defined]
    try:
        rows = queries.client_rows(TODAY, rules.DEFAULT_EXPIRING_DAYS)
        by_list = Counter(r.status for r in rows)
        assert dict(by_list) == info.statuses  # type: ignore[attr-defined]
        assert set(by_list) == {s.value for s in (rules.SubscriptionStatus.ACTIVE, rules.SubscriptionStatus.EXPIRING,
                                                  rules.SubscriptionStatus.EXPIRED,
                                                  rules.SubscriptionStatus.SCHEDULED)} | {rules.NO_SUBSCRIPTION}
        assert len(rows) == info.clients  # type: ignore[attr-defined]
        # Cancelled subscriptions exist (they never show as the list's status).
        assert Subscription.select().where(Subscription.cancelled_at.is_null(False)).exists()
    finally:
        store.close_database()


def test_generated_data_keeps_the_store_rules(tiny_db: object) -> None:
    info = tiny_db
    store.open_database(info.path)  # type: ignore[attr-defined]
    try:
        from ispclient.store.subscriptions import run_auto_renew

        for client in Client.select():
            subs = sorted(Subscription.select().where(Subscription.client == client.id), key=lambda s: s.starts_on)
            live = [s for s in subs if s.cancelled_at is None]
            for a, b in zip(live, live[1:], strict=False):
                assert a.ends_on <= b.starts_on, f"overlap for client {client.id}"
            for s in subs:
                assert s.ends_on > s.starts_on
        big = Subscription.select().where(Subscription.client == info.big_client_id).count()  # type: ignore[attr-defined]
        assert big == BIG_CLIENT_SUBSCRIPTIONS
        # Usernames are unique per server among live clients, as the store demands.
        live_users = [(c.server_id, c.pppoe_username) for c in Client.select().where(
            Client.deleted_at.is_null() & (Client.pppoe_username != ""))]
        assert len(live_users) == len(set(live_users))
        assert sum(len(v) for v in info.usernames.values()) == len(live_users)  # type: ignore[attr-defined]
        # No payment exceeds its subscription's price.
        for sub in Subscription.select():
            paid = sum(p.amount_minor for p in Payment.select().where(Payment.subscription == sub.id))
            assert paid <= sub.price_minor
        # As the app leaves data after running daily: nothing is left for auto-renew to roll over.
        assert run_auto_renew(TODAY) == []
    finally:
        store.close_database()


def test_figures_table_marks_misses() -> None:
    results = {"clients": 100_000, "list_complete_s": 1.4, "search_ms_p95": 12.0,
               "status_batch_vs_per_client_ratio": 600.0}
    assert missed(results) == ["list_complete_s"]
    text = table(results)
    assert "FAIL" in text and "pass" in text and "≥ 50" in text
    # At a million clients the second column applies.
    assert missed({**results, "clients": 1_000_000}) == []


def test_a_cached_data_set_moved_to_a_later_day_is_what_that_day_would_generate(tmp_path: Path) -> None:
    from bench.generate import cached

    later = TODAY.replace(day=TODAY.day + 3)
    moved = cached(SIZES["tiny"], root=tmp_path / "a", today=TODAY)
    moved = cached(SIZES["tiny"], root=tmp_path / "a", today=later)  # the same files, three days on
    fresh = cached(SIZES["tiny"], root=tmp_path / "b", today=later)
    assert moved.today == fresh.today == later.isoformat()

    def rows(path: str) -> list[object]:
        store.open_database(path)
        try:
            return [r._replace(id=r.id) for r in queries.client_rows(later, rules.DEFAULT_EXPIRING_DAYS)]
        finally:
            store.close_database()

    assert rows(moved.path) == rows(fresh.path)


def test_a_copied_data_folder_is_used_where_it_is_not_where_it_was_made(tmp_path: Path) -> None:
    """Each engineer copies the data folder and passes --data-root of the copy: the runs must read
    and write the copy (data.json holds the absolute path of the database it was made as)."""
    import shutil

    from bench.generate import cached

    made = cached(SIZES["tiny"], root=tmp_path / "made", today=TODAY)
    shutil.copytree(tmp_path / "made", tmp_path / "copy")
    copy = cached(SIZES["tiny"], root=tmp_path / "copy", today=TODAY)
    assert Path(copy.path) == tmp_path / "copy" / Path(made.path).parent.name / Path(made.path).name
    assert Path(copy.path).exists() and Path(made.path).parent.parent == tmp_path / "made"


def test_a_cached_data_set_of_an_older_schema_is_migrated_not_made_again(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import generate
    from ispclient.store import schema
    from ispclient.store.models import SchemaVersion

    made = generate.cached(SIZES["tiny"], root=tmp_path, today=TODAY)
    home = Path(made.path).parent
    store.open_database(made.path)  # as the older schema left it
    SchemaVersion.update(version=schema.CURRENT_VERSION - 1).execute()
    store.close_database()
    older = home.with_name(home.name.rsplit("-v", 1)[0] + f"-v{schema.CURRENT_VERSION - 1}")
    home.rename(older)
    monkeypatch.setattr(generate, "generate", lambda *a, **k: pytest.fail("generated again"))

    again = generate.cached(SIZES["tiny"], root=tmp_path, today=TODAY)

    assert Path(again.path).parent == home and not older.exists()
    assert again.clients == made.clients
    database = store.open_database(again.path)
    try:
        assert schema.version(database) == schema.CURRENT_VERSION
    finally:
        store.close_database()


def test_the_latency_proxy_delays_each_round_trip_and_counts_queries() -> None:
    import socket
    import threading

    from bench.latency_proxy import LatencyProxy

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    accepted: list[socket.socket] = []

    def echo() -> None:
        try:
            conn, _ = server.accept()
            accepted.append(conn)
            with conn:
                while data := conn.recv(1024):
                    conn.sendall(data)
        except OSError:
            pass  # closed under it: ends quietly (a thread printing a traceback while pytest parses
            # test modules trips Python 3.11's shared AST recursion counter, gh-106905)

    echoing = threading.Thread(target=echo, daemon=True)
    echoing.start()
    with LatencyProxy("127.0.0.1", port, 60) as proxy, socket.create_connection(("127.0.0.1", proxy.port)) as c:
        startup = (8).to_bytes(4, "big") + (196608).to_bytes(4, "big")  # PostgreSQL's startup packet
        query = b"Q" + (4 + 9).to_bytes(4, "big") + b"SELECT 1\0"
        started = time.perf_counter()
        c.sendall(startup + query)
        got = b""
        while len(got) < len(startup + query):
            got += c.recv(1024)
        assert time.perf_counter() - started >= 0.055  # 30 ms each way
        assert got == startup + query and proxy.queries == 1
    # The stopped proxy closed its end upstream: the echo server's recv sees the end, the thread ends.
    echoing.join(timeout=5)
    closed_upstream = not echoing.is_alive()
    server.close()
    for conn in accepted:
        try:
            conn.shutdown(socket.SHUT_RDWR)  # if not, its recv returns here on Linux (not under Wine)
        except OSError:
            pass  # already closed: the thread has ended
    echoing.join(timeout=5)
    assert closed_upstream


@pytest.mark.slow
def test_tiny_run_writes_every_figure_as_a_number(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    opens = tmp_path / "opens.jsonl"  # the open tracer (bench/open_trace.py) rides along
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "ISPCLIENT_BENCH_OPEN_TRACE": str(opens)}
    started = time.perf_counter()
    # The runner takes ~10 s on a quiet 2-core machine; the timeout only catches a hang.
    done = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--out", str(out),
                           "--data-root", str(tmp_path / "data")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    for key in REQUIRED_KEYS:
        assert isinstance(results.get(key), int | float) and not isinstance(results[key], bool), key
    assert results["clients"] == SIZES["tiny"].clients - results["data"]["deleted_clients"]
    assert results["status_batch_agrees_with_per_client"] is True
    assert results["client_100_subscriptions"] == BIG_CLIENT_SUBSCRIPTIONS
    assert results["client_6_subscriptions"] == 6
    assert results["sql_statements_per_open"] == 1  # the client window is one read
    assert results["first_rows_s"] <= results["list_complete_s"]
    assert results["online_after_refresh"] == SIZES["tiny"].sessions
    assert results["routers_answered"] is True
    traced = [json.loads(line) for line in opens.read_text(encoding="utf-8").splitlines()]
    assert len(traced) == len(results["client_open_6_runs_ms"]) + len(results["client_open_100_runs_ms"])
    for record in traced:  # every open's steps, in the order they happen, within the open's time
        steps = {name: (start, end) for name, _thread, start, end in record["steps"]}
        assert {"adopt", "read", "show_detail", "bring_up"} <= steps.keys(), record
        assert steps["adopt"][0] <= steps["read"][0] <= steps["read"][1] <= steps["show_detail"][0] \
            <= steps["bring_up"][1] <= record["ms"], record
    assert "status_batch_vs_per_client_ratio" in done.stdout  # the table was printed
    print(f"tiny bench run: {elapsed:.1f} s")
