"""validation.phone for the import's rows, quicker, with the same results and messages.

Most client lists hold their numbers already in international form (``+254712345678``, as
ispclient and most billing systems export them). ``phonenumbers.parse`` spends ~25 µs on such a
number with regular expressions that can't change it; here the number is split into its country
code and national number as ``parse`` would, and only ``is_valid_number`` is asked. The shortcut
is taken only where ``parse`` would give that very split:

* the text is ``+`` and 7–15 digits, nothing else (no spaces, extension or letters);
* the national number does not start with 0 (no "Italian" leading zero to keep) and does not
  start with what the region's metadata strips as a national prefix (``parse`` may strip it);
* the number is valid — otherwise the slow path runs, for its exact message.

Anything else goes to :func:`ispclient.domain.validation.phone`. Results are also remembered by
the text as typed (a file often repeats a number: family members, re-imports); errors are not.
tests/dataio/test_phones.py compares both paths on a table of awkward inputs and on numbers of
every country code.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber

from ispclient.domain import validation

_E164 = re.compile(r"\+([1-9][0-9]{6,14})")
_MAX_COUNTRY_CODE = 3


@functools.lru_cache(maxsize=1024)
def _national_prefix(country_code: int) -> re.Pattern[str] | None:
    """The pattern ``parse`` strips from the front of a national number of this country code
    (None: nothing is stripped)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return re.compile("")  # unknown to this metadata: matches everything, so the slow path runs
    prefix = metadata.national_prefix_for_parsing
    return re.compile(prefix) if prefix else None


def quick_e164(text: str) -> str | None:
    """``text`` itself when it is a valid number already in E.164 form that ``parse`` would not
    change; None when the slow path must decide."""
    m = _E164.fullmatch(text)
    if m is None:
        return None
    digits = m.group(1)
    for size in range(1, _MAX_COUNTRY_CODE + 1):  # as phonenumbers' _extract_country_code: the shortest known code
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    if not national or national[0] == "0":
        return None
    prefix = _national_prefix(country_code)
    if prefix is not None and prefix.match(national):
        return None
    if not phonenumbers.is_valid_number(PhoneNumber(country_code=country_code, national_number=int(national))):
        return None
    return text


@functools.lru_cache(maxsize=65536)
def phone(text: str, default_country: str) -> str:
    """validation.phone(text, default_country), quicker (see the module docstring)."""
    return quick_e164(text) or validation.phone(text, default_country)


# -- showing a stored number ("+254 712 345678") -------------------------------------------------

_Format = tuple[re.Pattern[str] | None, re.Pattern[str], str]


@functools.lru_cache(maxsize=1024)
def _international_formats(country_code: int) -> tuple[_Format, ...] | None:
    """The formats ``format_number(…, INTERNATIONAL)`` chooses from for this country code, their
    patterns compiled once: (last leading-digits pattern or None, number pattern, rule). None:
    a country code phonenumbers can't format (the slow path decides)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region.upper())
    if metadata is None:
        return None
    formats = metadata.intl_number_format or metadata.number_format
    if any(f.pattern is None or f.format is None for f in formats):
        return None
    return tuple((re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None,
                  re.compile(str(f.pattern)), str(f.format)) for f in formats)


def international(country_code: int, national: str) -> str | None:
    """``format_number(PhoneNumber(country_code, int(national)), INTERNATIONAL)`` for a national
    number without leading zeros and without extension, as phonenumbers formats it (the same
    choice of format, the same substitution) without building the number or looking up its
    metadata and patterns again; None when the slow path must decide."""
    formats = _international_formats(country_code)
    if formats is None or not national or national[0] == "0":
        return None
    for leading, pattern, rule in formats:
        if (leading is None or leading.match(national)) and pattern.fullmatch(national):
            return f"+{country_code} {pattern.sub(rule, national)}"
    return f"+{country_code} {national}"
