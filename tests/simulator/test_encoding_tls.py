from __future__ import annotations

import ssl
from functools import partial
from pathlib import Path

import librouteros
import pytest
import routeros_api
from librouteros.query import Key

from ispclient.simulator import RouterSim
from ispclient.simulator.tls import make_test_ca

from .raw import RawClient

NAME = "José Müller"


WIRE = [("utf-8", b"Jos\xc3\xa9 M\xc3\xbcller"), ("cp1252", b"Jos\xe9 M\xfcller")]


@pytest.mark.parametrize(("encoding", "wire"), WIRE)
def test_accented_text_round_trips(encoding: str, wire: bytes) -> None:
    with RouterSim(users={"admin": "secret"}, encoding=encoding) as sim:
        api = librouteros.connect("127.0.0.1", "admin", "secret", port=sim.port, timeout=5, encoding=encoding)
        new_id = api.path("/ppp/secret").add(name="josé", password="pw", comment=NAME)
        secret = sim.secret("josé")
        assert secret is not None and secret[".id"] == new_id and secret["comment"] == NAME
        rows = list(api.path("/ppp/secret").select(Key("comment")).where(Key("name") == "josé"))
        assert rows == [{"comment": NAME}]
        api.close()
        with RawClient(sim.port, encoding=encoding) as raw:
            raw.login()
            raw.send("/ppp/secret/print", "=.proplist=comment")
            assert wire in raw.sock.recv(65536)


def test_librouteros_default_ascii_drops_accents(sim: RouterSim) -> None:
    """librouteros decodes with the ASCII default and errors='ignore': the client must pass encoding."""
    sim.add_secret("josé")
    api = librouteros.connect("127.0.0.1", "admin", "secret", port=sim.port, timeout=5)
    assert [r["name"] for r in api.path("/ppp/secret")] == ["jos"]
    api.close()


def test_make_test_ca_files(tmp_path: Path) -> None:
    ca_file, cert_file, key_file = make_test_ca(tmp_path / "pki")
    assert all(p.is_file() for p in (ca_file, cert_file, key_file))
    context = ssl.create_default_context(cafile=str(ca_file))
    context.load_cert_chain(str(cert_file), str(key_file))  # key matches the certificate


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_tls_listener_with_librouteros(tmp_path: Path, server_hostname: str) -> None:
    ca_file, cert_file, key_file = make_test_ca(tmp_path)
    with RouterSim(users={"admin": "secret"}, tls_cert=cert_file, tls_key=key_file) as sim:
        sim.add_secret("tls-client")
        context = ssl.create_default_context(cafile=str(ca_file))
        wrapper = partial(context.wrap_socket, server_hostname=server_hostname)
        api = librouteros.connect(
            "127.0.0.1", "admin", "secret", port=sim.port, timeout=5, encoding="utf-8", ssl_wrapper=wrapper
        )
        assert [r["name"] for r in api.path("/ppp/secret")] == ["tls-client"]
        api.close()


def test_tls_listener_with_routeros_api_and_bad_ca(tmp_path: Path) -> None:
    ca_file, cert_file, key_file = make_test_ca(tmp_path / "router")
    other_ca, _, _ = make_test_ca(tmp_path / "other")
    with RouterSim(users={"admin": "secret"}, tls_cert=cert_file, tls_key=key_file) as sim:
        context = ssl.create_default_context(cafile=str(ca_file))
        pool = routeros_api.RouterOsApiPool(
            "localhost", username="admin", password="secret", port=sim.port, plaintext_login=True, ssl_context=context
        )
        assert pool.get_api().get_resource("/system/identity").get() == [{"name": "MikroTik"}]
        pool.disconnect()
        untrusted = ssl.create_default_context(cafile=str(other_ca))
        with pytest.raises(ssl.SSLCertVerificationError):
            librouteros.connect(
                "127.0.0.1",
                "admin",
                "secret",
                port=sim.port,
                timeout=5,
                ssl_wrapper=partial(untrusted.wrap_socket, server_hostname="localhost"),
            )
        # The listener survives a failed handshake.
        api = librouteros.connect(
            "127.0.0.1",
            "admin",
            "secret",
            port=sim.port,
            timeout=5,
            ssl_wrapper=partial(context.wrap_socket, server_hostname="localhost"),
        )
        api.close()
