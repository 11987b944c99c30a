"""Taking money and renewing, from wherever the front desk is: the client window, the
subscription history, or the client list (where the client is read in the background first)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QWidget

from ispclient.domain import actions
from ispclient.store import queries
from ispclient.store.queries import ClientDetail
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext

log = logging.getLogger(__name__)

PAY = "pay"
RENEW = "renew"


def record_payment(parent: QWidget | None, ctx: AppContext, detail: ClientDetail,
                   subscription_id: int | None = None) -> int | None:
    """Record payment (its receipt offered right after); the payment's id, or None."""
    from ispclient.ui.dialogs.payment_dialog import PaymentDialog

    if detail.client.deleted_at is not None:
        msgbox.info(parent, "Record payment", actions.CLIENT_DELETED)
        return None
    return PaymentDialog.ask(parent, ctx, detail, subscription_id)


def renew(parent: QWidget | None, ctx: AppContext, detail: ClientDetail,
          subscription_id: int | None = None) -> int | None:
    """Renew this subscription, else the one that describes the client (the current, the next or
    the last one); a client with none gets a new sale. The new subscription's id, or None."""
    from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog

    if detail.client.deleted_at is not None:
        msgbox.info(parent, "Renew", actions.CLIENT_DELETED)
        return None
    if not ctx.catalog().on_sale():
        msgbox.info(parent, "Renew", actions.NO_PACKAGE_ON_SALE)
        return None
    if subscription_id is None:
        head = detail.headline()
        subscription_id = head.id if head is not None else None
    return SubscriptionDialog.ask(parent, ctx, detail, subscription_id)


def for_client(parent: QWidget, ctx: AppContext, client_id: int, action: str) -> None:
    """From the list: read the client in the background, then Record payment or Renew."""
    today = ctx.today()

    def then(detail: ClientDetail) -> None:
        if action == PAY:
            record_payment(parent, ctx, detail)
        else:
            renew(parent, ctx, detail)

    ops.Op(parent, lambda: queries.client_detail(client_id, today), key=f"counter-{action}").on_success(then).run()
