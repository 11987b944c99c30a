"""Subscription rules: end dates, status, the current subscription, overlaps, auto-renew.

All dates are calendar dates in the ISP's time zone. The end date is the first day without
service: a 30-day package from 1 January ends on 31 January, expiring at 00:00 that day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from ispclient.domain.dates import day_text
from ispclient.domain.errors import ValidationError

DEFAULT_EXPIRING_DAYS = 7
MAX_VALIDITY_DAYS = 3660


class SubscriptionStatus(StrEnum):
    SCHEDULED = "Scheduled"
    ACTIVE = "Active"
    EXPIRING = "Expiring"
    EXPIRED = "Expired"
    CANCELLED = "Cancelled"


NO_SUBSCRIPTION = "No subscription"
# Statuses that keep a client from being deleted.
BLOCKING_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRING, SubscriptionStatus.SCHEDULED})


class SubscriptionLike(Protocol):
    """What the rules need to know of a subscription (a store row or a plain record)."""

    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date: ...
    @property
    def is_cancelled(self) -> bool: ...


S = TypeVar("S", bound=SubscriptionLike)


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date
    is_cancelled: bool = False


def end_date(start: date, validity_days: int) -> date:
    validate_validity(validity_days)
    try:
        return start + timedelta(days=validity_days)
    except OverflowError:  # past year 9999
        raise ValidationError.single("start", "That start date is too far in the future.") from None


def validate_validity(validity_days: object) -> None:
    if isinstance(validity_days, bool) or not isinstance(validity_days, int):
        raise ValidationError.single("validity_days", "Validity is a whole number of days, e.g. 30.")
    if validity_days <= 0:
        raise ValidationError.single("validity_days", "Validity must be at least 1 day.")
    if validity_days > MAX_VALIDITY_DAYS:
        raise ValidationError.single("validity_days", f"Validity can be at most {MAX_VALIDITY_DAYS} days.")


def validate_period(start: date, end: date) -> None:
    if end <= start:
        raise ValidationError.single("end", "The end date must be after the start date.")


def status(sub: SubscriptionLike, today: date, expiring_days: int = DEFAULT_EXPIRING_DAYS) -> SubscriptionStatus:
    if sub.is_cancelled:
        return SubscriptionStatus.CANCELLED
    if today < sub.starts_on:
        return SubscriptionStatus.SCHEDULED
    if today >= sub.ends_on:
        return SubscriptionStatus.EXPIRED
    if days_left(sub, today) <= expiring_days:
        return SubscriptionStatus.EXPIRING
    return SubscriptionStatus.ACTIVE


def days_left(sub: SubscriptionLike, today: date) -> int:
    """Whole days of service left, today included: the day before the end date has 1 left."""
    return max(0, (sub.ends_on - max(today, sub.starts_on)).days)


def covers(sub: SubscriptionLike, day: date) -> bool:
    return not sub.is_cancelled and sub.starts_on <= day < sub.ends_on


def current(subs: Iterable[S], today: date) -> S | None:
    """The non-cancelled subscription covering today (at most one, since none overlap)."""
    for s in subs:
        if covers(s, today):
            return s
    return None


def headline(subs: Sequence[S], today: date) -> S | None:
    """The subscription to show for a client: the current one, else the next scheduled one,
    else the last one that ran out. Cancelled ones are never the headline."""
    live = [s for s in subs if not s.is_cancelled]
    cur = current(live, today)
    if cur is not None:
        return cur
    upcoming = [s for s in live if s.starts_on > today]
    if upcoming:
        return min(upcoming, key=lambda s: s.starts_on)
    past = [s for s in live if s.ends_on <= today]
    return max(past, key=lambda s: s.ends_on) if past else None


def overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Half-open periods [start, end) overlap; one ending the day the other starts does not."""
    return a_start < b_end and b_start < a_end


def find_overlap(start: date, end: date, subs: Iterable[S]) -> S | None:
    for s in subs:
        if not s.is_cancelled and overlaps(start, end, s.starts_on, s.ends_on):
            return s
    return None


def renewal_start(subs: Iterable[SubscriptionLike], today: date) -> date:
    """Where a new subscription for this client should start: on the end date of the last
    running or scheduled one (a renewal), or today when nothing runs."""
    ends = [s.ends_on for s in subs if not s.is_cancelled and s.ends_on > today]
    return max(ends) if ends else today


def check_no_overlap(start: date, end: date, subs: Sequence[S], today: date) -> None:
    clash = find_overlap(start, end, subs)
    if clash is not None:
        suggested = renewal_start(subs, today)
        raise ValidationError.single(
            "start",
            f"This overlaps the subscription from {day_text(clash.starts_on)} to {day_text(clash.ends_on)}. "
            f"Renew instead: the renewal starts on {day_text(suggested)}.",
        )


def auto_renew_chain(start: date, validity_days: int, today: date) -> list[tuple[date, date]]:
    """The periods an expired auto-renew subscription rolls into, up to the one covering today.

    ``start`` is the old end date. A PC switched off for two months catches up on every period.
    """
    periods: list[tuple[date, date]] = []
    s = start
    while s <= today:
        e = end_date(s, validity_days)
        periods.append((s, e))
        s = e
    return periods
