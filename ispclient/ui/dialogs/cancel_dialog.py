"""Cancel a subscription: say why, choose now or at the end of the paid period, and see what
happens on the router before confirming. Money paid on one cancelled now is never stranded: it
becomes the client's credit, or is given back (the rest to credit)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain import ledger
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_money, parse_amount
from ispclient.domain.permissions import Permission
from ispclient.store import id_of, settings
from ispclient.store import subscriptions as service
from ispclient.store.queries import ClientDetail
from ispclient.store.settings import Settings
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.widgets import NoticeBox
from ispclient.ui.widgets.formatting import day, day_in_text

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
        currency = self.currency = ctx.settings().currency
        self.paid_minor = max(0, sub.paid_minor)
        paid = f" {format_money(sub.paid_minor, currency)} was paid on it." if self.paid_minor else ""
        self.warning = NoticeBox(
            "This can't be undone",
            f"Cancel “{sub.package_name}” ({day(sub.starts_on)} – {day(sub.ends_on)}) for "
            f"{client.name} ({client.client_code})? Auto-renew is turned off.{paid}",
        )
        self.outer.insertWidget(1, self.warning)
        self.detail = detail
        self.sub = sub
        self._router_section()
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("e.g. Moving away; changed to another package")
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.fields.add("reason", "&Reason:", self.reason)
        self._money_rows()
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("&Keep it")
        self.finish_layout()
        self.reason.setFocus()

    # -- the money paid on it ------------------------------------------------------------------

    def _money_rows(self) -> None:
        """Cancelled now, what was paid on it becomes credit, or is partly or wholly given back;
        cancelled at the end of its period, it was paid for the service the client gets."""
        self.to_credit = QRadioButton(f"Keep {format_money(self.paid_minor, self.currency)} as the client's "
                                      "cre&dit (used on their next sale)")
        self.refund = QRadioButton("&Give money back now (a refund; the rest stays as credit)")
        refund_why = self.ctx.session.refusal(Permission.VOID_REFUND)
        self.refund.setEnabled(refund_why is None)
        self.refund.setToolTip(refund_why or "")
        group = QButtonGroup(self)
        group.addButton(self.to_credit)
        group.addButton(self.refund)
        self.to_credit.setChecked(True)
        choice = QWidget()
        column = QVBoxLayout(choice)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.to_credit)
        column.addWidget(self.refund)
        self.refund_amount = QLineEdit()
        self.refund_amount.setPlaceholderText(f"at most {format_money(self.paid_minor, self.currency)}")
        self.refund_method = QComboBox()
        self.refund_method.addItems(settings.PAYMENT_METHODS)
        self.refund_reference = QLineEdit()
        f = self.fields
        f.add("money_to", "Money paid:", choice, buddy=self.to_credit)
        f.watch(self.to_credit, "money_to")
        f.add("amount", f"Refund &amount ({self.currency}):", self.refund_amount)
        f.add("method", "Refund &method:", self.refund_method)
        f.add("reference", "Re&ference:", self.refund_reference)
        self.to_credit.toggled.connect(lambda _on: self._show_money_rows())
        self.when_now.toggled.connect(lambda _on: self._show_money_rows())
        self._show_money_rows()

    def _refunding(self) -> bool:
        return self.paid_minor > 0 and not self.at_period_end() and self.refund.isChecked()

    def _show_money_rows(self) -> None:
        self.fields.set_row_visible("money_to", self.paid_minor > 0 and not self.at_period_end())
        for name in ("amount", "method", "reference"):
            self.fields.set_row_visible(name, self._refunding())
        self.fit_height()

    # -- what happens on the router, and when -------------------------------------------------

    def _router_section(self) -> None:
        """Now, or at the end of the paid period; and in plain words what the router will do."""
        sub, today = self.sub, self.detail.today
        running = sub.starts_on <= today < sub.ends_on
        self.when_now = QRadioButton("&Now: their service stops today")
        self.when_end = QRadioButton(f"At the &end of the paid period ({day_in_text(sub.ends_on)})")
        self.when_end.setToolTip("Service runs until the end date, then stops with no grace days and no renewal.")
        self.when_now.setChecked(True)
        self.when_end.setEnabled(running)
        if not running:
            self.when_end.setToolTip("This subscription is not running: it can only be cancelled now.")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.when_now)
        column.addWidget(self.when_end)
        self.router_note = QLabel()
        self.router_note.setObjectName("router_note")
        self.router_note.setWordWrap(True)
        column.addWidget(self.router_note)
        self.outer.insertWidget(2, box)
        self.when_now.toggled.connect(self._show_router_note)
        self._show_router_note()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.fit_height()  # wrapped notes need their lines' height, which a dialog doesn't ask for itself

    def at_period_end(self) -> bool:
        return self.when_end.isChecked()

    def _show_router_note(self, *_args: object) -> None:
        self.router_note.setText(router_effect(self.detail, self.sub.id, self.ctx.settings(), self.at_period_end()))
        self.fit_height()

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        if len(self.reason.toPlainText().strip()) > MAX_REASON:
            errors["reason"] = f"The reason is too long (at most {MAX_REASON} characters)."
        if self._refunding():
            try:
                amount = parse_amount(self.refund_amount.text().strip(), self.currency)
                ledger.check_refund(amount, self.paid_minor, "this subscription", self.currency)
            except ValidationError as e:
                errors["amount"] = next(iter(e.errors.values()))
        return errors

    def work(self) -> Callable[[], Any]:
        subscription_id, reason, at_end = self.subscription_id, self.reason.toPlainText(), self.at_period_end()
        if self._refunding():
            refund = service.RefundInput(self.refund_amount.text(), self.refund_method.currentText(),
                                         self.refund_reference.text())
            return lambda: id_of(service.cancel_subscription(subscription_id, reason, money_to=service.MONEY_REFUND,
                                                             refund=refund))
        return lambda: id_of(service.cancel_subscription(subscription_id, reason, at_period_end=at_end))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, detail: ClientDetail, subscription_id: int) -> bool:
        """True if the subscription was cancelled."""
        return cls.run(cls(ctx, detail, subscription_id, parent)) is not None


_EXPIRY_EFFECT = {
    "disable": "is disabled and their session is dropped",
    "limit": "moves to the slow profile “{limit}” and their session is dropped",
    "remove": "is removed",
    "nothing": "is left as it is (expiry action “nothing” in Settings)",
}


def router_effect(detail: ClientDetail, subscription_id: int, settings: Settings, at_period_end: bool) -> str:
    """What cancelling does on the client's router, and when, in a sentence."""
    client, server = detail.client, detail.server
    if server is None or not client.pppoe_username:
        return "On the router: nothing (this client has no PPPoE account on a router)."
    if not settings.manage_secrets:
        return (f"On the router: nothing — router provisioning is off in Settings, so “{client.pppoe_username}” "
                f"on {server.name} stays as it is until you change it there.")
    sub = detail.subscription(subscription_id)
    today = detail.today
    others = [s for s in detail.subscriptions if s.id != subscription_id and not s.is_cancelled
              and s.starts_on <= today < s.ends_on]
    if sub is None or sub.starts_on > today or others:
        return f"On the router: nothing changes now — “{client.pppoe_username}” keeps the service it has."
    effect = _EXPIRY_EFFECT.get(settings.expiry_action, _EXPIRY_EFFECT["disable"]).format(limit=settings.limit_profile)
    when = f"on {day_in_text(sub.ends_on)}, with no grace days; until then nothing changes" if at_period_end \
        else "at once"
    return f"On the router: their PPPoE account “{client.pppoe_username}” on {server.name} {effect} {when}."
