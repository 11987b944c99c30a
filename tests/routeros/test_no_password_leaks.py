"""The API password never shows up in logs, exception text, tracebacks or a target's repr."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import librouteros
import pytest

from ispclient.routeros import session as router_session
from ispclient.routeros.errors import RouterError
from ispclient.routeros.status import fetch_client_status, fetch_statuses
from ispclient.routeros.target import RouterTarget
from ispclient.simulator import RouterSim
from ispclient.simulator.tls import make_test_ca
from tests.routeros.helpers import PASSWORD, target_for

WRONG = "Wr0ng-But-Still-Secret"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)  # root: librouteros, ispclient and everything else
    for name in ("librouteros", "ispclient"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def everything_said(error: BaseException | None, caplog: pytest.LogCaptureFixture) -> str:
    parts = [caplog.text] + [record.getMessage() for record in caplog.records]
    chained: BaseException | None = error
    while chained is not None:
        parts += [str(chained), repr(chained), "".join(traceback.format_exception(chained))]
        chained = chained.__cause__ or chained.__context__
    return "\n".join(parts)


def failure(call: Callable[[], object]) -> RouterError:
    with pytest.raises(RouterError) as caught:
        call()
    return caught.value


Scenario = Callable[[RouterSim, Path], RouterTarget]


def _fault(name: str) -> Scenario:
    def setup(sim: RouterSim, tmp_path: Path) -> RouterTarget:
        sim.fault = name  # type: ignore[assignment]
        return target_for(sim)
    return setup


def _stopped(sim: RouterSim, tmp_path: Path) -> RouterTarget:
    sim.stop()
    return target_for(sim)


def _untrusted_tls(sim: RouterSim, tmp_path: Path) -> RouterTarget:
    ca_file, _, _ = make_test_ca(tmp_path)
    return target_for(sim, tls=True, ca_file=str(ca_file))


SCENARIOS: dict[str, Scenario] = {
    "wrong password": lambda sim, tmp_path: target_for(sim, password=WRONG),
    "refuse-login": _fault("refuse-login"),
    "hang": _fault("hang"),
    "close-mid-reply": _fault("close-mid-reply"),
    "garbage": _fault("garbage"),
    "stopped": _stopped,
    "TLS to a plain port": _untrusted_tls,
    "missing CA file": lambda sim, tmp_path: target_for(sim, tls=True, ca_file=str(tmp_path / "none.pem")),
    "password not in encoding": lambda sim, tmp_path: target_for(sim, password=PASSWORD + "€",
                                                                 encoding="ascii"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_failure_path_reveals_the_password(sim: RouterSim, tmp_path: Path, scenario: str,
                                              debug_logs: pytest.LogCaptureFixture) -> None:
    sim.add_secret("alice")
    target = SCENARIOS[scenario](sim, tmp_path)
    error = failure(lambda: router_session.test_connection(target))
    statuses = fetch_statuses(target, ["alice", "bob"])
    single = fetch_client_status(target, "alice")

    said = everything_said(error, debug_logs) + repr(statuses) + repr(single) + repr(target) + str(target)
    assert target.password not in said
    assert PASSWORD not in said and WRONG not in said


def test_legacy_challenge_login_failure_reveals_nothing(debug_logs: pytest.LogCaptureFixture) -> None:
    with RouterSim(users={"admin": PASSWORD}, legacy_login=True) as legacy:
        error = failure(lambda: router_session.test_connection(target_for(legacy, password=WRONG)))
    assert WRONG not in everything_said(error, debug_logs)


def test_a_successful_session_logs_no_password(sim: RouterSim, target: RouterTarget,
                                               debug_logs: pytest.LogCaptureFixture) -> None:
    sim.add_secret("alice")
    fetch_statuses(target, ["alice"])
    assert any(record.name.startswith("ispclient.routeros") for record in debug_logs.records)
    assert PASSWORD not in everything_said(None, debug_logs)


def test_librouteros_own_word_logging_is_redacted(sim: RouterSim, debug_logs: pytest.LogCaptureFixture) -> None:
    # librouteros logs every word it sends at DEBUG, "=password=…" included; our filter hides it.
    api = librouteros.connect("127.0.0.1", "admin", PASSWORD, port=sim.port, timeout=2)
    api.close()
    assert any(record.name == "librouteros" for record in debug_logs.records)
    assert PASSWORD not in everything_said(None, debug_logs)


def test_a_target_never_shows_its_password() -> None:
    target = RouterTarget(1, "Main", "127.0.0.1", password=PASSWORD)
    assert PASSWORD not in repr(target) and PASSWORD not in str(target) and PASSWORD not in f"{target}"
    assert target == RouterTarget(1, "Main", "127.0.0.1", password="something else")  # not compared
