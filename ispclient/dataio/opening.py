"""Opening balances and credit brought in with an import — waiting for the counter.

What a client owes is defined in one place, :mod:`ispclient.store.balances`, and money is never
written except through the counter's service functions (issue 13: charges, voids, refunds,
credit, each with its receipt number and audit event). Those don't exist yet, and faking an
"Opening balance" as a subscription would put a made-up package into the client's history,
status and router provisioning. So the import reads and checks these columns now, and
:func:`apply_opening_balance` — the one place that will write them — refuses, saying so; rows
carrying a non-zero amount are rejected whole (in the report, to re-import once it lands).

To wire it: replace the body of :func:`apply_opening_balance` with the counter's service call
(inside the batch's transaction) and set ``AVAILABLE = True``.
"""

from __future__ import annotations

from ispclient.domain.errors import ValidationError

AVAILABLE = False
NOT_YET = ("Opening balances and credit can't be imported yet: this version has no way to record money "
           "owed or held without a sale (it comes with the counter's credit and charges). Import these "
           "clients without the column (set it to “not imported”), or keep the rejected rows to import later.")


class OpeningBalanceUnavailable(ValidationError):
    """This version can't record an opening balance or credit."""

    def __init__(self, field: str = "opening_balance") -> None:
        super().__init__({field: NOT_YET})


def check_amount(owed_minor: int, field: str) -> None:
    """Called while rows are checked: a non-zero opening amount is refused up front (a zero is
    nothing to record)."""
    if owed_minor and not AVAILABLE:
        raise OpeningBalanceUnavailable(field)


def apply_opening_balance(client_id: int, owed_minor: int, *, reference: str, actor: str | None = None) -> None:
    """Record what ``client_id`` owes (> 0) or holds as credit (< 0) when they are imported, inside
    the import batch's transaction, with its audit event.

    Refuses (OpeningBalanceUnavailable) until the counter's credit API exists: see the module's
    docstring."""
    if owed_minor == 0:
        return
    raise OpeningBalanceUnavailable()
