"""Shapes of jobs going in and coming out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

JobStatus = Literal["queued", "running", "succeeded", "failed"]


class ScoringJobCreate(BaseModel):
    """A batch-scoring job to start: which dataset, through which scorer, logged as what."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    dataset_id: str = Field(min_length=1, description="The dataset to score.")
    scorer: str = Field(
        min_length=1,
        max_length=300,
        description="A registered scorer's name, `demo:<model>`, or `package.module:function`.",
    )
    model: str = Field(min_length=1, max_length=200, description="Model name to log under.")
    version: str = Field(min_length=1, max_length=100, description="Model version to log under.")
    chunk_size: int = Field(default=5000, ge=1, le=100_000, description="Rows per scorer call.")


class JobPublic(BaseModel):
    """A job: its status, progress and, once finished, result or error."""

    model_config = ConfigDict(from_attributes=True, protected_namespaces=())

    id: str
    kind: str
    status: JobStatus
    dataset_id: str | None
    model_name: str | None
    model_version: str | None
    scorer: str | None
    batch_id: str | None
    total_rows: int | None
    processed_rows: int
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress(self) -> float:
        """Share of the rows processed, 0 to 1."""
        if self.status == "succeeded":
            return 1.0
        if not self.total_rows:
            return 0.0
        return min(1.0, self.processed_rows / self.total_rows)
