"""Router passwords live only in the keyring: never in the database file or the audit trail."""

from __future__ import annotations

from pathlib import Path

import keyring

from ispclient import store
from ispclient.store import catalog, clients, settings
from ispclient.store import subscriptions as subs
from ispclient.store.models import AuditEvent

ROUTER_PASSWORD = "Zq8-router-Secret-4471"


def test_database_and_audit_hold_no_router_password(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    store.open_database(path)
    try:
        srv = catalog.create_server(catalog.ServerInput("North", "127.0.0.1", username="api"))
        service = f"ispclient/{settings.installation_id()}"
        keyring.set_password(service, f"server-{srv.id}", ROUTER_PASSWORD)
        catalog.edit_server(srv.id, catalog.ServerInput("North POP", "127.0.0.2", username="api"))
        pkg = catalog.create_package(catalog.PackageInput("Home", "10", 30))
        cid = clients.create_client(clients.ClientInput("C1", "Amina", pppoe_username="amina", server_id=srv.id)).id
        sid = subs.create_subscription(cid, pkg.id, settings.today(), payment=subs.PaymentInput("10")).id
        subs.cancel_subscription(sid, "test")
        clients.delete_client(cid)
        clients.undo_delete_client(cid)
        # A caller that passes a password field by mistake still gets it dropped.
        from ispclient.store import audit

        audit.record("server.test", "server", srv.id, after={"host": "x", "password": ROUTER_PASSWORD})
        assert keyring.get_password(service, f"server-{srv.id}") == ROUTER_PASSWORD
        texts = [e.before + e.after + e.summary for e in AuditEvent.select()]
        assert texts and not any(ROUTER_PASSWORD in t for t in texts)
        store.db.obj.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close_database()
    for f in tmp_path.glob("a.sqlite3*"):
        assert ROUTER_PASSWORD.encode() not in f.read_bytes(), f
