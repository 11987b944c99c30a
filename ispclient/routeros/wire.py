"""librouteros's sentence layer with three fixes we rely on.

* Reads are buffered: librouteros asks the socket for one byte per word length, so a
  5,000-session reply would otherwise cost tens of thousands of ``recv`` calls.
* Words are decoded strictly in the router's encoding: librouteros uses ``errors="ignore"``,
  which silently turns "José" into "Jos" when the encoding is wrong; we would rather say so.
* Values stay the strings the router sent: librouteros turns "1001" into ``1001`` and "yes" or
  "true" into ``True`` (losing which one it was), which breaks usernames like "1001".

Nothing here logs the words themselves: the login sentence carries the password.
"""

from __future__ import annotations

import socket

from librouteros.api import Api
from librouteros.connections import SocketTransport
from librouteros.exceptions import ConnectionClosed, FatalError, MultiTrapError, ProtocolError, TrapError
from librouteros.protocol import ApiProtocol, decode_length, determine_length, encode_sentence

Row = dict[str, str]

_REPLY_WORDS = frozenset({"!re", "!done", "!trap", "!fatal", "!empty"})
# Far above any real word (file chunks are 32 KiB); stops garbage from making us wait for 200 MB.
MAX_WORD_BYTES = 4 * 1024 * 1024
_RECV_SIZE = 64 * 1024


class BufferedTransport(SocketTransport):  # type: ignore[misc]  # librouteros is untyped
    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._buffer = bytearray()

    def read(self, length: int) -> bytes:
        while len(self._buffer) < length:
            got = self.sock.recv(_RECV_SIZE)
            if not got:
                raise ConnectionClosed("Connection unexpectedly closed.")
            self._buffer += got
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        return data


class StrictProtocol(ApiProtocol):  # type: ignore[misc]
    transport: BufferedTransport

    def writeSentence(self, cmd: str, *words: str) -> None:  # librouteros names
        # librouteros' own version logs every word, =password= included.
        self.transport.write(encode_sentence(cmd, *words, encoding=self.encoding))

    def readSentence(self) -> tuple[str, tuple[str, ...]]:
        sentence = tuple(iter(self.readWord, ""))
        if not sentence or sentence[0] not in _REPLY_WORDS:
            raise ProtocolError("a reply that does not start with a RouterOS reply word")
        if sentence[0] == "!fatal":
            self.transport.close()
            raise FatalError(sentence[1] if len(sentence) > 1 else "")
        return sentence[0], sentence[1:]

    def readWord(self) -> str:
        head = self.transport.read(1)
        if head == b"\x00":
            return ""
        head += self.transport.read(determine_length(head))
        length = decode_length(head)
        if length > MAX_WORD_BYTES:
            raise ProtocolError(f"a {length}-byte word")
        return self.transport.read(length).decode(self.encoding)  # strict on purpose


class StringApi(Api):  # type: ignore[misc]
    protocol: StrictProtocol

    def readSentence(self) -> tuple[str, dict[str, str]]:
        reply_word, words = self.protocol.readSentence()
        return reply_word, dict(_attribute(word) for word in words if not word.startswith(".tag="))

    def readResponse(self) -> list[Row]:
        """Rows up to ``!done``; ``!empty`` (RouterOS 7.18+ for no rows) is simply skipped."""
        traps: list[TrapError] = []
        rows: list[Row] = []
        reply_word = ""
        while reply_word != "!done":
            reply_word, words = self.readSentence()
            if reply_word == "!trap":
                category = words.get("category", "")
                code = int(category) if category.isdigit() else None
                traps.append(TrapError(words.get("message", ""), code))
            elif reply_word in ("!re", "!done") and words:
                rows.append(words)
        if len(traps) > 1:
            raise MultiTrapError(*traps)
        if traps:
            raise traps[0]
        return rows

    def run(self, cmd: str, *words: str) -> list[Row]:
        """Send one sentence and return every reply row (never a lazy generator)."""
        self.protocol.writeSentence(cmd, *words)
        return self.readResponse()


def _attribute(word: str) -> tuple[str, str]:
    if not word.startswith("="):
        raise ProtocolError("an attribute word without '='")
    key, _, value = word[1:].partition("=")
    return key, value
