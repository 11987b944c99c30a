"""Opening balances and credit brought in with an import, as entries of the counter's ledger.

What a client owes is defined once (:mod:`ispclient.domain.ledger`, kept per client by
:mod:`ispclient.store.balances`). An amount owed or paid ahead under the old system is neither a
sale (no package, no period: it must not appear in the client's status or on the router) nor
money taken at this till (it is in no cashier's shift and no day's revenue). So it is one ledger
entry on the client's credit, of the counter's "credit" kind (money moved, none changing hands):

* paid ahead ``X``: ``credit_minor = +X`` — the counter's next sale or renewal can use it, a
  refund can give it back;
* owed ``X``: ``credit_minor = −X`` — the balance shows it owed; a payment taken "on credit"
  (no subscription) settles it, exactly as the counter already records money paid in advance.

Each entry has its receipt number, its audit event (``payment.credit``, with the balance after)
and the client's kept balance refreshed in the same transaction (``dataio/apply.py``). It is
recorded once per client: importing the same file again finds it and changes nothing; a
different amount for a client that already has one is refused (void the first, then import).
"""

from __future__ import annotations

import functools

from ispclient.domain.ledger import OPENING, EntryKind
from ispclient.domain.money import format_money

METHOD = OPENING  # the entry's method: how these are found again (never a till's method)
KIND = EntryKind.TRANSFER


def credit_of(owed_minor: int) -> int:
    """The entry's ``credit_minor`` for an amount owed (> 0) or paid ahead (< 0)."""
    return -owed_minor


@functools.lru_cache(maxsize=4096)  # an import formats the same few amounts again and again
def describe(owed_minor: int, currency: str) -> str:
    """“2,500.00 KES owed before the move to ispclient” / “… paid ahead …”."""
    amount = format_money(abs(owed_minor), currency)
    return (f"Opening balance: {amount} owed before the move to ispclient" if owed_minor > 0
            else f"Opening credit: {amount} paid ahead before the move to ispclient")


def already_recorded(owed_minor: int, recorded_minor: int, receipts: str, currency: str) -> str | None:
    """Why a row's opening amount can't go in when the client already has opening entries
    adding up to ``recorded_minor`` owed (None: nothing new to record, or nothing recorded yet
    — the caller tells those apart)."""
    if recorded_minor == owed_minor:
        return None
    held = "owed" if recorded_minor > 0 else "paid ahead"
    return (f"This client already has an opening balance ({format_money(abs(recorded_minor), currency)} {held}, "
            f"receipt {receipts}); nothing was changed. Void that entry first to import another amount.")
