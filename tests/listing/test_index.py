"""The client list's index against the obvious definitions: for random rows, queries, filters,
statuses and changes, the rows shown (and their order) are exactly what a plain Python scan and
``sorted()`` give (``listing.search.row_matches``, ``listing.keys.sorted_rows``). No Qt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispclient.domain.connection import ClientConnection, ConnectionState, RouterStatuses, UnknownReason, session_fields
from ispclient.domain.subscriptions import NO_SUBSCRIPTION, SubscriptionStatus
from ispclient.listing import columns
from ispclient.listing import connections as conn
from ispclient.listing import search as search_module
from ispclient.listing.build import from_rows
from ispclient.listing.index import ClientIndex
from ispclient.listing.keys import Column, natural, sorted_rows
from ispclient.listing.search import NO_SERVER, ClientFilter, fold, fold_joined, row_matches
from ispclient.store.queries import ClientRow

TODAY = date(2026, 1, 15)
STATUSES = [s.value for s in SubscriptionStatus if s is not SubscriptionStatus.CANCELLED] + [NO_SUBSCRIPTION]
# Letters that fold (case, accents, ß → ss, ǅ → dž, a stroke), other scripts, digits and the
# punctuation of e-mails and phone numbers: where a fast path and the plain rule could part.
LETTERS = "aAbcCéÉeoOüÜuUlłŁsSøØßǅ李ı'"
TYPED = LETTERS + "0127+-@. "
SERVERS = {1: "North", 2: "süd", 3: "North"}  # two routers of the same name

texts = st.text(alphabet=LETTERS + "0127 .", min_size=0, max_size=10)
codes = st.one_of(st.from_regex(r"[A-Za-z]{0,2}[0-9]{1,14}", fullmatch=True), st.text(alphabet="Cc-19é ", max_size=6))
phones = st.one_of(st.just(""), st.from_regex(r"\+[1-9][0-9]{2,12}", fullmatch=True),
                   st.text(alphabet="+0127 -()", max_size=8))
days = st.one_of(st.none(), st.integers(-90, 90).map(lambda d: TODAY + timedelta(days=d)))


@st.composite
def client_rows(draw: st.DrawFn, client_id: int) -> ClientRow:
    server = draw(st.sampled_from([None, 1, 2, 3]))
    user = draw(st.text(alphabet="abcAB0129._é", max_size=6))
    user = f"{user}{client_id}" if server is not None else draw(st.sampled_from(["", user]))
    status = draw(st.sampled_from(STATUSES))
    end = None if status == NO_SUBSCRIPTION else draw(days)
    return ClientRow(client_id, draw(codes), draw(texts), draw(phones), draw(texts), user, server,
                     SERVERS[server] if server is not None else "",
                     draw(st.sampled_from(["", "Home 10", "home 10", "Biz 50", "Zoë"])), status,
                     end - timedelta(days=30) if end else None, end, draw(st.integers(-10**7, 10**7) | st.just(0)))


@st.composite
def row_lists(draw: st.DrawFn, max_size: int = 30) -> list[ClientRow]:
    ids = draw(st.lists(st.integers(1, 10**6), min_size=0, max_size=max_size, unique=True))
    return [draw(client_rows(i)) for i in ids]


filters = st.builds(
    ClientFilter, search=st.text(alphabet=TYPED, max_size=6),
    status=st.none() | st.sampled_from(STATUSES), server_id=st.none() | st.sampled_from([1, 2, NO_SERVER]),
    connection=st.none() | st.sampled_from(list(ConnectionState)), owes=st.booleans(),
    ended_since=st.none() | st.integers(-60, 60).map(lambda d: TODAY + timedelta(days=d)))
states = st.dictionaries(st.integers(0, 40), st.sampled_from(list(ConnectionState)))


def set_states(index: ClientIndex, rows: list[ClientRow], chosen: dict[int, ConnectionState]
               ) -> dict[int, ConnectionState]:
    """Give some rows a status through the index's own path; each row's state, as the book says."""
    book: dict[tuple[int, str], ConnectionState] = {}
    for n, r in enumerate(rows):
        if n in chosen and r.server_id is not None and r.pppoe_username:
            book[(r.server_id, r.pppoe_username)] = chosen[n]
    conn.apply_keys(index, list(book), lambda s, u: book.get((s, u), ConnectionState.UNKNOWN))
    return {r.id: book.get((r.server_id, r.pppoe_username), ConnectionState.UNKNOWN)  # type: ignore[arg-type]
            for r in rows}


def expected(rows: list[ClientRow], flt: ClientFilter, state: dict[int, ConnectionState],
             column: Column = Column.NAME, descending: bool = False) -> list[int]:
    ordered = sorted_rows(rows, column, lambda r: state[r.id], descending)
    return [r.id for r in ordered if row_matches(r, state[r.id], flt)]


@pytest.fixture(params=["wide", "narrow"])
def widths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """As built, and with fields cut at a few bytes: then most values are kept whole aside
    (``Field.long``), and every search and sort must read them there."""
    if request.param == "narrow":
        monkeypatch.setattr(columns, "WIDE", 2)
        monkeypatch.setattr(columns, "WIDEST", 3)
        monkeypatch.setattr(np, "percentile", lambda a, q: 0)
    yield request.param


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- search and filters ---------------------------------------------------------------------------

@pytest.fixture(params=["as-set", "candidates-alone"])
def few(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """As set (a few dozen rows: whole columns, as a rule), and with every refining keystroke
    comparing only the last hits' rows (what a million clients do after a letter or two)."""
    if request.param == "candidates-alone":
        from ispclient.listing import index as index_module

        monkeypatch.setattr(index_module, "FEW", 1)  # any fewer than all
    yield request.param


@SETTINGS
@given(rows=row_lists(), typed=st.lists(st.text(alphabet=TYPED, max_size=6), max_size=4), flt=filters,
       chosen=states)
def test_search_and_filters_show_exactly_the_matching_rows(widths: str, few: str, rows: list[ClientRow],
                                                            typed: list[str], flt: ClientFilter,
                                                            chosen: dict[int, ConnectionState]) -> None:
    index = from_rows(rows, chunk_rows=7)
    index.sort(Column.NAME)
    state = set_states(index, rows, chosen)
    for text in typed:
        for end in range(len(text) + 1):  # typed a letter at a time: the refining path runs too
            now = ClientFilter(text[:end], flt.status, flt.server_id, flt.connection, flt.owes, flt.ended_since)
            index.set_filter(now)
            assert index.visible_client_ids() == expected(rows, now, state), now
    index.set_filter(flt)
    assert index.visible_client_ids() == expected(rows, flt, state)
    counts = index.counts()
    assert counts.total == len(rows) and counts.shown == len(expected(rows, flt, state))
    assert (counts.online, counts.offline, counts.unknown) == tuple(
        sum(1 for s in state.values() if s is want) for want in ConnectionState)
    assert counts.owing == sum(1 for r in rows if r.balance_minor > 0)
    assert counts.expiring == sum(1 for r in rows if r.status == SubscriptionStatus.EXPIRING)


def test_phone_numbers_are_found_the_way_people_type_them() -> None:
    rows = [ClientRow(1, "C1", "Amina", "+254712345678", "", "", None, "", "", NO_SUBSCRIPTION, None, None),
            ClientRow(2, "C2", "Brian", "+12015550123", "", "", None, "", "", NO_SUBSCRIPTION, None, None)]
    index = from_rows(rows)
    for typed in ("0712345678", "0712 345 678", "+254 712 345678", "254712345678", "712345", "(201) 555-0123"):
        index.set_filter(ClientFilter(typed))
        assert len(index.visible_client_ids()) == 1, typed


# -- sorting ----------------------------------------------------------------------------------------

@SETTINGS
@given(rows=row_lists(), column=st.sampled_from(list(Column)), descending=st.booleans(), flt=filters,
       chosen=states)
def test_every_sort_is_pythons_sorted_of_the_plain_keys(widths: str, rows: list[ClientRow], column: Column,
                                                        descending: bool, flt: ClientFilter,
                                                        chosen: dict[int, ConnectionState]) -> None:
    index = from_rows(rows, chunk_rows=5)
    state = set_states(index, rows, chosen)
    index.sort(column, descending)
    assert index.visible_client_ids() == expected(rows, ClientFilter(), state, column, descending)
    index.set_filter(flt)  # a filtered list keeps the order
    assert index.visible_client_ids() == expected(rows, flt, state, column, descending)


def test_client_ids_sort_naturally() -> None:
    codes = ["C10", "C9", "C100", "c2", "B7", "c009"]
    rows = [ClientRow(i, code, f"N{i}", "", "", "", None, "", "", NO_SUBSCRIPTION, None, None)
            for i, code in enumerate(codes, 1)]
    index = from_rows(rows)
    index.sort(Column.CLIENT_ID)
    assert [index.row(s).client_code for s in index.visible] == ["B7", "c2", "C9", "c009", "C10", "C100"]


# -- changes --------------------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), column=st.sampled_from(list(Column)), descending=st.booleans(), flt=filters)
def test_changed_rows_leave_the_index_as_a_fresh_build_would(widths: str, data: st.DataObject, column: Column,
                                                              descending: bool, flt: ClientFilter) -> None:
    rows = data.draw(row_lists())
    index = from_rows(rows, chunk_rows=4)
    for each in Column:
        index.ascending(each)  # cached orders are patched, not thrown away
    index.sort(column, descending)
    index.set_filter(flt)
    current = {r.id: r for r in rows}
    for _ in range(data.draw(st.integers(1, 3))):
        ids = list(current)
        gone = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3)) if ids else []
        edited = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3)) if ids else []
        new = data.draw(st.lists(st.integers(1, 2 * 10**6), unique=True, max_size=3))
        fresh = [data.draw(client_rows(i)) for i in dict.fromkeys([*edited, *new]) if i not in gone]
        for i in gone:
            current.pop(i, None)
        current.update((r.id, r) for r in fresh)
        index.apply([*gone, *edited, *new], fresh)
        again = from_rows(list(current.values()))
        again.sort(column, descending)
        again.set_filter(flt)
        assert index.visible_client_ids() == again.visible_client_ids()
        assert index.counts() == again.counts()
        assert all(index.row(index.slot_of(i)) == r for i, r in current.items())  # type: ignore[arg-type]
        state = {i: ConnectionState.UNKNOWN for i in current}
        assert index.visible_client_ids() == expected(list(current.values()), flt, state, column, descending)


@SETTINGS
@given(data=st.data(), first=st.sampled_from([None, *Column]), change=st.sampled_from(["none", "rows", "states"]))
def test_orders_worked_out_in_the_background_are_kept_only_while_true(widths: str, data: st.DataObject,
                                                                       first: Column | None, change: str) -> None:
    """``warmed`` (a background thread, the list shown) works out every order not sorted yet and
    the natural keys; ``adopt`` keeps them unless the rows (or, for the connection order, the
    states) changed since. Either way every order is then the plain one."""
    rows = data.draw(row_lists())
    index = from_rows(rows, chunk_rows=4)
    assert index.c.natural_key is None  # not made while the list is read
    if first is not None:
        index.sort(first)  # the order shown is worked out before, the others in the background
    pauses: list[int] = []
    keys_to_make = index.c.natural_key is None and index.n > 0
    warmed = index.warmed(lambda: pauses.append(1))  # the GUI thread's turns between its steps
    assert set(warmed.orders) | index.sorted_columns() == set(Column)
    assert len(pauses) >= len(set(warmed.orders) - {Column.NAME}) + keys_to_make  # a column, a chunk of keys
    current = {r.id: r for r in rows}
    state = {r.id: ConnectionState.UNKNOWN for r in rows}
    if change == "rows":
        fresh = [data.draw(client_rows(i)) for i in data.draw(st.lists(st.integers(1, 2 * 10**6), unique=True,
                                                                         min_size=1, max_size=3))]
        index.apply([r.id for r in fresh], fresh)
        current.update((r.id, r) for r in fresh)
        state = {i: ConnectionState.UNKNOWN for i in current}
    elif change == "states":
        state = set_states(index, rows, data.draw(states))
    index.adopt(warmed)
    if change == "none":
        assert index.sorted_columns() == set(Column)
    elif change == "rows":
        assert index.sorted_columns() <= ({first} if first is not None else set()) | {Column.NAME}
    for column in Column:
        index.sort(column)
        assert index.visible_client_ids() == expected(list(current.values()), ClientFilter(), state, column)


@SETTINGS
@given(rows=row_lists())
def test_natural_keys_made_from_the_folded_client_ids_are_the_plain_ones(widths: str, monkeypatch: pytest.MonkeyPatch,
                                                                         rows: list[ClientRow]) -> None:
    from ispclient.listing import index as index_module
    from ispclient.listing.index import natural_field
    from ispclient.listing.search import encode

    monkeypatch.setattr(index_module, "NATURAL_CHUNK", 3)  # made a few rows at a time
    index = from_rows(rows, chunk_rows=4)
    field = natural_field(index.c.code_key, index.n)
    assert field.capacity == index.capacity
    assert [field.value(s) for s in range(index.n)] == [encode(natural(index.code(s))) for s in range(index.n)]
    for column in Column:  # only the Client ID column's order needs them: no other click makes them
        if column is not Column.CLIENT_ID:
            index.sort(column)
    assert index.c.natural_key is None
    index.sort(Column.CLIENT_ID)
    assert index.c.natural_key is not None


def test_a_client_back_from_the_dead_keeps_their_slot() -> None:
    rows = [ClientRow(i, f"C{i}", f"N{i}", "", "", f"u{i}", 1, "R", "", NO_SUBSCRIPTION, None, None)
            for i in (1, 2, 3)]
    index = from_rows(rows)
    index.apply([2], [])
    assert index.visible_client_ids() == [1, 3] and index.live_slot(2) is None
    index.apply([2, 0], [rows[1], rows[0]._replace(id=0)])  # undone, and an id below every other
    assert index.visible_client_ids() == [0, 1, 2, 3]
    assert index.slot_of(2) == 1 and index.row(index.slot_of(0)).id == 0  # type: ignore[arg-type]


# -- connection states ----------------------------------------------------------------------------

def test_usernames_are_found_whatever_their_script_or_length() -> None:
    users = ["amina", "josé.k", "chen\u674e", "x\udc80y", "brian"]
    rows = [ClientRow(i, f"C{i}", f"N{i}", "", "", u, 1, "R", "", NO_SUBSCRIPTION, None, None)
            for i, u in enumerate(users, start=1)]
    index = from_rows(rows)
    slot = {u: index.slot_of(i) for i, u in enumerate(users, start=1)}
    assert sorted(index.user_slots(1, ["brian", "amina"]).tolist()) == sorted([slot["brian"], slot["amina"]])
    assert sorted(index.user_slots(1, ["josé.k", "chen\u674e", "x\udc80y"]).tolist()) == sorted(
        [slot["josé.k"], slot["chen\u674e"], slot["x\udc80y"]])
    # Longer than any name kept, or a name's head, or another router's: nobody.
    assert index.user_slots(1, ["amina" * 20, "josé", "jos", "bria"]).tolist() == []
    assert index.user_slots(2, ["amina"]).tolist() == []


@SETTINGS
@given(rows=row_lists(), answers=st.lists(st.tuples(st.sampled_from([1, 2]), st.integers(0, 2 ** 30),
                                                    st.booleans()), min_size=1, max_size=5))
def test_router_answers_leave_each_row_as_the_book_says(rows: list[ClientRow],
                                                         answers: list[tuple[int, int, bool]]) -> None:
    index = from_rows(rows)
    previous: dict[int, RouterStatuses] = {}
    book: dict[int, RouterStatuses] = {}
    for server, seed, failed in answers:
        names = [r.pppoe_username for r in rows if r.server_id == server and r.pppoe_username]
        if failed:
            statuses = RouterStatuses.failed(server, names, ClientConnection.unknown(UnknownReason.TIMED_OUT))
        else:
            online = {n: session_fields("10.0.0.1", "1h", "") for i, n in enumerate(names) if (seed >> i) & 1}
            statuses = RouterStatuses(server, online, {n: ClientConnection.offline() for n in names if n not in online})
        book[server] = statuses
        conn.apply_router(index, statuses, previous.get(server), lambda s, u: ConnectionState.UNKNOWN)
        previous[server] = statuses
        for r in rows:
            want = ConnectionState.UNKNOWN
            if r.server_id in book and r.pppoe_username:
                want = book[r.server_id].state(r.pppoe_username) or ConnectionState.UNKNOWN
            assert index.state(index.slot_of(r.id)) is want  # type: ignore[arg-type]


@SETTINGS
@given(rows=row_lists(), seed=st.integers(0, 2 ** 30), failed=st.booleans(), warm=st.booleans(),
       change=st.none() | st.tuples(st.integers(0, 29), st.sampled_from([1, 2]), st.sampled_from(["", "u1", "zz"])))
def test_an_answer_looked_up_ahead_is_applied_as_one_looked_up_then(
        rows: list[ClientRow], seed: int, failed: bool, warm: bool, change: tuple[int, int, str] | None) -> None:
    """The status checker's thread looks a router's answer up in the index before the GUI thread
    applies it (conn.resolve); a client changed in between makes those lookups stale, and then
    they are not used. Either way the states are what looking the answer up afresh gives."""
    index, reference = from_rows(rows), from_rows(rows)
    if warm:
        index.warm_users()
    names = [r.pppoe_username for r in rows if r.server_id == 1 and r.pppoe_username]
    if failed:
        statuses = RouterStatuses.failed(1, names, ClientConnection.unknown(UnknownReason.TIMED_OUT))
    else:
        online = {n: session_fields("10.0.0.1", "1h", "") for i, n in enumerate(names) if (seed >> i) & 1}
        statuses = RouterStatuses(1, online, {n: ClientConnection.offline() for n in names if n not in online})
    had_table = index.user_table(1)[1]  # warm_users makes the tables of the routers with clients
    resolved = conn.resolve(index, statuses)
    assert resolved is not None and resolved.fits(index, None)
    assert (resolved.table is None) is had_table  # a table made for the lookups only when the index had none
    if change is not None and rows:
        at, server, username = change
        row = rows[at % len(rows)]._replace(server_id=server, pppoe_username=username)
        for i in (index, reference):
            i.apply([row.id], [row])
        assert not resolved.fits(index, None)
    book = lambda s, u: ConnectionState.OFFLINE if u == "u1" else ConnectionState.UNKNOWN  # noqa: E731
    changed = conn.apply_router(index, statuses, None, book, resolved)
    assert changed == conn.apply_router(reference, statuses, None, book)
    assert [index.state(s) for s in range(index.n)] == [reference.state(s) for s in range(reference.n)]
    if change is None and not had_table:
        assert index.user_table(1)[0] is resolved.table  # the table made ahead was kept, not made again


@SETTINGS
@given(rows=row_lists(), seeds=st.tuples(st.integers(0, 2 ** 30), st.integers(0, 2 ** 30)),
       fewer=st.booleans(), stale_before=st.booleans())
def test_differences_looked_up_ahead_are_applied_as_ones_looked_up_then(
        rows: list[ClientRow], seeds: tuple[int, int], fewer: bool, stale_before: bool) -> None:
    """A second answer is applied as its differences from the first; looked up ahead against the
    first, it gives what looking them up then gives — and lookups made against another answer
    (stale_before) are not used."""
    index, reference = from_rows(rows), from_rows(rows)
    names = [r.pppoe_username for r in rows if r.server_id == 1 and r.pppoe_username]

    def answer(seed: int, asked: list[str]) -> RouterStatuses:
        online = {n: session_fields("10.0.0.1", "1h", "") for i, n in enumerate(asked) if (seed >> i) & 1}
        return RouterStatuses(1, online, {n: ClientConnection.offline() for n in asked if n not in online})

    book = lambda s, u: ConnectionState.UNKNOWN  # noqa: E731
    first = answer(seeds[0], names)
    for i in (index, reference):
        conn.apply_router(i, first, None, book)
    second = answer(seeds[1], names[1:] + ["someone-new"] if fewer and names else names)
    against = answer(seeds[0], names) if stale_before else first  # equal, but not the answer applied
    resolved = conn.resolve(index, second, against)
    assert resolved is not None
    changed = conn.apply_router(index, second, first, book, resolved)
    assert changed == conn.apply_router(reference, second, first, book)
    assert [index.state(s) for s in range(index.n)] == [reference.state(s) for s in range(reference.n)]


def test_lookups_made_while_the_rows_change_are_not_kept() -> None:
    rows = [ClientRow(i, f"C{i}", f"N{i}", "", "", f"u{i}", 1, "R", "", NO_SUBSCRIPTION, None, None)
            for i in (1, 2, 3)]
    index = from_rows(rows)
    statuses = RouterStatuses(1, {"u1": session_fields("10.0.0.1", "1h", "")},
                              {"u2": ClientConnection.offline(), "u3": ClientConnection.offline()})
    made = index.user_table

    def changed_meanwhile(server_id: int) -> object:  # the GUI thread changes a client mid-lookup
        table = made(server_id)
        index.apply([2], [rows[1]._replace(pppoe_username="u2-new")])
        return table

    index.user_table = changed_meanwhile  # type: ignore[method-assign]
    assert conn.resolve(index, statuses) is None


# -- the whole-chunk helpers against their per-row rules -------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=20))
def test_folding_a_joined_column_is_joining_the_folded_values(values: list[str]) -> None:
    values = [v.replace(columns.SEP_CHAR, "") for v in values]
    assert fold_joined(columns.SEP_CHAR.join(values)) == columns.SEP_CHAR.join(map(fold, values))


_ACCENTED_CHARS = "".join(sorted(search_module._BASE))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_ACCENTED_CHARS + "aOø ǿßİ\u0301", max_size=8), max_size=20))
def test_folding_a_joined_column_of_accented_letters_is_joining_the_folded_values(values: list[str]) -> None:
    assert fold_joined(columns.SEP_CHAR.join(values)) == columns.SEP_CHAR.join(map(fold, values))


def test_a_letter_whose_base_is_itself_accented_folds_once() -> None:
    """'ǿ' is 'ø' with an acute: folded to 'ø' (then 'o' only where 'ø' stood, as fold does)."""
    for text in ("ǿø", "øǿ", "Ǿø", _ACCENTED_CHARS, _ACCENTED_CHARS[::-1]):
        assert fold_joined(text) == "".join(map(fold, text)) == fold(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(codes | st.text(alphabet="aZ09١٢é-", max_size=6), min_size=1, max_size=30))
def test_natural_keys_of_a_chunk_are_the_plain_ones(values: list[str]) -> None:
    from ispclient.listing import vectorized
    from ispclient.listing.search import encode

    folded = [fold(v) for v in values]
    matrix, lengths = columns.rows_of(encode(columns.SEP_CHAR.join(folded)), len(values))
    keys, key_lengths = vectorized.natural_keys(matrix, lengths, natural)
    assert [keys[i, :key_lengths[i]].tobytes().decode() for i in range(len(values))] == list(map(natural, values))


@settings(max_examples=200, deadline=None)
@given(st.lists(phones, min_size=1, max_size=30))
def test_phone_forms_of_a_chunk_are_the_plain_ones(values: list[str]) -> None:
    from ispclient.listing import vectorized
    from ispclient.listing.search import encode, phone_forms

    matrix, lengths = columns.rows_of(encode(columns.SEP_CHAR.join(values)), len(values))
    (digits, dl), (national, nl) = vectorized.phone_forms(matrix, lengths, phone_forms)
    got = [(digits[i, :dl[i]].tobytes().decode(), national[i, :nl[i]].tobytes().decode()) for i in range(len(values))]
    assert got == list(map(phone_forms, values))


def test_a_value_holding_the_separator_is_refused_by_the_chunk_reader_and_kept_by_the_rows() -> None:
    with pytest.raises(ValueError):
        columns.rows_of(b"a\x1fb", 1)
    odd = ClientRow(1, "C1", "Amina\x1fWanjiru", "", "", "", None, "", "", NO_SUBSCRIPTION, None, None)
    index = from_rows([odd])
    index.set_filter(ClientFilter("wanjiru"))
    assert index.visible_client_ids() == [1]


def test_empty() -> None:
    index = from_rows([])
    for column in Column:
        index.sort(column)
    index.set_filter(ClientFilter("a", owes=True))
    assert index.visible_client_ids() == [] and index.counts().total == 0


@SETTINGS
@given(rows=row_lists(max_size=15), column=st.sampled_from(list(Column)), descending=st.booleans(), flt=filters,
       chosen=states)
def test_the_first_page_shows_what_the_index_shows(rows: list[ClientRow], column: Column, descending: bool,
                                                    flt: ClientFilter, chosen: dict[int, ConnectionState]) -> None:
    """The page shown while the list loads (plain Python, no arrays) answers as the index does."""
    from ispclient.listing.page import PageIndex

    index = from_rows(rows)
    state = set_states(index, rows, chosen)
    page = PageIndex(rows, lambda server, user: next(
        (state[r.id] for r in rows if r.server_id == server and r.pppoe_username == user), ConnectionState.UNKNOWN))
    for each in (index, page):
        each.sort(column, descending)
        each.set_filter(flt)
    assert page.visible_client_ids() == index.visible_client_ids()
    assert page.counts() == index.counts()
    for slot in page.visible:
        other = index.live_slot(page.client_id(slot))
        assert other is not None and page.row(slot) == index.row(other)
        assert page.sort_key(column, slot) == index.sort_key(column, other)


def test_folding_a_joined_column_replaces_every_accented_letter_as_fold_does() -> None:
    """Every letter fold knows (and those around it), joined: the same as folding one by one —
    ǿ becomes ø, not o (one pass, as fold's translate), whatever else the text holds."""
    every = "".join(chr(cp) for cp in range(0x20, 0x2000) if not 0xD800 <= cp < 0xE000)
    values = [every, "ǿø", "Ǿ", "øǿ", "José", "", "ı", "\ud800x"]
    assert fold_joined(columns.SEP_CHAR.join(values)) == columns.SEP_CHAR.join(map(fold, values))


# -- a client window's own check: one row changed, worked out for it alone ------------------------

@SETTINGS
@given(rows=row_lists(), flt=filters,
       changes=st.lists(st.tuples(st.integers(0, 40), st.sampled_from(list(ConnectionState))), max_size=12))
def test_a_few_rows_changing_state_keep_counts_and_rows_right(rows: list[ClientRow], flt: ClientFilter,
                                                              changes: list[tuple[int, ConnectionState]]) -> None:
    """The counts follow a few rows' changes row by row (not counted afresh), and a few slots'
    rows are found without every slot's row worked out: both as counting and ranking say."""
    index = from_rows(rows, chunk_rows=7)
    index.sort(Column.END_DATE)
    index.set_filter(ClientFilter(flt.search, flt.status, flt.server_id, None, flt.owes))
    slots = [index.slot_of(r.id) for r in rows]
    live = [s for s in slots if s is not None]
    index.counts()  # worked out once: from here on they follow each change
    position = {int(s): row for row, s in enumerate(index.visible)}  # (no connection filter: it stays)
    for n, state in changes:
        if n < len(live):
            index.set_states(np.array([live[n], live[n]]), state)  # named twice: the row moves once
        counts = index.counts()
        assert (counts.online, counts.offline, counts.unknown) == tuple(
            sum(1 for s in live if index.state(s) is want) for want in ConnectionState)
        few = live[n % len(live):][:3] if live else []
        assert index.rows_of_slots(few) == sorted(position[s] for s in few if s in position)
    assert index.rows_of_slots(live) == sorted(position[s] for s in live if s in position)  # all: ranked once
