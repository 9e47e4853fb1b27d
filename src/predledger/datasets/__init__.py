"""Uploaded datasets: CSV or Parquet files kept with their column statistics.

    add_dataset(store, path, name=...)       check, profile, keep a copy, record it
    get_dataset / find_dataset / list_datasets(session, ...)
    load_dataset_frame(store, dataset_id)    a pandas DataFrame (a registry reference too)

Names resolve on first use: ``predledger.store.schema`` imports this package's models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from predledger.datasets.queries import (
        find_dataset,
        get_dataset,
        list_datasets,
        load_dataset_frame,
    )
    from predledger.datasets.schemas import DatasetPublic
    from predledger.datasets.service import add_dataset

_HOMES = {
    "add_dataset": "service",
    "DatasetPublic": "schemas",
    "find_dataset": "queries",
    "get_dataset": "queries",
    "list_datasets": "queries",
    "load_dataset_frame": "queries",
}

__all__ = [
    "DatasetPublic",
    "add_dataset",
    "find_dataset",
    "get_dataset",
    "list_datasets",
    "load_dataset_frame",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
