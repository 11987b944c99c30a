"""What a client owes — no Qt.

A client's balance = what is due on their non-cancelled subscriptions − what was paid on them
(+ credit, once credit exists). Positive: the client owes money; negative: paid ahead.

This is the one definition the client list (its Balance column and "Owes money" filter), the
client window and the receipts use. The counter (voids, refunds, credit) refines it here, and
only here.
"""

from __future__ import annotations

from collections.abc import Sequence

from ispclient.store.db import db


def client_balance_sql(client: str = "c") -> str:
    """A SQL expression (a correlated scalar subquery, both dialects) for the balance of the
    client row aliased ``client``, in minor units."""
    return (
        f"(SELECT COALESCE(SUM(s.price_minor), 0) FROM subscription s "
        f"WHERE s.client_id = {client}.id AND s.cancelled_at IS NULL)"
        f" - (SELECT COALESCE(SUM(p.amount_minor), 0) FROM payment p JOIN subscription s "
        f"ON s.id = p.subscription_id WHERE s.client_id = {client}.id AND s.cancelled_at IS NULL)"
    )


def balances(client_ids: Sequence[int]) -> dict[int, int]:
    """Balance (minor units) of each of these clients."""
    if not client_ids:
        return {}
    marks = ",".join([db.obj.param] * len(client_ids))
    cursor = db.execute_sql(f"SELECT c.id, {client_balance_sql('c')} FROM client c WHERE c.id IN ({marks})",
                            list(client_ids))
    return {int(cid): int(balance) for cid, balance in cursor}
