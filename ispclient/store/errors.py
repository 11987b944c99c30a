"""Failures of data work in words a front-desk user can act on — no Qt.

The GUI's one error dialog (``ispclient.ui.ops.show_error``) asks :func:`user_message` first;
only failures nobody foresaw get the generic "something went wrong" with a pointer to the log.
Besides ValidationError the store raises these, each carrying a message to show as it is —
never a driver's InterfaceError text:

* :class:`DatabaseUnavailable` — the PostgreSQL server was restarted, the network dropped, or the
  server can't be reached. The action in flight was not done (or, at the commit itself, may
  have been: the message says to check); this thread's next action reconnects by itself.
* :class:`DiskFull` — the disk holding the database is full; nothing was saved.
* :class:`ChangedElsewhere` — optimistic concurrency: the record was saved on another PC since
  this one read it. A ValidationError (field ``__all__``), so every form already shows it.
* :class:`RecordDeleted` — the record was deleted (on another PC) since this one read it.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import peewee

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


class NoLongerExists(RuntimeError):
    """What the user acted on was deleted meanwhile (on another PC, or in another window)."""


def is_missing(error: BaseException) -> bool:
    """Whether ``error`` says the record asked for does not exist (any more)."""
    return isinstance(error, peewee.DoesNotExist | NoLongerExists | RecordDeleted)


_DISK_FULL = ("database or disk is full", "no space left on device")


def user_message(error: BaseException) -> str | None:
    """The plain-words text for ``error``, or None when it is not a known kind of failure."""
    if isinstance(error, DatabaseUnavailable | DiskFull | NoLongerExists):
        return str(error)
    if isinstance(error, peewee.DoesNotExist):
        return "What you were working on no longer exists — it was probably deleted on another PC or in " \
               "another window. The lists show what is there now."
    from ispclient.routeros.errors import RouterError

    if isinstance(error, RouterError):
        return error.detail
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return disk_full_message()
    text = str(error).lower()
    if isinstance(error, peewee.OperationalError | sqlite3.OperationalError):
        if any(words in text for words in _DISK_FULL):
            return disk_full_message()
        if "locked" in text or "busy" in text:
            return "The database is busy with another task (or another PC). Nothing was saved; try again " \
                   "in a moment."
    return None
