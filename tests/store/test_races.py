"""The races two front-desk PCs can run into, each reproduced by two processes writing at the
same moment, 20 rounds each, on SQLite and on real PostgreSQL (several PCs):

* a payment recorded while another PC cancels the subscription;
* a client deleted while another PC sells them a subscription;
* two PCs editing different fields of one client (optimistic concurrency: the second save is
  refused, saying who changed what, instead of silently undoing the first).

Each round's outcome must be one that some order of the two actions could give; a "violation" is
one that no order gives (a payment taken after the cancel, a deleted client with a running
subscription, a saved edit that was lost)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import peewee

from ispclient.store import settings
from ispclient.store.models import Client, Payment, Subscription

from .child import race_rounds
from .conftest import PG_URL, Factory

ROUNDS = 20


def _target(database: peewee.Database) -> str:
    from ispclient.store.db import sqlite_path

    path = sqlite_path(database)
    return str(path) if path is not None else PG_URL


def _report(name: str, database: peewee.Database, outcomes: list[tuple[str, str]], violations: int) -> None:
    backend = "sqlite" if isinstance(database, peewee.SqliteDatabase) else "postgres"
    firsts = sum(1 for a, b in outcomes if a == "ok" and b != "ok")
    seconds = sum(1 for a, b in outcomes if b == "ok" and a != "ok")
    print(f"\n[race] {name} on {backend}: {len(outcomes)} runs, {violations} violations "
          f"(first child won {firsts}, second won {seconds}, both ok {len(outcomes) - firsts - seconds})")


def test_payment_while_another_pc_cancels(db: peewee.Database, make: Factory, tmp_path: Path) -> None:
    package = make.package()
    today = settings.today()
    sub_ids = [make.subscription(make.client(f"Client {i}"), package, today - timedelta(days=1))
               for i in range(ROUNDS)]
    ids = ",".join(map(str, sub_ids))
    pay, cancel = race_rounds(tmp_path, ROUNDS, ("pay", _target(db), ids), ("cancel", _target(db), ids))
    pairs = list(zip(pay["outcomes"], cancel["outcomes"], strict=True))  # type: ignore[call-overload]
    violations = 0
    for sub_id, (paid, cancelled) in zip(sub_ids, pairs, strict=True):
        sub = Subscription.get_by_id(sub_id)
        # Cancelling moves what was paid to the client's credit (a transfer entry): only money taken counts here.
        payments = list(Payment.select().where((Payment.subscription == sub_id) & (Payment.kind == "payment")))
        assert (cancelled == "ok") == sub.is_cancelled, (cancelled, sub.cancelled_at)
        assert (paid == "ok") == bool(payments), paid
        if paid != "ok":
            assert "was cancelled" in paid, paid  # refused because the cancel came first, and said so
        # A payment on a cancelled subscription is fine only if it was taken before the cancel.
        if sub.is_cancelled and any(p.paid_at > sub.cancelled_at for p in payments):
            violations += 1
    _report("payment vs cancel", db, pairs, violations)
    assert violations == 0


def test_delete_client_while_another_pc_sells_them_a_subscription(db: peewee.Database, make: Factory,
                                                                  tmp_path: Path) -> None:
    package = make.package()
    today = settings.today()
    client_ids = [make.client(f"Client {i}") for i in range(ROUNDS)]
    ids = ",".join(map(str, client_ids))
    deleted, sold = race_rounds(tmp_path, ROUNDS, ("delete", _target(db), ids),
                                ("sell", _target(db), ids, str(package), today.isoformat()))
    pairs = list(zip(deleted["outcomes"], sold["outcomes"], strict=True))  # type: ignore[call-overload]
    violations = 0
    for client_id, (d, s) in zip(client_ids, pairs, strict=True):
        client = Client.get_by_id(client_id)
        running = Subscription.select().where((Subscription.client == client_id)
                                              & Subscription.cancelled_at.is_null()
                                              & (Subscription.ends_on > today)).count()
        if client.deleted_at is not None and running:
            violations += 1  # a deleted client with a running subscription
        assert sorted([d == "ok", s == "ok"]) == [False, True], (d, s)  # exactly one wins, the other is told
        if s != "ok":
            assert "RecordDeleted" in s and "deleted" in s, s
        if d != "ok":
            assert "DeleteRefused" in d and "Cancel it first" in d, d
    _report("delete client vs sell subscription", db, pairs, violations)
    assert violations == 0


def test_two_pcs_editing_different_fields_of_one_client(db: peewee.Database, make: Factory,
                                                        tmp_path: Path) -> None:
    client_ids = [make.client(f"Client {i}") for i in range(ROUNDS)]
    ids = ",".join(map(str, client_ids))
    a, b = race_rounds(tmp_path, ROUNDS, ("edit", _target(db), ids, "address", "Address from PC A"),
                       ("edit", _target(db), ids, "notes", "Notes from PC B"))
    pairs = list(zip(a["outcomes"], b["outcomes"], strict=True))  # type: ignore[call-overload]
    violations = 0
    for i, (client_id, (x, y)) in enumerate(zip(client_ids, pairs, strict=True)):
        client = Client.get_by_id(client_id)
        saved_a, saved_b = client.address == f"Address from PC A {i}", client.notes == f"Notes from PC B {i}"
        if (x == "ok" and not saved_a) or (y == "ok" and not saved_b):
            violations += 1  # a save that said "ok" and was lost
        assert sorted([x == "ok", y == "ok"]) == [False, True], (x, y)
        refusal = x if x != "ok" else y
        assert refusal.startswith("ChangedElsewhere: This client was changed on another PC at "), refusal
        assert "— reload and try again" in refusal
        assert ("Changed: notes: (empty) → “Notes from PC B" in refusal if x != "ok"
                else "Changed: address: (empty) → “Address from PC A" in refusal), refusal
        assert client.version == 2
    _report("two PCs editing one client", db, pairs, violations)
    assert violations == 0
