"""Bad input at every service, on both backends: a field message and nothing changed — never
PostgreSQL's "A string literal cannot contain NUL", a TypeError, an OverflowError, "cannot
rollback" on a full disk, or raw SQL text for a client deleted elsewhere."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import peewee
import pytest

from ispclient import store
from ispclient.domain.errors import ValidationError
from ispclient.store import catalog, clients, schema, settings, transfer
from ispclient.store import subscriptions as subs
from ispclient.store.errors import DiskFull, RecordDeleted
from ispclient.store.models import (
    AuditEvent,
    Client,
    Package,
    Payment,
    SchemaVersion,
    Server,
    Setting,
    Subscription,
)

from .conftest import PG_URL, Factory, reset_postgres

NUL = "\x00"


def counts() -> dict[str, int]:
    return {m.__name__: m.select().count() for m in (Client, Server, Package, Subscription, Payment, AuditEvent,
                                                     Setting)}


def refused(func, *args, **kwargs) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Call a service that must refuse; check it changed nothing and return the field messages."""
    before = counts()
    with pytest.raises(ValidationError) as e:
        func(*args, **kwargs)
    assert counts() == before
    return e.value.errors


@pytest.mark.parametrize("field", ["name", "phone", "email", "address", "notes", "client_code", "pppoe_username"])
def test_nul_in_any_client_field(make: Factory, field: str) -> None:
    data = clients.ClientInput("C1", "Amina", **{"server_id": make.server()} if field == "pppoe_username" else {})
    bad = replace(data, **{field: f"ab{NUL}cd"})
    assert field in refused(clients.create_client, bad)
    cid = make.client()
    before = Client.get_by_id(cid)
    edit = bad if field == "client_code" else replace(bad, client_code="T00001")
    assert field in refused(clients.edit_client, cid, edit)
    assert Client.get_by_id(cid).version == before.version


@pytest.mark.parametrize(("field", "payment"), [
    ("note", subs.PaymentInput("100", note=f"paid{NUL}")),
    ("reference", subs.PaymentInput("100", reference=f"QX{NUL}1")),
    ("method", subs.PaymentInput("100", method=f"Cash{NUL}")),
    ("note", subs.PaymentInput("100", note="x" * 5001)),
    ("reference", subs.PaymentInput("100", reference="x" * 101)),
])
def test_bad_payment_text(make: Factory, field: str, payment: subs.PaymentInput) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    assert field in refused(subs.record_payment, sub, payment)
    assert field in refused(subs.create_subscription, make.client("Other"), make.package("Other"), settings.today(),
                            payment=payment)


@pytest.mark.parametrize("reason", [f"moving{NUL}away", "line\x1bescape", "x" * 501])
def test_bad_cancel_reason(make: Factory, reason: str) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    assert "reason" in refused(subs.cancel_subscription, sub, reason)
    assert not Subscription.get_by_id(sub).is_cancelled


def test_cancel_reason_keeps_its_lines(make: Factory) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    subs.cancel_subscription(sub, "Moving away\r\n\tto Mombasa")
    assert Subscription.get_by_id(sub).cancel_reason == "Moving away\n\tto Mombasa"


@pytest.mark.parametrize(("field", "changes"), [
    ("description", {"description": f"fast{NUL}"}),
    ("description", {"description": "x" * 2001}),
    ("name", {"name": f"Home{NUL}"}),
    ("name", {"name": "\u200b\ufeff"}),
    ("name", {"name": "Home \u202e01"}),
    ("ppp_profile", {"ppp_profile": f"home{NUL}"}),
    ("validity_days", {"validity_days": "30"}),
    ("validity_days", {"validity_days": 30.5}),
    ("price", {"price": 15.5}),
    ("price", {"price": "1e5"}),
])
def test_bad_package_input(make: Factory, field: str, changes: dict[str, object]) -> None:
    data = replace(catalog.PackageInput("Home 10M", "1500", 30), **changes)  # type: ignore[arg-type]
    assert field in refused(catalog.create_package, data)
    pid = make.package("Existing")
    assert field in refused(catalog.edit_package, pid, data)


@pytest.mark.parametrize(("field", "changes"), [
    ("name", {"name": f"Main{NUL}"}), ("name", {"name": "\u2066Main\u2069"}), ("name", {"name": "\u3164"}),
    ("username", {"username": f"admin{NUL}"}), ("ca_file", {"ca_file": f"/tmp/ca{NUL}.pem", "tls": True}),
    ("host", {"host": f"10.0.0.1{NUL}"}), ("port", {"port": "8728"}), ("port", {"port": 8728.5}),
    ("timeout_s", {"timeout_s": "5"}), ("tls", {"tls": "yes"}),
])
def test_bad_router_input(make: Factory, field: str, changes: dict[str, object]) -> None:
    data = replace(catalog.ServerInput("Main", "10.0.0.1"), **changes)  # type: ignore[arg-type]
    assert field in refused(catalog.create_server, data)


@pytest.mark.parametrize(("field", "changes"), [
    ("limit_profile", {"limit_profile": f"slow{NUL}"}), ("expiring_days", {"expiring_days": "7"}),
    ("grace_days", {"grace_days": 3.5}), ("currency", {"currency": f"KE{NUL}"}),
    ("decimal_separator", {"decimal_separator": ";"}), ("manage_secrets", {"manage_secrets": "yes"}),
])
def test_bad_settings(make: Factory, field: str, changes: dict[str, object]) -> None:
    assert field in refused(settings.save, replace(settings.load(), **changes))  # type: ignore[arg-type]


# --- names: case, invisible characters ----------------------------------------------------------


def test_pppoe_usernames_differing_only_in_case_on_one_router_are_refused(make: Factory) -> None:
    main, other = make.server("Main"), make.server("Other")
    make.client(pppoe_username="Amina", server_id=main)
    message = refused(clients.create_client, clients.ClientInput("C9", "Twin", pppoe_username="amina",
                                                                 server_id=main))["pppoe_username"]
    assert "as “Amina”" in message and "capitals" in message
    make.client("On another router", pppoe_username="amina", server_id=other)  # another router: fine


def test_client_ids_compare_without_case(make: Factory) -> None:
    clients.create_client(clients.ClientInput("ab-7", "First"))
    message = refused(clients.create_client, clients.ClientInput("AB-7", "Second"))["client_code"]
    assert "(as ab-7)" in message


def test_invisible_client_names_are_refused(make: Factory) -> None:
    for name in ("\u200b", "\ufeff\u200b", "Amina\u202eW"):
        assert "name" in refused(clients.create_client, clients.ClientInput("C1", name))


def _twins_before_the_rule(database: peewee.Database) -> None:
    """An older database whose data has Client IDs and usernames differing only in case."""
    database.execute_sql("DROP INDEX IF EXISTS client_code_live_nocase")
    database.execute_sql("DROP INDEX IF EXISTS client_pppoe_live_nocase")
    now = "2025-01-01 00:00:00"
    server = Server.create(name="Main", host="10.0.0.1").id
    marks = ", ".join([database.param] * 15)
    for code, user in (("ab-1", "Amina"), ("AB-1", "amina")):
        database.execute_sql(
            "INSERT INTO client (client_code, name, phone, email, address, notes, pppoe_username, "
            "pppoe_password_enc, server_id, router_desired, created_at, updated_at, deleted_by, version, "
            f"pppoe_password_unknown) VALUES ({marks})",
            (code, f"Twin {code}", "", "", "", "", user, "", server, "", now, now, "", 1, False))
    SchemaVersion.update(version=schema.CURRENT_VERSION - 1).execute()


def test_the_case_migration_never_fails_on_existing_twins(db: peewee.Database, tmp_path: Path) -> None:
    _twins_before_the_rule(db)
    schema.migrate(tmp_path / "backups")  # the step runs: no unique index can be made yet, and none is
    assert schema.version(db) == schema.CURRENT_VERSION
    names = {ix.name for ix in db.get_indexes("client")}
    assert "client_code_live_nocase" not in names and "client_pppoe_live_nocase" not in names
    twin = Client.get(Client.client_code == "AB-1")
    # Editing a twin without touching its ID or username still works; a new twin is refused.
    clients.edit_client(twin.id, clients.ClientInput("AB-1", "Twin renamed", pppoe_username="amina",
                                                     server_id=twin.server_id))
    assert "client_code" in refused(clients.create_client, clients.ClientInput("Ab-1", "Third"))
    # Once the twins are told apart, the next start makes the indexes.
    clients.edit_client(twin.id, clients.ClientInput("AB-2", "Twin renamed", pppoe_username="amina2",
                                                     server_id=twin.server_id))
    assert schema.ensure_case_indexes(db) == []
    assert {"client_code_live_nocase", "client_pppoe_live_nocase"} <= {ix.name for ix in db.get_indexes("client")}


# --- money, dates, types --------------------------------------------------------------------------


def test_amounts_are_read_with_the_installations_decimal_separator(make: Factory) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    settings.save(replace(settings.load(), decimal_separator=","))
    try:
        assert subs.record_payment(sub, subs.PaymentInput("12,50")).amount_minor == 1250
        assert catalog.create_package(catalog.PackageInput("Comma", "1.500,5", 30)).price_minor == 150050
        settings.save(replace(settings.load(), decimal_separator="."))
        message = refused(subs.record_payment, sub, subs.PaymentInput("12,50"))["amount"]
        assert "decimals are written with “.”" in message
        assert "amount" in refused(subs.record_payment, sub, subs.PaymentInput("1e5"))
    finally:
        settings.save(replace(settings.load(), decimal_separator=""))


@pytest.mark.parametrize("start", [date(9999, 12, 31), date(1999, 12, 31), date(2100, 12, 20)])
def test_subscription_dates_out_of_range_are_a_field_message(make: Factory, start: date) -> None:
    cid, package = make.client(), make.package()
    assert "start" in refused(subs.create_subscription, cid, package, start)


@pytest.mark.parametrize(("args", "field"), [
    (("2026-01-15",), "start"), ((date(2026, 1, 15), "30"), None), ((date(2026, 1, 15),), "auto_renew"),
])
def test_wrong_types_for_a_sale_are_field_messages(make: Factory, args: tuple[object, ...], field: str | None) -> None:
    cid, package = make.client(), make.package()
    kwargs: dict[str, object] = {"auto_renew": "yes"} if field == "auto_renew" else {}
    call_args = [cid, package, *args] if len(args) == 1 else [cid, args[1], args[0]]
    errors = refused(subs.create_subscription, *call_args, **kwargs)
    assert (field or "package") in errors


def test_set_auto_renew_wants_on_or_off(make: Factory) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    assert "auto_renew" in refused(subs.set_auto_renew, sub, "true")


# --- records gone -------------------------------------------------------------------------------


def test_editing_a_deleted_client_says_so_in_plain_words(make: Factory) -> None:
    cid = make.client()
    clients.delete_client(cid, actor="amina")
    with pytest.raises(RecordDeleted) as e:
        clients.edit_client(cid, clients.ClientInput("T00001", "New name"))
    message = str(e.value)
    assert "was deleted on another PC at" in message and "by amina" in message
    assert "SELECT" not in message and "DoesNotExist" not in message
    with pytest.raises(RecordDeleted) as e:
        clients.edit_client(987654, clients.ClientInput("T00001", "New name"))
    assert "no longer exists" in str(e.value)
    with pytest.raises(RecordDeleted):
        subs.record_payment(987654, subs.PaymentInput("100"))
    with pytest.raises(RecordDeleted):
        subs.cancel_subscription(987654)


# --- the disk is full ------------------------------------------------------------------------------


def test_a_full_disk_says_the_disk_is_full_and_saves_nothing(tmp_path: Path) -> None:
    database = store.open_database(tmp_path / "full.sqlite3")
    try:
        clients.create_client(clients.ClientInput("C0", "Before"))
        pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
        database.execute_sql(f"PRAGMA max_page_count = {pages}")  # what a full disk does to SQLite
        with pytest.raises(DiskFull) as e:
            for i in range(200):
                clients.create_client(clients.ClientInput(f"C{i + 1}", "Filler", notes="x" * 4000))
        assert str(e.value).startswith("The disk is full")
        assert "rollback" not in str(e.value)
        saved = Client.select().count()
        assert AuditEvent.select().where(AuditEvent.action == "client.create").count() == saved  # no half-saves
        database.execute_sql("PRAGMA max_page_count = 1073741823")  # space freed: carries on
        clients.create_client(clients.ClientInput("AFTER", "After"))
    finally:
        store.close_database()


# --- copy-to-postgres with data older versions let in ----------------------------------------------


def test_copy_to_postgres_of_text_holding_nul(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
    reset_postgres(PG_URL)
    src = tmp_path / "old.sqlite3"
    store.open_database(src)
    cid = clients.create_client(clients.ClientInput("C1", "Amina", notes="clean")).id
    store.close_database()
    with sqlite3.connect(src) as conn:  # as an older version could have stored it
        conn.execute("UPDATE client SET notes = ?, address = ? WHERE id = ?", ("pasted\x00text", "a\x00b", cid))
    conn.close()
    report = transfer.copy_database(src, PG_URL)
    assert report.nul_removed == 1 and {t.table: t.nul_removed for t in report.tables}["client"] == 1
    store.open_database(PG_URL)
    try:
        client = Client.get_by_id(cid)
        assert (client.notes, client.address) == ("pastedtext", "ab")
    finally:
        store.close_database()


def test_a_client_deleted_meanwhile_is_not_sold_to(make: Factory) -> None:
    cid, package = make.client(), make.package()
    clients.delete_client(cid)
    with pytest.raises(RecordDeleted):
        subs.create_subscription(cid, package, settings.today() + timedelta(days=1))
