"""Client actions shared by the client window and the client list: delete (with undo)."""

from __future__ import annotations

import logging

import peewee
from PySide6.QtWidgets import QWidget

from ispclient.domain.errors import ValidationError
from ispclient.store import clients, queries
from ispclient.ui import msgbox
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.subscription_view import open_subscription

log = logging.getLogger(__name__)

UNABLE = "Unable to delete client"
OPEN_SUBSCRIPTION = "Open subscription"


def _refuse(parent: QWidget | None, ctx: AppContext, message: str, subscription_id: int) -> None:
    """The seed's “Unable to delete client”, naming the subscription and offering to open it."""
    if msgbox.choose(parent, UNABLE, message, [OPEN_SUBSCRIPTION]) == OPEN_SUBSCRIPTION:
        open_subscription(parent, ctx, subscription_id)


def _notice_parent(parent: QWidget | None) -> QWidget | None:
    """The undo note must outlive a client window that closes once its client is gone."""
    from ispclient.ui.client.window import ClientWindow

    window = parent.window() if parent is not None else None
    while isinstance(window, ClientWindow):
        owner = window.parentWidget()
        window = owner.window() if owner is not None else None
    return window


def delete_client_interactive(parent: QWidget | None, ctx: AppContext, client_id: int) -> bool:
    """Confirm, delete, then offer Undo. Refused (with the reason) while a subscription runs.

    True if the client was deleted.
    """
    detail = queries.client_detail(client_id, ctx.today())
    client = detail.client
    blocker = detail.delete_blocker()
    if blocker is not None:
        _refuse(parent, ctx, detail.delete_refusal() or UNABLE, blocker.id)
        return False
    who = f"{client.name} ({client.client_code})"
    if not msgbox.confirm(parent, "Delete client",
                          f"Delete {who}? Their subscription and payment history is kept, and you can "
                          "undo this straight after.", ok_text="&Delete"):
        return False
    try:
        clients.delete_client(client_id)
    except clients.DeleteRefused as e:  # another PC sold a subscription meanwhile
        _refuse(parent, ctx, e.errors["__all__"], e.subscription_id)
        return False
    except (ValidationError, peewee.DoesNotExist) as e:
        msgbox.error(parent, UNABLE, str(e) or "The client no longer exists.")
        return False
    ctx.events.clients_changed.emit([client_id])

    def undo() -> None:
        try:
            clients.undo_delete_client(client_id)
        except ValidationError as e:
            msgbox.error(None, "Undo delete", "\n".join(e.errors.values()))
            return
        ctx.events.clients_changed.emit([client_id])

    msgbox.undo_notice(_notice_parent(parent), "Client deleted", f"Client {who} deleted.", undo)
    return True
