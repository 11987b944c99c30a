from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ispclient.domain import localization, money
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import format_amount, format_money, parse_amount


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("1500", "KES", 150000), ("1,500.50", "KES", 150050), (" 12.5 ", "USD", 1250), ("USD 3", "USD", 300),
     ("25000", "UGX", 25000), ("1.234", "KWD", 1234), ("0.01", "USD", 1)],
)
def test_parse(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("-5", "negative"), ("abc", "not an amount"), ("", "Enter an amount"), ("1.005", "at most 2 digits"),
     ("0", "more than zero"), ("NaN", "amount of money"), ("Infinity", "amount of money"), ("1e30", "not an amount"),
     ("1e5", "not an amount")],
)
def test_bad_amounts_say_why(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_amount(text, "USD")
    assert fragment in e.value.errors["amount"]


def test_zero_allowed_when_asked() -> None:
    assert parse_amount("0", "USD", allow_zero=True) == 0


def test_format() -> None:
    assert format_money(150050, "KES") == "KES 1,500.50"
    assert format_amount(25000, "UGX") == "25,000"
    assert format_amount(5, "USD") == "0.05"


@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_round_trips(minor: int) -> None:
    for currency in ("USD", "UGX", "KWD"):
        if minor == 0:
            assert parse_amount(format_amount(minor, currency), currency, allow_zero=True) == 0
        else:
            assert parse_amount(format_amount(minor, currency), currency) == minor


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2))
def test_parse_never_uses_floats(value: Decimal) -> None:
    assert parse_amount(str(value), "USD") == int(value * 100)


def test_formatted_amounts_follow_the_decimal_separator_setting_after_caching() -> None:
    """Amounts are formatted once each (tables repeat them); the cache is per locale, so changing
    the installation's decimal separator changes what is shown at once."""
    before = localization.configured_separator()
    try:
        localization.configure(".")
        assert money.format_money(123456, "KES") == "KES 1,234.56"
        assert money.format_money(123456, "KES") == "KES 1,234.56"  # from the cache, the same
        localization.configure(",")
        assert money.format_money(123456, "KES") == "KES 1.234,56"
        assert money.format_money(123456, "JPY") == "JPY 123.456"  # the currency's digits, not the cached KES text
        assert money.format_amount(123456, "KES", decimal_separator=".") == "1,234.56"
    finally:
        localization.configure(before)
