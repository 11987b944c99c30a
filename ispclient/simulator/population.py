"""Deterministic demo/benchmark data: client00001… secrets, a fixed fraction of them online."""

from __future__ import annotations

import ipaddress
import random
from datetime import datetime, timedelta

from .state import RouterState, secret_defaults
from .values import format_datetime, format_duration

CGNAT_BASE = int(ipaddress.IPv4Address("100.64.0.0"))


def to_router_time(value: object, version: str) -> str:
    """A datetime in the router's print format; strings are taken as already formatted."""
    if isinstance(value, datetime):
        return format_datetime(value, version)
    if isinstance(value, str):
        return value
    raise TypeError(f"expected datetime or str, got {type(value).__name__}")


def client_name(index: int, clients: int) -> str:
    return f"client{index:0{max(5, len(str(clients)))}d}"


def populate_state(state: RouterState, clients: int, online_ratio: float, seed: int) -> None:
    if not 0 <= online_ratio <= 1:
        raise ValueError("online_ratio must be between 0 and 1")
    rng = random.Random(seed)
    online = set(rng.sample(range(1, clients + 1), round(clients * online_ratio)))
    now = state.clock()
    secrets = state.secrets
    with state.lock:
        for index in range(1, clients + 1):
            name = client_name(index, clients)
            if name in secrets.by_name:
                continue
            row = secret_defaults()
            row.update(name=name, service="pppoe", password=f"pw{rng.randrange(10**8):08d}")
            if rng.random() < 0.8:  # the rest never connected yet
                moment = now - timedelta(seconds=rng.randrange(60, 90 * 86400))
                row["last-logged-out"] = format_datetime(moment, state.version)
                row["last-caller-id"] = _mac(index)
            secrets.insert(row)
        for index in sorted(online):
            name = client_name(index, clients)
            if name in state.active.by_name:
                continue
            try:
                state.connect(
                    name,
                    _address(index),
                    _mac(index),
                    format_duration(rng.randrange(30, 30 * 86400)),
                    None,
                )
            except (KeyError, ValueError):
                continue


def _mac(index: int) -> str:
    h = f"{0x4C5E0C000000 + index:012X}"
    return f"{h[0:2]}:{h[2:4]}:{h[4:6]}:{h[6:8]}:{h[8:10]}:{h[10:12]}"


def _address(index: int) -> str:
    """100.64.0.0/10 (carrier-grade NAT), as small ISPs hand out."""
    n = CGNAT_BASE + index
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
