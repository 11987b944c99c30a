"""Cancel a subscription: say why, and confirm — the client loses service at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import QPlainTextEdit, QWidget

from ispclient.domain.money import format_money
from ispclient.store import id_of
from ispclient.store import subscriptions as service
from ispclient.store.queries import ClientDetail
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.widgets import NoticeBox
from ispclient.ui.widgets.formatting import day

MAX_REASON = 500


class CancelDialog(FormDialog):
    save_text = "Cancel &subscription"

    def __init__(self, ctx: AppContext, detail: ClientDetail, subscription_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__("Cancel subscription", parent)
        self.ctx = ctx
        self.subscription_id = subscription_id
        self.setMinimumWidth(480)
        client = detail.client
        self.client_id = client.id
        sub = detail.subscription(subscription_id)
        assert sub is not None, "the subscription is one of this client's"
        currency = ctx.settings().currency
        paid = f" {format_money(sub.paid_minor, currency)} was paid for it; refunds are not recorded here." \
            if sub.paid_minor else ""
        self.warning = NoticeBox(
            "This can't be undone",
            f"Cancel “{sub.package_name}” ({day(sub.starts_on)} – {day(sub.ends_on)}) for "
            f"{client.name} ({client.client_code})? It stops counting as their subscription now, "
            f"and auto-renew is turned off.{paid}",
        )
        self.outer.insertWidget(1, self.warning)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("e.g. Moving away; changed to another package")
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.fields.add("reason", "&Reason:", self.reason)
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("&Keep it")
        self.finish_layout()
        self.reason.setFocus()

    def validate(self) -> Mapping[str, str]:
        if len(self.reason.toPlainText().strip()) > MAX_REASON:
            return {"reason": f"The reason is too long (at most {MAX_REASON} characters)."}
        return {}

    def work(self) -> Callable[[], Any]:
        subscription_id, reason = self.subscription_id, self.reason.toPlainText()
        return lambda: id_of(service.cancel_subscription(subscription_id, reason))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, detail: ClientDetail, subscription_id: int) -> bool:
        """True if the subscription was cancelled."""
        return cls.run(cls(ctx, detail, subscription_id, parent)) is not None
