"""Search and filter rules of the client list, on plain Python data prepared once per row.

A row's search text is its searchable fields folded (lower case, accents dropped) and joined
with a separator no query can contain, so one ``term in text`` per row answers a keystroke.
Phone numbers are stored as E.164 (+254712345678); the text also holds the digits alone
(254712345678) and the national form with its trunk 0 (0712345678), so "0712", "+254 712" and
"254712" all find the client.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import phonenumbers

from ispclient.domain.connection import ConnectionState
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


def fold(text: str) -> str:
    """Lower-case without accents: 'José Müller' → 'jose muller'; non-Latin scripts stay."""
    if text.isascii():
        return text.lower()
    return text.casefold().translate(_ACCENTS)


def _country_code_length(digits: str) -> int:
    for n in (1, 2, 3):
        if digits[:n] in _COUNTRY_CODES:
            return n
    return 0


_CC_LENGTH: dict[str, int] = {}  # first three digits → length of the country code


def phone_variants(e164: str) -> str:
    """'+254712345678' → '254712345678 0712345678': what people type when they search a number."""
    digits = e164[1:] if e164[:1] == "+" and e164[1:].isdigit() else "".join(ch for ch in e164 if ch.isdigit())
    if not digits:
        return ""
    head = digits[:3]
    n = _CC_LENGTH.get(head)
    if n is None:
        n = _CC_LENGTH[head] = _country_code_length(digits)
    return f"{digits} 0{digits[n:]}" if n else digits


def search_text(row: ClientRow) -> str:
    # Folding is per character, so folding joined fields equals joining folded fields; the
    # name is the field likely to need the slow (accented) fold, so it goes alone.
    rest = f"{row.client_code}\x00{row.email}\x00{row.pppoe_username}"
    rest = rest.lower() if rest.isascii() else fold(rest)
    return f"{fold(row.name)}\x00{rest}\x00{phone_variants(row.phone)}"


def _term(word: str) -> str:
    """A phone-looking term ('+254', '0712-345') is searched as its digits alone."""
    if any(ch.isdigit() for ch in word) and all(ch in _PHONE_CHARS for ch in word):
        return "".join(ch for ch in word if ch.isdigit())
    return fold(word)


def search_terms(query: str) -> tuple[str, ...]:
    """The terms every shown row must contain (all of them, in any field).

    A query that is a phone number as a whole ('0712 345 678', '+254 712-345678') is one term,
    its digits; otherwise each word is a term.
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
    """What the user chose above the list; ``None`` means "All"."""

    search: str = ""
    status: str | None = None  # a SubscriptionStatus value or NO_SUBSCRIPTION
    server_id: int | None = None  # a server id, or NO_SERVER
    connection: ConnectionState | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        return search_terms(self.search)

    @property
    def is_empty(self) -> bool:
        return not self.terms and self.status is None and self.server_id is None and self.connection is None


def row_matches(row: ClientRow, state: ConnectionState, flt: ClientFilter) -> bool:
    """The plain, slow definition of a match — the fast path in the model must agree with it."""
    if flt.status is not None and row.status != flt.status:
        return False
    if flt.server_id is not None and (row.server_id if row.server_id is not None else NO_SERVER) != flt.server_id:
        return False
    if flt.connection is not None and state is not flt.connection:
        return False
    fields = [fold(row.name), fold(row.client_code), fold(row.email), fold(row.pppoe_username),
              phone_variants(row.phone)]
    return all(any(term in f for f in fields) for term in flt.terms)
