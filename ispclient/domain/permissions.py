"""Who may do what: the staff roles and the permission matrix — no Qt, no database.

The store checks a permission at the top of every service function (``store/access.py``), so a
refusal holds whatever screen, script or PC asked; the UI asks the same matrix to disable what
the signed-in role can't do, with a tooltip naming who can.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ispclient.domain.errors import ValidationError


class Role(enum.StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return self.value.capitalize()


ROLE_HELP = {
    Role.OWNER: "Everything, including staff accounts and restoring a backup.",
    Role.MANAGER: "Everything but staff accounts and restoring a backup: voids and refunds, deleting clients, "
                  "packages, routers, settings, router sync, import and export, every shift of a day, "
                  "revenue and the reports.",
    Role.CASHIER: "Clients, sales, renewals and payments in their own shift. No voids, refunds, cancellations "
                  "or deletions.",
    Role.VIEWER: "Looks only: sees clients, subscriptions and payments, changes nothing.",
}


class Permission(enum.Enum):
    """Each value is the phrase that ends "Only … can …"."""

    EDIT_CLIENTS = "add and edit clients"
    SEE_PPPOE_PASSWORDS = "see PPPoE passwords"
    SELL = "sell packages"
    RENEW = "renew subscriptions"
    CANCEL = "cancel subscriptions"
    TAKE_PAYMENTS = "take payments"
    VOID_REFUND = "void payments and give refunds"
    DELETE_CLIENTS = "delete clients"
    PACKAGES = "change packages"
    SERVERS = "change routers, their passwords and the PPPoE password key"
    SETTINGS = "change settings"
    STAFF = "manage staff accounts"
    BACKUP = "back up and check the database"
    RESTORE = "restore a backup"
    IMPORT_EXPORT = "import and export data"
    ROUTER_SYNC = "sync routers and act on their queue"
    SEE_ALL_SHIFTS = "see every shift of a day"
    REPORTS = "see revenue and the reports"


_CASHIER = frozenset({Permission.EDIT_CLIENTS, Permission.SEE_PPPOE_PASSWORDS, Permission.SELL, Permission.RENEW,
                      Permission.TAKE_PAYMENTS})
_MANAGER = frozenset(Permission) - {Permission.STAFF, Permission.RESTORE}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: _MANAGER,
    Role.CASHIER: _CASHIER,
    Role.VIEWER: frozenset(),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in MATRIX[role]


def roles_allowed(permission: Permission) -> list[Role]:
    return [role for role in Role if allows(role, permission)]


def who_can(permission: Permission) -> str:
    """“the owner or a manager”."""
    names = ["the owner" if r is Role.OWNER else f"a {r.value}" for r in roles_allowed(permission)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class Actor:
    """Who a piece of work is done for: a signed-in staff member, or the system (the nightly
    ``enforce``, the router queue, the command line — run by whoever can run them on the PC)."""

    staff_id: int | None
    username: str
    name: str  # display name: what the audit trail and the screens show
    role: Role | None  # None for the system

    @property
    def is_system(self) -> bool:
        return self.staff_id is None

    def describe(self) -> str:
        return "the system" if self.role is None else f"{self.name} ({self.role.value})"


SYSTEM = Actor(None, "system", "system", None)


class PermissionDenied(ValidationError):
    """The signed-in role may not do this; the message says who can."""

    def __init__(self, message: str, permission: Permission | None = None) -> None:
        super().__init__({"__all__": message})
        self.permission = permission


def refusal(actor: Actor | None, permission: Permission) -> str | None:
    """Why ``actor`` may not do this (None: they may). The system may do everything."""
    if actor is None:
        return "Sign in first."
    if actor.role is None:
        return None
    if allows(actor.role, permission):
        return None
    return (f"Only {who_can(permission)} can {permission.value}. You are signed in as {actor.name} "
            f"({actor.role.value}).")


def tooltip(role: Role | None, permission: Permission) -> str | None:
    """The disabled control's tooltip for ``role`` (None when it may)."""
    if role is None or allows(role, permission):
        return None
    return f"Only {who_can(permission)} can {permission.value}."
