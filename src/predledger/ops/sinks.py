"""File writers of exports: Parquet (pyarrow), CSV and JSON Lines, a page at a time."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, Table
from sqlalchemy.types import TypeDecorator, TypeEngine

Row = tuple[Any, ...]


class Sink:
    """Writes pages of rows, in the table's column order, to one file."""

    def __init__(self, table: Table) -> None:
        self.columns = [column.name for column in table.columns]
        self.json_columns = {
            i for i, column in enumerate(table.columns) if isinstance(_base(column.type), JSON)
        }

    def write(self, rows: Sequence[Row]) -> None:
        """Write one page."""
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file."""


def _base(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def arrow_type(kind: TypeEngine[Any]) -> pa.DataType:
    """The Arrow type a column of this SQL type is written as."""
    base = _base(kind)
    if isinstance(base, DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(base, Boolean):
        return pa.bool_()
    if isinstance(base, BigInteger):
        return pa.int64()
    if isinstance(base, Integer):
        return pa.int32()
    if isinstance(base, Float):
        return pa.float64()
    return pa.string()  # text, ids and JSON (as JSON text)


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


class ParquetSink(Sink):
    """One row group per page; see ``arrow_type`` for the column types."""

    def __init__(self, table: Table, path: Path) -> None:
        super().__init__(table)
        self.schema = pa.schema(
            [
                pa.field(column.name, arrow_type(column.type), column.nullable)
                for column in table.columns
            ]
        )
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows: Sequence[Row]) -> None:
        arrays = []
        for index, field in enumerate(self.schema):
            values = [row[index] for row in rows]
            if index in self.json_columns:
                values = [_json_text(value) for value in values]
            arrays.append(pa.array(values, type=field.type))
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self._writer.close()


class CsvSink(Sink):
    """A header line, then one line per row; empty for NULL, JSON columns as JSON text."""

    def __init__(self, table: Table, handle: IO[str]) -> None:
        super().__init__(table)
        self._writer = csv.writer(handle)
        self._writer.writerow(self.columns)

    def write(self, rows: Sequence[Row]) -> None:
        self._writer.writerows([self._cells(row) for row in rows])

    def _cells(self, row: Row) -> list[Any]:
        cells: list[Any] = []
        for index, value in enumerate(row):
            if value is None:
                cells.append("")
            elif index in self.json_columns:
                cells.append(_json_text(value))
            elif isinstance(value, datetime):
                cells.append(value.isoformat())
            elif isinstance(value, bool):
                cells.append("true" if value else "false")
            else:
                cells.append(value)
        return cells


class JsonLinesSink(Sink):
    """One JSON object per line; JSON columns stay JSON values."""

    def __init__(self, table: Table, handle: IO[bytes]) -> None:
        super().__init__(table)
        self._handle = handle

    def write(self, rows: Sequence[Row]) -> None:
        columns = self.columns
        option = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
        self._handle.write(
            b"".join(
                orjson.dumps(dict(zip(columns, row, strict=True)), option=option) for row in rows
            )
        )


@contextmanager
def open_sink(format: str, path: Path, table: Table) -> Iterator[Sink]:
    """A sink of the format writing ``path``; closed (and complete) when the block ends."""
    if format == "parquet":
        sink: Sink = ParquetSink(table, path)
        try:
            yield sink
        finally:
            sink.close()
    elif format == "csv":
        with open(path, "w", newline="", encoding="utf-8") as text_handle:
            yield CsvSink(table, text_handle)
    else:
        with open(path, "wb") as handle:
            yield JsonLinesSink(table, handle)
