from __future__ import annotations

from datetime import date

from ispclient.domain import clients as rules
from ispclient.domain.subscriptions import Period, end_date


def sub(start: date, days: int = 30, cancelled: bool = False) -> Period:
    return Period(start, end_date(start, days), cancelled)


TODAY = date(2026, 6, 15)


def test_delete_allowed_when_all_expired_or_cancelled() -> None:
    subs = [sub(date(2026, 1, 1)), sub(date(2026, 6, 1), cancelled=True)]
    assert rules.delete_blocker(subs, TODAY) is None
    assert rules.delete_blocker([], TODAY) is None


def test_delete_refused_for_active() -> None:
    active = sub(date(2026, 6, 1))
    assert rules.delete_blocker([active], TODAY) is active
    msg = rules.delete_refusal(active, "Home 10M", TODAY)
    assert msg.startswith("Unable to delete client")
    assert "“Home 10M”" in msg and "is active" in msg and "Cancel it first" in msg


def test_delete_refused_for_expiring() -> None:
    expiring = sub(date(2026, 5, 20))  # ends 19 Jun
    assert rules.delete_blocker([expiring], TODAY) is expiring
    assert "is expiring" in rules.delete_refusal(expiring, "Basic", TODAY)


def test_delete_refused_for_scheduled() -> None:
    later = sub(date(2026, 7, 1))
    assert rules.delete_blocker([later], TODAY) is later
    assert "is scheduled to start" in rules.delete_refusal(later, "Basic", TODAY)


def test_quick_stats() -> None:
    subs = [sub(date(2025, 3, 10)), sub(date(2025, 4, 9)), sub(date(2024, 1, 1), cancelled=True)]
    stats = rules.quick_stats(subs, [150000, 50000])
    assert stats.total_subscriptions == 3
    assert stats.total_revenue_minor == 200000
    assert stats.active_since == date(2025, 3, 10)  # first non-cancelled start
    assert rules.quick_stats([], []).active_since is None


def test_customer_for() -> None:
    assert rules.customer_for(date(2024, 3, 10), date(2026, 6, 15)) == "2 years 3 months"
    assert rules.customer_for(date(2026, 6, 1), date(2026, 6, 15)) == "14 days"
    assert rules.customer_for(date(2025, 6, 15), date(2026, 6, 15)) == "1 year"
    assert rules.customer_for(None, TODAY) == "Not yet"


def test_next_client_code() -> None:
    assert rules.next_client_code([]) == "C00001"
    assert rules.next_client_code(["C00041", "C00007", "X99999", "C-3"]) == "C00042"
    assert rules.next_client_code(["C123456"]) == "C123457"
