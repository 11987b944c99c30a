"""Every service function × every role: allowed, or refused with the message saying who can —
called directly, as a script or another PC would, not through the UI.

The table walks :data:`ispclient.store.access.REGISTRY` (filled by the one guard line on each
service function); a registered function without a call below fails, and so does a function in
``ispclient/store`` that writes (opens a transaction or an audit event, or calls one that does)
without a guard line.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

import ispclient.dataio
import ispclient.store
from ispclient import paths, store
from ispclient.dataio import apply, export, prepare, sources
from ispclient.dataio.mapping import guess
from ispclient.domain import permissions
from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import SYSTEM, Actor, Permission, PermissionDenied, Role
from ispclient.store import (
    access,
    backup,
    balances,
    catalog,
    clients,
    dbconfig,
    money,
    provisioning,
    receipts,
    reports,
    router_queue,
    router_sync,
    secrets,
    settings,
    shifts,
    staff,
    transfer,
)
from ispclient.store import subscriptions as subs
from ispclient.store.errors import DatabaseUnavailable
from ispclient.store.models import AuditEvent, Payment, RouterChange, Shift

from .conftest import PG_URL

TODAY = date(2026, 1, 15)
STAFF_PASSWORD = "counter-pass-7"


@dataclass
class World:
    """One small installation: a router, two packages, clients in each state the calls need, a
    staff member of each role (each with an open shift), a pending router change."""

    app_paths: paths.AppPaths
    server: int
    spare_server: int
    package: int
    client: int  # with a paid, running subscription and a PPPoE password
    subscription: int
    bare_client: int  # no subscription: may be deleted
    deleted_client: int
    change: int  # a pending router change
    staff: dict[Role, Actor]
    shift_of: dict[Role, int]
    n: int = 0

    def code(self) -> str:
        self.n += 1
        return f"N{self.n:04d}"


def _build(app_paths: paths.AppPaths) -> World:
    with access.acting_as(SYSTEM):
        settings.save(replace(settings.load(), manage_secrets=True, currency="KES"))
        server = catalog.create_server(catalog.ServerInput("Core", "127.0.0.1")).id
        spare = catalog.create_server(catalog.ServerInput("Spare", "127.0.0.2")).id
        package = catalog.create_package(catalog.PackageInput("Home 10", "1500", 30)).id
        client = clients.create_client(clients.ClientInput("C1", "Amina Wanjiru", pppoe_username="amina",
                                                           server_id=server, pppoe_password="pppoe-secret-1")).id
        sub = subs.create_subscription(client, package, TODAY, payment=subs.PaymentInput("1500")).id
        bare = clients.create_client(clients.ClientInput("C2", "Baraka Otieno")).id
        gone = clients.create_client(clients.ClientInput("C3", "Chebet Kirui")).id
        clients.delete_client(gone)
        change = RouterChange.select().where(RouterChange.status == "pending").first().id
        owner = staff.create_first_owner("owner", "Olive Owner", STAFF_PASSWORD)
        people = {Role.OWNER: owner}
        with access.acting_as(owner):
            for role, name in ((Role.MANAGER, "Mary Manager"), (Role.CASHIER, "Cate Cashier"),
                               (Role.VIEWER, "Victor Viewer")):
                row = staff.create_staff(staff.StaffInput(role.value, name, role.value, True, STAFF_PASSWORD))
                people[role] = staff.actor_of(row)
        shift_of = {role: Shift.create(staff=actor.staff_id).id for role, actor in people.items()}
    return World(app_paths, server, spare, package, client, sub, bare, gone, change, people, shift_of)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setattr(settings, "today", lambda: TODAY)
    app_paths = paths.under(tmp_path / "home").ensure()
    store.open_database(app_paths.database, app_paths.backup_dir)
    try:
        yield _build(app_paths)
    finally:
        store.close_database()


def _pg_config() -> dbconfig.DbConfig:
    return dbconfig.DbConfig(host="127.0.0.1", database="ispclient_perm", user="nobody", port=1)


def _copy(w: World) -> object:
    """Allowed means the copy starts: with no PostgreSQL here it then finds none (port 1)."""
    try:
        return transfer.copy_database(w.app_paths.database, "postgresql://nobody@127.0.0.1:1/none")
    except (DatabaseUnavailable, transfer.CopyRefused) as e:
        return e


def _restore(w: World, _role: Role) -> object:
    with access.acting_as(SYSTEM):
        info = backup.create_backup(w.app_paths.database, w.app_paths.backup_dir)
    store.close_database()
    try:
        return backup.restore(info.path, w.app_paths.database, w.app_paths.backup_dir)
    finally:
        store.open_database(w.app_paths.database, w.app_paths.backup_dir)


def _import_rows(w: World) -> list[object]:
    return list(router_sync.import_preview(w.server, [{"name": "imported1", "password": "imp-pw-1",
                                                       "profile": "default", "disabled": "false"}]))


def _key_file(w: World) -> Path:
    path = w.app_paths.data_dir / "pppoe.key"
    if not path.exists():
        with access.acting_as(SYSTEM):
            secrets.export_key_file(path, "a long passphrase 1")
    return path


# Each registered service function, called as a front desk (or a script) would. The role's own
# open shift is ``w.shift_of[role]``; calls that need one take the role as a second argument.
CALLS: dict[str, Callable[[World, Role], object]] = {
    "ispclient.store.clients.create_client": lambda w, r: clients.create_client(
        clients.ClientInput(w.code(), "New Client")),
    "ispclient.store.clients.edit_client": lambda w, r: clients.edit_client(
        w.client, clients.ClientInput("C1", "Amina W. Wanjiru", pppoe_username="amina", server_id=w.server)),
    "ispclient.store.clients.delete_client": lambda w, r: clients.delete_client(w.bare_client),
    "ispclient.store.clients.undo_delete_client": lambda w, r: clients.undo_delete_client(w.deleted_client),
    "ispclient.store.clients.pppoe_password": lambda w, r: clients.pppoe_password(w.client),
    "ispclient.store.subscriptions.create_subscription": lambda w, r: subs.create_subscription(
        w.bare_client, w.package, TODAY),
    "ispclient.store.subscriptions.renew_subscription": lambda w, r: subs.renew_subscription(w.subscription),
    "ispclient.store.subscriptions.cancel_subscription": lambda w, r: subs.cancel_subscription(
        w.subscription, "Moving away"),
    "ispclient.store.subscriptions.set_auto_renew": lambda w, r: subs.set_auto_renew(w.subscription, True),
    "ispclient.store.subscriptions.record_payment": lambda w, r: subs.record_payment(
        w.subscription, subs.PaymentInput("500", "Mobile money", "QK7")),
    "ispclient.store.subscriptions.run_auto_renew": lambda w, r: subs.run_auto_renew(TODAY),
    "ispclient.store.catalog.create_package": lambda w, r: catalog.create_package(
        catalog.PackageInput("Business 50", "9500", 30)),
    "ispclient.store.catalog.edit_package": lambda w, r: catalog.edit_package(
        w.package, catalog.PackageInput("Home 10", "1600", 30)),
    "ispclient.store.catalog.create_server": lambda w, r: catalog.create_server(
        catalog.ServerInput("North POP", "10.0.0.9")),
    "ispclient.store.catalog.edit_server": lambda w, r: catalog.edit_server(
        w.server, catalog.ServerInput("Core", "127.0.0.1", port=8729)),
    "ispclient.store.catalog.delete_server": lambda w, r: catalog.delete_server(w.spare_server),
    "ispclient.store.settings.save": lambda w, r: settings.save(replace(settings.load(), expiring_days=5)),
    "ispclient.store.secrets.start_new_key": lambda w, r: _key_lost_then(secrets.start_new_key),
    "ispclient.store.secrets.export_key": lambda w, r: secrets.export_key(),
    "ispclient.store.secrets.import_key": lambda w, r: secrets.import_key(
        _as_system(secrets.export_key)),
    "ispclient.store.secrets.export_key_file": lambda w, r: secrets.export_key_file(
        w.app_paths.data_dir / f"out-{r.value}.key", "a long passphrase 2"),
    "ispclient.store.secrets.import_key_file": lambda w, r: secrets.import_key_file(
        _key_file(w), "a long passphrase 1"),
    "ispclient.store.router_queue.retry_now": lambda w, r: router_queue.retry_now(),
    "ispclient.store.router_queue.discard": lambda w, r: router_queue.discard(w.change),
    "ispclient.store.router_queue.drain": lambda w, r: router_queue.drain({}),
    "ispclient.store.router_queue.purge": lambda w, r: router_queue.purge(),
    "ispclient.store.router_sync.fix_router": lambda w, r: router_sync.fix_router(
        w.server, router_sync.reconcile(w.server, [])),
    "ispclient.store.router_sync.fix_database": lambda w, r: router_sync.fix_database(
        router_sync.reconcile(w.server, [])),
    "ispclient.store.router_sync.import_clients": lambda w, r: router_sync.import_clients(
        w.server, _import_rows(w)),  # type: ignore[arg-type]
    "ispclient.store.provisioning.sync_all": lambda w, r: provisioning.sync_all(today=TODAY),
    "ispclient.store.provisioning.assume_routers_agree": lambda w, r: provisioning.assume_routers_agree(today=TODAY),
    "ispclient.store.provisioning.push_everything": lambda w, r: provisioning.push_everything(w.server),
    "ispclient.store.provisioning.hold_secret": lambda w, r: provisioning.hold_secret(w.client, True),
    "ispclient.store.provisioning.disconnect_now": lambda w, r: provisioning.disconnect_now(w.client),
    "ispclient.store.provisioning.push_client": lambda w, r: provisioning.push_client(w.client),
    "ispclient.store.backup.create_backup": lambda w, r: backup.create_backup(
        w.app_paths.database, w.app_paths.backup_dir),
    "ispclient.store.backup.restore": _restore,
    "ispclient.store.backup.maybe_backup": lambda w, r: backup.maybe_backup(w.app_paths),
    "ispclient.store.transfer.copy_database": lambda w, r: _copy(w),
    "ispclient.store.dbconfig.save": lambda w, r: dbconfig.save(w.app_paths.config_dir, _pg_config()),
    "ispclient.store.dbconfig.forget": lambda w, r: dbconfig.forget(w.app_paths.config_dir),
    "ispclient.store.dbconfig.save_password": lambda w, r: dbconfig.save_password(_pg_config(), "db-pass-1"),
    "ispclient.store.dbconfig.forget_password": lambda w, r: dbconfig.forget_password(_pg_config()),
    "ispclient.store.staff.create_first_owner": lambda w, r: _refused_while_staff_exist(w),
    "ispclient.store.staff.sign_in": lambda w, r: staff.sign_in(r.value, STAFF_PASSWORD),
    "ispclient.store.staff.change_own_password": lambda w, r: staff.change_own_password(
        STAFF_PASSWORD, "a-new-pass-2"),
    "ispclient.store.staff.create_staff": lambda w, r: staff.create_staff(
        staff.StaffInput("newbie", "New Person", "cashier", True, STAFF_PASSWORD)),
    "ispclient.store.staff.edit_staff": lambda w, r: staff.edit_staff(
        w.staff[Role.VIEWER].staff_id or 0, staff.StaffInput("viewer", "Victor V. Viewer", "viewer")),
    "ispclient.store.shifts.open_shift": lambda w, r: _open_own_shift(w, r),
    "ispclient.store.shifts.close_shift": lambda w, r: shifts.close_shift(w.shift_of[r], "0"),
    "ispclient.store.shifts.shift_report": lambda w, r: shifts.shift_report(w.shift_of[r]),
    "ispclient.store.shifts.shifts_of_day": lambda w, r: shifts.shifts_of_day(TODAY),
    "ispclient.store.shifts.my_shifts": lambda w, r: shifts.my_shifts(),
    "ispclient.store.money.record_payment": lambda w, r: money.record_payment(
        w.client, money.PaymentInput("500", "Mobile money", "QK8"), subscription_id=w.subscription),
    "ispclient.store.money.refund": lambda w, r: money.refund(
        w.client, money.RefundInput("100"), subscription_id=w.subscription),
    "ispclient.store.money.void": lambda w, r: money.void(_first_payment(w), "Typed twice"),
    "ispclient.store.money.move_to_credit": lambda w, r: _paid_beyond_then(w, money.move_to_credit),
    "ispclient.store.receipts.set_logo": lambda w, r: receipts.set_logo(b"\x89PNG\r\n\x1a\n logo"),
    "ispclient.store.balances.repair": lambda w, r: balances.repair(),
    # Import and export (issue 15): the preview, the import and each export.
    "ispclient.dataio.prepare.preview": lambda w, r: _preview(w).close(),
    "ispclient.dataio.apply.apply_import": lambda w, r: _import_a_sheet(w),
    "ispclient.dataio.export.clients": lambda w, r: list(export.clients(TODAY).rows),
    "ispclient.dataio.export.client_list": lambda w, r: list(export.client_list(
        [w.client], ["NAME", "BALANCE"], ["Name", "Balance"], TODAY, 7).rows),
    "ispclient.dataio.export.payments": lambda w, r: list(export.payments().rows),
    "ispclient.dataio.export.subscriptions": lambda w, r: list(export.subscriptions().rows),
    "ispclient.dataio.export.audit": lambda w, r: list(export.audit().rows),
    "ispclient.store.reports.today_figures": lambda w, r: reports.today_figures(),
    "ispclient.store.reports.report": lambda w, r: reports.report(reports.ReportKind.REVENUE_BY_MONTH, TODAY, TODAY),
}


def _preview(w: World) -> prepare.Preview:
    """A spreadsheet of one new client, with what they owe from before."""
    path = w.app_paths.data_dir / f"sheet-{w.code()}.csv"
    path.write_text(f"Client ID,Name,Balance\n{w.code()},Imported Client,250\n", encoding="utf-8")
    source = sources.open_source(path)
    return prepare.preview(source, guess(source.header))


def _import_a_sheet(w: World) -> object:
    with access.acting_as(SYSTEM):  # the preview is guarded too: here only the import is asked
        ready = _preview(w)
    result = apply.apply_import(ready)
    assert (result.created, result.openings) == (1, 1) and balances.drift() == []
    return result


def _first_payment(w: World) -> int:
    return int(Payment.select(Payment.id).where(Payment.subscription == w.subscription).first().id)


def _paid_beyond_then(w: World, fn: Callable[[int], object]) -> object:
    """Money paid beyond the price (data from before the counter): what may move to credit."""
    with access.acting_as(SYSTEM):
        Payment.create(client=w.client, subscription=w.subscription, amount_minor=20000, method="Cash",
                       receipt_no="OLD-000001")
        balances.refresh([w.client])
    return fn(w.subscription)


def _as_system(fn: Callable[[], str]) -> str:
    with access.acting_as(SYSTEM):
        return fn()


def _key_lost_then(fn: Callable[[], object]) -> object:
    """A new key is refused while this PC has the old one: the old one is lost here first."""
    secrets._forget_key()
    return fn()


def _refused_while_staff_exist(w: World) -> object:
    """Open to anyone, but only while no account exists: here one does, whoever asks."""
    with pytest.raises(ValidationError, match="owner account was just created"):
        staff.create_first_owner("another", "Another Owner", STAFF_PASSWORD)
    return None


def _open_own_shift(w: World, role: Role) -> object:
    shifts.close_shift(w.shift_of[role], "0")  # opened in the world; a member has one open at a time
    return shifts.open_shift("1000")


def _expected(name: str, role: Role) -> str | None:
    """None when the role may call it, else the refusal message."""
    _fn, guard = access.REGISTRY[name]
    if guard.kind == "permission":
        assert guard.permission is not None
        return permissions.refusal(_actor_stub(role), guard.permission)
    return None  # automatic, signed_in and open functions refuse no role


def _actor_stub(role: Role) -> Actor:
    names = {Role.OWNER: "Olive Owner", Role.MANAGER: "Mary Manager", Role.CASHIER: "Cate Cashier",
             Role.VIEWER: "Victor Viewer"}
    return Actor(1, role.value, names[role], role)


def _registered() -> list[str]:
    _import_all_store_modules()
    return sorted(access.REGISTRY)


def _import_all_store_modules() -> None:
    for package in (ispclient.store, ispclient.dataio):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("name", _registered(), ids=lambda n: n.removeprefix("ispclient.store."))
def test_every_service_function_for_every_role(world: World, name: str, role: Role) -> None:
    assert name in CALLS, f"{name} is guarded but the permission table has no call for it: add one"
    actor = world.staff[role]
    refusal = _expected(name, role)
    audit_rows = AuditEvent.select().count()
    with access.acting_as(actor):
        if refusal is None:
            CALLS[name](world, role)  # any refusal here is a failure
        else:
            with pytest.raises(PermissionDenied) as refused:
                CALLS[name](world, role)
            assert refused.value.errors == {"__all__": refusal}
            assert f"You are signed in as {actor.name} ({role.value})" in refusal
            assert AuditEvent.select().count() == audit_rows, "a refused call changed something"


@pytest.mark.parametrize("name", _registered(), ids=lambda n: n.removeprefix("ispclient.store."))
def test_nobody_signed_in_is_refused_except_at_the_door(world: World, name: str) -> None:
    """The GUI before anyone signs in: every guarded function refuses; signing in works."""
    _fn, guard = access.REGISTRY[name]
    access.set_process_default(None)
    try:
        with access.acting_as(None):
            if guard.kind in ("permission", "signed_in"):
                with pytest.raises(PermissionDenied, match="sign in first"):
                    CALLS[name](world, Role.OWNER)
            elif guard.kind == "open":
                CALLS[name](world, Role.OWNER)
    finally:
        access.set_process_default(SYSTEM)


def test_audit_names_the_staff_member_the_os_user_and_the_pc(world: World) -> None:
    cashier = world.staff[Role.CASHIER]
    with access.acting_as(cashier):
        pay = subs.record_payment(world.subscription, subs.PaymentInput("250"))
    event = AuditEvent.select().where(AuditEvent.action == "payment.record").order_by(AuditEvent.id.desc()).first()
    assert (event.actor, event.staff_id) == ("Cate Cashier", cashier.staff_id)
    assert event.os_user and event.pc_name
    assert pay.taken_by == "Cate Cashier" and pay.shift_id == world.shift_of[Role.CASHIER]


def test_a_role_changed_on_another_pc_counts_from_the_next_action(world: World) -> None:
    manager = world.staff[Role.MANAGER]
    with access.acting_as(world.staff[Role.OWNER]):
        staff.edit_staff(manager.staff_id or 0, staff.StaffInput("manager", "Mary Manager", "cashier"))
    with access.acting_as(manager), pytest.raises(PermissionDenied, match="Only the owner or a manager can delete"):
        clients.delete_client(world.bare_client)  # the session still says manager; the database says cashier
    with access.acting_as(world.staff[Role.OWNER]):
        staff.edit_staff(manager.staff_id or 0, staff.StaffInput("manager", "Mary Manager", "manager", active=False))
    with access.acting_as(manager), pytest.raises(PermissionDenied, match="turned off"):
        clients.create_client(clients.ClientInput("C9", "Someone"))


def test_the_last_owner_stays(world: World) -> None:
    owner = world.staff[Role.OWNER]
    with access.acting_as(owner):
        for change in (dict(role="manager"), dict(active=False)):
            data = staff.StaffInput("owner", "Olive Owner", **{"role": "owner", **change})  # type: ignore[arg-type]
            with pytest.raises(ValidationError, match="always be an owner"):
                staff.edit_staff(owner.staff_id or 0, data)
        staff.edit_staff(world.staff[Role.MANAGER].staff_id or 0, staff.StaffInput("manager", "Mary Manager", "owner"))
        staff.edit_staff(owner.staff_id or 0, staff.StaffInput("owner", "Olive Owner", "manager"))  # now fine


def test_the_matrix_reads_as_the_issue_says() -> None:
    cashier = permissions.MATRIX[Role.CASHIER]
    assert {Permission.EDIT_CLIENTS, Permission.SELL, Permission.RENEW, Permission.TAKE_PAYMENTS} <= cashier
    assert not {Permission.VOID_REFUND, Permission.DELETE_CLIENTS, Permission.SERVERS, Permission.CANCEL} & cashier
    assert permissions.MATRIX[Role.VIEWER] == frozenset()
    assert Permission.STAFF not in permissions.MATRIX[Role.MANAGER]
    assert permissions.MATRIX[Role.OWNER] == frozenset(Permission)
    # renew_subscription sells through create_subscription: whoever renews may sell
    assert all(permissions.allows(r, Permission.SELL) for r in permissions.roles_allowed(Permission.RENEW))
    assert permissions.who_can(Permission.VOID_REFUND) == "the owner or a manager"
    assert permissions.who_can(Permission.STAFF) == "the owner"


# --- every writing function has its guard line -----------------------------------------------------------

STORE = Path(ispclient.store.__file__).parent
DATAIO = Path(ispclient.dataio.__file__).parent  # import and export write and read through the same guards
# Public functions that write but only inside a guarded service's transaction (or that open the
# database itself): not service functions a screen calls.
INTERNAL = {
    "db.atomic": "the transaction helper itself",
    "provisioning.sync_client": "called inside the client and subscription services' transactions",
    "router_queue.enqueue": "called inside the services' transactions",
    "queries.catalog": "a read in one snapshot",
    "shifts.for_payment": "called inside record_payment's transaction",
    "settings.ensure_defaults": "opening the database",
    "settings.put": "called inside settings.save",
    "schema.migrate": "opening the database (backs up first)",
    "schema.ensure_case_indexes": "opening the database",
    "schema.backup_sqlite": "opening the database",
    "staff.staff_list": "a read",
    "money.take_payment": "called inside create_subscription's and record_payment's transactions",
    "money.refund_locked": "called inside refund's and cancel_subscription's transactions",
    "money.move_to_credit_locked": "called inside move_to_credit's and cancel_subscription's transactions",
    "receipts.receipt": "a read in one snapshot",
    "cli.run": "the command line (`ispclient import|export`, as the system): calls the guarded services",
    "cli.run_import": "the command line (as the system): calls the guarded preview and import",
    "prepare.read_known": "a read in one snapshot",
}
_WRITES = {"atomic", "_migration_step"}


def _writers() -> set[str]:
    """module.function for every function of ispclient/store that opens a transaction or writes an
    audit event, or calls (in its module, or as ``module.function``) one that does."""
    calls: dict[str, set[str]] = {}
    files = [*STORE.glob("*.py"), *DATAIO.glob("*.py")]
    modules = {p.stem for p in files}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            found: set[str] = set()
            for sub in ast.walk(node):
                if not isinstance(sub, ast.Call):
                    continue
                f = sub.func
                if isinstance(f, ast.Name):
                    found.add(f"{path.stem}.{f.id}" if f.id not in _WRITES else "!write")
                elif isinstance(f, ast.Attribute):
                    if f.attr in _WRITES or (f.attr == "record" and isinstance(f.value, ast.Name)
                                             and f.value.id == "audit"):
                        found.add("!write")
                    elif isinstance(f.value, ast.Name) and f.value.id in modules:
                        found.add(f"{f.value.id}.{f.attr}")
            calls[f"{path.stem}.{node.name}"] = found
    writers = {name for name, found in calls.items() if "!write" in found}
    grew = True
    while grew:
        new = {name for name, found in calls.items() if name not in writers and found & writers}
        writers |= new
        grew = bool(new)
    return {w for w in writers if not w.split(".")[1].startswith("_")}


def test_every_writing_store_function_is_guarded() -> None:
    _import_all_store_modules()
    guarded = {name.removeprefix("ispclient.store.").removeprefix("ispclient.dataio.") for name in access.REGISTRY}
    missing = sorted(_writers() - guarded - set(INTERNAL))
    assert missing == [], f"store functions that change data without a guard line (access.requires…): {missing}"


def test_the_scan_finds_a_new_unguarded_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "store"
    fake.mkdir()
    for p in STORE.glob("*.py"):
        (fake / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (fake / "refunds.py").write_text(
        "from ispclient.store.db import atomic\n\n\ndef _write():\n    with atomic():\n        pass\n\n\n"
        "def give_refund(payment_id):\n    _write()\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "STORE", fake)
    assert "refunds.give_refund" in _writers()


@pytest.mark.postgres
def test_refusals_hold_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fresh role is read from the shared database: a cashier on another PC is refused there too."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need ISPCLIENT_TEST_PG_URL (.ci/run sets it)")
    from .conftest import reset_postgres

    reset_postgres(PG_URL)
    monkeypatch.setattr(settings, "today", lambda: TODAY)
    store.open_database(PG_URL)
    try:
        with access.acting_as(SYSTEM):
            package = catalog.create_package(catalog.PackageInput("Home 10", "1500", 30)).id
            client = clients.create_client(clients.ClientInput("C1", "Amina Wanjiru")).id
            owner = staff.create_first_owner("owner", "Olive Owner", STAFF_PASSWORD)
        with access.acting_as(owner):
            cashier = staff.actor_of(staff.create_staff(staff.StaffInput("cate", "Cate", "cashier", True,
                                                                         STAFF_PASSWORD)))
        with access.acting_as(cashier):
            subs.create_subscription(client, package, TODAY, payment=subs.PaymentInput("1500"))
            with pytest.raises(PermissionDenied, match="Only the owner or a manager can delete clients"):
                clients.delete_client(client)
            with pytest.raises(PermissionDenied, match="Only the owner or a manager can change packages"):
                catalog.edit_package(package, catalog.PackageInput("Home 10", "1", 30))
    finally:
        store.close_database()


def test_unknown_kinds_are_not_registered() -> None:
    _import_all_store_modules()
    assert {g.kind for _fn, g in access.REGISTRY.values()} <= {"permission", "automatic", "signed_in", "open"}
    for name, (_fn, guard) in access.REGISTRY.items():
        assert (guard.kind == "permission") == (guard.permission is not None), name

