"""The main window: find a client (search, filters, sort), see their line and subscription at a
glance, open them. It composes a filter bar, the client table and the status bar, and receives
everything it needs (context, status service, model) in its constructor."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QObject,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QFocusEvent,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ispclient import APP_DISPLAY_NAME, __version__
from ispclient.domain.connection import ConnectionState
from ispclient.domain.permissions import Permission
from ispclient.domain.subscriptions import NO_SUBSCRIPTION, SubscriptionStatus
from ispclient.store import queries
from ispclient.store.changes import Changes
from ispclient.store.reports import WIN_BACK_DAYS
from ispclient.ui import list_read, msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.help import open_guide
from ispclient.ui.models.client_filter import NO_SERVER, ClientFilter
from ispclient.ui.models.client_list import ClientListModel, Column, ListCounts
from ispclient.ui.style import CONNECTION_COLOURS
from ispclient.ui.widgets.formatting import plural
from ispclient.ui.window_state import WindowState

if TYPE_CHECKING:  # numpy and the list's index load in the background read, not before the first paint
    from ispclient.listing.connections import Snapshot
    from ispclient.listing.index import ClientIndex
    from ispclient.ui.client.window import ClientWindow, SpareWindow
    from ispclient.ui.queue_runner import QueueRunner
    from ispclient.ui.session import Locker
    from ispclient.ui.status_service import StatusService

log = logging.getLogger(__name__)

SEARCH_HINT = "Search name, Client ID, phone, e-mail or PPPoE username  (Ctrl+F)"
EMPTY_HINT = "No clients yet — press Ctrl+N to add one, or let the set-up wizard bring them in."
NO_MATCH_HINT = "No clients match the search and filters. Press Esc to clear the search."
LOADING_HINT = "Loading the clients…"
PAGE_ROWS = list_read.PAGE_ROWS
WARM_DELAY_MS = 600  # after the list is painted: the other columns' orders (list_read.warm)
SETTLE_WAIT_MS = 300  # the list not painted by then (the Today page shows): list_settled anyway
MANY_CLIENTS_CHANGED = 2000  # more changed at once (an import, a mass renewal): read the whole list again
# The Today page's win-back tile: expired within WIN_BACK_DAYS, nothing after (the list's Expired
# narrowed to those whose subscription ended on or after that day).
EXPIRED_LATELY = "expired-lately"
STATUS_FILTERS = [("All subscriptions", None), *((s.value, s.value) for s in (
    SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRING, SubscriptionStatus.EXPIRED)),
    (f"Expired, last {WIN_BACK_DAYS} days", EXPIRED_LATELY),
    (SubscriptionStatus.SCHEDULED.value, SubscriptionStatus.SCHEDULED.value), (NO_SUBSCRIPTION, NO_SUBSCRIPTION)]
CONNECTION_FILTERS = [("All connections", None), *((s.label, s) for s in ConnectionState)]
# Default widths fit these samples (and the header with its sort arrow); the user's own widths,
# once changed, are restored over them.
_WIDTH_SAMPLES = {Column.CLIENT_ID: "C000000", Column.NAME: "Namubiru Nansubuga Wanji",
                  Column.PHONE: "+234 807 749 3456", Column.PPPOE_USERNAME: "namubiru.nansubuga",
                  Column.SERVER: "Mombasa Road P", Column.PACKAGE: "Business 50 Mbps",
                  Column.SUBSCRIPTION: "No subscription", Column.END_DATE: "30 Sep 2026",
                  Column.CONNECTION: "● Unknown", Column.BALANCE: "KES 12,345.00"}


def themed_icon(name: str, colour: QColor) -> QIcon:
    """An icon from ``resources/icons/<name>.svg`` drawn in ``colour`` (the palette's text
    colour), so it reads in light and dark mode and stays sharp at any scaling."""
    from PySide6.QtSvg import QSvgRenderer

    from ispclient.resources import resource_path

    try:
        svg = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")
    except FileNotFoundError:
        log.warning("icon %s missing", name)
        return QIcon()
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", colour.name()).encode("utf-8")))
    icon = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pm)
    return icon


class FilterBar(QWidget):
    """The search box and the three filters above the list (``today``: the ISP's day, for
    "Expired, last 30 days")."""

    changed = Signal()

    def __init__(self, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(SEARCH_HINT)
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search clients")
        self.status = self._combo("statusFilter", "Subscription status", STATUS_FILTERS)
        self.server = self._combo("serverFilter", "Server", [("All servers", None)])
        self.connection = self._combo("connectionFilter", "Connection status", CONNECTION_FILTERS)
        self.owes = QCheckBox("Owes money")
        self.owes.setObjectName("owesFilter")
        self.owes.setToolTip("Show only clients whose balance is above zero")
        for state in ConnectionState:
            from ispclient.ui.style import connection_icon

            self.connection.setItemIcon(self.connection.findData(state), connection_icon(state))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 1)
        for combo in (self.status, self.server, self.connection):
            layout.addWidget(combo)
        layout.addWidget(self.owes)
        self.search.textChanged.connect(self.changed)
        self.owes.toggled.connect(self.changed)

    def _combo(self, name: str, label: str, items: Sequence[tuple[str, object]]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setAccessibleName(label)
        combo.setToolTip(f"Show only clients with this {label.lower()}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for text, data in items:
            combo.addItem(text, data)
        combo.currentIndexChanged.connect(self.changed)
        return combo

    def set_servers(self, servers: list[tuple[int, str]]) -> None:
        """Refill the server filter, keeping the chosen server if it still exists."""
        chosen = self.server.currentData()
        self.server.blockSignals(True)
        self.server.clear()
        self.server.addItem("All servers", None)
        for server_id, name in servers:
            self.server.addItem(name, server_id)
        self.server.addItem("No server assigned", NO_SERVER)
        index = self.server.findData(chosen)
        self.server.setCurrentIndex(max(index, 0))
        self.server.blockSignals(False)
        if index < 0 and chosen is not None:
            self.changed.emit()

    def current(self) -> ClientFilter:
        connection = self.connection.currentData()  # the combo hands the enum back as a plain str
        status, ended_since = self.status.currentData(), None
        if status == EXPIRED_LATELY:
            from ispclient.ui.today_page import win_back_filter  # (the window's first paint doesn't need it)

            lately = win_back_filter(self.today())
            status, ended_since = lately.status, lately.ended_since
        return ClientFilter(self.search.text(), status, self.server.currentData(),
                            ConnectionState(connection) if connection else None, self.owes.isChecked(), ended_since)

    def set_filter(self, flt: ClientFilter) -> None:
        """Show exactly this filter (a Today tile leads here): one change, not one per control."""
        widgets = (self.search, self.status, self.server, self.connection, self.owes)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.search.setText(flt.search)
            status = EXPIRED_LATELY if flt.ended_since is not None else flt.status
            for combo, value in ((self.status, status), (self.server, flt.server_id),
                                 (self.connection, flt.connection.value if flt.connection else None)):
                combo.setCurrentIndex(max(combo.findData(value), 0))
            self.owes.setChecked(flt.owes)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.changed.emit()

    def clear(self) -> None:
        """Esc: the search first; when it is already empty, the filters too."""
        if self.search.text():
            self.search.clear()
            return
        for combo in (self.status, self.server, self.connection):
            combo.setCurrentIndex(0)
        self.owes.setChecked(False)


class _AfterPaint(QObject):
    """Calls ``then`` once, in the turn of the event loop after ``widget`` next paints — or after
    ``wait_ms`` if it doesn't (it isn't on screen)."""

    def __init__(self, widget: QWidget, then: Callable[[], object], wait_ms: int) -> None:
        super().__init__(widget)
        self._widget = widget
        self._then: Callable[[], object] | None = then
        widget.installEventFilter(self)
        QTimer.singleShot(wait_ms, self, self._fire)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._fire)
        return False

    def _fire(self) -> None:
        then, self._then = self._then, None
        if then is None:
            return
        self._widget.removeEventFilter(self)
        self.deleteLater()
        then()


_ACTIVATION = (QEvent.Type.WindowActivate, QEvent.Type.WindowDeactivate)
# The colours every cell is drawn with (the highlight is only the selected row's).
_CELL_ROLES = (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase, QPalette.ColorRole.Text,
               QPalette.ColorRole.Window, QPalette.ColorRole.WindowText)
_MARKED_ROWS_MAX = 64


class ClientTable(QTableView):
    """The list itself: Enter opens the client, Delete deletes it."""

    open_requested = Signal()
    delete_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clients")
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setCornerButtonEnabled(False)
        self.setTabKeyNavigation(False)
        self.setIconSize(QSize(12, 12))
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring at 100,000 rows
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.doubleClicked.connect(lambda _index: self.open_requested.emit())
        self.placeholder = ""  # said in the empty list (no client matches)

    # -- the window losing or regaining activation (a client window opening over it, closing) ---
    #
    # Qt repaints the whole table then: QAbstractItemView updates the whole viewport on
    # WindowActivate/WindowDeactivate and on every focus change, and QWidget updates the widget
    # (which covers its children) on a focus change and, where the palette's active and inactive
    # colours differ, on activation too — ~10 ms of the GUI thread, every row and column drawn
    # again, between the click and the client window's first paint. What looks different in an
    # inactive window is the selected row (the highlight), the current row (its focus frame) and
    # the frame: those are repainted. Where the inactive palette changes the cells' own colours
    # (background, text), Qt's whole repaint is kept.

    def _repaint_on_activation_only_marked(self) -> bool:
        palette = self.palette()
        active, inactive = QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive
        return all(palette.color(active, role) == palette.color(inactive, role) for role in _CELL_ROLES)

    def repaint_marked_rows(self) -> None:
        """Repaint the rows that look different when the window is (in)active, and the frame."""
        viewport = self.viewport()
        rows: set[int] = set()
        selection = self.selectionModel()
        if selection is not None:
            chosen = selection.selection()
            for part in (chosen.at(i) for i in range(chosen.size())):
                if part.bottom() - part.top() > _MARKED_ROWS_MAX:  # (single selection: never)
                    viewport.update()
                    break
                rows.update(range(part.top(), part.bottom() + 1))
        current = self.currentIndex()
        if current.isValid():
            rows.add(current.row())
        width, height = viewport.width(), viewport.height()
        for row in rows:
            y = self.rowViewportPosition(row)
            if -self.rowHeight(row) < y < height:
                viewport.update(0, y, width, self.rowHeight(row))
        frame = QRegion(self.rect()) - QRegion(viewport.geometry())
        self.update(frame)

    def event(self, event: QEvent) -> bool:
        if event.type() in _ACTIVATION and self._repaint_on_activation_only_marked():
            # QWidget's own handling, without its whole repaint: its children get the event.
            for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
                if child.isVisible() and not child.isWindow():
                    QCoreApplication.sendEvent(child, event)
            self.repaint_marked_rows()
            return True
        return super().event(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in _ACTIVATION and self._repaint_on_activation_only_marked():
            return True  # (repainted by event() above: what differs, not the whole viewport)
        return super().viewportEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        if event.reason() == Qt.FocusReason.ActiveWindowFocusReason and self.currentIndex().isValid() \
                and self._repaint_on_activation_only_marked():
            self.repaint_marked_rows()  # (Qt's own would also pick a current row: there is one)
            return
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        if event.reason() == Qt.FocusReason.ActiveWindowFocusReason and self._repaint_on_activation_only_marked():
            self.repaint_marked_rows()
            return
        super().focusOutEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        model = self.model()
        if self.placeholder and model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            painter.drawText(self.viewport().rect().adjusted(12, 24, -12, -12),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                             self.placeholder)
            painter.end()

    def set_default_widths(self) -> None:
        cell = self.fontMetrics()
        header = self.horizontalHeader().fontMetrics()
        for column, sample in _WIDTH_SAMPLES.items():
            title = str(self.model().headerData(column, Qt.Orientation.Horizontal)) if self.model() else ""
            self.setColumnWidth(column, max(cell.horizontalAdvance(sample) + 16,
                                            header.horizontalAdvance(title) + 32))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit()
        elif event.key() == Qt.Key.Key_Delete and self.currentIndex().isValid():
            self.delete_requested.emit()
        else:
            super().keyPressEvent(event)


class MainWindow(WindowState, QMainWindow):
    """The client list and everything that starts from it."""

    state_group = list_read.STATE_GROUP
    default_size = QSize(1280, 760)
    list_loaded = Signal()  # the list shows the rows of its latest read
    # The first whole list is in and has been painted (or is not on screen): the start-up's later
    # background work (the router checks, the client window's modules) may start. Started as the
    # list landed, it held the GIL while the window painted the list (each cell it paints calls
    # into Python): 30-70 ms stalls.
    list_settled = Signal()

    def __init__(self, ctx: AppContext, status: StatusService | None = None,
                 model: ClientListModel | None = None, parent: QWidget | None = None,
                 runner: QueueRunner | None = None, start_on_today: bool = False,
                 first_read: list_read.FirstRead | None = None) -> None:
        """``start_on_today``: the Today page shows first (the app at start-up); else the list.
        ``first_read``: the list's first read, started before the window (the application's)."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.status_service = status
        self.runner = runner
        self.model = model or ClientListModel(ctx.connections, parent=self)
        settings = ctx.settings()
        self.model.set_currency(settings.currency, settings.decimal_separator or None)
        self.client_windows: dict[int, ClientWindow] = {}
        self.locker: Locker | None = None  # set by the application once someone signed in
        self._tool_windows: dict[str, QWidget] = {}
        self._kept_selection: int | None = None
        self._loaded_day: date | None = None
        self._expiring_days = ctx.settings().expiring_days
        self._reload_pending = False
        self._reloading = False
        self._first_load = True
        self._first_read = first_read
        self._dirty: set[int] = set()  # clients changed while a reload was on its way
        # Qt adds the application's name to every title itself ("Demo data — ISP Client").
        self.setWindowTitle("Demo data, simulated routers" if ctx.demo else "")

        self.filters = FilterBar(ctx.today)
        self.table = ClientTable()
        self.table.setModel(self.model)
        self.empty = self._empty_page()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        clients_page = QWidget()
        clients_page.setObjectName("clientsPage")
        page_layout = QVBoxLayout(clients_page)
        page_layout.setContentsMargins(0, 4, 0, 0)
        page_layout.addWidget(self.filters)
        page_layout.addWidget(self.stack, 1)
        from ispclient.ui.today_page import TodayPage

        self.today_page = TodayPage(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.today_page, "Today")
        self.tabs.addTab(clients_page, "Clients")
        self.tabs.setCurrentWidget(self.today_page if start_on_today else clients_page)
        self.clients_page = clients_page
        self.router_banner = QLabel()
        self.router_banner.setObjectName("routerBanner")
        self.router_banner.setWordWrap(True)
        self.router_banner.setStyleSheet("QLabel#routerBanner { background: #c62828; color: white; padding: 6px 10px;"
                                         " font-weight: bold; border-radius: 3px; }")
        self.router_banner.hide()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.router_banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self._make_actions()
        self._make_menus_and_toolbar()
        self._make_counter_actions()
        self._make_status_bar()
        self._connect()
        self._restore_state()
        # Sorting on while the model is still empty: it takes the restored (or default) order
        # now, and the load below sorts the 100,000 rows once, not twice.
        self.table.setSortingEnabled(True)
        self.table.placeholder = LOADING_HINT
        self.reload()
        self.table.setFocus()

    # -- construction -----------------------------------------------------------------------

    def _empty_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("emptyState")
        hint = QLabel(EMPTY_HINT)
        hint.setObjectName("emptyHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = hint.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        hint.setFont(font)
        button = QPushButton("&New client…")
        button.clicked.connect(self.new_client)
        setup = QPushButton("Set-up &wizard…")
        setup.setObjectName("emptySetup")
        setup.clicked.connect(self.show_setup_wizard)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(button)
        row.addWidget(setup)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def _action(self, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                icon: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon:
            action.setProperty("iconName", icon)
        tip = tip or text.replace("&", "").rstrip("…")
        if shortcut is not None:
            tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _make_actions(self) -> None:
        self.new_action = self._action("&New client…", self.new_client, "Ctrl+N", "new-client",
                                       "Add a new client")
        self.refresh_action = self._action("&Refresh status", self.refresh_status, "F5", "refresh",
                                           "Check every router for who is online now")
        self.find_action = self._action("&Find…", self.focus_search, "Ctrl+F", "search", "Search the clients")
        self.clear_action = self._action("&Clear search", self.clear_search, "Esc")
        self.open_action = self._action("&Open client", self.open_selected, "Return", "open-client")
        self.delete_action = self._action("&Delete client…", self.delete_selected, "Del", "delete")
        for action in (self.open_action, self.delete_action):  # only in the list: Del edits text elsewhere
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.table.addAction(action)
        self.servers_action = self._action("&Servers…", self.show_servers, icon="servers",
                                           tip="Routers: addresses, API passwords, test connection")
        self.packages_action = self._action("&Packages…", self.show_packages, icon="packages",
                                            tip="Packages: prices, validity, PPP profiles")
        self.settings_action = self._action("Se&ttings…", self.show_settings, icon="settings",
                                            tip="Currency, country, expiry warnings, router provisioning")
        self.sync_action = self._action("&Router sync…", self.show_router_sync,
                                        tip="Changes waiting for the routers, reconcile, import from a router")
        self.staff_action = self._action("S&taff…", self.show_staff, tip="Staff accounts, their roles and passwords")
        self.shifts_action = self._action("&Shifts and cash-up…", self.show_shifts, "Ctrl+Shift+K",
                                          tip="Your shift (a manager: every shift of a day), the cash-up report")
        self.switch_user_action = self._action("S&witch user…", self.switch_user, "Ctrl+L",
                                               tip="Lock the window behind the sign-in; nothing is closed")
        self.switch_user_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)  # from any window
        self.password_action = self._action("Change my &password…", self.change_password)
        self.today_action = self._action("&Today", self.show_today, "Ctrl+1",
                                         tip="What needs doing today: expiring, owing, takings, routers")
        self.clients_action = self._action("C&lients", self.show_client_list, "Ctrl+2", tip="The client list")
        self.reports_action = self._action("&Reports…", self.show_reports, "Ctrl+Shift+R",
                                           tip="Revenue, subscribers, churn, debtors: by day, month, package…")
        # What each action needs; the role signed in enables or disables them (with who can).
        self._needs: dict[QAction, Permission] = {
            self.new_action: Permission.EDIT_CLIENTS, self.delete_action: Permission.DELETE_CLIENTS,
            self.servers_action: Permission.SERVERS, self.packages_action: Permission.PACKAGES,
            self.settings_action: Permission.SETTINGS, self.sync_action: Permission.ROUTER_SYNC,
            self.staff_action: Permission.STAFF, self.reports_action: Permission.REPORTS,
        }
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.about_action = self._action("&About", self.about)
        self.guide_action = self._action("&User guide", lambda: open_guide(self, self.guide_page()),
                                         QKeySequence.StandardKey.HelpContents, tip="The short guide to daily tasks")
        self.setup_action = self._action("Set-up &wizard…", self.show_setup_wizard,
                                         tip="Your business details, first router, packages and clients")
        self._update_icons()

    def _update_icons(self) -> None:
        colour = self.palette().color(QPalette.ColorRole.WindowText)
        for action in self.findChildren(QAction):
            name = action.property("iconName")
            if name:
                action.setIcon(themed_icon(str(name), colour))

    def _make_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.file_menu.addAction(self.new_action)
        self._add_transfer_actions()
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.switch_user_action)
        self.file_menu.addAction(self.password_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.client_menu = bar.addMenu("&Client")
        for action in (self.open_action, self.delete_action):
            self.client_menu.addAction(action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addActions([self.today_action, self.clients_action])
        self.view_menu.addSeparator()
        for action in (self.find_action, self.clear_action, self.refresh_action):
            self.view_menu.addAction(action)
        self.till_menu = bar.addMenu("&Till")
        self.till_menu.addAction(self.shifts_action)
        self.reports_menu = bar.addMenu("&Reports")
        self.reports_menu.addAction(self.reports_action)
        self.manage_menu = bar.addMenu("&Manage")
        for action in (self.servers_action, self.packages_action, self.sync_action, self.settings_action,
                       self.staff_action):
            self.manage_menu.addAction(action)
        self.manage_menu.addSeparator()
        self.manage_menu.addAction(self.setup_action)
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addAction(self.guide_action)
        self.help_menu.addAction(self.about_action)
        for menu in (self.file_menu, self.client_menu, self.view_menu, self.till_menu, self.reports_menu,
                     self.manage_menu):
            menu.setToolTipsVisible(True)  # a disabled entry says who can use it

        self.toolbar = QToolBar("Main toolbar")
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setIconSize(QSize(20, 20))
        for action in (self.new_action, self.refresh_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in (self.servers_action, self.packages_action, self.settings_action):
            self.toolbar.addAction(action)
        self.addToolBar(self.toolbar)

    def _make_counter_actions(self) -> None:
        """Record payment (Ctrl+P) and Renew (Ctrl+R) for the selected client — also from the search
        box, on the first client found — in the Client menu and the list's context menu."""
        def on_client(pay: bool) -> None:
            # Imported when first used: the client window's package is ~30 ms of imports that
            # the window's first paint doesn't need (its modules are preloaded once the list is in).
            from ispclient.ui.client import counter

            refusal = self.ctx.session.refusal(Permission.TAKE_PAYMENTS if pay else Permission.RENEW)
            if refusal is not None:
                self.statusBar().showMessage(refusal, 8000)
                return
            if self.tabs.currentWidget() is not self.clients_page:
                # On the Today page no client is in sight: the list's selection (or its first
                # row) would be someone the person at the desk can't see. Find them first.
                self.focus_search()
                self.statusBar().showMessage(
                    f"Find the client, then press {'Ctrl+P' if pay else 'Ctrl+R'} again.", 8000)
                return
            client_id = self.selected_client_id()
            if client_id is None and self.model.rowCount():
                client_id = self.model.client_id(0)
                self.select_client(client_id)
            if client_id is None:
                self.statusBar().showMessage("Find and select a client first.", 5000)
                return
            counter.for_client(self, self.ctx, client_id, counter.PAY if pay else counter.RENEW)

        self.pay_action = self._action("Record &payment…", lambda: on_client(True), "Ctrl+P",
                                       tip="Take money from the selected client")
        self.renew_action = self._action("Re&new…", lambda: on_client(False), "Ctrl+R",
                                         tip="Renew the selected client's subscription")
        # Disabled for a role that may not (applied with the others once the window is built).
        self._needs[self.pay_action] = Permission.TAKE_PAYMENTS
        self._needs[self.renew_action] = Permission.RENEW
        self.client_menu.insertActions(self.delete_action, [self.pay_action, self.renew_action])
        self.client_menu.insertSeparator(self.delete_action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        def context_menu(pos: QPoint) -> None:
            index = self.table.indexAt(pos)
            if not index.isValid():
                return
            self.select_client(self.model.client_id(index.row()), scroll=False)
            menu = QMenu(self.table)
            menu.addAction(self.open_action)
            menu.addSeparator()
            menu.addActions([self.pay_action, self.renew_action])
            menu.addSeparator()
            menu.addAction(self.delete_action)
            menu.popup(self.table.viewport().mapToGlobal(pos))
            self.context_menu = menu

        self.table.customContextMenuRequested.connect(context_menu)

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.shown_label = QLabel()
        self.shown_label.setObjectName("shownCount")
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connectionCounts")
        self.connection_label.setTextFormat(Qt.TextFormat.RichText)
        self.expiring_label = QLabel()
        self.expiring_label.setObjectName("expiringCount")
        self.owing_label = QLabel()
        self.owing_label.setObjectName("owingCount")
        self.refresh_label = QLabel()
        self.refresh_label.setObjectName("lastRefresh")
        self.who_label = QLabel()
        self.who_label.setObjectName("signedIn")
        bar.addWidget(self.shown_label)
        # Passing notes ("Daily backup saved") sit beside the counts for a while, never over them.
        self.note_label = QLabel()
        self.note_label.setObjectName("note")
        self.note_label.hide()
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(self.note_label.hide)
        self._note_timer.timeout.connect(lambda: self._fit_status_bar())
        bar.addWidget(self.note_label)
        # (The demo says so in the window title: the status bar keeps its room for the counts.)
        for label in (self.connection_label, self.expiring_label, self.owing_label, self.refresh_label,
                      self.who_label):
            bar.addPermanentWidget(label)
        for label in (self.shown_label, self.connection_label, self.expiring_label, self.owing_label,
                      self.refresh_label):
            label.setMinimumWidth(0)  # sized to their text in _fit_status_bar: never drawn over each other
        # Each label's full and short text: a narrow window (or 150 % scale) gets the short ones, then
        # loses the check time, rather than the counts being drawn over each other.
        self._status_texts: dict[QLabel, tuple[str, str]] = {}
        self._fitted: tuple[object, ...] | None = None  # what the status bar was last fitted for

    def _connect(self) -> None:
        self.filters.changed.connect(self._filter_changed)
        self.filters.search.returnPressed.connect(self._search_enter)
        self.table.open_requested.connect(self.open_selected)
        self.table.delete_requested.connect(self.delete_selected)
        self.model.counts_changed.connect(self._show_counts)
        self.model.modelAboutToBeReset.connect(self._keep_selection)
        self.model.modelReset.connect(self._restore_selection)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.ctx.events.changed.connect(self._data_changed)
        self.ctx.store.catalog_changed.connect(self._show_servers)
        self.ctx.store.settings_changed.connect(self._schedule_reload)
        self.ctx.session.changed.connect(self._apply_permissions)
        self.ctx.store.settings_changed.connect(self._show_money)
        self.today_page.show_clients.connect(self.show_clients)
        self.today_page.show_takings.connect(self.show_shifts)
        self.today_page.show_router_sync.connect(self.show_router_sync)
        self.today_page.show_auto_renewals.connect(self.show_auto_renewals)
        self.ctx.connections.changed.connect(lambda _keys: self._show_router_banner())
        self.ctx.store.catalog_changed.connect(self._show_router_banner)
        if self.status_service is not None:
            self.status_service.refreshed.connect(self._show_router_banner)
            self.status_service.refresh_started.connect(self._show_refresh)
            self.status_service.refreshed.connect(self._show_refresh)
            self.status_service.refreshed.connect(self._resort_by_connection)
        self._day_timer = QTimer(self)
        self._day_timer.setInterval(60_000)
        self._day_timer.timeout.connect(self._check_new_day)
        self._day_timer.start()
        self._apply_permissions()

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Every row again (start-up, a new day, a renamed server, changed settings), read and
        indexed in the background; the list keeps showing the old rows until the new index is in.
        Until a whole list has been shown, the first page is read first and shown meanwhile.
        The app's first read was started before this window was built: it is taken over."""
        self._reload_pending = False
        self._reloading = True
        self._dirty.clear()
        ops.forget_key(self, "rows")  # row refreshes started before this read are older than it
        self._show_servers()
        first_read = self._first_read
        if first_read is not None:
            if self._first_load:
                self._first_load = False
                today, days, seen = first_read.today, first_read.expiring_days, first_read.seen
                first_read.take_over(lambda index: self._install(index, today, days, seen), self._reload_failed)
                return
            first_read.abandon()  # still on its way: older than this read
            self._first_read = None
        today, days, first = self.ctx.today(), self.ctx.settings().expiring_days, self._first_load
        self._first_load = False
        seen = self.model.connection_snapshot()
        column = self.model.sort_column
        page_wanted = not self.model.complete and (column is Column.NAME or column is None)
        descending = self.model.sort_order == Qt.SortOrder.DescendingOrder
        list_read.start(self, self.model, today, days, seen, renew=first,
                        page_descending=descending if page_wanted else None,
                        on_index=lambda index: self._install(index, today, days, seen),
                        on_failure=self._reload_failed)

    def _install(self, index: ClientIndex, today: date, expiring_days: int, seen: Snapshot) -> None:
        self._reloading = False
        self._first_read = None
        self._expiring_days = expiring_days
        first_install = self._loaded_day is None
        self.model.install_index(index, seen)
        # The list is a few dozen arrays whatever its length (no object per client), so the
        # collector has little to walk; freezing moves what start-up made (modules, widgets,
        # the catalog) out of its way too, so a collection costs the same all day.
        gc.freeze()
        self._loaded_day = today
        self._show_counts()
        self._show_refresh()
        if self._dirty:  # changed after the read began: read those again
            self._refresh_rows(self._dirty)
            self._dirty = set()
        if first_install:
            _AfterPaint(self.table.viewport(), self._list_settled, SETTLE_WAIT_MS)
        else:
            list_read.warm(self, self.model)
        self.list_loaded.emit()

    def _list_settled(self) -> None:
        # The other columns' orders a little later: now the client window's preload, the first
        # status check (its batches read, the helper process started) and these all wanted the
        # two cores at once, and the GUI thread painting the new list waited for one (50-65 ms
        # stalls). A header clicked before they are in sorts its own column (≤ 60 ms at 100,000).
        QTimer.singleShot(WARM_DELAY_MS, self, lambda: list_read.warm(self, self.model))
        self._preload_client_window()
        self.list_settled.emit()

    def _preload_client_window(self) -> None:
        """Import the client window's modules in the background once the list is in, so the
        first client opened costs what every later one does (the imports were ~100 ms of the
        first open, on the GUI thread); the same for the first status check of a client, when
        there are routers (the keyring's imports held the GIL through the first open: 45 ms of
        stall on PostgreSQL). Only modules: no widget is made off the GUI thread; the
        spare window is made back on it a moment later (not on top of the start-up's last work)."""
        routers = bool(self.ctx.catalog().servers)

        def load() -> None:
            import importlib

            importlib.import_module("ispclient.ui.client.window")

        def warm_router_check() -> None:
            from ispclient.routeros import credentials

            credentials.warm()  # the keyring, for the router's password
            "router.local".encode("idna")  # a host name's first lookup imports its codec (and stringprep)

        def loaded() -> None:
            self._client_spare().prepare_after_start()
            if routers:  # what a client window's first status check would otherwise do first (its own
                # op: the spare is not kept waiting for it)
                ops.Op(self, warm_router_check, key="warm-router-check", lane=ops.Lane.SLOW) \
                    .on_failure(lambda e: log.info("warming up the keyring failed: %r", e)).run()

        ops.Op(self, load, key="preload", lane=ops.Lane.SLOW) \
            .on_success(lambda _none: loaded()) \
            .on_failure(lambda e: log.warning("preloading the client window failed: %r", e)).run()

    @property
    def list_ready(self) -> bool:
        """Whether the first read of the whole list has landed."""
        return self._loaded_day is not None

    def _reload_failed(self, error: BaseException) -> None:
        self._reloading = False
        self._first_read = None
        ops.show_error(self, error)

    def _show_money(self) -> None:
        settings = self.ctx.settings()
        self.model.set_currency(settings.currency, settings.decimal_separator or None)

    def _show_servers(self) -> None:
        self.filters.set_servers([(s.id, s.name) for s in self.ctx.catalog().servers])

    def _schedule_reload(self) -> None:
        """Several changes in a row (settings saved, then a server renamed) cost one reload."""
        if not self._reload_pending:
            self._reload_pending = True
            QTimer.singleShot(0, self, self.reload)

    def _data_changed(self, changes: Changes) -> None:
        if changes.all_clients or len(changes.clients) > MANY_CLIENTS_CHANGED:
            self._schedule_reload()
        elif changes.clients:
            if self._reloading or self._reload_pending:
                self._dirty |= changes.clients
            else:
                self._refresh_rows(changes.clients)

    def _refresh_rows(self, client_ids: set[int] | frozenset[int]) -> None:
        """Read only these clients again (changed, created or deleted) and update their rows."""
        ids = sorted(client_ids)
        today, days = self.ctx.today(), self.ctx.settings().expiring_days
        ops.Op(self, lambda: queries.client_rows(today, days, ids), key="rows") \
            .on_success(lambda rows: self.model.apply_rows(ids, rows)).run()

    def _check_new_day(self) -> None:
        if self._loaded_day is not None and self.ctx.today() != self._loaded_day:
            if self.model.filter.ended_since is not None:  # "the last 30 days" moves on a day too
                self.model.set_filter(self.filters.current())
            self.reload()  # Active turns Expiring, Expiring turns Expired

    def _resort_by_connection(self) -> None:
        """Rows stay put while statuses arrive; a list sorted by connection is sorted again once
        the refresh has landed."""
        if self.model.sort_column is Column.CONNECTION:
            self.model.sort(Column.CONNECTION, self.model.sort_order)

    # -- filtering and selection --------------------------------------------------------------

    def show_today(self) -> None:
        self.tabs.setCurrentWidget(self.today_page)
        self.today_page.refresh()

    def guide_page(self) -> str:
        """The guide's part about what the window shows (F1): the Today page or the client list."""
        return "today" if self.tabs.currentWidget() is self.today_page else "main"

    def show_client_list(self) -> None:
        self.tabs.setCurrentWidget(self.clients_page)
        self.table.setFocus()

    def show_clients(self, flt: ClientFilter) -> None:
        """The client list filtered so (a Today tile was clicked)."""
        self.tabs.setCurrentWidget(self.clients_page)
        self.filters.set_filter(flt)
        self.table.setFocus()

    def down_routers(self) -> list[tuple[str, str]]:
        """(name, state) of every router whose last check failed (from the status checks)."""
        from ispclient.ui.servers_window import router_state

        out = []
        for server in self.ctx.catalog().servers:
            state = router_state(self.ctx.connections.router(server.id))
            if state.up is False:
                out.append((server.name, state.text))
        return out

    def _show_router_banner(self) -> None:
        down = self.down_routers()
        if not down:
            self.router_banner.hide()
            self.router_banner.clear()
            return
        names = "; ".join(f"{name} is {text[0].lower()}{text[1:]}" for name, text in down)
        its, it, is_ = ("Their", "them", "they are") if len(down) > 1 else ("Its", "it", "it is")
        self.router_banner.setText(f"⚠ {names}. {its} clients' statuses are unknown and changes for {it} wait in "
                                   f"the queue until {is_} back.")
        self.router_banner.show()

    def _filter_changed(self) -> None:
        self.model.set_filter(self.filters.current())

    def _keep_selection(self) -> None:
        self._kept_selection = self.selected_client_id()

    def _restore_selection(self) -> None:
        if self._kept_selection is not None:
            self.select_client(self._kept_selection, scroll=False)

    def _selection_changed(self, *_args: object) -> None:
        selected = self.selected_client_id() is not None
        self.open_action.setEnabled(selected)
        self.delete_action.setEnabled(selected and self.ctx.session.can(Permission.DELETE_CLIENTS))

    def require(self, action: QAction, permission: Permission) -> None:
        """``action`` is for roles with ``permission`` only (the backup actions, added later)."""
        self._needs[action] = permission
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        """Disable what the signed-in role can't do; the tooltip (and the menu entry's) says who can."""
        session = self.ctx.session
        for action, permission in self._needs.items():
            base = action.property("baseTip")
            if base is None:
                base = action.toolTip()
                action.setProperty("baseTip", base)
            refusal = session.refusal(permission)
            action.setEnabled(refusal is None)
            action.setToolTip(refusal or str(base))
        self._selection_changed()
        name = session.describe()
        self._set_status(self.who_label, name, name.removeprefix("Signed in: ").split(" (")[0])

    def selected_client_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.client_id(rows[0].row()) if rows else None

    def select_client(self, client_id: int, scroll: bool = True) -> bool:
        """Select (and show) this client's row; False when the filter hides it."""
        row = self.model.row_of_client(client_id)
        if row is None:
            return False
        index = self.model.index(row, Column.NAME)
        selection = QItemSelection(self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1))
        self.table.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if scroll:
            self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.clients_page)  # Ctrl+F from the Today page searches the list too
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def clear_search(self) -> None:
        if self.tabs.currentWidget() is not self.clients_page:
            return  # Esc on the Today page: nothing there to clear (the list's search is not in sight)
        self.filters.clear()
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _search_enter(self) -> None:
        """Enter in the search box opens the selected client, else the first one found."""
        if self.model.rowCount() == 0:
            return
        if self.selected_client_id() is None:
            self.select_client(self.model.client_id(0))
        self.open_selected()

    # -- actions ----------------------------------------------------------------------------

    def open_selected(self) -> None:
        client_id = self.selected_client_id()
        if client_id is not None:
            self.open_client(client_id)

    def open_client(self, client_id: int) -> ClientWindow:
        """The client's window: raised if it is open already, else a new one."""
        window = self.client_windows.get(client_id)
        if window is not None and shiboken6.isValid(window):
            window.present()
            return window
        row = self.model.client_row(client_id)
        window = self._client_spare().take(client_id, title=f"{row.name} — {row.client_code}" if row else "")
        self.client_windows[client_id] = window
        window.destroyed.connect(lambda *_a, cid=client_id, w=window: self._client_window_gone(cid, w))
        window.present()  # once its data is in (a moment later on a slow database, "Loading…")
        return window

    def _client_spare(self) -> SpareWindow:
        """Keeps a client window made ahead, hidden (see SpareWindow)."""
        from ispclient.ui.client.window import SpareWindow

        spare = self.findChild(SpareWindow)
        return spare if spare is not None else SpareWindow(self.ctx, self)

    def _client_window_gone(self, client_id: int, window: QWidget) -> None:
        if self.client_windows.get(client_id) is window:
            del self.client_windows[client_id]

    def new_client(self) -> None:
        from ispclient.ui.dialogs.client_dialog import ClientDialog

        if not self.new_action.isEnabled():  # the empty list's button, for a role that can't add
            msgbox.error(self, "New client", self.new_action.toolTip())
            return

        client_id = ClientDialog.ask(self, self.ctx)
        if client_id is None:
            return
        self.show_client_when_listed(client_id)
        self.open_client(client_id).offer_subscription()  # Enter sells their first package

    def show_client_when_listed(self, client_id: int) -> None:
        """Select this client as soon as their row is in the list (a new client's row is read in
        the background); a search or filter hiding them is cleared."""
        def select() -> bool:
            if self.model.row_of_client(client_id) is None and self.model.client_row(client_id) is not None:
                self.filters.search.clear()
                for combo in (self.filters.status, self.filters.server, self.filters.connection):
                    combo.setCurrentIndex(0)
            return self.select_client(client_id)

        if select():
            return
        today, days = self.ctx.today(), self._expiring_days
        def listed(rows: list[queries.ClientRow]) -> None:
            self.model.apply_rows([client_id], rows)
            select()

        ops.Op(self, lambda: queries.client_rows(today, days, [client_id]), key="rows").on_success(listed).run()

    def delete_selected(self) -> None:
        client_id = self.selected_client_id()
        if client_id is None:
            return
        from ispclient.ui.client.actions import delete_client

        delete_client(self, self.ctx, client_id)

    def refresh_status(self) -> None:
        self.ctx.connections.request_refresh()

    def show_servers(self) -> None:
        from ispclient.ui.servers_window import ServersWindow

        self._show_tool_window("servers", lambda: ServersWindow(self.ctx, self))

    def show_packages(self) -> None:
        from ispclient.ui.packages_window import PackagesWindow

        self._show_tool_window("packages", lambda: PackagesWindow(self.ctx, self))

    def show_settings(self) -> None:
        from ispclient.ui.dialogs.settings_dialog import SettingsDialog

        SettingsDialog.ask(self, self.ctx)

    def show_staff(self) -> QWidget:
        from ispclient.ui.staff_window import StaffWindow

        return self._show_tool_window("staff", lambda: StaffWindow(self.ctx, self))

    def show_auto_renewals(self) -> QWidget:
        """The Today page's auto-renew tile, opened: the renewals made since midnight."""
        from ispclient.ui.renewals_window import RenewalsWindow

        def make() -> QWidget:
            window = RenewalsWindow(self.ctx, self)
            window.open_client.connect(self.open_client)
            return window

        return self._show_tool_window("renewals", make)

    def show_shifts(self) -> QWidget:
        from ispclient.ui.shifts_window import ShiftsWindow

        return self._show_tool_window("shifts", lambda: ShiftsWindow(self.ctx, self))

    def switch_user(self) -> None:
        """Ctrl+L: the app's locker hides every window behind the sign-in (none is closed)."""
        if self.locker is not None:
            self.locker.lock()

    def change_password(self) -> None:
        from ispclient.ui.dialogs.sign_in_dialog import ChangePasswordDialog

        actor = self.ctx.session.actor
        if actor is None or actor.is_system:
            return
        if ChangePasswordDialog.run(ChangePasswordDialog(actor.username, self)) is not None:
            msgbox.info(self, "Password changed", "Your password is changed; use it at your next sign-in.")

    def show_setup_wizard(self) -> bool:
        from ispclient.ui.setup_wizard import SetupWizard

        return SetupWizard.ask(self, self.ctx)

    def show_reports(self) -> QWidget:
        from ispclient.ui.reports_window import ReportsWindow

        return self._show_tool_window("reports", lambda: ReportsWindow(self.ctx, self))

    def show_router_sync(self) -> None:
        from ispclient.ui.router_sync_window import RouterSyncWindow

        self._show_tool_window("router-sync", lambda: RouterSyncWindow(self.ctx, self.runner, self))

    def _add_transfer_actions(self) -> None:
        """File ▸ Import clients…, Export the client list…, Export data… (ui/import_wizard.py,
        ui/export_dialogs.py)."""
        # Imported when used: the wizard and the export dialogs (with dataio) were ~85 ms of start-up.
        def import_clients() -> None:
            from ispclient.ui import import_wizard

            import_wizard.open_import(self.ctx, self)

        def export_list() -> None:
            from ispclient.ui import export_dialogs

            export_dialogs.export_client_list(self, self.ctx, self.model, self.table.horizontalHeader())

        def export_data() -> None:
            from ispclient.ui import export_dialogs

            export_dialogs.open_export(self.ctx, self)

        self.import_action = self._action("&Import clients…", import_clients,
                                          tip="Clients from a spreadsheet, another billing system or a router export")
        self.export_list_action = self._action(
            "&Export the client list…", export_list,
            tip="The list as shown (search, filters, sort, columns) to Excel or CSV")
        self.export_action = self._action("Export &data…", export_data,
                                          tip="Payments, subscriptions or the audit log to Excel or CSV")
        self.file_menu.addSeparator()
        for action in (self.import_action, self.export_list_action, self.export_action):
            self.file_menu.addAction(action)
            self._needs[action] = Permission.IMPORT_EXPORT  # the owner and managers

    def add_file_actions(self, actions: Sequence[QAction]) -> None:
        """Put extra File actions (backup, restore, check) above Quit."""
        self.file_menu.insertSeparator(self.quit_action)
        for action in actions:
            self.file_menu.insertAction(self.quit_action, action)
        self.file_menu.insertSeparator(self.quit_action)

    def _show_tool_window(self, key: str, make: Callable[[], QWidget]) -> QWidget:
        window = self._tool_windows.get(key)
        if window is None or not shiboken6.isValid(window):
            window = make()
            self._tool_windows[key] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def about(self) -> None:
        QMessageBox.about(self, f"About {APP_DISPLAY_NAME}",
                          f"{APP_DISPLAY_NAME} {__version__}\n\nFront-desk client and subscription manager "
                          "for small Internet service providers on MikroTik routers.")

    # -- status bar -------------------------------------------------------------------------

    def _show_counts(self) -> None:
        if not self.model.complete:
            self.shown_label.setText(LOADING_HINT)
            self.stack.setCurrentWidget(self.table)
            self.table.placeholder = LOADING_HINT if self.model.rowCount() == 0 else ""
            return
        c: ListCounts = self.model.counts()
        clients = f"{c.total:,} client{'' if c.total == 1 else 's'}"
        if c.total == 0:
            self.shown_label.setText("No clients")
        elif c.shown == c.total:
            self.shown_label.setText(clients)
        else:
            self.shown_label.setText(f"Showing {c.shown:,} of {clients}")
        dots = ((ConnectionState.ONLINE, c.online, "online"), (ConnectionState.OFFLINE, c.offline, "offline"),
                (ConnectionState.UNKNOWN, c.unknown, "unknown"))
        self._set_status(self.connection_label, "&nbsp;&nbsp;".join(
            f"<span style='color:{CONNECTION_COLOURS[state]}'>●</span>&nbsp;{n:,}&nbsp;{word}"
            for state, n, word in dots), "&nbsp;".join(
            f"<span style='color:{CONNECTION_COLOURS[state]}'>●</span>{n:,}" for state, n, _ in dots), fit=False)
        self.connection_label.setToolTip(", ".join(f"{n:,} {word}" for _, n, word in dots))
        expiring = f"{c.expiring:,} expiring within {plural(self._expiring_days, 'day')}"
        self._set_status(self.expiring_label, expiring, f"{c.expiring:,} expiring", fit=False)
        self.expiring_label.setToolTip(expiring)
        owing = f"{c.owing:,} owe{'s' if c.owing == 1 else ''} money"
        self._set_status(self.owing_label, owing, f"{c.owing:,} owing", fit=False)
        self.owing_label.setToolTip(owing)
        self.stack.setCurrentWidget(self.empty if c.total == 0 else self.table)
        self.filters.setVisible(c.total > 0)
        self.table.placeholder = NO_MATCH_HINT if c.shown == 0 else ""
        self._fit_status_bar()

    def _set_status(self, label: QLabel, full: str, short: str, fit: bool = True) -> None:
        self._status_texts[label] = (full, short)
        if not self.isVisible():
            label.setText(full)  # a hidden window is fitted when shown
        elif fit:
            self._fit_status_bar()

    def _fit_status_bar(self) -> None:
        """Full texts when they fit side by side, else the short ones, else without the check time."""
        labels = (self.shown_label, self.note_label, self.connection_label, self.expiring_label, self.owing_label,
                  self.refresh_label, self.who_label)
        if not self.isVisible():
            self._fitted = None
            return  # laid out when shown (resizeEvent)
        room = self.width() - 40  # the bar spans the window (its own width lags a resize); less the grip
        # Router answers come many a second and mostly change no text: measuring rich-text labels
        # again for the same texts at the same width is a few ms of the GUI thread each time.
        key = (room, tuple(self._status_texts.items()), self.status_service is not None, self.note_label.text(),
               self.shown_label.text(), self.font().key(),
               tuple(lb.isHidden() for lb in labels if lb is not self.refresh_label))
        if key == self._fitted:
            return
        self._fitted = key

        def needed() -> int:
            shown = [lb for lb in labels if not lb.isHidden() and lb.text()]
            return sum(lb.sizeHint().width() + 12 for lb in shown)

        for label in labels:
            label.setMinimumWidth(0)  # else a label's size hint is no smaller than the last fit
        for label, (full, _short) in self._status_texts.items():
            label.setText(full)
        refresh_wanted = self.status_service is not None
        self.refresh_label.setVisible(refresh_wanted)
        if needed() > room:
            for label, (_full, short) in self._status_texts.items():
                label.setText(short)
            if needed() > room:
                self.refresh_label.setVisible(False)
        for label in labels:
            label.setMinimumWidth(label.sizeHint().width() if label.text() else 0)
        if needed() > room:  # still too narrow: the client count gives way (clipped, not drawn over)
            self.shown_label.setMinimumWidth(0)
            self.shown_label.setMaximumWidth(max(0, room - needed() + self.shown_label.sizeHint().width() + 12))
        else:
            self.shown_label.setMaximumWidth(16_777_215)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if hasattr(self, "_status_texts"):
            self._fit_status_bar()

    def show_note(self, text: str, timeout_ms: int = 10_000) -> None:
        """A passing note in the status bar beside the client count (which stays visible)."""
        self.note_label.setText(f"·  {text}")
        self.note_label.show()
        self._note_timer.start(timeout_ms)
        self._fit_status_bar()

    def _show_refresh(self) -> None:
        service = self.status_service
        if service is None:
            self.refresh_label.hide()
            return
        if service.refreshing:
            self._set_status(self.refresh_label, "Checking routers…", "Checking…")
        elif service.last_refresh is None:
            self._set_status(self.refresh_label, "Status not checked yet", "Not checked")
        else:
            at = f"{service.last_refresh:%H:%M:%S}"
            self._set_status(self.refresh_label, f"Status checked {at}", f"Checked {at}")

    # -- window state -----------------------------------------------------------------------

    def state_tables(self) -> dict[str, QTableView]:
        return {list_read.STATE_TABLE: self.table}

    def _restore_state(self) -> None:
        self.restore_window_state()
        header = self.table.horizontalHeader()
        if not self.table.property("widthsRestored"):
            self.table.set_default_widths()
            header.moveSection(header.visualIndex(Column.BALANCE), header.visualIndex(Column.CONNECTION))
            header.setSortIndicator(Column.NAME, Qt.SortOrder.AscendingOrder)
        column = header.sortIndicatorSection()
        if 0 <= column < len(Column):  # sort before loading: the load then sorts once
            self.model.sort(column, header.sortIndicatorOrder())

    def save_state(self) -> None:
        self.save_window_state()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        for window in list(self.client_windows.values()) + list(self._tool_windows.values()):
            if shiboken6.isValid(window):
                window.close()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.PaletteChange:  # light/dark switched while running
            self._update_icons()
            self.model.palette_changed()
        super().changeEvent(event)
