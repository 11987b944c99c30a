"""Today's date in the ISP's time zone, and UTC timestamps for storage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ispclient.domain.errors import ValidationError


def utcnow() -> datetime:
    """Naive UTC, as stored in the database (shown in local time by the UI)."""
    return datetime.now(UTC).replace(tzinfo=None)


def zone(tz_name: str) -> ZoneInfo | None:
    """The ISP's zone; '' means the PC's own local time."""
    if not tz_name:
        return None
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError.single(
            "timezone", f"“{tz_name}” is not a known time zone (e.g. Africa/Nairobi)."
        ) from None


def today(tz_name: str = "") -> date:
    tz = zone(tz_name)
    return datetime.now(tz).date() if tz else date.today()


def to_local(utc_naive: datetime, tz_name: str = "") -> datetime:
    aware = utc_naive.replace(tzinfo=UTC)
    tz = zone(tz_name)
    return aware.astimezone(tz) if tz else aware.astimezone()
