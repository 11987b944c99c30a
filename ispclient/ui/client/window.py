"""The client window: Overview, Subscriptions and Activity tabs, and the client's actions.

Several may be open at once. Everything it shows is one read (:func:`queries.client_detail`),
done in the background: the window answers at once and fills in when the data arrives. It reads
again when finished work names its client (:class:`Changes`), and redraws its status when
``connections.changed`` names its (server, username).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain import actions as actions_rules
from ispclient.domain import subscriptions as rules
from ispclient.domain.connection import DisabledBecause
from ispclient.domain.permissions import Permission
from ispclient.store import queries
from ispclient.store.changes import Changes
from ispclient.store.queries import ClientDetail
from ispclient.store.settings import Settings
from ispclient.ui import msgbox, ops
from ispclient.ui.client import actions, counter, router_actions
from ispclient.ui.client.activity_tab import ActivityTab
from ispclient.ui.client.overview import OverviewTab
from ispclient.ui.client.payments_tab import PaymentsTab
from ispclient.ui.client.subscriptions_tab import SubscriptionsTab
from ispclient.ui.context import AppContext, ConnKey
from ispclient.ui.dialogs.cancel_dialog import CancelDialog
from ispclient.ui.dialogs.client_dialog import ClientDialog
from ispclient.ui.dialogs.correction_dialogs import RefundDialog, VoidDialog
from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog
from ispclient.ui.dialogs.subscription_view import open_subscription, set_allowed
from ispclient.ui.help import install_f1
from ispclient.ui.widgets.formatting import day
from ispclient.ui.widgets.steps import MadeInSteps
from ispclient.ui.window_state import WindowState

log = logging.getLogger(__name__)

LOADING = "Loading…"
# A window whose data is in by then appears complete; one waiting on a slow database appears
# after this long anyway, saying "Loading…".
PRESENT_AFTER_MS = 150


def paint_once(window: QWidget) -> None:
    """Right after ``window.show()``: lay it out now and drop the repaints its children posted.

    Showing a window full of hidden-until-now widgets posts, per child, a layout request (its
    size hint changed while it was hidden) and an "update later"; the window's first expose
    paints all of it, and then those posted events laid out and painted all of it a second time
    (measured: two full paints per client open). Laid out before the first paint, which covers the
    whole new window, the posted updates have nothing left to do."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    for child in window.findChildren(QWidget):
        QCoreApplication.removePostedEvents(child, QEvent.Type.UpdateLater)


def disabled_because(detail: ClientDetail, settings: Settings) -> DisabledBecause:
    """Why this app would have the client's PPP secret disabled: by hand, or their service ended
    or is unpaid (so a disabled account is expected: renew or take a payment), or not at all."""
    if detail.client.secret_held:
        return DisabledBecause.BY_HAND
    head = detail.headline()
    today = detail.today
    running = head is not None and head.status(today, settings.expiring_days) in (
        rules.SubscriptionStatus.ACTIVE, rules.SubscriptionStatus.EXPIRING)
    if not running or (head is not None and head.balance_minor > 0):
        return DisabledBecause.CUT_OFF
    return DisabledBecause.NOT


# The tabs made when first shown (or asked for): a window opens on the Overview, and most opens
# never look at the others. (attribute, tab title)
LAZY_TABS = (("subscriptions", "S&ubscriptions"), ("payments", "Pa&yments"), ("activity", "&Activity"))


class ClientWindow(MadeInSteps, WindowState, QWidget):
    """A top-level window for one client; deletes itself when closed (WA_DeleteOnClose).

    Made with ``client_id=None`` it is a *spare*: built, hidden, waiting for :meth:`adopt`
    (:class:`SpareWindow` keeps one ready, so opening a client costs no widget building)."""

    state_group = "ClientWindow"
    default_size = QSize(1040, 680)
    save_later = True  # opened and closed all day: no disk sync as each one closes
    loaded = Signal()  # the data shown is now what the database had (after each read)

    def __init__(self, ctx: AppContext, client_id: int | None, parent: QWidget | None = None,
                 title: str = "", *, in_steps: bool = False) -> None:
        """``in_steps`` (a spare only): the widgets are made by :meth:`build_step`, a few
        milliseconds at a time, so that making a spare never freezes the window it waits behind."""
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx = ctx
        self.client_id = client_id or 0
        self.detail: ClientDetail | None = None
        self._conn_key: ConnKey | None = None
        self._present_pending = False
        self._built: dict[str, SubscriptionsTab | PaymentsTab | ActivityTab] = {}
        if client_id is not None:
            self.reload()  # first: on a remote database the read travels while the widgets are made
        self._steps: Iterator[None] | None = self._build(title, spare=client_id is None)
        if not in_steps:
            self.finish_building()




    def _build(self, title: str, spare: bool) -> Iterator[None]:
        self.edit_button = QPushButton("&Edit…")
        self.create_button = QPushButton("Create &Subscription…")
        self.view_button = QPushButton("&View Subscription…")
        self.delete_button = QPushButton("&Delete…")
        self.router_button = QPushButton("Rou&ter")
        self.router_button.setObjectName("router_actions")
        self.router_menu = router_actions.RouterMenu(self)
        self.router_button.setMenu(self.router_menu)
        bar = QHBoxLayout()
        for b in (self.edit_button, self.create_button, self.view_button, self.router_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.delete_button)
        # After a new client is saved: "press Enter to sell them a package".
        self.offer = QLabel()
        self.offer.setObjectName("offer")
        self.offer.setWordWrap(True)
        self.offer.hide()

        yield
        self.overview = OverviewTab(in_steps=True)  # made after the buttons: they come first in the focus chain
        while self.overview.build_step():
            yield
        self.tabs = QTabWidget()
        self.tabs.addTab(self.overview, "&Overview")
        for _name, tab_title in LAZY_TABS:
            self.tabs.addTab(QWidget(), tab_title)  # a stand-in until the tab is first shown
        self.loading = QLabel(LOADING)
        self.loading.setObjectName("loading")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.loading)
        self.pages.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.offer)
        layout.addWidget(self.pages, 1)

        self.edit_button.clicked.connect(self.edit)
        self.create_button.clicked.connect(self.create_subscription)
        self.view_button.clicked.connect(self.view_subscription)
        self.delete_button.clicked.connect(self.delete)
        self.overview.create_subscription_requested.connect(self.create_subscription)
        self.overview.check_now_requested.connect(self.check_now)
        self.overview.record_payment_requested.connect(lambda: self.record_payment(None))
        self.overview.renew_requested.connect(lambda: self.renew_subscription(None))
        self.tabs.currentChanged.connect(self._tab_changed)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        install_f1(self, "client")
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self, self.delete)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.check_now)
        self.setTabOrder(self.edit_button, self.create_button)
        self.setTabOrder(self.create_button, self.view_button)
        self.setTabOrder(self.view_button, self.delete_button)
        self.setTabOrder(self.delete_button, self.tabs)

        ctx = self.ctx
        ctx.events.changed.connect(self._data_changed)
        ctx.store.catalog_changed.connect(self._show_detail_again)
        ctx.store.settings_changed.connect(self._show_detail_again)
        ctx.connections.changed.connect(self._connections_changed)

        self.setWindowTitle(title or LOADING)
        self._update_actions()
        if not spare:
            self.restore_geometry()

    def adopt(self, client_id: int, title: str = "") -> None:
        """A spare window becomes this client's (its read starts now; see :meth:`present`); what
        a spare made in steps still lacks is made while the read travels."""
        assert self.detail is None and not self.client_id, "only a spare window is adopted"
        self.client_id = client_id
        self.reload()
        self.finish_building()
        self.setWindowTitle(title or LOADING)
        self.restore_geometry()  # as the last window closed left it (saved after the spare was made)

    # -- the tabs made when first shown --------------------------------------------------------

    @property
    def subscriptions(self) -> SubscriptionsTab:
        tab = self._tab("subscriptions")
        assert isinstance(tab, SubscriptionsTab)
        return tab

    @property
    def payments(self) -> PaymentsTab:
        tab = self._tab("payments")
        assert isinstance(tab, PaymentsTab)
        return tab

    @property
    def activity(self) -> ActivityTab:
        tab = self._tab("activity")
        assert isinstance(tab, ActivityTab)
        return tab

    def _tab_changed(self, index: int) -> None:
        if 1 <= index <= len(LAZY_TABS):
            self._tab(LAZY_TABS[index - 1][0])  # shown now: made now
        self._update_actions()

    def _tab(self, name: str) -> SubscriptionsTab | PaymentsTab | ActivityTab:
        """The tab, made the first time it is shown or asked for: its widgets, its saved column
        widths, its signals, and the data the window has (filled once it is on screen)."""
        made = self._built.get(name)
        if made is not None:
            return made
        index = 1 + [n for n, _t in LAZY_TABS].index(name)
        if name == "subscriptions":
            s = SubscriptionsTab()
            s.view_requested.connect(lambda sid: open_subscription(self, self.ctx, self.client_id, sid))
            s.cancel_requested.connect(self.cancel_subscription)
            s.renew_requested.connect(self.renew_subscription)
            s.pay_requested.connect(self.record_payment)
            s.selection_changed.connect(self._update_actions)
            s.refusal = self.ctx.session.refusal
            # Another member signed in: the tab's buttons first, which then update the window's.
            self.ctx.session.changed.connect(s.refresh_buttons)
            s.widths_restored = self.restore_table("history", s.table_view)
            tab: SubscriptionsTab | PaymentsTab | ActivityTab = s
        elif name == "payments":
            p = PaymentsTab()
            p.record_requested.connect(lambda: self.record_payment(None))
            p.receipt_requested.connect(self.show_receipt)
            p.void_requested.connect(self.void_payment)
            p.refund_requested.connect(self.refund_credit)
            p.refusal = self.ctx.session.refusal
            self.ctx.session.changed.connect(p.refresh_buttons)
            self.restore_table("payments", p.table)
            tab = p
        else:
            a = ActivityTab()
            self.restore_table("activity", a.table_view)
            tab = a
        self._built[name] = tab
        stand_in = self.tabs.widget(index)
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)  # the same tab stays current: no currentChanged for the swap
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, tab, dict(LAZY_TABS)[name])
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(False)
        if stand_in is not None:
            stand_in.deleteLater()
        if self.detail is not None:
            self._show_tab_detail(name, self.detail, self.ctx.settings())
        return tab

    def _show_tab_detail(self, name: str, detail: ClientDetail, settings: Settings) -> None:
        tab = self._built[name]
        if isinstance(tab, SubscriptionsTab):
            tab.show_detail(detail, settings, bool(self.ctx.catalog().on_sale()))
        elif isinstance(tab, PaymentsTab):
            tab.show_detail(detail, settings)
        else:
            tab.show_events(detail.activity, settings.timezone)

    def present(self) -> None:
        """Show, raise and activate the window as soon as its data is in, or after
        PRESENT_AFTER_MS with "Loading…" — never a flash of an empty window on a fast database."""
        if self.detail is not None or self.isVisible():
            self._bring_up()
            return
        self._present_pending = True
        QTimer.singleShot(PRESENT_AFTER_MS, self, self._bring_up_if_pending)

    def _bring_up_if_pending(self) -> None:
        if self._present_pending:
            self._bring_up()

    def _bring_up(self) -> None:
        self._present_pending = False
        if self.isMinimized():
            self.showNormal()
        first_show = not self.isVisible()
        self.show()
        if first_show:
            paint_once(self)
        self.raise_()
        self.activateWindow()

    def state_tables(self) -> dict[str, QTableView]:
        """The tabs made so far (a tab never shown keeps the widths saved before); read as they
        are, without filling a tab that waits to be shown."""
        tables: dict[str, QTableView] = {}
        for name, key in (("subscriptions", "history"), ("payments", "payments"), ("activity", "activity")):
            tab = self._built.get(name)
            if isinstance(tab, SubscriptionsTab | ActivityTab):
                tables[key] = tab.table_view
            elif isinstance(tab, PaymentsTab):
                tables[key] = tab.table
        return tables

    # -- loading -------------------------------------------------------------------------

    def _data_changed(self, changes: Changes) -> None:
        if self.client_id and changes.touches_client(self.client_id):  # (a spare has no client yet)
            self.reload()

    def _connections_changed(self, keys: list[ConnKey]) -> None:
        if self._conn_key is not None and self._conn_key in keys:
            self._show_connection()

    def reload(self) -> None:
        """Read the client again in the background; the window keeps what it shows meanwhile."""
        client_id, today = self.client_id, self.ctx.today()
        ops.Op(self, lambda: queries.client_detail(client_id, today), key="detail") \
            .on_success(self.show_detail).on_failure(self._load_failed).run()

    def _load_failed(self, error: BaseException) -> None:
        from ispclient.store.errors import is_missing

        if is_missing(error):  # deleted on another PC
            self.close()
            return
        ops.show_error(self, error)

    def show_detail(self, detail: ClientDetail) -> None:
        if detail.client.deleted_at is not None:  # deleted here or on another PC/window
            self.close()
            return
        first = self.detail is None
        self.detail = detail
        client = detail.client
        self.setWindowTitle(f"{client.name} — {client.client_code}")
        old_key = self._conn_key
        self._conn_key = (client.server_id, client.pppoe_username) if client.server_id else None
        self._show_detail_again()
        self.pages.setCurrentWidget(self.tabs)
        if first or (old_key is not None and old_key != self._conn_key):
            self.check_now()  # a window that opens shows a fresh status; so does an edited username
        self._focus_offer()
        if self._present_pending:  # shown once everything above is in it: laid out and painted once,
            # in the next turn of the event loop: filling it and painting it are two pieces of work,
            # not one freeze of both (on a remote database the answer lands at any moment)
            QTimer.singleShot(0, self, self._bring_up_if_pending)
        self.loaded.emit()

    def _show_detail_again(self) -> None:
        """What the data says, with the settings and packages as they are now."""
        detail = self.detail
        if detail is None:
            return
        settings = self.ctx.settings()
        self.overview.show_detail(detail, settings)
        for name in self._built:
            self._show_tab_detail(name, detail, settings)
        self._show_connection()
        self._update_actions()
        self.router_menu.show_detail(detail, settings)

    def _show_connection(self) -> None:
        if self.detail is None:
            return
        client = self.detail.client
        conn = self.ctx.connections.get(client.server_id, client.pppoe_username)
        self.overview.show_connection(conn, self.ctx.settings().timezone, disabled_because(self.detail,
                                                                                           self.ctx.settings()))

    def _update_actions(self) -> None:
        d = self.detail
        if d is None:
            for button in (self.edit_button, self.create_button, self.view_button, self.delete_button):
                set_allowed(button, LOADING)
            return
        on_sale = bool(self.ctx.catalog().on_sale())
        today = d.today
        refusal = self.ctx.session.refusal
        if not on_sale:
            create_why: str | None = "No package is on sale. Add or re-activate one in Packages first."
        else:
            create_why = None
        create_why = refusal(Permission.SELL) or create_why
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
        set_allowed(self.delete_button, refusal(Permission.DELETE_CLIENTS) or d.delete_refusal(),
                    "Delete this client (asks first; you can undo it right after).")
        set_allowed(self.edit_button, refusal(Permission.EDIT_CLIENTS), "Change this client's details.")
        self.overview.reveal.setEnabled(refusal(Permission.SEE_PPPOE_PASSWORDS) is None)
        self.overview.reveal.setToolTip(refusal(Permission.SEE_PPPOE_PASSWORDS)
                                        or "Show the PPPoE password to read it to the customer")
        deleted = actions_rules.CLIENT_DELETED if d.client.deleted_at is not None else None
        set_allowed(self.overview.pay_button, refusal(Permission.TAKE_PAYMENTS) or deleted,
                    "Take money from this client: for what is due, or as credit.")
        head = d.headline()
        renew_why = deleted or (actions_rules.renew_blocker(head.status(today, self.ctx.settings().expiring_days),
                                                            on_sale) if head is not None else None)
        set_allowed(self.overview.renew_button, refusal(Permission.RENEW) or renew_why,
                    "Sell the next period, starting when the current one ends.")

    # -- actions -------------------------------------------------------------------------

    def subscription_to_view(self) -> int | None:
        """The row selected on the Subscriptions tab, else the current (headline) one, else the newest."""
        d = self.detail
        if d is None or not d.subscriptions:
            return None
        shown = self.tabs.currentWidget()
        if isinstance(shown, SubscriptionsTab):
            selected = shown.selected_id()
            if selected is not None:
                return selected
        head = d.headline()
        return head.id if head else d.subscriptions[0].id

    def offer_subscription(self) -> None:
        """Just created: one key (Enter) sells them their first package."""
        self.create_button.setAutoDefault(True)
        self.create_button.setDefault(True)
        self.offer.setText("Client saved. Press Enter to create their first subscription, or Esc to close.")
        self.offer.show()
        self._offer_pending = True  # focus goes to Create Subscription once it is enabled (loaded)
        self._focus_offer()
        self.create_button.clicked.connect(self.offer.hide)

    _offer_pending = False

    def _focus_offer(self) -> None:
        if self._offer_pending and self.create_button.isEnabled():
            self._offer_pending = False
            self.create_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def edit(self) -> None:
        if self.detail is not None and self.edit_button.isEnabled():
            ClientDialog.ask(self, self.ctx, self.detail.client)

    def create_subscription(self) -> None:
        if self.create_button.isEnabled() and self.detail is not None:
            SubscriptionDialog.ask(self, self.ctx, self.detail)

    def renew_subscription(self, subscription_id: int | None) -> None:
        if self.detail is not None:
            counter.renew(self, self.ctx, self.detail, subscription_id)

    def record_payment(self, subscription_id: int | None) -> None:
        if self.detail is not None:
            counter.record_payment(self, self.ctx, self.detail, subscription_id)

    def show_receipt(self, payment_id: int) -> None:
        # Imported here: printing (QtPrintSupport) loads only when a receipt is shown.
        from ispclient.ui.dialogs.receipt_dialog import ReceiptDialog

        ReceiptDialog.ask(self, self.ctx, payment_id)

    def void_payment(self, payment_id: int) -> None:
        pay = self.detail.payment(payment_id) if self.detail is not None else None
        if self.detail is not None and pay is not None:
            VoidDialog.ask(self, self.ctx, self.detail, pay)

    def refund_credit(self) -> None:
        if self.detail is not None:
            RefundDialog.ask(self, self.ctx, self.detail)

    def cancel_subscription(self, subscription_id: int) -> None:
        if self.detail is not None:
            CancelDialog.ask(self, self.ctx, self.detail, subscription_id)

    def view_subscription(self) -> None:
        sub_id = self.subscription_to_view()
        if sub_id is not None:
            open_subscription(self, self.ctx, self.client_id, sub_id)

    def delete(self) -> None:
        """Also reached by the Delete key while the button is disabled: then it says why. The
        window closes once the client is deleted (the change names them: see show_detail)."""
        refusal = self.ctx.session.refusal(Permission.DELETE_CLIENTS)
        if refusal is not None:
            msgbox.error(self, actions.UNABLE, refusal)
            return
        if self.detail is not None:
            actions.delete_client_interactive(self, self.ctx, self.detail)

    def check_now(self) -> None:
        if self.detail is not None:
            c = self.detail.client
            self.ctx.connections.request_client(c.server_id, c.pppoe_username)


# A spare made again this long after one was taken: the window just opened has painted by then.
SPARE_AFTER_OPEN_MS = 400
# The first spare, this long after the list is in (painted) and the window's modules are imported:
# start-up's last work goes first. Made in steps of a few milliseconds, it can come soon: a
# client opened half a second after the list is in finds it ready (made from 300 ms, it was
# ready ~450 ms after the list: the first open often finished it, and did the first-use work).
SPARE_AFTER_START_MS = 100


class SpareWindow(QObject):
    """One client window made ahead of time, hidden, for the next client opened.

    Making a window (its widgets, their style) is most of what an open costs the GUI thread;
    here it happens when nothing else does — once the list is in, when a client window closes,
    and a moment after one opens — instead of between the click and the window. After start-up
    and after an open it is made a piece at a time (one section of the Overview per event-loop
    turn, a few milliseconds each), so the window it waits behind never freezes for the whole of
    it; when a client window closes it is made at once (the next open may come right after). The
    first spare also does once what the first open would otherwise pay alone (:func:`warm_first_use`).
    """

    def __init__(self, ctx: AppContext, owner: QWidget) -> None:
        super().__init__(owner)
        self._ctx = ctx
        self._owner = owner
        self._window: ClientWindow | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._make)
        self._steps = QTimer(self)  # one piece of the spare per event-loop turn
        self._steps.setInterval(0)
        self._steps.timeout.connect(self._step)

    def prepare(self, delay_ms: int = 0) -> None:
        """Make the spare after ``delay_ms`` (a later call replaces the time: a window just taken
        puts its replacement after its own first paint, not in the middle of it)."""
        self._timer.start(delay_ms)

    def prepare_after_start(self) -> None:
        self.prepare(SPARE_AFTER_START_MS)

    @property
    def ready(self) -> bool:
        """Whether a spare is waiting with all its widgets made."""
        return self._window is not None and shiboken6.isValid(self._window) and self._window.built \
            and not self._steps.isActive()

    def _make(self) -> None:
        if self._window is None or not shiboken6.isValid(self._window):
            self._window = ClientWindow(self._ctx, None, self._owner, in_steps=True)
        if not self.ready:
            self._steps.start()

    def _step(self) -> None:
        window = self._window
        if window is None or not shiboken6.isValid(window):
            self._steps.stop()
        elif not window.build_step():
            self._steps.stop()
            window.ensurePolished()  # the style's work on every widget, done now rather than at show()
            window.restore_geometry()  # its saved size read now (the first read opens the state file)
            warm_first_use(self._ctx, window)

    def take(self, client_id: int, title: str = "") -> ClientWindow:
        """This client's new window: the spare if there is one (finished now if still being
        made), else one made now."""
        window, self._window = self._window, None
        self._steps.stop()
        if window is not None and shiboken6.isValid(window):
            window.adopt(client_id, title)
        else:
            window = ClientWindow(self._ctx, client_id, self._owner, title=title)
        window.destroyed.connect(self._window_gone)
        self.prepare(SPARE_AFTER_OPEN_MS)
        return window

    def _window_gone(self) -> None:
        """A client window closed: the next client is likely to come soon, so its window is made
        now, whole — as the window closes, not while the next one opens."""
        if QCoreApplication.closingDown() or not shiboken6.isValid(self._owner) or not self._owner.isVisible():
            return  # the app is closing
        self._timer.stop()
        self._make()
        window = self._window
        if window is not None:
            window.finish_building()
            self._step()  # built: its style and the fonts too


_warmed = False


# What a client window shows in any of its fonts: names (Latin letters, accented or not), codes,
# dates, times, money, phone numbers, e-mails and its own words.
GLYPHS = ("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 .,:;!?'\"()[]/\\+-–—_@#%&*…•·"
          " àáâäãåæçèéêëìíîïñòóôöõøœùúûüýÿßÀÁÂÄÇÈÉÊËÎÏÑÓÔÖØŒÙÚÛÜ")


def warm_glyphs(window: QWidget) -> None:
    """Draw the characters a client window may show in each of its widgets' fonts, on an image of
    the format a window is painted on, so that their glyphs are in the fonts' caches: the client's
    data (names, amounts, dates), which a window painted without data (:func:`paint_off_screen`)
    does not draw. The first window otherwise rasterised each glyph it drew for the first time."""
    from PySide6.QtGui import QFont, QImage, QPainter

    fonts: dict[str, QFont] = {}
    for widget in (window, *window.findChildren(QWidget)):
        font = widget.font()
        fonts.setdefault(font.key(), font)
    image = QImage(16, 16, QImage.Format.Format_RGB32)  # opaque, as a window's backing store
    painter = QPainter(image)
    try:
        for font in fonts.values():
            painter.setFont(font)
            painter.drawText(0, 12, GLYPHS)
    finally:
        painter.end()


def paint_off_screen(window: ClientWindow) -> None:
    """Paint the window's tabs (as a window with data shows them) once onto an image: what the first
    window painted for the first time — the style's pixmaps of its buttons, tabs and frames at their
    sizes, the group box titles' bold font — is then cached for it (measured: the first open's
    paint cost about twice a later one's). The window stays as it was: hidden, saying "Loading…"."""
    from PySide6.QtGui import QImage

    shown = window.pages.currentWidget()
    window.pages.setCurrentWidget(window.tabs)
    try:
        layout = window.layout()
        if layout is not None:
            layout.activate()
        image = QImage(window.size(), QImage.Format.Format_RGB32)  # opaque, as a window's backing store
        window.render(image)
    finally:
        if shown is not None:
            window.pages.setCurrentWidget(shown)


def warm_first_use(ctx: AppContext, window: ClientWindow | None = None) -> None:
    """Once per process, off screen, what the first client window would otherwise do for the first
    time between the click and its first paint (measured: its open cost twice a later one's): load
    and draw the fonts of a section like its own (the group box title, the semi-bold status and
    notice titles), every character it may show in the fonts of ``window`` (a spare, polished) and
    that window's tabs painted off screen (:func:`paint_off_screen`), and format money, a phone
    number and a time as it shows them (Babel's and phonenumbers' first calls load their data)."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    if window is not None:
        warm_glyphs(window)
        paint_off_screen(window)
    from datetime import UTC, datetime

    from PySide6.QtGui import QImage

    from ispclient.domain.money import format_money
    from ispclient.domain.validation import display_phone
    from ispclient.ui.style import SUBSCRIPTION_COLOURS
    from ispclient.ui.widgets import NoticeBox, Section, StatusBadge
    from ispclient.ui.widgets.formatting import local_time

    settings = ctx.settings()
    section = Section("Current Subscription")
    section.add_row("payment", "Payment:")
    section.set_value("payment", f"Paid in full ({format_money(150_050, settings.currency)}) — 0123456789")
    section.add_row("phone", "Phone:")
    section.set_value("phone", display_phone(_sample_phone(settings.default_country)))
    section.add_row("created", "Created:")
    section.set_value("created", local_time(datetime.now(UTC), settings.timezone))
    badge = StatusBadge()
    badge.set_status("Active", next(iter(SUBSCRIPTION_COLOURS.values())))
    section.add_row("status", "Status:", badge)
    section.add_full_width(NoticeBox("Connection status unavailable", "Check the router"))
    section.resize(section.sizeHint())
    image = QImage(section.size(), QImage.Format.Format_RGB32)  # opaque, as a window's backing store
    section.render(image)
    section.deleteLater()


def _sample_phone(country: str) -> str:
    """An example number of the installation's country (its metadata is what clients' numbers use)."""
    import phonenumbers

    example = phonenumbers.example_number(country or "US")
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164) if example else ""
