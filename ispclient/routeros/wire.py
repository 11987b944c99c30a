"""librouteros's sentence layer with three fixes we rely on.

* Reads are buffered: librouteros asks the socket for one byte per word length, so a
  5,000-session reply would otherwise cost tens of thousands of ``recv`` calls. Sentences are
  cut straight out of the buffer (no call per word): a 12,000-session router's reply costs
  ~0.1 s of CPU instead of ~0.3 s, which is what the GUI thread shares the GIL with.
* Words are decoded strictly in the router's encoding: librouteros uses ``errors="ignore"``,
  which silently turns "José" into "Jos" when the encoding is wrong; we would rather say so.
* Values stay the strings the router sent: librouteros turns "1001" into ``1001`` and "yes" or
  "true" into ``True`` (losing which one it was), which breaks usernames like "1001".

Nothing here logs the words themselves: the login sentence carries the password.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

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
        self._pos = 0  # bytes before this offset are consumed

    def _fill(self) -> None:
        if self._pos:
            del self._buffer[:self._pos]
            self._pos = 0
        got = self.sock.recv(_RECV_SIZE)
        if not got:
            raise ConnectionClosed("Connection unexpectedly closed.")
        self._buffer += got

    def read(self, length: int) -> bytes:
        while len(self._buffer) - self._pos < length:
            self._fill()
        start = self._pos
        self._pos += length
        return bytes(self._buffer[start:self._pos])

    def read_sentence(self, encoding: str) -> list[str]:
        """The words of the next sentence (without its terminating empty word)."""
        while True:
            parsed = _parse_sentence(self._buffer, self._pos, encoding)
            if parsed is not None:
                words, self._pos = parsed
                return words
            self._fill()


def _parse_sentence(buf: bytearray, pos: int, encoding: str) -> tuple[list[str], int] | None:
    """One sentence from ``buf[pos:]`` and the offset after it; None if it isn't all there yet.

    Lengths as librouteros decodes them (1–4 bytes; 0xF0 and above are refused).
    """
    words: list[str] = []
    end = len(buf)
    while True:
        if pos >= end:
            return None
        b = buf[pos]
        if b < 0x80:
            length = b
            pos += 1
        elif b < 0xC0:
            if pos + 2 > end:
                return None
            length = ((b & 0x3F) << 8) | buf[pos + 1]
            pos += 2
        elif b < 0xE0:
            if pos + 3 > end:
                return None
            length = ((b & 0x1F) << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
            pos += 3
        elif b < 0xF0:
            if pos + 4 > end:
                return None
            length = ((b & 0x0F) << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]
            pos += 4
        else:
            raise ProtocolError(f"Unknown controll byte {bytes([b])!r}")
        if length == 0:
            return words, pos
        if length > MAX_WORD_BYTES:
            raise ProtocolError(f"a {length}-byte word")
        if pos + length > end:
            return None
        words.append(buf[pos:pos + length].decode(encoding))  # strict on purpose
        pos += length


class StrictProtocol(ApiProtocol):  # type: ignore[misc]
    transport: BufferedTransport

    def writeSentence(self, cmd: str, *words: str) -> None:  # librouteros names
        # librouteros' own version logs every word, =password= included.
        self.transport.write(encode_sentence(cmd, *words, encoding=self.encoding))

    def readSentence(self) -> tuple[str, list[str]]:
        sentence = self.transport.read_sentence(self.encoding)
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
        row: Row = {}
        for word in words:
            if word[:1] == "=":
                cut = word.find("=", 1)
                if cut < 0:
                    row[word[1:]] = ""
                else:
                    row[word[1:cut]] = word[cut + 1:]
            elif not word.startswith(".tag="):
                raise ProtocolError("an attribute word without '='")
        return reply_word, row

    def readResponse(self, each: Callable[[Row], object] | None = None) -> list[Row]:
        """Rows up to ``!done``; ``!empty`` (RouterOS 7.18+ for no rows) is simply skipped.

        With ``each``, every row is handed to it as it arrives and not kept (an empty list is
        returned): a 20,000-row reply then never holds 20,000 dicts at once.
        """
        traps: list[TrapError] = []
        rows: list[Row] = []
        keep = rows.append if each is None else each
        reply_word = ""
        while reply_word != "!done":
            reply_word, words = self.readSentence()
            if reply_word == "!trap":
                category = words.get("category", "")
                code = int(category) if category.isdigit() else None
                traps.append(TrapError(words.get("message", ""), code))
            elif reply_word in ("!re", "!done") and words:
                keep(words)
        if len(traps) > 1:
            raise MultiTrapError(*traps)
        if traps:
            raise traps[0]
        return rows

    def run(self, cmd: str, *words: str, each: Callable[[Row], object] | None = None) -> list[Row]:
        """Send one sentence and return every reply row (never a lazy generator); see readResponse."""
        self.protocol.writeSentence(cmd, *words)
        return self.readResponse(each)
