"""The SQL text and wire formats where SQLite and PostgreSQL differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sqlite_timestamp(micros: int) -> str:
    """The text SQLAlchemy's SQLite DateTime type writes for a UTC instant."""
    return (_EPOCH_NAIVE + timedelta(microseconds=micros)).isoformat(" ", "microseconds")


def postgres_timestamp(micros: int) -> str:
    """A ``timestamptz`` literal for COPY."""
    return (_EPOCH_NAIVE + timedelta(microseconds=micros)).isoformat(" ", "microseconds") + "+00"


def aware_timestamp(micros: int) -> datetime:
    """An aware UTC datetime, for driver parameters."""
    return _EPOCH + timedelta(microseconds=micros)


class Dialect:
    """SQL fragments for one backend."""

    name = ""
    greatest = "MAX"
    least = "MIN"

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
    ) -> str:
        """An INSERT that, on a key conflict, adds, maximises, minimises or replaces."""
        sets = [f"{c} = {table}.{c} + excluded.{c}" for c in add]
        sets += [f"{c} = {self.greatest}({table}.{c}, excluded.{c})" for c in greatest]
        sets += [f"{c} = {self.least}({table}.{c}, excluded.{c})" for c in least]
        sets += [f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in replace]
        values = self.placeholders(len(columns))
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(sets)}"
        )


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

    def placeholders(self, count: int) -> str:
        return ", ".join(["%s"] * count)

    def timestamp_param(self, micros: int) -> Any:
        return aware_timestamp(micros)


def dialect_for(name: str) -> Dialect:
    """The dialect helper for a backend name."""
    return SQLiteDialect() if name == "sqlite" else PostgresDialect()
