"""The client list read a chunk of clients at a time (every column joined by the database) gives
exactly the rows the plain per-client read gives — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import peewee
import pytest

from ispclient.domain.subscriptions import NO_SUBSCRIPTION, SubscriptionStatus
from ispclient.listing import build
from ispclient.listing.keys import Column
from ispclient.listing.search import ClientFilter, search_fields
from ispclient.store import clients, queries
from ispclient.store import subscriptions as subs
from ispclient.store.db import db as database
from tests.store.conftest import Factory

TODAY = date(2026, 1, 15)


def _people(make: Factory) -> dict[str, int]:
    north = make.server("North")
    pkg = make.package("Home 10M", "1500", 30)
    ids: dict[str, int] = {}
    ids["active"] = make.client("Amina Wanjiru", phone="+254712345678", server_id=north, pppoe_username="amina")
    make.subscription(ids["active"], pkg, TODAY - timedelta(days=3), payment=subs.PaymentInput("1000"))
    ids["expiring"] = make.client("Brian Otieno", email="brian@example.com")
    make.subscription(ids["expiring"], pkg, TODAY - timedelta(days=27))
    ids["renewed"] = make.client("Chen Li")  # ended, with the next one sold: Scheduled
    make.subscription(ids["renewed"], pkg, TODAY - timedelta(days=40))
    make.subscription(ids["renewed"], pkg, TODAY + timedelta(days=5))
    ids["expired"] = make.client("Dora Müller")
    make.subscription(ids["expired"], pkg, TODAY - timedelta(days=60), payment=subs.PaymentInput("1500"))
    ids["none"] = make.client("Émile Zola", phone="+33612345678")
    ids["deleted"] = make.client("Gone Person")
    clients.delete_client(ids["deleted"])
    for n in range(12):  # enough for several chunks of three
        make.client(f"Filler {n}")
    return ids


def test_the_chunked_read_gives_the_rows_of_the_plain_read(db: peewee.Database, make: Factory) -> None:
    ids = _people(make)
    rows = {r.id: r for r in queries.client_rows(TODAY, 7)}
    index = build.read(TODAY, 7, chunk_rows=3)
    assert index.n == len(rows) and ids["deleted"] not in rows
    assert {index.row(s) for s in range(index.n)} == set(rows.values())
    statuses = {name: rows[cid].status for name, cid in ids.items() if cid in rows}
    assert statuses == {"active": SubscriptionStatus.ACTIVE, "expiring": SubscriptionStatus.EXPIRING,
                        "renewed": SubscriptionStatus.SCHEDULED, "expired": SubscriptionStatus.EXPIRED,
                        "none": NO_SUBSCRIPTION}
    assert rows[ids["active"]].balance_minor == 50000  # 1,500 due, 1,000 paid (cents)
    index.set_filter(ClientFilter(owes=True))
    assert set(index.visible_client_ids()) == {i for i, r in rows.items() if r.balance_minor > 0}


@pytest.mark.parametrize("column", ["name", "phone", "pppoe_username"])
def test_a_value_holding_the_separator_is_read_as_a_row_instead(db: peewee.Database, make: Factory,
                                                               column: str) -> None:
    odd = _people(make)["expiring"]  # in a chunk followed by others
    database.execute_sql(f"UPDATE client SET {column} = {database.obj.param} WHERE id = {database.obj.param}",
                         ("Odd\x1fValue", odd))  # written by something other than the app
    index = build.read(TODAY, 7, chunk_rows=4)
    assert getattr(index.row(index.slot_of(odd)), column) == "Odd\ufffdValue"  # type: ignore[arg-type]
    rows = {r.id: r for r in queries.client_rows(TODAY, 7)}
    assert index.n == len(rows)
    c = index.c
    for slot in range(index.n):  # every client whole, and searched by their own values
        row = index.row(slot)
        assert row.id == odd or row == rows[row.id]
        searched = (c.name_key, c.code_key, c.email_key, c.username_key, c.digits, c.national)
        assert tuple(field.value(slot).decode() for field in searched) == search_fields(row)


def test_the_chunked_read_folds_every_searched_column_as_the_plain_read(db: peewee.Database, make: Factory) -> None:
    _people(make)
    north = make.server("Nord")
    for code, name, email, user in (("ÅB0001", "Ørjan STRAßE", "Ørjan@Exämple.com", "Ørjan"),
                                    ("cd0002", "ANNA", "ANNA@EXAMPLE.COM", "ANNA"),
                                    ("Ef0003", "İlkay Çelik", "ilkay@example.com", "ilkay")):
        made = make.client(name, email=email, server_id=north, pppoe_username="placeholder")
        p = database.obj.param  # beyond the app's rules (from before them, or from outside): read all the same
        database.execute_sql(f"UPDATE client SET client_code = {p}, pppoe_username = {p} WHERE id = {p}",
                             (code, user, made))
    rows = {r.id: r for r in queries.client_rows(TODAY, 7)}
    index = build.read(TODAY, 7, chunk_rows=3)
    c = index.c
    assert index.n == len(rows)
    for slot in range(index.n):
        row = index.row(slot)
        assert row == rows[row.id]
        searched = (c.name_key, c.code_key, c.email_key, c.username_key, c.digits, c.national)
        assert tuple(field.value(slot).decode() for field in searched) == search_fields(row)
        assert c.username.value(slot).decode() == row.pppoe_username


def test_a_package_name_holding_the_separator_in_a_subscription_to_come(db: peewee.Database, make: Factory,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _people(make)
    database.execute_sql(f"UPDATE subscription SET package_name = {database.obj.param} WHERE client_id = "
                         f"{database.obj.param} AND starts_on > {database.obj.param}",
                         ("Home\x1f10M", ids["renewed"], TODAY))  # written by something other than the app
    rows = {r.id: r for r in queries.client_rows(TODAY, 7)}
    assert rows[ids["renewed"]].package_name == "Home\x1f10M"
    monkeypatch.setattr(queries, "client_rows", None)  # the chunks are read as chunks all the same
    index = build.read(TODAY, 7, chunk_rows=3)
    assert {index.row(s) for s in range(index.n)} == set(rows.values())


def test_a_clients_next_subscription_is_the_first_to_start(db: peewee.Database, make: Factory) -> None:
    ids = _people(make)
    later = make.package("Later 20M", "2500", 30)
    make.subscription(ids["renewed"], later, TODAY + timedelta(days=40))  # after the one sold for in 5 days
    make.subscription(ids["none"], later, TODAY + timedelta(days=40))
    rows = {r.id: r for r in queries.client_rows(TODAY, 7)}
    renewed = rows[ids["renewed"]]
    assert (renewed.package_name, renewed.starts_on) == ("Home 10M", TODAY + timedelta(days=5))
    assert (rows[ids["none"]].status, rows[ids["none"]].package_name) == (SubscriptionStatus.SCHEDULED, "Later 20M")
    index = build.read(TODAY, 7, chunk_rows=3)
    assert {index.row(s) for s in range(index.n)} == set(rows.values())


def test_a_chunk_out_of_id_order_is_read_as_rows_instead(db: peewee.Database, make: Factory,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The SQLite statement relies on the id range search handing the rows over in id order; if a
    # plan ever did otherwise, the builder must notice rather than misplace the clients.
    _people(make)
    chunk = queries.list_chunk

    def reversed_chunk(*args: object, **kwargs: object) -> queries.RowChunk:
        read = chunk(*args, **kwargs)  # type: ignore[arg-type]
        return queries.RowChunk(read.count, *(
            sep.join(reversed(text.split(sep))) for text, sep in (
                (read.ids, ","), (read.codes, "\x1f"), (read.names, "\x1f"), (read.phones, "\x1f"),
                (read.emails, "\x1f"), (read.usernames, "\x1f"), (read.server_ids, ","), (read.periods, "\x1f"),
                (read.balances, ","))))

    monkeypatch.setattr(queries, "list_chunk", reversed_chunk)
    index = build.read(TODAY, 7, chunk_rows=4)
    rows = queries.client_rows(TODAY, 7)
    assert [index.row(s) for s in range(index.n)] == sorted(rows, key=lambda r: r.id)


def test_ids_spread_far_apart_are_read_in_few_chunks(db: peewee.Database, make: Factory) -> None:
    _people(make)
    far = make.client("Far Away")
    database.execute_sql(f"UPDATE client SET id = 50000000 WHERE id = {database.obj.param}", (far,))
    ranges = queries.list_id_ranges(3)
    live = len(queries.client_rows(TODAY, 7))
    assert len(ranges) <= live  # about three clients each, not 16 million ranges of three ids
    assert ranges[0][0] <= 1 and ranges[-1][1] == 50000001
    index = build.read(TODAY, 7, chunk_rows=3)
    assert {index.row(s) for s in range(index.n)} == set(queries.client_rows(TODAY, 7))


def test_the_first_page_is_in_name_order(db: peewee.Database, make: Factory) -> None:
    _people(make)
    page = queries.client_rows_page(TODAY, 7, 4)
    assert [r.name for r in page] == ["Amina Wanjiru", "Brian Otieno", "Chen Li", "Dora Müller"]
    index = build.read(TODAY, 7)
    index.sort(Column.NAME)
    assert index.visible_client_ids()[:4] == [r.id for r in page]
    # Descending starts at the other end ("Filler 9", or "Émile Zola" where the database's lower()
    # leaves accents alone: the page is the database's order, the list's own fixes it moments later).
    last = queries.client_rows_page(TODAY, 7, 2, descending=True)
    assert {r.name for r in last} <= {"Filler 9", "Filler 8", "Émile Zola"} and len(last) == 2


def test_each_routers_usernames_in_one_read(db: peewee.Database, make: Factory) -> None:
    north, south = make.server("North"), make.server("South")
    amina = make.client("Amina Wanjiru", server_id=north, pppoe_username="amina")
    make.client("Brian Otieno", server_id=north, pppoe_username="brian")
    make.client("Chen Li", server_id=south, pppoe_username="chen")
    make.client("No Username", server_id=south)
    gone = make.client("Gone Person", server_id=south, pppoe_username="gone")
    clients.delete_client(gone)
    users = queries.usernames_by_server()
    assert {sid: sorted(names) for sid, names in users.items()} == {north: ["amina", "brian"], south: ["chen"]}
    # A username holding the separator (written by something other than the app): that router
    # is read row by row, and the name stays whole.
    database.execute_sql(f"UPDATE client SET pppoe_username = {database.param} WHERE id = {database.param}",
                         ("am\x1fina", amina))
    users = queries.usernames_by_server()
    assert {sid: sorted(names) for sid, names in users.items()} == {north: ["am\x1fina", "brian"], south: ["chen"]}
