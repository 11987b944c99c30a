"""The Today page beside the client list: what needs doing today, each tile a way into it.

Figures come from ``store.reports.today_figures`` (a handful of SQL aggregates, read on the
database lane), refreshed when data changes and on a timer; the routers' up/down and who is
online come from the status checks already in the connection book (no router call here).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.clock import to_local
from ispclient.domain.money import format_money
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.store import reports
from ispclient.store.changes import Changes
from ispclient.store.reports import TodayFigures
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.models.client_filter import ClientFilter
from ispclient.ui.servers_window import RouterState, router_state
from ispclient.ui.widgets.formatting import plural

log = logging.getLogger(__name__)

REFRESH_MS = 60_000  # the clock moves on (expiring, today's takings) even when nothing changes here
UP_COLOUR, DOWN_COLOUR, UNKNOWN_COLOUR = "#2e7d32", "#c62828", "#757575"
TILE_SMALLEST = QSize(200, 96)


def win_back_filter(today: date) -> ClientFilter:
    """The win-back tile's clients: expired within WIN_BACK_DAYS of ``today``, nothing after."""
    return ClientFilter(status=SubscriptionStatus.EXPIRED.value,
                        ended_since=today - timedelta(days=reports.WIN_BACK_DAYS))


class Tile(QPushButton):
    """A figure with a caption and a line of detail; clicking it goes where the figure leads."""

    def __init__(self, name: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)  # a button's is Fixed:
        policy.setHeightForWidth(True)  # a row's tiles take its tallest one's height
        self.setSizePolicy(policy)
        self.caption = caption
        self.figure = QLabel("…")
        self.figure.setObjectName("figure")
        font = self.figure.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        self.figure.setFont(font)
        self.title = QLabel(caption)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        for label in (self.figure, self.title, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QVBoxLayout(self)
        layout.addWidget(self.figure)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    # A QPushButton sizes itself by its own text, not by a layout of labels inside it: without
    # these a detail that wraps to a third line (the takings by method at 150 %) was cut off.
    # (No setMinimumSize: an explicit minimum overrides minimumSizeHint in every layout.)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        layout = self.layout()
        return max(TILE_SMALLEST.height(), layout.totalHeightForWidth(width)) if layout is not None else -1

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        layout = self.layout()
        return layout.totalSizeHint().expandedTo(TILE_SMALLEST) if layout is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        layout = self.layout()
        if layout is None:
            return super().minimumSizeHint()
        # As narrow as the tile's minimum width allows, as tall as its text then needs.
        width = max(TILE_SMALLEST.width(), layout.totalMinimumSize().width())
        return QSize(width, max(TILE_SMALLEST.height(), layout.totalHeightForWidth(width)))

    def set(self, figure: str, detail: str = "", tip: str = "") -> None:
        self.figure.setText(figure)
        self.detail.setText(detail)
        self.setAccessibleName(f"{self.caption}: {figure}")
        self.setToolTip(tip or detail)


def _when(at: datetime | None, tz: str) -> str:
    return to_local(at, tz).strftime("%H:%M") if at is not None else "never"


class TodayPage(QWidget):
    """Tiles for the day; ``show_clients`` asks the main window for the list filtered so."""

    show_clients = Signal(object)  # a ClientFilter
    show_takings = Signal()
    show_router_sync = Signal()
    show_auto_renewals = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayPage")
        self.ctx = ctx
        self.figures: TodayFigures | None = None
        self._stale = True  # read when first shown
        self.heading = QLabel()
        self.heading.setObjectName("todayHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.heading.setFont(font)
        self.expiring = Tile("expiringTile", "Expiring soon")
        self.expired = Tile("expiredTile", f"Expired, last {reports.WIN_BACK_DAYS} days")
        self.owing = Tile("owingTile", "Owe money")
        self.takings = Tile("takingsTile", "Taken today")
        self.renewed = Tile("autoRenewTile", "Auto-renewed since midnight")
        self.failures = Tile("failuresTile", "Router changes refused")
        self.expiring.clicked.connect(lambda: self.show_clients.emit(
            ClientFilter(status=SubscriptionStatus.EXPIRING.value)))
        self.expired.clicked.connect(lambda: self.show_clients.emit(win_back_filter(ctx.today())))
        self.owing.clicked.connect(lambda: self.show_clients.emit(ClientFilter(owes=True)))
        self.takings.clicked.connect(self.show_takings)
        self.failures.clicked.connect(self.show_router_sync)
        self.renewed.clicked.connect(self.show_auto_renewals)
        grid = QGridLayout()
        grid.setSpacing(12)
        for i, tile in enumerate((self.expiring, self.expired, self.owing, self.takings, self.renewed, self.failures)):
            grid.addWidget(tile, i // 3, i % 3)
        self.routers_box = QFrame()
        self.routers_box.setObjectName("routersBox")
        self.routers_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.routers_layout = QGridLayout(self.routers_box)
        self.router_labels: dict[int, QLabel] = {}
        self.routers_button = QPushButton("Router sync…")
        self.routers_button.clicked.connect(self.show_router_sync)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.heading)
        layout.addLayout(grid)
        head = QHBoxLayout()
        routers_title = QLabel("<b>Routers</b>")
        head.addWidget(routers_title)
        head.addStretch(1)
        head.addWidget(self.routers_button)
        layout.addLayout(head)
        layout.addWidget(self.routers_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        ctx.events.changed.connect(self._changed)
        ctx.connections.changed.connect(lambda _keys: self._show_routers())
        ctx.session.changed.connect(self.refresh)
        ctx.store.settings_changed.connect(self.refresh)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _changed(self, _changes: Changes) -> None:
        self.refresh()  # every kind of change moves some figure; one read of a few aggregates

    def refresh(self) -> None:
        """Read the figures again — now if the page shows, else when it is next shown (the list's
        start-up and a day at the Clients tab pay nothing for a page nobody looks at)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        ops.Op(self, reports.today_figures, key="figures", lane=ops.Lane.DB) \
            .on_success(self.show_figures).on_failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        # Not a dialog: the page refreshes every minute and on every change (signed out, the
        # database away for a moment); the figures stay as they were and say when they were read.
        log.warning("the Today page's figures were not read: %r", error)
        if self.figures is not None:
            self.heading.setText(self.figures.day.strftime("Today, %A %d %B %Y") + " — not up to date: "
                                 + (ops.describe_error(error)[1].splitlines() or [""])[0])

    def show_figures(self, t: TodayFigures) -> None:
        self.figures = t
        cur = t.currency
        self.heading.setText(t.day.strftime("Today, %A %d %B %Y"))
        self.expiring.title.setText(f"Expiring within {plural(t.expiring_days, 'day')}")
        self.expiring.set(str(t.expiring), "Call them before service stops")
        self.expired.set(str(t.expired_recently), "Win them back: their service ended and nothing followed")
        self.owing.set(str(t.owing), f"{format_money(t.owed_minor, cur)} owed in all")
        if t.takings is None:
            self.takings.set("—", "Only the owner or a manager sees the takings.")
            self.takings.setEnabled(False)
        else:
            self.takings.setEnabled(True)
            # One method a line: "Mobile money KES 21,500.00" is not broken between its name and sum.
            methods = "\n".join(f"{m.method} {format_money(m.net_minor, cur)}" for m in t.takings) or "Nothing yet"
            staff = "\n".join(f"{s.name}: {format_money(s.net_minor, cur)} "
                              f"({s.count} {'entry' if s.count == 1 else 'entries'})" for s in t.takings_by_staff or ())
            voided = sum(m.voided_count for m in t.takings)
            extra = f"\n{voided} voided, not counted" if voided else ""
            self.takings.set(format_money(t.taken_minor, cur), methods + extra, staff or methods)
        self.renewed.set(str(t.auto_renewed), "Unpaid renewals made by auto-renew")
        last = t.failures[0] if t.failures else None
        self.failures.set(str(t.failed_changes),
                          f"{last.router}: {last.username} — {last.error}" if last else "Every router took its changes",
                          "\n".join(f"{f.router}: {f.username} — {f.reason}: {f.error}" for f in t.failures))
        self._show_routers()
        self.loaded.emit()

    def router_state(self, server_id: int) -> RouterState:
        return router_state(self.ctx.connections.router(server_id))

    def _show_routers(self) -> None:
        t = self.figures
        if t is None:
            return
        grid = self.routers_layout
        while grid.count():
            item = grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.router_labels = {}
        if not t.routers:
            grid.addWidget(QLabel("No routers yet (Manage ▸ Servers)."), 0, 0)
            return
        for col, head in enumerate(("Router", "State", "Last check", "Online", "Clients", "Changes waiting")):
            grid.addWidget(QLabel(f"<b>{head}</b>"), 0, col)
        tz = self.ctx.settings().timezone
        for row, r in enumerate(t.routers, start=1):
            state = self.router_state(r.server_id)
            statuses = self.ctx.connections.router(r.server_id)
            colour = UP_COLOUR if state.up else DOWN_COLOUR if state.up is False else UNKNOWN_COLOUR
            status = QLabel(f'<span style="color:{colour}">●</span> {state.text}')
            status.setToolTip(state.detail)
            self.router_labels[r.server_id] = status
            online = str(len(statuses.online)) if statuses is not None and state.up else "—"
            waiting = str(r.pending_changes) + (f" ({r.failed_changes} refused)" if r.failed_changes else "")
            cells = (QLabel(r.name), status, QLabel(_when(state.checked_at, tz)), QLabel(online),
                     QLabel(str(r.clients)), QLabel(waiting))
            if r.last_error:
                cells[5].setToolTip(r.last_error)
            for col, cell in enumerate(cells):
                grid.addWidget(cell, row, col)
