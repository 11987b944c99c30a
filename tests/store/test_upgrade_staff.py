"""A database from the schema before staff accounts (6, written by that version of ispclient:
tests/store/data/schema6.sqlite3) opens, is backed up and migrated, asks for the owner, and
keeps its audit trail with the OS users it had."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from ispclient import paths, store
from ispclient.domain.permissions import Role
from ispclient.store import access, clients, schema, staff
from ispclient.store.models import AuditEvent, Client, Payment
from ispclient.store.queries import client_detail

OLD = Path(__file__).parent / "data" / "schema6.sqlite3"


def _old_rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT id, at, actor, action, summary, before, after FROM audit_event "
                            "ORDER BY id").fetchall()


def test_a_schema_6_database_opens_asks_for_the_owner_and_keeps_its_audit(tmp_path: Path) -> None:
    app_paths = paths.under(tmp_path / "home").ensure()
    shutil.copy(OLD, app_paths.database)
    before = _old_rows(app_paths.database)
    assert len(before) == 8 and {r[2] for r in before} == {"reception", "frontdesk2"}

    database = store.open_database(app_paths.database, app_paths.backup_dir)
    try:
        assert schema.version(database) == schema.CURRENT_VERSION
        assert list(app_paths.backup_dir.glob("*before-schema-7*.sqlite3"))  # backed up first
        assert not staff.has_staff()  # → the app asks for the owner account (tests/ui/test_sign_in.py)
        kept = [(e.id, e.actor, e.action, e.summary, e.before, e.after, e.staff_id, e.os_user, e.pc_name)
                for e in AuditEvent.select().order_by(AuditEvent.id)]
        assert [k[:6] for k in kept] == [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in before]
        assert all(k[6:] == (None, "", "") for k in kept)  # old rows: no staff member, as they were
        assert Payment.select().where(Payment.shift.is_null()).count() == 2  # old money: in no shift

        owner = staff.create_first_owner("olive", "Olive Owner", "Owner-pass-1")
        assert owner.role is Role.OWNER and staff.has_staff()
        amina = Client.get(Client.client_code == "C00001").id
        with access.acting_as(owner):
            clients.edit_client(amina, clients.ClientInput("C00001", "Amina W. Wanjiru", pppoe_username="amina",
                                                           server_id=Client.get_by_id(amina).server_id))
        activity = client_detail(amina, Client.get_by_id(amina).created_at.date()).activity
        whos = [(a.actor, a.staff_id is not None) for a in activity]
        assert whos[0] == ("Olive Owner", True) and ("reception", False) in whos
        assert activity[0].pc_name and activity[0].os_user
    finally:
        store.close_database()
    # Opened again: nothing asked twice, nothing migrated twice.
    store.open_database(app_paths.database, app_paths.backup_dir)
    try:
        assert staff.has_staff() and len(list(app_paths.backup_dir.glob("*before-schema-*"))) == 1
    finally:
        store.close_database()
