"""Importing clients: verdicts with the dialog's messages, batches that land whole, passwords
encrypted, router changes queued after the import, rows refused with reasons — on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import peewee
import pytest

from ispclient.dataio import apply, opening, prepare, sources
from ispclient.dataio.mapping import Field, Mapping, guess
from ispclient.dataio.prepare import ImportOptions, MatchKey, NewPackage, Verdict
from ispclient.domain.errors import ValidationError
from ispclient.store import audit, balances, changes, clients, money, provisioning, queries, receipts, settings
from ispclient.store.models import AuditEvent, Client, Payment, RouterChange, Subscription

from .conftest import TODAY, Factory, write_csv

HEADER = ["Full name", "Mobile", "Email", "Username", "Password", "Router", "Plan", "Expires on"]


def _rows(n: int, start: int = 0) -> list[list[str]]:
    return [[f"Client {i} Otieno", f"+2547{12000000 + i:08d}", f"c{i}@example.com", f"user{i:05d}", f"pw{i}secret",
             "Main router", "Home 10", "2026-02-01"] for i in range(start, start + n)]


def _preview(path: Path, options: ImportOptions = ImportOptions(), chosen: Mapping | None = None  # noqa: B008
             ) -> prepare.Preview:
    source = sources.open_source(path)
    return prepare.preview(source, chosen or guess(source.header), options)


def _verdicts(preview: prepare.Preview) -> list[tuple[int, str, str]]:
    return [(r.line, prepare.VERDICT_LABELS[Verdict(r.verdict)], r.message)
            for r in (preview.row(i) for i in range(len(preview)))]


@pytest.fixture
def ready(make: Factory) -> Factory:
    make.server()
    make.package()
    return make


def test_new_clients_with_subscriptions_passwords_and_audit(ready: Factory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", [HEADER, *_rows(3)])
    preview = _preview(path)
    assert preview.summary() == "3 new, 0 updates, 0 errors"
    with changes.track() as changed:
        result = apply.apply_import(preview)
    assert (result.created, result.subscriptions, result.payments, result.rejected) == (3, 3, 3, [])
    assert changed().subscriptions and changed().payments and len(changed().clients) == 3
    client = Client.get(Client.pppoe_username == "user00001")
    assert client.name == "Client 1 Otieno" and client.phone == "+254712000001" and client.client_code == "C00002"
    assert "pw1secret" not in client.pppoe_password_enc  # encrypted like every other
    assert clients.pppoe_password(client.id) == "pw1secret"
    sub = Subscription.get(Subscription.client == client)
    assert (sub.starts_on, sub.ends_on, sub.package_name, sub.price_minor) == (date(2026, 1, 2), date(2026, 2, 1),
                                                                                "Home 10", 150000)
    assert Payment.get(Payment.subscription == sub).amount_minor == 150000
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.client_id == client.id).order_by(AuditEvent.id)]
    assert actions == ["client.create", "subscription.create", "payment.record"]
    trail = AuditEvent.get((AuditEvent.client_id == client.id) & (AuditEvent.action == "client.create"))
    assert "pw1secret" not in trail.after and "password_enc" not in trail.after
    assert "row 3" in trail.summary
    row = {r.id: r for r in queries.client_rows(TODAY, 7)}[client.id]
    assert (row.status, row.server_name) == ("Active", "Main router")


def test_unpaid_subscriptions_and_a_paid_column(ready: Factory, tmp_path: Path) -> None:
    rows = _rows(2)
    path = write_csv(tmp_path / "c.csv", [HEADER + ["Paid"], rows[0] + ["yes"], rows[1] + [""]])
    result = apply.apply_import(_preview(path, ImportOptions(paid=False)))
    assert (result.subscriptions, result.payments) == (2, 1)


def test_the_dialogs_field_messages(ready: Factory, tmp_path: Path) -> None:
    bad = [["", "+254712000001", "", "", "", "", "", ""],
           ["Amina", "12", "not-an-email", "has space", "pw", "Main router", "", ""],
           ["Baraka\x07", "", "", "ok.user", " lead", "", "", ""]]
    path = write_csv(tmp_path / "bad.csv", [HEADER, *bad])
    preview = _preview(path)
    assert preview.count(Verdict.ERROR) == 3
    for i, cells in enumerate(bad):
        row = preview.row(i)
        dialog = clients.field_errors(clients.ClientInput(
            client_code="C1", name=cells[0], phone=cells[1], email=cells[2], pppoe_username=cells[3],
            pppoe_password=cells[4] or None, server_id=1 if cells[5] else None), "KE")
        for field, message in dialog.items():
            assert row.errors.get(field) == message, (i, field)


def test_formulas_and_control_characters_are_refused(ready: Factory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["Name", "Notes"], ["=HYPERLINK(\"http://x\",\"y\")", ""],
                                          ["Amina", "ok\x07"], ["Baraka", "line\nbreak is fine"]])
    verdicts = _verdicts(_preview(path))
    assert verdicts[0][1] == "Error" and "looks like a spreadsheet formula" in verdicts[0][2]
    assert verdicts[1][1] == "Error" and "invisible control character" in verdicts[1][2]
    assert verdicts[2][1] == "New"


def test_duplicates_within_the_file_and_with_clients_here(ready: Factory, tmp_path: Path) -> None:
    ready.client("Here Already", pppoe_username="taken", server_id=1)
    rows = _rows(3)
    rows[2][3] = "USER00000"  # the router doesn't tell capitals from small letters
    path = write_csv(tmp_path / "d.csv", [HEADER, *rows, ["Other", "", "", "Taken", "", "Main router", "", ""]])
    verdicts = _verdicts(_preview(path))
    assert verdicts[2] == (4, "Duplicate", "Same PPPoE username on Main router as row 2.")
    assert verdicts[3][1] == "Error"
    assert "is already used on Main router as “taken” (the router doesn't tell capitals" in verdicts[3][2]


def test_updates_by_client_id_username_or_phone(ready: Factory, tmp_path: Path) -> None:
    cid = ready.client("Old Name", phone="+254700000001", pppoe_username="amina", server_id=1, email="a@example.com")
    code = Client.get_by_id(cid).client_code
    path = write_csv(tmp_path / "u.csv", [["Client ID", "Name", "Phone", "Username", "Router"],
                                          [code, "New Name", "", "", ""]])
    preview = _preview(path)
    assert _verdicts(preview)[0][1] == "Update"
    result = apply.apply_import(preview)
    assert result.updated == 1
    client = Client.get_by_id(cid)
    assert (client.name, client.phone, client.email, client.version) == ("New Name", "+254700000001", "a@example.com",
                                                                         2)
    edit = AuditEvent.get((AuditEvent.client_id == cid) & (AuditEvent.action == "client.edit"))
    assert "Old Name" in edit.before and "New Name" in edit.after
    path = write_csv(tmp_path / "u2.csv", [["Name", "Username", "Router"], ["By Username", "AMINA", "Main router"]])
    assert apply.apply_import(_preview(path, ImportOptions(MatchKey.USERNAME))).updated == 1
    path = write_csv(tmp_path / "u3.csv", [["Name", "Phone"], ["By Phone", "0700 000001"]])
    assert apply.apply_import(_preview(path, ImportOptions(MatchKey.PHONE))).updated == 1
    assert Client.get_by_id(cid).name == "By Phone"
    path = write_csv(tmp_path / "u4.csv", [["Name", "Phone"], ["Someone New", "0700 000001"]])
    assert _verdicts(_preview(path, ImportOptions(MatchKey.NONE)))[0][1] == "New"


def test_importing_the_same_file_twice_changes_nothing(ready: Factory, tmp_path: Path) -> None:
    rows = _rows(3)
    path = write_csv(tmp_path / "c.csv", [["Client ID", *HEADER]] + [[f"X{i}", *r] for i, r in enumerate(rows)])
    apply.apply_import(_preview(path))
    events = AuditEvent.select().count()
    again = apply.apply_import(_preview(path, chosen=guess(["Client ID", *HEADER]).with_column(5, None)))
    assert (again.created, again.updated, again.unchanged, again.subscriptions) == (0, 0, 3, 0)
    assert Subscription.select().count() == 3 and Client.select().count() == 3
    assert AuditEvent.select().count() == events  # nothing changed, nothing written


def test_packages_by_name_profile_or_price_and_created_on_request(make: Factory, tmp_path: Path) -> None:
    make.server()
    make.package("Home 10", "1500", 30, ppp_profile="home-10m")
    make.package("Office 20", "3000", 30)
    path = write_csv(tmp_path / "p.csv", [["Name", "Package", "Expiry", "Price"], ["A", "home 10", "2026-02-01", ""],
                                          ["B", "home-10m", "2026-02-01", ""], ["C", "3,000", "2026-02-01", ""],
                                          ["D", "Gold 50", "2026-02-01", "5000"], ["E", "999", "2026-02-01", ""]])
    preview = _preview(path)
    verdicts = _verdicts(preview)
    assert [v[1] for v in verdicts] == ["New", "New", "New", "New", "Error"]
    assert "No package costs KES 999.00" in verdicts[4][2]
    assert list(preview.unknown_packages) == ["gold 50"]
    assert preview.unknown_packages["gold 50"].price_minor() == 500000
    refused = apply.apply_import(preview)
    assert refused.created == 3 and "No package “Gold 50”: it was not created" in refused.rejected[0].reason
    make_again = _preview(write_csv(tmp_path / "p2.csv", [["Name", "Package", "Expiry"],
                                                          ["F", "Gold 50", "2026-03-01"]]))
    result = apply.apply_import(make_again, create_packages=[NewPackage("Gold 50", 500000, 31)])
    assert result.packages_created == ["Gold 50"] and result.subscriptions == 1
    sub = Subscription.get(Subscription.package_name == "Gold 50")
    assert (sub.starts_on, sub.ends_on, sub.price_minor) == (date(2026, 1, 29), date(2026, 3, 1), 500000)


def test_end_date_without_package_and_package_without_end(ready: Factory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [["Name", "Plan", "Expiry"], ["A", "", "2026-02-01"], ["B", "Home 10", ""],
                                          ["C", "Home 10", "31/02/2026"]])
    verdicts = _verdicts(_preview(path))
    assert verdicts[0][1] == "Error"
    assert "Give the package of the subscription that ends on 01 Feb 2026" in verdicts[0][2]
    assert verdicts[1] == (3, "New", "No end date: no subscription made.")
    assert "not a day of the calendar" in verdicts[2][2]


def test_opening_balances_and_credit_go_into_the_counters_ledger(ready: Factory, tmp_path: Path) -> None:
    header = ["Client ID", "Name", "Balance", "Credit", "Plan", "Expires on"]
    path = write_csv(tmp_path / "b.csv", [header, ["K1", "Owes", "250", "", "", ""], ["K2", "Ahead", "", "100", "", ""],
                                          ["K3", "Square", "0", "0", "", ""], ["K4", "Bad", "lots", "", "", ""],
                                          ["K5", "Sold and owes", "50", "", "Home 10", "2026-02-01"]])
    preview = _preview(path)
    assert [v[1] for v in _verdicts(preview)] == ["New", "New", "New", "Error", "New"]
    assert "not an amount of money" in _verdicts(preview)[3][2]
    said = [v[2].replace("\xa0", " ") for v in _verdicts(preview)]  # the preview says what each row brings
    assert "Opening balance: KES 250.00 owed" in said[0] and "Opening credit: KES 100.00 paid ahead" in said[1]
    with changes.track() as changed:
        result = apply.apply_import(preview)
    assert (result.created, result.openings, result.payments, {r.line for r in result.rejected}) == (4, 3, 1, {5})
    assert changed().payments and "3 opening balances" in result.summary()
    by_code = {c.client_code: c for c in Client.select()}
    # The kept balance, as the list and the client window read it, equals the ledger's sum.
    assert {k: by_code[k].balance_minor for k in ("K1", "K2", "K3", "K5")} == {
        "K1": 25000, "K2": -10000, "K3": 0, "K5": 5000}
    assert balances.drift() == []
    owes = Payment.get(Payment.client == by_code["K1"].id)
    assert (owes.kind, owes.amount_minor, owes.credit_minor, owes.subscription_id, owes.method, owes.shift_id) == (
        "transfer", 0, -25000, None, opening.METHOD, None)
    assert owes.receipt_no.startswith("R-") and owes.balance_after_minor == 25000
    ahead = Payment.get(Payment.client == by_code["K2"].id)
    assert (ahead.credit_minor, ahead.balance_after_minor) == (10000, -10000)
    assert balances.credit(by_code["K2"].id) == 10000  # the counter's next sale can use it
    sold = {p.kind: p for p in Payment.select().where(Payment.client == by_code["K5"].id)}
    assert sold["payment"].amount_minor == 150000 and sold["transfer"].credit_minor == -5000
    numbers = sorted(receipts.number_part(p.receipt_no) for p in Payment.select())
    assert numbers == list(range(1, len(numbers) + 1))  # gap-free, from the counter's one counter
    event = AuditEvent.get((AuditEvent.client_id == by_code["K1"].id) & (AuditEvent.action == "payment.credit"))
    assert owes.receipt_no in event.summary and "Opening balance: KES 250.00 owed" in event.summary.replace(
        "\xa0", " ")
    assert '"client_balance": 25000' in event.after
    # Settled at the counter like money paid in advance: a payment on credit.
    settled = money.record_payment(by_code["K1"].id, money.PaymentInput("250"))
    assert Client.get_by_id(by_code["K1"].id).balance_minor == 0 and balances.drift() == []
    with pytest.raises(ValidationError, match="nothing to refund"):  # a debt is no money of theirs to give back
        money.refund(by_code["K1"].id, money.RefundInput("10"))
    money.void(settled.id, "typed on the wrong client")  # corrected: the debt is back, no lower
    assert Client.get_by_id(by_code["K1"].id).balance_minor == 25000
    money.record_payment(by_code["K1"].id, money.PaymentInput("250"))
    assert Client.get_by_id(by_code["K1"].id).balance_minor == 0 and balances.drift() == []
    # The same file again records nothing twice; another amount for a client that has one is refused.
    again = apply.apply_import(_preview(path))
    assert (again.created, again.openings) == (0, 0) and Payment.select().count() == 6
    path2 = write_csv(tmp_path / "b2.csv", [header, ["K2", "Ahead", "", "300", "", ""]])
    refused = _verdicts(_preview(path2))[0]
    assert refused[1] == "Error" and "already has an opening balance" in refused[2]  # said in the preview
    third = apply.apply_import(_preview(path2))
    assert third.openings == 0 and "already has an opening balance (KES" in third.rejected[0].reason.replace(
        "\xa0", " ")
    assert Client.get(Client.client_code == "K2").balance_minor == -10000 and balances.drift() == []


def test_cancel_leaves_whole_batches_and_says_which_rows(ready: Factory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [HEADER, *_rows(50)])
    preview = _preview(path)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2  # two batches, then Cancel

    result = apply.apply_import(preview, batch_rows=10, cancelled=cancelled)
    assert result.stopped == "cancelled" and result.batches == 2 and result.batches_total == 5
    assert Client.select().count() == 20 and Subscription.select().count() == 20
    assert result.rows_in_text() == "rows 2–21"
    assert "after 2 of 5 batches: rows 2–21 of the file went in, whole" in result.summary()


def test_a_failed_batch_is_undone_whole(ready: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "c.csv", [HEADER, *_rows(30)])
    preview = _preview(path)
    real = apply._Trail.write
    writes = []

    def fail_third(self: apply._Trail) -> None:
        writes.append(1)
        if len(writes) == 3:
            raise peewee.OperationalError("disk trouble in batch 3")
        real(self)

    monkeypatch.setattr(apply._Trail, "write", fail_third)
    result = apply.apply_import(preview, batch_rows=10)
    assert result.stopped.startswith("batch 3 failed and was undone")
    assert Client.select().count() == 20 and Subscription.select().count() == 20 and Payment.select().count() == 20
    assert result.rows_in_text() == "rows 2–21"


def test_a_clash_since_the_preview_refuses_that_row_only(ready: Factory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["Client ID", *HEADER]] + [[f"X{i}", *r] for i, r in enumerate(_rows(3))])
    preview = _preview(path)
    ready.client("Other PC's client", client_code="x1")  # another PC took X1 meanwhile
    result = apply.apply_import(preview)
    assert result.created == 2
    assert [r.line for r in result.rejected] == [3]
    assert "Client ID X1 was just given to another client" in result.rejected[0].reason


def test_an_edit_since_the_preview_is_not_overwritten(ready: Factory, tmp_path: Path) -> None:
    cid = ready.client("Old")
    code = Client.get_by_id(cid).client_code
    preview = _preview(write_csv(tmp_path / "c.csv", [["Client ID", "Name"], [code, "From the file"]]))
    clients.edit_client(cid, clients.ClientInput(client_code=code, name="Edited at the counter"))
    result = apply.apply_import(preview)
    assert result.updated == 0 and "edited (on another PC) since the preview" in result.rejected[0].reason
    assert Client.get_by_id(cid).name == "Edited at the counter"


def test_router_changes_are_queued_after_the_import(ready: Factory, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    settings.put("manage_secrets", "true")
    path = write_csv(tmp_path / "c.csv", [HEADER, *_rows(25)])
    preview = _preview(path)
    during: list[int] = []
    real_write = apply._write_batch

    def watch(rows: list[prepare.Prepared], ctx: object) -> object:
        out = real_write(rows, ctx)  # type: ignore[arg-type]
        during.append(RouterChange.select().count())
        return out

    monkeypatch.setattr(apply, "_write_batch", watch)
    result = apply.apply_import(preview, batch_rows=10)
    assert during == [0, 0, 0]  # nothing queued one by one while the batches were written
    assert result.router_changes == 25 == RouterChange.select().count()
    change = RouterChange.get(RouterChange.username == "user00003")
    assert change.disabled is False and change.status == "pending"
    assert provisioning.sync_all().queued == 0  # all in step already


def test_the_report_of_rows_not_imported(ready: Factory, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[1][1] = "=cmd|' /C calc'!A0"
    path = write_csv(tmp_path / "c.csv", [HEADER, *rows])
    result = apply.apply_import(_preview(path), report=tmp_path / "report.csv")
    assert result.report == tmp_path / "report.csv"
    with open(result.report, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == [*HEADER, "Row in file", "Why it was not imported"]
    assert lines[1][1] == "'=cmd|' /C calc'!A0"  # neutralised for the spreadsheet it is opened in
    assert lines[1][4] == ""  # passwords are left out
    assert lines[1][8] == "3" and "looks like a spreadsheet formula" in lines[1][9]


def test_mikrotik_export_into_one_router(ready: Factory, tmp_path: Path) -> None:
    path = tmp_path / "secrets.rsc"
    path.write_text('/ppp secret\nadd name=amina password=s3cret profile=home-10m comment="Amina W"\n'
                    "add name=baraka password=pw2 profile=default\n", encoding="utf-8")
    source = sources.open_source(path)
    from ispclient.dataio.mapping import MIKROTIK

    preview = prepare.preview(source, MIKROTIK.mapping(source.header).with_column(2, None), ImportOptions(
        MatchKey.USERNAME, default_server_id=1))
    assert [v[1] for v in _verdicts(preview)] == ["New", "New"]
    result = apply.apply_import(preview)
    assert result.created == 2
    names = {c.pppoe_username: c.name for c in Client.select()}
    assert names == {"amina": "Amina W", "baraka": "baraka"}
    assert clients.pppoe_password(Client.get(Client.pppoe_username == "amina").id) == "s3cret"


def test_nothing_mapped_or_no_name_is_refused(ready: Factory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["A", "B"], ["1", "2"]])
    source = sources.open_source(path)
    with pytest.raises(sources.SourceError, match="No column is imported"):
        prepare.preview(source, Mapping())
    with pytest.raises(sources.SourceError, match="holds the clients' names"):
        prepare.preview(source, Mapping({0: Field.PHONE}))


def test_xlsx_with_serial_and_text_dates(ready: Factory, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Mobile", "Plan", "Expiry"])
    sheet.append(["Amina", 254712000001, "Home 10", date(2026, 2, 1)])
    sheet.append(["Baraka", "0712000002", "Home 10", 46054])
    sheet.append(["Chebet", None, "Home 10", "03/02/2026"])
    path = tmp_path / "c.xlsx"
    book.save(path)
    result = apply.apply_import(_preview(path))
    assert result.created == 3
    ends = {c.name: s.ends_on for c, s in ((Client.get_by_id(s.client_id), s) for s in Subscription.select())}
    # 03/02/2026 read as the PC's locale writes dates (the tests run as en_US: month first).
    assert ends == {"Amina": date(2026, 2, 1), "Baraka": date(2026, 2, 1), "Chebet": date(2026, 3, 2)}
    assert Client.get(Client.name == "Amina").phone == "+254712000001"


def test_cancel_while_checking(ready: Factory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [HEADER, *_rows(600)])
    source = sources.open_source(path)
    with pytest.raises(prepare.ImportCancelled):
        prepare.preview(source, guess(source.header), cancelled=lambda: True)


def test_the_import_is_in_the_audit_log(ready: Factory, tmp_path: Path) -> None:
    audit.set_actor("desk-1")
    try:
        apply.apply_import(_preview(write_csv(tmp_path / "c.csv", [HEADER, *_rows(2)])))
    finally:
        audit.set_actor(None)
    event = AuditEvent.get(AuditEvent.action == "client.import")
    assert event.actor == "desk-1" and "2 clients added" in event.summary
    assert {e.actor for e in AuditEvent.select().where(AuditEvent.client_id.is_null(False))} == {"desk-1"}


@pytest.mark.postgres
def test_a_row_saved_on_another_pc_at_the_same_moment(ready: Factory, tmp_path: Path, db: peewee.Database,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The other PC's insert commits between our check and our insert: the unique index refuses the
    batch, which is checked again and goes in without that row. (On SQLite a batch's IMMEDIATE
    transaction keeps every other writer out, so this can't happen there.)"""
    if isinstance(db, peewee.SqliteDatabase):
        pytest.skip("SQLite admits one writer at a time")
    from ispclient.store.db import make_database

    from .conftest import PG_URL

    path = write_csv(tmp_path / "c.csv", [["Client ID", *HEADER]] + [[f"X{i}", *r] for i, r in enumerate(_rows(3))])
    preview = _preview(path)
    real = apply._insert
    raced = []

    def race(table: str, columns: object, rows: object) -> None:
        if table == "client" and not raced:
            raced.append(1)
            other = make_database(PG_URL)  # the other PC: its own connection, committed at once
            other.connect()
            other.execute_sql("INSERT INTO client (client_code, name, phone, email, address, notes, pppoe_username, "
                              "pppoe_password_enc, router_desired, created_at, updated_at, deleted_by, version, "
                              "pppoe_password_unknown) VALUES ('x2', 'Other PC', '', '', '', '', '', '', '', "
                              "now(), now(), '', 1, false)")
            other.close()
        real(table, columns, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(apply, "_insert", race)
    result = apply.apply_import(preview)
    assert result.complete and result.created == 2
    assert [r.line for r in result.rejected] == [4]
    assert "X2 was just given to another client" in result.rejected[0].reason


@pytest.mark.parametrize(("role", "allowed"), [("owner", True), ("manager", True), ("cashier", False),
                                               ("viewer", False)])
def test_only_roles_that_import_and_export_may(ready: Factory, tmp_path: Path, role: str, allowed: bool) -> None:
    from ispclient.dataio import export
    from ispclient.domain.permissions import Actor, PermissionDenied, Role
    from ispclient.store import access, staff

    with access.acting_as(access.SYSTEM):
        member = staff.create_staff(staff.StaffInput(f"{role}1", f"{role.title()} One", role, True, "long-pass-77"))
    actor = Actor(member.id, f"{role}1", f"{role.title()} One", Role(role))
    path = write_csv(tmp_path / "c.csv", [HEADER, *_rows(2)])
    with access.acting_as(actor):
        if allowed:
            result = apply.apply_import(_preview(path))
            assert result.created == 2
            event = AuditEvent.get(AuditEvent.action == "client.create")
            assert (event.actor, event.staff_id) == (f"{role.title()} One", member.id)
            assert event.os_user and event.pc_name
            assert export.write(export.payments(), tmp_path / "p.csv", "csv") == 2
        else:
            for attempt in (lambda: _preview(path), lambda: export.audit(), lambda: export.clients()):
                with pytest.raises(PermissionDenied, match="Only the owner or a manager can import and export"):
                    attempt()
            assert Client.select().count() == 0
    with access.acting_as(None), pytest.raises(PermissionDenied):
        access.set_process_default(None)
        try:
            export.payments()
        finally:
            access.set_process_default(access.SYSTEM)


def test_ragged_rows_and_one_column_files(ready: Factory, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Name,Phone\nAmina\nBaraka,+254712000002,extra,cells\nChebet,+254712000003,\n",
                    encoding="utf-8")
    verdicts = _verdicts(_preview(path))
    assert [v[1] for v in verdicts] == ["New", "Error", "New"]
    assert "This row has 4 cells but the header has 2 columns" in verdicts[1][2]
    one = tmp_path / "one.csv"
    one.write_text("Name\nAmina\n\nBaraka\n", encoding="utf-8")
    preview = _preview(one)
    assert preview.summary() == "2 new, 0 updates, 0 errors, 1 empty row"
    assert apply.apply_import(preview).created == 2


def test_a_batchs_client_ids_are_looked_up_through_their_index(ready: Factory, tmp_path: Path,
                                                              db: peewee.Database) -> None:
    """SQLite's planner, without statistics, chose the index on deleted_at (every live client)
    for a batch of 1,000 Client IDs: each batch walked the whole table. The query names the
    case-insensitive index there; the import's lookups still find the clients."""
    if not isinstance(db, peewee.SqliteDatabase):
        pytest.skip("PostgreSQL's planner has statistics; the query names no index there")
    hint = apply._code_index()
    assert hint == f"INDEXED BY {apply.CODE_INDEX}"
    codes = [f"c{i:05d}" for i in range(1000)]
    plan = " ".join(str(r) for r in db.execute_sql("EXPLAIN QUERY PLAN " + apply._codes_sql(1000, hint), codes))
    assert apply.CODE_INDEX in plan and "client_deleted_at" not in plan
    path = write_csv(tmp_path / "c.csv", [["Client ID", *HEADER]] + [[f"X{i}", *r] for i, r in enumerate(_rows(3))])
    result = apply.apply_import(_preview(path))
    assert result.created == 3
    assert sorted(c.client_code for c in Client.select()) == ["X0", "X1", "X2"]


def test_without_the_case_index_the_lookup_names_none(ready: Factory, db: peewee.Database) -> None:
    """The index waits while two clients differ only in case (store/schema.py): the query then
    names no index rather than failing."""
    if not isinstance(db, peewee.SqliteDatabase):
        pytest.skip("SQLite only")
    db.execute_sql(f"DROP INDEX {apply.CODE_INDEX}")
    assert apply._code_index() == ""
    assert list(db.execute_sql(apply._codes_sql(1, ""), ["nobody"])) == []


def test_the_change_tracker_hears_of_every_imported_client(ready: Factory, tmp_path: Path) -> None:
    """The batch tells the tracker once what its audit events changed (as one note per event did)."""
    path = write_csv(tmp_path / "c.csv", [HEADER] + _rows(3))
    preview = _preview(path)
    result, seen = changes.run_tracked(lambda: apply.apply_import(preview, batch_rows=2))
    assert result.created == 3 and result.payments == 3
    assert seen.clients == frozenset(c.id for c in Client.select())
    assert seen.subscriptions and seen.payments


def test_the_preview_and_the_apply_pause_for_the_gil_as_they_go(ready: Factory, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Both loops of an import give a waiting GUI thread the GIL now and then (dataio/yielding.py):
    with a pause due at every call, each row read and each row written makes one."""
    from ispclient.dataio import yielding

    calls: list[str] = []

    class Counting(yielding.Yielder):
        def __init__(self) -> None:
            super().__init__(every_s=0.0, sleep=lambda _s: calls.append("pause"))

    monkeypatch.setattr(prepare, "Yielder", Counting)
    monkeypatch.setattr(apply, "Yielder", Counting)
    path = write_csv(tmp_path / "c.csv", [HEADER, *_rows(30)])
    preview = _preview(path)
    assert len(calls) >= 30
    calls.clear()
    result = apply.apply_import(preview)
    assert result.created == 30 and len(calls) >= 30
