"""The client list model: Qt's model contract, and the fast search and sort agreeing with plain
Python over the same fields."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from ispclient.domain.connection import ClientConnection, ConnectionState
from ispclient.domain.subscriptions import NO_SUBSCRIPTION, SubscriptionStatus
from ispclient.store import queries
from ispclient.store import settings as store_settings
from ispclient.store.queries import ClientRow
from ispclient.ui.context import AppContext, ConnectionBook
from ispclient.ui.models import CLIENT_ID_ROLE, NO_SERVER, SORT_ROLE, ClientFilter, ClientListModel, Column
from ispclient.ui.models.client_filter import fold, row_matches, search_terms
from ispclient.ui.models.client_list import CONNECTION_ROLES, SORT_KEYS
from ispclient.ui.style import CONNECTION_COLOURS
from tests.ui.conftest import Factory

TODAY = date(2026, 1, 15)
STATUSES = [s.value for s in SubscriptionStatus if s is not SubscriptionStatus.CANCELLED] + [NO_SUBSCRIPTION]
NAMES = ["Amina Wanjiru", "José García", "Zoë Müller", "李伟", "محمد العلي", "Søren Jørgensen", "Ngozi Okafor",
         "Priya Sharma", "John Kamau", "JOHN KAMAU", "Łukasz Kowalski", "Nguyễn Đức", "O'Brien Siobhán", "Ana"]
PHONES = ["+254712345678", "+254722000111", "+2348031234567", "+918123456789", "+12015550123", "+8613812345678",
          "+4915123456789", ""]


def make_rows(n: int, seed: int = 1) -> list[ClientRow]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        status = rng.choice(STATUSES)
        end = None if status == NO_SUBSCRIPTION else TODAY + timedelta(days=rng.randrange(-90, 90))
        server = rng.choice([1, 2, None])
        rows.append(ClientRow(
            id=i, client_code=rng.choice(["C", "c-", "X"]) + str(rng.randrange(1, 200)),
            name=f"{rng.choice(NAMES)} {rng.randrange(100)}" if rng.random() < 0.5 else rng.choice(NAMES),
            phone=rng.choice(PHONES), email=rng.choice(["", f"user{i}@example.com", "zoë@exämple.de"]),
            pppoe_username=f"user{i}" if server else "", server_id=server,
            server_name={1: "North", 2: "Süd", None: ""}[server], package_name=rng.choice(["Home 10", "Biz 50", ""]),
            status=status, starts_on=end - timedelta(days=30) if end else None, ends_on=end,
            balance_minor=rng.choice([0, 0, 150_000, -2_500, 99])))
    return rows


class Source:
    """Rows standing in for the database; tests edit ``rows`` and call refresh_clients."""

    def __init__(self, rows: list[ClientRow]) -> None:
        self.rows = {r.id: r for r in rows}

    def __call__(self, ids: object = None) -> list[ClientRow]:
        if ids is None:
            return list(self.rows.values())
        return [self.rows[i] for i in ids if i in self.rows]  # type: ignore[attr-defined]


class SourcedModel(ClientListModel):
    """The model fed from a :class:`Source` as the window feeds it from background reads."""

    def __init__(self, book: ConnectionBook, source: Source) -> None:
        super().__init__(book)
        self.source = source

    def reload(self) -> None:
        self.install(self.source())

    def refresh_clients(self, ids: list[int]) -> None:
        self.apply_rows(ids, self.source(ids))


@pytest.fixture
def book(qtbot: QtBot) -> ConnectionBook:
    return ConnectionBook()


@pytest.fixture
def source() -> Source:
    return Source(make_rows(400))


@pytest.fixture
def model(qtbot: QtBot, book: ConnectionBook, source: Source) -> ClientListModel:
    m = SourcedModel(book, source)
    m.reload()
    return m


def shown_ids(model: ClientListModel) -> list[int]:
    return [model.data(model.index(r, 0), CLIENT_ID_ROLE) for r in range(model.rowCount())]


def online_results(rows: list[ClientRow], every: int = 2) -> dict[tuple[int, str], ClientConnection]:
    return {(r.server_id, r.pppoe_username): ClientConnection.online("10.0.0.2") if r.id % every else
            ClientConnection.offline() for r in rows if r.server_id is not None}


# -- Qt's model contract ----------------------------------------------------------------------

def test_qtmodeltester_passes_through_filtering_sorting_and_updates(
        qtmodeltester: ModelTester, book: ConnectionBook) -> None:
    source = Source(make_rows(60))  # the Python tester walks every row on every change
    model = SourcedModel(book, source)
    model.reload()
    qtmodeltester.check(model, force_py=True)
    model.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    model.set_filter(ClientFilter(search="a"))
    book.update(online_results(list(source.rows.values())))
    model.set_filter(ClientFilter(search="a", connection=ConnectionState.ONLINE))
    book.update(online_results(list(source.rows.values()), every=3))  # re-filters incrementally
    source.rows.pop(5)
    source.rows[401] = ClientRow(401, "C401", "Aaron New", "", "", "new401", 1, "North", "", NO_SUBSCRIPTION,
                                 None, None)
    model.refresh_clients([5, 401, 7])
    model.sort(Column.CONNECTION)
    model.set_filter(ClientFilter())
    qtmodeltester.check(model, force_py=True)


def test_headers_roles_and_connection_cell(model: ClientListModel, book: ConnectionBook, source: Source) -> None:
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == [
        "Client ID", "Name", "Phone", "PPPoE username", "Server", "Package", "Subscription", "End date", "Connection",
        "Balance"]
    row = next(r for r in source.rows.values() if r.server_id and r.phone == "+254712345678")
    book.update({(row.server_id, row.pppoe_username): ClientConnection.online("10.9.8.7", "1d2h", "AA:BB")})
    r = model.row_of_client(row.id)
    assert r is not None
    assert model.data(model.index(r, Column.PHONE)) == "+254 712 345678"
    assert model.data(model.index(r, Column.CONNECTION)) == "Online"
    tip = model.data(model.index(r, Column.CONNECTION), Qt.ItemDataRole.ToolTipRole)
    assert "10.9.8.7" in tip and "1d2h" in tip
    icon = model.data(model.index(r, Column.CONNECTION), Qt.ItemDataRole.DecorationRole)
    assert icon.pixmap(12, 12).toImage().pixelColor(6, 6).name() == CONNECTION_COLOURS[ConnectionState.ONLINE]
    assert model.data(model.index(r, Column.NAME), CLIENT_ID_ROLE) == row.id
    assert model.data(model.index(r, Column.END_DATE)) == (f"{row.ends_on:%d %b %Y}" if row.ends_on else "")


# -- search ---------------------------------------------------------------------------------

QUERIES = ["", "a", "am", "amina", "JOSÉ", "jose", "garcia", "müller", "muller", "李", "محمد", "søren", "soren",
           "0712", "+254 712", "254712", "0712 345 678", "712-345", "2015550123", "(201) 555-0123", "c1", "C-1",
           "user1", "user1@", "example.com", "zoe@", "kamau john", "john   kamau", "x", "nguyen duc", "o'brien",
           "1", "  ", "zzz-not-there", "lukasz", "ł"]


def test_fast_search_finds_exactly_what_a_plain_scan_finds(model: ClientListModel, source: Source) -> None:
    rows = sorted(source.rows.values(), key=lambda r: r.id)
    for query in QUERIES:  # typed one letter at a time, so the incremental path runs too
        for end in range(len(query) + 1):
            flt = ClientFilter(search=query[:end])
            model.set_filter(flt)
            expected = {r.id for r in rows if row_matches(r, ConnectionState.UNKNOWN, flt)}
            assert set(shown_ids(model)) == expected, query[:end]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="aAéEjoseüÜlł0127+ -@.c李", max_size=6), min_size=1, max_size=5))
def test_search_agrees_with_plain_scan_for_any_typing(model: ClientListModel, source: Source,
                                                      typed: list[str]) -> None:
    for text in typed:
        flt = ClientFilter(search=text)
        model.set_filter(flt)
        expected = {r.id for r in source.rows.values() if row_matches(r, ConnectionState.UNKNOWN, flt)}
        assert set(shown_ids(model)) == expected


def test_phone_numbers_are_found_the_way_people_type_them(model: ClientListModel, source: Source) -> None:
    kenyans = {r.id for r in source.rows.values() if r.phone == "+254712345678"}
    for typed in ("0712345678", "0712 345 678", "+254 712 345678", "254712345678", "712345"):
        model.set_filter(ClientFilter(search=typed))
        assert kenyans <= set(shown_ids(model)), typed
    assert search_terms("+254 (712) 345-678") == ("254712345678",)
    assert fold("José MÜLLER Łódź") == "jose muller lodz"


def test_filters_by_status_server_and_connection(model: ClientListModel, book: ConnectionBook,
                                                 source: Source) -> None:
    rows = list(source.rows.values())
    book.update(online_results(rows))
    for status in STATUSES:
        model.set_filter(ClientFilter(status=status))
        assert set(shown_ids(model)) == {r.id for r in rows if r.status == status}
    model.set_filter(ClientFilter(server_id=2))
    assert set(shown_ids(model)) == {r.id for r in rows if r.server_id == 2}
    model.set_filter(ClientFilter(server_id=NO_SERVER))
    assert set(shown_ids(model)) == {r.id for r in rows if r.server_id is None}
    model.set_filter(ClientFilter(connection=ConnectionState.UNKNOWN))
    assert set(shown_ids(model)) == {r.id for r in rows if r.server_id is None}
    model.set_filter(ClientFilter(search="user", status=SubscriptionStatus.ACTIVE.value,
                                  connection=ConnectionState.ONLINE))
    assert set(shown_ids(model)) == {r.id for r in rows if r.status == "Active" and r.server_id and r.id % 2}


# -- sort -------------------------------------------------------------------------------------

@pytest.mark.parametrize("column", list(Column))
def test_sort_matches_pythons_sorted_of_the_same_keys(model: ClientListModel, book: ConnectionBook,
                                                      source: Source, column: Column) -> None:
    rows = sorted(source.rows.values(), key=lambda r: r.id)  # the load order breaks the last ties
    book.update(online_results(rows))
    conn = {r.id: book.get(r.server_id, r.pppoe_username) for r in rows}

    def key(r: ClientRow) -> tuple[object, str, int]:
        return SORT_KEYS[column](r, conn[r.id].state), fold(r.name), r.id

    expected = [r.id for r in sorted(rows, key=key)]
    model.sort(column, Qt.SortOrder.AscendingOrder)
    assert shown_ids(model) == expected
    assert [model.data(model.index(i, column), SORT_ROLE) for i in range(3)] == \
        [key(source.rows[i])[0] for i in expected[:3]]
    model.sort(column, Qt.SortOrder.DescendingOrder)
    assert shown_ids(model) == expected[::-1]
    model.set_filter(ClientFilter(search="a"))  # sorting holds for a filtered list too
    assert shown_ids(model) == [i for i in expected[::-1]
                                if row_matches(source.rows[i], conn[i].state, ClientFilter(search="a"))]


def test_client_ids_sort_naturally(qtbot: QtBot, book: ConnectionBook) -> None:
    codes = ["C10", "C9", "C100", "c2", "B7"]
    rows = [ClientRow(i, code, f"N{i}", "", "", "", None, "", "", NO_SUBSCRIPTION, None, None)
            for i, code in enumerate(codes, 1)]
    m = SourcedModel(book, Source(rows))
    m.reload()
    m.sort(Column.CLIENT_ID)
    assert [m.data(m.index(r, Column.CLIENT_ID)) for r in range(5)] == ["B7", "c2", "C9", "C10", "C100"]


def test_sort_keeps_the_selected_client_selected(model: ClientListModel) -> None:
    persistent = model.index(10, Column.NAME)
    from PySide6.QtCore import QPersistentModelIndex

    keep = QPersistentModelIndex(persistent)
    client = model.data(persistent, CLIENT_ID_ROLE)
    model.sort(Column.PHONE, Qt.SortOrder.DescendingOrder)
    assert keep.isValid() and model.data(model.index(keep.row(), 0), CLIENT_ID_ROLE) == client


# -- live updates -----------------------------------------------------------------------------

def test_status_update_changes_only_the_rows_that_changed(model: ClientListModel, book: ConnectionBook,
                                                          source: Source) -> None:
    model.sort(Column.NAME)
    rows = [r for r in source.rows.values() if r.server_id]
    changes: list[tuple[int, int, int, int, list[int]]] = []
    model.dataChanged.connect(lambda a, b, roles: changes.append((a.row(), b.row(), a.column(), b.column(),
                                                                  list(roles))))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.layoutChanged.connect(lambda: resets.append(True))
    picked = rows[:3]
    book.update({(r.server_id, r.pppoe_username): ClientConnection.online() for r in picked})
    expected_rows = sorted(model.row_of_client(r.id) for r in picked)
    changed_rows = sorted(row for first, last, *_ in changes for row in range(first, last + 1))
    assert changed_rows == expected_rows
    assert all(c[2] == c[3] == Column.CONNECTION and c[4] == CONNECTION_ROLES for c in changes)
    assert not resets
    changes.clear()
    book.update({(r.server_id, r.pppoe_username): ClientConnection.online() for r in picked})  # no news
    assert changes == []
    # Neighbouring rows coalesce into one range.
    first = model.data(model.index(0, 0), CLIENT_ID_ROLE)
    neighbours = [source.rows[model.data(model.index(i, 0), CLIENT_ID_ROLE)] for i in range(0, 6)]
    neighbours = [r for r in neighbours if r.server_id and r.id != first]
    changes.clear()
    book.update({(r.server_id, r.pppoe_username): ClientConnection.offline() for r in neighbours})
    assert len(changes) <= len(neighbours)


def test_a_connection_filter_follows_status_updates(model: ClientListModel, book: ConnectionBook,
                                                    source: Source) -> None:
    rows = [r for r in source.rows.values() if r.server_id]
    book.update(online_results(rows))
    model.set_filter(ClientFilter(connection=ConnectionState.OFFLINE))
    before = set(shown_ids(model))
    flipped = next(r for r in rows if r.id in before)
    book.update({(flipped.server_id, flipped.pppoe_username): ClientConnection.online()})
    assert set(shown_ids(model)) == before - {flipped.id}


def test_refresh_clients_updates_adds_and_removes_only_those(
        model: ClientListModel, source: Source, book: ConnectionBook) -> None:
    model.sort(Column.NAME)
    removed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    gone = source.rows.pop(3)
    row_before = model.row_of_client(gone.id)
    source.rows[999] = ClientRow(999, "C999", "Aaaa First", "", "", "", None, "", "", NO_SUBSCRIPTION, None, None)
    edited = source.rows[4]
    source.rows[4] = ClientRow(edited.id, edited.client_code, "Zzz Renamed", edited.phone, edited.email,
                               edited.pppoe_username, edited.server_id, edited.server_name, edited.package_name,
                               edited.status, edited.starts_on, edited.ends_on)
    total = model.rowCount()
    model.refresh_clients([3, 999, 4])
    assert removed == [(row_before, row_before)]
    assert inserted == [(0, 0)]  # "Aaaa First" sorts first
    assert model.rowCount() == total
    assert model.row_of_client(3) is None
    assert model.data(model.index(model.row_of_client(4), Column.NAME)) == "Zzz Renamed"
    assert model.row_of_client(4) == model.rowCount() - 1 or fold(
        model.data(model.index(model.rowCount() - 1, Column.NAME))) >= "zzz renamed"
    assert model.counts().total == len(source.rows)
    for column in (Column.PHONE, Column.NAME):  # cached orders were patched, not redone: still right
        model.sort(column, Qt.SortOrder.DescendingOrder)
        source.rows[7] = ClientRow(7, "C7", "Mid Dle", "+254700000007", "", "", None, "", "", "Active", None, None)
        model.refresh_clients([7])
        fresh = SourcedModel(book, source)
        fresh.reload()
        fresh.sort(column, Qt.SortOrder.DescendingOrder)
        assert model.visible_client_ids() == fresh.visible_client_ids()
        assert model.counts() == fresh.counts()


def test_counts(model: ClientListModel, book: ConnectionBook, source: Source) -> None:
    rows = list(source.rows.values())
    book.update(online_results(rows))
    model.set_filter(ClientFilter(search="user1"))
    c = model.counts()
    with_server = [r for r in rows if r.server_id]
    assert c.total == len(rows)
    assert c.shown == model.rowCount()
    assert c.online == sum(1 for r in with_server if r.id % 2)
    assert c.offline == sum(1 for r in with_server if not r.id % 2)
    assert c.unknown == len(rows) - len(with_server)
    assert c.expiring == sum(1 for r in rows if r.status == SubscriptionStatus.EXPIRING)


# -- against the database ---------------------------------------------------------------------

def test_loads_from_the_database(ctx: AppContext, make: Factory) -> None:
    store_settings.save(replace(store_settings.load(), default_country="KE", currency="KES"))
    srv = make.server("North")
    pkg = make.package()
    amina = make.client("Amina Wanjiru", phone="0712 345678", server_id=srv, pppoe_username="amina")
    make.subscription(amina, pkg, date(2026, 1, 10), paid="1500")
    make.client("Brian Otieno")
    m = ClientListModel(ctx.connections)
    m.set_currency("KES")
    m.install(queries.client_rows(TODAY, 7))
    m.sort(Column.NAME)
    assert [m.data(m.index(0, c)) for c in Column] == [
        "C00001", "Amina Wanjiru", "+254 712 345678", "amina", "North", "Home 10 Mbps", "Active", "09 Feb 2026",
        "Unknown", ""]  # paid in full: nothing owed
    assert m.data(m.index(1, Column.SUBSCRIPTION)) == NO_SUBSCRIPTION
    assert m.data(m.index(1, Column.CONNECTION), Qt.ItemDataRole.ToolTipRole).startswith("Unknown — no server")
    assert m.rowCount(m.index(0, 0)) == 0 and m.columnCount(QModelIndex()) == len(Column)


def test_a_big_status_update_is_applied_in_slices(qtbot: QtBot, book: ConnectionBook) -> None:
    from ispclient.ui.models.client_list import STATUS_SLICE

    n = STATUS_SLICE * 2 + 10
    rows = [ClientRow(i, f"C{i}", f"N{i}", "", "", f"u{i}", 1, "R", "", NO_SUBSCRIPTION, None, None)
            for i in range(1, n + 1)]
    m = SourcedModel(book, Source(rows))
    m.reload()
    slices: list[int] = []
    m.dataChanged.connect(lambda a, b, _r: slices.append(b.row() - a.row() + 1))
    book.update({(1, r.pppoe_username): ClientConnection.online() for r in rows})
    assert m.updating_connections  # applied between events, a slice at a time
    with qtbot.waitSignal(m.connections_applied, timeout=5000):
        pass
    assert m.counts().online == n and not m.updating_connections
    assert len(slices) == 3  # one repaint per slice
    assert all(m.data(m.index(r, Column.CONNECTION)) == "Online" for r in range(0, n, 997))


@pytest.mark.parametrize("ahead", [False, True], ids=["looked-up-here", "looked-up-ahead"])
def test_whole_router_answers_show_as_a_fresh_load_would(qtbot: QtBot, book: ConnectionBook, ahead: bool) -> None:
    """A router's answer is applied whole the first time and as differences afterwards (and
    after a failure); the list must always read as if loaded from the book afresh. ``ahead``: each
    answer goes through the book's preparers first, as the status checker's thread does (the
    list looks its usernames up there), and once a client changes between the two."""
    from ispclient.domain.connection import RouterStatuses, UnknownReason, session_fields
    from ispclient.listing.connections import Resolved

    source = Source(make_rows(300))
    m = SourcedModel(book, source)
    m.reload()
    m.set_filter(ClientFilter(connection=ConnectionState.ONLINE))
    rng = random.Random(5)
    offline = ClientConnection.offline()
    never = ClientConnection.offline(never_connected=True)
    fresh: SourcedModel | None = None

    def arrive(statuses: RouterStatuses, server: int, turn: int) -> None:
        if ahead:
            book.prepare(statuses)  # every list reading the book looks it up (m, and the fresh ones)
            lists = [r.index() for r in statuses.prepared]  # type: ignore[attr-defined]
            assert m.list_index in lists and (fresh is None or fresh.list_index in lists)
            if turn == 0 and server == 1:  # a client moves to this router meanwhile: the lookups are stale
                moved = next(r for r in source.rows.values() if r.server_id == 2 and r.pppoe_username)
                source.rows[moved.id] = moved._replace(server_id=1, pppoe_username="moved-here")
                resolved = next(r for r in statuses.prepared if r.index() is m.list_index)  # type: ignore[attr-defined]
                assert isinstance(resolved, Resolved) and resolved.fits(m.list_index, None)  # type: ignore[arg-type]
                m.refresh_clients([moved.id])
                assert not resolved.fits(m.list_index, None)  # type: ignore[arg-type]
        index = m.list_index
        lookups: list[int] = []
        real = index.user_slots
        index.user_slots = lambda *a: lookups.append(1) or real(*a)  # type: ignore[method-assign, func-returns-value]
        try:
            book.update(statuses)
        finally:
            del index.user_slots  # type: ignore[method-assign]
        assert not [r for r in statuses.prepared if r.index() is m.list_index]  # type: ignore[attr-defined]
        # (used, or found stale, and let go: the book keeps no slots of m's)
        if ahead and turn > 0:  # the GUI thread looked nothing up: whole answers and differences came ready
            assert not lookups

    for turn in range(6):
        for server in (1, 2):
            names = [r.pppoe_username for r in source.rows.values() if r.server_id == server and r.pppoe_username]
            if turn == 3 and server == 2:
                arrive(RouterStatuses.failed(server, names, ClientConnection.unknown(UnknownReason.TIMED_OUT)),
                       server, turn)
                continue
            online = {n: session_fields("10.0.0.1", "1h", "") for n in names if rng.random() < 0.5}
            arrive(RouterStatuses(server, online, {n: rng.choice([offline, never]) for n in names
                                                   if n not in online}), server, turn)
        if turn == 4:  # a client window's own lookup lands between two refreshes
            row = next(r for r in source.rows.values() if r.server_id == 1)
            book.update({(1, row.pppoe_username): ClientConnection.online("10.9.9.9")})
        fresh = SourcedModel(book, source)
        fresh.reload()
        fresh.set_filter(ClientFilter(connection=ConnectionState.ONLINE))
        assert m.counts() == fresh.counts()
        assert m.visible_client_ids() == fresh.visible_client_ids()
        m.set_filter(ClientFilter())
        assert all(m.data(m.index(r, Column.CONNECTION)) ==
                   book.get(source.rows[i].server_id, source.rows[i].pppoe_username).state.label
                   for r, i in enumerate(m.visible_client_ids()))
        m.set_filter(ClientFilter(connection=ConnectionState.ONLINE))


def test_the_balance_column_writes_money_in_the_installations_currency(qtbot: QtBot, book: ConnectionBook) -> None:
    rows = [ClientRow(1, "C1", "Owes", "", "", "", None, "", "", NO_SUBSCRIPTION, None, None, 150_050),
            ClientRow(2, "C2", "Paid ahead", "", "", "", None, "", "", NO_SUBSCRIPTION, None, None, -2_500),
            ClientRow(3, "C3", "Square", "", "", "", None, "", "", NO_SUBSCRIPTION, None, None, 0)]
    m = SourcedModel(book, Source(rows))
    m.set_currency("KES")
    m.reload()
    m.sort(Column.BALANCE, Qt.SortOrder.DescendingOrder)
    cells = [m.data(m.index(r, Column.BALANCE)) for r in range(3)]
    assert cells == ["KES 1,500.50", "", "KES -25.00"]
    assert m.data(m.index(0, Column.BALANCE), Qt.ItemDataRole.ForegroundRole) is not None  # owes: stands out
    assert m.data(m.index(2, Column.BALANCE), Qt.ItemDataRole.ForegroundRole) is None
    assert m.data(m.index(0, Column.BALANCE), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    m.set_currency("UGX")  # no minor units: the amounts are written again
    assert m.data(m.index(0, Column.BALANCE)) == "UGX 150,050"
    m.set_filter(ClientFilter(owes=True))
    assert m.visible_client_ids() == [1] and m.counts().owing == 1
