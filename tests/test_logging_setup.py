"""The rotating log file, the console only when there is one, and secrets scrubbed from records."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from ispclient import logging_setup
from ispclient.logging_setup import configure_logging, register_secret, unregister_secret


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    yield
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture
def secret() -> Iterator[str]:
    value = "s3cr3t-Pässwörd"
    register_secret(value)
    yield value
    unregister_secret(value)


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, logging_setup._OUR_HANDLER, False)]


def test_writes_a_utf8_log_with_time_level_logger_and_thread(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path / "logs", console=False)

    logging.getLogger("ispclient.test").warning("Client Ñandú saved")

    assert log_file == tmp_path / "logs" / "ispclient.log"
    line = log_file.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert line.endswith("WARNING  ispclient.test [MainThread] Client Ñandú saved")
    assert line[:4].isdigit() and line[4] == "-"  # starts with the date and time


def test_rotates_at_one_megabyte_keeping_five_files(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path, console=False)
    (handler,) = [h for h in _ours() if isinstance(h, RotatingFileHandler)]
    assert (handler.maxBytes, handler.backupCount) == (1_000_000, 5)

    for i in range(1_100):
        logging.getLogger("ispclient.test").info("row %d %s", i, "x" * 1_000)

    assert (tmp_path / "ispclient.log.1").exists()
    assert log_file.stat().st_size < 1_000_000


def test_console_handler_only_when_asked_and_a_console_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging(tmp_path, console=False)
    assert not [h for h in _ours() if type(h) is logging.StreamHandler]

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    configure_logging(tmp_path, console=True)
    assert len([h for h in _ours() if type(h) is logging.StreamHandler]) == 1

    monkeypatch.setattr(sys, "stderr", None)  # the windowed Windows build
    configure_logging(tmp_path, console=True)
    assert [type(h) for h in _ours()] == [RotatingFileHandler]
    logging.getLogger("ispclient.test").error("still goes to the file")
    assert "still goes to the file" in (tmp_path / "ispclient.log").read_text(encoding="utf-8")


def test_configuring_again_replaces_the_handlers(tmp_path: Path) -> None:
    configure_logging(tmp_path / "a", console=False)
    second = configure_logging(tmp_path / "b", console=False)

    logging.getLogger("ispclient.test").info("only once, only in b")

    assert len(_ours()) == 1
    assert second.read_text(encoding="utf-8").count("only once, only in b") == 1
    assert "only once" not in (tmp_path / "a" / "ispclient.log").read_text(encoding="utf-8")


def test_own_file_name_for_a_second_process(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path, console=False, filename="enforce.log")
    logging.getLogger("ispclient.enforce").info("nightly run")
    assert log_file.name == "enforce.log"
    assert "nightly run" in log_file.read_text(encoding="utf-8")


def test_registered_secrets_never_reach_the_file(tmp_path: Path, secret: str) -> None:
    log_file = configure_logging(tmp_path, console=False)
    log = logging.getLogger("some.library")

    log.info("login with password %s", secret)
    log.info(f"formatted early: {secret}")
    log.info("as repr: %r", secret)
    try:
        raise ConnectionError(f"router refused {secret}")
    except ConnectionError:
        log.exception("connection failed")
    log.warning("stack", stack_info=True, extra={"note": secret})

    text = log_file.read_text(encoding="utf-8")
    assert secret not in text
    assert repr(secret)[1:-1] not in text
    assert text.count("***") >= 4
    assert "ConnectionError: router refused ***" in text


def test_secrets_scrubbed_from_other_threads(tmp_path: Path, secret: str) -> None:
    log_file = configure_logging(tmp_path, console=False)
    worker = threading.Thread(
        target=lambda: logging.getLogger("ispclient.worker").info("pw=%s", secret), name="RouterWorker"
    )
    worker.start()
    worker.join()
    text = log_file.read_text(encoding="utf-8")
    assert "[RouterWorker] pw=***" in text


def test_short_or_empty_secrets_are_ignored(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path, console=False)
    for value in ("", None, "abc"):
        register_secret(value)
    logging.getLogger("ispclient.test").info("abc is a fine word")
    assert "abc is a fine word" in log_file.read_text(encoding="utf-8")


def test_the_filter_leaves_a_bad_format_call_to_the_handler(secret: str) -> None:
    # The handler reports it through handleError(); the filter must not raise at the call site.
    record = logging.LogRecord("ispclient.test", logging.INFO, __file__, 1, "%d", ("nan",), None)
    assert logging_setup.SecretFilter().filter(record) is True
    assert (record.msg, record.args) == ("%d", ("nan",))


def _scrub_every_secret(text: str, secrets: set[str]) -> str:
    """The scrub as it was: every registered secret tried, longest first (then in a fixed order)."""
    for s in sorted(secrets, key=lambda s: (-len(s), s)):
        if s in text:
            text = text.replace(s, logging_setup.REDACTED)
    return text


def test_scrubbing_by_prefix_removes_what_trying_every_secret_removes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets are found through their first characters (an import registers 100,000 of them);
    what is removed is exactly what trying every secret removed: overlapping ones, one inside
    another, escaped forms, and secrets with a "*" that only appear once another is replaced."""
    import random

    monkeypatch.setattr(logging_setup, "_secrets", set())
    monkeypatch.setattr(logging_setup, "_by_prefix", {})
    monkeypatch.setattr(logging_setup, "_starred", set())
    rng = random.Random(7)
    alphabet = "ab*\\\n'x"
    chosen = {"".join(rng.choice(alphabet) for _ in range(rng.randrange(4, 9))) for _ in range(300)}
    chosen |= {"abab", "ababab", "b***", "a***b", "x\nab", "pw1234", "pw12345"}
    for s in chosen:
        register_secret(s)
    expected_secrets = set(logging_setup._secrets)
    assert "x\\nab" in expected_secrets  # the escaped form too
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        assert logging_setup.scrub(text) == _scrub_every_secret(text, expected_secrets), text
    unregister_secret("abab")
    assert "abab" not in logging_setup._secrets and "abab" not in logging_setup._by_prefix.get("abab", set())
    for text in ("xxabab", "xxababab", "abab***b"):
        assert logging_setup.scrub(text) == _scrub_every_secret(text, expected_secrets - {"abab"}), text


def test_scrubbing_stays_quick_with_many_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 imported passwords: a record is still scrubbed (not a timing: the secrets looked
    at are those whose first characters occur in the text)."""
    monkeypatch.setattr(logging_setup, "_secrets", set())
    monkeypatch.setattr(logging_setup, "_by_prefix", {})
    monkeypatch.setattr(logging_setup, "_starred", set())
    for i in range(100_000):
        register_secret(f"pw{i:08d}")
    assert logging_setup.scrub("user 42 has pw00012345 and pw0009") == "user 42 has *** and pw0009"
    looked_at = {p for p in logging_setup._by_prefix if p in "user 42 has pw00012345 and pw0009"}
    assert looked_at == {"pw00"}
