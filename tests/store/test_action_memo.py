"""One action reads the settings once (store/memo.py): a payment read them ~9 times, each a query
and a Settings built. A write of the settings inside the action is seen by what follows it, and
outside an action every read is fresh (another PC may have changed them)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import peewee
import pytest

from ispclient.store import settings
from ispclient.store import subscriptions as subs
from ispclient.store.db import atomic
from ispclient.store.memo import memo_scope, transaction_memo

from .conftest import Factory


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time the settings were read from the database."""
    counted: list[int] = []
    real = settings._read

    def read() -> settings.Settings:
        counted.append(1)
        return real()

    monkeypatch.setattr(settings, "_read", read)
    return counted


def test_a_payment_reads_the_settings_once(make: Factory, reads: list[int]) -> None:
    client, package = make.client(), make.package()
    sub = make.subscription(client, package, date(2026, 1, 5))
    reads.clear()
    subs.record_payment(sub, subs.PaymentInput("500", "Mobile money", "QK7"))
    assert len(reads) == 1
    subs.record_payment(sub, subs.PaymentInput("500"))  # the next action reads them afresh
    assert len(reads) == 2
    settings.load()  # outside any action: every read goes to the database
    settings.load()
    assert len(reads) == 4 and transaction_memo() is None


def test_a_change_inside_the_action_is_seen_by_what_follows_it(db: peewee.Database, reads: list[int]) -> None:
    before = settings.load()
    with memo_scope():
        assert settings.load() == before
        assert settings.load() is settings.load()  # kept
        with atomic():
            settings.put("expiring_days", str(before.expiring_days + 3))
            assert settings.load().expiring_days == before.expiring_days + 3  # read again after the write
        saved = settings.save(replace(settings.load(), grace_days=2))
        assert settings.load() == saved and settings.load().grace_days == 2
    assert transaction_memo() is None


def test_a_rolled_back_change_is_not_kept(db: peewee.Database) -> None:
    before = settings.load()
    with memo_scope():
        with pytest.raises(RuntimeError), atomic():
            settings.put("expiring_days", str(before.expiring_days + 5))
            assert settings.load().expiring_days == before.expiring_days + 5  # its own write, read back
            raise RuntimeError("undone")
        assert settings.load() == before  # the database's, not the rolled-back write's
