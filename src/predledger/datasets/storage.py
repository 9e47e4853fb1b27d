"""Where uploaded dataset files live: ``<data dir>/datasets/<file name>``.

The data folder is ``PREDLEDGER_DATA_DIR``, or ``.predledger/data`` in the current folder.
The ``datasets`` table keeps file names relative to it, so a data folder can move (or be
restored from a backup elsewhere) without touching the database.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from predledger.errors import InvalidRecordError

ENV_DATA_DIR = "PREDLEDGER_DATA_DIR"
ENV_MAX_UPLOAD_BYTES = "PREDLEDGER_MAX_UPLOAD_BYTES"
DEFAULT_DATA_DIR = ".predledger/data"
DEFAULT_MAX_UPLOAD_BYTES = 1 << 30


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: the argument, ``PREDLEDGER_DATA_DIR`` or ``.predledger/data``."""
    chosen = data_dir if data_dir is not None else os.environ.get(ENV_DATA_DIR)
    return Path(chosen or DEFAULT_DATA_DIR)


def dataset_file(data_dir: Path, file_name: str) -> Path:
    """The path of a stored dataset file."""
    return data_dir / "datasets" / file_name


def stage_upload(stream: BinaryIO, data_dir: Path, *, max_bytes: int | None = None) -> Path:
    """Copy an upload to a private file under ``<data dir>/uploads`` and return its path.

    The caller removes it once read. Raises ``InvalidRecordError`` past ``max_bytes``
    (default ``PREDLEDGER_MAX_UPLOAD_BYTES`` or 1 GiB).
    """
    limit = (
        max_bytes
        if max_bytes is not None
        else int(os.environ.get(ENV_MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOAD_BYTES))
    )
    folder = data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(handle, "wb") as staged:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise InvalidRecordError(
                        "file", f"is larger than {limit:,} bytes: raise {ENV_MAX_UPLOAD_BYTES}"
                    )
                staged.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
