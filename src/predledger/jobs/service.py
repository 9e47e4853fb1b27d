"""Writing jobs: create, start, count progress, finish or fail. The caller commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, update
from sqlalchemy.orm import Session

from predledger.errors import ConflictError, NotFoundError
from predledger.ids import id_created_at, new_id
from predledger.jobs.models import Job
from predledger.jobs.schemas import JobPublic


def create_job(
    session: Session,
    *,
    kind: str,
    dataset_id: str | None = None,
    model_name: str | None = None,
    model_version: str | None = None,
    scorer: str | None = None,
) -> JobPublic:
    """Record a queued job; its id is also the ``batch_id`` of what it logs."""
    job_id = new_id()[0]
    created = id_created_at(job_id)
    job = Job(
        id=job_id, kind=kind, status="queued", dataset_id=dataset_id, model_name=model_name,
        model_version=model_version, scorer=scorer, batch_id=job_id, processed_rows=0,
        created_at=created, updated_at=created,
    )  # fmt: skip
    session.add(job)
    session.flush()
    return JobPublic.model_validate(job)


def start_job(session: Session, job_id: str, *, total_rows: int) -> JobPublic:
    """Mark a queued job running.

    Raises:
        ConflictError: the job is not queued (it ran already).
    """
    now = datetime.now(UTC)
    changed = _update(
        session, job_id, Job.status == "queued",
        status="running", total_rows=total_rows, started_at=now, updated_at=now,
    )  # fmt: skip
    job = _job(session, job_id)
    if not changed:
        raise ConflictError(f"job {job_id} is {job.status}, not queued: start a new job")
    return JobPublic.model_validate(job)


def record_progress(session: Session, job_id: str, *, processed_rows: int) -> None:
    """Update how many rows a running job has processed."""
    _update(session, job_id, processed_rows=processed_rows, updated_at=datetime.now(UTC))


def finish_job(session: Session, job_id: str, *, result: dict[str, Any]) -> JobPublic:
    """Mark a job succeeded with its result."""
    return _end(session, job_id, status="succeeded", result=result, error=None)


def fail_job(session: Session, job_id: str, *, error: str) -> JobPublic:
    """Mark a job failed with a one-line reason."""
    return _end(session, job_id, status="failed", result=None, error=error)


# A running job reports progress after every chunk; this long without a report, the
# process running it has stopped (a killed or restarted service).
STALE_AFTER = timedelta(minutes=30)


def fail_stale_jobs(
    session: Session, *, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> int:
    """Mark failed the running jobs that stopped reporting progress; returns how many."""
    now = now or datetime.now(UTC)
    minutes = int(stale_after.total_seconds() // 60)
    statement = (
        update(Job)
        .where(Job.status == "running", Job.updated_at < now - stale_after)
        .values(
            status="failed", finished_at=now, updated_at=now,
            error=f"no progress for {minutes} minutes: the process running it stopped; "
            "queue the job again",
        )
    )  # fmt: skip
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)


def _end(
    session: Session, job_id: str, *, status: str, result: dict[str, Any] | None, error: str | None
) -> JobPublic:
    now = datetime.now(UTC)
    _update(
        session, job_id, status=status, result=result, error=error, finished_at=now,
        updated_at=now,
    )  # fmt: skip
    return JobPublic.model_validate(_job(session, job_id))


def _update(session: Session, job_id: str, *where: ColumnElement[bool], **values: Any) -> bool:
    # Write first, read after: on SQLite a transaction that reads before it writes cannot
    # take the write lock once the ledger's writer has committed meanwhile; it fails at once.
    statement = update(Job).where(Job.id == job_id, *where).values(**values)
    changed = cast(CursorResult[Any], session.execute(statement))
    if changed.rowcount == 0 and not where:
        raise NotFoundError(f"no job has id {job_id!r}: `predledger jobs list` shows them")
    return bool(changed.rowcount)


def _job(session: Session, job_id: str) -> Job:
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise NotFoundError(f"no job has id {job_id!r}: `predledger jobs list` shows them")
    return job
