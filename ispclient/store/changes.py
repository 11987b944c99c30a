"""What a piece of work changed, so every open window can show it — no Qt.

Every service function writes one audit event per change inside its transaction
(:func:`ispclient.store.audit.record`), and the audit trail notes each event here too. Work run
inside :func:`track` — every background operation of the app, ``ispclient enforce``, an import —
therefore ends with a :class:`Changes` value naming the clients, subscriptions, payments,
catalog and settings it touched, without each caller having to say so (and without a caller
being able to forget). The app broadcasts that value once the work is done; windows refresh
what it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    """What changed. ``clients`` names the clients whose list row or details may differ now;
    ``all_clients`` says any row may (a router renamed, settings that change statuses)."""

    clients: frozenset[int] = frozenset()
    all_clients: bool = False
    subscriptions: bool = False
    payments: bool = False
    catalog: bool = False  # routers (servers) or packages
    settings: bool = False
    router_queue: bool = False  # changes queued for, applied to or failed on a router
    router_queued: bool = False  # a new change waits for a router: worth pushing now
    staff: bool = False

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            clients=self.clients | other.clients,
            all_clients=self.all_clients or other.all_clients,
            subscriptions=self.subscriptions or other.subscriptions,
            payments=self.payments or other.payments,
            catalog=self.catalog or other.catalog,
            settings=self.settings or other.settings,
            router_queue=self.router_queue or other.router_queue,
            router_queued=self.router_queued or other.router_queued,
            staff=self.staff or other.staff,
        )

    def __bool__(self) -> bool:
        return self != NOTHING

    def touches_client(self, client_id: int) -> bool:
        return self.all_clients or client_id in self.clients


NOTHING = Changes()


@dataclass
class _Tracker:
    clients: set[int] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)

    def result(self) -> Changes:
        return Changes(clients=frozenset(self.clients), **{name: True for name in self.flags})


_current: ContextVar[_Tracker | None] = ContextVar("ispclient_changes", default=None)

# The first part of an audit action ("payment.record" → "payment") → what it changes.
_BY_KIND: dict[str, tuple[str, ...]] = {
    "client": (),
    "subscription": ("subscriptions",),
    "payment": ("payments",),
    "package": ("catalog",),
    # Router names show in every client row, and removing one unassigns its clients.
    "server": ("catalog", "all_clients"),
    # The "expiring" threshold and the time zone change statuses in every row.
    "settings": ("settings", "all_clients"),
    "router": ("router_queue",),
    "staff": ("staff",),
    "shift": ("payments",),
}


def note(*, clients: Iterable[int | None] = (), **flags: bool) -> None:
    """Record a change in the work being tracked (nothing happens outside :func:`track`)."""
    tracker = _current.get()
    if tracker is None:
        return
    tracker.clients.update(c for c in clients if c is not None)
    for name, on in flags.items():
        if on:
            if name not in _FLAGS:
                raise ValueError(f"unknown change flag {name!r}")
            tracker.flags.add(name)


def note_audit(action: str, client_id: int | None) -> None:
    """What an audit event says changed (called by :func:`ispclient.store.audit.record`)."""
    kind = action.split(".", 1)[0]
    note(clients=(client_id,), **dict.fromkeys(_BY_KIND.get(kind, ()), True))


@contextmanager
def track() -> Iterator[Callable[[], Changes]]:
    """``with track() as changes: ...; changes()`` — the changes noted inside the block (in this
    thread or task). Blocks nest: an inner one's changes count for the outer one too."""
    outer = _current.get()
    tracker = _Tracker()
    token = _current.set(tracker)
    try:
        yield tracker.result
    finally:
        _current.reset(token)
        if outer is not None:
            outer.clients |= tracker.clients
            outer.flags |= tracker.flags


def run_tracked(fn: Callable[[], T]) -> tuple[T, Changes]:
    """``fn()`` and what it changed."""
    with track() as changes:
        result = fn()
    return result, changes()


_FLAGS = frozenset(f for f in Changes.__dataclass_fields__ if f != "clients")
