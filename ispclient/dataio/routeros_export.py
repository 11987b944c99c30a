"""The ``/ppp secret`` lines of a RouterOS ``/export`` (.rsc) file, read without a router.

An export is a script: a menu line (``/ppp secret``) followed by ``add name=… password=…``
commands, long lines continued with a trailing backslash, quoted values with RouterOS escapes
(``\\"``, ``\\\\``, ``\\_`` for a space, ``\\D0\\90`` for the bytes of a non-ASCII letter). Only
the PPP secrets are read; every other menu is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

COLUMNS = ("name", "password", "profile", "service", "comment", "disabled", "caller-id", "remote-address",
           "local-address")
COMMANDS = {"add", "set", "remove", "print", "edit", "enable", "disable", "unset", "export", "find"}
_HEX = re.compile(rb"[0-9A-Fa-f]{2}")
_SIMPLE_ESCAPES = {ord('"'): b'"', ord("\\"): b"\\", ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t",
                   ord("$"): b"$", ord("?"): b"?", ord("_"): b" ", ord("a"): b"\a", ord("b"): b"\b",
                   ord("f"): b"\f", ord("v"): b"\v"}


@dataclass(frozen=True)
class Secret:
    line: int  # where its ``add`` starts in the file (1-based)
    values: dict[str, str]


def looks_like_export(text: str) -> bool:
    """Whether this text is a RouterOS export holding PPP secrets."""
    return any(re.match(r"^\s*/ppp\s+secret\b", line) for line in text.splitlines()[:100_000])


def logical_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(first line number, text) with backslash-continued lines joined."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not parts:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            parts.append(line[:-1])
            continue
        parts.append(line.lstrip() if parts else line)
        yield start, "".join(p if i == 0 else p.lstrip() for i, p in enumerate(parts))
        parts = []
    if parts:
        yield start, "".join(parts)


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == 0x5C and i + 1 < len(raw):  # backslash
            nxt = raw[i + 1]
            if _HEX.fullmatch(raw[i + 1:i + 3]):
                out.append(int(raw[i + 1:i + 3], 16))
                i += 3
                continue
            out += _SIMPLE_ESCAPES.get(nxt, bytes([nxt]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def parse_words(text: str, encoding: str) -> list[str | tuple[str, str]]:
    """A command line's words: plain words, and ``key=value`` pairs with their value unescaped."""
    data = text.encode(encoding, errors="surrogateescape")
    words: list[str | tuple[str, str]] = []
    i, n = 0, len(data)
    while i < n:
        while i < n and data[i] in b" \t":
            i += 1
        if i >= n:
            break
        start = i
        while i < n and data[i] not in b" \t=":
            i += 1
        key = data[start:i].decode(encoding, errors="replace")
        if i < n and data[i] == 0x3D:  # '='
            i += 1
            if i < n and data[i] == 0x22:  # a quoted value
                i += 1
                vstart = i
                while i < n and data[i] != 0x22:
                    i += 2 if data[i] == 0x5C else 1
                value = _unescape(data[vstart:min(i, n)])
                i += 1
            else:
                vstart = i
                while i < n and data[i] not in b" \t":
                    i += 2 if data[i] == 0x5C else 1
                value = _unescape(data[vstart:i])
            words.append((key, value.decode(encoding, errors="replace")))
        else:
            words.append(key)
    return words


def secrets(lines: Iterable[str], encoding: str = "utf-8") -> Iterator[Secret]:
    """Every ``add`` under ``/ppp secret``, in file order."""
    menu: tuple[str, ...] = ()
    for number, text in logical_lines(lines):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("/"):
            head = stripped[1:].split()
            path: list[str] = []
            rest_at = len(head)
            for i, word in enumerate(head):
                if word in COMMANDS or "=" in word or word.startswith("["):
                    rest_at = i
                    break
                path.append(word)
            menu = tuple(" ".join(path).replace("/", " ").split())
            stripped = " ".join(head[rest_at:])
            if not stripped:
                continue
        if menu != ("ppp", "secret"):
            continue
        words = parse_words(stripped, encoding)
        if not words or words[0] != "add":
            continue
        values = {k: v for k, v in (w for w in words[1:] if isinstance(w, tuple))}
        yield Secret(number, values)
