"""One cell's value: as text, as a date, a yes/no or money — and spreadsheet formula injection.

A cell comes from a CSV file (always text), an XLSX sheet (text, numbers, dates, booleans) or a
router export (text). Dates arrive as real dates, Excel serial numbers, or text written in many
ways; each reader here says what it could not read in words a front desk can act on.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from ispclient.domain.dates import EARLIEST, LATEST
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import parse_amount

Cell = str | int | float | Decimal | date | datetime | bool | None

# A spreadsheet evaluates a cell that starts with one of these as a formula ("=HYPERLINK(…)",
# "+cmd|…", "@SUM(…)"); tab and carriage return hide such a start from a quick look.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1 Jan 1900 (Excel's 1900 leap-year bug included)


def neutralise(text: str) -> str:
    """Text for a spreadsheet cell that no spreadsheet will run as a formula: a leading ' makes it
    plain text in Excel, LibreOffice and Google Sheets (OWASP's advice for CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """Undo :func:`neutralise` (a file we exported, read back in)."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r" else text


def as_text(value: Cell) -> str:
    """A cell as the text a person would have typed: 254712345678 for a phone that a spreadsheet
    kept as a number (not 254712345678.0), an ISO date for a date."""
    if type(value) is str:  # the common case first: a CSV has nothing else
        text = value.strip()
        return text if text[:1] != "'" else restore(text).strip()
    if value is None:
        return ""
    if isinstance(value, str):
        return restore(value.strip()).strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- dates ------------------------------------------------------------------------------------

_MONTHS = {name: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
                  r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[- ]([A-Za-z]{3,9})\.?,?[- ](\d{2}|\d{4})$")
_MONTH_NAME_DAY = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
DATE_EXAMPLES = "2026-01-31, 31/01/2026, 31 Jan 2026 or Jan 31, 2026"


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year  # "26" in a subscription's date is 2026


def _checked(day: date, field: str, label: str, shown: str) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValidationError.single(field, f"The {label} “{shown}” is outside {EARLIEST.year}–{LATEST.year}.")
    return day


def from_serial(number: float, field: str, label: str) -> date:
    """An Excel serial day number (days since 30 Dec 1899) as a date."""
    try:
        day = _EXCEL_EPOCH + timedelta(days=int(number))
    except OverflowError:
        raise ValidationError.single(field, f"The {label} “{number}” is not a date.") from None
    return _checked(day, field, label, f"{number:g}")


def date_order_hint(text: str) -> bool | None:
    """For working out whether a column writes the day first: True when this date can only be
    day-first (31/01/2026), False when only month-first (01/31/2026), None when either."""
    m = _NUMERIC.match(text.strip())
    if m is None:
        return None
    first, second = int(m.group(1)), int(m.group(2))
    if first > 12 >= second:
        return True
    if second > 12 >= first:
        return False
    return None


def parse_date(value: Cell, field: str, label: str, day_first: bool = True) -> date:
    """A date from a cell, or ValidationError saying how to write it."""
    if isinstance(value, datetime):
        return _checked(value.date(), field, label, value.date().isoformat())
    if isinstance(value, date):
        return _checked(value, field, label, value.isoformat())
    if isinstance(value, bool):
        raise ValidationError.single(field, f"The {label} is not a date.")
    if isinstance(value, int | float | Decimal):
        return from_serial(float(value), field, label)
    text = as_text(value)
    shown = text[:40]
    if _SERIAL.match(text):
        return from_serial(float(text), field, label)
    day: date | None = None
    try:
        if m := _ISO.match(text):
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif m := _NUMERIC.match(text):
            first, second, year = int(m.group(1)), int(m.group(2)), _year(m.group(3))
            hint = date_order_hint(text)
            dmy = hint if hint is not None else day_first
            day = date(year, second, first) if dmy else date(year, first, second)
        elif m := _DAY_MONTH_NAME.match(text):
            month = _MONTHS.get(m.group(2).lower())
            if month:
                day = date(_year(m.group(3)), month, int(m.group(1)))
        elif m := _MONTH_NAME_DAY.match(text):
            month = _MONTHS.get(m.group(1).lower())
            if month:
                day = date(int(m.group(3)), month, int(m.group(2)))
    except ValueError:  # 31/02/2026
        raise ValidationError.single(field, f"The {label} “{shown}” is not a day of the calendar.") from None
    if day is None:
        raise ValidationError.single(field, f"The {label} “{shown}” is not a date; write it like {DATE_EXAMPLES}.")
    return _checked(day, field, label, shown)


# -- yes / no ---------------------------------------------------------------------------------

_YES = {"yes", "y", "true", "1", "paid", "paid up", "x", "✓", "on"}
_NO = {"no", "n", "false", "0", "unpaid", "not paid", "off", ""}


def parse_yes_no(value: Cell, field: str, label: str) -> bool | None:
    """True, False, or None for an empty cell."""
    if isinstance(value, bool):
        return value
    text = as_text(value).lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValidationError.single(field, f"{label} is yes or no (it is “{text[:20]}”).")


# -- money ------------------------------------------------------------------------------------


def parse_money(value: Cell, field: str, currency: str, decimal_separator: str = "", *,
                signed: bool = False) -> int:
    """Minor units; a spreadsheet's number cell taken as the number it shows (1500.5, never
    1500.4999…). ``signed`` allows a minus (a balance that is money owed to the client)."""
    negative = False
    if isinstance(value, float):
        value = Decimal(repr(value))
    amount: int | Decimal | str
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        negative = value < 0
        amount = -value if negative else value
    else:
        text = as_text(value)
        if signed and text[:1] in "-−":
            negative, text = True, text[1:]
        if signed and text.startswith("(") and text.endswith(")"):  # accountants' (1,500.00)
            negative, text = True, text[1:-1]
        amount = text
    if negative and not signed:
        raise ValidationError.single(field, "The amount can't be negative.")
    try:
        minor = parse_amount(amount, currency, allow_zero=True, decimal_separator=decimal_separator)
    except ValidationError as e:
        raise ValidationError.single(field, next(iter(e.errors.values()))) from None
    except InvalidOperation:
        raise ValidationError.single(field, "That is not an amount of money.") from None
    return -minor if negative else minor
