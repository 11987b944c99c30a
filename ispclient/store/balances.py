"""What a client owes — no Qt.

A client's balance = what is due on their non-cancelled subscriptions − what was paid on them −
their credit (voided entries count for nothing; see :mod:`ispclient.domain.ledger`). Positive:
the client owes money; negative: they are in credit.

This is the one definition the client list (its Balance column and "Owes money" filter), the
client window and the receipts use. It is kept per client in ``client.balance_minor``: every
service that changes a subscription or a payment calls :func:`refresh` for the client inside its
transaction (after locking the client), so the list reads a column instead of summing 600,000
payments. :func:`drift` proves the column equals the sum (the tests check it after every money
test); ``ispclient check`` runs :func:`repair`, which says and fixes what drifted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ispclient.domain.ledger import OPENING
from ispclient.store import access
from ispclient.store.db import atomic, db, lock_client_rows

# What is paid on a subscription, per ledger entry (domain/ledger.on_subscription).
PAID_ON_SUBSCRIPTION = "(p.amount_minor - p.credit_minor)"


def client_balance_sql(client: str = "c") -> str:
    """A SQL expression for the balance of the client row aliased ``client``, in minor units
    (the kept column: free to read, sort and filter on at 100,000 clients)."""
    return f"{client}.balance_minor"


def computed_balance_sql(client: str = "c") -> str:
    """The balance summed from the subscriptions and the ledger (correlated subqueries, both
    dialects): what ``client.balance_minor`` must always equal."""
    return (
        f"((SELECT COALESCE(SUM(s.price_minor), 0) FROM subscription s "
        f"WHERE s.client_id = {client}.id AND s.cancelled_at IS NULL)"
        f" - (SELECT COALESCE(SUM({PAID_ON_SUBSCRIPTION}), 0) FROM payment p JOIN subscription s "
        f"ON s.id = p.subscription_id WHERE p.client_id = {client}.id AND s.cancelled_at IS NULL "
        f"AND p.voided_at IS NULL)"
        f" - (SELECT COALESCE(SUM(p.credit_minor), 0) FROM payment p "
        f"WHERE p.client_id = {client}.id AND p.voided_at IS NULL))"
    )


def credit_sql(client: str = "c") -> str:
    """The client's credit (money of theirs held for the next sale)."""
    return (f"(SELECT COALESCE(SUM(p.credit_minor), 0) FROM payment p "
            f"WHERE p.client_id = {client}.id AND p.voided_at IS NULL)")


def balances(client_ids: Sequence[int]) -> dict[int, int]:
    """Balance (minor units) of each of these clients."""
    out: dict[int, int] = {}
    ids = list(client_ids)
    for i in range(0, len(ids), 500):
        batch = ids[i:i + 500]
        marks = ",".join([db.obj.param] * len(batch))
        cursor = db.execute_sql(f"SELECT c.id, c.balance_minor FROM client c WHERE c.id IN ({marks})", batch)
        out.update({int(cid): int(balance) for cid, balance in cursor})
    return out


def credit(client_id: int) -> int:
    """The client's credit now (read it inside the transaction that uses it)."""
    row = db.execute_sql(f"SELECT {credit_sql('c')} FROM client c WHERE c.id = {db.obj.param}",
                         (client_id,)).fetchone()
    return int(row[0]) if row else 0


def opening_debt(client_id: int) -> int:
    """What the client owed when imported (≤ 0: their opening entries on credit that are debts,
    not voided; domain/ledger.OPENING)."""
    row = db.execute_sql(f"SELECT COALESCE(SUM(p.credit_minor), 0) FROM payment p WHERE p.client_id = {db.obj.param} "
                         f"AND p.voided_at IS NULL AND p.subscription_id IS NULL AND p.credit_minor < 0 "
                         f"AND p.method = {db.obj.param}", (client_id, OPENING)).fetchone()
    return int(row[0]) if row else 0


def paid_on(subscription_id: int) -> int:
    """What is paid on one subscription now."""
    row = db.execute_sql(f"SELECT COALESCE(SUM({PAID_ON_SUBSCRIPTION}), 0) FROM payment p "
                         f"WHERE p.subscription_id = {db.obj.param} AND p.voided_at IS NULL",
                         (subscription_id,)).fetchone()
    return int(row[0])


def paid_by_subscription(client_ids: Iterable[int] | None = None) -> dict[int, int]:
    """What is paid on each subscription (of these clients, or of everyone)."""
    sql = (f"SELECT p.subscription_id, SUM({PAID_ON_SUBSCRIPTION}) FROM payment p "
           "WHERE p.subscription_id IS NOT NULL AND p.voided_at IS NULL")
    out: dict[int, int] = {}
    if client_ids is None:
        cursor = db.execute_sql(sql + " GROUP BY p.subscription_id")
        return {int(sid): int(total) for sid, total in cursor}
    ids = sorted(set(client_ids))
    for i in range(0, len(ids), 500):
        batch = ids[i:i + 500]
        marks = ",".join([db.obj.param] * len(batch))
        cursor = db.execute_sql(sql + f" AND p.client_id IN ({marks}) GROUP BY p.subscription_id", batch)
        out.update({int(sid): int(total) for sid, total in cursor})
    return out


def refresh(client_ids: Iterable[int | None]) -> None:
    """Set the kept balance of these clients from their subscriptions and ledger. Call inside the
    transaction that changed them, after the change."""
    ids = sorted({c for c in client_ids if c is not None})
    for i in range(0, len(ids), 500):
        batch = ids[i:i + 500]
        marks = ",".join([db.obj.param] * len(batch))
        db.execute_sql(f"UPDATE client SET balance_minor = {computed_balance_sql('client')} WHERE id IN ({marks})",
                       batch)


def refresh_all() -> None:
    """Every client's kept balance from scratch (a migration, bulk-loaded data)."""
    db.execute_sql(f"UPDATE client SET balance_minor = {computed_balance_sql('client')}")


def drift(limit: int = 20) -> list[tuple[int, int, int]]:
    """(client id, kept balance, summed balance) of clients whose kept balance is wrong — none,
    unless something changed money without going through the services."""
    cursor = db.execute_sql(f"SELECT c.id, c.balance_minor, {computed_balance_sql('c')} FROM client c "
                            f"WHERE c.balance_minor <> {computed_balance_sql('c')} ORDER BY c.id LIMIT {int(limit)}")
    return [(int(cid), int(kept), int(summed)) for cid, kept, summed in cursor]


@access.automatic
def repair() -> list[tuple[int, int, int]]:
    """Recompute the kept balance of every client whose balance has drifted (``ispclient check``):
    each one locked first, so a payment being taken on another PC is counted. Returns what was
    wrong: (client id, kept, summed)."""
    wrong = drift(limit=1_000_000)
    if wrong:
        with atomic():
            ids = [cid for cid, _kept, _summed in wrong]
            lock_client_rows(ids)
            refresh(ids)
    return wrong
