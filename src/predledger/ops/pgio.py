"""PostgreSQL's tools and COPY streams, for backup and restore.

``pg_dump`` and ``pg_restore`` get the connection through libpq's environment variables
(``PGHOST``, ``PGPASSWORD``, ...), so a password never shows on a command line.

Restore reads a dump's data through ``pg_restore --data-only`` as SQL text and feeds each
``COPY`` block to the target through psycopg, naming the tables without their schema: the
target's search path decides where they go, so a dump of one schema restores into another.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import URL

from predledger.errors import BackupError

COPY_CHUNK = 1 << 20
_COPY_HEADER = re.compile(rb'^COPY (?:"?[^\s."]+"?\.)?"?(\w+)"? \((.*)\) FROM stdin;\s*$')
_END_OF_COPY = b"\\.\n"
_LIBPQ_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
}


def pg_tool(name: str) -> str | None:
    """The path of ``pg_dump`` or ``pg_restore``, or ``None`` when it is not installed."""
    return shutil.which(name)


def libpq_environment(url: URL) -> dict[str, str]:
    """The libpq environment variables that connect to the URL's database."""
    env = {"PGDATABASE": url.database or "", "PGCONNECT_TIMEOUT": "10"}
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username)):
        if value is not None:
            env[key] = str(value)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    for key, name in _LIBPQ_QUERY_ENV.items():
        given = url.query.get(key)
        if isinstance(given, str):
            env[name] = given
    return env


def run_pg_dump(url: URL, *, snapshot: str, relations: Iterable[str], out: Path) -> None:
    """Dump the named relations, in the exported snapshot, to ``out`` (custom format).

    Partitions load through their root table, so a restore may lay out partitions anew.

    Raises:
        BackupError: ``pg_dump`` failed; the message carries its first line of error.
    """
    tool = pg_tool("pg_dump")
    if tool is None:
        raise BackupError(
            "pg_dump is not installed: install the PostgreSQL client, or use --method logical"
        )
    args = [tool, "--format=custom", "--load-via-partition-root", f"--snapshot={snapshot}"]
    for relation in relations:
        args += ["--table", relation]
    _run([*args, "--file", str(out)], url, what="pg_dump", hint="or back up with --method logical")


def list_dump(path: Path) -> bool:
    """Check that ``pg_restore`` can read a dump's table of contents.

    Returns:
        False when ``pg_restore`` is not installed (nothing was checked).

    Raises:
        BackupError: it cannot read it.
    """
    tool = pg_tool("pg_restore")
    if tool is None:
        return False
    _run([tool, "--list", str(path)], None, what="pg_restore --list", hint="the dump is damaged")
    return True


def _run(args: list[str], url: URL | None, *, what: str, hint: str) -> None:
    env = {**_base_environment(), **(libpq_environment(url) if url is not None else {})}
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise BackupError(f"{what} failed: {first} ({hint})")


def _base_environment() -> dict[str, str]:
    # Only the path and locale pass through: libpq settings come from the URL alone.
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")
    return {key: os.environ[key] for key in keep if key in os.environ}


def dump_copy_blocks(path: Path) -> Iterator[tuple[str, list[str], Iterator[bytes]]]:
    """Each ``COPY`` block of a dump's data: the table, its columns and its data lines.

    Consume each block's lines before asking for the next block.

    Raises:
        BackupError: ``pg_restore`` is missing or fails.
    """
    tool = pg_tool("pg_restore")
    if tool is None:
        raise BackupError(
            "pg_restore is not installed: install the PostgreSQL client to restore a pg_dump backup"
        )
    process = subprocess.Popen(
        [tool, "--data-only", "--file", "-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_base_environment(),
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        for line in process.stdout:
            header = _COPY_HEADER.match(line)
            if header is None:
                continue
            columns = [c.strip().strip('"') for c in header[2].decode().split(",")]
            yield header[1].decode(), columns, _block_lines(process.stdout)
        error = process.stderr.read().decode(errors="replace").strip()
    finally:
        process.stdout.close()
        process.wait()
        process.stderr.close()
    if process.returncode != 0:
        raise BackupError(f"pg_restore failed: {(error.splitlines() or ['?'])[0]}")


def _block_lines(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        if line == _END_OF_COPY:
            return
        yield line
    raise BackupError("the dump ends inside a table's data: it is damaged")


def copy_in(raw: Any, table: str, columns: list[str], lines: Iterable[bytes]) -> None:
    """Load COPY text lines into ``table`` through a psycopg connection."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        buffer: list[bytes] = []
        size = 0
        for line in lines:
            buffer.append(line)
            size += len(line)
            if size >= COPY_CHUNK:
                copy.write(b"".join(buffer))
                buffer, size = [], 0
        if buffer:
            copy.write(b"".join(buffer))


def copy_out(raw: Any, table: str, out: Path) -> tuple[int, list[str]]:
    """Write ``table``'s rows as gzipped COPY text; return the rows and the columns."""
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} LIMIT 0")
        columns = [column.name for column in cursor.description or ()]
        rows = 0
        with (
            gzip.open(out, "wb", compresslevel=3) as handle,
            cursor.copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as copy,
        ):
            for data in copy:
                chunk = bytes(data)
                rows += chunk.count(b"\n")
                handle.write(chunk)
    return rows, columns


def gzip_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of a gzipped stream."""
    with gzip.open(stream, "rb") as handle:
        yield from handle
