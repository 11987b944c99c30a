"""The dialogs as a user fills them in: messages beside fields, Save only when valid, nothing saved
on bad input; the server dialog keeps the password in the keyring and tests without blocking."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from ispclient import store
from ispclient.domain.errors import ValidationError
from ispclient.simulator import RouterSim
from ispclient.store import catalog, clients, queries
from ispclient.store import subscriptions as subs
from ispclient.store.models import AuditEvent, Client, Package, Payment, Server, Subscription
from ispclient.store.queries import ClientDetail, ClientInfo
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.cancel_dialog import CancelDialog
from ispclient.ui.dialogs.client_dialog import NO_SERVER, ClientDialog
from ispclient.ui.dialogs.package_dialog import PackageDialog
from ispclient.ui.dialogs.payment_dialog import PaymentDialog
from ispclient.ui.dialogs.server_dialog import ServerDialog
from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog
from ispclient.ui.dialogs.subscription_view import PaymentsModel, SubscriptionViewDialog
from ispclient.ui.models.payments import PaymentColumn
from tests.ui.conftest import changed_elsewhere, settle
from tests.ui.test_client_window import clipped, dark_palette

TODAY = date(2026, 1, 15)  # the `today` fixture of tests/ui/conftest.py pins this date


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $ISPCLIENT_SHOTS to keep and look at them, else the test's tmp dir."""
    folder = Path(os.environ.get("ISPCLIENT_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
API_PASSWORD = "Sup3r-Secret-API-pw!"


@pytest.fixture
def package(ctx: AppContext) -> int:
    catalog.create_package(catalog.PackageInput("Business 50 Mbps", "6500", 30, description="50/20 Mbps"))
    package_id = int(catalog.create_package(catalog.PackageInput("Home 10 Mbps", "1500", 30)).id)
    ctx.store.refresh_now()
    return package_id


@pytest.fixture
def client(ctx: AppContext) -> int:
    return int(clients.create_client(clients.ClientInput("C00001", "Amina Wanjiru")).id)


def typed(qtbot: QtBot, widget: Any, text: str) -> None:
    widget.clear()
    if text:
        qtbot.keyClicks(widget, text)


def message_for(qtbot: QtBot, dlg: Any, field: str) -> str:
    """The message under ``field`` once the debounced check has run."""
    qtbot.waitUntil(lambda: not dlg.fields.pending() and dlg.fields.message(field) != "", timeout=2000)
    return str(dlg.fields.message(field))


def info(client_id: int) -> ClientInfo:
    return queries.client_detail(client_id, TODAY).client


def detail(client_id: int) -> ClientDetail:
    return queries.client_detail(client_id, TODAY)


def save(qtbot: QtBot, dlg: Any) -> None:
    """Click Save and wait for the background save to come back (accepted, or refused beside the fields)."""
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.saving, timeout=5000)


def show(qtbot: QtBot, dlg: QWidget) -> QWidget:
    # Closed at the end of the test as if nothing was typed (no "discard changes?" question).
    qtbot.addWidget(dlg, before_close_func=lambda d: setattr(getattr(d, "fields", d), "dirty", False))
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def shoot(dlg: QWidget, shots: Path, name: str) -> None:
    QApplication.processEvents()
    assert dlg.grab().save(str(shots / f"{name}.png"))
    assert clipped(dlg) == []


# -- client dialog -------------------------------------------------------------------------

def test_new_client_suggests_an_id_and_saves_only_when_valid(qtbot: QtBot, ctx: AppContext) -> None:
    srv = catalog.create_server(catalog.ServerInput(name="North tower", host="10.0.0.1"))
    ctx.store.refresh_now()
    dlg = show(qtbot, ClientDialog(ctx))
    assert isinstance(dlg, ClientDialog)
    qtbot.waitUntil(lambda: dlg.client_code.text() == "C00001")  # suggested from the database
    assert [dlg.server.itemText(i) for i in range(dlg.server.count())] == [NO_SERVER, "North tower"]
    assert not dlg.save_button.isEnabled()
    assert dlg.fields.message("name") == ""  # an untouched empty form is not a wall of red
    assert dlg.save_button.toolTip() == "Enter the client's name."

    typed(qtbot, dlg.name, "Kwame Mensah")
    typed(qtbot, dlg.phone, "+233 24 123 4567")
    typed(qtbot, dlg.pppoe_username, "kwame")
    assert "Choose the router" in message_for(qtbot, dlg, "server_id")
    dlg.server.setCurrentIndex(1)
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    with qtbot.waitSignal(ctx.events.changed) as changed:
        save(qtbot, dlg)
    assert dlg.result_id is not None and changed.args[0].clients == {dlg.result_id}
    saved = Client.get_by_id(dlg.result_id)
    assert (saved.client_code, saved.name, saved.phone, saved.pppoe_username, saved.server_id) == (
        "C00001", "Kwame Mensah", "+233241234567", "kwame", srv.id)


def test_client_dialog_maps_server_errors_beside_fields(qtbot: QtBot, ctx: AppContext,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another PC took the Client ID between our live check and the save."""
    def taken(*_a: object, **_kw: object) -> None:
        raise ValidationError({"client_code": "That Client ID was just taken by another client."})

    monkeypatch.setattr(clients, "create_client", taken)
    dlg = show(qtbot, ClientDialog(ctx))
    qtbot.waitUntil(lambda: dlg.client_code.text() == "C00001")
    typed(qtbot, dlg.name, "Kwame Mensah")
    dlg.fields.validate_now()
    save(qtbot, dlg)
    assert dlg.isVisible()
    assert dlg.fields.message("client_code") == "That Client ID was just taken by another client."
    assert not dlg.save_button.isEnabled()  # the same save would fail again
    typed(qtbot, dlg.client_code, "C00002")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    assert dlg.fields.message("client_code") == ""


def test_general_errors_show_above_the_form(qtbot: QtBot, ctx: AppContext, client: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def gone(*_a: object, **_kw: object) -> None:
        raise ValidationError({"__all__": "This client has been deleted."})

    monkeypatch.setattr(clients, "edit_client", gone)
    dlg = show(qtbot, ClientDialog(ctx, info(client)))
    save(qtbot, dlg)
    assert dlg.general.isVisible() and dlg.general.text() == "This client has been deleted."


def test_edit_keeps_values_and_logs_only_changes(qtbot: QtBot, ctx: AppContext, client: int) -> None:
    dlg = show(qtbot, ClientDialog(ctx, info(client)))
    assert (dlg.client_code.text(), dlg.name.text(), dlg.server.currentText()) == ("C00001", "Amina Wanjiru", NO_SERVER)
    typed(qtbot, dlg.email, "Amina@Example.co.ke")
    dlg.fields.validate_now()
    save(qtbot, dlg)
    assert Client.get_by_id(client).email == "Amina@example.co.ke"
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert event.action == "client.edit" and "email" in event.after and "name" not in event.after


# -- subscription dialog -------------------------------------------------------------------

def test_subscription_dialog_shows_the_end_date_live(qtbot: QtBot, ctx: AppContext, client: int,
                                                     package: int) -> None:
    dlg = show(qtbot, SubscriptionDialog(ctx, detail(client)))
    assert isinstance(dlg, SubscriptionDialog)
    assert not dlg.renewal_note.isVisible()
    assert [dlg.package.itemText(i) for i in range(dlg.package.count())] == [  # by price, not as text
        "Home 10 Mbps — USD 1,500.00 / 30 days", "Business 50 Mbps — USD 6,500.00 / 30 days"]
    assert dlg.package.currentIndex() == -1  # a client with no subscription: the cashier picks
    assert not dlg.save_button.isEnabled() and dlg.save_button.toolTip() == "Choose a package."
    dlg.package.setCurrentIndex(dlg.package.findData(package))
    assert dlg.amount.text() == ""  # no money pre-filled: the cashier types what was taken
    assert dlg.start_today.isChecked() and dlg.start() == TODAY
    assert dlg.end_label.text().startswith("14 Feb 2026 — service stops at 00:00 that day")
    qtbot.mouseClick(dlg.start_on, Qt.MouseButton.LeftButton)
    dlg.start_date.setDate(QDate(2026, 2, 1))
    assert dlg.end_label.text().startswith("03 Mar 2026")
    typed(qtbot, dlg.amount, "abc")
    assert message_for(qtbot, dlg, "amount") == "“abc” is not an amount of money."
    assert not dlg.save_button.isEnabled()
    typed(qtbot, dlg.amount, "")  # empty = not paid yet
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    dlg.auto_renew.setChecked(True)
    save(qtbot, dlg)
    sub = Subscription.get_by_id(dlg.result_id)
    assert (sub.package_id, sub.starts_on, sub.ends_on, sub.auto_renew) == (
        package, date(2026, 2, 1), date(2026, 3, 3), True)
    assert Payment.select().where(Payment.subscription == sub.id).count() == 0


def test_subscription_dialog_takes_the_payment(qtbot: QtBot, ctx: AppContext, client: int, package: int) -> None:
    dlg = show(qtbot, SubscriptionDialog(ctx, detail(client)))
    dlg.package.setCurrentIndex(dlg.package.findData(package))
    typed(qtbot, dlg.amount, "1500")
    dlg.method.setCurrentText("Mobile money")
    save(qtbot, dlg)
    pay = Payment.get(Payment.subscription == dlg.result_id)
    assert (pay.amount_minor, pay.method) == (150000, "Mobile money")


def test_starting_today_over_a_running_subscription_is_refused_beside_start(
        qtbot: QtBot, ctx: AppContext, client: int, package: int) -> None:
    subs.create_subscription(client, package, date(2026, 1, 5))
    dlg = show(qtbot, SubscriptionDialog(ctx, detail(client)))
    assert dlg.renewal_note.isVisible()
    assert dlg.start_on.isChecked() and dlg.start() == date(2026, 2, 4)
    qtbot.mouseClick(dlg.start_today, Qt.MouseButton.LeftButton)
    assert message_for(qtbot, dlg, "start").replace("\u00a0", " ").startswith(  # dates keep no-break spaces
        "This overlaps the subscription from 05 Jan 2026 to 04 Feb 2026. Renew instead: the renewal starts on "
        "04 Feb 2026.")
    assert not dlg.save_button.isEnabled()
    before = Subscription.select().count()
    assert not dlg.try_save()
    assert Subscription.select().count() == before


def test_renew_from_keeps_package_and_auto_renew_and_fixes_the_start(
        qtbot: QtBot, ctx: AppContext, client: int, package: int) -> None:
    old = subs.create_subscription(client, package, date(2026, 1, 5), auto_renew=True)
    dlg = show(qtbot, SubscriptionDialog(ctx, detail(client), renew_from=old.id))
    assert dlg.windowTitle().startswith("Renew subscription")
    assert dlg.package.currentData() == package and dlg.auto_renew.isChecked()
    assert not dlg.start_today.isEnabled() and not dlg.start_date.isEnabled()
    save(qtbot, dlg)
    new = Subscription.get_by_id(dlg.result_id)
    assert (new.starts_on, new.ends_on, new.auto_renew) == (date(2026, 2, 4), date(2026, 3, 6), True)


def test_no_package_on_sale_says_so(qtbot: QtBot, ctx: AppContext, client: int) -> None:
    dlg = show(qtbot, SubscriptionDialog(ctx, detail(client)))
    assert dlg.fields.message("package") == "No package is on sale. Add one in Packages first."
    assert not dlg.save_button.isEnabled()


# -- payment and cancel ----------------------------------------------------------------------

def test_payment_dialog_shows_price_paid_balance(qtbot: QtBot, ctx: AppContext, client: int, package: int) -> None:
    sub = subs.create_subscription(client, package, TODAY, payment=subs.PaymentInput("500"))
    dlg = show(qtbot, PaymentDialog(ctx, detail(client), sub.id))
    assert isinstance(dlg, PaymentDialog)
    s = dlg.summary
    assert (s.value("owed"), s.value("due")) == ("USD 1,000.00 owed", "USD 1,500.00 price, USD 500.00 paid — "
                                                                    "USD 1,000.00 due")
    assert dlg.amount.text() == ""  # the cashier types what was taken
    assert dlg.target.currentData() == sub.id
    typed(qtbot, dlg.amount, "0")
    assert message_for(qtbot, dlg, "amount") == "The amount must be more than zero."
    typed(qtbot, dlg.amount, "1000")
    typed(qtbot, dlg.reference, "QK8ABC")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    with qtbot.waitSignal(ctx.events.changed) as changed:
        save(qtbot, dlg)
    assert changed.args[0].clients == {client} and changed.args[0].payments
    pay = Payment.get_by_id(dlg.result_id)
    assert (pay.amount_minor, pay.reference) == (100000, "QK8ABC")


def test_cancel_dialog_records_the_reason(qtbot: QtBot, ctx: AppContext, client: int, package: int) -> None:
    sub = subs.create_subscription(client, package, TODAY, auto_renew=True)
    dlg = show(qtbot, CancelDialog(ctx, detail(client), sub.id))
    assert isinstance(dlg, CancelDialog)
    assert "Cancel “Home 10 Mbps” (15 Jan 2026 – 14 Feb 2026) for Amina Wanjiru (C00001)?" in dlg.warning.body.text()
    typed(qtbot, dlg.reason, "x" * 501)
    assert message_for(qtbot, dlg, "reason") == "The reason is too long (at most 500 characters)."
    assert not dlg.save_button.isEnabled()
    typed(qtbot, dlg.reason, "Moving away")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    save(qtbot, dlg)
    row = Subscription.get_by_id(sub.id)
    assert row.is_cancelled and row.cancel_reason == "Moving away" and not row.auto_renew


def test_keep_it_closes_without_cancelling(qtbot: QtBot, ctx: AppContext, client: int, package: int) -> None:
    sub = subs.create_subscription(client, package, TODAY)
    dlg = show(qtbot, CancelDialog(ctx, detail(client), sub.id))
    keep = dlg.buttons.button(dlg.buttons.StandardButton.Cancel)
    assert keep.text() == "&Keep it"
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert not Subscription.get_by_id(sub.id).is_cancelled


# -- subscription view ---------------------------------------------------------------------

def test_subscription_view_shows_everything_and_why_actions_are_off(
        qtbot: QtBot, ctx: AppContext, client: int, package: int, shots: Path) -> None:
    sub = subs.create_subscription(client, package, date(2026, 1, 5), auto_renew=True,
                                   payment=subs.PaymentInput("1000", "Cash", "R-17", "first half"))
    view = SubscriptionViewDialog(ctx, client, sub.id)
    show(qtbot, view)
    settle(qtbot)
    d = view.details
    assert (d.value("client"), d.value("package"), d.value("start"), d.value("end")) == (
        "Amina Wanjiru (C00001)", "Home 10 Mbps", "05 Jan 2026", "04 Feb 2026")
    assert (d.value("price"), d.value("paid"), d.value("balance")) == ("USD 1,500.00", "USD 1,000.00", "USD 500.00")
    assert view.status.text.text() == "Active" and d.value("days_left") == "20 days left"
    assert view.auto_renew.isChecked()
    assert not view.cancellation.isVisible()
    m = view.payments_model
    assert [m.index(0, c).data() for c in (PaymentColumn.RECEIPT, PaymentColumn.AMOUNT, PaymentColumn.METHOD,
                                           PaymentColumn.REFERENCE, PaymentColumn.NOTE)] == [
        "R-000001", "USD 1,000.00", "Cash", "R-17", "first half"]

    view.auto_renew.setChecked(False)  # auto-renew can be switched off right here
    settle(qtbot)
    assert not Subscription.get_by_id(sub.id).auto_renew

    subs.cancel_subscription(sub.id, "Moving away")
    changed_elsewhere(ctx, clients=[client])
    settle(qtbot)
    assert view.cancellation.isVisible()
    assert view.cancellation.value("cancel_reason") == "Moving away"
    assert view.status.text.text() == "Cancelled"
    for button, why in ((view.cancel_button, "already cancelled"), (view.pay_button, "is cancelled"),
                        (view.renew_button, "can't be renewed")):
        assert not button.isEnabled() and why in button.toolTip()
    assert not view.auto_renew.isEnabled()
    shoot(view, shots, "dialog-subscription-view-cancelled")


def test_payments_model_passes_qtmodeltester(qtmodeltester: Any, ctx: AppContext, client: int,
                                             package: int) -> None:
    sub = subs.create_subscription(client, package, TODAY, payment=subs.PaymentInput("1000"))
    subs.record_payment(sub.id, subs.PaymentInput("500", "Card"))
    model = PaymentsModel()
    model.set_rows(queries.client_detail(client, TODAY).payments, "USD", "")
    qtmodeltester.check(model)
    qtmodeltester.check(PaymentsModel())


# -- package dialog ------------------------------------------------------------------------

def test_package_dialog_creates_and_reports_bad_price_and_duplicates(qtbot: QtBot, ctx: AppContext) -> None:
    catalog.create_package(catalog.PackageInput("Home 10 Mbps", "1500", 30))
    dlg = show(qtbot, PackageDialog(ctx))
    assert isinstance(dlg, PackageDialog)
    typed(qtbot, dlg.name, "Home 10 Mbps")
    typed(qtbot, dlg.price, "12.345")
    assert message_for(qtbot, dlg, "price") == "USD amounts have at most 2 digits after the decimal point."
    typed(qtbot, dlg.price, "2,000")
    dlg.validity.setValue(7)
    typed(qtbot, dlg.ppp_profile, "10M")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    save(qtbot, dlg)
    assert dlg.fields.message("name") == "A package named “Home 10 Mbps” already exists."
    typed(qtbot, dlg.name, "Week 10 Mbps")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    with qtbot.waitSignal(ctx.store.catalog_changed):
        save(qtbot, dlg)
    pkg = Package.get_by_id(dlg.result_id)
    assert (pkg.name, pkg.price_minor, pkg.validity_days, pkg.ppp_profile, pkg.active) == (
        "Week 10 Mbps", 200000, 7, "10M", True)


def test_package_can_go_off_sale(qtbot: QtBot, ctx: AppContext, package: int) -> None:
    dlg = show(qtbot, PackageDialog(ctx, package))
    assert dlg.price.text() == "1,500.00"
    dlg.active.setChecked(False)
    save(qtbot, dlg)
    assert not Package.get_by_id(package).active


# -- server dialog -------------------------------------------------------------------------

def fill_server(qtbot: QtBot, dlg: ServerDialog, sim: RouterSim, password: str) -> None:
    typed(qtbot, dlg.name, "North tower")
    typed(qtbot, dlg.host, "127.0.0.1")
    dlg.port.setValue(sim.port)
    typed(qtbot, dlg.password, password)
    dlg.timeout.setValue(2)


def db_bytes(ctx: AppContext) -> bytes:
    """The database file and its WAL, as bytes on disk."""
    db = ctx.paths.database
    return b"".join(p.read_bytes() for p in db.parent.glob(f"{db.name}*"))


def test_server_password_goes_only_to_the_keyring(qtbot: QtBot, ctx: AppContext,
                                                  memory_keyring: Any) -> None:
    with RouterSim(users={"admin": API_PASSWORD}) as sim:
        dlg = show(qtbot, ServerDialog(ctx))
        assert isinstance(dlg, ServerDialog)
        assert dlg.password.echoMode() == dlg.password.EchoMode.Password
        fill_server(qtbot, dlg, sim, API_PASSWORD)
        qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
        with qtbot.waitSignal(ctx.store.catalog_changed):
            save(qtbot, dlg)
    server_id = dlg.result_id
    assert server_id is not None
    assert ctx.credentials.get(server_id) == API_PASSWORD
    assert API_PASSWORD in memory_keyring.store.values()
    srv = Server.get_by_id(server_id)
    assert (srv.name, srv.host, srv.port, srv.timeout_s) == ("North tower", "127.0.0.1", sim.port, 2.0)
    store.db.obj.execute_sql("PRAGMA wal_checkpoint(FULL)")
    assert API_PASSWORD.encode() not in db_bytes(ctx)
    assert all(API_PASSWORD not in (e.before + e.after) for e in AuditEvent.select())

    # Editing without typing a password keeps the saved one.
    edit = show(qtbot, ServerDialog(ctx, server_id))
    assert edit.password.text() == "" and "leave empty to keep" in edit.password.placeholderText()
    typed(qtbot, edit.name, "North tower 2")
    qtbot.waitUntil(edit.save_button.isEnabled, timeout=2000)
    save(qtbot, edit)
    assert ctx.credentials.get(server_id) == API_PASSWORD


def test_test_connection_reports_identity_and_version_without_blocking(qtbot: QtBot, ctx: AppContext) -> None:
    with RouterSim(users={"admin": API_PASSWORD}, identity="North-Tower-CCR", latency_ms=300) as sim:
        dlg = show(qtbot, ServerDialog(ctx))
        fill_server(qtbot, dlg, sim, API_PASSWORD)
        started = time.perf_counter()
        qtbot.mouseClick(dlg.test_button, Qt.MouseButton.LeftButton)
        assert time.perf_counter() - started < 0.25  # the click returned while the router thinks
        assert dlg.test_result.text() == f"Connecting to 127.0.0.1:{sim.port}…"
        assert not dlg.test_button.isEnabled()
        typed(qtbot, dlg.ca_file, "")  # the dialog still takes input meanwhile
        qtbot.waitUntil(lambda: dlg.test_result.text().startswith("Connected"), timeout=5000)
        assert dlg.test_result.text().startswith("Connected to North-Tower-CCR, RouterOS 7.16.2")
        assert dlg.test_button.isEnabled()


def test_test_connection_with_a_wrong_password_says_login_refused(qtbot: QtBot, ctx: AppContext) -> None:
    with RouterSim(users={"admin": API_PASSWORD}) as sim:
        dlg = show(qtbot, ServerDialog(ctx))
        fill_server(qtbot, dlg, sim, "wrong-password")
        qtbot.mouseClick(dlg.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dlg.test_result.text().startswith("Could not connect"), timeout=5000)
        text = dlg.test_result.text()
        assert text.startswith("Could not connect — login refused: ")
        assert f"127.0.0.1:{sim.port} refused the login of API user 'admin'" in text
        assert "wrong-password" not in text


def test_test_connection_to_nothing_says_unreachable(qtbot: QtBot, ctx: AppContext) -> None:
    with RouterSim() as sim:
        port = sim.port
    dlg = show(qtbot, ServerDialog(ctx))
    typed(qtbot, dlg.name, "Gone")
    typed(qtbot, dlg.host, "127.0.0.1")
    dlg.port.setValue(port)
    qtbot.mouseClick(dlg.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.test_result.text().startswith("Could not connect"), timeout=5000)
    assert "server unreachable" in dlg.test_result.text()


def test_a_stale_test_result_is_dropped(qtbot: QtBot, ctx: AppContext) -> None:
    with RouterSim(users={"admin": API_PASSWORD}, latency_ms=300) as sim:
        dlg = show(qtbot, ServerDialog(ctx))
        fill_server(qtbot, dlg, sim, API_PASSWORD)
        qtbot.mouseClick(dlg.test_button, Qt.MouseButton.LeftButton)
        typed(qtbot, dlg.host, "localhost")  # the user moved on: the answer is about another address
        assert dlg.test_result.text() == "" and dlg.test_button.isEnabled()
        qtbot.wait(900)
        assert dlg.test_result.text() == ""


def test_tls_moves_the_default_port_only(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    dlg = show(qtbot, ServerDialog(ctx))
    assert dlg.port.value() == 8728 and not dlg.ca_file.isEnabled()
    dlg.tls.setChecked(True)
    assert dlg.port.value() == 8729 and dlg.ca_file.isEnabled()
    dlg.tls.setChecked(False)
    assert dlg.port.value() == 8728
    dlg.port.setValue(9000)
    dlg.tls.setChecked(True)
    assert dlg.port.value() == 9000
    typed(qtbot, dlg.ca_file, str(tmp_path / "missing.pem"))
    assert message_for(qtbot, dlg, "ca_file") == f"No certificate file at {tmp_path / 'missing.pem'}."


def test_without_a_keyring_the_password_is_kept_for_this_session_only(
        qtbot: QtBot, ctx: AppContext, memory_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    problem = "No secure password store is available on this computer (test). The password will be remembered " \
              "only until the app closes."
    monkeypatch.setattr(ctx.credentials, "backend_problem", lambda: problem)
    dlg = show(qtbot, ServerDialog(ctx))
    assert dlg.keyring_note.isVisible()
    assert dlg.keyring_note.title.text() == "Remember for this session only"
    assert dlg.keyring_note.body.text() == problem
    typed(qtbot, dlg.name, "North tower")
    typed(qtbot, dlg.host, "10.0.0.1")
    typed(qtbot, dlg.password, API_PASSWORD)
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    save(qtbot, dlg)
    assert ctx.credentials.get(dlg.result_id) == API_PASSWORD
    assert API_PASSWORD not in memory_keyring.store.values()


def test_server_dialog_field_messages(qtbot: QtBot, ctx: AppContext) -> None:
    catalog.create_server(catalog.ServerInput(name="North tower", host="10.0.0.1"))
    dlg = show(qtbot, ServerDialog(ctx))
    typed(qtbot, dlg.host, "not a host!")
    assert message_for(qtbot, dlg, "host") == "“not a host!” is not an IP address or host name."
    typed(qtbot, dlg.username, "")
    assert message_for(qtbot, dlg, "username") == "Enter the API user name."
    typed(qtbot, dlg.host, "10.0.0.2")
    typed(qtbot, dlg.username, "api")
    typed(qtbot, dlg.name, "North tower")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    save(qtbot, dlg)
    assert dlg.fields.message("name") == "A router named “North tower” already exists."
    assert Server.select().count() == 1


# -- message helpers -----------------------------------------------------------------------

def click_later(text: str) -> None:
    """Press a button of the modal box that is about to open (tests never block on a modal)."""
    def press() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        next(b for b in box.findChildren(QPushButton) if b.text().replace("&", "") == text).click()

    QTimer.singleShot(0, press)


def test_msgbox_helpers_return_the_choice(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # real modal boxes here, each answered by click_later
    click_later("Delete")
    assert msgbox.confirm(None, "Delete client", "Delete?", ok_text="&Delete") is True
    click_later("Cancel")
    assert msgbox.confirm(None, "Delete client", "Delete?", ok_text="&Delete") is False
    click_later("Open subscription")
    assert msgbox.choose(None, "Unable to delete client", "…", ["Open subscription"]) == "Open subscription"
    click_later("Close")
    assert msgbox.choose(None, "Unable to delete client", "…", ["Open subscription"]) is None
    undone: list[bool] = []
    box = msgbox.undo_notice(None, "Client deleted", "Client X deleted.", lambda: undone.append(True))
    assert box.isVisible() and not box.isModal()
    next(b for b in box.buttons() if b.text() == "&Undo").click()
    assert undone == [True]
    qtbot.waitUntil(lambda: not msgbox._open_notices, timeout=1000)


# -- looks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dialogs_render_without_clipping(qtbot: QtBot, ctx: AppContext, client: int, package: int,
                                         scheme: str, monkeypatch: pytest.MonkeyPatch, shots: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if scheme == "dark":
        app.setPalette(dark_palette())
    try:
        sub = subs.create_subscription(client, package, date(2026, 1, 5), payment=subs.PaymentInput("500"))
        catalog.create_server(catalog.ServerInput(name="North tower", host="10.0.0.1"))
        ctx.store.refresh_now()
        edit = show(qtbot, ClientDialog(ctx, info(client)))
        typed(qtbot, edit.email, "amina@")
        message_for(qtbot, edit, "email")
        shoot(edit, shots, f"dialog-client-error-{scheme}")
        shoot(show(qtbot, SubscriptionDialog(ctx, detail(client))), shots, f"dialog-subscription-renewal-{scheme}")
        shoot(show(qtbot, PaymentDialog(ctx, detail(client), sub.id)), shots, f"dialog-payment-{scheme}")
        shoot(show(qtbot, CancelDialog(ctx, detail(client), sub.id)), shots, f"dialog-cancel-{scheme}")
        shoot(show(qtbot, PackageDialog(ctx, package)), shots, f"dialog-package-{scheme}")
        monkeypatch.setattr(ctx.credentials, "backend_problem",
                            lambda: "No secure password store is available on this computer (no keyring "
                                    "backend is installed or working). The password will be remembered only "
                                    "until the app closes.")
        server = show(qtbot, ServerDialog(ctx))
        server._show_test("Could not connect — login refused: 10.0.0.1:8728 refused the login of API "
                                   "user 'admin': invalid user name or password (6).", None)
        shoot(server, shots, f"dialog-server-{scheme}")
        view = SubscriptionViewDialog(ctx, client, sub.id)
        show(qtbot, view)
        settle(qtbot)
        shoot(view, shots, f"dialog-subscription-view-{scheme}")
    finally:
        app.setPalette(old)


def test_pppoe_password_is_stored_encrypted_and_kept_when_left_empty(
        qtbot: QtBot, ctx: AppContext, client: int) -> None:
    srv = catalog.create_server(catalog.ServerInput(name="North tower", host="10.0.0.1"))
    ctx.store.refresh_now()
    dlg = show(qtbot, ClientDialog(ctx, info(client)))
    assert dlg.pppoe_password.echoMode() == dlg.pppoe_password.EchoMode.Password
    typed(qtbot, dlg.pppoe_password, "cust-Pa55")
    assert message_for(qtbot, dlg, "pppoe_password") == "Enter the PPPoE username this password belongs to."
    typed(qtbot, dlg.pppoe_username, "amina")
    dlg.server.setCurrentIndex(dlg.server.findData(srv.id))
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    save(qtbot, dlg)
    assert clients.pppoe_password(client) == "cust-Pa55"
    store.db.obj.execute_sql("PRAGMA wal_checkpoint(FULL)")
    assert b"cust-Pa55" not in db_bytes(ctx)

    again = show(qtbot, ClientDialog(ctx, info(client)))
    assert again.pppoe_password.text() == "" and "leave empty to keep" in again.pppoe_password.placeholderText()
    typed(qtbot, again.name, "Amina W.")
    qtbot.waitUntil(again.save_button.isEnabled, timeout=2000)
    save(qtbot, again)
    assert clients.pppoe_password(client) == "cust-Pa55"


def test_closing_the_dialog_while_testing_is_safe(qtbot: QtBot, ctx: AppContext) -> None:
    with RouterSim(users={"admin": API_PASSWORD}, latency_ms=300) as sim:
        dlg = ServerDialog(ctx)
        dlg.show()
        fill_server(qtbot, dlg, sim, API_PASSWORD)
        qtbot.mouseClick(dlg.test_button, Qt.MouseButton.LeftButton)
        dlg.done(0)
        dlg.deleteLater()
        qtbot.wait(10)
        qtbot.waitUntil(lambda: ops.in_flight() == 0, timeout=5000)  # the late answer is dropped quietly
