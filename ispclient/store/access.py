"""Who the work is done for, and the permission check at the top of every service function.

The signed-in staff member is a context variable: the GUI sets it in its own thread at sign-in,
and every background operation runs in a copy of the GUI thread's context (``ui/ops.py``), so
each service function sees who asked without an argument threaded through. Work nobody signed
in for — the nightly ``enforce``, the command line, the router queue — acts as the *system*
(the process default; the GUI turns that default off at start-up, so there nothing changes
data until someone signs in).

Each service function carries one line saying what it needs::

    @access.requires(Permission.DELETE_CLIENTS)
    def delete_client(client_id: int, *, actor: str | None = None) -> Client: ...

The decorators also fill :data:`REGISTRY`, which the permission tests walk (every service
function × every role), so a service function without its line is found by the tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from ispclient.domain import permissions
from ispclient.domain.permissions import SYSTEM, Actor, Permission, PermissionDenied, Role
from ispclient.store.memo import memo_scope

P = ParamSpec("P")
R = TypeVar("R")

_signed_in: ContextVar[Actor | None] = ContextVar("ispclient_signed_in", default=None)
_process_default: Actor | None = SYSTEM

NOT_SIGNED_IN = "Nobody is signed in: sign in first (nothing was changed)."
SIGNED_OUT_ELSEWHERE = ("Your account was turned off (or removed) by the owner while you were signed in; nothing "
                        "was changed. Switch user (Ctrl+L) and sign in as someone else.")


@dataclass(frozen=True)
class Guard:
    """What a service function needs: a permission, or one of the kinds below."""

    permission: Permission | None
    kind: str  # "permission" | "automatic" (the app's own rules: anyone) | "signed_in" | "open"


REGISTRY: dict[str, tuple[Callable[..., object], Guard]] = {}


def _register(fn: Callable[..., object], guard: Guard) -> None:
    REGISTRY[f"{fn.__module__}.{fn.__qualname__}"] = (fn, guard)


def current() -> Actor | None:
    """Who the work in this context is done for (None: nobody signed in, in the GUI)."""
    return _signed_in.get() or _process_default


def set_process_default(actor: Actor | None) -> None:
    """The GUI calls this with None at start-up: work outside a sign-in is then refused."""
    global _process_default
    _process_default = actor


def sign_in_here(actor: Actor | None) -> None:
    """Set who is signed in for this thread's context (the GUI thread, at sign-in and lock)."""
    _signed_in.set(actor)


@contextmanager
def acting_as(actor: Actor | None) -> Iterator[None]:
    """Work done for ``actor`` inside the block (tests; the app's own rules run as the system)."""
    token = _signed_in.set(actor)
    try:
        yield
    finally:
        _signed_in.reset(token)


def as_system(fn: Callable[[], R]) -> Callable[[], R]:
    """``fn`` run as the system: the router queue and the automatic backup, started by the app,
    not by the person at the keyboard."""
    def run() -> R:
        with acting_as(SYSTEM):
            return fn()
    return run


def _fresh(actor: Actor) -> Actor:
    """The staff member as the database has them now: a role changed or an account turned off on
    another PC counts from the next action, not the next sign-in."""
    if actor.is_system:
        return actor
    from ispclient.store.models import Staff

    row = Staff.select(Staff.role, Staff.active, Staff.display_name).where(Staff.id == actor.staff_id).first()
    if row is None or not row.active:
        raise PermissionDenied(SIGNED_OUT_ELSEWHERE)
    return Actor(actor.staff_id, actor.username, row.display_name, Role(row.role))


def check(permission: Permission, *, fresh: bool = True) -> Actor:
    """The actor, or PermissionDenied saying who can. ``fresh=False`` trusts the role read at
    sign-in (a restore runs with the database closed: asking it would open it again)."""
    actor = current()
    if actor is None:
        raise PermissionDenied(NOT_SIGNED_IN, permission)
    if fresh:
        actor = _fresh(actor)
    why = permissions.refusal(actor, permission)
    if why is not None:
        raise PermissionDenied(why, permission)
    return actor


def check_signed_in() -> Actor:
    actor = current()
    if actor is None:
        raise PermissionDenied(NOT_SIGNED_IN)
    return _fresh(actor)


def requires(permission: Permission, *, fresh: bool = True) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The service function needs ``permission``: checked before anything is read or written."""
    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            with memo_scope():  # one action: the settings read once for all of it
                check(permission, fresh=fresh)
                return fn(*args, **kwargs)

        _register(guarded, Guard(permission, "permission"))
        return guarded
    return wrap


def signed_in(fn: Callable[P, R]) -> Callable[P, R]:
    """Anyone signed in (or the system): their own password, their own shift."""
    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        with memo_scope():
            check_signed_in()
            return fn(*args, **kwargs)

    _register(guarded, Guard(None, "signed_in"))
    return guarded


def automatic(fn: Callable[P, R]) -> Callable[P, R]:
    """The app's own rules (auto-renew, expiry, the router queue): whoever's PC runs them, they
    are recorded under the work's own name, never refused for a role."""
    _register(fn, Guard(None, "automatic"))
    return fn


def open_to_all(fn: Callable[P, R]) -> Callable[P, R]:
    """Needs nobody signed in: signing in, and creating the first owner of a database with no staff."""
    _register(fn, Guard(None, "open"))
    return fn


def staff_id() -> int | None:
    """The signed-in staff member's id (None for the system or nobody)."""
    actor = current()
    return actor.staff_id if actor is not None else None


def actor_name() -> str | None:
    """The signed-in staff member's display name, for the audit trail (None: not a staff member)."""
    actor = current()
    return actor.name if actor is not None and not actor.is_system else None
