"""Client rules: when a client may be deleted, quick stats, Client ID suggestions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ispclient.domain.dates import day_text
from ispclient.domain.subscriptions import (
    BLOCKING_STATUSES,
    S,
    SubscriptionLike,
    SubscriptionStatus,
    status,
)


def delete_blocker(subs: Sequence[S], today: date) -> S | None:
    """The subscription that keeps this client from being deleted, if any.

    Only clients whose subscriptions are all Expired or Cancelled may go.
    """
    for sub in subs:
        if status(sub, today) in BLOCKING_STATUSES:
            return sub
    return None


def delete_refusal(sub: SubscriptionLike, package_name: str, today: date) -> str:
    """The seed's “Unable to delete client”, naming the subscription that blocks it."""
    st = status(sub, today)
    verb = "is scheduled to start" if st is SubscriptionStatus.SCHEDULED else f"is {st.value.lower()}"
    return (
        f"Unable to delete client: the “{package_name}” subscription from {day_text(sub.starts_on)} "
        f"to {day_text(sub.ends_on)} {verb}. Cancel it first, then delete the client."
    )


@dataclass(frozen=True)
class QuickStats:
    total_subscriptions: int
    total_revenue_minor: int
    active_since: date | None


def quick_stats(subs: Iterable[S], payments_minor: Iterable[int]) -> QuickStats:
    subs = list(subs)
    starts = [s.starts_on for s in subs if not s.is_cancelled] or [s.starts_on for s in subs]
    return QuickStats(len(subs), sum(payments_minor), min(starts) if starts else None)


def customer_for(active_since: date | None, today: date) -> str:
    """'2 years 3 months', '5 months', '12 days' — how long they've been a customer."""
    if active_since is None or active_since > today:
        return "Not yet"
    months = (today.year - active_since.year) * 12 + today.month - active_since.month
    if today.day < active_since.day:
        months -= 1
    if months <= 0:
        days = (today - active_since).days
        return f"{days} day{'s' if days != 1 else ''}"
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return " ".join(parts)


_CODE = re.compile(r"^(.*?)(\d+)$")


def next_client_code(existing: Iterable[str], prefix: str = "C", width: int = 5) -> str:
    """The Client ID after the highest numbered one with this prefix: C00041 → C00042."""
    highest = 0
    for code in existing:
        m = _CODE.match(code)
        if m and m.group(1) == prefix:
            highest = max(highest, int(m.group(2)))
    return f"{prefix}{highest + 1:0{width}d}"


_USERNAME_STROKES = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ß": "ss", "æ": "ae", "œ": "oe"})
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing read two ways


def username_base(name: str) -> str:
    """"Amina Wanjiru" → "amina.wanjiru"; accents dropped; other scripts give ""."""
    import unicodedata

    parts = []
    for word in name.lower().translate(_USERNAME_STROKES).split():
        plain = unicodedata.normalize("NFKD", word)
        kept = "".join(ch for ch in plain if ch.isascii() and (ch.isalnum() or ch in "-_"))
        if kept:
            parts.append(kept)
    return ".".join(parts[:2] if len(parts) < 3 else (parts[0], parts[-1]))[:40]


def suggest_username(name: str, taken: Iterable[str]) -> str:
    """A PPPoE username from the client's name that no one on the router has (case ignored, as
    RouterOS does): "amina.wanjiru", else "amina.wanjiru2", "amina.wanjiru3"…; "" for no name."""
    base = username_base(name)
    if not base:
        return ""
    used = {t.lower() for t in taken}
    if base not in used:
        return base
    n = 2
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"


def generate_password(length: int = 10) -> str:
    """A PPPoE password to read out at the counter: letters and digits that can't be mistaken."""
    import secrets

    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
