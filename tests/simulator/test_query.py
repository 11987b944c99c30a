from __future__ import annotations

import pytest

from ispclient.simulator.query import QueryError, compile_query

ROWS = [
    {".id": "*1", "name": "ana", "disabled": "false", "limit-bytes-in": "5", "comment": "vip"},
    {".id": "*2", "name": "bob", "disabled": "true", "limit-bytes-in": "20"},
    {".id": "*3", "name": "cid", "disabled": "false", "limit-bytes-in": "100"},
]


def names(*words: str) -> list[str]:
    query = compile_query(words, frozenset({"disabled"}))
    return [row["name"] for row in ROWS if query.matches(row)]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ((), ["ana", "bob", "cid"]),
        (("?name=bob",), ["bob"]),
        (("?=name=bob",), ["bob"]),
        (("?comment",), ["ana"]),
        (("?-comment",), ["bob", "cid"]),
        (("?<limit-bytes-in=20",), ["ana"]),  # numbers compare as numbers, not text
        (("?>limit-bytes-in=5",), ["bob", "cid"]),
        (("?name=ana", "?name=cid", "?#|"), ["ana", "cid"]),
        (("?name=ana", "?name=cid", "?#|!"), ["bob"]),
        (("?disabled=no", "?comment", "?#&"), ["ana"]),
        (("?disabled=yes",), ["bob"]),  # yes/no match the printed true/false
        (("?name=ana", "?#!"), ["bob", "cid"]),
        (("?name=ana", "?name=bob", "?name=cid", "?#||"), ["ana", "bob", "cid"]),
        (("?disabled=false", "?name=cid"), ["cid"]),  # leftover stack values are ANDed
        (("?name=ana", "?name=bob", "?#0"), ["bob"]),  # an index at the end keeps only that value
        (("?name=ana", "?name=bob", "?#1"), ["ana"]),
        (("?name=ana", "?#.|"), ["ana"]),  # "." duplicates the top value
        (("?name=ana", "?name=bob", "?#1|"), ["ana"]),  # [a, b] -> [a, b, a] -> [a, b|a]
    ],
)
def test_query_semantics(words: tuple[str, ...], expected: list[str]) -> None:
    assert names(*words) == expected


@pytest.mark.parametrize("words", [("?#|",), ("?name=a", "?#&"), ("?#!",), ("?",), ("?name=a", "?#3"), ("?#x",)])
def test_invalid_queries(words: tuple[str, ...]) -> None:
    with pytest.raises(QueryError):
        compile_query(words)
