"""Who may bring data in or take it out: the roles with "import and export data" (the owner and
managers). Checked at the top of the preview, the import and each export, like the guard line of
the store's service functions (``store/access.py``), with the same message saying who can."""

from __future__ import annotations

from ispclient.domain.permissions import Actor, Permission


def check() -> Actor:
    """The signed-in staff member (or the system: the command line), or PermissionDenied."""
    from ispclient.store import access

    return access.check(Permission.IMPORT_EXPORT)
