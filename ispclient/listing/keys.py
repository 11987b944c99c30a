"""The list's columns and what each sorts by — the plain definitions the index must agree with.

Ascending is by the column's key, ties by name, then by client id; descending is exactly the
reverse. Names and other texts sort folded (``fold``: case and accents don't matter), Client IDs
naturally ("C9" before "C10").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from ispclient.domain.connection import ConnectionState
from ispclient.domain.subscriptions import NO_SUBSCRIPTION, SubscriptionStatus
from ispclient.listing.search import fold

if TYPE_CHECKING:
    from ispclient.store.queries import ClientRow


class Column(IntEnum):
    CLIENT_ID = 0
    NAME = 1
    PHONE = 2
    PPPOE_USERNAME = 3
    SERVER = 4
    PACKAGE = 5
    SUBSCRIPTION = 6
    END_DATE = 7
    CONNECTION = 8
    BALANCE = 9


HEADERS = {
    Column.CLIENT_ID: "Client ID",
    Column.NAME: "Name",
    Column.PHONE: "Phone",
    Column.PPPOE_USERNAME: "PPPoE username",
    Column.SERVER: "Server",
    Column.PACKAGE: "Package",
    Column.SUBSCRIPTION: "Subscription",
    Column.END_DATE: "End date",
    Column.CONNECTION: "Connection",
    Column.BALANCE: "Balance",
}

# The list's statuses in their sort order (the ones to call first); a row keeps its status as
# an index into this tuple.
STATUSES = (SubscriptionStatus.EXPIRING.value, SubscriptionStatus.EXPIRED.value, SubscriptionStatus.ACTIVE.value,
            SubscriptionStatus.SCHEDULED.value, SubscriptionStatus.CANCELLED.value, NO_SUBSCRIPTION)
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
# The same for connection states; a row keeps its state as its rank.
CONNECTION_STATES = (ConnectionState.ONLINE, ConnectionState.OFFLINE, ConnectionState.UNKNOWN)
CONNECTION_RANK = {s: i for i, s in enumerate(CONNECTION_STATES)}
NO_END = date.max.toordinal() + 1  # rows without an end date sort after every date

_CODE = re.compile(r"([^\W\d_]*)(\d+)")  # letters then digits: the usual Client ID
_DIGITS = re.compile(r"\d+")


def natural(text: str) -> str:
    """'C9' before 'C10': digit runs padded to 12 digits, so plain string order is numeric order."""
    text = fold(text)
    m = _CODE.fullmatch(text)
    if m is not None:  # the common case, without a callback per digit run
        return m.group(1) + m.group(2).zfill(12)
    return _DIGITS.sub(lambda d: d.group().zfill(12), text) if any(c.isdigit() for c in text) else text


def end_key(ends_on: date | None) -> int:
    return ends_on.toordinal() if ends_on else NO_END


# Each column's key for one row (and its connection state), the obvious way.
SORT_KEYS: dict[Column, Callable[[ClientRow, ConnectionState], Any]] = {
    Column.CLIENT_ID: lambda r, s: natural(r.client_code),
    Column.NAME: lambda r, s: fold(r.name),
    Column.PHONE: lambda r, s: r.phone,
    Column.PPPOE_USERNAME: lambda r, s: fold(r.pppoe_username),
    Column.SERVER: lambda r, s: fold(r.server_name),
    Column.PACKAGE: lambda r, s: fold(r.package_name),
    Column.SUBSCRIPTION: lambda r, s: STATUS_RANK.get(r.status, len(STATUSES)),
    Column.END_DATE: lambda r, s: end_key(r.ends_on),
    Column.CONNECTION: lambda r, s: CONNECTION_RANK[s],
    Column.BALANCE: lambda r, s: r.balance_minor,
}


def sorted_rows(rows: list[ClientRow], column: Column, states: Callable[[ClientRow], ConnectionState],
                descending: bool = False) -> list[ClientRow]:
    """The rows in the list's order for ``column`` — the definition the index is tested against."""
    key = SORT_KEYS[column]
    ordered = sorted(rows, key=lambda r: (key(r, states(r)), fold(r.name), r.id))
    return ordered[::-1] if descending else ordered
