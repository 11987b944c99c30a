"""RouterOS print queries (``?name=x``, ``?-name``, ``?#|!`` …) evaluated with its stack rules.

Each query word pushes one boolean per row; ``?#`` words rearrange the stack; the row is
printed when every value left on the stack is true (an empty stack matches everything).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .values import normalize_bool

Row = dict[str, str]
Test = Callable[[Row], bool]


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    steps: tuple[Test | str, ...]  # a Test pushes a value; a str is an ``?#`` operation string

    @property
    def is_empty(self) -> bool:
        return not self.steps

    def single_equality(self) -> tuple[str, str] | None:
        """(property, value) when the whole query is one ``?prop=value`` — lets tables use an index."""
        if len(self.steps) == 1 and isinstance(self.steps[0], _Equals):
            return self.steps[0].key, self.steps[0].value
        return None

    def matches(self, row: Row) -> bool:
        stack: list[bool] = []
        for step in self.steps:
            if isinstance(step, str):
                _apply_ops(step, stack)
            else:
                stack.append(step(row))
        return all(stack)


@dataclass(frozen=True)
class _Equals:
    key: str
    value: str

    def __call__(self, row: Row) -> bool:
        return row.get(self.key, "") == self.value


def _compare_key(value: str) -> tuple[int, int | str]:
    try:
        return (0, int(value))
    except ValueError:
        return (1, value)


def _less(key: str, value: str) -> Test:
    bound = _compare_key(value)
    return lambda row: key in row and _compare_key(row[key]) < bound


def _greater(key: str, value: str) -> Test:
    bound = _compare_key(value)
    return lambda row: key in row and _compare_key(row[key]) > bound


def _has(key: str) -> Test:
    return lambda row: key in row


def _lacks(key: str) -> Test:
    return lambda row: key not in row


def _split(body: str) -> tuple[str, str]:
    key, sep, value = body.partition("=")
    if not key:
        raise QueryError("invalid query")
    return key, value


def compile_query(words: Sequence[str], bool_props: frozenset[str] = frozenset()) -> Query:
    """Compile the ``?…`` words of a command (in order)."""

    def normalized(key: str, value: str) -> str:
        if key in bool_props:
            return normalize_bool(value) or value
        return value

    steps: list[Test | str] = []
    depth = 0
    for word in words:
        body = word[1:]
        if body.startswith("#"):
            depth = _check_ops(body[1:], depth)
            steps.append(body[1:])
            continue
        if body.startswith("-"):
            steps.append(_lacks(body[1:]))
        elif body.startswith("<"):
            key, value = _split(body[1:])
            steps.append(_less(key, normalized(key, value)))
        elif body.startswith(">"):
            key, value = _split(body[1:])
            steps.append(_greater(key, normalized(key, value)))
        elif body.startswith("="):
            key, value = _split(body[1:])
            steps.append(_Equals(key, normalized(key, value)))
        elif "=" in body:
            key, value = _split(body)
            steps.append(_Equals(key, normalized(key, value)))
        elif body:
            steps.append(_has(body))
        else:
            raise QueryError("invalid query")
        depth += 1
    return Query(tuple(steps))


def _parse_ops(ops: str) -> list[tuple[str, int | None]]:
    """Split an operation string into (operator, index) tokens; index tokens use operator ''."""
    tokens: list[tuple[str, int | None]] = []
    i = 0
    while i < len(ops):
        if ops[i].isdigit():
            j = i
            while j < len(ops) and ops[j].isdigit():
                j += 1
            tokens.append(("", int(ops[i:j])))
            i = j
            continue
        tokens.append((ops[i], None))
        i += 1
    return tokens


def _check_ops(ops: str, depth: int) -> int:
    """Validate an operation string against the stack depth; return the new depth."""
    tokens = _parse_ops(ops)
    for pos, (op, index) in enumerate(tokens):
        after_index = pos > 0 and tokens[pos - 1][0] == ""
        if op == "":
            if index is None or index >= depth:
                raise QueryError("invalid query")
            depth = 1 if pos == len(tokens) - 1 else depth + 1
        elif op == "!":
            if depth < 1:
                raise QueryError("invalid query")
        elif op in "&|":
            if depth < 2:
                raise QueryError("invalid query")
            depth -= 1
        elif op == ".":
            if not after_index:
                if depth < 1:
                    raise QueryError("invalid query")
                depth += 1
        else:
            raise QueryError("invalid query")
    return depth


def _apply_ops(ops: str, stack: list[bool]) -> None:
    tokens = _parse_ops(ops)
    for pos, (op, index) in enumerate(tokens):
        if op == "":
            assert index is not None
            value = stack[-1 - index]
            if pos == len(tokens) - 1:
                stack[:] = [value]  # an index at the end replaces the whole stack
            else:
                stack.append(value)
        elif op == "!":
            stack[-1] = not stack[-1]
        elif op == "&":
            right = stack.pop()
            stack[-1] = stack[-1] and right
        elif op == "|":
            right = stack.pop()
            stack[-1] = stack[-1] or right
        elif op == "." and not (pos > 0 and tokens[pos - 1][0] == ""):
            stack.append(stack[-1])
