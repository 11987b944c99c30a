from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ispclient.simulator.codec import (
    CodecError,
    SentenceReader,
    decode_length,
    encode_length,
    encode_sentence,
)

VECTORS = [
    (0, "00"),
    (0x7F, "7F"),
    (0x80, "80 80"),
    (130, "80 82"),
    (0x3FFF, "BF FF"),
    (0x4000, "C0 40 00"),
    (0x1FFFFF, "DF FF FF"),
    (2097140, "DF FF F4"),
    (0x200000, "E0 20 00 00"),
    (0xFFFFFFF, "EF FF FF FF"),
    (0x10000000, "F0 10 00 00 00"),
    (0xFFFFFFFF, "F0 FF FF FF FF"),
]


@pytest.mark.parametrize(("length", "wire"), VECTORS)
def test_known_length_vectors(length: int, wire: str) -> None:
    encoded = bytes.fromhex(wire)
    assert encode_length(length) == encoded
    assert decode_length(encoded) == (length, len(encoded))


@pytest.mark.parametrize("length", [-1, 0x100000000])
def test_unencodable_lengths(length: int) -> None:
    with pytest.raises(CodecError):
        encode_length(length)


@pytest.mark.parametrize("control", range(0xF1, 0x100))
def test_reserved_control_bytes_are_rejected(control: int) -> None:
    with pytest.raises(CodecError):
        decode_length(bytes([control, 0, 0, 0, 0]))
    with pytest.raises(CodecError):
        SentenceReader().feed(bytes([control]))


def test_incomplete_header_needs_more_bytes() -> None:
    assert decode_length(b"") is None
    assert decode_length(b"\xc0\x40") is None
    assert decode_length(b"\xf0\x10\x00\x00") is None
    assert decode_length(b"\x00\xc0\x40\x00", offset=1) == (0x4000, 3)


@given(st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_length_round_trip(length: int) -> None:
    encoded = encode_length(length)
    assert decode_length(encoded) == (length, len(encoded))
    assert decode_length(encoded + b"tail") == (length, len(encoded))


words_st = st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=8)


@given(st.lists(words_st, min_size=1, max_size=4), st.lists(st.integers(1, 64), min_size=1))
def test_sentences_round_trip_in_arbitrary_chunks(sentences: list[list[bytes]], chunk_sizes: list[int]) -> None:
    stream = b"".join(encode_sentence(s) for s in sentences)
    reader = SentenceReader()
    got: list[list[bytes]] = []
    pos, i = 0, 0
    while pos < len(stream):
        size = chunk_sizes[i % len(chunk_sizes)]
        got += reader.feed(stream[pos : pos + size])
        pos, i = pos + size, i + 1
    assert got == sentences
    assert reader.pending == 0


def test_sentence_split_at_every_byte_boundary() -> None:
    sentence = [b"/ppp/secret/print", b"=.proplist=name," + b"x" * 200, b"?name=" + b"y" * 20000]
    stream = encode_sentence(sentence) + encode_sentence([b"/quit"])
    for cut in range(1, len(stream)):
        reader = SentenceReader()
        first = reader.feed(stream[:cut])
        rest = reader.feed(stream[cut:])
        assert first + rest == [sentence, [b"/quit"]], cut


def test_byte_by_byte_feed() -> None:
    stream = encode_sentence([b"!re", b"=name=" + "José".encode()]) + b"\x00" + encode_sentence([b"!done"])
    reader = SentenceReader()
    got = [s for byte in stream for s in reader.feed(bytes([byte]))]
    assert got == [[b"!re", "=name=José".encode()], [b"!done"]]  # the lone empty sentence is skipped


def test_encode_sentence_layout() -> None:
    assert encode_sentence([b"/login", b"=name=a"]) == b"\x06/login\x07=name=a\x00"
    long_word = b"a" * 130
    assert encode_sentence([long_word]) == b"\x80\x82" + long_word + b"\x00"
