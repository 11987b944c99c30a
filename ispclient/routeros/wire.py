"""librouteros's sentence layer with the fixes we rely on.

* Reads are buffered: librouteros asks the socket for one byte per word length, so a
  5,000-session reply would otherwise cost tens of thousands of ``recv`` calls. Sentences are
  cut straight out of the buffer (no call per word): a 12,000-session router's reply costs
  ~0.1 s of CPU instead of ~0.3 s, which is what the GUI thread shares the GIL with.
* Every wait is bounded twice: by the per-read timeout and by the operation's
  :class:`~ispclient.routeros.deadline.Deadline`, so a router dripping bytes or sending rows
  without end is cut off on time; and every reply by :mod:`~ispclient.routeros.limits`, so it
  is cut off before it costs unbounded memory.
* Words are decoded strictly in the router's encoding: librouteros uses ``errors="ignore"``,
  which silently turns "José" into "Jos" when the encoding is wrong; we would rather say so.
* Values stay the strings the router sent: librouteros turns "1001" into ``1001`` and "yes" or
  "true" into ``True`` (losing which one it was), which breaks usernames like "1001".

Nothing here logs the words themselves: the login sentence carries the password.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from librouteros.api import Api
from librouteros.connections import SocketTransport
from librouteros.exceptions import ConnectionClosed, FatalError, MultiTrapError, ProtocolError, TrapError
from librouteros.protocol import ApiProtocol, encode_sentence

from ispclient.routeros import deadline as calls
from ispclient.routeros.deadline import Deadline
from ispclient.routeros.limits import (
    LOOKUP,
    MAX_SENTENCE_BYTES,
    MAX_SENTENCE_WORDS,
    MAX_WORD_BYTES,
    ReplyLimits,
    ReplyTooLarge,
)

Row = dict[str, str]

_REPLY_WORDS = frozenset({"!re", "!done", "!trap", "!fatal", "!empty"})
_RECV_SIZE = 64 * 1024
_TRAPS_KEPT = 10


class BufferedTransport(SocketTransport):  # type: ignore[misc]  # librouteros is untyped
    """The socket, read in 64 KiB gulps, each wait within the read timeout and the deadline."""

    def __init__(self, sock: socket.socket, read_timeout: float, deadline: Deadline) -> None:
        super().__init__(sock)
        self.read_timeout = read_timeout
        self.deadline = deadline
        self._buffer = bytearray()
        self._pos = 0  # bytes before this offset are consumed
        self.received = 0  # bytes read from the socket so far
        self.reply_start = 0  # ``received`` when the reply being read began
        self.reply_bytes: int | None = None  # the ceiling on that reply's bytes
        calls.register(sock)

    def write(self, data: bytes) -> None:
        self.sock.settimeout(min(self.read_timeout, self.deadline.check()))
        self.sock.sendall(data)

    def _fill(self) -> None:
        if self._pos:
            del self._buffer[:self._pos]
            self._pos = 0
        if len(self._buffer) > MAX_SENTENCE_BYTES:  # a sentence that never ends
            raise ReplyTooLarge(f"a sentence of more than {MAX_SENTENCE_BYTES:,} bytes")
        got = self._recv()
        if not got:
            calls.check_aborted()  # a shutdown by abort_all() reads as the peer closing
            raise ConnectionClosed("Connection unexpectedly closed.")
        self.received += len(got)
        if self.reply_bytes is not None and self.received - self.reply_start > self.reply_bytes:
            raise ReplyTooLarge(f"more than {self.reply_bytes:,} bytes")
        self._buffer += got

    def _recv(self) -> bytes:
        """One ``recv`` within the read timeout and the deadline, waiting in short slices so a
        quitting app is noticed even where shutting the socket down wakes nobody."""
        waited_since = time.monotonic()
        while True:
            left = self.read_timeout - (time.monotonic() - waited_since)
            if left <= 0:
                raise TimeoutError("timed out")
            self.sock.settimeout(max(0.001, min(left, self.deadline.wait_s(self.read_timeout))))
            try:
                return bytes(self.sock.recv(_RECV_SIZE))
            except TimeoutError:
                continue  # the slice is over: look at the deadline and the abort flag again

    def read_sentence(self, encoding: str) -> list[str]:
        """The words of the next sentence (without its terminating empty word)."""
        while True:
            parsed = _parse_sentence(self._buffer, self._pos, encoding)
            if parsed is not None:
                words, self._pos = parsed
                return words
            self._fill()

    def close(self) -> None:
        calls.unregister(self.sock)
        self.sock.close()


def _parse_sentence(buf: bytearray, pos: int, encoding: str) -> tuple[list[str], int] | None:
    """One sentence from ``buf[pos:]`` and the offset after it; None if it isn't all there yet.

    Lengths as RouterOS encodes them (1–5 bytes; 0xF8 and above are reserved). The ceilings
    apply as soon as a length header says so, before any of that word is waited for.
    """
    words: list[str] = []
    end = len(buf)
    start = pos
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
        elif b == 0xF0:
            if pos + 5 > end:
                return None
            length = int.from_bytes(buf[pos + 1:pos + 5], "big")
            pos += 5
        else:
            raise ProtocolError(f"Unknown control byte {bytes([b])!r}")
        if length == 0:
            return words, pos
        if length > MAX_WORD_BYTES:
            raise ReplyTooLarge(f"a word of {length:,} bytes")
        if len(words) >= MAX_SENTENCE_WORDS:
            raise ReplyTooLarge(f"a sentence of more than {MAX_SENTENCE_WORDS:,} words")
        if pos + length - start > MAX_SENTENCE_BYTES:
            raise ReplyTooLarge(f"a sentence of more than {MAX_SENTENCE_BYTES:,} bytes")
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

    def readResponse(self, each: Callable[[Row], object] | None = None, limits: ReplyLimits = LOOKUP) -> list[Row]:
        """Rows up to ``!done``; ``!empty`` (RouterOS 7.18+ for no rows) is simply skipped.

        With ``each``, every row is handed to it as it arrives and not kept (an empty list is
        returned): a 20,000-row reply then never holds 20,000 dicts at once. Past one of
        ``limits`` it raises :class:`ReplyTooLarge` (the rest of the reply is never read).
        """
        traps: list[TrapError] = []
        rows: list[Row] = []
        keep = rows.append if each is None else each
        reply_word = ""
        transport = self.protocol.transport
        transport.reply_start, transport.reply_bytes = transport.received, limits.bytes
        sentences = words_seen = 0
        try:
            while reply_word != "!done":
                reply_word, words = self.readSentence()
                sentences += 1
                words_seen += len(words) + 1
                if sentences > limits.sentences:
                    raise ReplyTooLarge(f"more than {limits.sentences:,} rows")
                if words_seen > limits.words:
                    raise ReplyTooLarge(f"more than {limits.words:,} words")
                if reply_word == "!trap":
                    if len(traps) >= _TRAPS_KEPT:  # a router repeating itself: the first say enough
                        continue
                    category = words.get("category", "")
                    code = int(category) if category.isdigit() else None
                    traps.append(TrapError(words.get("message", ""), code))
                elif reply_word in ("!re", "!done") and words:
                    keep(words)
        finally:
            transport.reply_bytes = None
        if len(traps) > 1:
            raise MultiTrapError(*traps)
        if traps:
            raise traps[0]
        return rows

    def run(self, cmd: str, *words: str, each: Callable[[Row], object] | None = None,
            limits: ReplyLimits = LOOKUP) -> list[Row]:
        """Send one sentence and return every reply row (never a lazy generator); see readResponse."""
        self.protocol.writeSentence(cmd, *words)
        return self.readResponse(each, limits)
