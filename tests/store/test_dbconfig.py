"""How a PC reaches the shared PostgreSQL: settings in the data folder, password in the keyring,
URLs masked wherever they are written."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from ispclient.domain.errors import ValidationError
from ispclient.store import dbconfig
from ispclient.store.db import PostgresqlDatabase, make_database
from tests.conftest import MemoryKeyring

SECRET = "Db-Secret-Pass-6620"


def test_a_url_without_password_takes_it_from_the_keyring(memory_keyring: MemoryKeyring) -> None:
    config, password = dbconfig.parse_url("postgresql://front%40desk@db.example:6543/isp%20main?sslmode=require")
    assert password is None
    assert config == dbconfig.DbConfig("db.example", "isp main", "front@desk", 6543, "require")
    dbconfig.save_password(config, SECRET)
    database = make_database("postgresql://front%40desk@db.example:6543/isp%20main?sslmode=require")
    assert isinstance(database, PostgresqlDatabase)
    assert database.connect_params["password"] == SECRET and database.connect_params["sslmode"] == "require"
    assert database.database == "isp main" and database.connect_params["keepalives"] == 1


def test_a_url_with_a_password_still_works_but_is_warned_about(caplog: pytest.LogCaptureFixture,
                                                               tmp_path: Path) -> None:
    target = dbconfig.resolve(f"postgresql://front:{SECRET}@db.example/isp", tmp_path, tmp_path / "x.sqlite3")
    assert target.password == SECRET and target.password_in_url
    assert "contains its password" in caplog.text and SECRET not in caplog.text


@pytest.mark.parametrize("url", [f"postgresql://front:{SECRET}@db.example:5432/isp",
                                 f"postgres://front:{SECRET}@[::1]/isp?sslmode=verify-full",
                                 f"postgresql://front:{SECRET}@db.example/isp"])
def test_every_url_is_masked(url: str) -> None:
    masked = dbconfig.mask(url)
    assert SECRET not in masked and "front:***@" in masked


def test_settings_in_the_data_folder_never_hold_the_password(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = dbconfig.DbConfig("db.example", "isp", "front", 5432, "verify-full", str(ca))
    dbconfig.save(tmp_path, config)
    dbconfig.save_password(config, SECRET)
    assert dbconfig.load(tmp_path) == config
    stored = (tmp_path / dbconfig.CONFIG_NAME).read_text(encoding="utf-8")
    assert SECRET not in stored and json.loads(stored)["tls"] == "verify-full"
    assert memory_keyring.store == {(dbconfig.KEYRING_SERVICE, "front@db.example:5432/isp"): SECRET}
    target = dbconfig.resolve(None, tmp_path, tmp_path / "x.sqlite3")
    assert target.postgres == config and target.password == SECRET
    assert "sslrootcert" in config.url() and SECRET not in config.url()
    dbconfig.forget_password(config)
    dbconfig.forget(tmp_path)
    assert dbconfig.resolve(None, tmp_path, tmp_path / "x.sqlite3").sqlite == tmp_path / "x.sqlite3"


@pytest.mark.parametrize(("changes", "field"), [
    ({"host": "bad host!"}, "host"), ({"port": 70000}, "port"), ({"port": "5432"}, "port"),
    ({"tls": "sometimes"}, "tls"), ({"tls": "verify-full"}, "ca_file"), ({"database": ""}, "database"),
    ({"user": "a\x00b"}, "user"), ({"ca_file": "/no/such/ca.pem", "tls": "require"}, "ca_file"),
])
def test_bad_settings_are_field_messages(changes: dict[str, object], field: str) -> None:
    config = dbconfig.DbConfig("db.example", "isp", "front")
    with pytest.raises(ValidationError) as e:
        dbconfig.validate(dbconfig.DbConfig(**{**config.__dict__, **changes}))  # type: ignore[arg-type]
    assert field in e.value.errors


def test_no_keyring_means_the_password_is_not_saved() -> None:
    keyring.set_keyring(fail.Keyring())
    config = dbconfig.DbConfig("db.example", "isp", "front")
    with pytest.raises(dbconfig.PasswordNotSaved, match="can't be saved"):
        dbconfig.save_password(config, SECRET)
    assert dbconfig.saved_password(config) is None
