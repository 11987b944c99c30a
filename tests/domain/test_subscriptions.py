"""SPEC.md "Rules" for subscriptions, with concrete dates and the boundaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ispclient.domain import subscriptions as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.subscriptions import Period, SubscriptionStatus

S = SubscriptionStatus


def sub(start: date, days: int = 30, cancelled: bool = False) -> Period:
    return Period(start, rules.end_date(start, days), cancelled)


def test_end_date_is_start_plus_validity() -> None:
    assert rules.end_date(date(2026, 1, 1), 30) == date(2026, 1, 31)


def test_end_date_across_leap_day() -> None:
    assert rules.end_date(date(2028, 2, 1), 30) == date(2028, 3, 2)  # 2028 is a leap year
    assert rules.end_date(date(2027, 2, 1), 30) == date(2027, 3, 3)
    assert rules.end_date(date(2028, 2, 29), 365) == date(2029, 2, 28)
    assert rules.end_date(date(2100, 2, 1), 28) == date(2100, 3, 1)  # 2100 is not a leap year


@pytest.mark.parametrize("days", [0, -1, -30])
def test_zero_or_negative_validity_refused(days: int) -> None:
    with pytest.raises(ValidationError) as e:
        rules.end_date(date(2026, 1, 1), days)
    assert "at least 1 day" in e.value.errors["validity_days"]


def test_end_before_start_refused() -> None:
    with pytest.raises(ValidationError) as e:
        rules.validate_period(date(2026, 2, 1), date(2026, 1, 1))
    assert "after the start" in e.value.errors["end"]
    with pytest.raises(ValidationError):
        rules.validate_period(date(2026, 2, 1), date(2026, 2, 1))


JAN = sub(date(2026, 1, 1))  # 1 Jan – 31 Jan (31 Jan is the first day without service)


@pytest.mark.parametrize(
    ("today", "expected", "left"),
    [
        (date(2025, 12, 31), S.SCHEDULED, 30),  # starts tomorrow
        (date(2026, 1, 1), S.ACTIVE, 30),  # first day
        (date(2026, 1, 23), S.ACTIVE, 8),  # 8 days left: not yet expiring
        (date(2026, 1, 24), S.EXPIRING, 7),  # exactly the 7-day threshold
        (date(2026, 1, 30), S.EXPIRING, 1),  # the day before the end date
        (date(2026, 1, 31), S.EXPIRED, 0),  # the end date itself
        (date(2026, 3, 1), S.EXPIRED, 0),
    ],
)
def test_status_boundaries(today: date, expected: SubscriptionStatus, left: int) -> None:
    assert rules.status(JAN, today) is expected
    assert rules.days_left(JAN, today) == left


def test_changed_expiring_threshold() -> None:
    assert rules.status(JAN, date(2026, 1, 23), expiring_days=8) is S.EXPIRING
    assert rules.status(JAN, date(2026, 1, 22), expiring_days=8) is S.ACTIVE
    assert rules.status(JAN, date(2026, 1, 29), expiring_days=2) is S.EXPIRING
    assert rules.status(JAN, date(2026, 1, 28), expiring_days=2) is S.ACTIVE


def test_cancelled_inside_active_period() -> None:
    cancelled = sub(date(2026, 1, 1), cancelled=True)
    assert rules.status(cancelled, date(2026, 1, 10)) is S.CANCELLED
    assert rules.current([cancelled], date(2026, 1, 10)) is None


def test_current_is_the_non_cancelled_one_covering_today() -> None:
    old = sub(date(2025, 12, 2))  # ends 1 Jan
    new = sub(date(2026, 1, 1))
    later = sub(date(2026, 1, 31))
    assert rules.current([old, new, later], date(2026, 1, 1)) is new
    assert rules.current([old, new, later], date(2025, 12, 31)) is old
    assert rules.current([old, new, later], date(2026, 1, 31)) is later
    assert rules.current([old], date(2026, 1, 1)) is None  # end date: not covered


def test_headline_prefers_current_then_scheduled_then_latest_expired() -> None:
    expired = sub(date(2025, 11, 1))
    scheduled = sub(date(2026, 3, 1))
    today = date(2026, 1, 15)
    assert rules.headline([expired, scheduled], today) is scheduled
    assert rules.headline([expired], today) is expired
    assert rules.headline([sub(date(2026, 1, 1), cancelled=True)], today) is None


def test_overlap_is_half_open() -> None:
    assert not rules.overlaps(date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 31), date(2026, 3, 2))
    assert rules.overlaps(date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 30), date(2026, 3, 1))
    assert rules.overlaps(date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 5), date(2026, 1, 6))


def test_overlapping_subscription_refused_with_renewal_offer() -> None:
    with pytest.raises(ValidationError) as e:
        rules.check_no_overlap(date(2026, 1, 10), date(2026, 2, 9), [JAN], date(2026, 1, 10))
    msg = e.value.errors["start"]
    assert "overlaps" in msg and "31\u00a0Jan\u00a02026" in msg  # no-break spaces: a date never wraps


def test_cancelled_subscription_does_not_block_a_new_one() -> None:
    rules.check_no_overlap(date(2026, 1, 10), date(2026, 2, 9), [sub(date(2026, 1, 1), cancelled=True)],
                           date(2026, 1, 10))


def test_renewal_starts_on_the_old_end_date() -> None:
    assert rules.renewal_start([JAN], date(2026, 1, 20)) == date(2026, 1, 31)
    # Nothing running: a renewal starts today, not back-dated into the gap.
    assert rules.renewal_start([JAN], date(2026, 2, 10)) == date(2026, 2, 10)
    # A scheduled one already follows: renew after that.
    assert rules.renewal_start([JAN, sub(date(2026, 1, 31))], date(2026, 1, 20)) == date(2026, 3, 2)


def test_auto_renew_chain_catches_up() -> None:
    # Expired 31 Jan, PC off until 15 Mar: two periods, the second covering today.
    chain = rules.auto_renew_chain(date(2026, 1, 31), 30, date(2026, 3, 15))
    assert chain == [(date(2026, 1, 31), date(2026, 3, 2)), (date(2026, 3, 2), date(2026, 4, 1))]
    assert rules.auto_renew_chain(date(2026, 1, 31), 30, date(2026, 1, 30)) == []
    assert rules.auto_renew_chain(date(2026, 1, 31), 30, date(2026, 1, 31)) == [(date(2026, 1, 31), date(2026, 3, 2))]


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31))
validity = st.integers(min_value=1, max_value=rules.MAX_VALIDITY_DAYS)


@given(dates, validity)
def test_end_date_property(start: date, days: int) -> None:
    end = rules.end_date(start, days)
    assert (end - start).days == days
    assert rules.status(Period(start, end), end - timedelta(days=1)) in {S.EXPIRING, S.ACTIVE}
    assert rules.days_left(Period(start, end), end - timedelta(days=1)) == 1
    assert rules.status(Period(start, end), end) is S.EXPIRED
    assert rules.status(Period(start, end), start - timedelta(days=1)) is S.SCHEDULED


@given(dates, validity, st.integers(min_value=-400, max_value=4000), st.integers(min_value=1, max_value=90))
def test_status_is_consistent_with_days_left(start: date, days: int, offset: int, threshold: int) -> None:
    p = Period(start, rules.end_date(start, days))
    today = start + timedelta(days=offset)
    status = rules.status(p, today, threshold)
    left = rules.days_left(p, today)
    if status is S.EXPIRING:
        assert 1 <= left <= threshold
    if status is S.ACTIVE:
        assert left > threshold
    assert (status in {S.ACTIVE, S.EXPIRING}) == rules.covers(p, today)


@given(dates, validity, validity, st.integers(min_value=0, max_value=600))
def test_renewal_never_overlaps(start: date, d1: int, d2: int, offset: int) -> None:
    first = Period(start, rules.end_date(start, d1))
    today = start + timedelta(days=offset)
    nxt = rules.renewal_start([first], today)
    assert nxt >= today
    assert not rules.overlaps(nxt, rules.end_date(nxt, d2), first.starts_on, first.ends_on)
