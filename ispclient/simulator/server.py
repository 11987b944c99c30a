"""RouterSim: the TCP (optionally TLS) listener, one thread per API connection, fault injection."""

from __future__ import annotations

import codecs
import logging
import select
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType
from typing import Literal, get_args

from .codec import CodecError, SentenceReader
from .population import populate_state, to_router_time
from .protocol import Session
from .state import RouterState
from .tables import CommandError

log = logging.getLogger(__name__)

Fault = Literal["refuse-login", "hang", "close-mid-reply", "garbage"]
FAULTS: tuple[str, ...] = get_args(Fault)
# Reserved control bytes (0xF8..0xFF) can never start a length: any client must fail on them.
GARBAGE = bytes(range(0xFF, 0xF7, -1)) + b"HTTP/1.0 400 Bad Request\r\n\r\n"


class RouterSim:
    """A MikroTik RouterOS API server on loopback with real PPP tables. See package docs."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        users: dict[str, str] | None = None,
        encoding: str = "utf-8",
        latency_ms: float = 0,
        fault: Fault | None = None,
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
        legacy_login: bool = False,
        send_empty: bool = True,
        identity: str = "MikroTik",
        version: str = "7.16.2 (stable)",
    ) -> None:
        codecs.lookup(encoding)  # fail early on an unknown encoding
        self.host = host
        self.port = port
        self.users: dict[str, str] = dict(users) if users is not None else {"admin": ""}
        self.encoding = encoding
        self.latency_ms = latency_ms
        self.fault = fault
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.legacy_login = legacy_login
        self.send_empty = send_empty
        self.state = RouterState(identity, version)
        # Every sentence received, decoded; list.append/clear are atomic, so tests may clear it.
        self.commands: list[list[str]] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: socket.socket | None = None
        self._listen_thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._stopped = threading.Event()
        self._tls: ssl.SSLContext | None = None

    # -- configuration --------------------------------------------------------------------

    @property
    def fault(self) -> Fault | None:
        return self._fault

    @fault.setter
    def fault(self, value: Fault | None) -> None:
        if value is not None and value not in FAULTS:
            raise ValueError(f"unknown fault {value!r}; expected one of {FAULTS}")
        self._fault = value

    @property
    def identity(self) -> str:
        return self.state.identity

    @identity.setter
    def identity(self, value: str) -> None:
        self.state.identity = value

    @property
    def running(self) -> bool:
        return self._listener is not None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> RouterSim:
        """Listen (on the same port again after a stop); returns once connections are accepted."""
        if self._listener is not None:
            return self
        if self.tls_cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls_cert), str(self.tls_key) if self.tls_key else None)
            self._tls = context
        listener = socket.create_server((self.host, self.port), backlog=128)
        self.port = listener.getsockname()[1]
        self._stopped = threading.Event()
        self._wake = socket.socketpair()
        self._listener = listener
        self._listen_thread = threading.Thread(
            target=self._accept_loop,
            args=(listener, self._wake[0], self._stopped),
            name=f"routersim-{self.port}",
            daemon=True,
        )
        self._listen_thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection; connecting is refused afterwards."""
        if self._listener is None:
            return
        self._stopped.set()
        assert self._wake is not None and self._listen_thread is not None
        self._wake[1].send(b"x")
        self._listen_thread.join(5)
        for sock in (self._listener, *self._wake):
            sock.close()
        self._listener = None
        self._wake = None
        with self._lock:
            connections = list(self._connections)
            threads = list(self._threads)
        for conn in connections:
            _shutdown(conn)
            # Windows does not wake a thread blocked in recv() on shutdown() (CPython #91913):
            # closing the socket does, everywhere.
            try:
                socket.socket.close(conn)
            except OSError:
                pass
        for thread in threads:
            thread.join(5)

    def __enter__(self) -> RouterSim:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the router's data ------------------------------------------------------------------

    def add_secret(
        self,
        name: str,
        password: str = "",
        profile: str = "default",
        service: str = "pppoe",
        comment: str = "",
        disabled: bool = False,
        last_logged_out: object = None,
    ) -> str:
        props = {
            "name": name,
            "password": password,
            "profile": profile,
            "service": service,
            "comment": comment,
            "disabled": "true" if disabled else "false",
        }
        if not comment:
            del props["comment"]
        with self.state.lock:
            try:
                secret_id = self.state.add(self.state.secrets, props)
            except CommandError as error:
                raise ValueError(error.message) from None
            if last_logged_out is not None:
                stamp = to_router_time(last_logged_out, self.state.version)
                self.state.secrets.update(secret_id, {"last-logged-out": stamp})
        return secret_id

    def connect(
        self,
        name: str,
        address: str = "10.0.0.2",
        caller_id: str = "AA:BB:CC:DD:EE:FF",
        uptime: str = "0s",
        service: str | None = None,
    ) -> str:
        """Start a PPP session for an existing secret; returns the /ppp/active .id."""
        return self.state.connect(name, address, caller_id, uptime, service)

    def disconnect(self, name: str) -> bool:
        """Drop the session (as /ppp/active/remove does); False if the client was not online."""
        return self.state.disconnect(name)

    def secrets(self) -> list[dict[str, str]]:
        with self.state.lock:
            return [dict(row) for row in self.state.secrets.rows.values()]

    def active(self) -> list[dict[str, str]]:
        with self.state.lock:
            return [dict(row) for row in self.state.active.rows.values()]

    def secret(self, name: str) -> dict[str, str] | None:
        with self.state.lock:
            row_id = self.state.secrets.by_name.get(name)
            return dict(self.state.secrets.rows[row_id]) if row_id is not None else None

    def populate(self, clients: int, online_ratio: float = 0.5, seed: int = 0) -> None:
        """client00001…clientN; exactly round(N × ratio) of them online, chosen by ``seed``."""
        populate_state(self.state, clients, online_ratio, seed)

    # -- connections ------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket, wake: socket.socket, stopped: threading.Event) -> None:
        while not stopped.is_set():
            readable, _, _ = select.select([listener, wake], [], [])
            if wake in readable or stopped.is_set():
                return
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            thread = threading.Thread(
                target=self._serve, args=(conn, stopped), name=f"routersim-{self.port}-conn", daemon=True
            )
            with self._lock:
                self._threads.add(thread)
            thread.start()

    def _serve(self, conn: socket.socket, stopped: threading.Event) -> None:
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            with self._lock:
                self._connections.add(conn)
            if stopped.is_set():
                return
            if isinstance(conn, ssl.SSLSocket):
                conn.settimeout(10)
                conn.do_handshake()
                conn.settimeout(None)
            self._conversation(conn, stopped)
        except (OSError, ValueError) as error:  # peer gone, TLS failure, or stop() in progress
            log.debug("router simulator connection ended: %s", error)
        finally:
            with self._lock:
                self._connections.discard(conn)
                self._threads.discard(threading.current_thread())
            _shutdown(conn)
            conn.close()

    def _conversation(self, conn: socket.socket, stopped: threading.Event) -> None:
        session = Session(self.state, self.users, self.encoding, self.legacy_login, self.send_empty)
        reader = SentenceReader()
        while not stopped.is_set():
            data = conn.recv(65536)
            if not data:
                return
            try:
                sentences = reader.feed(data)
            except CodecError:
                return  # RouterOS drops a connection that breaks the framing
            for raw in sentences:
                words = [w.decode(self.encoding, "replace") for w in raw]
                self.commands.append(words)
                if not self._answer(conn, session, words, stopped):
                    return

    def _answer(self, conn: socket.socket, session: Session, words: list[str], stopped: threading.Event) -> bool:
        """Send the reply to one sentence; False when the connection must close."""
        fault = self.fault
        if fault == "hang":
            return True
        if self.latency_ms > 0 and stopped.wait(self.latency_ms / 1000):
            return False
        fault = self.fault  # may have changed while we slept
        if fault == "garbage":
            conn.sendall(GARBAGE)
            return True
        session.refuse_login = fault == "refuse-login"
        session.send_empty = self.send_empty
        reply = session.handle(words)
        if fault == "close-mid-reply" and reply.is_print:
            cut = max(1, len(reply.data) // 2)
            if reply.data[cut - 1] == 0 and cut > 1:
                cut -= 1  # never end exactly on a sentence boundary
            conn.sendall(reply.data[:cut])
            return False
        conn.sendall(reply.data)
        return not reply.close


def _shutdown(conn: socket.socket) -> None:
    """Wake a thread blocked in recv/send on ``conn`` (bypassing SSLSocket's own shutdown)."""
    try:
        socket.socket.shutdown(conn, socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass
