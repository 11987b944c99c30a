"""Staff accounts: what a username, a display name and a password may be; the lock-out rule."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ispclient.domain.errors import ValidationError

MAX_FAILURES = 5  # wrong passwords in a row that lock a username…
LOCK_FOR = timedelta(minutes=1)  # …for this long, on every PC
MIN_PASSWORD = 8
MAX_PASSWORD = 128
MAX_USERNAME = 32
MAX_DISPLAY_NAME = 60
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RESERVED_USERNAMES = frozenset({"system", "enforce", "auto-renew", "demo"})  # names the audit uses for work


def username(value: object) -> str:
    """Letters, digits, dot, dash, underscore; compared whatever the case."""
    if not isinstance(value, str):
        raise ValidationError.single("username", "Type a username.")
    text = value.strip()
    if not text:
        raise ValidationError.single("username", "Type a username.")
    if len(text) > MAX_USERNAME:
        raise ValidationError.single("username", f"A username has at most {MAX_USERNAME} characters.")
    if not _USERNAME.match(text):
        raise ValidationError.single(
            "username", "A username uses English letters, digits, “.”, “-” and “_”, and starts with a letter or digit.")
    if text.lower() in RESERVED_USERNAMES:
        raise ValidationError.single("username", f"“{text}” is kept for the app's own work; choose another.")
    return text


def display_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single("display_name", "Type the name the receipts and the activity show.")
    text = " ".join(value.split())
    if len(text) > MAX_DISPLAY_NAME:
        raise ValidationError.single("display_name", f"A name has at most {MAX_DISPLAY_NAME} characters.")
    if any(ord(ch) < 32 for ch in text):
        raise ValidationError.single("display_name", "The name can't hold control characters.")
    return text


def password(value: object, user: str = "", field: str = "password") -> str:
    """A new password: long enough, not the username, not one character repeated."""
    if not isinstance(value, str) or not value:
        raise ValidationError.single(field, "Type a password.")
    if len(value) < MIN_PASSWORD:
        raise ValidationError.single(field, f"A password has at least {MIN_PASSWORD} characters.")
    if len(value) > MAX_PASSWORD:
        raise ValidationError.single(field, f"A password has at most {MAX_PASSWORD} characters.")
    if user and value.strip().lower() == user.strip().lower():
        raise ValidationError.single(field, "The password can't be the username.")
    if len(set(value)) < 3:
        raise ValidationError.single(field, "That password is too easy to guess; mix more characters.")
    return value


def locked_for(locked_until: datetime | None, now: datetime) -> int:
    """Whole seconds the username stays locked (0: not locked)."""
    if locked_until is None or locked_until <= now:
        return 0
    return max(1, int((locked_until - now).total_seconds() + 0.999))


def locked_message(seconds: int) -> str:
    return (f"Too many wrong passwords for this username: it is locked for {seconds} more second"
            f"{'' if seconds == 1 else 's'}, on every PC. Wait, then try again.")


WRONG = "Wrong username or password."
DISABLED = "This account is turned off. Ask the owner to turn it on again."
