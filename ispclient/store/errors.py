"""What the store raises besides ValidationError: each one carries a message a front-desk user
can act on, and the UI shows ``str(error)`` as it is — never a driver's InterfaceError text.

* :class:`DatabaseUnavailable` — the PostgreSQL server was restarted, the network dropped, or the
  server can't be reached. The action in flight was not done (or, at the commit itself, may
  have been: the message says to check); this thread's next action reconnects by itself.
* :class:`DiskFull` — the disk holding the database is full; nothing was saved.
* :class:`ChangedElsewhere` — optimistic concurrency: the record was saved on another PC since
  this one read it. A ValidationError (field ``__all__``), so every form already shows it.
* :class:`RecordDeleted` — the record was deleted (on another PC) since this one read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ispclient.domain.errors import ValidationError

RESTARTED = "The database server was restarted; please try again."
RESTARTED_AT_COMMIT = ("The database server was restarted while this was being saved, so it may or may not have "
                       "been saved. Reload to check, then try again if it is missing.")


class DatabaseUnavailable(RuntimeError):
    """The database server can't be used right now; the message says what happened."""


class DiskFull(RuntimeError):
    """The disk that holds the database (or its backups) is full."""


def disk_full_message(where: str = "") -> str:
    place = f" ({where})" if where else ""
    return (f"The disk is full{place}: nothing was saved. Free some space (empty the recycle bin, delete "
            "old files), then try again.")


@dataclass(frozen=True)
class Change:
    """One field another PC changed: its label and the values before and after."""

    field: str
    before: object
    after: object

    def text(self) -> str:
        return f"{self.field.replace('_', ' ')}: {_short(self.before)} → {_short(self.after)}"


def _short(value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    text = str(value).replace("\n", " ")
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


class ChangedElsewhere(ValidationError):
    """“This client was changed on another PC at 10:42 by amina — reload and try again”.

    ``changes`` says what the other PC(s) changed since this one read the record."""

    def __init__(self, what: str, at: datetime | None, by: str, changes: tuple[Change, ...],
                 when_text: str = "") -> None:
        when = f" at {when_text}" if when_text else ""
        who = f" by {by}" if by else ""
        message = f"This {what} was changed on another PC{when}{who} — reload and try again."
        if changes:
            message += " Changed: " + "; ".join(c.text() for c in changes) + "."
        super().__init__({"__all__": message})
        self.at = at
        self.by = by
        self.changes = changes


class RecordDeleted(ValidationError):
    """The record is gone (deleted on another PC, or never existed); the message says so."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(errors or {"__all__": message})
