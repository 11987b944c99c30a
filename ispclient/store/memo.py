"""What one action (a service call, a write transaction) has read and may read again unchanged.

The settings are the case: a payment read them ~9 times, each a query and a ``Settings`` built.
A reader keeps what it read in :func:`transaction_memo`; a writer of the same data drops it. Kept
until the outermost scope ends; no imports, so the store's lowest modules can use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict[str, Any] | None] = ContextVar("ispclient_action_memo", default=None)


def transaction_memo() -> dict[str, Any] | None:
    """The running action's memo (None outside one)."""
    return _memo.get()


@contextmanager
def memo_scope() -> Iterator[None]:
    """One action: what it reads through :func:`transaction_memo` is read once (nested scopes
    share the outermost one's)."""
    token = _memo.set({}) if _memo.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _memo.reset(token)
