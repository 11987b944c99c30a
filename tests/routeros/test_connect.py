"""Reaching a router within its timeout whatever the network does: a host name stuck in DNS."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ispclient.domain.connection import UnknownReason
from ispclient.routeros.errors import RouterError
from ispclient.routeros.session import test_connection
from ispclient.routeros.target import RouterTarget


@pytest.fixture
def stuck_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Looking up ``router.example`` hangs until the test ends (a resolver behind a dead VPN)."""
    release = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "router.example":
            release.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield release
    release.set()


def test_a_lookup_that_hangs_costs_only_the_timeout(stuck_dns: threading.Event) -> None:
    target = RouterTarget(1, "Behind the VPN", "router.example", password="Dns-test-pw-77", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RouterError) as caught:
        test_connection(target)
    assert time.monotonic() - started < 2.0
    assert caught.value.reason is UnknownReason.TIMED_OUT
    assert "router.example" in caught.value.detail
