"""File ▸ Import clients… and the exports, driven as a front-desk user drives them."""

from __future__ import annotations

import csv
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from ispclient.dataio.mapping import Field
from ispclient.domain.money import format_money
from ispclient.store import queries
from ispclient.store import settings as store_settings
from ispclient.store.changes import Changes
from ispclient.ui import export_dialogs, import_wizard
from ispclient.ui.context import AppContext
from ispclient.ui.import_wizard import ImportWizard
from ispclient.ui.main_window import MainWindow
from ispclient.ui.models import Column
from ispclient.ui.models.client_list import format_date
from tests.ui.conftest import Factory, settle

HEADER = ["Full name", "Mobile", "Username", "Password", "Router", "Plan", "Expires on"]


@pytest.fixture
def shop(ctx: AppContext, make: Factory) -> Factory:
    store_settings.save(replace(store_settings.load(), currency="KES", default_country="KE"))
    make.server("Main router")
    make.package("Home 10")
    ctx.store.refresh_now()
    return make


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _rows(n: int) -> list[list[str]]:
    return [[f"Client {i}", f"+2547{12000000 + i:08d}", f"user{i}", f"pw{i}pw{i}", "Main router", "Home 10",
             "2026-02-01"] for i in range(n)]


def _wizard(qtbot: QtBot, ctx: AppContext, path: Path) -> ImportWizard:
    wizard = ImportWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.path_edit.setText(str(path))
    wizard.next_button.click()  # read the file
    settle(qtbot)
    return wizard


def test_the_wizard_from_file_to_imported_clients(qtbot: QtBot, ctx: AppContext, shop: Factory, tmp_path: Path,
                                                  qtmodeltester: Any) -> None:
    path = _csv(tmp_path / "clients.csv", [HEADER, *_rows(30), ["", "", "user1", "", "", "", ""],
                                           ["=1+1", "", "", "", "", "", ""]])
    wizard = _wizard(qtbot, ctx, path)
    assert wizard.pages.currentIndex() == 1
    assert "comma-separated" in wizard.file_note.text()
    assert wizard.column_box(0).currentData() == Field.NAME.value
    assert wizard.column_box(6).currentData() == Field.ENDS_ON.value
    assert wizard.sample_table.item(1, 3).text() == "••••••"  # passwords never shown
    wizard.next_button.click()  # check the rows
    settle(qtbot)
    assert wizard.pages.currentIndex() == 2
    assert wizard.summary_label.text().startswith("30 new, 0 updates, 2 errors")
    model = wizard.preview_model
    qtmodeltester.check(model)
    assert model.rowCount() == 32
    wizard.filter_box.setCurrentIndex(4)  # errors only
    assert model.rowCount() == 2
    assert "Enter the client's name." in model.data(model.index(0, 2))
    assert wizard.next_button.text() == "&Import 30 rows"
    changed: list[Changes] = []
    ctx.events.changed.connect(changed.append)
    wizard.next_button.click()
    settle(qtbot, 20_000)
    assert wizard.pages.currentIndex() == 3
    assert wizard.outcome is not None and wizard.outcome.created == 30
    assert "30 clients added" in wizard.status.text() and "not-imported" in wizard.status.text()
    assert wizard.bar.value() == wizard.bar.maximum()
    assert any(len(c.clients) == 30 and c.subscriptions for c in changed)  # the windows hear of it
    assert len(queries.client_rows(ctx.today(), 7)) == 30
    assert wizard.next_button.text() == "&Close"


def test_the_mapping_can_be_changed_and_is_remembered(qtbot: QtBot, ctx: AppContext, shop: Factory,
                                                      tmp_path: Path) -> None:
    path = _csv(tmp_path / "x.csv", [["Jina", "Simu"], ["Amina", "+254712000001"]])
    wizard = _wizard(qtbot, ctx, path)
    assert wizard.mapping.columns == {}
    box: QComboBox = wizard.column_box(0)
    box.setCurrentIndex(box.findData(Field.NAME.value))
    wizard.column_box(1).setCurrentIndex(wizard.column_box(1).findData(Field.NAME.value))
    assert wizard.mapping.columns == {1: Field.NAME} and wizard.column_box(0).currentData() is None
    wizard.column_box(0).setCurrentIndex(wizard.column_box(0).findData(Field.NAME.value))
    wizard.column_box(1).setCurrentIndex(wizard.column_box(1).findData(Field.PHONE.value))
    wizard.next_button.click()
    settle(qtbot)
    wizard.next_button.click()
    settle(qtbot)
    assert wizard.outcome is not None and wizard.outcome.created == 1
    again = _wizard(qtbot, ctx, path)
    assert again.mapping.columns == {0: Field.NAME, 1: Field.PHONE}
    assert "last time" in again.mapping_note.text()


def test_an_unreadable_file_is_said_beside_the_file(qtbot: QtBot, ctx: AppContext, shop: Factory,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 500)
    wizard = _wizard(qtbot, ctx, path)
    assert wizard.pages.currentIndex() == 0
    assert "not a spreadsheet or a text file" in wizard.file_note.text()


def test_new_packages_are_offered_and_created(qtbot: QtBot, ctx: AppContext, shop: Factory, tmp_path: Path) -> None:
    path = _csv(tmp_path / "p.csv", [["Name", "Plan", "Expiry", "Price"], ["A", "Gold 50", "2026-02-01", "5000"],
                                     ["B", "Home 10", "2026-02-01", ""]])
    wizard = _wizard(qtbot, ctx, path)
    wizard.next_button.click()
    settle(qtbot)
    assert wizard.packages_table.rowCount() == 1 and wizard.packages_table.item(0, 1).text() == "Gold 50"
    assert wizard.packages_table.item(0, 2).text() == "5,000.00"
    wizard.packages_table.item(0, 2).setText("4,500")
    assert wizard.new_packages()[0].price_minor == 450000
    wizard.next_button.click()
    settle(qtbot)
    assert wizard.outcome is not None and wizard.outcome.packages_created == ["Gold 50"]
    assert wizard.outcome.subscriptions == 2


def test_cancel_during_the_import_keeps_whole_batches(qtbot: QtBot, ctx: AppContext, shop: Factory,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ispclient.dataio import apply

    monkeypatch.setattr(apply, "BATCH_ROWS", 5)
    real = apply.apply_import

    def small_batches(*args: Any, **kw: Any) -> Any:
        report, cancelled = kw["progress"], kw["cancelled"]

        def progress(n: int, total: int) -> None:
            report(n, total)
            if n >= 10:  # the worker waits for the GUI's Cancel (a race it won when it was quicker)
                deadline = time.monotonic() + 10
                while not cancelled() and time.monotonic() < deadline:
                    time.sleep(0.005)

        return real(*args, **{**kw, "batch_rows": 5, "progress": progress})

    monkeypatch.setattr(import_wizard, "apply_import", small_batches)
    path = _csv(tmp_path / "c.csv", [HEADER, *_rows(40)])
    wizard = _wizard(qtbot, ctx, path)
    wizard.next_button.click()
    settle(qtbot)
    wizard.progress.every_s = 0  # every batch's step reaches the GUI (not five a second): Cancel after the second
    wizard.progress.moved.connect(lambda done, total, text: wizard.cancel_button.click() if done >= 10 else None)
    wizard.next_button.click()
    settle(qtbot, 20_000)
    outcome = wizard.outcome
    assert outcome is not None and outcome.stopped == "cancelled"
    assert outcome.created % 5 == 0 and 10 <= outcome.created < 40
    assert len(queries.client_rows(ctx.today(), 7)) == outcome.created
    assert "went in, whole" in wizard.status.text()


def test_export_the_list_as_shown(qtbot: QtBot, ctx: AppContext, shop: Factory, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for i, name in enumerate(["Zawadi", "Amina", "Baraka", "Amos"]):
        cid = shop.client(name, phone=f"+25471200000{i}", server_id=1, pppoe_username=f"u{i}")
        if name != "Baraka":
            shop.subscription(cid, 1, date(2026, 1, 10))
    ctx.store.refresh_now()
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.list_ready)
    window.filters.search.setText("am")  # Amina, Amos
    window.table.sortByColumn(Column.NAME, __import__("PySide6.QtCore").QtCore.Qt.SortOrder.DescendingOrder)
    header = window.table.horizontalHeader()
    header.setSectionHidden(Column.PPPOE_USERNAME, True)
    header.moveSection(header.visualIndex(Column.END_DATE), 0)
    out = tmp_path / "list.xlsx"
    monkeypatch.setattr(export_dialogs, "ask_save_path", lambda *a: str(out))
    assert window.export_list_action.isEnabled()
    window.export_list_action.trigger()
    settle(qtbot)
    rows = [list(r) for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True)]
    shown = export_dialogs.shown_columns(header)
    assert rows[0] == [window.model.headerData(c, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal)
                       for c in shown]
    assert rows[0][0] == "End date" and "PPPoE username" not in rows[0]
    model = window.model
    expected = [[model.data(model.index(r, c)) for c in shown] for r in range(model.rowCount())]
    balance_at = shown.index(Column.BALANCE)

    def as_shown(at: int, v: Any) -> Any:  # typed cells (a date, an amount) as the list writes them
        if at == balance_at:
            assert isinstance(v, (int, float))  # a real number cell in XLSX
            return format_money(round(v * 100), "KES")
        return format_date(v.date()) if hasattr(v, "date") else (v or "")

    got = [[as_shown(at, v) for at, v in enumerate(row)] for row in rows[1:]]
    name_at = rows[0].index("Name")
    assert got == expected and [r[name_at] for r in got] == ["Amos", "Amina"]
    assert "Exported 2 clients" in window.statusBar().currentMessage()


def test_export_payments_dialog(qtbot: QtBot, ctx: AppContext, shop: Factory, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    cid = shop.client("Amina")
    shop.subscription(cid, 1, date(2026, 1, 10), paid="1500")
    dialog = export_dialogs.ExportDialog(ctx, None, "payments")
    qtbot.addWidget(dialog)
    out = tmp_path / "payments.csv"
    monkeypatch.setattr(export_dialogs, "ask_save_path", lambda *a: str(out))
    dialog.start.setDate(dialog.end.date().addDays(1))
    dialog.export()
    assert "first day is after the last" in dialog.note.text()
    dialog.end.setDate(dialog.end.date().addYears(5))  # paid "now", on the machine's clock
    dialog.start.setDate(dialog.end.date().addYears(-10))
    dialog.export()
    settle(qtbot)
    assert "Exported 1 rows" in dialog.note.text()
    assert "Amina" in out.read_text(encoding="utf-8-sig")


def test_file_menu_has_import_and_export(qtbot: QtBot, ctx: AppContext, shop: Factory) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    texts = [a.text() for a in window.file_menu.actions()]
    assert "&Import clients…" in texts and "&Export the client list…" in texts and "Export &data…" in texts
    QTimer.singleShot(0, lambda: None)


def test_the_set_up_wizards_spreadsheet_button_opens_the_import_wizard(qtbot: QtBot, ctx: AppContext, shop: Factory,
                                                                       tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from ispclient.ui.setup_wizard import SetupWizard

    setup = SetupWizard(ctx)
    qtbot.addWidget(setup)
    setup.show()
    page = setup.clients
    assert page.sheet_button.isEnabled() and "not available" not in page.sheet_button.text()
    page.sheet_button.click()
    wizard = page.findChild(ImportWizard)
    assert wizard is not None and wizard.isVisible()
    assert wizard.windowModality() == Qt.WindowModality.WindowModal  # over the set-up, which waits for it
    # Through to the end, with what the old system said each client owes or paid ahead.
    path = _csv(tmp_path / "old.csv", [["Full name", "Mobile", "Balance"], ["Owes Money", "+254712000001", "300"],
                                       ["Paid Ahead", "+254712000002", "-200"]])
    wizard.path_edit.setText(str(path))
    wizard.next_button.click()
    settle(qtbot)
    wizard.next_button.click()  # check the rows
    settle(qtbot)
    assert wizard.summary_label.text().startswith("2 new, 0 updates, 0 errors")
    wizard.next_button.click()  # import
    settle(qtbot, 20_000)
    assert wizard.outcome is not None and (wizard.outcome.created, wizard.outcome.openings) == (2, 2)
    assert page.status.text().startswith("From the spreadsheet: 2 clients added")
    owed = {r.name: r.balance_minor for r in queries.client_rows(ctx.today(), 7)}
    assert owed == {"Owes Money": 30000, "Paid Ahead": -20000}
    wizard.close()


def test_opening_entries_read_as_such_in_the_payments_tab() -> None:
    from datetime import datetime

    from ispclient.store.queries import PaymentView
    from ispclient.ui.models.payments import amount_text, what_text

    def entry(credit: int) -> PaymentView:
        return PaymentView(1, None, 0, "Opening balance", "import old.csv", "", datetime(2026, 1, 15), "system",
                           kind="transfer", credit_minor=credit, receipt_no="R-000001")

    assert what_text(entry(-25000), "KES", {}) == "Opening balance: owed before the move"
    assert what_text(entry(10000), "KES", {}) == "Opening credit: paid ahead before the move"
    assert amount_text(entry(-25000), "KES").replace("\xa0", " ") == "KES 250.00"
    moved = PaymentView(2, 7, 0, "Credit", "", "", datetime(2026, 1, 15), "desk", kind="transfer", credit_minor=500)
    assert what_text(moved, "KES", {7: "Home 10"}) == "Moved to credit from Home 10"  # the counter's own, unchanged


def test_progress_reaches_the_gui_thread_a_few_times_a_second(qtbot: QtBot) -> None:
    """Each step relays out a page on the GUI thread: the worker sends one per interval, and the last."""
    progress = import_wizard.Progress(every_s=60)
    got: list[int] = []
    progress.moved.connect(lambda done, total, text: got.append(done))
    for n in range(1, 101):
        progress.report(n, 100, f"{n} rows")
    assert got == [1, 100]
    fast = import_wizard.Progress(every_s=0)
    fast.moved.connect(lambda done, total, text: got.append(done))
    for n in range(1, 4):
        fast.report(n, 3, "")
    assert got[2:] == [1, 2, 3]
