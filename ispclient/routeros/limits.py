"""How much of a router's reply we are willing to read: ceilings sized from the largest real router.

The largest routers we serve hold about 60,000 active PPPoE sessions and twice as many
secrets. With the properties we ask for, a session row is ~100 bytes and 5 words, a secret
row (reconcile: password and comment too) ~200 bytes and 8 words, so the biggest legitimate
reply — every secret — is ~25 MB, 120,000 rows and ~1,000,000 words. The whole-table ceilings
leave twice that; lookups of one name (the client window, a provisioning step, Test
connection) expect a handful of rows and get a small ceiling, so a router that floods one
costs little memory before it is cut off.

Past a ceiling the call ends with :class:`ReplyTooLarge` ("the router's reply was too large")
and the connection is closed: what is left of the reply is never read.
"""

from __future__ import annotations

from dataclasses import dataclass

# One word: RouterOS words we read are short (names, addresses, comments); 64 KiB is
# far above any of them, and a length header announcing more is refused before it is read.
MAX_WORD_BYTES = 64 * 1024
MAX_SENTENCE_WORDS = 1_000  # a row without a proplist has ~70 properties at most
MAX_SENTENCE_BYTES = 1024 * 1024


class ReplyTooLarge(Exception):
    """A reply went past one of the ceilings; ``what`` says which, in words."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class ReplyLimits:
    """Ceilings on one command's whole reply (every sentence up to ``!done``)."""

    sentences: int
    words: int
    bytes: int


WHOLE_TABLE = ReplyLimits(sentences=250_000, words=2_000_000, bytes=64 * 1024 * 1024)
LOOKUP = ReplyLimits(sentences=1_000, words=20_000, bytes=1024 * 1024)
