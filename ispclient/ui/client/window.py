"""The client window: Overview, Subscriptions and Activity tabs, and the client's actions.

Several may be open at once; each reloads when ``clients_changed`` names its client and redraws
its status when ``connections.changed`` names its (server, username).
"""

from __future__ import annotations

import logging

import peewee
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ispclient.domain import subscriptions as rules
from ispclient.store import queries
from ispclient.store.queries import ClientDetail
from ispclient.ui.client import actions
from ispclient.ui.client.activity_tab import ActivityTab
from ispclient.ui.client.overview import OverviewTab
from ispclient.ui.client.subscriptions_tab import SubscriptionsTab
from ispclient.ui.context import AppContext, ConnKey
from ispclient.ui.dialogs.cancel_dialog import CancelDialog
from ispclient.ui.dialogs.client_dialog import ClientDialog
from ispclient.ui.dialogs.payment_dialog import PaymentDialog
from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog
from ispclient.ui.dialogs.subscription_view import open_subscription, set_allowed
from ispclient.ui.widgets.formatting import day

log = logging.getLogger(__name__)

_STATE_GROUP = "ClientWindow"


class ClientWindow(QWidget):
    """A top-level window for one client; deletes itself when closed (WA_DeleteOnClose)."""

    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx = ctx
        self.client_id = client_id
        self.detail: ClientDetail | None = None
        self._conn_key: ConnKey | None = None

        self.edit_button = QPushButton("&Edit…")
        self.create_button = QPushButton("Create &Subscription…")
        self.view_button = QPushButton("&View Subscription…")
        self.delete_button = QPushButton("&Delete…")
        bar = QHBoxLayout()
        for b in (self.edit_button, self.create_button, self.view_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.delete_button)

        self.overview = OverviewTab()
        self.subscriptions = SubscriptionsTab()
        self.activity = ActivityTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.overview, "&Overview")
        self.tabs.addTab(self.subscriptions, "S&ubscriptions")
        self.tabs.addTab(self.activity, "&Activity")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

        self.edit_button.clicked.connect(self.edit)
        self.create_button.clicked.connect(self.create_subscription)
        self.view_button.clicked.connect(self.view_subscription)
        self.delete_button.clicked.connect(self.delete)
        self.overview.create_subscription_requested.connect(self.create_subscription)
        self.overview.check_now_requested.connect(self.check_now)
        s = self.subscriptions
        s.view_requested.connect(lambda sid: open_subscription(self, self.ctx, sid))
        s.cancel_requested.connect(lambda sid: CancelDialog.ask(self, self.ctx, sid))
        s.renew_requested.connect(lambda sid: SubscriptionDialog.ask(self, self.ctx, self.client_id, sid))
        s.pay_requested.connect(lambda sid: PaymentDialog.ask(self, self.ctx, sid))
        s.selection_changed.connect(self._update_actions)
        self.tabs.currentChanged.connect(self._update_actions)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self, self.delete)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.check_now)
        self.setTabOrder(self.edit_button, self.create_button)
        self.setTabOrder(self.create_button, self.view_button)
        self.setTabOrder(self.view_button, self.delete_button)
        self.setTabOrder(self.delete_button, self.tabs)

        ctx.events.clients_changed.connect(self._clients_changed)
        ctx.events.catalog_changed.connect(self.reload)
        ctx.events.settings_changed.connect(self.reload)
        ctx.connections.changed.connect(self._connections_changed)

        self._restore_state()
        self.reload()
        self.check_now()  # a window that opens shows a fresh status

    # -- loading -------------------------------------------------------------------------

    def _clients_changed(self, ids: list[int]) -> None:
        if not ids or self.client_id in ids:
            self.reload()

    def _connections_changed(self, keys: list[ConnKey]) -> None:
        if self._conn_key is not None and self._conn_key in keys:
            self._show_connection()

    def reload(self) -> None:
        try:
            detail = queries.client_detail(self.client_id, self.ctx.today())
        except peewee.DoesNotExist:
            self.close()
            return
        if detail.client.deleted_at is not None:  # deleted here or on another PC/window
            self.close()
            return
        settings = self.ctx.settings()
        self.detail = detail
        client = detail.client
        self.setWindowTitle(f"{client.name} — {client.client_code}")
        old_key = self._conn_key
        self._conn_key = (client.server_id, client.pppoe_username) if client.server_id else None
        self.overview.show_detail(detail, settings)
        on_sale = bool(queries.packages(active_only=True))
        self.subscriptions.show_detail(detail, settings, on_sale)
        self.activity.show_events(queries.activity(self.client_id), settings.timezone)
        self._show_connection()
        self._update_actions()
        if old_key is not None and old_key != self._conn_key:
            self.check_now()  # the server or username was just edited

    def _show_connection(self) -> None:
        if self.detail is None:
            return
        client = self.detail.client
        conn = self.ctx.connections.get(client.server_id, client.pppoe_username)
        self.overview.show_connection(conn, self.ctx.settings().timezone)

    def _update_actions(self) -> None:
        d = self.detail
        if d is None:
            return
        on_sale = bool(queries.packages(active_only=True))
        today = d.today
        if not on_sale:
            create_why: str | None = "No package is on sale. Add or re-activate one in Packages first."
        else:
            create_why = None
        next_start = rules.renewal_start(d.subscriptions, today)
        renewal = next_start if next_start > today else None
        set_allowed(self.create_button, create_why,
                    f"Renew: the new subscription starts on {day(renewal)} when the current one ends."
                    if renewal else "Sell a package to this client.")
        self.overview.create_button.setEnabled(create_why is None)
        self.overview.create_button.setToolTip(create_why or "")
        target = self.subscription_to_view()
        sub = next((s for s in d.subscriptions if s.id == target), None)
        set_allowed(self.view_button, None if sub else "This client has no subscriptions yet.",
                    f"See “{sub.package_name}” ({day(sub.starts_on)} – {day(sub.ends_on)}) with its payments."
                    if sub else "")
        set_allowed(self.delete_button, d.delete_refusal(),
                    "Delete this client (asks first; you can undo it right after).")
        set_allowed(self.edit_button, None, "Change this client's details.")

    # -- actions -------------------------------------------------------------------------

    def subscription_to_view(self) -> int | None:
        """The row selected on the Subscriptions tab, else the current (headline) one, else the newest."""
        d = self.detail
        if d is None or not d.subscriptions:
            return None
        if self.tabs.currentWidget() is self.subscriptions:
            selected = self.subscriptions.selected_id()
            if selected is not None:
                return selected
        head = d.headline()
        return head.id if head else d.subscriptions[0].id

    def edit(self) -> None:
        ClientDialog.ask(self, self.ctx, self.client_id)

    def create_subscription(self) -> None:
        if self.create_button.isEnabled():
            SubscriptionDialog.ask(self, self.ctx, self.client_id)

    def view_subscription(self) -> None:
        sub_id = self.subscription_to_view()
        if sub_id is not None:
            open_subscription(self, self.ctx, sub_id)

    def delete(self) -> None:
        """Also reached by the Delete key while the button is disabled: then it says why."""
        if actions.delete_client_interactive(self, self.ctx, self.client_id):
            self.close()

    def check_now(self) -> None:
        if self.detail is not None:
            c = self.detail.client
            self.ctx.connections.request_client(c.server_id, c.pppoe_username)

    # -- window state --------------------------------------------------------------------

    def _state(self) -> QSettings:
        return QSettings(str(self.ctx.paths.settings_file), QSettings.Format.IniFormat)

    def _restore_state(self) -> None:
        st = self._state()
        geometry = st.value(f"{_STATE_GROUP}/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1040, 680)
        header = st.value(f"{_STATE_GROUP}/history_header")
        if header is not None and self.subscriptions.table.horizontalHeader().restoreState(header):
            self.subscriptions.widths_restored = True
        header = st.value(f"{_STATE_GROUP}/activity_header")
        if header is not None:
            self.activity.table.horizontalHeader().restoreState(header)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        st = self._state()
        st.setValue(f"{_STATE_GROUP}/geometry", self.saveGeometry())
        st.setValue(f"{_STATE_GROUP}/history_header", self.subscriptions.table.horizontalHeader().saveState())
        st.setValue(f"{_STATE_GROUP}/activity_header", self.activity.table.horizontalHeader().saveState())
        super().closeEvent(event)
