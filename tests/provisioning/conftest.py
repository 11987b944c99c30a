"""A database (SQLite, and PostgreSQL when configured), simulated routers on loopback, and a
world with managed secrets: packages mapped to profiles the routers have."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import keyring
import pytest

from ispclient.domain.clock import utcnow
from ispclient.routeros.target import RouterTarget
from ispclient.simulator import RouterSim
from ispclient.store import router_queue, settings
from ispclient.store.models import Server
from tests.store.conftest import Clock, Factory, clock, db, make  # noqa: F401, F811 - fixtures

API_PASSWORD = "Sim-API-pw-5521"
PPPOE_PASSWORD = "Pp0e-Clear-Secret-8317"  # distinctive, so a leak is easy to spot
PROFILES = ("home-10m", "home-50m", "expired")


def start_sim(encoding: str = "utf-8") -> RouterSim:
    router = RouterSim(host="127.0.0.1", port=0, users={"admin": API_PASSWORD}, encoding=encoding).start()
    for name in PROFILES:
        router.state.add(router.state.profiles, {"name": name})
    return router


@pytest.fixture
def sim() -> Iterator[RouterSim]:
    router = start_sim()
    yield router
    router.stop()


@pytest.fixture
def sim2() -> Iterator[RouterSim]:
    router = start_sim()
    yield router
    router.stop()


@dataclass
class World:
    """The test's routers as the app sees them: server ids, targets, and a drain helper."""

    make: Factory
    clock: Clock
    targets: dict[int, RouterTarget]
    offset: timedelta = timedelta(0)

    def add_router(self, router: RouterSim, name: str = "Main router", encoding: str = "utf-8") -> int:
        sid = self.make.server(name, port=router.port, encoding=encoding, timeout_s=1.0)
        keyring.set_password(settings.keyring_service(), f"server-{sid}", API_PASSWORD)
        self.targets[sid] = router_queue.target_for(Server.get_by_id(sid), API_PASSWORD)
        return sid

    def drain(self, **kw: object) -> router_queue.DrainReport:
        return router_queue.drain(self.targets, now=self.now(), **kw)  # type: ignore[arg-type]

    def now(self) -> datetime:
        return utcnow() + self.offset

    def later(self, **delta: float) -> None:
        """Move the queue's clock on (back-off waits)."""
        self.offset += timedelta(**delta)

    def days(self, n: int) -> date:
        self.clock.today += timedelta(days=n)
        return self.clock.today


def configure(**changes: object) -> settings.Settings:
    return settings.save(replace(settings.load(), **changes))  # type: ignore[arg-type]


@pytest.fixture
def world(make: Factory, clock: Clock) -> World:  # noqa: F811
    configure(manage_secrets=True, grace_days=3, expiry_action="disable")
    return World(make, clock, {})
