"""The SQL text and wire formats where SQLite and PostgreSQL differ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any, Final

_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = 1_000_000
_INTS: Final = frozenset({int})


@lru_cache(maxsize=4096)
def _second_text(seconds: int) -> str:
    return (_EPOCH_NAIVE + timedelta(seconds=seconds)).isoformat(" ")


def sqlite_timestamp(micros: int) -> str:
    """The text SQLAlchemy's SQLite DateTime type writes for a UTC instant."""
    return _timestamp_text(micros, "")


def postgres_timestamp(micros: int) -> str:
    """A ``timestamptz`` literal for COPY."""
    return _timestamp_text(micros, "+00")


def sqlite_timestamps(micros: list[int | None]) -> list[str | None]:
    """``sqlite_timestamp`` of many instants at once; ``None`` stays ``None``."""
    return _timestamp_texts(micros, "")


def postgres_timestamps(micros: list[int | None]) -> list[str | None]:
    """``postgres_timestamp`` of many instants at once; ``None`` stays ``None``."""
    return _timestamp_texts(micros, "+00")


def _timestamp_text(micros: int, suffix: str) -> str:
    seconds, fraction = divmod(micros, _SECOND)
    return f"{_second_text(seconds)}.{fraction:06d}{suffix}"


def _timestamp_texts(micros: list[int | None], suffix: str) -> list[str | None]:
    if not _past_first_second(micros):
        return [None if m is None else _timestamp_text(m, suffix) for m in micros]
    whole: list[int] = micros  # type: ignore[assignment]  # ints only, checked above
    # A batch spans a few seconds: each second's text is made once, and an instant's
    # microseconds are the last six digits of its decimal text (it is past 1970-01-01
    # 00:00:01), cheaper to take than divmod and a format.
    heads = {s: f"{_second_text(s)}." for s in {m // _SECOND for m in whole}}
    if suffix:
        return [f"{heads[m // _SECOND]}{str(m)[-6:]}{suffix}" for m in whole]
    return [heads[m // _SECOND] + str(m)[-6:] for m in whole]


def _past_first_second(micros: list[Any]) -> bool:
    """Whether every value is an ``int`` (no ``None``) from 1970-01-01 00:00:01 on."""
    return bool(micros) and _INTS.issuperset(map(type, micros)) and min(micros) >= _SECOND


def aware_timestamp(micros: int) -> datetime:
    """An aware UTC datetime, for driver parameters."""
    return _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True)
class RowsStatement:
    """An INSERT of many rows per statement: ``head``, one ``row`` per row, then ``tail``.

    Few long statements rather than one per row (``executemany``): each call into the
    driver lets go of the GIL and must wait to get it back, so a writer thread that made
    one call per row would crawl beside a busy request thread.
    """

    head: str
    row: str
    tail: str
    width: int
    max_parameters: int

    def execute(self, cursor: Any, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` (tuples of ``width`` values) in as few statements as the driver takes."""
        self.execute_values(cursor, list(chain.from_iterable(rows)))

    def interleave(self, columns: Sequence[list[Any] | None], count: int) -> list[Any]:
        """``count`` rows given column by column, as one row after another; ``None`` is NULL."""
        width = self.width
        values: list[Any] = [None] * (count * width)
        for i, column in enumerate(columns):
            if column is not None:
                values[i::width] = column  # each column's values in place, in one C-level step
        return values

    def execute_values(self, cursor: Any, values: list[Any]) -> None:
        """Run the statement over ``values``, the rows' values one row after another."""
        per_statement = max(1, self.max_parameters // self.width) * self.width
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            rows = ", ".join([self.row] * (len(chunk) // self.width))
            cursor.execute(f"{self.head} {rows} {self.tail}", chunk)


class Dialect:
    """SQL fragments for one backend."""

    name = ""
    greatest = "MAX"
    least = "MIN"
    # The most bound parameters one statement may carry.
    max_parameters = 32_766

    def insert_rows(self, table: str, columns: Sequence[str]) -> RowsStatement:
        """A plain many-row INSERT into ``table``."""
        return RowsStatement(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES",
            f"({self.placeholders(len(columns))})", "", len(columns), self.max_parameters,
        )  # fmt: skip

    def placeholders(self, count: int) -> str:
        """``count`` parameter markers separated by commas."""
        raise NotImplementedError

    def timestamp_param(self, micros: int) -> Any:
        """A timestamp as the driver wants it as a bound parameter."""
        raise NotImplementedError

    def upsert_adding(
        self,
        table: str,
        columns: tuple[str, ...],
        key: tuple[str, ...],
        *,
        add: tuple[str, ...] = (),
        greatest: tuple[str, ...] = (),
        least: tuple[str, ...] = (),
        replace: tuple[str, ...] = (),
    ) -> RowsStatement:
        """A many-row INSERT that, on a key conflict, adds, maximises, minimises or replaces.

        The rows of one call must have distinct keys (PostgreSQL refuses to update a row
        twice in one statement).
        """
        sets = [f"{c} = {table}.{c} + excluded.{c}" for c in add]
        sets += [f"{c} = {self.greatest}({table}.{c}, excluded.{c})" for c in greatest]
        sets += [f"{c} = {self.least}({table}.{c}, excluded.{c})" for c in least]
        sets += [f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in replace]
        plain = self.insert_rows(table, columns)
        tail = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(sets)}"
        return RowsStatement(plain.head, plain.row, tail, plain.width, plain.max_parameters)


class SQLiteDialect(Dialect):
    """SQLite: ``?`` markers, scalar MAX/MIN, timestamps as SQLAlchemy's text."""

    name = "sqlite"

    def placeholders(self, count: int) -> str:
        return ", ".join("?" * count)

    def timestamp_param(self, micros: int) -> Any:
        return sqlite_timestamp(micros)


class PostgresDialect(Dialect):
    """PostgreSQL: ``%s`` markers, GREATEST/LEAST, aware datetimes."""

    name = "postgresql"
    greatest = "GREATEST"
    least = "LEAST"
    max_parameters = 65_535

    def placeholders(self, count: int) -> str:
        return ", ".join(["%s"] * count)

    def timestamp_param(self, micros: int) -> Any:
        return aware_timestamp(micros)


def dialect_for(name: str) -> Dialect:
    """The dialect helper for a backend name."""
    return SQLiteDialect() if name == "sqlite" else PostgresDialect()
