"""Money as integer minor units (cents), never floats; one currency per installation."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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


def parse_amount(text: str | int | Decimal, currency: str, *, allow_zero: bool = False) -> int:
    """Parse what a user typed ("1,500.50", "1500") into minor units, or say why not."""
    digits = minor_digits(currency)
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    else:
        cleaned = text.strip().replace(",", "").replace("_", "").replace(" ", "")
        if cleaned.upper().startswith(currency.upper()):
            cleaned = cleaned[len(currency):]
        if not cleaned:
            raise ValidationError.single("amount", "Enter an amount.")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValidationError.single("amount", f"“{text.strip()}” is not an amount of money.") from None
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
        raise ValidationError.single(
            "amount", f"{currency} amounts have at most {digits} digits after the decimal point."
        )
    return int(value.scaleb(digits))


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def format_amount(minor: int, currency: str) -> str:
    """'1,500.50' — the number alone, grouped, with the currency's decimals."""
    digits = minor_digits(currency)
    return f"{to_decimal(minor, currency):,.{digits}f}"


def format_money(minor: int, currency: str) -> str:
    """'KES 1,500.50'."""
    return f"{currency.upper()} {format_amount(minor, currency)}"
