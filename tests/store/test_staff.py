"""Staff accounts: argon2 hashes in the library's format, no password anywhere on disk after a
sign-in session, the lock-out after five wrong passwords (shared by every PC), turned-off
accounts, the first owner, the audit's who."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import argon2
import peewee
import pytest

from ispclient import paths, store
from ispclient.domain import staff as rules
from ispclient.domain.clock import utcnow
from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import SYSTEM, Role
from ispclient.logging_setup import configure_logging
from ispclient.store import access, clients, settings, staff
from ispclient.store.models import AuditEvent, SignInLock, Staff

OWNER_PW = "Olive-owner-pw-1"
CASHIER_PW = "Cate-cashier-pw-2"


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = utcnow()
        monkeypatch.setattr(staff, "utcnow", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _owner_and_cashier() -> tuple[int, int]:
    owner = staff.create_first_owner("olive", "Olive Owner", OWNER_PW)
    with access.acting_as(owner):
        cashier = staff.create_staff(staff.StaffInput("cate", "Cate Cashier", "cashier", True, CASHIER_PW))
    return owner.staff_id or 0, int(cashier.id)


def test_the_stored_hash_is_argon2id_in_the_librarys_own_format(db: peewee.Database) -> None:
    real = staff.use_hasher(argon2.PasswordHasher())  # the app's parameters, not the tests' cheap ones
    try:
        _owner_id, cashier_id = _owner_and_cashier()
    finally:
        staff.use_hasher(real)
    stored = Staff.get_by_id(cashier_id).password_hash
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    params = argon2.extract_parameters(stored)
    assert (params.type, params.memory_cost, params.time_cost) == (argon2.Type.ID, 65536, 3)
    assert argon2.PasswordHasher().verify(stored, CASHIER_PW)
    assert CASHIER_PW not in stored
    for event in AuditEvent.select():
        assert CASHIER_PW not in event.before + event.after + event.summary and "argon2" not in event.after


def test_no_password_is_left_in_any_file_or_log_after_a_sign_in_session(tmp_path: Path) -> None:
    """The whole data folder (database, write-ahead log, logs, settings, backups) scanned for
    every password used: the owner's, a cashier's, a wrong one, one typed into the username box,
    a changed one — in UTF-8 and UTF-16 (how Windows writes some files)."""
    app_paths = paths.under(tmp_path / "home").ensure()
    configure_logging(app_paths.log_dir, level=logging.DEBUG, console=False)
    typed_as_username = "Password-In-Username-Box-3"
    wrong = "Wrong-guess-pw-4"
    changed = "Changed-later-pw-5"
    try:
        store.open_database(app_paths.database, app_paths.backup_dir)
        _owner_id, _cashier_id = _owner_and_cashier()
        owner = staff.sign_in("olive", OWNER_PW)
        for username, password in (("cate", wrong), (typed_as_username, CASHIER_PW), ("nobody", wrong)):
            with pytest.raises(staff.SignInRefused):
                staff.sign_in(username, password)
        cashier = staff.sign_in("CATE", CASHIER_PW)  # usernames whatever their case
        with access.acting_as(cashier):
            clients.create_client(clients.ClientInput("C1", "Amina Wanjiru"))
            staff.change_own_password(CASHIER_PW, changed)
        with access.acting_as(owner):
            staff.edit_staff(_cashier_id, staff.StaffInput("cate", "Cate Cashier", "cashier", password=changed + "x"))
        with access.acting_as(SYSTEM):
            from ispclient.store import backup

            backup.create_backup(app_paths.database, app_paths.backup_dir)
        assert staff.sign_in("cate", changed + "x").name == "Cate Cashier"
    finally:
        store.close_database()
        logging.getLogger().handlers.clear()
    secrets = [OWNER_PW, CASHIER_PW, wrong, typed_as_username, changed, changed + "x"]
    scanned = 0
    for path in tmp_path.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        scanned += 1
        for secret in secrets:
            for needle in (secret.encode(), secret.encode("utf-16-le"), secret.lower().encode()):
                assert needle not in data, f"{secret!r} found in {path}"
    assert scanned >= 4  # the database, its log, a log file, a backup at least
    assert any(p.suffix == ".log" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("known", [True, False], ids=["known-username", "unknown-username"])
def test_five_wrong_passwords_lock_the_username_for_a_minute(db: peewee.Database, monkeypatch: pytest.MonkeyPatch,
                                                            known: bool) -> None:
    clock = Clock(monkeypatch)
    _owner_and_cashier()
    username = "cate" if known else "ghost"
    for attempt in range(1, rules.MAX_FAILURES):
        with pytest.raises(staff.SignInRefused) as refused:
            staff.sign_in(username, f"wrong-{attempt}-pw")
        assert refused.value.errors["__all__"] == rules.WRONG and refused.value.locked_seconds == 0
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in(username, "wrong-5-pw")
    assert refused.value.locked_seconds == 60 and "locked for 60 more seconds" in refused.value.errors["__all__"]
    clock.advance(30)
    with pytest.raises(staff.SignInRefused, match="locked for 30 more seconds"):
        staff.sign_in(username, CASHIER_PW)  # even the right password waits out the minute
    assert staff.sign_in("olive", OWNER_PW).role is Role.OWNER  # other usernames are not locked
    clock.advance(31)
    if known:
        assert staff.sign_in(username, CASHIER_PW).name == "Cate Cashier"
        assert SignInLock.select().count() == 0  # a success clears the count
    else:
        with pytest.raises(staff.SignInRefused, match=rules.WRONG):
            staff.sign_in(username, CASHIER_PW)
    failed = [e.summary for e in AuditEvent.select().where(AuditEvent.action == "staff.sign_in_failed")]
    assert len(failed) == rules.MAX_FAILURES + (0 if known else 1)
    assert any("locked for a minute" in s for s in failed)
    assert all("ghost" not in s for s in failed)  # an unknown username is not written down


def test_the_lock_out_is_shared_by_every_pc(db: peewee.Database) -> None:
    """Failures counted on two connections at once (two PCs) add up; the lock holds on both."""
    import threading

    from ispclient.store.db import db as proxy

    _owner_and_cashier()
    errors: list[BaseException] = []

    def other_pc(n: int) -> None:
        try:
            for i in range(n):
                with pytest.raises(staff.SignInRefused):
                    staff.sign_in("cate", f"other-pc-wrong-{i}")
        except BaseException as e:  # noqa: BLE001 - looked at below
            errors.append(e)
        finally:
            proxy.close()

    threads = [threading.Thread(target=other_pc, args=(2,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in("cate", "this-pc-wrong")  # the fifth
    assert refused.value.locked_seconds > 0
    with pytest.raises(staff.SignInRefused, match="locked"):
        staff.sign_in("cate", CASHIER_PW)


def test_a_turned_off_account_cant_sign_in(db: peewee.Database) -> None:
    owner_id, cashier_id = _owner_and_cashier()
    with access.acting_as(staff.sign_in("olive", OWNER_PW)):
        staff.edit_staff(cashier_id, staff.StaffInput("cate", "Cate Cashier", "cashier", active=False))
    with pytest.raises(staff.SignInRefused, match="turned off"):
        staff.sign_in("cate", CASHIER_PW)
    with pytest.raises(staff.SignInRefused, match=rules.WRONG):
        staff.sign_in("cate", "not-the-password")  # no hint to a guesser that the account exists
    with access.acting_as(staff.sign_in("olive", OWNER_PW)):
        staff.edit_staff(cashier_id, staff.StaffInput("cate", "Cate Cashier", "cashier", active=True))
    assert staff.sign_in("cate", CASHIER_PW).staff_id == cashier_id


def test_the_first_owner_is_made_once(db: peewee.Database) -> None:
    assert not staff.has_staff()
    with pytest.raises(ValidationError) as bad:
        staff.create_first_owner("", "", "short")
    assert set(bad.value.errors) == {"username", "display_name", "password"}
    owner = staff.create_first_owner("olive", "Olive Owner", OWNER_PW)
    assert owner.role is Role.OWNER and staff.has_staff()
    with pytest.raises(ValidationError, match="just created"):
        staff.create_first_owner("oscar", "Oscar Owner", OWNER_PW)
    events = list(AuditEvent.select().where(AuditEvent.entity == "staff").order_by(AuditEvent.id))
    assert [(e.action, e.actor, e.staff_id) for e in events] == [
        ("staff.create", "Olive Owner", owner.staff_id), ("staff.sign_in", "Olive Owner", owner.staff_id)]


def test_names_and_usernames_are_unique_whatever_their_case(db: peewee.Database) -> None:
    owner = staff.create_first_owner("olive", "Olive Owner", OWNER_PW)
    with access.acting_as(owner), pytest.raises(ValidationError) as clash:
        staff.create_staff(staff.StaffInput("OLIVE", "olive owner", "cashier", True, CASHIER_PW))
    assert set(clash.value.errors) == {"username", "display_name"}
    with access.acting_as(owner), pytest.raises(ValidationError, match="kept for the app"):
        staff.create_staff(staff.StaffInput("system", "Sys", "cashier", True, CASHIER_PW))


def test_password_rules() -> None:
    for bad in ("", "short", "aaaaaaaaaa", "olive"):
        with pytest.raises(ValidationError):
            rules.password(bad, "olive")
    assert rules.password("long enough 1", "olive") == "long enough 1"


def test_changing_your_own_password_asks_the_current_one(db: peewee.Database) -> None:
    _owner_id, _cashier_id = _owner_and_cashier()
    with access.acting_as(staff.sign_in("cate", CASHIER_PW)):
        with pytest.raises(ValidationError, match="not your current password"):
            staff.change_own_password("guess-guess-1", "new-pass-word-1")
        staff.change_own_password(CASHIER_PW, "new-pass-word-1")
    assert staff.sign_in("cate", "new-pass-word-1").username == "cate"


def test_old_audit_rows_keep_their_os_user_and_new_ones_say_who(db: peewee.Database) -> None:
    from ispclient.store import audit

    audit.set_actor("reception")
    try:
        clients.create_client(clients.ClientInput("C1", "Before staff"))
        _owner_id, _cashier_id = _owner_and_cashier()
        with access.acting_as(staff.sign_in("cate", CASHIER_PW)):
            clients.create_client(clients.ClientInput("C2", "After staff"))
    finally:
        audit.set_actor(None)
    rows = {e.summary: e for e in AuditEvent.select().where(AuditEvent.action == "client.create")}
    before = next(e for s, e in rows.items() if "Before staff" in s)
    after = next(e for s, e in rows.items() if "After staff" in s)
    assert (before.actor, before.staff_id) == ("reception", None)
    assert after.actor == "Cate Cashier" and after.staff_id == _cashier_id and after.pc_name
    assert settings.load()  # the database is still fine to read
