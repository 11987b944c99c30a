"""The domain side of connection status: labels and the troubleshooting words.

(Lives with the router tests because it is the same issue's; it needs no router.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ispclient.domain.connection import (
    NOT_CHECKED,
    ClientConnection,
    ConnectionState,
    UnknownReason,
    troubleshooting,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_labels() -> None:
    assert ClientConnection.online("10.0.0.2", "1h", "AA:BB", checked_at=NOW).label == "Online"
    assert ClientConnection.offline().label == "Offline"
    assert ClientConnection.offline(never_connected=True).label == "Offline — never connected"
    assert ClientConnection.unknown(UnknownReason.UNREACHABLE).label == "Unknown — server unreachable"
    assert NOT_CHECKED.label == "Unknown — not checked yet"
    assert [state.label for state in ConnectionState] == ["Online", "Offline", "Unknown"]
    assert ConnectionState.ONLINE.dot == "🟢" and ConnectionState.UNKNOWN.dot == "⚪"


@pytest.mark.parametrize(("reason", "words"), [
    (UnknownReason.UNREACHABLE, "The MikroTik server is offline or unreachable"),
    (UnknownReason.TIMED_OUT, "network connectivity issue or a slow VPN"),
    (UnknownReason.LOGIN_REFUSED, "API user name or password is wrong"),
    (UnknownReason.TLS_REJECTED, "certificate problem"),
    (UnknownReason.CONNECTION_DROPPED, "connection to the MikroTik server was dropped"),
    (UnknownReason.PROTOCOL_ERROR, "could not understand"),
    (UnknownReason.NO_SERVER, "Assign one in Edit"),
    (UnknownReason.NO_USERNAME, "no PPPoE username. Assign one in Edit"),
    (UnknownReason.NO_CREDENTIALS, "Enter it in Servers"),
    (UnknownReason.NOT_CHECKED, "F5"),
])
def test_troubleshooting_explains_each_reason(reason: UnknownReason, words: str) -> None:
    text = troubleshooting(ClientConnection.unknown(reason))
    assert text.startswith("Connection status unavailable. ")
    assert words in text


def test_every_reason_has_a_label_and_advice() -> None:
    for reason in UnknownReason:
        assert reason.label
        assert troubleshooting(ClientConnection.unknown(reason)) != "Connection status unavailable. "


def test_troubleshooting_for_online_and_offline() -> None:
    assert troubleshooting(ClientConnection.online()) == ""
    assert troubleshooting(ClientConnection.offline(never_connected=True)).startswith(
        "The client has never connected")
    assert "not connected right now" in troubleshooting(ClientConnection.offline())


def test_the_detail_is_appended() -> None:
    conn = ClientConnection.unknown(UnknownReason.TIMED_OUT, "Could not connect to 10.0.0.1:8728 within 5 s.")
    assert troubleshooting(conn).endswith("\n\nDetails: Could not connect to 10.0.0.1:8728 within 5 s.")


def test_inconsistent_statuses_are_refused() -> None:
    with pytest.raises(ValueError):
        ClientConnection(ConnectionState.UNKNOWN)
    with pytest.raises(ValueError):
        ClientConnection(ConnectionState.ONLINE, reason=UnknownReason.TIMED_OUT)
    with pytest.raises(ValueError):
        ClientConnection(ConnectionState.ONLINE, never_connected=True)
    with pytest.raises(ValueError):
        ClientConnection.online(checked_at=datetime(2025, 3, 1, 12, 0))  # naive
    with pytest.raises(ValueError):
        ClientConnection.online(checked_at=datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=3))))


def test_statuses_are_frozen_values() -> None:
    a = ClientConnection.online("10.0.0.2", checked_at=NOW)
    assert a == ClientConnection.online("10.0.0.2", checked_at=NOW)
    with pytest.raises(AttributeError):
        a.address = "10.0.0.3"  # type: ignore[misc]
