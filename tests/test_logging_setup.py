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
