"""A writer killed with SIGKILL at random moments: the database stays sound, keeps every
transaction that committed, and holds no half of any transaction that didn't."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from pathlib import Path

from ispclient import store
from ispclient.store import catalog, integrity
from ispclient.store.models import AuditEvent, Client, Payment, Subscription

from .child import spawn, wait_ready

ROUNDS = 5


def committed(log: Path) -> dict[str, set[int]]:
    """What the child logged (after each commit). A torn last line is a kill mid-write."""
    seen: dict[str, set[int]] = defaultdict(set)
    for line in log.read_text(encoding="utf-8").splitlines():
        words = line.split()
        for kind, number in zip(words[::2], words[1::2], strict=False):
            if number.isdigit():
                seen[kind].add(int(number))
    return seen


def audited(action: str) -> set[int]:
    return {e.entity_id for e in AuditEvent.select().where(AuditEvent.action == action)}


def test_killed_writer_loses_nothing_committed_and_leaves_nothing_half_done(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    store.open_database(path)
    server = catalog.create_server(catalog.ServerInput(name="Main router", host="127.0.0.1")).id
    package = catalog.create_package(catalog.PackageInput("Home 10M", "1500", 30)).id
    store.close_database()
    log = tmp_path / "committed.log"
    log.touch()
    rng = random.Random(8)
    for _ in range(ROUNDS):
        child = spawn("crash", str(path), str(log), str(server), str(package))
        wait_ready(child)
        time.sleep(rng.uniform(0.1, 0.6))
        child.kill()  # SIGKILL: no clean-up, no close, mid-transaction or not
        child.communicate(timeout=10)

    assert integrity.needs_check(path) == "the program did not shut down cleanly last time"
    database = store.open_database(path)  # runs the quick check because of the kill
    try:
        assert integrity.check_database(database, full=True).ok
        logged = committed(log)
        clients = {c.id for c in Client.select()}
        subscriptions = {s.id for s in Subscription.select()}
        payments = {p.id for p in Payment.select()}
        assert len(logged["payment"]) >= ROUNDS  # the child did get some work done each time

        # Every change whose transaction committed is there…
        assert logged["client"] <= clients
        assert logged["subscription"] <= subscriptions
        assert logged["payment"] <= payments
        # …and beyond them at most one transaction per kill: the one that committed just before
        # the kill took the child, before it could log it. (Each transaction adds one client or
        # one payment.)
        assert len(clients - logged["client"]) + len(payments - logged["payment"]) <= ROUNDS

        # No transaction is there by halves: every row has its audit event and vice versa, and
        # every subscription has the payment it was sold with.
        assert audited("client.create") == clients
        assert audited("subscription.create") == subscriptions
        assert audited("payment.record") == payments
        paid = {p.subscription_id for p in Payment.select(Payment.subscription)}
        assert paid == subscriptions
        assert {s.client_id for s in Subscription.select(Subscription.client)} <= clients
    finally:
        store.close_database()
    assert integrity.needs_check(path) is None  # closed cleanly now: the next start skips the check
