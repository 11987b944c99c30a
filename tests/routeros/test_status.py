"""Online / Offline / never connected / Unknown, and one query per router."""

from __future__ import annotations

import time

import pytest

from ispclient.domain.connection import ClientConnection, ConnectionState, OfflineCause, UnknownReason
from ispclient.routeros.status import (
    NO_SECRET,
    SECRET_DISABLED,
    RouterBatch,
    check_batch,
    check_one,
    fetch_client_status,
    fetch_statuses,
)
from ispclient.routeros.target import RouterTarget
from ispclient.simulator import RouterSim
from tests.routeros.helpers import PASSWORD, target_for


def sent(sim: RouterSim, command: str) -> list[list[str]]:
    return [words for words in sim.commands if words[0] == command]


@pytest.fixture
def clients(sim: RouterSim) -> RouterSim:
    sim.add_secret("alice")
    sim.add_secret("bob", last_logged_out="2025-01-10 08:30:00")
    sim.add_secret("carol")  # never connected
    sim.add_secret("1001", disabled=True, last_logged_out="2025-02-01 00:00:00")
    sim.connect("alice", address="10.0.0.7", caller_id="AA:BB:CC:00:00:07", uptime="1h2m3s")
    sim.commands.clear()
    return sim


def test_batch_sorts_clients_into_online_and_offline(clients: RouterSim, target: RouterTarget) -> None:
    statuses = fetch_statuses(target, ["alice", "bob", "carol", "1001", "dave"])

    alice = statuses["alice"]
    assert (alice.state, alice.address, alice.uptime, alice.caller_id) == (
        ConnectionState.ONLINE, "10.0.0.7", "1h2m3s", "AA:BB:CC:00:00:07")
    assert alice.checked_at is not None and alice.label == "Online"
    assert statuses["bob"].label == "Offline"
    assert statuses["bob"].cause is OfflineCause.CUSTOMER_SIDE
    assert statuses["carol"].label == "Offline — never connected"
    assert statuses["carol"].cause is OfflineCause.NEVER_CONNECTED
    assert statuses["1001"] == ClientConnection.offline(detail=SECRET_DISABLED, checked_at=alice.checked_at,
                                                        cause=OfflineCause.SECRET_DISABLED)
    assert statuses["dave"].detail == NO_SECRET and not statuses["dave"].never_connected
    assert statuses["dave"].cause is OfflineCause.NO_SECRET


def test_batch_asks_each_table_once_with_a_proplist(clients: RouterSim, target: RouterTarget) -> None:
    fetch_statuses(target, ["alice", "bob", "carol", "1001", "dave"])
    assert sent(clients, "/ppp/active/print") == [["/ppp/active/print", "=.proplist=name,address,uptime,caller-id"]]
    assert sent(clients, "/ppp/secret/print") == [
        ["/ppp/secret/print", "=.proplist=name,last-logged-out,disabled"]]


def test_batch_skips_the_secret_query_when_everyone_is_online(clients: RouterSim, target: RouterTarget) -> None:
    assert fetch_statuses(target, ["alice"])["alice"].state is ConnectionState.ONLINE
    assert sent(clients, "/ppp/secret/print") == []


def test_an_empty_batch_does_not_connect(clients: RouterSim, target: RouterTarget) -> None:
    assert fetch_statuses(target, []) == {}
    assert clients.commands == []


def test_a_5000_session_router_is_answered_by_one_active_query(sim: RouterSim, target: RouterTarget) -> None:
    sim.populate(clients=10_000, online_ratio=0.5, seed=7)
    names = [f"client{n:05d}" for n in range(1, 10_001)]
    sim.commands.clear()
    started = time.perf_counter()
    statuses = fetch_statuses(target, names)
    elapsed = time.perf_counter() - started

    assert len(sent(sim, "/ppp/active/print")) == 1
    assert len(sent(sim, "/ppp/secret/print")) == 1
    assert [words[0] for words in sim.commands] == ["/login", "/ppp/active/print", "/ppp/secret/print"]
    online = {name for name, conn in statuses.items() if conn.state is ConnectionState.ONLINE}
    assert online == {row["name"] for row in sim.active()} and len(online) == 5000
    assert all(conn.state is ConnectionState.OFFLINE for name, conn in statuses.items() if name not in online)
    assert elapsed < 3  # ~0.3 s here; generous for slow CI


@pytest.mark.parametrize(("fault", "reason"), [
    ("refuse-login", UnknownReason.LOGIN_REFUSED),
    ("hang", UnknownReason.TIMED_OUT),
    ("close-mid-reply", UnknownReason.CONNECTION_DROPPED),
    ("garbage", UnknownReason.PROTOCOL_ERROR),
])
def test_a_failing_router_makes_every_client_unknown(clients: RouterSim, target: RouterTarget, fault: str,
                                                     reason: UnknownReason) -> None:
    clients.fault = fault  # type: ignore[assignment]
    statuses = fetch_statuses(target, ["alice", "bob"])
    assert {conn.reason for conn in statuses.values()} == {reason}
    assert all(conn.state is ConnectionState.UNKNOWN and conn.detail for conn in statuses.values())
    assert fetch_client_status(target, "alice").reason is reason


def test_a_stopped_router_makes_every_client_unknown(clients: RouterSim, target: RouterTarget) -> None:
    clients.stop()
    statuses = fetch_statuses(target, ["alice", "bob"])
    assert [conn.label for conn in statuses.values()] == ["Unknown — server unreachable"] * 2


def test_single_lookup_online(clients: RouterSim, target: RouterTarget) -> None:
    alice = fetch_client_status(target, "alice")
    assert (alice.state, alice.address) == (ConnectionState.ONLINE, "10.0.0.7")
    assert sent(clients, "/ppp/active/print") == [
        ["/ppp/active/print", "=.proplist=name,address,uptime,caller-id", "?name=alice"]]
    assert sent(clients, "/ppp/secret/print") == []


@pytest.mark.parametrize(("name", "label", "detail"), [
    ("bob", "Offline", ""),
    ("carol", "Offline — never connected", ""),
    ("1001", "Offline", SECRET_DISABLED),
    ("dave", "Offline", NO_SECRET),
])
def test_single_lookup_offline(clients: RouterSim, target: RouterTarget, name: str, label: str,
                               detail: str) -> None:
    conn = fetch_client_status(target, name)
    assert (conn.label, conn.detail) == (label, detail)
    assert sent(clients, "/ppp/secret/print") == [
        ["/ppp/secret/print", "=.proplist=name,last-logged-out,disabled", f"?name={name}"]]


def test_a_client_who_logged_out_is_no_longer_never_connected(clients: RouterSim, target: RouterTarget) -> None:
    clients.connect("carol")
    assert fetch_client_status(target, "carol").state is ConnectionState.ONLINE
    clients.disconnect("carol")
    assert fetch_client_status(target, "carol").label == "Offline"
    assert fetch_statuses(target, ["carol"])["carol"].label == "Offline"


def test_check_batch_keys_by_server_and_username(clients: RouterSim, target: RouterTarget) -> None:
    results = check_batch(RouterBatch(server_id=7, target=target, usernames=("alice", "bob")))
    assert set(results) == {(7, "alice"), (7, "bob")}
    assert check_one(RouterBatch(7, target, ("alice",))).state is ConnectionState.ONLINE


def test_a_batch_without_a_target_answers_with_its_problem() -> None:
    batch = RouterBatch(3, None, ("alice",), UnknownReason.NO_CREDENTIALS, "No password in the keyring.")
    assert check_batch(batch) == {
        (3, "alice"): ClientConnection.unknown(UnknownReason.NO_CREDENTIALS, "No password in the keyring.")}
    assert check_one(batch).label == "Unknown — no API password saved"


def test_a_batch_needs_a_target_or_a_problem(target: RouterTarget) -> None:
    with pytest.raises(ValueError):
        RouterBatch(1, None, ("alice",))
    with pytest.raises(ValueError):
        RouterBatch(1, target, ("alice",), UnknownReason.NO_SERVER)


def test_accented_usernames_on_a_cp1252_router() -> None:
    with RouterSim(users={"admin": PASSWORD}, encoding="cp1252") as router:
        router.add_secret("josé", comment="José Müller")
        router.add_secret("müller")
        router.connect("müller", address="10.9.0.1")
        target = target_for(router, encoding="cp1252")
        batch = fetch_statuses(target, ["josé", "müller"])
        single = fetch_client_status(target, "josé")
        unsendable = fetch_client_status(target, "łukasz")  # no "ł" in cp1252
    assert batch["müller"].address == "10.9.0.1"
    assert batch["josé"].label == single.label == "Offline — never connected"
    assert unsendable.reason is UnknownReason.PROTOCOL_ERROR
    assert "cannot be sent in cp1252" in unsendable.detail


def test_a_routers_answer_is_compact_and_survives_pickling(clients: RouterSim, target: RouterTarget) -> None:
    import pickle

    results = check_batch(RouterBatch(server_id=7, target=target, usernames=("alice", "bob", "carol", "dave")))
    assert list(results.online) == ["alice"] and set(results.others) == {"bob", "carol", "dave"}
    assert results.others_state() is ConnectionState.OFFLINE
    assert results[(7, "alice")] is results[(7, "alice")]  # made on demand, once
    assert (7, "bob") in results and (8, "bob") not in results and (7, "zed") not in results
    copy = pickle.loads(pickle.dumps(results))
    assert copy == results and dict(copy) == dict(results)
    assert copy[(7, "alice")].address == "10.0.0.7"
