from __future__ import annotations

from collections.abc import Iterator

import pytest

from ispclient.simulator import RouterSim

USERS = {"admin": "secret"}


@pytest.fixture
def sim() -> Iterator[RouterSim]:
    with RouterSim(users=USERS) as router:
        yield router
