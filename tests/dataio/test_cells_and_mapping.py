"""Cells (dates, yes/no, money, formula injection) and column mapping (guesses, presets, saved)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ispclient.dataio import cells, mapping
from ispclient.dataio.mapping import Field
from ispclient.domain.errors import ValidationError


@pytest.mark.parametrize(("value", "day_first", "expected"), [
    ("2026-01-31", True, date(2026, 1, 31)),
    ("2026-01-31 00:00:00", True, date(2026, 1, 31)),
    ("2026/1/5", True, date(2026, 1, 5)),
    ("31/01/2026", True, date(2026, 1, 31)),
    ("31/01/2026", False, date(2026, 1, 31)),  # can only be day-first
    ("01/31/2026", True, date(2026, 1, 31)),  # can only be month-first
    ("03/04/2026", True, date(2026, 4, 3)),
    ("03/04/2026", False, date(2026, 3, 4)),
    ("31.01.26", True, date(2026, 1, 31)),
    ("31-01-2026", True, date(2026, 1, 31)),
    ("31 Jan 2026", True, date(2026, 1, 31)),
    ("31-Jan-2026", True, date(2026, 1, 31)),
    ("1st February 2026", True, date(2026, 2, 1)),
    ("Jan 31, 2026", True, date(2026, 1, 31)),
    ("January 31 2026", True, date(2026, 1, 31)),
    ("46053", True, date(2026, 1, 31)),  # an Excel serial number written out as text
    (46053, True, date(2026, 1, 31)),
    (46053.75, True, date(2026, 1, 31)),
    (datetime(2026, 1, 31, 12, 0), True, date(2026, 1, 31)),
    (date(2026, 1, 31), True, date(2026, 1, 31)),
])
def test_dates_in_many_forms(value: cells.Cell, day_first: bool, expected: date) -> None:
    assert cells.parse_date(value, "ends_on", "end date", day_first) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("31/02/2026", "not a day of the calendar"),
    ("next tuesday", "not a date; write it like"),
    ("1899-01-01", "outside 2000–2100"),
    (9_999_999, "not a date"),
    (80_000, "outside 2000–2100"),
    (True, "not a date"),
])
def test_bad_dates_say_how_to_write_them(value: cells.Cell, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cells.parse_date(value, "ends_on", "end date")


def test_date_order_hints() -> None:
    assert cells.date_order_hint("31/01/2026") is True
    assert cells.date_order_hint("01/31/2026") is False
    assert cells.date_order_hint("03/04/2026") is None
    assert cells.date_order_hint("2026-01-31") is None


@pytest.mark.parametrize(("text", "shown"), [("=1+1", "'=1+1"), ("+254712", "'+254712"), ("-5", "'-5"),
                                             ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"), ("Amina", "Amina"),
                                             ("", "")])
def test_formula_injection_is_neutralised_and_undone(text: str, shown: str) -> None:
    assert cells.neutralise(text) == shown
    assert cells.restore(shown) == text
    assert cells.as_text(shown) == text.strip()


def test_as_text_of_spreadsheet_values() -> None:
    assert cells.as_text(254712345678.0) == "254712345678"
    assert cells.as_text(1500.5) == "1500.5"
    assert cells.as_text(datetime(2026, 1, 2)) == "2026-01-02"
    assert cells.as_text(True) == "yes"
    assert cells.as_text(None) == ""


def test_money_and_yes_no() -> None:
    assert cells.parse_money("1,500.50", "price", "KES") == 150050
    assert cells.parse_money(1500.1, "price", "KES") == 150010
    assert cells.parse_money(Decimal("12"), "price", "KES") == 1200
    assert cells.parse_money("-250", "balance", "KES", signed=True) == -25000
    assert cells.parse_money("(250.00)", "balance", "KES", signed=True) == -25000
    with pytest.raises(ValidationError, match="can't be negative"):
        cells.parse_money("-250", "price", "KES")
    with pytest.raises(ValidationError, match="not an amount"):
        cells.parse_money("lots", "price", "KES")
    assert cells.parse_yes_no("Paid", "paid", "Paid") is True
    assert cells.parse_yes_no("no", "paid", "Paid") is False
    assert cells.parse_yes_no("", "paid", "Paid") is None
    with pytest.raises(ValidationError, match="yes or no"):
        cells.parse_yes_no("maybe", "paid", "Paid")


@pytest.mark.parametrize(("header", "field"), [
    ("Full name", Field.NAME), ("Mobile", Field.PHONE), ("MSISDN", Field.PHONE), ("Username", Field.PPPOE_USERNAME),
    ("Plan", Field.PACKAGE), ("Expiry", Field.ENDS_ON), ("Expires on", Field.ENDS_ON), ("E-Mail Address", Field.EMAIL),
    ("Customer ID", Field.CLIENT_CODE), ("phoneNumber", Field.PHONE), ("Router", Field.SERVER),
    ("Client's phone number", Field.PHONE), ("Balance", Field.OPENING_BALANCE), ("Password", Field.PPPOE_PASSWORD),
])
def test_guesses_from_the_header(header: str, field: Field) -> None:
    assert mapping.guess(["Something else", header]).columns == {1: field}


def test_each_field_is_guessed_once() -> None:
    found = mapping.guess(["Name", "Full name", "Phone", "Mobile"]).columns
    assert found == {0: Field.NAME, 2: Field.PHONE}


def test_phpnuxbill_export_preset() -> None:
    # The columns PHPNuxBill's Customers ▸ Export writes (system/controllers/customers.php, "csv-prepaid").
    header = ["id", "username", "fullname", "address", "phonenumber", "email", "balance", "service_type", "namebp",
              "routers", "status", "Payment"]
    chosen, why = mapping.initial(header)
    assert why == mapping.PHPNUXBILL.label
    assert chosen.columns == {0: Field.CLIENT_CODE, 1: Field.PPPOE_USERNAME, 2: Field.NAME, 3: Field.ADDRESS,
                              4: Field.PHONE, 5: Field.EMAIL, 6: Field.CREDIT, 8: Field.PACKAGE, 9: Field.SERVER}


def test_mikrotik_secret_list_preset() -> None:
    header = ["name", "password", "profile", "service", "comment", "disabled", "caller-id", "remote-address",
              "local-address"]
    chosen, why = mapping.initial(header)
    assert why == mapping.MIKROTIK.label
    assert chosen.columns == {0: Field.PPPOE_USERNAME, 1: Field.PPPOE_PASSWORD, 2: Field.PACKAGE, 4: Field.NAME}
    assert chosen.name_from_username


def test_the_mapping_is_saved_for_next_time(tmp_path: Path) -> None:
    header = ["Jina", "Simu", "Kifurushi"]
    assert mapping.initial(header, tmp_path)[1] == "guessed from the column names"
    mine = mapping.Mapping({0: Field.NAME, 1: Field.PHONE, 2: Field.PACKAGE})
    mapping.save(tmp_path, header, mine)
    again, why = mapping.initial([" jina ", "SIMU", "Kifurushi"], tmp_path)
    assert again == mine and "last time" in why
    assert mapping.load_saved(tmp_path, ["Jina", "Simu"]) is None
    (tmp_path / mapping.SAVED_FILE).write_text("{not json", encoding="utf-8")
    assert mapping.load_saved(tmp_path, header) is None  # a damaged file is ignored, never a crash


def test_with_column_keeps_a_field_on_one_column() -> None:
    m = mapping.Mapping({0: Field.NAME}).with_column(1, Field.NAME)
    assert m.columns == {1: Field.NAME}
    assert m.with_column(1, None).columns == {}
