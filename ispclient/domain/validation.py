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
MAX_EMAIL = 254
MAX_PHONE_TYPED = 40
MAX_DESCRIPTION = 2000
MAX_CLIENT_CODE = 32
MAX_PPPOE_USERNAME = 64
DEFAULT_COUNTRY = "US"

# RouterOS accepts almost anything, but PPPoE clients (CPEs, Windows dialers) choke on spaces
# and non-ASCII, and the name is typed on a router's tiny web form: keep to a safe set.
_PPPOE_ALLOWED = re.compile(r"^[A-Za-z0-9._@+\-]+$")
_CLIENT_CODE_ALLOWED = re.compile(r"^[A-Za-z0-9._/\-]+$")


# Bidirectional embeddings, overrides and isolates: a name holding one can show its letters in
# another order than they are stored ("Trojan Source"), so a list can lie about who is who.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that show as nothing (besides spaces and the Cf format characters).
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _text(value: object, field: str, label: str) -> str:
    if not isinstance(value, str):
        raise ValidationError.single(field, f"{label} must be text.")
    return value


def _no_control_chars(value: str, field: str, label: str, allow_newlines: bool = False) -> None:
    """Refuse NUL and the other control characters (PostgreSQL can't store NUL; none of them
    can be typed or seen). A multi-line field keeps its tabs and line breaks."""
    for ch in value:
        if ch in "\n\t" and allow_newlines:
            continue
        if unicodedata.category(ch) in {"Cc", "Cs"} or ch in "\u2028\u2029":
            kind = "a NUL character" if ch == "\x00" else "an invisible control character"
            raise ValidationError.single(field, f"{label} contains {kind} (often pasted from another program); "
                                                "retype it.")


def _visible(value: str, field: str, label: str) -> None:
    """A name must show something and show it as stored."""
    if any(ch in _BIDI_CONTROLS for ch in value):
        raise ValidationError.single(field, f"{label} contains a text-direction override character; retype it.")
    if all(ch.isspace() or ch in _BLANKS or unicodedata.category(ch) in {"Cf", "Mn", "Me", "Zs"} for ch in value):
        raise ValidationError.single(field, f"{label} is made only of invisible characters; type the name.")


def line(value: object, field: str, label: str, max_len: int = 100, required: bool = False) -> str:
    """One line of free text (a reference, a payment method…): no line breaks or control
    characters, at most ``max_len`` characters."""
    cleaned = _text(value, field, f"The {label}").strip()
    if not cleaned:
        if required:
            raise ValidationError.single(field, f"Enter the {label}.")
        return ""
    if len(cleaned) > max_len:
        raise ValidationError.single(field, f"The {label} is too long (at most {max_len} characters).")
    _no_control_chars(cleaned, field, f"The {label}")
    return cleaned


def text_block(value: object, field: str, label: str, max_len: int) -> str:
    """Multi-line free text (notes, a description, a reason): tabs and line breaks allowed (a
    Windows line break is kept as one), other control characters not."""
    cleaned = _text(value, field, f"The {label}").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(cleaned) > max_len:
        raise ValidationError.single(field, f"The {label} is too long ({len(cleaned):,} characters; at most "
                                            f"{max_len:,}).")
    _no_control_chars(cleaned, field, f"The {label}", allow_newlines=True)
    return cleaned


def name(value: object) -> str:
    cleaned = _text(value, "name", "The name").strip()
    if not cleaned:
        raise ValidationError.single("name", "Enter the client's name.")
    if len(cleaned) > MAX_NAME:
        raise ValidationError.single("name", f"The name is too long (at most {MAX_NAME} characters).")
    _no_control_chars(cleaned, "name", "The name")
    _visible(cleaned, "name", "The name")
    return cleaned


def phone(value: object, default_country: str = DEFAULT_COUNTRY) -> str:
    """Empty, or a valid number, stored in international (E.164) form: +254712345678."""
    cleaned = _text(value, "phone", "The phone number").strip()
    if len(cleaned) > MAX_PHONE_TYPED:
        raise ValidationError.single("phone", "That is too long for a phone number.")
    _no_control_chars(cleaned, "phone", "The phone number")
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


def email(value: object) -> str:
    cleaned = _text(value, "email", "The e-mail address").strip()
    if not cleaned:
        return ""
    if len(cleaned) > MAX_EMAIL:
        raise ValidationError.single("email", f"The e-mail address is too long (at most {MAX_EMAIL} characters).")
    _no_control_chars(cleaned, "email", "The e-mail address")
    # Imported here: only saving a client needs it, and it costs ~35 ms of every start-up.
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError as e:
        raise ValidationError.single("email", f"“{cleaned}” is not a valid e-mail address: {e}") from None
    return str(result.normalized)


def address(value: object) -> str:
    return text_block(value, "address", "address", MAX_ADDRESS)


def notes(value: object) -> str:
    return text_block(value, "notes", "notes", MAX_NOTES)


def pppoe_username(value: object) -> str:
    """Empty (not provisioned yet) or a name a PPPoE dialer can type."""
    cleaned = _text(value, "pppoe_username", "The PPPoE username").strip()
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


def client_code(value: object) -> str:
    cleaned = _text(value, "client_code", "The Client ID").strip()
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


def required_text(value: object, field: str, label: str, max_len: int = 100) -> str:
    """A one-line name (a package, a router, a profile): required, visible, no control characters."""
    cleaned = line(value, field, label, max_len, required=True)
    _visible(cleaned, field, f"The {label}")
    return cleaned


def whole_number(value: object, field: str, label: str, lowest: int, highest: int, unit: str = "") -> int:
    """An int between ``lowest`` and ``highest``; text, fractions and True/False are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single(field, f"The {label} must be a whole number{unit and ' of ' + unit}.")
    if not lowest <= value <= highest:
        raise ValidationError.single(field, f"The {label} must be from {lowest:,} to {highest:,}{unit and ' ' + unit}.")
    return value


def example_phone(country: str) -> str:
    """A mobile number as people in ``country`` write it, for a placeholder ("e.g. …")."""
    try:
        example = phonenumbers.example_number_for_type(country.upper() or DEFAULT_COUNTRY,
                                                       phonenumbers.PhoneNumberType.MOBILE)
    except Exception:  # noqa: BLE001 - an unknown region: no example rather than an error
        example = None
    if example is None:
        return ""
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
