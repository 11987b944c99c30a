"""Search and filter rules of the client list — the plain, obvious definitions.

A row matches a search when every term of the query is contained in one of its fields: name,
Client ID, e-mail, PPPoE username or phone, all folded (lower case, accents dropped). Phone
numbers are stored as E.164 (+254712345678); they are searched as their digits alone
(254712345678) and in the national form with its trunk 0 (0712345678), so "0712", "+254 712" and
"254712" all find the client.

:func:`row_matches` is the definition; the index (:mod:`ispclient.listing.index`) answers the same
question for a million rows at once and is tested against it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import phonenumbers

from ispclient.domain.connection import ConnectionState

if TYPE_CHECKING:
    from ispclient.store.queries import ClientRow

SEPARATOR = "\x00"  # never typed into a search box: a term can't match across two fields
_PHONE_CHARS = frozenset("+0123456789 -().")
_COUNTRY_CODES = frozenset(str(cc) for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)

NO_SERVER = -1  # the server filter's "No server assigned"


def _accent_table() -> dict[int, str | None]:
    """Accented Latin letters → their base letters; combining marks → nothing."""
    table: dict[int, str | None] = {}
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(cp)) if not unicodedata.combining(c))
        if base and base != chr(cp):
            table[cp] = base
    for cp in range(0x300, 0x370):
        table[cp] = None
    # Letters with a stroke have no decomposition but are searched as their base letter.
    table.update({ord("ø"): "o", ord("ł"): "l", ord("đ"): "d", ord("ħ"): "h", ord("ı"): "i"})
    return table


_ACCENTS = _accent_table()
_BASE = {chr(cp): base or "" for cp, base in _ACCENTS.items()}
_LOWEST = min(_ACCENTS)


def _replace_order() -> list[int]:
    """The accented letters in an order in which replacing each throughout, one after another,
    is the same as replacing them all at once (one pass, as :func:`fold`'s translate): a letter
    after those its base holds ('ǿ' → 'ø' after 'ø' → 'o')."""
    depth: dict[int, int] = {}

    def of(cp: int, seen: frozenset[int]) -> int:
        if cp in seen:  # the table is fixed: this would fail every test at import
            raise ValueError(f"the accent table goes round in a circle at {chr(cp)!r}")
        if cp not in depth:
            inner = [ord(c) for c in _ACCENTS[cp] or "" if ord(c) in _ACCENTS]
            depth[cp] = 1 + max((of(c, seen | {cp}) for c in inner), default=-1)
        return depth[cp]

    return sorted(_ACCENTS, key=lambda cp: (of(cp, frozenset()), cp))


_REPLACE_ORDER = _replace_order()


def fold(text: str) -> str:
    """Lower-case without accents: 'José Müller' → 'jose muller'; non-Latin scripts stay."""
    if text.isascii():
        return text.lower()
    return text.casefold().translate(_ACCENTS)


def fold_joined(text: str) -> str:
    """:func:`fold` of a whole column joined by :data:`SEPARATOR` — equal to joining the folded
    values, since folding is per character (``casefold`` has no context rules, unlike ``lower``)."""
    if text.isascii():
        return text.lower()
    folded = text.casefold()
    if folded.isascii():
        return folded
    # Each accented letter present replaced throughout by str.replace (a few dozen distinct ones
    # in a chunk of names), found by numpy among the code points: ~10x faster than a regular
    # expression's Python callback per letter (~0.3 s per million names), and than str.translate
    # (which looks up every character). In _REPLACE_ORDER: the same as one pass.
    import numpy as np  # not at import: the window's modules import this one before numpy is wanted

    codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    present = set(np.unique(codes[codes >= _LOWEST]).tolist())
    for cp in _REPLACE_ORDER:
        if cp in present:
            folded = folded.replace(chr(cp), _ACCENTS[cp] or "")
    return folded


def encode(text: str) -> bytes:
    """UTF-8, as the index keeps text: byte order is code point order, and a term's bytes occur in
    a field's bytes exactly where the term occurs in the field (UTF-8 never matches mid-character).
    Lone surrogates (text decoded badly long ago) are kept rather than refused."""
    return text.encode("utf-8", "surrogatepass")


def _country_code_length(digits: str) -> int:
    for n in (1, 2, 3):
        if digits[:n] in _COUNTRY_CODES:
            return n
    return 0


_CC_LENGTH: dict[str, int] = {}  # first three digits → length of the country code


def country_code_length(digits: str) -> int:
    head = digits[:3]
    n = _CC_LENGTH.get(head)
    if n is None:
        n = _CC_LENGTH[head] = _country_code_length(digits)
    return n


def phone_forms(e164: str) -> tuple[str, str]:
    """'+254712345678' → ('254712345678', '0712345678'): the digits alone and the national form
    with its trunk 0 ('' when no country code is recognised) — what people type."""
    digits = e164[1:] if e164[:1] == "+" and e164[1:].isdigit() else "".join(ch for ch in e164 if ch.isdigit())
    if not digits:
        return "", ""
    n = country_code_length(digits)
    return digits, (f"0{digits[n:]}" if n else "")


def search_fields(row: ClientRow) -> tuple[str, ...]:
    """The texts a search looks in, folded: name, Client ID, e-mail, PPPoE username, phone digits,
    national phone number."""
    digits, national = phone_forms(row.phone)
    return fold(row.name), fold(row.client_code), fold(row.email), fold(row.pppoe_username), digits, national


def _term(word: str) -> str:
    """A phone-looking term ('+254', '0712-345') is searched as its digits alone."""
    if any(ch.isdigit() for ch in word) and all(ch in _PHONE_CHARS for ch in word):
        return "".join(ch for ch in word if ch.isdigit())
    return fold(word)


def search_terms(query: str) -> tuple[str, ...]:
    """The terms every shown row must contain (all of them, each in some field).

    A query that is a phone number as a whole ('0712 345 678', '+254 712-345678') is one term,
    its digits; otherwise each word is a term. No term contains white space or SEPARATOR.
    """
    query = query.strip()
    if not query:
        return ()
    if any(ch.isdigit() for ch in query) and all(ch in _PHONE_CHARS for ch in query):
        return ("".join(ch for ch in query if ch.isdigit()),)
    terms = (_term(w) for w in query.replace(SEPARATOR, " ").split())
    return tuple(dict.fromkeys(t for t in terms if t))


def refines(new: tuple[str, ...], old: tuple[str, ...]) -> bool:
    """Whether every row matching ``new`` also matches ``old``, so ``new`` may search only
    ``old``'s results (the common case: one more letter typed)."""
    return all(any(o in n for n in new) for o in old)


@dataclass(frozen=True)
class ClientFilter:
    """What the user chose above the list; ``None`` (or False) means "All"."""

    search: str = ""
    status: str | None = None  # a SubscriptionStatus value or NO_SUBSCRIPTION
    server_id: int | None = None  # a server id, or NO_SERVER
    connection: ConnectionState | None = None
    owes: bool = False  # only clients whose balance is above zero
    ended_since: date | None = None  # only clients whose subscription ends (or ended) on or after this day

    @property
    def terms(self) -> tuple[str, ...]:
        return search_terms(self.search)

    @property
    def is_empty(self) -> bool:
        return (not self.terms and self.status is None and self.server_id is None and self.connection is None
                and not self.owes and self.ended_since is None)


def row_matches(row: ClientRow, state: ConnectionState, flt: ClientFilter) -> bool:
    """The plain, slow definition of a match — the index must agree with it."""
    if flt.status is not None and row.status != flt.status:
        return False
    if flt.server_id is not None and (row.server_id if row.server_id is not None else NO_SERVER) != flt.server_id:
        return False
    if flt.connection is not None and state is not flt.connection:
        return False
    if flt.owes and not row.balance_minor > 0:
        return False
    if flt.ended_since is not None and (row.ends_on is None or row.ends_on < flt.ended_since):
        return False
    fields = search_fields(row)
    return all(any(term in f for f in fields) for term in flt.terms)
