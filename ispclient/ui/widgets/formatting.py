"""How dates, times, money and durations read on screen (one place, so every window agrees)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from ispclient.domain.clock import to_local
from ispclient.domain.dates import day_text
from ispclient.domain.subscriptions import SubscriptionLike, SubscriptionStatus, days_left

_UPTIME = re.compile(r"(\d+)([wdhms])")


def day(d: date | None) -> str:
    """'05 Mar 2025' — the same form the store uses in its messages."""
    return f"{d:%d %b %Y}" if d else "—"


def day_in_text(d: date) -> str:
    """A date inside a sentence that may wrap: no-break spaces, so it never splits over two lines."""
    return day_text(d)


def local_time(utc: datetime | None, tz_name: str = "", seconds: bool = False) -> str:
    """A stored (naive UTC) or aware timestamp in the ISP's local time."""
    if utc is None:
        return "—"
    if utc.tzinfo is not None:  # e.g. a status check's aware UTC time
        utc = utc.astimezone(UTC).replace(tzinfo=None)
    local = to_local(utc, tz_name)
    return f"{local:%d %b %Y %H:%M:%S}" if seconds else f"{local:%d %b %Y %H:%M}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def days_left_text(sub: SubscriptionLike, status: SubscriptionStatus, today: date) -> str:
    """'12 days left', '1 day left (last day of service)', 'Starts in 3 days', 'Expired 2 days ago'."""
    if status is SubscriptionStatus.CANCELLED:
        return "Cancelled"
    if status is SubscriptionStatus.SCHEDULED:
        n = (sub.starts_on - today).days
        return "Starts tomorrow" if n == 1 else f"Starts in {plural(n, 'day')}"
    if status is SubscriptionStatus.EXPIRED:
        n = (today - sub.ends_on).days
        return "Expired today" if n == 0 else f"Expired {plural(n, 'day')} ago"
    n = days_left(sub, today)
    return "1 day left (last day of service)" if n == 1 else f"{plural(n, 'day')} left"


def uptime(text: str) -> str:
    """RouterOS '1w2d3h4m5s' → '1w 2d 3h 4m 5s' (the router's own units, easier to read)."""
    parts = _UPTIME.findall(text or "")
    return " ".join(f"{n}{u}" for n, u in parts) if parts else (text or "—")
