"""Reaching a router: DNS, the TCP connect and the TLS handshake, each within the router's
timeout and the call's deadline, whatever the network does.

Every wait is sliced (:data:`~ispclient.routeros.deadline.POLL_S`) so a quitting app is
noticed, and every socket is tracked for :func:`~ispclient.routeros.deadline.abort_all` from
before it connects. A connect that hangs (a router behind a VPN that is down), a handshake
dripped a byte at a time, a host name stuck in DNS: each ends on time.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import select
import socket
import ssl
import sys
import threading
import time
from typing import Any

from ispclient.routeros import deadline as calls
from ispclient.routeros.deadline import Deadline
from ispclient.routeros.target import RouterTarget


def tls(context: ssl.SSLContext, raw: socket.socket, target: RouterTarget,
               deadline: Deadline) -> ssl.SSLSocket:
    """The TLS handshake (checking the certificate chain and that it names ``target.host``),
    as a whole within the timeout and the deadline, in slices so quitting is noticed."""
    calls.unregister(raw)
    sock = context.wrap_socket(raw, server_hostname=target.host, do_handshake_on_connect=False)
    # raw's descriptor is sock's now: whatever ends the handshake early closes and forgets sock,
    # including the abort noticed between slices (where shutdown() wakes no blocked read, as
    # under Wine, a quitting app is seen by deadline.wait_s, not by the handshake failing).
    try:
        calls.register(sock)
        until = time.monotonic() + min(target.timeout, deadline.check())
        while True:
            left = until - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            sock.settimeout(deadline.wait_s(left))
            try:
                sock.do_handshake()
            except TimeoutError:
                continue  # OpenSSL keeps its place: carry on after a look at the deadline
            return sock
    except BaseException:
        calls.unregister(sock)
        sock.close()
        raise


_IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, errno.EAGAIN, 10035}  # 10035: Windows


def tcp(target: RouterTarget, deadline: Deadline) -> socket.socket:
    """A connected TCP socket (tracked for :func:`~ispclient.routeros.deadline.abort_all`),
    within the timeout and the deadline, looking at the abort flag every few tenths of a second."""
    last: OSError | None = None
    for family, kind, proto, _name, address in _resolve(target, deadline):
        sock = socket.socket(family, kind, proto)
        try:
            calls.register(sock)
            sock.setblocking(False)
            _wait_connected(sock, address, min(target.timeout, deadline.check()), deadline)
            sock.setblocking(True)
            return sock
        except OSError as e:  # this address failed; a host name may have more (IPv4 and IPv6)
            calls.unregister(sock)
            sock.close()
            if isinstance(e, TimeoutError):
                raise
            last = e
        except BaseException:
            calls.unregister(sock)
            sock.close()
            raise
    raise last or OSError(errno.EHOSTUNREACH, "no address")


def _wait_connected(sock: socket.socket, address: Any, timeout: float, deadline: Deadline) -> None:
    err = sock.connect_ex(address)
    until = time.monotonic() + timeout
    while err in _IN_PROGRESS:
        left = until - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        _, writable, failed = select.select([], [sock], [sock], deadline.wait_s(left))
        if writable or failed:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            break
    if err:
        raise _socket_error(err)


def _socket_error(err: int) -> OSError:
    """The OSError (ConnectionRefusedError, …) ``connect`` itself would have raised."""
    if sys.platform == "win32":  # WSA codes: os.strerror doesn't know them
        import ctypes

        return OSError(err, ctypes.FormatError(err).strip())
    return OSError(err, os.strerror(err))


def _resolve(target: RouterTarget, deadline: Deadline) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` within the timeout: a host name can hang in DNS (a VPN that is down).

    An address needs no lookup; a name is looked up in a daemon thread that is left to finish
    on its own (the OS bounds it) when it takes too long."""
    host = target.host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, target.port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    found: list[Any] = []

    def look_up() -> None:
        try:
            found.append(socket.getaddrinfo(host, target.port, type=socket.SOCK_STREAM))
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            found.append(e)

    thread = threading.Thread(target=look_up, name="router-dns", daemon=True)
    thread.start()
    until = time.monotonic() + min(target.timeout, deadline.check())
    while thread.is_alive():
        left = until - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        thread.join(deadline.wait_s(left))
    result = found[0]
    if isinstance(result, BaseException):
        raise result
    return list(result)
