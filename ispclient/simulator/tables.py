"""A RouterOS menu table: rows keyed by ``.id`` with print, set and remove semantics."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from .query import Query
from .values import normalize_bool

Row = dict[str, str]


class CommandError(Exception):
    """Becomes ``!trap =message=… [=category=…]`` followed by ``!done``."""

    def __init__(self, message: str, category: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass
class Table:
    """Rows of one menu. Not locked: RouterState serializes access."""

    item: str  # "secret", "profile": used in RouterOS messages
    writable: frozenset[str]
    bool_props: frozenset[str] = frozenset()
    optional_props: frozenset[str] = frozenset()  # dropped from the row when set empty
    id_base: int = 1
    rows: dict[str, Row] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    _next: int = 0
    generation: int = 0  # moves on with every insert, update and delete: what a cached print keys on

    def new_id(self) -> str:
        self._next += 1
        return f"*{self.id_base + self._next - 1:X}"

    def insert(self, row: Row, row_id: str | None = None) -> str:
        row_id = row_id or self.new_id()
        self.generation += 1
        self.rows[row_id] = {".id": row_id, **row}
        if "name" in row:
            self.by_name[row["name"]] = row_id
        return row_id

    def check_props(self, props: Mapping[str, str]) -> dict[str, str]:
        """Reject unknown parameters and normalize booleans to true/false."""
        clean: dict[str, str] = {}
        for key, value in props.items():
            if key not in self.writable:
                raise CommandError(f"unknown parameter {key}", 1)
            if key in self.bool_props:
                normalized = normalize_bool(value)
                if normalized is None:
                    raise CommandError(f"value of {key} must be yes or no", 1)
                value = normalized
            clean[key] = value
        return clean

    def resolve(self, ids: str) -> list[str]:
        """``*1A,*2`` (or names, where RouterOS allows them) to row ids; all must exist."""
        resolved: list[str] = []
        for part in ids.split(","):
            part = part.strip()
            row_id = self._resolve_one(part)
            if row_id is None:
                raise CommandError("no such item")
            resolved.append(row_id)
        return resolved

    def _resolve_one(self, part: str) -> str | None:
        if part.startswith("*"):
            try:
                canonical = f"*{int(part[1:], 16):X}"
            except ValueError:
                return None
            return canonical if canonical in self.rows else None
        return self.by_name.get(part)

    def update(self, row_id: str, props: Mapping[str, str]) -> None:
        row = self.rows[row_id]
        self.generation += 1
        if "name" in props and props["name"] != row.get("name"):
            self.by_name.pop(row.get("name", ""), None)
            self.by_name[props["name"]] = row_id
        for key, value in props.items():
            if value == "" and key in self.optional_props:
                row.pop(key, None)
            else:
                row[key] = value

    def delete(self, row_id: str) -> Row:
        row = self.rows.pop(row_id)
        self.generation += 1
        if self.by_name.get(row.get("name", "")) == row_id:
            del self.by_name[row["name"]]
        return row

    def select(self, query: Query) -> Collection[Row]:
        equality = query.single_equality()
        if equality is not None and equality[0] == "name":
            row_id = self.by_name.get(equality[1])
            return [self.rows[row_id]] if row_id is not None else []
        if equality is not None and equality[0] == ".id":
            row = self.rows.get(equality[1])
            return [row] if row is not None else []
        if query.is_empty:
            return self.rows.values()
        return [row for row in self.rows.values() if query.matches(row)]
