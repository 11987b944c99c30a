"""One logged-in RouterOS API session, and "Test connection".

A :class:`RouterSession` is a single TCP (or TLS) connection and is **not thread-safe**: never
share one between threads. Each background job opens its own with :func:`open_session`, uses
it and closes it; a router answers a new login in milliseconds, so there is nothing to pool.

Each session works against a :class:`~ispclient.routeros.deadline.Deadline` — by default the
target's ``deadline_s`` from the moment it starts connecting — that covers connecting, TLS,
logging in and every command; a caller doing several steps in one session (the change queue)
gives each step a fresh one with :meth:`RouterSession.new_deadline`. Past it the socket is
closed and the call fails as "timed out".

Every failure leaves this module as a :class:`RouterError` carrying an ``UnknownReason``.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType

from librouteros.exceptions import MultiTrapError, TrapError
from librouteros.login import encode_password

from ispclient.domain.connection import UnknownReason
from ispclient.logging_setup import register_secret
from ispclient.routeros import connect
from ispclient.routeros import deadline as calls
from ispclient.routeros.deadline import Deadline
from ispclient.routeros.errors import Phase, RouterError, classify
from ispclient.routeros.limits import LOOKUP, WHOLE_TABLE, ReplyLimits
from ispclient.routeros.target import RouterTarget
from ispclient.routeros.wire import BufferedTransport, Row, StrictProtocol, StringApi

log = logging.getLogger(__name__)


_LOGIN_WORD = re.compile(r"=(password|response)=.*", re.DOTALL)


class _HideLoginWords(logging.Filter):
    """librouteros logs every API word at DEBUG, ``=password=`` included, when its own
    protocol class is used (we use ours, which logs nothing). Keep that out of any log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if "=password=" in message or "=response=" in message:
            record.msg, record.args = _LOGIN_WORD.sub(r"=\1=<hidden>", message), None
        return True


logging.getLogger("librouteros").addFilter(_HideLoginWords())


@dataclass(frozen=True)
class RouterInfo:
    identity: str
    version: str
    board_name: str


class RouterSession:
    """A logged-in API connection; use it as a context manager so it is always closed."""

    def __init__(self, target: RouterTarget, api: StringApi) -> None:
        self.target = target
        self._api: StringApi | None = api

    @property
    def deadline(self) -> Deadline:
        if self._api is None:
            raise RouterError(UnknownReason.CONNECTION_DROPPED, "The session is closed.")
        return self._api.protocol.transport.deadline

    def new_deadline(self, seconds: float | None = None) -> Deadline:
        """Start a fresh deadline (``target.deadline_s`` unless given) for what follows."""
        deadline = Deadline(seconds if seconds is not None else self.target.deadline_s)
        if self._api is not None:
            self._api.protocol.transport.deadline = deadline
        return deadline

    def print(self, path: str, proplist: Iterable[str] = (), limits: ReplyLimits = LOOKUP, **query: str) -> list[Row]:
        """``<path>/print`` with ``=.proplist=`` and ``?key=value`` filters (ANDed).

        Query keyword names use ``_`` for RouterOS's ``-`` (``last_logged_out=``). Values are
        the router's strings, unconverted. The whole reply is read before returning, and kept:
        so a few rows by default (``LOOKUP``); pass ``limits=WHOLE_TABLE`` to keep a table.
        """
        return self.command(f"{path.rstrip('/')}/print", _print_words(proplist, query), limits=limits)

    def print_each(self, path: str, proplist: Iterable[str], each: Callable[[Row], object],
                   limits: ReplyLimits = WHOLE_TABLE, **query: str) -> None:
        """:meth:`print`, handing each row to ``each`` as it is read instead of keeping them all
        (a whole router's sessions: keep only what is needed of each)."""
        self.command(f"{path.rstrip('/')}/print", _print_words(proplist, query), each=each, limits=limits)

    def command(self, cmd: str, words: Iterable[str] = (), each: Callable[[Row], object] | None = None,
                limits: ReplyLimits = LOOKUP) -> list[Row]:
        """Any API sentence with pre-built words (``=name=value``, ``?name=value``)."""
        if self._api is None:
            raise RouterError(UnknownReason.CONNECTION_DROPPED, "The session is closed.")
        started = time.perf_counter()
        try:
            rows = self._api.run(cmd, *words, each=each, limits=limits)
        except Exception as exc:  # every failure becomes a reason
            error = classify(exc, "command", self.target)
            in_step = isinstance(exc, (TrapError, MultiTrapError))  # a trap still reads up to !done
        else:
            elapsed = time.perf_counter() - started
            log.debug("%s: %s → %d rows in %.3f s", self.target.name, cmd, len(rows), elapsed)
            return rows
        if not in_step:  # the reply was cut off or garbled: this connection is unusable
            self.close()
        raise error

    def close(self) -> None:
        if self._api is not None:
            api, self._api = self._api, None
            try:
                api.close()
            except OSError:
                pass

    def __enter__(self) -> RouterSession:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _print_words(proplist: Iterable[str], query: dict[str, str]) -> list[str]:
    words = [f"=.proplist={','.join(proplist)}"] if proplist else []
    words += [f"?{key.replace('_', '-')}={value}" for key, value in query.items()]
    return words


def open_session(target: RouterTarget, deadline: Deadline | None = None) -> RouterSession:
    """Connect, verify TLS if asked, and log in: within ``target.timeout`` per wait and
    ``deadline`` (``target.deadline_s`` from now unless given) for the whole session."""
    register_secret(target.password)  # the log handlers' safety net; we never log it anyway
    deadline = deadline or Deadline(target.deadline_s)
    phase: Phase = "tls-setup"
    sock: socket.socket | None = None
    try:
        context = ssl.create_default_context(cafile=target.ca_file) if target.tls else None
        phase = "connect"
        sock = connect.tcp(target, deadline)
        if context is not None:
            phase = "tls"
            sock = connect.tls(context, sock, target, deadline)
        phase = "login"
        api = StringApi(StrictProtocol(BufferedTransport(sock, target.timeout, deadline), target.encoding))
        _login(api, target.username, target.password)
        return RouterSession(target, api)
    except Exception as exc:
        error = classify(exc, phase, target)
        if sock is not None:
            calls.unregister(sock)
            sock.close()
    # Raised outside the except block so the original exception (which may hold the login
    # words) is not chained onto ours as __context__.
    log.info("%s: %s (%s)", target.name, error.reason.value, error.detail)
    raise error


def _login(api: StringApi, username: str, password: str) -> None:
    rows = api.run("/login", f"=name={username}", f"=password={password}")
    challenge = rows[0].get("ret") if rows else None
    if challenge:  # RouterOS before 6.43 answers with an MD5 challenge instead of logging in
        api.run("/login", f"=name={username}", f"=response={encode_password(challenge, password)}")


def test_connection(target: RouterTarget) -> RouterInfo:
    """The router's identity and RouterOS version, or a :class:`RouterError` saying why not."""
    with open_session(target) as session:  # one deadline for the whole test
        identity = session.print("/system/identity", ("name",))
        resource = session.print("/system/resource", ("version", "board-name"))
    first = resource[0] if resource else {}
    return RouterInfo(
        identity=identity[0].get("name", "") if identity else "",
        version=first.get("version", ""),
        board_name=first.get("board-name", ""),
    )


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported


BUILT_IN_PROFILES = ("default", "default-encryption")


def ppp_profiles(target: RouterTarget) -> list[str]:
    """The router's own PPP profiles (RouterOS's two built-in ones left out), in its order: what
    the set-up wizard offers to turn into packages."""
    with open_session(target) as session:
        rows = session.print("/ppp/profile", ("name",))
    names = [row.get("name", "") for row in rows]
    return [n for n in dict.fromkeys(names) if n and n not in BUILT_IN_PROFILES]
