"""Exports: typed XLSX cells, neutralised formulas, date ranges, the command line — and the round
trip: export the clients, import them into an empty data folder, get the same clients."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import peewee
import pytest

from ispclient import app, paths, store
from ispclient.dataio import export, writers
from ispclient.dataio.writers import Money
from ispclient.store import catalog, clients, money, settings
from ispclient.store import subscriptions as subs
from ispclient.store.models import Client, Payment

from .conftest import PG_URL, TODAY, Factory, reset_postgres


def _xlsx(path: Path) -> list[list[object]]:
    book = openpyxl.load_workbook(path)
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def test_xlsx_cells_are_typed_and_formulas_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    rows = [["=HYPERLINK(\"http://evil\",\"x\")", date(2026, 1, 31), Money(150050, 2), datetime(2026, 1, 2, 9, 30),
             True, 7, "+254712345678", "bell\x07gone"]]
    writers.write_table(path, "xlsx", ["Name", "Ends", "Amount", "At", "Paid", "N", "Phone", "Note"], rows, "Clients")
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet.title == "Clients"
    name, ends, amount, at, paid, n, phone, note = (sheet.cell(2, c) for c in range(1, 9))
    assert name.data_type == "s" and name.value == "=HYPERLINK(\"http://evil\",\"x\")"  # text, never a formula
    assert ends.is_date and ends.value == datetime(2026, 1, 31) and ends.number_format == "yyyy-mm-dd"
    assert amount.data_type == "n" and amount.value == 1500.5 and amount.number_format == "#,##0.00"
    assert at.is_date and at.value == datetime(2026, 1, 2, 9, 30)
    assert paid.value is True and n.value == 7 and phone.value == "+254712345678" and note.value == "bellgone"
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_csv_cells_are_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    writers.write_table(path, "csv", ["Name", "Amount", "Phone"], [["@SUM(A1)", Money(-500, 2), "+2547"],
                                                                    ["-1", Decimal("2.5"), "Amina"]])
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["Name", "Amount", "Phone"], ["'@SUM(A1)", "-5.00", "'+2547"], ["'-1", "2.5", "Amina"]]


def test_a_failed_export_leaves_no_half_file(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"

    def rows() -> object:
        yield ["ok"]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        writers.write_table(path, "xlsx", ["A"], rows())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def sold(make: Factory) -> dict[str, int]:
    server = make.server()
    package = make.package()
    a = make.client("Amina Wanjiru", phone="+254712345678", pppoe_username="amina", server_id=server,
                    email="amina@example.com", address="Plot 7\nNgong Road", notes="=not a formula")
    b = make.client("Baraka Otieno")
    subs.create_subscription(a, package, date(2026, 1, 10), payment=subs.PaymentInput("1500"))
    subs.create_subscription(b, package, date(2025, 11, 1))
    money.record_payment(b, money.PaymentInput("700"))  # paid ahead: on credit (b owes 1,500 − 700)
    return {"a": a, "b": b, "package": package}


def test_payments_subscriptions_and_audit(sold: dict[str, int], tmp_path: Path) -> None:
    export.write(export.payments(date(2026, 1, 1), date(2026, 12, 31)), tmp_path / "p.xlsx", "xlsx")
    rows = _xlsx(tmp_path / "p.xlsx")
    assert rows[0] == export.PAYMENT_HEADER
    assert [r[2:9] for r in rows[1:]] == [["Payment", "T00001", "Amina Wanjiru", "Home 10", datetime(2026, 1, 10),
                                           1500, 0],
                                          ["Payment", "T00002", "Baraka Otieno", None, None, 700, 700]]
    assert rows[1][1].startswith("R-") and rows[2][13] is None  # receipt numbers; not void
    # Every entry of the ledger, a voided one marked (it counts for nothing but stays).
    credit_entry = Payment.get(Payment.client == sold["b"])
    money.void(credit_entry.id, "typed on the wrong client")
    export.write(export.payments(date(2026, 1, 1), date(2026, 12, 31)), tmp_path / "p2.xlsx", "xlsx")
    voided = _xlsx(tmp_path / "p2.xlsx")[2]
    assert isinstance(voided[13], datetime) and voided[14] == "typed on the wrong client"
    money.record_payment(sold["b"], money.PaymentInput("700"))
    assert export.write(export.payments(date(2020, 1, 1), date(2020, 1, 2)), tmp_path / "none.csv", "csv") == 0
    export.write(export.subscriptions(), tmp_path / "s.xlsx", "xlsx")
    rows = {r[0]: r for r in _xlsx(tmp_path / "s.xlsx")[1:]}
    assert rows["T00001"][6] == "Active" and rows["T00001"][9] == 0
    assert rows["T00002"][6] == "Expired" and rows["T00002"][9] == 1500  # unpaid
    running = [r[0] for r in _xlsx(tmp_path / "s.xlsx")[1:]]
    export.write(export.subscriptions(date(2026, 1, 1), date(2026, 1, 31)), tmp_path / "s2.xlsx", "xlsx")
    assert [r[0] for r in _xlsx(tmp_path / "s2.xlsx")[1:]] == ["T00001"] and len(running) == 2
    export.write(export.audit(), tmp_path / "a.csv", "csv")
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as f:
        audit_rows = list(csv.reader(f))
    assert audit_rows[0] == export.AUDIT_HEADER
    assert any(r[2] == "payment.record" and r[4] == "T00001" for r in audit_rows)


def test_nothing_secret_is_exported(sold: dict[str, int], tmp_path: Path) -> None:
    clients.edit_client(sold["a"], clients.ClientInput(client_code="T00001", name="Amina Wanjiru",
                                                       phone="+254712345678", pppoe_username="amina", server_id=1,
                                                       pppoe_password="TopSecret99"))
    from ispclient.store import queries

    ids = [r.id for r in queries.client_rows(TODAY, 7)]
    tables = {"clients": export.clients, "audit": export.audit, "subs": export.subscriptions,
              "payments": export.payments,
              "list": lambda: export.client_list(ids, list(export.LIST_COLUMNS), list(export.LIST_COLUMNS), TODAY, 7)}
    stored = Client.get_by_id(sold["a"]).pppoe_password_enc
    assert stored.startswith("gAAAA")  # the encrypted form, which must not leave either
    for kind, table in tables.items():
        for fmt in ("csv", "xlsx"):
            path = tmp_path / f"{kind}.{fmt}"
            assert export.write(table(), path, fmt) > 0
            if fmt == "csv":
                text = path.read_text(encoding="utf-8-sig")
            else:
                with zipfile.ZipFile(path) as z:
                    text = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
            assert "TopSecret99" not in text and "gAAAA" not in text and stored[:20] not in text, (kind, fmt)
            assert "password" not in text.casefold().replace("pppoe_password_set", ""), (kind, fmt)


def test_clients_filters(sold: dict[str, int], tmp_path: Path) -> None:
    assert [r[0] for r in export.clients(search="wanjiru 0712").rows] == []
    assert [r[0] for r in export.clients(search="wanjiru +2547").rows] == ["T00001"]
    assert [r[0] for r in export.clients(status="expired").rows] == ["T00002"]
    assert [r[0] for r in export.clients(server="main router").rows] == ["T00001"]


def _same_clients() -> list[tuple[object, ...]]:
    from ispclient.store import queries

    rows = {r.client_code: r for r in queries.client_rows(TODAY, 7)}
    extra = {c.client_code: (c.address, c.notes) for c in Client.select()}
    return sorted((r.client_code, r.name, r.phone, r.email, r.pppoe_username, r.server_name, r.package_name,
                   r.status, r.ends_on, r.balance_minor, *extra[r.client_code]) for r in rows.values())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_into_an_empty_data_folder(db: peewee.Database, sold: dict[str, int], tmp_path: Path,
                                              fmt: str, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """ispclient export clients → ispclient import into a new data folder → the same clients (routers
    are set up first: their addresses and passwords are not in a client list; the package is made
    by the import from the file's Package and Price)."""
    before = _same_clients()
    assert [c[9] for c in before] == [0, 80000]  # Baraka owes 1,500 less the 700 paid ahead: comes back whole
    out = tmp_path / f"clients.{fmt}"
    on_postgres = not isinstance(db, peewee.SqliteDatabase)
    store.close_database()
    url_args = ["--db-url", PG_URL] if on_postgres else ["--data-dir", str(tmp_path / "old")]
    if not on_postgres:  # the fixture's database file, as a data folder
        old = paths.under(tmp_path / "old").ensure()
        Path(str(db.database)).replace(old.database)
    assert app.main([*url_args, "export", "clients", "--format", fmt, "-o", str(out)]) == 0
    assert "Wrote 2 clients rows" in capsys.readouterr().out
    # An empty data folder (or PostgreSQL database), with the router set up.
    if on_postgres:
        reset_postgres(PG_URL)
        store.open_database(PG_URL)
    else:
        new = paths.under(tmp_path / "new").ensure()
        store.open_database(new.database, new.backup_dir)
    settings.put("default_country", "KE")
    settings.put("currency", "KES")
    catalog.create_server(catalog.ServerInput(name="Main router", host="10.0.0.1"))
    store.close_database()
    new_args = ["--db-url", PG_URL] if on_postgres else ["--data-dir", str(tmp_path / "new")]
    assert app.main([*new_args, "import", str(out), "--create-packages", "--unpaid"]) == 0
    said = capsys.readouterr().out
    assert "Package “Home 10” will be created" in said and "2 clients added" in said
    store.open_database(PG_URL if on_postgres else paths.under(tmp_path / "new").database)
    monkeypatch.setattr(settings, "today", lambda: TODAY)
    assert _same_clients() == before


def test_command_line_misuse_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = ["--data-dir", str(tmp_path / "home")]
    assert app.main([*home, "import", str(tmp_path / "missing.csv")]) == 1
    assert "There is no file" in capsys.readouterr().err
    assert app.main([*home, "export", "nonsense", "-o", str(tmp_path / "x.csv")]) == 2
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert app.main([*home, "import", str(tmp_path / "empty.csv")]) == 1
    assert "is empty" in capsys.readouterr().err
    assert app.main([*home, "export", "payments", "--from", "2026-01-01", "--to", "2026-01-31", "-o",
                     str(tmp_path / "p.xlsx")]) == 0
    assert _xlsx(tmp_path / "p.xlsx") == [export.PAYMENT_HEADER]


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Name,Phone\nAmina,+254712345678\n=1+1,\n", encoding="utf-8")
    home = paths.under(tmp_path / "home").ensure()
    assert app.main(["--data-dir", str(home.data_dir), "import", str(path), "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "1 new, 0 updates, 1 error" in said and "Dry run: nothing was written." in said
    store.open_database(home.database)
    try:
        assert Client.select().count() == 0
    finally:
        store.close_database()


def test_database_cli_split() -> None:
    from ispclient.dataio.cli import split

    assert split(["--data-dir", "import", "import", "f.csv"]) is not None
    found = split(["--data-dir", "import", "import", "f.csv", "--match", "phone"])
    assert found is not None and found.before == ["--data-dir", "import"]
    assert found.rest == ["f.csv", "--match", "phone"]
    assert split(["backup"]) is None and split([]) is None


def test_pg_url_fixture_is_what_ci_sets() -> None:
    assert PG_URL == "" or PG_URL.startswith("postgresql://")


@pytest.mark.parametrize("number", ["+254712345678", "+12025550123", "+447911123456", "+390612345678",
                                    "+33612345678", "+2348031234567", "+8613800138000", "+97150123456", "+1", "",
                                    "0712", "+999123", "+256772123456", "+61412345678"])
def test_shown_phone_is_the_lists_text(number: str) -> None:
    from ispclient.domain.validation import display_phone

    assert export.shown_phone(number) == display_phone(number)


def test_the_command_line_imports_and_exports_as_the_system(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Staff accounts guard the screens; the command line (run by whoever may run it on the PC, like
    the nightly enforce) acts as the system: no sign-in, and the trail says so."""
    from ispclient.domain.permissions import SYSTEM
    from ispclient.store import access, staff
    from ispclient.store.models import AuditEvent

    home = paths.under(tmp_path / "home").ensure()
    store.open_database(home.database, home.backup_dir)
    try:
        with access.acting_as(SYSTEM):
            settings.put("default_country", "KE")
            settings.put("currency", "KES")
            staff.create_first_owner("owner", "Olive Owner", "a-long-pass-1")
    finally:
        store.close_database()
    sheet = tmp_path / "c.csv"
    sheet.write_text("Name,Phone,Balance\nAmina,+254712345678,120\n", encoding="utf-8")
    args = ["--data-dir", str(home.data_dir)]
    assert app.main([*args, "import", str(sheet)]) == 0
    assert "1 clients added" in capsys.readouterr().out
    assert app.main([*args, "export", "payments", "-o", str(tmp_path / "p.csv")]) == 0
    with open(tmp_path / "p.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1][2] == "Credit" and rows[1][8] == "-120.00"  # the opening balance, on the client's credit
    store.open_database(home.database, home.backup_dir)
    try:
        event = AuditEvent.get(AuditEvent.action == "client.create")
        assert event.staff_id is None and event.actor  # the system, not a staff member
        assert Client.get(Client.name == "Amina").balance_minor == 12000
    finally:
        store.close_database()
