"""The backup bundle: one tar file holding the data files and ``manifest.json``.

The manifest says what the bundle holds and how to check it: the backend and method, the
schema revision, the rows of every table (counted in the same snapshot the data came
from), each file's size and SHA-256, and, on PostgreSQL, the days that had partitions.

Members, by method:

- ``sqlite-backup``: ``database.sqlite``, a copy made by SQLite's online backup API;
- ``pg_dump``: ``database.dump``, ``pg_dump --format=custom`` of predledger's tables;
- ``logical``: ``tables/<table>.copy.gz``, each table in PostgreSQL's COPY text format;
- any: ``datasets/<file>``, the files of uploaded datasets.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from predledger.errors import BackupError

FORMAT = "predledger-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
DUMP_MEMBER = "database.dump"
TABLES_DIR = "tables/"
DATASETS_DIR = "datasets/"


@dataclass
class FileEntry:
    """One member of the bundle."""

    bytes: int
    sha256: str


@dataclass
class TableEntry:
    """One table: its rows in the snapshot and (logical method) its columns, in order."""

    rows: int
    columns: list[str] | None = None


@dataclass
class Manifest:
    """What a backup holds; written as ``manifest.json`` in the bundle."""

    backend: str
    method: str
    source: str
    created_at: str
    schema_revision: str | None
    predledger_version: str
    tables: dict[str, TableEntry] = field(default_factory=dict)
    files: dict[str, FileEntry] = field(default_factory=dict)
    partitions: dict[str, list[str]] = field(default_factory=dict)
    pg_schema: str | None = None
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def total_rows(self) -> int:
        """Rows in every table together."""
        return sum(t.rows for t in self.tables.values())

    def to_json(self) -> bytes:
        """The manifest as indented JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes, *, where: str) -> Manifest:
        """Read a manifest; ``where`` names the bundle in errors.

        Raises:
            BackupError: it is not a predledger backup manifest.
        """
        try:
            raw: dict[str, Any] = json.loads(data)
            if raw.get("format") != FORMAT:
                raise ValueError("not a predledger backup")
            if int(raw.get("format_version", 0)) > FORMAT_VERSION:
                raise BackupError(
                    f"{where} was written by a newer predledger (backup format "
                    f"{raw['format_version']}): restore it with that version"
                )
            raw["tables"] = {k: TableEntry(**v) for k, v in raw.get("tables", {}).items()}
            raw["files"] = {k: FileEntry(**v) for k, v in raw.get("files", {}).items()}
            return cls(**raw)
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupError(
                f"{where} has no valid {MANIFEST} ({exc}): it is not a predledger backup "
                "or it is damaged"
            ) from exc


def file_entry(path: Path) -> FileEntry:
    """Size and SHA-256 of a file."""
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return FileEntry(bytes=path.stat().st_size, sha256=digest)


def write_bundle(out: Path, manifest: Manifest, members: dict[str, Path]) -> None:
    """Write the tar bundle atomically: members first, the manifest last.

    The checksums are computed here, from the files as they go into the bundle.
    """
    partial = out.with_name(out.name + ".partial")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(partial, "w") as bundle:
            for name, path in members.items():
                manifest.files[name] = file_entry(path)
                bundle.add(path, arcname=name, recursive=False)
            data = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def open_bundle(path: Path) -> tuple[tarfile.TarFile, Manifest]:
    """Open a bundle and read its manifest (close the tar file when done).

    Raises:
        BackupError: the file is missing, not a tar file, or has no manifest.
    """
    if not path.is_file():
        raise BackupError(f"backup file {str(path)!r} does not exist")
    try:
        bundle = tarfile.open(path, "r")  # noqa: SIM115 - returned open to the caller
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(
            f"{str(path)!r} is not a predledger backup (not a tar file: {exc})"
        ) from exc
    try:
        member = bundle.extractfile(MANIFEST)
        if member is None:
            raise KeyError(MANIFEST)
        return bundle, Manifest.from_json(member.read(), where=repr(str(path)))
    except KeyError as exc:
        bundle.close()
        raise BackupError(
            f"{str(path)!r} has no {MANIFEST}: it is not a predledger backup or it was cut short"
        ) from exc
    except BaseException:
        bundle.close()
        raise


def check_members(bundle: tarfile.TarFile, manifest: Manifest, *, where: str) -> None:
    """Check every file the manifest lists: present, same size, same SHA-256.

    Raises:
        BackupError: naming the first file that differs.
    """
    for name, entry in manifest.files.items():
        try:
            member = bundle.extractfile(name)
        except KeyError:
            member = None
        if member is None:
            raise BackupError(f"{where} lacks {name}, which its manifest lists: it is incomplete")
        digest = hashlib.sha256()
        while chunk := member.read(1 << 20):
            digest.update(chunk)
        if digest.hexdigest() != entry.sha256:
            raise BackupError(
                f"{where}: {name} does not match its checksum: the file is damaged, "
                "use another backup"
            )


def extract_member(bundle: tarfile.TarFile, name: str, to: Path) -> Path:
    """Copy one member out of the bundle to the file ``to``."""
    member = bundle.extractfile(name)
    if member is None:
        raise BackupError(f"the backup lacks {name}")
    with open(to, "wb") as handle:
        while chunk := member.read(1 << 20):
            handle.write(chunk)
    return to
