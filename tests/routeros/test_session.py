"""Sessions against the simulator over real loopback TCP: every failure has its reason."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ispclient.domain.connection import UnknownReason
from ispclient.routeros import session as router_session
from ispclient.routeros.errors import RouterError
from ispclient.routeros.session import RouterInfo, open_session
from ispclient.routeros.target import RouterTarget
from ispclient.simulator import RouterSim
from ispclient.simulator.tls import make_test_ca
from tests.routeros.helpers import PASSWORD, make_name_only_cert, self_signed_ca, target_for


def reason_of(target: RouterTarget) -> RouterError:
    with pytest.raises(RouterError) as caught:
        router_session.test_connection(target)
    return caught.value


def test_test_connection_reports_identity_and_version(sim: RouterSim, target: RouterTarget) -> None:
    sim.identity = "Tower-North"
    info = router_session.test_connection(target)
    assert info == RouterInfo(identity="Tower-North", version="7.16.2 (stable)", board_name=info.board_name)
    assert info.board_name


def test_wrong_password_is_login_refused(sim: RouterSim) -> None:
    error = reason_of(target_for(sim, password="not-the-password"))
    assert error.reason is UnknownReason.LOGIN_REFUSED
    assert "invalid user name or password" in error.detail


def test_unknown_user_is_login_refused(sim: RouterSim) -> None:
    assert reason_of(target_for(sim, username="nobody")).reason is UnknownReason.LOGIN_REFUSED


@pytest.mark.parametrize(("fault", "reason"), [
    ("refuse-login", UnknownReason.LOGIN_REFUSED),
    ("hang", UnknownReason.TIMED_OUT),
    ("close-mid-reply", UnknownReason.CONNECTION_DROPPED),
    ("garbage", UnknownReason.PROTOCOL_ERROR),
])
def test_each_fault_has_its_reason(sim: RouterSim, target: RouterTarget, fault: str,
                                   reason: UnknownReason) -> None:
    sim.add_secret("alice")
    sim.fault = fault  # type: ignore[assignment]
    with pytest.raises(RouterError) as caught:
        with open_session(target) as session:
            session.print("/ppp/secret")
    assert caught.value.reason is reason


def test_a_hanging_router_costs_only_the_timeout(sim: RouterSim) -> None:
    sim.fault = "hang"
    started = time.monotonic()
    error = reason_of(target_for(sim, timeout=0.5))
    elapsed = time.monotonic() - started
    assert error.reason is UnknownReason.TIMED_OUT
    assert "0.5 s" in error.detail
    assert 0.4 < elapsed < 1.5


def test_a_stopped_router_is_unreachable(sim: RouterSim, target: RouterTarget) -> None:
    sim.stop()
    error = reason_of(target)
    assert error.reason is UnknownReason.UNREACHABLE
    assert "refused the connection" in error.detail


def test_a_closed_session_refuses_further_commands(target: RouterTarget) -> None:
    with open_session(target) as session:
        pass
    with pytest.raises(RouterError) as caught:
        session.print("/ppp/active")
    assert caught.value.reason is UnknownReason.CONNECTION_DROPPED


def test_a_trapped_command_keeps_the_session_usable(sim: RouterSim, target: RouterTarget) -> None:
    sim.add_secret("alice")
    with open_session(target) as session:
        with pytest.raises(RouterError) as caught:
            session.print("/no/such/menu")
        assert caught.value.reason is UnknownReason.PROTOCOL_ERROR
        assert "no such command" in caught.value.detail
        assert [row["name"] for row in session.print("/ppp/secret", ["name"])] == ["alice"]


def test_values_stay_the_strings_the_router_sent(sim: RouterSim, target: RouterTarget) -> None:
    # librouteros alone would hand back 1001 (int) and True for "true"/"yes".
    sim.add_secret("1001", disabled=True)
    sim.add_secret("0042")
    with open_session(target) as session:
        rows = session.print("/ppp/secret", ["name", "disabled", "limit-bytes-in"])
        one = session.print("/ppp/secret", ["name"], name="1001")
    assert rows == [{"name": "1001", "disabled": "true", "limit-bytes-in": "0"},
                    {"name": "0042", "disabled": "false", "limit-bytes-in": "0"}]
    assert one == [{"name": "1001"}]


@pytest.mark.parametrize("send_empty", [True, False])
def test_printing_nothing_works_with_and_without_empty(target: RouterTarget, sim: RouterSim,
                                                        send_empty: bool) -> None:
    sim.send_empty = send_empty
    with open_session(target) as session:
        assert session.print("/ppp/active") == []
        assert session.print("/ppp/secret", ["name"], name="nobody") == []
        sim.add_secret("alice")
        assert session.print("/ppp/secret", ["name"]) == [{"name": "alice"}]


def test_query_keywords_use_dashes(sim: RouterSim, target: RouterTarget) -> None:
    sim.add_secret("alice")
    sim.connect("alice", caller_id="11:22:33:44:55:66")
    with open_session(target) as session:
        assert session.print("/ppp/active", ["name"], caller_id="11:22:33:44:55:66") == [{"name": "alice"}]
    assert "?caller-id=11:22:33:44:55:66" in sim.commands[-1]


def test_pre_643_challenge_login_works() -> None:
    with RouterSim(users={"admin": PASSWORD}, legacy_login=True) as legacy:
        assert router_session.test_connection(target_for(legacy)).identity == "MikroTik"
        assert reason_of(target_for(legacy, password="wrong")).reason is UnknownReason.LOGIN_REFUSED


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_accented_text_round_trips_in_the_routers_encoding(encoding: str) -> None:
    with RouterSim(users={"admin": PASSWORD}, encoding=encoding) as router:
        router.add_secret("josé", comment="José Müller")
        with open_session(target_for(router, encoding=encoding)) as session:
            rows = session.print("/ppp/secret", ["name", "comment"])
            by_name = session.print("/ppp/secret", ["name", "comment"], name="josé")
    assert rows == by_name == [{"name": "josé", "comment": "José Müller"}]


def test_a_wrong_encoding_setting_is_reported_not_garbled() -> None:
    # librouteros' own decoder ignores bad bytes and would return "Jos Mller" here.
    with RouterSim(users={"admin": PASSWORD}, encoding="cp1252") as router:
        router.add_secret("josé", comment="José Müller")
        with pytest.raises(RouterError) as caught:
            with open_session(target_for(router, encoding="utf-8")) as session:
                session.print("/ppp/secret", ["name", "comment"])
    assert caught.value.reason is UnknownReason.PROTOCOL_ERROR
    assert "utf-8" in caught.value.detail and "encoding" in caught.value.detail


def test_a_password_the_encoding_cannot_carry_is_explained() -> None:
    with RouterSim(users={"admin": "pässwört€"}, encoding="cp1252") as router:
        error = reason_of(target_for(router, password="пароль"))
    assert error.reason is UnknownReason.PROTOCOL_ERROR
    assert "cannot be sent in cp1252" in error.detail
    assert "пароль" not in str(error) and "пароль" not in repr(error)


# -- API-SSL -----------------------------------------------------------------------------------

def test_tls_with_a_trusted_certificate(tmp_path: Path) -> None:
    ca_file, cert_file, key_file = make_test_ca(tmp_path)
    with RouterSim(users={"admin": PASSWORD}, tls_cert=cert_file, tls_key=key_file) as router:
        target = target_for(router, tls=True, ca_file=str(ca_file))
        assert router_session.test_connection(target).version == "7.16.2 (stable)"


def test_tls_rejects_an_untrusted_ca(tmp_path: Path) -> None:
    _, cert_file, key_file = make_test_ca(tmp_path / "router")
    other_ca, _, _ = make_test_ca(tmp_path / "other")
    with RouterSim(users={"admin": PASSWORD}, tls_cert=cert_file, tls_key=key_file) as router:
        error = reason_of(target_for(router, tls=True, ca_file=str(other_ca)))
    assert error.reason is UnknownReason.TLS_REJECTED
    assert "certificate" in error.detail


def test_tls_rejects_a_certificate_for_another_host_name(tmp_path: Path) -> None:
    ca_file, ca_key = self_signed_ca(tmp_path)
    cert_file, key_file = make_name_only_cert(tmp_path, ca_file, ca_key, "router.example")
    with RouterSim(users={"admin": PASSWORD}, tls_cert=cert_file, tls_key=key_file) as router:
        error = reason_of(target_for(router, tls=True, ca_file=str(ca_file)))  # we dial 127.0.0.1
    assert error.reason is UnknownReason.TLS_REJECTED
    assert "127.0.0.1" in error.detail


def test_tls_against_a_plain_api_port_is_a_tls_problem(tmp_path: Path, sim: RouterSim) -> None:
    ca_file, _, _ = make_test_ca(tmp_path)
    error = reason_of(target_for(sim, tls=True, ca_file=str(ca_file)))
    # Depending on the ClientHello's length the plain API side either drops it or waits for more.
    assert error.reason in (UnknownReason.TLS_REJECTED, UnknownReason.TIMED_OUT)
    assert "Is API-SSL enabled on this port?" in error.detail


def test_plain_api_against_a_tls_port_says_the_connection_dropped(tmp_path: Path) -> None:
    _, cert_file, key_file = make_test_ca(tmp_path)
    with RouterSim(users={"admin": PASSWORD}, tls_cert=cert_file, tls_key=key_file) as router:
        error = reason_of(target_for(router))
    assert error.reason is UnknownReason.CONNECTION_DROPPED
    assert "TLS" in error.detail


def test_an_unreadable_ca_file_is_a_tls_problem(tmp_path: Path, sim: RouterSim) -> None:
    error = reason_of(target_for(sim, tls=True, ca_file=str(tmp_path / "missing.pem")))
    assert error.reason is UnknownReason.TLS_REJECTED
    assert "could not be loaded" in error.detail
