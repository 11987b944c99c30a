"""Failures of data work in words a front-desk user can act on — no Qt.

The GUI's one error dialog (``ispclient.ui.ops.show_error``) asks :func:`user_message` first;
only failures nobody foresaw get the generic "something went wrong" with a pointer to the log.
"""

from __future__ import annotations

import errno
import sqlite3

import peewee


class UserFacingError(Exception):
    """An error whose text is written for the user (the services raise these on purpose)."""


class NoLongerExists(UserFacingError):
    """What the user acted on was deleted meanwhile (on another PC, or in another window)."""


def is_missing(error: BaseException) -> bool:
    """Whether ``error`` says the record asked for does not exist (any more)."""
    return isinstance(error, peewee.DoesNotExist | NoLongerExists)


_DISK_FULL = ("database or disk is full", "no space left on device", "disk i/o error")


def user_message(error: BaseException) -> str | None:
    """The plain-words text for ``error``, or None when it is not a known kind of failure."""
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, peewee.DoesNotExist):
        return "What you were working on no longer exists — it was probably deleted on another PC or in " \
               "another window. The lists show what is there now."
    from ispclient.routeros.errors import RouterError

    if isinstance(error, RouterError):
        return error.detail
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "The disk is full, so nothing was saved. Free some space on the disk, then try again."
    text = str(error).lower()
    if isinstance(error, peewee.OperationalError | sqlite3.OperationalError):
        if any(words in text for words in _DISK_FULL):
            return "The disk is full, so nothing was saved. Free some space on the disk, then try again."
        if "locked" in text or "busy" in text:
            return "The database is busy with another task (or another PC). Nothing was saved; try again " \
                   "in a moment."
    return None
