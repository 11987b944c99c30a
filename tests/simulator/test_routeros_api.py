"""An independent client (the RouterOS-api package) as a check of protocol faithfulness.

It tags every command, sends each word in its own send() call and decodes 5-byte lengths.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import routeros_api
from routeros_api.exceptions import RouterOsApiCommunicationError, RouterOsApiError

from ispclient.simulator import RouterSim


def pool_for(sim: RouterSim, password: str = "secret", plaintext: bool = True) -> routeros_api.RouterOsApiPool:
    pool = routeros_api.RouterOsApiPool(
        "127.0.0.1", username="admin", password=password, port=sim.port, plaintext_login=plaintext
    )
    pool.set_timeout(5)
    return pool


@pytest.fixture
def api(sim: RouterSim) -> Iterator[routeros_api.api.RouterOsApi]:
    sim.populate(clients=8, online_ratio=0.25, seed=9)
    pool = pool_for(sim)
    yield pool.get_api()
    pool.disconnect()


def test_print_and_filter(api: routeros_api.api.RouterOsApi) -> None:
    secrets = api.get_resource("/ppp/secret")
    rows = secrets.get()
    assert [r["name"] for r in rows] == [f"client0000{i}" for i in range(1, 9)]
    assert rows[0]["id"] == "*1" and rows[0]["disabled"] == "false"
    assert [r["name"] for r in secrets.get(name="client00004")] == ["client00004"]
    assert len(api.get_resource("/ppp/active").get()) == 2
    assert secrets.get(name="nobody") == []  # !empty is ignored by this client too


def test_add_set_remove(sim: RouterSim, api: routeros_api.api.RouterOsApi) -> None:
    secrets = api.get_resource("/ppp/secret")
    reply = secrets.add(name="walk-in", password="pw", comment="José Müller")
    new_id = reply.done_message["ret"]
    secrets.set(id=new_id, disabled="yes")
    row = sim.secret("walk-in")
    assert row is not None and row["disabled"] == "true" and row["comment"] == "José Müller"
    secrets.remove(id=f"{new_id},*2")
    assert sim.secret("walk-in") is None and sim.secret("client00002") is None


def test_trap_becomes_exception(api: routeros_api.api.RouterOsApi) -> None:
    with pytest.raises(RouterOsApiCommunicationError) as caught:
        api.get_resource("/ppp/secret").add(name="client00001")
    assert caught.value.original_message == b"failure: secret with the same name already exists"
    with pytest.raises(RouterOsApiCommunicationError, match="no such command prefix"):
        api.get_resource("/interface/wifi").get()


def test_active_remove_and_system(sim: RouterSim, api: routeros_api.api.RouterOsApi) -> None:
    active = api.get_resource("/ppp/active")
    first = active.get()[0]
    active.remove(id=first["id"])
    assert len(sim.active()) == 1
    secret = sim.secret(first["name"])
    assert secret is not None and "last-logged-out" in secret
    assert api.get_resource("/system/identity").get() == [{"name": "MikroTik"}]
    assert api.get_resource("/system/resource").get()[0]["version"] == "7.16.2 (stable)"


def refused_login(pool: routeros_api.RouterOsApiPool) -> None:
    try:
        with pytest.raises(RouterOsApiError, match="invalid user name or password"):
            pool.get_api()
    finally:
        pool.disconnect()  # the library leaves the socket open after a failed login


def test_wrong_password(sim: RouterSim) -> None:
    refused_login(pool_for(sim, password="bad"))


def test_legacy_challenge_login() -> None:
    with RouterSim(users={"admin": "secret"}, legacy_login=True) as sim:
        sim.add_secret("a1")
        for plaintext in (False, True):  # with plaintext it falls back to the challenge it gets back
            pool = pool_for(sim, plaintext=plaintext)
            assert [r["name"] for r in pool.get_api().get_resource("/ppp/secret").get()] == ["a1"]
            pool.disconnect()
        refused_login(pool_for(sim, password="bad", plaintext=False))


def test_modern_router_refuses_challenge_login(sim: RouterSim) -> None:
    refused_login(pool_for(sim, plaintext=False))


def test_cp1252_router_with_binary_resource() -> None:
    with RouterSim(users={"admin": "secret"}, encoding="cp1252") as sim:
        sim.add_secret("josé", comment="José Müller")
        pool = pool_for(sim)
        secrets = pool.get_api().get_binary_resource("/ppp/secret")
        (row,) = secrets.get(name="josé".encode("cp1252"))
        assert row["comment"] == b"Jos\xe9 M\xfcller"
        secrets.add(name=b"Zo\xeb", password=b"x")
        assert sim.secret("Zoë") is not None
        pool.disconnect()
