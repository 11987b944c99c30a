"""The client window driven as a front-desk user would: open a client, read it, act on it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QMessageBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ispclient.domain.connection import ClientConnection, ConnectionState, UnknownReason
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.store import catalog, clients, queries
from ispclient.store import subscriptions as subs
from ispclient.store.models import AuditEvent, Client
from ispclient.ui import msgbox
from ispclient.ui.client import ClientWindow
from ispclient.ui.client.activity_tab import ActivityModel, ActivityTab
from ispclient.ui.client.activity_tab import Column as ActivityColumn
from ispclient.ui.client.payments_tab import PaymentsTab
from ispclient.ui.client.subscriptions_tab import HEADERS, Column, SubscriptionHistoryModel, SubscriptionsTab
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.cancel_dialog import CancelDialog
from ispclient.ui.dialogs.client_dialog import ClientDialog
from ispclient.ui.dialogs.payment_dialog import PaymentDialog
from ispclient.ui.dialogs.receipt_dialog import ReceiptDialog
from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog
from ispclient.ui.dialogs.subscription_view import SubscriptionViewDialog
from ispclient.ui.models.payments import PaymentColumn
from ispclient.ui.style import CONNECTION_COLOURS, SUBSCRIPTION_COLOURS
from tests.ui.conftest import changed_elsewhere, settle  # noqa: E402

TODAY = date(2026, 1, 15)  # the `today` fixture of tests/ui/conftest.py pins this date


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $ISPCLIENT_SHOTS to keep and look at them, else the test's tmp dir."""
    folder = Path(os.environ.get("ISPCLIENT_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Amina:
    """A client with an expired and an active (paid, auto-renew) subscription."""

    server_id: int
    package_id: int
    client_id: int
    old_sub: int
    sub: int


@pytest.fixture
def amina(ctx: AppContext) -> Amina:
    srv = catalog.create_server(catalog.ServerInput(name="North tower", host="10.0.0.1"))
    pkg = catalog.create_package(catalog.PackageInput("Home 10 Mbps", "1500", 30))
    client = clients.create_client(clients.ClientInput(
        "C00042", "Amina Wanjiru", "+254712345678", "amina@example.co.ke", "Plot 12, Ngong Road, Nairobi",
        "amina.w", srv.id))
    old = subs.create_subscription(client.id, pkg.id, date(2025, 11, 1), payment=subs.PaymentInput("1500"))
    cur = subs.create_subscription(client.id, pkg.id, date(2026, 1, 5), auto_renew=True,
                                   payment=subs.PaymentInput("1500", "Mobile money", "QK7XYZ"))
    ctx.store.refresh_now()  # the new router and package, as the app reads them after a change
    return Amina(srv.id, pkg.id, client.id, old.id, cur.id)


def open_window(qtbot: QtBot, ctx: AppContext, client_id: int) -> ClientWindow:
    window = ClientWindow(ctx, client_id)  # closed by the close_windows_afterwards fixture
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.detail is not None)  # read in the background
    return window


def receipt_shown() -> ReceiptDialog:
    """The receipt offered after money was taken (one, loaded)."""
    shown = [d for d in QApplication.topLevelWidgets() if isinstance(d, ReceiptDialog) and d.isVisible()]
    assert len(shown) == 1, shown
    assert shown[0].receipt is not None
    return shown[0]


def drive(monkeypatch: pytest.MonkeyPatch, cls: type[QDialog], action: Callable[[Any], object]) -> list[Any]:
    """Replace ``cls.exec``: run ``action(dialog)`` as the user instead of a blocking modal loop."""
    seen: list[Any] = []

    def fake_exec(self: QDialog) -> int:
        seen.append(self)
        action(self)
        # As the modal loop would: keep the events going while a save runs in the background.
        deadline = time.monotonic() + 10
        while getattr(self, "saving", False) and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.002)
        return self.result()

    monkeypatch.setattr(cls, "exec", fake_exec)
    return seen


def closed(window: QWidget) -> bool:
    """Closed (a client window deletes itself once closed)."""
    return not shiboken6.isValid(window) or not window.isVisible()


def plain(text: str) -> str:
    return text.replace("&", "").replace("…", "")


def row_texts(model: Any, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def clipped(root: QWidget) -> list[str]:
    """Visible labels, buttons and check boxes narrower or shorter than their text needs."""
    problems = []
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root) or w.width() == 0:
            continue
        if isinstance(w, QLabel) and w.text():
            if w.wordWrap():
                if w.height() + 1 < w.heightForWidth(w.width()):
                    problems.append(f"label {w.text()[:40]!r} cut at the bottom")
            elif w.width() + 1 < w.sizeHint().width():
                problems.append(f"label {w.text()[:40]!r} too narrow ({w.width()} < {w.sizeHint().width()})")
        elif isinstance(w, QAbstractButton) and w.text() and w.width() + 1 < w.sizeHint().width():
            problems.append(f"button {w.text()!r} too narrow ({w.width()} < {w.sizeHint().width()})")
    return problems


def dark_palette() -> QPalette:
    p = QPalette()
    for role, colour in [(QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e8e8e8"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#262626"),
                         (QPalette.ColorRole.Text, "#e8e8e8"), (QPalette.ColorRole.Button, "#353535"),
                         (QPalette.ColorRole.ButtonText, "#e8e8e8"), (QPalette.ColorRole.Highlight, "#2a6ebb"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"),
                         (QPalette.ColorRole.PlaceholderText, "#9a9a9a")]:
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return p


# -- the seed's page -------------------------------------------------------------------------

def test_opening_a_client_shows_every_seed_field(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    o = w.overview
    assert w.windowTitle() == "Amina Wanjiru — C00042"
    assert [o.basic.title(), o.connection.title(), o.subscription.title(), o.stats.title()] == [
        "Basic Information", "Connection Details", "Current Subscription", "Quick Stats"]

    created = Client.get_by_id(amina.client_id).created_at.replace(tzinfo=UTC).astimezone()
    assert {k: o.basic.value(k) for k in ("client_code", "name", "phone", "email", "address", "created")} == {
        "client_code": "C00042", "name": "Amina Wanjiru", "phone": "+254 712 345678",
        "email": "amina@example.co.ke", "address": "Plot 12, Ngong Road, Nairobi",
        "created": f"{created:%d %b %Y %H:%M}"}
    assert o.basic.label("created").text() == "Created:"

    assert o.connection.value("pppoe_username") == "amina.w"
    assert o.connection.value("server") == "North tower"
    assert o.connection.label("status").text() == "Connection Status:"
    assert o.status_badge.text.text() == "Unknown — not checked yet"

    s = o.subscription
    assert s.value("package") == "Home 10 Mbps"
    assert o.sub_badge.text.text() == "Active"
    assert o.sub_badge.colour == SUBSCRIPTION_COLOURS[SubscriptionStatus.ACTIVE]
    assert s.value("start") == "05 Jan 2026"
    assert s.value("end") == "04 Feb 2026"
    assert s.value("days_left") == "20 days left"
    assert s.value("auto_renew") == "Yes"
    assert [s.label(k).text() for k in ("package", "status", "start", "end", "auto_renew")] == [
        "Package Name:", "Status:", "Start Date:", "End Date:", "Auto-Renew:"]
    assert not o.empty_box.isVisibleTo(w)

    assert o.stats.value("total_subscriptions") == "2"
    assert o.stats.value("total_revenue") == "USD 3,000.00"
    assert o.stats.value("active_since") == "01 Nov 2025 — customer for 2\u00a0months"  # one value: never wrapped
    assert [o.stats.label(k).text() for k in ("total_subscriptions", "total_revenue", "active_since")] == [
        "Total Subscriptions:", "Total Revenue:", "Active Since:"]

    # Subscription History: the seed's columns, with what is due, what was paid and the balance.
    model = w.subscriptions.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:7] == ["Package", "Status", "Start Date", "End Date", "Due", "Paid", "Balance"]
    assert row_texts(model, Column.STATUS) == ["Active", "Expired"]
    assert row_texts(model, Column.START) == ["05 Jan 2026", "01 Nov 2025"]
    assert row_texts(model, Column.PAID) == ["USD 1,500.00", "USD 1,500.00"]
    assert row_texts(model, Column.BALANCE) == ["Paid", "Paid"]

    # Available Actions.
    assert [plain(b.text()) for b in (w.edit_button, w.create_button, w.view_button, w.delete_button)] == [
        "Edit", "Create Subscription", "View Subscription", "Delete"]
    assert w.edit_button.isEnabled() and w.create_button.isEnabled() and w.view_button.isEnabled()
    assert [plain(w.tabs.tabText(i)) for i in range(w.tabs.count())] == ["Overview", "Subscriptions", "Payments",
                                                                         "Activity"]

    # Activity: this client's audit trail, newest first.
    activity = row_texts(w.activity.model, 2)
    assert activity[-1] == "Client C00042 “Amina Wanjiru” created"
    assert any("USD 1,500.00 received (Mobile money)" in a for a in activity)


def test_window_asks_for_a_fresh_status_when_it_opens(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    with qtbot.waitSignal(ctx.connections.client_check_requested, timeout=1000) as asked:
        w = open_window(qtbot, ctx, amina.client_id)
    assert asked.args == [amina.server_id, "amina.w"]
    with qtbot.waitSignal(ctx.connections.client_check_requested, timeout=1000):
        qtbot.mouseClick(w.overview.check_now, Qt.MouseButton.LeftButton)


NOW = datetime(2026, 1, 15, 9, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize(("conn", "badge", "box", "hint"), [
    (ClientConnection.online("10.20.30.40", "3d4h12m5s", "AA:BB:CC:DD:EE:FF", checked_at=NOW),
     "Online", None, None),
    (ClientConnection.offline(checked_at=NOW), "Offline", None, "not connected right now"),
    (ClientConnection.offline(never_connected=True, checked_at=NOW), "Offline — never connected",
     "The client has never connected", None),
    (ClientConnection.unknown(UnknownReason.UNREACHABLE, "Could not connect to 10.0.0.1:8728: No route to host.",
                              checked_at=NOW),
     "Unknown — server unreachable", "The MikroTik server is offline or unreachable", None),
    (ClientConnection.unknown(UnknownReason.TIMED_OUT, checked_at=NOW),
     "Unknown — server timed out", "network connectivity issue", None),
    (ClientConnection.unknown(UnknownReason.LOGIN_REFUSED, checked_at=NOW),
     "Unknown — login refused", "refused the login", None),
], ids=["online", "offline", "never-connected", "unreachable", "timed-out", "login-refused"])
def test_connection_status_colour_and_reason(qtbot: QtBot, ctx: AppContext, amina: Amina,
                                             conn: ClientConnection, badge: str, box: str | None,
                                             hint: str | None) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    o = w.overview
    ctx.connections.update({(amina.server_id, "amina.w"): conn})
    assert o.status_badge.text.text() == badge
    assert o.status_badge.colour == CONNECTION_COLOURS[conn.state]
    assert o.connection.value("checked") == f"{NOW.astimezone():%d %b %Y %H:%M:%S}"
    online = conn.state is ConnectionState.ONLINE
    for key in ("ip_address", "uptime", "caller_id"):
        assert o.connection.field(key).isVisibleTo(w) == online
    if online:
        assert o.connection.value("ip_address") == "10.20.30.40"
        assert o.connection.value("uptime") == "3d 4h 12m 5s"
        assert o.connection.value("caller_id") == "AA:BB:CC:DD:EE:FF"
    assert o.troubleshooting.isVisibleTo(w) == (box is not None)
    if box is not None:  # the router answered for a never-connected client: Offline, not "unavailable"
        assert o.troubleshooting.title.text().startswith(
            "Offline" if conn.state is ConnectionState.OFFLINE else "Connection status unavailable")
        assert box in o.troubleshooting.body.text()
        if conn.detail:
            assert conn.detail in o.troubleshooting.body.text()
    assert o.offline_hint.isVisibleTo(w) == (hint is not None)
    if hint:
        assert hint in o.offline_hint.text()


def test_unknown_without_server_says_what_to_do(qtbot: QtBot, ctx: AppContext) -> None:
    client = clients.create_client(clients.ClientInput("C00001", "Kwame Mensah"))
    w = open_window(qtbot, ctx, client.id)
    o = w.overview
    assert o.status_badge.text.text() == "Unknown — no server assigned"
    assert o.status_badge.colour == CONNECTION_COLOURS[ConnectionState.UNKNOWN]
    assert "Assign one in Edit" in o.troubleshooting.body.text()
    assert not o.check_now.isEnabled() and "Assign a server" in o.check_now.toolTip()
    # No subscription: the section says so and offers to create one; View is disabled, saying why.
    assert o.empty_box.isVisibleTo(w) and o.no_subscription.text() == "No current subscription"
    assert not w.view_button.isEnabled()
    assert w.view_button.toolTip() == "This client has no subscriptions yet."
    assert o.stats.value("active_since") == "Not a customer yet"
    assert w.delete_button.isEnabled()


def test_status_updates_only_for_this_clients_key(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    ctx.connections.update({(amina.server_id, "someone.else"): ClientConnection.online(checked_at=NOW)})
    assert w.overview.status_badge.text.text() == "Unknown — not checked yet"
    ctx.connections.update({(amina.server_id, "amina.w"): ClientConnection.online(checked_at=NOW)})
    assert w.overview.status_badge.text.text() == "Online"


# -- actions ---------------------------------------------------------------------------------

def test_create_subscription_while_one_is_active_is_a_renewal(
        qtbot: QtBot, ctx: AppContext, amina: Amina, monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    assert "starts on 04 Feb 2026" in w.create_button.toolTip()

    def as_user(dlg: SubscriptionDialog) -> None:
        assert dlg.renewal_note.isVisibleTo(dlg)
        assert dlg.renewal_note.body.text() == "This is a renewal: starts on 04 Feb 2026 when the current one ends."
        assert dlg.start() == date(2026, 2, 4)
        assert dlg.end_label.text().startswith("06 Mar 2026")
        assert dlg.package.currentText().startswith("Home 10 Mbps")  # the client's own package
        assert dlg.amount.text() == ""  # nothing received until the cashier types it
        qtbot.keyClicks(dlg.amount, "1500")
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    seen = drive(monkeypatch, SubscriptionDialog, as_user)
    qtbot.mouseClick(w.create_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert len(seen) == 1
    model = w.subscriptions.model
    assert row_texts(model, Column.STATUS) == ["Scheduled", "Active", "Expired"]
    assert row_texts(model, Column.START)[0] == "04 Feb 2026"
    assert row_texts(model, Column.END)[0] == "06 Mar 2026"
    assert w.overview.stats.value("total_subscriptions") == "3"
    assert w.overview.stats.value("total_revenue") == "USD 4,500.00"


def test_cancel_from_the_subscriptions_tab(qtbot: QtBot, ctx: AppContext, amina: Amina,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    w.tabs.setCurrentWidget(w.subscriptions)
    tab = w.subscriptions
    tab.select(amina.old_sub)
    assert not tab.cancel_button.isEnabled()
    assert tab.cancel_button.toolTip() == "This subscription has already ended; there is nothing to cancel."
    tab.select(amina.sub)
    assert tab.cancel_button.isEnabled()

    def as_user(dlg: CancelDialog) -> None:
        qtbot.keyClicks(dlg.reason, "Moving to Mombasa")
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, CancelDialog, as_user)
    qtbot.mouseClick(tab.cancel_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert row_texts(tab.model, Column.STATUS) == ["Cancelled", "Expired"]
    assert not tab.cancel_button.isEnabled()
    assert tab.cancel_button.toolTip() == "This subscription is already cancelled."
    assert not tab.pay_button.isEnabled() and "cancelled" in tab.pay_button.toolTip()
    assert not tab.renew_button.isEnabled()
    assert w.overview.no_subscription.text().startswith("No current subscription")
    assert any("cancelled: Moving to Mombasa" in text for text in row_texts(w.activity.model, 2)[:2])
    assert w.overview.subscription.value("credit") == "USD 1,500.00"  # what was paid on it is kept as credit
    assert w.delete_button.isEnabled()


def test_record_payment_updates_amount_and_total_revenue(
        qtbot: QtBot, ctx: AppContext, amina: Amina, monkeypatch: pytest.MonkeyPatch) -> None:
    renewal = subs.renew_subscription(amina.sub)  # unpaid, starts 04 Feb 2026
    w = open_window(qtbot, ctx, amina.client_id)
    tab = w.subscriptions
    w.tabs.setCurrentWidget(tab)
    tab.select(renewal.id)
    assert row_texts(tab.model, Column.BALANCE)[0] == "USD 1,500.00 unpaid"
    assert tab.model.index(0, Column.BALANCE).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert w.overview.balance_value.text() == "USD 1,500.00 owed"

    def as_user(dlg: PaymentDialog) -> None:
        assert dlg.summary.value("owed") == "USD 1,500.00 owed"
        assert dlg.amount.text() == ""
        qtbot.keyClicks(dlg.amount, "1,000")
        dlg.method.setCurrentText("Mobile money")
        qtbot.keyClicks(dlg.reference, "QK8ABC")
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, PaymentDialog, as_user)
    qtbot.mouseClick(tab.pay_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    receipt = receipt_shown()
    assert receipt.title.text() == "Receipt R-000003"  # after the two payments the client had
    receipt.close()
    assert row_texts(tab.model, Column.BALANCE)[0] == "USD 500.00 due"
    assert w.overview.stats.value("total_revenue") == "USD 4,000.00"
    assert w.overview.balance_value.text() == "USD 500.00 owed"

    def pay_the_rest(dlg: PaymentDialog) -> None:
        qtbot.keyClicks(dlg.amount, "700")  # 200 more than due: kept as credit
        assert "USD 200.00</b> beyond what is due goes to the client's credit" in dlg.allocation.text()
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, PaymentDialog, pay_the_rest)
    qtbot.mouseClick(tab.pay_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    receipt_shown().close()
    assert row_texts(tab.model, Column.BALANCE)[0] == "Paid"
    assert w.overview.stats.value("total_revenue") == "USD 4,700.00"
    assert w.overview.balance_value.text() == "USD 200.00 in credit"
    assert w.overview.subscription.value("credit") == "USD 200.00"


def test_delete_refused_while_active_then_allowed_and_undoable(
        qtbot: QtBot, ctx: AppContext, amina: Amina, monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    refusal = ("Unable to delete client: the “Home 10 Mbps” subscription from 05\u00a0Jan\u00a02026 to "
               "04\u00a0Feb\u00a02026 is active. Cancel it first, then delete the client.")  # dates never wrap
    assert not w.delete_button.isEnabled()
    assert w.delete_button.toolTip() == refusal

    # The Delete key still answers, with the seed's “Unable to delete client” and a way to the subscription.
    asked: list[tuple[str, str, list[str]]] = []

    def choose(_parent: object, title: str, text: str, choices: list[str], **_kw: object) -> str:
        asked.append((title, text, list(choices)))
        return "Open subscription"

    monkeypatch.setattr(msgbox, "choose", choose)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=1000)
    qtbot.keyClick(w, Qt.Key.Key_Delete)
    assert asked == [("Unable to delete client", refusal, ["Open subscription"])]
    settle(qtbot)
    views = [d for d in QApplication.topLevelWidgets() if isinstance(d, SubscriptionViewDialog) and d.isVisible()]
    assert [v.subscription_id for v in views] == [amina.sub]
    view = views[0]
    assert view.status.text.text() == "Active"

    # Cancel it from the subscription view, then delete.
    drive(monkeypatch, CancelDialog, lambda d: qtbot.mouseClick(d.save_button, Qt.MouseButton.LeftButton))
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert view.status.text.text() == "Cancelled"
    assert w.delete_button.isEnabled()

    confirmations: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda _p, title, text, **_kw: confirmations.append(text) or True)
    changed: list[frozenset[int]] = []
    ctx.events.changed.connect(lambda c: changed.append(c.clients))
    qtbot.mouseClick(w.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(confirmations))  # asked once what they owe is read (in the background)
    assert "Delete Amina Wanjiru (C00042)?" in confirmations[0]
    qtbot.waitUntil(lambda: changed == [{amina.client_id}])
    assert Client.get_by_id(amina.client_id).deleted_at is not None
    assert amina.client_id not in [r.id for r in queries.client_rows(TODAY, 7)]
    qtbot.waitUntil(lambda: closed(w), timeout=2000)

    notices = [b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox)
               and b.objectName() == "undoNotice" and b.isVisible()]
    assert len(notices) == 1 and "Client Amina Wanjiru (C00042) deleted." in notices[0].text()
    undo = next(b for b in notices[0].buttons() if plain(b.text()) == "Undo")
    undo.click()
    qtbot.waitUntil(lambda: len(changed) == 2)
    assert changed[-1] == {amina.client_id}
    assert Client.get_by_id(amina.client_id).deleted_at is None
    assert amina.client_id in [r.id for r in queries.client_rows(TODAY, 7)]  # back in the list


def test_delete_can_be_declined(qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    client = clients.create_client(clients.ClientInput("C00001", "Kwame Mensah"))
    w = open_window(qtbot, ctx, client.id)
    asked: list[bool] = []
    monkeypatch.setattr(msgbox, "confirm", lambda *_a, **_kw: asked.append(True) and False)
    qtbot.mouseClick(w.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(asked))
    settle(qtbot)
    assert Client.get_by_id(client.id).deleted_at is None
    assert w.isVisible()


BAD_EDITS = [
    ("name", "", "Enter the client's name."),
    ("email", "amina@", "“amina@” is not a valid e-mail address"),
    ("phone", "12345", "“12345” is not a valid phone number"),
    ("client_code", "C00007", "Client ID C00007 is already used by another client."),
    ("pppoe_username", "amina w", "The PPPoE username can't contain spaces."),
]


@pytest.mark.parametrize(("field", "typed", "message"), BAD_EDITS, ids=[b[0] for b in BAD_EDITS])
def test_edit_rejects_bad_input_beside_the_field_and_saves_nothing(
        qtbot: QtBot, ctx: AppContext, amina: Amina, monkeypatch: pytest.MonkeyPatch,
        field: str, typed: str, message: str) -> None:
    clients.create_client(clients.ClientInput("C00007", "Kwame Mensah"))
    w = open_window(qtbot, ctx, amina.client_id)
    before = (Client.get_by_id(amina.client_id).__data__, AuditEvent.select().count())

    def as_user(dlg: ClientDialog) -> None:
        assert dlg.save_button.isEnabled()  # the stored values are valid
        widget = dlg.fields.widget(field)
        widget.clear()
        qtbot.keyClicks(widget, typed)
        qtbot.waitUntil(lambda: not dlg.fields.pending() and dlg.fields.message(field) != "", timeout=2000)
        assert dlg.fields.message(field).startswith(message)
        error_label = dlg.findChild(QLabel, f"{field}_error")
        assert error_label.isVisibleTo(dlg)
        # Beside the field: directly under it, in the same form row.
        assert error_label.parentWidget() is widget.parentWidget()
        assert not dlg.save_button.isEnabled()
        assert dlg.save_button.toolTip().startswith(message)
        qtbot.keyClick(widget, Qt.Key.Key_Return)  # Enter does not sneak past a disabled Save
        assert not dlg.try_save()
        assert dlg.isVisible() or dlg.result() != QDialog.DialogCode.Accepted
        asked: list[str] = []
        monkeypatch.setattr(msgbox, "confirm", lambda _p, title, *_a, **_k: asked.append(title) or True)
        dlg.reject()  # Esc / Cancel on an edited form asks before throwing the edit away
        assert asked == ["Discard changes?"]

    seen = drive(monkeypatch, ClientDialog, as_user)
    qtbot.mouseClick(w.edit_button, Qt.MouseButton.LeftButton)
    assert len(seen) == 1
    assert (Client.get_by_id(amina.client_id).__data__, AuditEvent.select().count()) == before
    assert w.windowTitle() == "Amina Wanjiru — C00042"


def test_a_change_in_one_window_shows_in_the_others(
        qtbot: QtBot, ctx: AppContext, amina: Amina, monkeypatch: pytest.MonkeyPatch) -> None:
    other = clients.create_client(clients.ClientInput("C00007", "Kwame Mensah"))
    first = open_window(qtbot, ctx, amina.client_id)
    second = open_window(qtbot, ctx, amina.client_id)
    unrelated = open_window(qtbot, ctx, other.id)

    def as_user(dlg: ClientDialog) -> None:
        dlg.name.clear()
        qtbot.keyClicks(dlg.name, "Amina W. Otieno")
        dlg.fields.validate_now()
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, ClientDialog, as_user)
    qtbot.mouseClick(first.edit_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert first.windowTitle() == second.windowTitle() == "Amina W. Otieno — C00042"
    assert second.overview.basic.value("name") == "Amina W. Otieno"
    assert unrelated.windowTitle() == "Kwame Mensah — C00007"
    assert "edited" in row_texts(second.activity.model, 2)[0]


def test_activity_shows_before_and_after(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    clients.edit_client(amina.client_id, clients.ClientInput(
        "C00042", "Amina Otieno", "+254712345678", "amina@example.co.ke", "Plot 12, Ngong Road, Nairobi",
        "amina.w", amina.server_id))
    w = open_window(qtbot, ctx, amina.client_id)
    w.tabs.setCurrentWidget(w.activity)
    first = w.activity.model.index(0, 2)
    assert first.data() == "Client C00042 edited"
    assert "Name: “Amina Wanjiru” → “Amina Otieno”" in first.data(Qt.ItemDataRole.ToolTipRole)
    w.activity.table.setCurrentIndex(first)
    assert "Name: “Amina Wanjiru” → “Amina Otieno”" in w.activity.details.toPlainText()


def test_view_subscription_opens_the_current_one_and_esc_closes(
        qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    qtbot.mouseClick(w.view_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    views = [d for d in QApplication.topLevelWidgets() if isinstance(d, SubscriptionViewDialog) and d.isVisible()]
    assert [v.subscription_id for v in views] == [amina.sub]
    view = views[0]
    assert view.details.value("package") == "Home 10 Mbps"
    assert view.payments_model.rowCount() == 1
    assert view.payments_model.index(0, PaymentColumn.AMOUNT).data() == "USD 1,500.00"
    assert view.payments_model.index(0, PaymentColumn.METHOD).data() == "Mobile money"
    view.close()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=1000)
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: closed(w), timeout=2000)


# -- models ----------------------------------------------------------------------------------

def test_models_pass_qtmodeltester(qtbot: QtBot, qtmodeltester: Any, ctx: AppContext, amina: Amina) -> None:
    detail = queries.client_detail(amina.client_id, TODAY)
    history = SubscriptionHistoryModel()
    history.set_rows(detail.subscriptions, TODAY, 7, "USD")
    qtmodeltester.check(history)
    assert [history.headerData(c, Qt.Orientation.Horizontal) for c in Column] == list(HEADERS.values())
    activity = ActivityModel()
    from ispclient.ui.client.activity_tab import ActivityRow

    activity.set_rows([ActivityRow.from_event(e) for e in detail.activity], "")
    qtmodeltester.check(activity)
    empty = SubscriptionHistoryModel()
    qtmodeltester.check(empty)


# -- looks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [(1040, 680), (1366, 740), (1900, 1000)], ids=["default", "1366", "1920"])
def test_every_tab_renders_without_clipping(qtbot: QtBot, ctx: AppContext, amina: Amina, scheme: str,
                                            size: tuple[int, int], shots: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if scheme == "dark":
        app.setPalette(dark_palette())
    try:
        subs.renew_subscription(amina.sub)
        ctx.connections.update({(amina.server_id, "amina.w"): ClientConnection.unknown(
            UnknownReason.TIMED_OUT, "Could not get an answer from 10.0.0.1:8728 within 5 s.", checked_at=NOW)})
        w = open_window(qtbot, ctx, amina.client_id)
        w.resize(*size)
        for i in range(w.tabs.count()):
            w.tabs.setCurrentIndex(i)
            qtbot.wait(10)
            name = plain(w.tabs.tabText(i)).lower()
            assert w.grab().save(str(shots / f"client-{name}-{scheme}-{size[0]}.png"))
            assert clipped(w) == []
    finally:
        app.setPalette(old)


def test_overview_of_an_online_client_renders(qtbot: QtBot, ctx: AppContext, amina: Amina, shots: Path) -> None:
    ctx.connections.update({(amina.server_id, "amina.w"): ClientConnection.online(
        "10.20.30.40", "3d4h12m5s", "AA:BB:CC:DD:EE:FF", checked_at=NOW)})
    w = open_window(qtbot, ctx, amina.client_id)
    w.resize(1040, 680)
    qtbot.wait(10)
    assert w.grab().save(str(shots / "client-overview-online.png"))
    assert clipped(w) == []


def test_a_deleted_client_window_closes_when_another_window_deletes_it(
        qtbot: QtBot, ctx: AppContext) -> None:
    client = clients.create_client(clients.ClientInput("C00001", "Kwame Mensah"))
    w = open_window(qtbot, ctx, client.id)
    clients.delete_client(client.id)
    changed_elsewhere(ctx, clients=[client.id])
    qtbot.waitUntil(lambda: closed(w), timeout=2000)


def test_expiring_and_ended_subscriptions_read_right(qtbot: QtBot, ctx: AppContext) -> None:
    pkg = catalog.create_package(catalog.PackageInput("Day pass", "100", 1))
    week = catalog.create_package(catalog.PackageInput("Week", "500", 7))
    c = clients.create_client(clients.ClientInput("C00001", "Kwame Mensah"))
    subs.create_subscription(c.id, week.id, TODAY - timedelta(days=6))  # last day today
    w = open_window(qtbot, ctx, c.id)
    s = w.overview.subscription
    assert w.overview.sub_badge.text.text() == "Expiring"
    assert w.overview.sub_badge.colour == SUBSCRIPTION_COLOURS[SubscriptionStatus.EXPIRING]
    assert s.value("days_left") == "1 day left (last day of service)"
    assert s.value("payment") == "Unpaid — USD 500.00 due"
    c2 = clients.create_client(clients.ClientInput("C00002", "Ngozi Okafor"))
    subs.create_subscription(c2.id, pkg.id, TODAY - timedelta(days=1))  # ended at 00:00 today
    w2 = open_window(qtbot, ctx, c2.id)
    assert w2.overview.sub_badge.text.text() == "Expired"
    assert w2.overview.subscription.value("days_left") == "Expired today"
    assert w2.overview.empty_box.isVisibleTo(w2)
    assert "the last one has ended" in w2.overview.no_subscription.text()


# -- opening fast: texts formatted once, columns fitted from them, hidden tabs filled when shown --

def test_history_and_activity_columns_fit_as_the_view_measures_them(qtbot: QtBot, ctx: AppContext,
                                                                     amina: Amina) -> None:
    """Columns are sized from the models' formatted texts with font metrics, to exactly what
    Qt's own per-cell measure gives (sizeHintForColumn over every row, icon and margins)."""
    cancelled = subs.create_subscription(amina.client_id, amina.package_id, date(2026, 3, 1),
                                         payment=subs.PaymentInput("200"))
    subs.cancel_subscription(cancelled.id, "moved away")  # Cancelled: a status, due and balance of their own
    subs.create_subscription(amina.client_id, amina.package_id, date(2026, 4, 1))  # Scheduled, unpaid
    w = open_window(qtbot, ctx, amina.client_id)
    for tab, columns in ((w.subscriptions, [c for c in Column if c is not Column.PACKAGE]),
                         (w.activity, [ActivityColumn.WHEN, ActivityColumn.WHO, ActivityColumn.WHERE]),
                         (w.payments, [c for c in PaymentColumn if c is not PaymentColumn.WHAT])):
        w.tabs.setCurrentWidget(tab)
        table = tab.table
        header = table.horizontalHeader()
        for col in columns:
            assert table.columnWidth(col) == max(table.sizeHintForColumn(col), header.sectionSizeHint(col)), \
                (type(tab).__name__, col, [table.model().index(r, col).data() for r in range(table.model().rowCount())])
    history = w.subscriptions.model
    balances = [history.index(r, Column.BALANCE).data() for r in range(history.rowCount())]
    statuses = {history.index(r, Column.STATUS).data() for r in range(history.rowCount())}
    assert len(set(balances)) > 1 and len(statuses) >= 3, (balances, statuses)  # texts of different widths


def test_hidden_tabs_are_filled_when_first_shown_or_asked_for(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    assert w.detail is not None
    events = len(w.detail.activity)
    assert w.tabs.currentWidget() is w.overview
    assert w.subscriptions._model.rowCount() == 0 and w.activity._model.rowCount() == 0  # not on screen: not yet
    w.tabs.setCurrentWidget(w.activity)  # shown: filled
    assert w.activity._model.rowCount() == events > 0
    assert w.subscriptions._model.rowCount() == 0
    assert w.subscriptions.model.rowCount() == 2  # asked for (as the tests and the window's state do): filled
    assert w.subscriptions.selected_id() == amina.sub  # the current subscription selected, as before

    w.tabs.setCurrentWidget(w.subscriptions)
    subs.create_subscription(amina.client_id, amina.package_id, date(2026, 4, 1))
    changed_elsewhere(ctx, clients=[amina.client_id])
    settle(qtbot)
    assert w.subscriptions._model.rowCount() == 3  # on screen: filled as the data arrives
    assert w.subscriptions.selected_id() == amina.sub  # the selection kept
    assert len(w.detail.activity) > events and w.activity._model.rowCount() == events  # hidden: waits
    w.tabs.setCurrentWidget(w.activity)
    assert w.activity._model.rowCount() == len(w.detail.activity)


def test_history_colours_follow_the_palette_when_painted(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    """Texts are formatted once, but colours are made readable on the palette as it is when painted
    (a theme switched to dark while the window is open)."""
    model = SubscriptionHistoryModel()
    model.set_rows(queries.client_detail(amina.client_id, TODAY).subscriptions, TODAY, 7, "KES")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = model.index(0, Column.STATUS).data(Qt.ItemDataRole.ForegroundRole).color()
    old = app.palette()
    app.setPalette(dark_palette())
    try:
        dark = model.index(0, Column.STATUS).data(Qt.ItemDataRole.ForegroundRole).color()
    finally:
        app.setPalette(old)
    assert light != dark
    assert model.index(0, Column.PACKAGE).data(Qt.ItemDataRole.ForegroundRole) is None


# -- what an open costs: tabs made when shown, a spare window, labels selectable when pointed at ------------

def test_hidden_tabs_are_made_when_first_shown_with_their_saved_widths(qtbot: QtBot, ctx: AppContext,
                                                                       amina: Amina) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    stand_ins = [w.tabs.widget(i) for i in range(1, w.tabs.count())]
    assert not any(isinstance(t, SubscriptionsTab | PaymentsTab | ActivityTab) for t in stand_ins)  # not made yet
    w.tabs.setCurrentIndex(1)  # the user clicks "Subscriptions"
    assert isinstance(w.tabs.currentWidget(), SubscriptionsTab) and w.tabs.currentWidget() is w.subscriptions
    assert w.tabs.currentIndex() == 1 and plain(w.tabs.tabText(1)) == "Subscriptions"
    assert w.subscriptions._model.rowCount() == 2  # on screen: filled with the data already read
    w.subscriptions.table.setColumnWidth(Column.STATUS, 211)
    w.close()
    settle(qtbot)

    again = open_window(qtbot, ctx, amina.client_id)
    assert not isinstance(again.tabs.widget(1), SubscriptionsTab)
    again.tabs.setCurrentWidget(again.subscriptions)
    assert again.subscriptions.table.columnWidth(Column.STATUS) == 211  # restored when the tab was made
    again.close()  # the Activity and Payments tabs never made: closing keeps what was saved for them
    settle(qtbot)
    third = open_window(qtbot, ctx, amina.client_id)
    third.tabs.setCurrentWidget(third.subscriptions)
    assert third.subscriptions.table.columnWidth(Column.STATUS) == 211


def test_closing_a_window_does_not_fill_the_tabs_it_never_showed(qtbot: QtBot, ctx: AppContext,
                                                                 amina: Amina) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    sub_tab, activity = w.subscriptions, w.activity  # made (asked for), still hidden: not filled
    w.close()
    assert sub_tab._model.rowCount() == 0 and activity._model.rowCount() == 0


def test_a_client_opened_from_the_list_gets_the_spare_window_made_ahead(qtbot: QtBot, ctx: AppContext,
                                                                       amina: Amina) -> None:
    from ispclient.ui.client.window import SpareWindow
    from ispclient.ui.main_window import MainWindow

    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.list_ready)
    # Made once the list is in and the window's modules are loaded (in the background).
    qtbot.waitUntil(lambda: main.findChild(SpareWindow) is not None and main.findChild(SpareWindow)._window is not None)
    spare_keeper = main.findChild(SpareWindow)
    assert spare_keeper is not None
    spare = spare_keeper._window
    assert spare is not None and not spare.isVisible() and spare.detail is None

    # A change to every client while it waits: a spare has no client to read (nor closes).
    changed_elsewhere(ctx, all_clients=True)
    settle(qtbot)
    assert shiboken6.isValid(spare) and spare.detail is None and spare_keeper._window is spare

    w = main.open_client(amina.client_id)
    assert w is spare and w.client_id == amina.client_id
    qtbot.waitUntil(lambda: w.detail is not None and w.isVisible())
    assert w.windowTitle() == "Amina Wanjiru — C00042"
    assert w.overview.basic.value("name") == "Amina Wanjiru"
    assert w.overview.sub_badge.text.text() == "Active"
    qtbot.waitUntil(lambda: spare_keeper._window is not None, timeout=3000)  # the next one, made a moment later
    assert spare_keeper._window is not w

    # The next client's window is the new spare, showing that client only.
    other = clients.create_client(clients.ClientInput("C00043", "Brian Otieno", "+254722000111", "", "",
                                                      "brian.o", amina.server_id))
    settle(qtbot)
    second = main.open_client(other.id)
    assert second is not w
    qtbot.waitUntil(lambda: second.detail is not None)
    assert second.overview.basic.value("name") == "Brian Otieno"
    assert second.overview.no_subscription.isVisibleTo(second)
    assert w.overview.basic.value("name") == "Amina Wanjiru"  # the first window untouched
    assert main.open_client(amina.client_id) is w  # an open client's window is raised, not made again


class _Paints(QObject):
    """Paint events the window itself receives (one per time it is painted: its children's are
    painted inside it)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__()
        self.count = 0
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_a_client_window_is_painted_once_when_it_opens(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    """Shown with its data in, the window is laid out before its first paint and not painted again
    for the updates its children posted as they were shown (it was painted twice per open)."""
    for spare in (False, True):
        w = ClientWindow(ctx, None if spare else amina.client_id, in_steps=spare)
        if spare:
            w.adopt(amina.client_id)
        paints = _Paints(w)
        w.present()
        qtbot.waitUntil(lambda w=w: w.detail is not None and w.isVisible())  # type: ignore[misc]
        qtbot.waitExposed(w)
        for _ in range(5):  # whatever the show posted: delivered
            QCoreApplication.processEvents()
        assert paints.count == 1, "spare" if spare else "made on open"
        assert w.overview.basic.value("name") == "Amina Wanjiru"  # painted with its data
        assert w.overview.sub_badge.text.text() == "Active"
        w.close()
        settle(qtbot)


def test_a_window_is_filled_and_shown_in_two_turns_of_the_event_loop(qtbot: QtBot, ctx: AppContext,
                                                                     amina: Amina) -> None:
    """On a remote database the answer lands at any moment: filling the window with it and showing
    (laying out, painting) it are two pieces of work, one turn of the event loop each, not one
    freeze of both; the window is shown once, complete."""
    w = ClientWindow(ctx, amina.client_id)
    seen_at_fill: list[bool] = []
    w.loaded.connect(lambda: seen_at_fill.append(w.isVisible()))
    w.present()  # before the data is in: shown when it is
    qtbot.waitUntil(lambda: bool(seen_at_fill))
    assert seen_at_fill == [False] and w.overview.basic.value("name") == "Amina Wanjiru"
    qtbot.waitUntil(w.isVisible)
    assert w.pages.currentWidget() is w.tabs
    w.close()
    settle(qtbot)


def test_a_spare_is_made_a_piece_at_a_time_and_finished_if_taken_early(qtbot: QtBot, ctx: AppContext,
                                                                       amina: Amina) -> None:
    from ispclient.ui.client.window import SpareWindow

    owner = QWidget()
    qtbot.addWidget(owner)
    keeper = SpareWindow(ctx, owner)
    keeper._make()  # what prepare() does when its time comes
    spare = keeper._window
    assert spare is not None and not spare.built and not keeper.ready  # the first piece only
    pieces = 1
    while spare.build_step():  # what the keeper's timer does, one piece per event-loop turn
        pieces += 1
    assert pieces >= 5  # the buttons, each Overview section, the tabs: never the whole window at once
    qtbot.waitUntil(lambda: keeper.ready)
    assert spare.built and not spare.isVisible() and spare.detail is None

    w = keeper.take(amina.client_id)
    assert w is spare
    w.present()
    qtbot.waitUntil(lambda: w.detail is not None and w.isVisible())
    assert w.overview.basic.value("name") == "Amina Wanjiru"

    # Taken before it was finished: the rest made at once, and the window works as any other.
    keeper._make()
    early = keeper._window
    assert early is not None and not early.built
    other = clients.create_client(clients.ClientInput("C00043", "Brian Otieno", "+254722000111", "", "",
                                                      "brian.o", amina.server_id))
    settle(qtbot)
    second = keeper.take(other.id)
    assert second is early and second.built
    second.present()
    qtbot.waitUntil(lambda: second.detail is not None and second.isVisible())
    assert second.overview.basic.value("name") == "Brian Otieno"
    assert second.windowTitle() == "Brian Otieno — C00043"
    assert w.overview.basic.value("name") == "Amina Wanjiru"


def test_the_first_spare_is_painted_off_screen_once_and_still_opens_painted_once(
        qtbot: QtBot, ctx: AppContext, amina: Amina, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first window's paint did for the first time what later ones found cached (the style's
    pixmaps, the fonts' glyphs): the first spare of the process is painted once onto an image, with
    its tabs as a window with data shows them; it stays hidden, saying "Loading…", and opening it
    paints it once, with its data."""
    from ispclient.ui.client import window as window_module
    from ispclient.ui.client.window import SpareWindow

    monkeypatch.setattr(window_module, "_warmed", False)  # as in a new process
    owner = QWidget()
    qtbot.addWidget(owner)
    keeper = SpareWindow(ctx, owner)
    keeper._make()
    spare = keeper._window
    assert spare is not None
    spare.finish_building()  # (as the keeper's steps would)
    tab_paints = _Paints(spare.overview)
    qtbot.waitUntil(lambda: keeper.ready)
    assert tab_paints.count == 1  # the Overview, painted off screen
    assert not spare.isVisible() and spare.pages.currentWidget() is spare.loading

    w = keeper.take(amina.client_id)
    paints = _Paints(w)
    w.present()
    qtbot.waitUntil(lambda: w.detail is not None and w.isVisible())
    qtbot.waitExposed(w)
    for _ in range(5):
        QCoreApplication.processEvents()
    assert paints.count == 1 and w.pages.currentWidget() is w.tabs
    assert w.overview.basic.value("name") == "Amina Wanjiru"

    # Later spares find it done.
    keeper._make()
    later = keeper._window
    assert later is not None and later is not w
    later.finish_building()
    later_paints = _Paints(later.overview)
    qtbot.waitUntil(lambda: keeper.ready)
    assert later_paints.count == 0


def test_the_spare_made_as_a_window_closes_is_whole_and_sized_as_that_window_was(qtbot: QtBot, ctx: AppContext,
                                                                                 amina: Amina) -> None:
    from PySide6.QtCore import QSize

    from ispclient.ui.client.window import SpareWindow, _sample_phone

    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    keeper = SpareWindow(ctx, owner)
    w = keeper.take(amina.client_id)  # no spare yet: made on the spot
    w.present()
    qtbot.waitUntil(lambda: w.detail is not None and w.isVisible())
    w.resize(QSize(700, 500))
    w.close()
    qtbot.waitUntil(lambda: keeper._window is not None)
    spare = keeper._window
    assert spare is not None and spare.built and keeper.ready  # made whole, not a piece at a time
    assert spare.size() == QSize(700, 500) and not spare.isVisible()  # the size the closed window saved
    assert _sample_phone("KE").startswith("+254")  # what the first spare formats once, as clients' numbers


def test_values_become_selectable_when_their_section_is_pointed_at(qtbot: QtBot, ctx: AppContext,
                                                                  amina: Amina) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QEnterEvent

    w = open_window(qtbot, ctx, amina.client_id)
    basic = w.overview.basic
    name = basic.field("name")
    assert isinstance(name, QLabel)
    selectable = Qt.TextInteractionFlag.TextSelectableByMouse
    assert not name.textInteractionFlags() & selectable  # a text document per label only when needed
    QCoreApplication.sendEvent(basic, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert all(lb.textInteractionFlags() & selectable for lb in
               (name, basic.field("phone"), basic.field("email"), basic.field("client_code")))
    assert w.overview.basic.value("name") == "Amina Wanjiru"  # the text as it was
    connection = w.overview.connection
    QCoreApplication.sendEvent(connection, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert w.overview.password_value.textInteractionFlags() & selectable
    assert w.overview.troubleshooting.body.textInteractionFlags() & selectable
    assert not w.overview.balance_value.textInteractionFlags() & selectable  # its own section not pointed at yet


def test_badge_and_balance_colours_come_from_the_palette(qtbot: QtBot, ctx: AppContext, amina: Amina) -> None:
    w = open_window(qtbot, ctx, amina.client_id)
    badge = w.overview.sub_badge
    shade = badge.text.palette().color(QPalette.ColorRole.WindowText)
    assert shade != QApplication.palette().color(QPalette.ColorRole.WindowText)  # the status colour, made readable
    assert shade.hue() == QColor(SUBSCRIPTION_COLOURS[SubscriptionStatus.ACTIVE]).hue()
    assert badge.text.font().weight() == QFont.Weight.DemiBold
    assert badge.text.styleSheet() == "" and w.overview.balance_value.styleSheet() == ""
    subs.renew_subscription(amina.sub)  # unpaid: the balance shown owed, in the warning colour
    changed_elsewhere(ctx, clients=[amina.client_id])
    settle(qtbot)
    owed = w.overview.balance_value
    assert owed.text() == "USD 1,500.00 owed"
    assert owed.palette().color(QPalette.ColorRole.WindowText).hue() == \
        QColor(SUBSCRIPTION_COLOURS[SubscriptionStatus.EXPIRING]).hue()
    assert owed.font().weight() == QFont.Weight.DemiBold


def test_closing_keeps_the_state_in_memory_and_the_main_window_writes_it(
        qtbot: QtBot, ctx: AppContext, amina: Amina, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QSettings

    from ispclient.ui import window_state
    from ispclient.ui.main_window import MainWindow

    writes: list[str] = []
    real_write = window_state._write
    monkeypatch.setattr(window_state, "_write", lambda path: (writes.append(path), real_write(path)))
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.list_ready)
    w = main.open_client(amina.client_id)
    qtbot.waitUntil(lambda: w.detail is not None and w.isVisible())
    w.tabs.setCurrentWidget(w.subscriptions)
    w.subscriptions.table.setColumnWidth(Column.STATUS, 187)
    w.resize(700, 500)
    w.close()
    assert writes == []  # no disk sync on the GUI thread as a client window closes
    settle(qtbot)
    again = main.open_client(amina.client_id)  # what the closed one left
    qtbot.waitUntil(lambda: again.detail is not None and again.isVisible())
    assert again is not w and again.size().width() == 700
    again.tabs.setCurrentWidget(again.subscriptions)
    assert again.subscriptions.table.columnWidth(Column.STATUS) == 187
    main.close()  # the app quits: its windows' state goes to the file with the main window's
    assert writes == [str(ctx.paths.settings_file)]
    st = QSettings(str(ctx.paths.settings_file), QSettings.Format.IniFormat)
    assert st.value("ClientWindow/geometry") is not None and st.value("ClientWindow/history_header") is not None
    assert st.value("MainWindow/geometry") is not None
