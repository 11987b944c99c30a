"""The installation's locale for numbers and dates, from CLDR through Babel — never hand-written
rules about which character groups thousands.

The decimal separator is a setting ("" = the PC's own locale, "." or ","): whoever types "1,5"
at a counter that writes decimals with a comma means one and a half, and one that writes them
with a point gets a message, never fifteen.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from functools import lru_cache

from babel import Locale, UnknownLocaleError, default_locale
from babel import dates as babel_dates

DECIMAL_SEPARATORS = ("", ".", ",")
FALLBACK_LOCALE = "en_US"
# A locale of CLDR for each decimal separator, used when the PC's own writes the other one.
_FOR_SEPARATOR = {".": "en_US", ",": "de_DE"}

_configured_separator = ""


def configure(decimal_separator: str) -> None:
    """The installation's decimal separator setting, applied to what is parsed and shown from now
    on (the store calls this when the database is opened and when the setting changes)."""
    global _configured_separator
    _configured_separator = decimal_separator if decimal_separator in DECIMAL_SEPARATORS else ""


def configured_separator() -> str:
    return _configured_separator


def _windows_locale_name() -> str | None:
    if sys.platform != "win32":
        return None
    import ctypes

    buffer = ctypes.create_unicode_buffer(85)
    if ctypes.windll.kernel32.GetUserDefaultLocaleName(buffer, len(buffer)):
        return buffer.value.replace("-", "_")
    return None


@lru_cache(maxsize=1)
def system_locale() -> Locale:
    """The PC's locale as CLDR knows it (the environment, else Windows' user locale)."""
    candidates = [os.environ.get("ISPCLIENT_LOCALE"), default_locale("LC_NUMERIC"), _windows_locale_name()]
    for name in candidates:
        if not name or name.split("_")[0].upper() in ("C", "POSIX") or name.endswith("_POSIX"):
            continue
        try:
            return Locale.parse(name.split(".")[0].replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK_LOCALE)


def number_locale(decimal_separator: str | None = None) -> Locale:
    """The locale numbers are read and written with: the PC's, unless the setting asks for the
    other decimal separator."""
    separator = configured_separator() if decimal_separator is None else decimal_separator
    base = system_locale()
    if not separator or base.number_symbols.get("latn", {}).get("decimal", ".") == separator:
        return base
    return Locale.parse(_FOR_SEPARATOR[separator])


def decimal_symbol(decimal_separator: str | None = None) -> str:
    return str(number_locale(decimal_separator).number_symbols.get("latn", {}).get("decimal", "."))


def format_date(day: date) -> str:
    """A calendar date as the PC's locale writes it: "15 Jan 2026", "Jan 15, 2026"…"""
    # No-break spaces: a wrapped message never splits "15 Jan / 2026" over two lines.
    return str(babel_dates.format_date(day, "medium", locale=system_locale())).replace(" ", "\u00a0")


def format_time(moment: datetime) -> str:
    return str(babel_dates.format_time(moment, "short", locale=system_locale()))


def locale_defaults(locale: Locale | None = None) -> tuple[str, str, str, str]:
    """(country, currency, time zone, decimal separator) a new installation starts with, from
    the PC's locale through CLDR: a Kenyan PC gets KE / KES / Africa/Nairobi / ".". The time zone
    is '' (the PC's own) when the country has several; the separator '' follows the PC."""
    from babel.core import get_global
    from babel.numbers import get_territory_currencies

    locale = locale or system_locale()
    country = (locale.territory or "").upper()
    if not country:
        return "US", "USD", "", ""
    currencies = get_territory_currencies(country)
    zones = list(get_global("territory_zones").get(country, ()))
    return country, currencies[0] if currencies else "USD", zones[0] if len(zones) == 1 else "", ""
