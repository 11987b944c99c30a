"""Input at the edges: control characters, invisible and direction-flipping names, lengths, wrong
types, dates out of range, and money typed with a comma or a point."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from babel import Locale

from ispclient.domain import dates, localization, money
from ispclient.domain import subscriptions as rules
from ispclient.domain import validation as v
from ispclient.domain.errors import ValidationError

SINGLE_LINE = [
    ("name", lambda s: v.name(s)),
    ("client_code", lambda s: v.client_code(s)),
    ("pppoe_username", lambda s: v.pppoe_username(s)),
    ("phone", lambda s: v.phone(s, "KE")),
    ("email", lambda s: v.email(s)),
    ("reference", lambda s: v.line(s, "reference", "reference")),
    ("name", lambda s: v.required_text(s, "name", "package name")),
]
MULTI_LINE = [
    ("notes", v.notes),
    ("address", v.address),
    ("reason", lambda s: v.text_block(s, "reason", "reason", 500)),
]


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028"])
@pytest.mark.parametrize(("field", "check"), SINGLE_LINE + MULTI_LINE)
def test_control_characters_are_a_field_message(field: str, check: object, bad: str) -> None:
    with pytest.raises(ValidationError) as e:
        check(f"Amina{bad}W")  # type: ignore[operator]
    assert list(e.value.errors) == [field]
    message = e.value.errors[field]
    if field not in ("phone", "email", "client_code", "pppoe_username"):  # those have their own words
        assert "NUL" in message if bad == "\x00" else "control character" in message


@pytest.mark.parametrize(("field", "check"), MULTI_LINE)
def test_multi_line_fields_keep_tabs_and_line_breaks(field: str, check: object) -> None:
    assert check("Line one\r\n\tLine two\rLine three") == "Line one\n\tLine two\nLine three"  # type: ignore[operator]


@pytest.mark.parametrize("bad", ["a\tb", "a\nb"])
def test_single_line_fields_refuse_tabs_and_line_breaks(bad: str) -> None:
    with pytest.raises(ValidationError):
        v.line(bad, "reference", "reference")
    with pytest.raises(ValidationError):
        v.name(bad)


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u200b\u200c\u200d", "\u3164", " \u2060 ", "\u00ad"])
def test_names_made_only_of_invisible_characters_are_refused(invisible: str) -> None:
    with pytest.raises(ValidationError) as e:
        v.name(invisible)
    assert e.value.errors["name"] in ("Enter the client's name.",
                                      "The name is made only of invisible characters; type the name.")
    with pytest.raises(ValidationError):
        v.required_text(invisible, "name", "router name")


@pytest.mark.parametrize("override", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u202a"])
def test_direction_overrides_in_names_are_refused(override: str) -> None:
    with pytest.raises(ValidationError) as e:
        v.name(f"Amina {override}uriknaW")
    assert "text-direction" in e.value.errors["name"]


@pytest.mark.parametrize("name", ["محمد عبد الله", "Nguyễn Văn A", "O'Brien-Smith", "👩‍👩‍👧 Family"])
def test_real_names_with_joiners_and_marks_pass(name: str) -> None:
    assert v.name(name) == name


@pytest.mark.parametrize(("check", "field", "limit"), [
    (v.notes, "notes", v.MAX_NOTES), (v.address, "address", v.MAX_ADDRESS), (v.name, "name", v.MAX_NAME),
    (v.email, "email", v.MAX_EMAIL), (lambda s: v.line(s, "reference", "reference", 100), "reference", 100),
])
def test_every_text_field_has_a_length_limit(check: object, field: str, limit: int) -> None:
    text = "a" * (limit + 1)
    with pytest.raises(ValidationError) as e:
        check(text)  # type: ignore[operator]
    assert "too long" in e.value.errors[field]


@pytest.mark.parametrize("wrong", [30.5, "30", True, None, Decimal("30")])
def test_validity_must_be_a_whole_number(wrong: object) -> None:
    with pytest.raises(ValidationError) as e:
        rules.validate_validity(wrong)
    assert "whole number of days" in e.value.errors["validity_days"]


@pytest.mark.parametrize("wrong", [30, None, b"Amina"])
def test_text_fields_refuse_what_is_not_text(wrong: object) -> None:
    with pytest.raises(ValidationError) as e:
        v.name(wrong)
    assert e.value.errors == {"name": "The name must be text."}


@pytest.mark.parametrize("wrong", ["30", 30.5, True])
def test_whole_numbers(wrong: object) -> None:
    with pytest.raises(ValidationError):
        v.whole_number(wrong, "days", "number of days", 1, 90)
    assert v.whole_number(30, "days", "number of days", 1, 90) == 30


@pytest.mark.parametrize(("day", "ok"), [(date(2000, 1, 1), True), (date(2100, 12, 31), True),
                                         (date(1999, 12, 31), False), (date(9999, 12, 31), False),
                                         (date(2101, 1, 1), False)])
def test_subscription_dates_stay_between_2000_and_2100(day: date, ok: bool) -> None:
    if ok:
        assert dates.check_day(day, "start", "start date") == day
    else:
        with pytest.raises(ValidationError) as e:
            dates.check_day(day, "start", "start date")
        assert "between" in e.value.errors["start"]


@pytest.mark.parametrize("wrong", ["2026-01-15", datetime(2026, 1, 15, 10, 0), 20260115])
def test_a_date_must_be_a_date(wrong: object) -> None:
    with pytest.raises(ValidationError) as e:
        dates.check_day(wrong, "start", "start date")
    assert "calendar" in e.value.errors["start"]


def test_year_9999_plus_validity_is_a_field_message_not_an_overflow() -> None:
    with pytest.raises(ValidationError) as e:
        rules.end_date(date(9999, 12, 20), 30)
    assert "start" in e.value.errors


# --- money: the decimal separator, through CLDR -------------------------------------------------


@pytest.mark.parametrize(("text", "minor"), [("1,5", 150), ("12,50", 1250), ("1.500,50", 150050),
                                             ("1 500,50", 150050), ("1\u202f500,5", 150050), ("KES 3,25", 325)])
def test_a_comma_counter_reads_decimals_with_a_comma(text: str, minor: int) -> None:
    assert money.parse_amount(text, "KES", decimal_separator=",") == minor


@pytest.mark.parametrize("text", ["1,5", "12,50", "1,50"])
def test_a_point_counter_never_reads_a_comma_as_thousands(text: str) -> None:
    with pytest.raises(ValidationError) as e:
        money.parse_amount(text, "KES", decimal_separator=".")
    assert "decimals are written with “.” here" in e.value.errors["amount"]


@pytest.mark.parametrize("text", ["1e5", "1E5", "2e-2", "0x10", "1_0e3", "12,5e1"])
@pytest.mark.parametrize("separator", [".", ","])
def test_exponents_and_other_notations_are_refused(text: str, separator: str) -> None:
    with pytest.raises(ValidationError) as e:
        money.parse_amount(text, "KES", decimal_separator=separator)
    assert "amount" in e.value.errors


@pytest.mark.parametrize("wrong", [12.5, True, None, [1]])
def test_amounts_are_never_floats(wrong: object) -> None:
    with pytest.raises(ValidationError) as e:
        money.parse_amount(wrong, "KES")
    assert e.value.errors == {"amount": "Type the amount in figures, e.g. 1500."}


def test_formatting_follows_the_separator_setting() -> None:
    assert money.format_amount(150050, "KES", decimal_separator=",") == "1.500,50"
    assert money.format_amount(150050, "KES", decimal_separator=".") == "1,500.50"
    assert money.format_amount(25000, "UGX", decimal_separator=",") == "25.000"
    for separator in (",", "."):
        for minor in (1, 150, 150050, 10**12):
            shown = money.format_amount(minor, "KES", decimal_separator=separator)
            assert money.parse_amount(shown, "KES", decimal_separator=separator) == minor


def test_the_default_separator_comes_from_the_pcs_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(localization, "system_locale", lambda: Locale.parse("fr_FR"))
    assert localization.decimal_symbol("") == ","
    assert money.parse_amount("12,50", "EUR", decimal_separator="") == 1250
    assert money.format_amount(150050, "EUR", decimal_separator="") == "1\u202f500,50"
    monkeypatch.setattr(localization, "system_locale", lambda: Locale.parse("en_KE"))
    assert localization.decimal_symbol("") == "."
    assert localization.decimal_symbol(",") == ","


def test_configured_separator_applies_when_none_is_passed() -> None:
    try:
        localization.configure(",")
        assert money.parse_amount("1,5", "KES") == 150
        assert money.format_money(150, "KES") == "KES 1,50"
    finally:
        localization.configure("")
    assert money.format_money(150, "KES") == "KES 1.50"
