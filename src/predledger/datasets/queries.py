"""Reading datasets: one by id, the newest, and a dataset's rows as a DataFrame."""

from __future__ import annotations

import uuid
from os import PathLike
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.datasets.models import Dataset
from predledger.datasets.reading import load_frame
from predledger.datasets.schemas import DatasetPublic
from predledger.datasets.storage import dataset_file, resolve_data_dir
from predledger.errors import NotFoundError
from predledger.store.engine import Store

MAX_LIST = 1000


def find_dataset(session: Session, dataset_id: str) -> DatasetPublic | None:
    """The dataset with this id, or ``None``."""
    key = _normalise(dataset_id)
    row = None if key is None else session.get(Dataset, key)
    return None if row is None else DatasetPublic.model_validate(row)


def get_dataset(session: Session, dataset_id: str) -> DatasetPublic:
    """The dataset with this id.

    Raises:
        NotFoundError: there is none; the message says how to list them.
    """
    found = find_dataset(session, dataset_id)
    if found is None:
        raise NotFoundError(
            f"no dataset has id {dataset_id!r}: `predledger datasets list` shows them"
        )
    return found


def list_datasets(
    session: Session, *, name: str | None = None, limit: int = 100
) -> list[DatasetPublic]:
    """Datasets, newest first (only those called ``name`` when given)."""
    query = select(Dataset).order_by(Dataset.created_at.desc(), Dataset.id.desc())
    if name is not None:
        query = query.where(Dataset.name == name)
    rows = session.scalars(query.limit(min(limit, MAX_LIST)))
    return [DatasetPublic.model_validate(row) for row in rows]


def load_dataset_frame(
    store: Store, dataset_id: str, *, data_dir: str | PathLike[str] | None = None
) -> Any:
    """A dataset's rows as a pandas DataFrame (usable as a registry reference dataset).

    Raises:
        NotFoundError: no such dataset, or its file is missing from the data folder.
    """
    with store.transaction() as session:
        dataset = get_dataset(session, dataset_id)
    path = dataset_file(resolve_data_dir(data_dir), dataset.file_name)
    if not path.is_file():
        raise NotFoundError(
            f"the file of dataset {dataset.id} ({dataset.file_name}) is not in {path.parent}: "
            "set PREDLEDGER_DATA_DIR (or --data-dir) to the data folder, or restore it "
            "from a backup"
        )
    return load_frame(path, dataset.file_format)


def _normalise(dataset_id: str) -> str | None:
    try:
        return str(uuid.UUID(dataset_id.strip()))
    except ValueError:
        return None
