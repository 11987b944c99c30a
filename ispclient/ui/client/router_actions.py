"""The client window's Router menu: drop the live session now, disable or enable the PPPoE
account by hand, push it to the router now. Each is a queued router change (the same queue,
deadlines and audit as provisioning), sent in the background."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from ispclient.store import provisioning
from ispclient.store.queries import ClientDetail
from ispclient.store.settings import Settings
from ispclient.ui import msgbox, ops

NO_ACCOUNT = "Assign a router and a PPPoE username in Edit first."


class RouterMenu(QMenu):
    def __init__(self, parent: QWidget) -> None:
        super().__init__("Router", parent)
        self.setObjectName("router_menu")
        self.setToolTipsVisible(True)
        self.detail: ClientDetail | None = None
        self.disconnect_action = self._add("&Disconnect session now", self.disconnect_session,
                                           "Drop their live session: they reconnect at once with their "
                                           "current profile (e.g. a new package's speed).")
        self.disable_action = self._add("D&isable account…", lambda: self.hold(True),
                                        "Disable their PPPoE account on the router until you enable it "
                                        "again (recorded in Activity).")
        self.enable_action = self._add("&Enable account", lambda: self.hold(False),
                                       "Enable their PPPoE account again.")
        self.push_action = self._add("&Push to router", self.push,
                                     "Send their PPPoE account to the router now as the database has it.")

    def _add(self, text: str, slot: Callable[[], object], tip: str) -> QAction:
        action = self.addAction(text)
        action.setToolTip(tip)
        action.setProperty("tip", tip)
        action.triggered.connect(slot)
        return action

    def show_detail(self, detail: ClientDetail, settings: Settings) -> None:
        self.detail = detail
        client = detail.client
        has_account = detail.server is not None and bool(client.pppoe_username)
        for action in (self.disconnect_action, self.disable_action, self.enable_action, self.push_action):
            action.setEnabled(has_account)
            action.setToolTip(action.property("tip") if has_account else NO_ACCOUNT)
        self.disable_action.setVisible(not client.secret_held)
        self.enable_action.setVisible(client.secret_held or not settings.manage_secrets)
        if settings.manage_secrets and client.secret_held:
            self.enable_action.setToolTip("Enable their PPPoE account again; if their subscription has ended "
                                          "or is unpaid it stays disabled until they renew or pay.")

    def _client_id(self) -> int | None:
        return self.detail.client.id if self.detail is not None else None

    def disconnect_session(self) -> None:
        client_id = self._client_id()
        if client_id is not None:
            self._run(lambda: provisioning.disconnect_now(client_id), "Disconnect queued")

    def hold(self, disabled: bool) -> None:
        client_id = self._client_id()
        if client_id is None or self.detail is None:
            return
        if disabled and not msgbox.confirm(
                self.parentWidget(), "Disable PPPoE account",
                f"Disable “{self.detail.client.pppoe_username}” on the router and disconnect them? It stays "
                "disabled, whatever their subscription, until you enable it again.", ok_text="&Disable"):
            return
        self._run(lambda: provisioning.hold_secret(client_id, disabled), "Queued")

    def push(self) -> None:
        client_id = self._client_id()
        if client_id is not None:
            self._run(lambda: provisioning.push_client(client_id), "Queued")

    def _run(self, call: Callable[[], object], _what: str) -> None:
        ops.Op(self.parentWidget(), call, key="router-action").run()
