"""A router's answer crosses from the status helper process to the app pickled: as a few joined
strings (unpickled in slices, never one long hold of the GIL), equal to what was sent."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispclient.domain import connection
from ispclient.domain.connection import ClientConnection, ConnectionState, RouterStatuses, UnknownReason, session_fields

KINDS = [ClientConnection.offline(never_connected=True), ClientConnection.offline(),
         ClientConnection.unknown(UnknownReason.TIMED_OUT, "late")]
names = st.text(alphabet="abé0_.\x1f", max_size=5)


def _same(a: RouterStatuses, b: RouterStatuses) -> None:
    assert (a.server_id, a.checked_at, a.online, a.others) == (b.server_id, b.checked_at, b.online, b.others)
    assert list(a.online) == list(b.online)
    assert b.others_state() == RouterStatuses(a.server_id, a.online, a.others).others_state()  # as worked out here
    # the others still share one object per kind (a refresh names 100,000 of them)
    assert len({id(c) for c in b.others.values()}) == len({id(c) for c in a.others.values()})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(online=st.dictionaries(names, st.tuples(names, names, names)),
       others=st.dictionaries(names, st.sampled_from(KINDS)))
def test_an_answer_survives_pickling(monkeypatch: pytest.MonkeyPatch, online: dict[str, tuple[str, str, str]],
                                     others: dict[str, ClientConnection]) -> None:
    monkeypatch.setattr(connection, "_SLICE", 2)  # rebuilt a few names at a time
    monkeypatch.setattr(connection, "_SPLIT_CHARS", 3)  # split a few characters at a time (cut anywhere)
    others = {k: v for k, v in others.items() if k not in online}
    sent = RouterStatuses(4, {k: session_fields(*v) for k, v in online.items()}, others,
                          connection.now_utc())
    _same(sent, pickle.loads(pickle.dumps(sent)))


def test_a_big_answer_goes_as_joined_strings() -> None:
    online = {f"client{i}": session_fields(f"10.0.{i // 256}.{i % 256}", "1h", "") for i in range(0, 30_000, 3)}
    others = {f"client{i}": KINDS[i % 2] for i in range(30_000) if f"client{i}" not in online}
    sent = RouterStatuses(2, online, others)
    state = sent.__getstate__()
    assert state[0] == "joined" and all(isinstance(x, str) for x in state[4:6])  # no dict of 30,000 names
    back = pickle.loads(pickle.dumps(sent))
    _same(sent, back)
    assert back[(2, "client3")].state is ConnectionState.ONLINE and back[(2, "client3")].address == "10.0.0.3"
    assert back.others_state() is ConnectionState.OFFLINE  # two kinds of offline, one state


@settings(max_examples=100, deadline=None)
@given(usernames=st.lists(names, max_size=8).map(tuple))
def test_a_batch_survives_pickling(usernames: tuple[str, ...]) -> None:
    from ispclient.routeros.status import RouterBatch

    batch = RouterBatch(3, None, usernames, UnknownReason.NO_CREDENTIALS, "no password")
    assert pickle.loads(pickle.dumps(batch)) == batch


def test_a_big_batch_goes_as_one_joined_string() -> None:
    from ispclient.routeros.status import RouterBatch

    batch = RouterBatch(3, None, tuple(f"client{i}" for i in range(20_000)), UnknownReason.NO_CREDENTIALS)
    count, joined = batch.__getstate__()["usernames"]
    assert count == 20_000 and isinstance(joined, str)
    back = pickle.loads(pickle.dumps(batch))
    assert back == batch and back.usernames[-1] == "client19999"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="ab\x1f,", max_size=40), stretch=st.integers(1, 6), sep=st.sampled_from(["\x1f", ","]))
def test_a_split_in_stretches_is_the_whole_split(monkeypatch: pytest.MonkeyPatch, text: str, stretch: int,
                                                 sep: str) -> None:
    """The usernames of a router (one joined text from the database) split a stretch at a time,
    whatever the stretch: cut inside a name, at a separator, or with empty names around it."""
    monkeypatch.setattr(connection, "_SPLIT_CHARS", stretch)
    assert connection.split_in_stretches(text, sep) == text.split(sep)
