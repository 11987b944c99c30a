"""The status helper process and quitting: abandoned work holds nothing, and stopping every
router call wakes whatever waits on one — reading, connecting or shaking hands."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ispclient.domain.connection import ConnectionState, UnknownReason
from ispclient.routeros import deadline
from ispclient.routeros.errors import RouterError
from ispclient.routeros.offload import StatusHelper
from ispclient.routeros.session import test_connection
from ispclient.routeros.status import RouterBatch
from ispclient.routeros.target import RouterTarget
from ispclient.simulator import RouterSim
from tests.routeros.hostile.conftest import DEADLINE_S, PASSWORD, HostileFactory


@pytest.fixture
def healthy() -> Iterator[RouterSim]:
    with RouterSim(host="127.0.0.1", port=0, users={"admin": PASSWORD}) as router:
        router.add_secret("alice")
        router.connect("alice", address="10.0.0.7")
        yield router


def healthy_batch(router: RouterSim, timeout: float = 5.0) -> RouterBatch:
    return RouterBatch(7, RouterTarget(7, "healthy", "127.0.0.1", router.port, password=PASSWORD, timeout=timeout),
                       ("alice",))


def test_eight_abandoned_checks_leave_the_helper_free(hostile: HostileFactory, healthy: RouterSim) -> None:
    """Before: the helper ran checks in 8 pool slots, so 8 given-up checks of hanging routers
    held them all and a healthy router was reported "No answer within 13 s"."""
    helper = StatusHelper()
    try:
        routers = [hostile("drip", timeout=5.0) for _ in range(8)]  # each would hold on for 20 s
        for i, h in enumerate(routers):
            future = helper.submit(RouterBatch(100 + i, h.target, ("zed",)))
            with pytest.raises(TimeoutError):
                future.result(timeout=0.3)
            helper.abandon(future)  # what the app does when it stops waiting
        assert helper.restarts >= 1 and not helper.closed
        started = time.monotonic()
        answer = helper.submit(healthy_batch(healthy)).result(timeout=15)
        assert answer[(7, "alice")].state is ConnectionState.ONLINE
        assert time.monotonic() - started < 5  # promptly: no dripping router's deadline waited for
    finally:
        helper.close()


def test_slow_checks_in_the_helper_hold_no_slot(hostile: HostileFactory, healthy: RouterSim) -> None:
    """Twelve dripping routers at once, more than any pool the helper used to have: a healthy
    router is answered while they are all still being waited on."""
    helper = StatusHelper()
    try:
        slow = {100 + i: helper.submit(RouterBatch(100 + i, hostile("drip").target, ("zed",))) for i in range(12)}
        answer = helper.submit(healthy_batch(healthy)).result(timeout=DEADLINE_S + 10)
        assert answer[(7, "alice")].state is ConnectionState.ONLINE
        assert sum(not f.done() for f in slow.values()) >= 6  # most were still dripping when it answered
        for sid, future in slow.items():
            assert future.result(timeout=DEADLINE_S + 10)[(sid, "zed")].reason is UnknownReason.TIMED_OUT
    finally:
        helper.close()


def call_in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - inspected by the test
            raised.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, raised


def abort_wakes(target: RouterTarget, engaged: Callable[[], bool]) -> tuple[float, RouterError]:
    """Start Test connection, wait until it waits on the router, stop every router call;
    how long the call took to end after that, and how it ended."""
    thread, raised = call_in_thread(lambda: test_connection(target))
    until = time.monotonic() + 5
    while not engaged() and time.monotonic() < until:
        time.sleep(0.02)
    time.sleep(0.3)  # well into its wait
    started = time.monotonic()
    deadline.abort_all()
    thread.join(10)
    took = time.monotonic() - started
    assert not thread.is_alive()
    [error] = raised
    assert isinstance(error, RouterError)
    return took, error


@pytest.mark.parametrize("mode", ["drip", "silent", "tls-silent"])
def test_quitting_wakes_a_call_waiting_on_a_router(hostile: HostileFactory, mode: str) -> None:
    h = hostile(mode, timeout=30.0)  # its own deadline is two minutes away
    took, error = abort_wakes(h.target, lambda: h.router.connections > 0)
    assert took < 1.0
    assert error.reason is UnknownReason.CONNECTION_DROPPED and "closing" in error.detail
    with pytest.raises(RouterError) as caught:  # and no new call starts
        test_connection(h.target)
    assert "closing" in caught.value.detail
    deadline.resume()


@pytest.mark.parametrize("mode", ["silent", "tls-silent"])
def test_quitting_where_shutdown_wakes_nothing(hostile: HostileFactory, mode: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Where shutdown() does not wake a thread blocked in recv (under Wine; the deadline module
    allows for it anywhere), the call notices at the end of its wait slice instead, and must still
    close and forget its socket (the TLS handshake once left it tracked and open: under Wine every
    later router test then saw one socket too many)."""
    import types

    monkeypatch.setattr(deadline, "socket", types.SimpleNamespace(
        SHUT_RDWR=socket.SHUT_RDWR, socket=types.SimpleNamespace(shutdown=lambda sock, how: None)))
    h = hostile(mode, timeout=30.0)
    took, error = abort_wakes(h.target, lambda: h.router.connections > 0)
    assert took < deadline.POLL_S + 1.0
    assert error.reason is UnknownReason.CONNECTION_DROPPED and "closing" in error.detail
    assert deadline.open_sockets() == 0
    deadline.resume()


def test_quitting_wakes_a_connect_that_hangs() -> None:
    """A listener whose queue is full drops new connection attempts: connect() waits."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):  # fill the accept queue (never accepted)
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.2)
        target = RouterTarget(1, "queue full", "127.0.0.1", port, password=PASSWORD, timeout=30.0)
        probe = socket.socket()
        probe.settimeout(0.5)
        try:
            probe.connect(("127.0.0.1", port))
            pytest.skip("this system accepts connections past a full queue")
        except TimeoutError:
            pass
        finally:
            probe.close()
        took, error = abort_wakes(target, lambda: True)
        assert took < 1.0
        assert "closing" in error.detail
    finally:
        deadline.resume()
        for s in fillers:
            s.close()
        listener.close()
