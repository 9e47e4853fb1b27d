"""Adding datasets: check the file, profile its columns, keep a copy, record it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from os import PathLike
from pathlib import Path

from predledger.datasets.models import Dataset
from predledger.datasets.profiling import profile_columns
from predledger.datasets.reading import dataset_format, read_dataset
from predledger.datasets.schemas import DatasetPublic
from predledger.datasets.storage import dataset_file, resolve_data_dir
from predledger.errors import InvalidRecordError
from predledger.ids import id_created_at, new_id
from predledger.store.engine import Store


def add_dataset(
    store: Store,
    path: str | PathLike[str],
    *,
    name: str,
    description: str | None = None,
    file_format: str | None = None,
    original_name: str | None = None,
    data_dir: str | PathLike[str] | None = None,
) -> DatasetPublic:
    """Add a CSV or Parquet file as a dataset and return it.

    The file is checked and profiled first; a copy goes under the data folder as
    ``datasets/<id>.<format>``, then the row is recorded (the copy is removed if that fails).

    Args:
        store: the database.
        path: the file to add.
        name: a name for people; several datasets may share one (versions of a dataset).
        description: free text.
        file_format: ``csv`` or ``parquet``; default from the file's suffix.
        original_name: the uploaded file's own name (default: ``path``'s name).
        data_dir: the data folder (default ``PREDLEDGER_DATA_DIR`` or ``.predledger/data``).

    Raises:
        InvalidRecordError: the name is empty, the file is not CSV or Parquet, or has bad
            rows (the message names the row and column).
    """
    source = Path(path)
    if not name.strip() or len(name) > 200:
        raise InvalidRecordError("name", "must be 1 to 200 characters")
    if not source.is_file():
        raise InvalidRecordError("file", f"{str(source)!r} does not exist")
    chosen = dataset_format(Path(original_name or source.name), file_format)
    frame = read_dataset(source, chosen)
    dataset_id = new_id()[0]
    file_name = f"{dataset_id}.{chosen}"
    target = dataset_file(resolve_data_dir(data_dir), file_name)
    digest = _copy_with_digest(source, target)
    row = Dataset(
        id=dataset_id, name=name.strip(), description=description, file_format=chosen,
        file_name=file_name, original_name=original_name or source.name,
        size_bytes=target.stat().st_size, sha256=digest, row_count=len(frame),
        column_count=len(frame.columns), columns=profile_columns(frame),
        created_at=id_created_at(dataset_id),
    )  # fmt: skip
    try:
        with store.transaction() as session:
            session.add(row)
            session.flush()
            return DatasetPublic.model_validate(row)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _copy_with_digest(source: Path, target: Path) -> str:
    """Copy a file next to its final place, then rename it there; return its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with open(source, "rb") as reader, os.fdopen(handle, "wb") as writer:
            while chunk := reader.read(1 << 20):
                digest.update(chunk)
                writer.write(chunk)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return digest.hexdigest()
