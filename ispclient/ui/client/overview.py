"""Overview tab: Basic Information, Connection Details, Current Subscription, Quick Stats."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.clients import customer_for
from ispclient.domain.connection import (
    ClientConnection,
    ConnectionState,
    DisabledBecause,
    OfflineCause,
    troubleshooting,
)
from ispclient.domain.money import format_money
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.domain.validation import display_phone
from ispclient.store import clients as client_service
from ispclient.store.queries import ClientDetail
from ispclient.store.settings import Settings
from ispclient.ui import ops
from ispclient.ui.dialogs.payment_dialog import balance_text
from ispclient.ui.style import CONNECTION_COLOURS, SUBSCRIPTION_COLOURS
from ispclient.ui.widgets import NoticeBox, Section, StatusBadge
from ispclient.ui.widgets.formatting import day, days_left_text, local_time, uptime
from ispclient.ui.widgets.status import bold, readable_colour, set_text_colour
from ispclient.ui.widgets.steps import MadeInSteps

UNAVAILABLE = "Connection status unavailable"
_UNAVAILABLE_PREFIX = f"{UNAVAILABLE}. "
STATUS_NOTE = "Connection status requires the MikroTik server to be online and accessible."
MASK = "••••••••"
_CAUSE_TITLES = {OfflineCause.SECRET_DISABLED: "PPPoE account disabled on the router",
                 OfflineCause.NO_SECRET: "no PPPoE account on the router",
                 OfflineCause.NEVER_CONNECTED: "never connected"}


class OverviewTab(MadeInSteps, QWidget):
    create_subscription_requested = Signal()
    check_now_requested = Signal()
    record_payment_requested = Signal()
    renew_requested = Signal()
    _client_id = 0

    def __init__(self, parent: QWidget | None = None, *, in_steps: bool = False) -> None:
        """``in_steps``: the sections are made by :meth:`build_step`, a few milliseconds each
        (a spare window is made between other events, never in one long piece)."""
        super().__init__(parent)
        self._steps: Iterator[None] | None = self._build()
        if not in_steps:
            self.finish_building()



    def _build(self) -> Iterator[None]:
        self.basic = Section("Basic Information")
        b = self.basic
        b.add_row("client_code", "Client ID:")
        b.add_row("name", "Name:")
        b.add_row("phone", "Phone:")
        b.add_row("email", "Email:")
        b.add_row("address", "Address:")
        b.add_row("created", "Created:")
        b.add_row("notes", "Notes:")

        self.connection = Section("Connection Details")
        c = self.connection
        yield
        c.add_row("pppoe_username", "PPPoE Username:")
        self.password_value = QLabel(MASK)
        c.make_selectable(self.password_value)
        self.reveal = QPushButton("Sho&w")
        self.reveal.setObjectName("reveal_password")
        self.reveal.setCheckable(True)
        self.reveal.setToolTip("Show the PPPoE password to read it to the customer")
        self.reveal.toggled.connect(self._reveal_password)
        password_box = QWidget()
        password_row = QHBoxLayout(password_box)
        password_row.setContentsMargins(0, 0, 0, 0)
        password_row.addWidget(self.password_value, 1)
        password_row.addWidget(self.reveal)
        c.add_row("pppoe_password", "PPPoE Password:", password_box)
        c.add_row("server", "Server:")
        c.add_row("router_sync", "Router:")
        self.status_badge = StatusBadge()
        self.check_now = QPushButton("Check &now")
        self.check_now.setObjectName("check_now")
        status_box = QWidget()
        status_row = QHBoxLayout(status_box)
        status_row.setContentsMargins(0, 0, 0, 0)
        status_row.addWidget(self.status_badge, 1)
        status_row.addWidget(self.check_now)
        c.add_row("status", "Connection Status:", status_box)
        c.label("status").setToolTip(STATUS_NOTE)
        c.add_row("ip_address", "IP Address:")
        c.add_row("uptime", "Uptime:")
        c.add_row("caller_id", "Caller ID / MAC:")
        c.add_row("checked", "Last checked:")
        self.troubleshooting = NoticeBox(UNAVAILABLE, selectable=False)
        c.make_selectable(self.troubleshooting.body)
        self.troubleshooting.setObjectName("troubleshooting")
        c.add_full_width(self.troubleshooting)
        self.offline_hint = QLabel()
        self.offline_hint.setObjectName("offline_hint")
        self.offline_hint.setWordWrap(True)
        c.add_full_width(self.offline_hint)

        yield
        self.subscription = Section("Current Subscription")
        s = self.subscription
        s.add_row("package", "Package Name:")
        self.sub_badge = StatusBadge()
        s.add_row("status", "Status:", self.sub_badge)
        s.add_row("start", "Start Date:")
        s.add_row("end", "End Date:")
        s.add_row("days_left", "Days left:")
        s.add_row("auto_renew", "Auto-Renew:")
        s.add_row("payment", "Payment:")
        self.balance_value = QLabel()
        self.balance_value.setObjectName("balance")
        s.make_selectable(self.balance_value)
        self.pay_button = QPushButton("Record &payment…")
        self.pay_button.setObjectName("overview_record_payment")
        self.renew_button = QPushButton("&Renew…")
        self.renew_button.setObjectName("overview_renew")
        balance_box = QWidget()
        balance_row = QHBoxLayout(balance_box)
        balance_row.setContentsMargins(0, 0, 0, 0)
        balance_row.addWidget(self.balance_value, 1)
        balance_row.addWidget(self.pay_button)
        balance_row.addWidget(self.renew_button)
        s.add_row("balance", "Balance:", balance_box)
        s.add_row("credit", "Credit:")
        self.no_subscription = QLabel("No current subscription")
        self.no_subscription.setObjectName("no_subscription")
        self.create_button = QPushButton("&Create Subscription…")
        self.create_button.setObjectName("overview_create_subscription")
        empty_box = QWidget()
        empty_row = QHBoxLayout(empty_box)
        empty_row.setContentsMargins(0, 4, 0, 0)
        empty_row.addWidget(self.no_subscription, 1)
        empty_row.addWidget(self.create_button)
        self.empty_box = empty_box
        s.add_full_width(empty_box)

        yield
        self.stats = Section("Quick Stats")
        q = self.stats
        q.add_row("total_subscriptions", "Total Subscriptions:")
        q.add_row("total_revenue", "Total Revenue:")
        q.add_row("active_since", "Active Since:")

        content = QWidget()
        grid = QGridLayout(content)
        grid.addWidget(self.basic, 0, 0)
        grid.addWidget(self.connection, 0, 1)
        grid.addWidget(self.subscription, 1, 0)
        grid.addWidget(self.stats, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(2, 1)
        for sec in (self.basic, self.connection, self.subscription, self.stats):
            grid.setAlignment(sec, Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.create_button.clicked.connect(self.create_subscription_requested)
        self.check_now.clicked.connect(self.check_now_requested)
        self.pay_button.clicked.connect(self.record_payment_requested)
        self.renew_button.clicked.connect(self.renew_requested)

    # -- filling -------------------------------------------------------------------------

    def show_detail(self, detail: ClientDetail, settings: Settings) -> None:
        client = detail.client
        b = self.basic
        b.set_value("client_code", client.client_code)
        b.set_value("name", client.name)
        b.set_value("phone", display_phone(client.phone) or "—")
        b.set_value("email", client.email or "—")
        b.set_value("address", client.address or "—")
        b.set_value("created", local_time(client.created_at, settings.timezone))
        b.set_value("notes", client.notes)
        b.set_row_visible("notes", bool(client.notes))

        c = self.connection
        c.set_value("pppoe_username", client.pppoe_username or "— none —")
        self._client_id = client.id
        self.reveal.setChecked(False)
        self.password_value.setText(MASK)
        c.set_row_visible("pppoe_password", client.has_pppoe_password)
        self._show_router_sync(detail, settings.timezone)
        server = detail.server
        if server is not None:
            c.set_value("server", server.name, server.address)
        else:
            c.set_value("server", "— none —")
        can_check = server is not None and bool(client.pppoe_username)
        self.check_now.setEnabled(can_check)
        self.check_now.setToolTip("Ask the router for this client's status now (F5)." if can_check else
                                  "Assign a server and a PPPoE username in Edit first.")
        self._show_subscription(detail, settings)
        self._show_balance(detail, settings)
        self._show_stats(detail, settings)

    def _show_balance(self, detail: ClientDetail, settings: Settings) -> None:
        """What the client owes over all their subscriptions, with the buttons to take it."""
        cur = settings.currency
        owed = detail.balance_minor
        colour = readable_colour(SUBSCRIPTION_COLOURS[SubscriptionStatus.EXPIRING], self.palette().base().color()) \
            if owed > 0 else None
        self.balance_value.setText(balance_text(owed, cur))
        set_text_colour(self.balance_value, colour)
        bold(self.balance_value, colour is not None)
        owing = detail.owing()
        self.balance_value.setToolTip("\n".join(f"{s.package_name} ({day(s.starts_on)} – {day(s.ends_on)}): "
                                                f"{format_money(s.balance_minor, cur)} due" for s in owing))
        s = self.subscription
        s.set_value("credit", format_money(detail.credit_minor, cur), "Money of the client's, used on their next "
                                                                      "sale or renewal.")
        s.set_row_visible("credit", detail.credit_minor > 0)

    def _show_subscription(self, detail: ClientDetail, settings: Settings) -> None:
        s = self.subscription
        sub = detail.headline()
        today = detail.today
        has = sub is not None
        for key in ("package", "status", "start", "end", "days_left", "auto_renew", "payment"):
            s.set_row_visible(key, has)
        self.renew_button.setVisible(has)
        running = sub is not None and sub.status(today, settings.expiring_days) in (
            SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRING, SubscriptionStatus.SCHEDULED)
        self.empty_box.setVisible(not running)
        if sub is None:
            self.no_subscription.setText("No current subscription")
            return
        status = sub.status(today, settings.expiring_days)
        if not running:
            self.no_subscription.setText("No current subscription — the last one has ended.")
        s.set_value("package", sub.package_name)
        self.sub_badge.set_status(status.value, SUBSCRIPTION_COLOURS[status])
        s.set_value("start", day(sub.starts_on))
        s.set_value("end", day(sub.ends_on), "The end date is the first day without service: it expires "
                                              f"at 00:00 on {day(sub.ends_on)}.")
        s.set_value("days_left", days_left_text(sub, status, today))
        s.set_value("auto_renew", f"No — cancelled from {day(sub.cancel_on)}" if sub.cancel_on
                    else "Yes" if sub.auto_renew else "No")
        cur = settings.currency
        if sub.balance_minor <= 0:
            paid = f"Paid in full ({format_money(sub.paid_minor, cur)})" if sub.price_minor else "Free"
        elif sub.paid_minor == 0:
            paid = f"Unpaid — {format_money(sub.balance_minor, cur)} due"
        else:
            paid = f"{format_money(sub.paid_minor, cur)} paid — {format_money(sub.balance_minor, cur)} due"
        s.set_value("payment", paid)

    def _show_stats(self, detail: ClientDetail, settings: Settings) -> None:
        st = detail.stats
        q = self.stats
        q.set_value("total_subscriptions", str(st.total_subscriptions))
        q.set_value("total_revenue", format_money(st.total_revenue_minor, settings.currency))
        if st.active_since is None:
            q.set_value("active_since", "Not a customer yet")
        elif st.active_since > detail.today:  # only a scheduled subscription so far
            q.set_value("active_since", f"Starts on {day(st.active_since)} — not a customer yet")
        else:
            length = customer_for(st.active_since, detail.today).replace(" ", "\u00a0")  # "8 months": one value
            q.set_value("active_since", f"{day(st.active_since)} — customer for {length}")

    def _reveal_password(self, shown: bool) -> None:
        if not shown:
            ops.forget_key(self, "password")
            self.password_value.setText(MASK)
            self.reveal.setText("Sho&w")
            return
        self.reveal.setText("&Hide")
        self.password_value.setText("…")
        client_id = self._client_id
        ops.Op(self, lambda: client_service.pppoe_password(client_id), key="password") \
            .on_success(lambda password: self.password_value.setText(password or "— none stored —")) \
            .on_failure(lambda error: self.password_value.setText(f"Can't show it here: {error}")).run()

    def _show_router_sync(self, detail: ClientDetail, tz_name: str) -> None:
        """"Pending on router since …" while a change waits for (or was refused by) the router."""
        waiting = detail.waiting
        c = self.connection
        c.set_row_visible("router_sync", bool(waiting))
        if not waiting:
            return
        since = min(w.created_at for w in waiting)
        failed = [w for w in waiting if w.status == "failed" or w.last_error]
        text = f"Pending on router since {local_time(since, tz_name)}"
        if failed:
            text += f" — {failed[-1].last_error or 'refused by the router'}"
        c.set_value("router_sync", text, "\n".join(f"{w.server_name}: {w.reason}" for w in waiting))

    def show_connection(self, conn: ClientConnection, tz_name: str,
                        disabled_because: DisabledBecause = DisabledBecause.NOT) -> None:
        c = self.connection
        self.status_badge.set_status(conn.label, CONNECTION_COLOURS[conn.state])
        online = conn.state is ConnectionState.ONLINE
        c.set_value("ip_address", conn.address or "—")
        c.set_value("uptime", uptime(conn.uptime))
        c.set_value("caller_id", conn.caller_id or "—")
        for key in ("ip_address", "uptime", "caller_id"):
            c.set_row_visible(key, online)
        c.set_value("checked", local_time(conn.checked_at, tz_name, seconds=True)
                    if conn.checked_at else "Not checked yet")
        # The router's own reason (a disabled or missing account, never connected) is the headline,
        # with the advice that follows it; only "check their router" stays a plain hint.
        router_cause = conn.state is ConnectionState.OFFLINE and conn.cause not in (None, OfflineCause.CUSTOMER_SIDE)
        unavailable = conn.state is ConnectionState.UNKNOWN or conn.never_connected or router_cause
        text = troubleshooting(conn, disabled_because)
        if text.startswith(_UNAVAILABLE_PREFIX):
            text = text[len(_UNAVAILABLE_PREFIX):]
        if unavailable:
            if conn.reason:
                title = f"{UNAVAILABLE} — {conn.reason.label}"
            else:
                title = f"Offline — {_CAUSE_TITLES[conn.cause or OfflineCause.NEVER_CONNECTED]}"
            self.troubleshooting.set_text(title, text)
        self.troubleshooting.setVisible(unavailable)
        self.offline_hint.setText(text if conn.state is ConnectionState.OFFLINE and not unavailable else "")
        self.offline_hint.setVisible(conn.state is ConnectionState.OFFLINE and not unavailable)
