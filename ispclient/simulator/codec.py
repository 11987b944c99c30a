"""RouterOS API wire format: length-prefixed words, sentences ended by an empty word.

Written from the protocol description, independently of librouteros, so that tests of the
client against the simulator check two implementations against each other.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CodecError",
    "SentenceReader",
    "decode_length",
    "encode_length",
    "encode_sentence",
    "encode_word",
]

MAX_LENGTH = 0xFFFFFFFF


class CodecError(ValueError):
    """The byte stream is not valid RouterOS API framing."""


def _encode_length_slow(n: int) -> bytes:
    if n < 0:
        raise CodecError(f"negative length {n}")
    if n < 0x80:
        return n.to_bytes(1, "big")
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    if n <= MAX_LENGTH:
        return b"\xf0" + n.to_bytes(4, "big")
    raise CodecError(f"length {n} does not fit in 5 bytes")


# Almost every word is shorter than 16 KiB; a table lookup keeps large prints cheap.
_SHORT_LENGTHS: tuple[bytes, ...] = tuple(_encode_length_slow(n) for n in range(0x4000))


def encode_length(n: int) -> bytes:
    """Encode a word length in the 1- to 5-byte RouterOS form."""
    if 0 <= n < 0x4000:
        return _SHORT_LENGTHS[n]
    return _encode_length_slow(n)


def header_size(first_byte: int) -> int:
    """How many bytes the length header starting with ``first_byte`` takes."""
    if first_byte < 0x80:
        return 1
    if first_byte < 0xC0:
        return 2
    if first_byte < 0xE0:
        return 3
    if first_byte < 0xF0:
        return 4
    if first_byte == 0xF0:
        return 5
    # 0xF1..0xFF are reserved control bytes, never a length.
    raise CodecError(f"invalid length control byte 0x{first_byte:02X}")


def decode_length(data: bytes | bytearray | memoryview, offset: int = 0) -> tuple[int, int] | None:
    """Decode the length header at ``offset``.

    Returns ``(length, header_size)``, or ``None`` when ``data`` does not yet hold the
    whole header. Raises CodecError on a reserved control byte.
    """
    if offset >= len(data):
        return None
    first = data[offset]
    size = header_size(first)
    if offset + size > len(data):
        return None
    if size == 1:
        return first, 1
    if size == 5:
        return int.from_bytes(data[offset + 1 : offset + 5], "big"), 5
    value = int.from_bytes(data[offset : offset + size], "big")
    mask = (0x80, 0xC0, 0xE0)[size - 2] << (8 * (size - 1))
    return value ^ mask, size


def encode_word(word: bytes) -> bytes:
    return encode_length(len(word)) + word


def encode_sentence(words: Iterable[bytes]) -> bytes:
    """Encode words (bytes) as one sentence, including the terminating empty word."""
    table = _SHORT_LENGTHS
    parts: list[bytes] = []
    for word in words:
        n = len(word)
        parts.append(table[n] if n < 0x4000 else _encode_length_slow(n))
        parts.append(word)
    parts.append(b"\x00")
    return b"".join(parts)


class SentenceReader:
    """Incremental parser: feed it bytes as they arrive, get back complete sentences.

    Empty sentences (a lone zero byte) are skipped, as RouterOS does.
    """

    def __init__(self, max_word: int = 16 * 1024 * 1024) -> None:
        self._buffer = bytearray()
        self._words: list[bytes] = []
        self._max_word = max_word

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete sentence."""
        return len(self._buffer) + sum(len(w) for w in self._words)

    def feed(self, data: bytes) -> list[list[bytes]]:
        self._buffer += data
        buf = self._buffer
        pos = 0
        sentences: list[list[bytes]] = []
        while True:
            decoded = decode_length(buf, pos)
            if decoded is None:
                break
            length, size = decoded
            if length > self._max_word:
                raise CodecError(f"word of {length} bytes exceeds the limit")
            if pos + size + length > len(buf):
                break
            if length == 0:
                if self._words:
                    sentences.append(self._words)
                    self._words = []
            else:
                self._words.append(bytes(buf[pos + size : pos + size + length]))
            pos += size + length
        del buf[:pos]
        return sentences
