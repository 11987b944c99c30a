"""Money as integer minor units (cents), never floats; one currency per installation; read and
written with the installation's locale through Babel (CLDR)."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberFormatError, format_decimal, get_currency_symbol, parse_decimal

from ispclient.domain import localization
from ispclient.domain.errors import ValidationError

# ISO 4217 minor-unit digits for currencies that are not the usual two.
_MINOR_DIGITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0, "IQD": 3, "BHD": 3,
    "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
MAX_AMOUNT_MINOR = 10**13  # far above any plausible payment; stops typos like 1e20


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


def parse_amount(text: object, currency: str, *, allow_zero: bool = False,
                 decimal_separator: str | None = None) -> int:
    """Parse what a user typed ("1,500.50", "1500", "12,50" where decimals take a comma) into
    minor units, or say why not.

    Read with CLDR's symbols for the installation's locale (Babel): the decimal separator is
    never taken for a thousands separator ("1,5" at a counter that writes "1.5" is refused, not
    fifteen), and exponents ("1e5") are refused. Floats and True/False are refused: money is
    typed text, an int of major units or a Decimal."""
    digits = minor_digits(currency)
    if isinstance(text, bool) or not isinstance(text, int | Decimal | str):
        raise ValidationError.single("amount", "Type the amount in figures, e.g. 1500.")
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    else:
        value = _parse_text(text, currency, decimal_separator)
    if not value.is_finite():
        raise ValidationError.single("amount", "Enter an amount of money.")
    if value < 0:
        raise ValidationError.single("amount", "The amount can't be negative.")
    if value == 0 and not allow_zero:
        raise ValidationError.single("amount", "The amount must be more than zero.")
    if value > Decimal(MAX_AMOUNT_MINOR).scaleb(-digits):
        raise ValidationError.single("amount", "That amount is too large; check the number.")
    quantum = Decimal(1).scaleb(-digits)
    if value != value.quantize(quantum, rounding=ROUND_HALF_UP):
        if digits == 0:
            raise ValidationError.single("amount", f"{currency} amounts are whole numbers, without decimals.")
        raise ValidationError.single(
            "amount", f"{currency} amounts have at most {digits} digits after the decimal point."
        )
    return int(value.scaleb(digits))


def _strip_currency(text: str, currency: str, locale: Locale) -> str:
    marks = [currency.upper(), str(get_currency_symbol(currency.upper(), locale=locale))]
    for mark in marks:
        if mark and text.upper().startswith(mark.upper()):
            text = text[len(mark):]
        if mark and text.upper().endswith(mark.upper()):
            text = text[:-len(mark)]
    return text


def _parse_text(text: str, currency: str, decimal_separator: str | None) -> Decimal:
    locale = localization.number_locale(decimal_separator)
    symbols = locale.number_symbols.get("latn", {})
    decimal, group = symbols.get("decimal", "."), symbols.get("group", ",")
    shown = text.strip()
    # Spaces of every kind (French groups with U+202F), underscores and apostrophes (Swiss) only
    # ever group digits, whatever the locale.
    cleaned = "".join(ch for ch in _strip_currency(shown, currency, locale)
                      if not (ch.isspace() or unicodedata.category(ch) == "Zs" or ch in "_'’"))
    if not cleaned:
        raise ValidationError.single("amount", "Enter an amount.")
    allowed = set("0123456789+-−") | {decimal} | ({group} if not group.isspace() else set())
    if any(ch not in allowed for ch in cleaned):
        raise ValidationError.single("amount", f"“{shown}” is not an amount of money.")
    try:
        return Decimal(parse_decimal(cleaned, locale=locale, strict=True))
    except NumberFormatError:
        other = "," if decimal == "." else "."
        if other in cleaned:
            raise ValidationError.single(
                "amount", f"“{shown}”: decimals are written with “{decimal}” here (e.g. "
                          f"{format_decimal(Decimal('12.5'), '#,##0.00', locale=locale)}), and “{other}” only "
                          "groups thousands (1,500 or 1.500 — not 1,5). Change it in Settings if this PC "
                          "should write decimals the other way."
            ) from None
        raise ValidationError.single("amount", f"“{shown}” is not an amount of money.") from None


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def format_amount(minor: int, currency: str, *, decimal_separator: str | None = None) -> str:
    """'1,500.50' (or '1.500,50', '1 500,50'…) — the number alone, grouped as the installation's
    locale writes it, with the currency's decimals."""
    return _formatted(minor, currency, localization.number_locale(decimal_separator))


# Tables show the same few prices and balances over and over: Babel parses its pattern and
# quantizes on every call (~0.1 ms), so each (amount, currency, locale) is formatted once.
@lru_cache(maxsize=8192)
def _formatted(minor: int, currency: str, locale: Locale) -> str:
    digits = minor_digits(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(to_decimal(minor, currency), pattern, locale=locale, numbering_system="latn"))


def format_money(minor: int, currency: str, *, decimal_separator: str | None = None) -> str:
    """'KES 1,500.50'."""
    return f"{currency.upper()} {format_amount(minor, currency, decimal_separator=decimal_separator)}"
