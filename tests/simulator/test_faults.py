"""Fault modes, latency and bringing a router down and up, as the client will see them."""

from __future__ import annotations

import socket
import time

import librouteros
import pytest
from librouteros.exceptions import ConnectionClosed, ProtocolError, TrapError

from ispclient.simulator import Fault, RouterSim
from ispclient.simulator.codec import CodecError, SentenceReader

from .raw import RawClient


def connect(sim: RouterSim, timeout: float = 5) -> librouteros.Api:
    return librouteros.connect("127.0.0.1", "admin", "secret", port=sim.port, timeout=timeout, encoding="utf-8")


def test_unknown_fault_is_rejected(sim: RouterSim) -> None:
    with pytest.raises(ValueError):
        sim.fault = "explode"  # type: ignore[assignment]


def test_refuse_login_then_recover(sim: RouterSim) -> None:
    sim.fault = "refuse-login"
    with pytest.raises(TrapError, match="invalid user name or password"):
        connect(sim)
    sim.fault = None
    connect(sim).close()


def test_hang_accepts_but_never_answers(sim: RouterSim) -> None:
    sim.fault = "hang"
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        connect(sim, timeout=0.3)
    assert time.perf_counter() - started < 2
    with RawClient(sim.port, timeout=0.3) as raw:
        raw.send("/login", "=name=admin", "=password=secret")
        with pytest.raises(TimeoutError):
            raw.recv_raw()
    assert sim.commands[-1][0] == "/login"  # the router did receive it
    sim.fault = None
    connect(sim).close()


def test_hang_on_an_open_session(sim: RouterSim) -> None:
    api = connect(sim, timeout=0.3)
    sim.fault = "hang"
    with pytest.raises(TimeoutError):
        list(api.path("/ppp/secret"))
    api.close()


def test_close_mid_reply(sim: RouterSim) -> None:
    sim.populate(clients=50, online_ratio=1.0, seed=0)
    api = connect(sim)
    sim.fault = "close-mid-reply"
    with pytest.raises(ConnectionClosed):
        list(api.path("/ppp/active"))
    api.close()
    with RawClient(sim.port) as raw:
        raw.login()  # only prints are cut
        raw.send("/ppp/secret/print", "?name=nobody")
        reader, received = SentenceReader(), b""
        while chunk := raw.recv_raw():
            received += chunk
        reader.feed(received)
        assert 0 < len(received) and reader.pending > 0  # stopped inside a sentence


def test_garbage(sim: RouterSim) -> None:
    sim.fault = "garbage"
    with pytest.raises(ProtocolError):
        connect(sim)
    with RawClient(sim.port) as raw:
        raw.send("/login", "=name=admin", "=password=secret")
        data = raw.recv_raw()
        assert data[0] >= 0xF8
        with pytest.raises(CodecError):
            SentenceReader().feed(data)


def test_latency_is_per_reply_not_per_sentence(sim: RouterSim) -> None:
    sim.populate(clients=200, online_ratio=1.0, seed=0)
    api = connect(sim)
    sim.latency_ms = 150
    started = time.perf_counter()
    assert len(list(api.path("/ppp/active"))) == 200
    elapsed = time.perf_counter() - started
    assert 0.15 <= elapsed < 1.0
    sim.latency_ms = 0
    api.close()


def test_stop_refuses_and_start_restores_on_same_port(sim: RouterSim) -> None:
    sim.add_secret("keeper")
    port = sim.port
    api = connect(sim)
    started = time.perf_counter()
    sim.stop()
    assert time.perf_counter() - started < 1
    with pytest.raises((ConnectionClosed, OSError)):
        list(api.path("/ppp/secret"))  # the open session was closed too
    api.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    sim.start()
    assert sim.port == port
    api = connect(sim)
    assert [r["name"] for r in api.path("/ppp/secret")] == ["keeper"]  # configuration survives
    api.close()


@pytest.mark.parametrize("fault", ["hang", None])  # None: the reply is waiting out the latency
def test_stop_closes_idle_and_busy_connections_promptly(fault: Fault | None) -> None:
    sim = RouterSim(users={"admin": "secret"}, fault=fault, latency_ms=10_000).start()
    clients = [RawClient(sim.port, timeout=2) for _ in range(5)]
    clients[0].send("/login", "=name=admin", "=password=secret")
    time.sleep(0.05)
    started = time.perf_counter()
    sim.stop()
    assert time.perf_counter() - started < 1
    for client in clients:
        try:
            assert client.recv_raw() == b""
        except ConnectionResetError:
            pass
        client.close()
