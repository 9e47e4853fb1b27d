"""``/v1/datasets``: upload a CSV or Parquet dataset (multipart), list them, read one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from predledger.api.deps import LedgerDep, SessionDep
from predledger.datasets.queries import get_dataset, list_datasets
from predledger.datasets.schemas import DatasetPublic
from predledger.datasets.service import add_dataset
from predledger.datasets.storage import resolve_data_dir, stage_upload

router = APIRouter(tags=["datasets"])


@router.post(
    "/v1/datasets",
    status_code=201,
    summary="Upload a CSV or Parquet dataset",
    responses={422: {"description": "Not CSV or Parquet, or bad rows (named by row and column)."}},
)
def upload_dataset(
    ledger: LedgerDep,
    file: Annotated[UploadFile, File(description="A .csv or .parquet file.")],
    name: Annotated[str | None, Form(description="Default: the file's name.")] = None,
    description: Annotated[str | None, Form()] = None,
) -> DatasetPublic:
    """Check the file, profile its columns and keep it; answer with its id and statistics."""
    data_dir = resolve_data_dir()
    staged = stage_upload(file.file, data_dir)
    try:
        return add_dataset(
            ledger.store, staged, name=name or file.filename or "upload",
            description=description, original_name=file.filename or staged.name,
            data_dir=data_dir,
        )  # fmt: skip
    finally:
        staged.unlink(missing_ok=True)


@router.get("/v1/datasets", summary="Datasets, newest first")
def read_datasets(
    session: SessionDep,
    name: Annotated[str | None, Query(description="Only datasets of this name.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DatasetPublic]:
    """Uploaded datasets with their column statistics."""
    return list_datasets(session, name=name, limit=limit)


@router.get(
    "/v1/datasets/{dataset_id}",
    summary="One dataset",
    responses={404: {"description": "No dataset has this id."}},
)
def read_dataset(
    session: SessionDep, dataset_id: Annotated[str, Path(description="The dataset's id.")]
) -> DatasetPublic:
    """A dataset: file, size, checksum, rows and column statistics."""
    return get_dataset(session, dataset_id)
