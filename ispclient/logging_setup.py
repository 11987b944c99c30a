"""Logging to a rotating file in the log directory, plus the console when there is one.

A windowed (``console=False``) Windows build has no stdout or stderr at all — ``sys.stderr`` is
``None`` — so the file is the only record of what happened. Secrets registered with
:func:`register_secret` are scrubbed from every record that reaches our handlers: the rule is
that passwords are never logged, this is only the safety net behind it.
"""

from __future__ import annotations

import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE_NAME = "ispclient.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"
REDACTED = "***"
# Shorter "secrets" would blank out ordinary words all over the log and hide more than they protect.
MIN_SECRET_LENGTH = 4

_secrets: set[str] = set()
# The same secrets by their first MIN_SECRET_LENGTH characters, so a record is scrubbed by looking
# at its own text rather than at every secret: an import of 100,000 clients registers 100,000
# passwords, and scrubbing each log record against all of them took ~90 ms (a stall wherever it
# logged, the GUI thread included). Secrets with a "*" are always tried: only they can appear
# across a REDACTED put in by an earlier replacement.
_by_prefix: dict[str, set[str]] = {}
_starred: set[str] = set()
_secrets_lock = threading.Lock()
_OUR_HANDLER = "_ispclient_handler"


def _add(secret: str) -> None:
    _secrets.add(secret)
    _by_prefix.setdefault(secret[:MIN_SECRET_LENGTH], set()).add(secret)
    if "*" in secret:
        _starred.add(secret)


def _discard(secret: str) -> None:
    _secrets.discard(secret)
    group = _by_prefix.get(secret[:MIN_SECRET_LENGTH])
    if group is not None:
        group.discard(secret)
        if not group:
            del _by_prefix[secret[:MIN_SECRET_LENGTH]]
    _starred.discard(secret)


def register_secret(secret: str | None) -> None:
    """Scrub ``secret`` (and its escaped ``repr`` form) from all log output from now on."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        _add(secret)
        escaped = repr(secret)[1:-1]
        if escaped != secret:
            _add(escaped)


def unregister_secret(secret: str) -> None:
    with _secrets_lock:
        _discard(secret)
        _discard(repr(secret)[1:-1])


def scrub(text: str) -> str:
    n = MIN_SECRET_LENGTH
    with _secrets_lock:
        found = set(_starred)  # the secrets in the text (and those that may appear in it, above)
        for i in range(len(text) - n + 1):
            group = _by_prefix.get(text[i:i + n])
            if group:
                found.update(secret for secret in group if text.startswith(secret, i))
    # Longest first: no partial leftovers (equal lengths in a fixed order: the same text gives the same log).
    for secret in sorted(found, key=lambda s: (-len(s), s)):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class SecretFilter(logging.Filter):
    """Replaces registered secrets in the message, the traceback and the stack of each record.

    Attached to our handlers (not loggers), so records from every logger pass through it.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it via handleError()
            return True
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def has_console() -> bool:
    """False in a windowed build (or under pythonw), where ``sys.stderr`` is ``None``."""
    stream = sys.stderr
    return stream is not None and callable(getattr(stream, "write", None))


def configure_logging(
    log_dir: Path,
    *,
    level: int = logging.INFO,
    console: bool,
    filename: str = LOG_FILE_NAME,
) -> Path:
    """Send all logging to ``log_dir/filename`` (rotated at 1 MB, 5 old files kept) and, if
    ``console`` is asked for and a console exists, to stderr. Returns the log file's path.

    Calling it again replaces the handlers it installed before (tests, ``--data-dir`` changes).
    Processes that may run at the same time as the GUI (the nightly ``enforce``) should pass
    their own ``filename``: Windows cannot rotate a file another process holds open.
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / filename

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OUR_HANDLER, False):
            root.removeHandler(handler)
            handler.close()

    formatter = logging.Formatter(LOG_FORMAT)
    secret_filter = SecretFilter()
    handlers: list[logging.Handler] = [
        RotatingFileHandler(log_file, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    ]
    if console and has_console():
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(secret_filter)
        setattr(handler, _OUR_HANDLER, True)
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    return log_file
