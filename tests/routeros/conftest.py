"""A RouterOS API simulator on a loopback port, and a target pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ispclient.routeros.target import RouterTarget
from ispclient.simulator import RouterSim
from tests.routeros.helpers import PASSWORD, target_for


@pytest.fixture
def sim() -> Iterator[RouterSim]:
    with RouterSim(host="127.0.0.1", port=0, users={"admin": PASSWORD}) as router:
        yield router


@pytest.fixture
def target(sim: RouterSim) -> RouterTarget:
    return target_for(sim)
