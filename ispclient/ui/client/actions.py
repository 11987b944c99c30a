"""Client actions shared by the client window and the client list: delete (with undo)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QWidget

from ispclient.domain.money import format_money
from ispclient.store import balances, clients, queries
from ispclient.store.queries import ClientDetail
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.subscription_view import open_subscription

log = logging.getLogger(__name__)

UNABLE = "Unable to delete client"
OPEN_SUBSCRIPTION = "Open subscription"


def _refuse(parent: QWidget | None, ctx: AppContext, client_id: int, message: str, subscription_id: int) -> None:
    """The seed's “Unable to delete client”, naming the subscription and offering to open it."""
    if msgbox.choose(parent, UNABLE, message, [OPEN_SUBSCRIPTION]) == OPEN_SUBSCRIPTION:
        open_subscription(parent, ctx, client_id, subscription_id)


def _notice_parent(parent: QWidget | None) -> QWidget | None:
    """The undo note must outlive a client window that closes once its client is gone."""
    from ispclient.ui.client.window import ClientWindow

    window = parent.window() if parent is not None else None
    while isinstance(window, ClientWindow):
        owner = window.parentWidget()
        window = owner.window() if owner is not None else None
    return window


def delete_client(parent: QWidget, ctx: AppContext, client_id: int) -> None:
    """From the list: read the client (in the background), then as :func:`delete_client_interactive`."""
    today = ctx.today()
    ops.Op(parent, lambda: queries.client_detail(client_id, today), key="delete") \
        .on_success(lambda detail: delete_client_interactive(parent, ctx, detail)).run()


def delete_client_interactive(parent: QWidget | None, ctx: AppContext, detail: ClientDetail) -> bool:
    """Confirm (saying what happens on the router, and what they owe), delete, then offer Undo.
    Refused (with the reason) while a subscription runs.

    True if the question was asked; windows showing the client close once it is deleted.
    """
    client = detail.client
    blocker = detail.delete_blocker()
    if blocker is not None:
        _refuse(parent, ctx, client.id, detail.delete_refusal() or UNABLE, blocker.id)
        return False
    client_id = client.id
    ops.Op(parent, lambda: balances.balances([client_id]).get(client_id, 0), key="delete-balance") \
        .on_success(lambda owed: _confirm_delete(parent, ctx, detail, owed)).run()
    return True


def router_consequence(detail: ClientDetail, manage_secrets: bool) -> str:
    """What deleting the client does on their router, in a sentence."""
    client, server = detail.client, detail.server
    if server is None or not client.pppoe_username:
        return "They have no PPPoE account on a router."
    account = f"Their PPPoE account “{client.pppoe_username}” on {server.name}"
    if not manage_secrets:
        return f"{account} is left as it is (router provisioning is off in Settings)."
    return f"{account} is removed and they are disconnected; Undo puts it back with the same password."


def delete_question(detail: ClientDetail, owed_minor: int, currency: str, manage_secrets: bool) -> str:
    text = (f"Delete {detail.client.label}? {router_consequence(detail, manage_secrets)} Their subscription and "
            "payment history is kept, and you can undo this straight after.")
    if owed_minor > 0:
        text = f"{detail.client.name} still owes {format_money(owed_minor, currency)}.\n\n{text}"
    return text


def _confirm_delete(parent: QWidget | None, ctx: AppContext, detail: ClientDetail, owed_minor: int) -> None:
    client = detail.client
    who = client.label
    settings = ctx.settings()
    if not msgbox.confirm(parent, "Delete client", delete_question(detail, owed_minor, settings.currency,
                                                                    settings.manage_secrets),
                          ok_text="&Delete"):
        return
    owner = _notice_parent(parent)
    client_id = client.id

    def refused(error: BaseException) -> None:
        if isinstance(error, clients.DeleteRefused):  # another PC sold a subscription meanwhile
            _refuse(owner, ctx, client_id, error.errors["__all__"], error.subscription_id)
        else:
            ops.show_error(owner, error)

    def undo() -> None:
        ops.Op(None, lambda: clients.undo_delete_client(client_id)).run()

    ops.Op(owner, lambda: clients.delete_client(client_id)) \
        .on_success(lambda _c: msgbox.undo_notice(owner, "Client deleted", f"Client {who} deleted.", undo)) \
        .on_failure(refused).run()
