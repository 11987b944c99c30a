"""The reply ceilings leave room for the largest real router: 60,000 active sessions (the
benchmark's figure) among 120,000 secrets pass every read a refresh and a reconcile make."""

from __future__ import annotations

from ispclient.domain.connection import ConnectionState
from ispclient.routeros.reconcile import fetch_secrets
from ispclient.routeros.status import RouterBatch, check_batch
from ispclient.simulator import RouterSim
from ispclient.simulator.population import client_name
from tests.routeros.helpers import PASSWORD, target_for


def test_the_largest_router_passes_every_ceiling() -> None:
    with RouterSim(host="127.0.0.1", port=0, users={"admin": PASSWORD}) as router:
        router.populate(120_000, online_ratio=0.5)
        target = target_for(router, timeout=10.0)  # a slow test machine is not what this is about
        usernames = tuple(client_name(i, 120_000) for i in range(1, 120_001))
        statuses = check_batch(RouterBatch(1, target, usernames))
        states = [statuses[(1, name)].state for name in usernames]
        assert states.count(ConnectionState.ONLINE) == 60_000
        assert states.count(ConnectionState.OFFLINE) == 60_000  # the secrets' read passed too
        assert len(fetch_secrets(target)) == 120_000  # reconcile keeps the whole table
