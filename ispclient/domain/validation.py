"""Validation of what the front desk types: names, phones, e-mail, PPPoE usernames, IDs.

Each validator returns the cleaned value or raises ValidationError for its field, worded for
a front-desk user. Phone numbers and e-mail addresses use maintained libraries (phonenumbers,
email-validator) because their rules are far richer than a regex.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from ispclient.domain.errors import ValidationError

MAX_NAME = 200
MAX_ADDRESS = 500
MAX_NOTES = 5000
MAX_CLIENT_CODE = 32
MAX_PPPOE_USERNAME = 64
DEFAULT_COUNTRY = "US"

# RouterOS accepts almost anything, but PPPoE clients (CPEs, Windows dialers) choke on spaces
# and non-ASCII, and the name is typed on a router's tiny web form: keep to a safe set.
_PPPOE_ALLOWED = re.compile(r"^[A-Za-z0-9._@+\-]+$")
_CLIENT_CODE_ALLOWED = re.compile(r"^[A-Za-z0-9._/\-]+$")


def _no_control_chars(value: str, field: str, label: str, allow_newlines: bool = False) -> None:
    for ch in value:
        if ch in "\n\r\t" and allow_newlines:
            continue
        if unicodedata.category(ch) in {"Cc", "Cs"}:
            raise ValidationError.single(field, f"{label} contains an invisible control character.")


def name(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError.single("name", "Enter the client's name.")
    if len(cleaned) > MAX_NAME:
        raise ValidationError.single("name", f"The name is too long (at most {MAX_NAME} characters).")
    _no_control_chars(cleaned, "name", "The name")
    return cleaned


def phone(value: str, default_country: str = DEFAULT_COUNTRY) -> str:
    """Empty, or a valid number, stored in international (E.164) form: +254712345678."""
    cleaned = value.strip()
    if not cleaned:
        return ""
    try:
        parsed = phonenumbers.parse(cleaned, default_country.upper() or None)
    except phonenumbers.NumberParseException:
        raise ValidationError.single(
            "phone", f"“{cleaned}” is not a phone number. Include the country code, e.g. +254 712 345678."
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError.single(
            "phone", f"“{cleaned}” is not a valid phone number for {_region_text(parsed, default_country)}."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _region_text(parsed: phonenumbers.PhoneNumber, default_country: str) -> str:
    region = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    return region if region and region != "ZZ" else default_country.upper()


def display_phone(e164: str) -> str:
    """+254712345678 → '+254 712 345678' for reading aloud; unparseable stays as stored."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def email(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        return ""
    # Imported here: only saving a client needs it, and it costs ~35 ms of every start-up.
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError as e:
        raise ValidationError.single("email", f"“{cleaned}” is not a valid e-mail address: {e}") from None
    return str(result.normalized)


def address(value: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > MAX_ADDRESS:
        raise ValidationError.single(
            "address", f"The address is too long ({len(cleaned):,} characters; at most {MAX_ADDRESS})."
        )
    _no_control_chars(cleaned, "address", "The address", allow_newlines=True)
    return cleaned


def notes(value: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > MAX_NOTES:
        raise ValidationError.single("notes", f"The notes are too long (at most {MAX_NOTES} characters).")
    return cleaned


def pppoe_username(value: str) -> str:
    """Empty (not provisioned yet) or a name a PPPoE dialer can type."""
    cleaned = value.strip()
    if not cleaned:
        return ""
    if any(ch.isspace() for ch in cleaned):
        raise ValidationError.single("pppoe_username", "The PPPoE username can't contain spaces.")
    if not cleaned.isascii():
        raise ValidationError.single(
            "pppoe_username", "The PPPoE username can only use English letters, digits and . _ - @ +"
        )
    if not _PPPOE_ALLOWED.match(cleaned):
        raise ValidationError.single(
            "pppoe_username", "The PPPoE username can only use letters, digits and . _ - @ +"
        )
    if len(cleaned) > MAX_PPPOE_USERNAME:
        raise ValidationError.single(
            "pppoe_username", f"The PPPoE username is too long (at most {MAX_PPPOE_USERNAME} characters)."
        )
    return cleaned


def client_code(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError.single("client_code", "Enter a Client ID.")
    if len(cleaned) > MAX_CLIENT_CODE:
        raise ValidationError.single("client_code", f"The Client ID is too long (at most {MAX_CLIENT_CODE}).")
    if not _CLIENT_CODE_ALLOWED.match(cleaned):
        raise ValidationError.single(
            "client_code", "The Client ID can only use letters, digits and . _ / -"
        )
    return cleaned


def country_code(value: str) -> str:
    cleaned = value.strip().upper()
    if cleaned not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError.single(
            "default_country", f"“{value}” is not a two-letter country code (e.g. KE, NG, US)."
        )
    return cleaned


def required_text(value: str, field: str, label: str, max_len: int = 100) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError.single(field, f"Enter the {label}.")
    if len(cleaned) > max_len:
        raise ValidationError.single(field, f"The {label} is too long (at most {max_len} characters).")
    _no_control_chars(cleaned, field, f"The {label}")
    return cleaned
