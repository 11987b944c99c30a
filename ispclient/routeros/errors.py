"""Every way talking to a router can fail, mapped to one :class:`UnknownReason`.

Messages are built from our own words plus the error *class* and OS/TLS reason codes, never
from ``str()`` of an arbitrary exception: an encoding error, for one, carries the whole API
word it failed on, and during login that word is ``=password=…``.
"""

from __future__ import annotations

import errno
import logging
import socket
import ssl
from typing import Literal

from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError, MultiTrapError, TrapError

from ispclient.domain.connection import UnknownReason
from ispclient.routeros.deadline import CallAborted, DeadlinePassed, aborting
from ispclient.routeros.limits import ReplyTooLarge
from ispclient.routeros.target import RouterTarget

log = logging.getLogger(__name__)

Phase = Literal["tls-setup", "connect", "tls", "login", "command"]

# Windows reports some of these as WSA* codes rather than errno values.
_TIMEOUT_ERRNOS = {errno.ETIMEDOUT, 10060}
_DOING = {"connect": "connect to", "tls": "finish the TLS handshake with"}
_DROPPED = (ConnectionClosed, ConnectionResetError, ConnectionAbortedError, BrokenPipeError, EOFError)


class RouterError(Exception):
    """A router could not be asked; ``reason`` says why in a way the user can act on."""

    def __init__(self, reason: UnknownReason, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


def classify(exc: BaseException, phase: Phase, target: RouterTarget) -> RouterError:
    """The :class:`RouterError` for ``exc`` raised while in ``phase`` of talking to ``target``."""
    if isinstance(exc, RouterError):
        return exc
    error = _classify(exc, phase, target)
    if target.password and target.password in error.detail:  # belt and braces: never echo it
        error = RouterError(error.reason, error.detail.replace(target.password, "***"))
    return error


def _classify(exc: BaseException, phase: Phase, target: RouterTarget) -> RouterError:
    where = target.address
    R = UnknownReason
    if phase == "tls-setup":
        return RouterError(R.TLS_REJECTED, f"The CA certificate file {target.ca_file!r} could not be "
                                           f"loaded ({type(exc).__name__}).")
    if isinstance(exc, CallAborted) or aborting():  # whatever broke, it broke because we are quitting
        return RouterError(R.CONNECTION_DROPPED, f"Stopped talking to {where}: the app is closing.")
    if isinstance(exc, DeadlinePassed):
        return RouterError(R.TIMED_OUT, f"{where} did not finish within {exc.seconds:g} s (the limit for one "
                                        "call): it answers too slowly, or without end.")
    if isinstance(exc, ReplyTooLarge):
        return RouterError(R.PROTOCOL_ERROR, f"The router's reply was too large ({exc.what}); {where} was cut "
                                             "off. Is this the API port of a RouterOS router?")
    if isinstance(exc, TimeoutError) or getattr(exc, "errno", None) in _TIMEOUT_ERRNOS:
        doing = _DOING.get(phase, "get an answer from")
        hint = " Is API-SSL enabled on this port?" if phase == "tls" else ""
        return RouterError(R.TIMED_OUT, f"Could not {doing} {where} within {target.timeout:g} s.{hint}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return RouterError(R.TLS_REJECTED, f"{where}: certificate rejected: {exc.verify_message}.")
    if phase == "tls" and isinstance(exc, OSError):  # SSLError, or the peer hung up mid-handshake
        why = exc.reason if isinstance(exc, ssl.SSLError) and exc.reason else type(exc).__name__
        return RouterError(R.TLS_REJECTED, f"{where}: TLS handshake failed ({why}). Is API-SSL enabled "
                                           "on this port?")
    if isinstance(exc, socket.gaierror):
        return RouterError(R.UNREACHABLE, f"The host name {target.host!r} could not be found.")
    if phase == "connect" and isinstance(exc, ConnectionRefusedError):
        return RouterError(R.UNREACHABLE, f"{where} refused the connection (is the API service enabled "
                                          "on this port?).")
    if phase == "connect" and isinstance(exc, OSError):
        why = exc.strerror or type(exc).__name__
        return RouterError(R.UNREACHABLE, f"Could not connect to {where}: {why}.")
    if isinstance(exc, FatalError):
        return RouterError(R.CONNECTION_DROPPED, f"{where} ended the session: {_router_words(exc)}.")
    if isinstance(exc, (TrapError, MultiTrapError)):
        return _trap(exc, phase, target)
    if isinstance(exc, (*_DROPPED, OSError)):
        if phase == "login":
            return RouterError(R.CONNECTION_DROPPED, f"{where} closed the connection during login (is TLS "
                                                     "needed on this port, or does the API service not "
                                                     "allow this computer's address?).")
        return RouterError(R.CONNECTION_DROPPED, f"{where} closed the connection in the middle of a reply.")
    if isinstance(exc, UnicodeDecodeError):
        return RouterError(R.PROTOCOL_ERROR, f"{where} sent text that is not valid {target.encoding}; check "
                                             "the server's text encoding setting.")
    if isinstance(exc, UnicodeEncodeError):
        what = "The API user name or password" if phase == "login" else "Text sent to the router"
        return RouterError(R.PROTOCOL_ERROR, f"{what} contains characters that cannot be sent in "
                                             f"{target.encoding}.")
    if isinstance(exc, (LibRouterosError, ValueError, LookupError, TypeError)):
        return RouterError(R.PROTOCOL_ERROR, f"{where} sent a reply that is not RouterOS API "
                                             f"({type(exc).__name__}). Is this the API port?")
    # Not a failure we know of: likely our bug, so keep the traceback (log handlers scrub secrets).
    log.warning("Unexpected %s talking to %s", type(exc).__name__, where, exc_info=exc)
    return RouterError(R.PROTOCOL_ERROR, f"Unexpected failure talking to {where} ({type(exc).__name__}).")


def _trap(exc: TrapError | MultiTrapError, phase: Phase, target: RouterTarget) -> RouterError:
    words = _router_words(exc)
    if phase == "login":
        return RouterError(UnknownReason.LOGIN_REFUSED, f"{target.address} refused the login of API user "
                                                        f"{target.username!r}: {words}.")
    if "permission" in words.lower():
        return RouterError(UnknownReason.LOGIN_REFUSED, f"API user {target.username!r} may not do this on "
                                                        f"{target.address}: {words}.")
    return RouterError(UnknownReason.PROTOCOL_ERROR, f"{target.address} rejected the command: {words}.")


def _router_words(exc: LibRouterosError) -> str:
    """The router's own message (a trap or !fatal text): it never contains what we sent."""
    return (str(exc) or type(exc).__name__).strip()
