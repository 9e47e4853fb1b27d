"""``/v1/jobs``: start a batch-scoring job, follow its progress, read its result."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from predledger.api.deps import LedgerDep, SessionDep
from predledger.jobs.queries import get_job, list_jobs
from predledger.jobs.schemas import JobPublic, ScoringJobCreate
from predledger.jobs.scoring import queue_scoring_job, start_scoring_job

router = APIRouter(tags=["jobs"])


@router.post(
    "/v1/jobs",
    status_code=202,
    summary="Score a dataset in the background",
    responses={404: {"description": "No such dataset or scorer."}},
)
def create_scoring_job(body: ScoringJobCreate, ledger: LedgerDep) -> JobPublic:
    """Queue the job and start it; poll ``GET /v1/jobs/{id}`` for progress and result."""
    job = queue_scoring_job(
        ledger.store, dataset_id=body.dataset_id, scorer=body.scorer, model=body.model,
        version=body.version,
    )  # fmt: skip
    start_scoring_job(ledger.store, ledger, job, chunk_size=body.chunk_size)
    return job


@router.get(
    "/v1/jobs/{job_id}",
    summary="A job's status, progress and result",
    responses={404: {"description": "No job has this id."}},
)
def read_job(
    session: SessionDep, job_id: Annotated[str, Path(description="The job's id.")]
) -> JobPublic:
    """The job, with ``progress`` from 0 to 1."""
    return get_job(session, job_id)


@router.get("/v1/jobs", summary="Jobs, newest first")
def read_jobs(
    session: SessionDep,
    status: Annotated[Literal["queued", "running", "succeeded", "failed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[JobPublic]:
    """Recent jobs."""
    return list_jobs(session, status=status, limit=limit)
