"""A minimal API client over a raw socket, built on the simulator's codec, for wire-level checks."""

from __future__ import annotations

import socket

from ispclient.simulator.codec import SentenceReader, encode_sentence

TIMEOUT = 5.0


class RawClient:
    def __init__(self, port: int, encoding: str = "utf-8", timeout: float = TIMEOUT) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.encoding = encoding
        self.reader = SentenceReader()
        self.pending: list[list[bytes]] = []

    def send(self, *words: str) -> None:
        self.sock.sendall(encode_sentence(w.encode(self.encoding) for w in words))

    def read_sentence(self) -> list[str]:
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed by the simulator")
            self.pending += self.reader.feed(data)
        return [w.decode(self.encoding) for w in self.pending.pop(0)]

    def read_reply(self) -> list[list[str]]:
        """Sentences up to and including the one starting with !done (or a !fatal)."""
        sentences: list[list[str]] = []
        while True:
            sentence = self.read_sentence()
            sentences.append(sentence)
            if sentence[0] in ("!done", "!fatal"):
                return sentences

    def command(self, *words: str) -> list[list[str]]:
        self.send(*words)
        return self.read_reply()

    def login(self, name: str = "admin", password: str = "secret") -> None:
        assert self.command("/login", f"=name={name}", f"=password={password}") == [["!done"]]

    def recv_raw(self) -> bytes:
        return self.sock.recv(65536)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attrs(sentence: list[str]) -> dict[str, str]:
    """``=key=value`` words of a reply sentence as a dict."""
    return dict(w[1:].split("=", 1) for w in sentence[1:] if w.startswith("="))
