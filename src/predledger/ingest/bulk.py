"""Bulk writers: one transaction per batch, rows and rollups together.

The fast path inserts plainly (SQLite ``executemany``, PostgreSQL ``COPY``). If a batch
may hold rows already stored (a replay, a retry after an unclear commit), or the plain
insert meets a duplicate key, the batch is written again without the stored ids, so
rows and rollups are never counted twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final

import orjson
import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from predledger.ids import id_timestamp_micros
from predledger.ingest.hooks import BatchHook, default_batch_hooks
from predledger.ingest.records import KIND_PREDICTION, KIND_REQUEST
from predledger.ingest.rollups import Increments, aggregate_predictions, aggregate_sessions
from predledger.ingest.tables import TABLES, BatchColumns, Field, TableSpec, batch_columns
from predledger.store.dialect import (
    Dialect,
    RowsStatement,
    aware_timestamp,
    dialect_for,
    postgres_timestamps,
    sqlite_timestamps,
)

Records = list[dict[str, Any]]
EXISTS_CHUNK = 500
_KIND = itemgetter("k")

ROLLUP_COLUMNS = (
    "model_name", "model_version", "hour", "label", "status", "count", "cache_hits",
    "score_count", "score_sum", "value_count", "value_sum", "latency_count", "latency_sum",
    "latency_max", "first_at", "last_at",
)  # fmt: skip
BUCKET_COLUMNS = ("model_name", "model_version", "hour", "bucket", "count")
SESSION_COLUMNS = (
    "session_id", "client_ip", "user_agent", "first_seen", "last_seen", "request_count",
)  # fmt: skip


class DuplicateRowsError(Exception):
    """A plain insert met ids already stored; the batch must be deduplicated."""


@dataclass(frozen=True)
class _Part:
    """One kind's records of a batch, read into columns and put in the driver's form."""

    kind: str
    records: Records
    batch: BatchColumns
    wire: Any


@dataclass(frozen=True)
class _Prepared:
    """A batch made ready for its transaction by ``BulkWriter.prepare``."""

    records: Records
    parts: list[_Part]
    increments: Increments


class BulkWriter:
    """Writes batches of records through one pooled DBAPI connection."""

    def __init__(self, engine: Engine, hooks: Sequence[BatchHook] | None = None) -> None:
        self.engine = engine
        self.hooks = list(default_batch_hooks(engine) if hooks is None else hooks)
        self.dialect: Dialect = dialect_for(engine.dialect.name)
        self._connection: PoolProxiedConnection | None = None
        self._ready: dict[int, _Prepared] = {}
        self._ready_lock = threading.Lock()
        d = self.dialect
        self._rollup_sql = d.upsert_adding(
            "prediction_rollups", ROLLUP_COLUMNS, ROLLUP_COLUMNS[:5],
            add=ROLLUP_COLUMNS[5:13], greatest=("latency_max", "last_at"), least=("first_at",),
        )  # fmt: skip
        self._bucket_sql = d.upsert_adding(
            "prediction_latency_buckets", BUCKET_COLUMNS, BUCKET_COLUMNS[:4], add=("count",)
        )
        self._session_sql = d.upsert_adding(
            "user_sessions", SESSION_COLUMNS, ("session_id",), add=("request_count",),
            greatest=("last_seen",), least=("first_seen",), replace=("client_ip", "user_agent"),
        )  # fmt: skip

    def prepare(self, records: Records) -> None:
        """Turn a batch into what its statements send, ahead of its transaction.

        Called from another thread (the writer process's read-ahead) while this one
        writes the batch before: the next batch's rows, COPY text and rollups are built
        while the database works, instead of after it. ``write`` of the same list uses
        them; a batch it cannot be prepared for is built by ``write`` as usual.
        """
        try:
            parts, increments = self._parts(records)
        except Exception:  # write() meets the same problem, and reports or isolates it
            return
        with self._ready_lock:
            while len(self._ready) >= 3:  # never written (a failed batch): forget it
                del self._ready[next(iter(self._ready))]
            self._ready[id(records)] = _Prepared(records, parts, increments)

    def write(self, records: Records, *, dedupe: bool = False) -> int:
        """Store a batch in one transaction and return how many rows were new.

        Args:
            records: records of any kinds, as the journal holds them.
            dedupe: skip ids already stored (for replays and retries).
        """
        with self._ready_lock:
            prepared = self._ready.pop(id(records), None)
        if prepared is not None and (prepared.records is not records or dedupe):
            prepared = None
        try:
            return self._write_once(records, dedupe=dedupe, prepared=prepared)
        except DuplicateRowsError:
            return self._write_once(records, dedupe=True, prepared=None)

    def _parts(
        self,
        records: Records,
        without_stored: Callable[[TableSpec, Records], Records] | None = None,
    ) -> tuple[list[_Part], Increments]:
        """Each kind's records, their columns and wire form, and the batch's rollups."""
        parts: list[_Part] = []
        increments = Increments()
        for kind, group in _group_by_kind(records).items():
            spec = TABLES[kind]
            if without_stored is not None:
                group = without_stored(spec, group)
            if not group:
                continue
            batch = batch_columns(spec, group)
            parts.append(_Part(kind, group, batch, self._wire(batch)))
            if kind == KIND_PREDICTION:
                aggregate_predictions(batch, increments)
            elif kind == KIND_REQUEST:
                aggregate_sessions(group, increments)
        return parts, increments

    def _write_once(self, records: Records, *, dedupe: bool, prepared: _Prepared | None) -> int:
        connection = self._connect()
        raw: Any = connection.driver_connection
        new_predictions: Records = []
        inserted = 0
        try:
            self._begin(raw)
            if prepared is not None:
                parts, increments = prepared.parts, prepared.increments
            else:
                stored = (
                    (lambda spec, group: self._without_stored(raw, spec, group)) if dedupe else None
                )
                parts, increments = self._parts(records, stored)
            for part in parts:
                self._send(raw, part.batch, part.wire)
                inserted += len(part.records)
                if part.kind == KIND_PREDICTION:
                    new_predictions = part.records
            self._apply(raw, increments)
            for hook in self.hooks:
                hook(raw, self.dialect, new_predictions)
            raw.commit()
        except BaseException as exc:
            self._rollback(raw)
            if _is_duplicate_key(exc):
                raise DuplicateRowsError from exc
            raise
        return inserted

    def _connect(self) -> PoolProxiedConnection:
        if self._connection is None:
            self._connection = self.engine.raw_connection()
        return self._connection

    def discard_connection(self) -> None:
        """Drop the connection after an error, so the next batch reconnects."""
        connection, self._connection = self._connection, None
        if connection is not None:
            # A broken connection may fail to close too; it is discarded either way.
            with contextlib.suppress(Exception):
                connection.invalidate()

    def close(self) -> None:
        """Return the connection to the pool."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _rollback(self, raw: Any) -> None:
        try:
            raw.rollback()
        except Exception:
            self.discard_connection()

    def _begin(self, raw: Any) -> None:
        raise NotImplementedError

    def _wire(self, batch: BatchColumns) -> Any:
        """What ``_send`` sends for the batch, built without the connection."""
        raise NotImplementedError

    def _send(self, raw: Any, batch: BatchColumns, wire: Any) -> None:
        raise NotImplementedError

    def _stored_ids(self, raw: Any, spec: TableSpec, ids: Sequence[str]) -> set[str]:
        raise NotImplementedError

    def _without_stored(self, raw: Any, spec: TableSpec, group: Records) -> Records:
        stored: set[str] = set()
        for start in range(0, len(group), EXISTS_CHUNK):
            chunk = [r["id"] for r in group[start : start + EXISTS_CHUNK]]
            stored |= self._stored_ids(raw, spec, chunk)
        seen: set[str] = set()
        fresh = []
        for record in group:
            if record["id"] not in stored and record["id"] not in seen:
                seen.add(record["id"])
                fresh.append(record)
        return fresh

    def _apply(self, raw: Any, increments: Increments) -> None:
        ts = self.dialect.timestamp_param
        cursor = raw.cursor()
        try:
            if increments.rollups:
                self._rollup_sql.execute(cursor, [
                    (*key[:2], ts(key[2]), *key[3:], *acc[:9], ts(acc[9]), ts(acc[10]))
                    for key, acc in sorted(increments.rollups.items())
                ])  # fmt: skip
            if increments.buckets:
                self._bucket_sql.execute(cursor, [
                    (key[0], key[1], ts(key[2]), key[3], count)
                    for key, count in sorted(increments.buckets.items())
                ])  # fmt: skip
            if increments.sessions:
                self._session_sql.execute(cursor, [
                    (sid, acc[0], acc[1], ts(acc[2]), ts(acc[3]), acc[4])
                    for sid, acc in sorted(increments.sessions.items())
                ])  # fmt: skip
        finally:
            cursor.close()


# How large the write-ahead log may grow before the writer's commit copies it into the
# database. SQLite's default (1,000 pages, 4 MB at 4 KiB pages) is less than one batch, so
# every commit paid a checkpoint and its fsync; at 80 MB the writer ran 25-30% faster.
WRITER_WAL_CHECKPOINT_BYTES = 80 << 20


class SQLiteBulkWriter(BulkWriter):
    """SQLite: ``BEGIN IMMEDIATE`` then multi-row INSERTs of the batch's columns."""

    def __init__(self, engine: Engine, hooks: Sequence[BatchHook] | None = None) -> None:
        super().__init__(engine, hooks)
        self._inserts: dict[tuple[str, tuple[str, ...]], RowsStatement] = {}

    def _connect(self) -> PoolProxiedConnection:
        fresh = self._connection is None
        connection = super()._connect()
        if fresh:
            driver: Any = connection.driver_connection
            (page_size,) = driver.execute("PRAGMA page_size").fetchone()
            pages = WRITER_WAL_CHECKPOINT_BYTES // page_size
            driver.execute(f"PRAGMA wal_autocheckpoint = {pages}")
        return connection

    def _begin(self, raw: Any) -> None:
        raw.execute("BEGIN IMMEDIATE")

    def _wire(self, batch: BatchColumns) -> tuple[RowsStatement, list[Any]]:
        # Only the columns the batch gives values for: the driver looks up an adapter for
        # every None it binds (for a flag too, so flags go as 0 and 1), which cost more
        # than SQLite's own insert when most optional columns are empty.
        names: list[str] = []
        columns: list[list[Any]] = []
        for field, values in zip(batch.spec.fields, batch.values, strict=True):
            column = _sqlite_column(field, values, batch.count)
            if column is not None:
                names.append(field.column)
                columns.append(column)
        key = (batch.spec.table, tuple(names))
        statement = self._inserts.get(key)
        if statement is None:
            statement = self._inserts[key] = self.dialect.insert_rows(*key)
        return statement, statement.interleave(columns, batch.count)

    def _send(self, raw: Any, batch: BatchColumns, wire: Any) -> None:
        del batch  # the statement and values say it all
        statement, values = wire
        statement.execute_values(raw, values)

    def _stored_ids(self, raw: Any, spec: TableSpec, ids: Sequence[str]) -> set[str]:
        sql = f"SELECT id FROM {spec.table} WHERE id IN ({', '.join('?' * len(ids))})"
        return {row[0] for row in raw.execute(sql, list(ids))}


class PostgresBulkWriter(BulkWriter):
    """PostgreSQL: one ``COPY ... FROM STDIN`` of a text payload built for the whole batch."""

    def _begin(self, raw: Any) -> None:
        del raw  # psycopg opens the transaction with the first statement

    def _wire(self, batch: BatchColumns) -> tuple[list[str], bytes]:
        return copy_payload(batch)

    def _send(self, raw: Any, batch: BatchColumns, wire: Any) -> None:
        columns, payload = wire
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {batch.spec.table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            copy.write(payload)

    def _stored_ids(self, raw: Any, spec: TableSpec, ids: Sequence[str]) -> set[str]:
        # Every row the writers insert has created_at = its UUIDv7's time, so bounding the
        # time lets PostgreSQL look only in the partitions those ids can be in.
        times = [id_timestamp_micros(i) for i in ids]
        with raw.cursor() as cursor:
            cursor.execute(
                f"SELECT id::text FROM {spec.table} WHERE id = ANY(%s::uuid[])"
                " AND created_at BETWEEN %s AND %s",
                (list(ids), aware_timestamp(min(times)), aware_timestamp(max(times))),
            )
            return {row[0] for row in cursor.fetchall()}


def _sqlite_column(field: Field, values: list[Any] | None, count: int) -> list[Any] | None:
    if values is None:
        if field.default is None:
            return None
        values = [field.default] * count
    if field.kind == "time":
        return sqlite_timestamps(values)
    if field.kind == "flag":
        return list(map(int, values))
    if field.kind == "json":  # bound as text: SQLite would keep bytes as a BLOB
        if None in values:
            return [None if v is None else v.decode() for v in values]
        return list(map(bytes.decode, values))
    return values


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})
_COPY_NULL: Final = b"\\N"
_COPY_NULL_TEXT: Final = "\\N"
_COPY_FLAGS: Final = {True: b"t", False: b"f"}
_NUMBERS: Final = frozenset({int, float})
CopyColumn = list[bytes] | bytes  # one text per row, or one text for every row


def copy_payload(batch: BatchColumns) -> tuple[list[str], bytes]:
    """The columns to copy and the batch as the text of ``COPY ... FROM STDIN``, in bytes.

    A column no record gives and that has no default is left out (the table fills in
    NULL). Each other column becomes COPY text in a few C-level steps: one check for
    characters that need escaping, one ``orjson`` call for a column of numbers; the JSON
    inputs go in as the bytes the journal line held. A text column holding one value
    throughout (model, version, status), a defaulted column, and runs of such columns
    become one constant text. Then each row is one tab-join.
    """
    names: list[str] = []
    fields: list[CopyColumn] = []
    for field, values in zip(batch.spec.fields, batch.values, strict=True):
        if values is None and field.default is None:
            continue
        names.append(field.column)
        text = _copy_column(field, values)
        if isinstance(text, bytes) and fields and isinstance(fields[-1], bytes):
            fields[-1] = b"\t".join((fields[-1], text))
        else:
            fields.append(text)
    columns = [[f] * batch.count if isinstance(f, bytes) else f for f in fields]
    lines = list(map(b"\t".join, zip(*columns, strict=True)))
    lines.append(b"")  # the last line's newline, without copying the payload to add it
    return names, b"\n".join(lines)


def _copy_column(field: Field, values: list[Any] | None) -> CopyColumn:
    if values is None:
        return _copy_text(field.default).encode()
    if field.kind == "number":
        return _copy_numbers(values)
    if field.kind == "time":
        return _encoded(_nulls_marked(postgres_timestamps(values)))
    if field.kind == "flag":
        return list(map(_COPY_FLAGS.__getitem__, values))
    if field.kind == "json":
        return _copy_json(values)
    return _copy_texts(values)


def _copy_texts(values: list[Any]) -> CopyColumn:
    first = values[0]
    if type(first) is str and values.count(first) == len(values):
        return _copy_text(first).encode()
    try:
        joined = "".join(_without_nulls(values))
    except TypeError:  # a value that is not text: the general path
        return _encoded([_copy_text(v) for v in values])
    if _needs_escape(joined):
        return _encoded([_copy_text(v) for v in values])
    return _encoded(_nulls_marked(values))


def _copy_json(values: list[bytes | None]) -> list[bytes]:
    # orjson escaped every control character; only COPY's own escape needs doubling.
    present: list[bytes] = _without_nulls(values)
    if b"\\" in b"".join(present):
        return [_COPY_NULL if v is None else v.replace(b"\\", b"\\\\") for v in values]
    return [_COPY_NULL if v is None else v for v in values] if None in values else present


def _copy_numbers(values: list[Any]) -> list[bytes]:
    # orjson writes the shortest text that reads back as the same float, as repr does,
    # many times faster.
    if not _NUMBERS.issuperset(map(type, values)):  # None, bool, NumPy scalars...
        return _encoded([_copy_text(v) for v in values])
    try:
        text = orjson.dumps(values)
    except TypeError:  # an int beyond 64 bits
        return _encoded([_copy_text(v) for v in values])
    if b"null" in text:  # NaN or infinity, which JSON cannot hold
        return _encoded([_copy_text(v) for v in values])
    return text[1:-1].split(b",")


def _encoded(texts: list[str]) -> list[bytes]:
    """COPY texts as bytes, in one encode: escaped COPY text holds no raw newline."""
    return "\n".join(texts).encode().split(b"\n") if texts else []


def _without_nulls(values: list[Any]) -> list[Any]:
    return [v for v in values if v is not None] if None in values else values


def _nulls_marked(texts: list[Any]) -> list[str]:
    return [_COPY_NULL_TEXT if t is None else t for t in texts] if None in texts else texts


def _copy_text(value: Any) -> str:
    kind = type(value)
    if value is None:
        return _COPY_NULL_TEXT
    if kind is str:
        text: str = value
        return text.translate(_COPY_ESCAPES) if _needs_escape(text) else text
    if kind is bool:
        return "t" if value else "f"
    if kind is float:
        return repr(value)
    return str(value)


def _needs_escape(text: str) -> bool:
    return "\\" in text or "\t" in text or "\n" in text or "\r" in text or "\x00" in text


def _group_by_kind(records: Records) -> dict[str, Records]:
    kinds = set(map(_KIND, records))
    if len(kinds) == 1:
        return {kinds.pop(): records}
    groups: dict[str, Records] = {}
    for record in records:
        groups.setdefault(record["k"], []).append(record)
    return groups


def _is_duplicate_key(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(exc)


def build_bulk_writer(engine: Engine, hooks: Sequence[BatchHook] | None = None) -> BulkWriter:
    """The bulk writer for the engine's backend, with the default batch hooks unless given."""
    if engine.dialect.name == "sqlite":
        return SQLiteBulkWriter(engine, hooks)
    return PostgresBulkWriter(engine, hooks)
