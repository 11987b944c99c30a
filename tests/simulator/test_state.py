"""The Python-side API other tests use to arrange the router's data."""

from __future__ import annotations

from datetime import datetime

import pytest

from ispclient.simulator import RouterSim
from ispclient.simulator.values import format_duration


def online_names(sim: RouterSim) -> list[str]:
    return [row["name"] for row in sim.active()]


def test_populate_is_deterministic() -> None:
    first, second, other = RouterSim(), RouterSim(), RouterSim()
    first.populate(clients=200, online_ratio=0.3, seed=5)
    second.populate(clients=200, online_ratio=0.3, seed=5)
    other.populate(clients=200, online_ratio=0.3, seed=6)
    assert len(first.secrets()) == 200 and len(online_names(first)) == 60
    assert first.secrets() == second.secrets() and online_names(first) == online_names(second)
    assert online_names(first) != online_names(other)
    assert first.secrets()[0]["name"] == "client00001" and first.secrets()[-1]["name"] == "client00200"
    assert all(row["address"].startswith("100.") for row in first.active())


def test_secret_and_session_helpers() -> None:
    sim = RouterSim(version="6.49.10 (long-term)")
    secret_id = sim.add_secret(
        "ana", password="pw", comment="José", disabled=True, last_logged_out=datetime(2024, 5, 6, 10, 11, 12)
    )
    row = sim.secret("ana")
    assert row is not None and row[".id"] == secret_id
    assert row["disabled"] == "true" and row["comment"] == "José"
    assert row["last-logged-out"] == "may/06/2024 10:11:12"  # RouterOS before 7.10 prints dates so
    with pytest.raises(ValueError, match="same name"):
        sim.add_secret("ana")
    with pytest.raises(KeyError):
        sim.connect("nobody")
    active_id = sim.connect("ana", address="10.0.0.9", uptime="2d3h")
    assert active_id.startswith("*8") and online_names(sim) == ["ana"]
    with pytest.raises(ValueError, match="already"):
        sim.connect("ana")
    assert sim.disconnect("ana") is True and sim.disconnect("ana") is False
    assert sim.active() == [] and sim.secret("ana") is not None
    assert sim.secret("nobody") is None


def test_durations() -> None:
    assert format_duration(0) == "0s"
    assert format_duration(694_861) == "1w1d1h1m1s"


def test_session_uptime_advances_like_a_real_router(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    sim = RouterSim()
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    sim.add_secret("ana")
    sim.connect("ana", uptime="1h2m3s")
    assert sim.active()[0]["uptime"] == "1h2m3s"
    rows = sim.state.print_rows(sim.state.active, _everything(), None)
    assert dict(rows[0])["uptime"] == "1h2m3s"
    clock[0] += 65
    rows = sim.state.print_rows(sim.state.active, _everything(), ["name", "uptime"])
    assert dict(rows[0])["uptime"] == "1h3m8s"


def _everything():  # type: ignore[no-untyped-def]
    from ispclient.simulator.query import Query

    return Query(())
