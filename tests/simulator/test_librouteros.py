"""The simulator driven by librouteros, the client library the application uses."""

from __future__ import annotations

import time
from collections.abc import Iterator

import librouteros
import pytest
from librouteros.exceptions import FatalError, TrapError
from librouteros.query import And, Key, Or

from ispclient.simulator import RouterSim

from .raw import RawClient, attrs

NAME, DISABLED, ADDRESS = Key("name"), Key("disabled"), Key("address")


def connect(sim: RouterSim, password: str = "secret", **kwargs: object) -> librouteros.Api:
    return librouteros.connect("127.0.0.1", "admin", password, port=sim.port, timeout=5, encoding="utf-8", **kwargs)


@pytest.fixture
def api(sim: RouterSim) -> Iterator[librouteros.Api]:
    sim.populate(clients=6, online_ratio=0.5, seed=3)
    connection = connect(sim)
    yield connection
    connection.close()


def test_login_and_wrong_password(sim: RouterSim) -> None:
    connect(sim).close()
    with pytest.raises(TrapError) as caught:
        connect(sim, password="wrong")
    assert caught.value.message == "invalid user name or password (6)"


def test_wrong_password_wire_format_and_retry(sim: RouterSim) -> None:
    with RawClient(sim.port) as raw:
        reply = raw.command("/login", "=name=admin", "=password=nope")
        assert reply == [["!trap", "=message=invalid user name or password (6)"], ["!done"]]
        raw.login()  # the connection stays usable, as on RouterOS


def test_commands_before_login_are_refused(sim: RouterSim) -> None:
    with RawClient(sim.port) as raw:
        assert raw.command("/ppp/secret/print") == [["!trap", "=message=not logged in"], ["!done"]]


def test_print_values_as_librouteros_parses_them(sim: RouterSim, api: librouteros.Api) -> None:
    sim.add_secret("1001", password="123", comment="true")
    row = next(
        iter(
            api.path("/ppp/secret")
            .select(Key(".id"), NAME, Key("password"), DISABLED, Key("comment"), Key("limit-bytes-in"))
            .where(NAME == "1001")
        )
    )
    # The wire carries strings; librouteros turns digits into int and true/false/yes/no into bool.
    assert row == {".id": "*7", "name": 1001, "password": 123, "disabled": False, "comment": True, "limit-bytes-in": 0}


def test_proplist_limits_and_orders_properties(api: librouteros.Api) -> None:
    rows = list(api.path("/ppp/active").select(NAME, ADDRESS))
    assert len(rows) == 3
    assert all(list(row) == ["name", "address"] for row in rows)


def test_queries(sim: RouterSim, api: librouteros.Api) -> None:
    secrets = api.path("/ppp/secret")
    api.path("/ppp/secret").update(**{".id": "*2", "disabled": True})
    names = [r["name"] for r in secrets.select(NAME).where(NAME.In("client00001", "client00004"))]
    assert names == ["client00001", "client00004"]
    assert [r["name"] for r in secrets.select(NAME).where(DISABLED == True)] == ["client00002"]  # noqa: E712
    assert len(list(secrets.select(NAME).where(DISABLED != True))) == 5  # noqa: E712
    either = Or(NAME == "client00003", NAME == "client00005")
    assert [r["name"] for r in secrets.select(NAME).where(either)] == ["client00003", "client00005"]
    both = And(NAME == "client00002", DISABLED == False)  # noqa: E712
    assert list(secrets.select(NAME).where(both)) == []
    assert [r["name"] for r in secrets.select(NAME).where(Key(".id") > "*5")] == ["client00006"]


def test_add_set_remove(sim: RouterSim, api: librouteros.Api) -> None:
    secrets = api.path("/ppp/secret")
    new_id = secrets.add(name="newclient", password="pw", profile="default", service="pppoe", comment="new")
    assert sim.secret("newclient") == {
        ".id": new_id,
        "name": "newclient",
        "service": "pppoe",
        "caller-id": "",
        "password": "pw",
        "profile": "default",
        "routes": "",
        "ipv6-routes": "",
        "limit-bytes-in": "0",
        "limit-bytes-out": "0",
        "disabled": "false",
        "comment": "new",
    }
    secrets.update(**{".id": new_id, "password": "pw2", "disabled": True, "comment": ""})
    row = sim.secret("newclient")
    assert row is not None and row["password"] == "pw2" and row["disabled"] == "true" and "comment" not in row
    secrets.remove(new_id, "*1")
    assert sim.secret("newclient") is None and sim.secret("client00001") is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add(name="client00001"), "failure: secret with the same name already exists"),
        (lambda s: s.update(**{".id": "*99", "comment": "x"}), "no such item"),
        (lambda s: s.remove("*1", "*99"), "no such item"),
        (lambda s: s.add(name="x", colour="red"), "unknown parameter colour"),
        (lambda s: s.add(name="x", profile="gold"), "input does not match any value of profile"),
        (
            lambda s: s.update(**{".id": "*2", "name": "client00001"}),
            "failure: secret with the same name already exists",
        ),
    ],
)
def test_errors_are_traps(sim: RouterSim, api: librouteros.Api, call: object, message: str) -> None:
    before = sim.secrets()
    with pytest.raises(TrapError) as caught:
        call(api.path("/ppp/secret"))  # type: ignore[operator]
    assert caught.value.message == message
    assert sim.secrets() == before  # nothing half-done
    assert len(list(api.path("/ppp/secret"))) == 6  # the connection is still usable


def test_unknown_commands(api: librouteros.Api) -> None:
    with pytest.raises(TrapError, match="no such command prefix"):
        list(api("/ip/firewall/filter/print"))
    with pytest.raises(TrapError, match="^no such command$"):
        list(api("/ppp/active/add", name="x"))


def test_remove_active_drops_session_and_stamps_secret(sim: RouterSim, api: librouteros.Api) -> None:
    sim.state.clock = lambda: __import__("datetime").datetime(2025, 3, 4, 5, 6, 7)
    sim.add_secret("zoe", password="pw")
    sim.connect("zoe", address="10.9.9.9", caller_id="11:22:33:44:55:66", uptime="1h2m3s")
    active = api.path("/ppp/active")
    (row,) = active.select(Key(".id"), NAME, ADDRESS, Key("uptime")).where(NAME == "zoe")
    assert row["address"] == "10.9.9.9" and row["uptime"] == "1h2m3s"
    api.path("/ppp/secret").update(**{".id": "zoe", "disabled": True})  # RouterOS accepts a name as .id here
    assert [r["name"] for r in active.select(NAME).where(NAME == "zoe")] == ["zoe"]  # disabling keeps it online
    active.remove(str(row[".id"]))
    assert list(active.select(NAME).where(NAME == "zoe")) == []
    secret = sim.secret("zoe")
    assert secret is not None
    assert secret["last-logged-out"] == "2025-03-04 05:06:07"
    assert secret["last-caller-id"] == "11:22:33:44:55:66"


def test_empty_reply_on_and_off(sim: RouterSim, api: librouteros.Api) -> None:
    query = api.path("/ppp/secret").select(NAME).where(NAME == "nobody")
    assert list(query) == []  # librouteros skips !empty
    with RawClient(sim.port) as raw:
        raw.login()
        assert raw.command("/ppp/secret/print", "?name=nobody") == [["!empty"], ["!done"]]
        assert raw.command("/ppp/secret/print", "?name=nobody", ".tag=4") == [["!empty", ".tag=4"], ["!done", ".tag=4"]]
        sim.send_empty = False
        assert raw.command("/ppp/secret/print", "?name=nobody") == [["!done"]]
    assert list(query) == []


def test_tags_are_echoed_on_every_sentence(sim: RouterSim, api: librouteros.Api) -> None:
    with RawClient(sim.port) as raw:
        raw.send("/login", "=name=admin", "=password=secret", ".tag=a")
        assert raw.read_reply() == [["!done", ".tag=a"]]
        reply = raw.command("/ppp/active/print", "=.proplist=name", ".tag=17")
        assert [s[0] for s in reply] == ["!re", "!re", "!re", "!done"]
        assert all(s[-1] == ".tag=17" for s in reply)
        assert raw.command("/nothing/here", ".tag=x") == [
            ["!trap", "=message=no such command prefix", ".tag=x"],
            ["!done", ".tag=x"],
        ]


def test_count_only_and_system_menus(sim: RouterSim, api: librouteros.Api) -> None:
    assert list(api("/ppp/active/print", **{"count-only": ""})) == [{"ret": 3}]
    assert list(api("/system/identity/print")) == [{"name": "MikroTik"}]
    list(api("/system/identity/set", name="Tower 7"))
    assert sim.identity == "Tower 7"
    (resource,) = api("/system/resource/print")
    assert resource["version"] == "7.16.2 (stable)"
    assert {"board-name", "uptime", "cpu-load", "free-memory", "architecture-name"} <= set(resource)


def test_profiles(sim: RouterSim, api: librouteros.Api) -> None:
    profiles = api.path("/ppp/profile")
    assert [p["name"] for p in profiles] == ["default", "default-encryption"]
    gold = profiles.add(name="gold", **{"rate-limit": "10M/10M"})
    api.path("/ppp/secret").update(**{".id": "*1", "profile": "gold"})
    with pytest.raises(TrapError, match="in use"):
        profiles.remove(gold)
    with pytest.raises(TrapError, match="default profile"):
        profiles.remove("*0")


def test_quit_is_fatal(sim: RouterSim, api: librouteros.Api) -> None:
    with pytest.raises(FatalError, match="session terminated on request"):
        list(api.rawCmd("/quit"))
    with RawClient(sim.port) as raw:
        assert raw.command("/quit") == [["!fatal", "session terminated on request"]]
        assert raw.recv_raw() == b""


def test_commands_are_recorded(sim: RouterSim, api: librouteros.Api) -> None:
    sim.commands.clear()
    list(api.path("/ppp/active").select(NAME).where(NAME == "client00001"))
    assert sim.commands == [["/ppp/active/print", "=.proplist=name", "?=name=client00001"]]


def test_large_print_in_one_query(sim: RouterSim) -> None:
    sim.populate(clients=5000, online_ratio=1.0, seed=1)
    with RawClient(sim.port) as raw:
        raw.login()
        sim.commands.clear()
        started = time.perf_counter()
        reply = raw.command("/ppp/active/print")
        elapsed = time.perf_counter() - started
    assert len(reply) == 5001 and len(sim.commands) == 1
    assert elapsed < 1.0
    assert attrs(reply[0])["name"] == "client00001"
    api = connect(sim)
    assert len(list(api.path("/ppp/active").select(NAME, ADDRESS))) == 5000
    api.close()


def test_legacy_challenge_login() -> None:
    with RouterSim(users={"admin": "secret"}, legacy_login=True) as sim:
        connect(sim, login_method=librouteros.login.token).close()
        with pytest.raises(TrapError, match="invalid user name or password"):
            connect(sim, password="wrong", login_method=librouteros.login.token)
        # A pre-6.43 router answers a plain login with a challenge: librouteros' default login
        # "succeeds" silently and the first real command is refused.
        api = connect(sim)
        with pytest.raises(TrapError, match="not logged in"):
            list(api.path("/ppp/secret"))
        api.close()


def test_routers_whose_sessions_do_not_age_answer_a_whole_print_again_from_its_bytes(sim: RouterSim) -> None:
    """The benchmark's routers (sessions_age False): uptimes stay as given, and a whole table is
    encoded once per change of it, each query and property list answered as its own."""
    sim.state.sessions_age = False
    sim.populate(clients=6, online_ratio=0.5, seed=3)
    api = connect(sim)
    try:
        active = api.path("ppp", "active")
        first = list(active.select(NAME, Key("uptime")))
        encoded = sim.state._whole_prints["active"]
        assert len(first) == 3
        time.sleep(1.1)
        assert list(active.select(NAME, Key("uptime"))) == first  # the same uptimes, not aged
        assert sim.state._whole_prints["active"] is encoded  # the same reply, not encoded again
        everything = list(active)  # another property list: its own reply
        assert len(everything) == 3 and "address" in everything[0]
        assert [r["name"] for r in active.select(NAME).where(NAME == first[0]["name"])] == [first[0]["name"]]
        sim.disconnect(first[0]["name"])
        assert list(active.select(NAME, Key("uptime"))) == first[1:]
        sim.connect(first[0]["name"], uptime="5m")
        again = {r["name"]: r["uptime"] for r in active.select(NAME, Key("uptime"))}
        assert again[first[0]["name"]] == "5m" and len(again) == 3
        secrets = api.path("ppp", "secret")
        profiles = {r["name"]: r["profile"] for r in secrets.select(NAME, Key("profile"))}
        assert set(profiles.values()) == {"default"}
        api.path("ppp", "profile").add(name="fast")
        secrets.update(**{".id": next(iter(secrets.select(Key(".id"))))[".id"], "profile": "fast"})
        changed = {r["name"]: r["profile"] for r in secrets.select(NAME, Key("profile"))}
        assert sorted(changed.values()) == ["default"] * 5 + ["fast"]
        profile_id = next(r[".id"] for r in api.path("ppp", "profile").select(Key(".id"), NAME) if r["name"] == "fast")
        api.path("ppp", "profile").update(**{".id": profile_id, "name": "faster"})  # renames it on the secrets
        assert sorted(r["profile"] for r in secrets.select(NAME, Key("profile"))) == ["default"] * 5 + ["faster"]
    finally:
        api.close()


def test_routers_whose_sessions_age_encode_every_whole_print_afresh(sim: RouterSim) -> None:
    sim.populate(clients=6, online_ratio=0.5, seed=3)
    api = connect(sim)
    try:
        active = api.path("ppp", "active")
        before = {r["name"]: r["uptime"] for r in active.select(NAME, Key("uptime"))}
        time.sleep(1.1)
        after = {r["name"]: r["uptime"] for r in active.select(NAME, Key("uptime"))}
        assert before.keys() == after.keys() and before != after  # a second later: every uptime grew
        assert sim.state._whole_prints == {}
    finally:
        api.close()
