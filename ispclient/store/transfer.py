"""Copy a SQLite database into an empty PostgreSQL one: the move to several front-desk PCs.

Every table of the schema, ids kept, in batches, inside one PostgreSQL transaction that also
creates the schema (same version), resets the id sequences and compares each table's row count
and checksum with the source before committing. Either the whole copy lands, verified, or the
PostgreSQL database is left as empty as it was.

Command line only: while copying, the models are bound to the PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import peewee

from ispclient.domain.permissions import Permission
from ispclient.store import access, backup, integrity, schema
from ispclient.store.db import make_database
from ispclient.store.dbconfig import mask
from ispclient.store.errors import DatabaseUnavailable
from ispclient.store.models import MODELS, SchemaVersion

Progress = Callable[[str, int], object]  # (table, rows copied so far)


class CopyRefused(RuntimeError):
    """The copy was not made (or rolled back); the message says why."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str
    nul_removed: int = 0  # text values that held NUL characters, which PostgreSQL can't store


@dataclass(frozen=True)
class CopyReport:
    tables: tuple[TableCopy, ...]
    schema_version: int
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def nul_removed(self) -> int:
        return sum(t.nul_removed for t in self.tables)


def _without_nul(value: object) -> object:
    """PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"); older versions
    let one into SQLite. It carries nothing a person could see, so it is dropped — on both sides
    of the checksum, and counted in the report."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return mask(url)


def _q(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _copied_models() -> list[type[peewee.Model]]:
    # The schema version row is written by the schema steps, not copied.
    return [m for m in peewee.sort_models(MODELS) if m is not SchemaVersion]


# --- checksums ---------------------------------------------------------------------------------


def _norm(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value).replace("\x00", "")


def rows(database: peewee.Database, model: type[peewee.Model], *,
         ordered: bool = False) -> Iterator[tuple[object, ...]]:
    """Every row of a model's table as Python values, straight off the cursor (a third of the
    time of a peewee query at a million rows)."""
    meta = model._meta  # type: ignore[attr-defined]
    fields = meta.sorted_fields
    sql = f"SELECT {', '.join(_q(f.column_name) for f in fields)} FROM {_q(meta.table_name)}"
    if ordered:
        sql += f" ORDER BY {_q(meta.primary_key.column_name)}"  # type: ignore[union-attr]
    convert = [f.python_value for f in fields]
    for raw in database.execute_sql(sql):
        yield tuple(c(v) for c, v in zip(convert, raw, strict=True))


def table_checksum(database: peewee.Database, model: type[peewee.Model]) -> tuple[int, str]:
    """Row count and an order-independent checksum of every column's value (as Python sees it,
    so SQLite's text timestamps and PostgreSQL's TIMESTAMP compare equal)."""
    total, count = 0, 0
    for row in rows(database, model):
        digest = hashlib.blake2b("\x1f".join(_norm(v) for v in row).encode("utf-8"), digest_size=32).digest()
        total = (total + int.from_bytes(digest, "big")) % (1 << 256)
        count += 1
    return count, f"{total:064x}"


def checksums(database: peewee.Database) -> dict[str, tuple[int, str]]:
    return {m._meta.table_name: table_checksum(database, m) for m in _copied_models()}  # type: ignore[attr-defined]


# --- the copy ----------------------------------------------------------------------------------


def _check_source(src: Path) -> int:
    if not src.is_file():
        raise CopyRefused(f"There is no SQLite database at {src}.")
    check = integrity.check_file(src, full=False)
    if not check.ok:
        raise CopyRefused(f"The SQLite database {src} is damaged ({check.problems[0]}); restore a backup first.")
    version = backup.backup_version(src)
    if version != schema.CURRENT_VERSION:
        raise CopyRefused(f"The SQLite database {src} is at schema {version}; open it once with this "
                          f"version of ispclient (schema {schema.CURRENT_VERSION}) first.")
    return version


def _connect_dest(dest_url: str) -> peewee.Database:
    dest = make_database(dest_url)
    if not isinstance(dest, peewee.PostgresqlDatabase):
        raise CopyRefused(f"{redact(dest_url)} is not a postgresql:// URL.")
    try:
        dest.connect()
    except (peewee.OperationalError, DatabaseUnavailable) as e:
        raise CopyRefused(f"Could not connect to {redact(dest_url)}: {str(e).strip()}") from None
    tables = dest.get_tables()
    if tables:
        dest.close()
        raise CopyRefused(f"The PostgreSQL database {redact(dest_url)} is not empty (it has tables: "
                          f"{', '.join(tables[:5])}{'…' if len(tables) > 5 else ''}). Copy only into "
                          "a new, empty database.")
    return dest


def _create_schema(dest: peewee.Database) -> None:
    """The same steps a first start of the app on PostgreSQL runs, so the schemas match."""
    for step in range(schema.CURRENT_VERSION):
        schema.MIGRATIONS[step](dest)
    SchemaVersion.create(version=schema.CURRENT_VERSION)


def _copy_table(src: peewee.Database, dest: peewee.Database, model: type[peewee.Model],
                batch_size: int, progress: Progress | None) -> tuple[int, int]:
    """Rows copied, and text values whose NUL characters were dropped."""
    meta = model._meta  # type: ignore[attr-defined]
    fields = list(meta.sorted_fields)
    # A reference to a row of the same table may point forward: fill those in afterwards.
    self_refs = [i for i, f in enumerate(fields) if isinstance(f, peewee.ForeignKeyField) and f.rel_model is model]
    pk = meta.primary_key
    assert isinstance(pk, peewee.Field)
    pk_index = fields.index(pk)
    later: list[tuple[int, object, object]] = []
    batch: list[tuple[object, ...]] = []
    copied = 0
    cleaned = 0
    to_db = [f.db_value for f in fields]
    insert = (f"INSERT INTO {_q(meta.table_name)} ({', '.join(_q(f.column_name) for f in fields)}) "
              "VALUES %s")

    def flush() -> None:
        # psycopg2's execute_values: peewee's insert_many spends 3/4 of the copy building SQL.
        from psycopg2.extras import execute_values

        nonlocal copied
        if batch:
            rows = [tuple(conv(v) for conv, v in zip(to_db, row, strict=True)) for row in batch]
            with peewee.__exception_wrapper__:  # psycopg2's errors as peewee's, like every other query
                execute_values(dest.cursor(), insert, rows, page_size=len(rows))
            copied += len(batch)
            batch.clear()
            if progress is not None:
                progress(meta.table_name, copied)

    for row in rows(src, model, ordered=True):
        if any(isinstance(v, str) and "\x00" in v for v in row):
            cleaned += 1
            row = tuple(_without_nul(v) for v in row)
        if self_refs:
            values = list(row)
            for i in self_refs:
                if values[i] is not None:
                    later.append((i, values[pk_index], values[i]))
                    values[i] = None
            row = tuple(values)
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    flush()
    for start in range(0, len(later), batch_size):
        chunk = later[start:start + batch_size]
        for i in {i for i, _, _ in chunk}:
            pairs = [(pk, ref) for j, pk, ref in chunk if j == i]
            values_sql = ", ".join(["(%s, %s)"] * len(pairs))
            dest.execute_sql(
                f"UPDATE {_q(meta.table_name)} AS t SET {_q(fields[i].column_name)} = v.ref "
                f"FROM (VALUES {values_sql}) AS v(id, ref) WHERE t.{_q(pk.column_name)} = v.id",
                [x for pair in pairs for x in pair],
            )
    return copied, cleaned


def _reset_sequences(dest: peewee.Database, models: list[type[peewee.Model]]) -> None:
    """So the next client created on PostgreSQL gets max(id) + 1, not 1."""
    for model in models:
        pk = model._meta.primary_key  # type: ignore[attr-defined]
        if not isinstance(pk, peewee.AutoField):
            continue
        table, column = model._meta.table_name, pk.column_name  # type: ignore[attr-defined]
        dest.execute_sql(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({_q(column)}), 1), "
            f"MAX({_q(column)}) IS NOT NULL) FROM {_q(table)}",
            (table, column),
        )


@access.requires(Permission.IMPORT_EXPORT)
def copy_database(src_sqlite_path: Path, dest_url: str, *, batch_size: int = 2000,
                  progress: Progress | None = None) -> CopyReport:
    """Copy every row of a SQLite database into an empty PostgreSQL database, verified."""
    started = time.perf_counter()
    version = _check_source(Path(src_sqlite_path))
    src = make_database(Path(src_sqlite_path))
    unknown = sorted(t for t in src.get_tables() if t not in {m._meta.table_name for m in MODELS}  # type: ignore[attr-defined]
                     and not t.startswith("sqlite_"))
    if unknown:
        src.close()
        raise CopyRefused(f"The SQLite database has tables this program doesn't know ({', '.join(unknown)}); "
                          "copy it with the version of ispclient that made them.")
    dest = _connect_dest(dest_url)
    models = _copied_models()
    try:
        with dest.bind_ctx(MODELS), dest.atomic(), src.atomic():
            _create_schema(dest)
            cleaned: dict[str, int] = {}
            for model in models:
                _copied, cleaned[model._meta.table_name] = _copy_table(  # type: ignore[attr-defined]
                    src, dest, model, batch_size, progress)
            _reset_sequences(dest, models)
            before, after = checksums(src), checksums(dest)
            if before != after:
                bad = [t for t in before if before[t] != after.get(t)]
                raise CopyRefused(f"The copy did not match the original in {', '.join(bad)}; nothing was copied.")
    except peewee.DatabaseError as e:
        raise CopyRefused(f"Nothing was copied: a row could not be copied ({str(e).strip()}).") from e
    finally:
        src.close()
        dest.close()
    tables = tuple(TableCopy(t, n, c, cleaned.get(t, 0)) for t, (n, c) in before.items())
    return CopyReport(tables, version, time.perf_counter() - started)
