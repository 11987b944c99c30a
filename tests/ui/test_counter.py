"""The counter as the front desk uses it: find the client, take the money, hand over a receipt;
correct a wrong payment; the receipt on paper (80 mm, A4) and as PDF, read back."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from ispclient.store import money, queries, receipts, settings
from ispclient.store import subscriptions as subs
from ispclient.store.models import Payment, Subscription
from ispclient.ui import receipt_print
from ispclient.ui.client import ClientWindow
from ispclient.ui.client.subscriptions_tab import Column
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs import receipt_dialog
from ispclient.ui.dialogs.cancel_dialog import CancelDialog
from ispclient.ui.dialogs.correction_dialogs import RefundDialog, VoidDialog
from ispclient.ui.dialogs.payment_dialog import PaymentDialog
from ispclient.ui.dialogs.receipt_dialog import ReceiptDialog
from ispclient.ui.dialogs.receipt_settings_dialog import ReceiptSettingsDialog
from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog
from ispclient.ui.main_window import MainWindow
from ispclient.ui.models.payments import VOID_ROLE, PaymentColumn
from tests.ui.conftest import TODAY, Factory, settle
from tests.ui.pictures import logo_png

ISP = dict(isp_name="Skyline Networks Ltd", isp_address="Moi Avenue, 2nd floor\nNairobi",
           isp_phone="+254 712 345 678", isp_tax_number="P051234567X")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where pictures go: $ISPCLIENT_SHOTS to keep and look at them, else the test's tmp dir."""
    folder = Path(os.environ.get("ISPCLIENT_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def counter(ctx: AppContext, make: Factory) -> dict[str, int]:
    settings.save(replace(settings.load(), currency="KES", default_country="KE", **ISP))
    pkg = make.package("Home 10 Mbps", "1500")
    make.package("Home 5 Mbps", "1000")  # cheaper: listed first, never the default for this client
    north = make.server("North tower")
    amina = make.client("Amina Wanjiru", phone="0712 345678", pppoe_username="amina.w", server_id=north)
    jan = make.subscription(amina, pkg, date(2026, 1, 5), paid="1500")
    ctx.store.refresh_now()
    return {"package": pkg, "amina": amina, "jan": jan}


def drive(monkeypatch: pytest.MonkeyPatch, cls: type[QDialog], action: Callable[[Any], object]) -> list[Any]:
    """Replace ``cls.exec``: run ``action(dialog)`` as the user instead of a blocking modal loop."""
    seen: list[Any] = []

    def fake_exec(self: QDialog) -> int:
        seen.append(self)
        action(self)
        deadline = time.monotonic() + 10
        while getattr(self, "saving", False) and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.002)
        return self.result()

    monkeypatch.setattr(cls, "exec", fake_exec)
    return seen


def shown(cls: type[QDialog]) -> Any:
    found = [d for d in QApplication.topLevelWidgets() if isinstance(d, cls) and d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def words(text: str) -> str:
    return " ".join(text.split())


def a_receipt(cid: int, amount: str = "2000", **kw: Any) -> Payment:
    sub = subs.renew_subscription(Subscription.select().where(Subscription.client == cid).first().id)
    return subs.record_payment(sub.id, subs.PaymentInput(amount, **kw), actor="amina")


# -- the walk at the counter --------------------------------------------------------------------

def test_find_by_phone_record_payment_from_the_list_and_preview_the_receipt(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    feb = subs.renew_subscription(counter["jan"])  # unpaid: KES 1,500 owed
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.list_ready)
    qtbot.keyClicks(w.filters.search, "0712 345")
    qtbot.waitUntil(lambda: w.model.rowCount() == 1)

    def as_cashier(dlg: PaymentDialog) -> None:
        dlg.show()
        qtbot.waitExposed(dlg)
        assert dlg.windowTitle() == "Record payment — Amina Wanjiru (C00001)"
        assert dlg.summary.value("owed") == "KES 1,500.00 owed"
        assert dlg.target.currentData() == feb.id  # what is owed, oldest first
        assert dlg.amount.text() == ""  # nothing pre-filled
        qtbot.keyClicks(dlg.amount, "1500")
        qtbot.keyClicks(dlg.money.tendered, "2000")
        assert dlg.money.change.text() == "Change: <b>KES 500.00</b>"
        assert dlg.allocation.text() == "“Home 10 Mbps” is paid in full."
        qtbot.keyClick(dlg.amount, Qt.Key.Key_Return)  # Enter records it

    seen = drive(monkeypatch, PaymentDialog, as_cashier)
    w.filters.search.setFocus()
    qtbot.keyClick(w.filters.search, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Ctrl+P: on the client found
    settle(qtbot)
    assert len(seen) == 1
    pay = Payment.get(Payment.subscription == feb.id)
    assert (pay.amount_minor, pay.tendered_minor, pay.receipt_no) == (150000, 200000, "R-000002")
    receipt = shown(ReceiptDialog)
    qtbot.waitUntil(lambda: receipt.receipt is not None)
    assert receipt.title.text() == "Receipt R-000002"
    assert receipt.text.text() == "KES 1,500.00 received from Amina Wanjiru. Change to give: KES 500.00."
    assert receipt.print_button.isDefault()  # Enter prints
    qtbot.keyClick(receipt, Qt.Key.Key_V)  # one key: the print preview
    preview = receipt.last_preview
    assert preview is not None and preview.isVisible()
    qtbot.waitUntil(lambda: preview.shown_text != "", timeout=5000)
    assert "R-000002" in preview.shown_text and "Amina Wanjiru" in preview.shown_text
    assert "KES 1,500.00" in preview.shown_text and "nothing owed" in preview.shown_text
    preview.close()
    receipt.close()
    assert queries.client_detail(counter["amina"], TODAY).balance_minor == 0


def test_renew_from_the_list_defaults_to_the_clients_package_and_no_money(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.list_ready)
    w.select_client(counter["amina"])

    def look(dlg: SubscriptionDialog) -> None:
        assert dlg.windowTitle().startswith("Renew subscription")
        assert dlg.package.currentData() == counter["package"]  # their own, not the cheapest or the first
        assert [dlg.package.itemText(i)[:12] for i in range(dlg.package.count())] == ["Home 5 Mbps ", "Home 10 Mbps"]
        assert dlg.amount.text() == "" and dlg.payment() is None  # no money pre-filled
        dlg.reject()

    seen = drive(monkeypatch, SubscriptionDialog, look)
    w.table.setFocus()
    qtbot.keyClick(w.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot)
    assert len(seen) == 1
    assert [a.text() for a in w.client_menu.actions() if a.text()][:4] == [
        "&Open client", "Record &payment…", "Re&new…", "&Delete client…"]


def test_a_new_subscription_has_no_package_and_no_money_for_a_new_client(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], make: Factory) -> None:
    newcomer = make.client("Baraka Otieno")
    dlg = SubscriptionDialog(ctx, queries.client_detail(newcomer, TODAY))
    qtbot.addWidget(dlg)
    assert dlg.package.currentIndex() == -1 and dlg.package.placeholderText() == "Choose a package…"
    assert dlg.amount.text() == "" and not dlg.use_credit.isVisibleTo(dlg)
    assert not dlg.save_button.isEnabled()


def test_credit_is_offered_on_the_renewal(qtbot: QtBot, ctx: AppContext, counter: dict[str, int]) -> None:
    subs.record_payment(counter["jan"], subs.PaymentInput("1000"))  # all to credit: January was paid
    detail = queries.client_detail(counter["amina"], TODAY)
    assert detail.credit_minor == 100000
    dlg = SubscriptionDialog(ctx, detail, counter["jan"])
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.use_credit.isChecked() and dlg.use_credit.isVisible()
    assert dlg.due_now.text() == "Price KES 1,500.00. KES 1,000.00 paid from credit. <b>KES 500.00</b> will be due."
    qtbot.keyClicks(dlg.amount, "500")
    assert dlg.due_now.text().endswith("Paid in full.")
    dlg.fields.dirty = False
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.saving, timeout=5000)
    renewal = queries.client_detail(counter["amina"], TODAY).subscription(int(dlg.result_id or 0))
    assert renewal is not None and renewal.paid_minor == 150000
    assert queries.client_detail(counter["amina"], TODAY).credit_minor == 0


def test_a_duplicate_reference_is_said_before_saving(qtbot: QtBot, ctx: AppContext, counter: dict[str, int]) -> None:
    a_receipt(counter["amina"], "1500", method="Mobile money", reference="QK8ABC")
    detail = queries.client_detail(counter["amina"], TODAY)
    dlg = PaymentDialog(ctx, detail)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.keyClicks(dlg.amount, "1500")
    dlg.method.setCurrentText("Mobile money")
    qtbot.keyClicks(dlg.reference, "qk8abc")
    qtbot.waitUntil(lambda: "already on receipt R-000002" in dlg.fields.message("reference"), timeout=3000)
    assert dlg.money.anyway.isVisible() and not dlg.save_button.isEnabled()
    before = Payment.select().count()
    assert not dlg.try_save() and Payment.select().count() == before
    dlg.money.anyway.setChecked(True)
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    dlg.fields.dirty = False
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.saving, timeout=5000)
    assert Payment.select().count() == before + 1


# -- corrections from the client window -----------------------------------------------------------

def open_client(qtbot: QtBot, ctx: AppContext, client_id: int) -> ClientWindow:
    w = ClientWindow(ctx, client_id)
    w.show()
    qtbot.waitUntil(lambda: w.detail is not None)
    return w


def test_void_from_the_payments_tab_changes_balance_and_revenue(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    typo = a_receipt(counter["amina"], "15000", method="Cash")  # meant 1,500
    w = open_client(qtbot, ctx, counter["amina"])
    assert w.overview.balance_value.text() == "KES 13,500.00 in credit"
    assert w.overview.stats.value("total_revenue") == "KES 16,500.00"
    w.tabs.setCurrentWidget(w.payments)
    tab = w.payments
    tab.select(typo.id)

    def as_cashier(dlg: VoidDialog) -> None:
        assert not dlg.save_button.isEnabled()  # a reason first
        qtbot.keyClicks(dlg.reason, "Typed 15,000 instead of 1,500")
        qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, VoidDialog, as_cashier)
    qtbot.mouseClick(tab.void_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert w.overview.balance_value.text() == "KES 1,500.00 owed"
    assert w.overview.stats.value("total_revenue") == "KES 1,500.00"
    row = tab.model.row_of(typo.id)
    assert tab.model.index(row, 0).data(VOID_ROLE) is True
    assert tab.model.index(row, PaymentColumn.NOTE).data() == "VOID: Typed 15,000 instead of 1,500"
    assert tab.model.index(row, PaymentColumn.AMOUNT).data(Qt.ItemDataRole.FontRole).strikeOut()
    tab.select(typo.id)
    assert not tab.void_button.isEnabled() and tab.void_button.toolTip() == "This entry is already void."
    assert row_of_history(w, Column.BALANCE)[0] == "KES 1,500.00 unpaid"


def row_of_history(w: ClientWindow, col: Column) -> list[str]:
    m = w.subscriptions.model
    return [str(m.index(r, col).data()) for r in range(m.rowCount())]


def test_refund_credit_refuses_more_than_there_is(qtbot: QtBot, ctx: AppContext, counter: dict[str, int]) -> None:
    subs.record_payment(counter["jan"], subs.PaymentInput("800"))  # to credit
    dlg = RefundDialog(ctx, queries.client_detail(counter["amina"], TODAY))
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.keyClicks(dlg.amount, "900")
    qtbot.waitUntil(lambda: dlg.fields.message("amount") != "", timeout=2000)
    assert dlg.fields.message("amount") == ("That is more than the client's credit holds: at most KES 800.00 can "
                                            "be refunded.")
    assert not dlg.save_button.isEnabled()
    dlg.amount.clear()
    qtbot.keyClicks(dlg.amount, "800")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    dlg.fields.dirty = False
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.saving, timeout=5000)
    assert queries.client_detail(counter["amina"], TODAY).credit_minor == 0
    assert Payment.get_by_id(dlg.result_id).amount_minor == -80000


def test_cancel_gives_money_back_and_keeps_the_rest_as_credit(qtbot: QtBot, ctx: AppContext,
                                                              counter: dict[str, int]) -> None:
    feb = subs.renew_subscription(counter["jan"], payment=subs.PaymentInput("1500"))
    dlg = CancelDialog(ctx, queries.client_detail(counter["amina"], TODAY), feb.id)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.to_credit.isChecked() and not dlg.refund_amount.isVisible()
    dlg.refund.setChecked(True)
    assert dlg.refund_amount.isVisible() and dlg.refund_amount.text() == ""
    qtbot.keyClicks(dlg.refund_amount, "1000")
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
    dlg.fields.dirty = False
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.saving, timeout=5000)
    d = queries.client_detail(counter["amina"], TODAY)
    assert d.subscription(feb.id).is_cancelled  # type: ignore[union-attr]
    assert (d.credit_minor, d.balance_minor) == (50000, -50000)


# -- receipts on paper and as PDF ----------------------------------------------------------------

def test_receipt_pdf_holds_number_client_amount_method_and_balance(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, shots: Path) -> None:
    pay = a_receipt(counter["amina"], "2000", method="Mobile money", reference="QK8ABC12XY")
    dialog = ReceiptDialog.ask(None, ctx, pay.id)
    qtbot.waitUntil(lambda: dialog.receipt is not None)
    target = shots / "receipt-R-000002-80mm.pdf"
    asked: list[Path] = []
    monkeypatch.setattr(receipt_dialog, "ask_save_path", lambda _p, suggested: asked.append(suggested) or target)
    qtbot.keyClick(dialog, Qt.Key.Key_S)  # one key: Save PDF
    assert asked[0].name == "Receipt R-000002 Amina Wanjiru.pdf"
    assert dialog.status.text() == f"Saved to {target}"
    text = words(" ".join(page.extract_text() for page in pypdf.PdfReader(target).pages))
    assert len(pypdf.PdfReader(target).pages) == 1
    for expected in ("Skyline Networks Ltd", "P051234567X", "RECEIPT", "R-000002", "Amina Wanjiru", "C00001",
                     "amina.w", "Home 10 Mbps", "Amount received KES 2,000.00", "for the subscription KES 1,500.00",
                     "kept as credit KES 500.00", "Method Mobile money", "Reference QK8ABC12XY",
                     "Balance after this KES 500.00 in credit", "Served by amina"):
        assert expected in text, (expected, text)

    money.void(pay.id, "Wrong client")
    void_pdf = shots / "receipt-R-000002-void.pdf"
    receipt_print.save_pdf(receipts.receipt(pay.id), receipt_print.layout_of("a4"), void_pdf)
    text = words(pypdf.PdfReader(void_pdf).pages[0].extract_text())
    assert "VOID" in text and "Wrong client" in text and "R-000003" in text
    # The balance it printed was the client's then; a reprint doesn't pass it off as today's.
    assert "Balance when taken KES 500.00 in credit" in text and "Balance after this" not in text
    dialog.close()


def ink_box(image: QImage) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of everything not white on the page."""
    white = QColor("white").rgb()
    rows = [y for y in range(image.height()) if any(image.pixel(x, y) != white for x in range(0, image.width(), 2))]
    cols = [x for x in range(image.width()) if any(image.pixel(x, y) != white for y in range(0, image.height(), 2))]
    return cols[0], rows[0], cols[-1], rows[-1]


@pytest.mark.parametrize(("layout", "dpi"), [("80mm", 203), ("58mm", 203), ("a4", 100), ("a5", 100)])
def test_receipt_layouts_render_without_clipping(qtbot: QtBot, ctx: AppContext, counter: dict[str, int],
                                                 shots: Path, layout: str, dpi: int) -> None:
    receipts.set_logo(logo_png())
    pay = a_receipt(counter["amina"], "2000", method="Cash", tendered="2500", note="Paid at the Kasarani office")
    r = receipts.receipt(pay.id)
    paper = receipt_print.layout_of(layout)
    image = receipt_print.render_image(r, paper, dpi)
    path = shots / f"receipt-{layout}.png"
    assert image.save(str(path))
    margin = paper.margin_mm / 25.4 * dpi
    left, top, right, bottom = ink_box(image)
    # Everything printed lies inside the margins: no line cut at an edge, nothing below the paper's end.
    assert left >= margin - 2 and top >= margin - 2
    assert right <= image.width() - margin + 2 and bottom <= image.height() - margin + 2
    if paper.roll:  # a roll is as long as the receipt, not a sheet with a tail of paper
        assert image.height() - bottom < 20 / 25.4 * dpi
    text = words(receipt_print.text_of(r, paper))
    assert "Cash tendered KES 2,500.00" in text and "Change KES 500.00" in text
    assert "Paid at the Kasarani office" in text and "Thank you for your payment." in text


# -- settings ---------------------------------------------------------------------------------

def test_receipt_settings_save_the_business_details_and_logo(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    from ispclient.ui.dialogs import receipt_settings_dialog

    logo_file = tmp_path / "logo.png"
    logo_file.write_bytes(logo_png(width=1200))
    monkeypatch.setattr(receipt_settings_dialog, "ask_logo_file", lambda _p: logo_file)
    dlg = ReceiptSettingsDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.next_number.text() == "R-000002")
    assert dlg.isp_name.text() == "Skyline Networks Ltd"
    dlg.prefix.setText("2026/")
    assert dlg.next_number.text() == "2026/000002"
    dlg.prefix.setText("R2")
    qtbot.waitUntil(lambda: "not ending in a digit" in dlg.fields.message("receipt_prefix"), timeout=2000)
    dlg.prefix.setText("SK-")
    dlg.layout_box.setCurrentIndex(dlg.layout_box.findData("a5"))
    next(b for b in dlg.findChildren(type(dlg.remove_logo)) if b.text() == "C&hoose…").click()
    dlg.fields.dirty = False
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.saving, timeout=5000)
    s = settings.load()
    assert (s.receipt_prefix, s.receipt_layout, s.isp_tax_number, s.currency) == ("SK-", "a5", "P051234567X", "KES")
    logo = receipts.logo()
    assert logo is not None and QImage.fromData(logo).width() == 600  # scaled down for the receipt
    assert a_receipt(counter["amina"]).receipt_no == "SK-000002"


# -- looks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_counter_renders_without_clipping(qtbot: QtBot, ctx: AppContext, counter: dict[str, int],
                                              shots: Path, scheme: str) -> None:
    from tests.ui.test_client_window import clipped, dark_palette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if scheme == "dark":
        app.setPalette(dark_palette())
    try:
        typo = a_receipt(counter["amina"], "15000", method="Mobile money", reference="QK8ABC")
        subs.renew_subscription(typo.subscription_id)  # unpaid: owed and in credit, both shown
        detail = queries.client_detail(counter["amina"], TODAY)

        def shoot(widget: Any, name: str) -> None:
            qtbot.addWidget(widget, before_close_func=lambda d: setattr(getattr(d, "fields", d), "dirty", False))
            widget.show()
            qtbot.waitExposed(widget)
            settle(qtbot)
            QApplication.processEvents()
            assert widget.grab().save(str(shots / f"counter-{name}-{scheme}.png"))
            assert clipped(widget) == [], name

        pay = PaymentDialog(ctx, detail)
        pay.method.setCurrentText("Cash")
        qtbot.keyClicks(pay.amount, "2000")
        qtbot.keyClicks(pay.money.tendered, "2500")
        shoot(pay, "payment")
        shoot(SubscriptionDialog(ctx, detail, detail.headline().id if detail.headline() else None), "renewal")
        shoot(CancelDialog(ctx, detail, typo.subscription_id), "cancel")
        shoot(VoidDialog(ctx, detail, detail.payment(typo.id)), "void")  # type: ignore[arg-type]
        shoot(RefundDialog(ctx, detail), "refund")
        shoot(ReceiptSettingsDialog(ctx), "receipt-settings")
        shoot(ReceiptDialog(ctx, typo.id, True), "receipt")
        w = open_client(qtbot, ctx, counter["amina"])
        w.resize(1040, 680)
        settle(qtbot)
        assert w.grab().save(str(shots / f"counter-overview-{scheme}.png"))
        assert clipped(w.overview) == []
        w.tabs.setCurrentWidget(w.payments)
        assert w.grab().save(str(shots / f"counter-payments-{scheme}.png"))
        w.tabs.setCurrentWidget(w.subscriptions)
        assert w.grab().save(str(shots / f"counter-history-{scheme}.png"))
        w.close()
    finally:
        app.setPalette(old)


def test_a_cashier_takes_money_but_cannot_void_or_refund(qtbot: QtBot, ctx: AppContext,
                                                         counter: dict[str, int]) -> None:
    from ispclient.domain.permissions import SYSTEM, PermissionDenied
    from ispclient.store import access, staff

    with access.acting_as(SYSTEM):
        owner = staff.create_first_owner("olive", "Olive Owner", "counter-pass-7")
    with access.acting_as(owner):
        cate = staff.actor_of(staff.create_staff(staff.StaffInput("cate", "Cate Cashier", "cashier", True,
                                                                  "counter-pass-7")))
    subs.record_payment(counter["jan"], subs.PaymentInput("500"))  # credit to refund
    ctx.session.sign_in(cate)
    w = open_client(qtbot, ctx, counter["amina"])
    w.tabs.setCurrentWidget(w.payments)
    tab = w.payments
    only = "Only the owner or a manager can void payments and give refunds."
    assert tab.record_button.isEnabled() and w.overview.pay_button.isEnabled()
    assert not tab.void_button.isEnabled() and tab.void_button.toolTip() == only
    assert not tab.refund_button.isEnabled() and tab.refund_button.toolTip() == only
    with access.acting_as(cate), pytest.raises(PermissionDenied, match="Only the owner or a manager can void"):
        money.void(Payment.get(Payment.subscription == counter["jan"]).id, "typo")
    ctx.session.sign_in(owner)
    qtbot.waitUntil(tab.void_button.isEnabled, timeout=2000)
    assert tab.refund_button.isEnabled()
    w.close()


# -- the list: context menu, Balance column, the owing count ------------------------------------

def test_record_payment_from_the_lists_context_menu_and_a_void_moves_the_balance_column(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ui.conftest import changed_elsewhere

    feb = subs.renew_subscription(counter["jan"])  # unpaid: KES 1,500 owed
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.list_ready)
    from ispclient.ui.models.client_list import Column as ListColumn

    def balance_cell() -> str:
        return str(w.model.data(w.model.index(w.model.row_of_client(counter["amina"]) or 0, ListColumn.BALANCE)) or "")

    assert balance_cell() == "KES 1,500.00" and w.owing_label.text() == "1 owes money"

    def as_cashier(dlg: PaymentDialog) -> None:
        dlg.show()
        qtbot.waitExposed(dlg)
        assert dlg.amount.text() == "" and dlg.target.currentData() == feb.id
        qtbot.keyClicks(dlg.amount, "2000")  # 1,500 for February, 500 kept as credit
        qtbot.waitUntil(dlg.save_button.isEnabled, timeout=3000)
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)  # (Enter: the walk above)

    seen = drive(monkeypatch, PaymentDialog, as_cashier)
    row = w.model.row_of_client(counter["amina"]) or 0
    w.table.customContextMenuRequested.emit(w.table.visualRect(w.model.index(row, 0)).center())
    menu = w.context_menu
    assert [a.text() for a in menu.actions() if a.text()] == [
        "&Open client", "Record &payment…", "Re&new…", "&Delete client…"]
    chosen = next(a for a in menu.actions() if a.text() == "Record &payment…")
    menu.hide()  # as a click on the entry does, before the action runs
    chosen.trigger()
    settle(qtbot)
    assert len(seen) == 1
    pay = Payment.get(Payment.subscription == feb.id)
    assert (pay.amount_minor, pay.credit_minor, pay.receipt_no) == (200000, 50000, "R-000002")
    shown(ReceiptDialog).close()
    qtbot.waitUntil(lambda: balance_cell() == "KES -500.00", timeout=3000)  # paid ahead: 500 in credit
    assert w.owing_label.text() == "0 owe money"

    money.void(pay.id, "Counted twice", actor="amina")  # at the manager's PC
    changed_elsewhere(ctx, clients=[counter["amina"]], payments=True)
    qtbot.waitUntil(lambda: balance_cell() == "KES 1,500.00", timeout=3000)
    assert w.owing_label.text() == "1 owes money"
    w.filters.owes.setChecked(True)
    assert w.model.rowCount() == 1 and w.model.client_id(0) == counter["amina"]


def test_reprint_a_void_receipt_from_the_payment_history_through_the_print_dialog(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], monkeypatch: pytest.MonkeyPatch,
        shots: Path) -> None:
    """Payments tab → Receipt… on a voided entry → P (the Qt print dialog, patched to print to a
    PDF file as a user choosing "Print to file" would): the paper says VOID and why."""
    from PySide6.QtPrintSupport import QPrinter

    typo = a_receipt(counter["amina"], "15000", method="Cash")
    money.void(typo.id, "Typed 15,000 instead of 1,500", actor="amina")
    target = shots / "receipt-void-printed.pdf"
    target.unlink(missing_ok=True)
    asked: list[QPrinter] = []

    def to_file(_parent: object, printer: QPrinter) -> bool:
        asked.append(printer)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        return True

    monkeypatch.setattr(receipt_print, "ask_printer", to_file)
    w = open_client(qtbot, ctx, counter["amina"])
    w.tabs.setCurrentWidget(w.payments)
    w.payments.select(typo.id)
    assert w.payments.receipt_button.isEnabled()
    qtbot.mouseClick(w.payments.receipt_button, Qt.MouseButton.LeftButton)
    dialog = shown(ReceiptDialog)
    qtbot.waitUntil(lambda: dialog.receipt is not None)
    assert dialog.title.text() == "Receipt R-000002 — VOID"
    assert dialog.text.text().startswith("VOID (Typed 15,000 instead of 1,500)")
    qtbot.keyClick(dialog, Qt.Key.Key_P)
    assert len(asked) == 1 and asked[0].docName() == "Receipt R-000002"
    assert dialog.status.text() == "Receipt R-000002 sent to the printer."
    text = words(" ".join(p.extract_text() for p in pypdf.PdfReader(target).pages))
    for expected in ("VOID", "Typed 15,000 instead of 1,500", "R-000002", "R-000003", "Amina Wanjiru",
                     "KES 15,000.00"):
        assert expected in text, (expected, text)
    dialog.close()
    w.close()


# -- one set of rules ------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "allowed"), [
    ("scheduled", {"pay": True, "renew": True, "cancel": True}),
    ("active", {"pay": True, "renew": True, "cancel": True}),
    ("expired", {"pay": True, "renew": True, "cancel": False}),
    ("cancelled", {"pay": False, "renew": False, "cancel": False}),
])
def test_the_screens_grey_out_exactly_what_the_services_refuse(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], make: Factory, state: str,
        allowed: dict[str, bool]) -> None:
    """domain/actions.py decides; the subscription history's buttons and the services both ask it."""
    from ispclient.domain import actions
    from ispclient.domain.errors import ValidationError

    start = {"scheduled": date(2026, 2, 1), "active": date(2026, 1, 10), "expired": date(2025, 10, 1),
             "cancelled": date(2026, 1, 10)}[state]
    cid = make.client("Baraka Otieno")
    sid = make.subscription(cid, counter["package"], start)
    if state == "cancelled":
        subs.cancel_subscription(sid, "Moving", actor="amina")
    w = open_client(qtbot, ctx, cid)
    tab = w.subscriptions
    w.tabs.setCurrentWidget(tab)
    tab.select(sid)
    view = queries.client_detail(cid, TODAY).subscription(sid)
    assert view is not None
    status = view.status(TODAY, ctx.settings().expiring_days)
    assert status.value.casefold() == state
    rules = {"pay": actions.payment_blocker(status), "renew": actions.renew_blocker(status, True),
             "cancel": actions.cancel_blocker(status)}
    assert {name: why is None for name, why in rules.items()} == allowed
    for name, button in (("pay", tab.pay_button), ("renew", tab.renew_button), ("cancel", tab.cancel_button)):
        assert button.isEnabled() == allowed[name], name
        if not allowed[name]:
            assert button.toolTip() == rules[name], name
    w.close()

    calls: dict[str, Callable[[], object]] = {
        "pay": lambda: subs.record_payment(sid, subs.PaymentInput("100")),
        "renew": lambda: subs.renew_subscription(sid),
        "cancel": lambda: subs.cancel_subscription(sid, "again"),
    }
    for name in ("pay", "renew", "cancel"):  # cancel last: what is allowed is done
        if allowed[name]:
            calls[name]()
            continue
        before = (Payment.select().count(), Subscription.select().count())
        with pytest.raises(ValidationError) as refused:
            calls[name]()
        assert (Payment.select().count(), Subscription.select().count()) == before
        message = refused.value.errors["__all__"]
        # The service's words: the rule's own, or with who and when for a cancelled subscription.
        if state == "cancelled" and name != "renew":
            assert message.startswith("This subscription " + ("was" if name == "pay" else "is already")
                                      + " cancelled (by amina"), message
        else:
            assert message == rules[name]


def test_record_payment_and_renew_from_the_overview_and_the_history(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the money is taken: the Overview's buttons beside the balance and the subscription
    history's, each opening the counter's dialog on this client with no money typed in."""
    feb = subs.renew_subscription(counter["jan"])  # unpaid
    w = open_client(qtbot, ctx, counter["amina"])
    assert w.overview.balance_value.text() == "KES 1,500.00 owed"
    opened: list[tuple[str, int | None]] = []

    def payment(dlg: PaymentDialog) -> None:
        assert dlg.amount.text() == ""
        opened.append(("pay", dlg.target.currentData()))
        dlg.reject()

    def renewal(dlg: SubscriptionDialog) -> None:
        assert dlg.amount.text() == "" and dlg.payment() is None
        assert dlg.package.currentData() == counter["package"]
        opened.append((dlg.windowTitle().split(" — ")[0], dlg.package.currentData()))
        dlg.reject()

    drive(monkeypatch, PaymentDialog, payment)
    drive(monkeypatch, SubscriptionDialog, renewal)
    qtbot.mouseClick(w.overview.pay_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(w.overview.renew_button, Qt.MouseButton.LeftButton)
    w.tabs.setCurrentWidget(w.subscriptions)
    w.subscriptions.select(feb.id)
    qtbot.mouseClick(w.subscriptions.pay_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(w.subscriptions.renew_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert opened == [("pay", feb.id), ("Renew subscription", counter["package"]),
                      ("pay", feb.id), ("Renew subscription", counter["package"])]
    # The history: due / paid / balance on each row (February first: the newest at the top).
    rows = [row_of_history(w, col) for col in (Column.START, Column.DUE, Column.PAID, Column.BALANCE)]
    assert list(zip(*rows, strict=True)) == [
        ("04 Feb 2026", "KES 1,500.00", "KES 0.00", "KES 1,500.00 unpaid"),
        ("05 Jan 2026", "KES 1,500.00", "KES 1,500.00", "Paid")]
    assert Payment.select().count() == 1  # only January's: nothing recorded by opening and closing
    w.close()


def test_money_beyond_one_subscription_says_it_pays_the_others_too(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], shots: Path) -> None:
    """Money beyond the chosen subscription's due pays the client's other owed subscriptions
    (oldest first) before any of it becomes credit: the dialog says so before saving."""
    feb = subs.renew_subscription(counter["jan"])
    subs.renew_subscription(feb.id)  # February and March unpaid: KES 3,000 owed
    dlg = PaymentDialog(ctx, queries.client_detail(counter["amina"], TODAY))
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.target.currentData() == feb.id
    assert dlg.amount.text() == ""  # nothing pre-filled
    qtbot.keyClicks(dlg.amount, "3000")
    text = dlg.allocation.text()
    assert ("<b>KES 1,500.00</b> beyond what is due also pays the other owed subscription (from 06 Mar 2026) "
            "in full.") in text
    assert "credit" not in text and "still owed" not in text
    from tests.ui.test_client_window import clipped

    dlg.fields.dirty = False  # closed at the end without the "discard changes?" question

    QApplication.processEvents()
    qtbot.wait(1)  # the dialog grows on the next turn of the event loop
    assert dlg.grab().save(str(shots / "counter-payment-pays-the-others.png"))
    assert clipped(dlg) == []
    dlg.amount.clear()
    qtbot.keyClicks(dlg.amount, "2000")  # 500 toward March
    assert ("<b>KES 500.00</b> beyond what is due also pays toward the other owed subscription (from 06 Mar 2026), "
            "oldest first; KES 1,000.00 will still be owed.") in dlg.allocation.text()
    dlg.amount.clear()
    qtbot.keyClicks(dlg.amount, "3100")  # everything, and 100 more
    assert dlg.allocation.text().endswith(
        "in full. <b>KES 100.00</b> beyond what is owed goes to the client's credit.")
    dlg.amount.clear()
    qtbot.keyClicks(dlg.amount, "1500")  # exactly what February needs: nothing more to say
    assert dlg.allocation.text() == "“Home 10 Mbps” is paid in full."
    dlg.fields.dirty = False


def test_a_renewal_paid_beyond_its_price_says_it_pays_what_is_owed(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int]) -> None:
    subs.renew_subscription(counter["jan"])  # February unpaid: KES 1,500 owed
    dlg = SubscriptionDialog(ctx, queries.client_detail(counter["amina"], TODAY), renew_from=counter["jan"])
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.amount.text() == ""  # no money pre-filled
    qtbot.keyClicks(dlg.amount, "3500")  # March 1,500, February's 1,500, 500 over
    assert dlg.due_now.text() == ("Price KES 1,500.00. Paid in full. <b>KES 1,500.00</b> beyond the price pays 1 owed "
                                  "subscription (from 04 Feb 2026). <b>KES 500.00</b> left over goes to the client's "
                                  "credit.")
    dlg.fields.dirty = False


def test_clearing_the_balance_from_the_overview_pays_every_owed_subscription(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], make: Factory,
        monkeypatch: pytest.MonkeyPatch, shots: Path) -> None:
    """Issue 13's counter: KES 10,500 owed over three subscriptions (an old one part-paid, the
    current one unpaid); the cashier takes 10,500 on the current one "to clear the balance"."""
    from tests.ui.test_client_window import open_window, receipt_shown

    home20, home10 = make.package("Home 20 Mbps", "4500"), make.package("Home 10 Plus", "3500")
    baraka = make.client("Baraka Otieno")
    make.subscription(baraka, home20, date(2025, 11, 16), paid="1000")
    make.subscription(baraka, home10, date(2025, 12, 16))
    current = make.subscription(baraka, home10, date(2026, 1, 15))
    ctx.store.refresh_now()
    w = open_window(qtbot, ctx, baraka)
    assert w.overview.balance_value.text() == "KES 10,500.00 owed"
    assert w.overview.subscription.value("payment") == "Unpaid — KES 3,500.00 due"

    def clear_the_balance(dlg: PaymentDialog) -> None:
        assert dlg.amount.text() == ""  # no money pre-filled
        dlg.target.setCurrentIndex(dlg.target.findData(current))
        qtbot.keyClicks(dlg.amount, "10500")
        assert ("<b>KES 7,000.00</b> beyond what is due also pays the 2 other owed subscriptions "
                "(from 16 Nov 2025) in full.") in dlg.allocation.text()
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, PaymentDialog, clear_the_balance)
    qtbot.mouseClick(w.overview.pay_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    receipt = receipt_shown()
    assert receipt.text.text() == ("KES 10,500.00 received from Baraka Otieno. It also paid 2 other owed "
                                   "subscriptions.")
    html = words(receipt_print.receipt_html(receipt.receipt, receipt_print.layout_of("80mm")))  # type: ignore[arg-type]
    text = words(re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\u2060", ""))
    for expected in ("Amount received KES 10,500.00", "for Home 10 Plus 15 Jan – 14 Feb KES 3,500.00",
                     "for earlier subscriptions", "Home 20 Mbps 16 Nov – 16 Dec KES 3,500.00",
                     "Home 10 Plus 16 Dec – 15 Jan KES 3,500.00", "KES 0.00 — nothing owed"):
        assert expected in text, (expected, text)
    assert "kept as credit" not in text
    for key in ("80mm", "58mm"):  # to look at: the split's labels wrap, indented, on a narrow roll
        image = receipt_print.render_image(receipt.receipt, receipt_print.layout_of(key))  # type: ignore[arg-type]
        assert image.save(str(shots / f"receipt-split-{key}.png"))
    receipt.close()
    settle(qtbot)
    # The Overview's current subscription is paid, the balance nothing owed, the history all Paid.
    assert w.overview.subscription.value("payment") == "Paid in full (KES 3,500.00)"
    assert "Unpaid" not in w.overview.subscription.value("payment")
    assert w.overview.balance_value.text() == "Nothing owed"
    assert row_of_history(w, Column.BALANCE) == ["Paid", "Paid", "Paid"]
    d = queries.client_detail(baraka, TODAY)
    assert (d.balance_minor, d.credit_minor) == (0, 0)
    assert Payment.select().where(Payment.kind == "payment", Payment.client == baraka).count() == 2
    # The payments tab says where the money went: the payment, and each transfer under its receipt.
    pay = Payment.get(Payment.client == baraka, Payment.amount_minor == 1_050_000)
    tab = w.payments
    w.tabs.setCurrentWidget(tab)  # filled when shown
    whats = {tab.model.index(r, PaymentColumn.RECEIPT).data(): tab.model.index(r, PaymentColumn.WHAT).data()
             for r in range(tab.model.rowCount())}
    assert whats[pay.receipt_no].endswith("; KES 7,000.00 paid on 2 other subscriptions")
    assert "to credit" not in whats[pay.receipt_no]
    parts = [r for r, text in whats.items() if text.endswith(f"from receipt {pay.receipt_no}")]
    assert sorted(whats[r] for r in parts) == [
        f"Paid on “Home 10 Plus” (16 Dec 2025) from receipt {pay.receipt_no}",
        f"Paid on “Home 20 Mbps” (16 Nov 2025) from receipt {pay.receipt_no}"]

    # A void of it (from the payments tab) undoes the whole split, and says so before.
    tab.select(pay.id)
    warned: list[str] = []

    def void_it(dlg: VoidDialog) -> None:
        warned.append(dlg.warning.body.text())
        qtbot.keyClicks(dlg.reason, "Recorded on the wrong client")
        qtbot.waitUntil(dlg.save_button.isEnabled, timeout=2000)
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, VoidDialog, void_it)
    qtbot.mouseClick(tab.void_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert f"The KES 7,000.00 of it that paid 2 other subscriptions (receipts {', '.join(sorted(parts))}) is " \
           "undone with it: they will be owed again." in warned[0]
    assert w.overview.balance_value.text() == "KES 10,500.00 owed"
    assert w.overview.subscription.value("payment") == "Unpaid — KES 3,500.00 due"
    assert queries.client_detail(baraka, TODAY).balance_minor == 1_050_000


def test_a_new_subscription_defaults_to_the_clients_current_or_last_package(
        qtbot: QtBot, ctx: AppContext, counter: dict[str, int], make: Factory) -> None:
    home5 = next(p.id for p in ctx.catalog().on_sale() if p.name == "Home 5 Mbps")
    baraka = make.client("Baraka Otieno")
    gone = make.subscription(baraka, home5, date(2026, 1, 10), paid="1000")
    subs.cancel_subscription(gone, "Moving house")  # his last package, though cancelled
    for client, package in ((counter["amina"], counter["package"]), (baraka, home5)):
        dlg = SubscriptionDialog(ctx, queries.client_detail(client, TODAY))  # Create Subscription, not Renew
        qtbot.addWidget(dlg)
        assert not dlg.windowTitle().startswith("Renew")
        assert dlg.package.currentData() == package
        assert dlg.amount.text() == ""  # no money pre-filled
        if client == baraka:  # the cancelled subscription's 1,000 went to credit: offered on the new sale
            dlg.show()
            assert dlg.use_credit.isVisible() and dlg.use_credit.isChecked()
            payment = dlg.payment()
            assert payment is not None and payment.use_credit and payment.amount == ""
            assert "KES 1,000.00 paid from credit" in dlg.due_now.text()
        else:
            assert dlg.payment() is None
