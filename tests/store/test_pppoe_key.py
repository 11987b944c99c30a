"""The PPPoE-password key: moved between PCs in a passphrase-protected file, offered to a second
PC, never lost for good (start a new key), and never kept in a plain-text "keyring"."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import keyring
import peewee
import pytest
from keyring.backend import KeyringBackend

from ispclient.routeros.credentials import CredentialStore
from ispclient.simulator import RouterSim
from ispclient.store import clients, dbconfig, router_queue, secrets, settings
from ispclient.store.models import AuditEvent, Client, RouterChange, Server
from tests.conftest import MemoryKeyring

from .conftest import Factory

PPPOE_PASSWORD = "Pp0e-Key-Test-4471"
API_PASSWORD = "Sim-API-pw-9913"
PASSPHRASE = "correct horse battery"


def _second_pc() -> MemoryKeyring:
    """Another front-desk PC on the same database: its own (empty) keyring."""
    other = MemoryKeyring()
    keyring.set_keyring(other)
    return other


def _client_with_password(make: Factory, username: str = "amina") -> int:
    server = Server.get_or_none(Server.name == "Main router")
    sid = server.id if server is not None else make.server()
    return make.client(pppoe_username=username, server_id=sid, pppoe_password=PPPOE_PASSWORD)


def test_export_and_import_round_trip_through_a_passphrase_file(make: Factory, tmp_path: Path,
                                                                memory_keyring: MemoryKeyring) -> None:
    cid = _client_with_password(make)
    file = secrets.export_key_file(tmp_path / "key.ispkey", PASSPHRASE)
    text = file.read_text(encoding="utf-8")
    assert secrets.export_key() not in text and PASSPHRASE not in text  # the key is only in encrypted form
    if os.name == "posix":  # Windows has no mode bits: the file inherits the user profile's private ACL
        assert (file.stat().st_mode & 0o777) == 0o600
    _second_pc()
    assert secrets.key_status() is secrets.KeyStatus.MISSING and secrets.import_offered()
    with pytest.raises(secrets.SecretsUnavailable) as e:
        secrets.import_key_file(file, "not the passphrase")
    assert e.value.errors == {"passphrase": "The passphrase is not the one the key was exported with."}
    assert secrets.key_status() is secrets.KeyStatus.MISSING
    secrets.import_key_file(file, PASSPHRASE)
    assert secrets.key_status() is secrets.KeyStatus.PRESENT and not secrets.import_offered()
    assert clients.pppoe_password(cid) == PPPOE_PASSWORD


def test_a_key_file_is_refused_for_another_database_and_when_damaged(make: Factory, tmp_path: Path) -> None:
    _client_with_password(make)
    file = secrets.export_key_file(tmp_path / "key.ispkey", PASSPHRASE)
    with pytest.raises(secrets.SecretsUnavailable, match="at least 8"):
        secrets.export_key_file(tmp_path / "short.ispkey", "short")
    (tmp_path / "junk.ispkey").write_text("{not json")
    with pytest.raises(secrets.SecretsUnavailable, match="not a PPPoE password key"):
        secrets.import_key_file(tmp_path / "junk.ispkey", PASSPHRASE)
    settings.put("pppoe_key_id", "0123456789abcdef")  # a database whose passwords use another key
    with pytest.raises(secrets.SecretsUnavailable, match="another key"):
        secrets.import_key_file(file, PASSPHRASE)


def test_second_pc_works_without_the_key_except_pppoe_passwords(make: Factory) -> None:
    cid = _client_with_password(make)
    _second_pc()
    with pytest.raises(secrets.KeyMissing, match="another PC"):
        clients.pppoe_password(cid)
    with pytest.raises(secrets.KeyMissing):
        _client_with_password(make, "bob")
    # Everything else works: a client without a password, an edit that keeps the password.
    other = make.client("Bob", pppoe_username="bob", server_id=Client.get_by_id(cid).server_id)
    clients.edit_client(cid, clients.ClientInput("T00001", "Amina renamed", pppoe_username="amina",
                                                 server_id=Client.get_by_id(cid).server_id))
    assert Client.get_by_id(cid).pppoe_password_enc and Client.get_by_id(other).name == "Bob"


def test_the_router_queue_of_a_pc_without_the_key_leaves_the_change_pending(db: peewee.Database, make: Factory,
                                                                            memory_keyring: MemoryKeyring) -> None:
    router = RouterSim(host="127.0.0.1", port=0, users={"admin": API_PASSWORD}).start()
    try:
        settings.save(settings.Settings(manage_secrets=True))
        sid = make.server("Main router", port=router.port, timeout_s=2.0)
        targets = {sid: router_queue.target_for(Server.get_by_id(sid), API_PASSWORD)}
        cid = _client_with_password(make)
        first_pc = memory_keyring
        _second_pc()
        later = router_queue.utcnow() + timedelta(hours=1)
        report = router_queue.drain(targets, now=later)
        change = RouterChange.get(RouterChange.client_id == cid)
        assert change.status == "pending" and report.failed == 0 and report.applied == 0
        assert "key" in change.last_error and change.attempts == 0
        assert router.secret("amina") is None
        keyring.set_keyring(first_pc)  # the PC that has the key applies it
        report = router_queue.drain(targets, now=later + timedelta(hours=1))
        assert RouterChange.get(RouterChange.client_id == cid).status == "done"
        assert router.secret("amina")["password"] == PPPOE_PASSWORD  # type: ignore[index]
    finally:
        router.stop()


def test_two_pcs_starting_the_key_at_once_keep_one(make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both PCs save their first PPPoE password at the same moment, each making a key: the
    database records one; the other PC gives its own up and is told to import."""
    sid = make.server()
    real_write = secrets._write_key

    def other_pc_records_its_key_first(text: str) -> None:
        real_write(text)
        settings.put("pppoe_key_id", "feedfacefeedface")

    monkeypatch.setattr(secrets, "_write_key", other_pc_records_its_key_first)
    with pytest.raises(secrets.KeyMissing, match="Another PC has just started"):
        make.client(pppoe_username="amina", server_id=sid, pppoe_password=PPPOE_PASSWORD)
    assert secrets._read_key() is None  # our key was given up, never used
    assert Client.select().count() == 0


def test_a_password_encrypted_just_before_another_pc_starts_a_new_key_is_refused(
        make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = _client_with_password(make)
    old = secrets.cipher()
    settings.put("pppoe_key_id", "0123456789abcdef")  # another PC started a new key meanwhile
    monkeypatch.setattr(secrets, "cipher", lambda create=True: old)  # our check ran before that
    with pytest.raises(secrets.KeyMissing, match="just changed on another PC"):
        clients.edit_client(cid, clients.ClientInput("T00001", "Amina", pppoe_username="amina",
                                                     server_id=Client.get_by_id(cid).server_id,
                                                     pppoe_password="New-Pass-2222"))


def test_a_lost_key_is_never_a_dead_end(make: Factory) -> None:
    first = _client_with_password(make)
    second = _client_with_password(make, "bob")
    make.client("No password")
    _second_pc()  # the only PC with the key is gone
    result = secrets.start_new_key(actor="amina")
    assert result.unknown == 2
    assert [u.client_id for u in secrets.unknown_passwords()] == sorted([first, second])
    assert clients.pppoe_password_state(first) == "unknown"
    with pytest.raises(secrets.SecretsUnavailable, match="Unknown — set a new one"):
        clients.pppoe_password(first)
    event = AuditEvent.get(AuditEvent.action == "pppoe_key.new")
    assert "2 saved password(s) are now unknown" in event.summary and event.actor == "amina"
    # A new password is saved with the new key; the client is no longer "unknown".
    sid = Client.get_by_id(first).server_id
    clients.edit_client(first, clients.ClientInput("T00001", "Amina Wanjiru", pppoe_username="amina", server_id=sid,
                                                   pppoe_password="New-Pass-1111"))
    assert clients.pppoe_password(first) == "New-Pass-1111"
    assert [u.client_id for u in secrets.unknown_passwords()] == [second]
    with pytest.raises(secrets.SecretsUnavailable, match="nothing is lost"):
        secrets.start_new_key()  # this PC has the key now


# --- plain-text keyrings count as none ---------------------------------------------------------------


class PlaintextKeyring(KeyringBackend):
    """Stands for keyrings.alt's PlaintextKeyring: secrets in a file anyone can read."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def test_a_plain_text_keyring_is_refused_like_a_missing_one(make: Factory) -> None:
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    sid = make.server()
    with pytest.raises(secrets.SecretsUnavailable) as e:
        make.client(pppoe_username="amina", server_id=sid, pppoe_password=PPPOE_PASSWORD)
    assert "plain text" in e.value.errors["pppoe_password"]
    assert secrets.key_status() is secrets.KeyStatus.NO_KEYRING
    credentials = CredentialStore(settings.keyring_service())
    assert credentials.set(sid, API_PASSWORD) is False  # kept for this session only
    assert "plain text" in (credentials.backend_problem() or "")
    with pytest.raises(dbconfig.PasswordNotSaved, match="plain text"):
        dbconfig.save_password(dbconfig.DbConfig("db.example", "isp", "front"), "Db-Pass-1")
    assert backend.store == {}  # nothing was written to it


def test_a_chain_holding_a_plain_text_keyring_is_refused() -> None:
    from keyring.backends import chainer

    from ispclient.routeros.credentials import keyring_backend_problem

    class Chain(chainer.ChainerBackend):
        backends = [MemoryKeyring(), PlaintextKeyring()]  # type: ignore[assignment]

    keyring.set_keyring(Chain())
    assert "plain text" in (keyring_backend_problem() or "")
    keyring.set_keyring(MemoryKeyring())
    assert keyring_backend_problem() is None
