"""Staff in the GUI, driven as people at the counter would: sign in as a cashier and find what a
cashier can't do disabled with a tooltip naming who can; Ctrl+L locks the window and a different
member signs in; the activity names both; the owner account at the first start; the Staff
window; the cash-up closed, printed to PDF; the idle lock."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ispclient.domain.permissions import SYSTEM, Actor
from ispclient.store import access, clients, staff
from ispclient.store import subscriptions as subs
from ispclient.store.models import Payment, Shift
from ispclient.ui import msgbox, ops
from ispclient.ui.client import ClientWindow
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.sign_in_dialog import FirstOwnerDialog, SignInDialog
from ispclient.ui.main_window import MainWindow
from ispclient.ui.session import install_locker, sign_in_at_start
from ispclient.ui.shifts_window import CloseShiftDialog, ShiftsWindow
from ispclient.ui.staff_window import StaffDialog, StaffWindow
from tests.ui.conftest import Factory, settle

PW = "counter-pass-1"
NAMES = {"olive": "Olive Owner", "mary": "Mary Manager", "cate": "Cate Cashier", "vic": "Victor Viewer"}


@pytest.fixture
def team(ctx: AppContext) -> dict[str, Actor]:
    """An owner, a manager, a cashier and a viewer (made as the system, like an earlier session)."""
    with access.acting_as(SYSTEM):
        owner = staff.create_first_owner("olive", NAMES["olive"], PW)
    people = {"olive": owner}
    with access.acting_as(owner):
        for username, role in (("mary", "manager"), ("cate", "cashier"), ("vic", "viewer")):
            people[username] = staff.actor_of(staff.create_staff(
                staff.StaffInput(username, NAMES[username], role, True, PW)))
    return people


@pytest.fixture
def client_id(ctx: AppContext, make: Factory) -> int:
    package = make.package()
    cid = make.client("Amina Wanjiru")
    make.subscription(cid, package, date(2026, 1, 5), paid="1500")
    return cid


@pytest.fixture
def gui_signed_out() -> Iterator[None]:
    """As the app runs: nothing changes data without a sign-in."""
    access.set_process_default(None)
    yield
    access.set_process_default(SYSTEM)


def type_sign_in(qtbot: QtBot, dialog: SignInDialog, username: str, password: str) -> None:
    dialog.username.clear()
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


def sign_in_through_the_dialog(qtbot: QtBot, ctx: AppContext, username: str, password: str = PW) -> Actor:
    dialog = SignInDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    type_sign_in(qtbot, dialog, username, password)
    qtbot.waitUntil(lambda: dialog.actor is not None, timeout=5000)
    assert dialog.actor is not None
    ctx.session.sign_in(dialog.actor)
    return dialog.actor


def open_client(qtbot: QtBot, ctx: AppContext, client_id: int) -> ClientWindow:
    window = ClientWindow(ctx, client_id)
    window.show()
    qtbot.waitUntil(lambda: window.detail is not None, timeout=5000)
    settle(qtbot)
    return window


def test_a_cashier_finds_delete_cancel_and_manage_disabled_with_who_can(
        qtbot: QtBot, ctx: AppContext, team: dict[str, Actor], client_id: int, gui_signed_out: None) -> None:
    actor = sign_in_through_the_dialog(qtbot, ctx, "cate")
    assert (actor.name, actor.role and actor.role.value) == ("Cate Cashier", "cashier")
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    qtbot.waitUntil(lambda: main.list_ready, timeout=5000)
    main.select_client(client_id)
    assert not main.delete_action.isEnabled()
    assert main.delete_action.toolTip() == "Only the owner or a manager can delete clients."
    for action, tip in ((main.staff_action, "Only the owner can manage staff accounts."),
                        (main.servers_action, "Only the owner or a manager can change routers, their passwords "
                                              "and the PPPoE password key."),
                        (main.settings_action, "Only the owner or a manager can change settings.")):
        assert not action.isEnabled() and action.toolTip() == tip
    assert main.new_action.isEnabled() and main.who_label.text() == "Signed in: Cate Cashier (cashier)"

    window = open_client(qtbot, ctx, client_id)
    assert not window.delete_button.isEnabled()
    assert window.delete_button.toolTip() == "Only the owner or a manager can delete clients."
    window.tabs.setCurrentWidget(window.subscriptions)
    window.subscriptions.table.selectRow(0)
    tab = window.subscriptions
    # Cancel is refused to a cashier here; Void and Refund are (tests/ui/test_counter.py).
    assert not tab.cancel_button.isEnabled()
    assert tab.cancel_button.toolTip() == "Only the owner or a manager can cancel subscriptions."
    assert tab.pay_button.isEnabled() and tab.renew_button.isEnabled() and window.edit_button.isEnabled()
    shown: list[str] = []
    msgbox_error = msgbox.error
    try:
        msgbox.error = lambda _p, _t, text: shown.append(text)  # type: ignore[assignment]
        window.delete()  # the Delete key while the button is off says why, and deletes nothing
    finally:
        msgbox.error = msgbox_error  # type: ignore[assignment]
    assert shown == ["Only the owner or a manager can delete clients."]
    assert clients.Client.get_by_id(client_id).deleted_at is None

    # The same member as a manager (changed by the owner): the buttons follow at the next sign-in.
    ctx.session.sign_in(team["mary"])
    assert main.delete_action.isEnabled()
    # A manager may delete, but not this client: the tooltip now gives the business reason.
    assert not window.delete_button.isEnabled() and "is active. Cancel it first" in window.delete_button.toolTip()
    window.subscriptions.table.selectRow(0)
    assert tab.cancel_button.isEnabled()


def test_the_store_refuses_even_when_a_window_would_let_it(
        qtbot: QtBot, ctx: AppContext, team: dict[str, Actor], client_id: int, gui_signed_out: None) -> None:
    """A viewer's op (a button left on by mistake) is refused by the store, with who can."""
    ctx.session.sign_in(team["vic"])
    errors: list[BaseException] = []
    ops.Op(None, lambda: clients.delete_client(client_id)).on_failure(errors.append).run()
    settle(qtbot)
    assert [str(e) for e in errors] == ["Only the owner or a manager can delete clients. You are signed in as "
                                        "Victor Viewer (viewer)."]
    assert ops.describe_error(errors[0])[1].startswith("Only the owner or a manager")


def test_ctrl_l_locks_without_closing_and_another_member_signs_in_and_the_activity_names_both(
        qtbot: QtBot, ctx: AppContext, team: dict[str, Actor], client_id: int, gui_signed_out: None) -> None:
    sign_in_through_the_dialog(qtbot, ctx, "cate")
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.locker = install_locker(ctx, main)
    main.show()
    window = open_client(qtbot, ctx, client_id)

    def edit(name: str) -> None:
        data = clients.ClientInput("C00001", name)
        ops.Op(None, lambda: clients.edit_client(client_id, data)).run()
        settle(qtbot)

    edit("Amina W. Wanjiru")  # by Cate, in the background: the op carries her sign-in

    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # from the client's window too
    locker = main.locker
    assert ctx.session.locked and ctx.session.actor is None
    assert not main.isVisible() and not window.isVisible()  # hidden, not closed
    assert isinstance(locker.dialog, SignInDialog) and locker.dialog.isVisible()
    assert "locked" in locker.dialog.windowTitle().lower()
    refused: list[BaseException] = []
    ops.Op(None, lambda: clients.edit_client(client_id, clients.ClientInput("C00001", "While locked"))) \
        .on_failure(refused.append).run()
    settle(qtbot)
    assert [type(e).__name__ for e in refused] == ["PermissionDenied"]  # nobody may act while locked

    dialog = locker.dialog
    type_sign_in(qtbot, dialog, "mary", "a wrong password")
    qtbot.waitUntil(lambda: dialog.general.isVisible(), timeout=5000)
    assert dialog.general.text() == "Wrong username or password." and ctx.session.locked
    type_sign_in(qtbot, dialog, "mary", PW)
    qtbot.waitUntil(lambda: not ctx.session.locked, timeout=5000)
    assert main.isVisible() and window.isVisible() and window.client_id == client_id  # the same window
    assert ctx.session.actor is not None and ctx.session.actor.name == "Mary Manager"
    assert main.who_label.text() == "Signed in: Mary Manager (manager)"

    edit("Amina Wanjiru")  # by Mary
    qtbot.waitUntil(lambda: any(r.actor == "Mary Manager" for r in window.activity.model._rows), timeout=5000)
    who = [window.activity.model.index(r, 1).data() for r in range(window.activity.model.rowCount())]
    assert who[:2] == ["Mary Manager", "Cate Cashier"]
    where = window.activity.model.index(0, 3).data()
    assert "PC user" in where


def test_closing_the_lock_screen_quits_and_keeps_nothing_half_done(
        qtbot: QtBot, ctx: AppContext, team: dict[str, Actor], gui_signed_out: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    quits: list[bool] = []
    ctx.session.sign_in(team["cate"])
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    main.locker = install_locker(ctx, main)
    main.show()
    main.switch_user()
    assert main.locker.dialog is not None
    main.locker.dialog.reject()
    assert quits == [True] and not main.isVisible()


def test_the_idle_lock(qtbot: QtBot, ctx: AppContext, team: dict[str, Actor], gui_signed_out: None) -> None:
    ctx.session.sign_in(team["cate"])
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    locker = install_locker(ctx, main)
    main.show()
    assert locker.idle is not None and not locker.idle.timer.isActive()  # 0 minutes: never
    locker.idle.set_minutes(1)
    assert locker.idle.timer.interval() == 60_000 and locker.idle.timer.isActive()
    locker.idle.timer.setInterval(50)  # a minute is long for a test
    locker.idle.timer.start()
    qtbot.waitUntil(lambda: ctx.session.locked, timeout=3000)
    assert locker.dialog is not None and "1 minute" in locker.dialog.findChild(QWidget, "signInIntro").text()


def test_the_idle_lock_follows_the_settings_and_ends_with_its_window(
        qtbot: QtBot, ctx: AppContext, team: dict[str, Actor], gui_signed_out: None) -> None:
    from ispclient.store import settings

    ctx.session.sign_in(team["olive"])
    main = MainWindow(ctx)
    locker = install_locker(ctx, main)
    idle = locker.idle
    assert idle is not None
    with access.acting_as(SYSTEM):
        settings.save(replace(settings.load(), idle_lock_minutes=7))
    ctx.store.refresh_now()
    qtbot.waitUntil(lambda: idle.timer.interval() == 7 * 60_000, timeout=3000)
    main.deleteLater()  # the watcher and its timer go with the window; the settings stay
    qtbot.waitUntil(lambda: not shiboken6.isValid(idle), timeout=3000)
    errors: list[BaseException] = []
    old_hook = sys.excepthook
    sys.excepthook = lambda *exc: errors.append(exc[1])
    try:
        with access.acting_as(SYSTEM):
            settings.save(replace(settings.load(), idle_lock_minutes=9))
        ctx.store.refresh_now()
        qtbot.waitUntil(lambda: ctx.settings().idle_lock_minutes == 9, timeout=3000)
        QApplication.processEvents()
    finally:
        sys.excepthook = old_hook
    assert errors == []  # no "Internal C++ object (QTimer) already deleted" from a lambda left connected


def _answer_modal(qtbot: QtBot, answer: Callable[[QWidget], None]) -> None:
    """Fill in the modal dialog a function is about to exec() (it would wait for a person)."""
    def find() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            QTimer.singleShot(20, find)
            return
        answer(modal)

    QTimer.singleShot(0, find)


@pytest.mark.parametrize("upgrade", [False, True], ids=["new-data-folder", "after-the-upgrade"])
def test_the_first_start_asks_for_the_owner_once(qtbot: QtBot, ctx: AppContext, gui_signed_out: None,
                                                  upgrade: bool) -> None:
    if upgrade:
        with access.acting_as(SYSTEM):
            clients.create_client(clients.ClientInput("C1", "From before staff accounts"))
    seen: list[str] = []

    def owner(dialog: QWidget) -> None:
        assert isinstance(dialog, FirstOwnerDialog)
        seen.append(dialog.findChild(QWidget, "firstOwnerIntro").text())
        qtbot.keyClicks(dialog.display_name, "Olive Owner")
        qtbot.keyClicks(dialog.username, "olive")
        qtbot.keyClicks(dialog.password, PW)
        qtbot.keyClicks(dialog.repeat, PW)
        dialog.try_save()

    _answer_modal(qtbot, owner)
    assert sign_in_at_start(ctx)
    assert ctx.session.actor is not None and ctx.session.actor.name == "Olive Owner"
    assert ("keeps the PC user names" in seen[0]) is upgrade

    def sign_in(dialog: QWidget) -> None:  # the next start: the sign-in, with the last username
        assert isinstance(dialog, SignInDialog)
        seen.append(dialog.username.text())
        qtbot.keyClicks(dialog.password, PW)
        dialog.try_save()

    _answer_modal(qtbot, sign_in)
    assert sign_in_at_start(ctx) and seen[1] == "olive"


def test_the_owner_adds_a_cashier_in_the_staff_window(qtbot: QtBot, ctx: AppContext, team: dict[str, Actor],
                                                      gui_signed_out: None) -> None:
    ctx.session.sign_in(team["olive"])
    window = StaffWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=5000)
    assert window.add_button.isEnabled()
    dialog = StaffDialog(ctx, None, window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.display_name, "Carl Cashier")
    qtbot.keyClicks(dialog.username, "carl")
    qtbot.keyClicks(dialog.password, "carl-pass-1")
    qtbot.keyClicks(dialog.repeat, "carl-pass-2")
    assert not dialog.try_save()  # the two passwords differ
    dialog.repeat.clear()
    qtbot.keyClicks(dialog.repeat, "carl-pass-1")
    assert dialog.try_save()
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=5000)
    names = [window.model.index(r, 0).data() for r in range(5)]
    assert "Carl Cashier" in names and names[0] == "Olive Owner"
    assert staff.sign_in("carl", "carl-pass-1").role is not None

    ctx.session.sign_in(team["cate"])  # a cashier looking: nothing to press
    assert not window.add_button.isEnabled()
    assert window.add_button.toolTip() == "Only the owner can manage staff accounts."


def test_a_cashier_closes_the_shift_and_saves_the_cash_up_as_pdf(
        qtbot: QtBot, ctx: AppContext, team: dict[str, Actor], make: Factory, tmp_path: Path,
        gui_signed_out: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with access.acting_as(SYSTEM):
        package = make.package(price="1500")
        cid = make.client("Amina Wanjiru")
    with access.acting_as(team["cate"]):
        sub = subs.create_subscription(cid, package, date(2026, 1, 15), payment=subs.PaymentInput("1500"))
        subs.record_payment(sub.id, subs.PaymentInput("700", "Mobile money", "QK1"))
    ctx.session.sign_in(team["cate"])
    window = ShiftsWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    today = ctx.today()  # the business's day (here 15 Jan 2026), not this PC's clock
    assert window.day.date().toPython() == today != date.today()
    qtbot.waitUntil(lambda: window.report is not None, timeout=5000)
    assert window.report is not None and window.report.shift.is_open
    assert "Cash-up — Cate Cashier" in window.view.toPlainText()
    # Each entry with its receipt and the reference typed with it (matched against the M-Pesa statement).
    assert "R-000002\nQK1\n700.00" in window.view.toPlainText().replace("\t", "\n")
    assert "Money taken (USD)" in window.view.toPlainText()
    assert window.close_button.isEnabled() and not window.open_button.isEnabled()  # her shift is open

    dialog = CloseShiftDialog(window.report, window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.counted, "1,450")
    assert dialog.difference.text() == "Short by USD 50.00"
    assert dialog.try_save()
    qtbot.waitUntil(lambda: Shift.get_by_id(window.report.shift.id).closed_at is not None, timeout=5000)  # type: ignore[union-attr]
    window.reload()
    qtbot.waitUntil(lambda: window.report is not None and not window.report.shift.is_open, timeout=5000)
    text = window.view.toPlainText()
    assert "Short by USD 50.00" in text and "Expected in the drawer" in text
    assert not window.close_button.isEnabled()
    assert window.close_button.toolTip() == "This shift is closed; it can't change."

    target = tmp_path / "cash-up.pdf"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    saved: list[str] = []
    monkeypatch.setattr(msgbox, "info", lambda _p, _t, text: saved.append(text))
    window.save_pdf()
    assert saved and target.read_bytes().startswith(b"%PDF")
    assert Payment.select().where(Payment.shift.is_null()).count() == 0


def test_a_lock_over_an_open_form_keeps_what_was_typed(qtbot: QtBot, ctx: AppContext, team: dict[str, Actor],
                                                       gui_signed_out: None) -> None:
    """The cashier walks away from a half-filled form (the idle lock): it is hidden, not closed,
    and comes back as it was for whoever signs in."""
    from ispclient.ui.dialogs.sign_in_dialog import ChangePasswordDialog

    ctx.session.sign_in(team["cate"])
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.locker = install_locker(ctx, main)
    main.show()
    form = ChangePasswordDialog("cate", main)
    seen: list[object] = []

    def meanwhile() -> None:
        qtbot.keyClicks(form.new, "half-typed")
        assert main.locker is not None
        main.locker.lock("nobody used it for 5 minutes")
        seen.append(form.isVisible())
        lock = main.locker.dialog
        assert isinstance(lock, SignInDialog)
        type_sign_in(qtbot, lock, "cate", PW)
        qtbot.waitUntil(lambda: not ctx.session.locked, timeout=5000)
        seen.extend([form.isVisible(), form.new.text(), main.isVisible()])
        form.done(0)

    QTimer.singleShot(0, meanwhile)
    form.exec()
    assert seen == [False, True, "half-typed", True]
