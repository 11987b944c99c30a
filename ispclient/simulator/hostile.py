"""A RouterOS API server on loopback that misbehaves on purpose, one way per ``mode``.

It logs anyone in (the first sentence gets ``!done``) and misbehaves on the next sentence —
or on the first one with ``at="login"``. It is deliberately not the simulator: a few lines of
framing, so nothing in the app's own code can make it behave.

Modes (``MODES``):

* ``silent``: never answers.
* ``drip``: an endless valid reply, one byte every ``drip_s`` seconds (default 1).
* ``endless-rows``: ``!re`` rows as fast as the socket takes them, never ``!done``.
* ``endless-traps``: ``!trap`` sentences as fast as the socket takes them.
* ``endless-sentence``: ``!re`` and then words forever, never the empty word that ends it.
* ``huge-words``: one sentence of fifty 3.9 MB words.
* ``big-words``: endless words of 60 KB each (each under the per-word ceiling).
* ``length-2gb``: a word announced as 2 GB long (the 5-byte length form), then bytes forever.
* ``garbage``: random bytes forever.
* ``close-mid-reply``: half a row, then the connection closes.

TLS failures (the client asks for TLS): ``tls-silent`` accepts and never answers the
handshake, ``tls-garbage`` answers it in plain text, ``tls-drip`` sends a TLS-looking record a
byte every ``drip_s``, ``tls-untrusted`` completes it with a certificate the client does not trust.
Any other mode with ``tls_context`` misbehaves inside a working TLS session.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from types import TracebackType
from typing import Literal, get_args

from .codec import SentenceReader, encode_sentence, encode_word

Mode = Literal["silent", "drip", "endless-rows", "endless-traps", "endless-sentence", "huge-words", "big-words",
               "length-2gb", "garbage", "close-mid-reply", "tls-silent", "tls-garbage", "tls-drip",
               "tls-untrusted"]
MODES: tuple[str, ...] = get_args(Mode)
TLS_HANDSHAKE_MODES = ("tls-silent", "tls-garbage", "tls-drip", "tls-untrusted")

_ROW = encode_sentence([b"!re", b"=.id=*1", b"=name=amina", b"=address=10.0.0.7", b"=uptime=1h2m3s",
                        b"=caller-id=AA:BB:CC:00:00:07", b"=disabled=false", b"=profile=home-10m"])


class HostileRouter:
    """Listens on 127.0.0.1 (a free port); ``with HostileRouter("drip") as r: ... r.port``."""

    def __init__(self, mode: Mode, *, at: Literal["login", "command"] = "command",
                 tls_context: ssl.SSLContext | None = None, drip_s: float = 1.0) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.at = at
        self.tls_context = tls_context
        self.drip_s = drip_s  # seconds between two dripped bytes
        self.port = 0
        self.connections = 0  # accepted so far
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> HostileRouter:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(5)
        if self._listener is not None:
            self._listener.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,  # type: ignore[arg-type]
                                  name=f"hostile-{self.mode}")
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with self._lock:
                self._open.add(conn)
            self._spawn(self._serve, conn)

    def _serve(self, raw: socket.socket) -> None:
        conn: socket.socket | None = raw
        try:
            raw.settimeout(None)
            conn = self._handshake(raw)
            if conn is None:
                return
            reader = SentenceReader()
            sentences = 0
            while not self._stop.is_set():
                data = conn.recv(65536)
                if not data:
                    return
                for _ in reader.feed(data):
                    sentences += 1
                    if sentences == 1 and self.at == "command":
                        conn.sendall(encode_sentence([b"!done"]))
                        continue
                    self._misbehave(conn)
                    return
        except (OSError, ValueError):
            pass  # the client gave up: that is the point
        finally:
            for sock in (raw, conn):
                if sock is not None:
                    with self._lock:
                        self._open.discard(sock)
                    try:
                        sock.close()
                    except OSError:
                        pass

    def _handshake(self, conn: socket.socket) -> socket.socket | None:
        mode = self.mode
        if mode == "tls-silent":
            self._stop.wait(600)
            return None
        if mode == "tls-garbage":
            conn.recv(4096)
            conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 4)
            self._stop.wait(600)
            return None
        if mode == "tls-drip":
            conn.recv(4096)
            record = b"\x16\x03\x03\x40\x00" + os.urandom(0x4000)  # a 16 KB handshake record, slowly
            self._drip(conn, record)
            return None
        if self.tls_context is not None:
            tls = self.tls_context.wrap_socket(conn, server_side=True)
            with self._lock:
                self._open.discard(conn)
                self._open.add(tls)
            return tls
        return conn

    def _misbehave(self, conn: socket.socket) -> None:
        mode, stop = self.mode, self._stop
        if mode == "silent":
            stop.wait(600)
        elif mode == "drip":
            self._drip(conn, _ROW * 10_000)
        elif mode == "endless-rows":
            chunk = _ROW * 1000
            while not stop.is_set():
                conn.sendall(chunk)
        elif mode == "endless-traps":
            chunk = encode_sentence([b"!trap", b"=message=no such item"]) * 2000
            while not stop.is_set():
                conn.sendall(chunk)
        elif mode == "endless-sentence":
            conn.sendall(encode_word(b"!re"))
            chunk = b"".join(encode_word(b"=name%d=%s" % (i, b"x" * 100)) for i in range(600))
            while not stop.is_set():
                conn.sendall(chunk)
        elif mode == "huge-words":
            big = encode_word(b"=comment=" + b"x" * 3_900_000)
            conn.sendall(encode_word(b"!re"))
            for _ in range(50):
                conn.sendall(big)
            conn.sendall(b"\x00" + encode_sentence([b"!done"]))
            stop.wait(600)
        elif mode == "big-words":
            big = encode_word(b"=comment=" + b"x" * 60_000)
            conn.sendall(encode_word(b"!re"))
            while not stop.is_set():
                conn.sendall(big)
        elif mode == "length-2gb":
            conn.sendall(encode_word(b"!re") + b"\xf0" + (2**31).to_bytes(4, "big"))
            chunk = b"y" * 65536
            while not stop.is_set():
                conn.sendall(chunk)
        elif mode == "garbage":
            chunk = os.urandom(65536)
            while not stop.is_set():
                conn.sendall(chunk)
        elif mode == "close-mid-reply":
            conn.sendall(_ROW[: len(_ROW) // 2])
        else:
            stop.wait(600)

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            if self._stop.wait(self.drip_s):
                return
            conn.sendall(data[i:i + 1])
