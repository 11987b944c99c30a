"""Calendar dates the front desk may give, and moments written for people.

Subscription dates stay within 2000–2100: a year typed as 9999 (or a start date that a long
package pushes past 9999-12-31) is a field message, never an OverflowError.
"""

from __future__ import annotations

from datetime import date, datetime

from ispclient.domain import clock, localization
from ispclient.domain.errors import ValidationError

NBSP = "\u00a0"  # a date is one word: "17 Nov 2026" never breaks over two lines in a message
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def check_day(value: object, field: str, label: str) -> date:
    """``value`` as a date within EARLIEST..LATEST, or a message for ``field``."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError.single(field, f"Choose the {label} from the calendar.")
    if not EARLIEST <= value <= LATEST:
        raise ValidationError.single(
            field, f"The {label} must be between {localization.format_date(EARLIEST)} and "
                   f"{localization.format_date(LATEST)} (it is {value.isoformat()}).")
    return value


MAX_RANGE_DAYS = 366 * 10  # a report over more than ten years is a mistyped year


def check_range(first: date, last: date) -> None:
    """A report's days ``first`` to ``last`` (both included), or a message for ``last``."""
    if last < first:
        raise ValidationError.single("last", "The end of the range is before its start.")
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationError.single("last", "Choose at most ten years.")


def format_moment(utc_naive: datetime, tz_name: str = "", today: date | None = None) -> str:
    """"10:42" today, "10:42 on 3 Mar 2026" another day — in the ISP's time zone."""
    local = clock.to_local(utc_naive, tz_name)
    time_text = localization.format_time(local)
    if local.date() == (today or clock.today(tz_name)):
        return time_text
    return f"{time_text} on {localization.format_date(local.date())}"


def day_text(d: date) -> str:
    """'05 Mar 2025', with no-break spaces: message boxes wrap between words, never inside a date."""
    return f"{d:%d}{NBSP}{d:%b}{NBSP}{d:%Y}"
