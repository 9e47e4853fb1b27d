"""Reading jobs."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.errors import NotFoundError
from predledger.jobs.models import Job
from predledger.jobs.schemas import JobPublic

MAX_LIST = 1000


def find_job(session: Session, job_id: str) -> JobPublic | None:
    """The job with this id, or ``None``."""
    try:
        key = str(uuid.UUID(job_id.strip()))
    except ValueError:
        return None
    row = session.get(Job, key)
    return None if row is None else JobPublic.model_validate(row)


def get_job(session: Session, job_id: str) -> JobPublic:
    """The job with this id.

    Raises:
        NotFoundError: there is none.
    """
    found = find_job(session, job_id)
    if found is None:
        raise NotFoundError(f"no job has id {job_id!r}: `predledger jobs list` shows them")
    return found


def list_jobs(session: Session, *, status: str | None = None, limit: int = 50) -> list[JobPublic]:
    """Jobs, newest first (only those with ``status`` when given)."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc())
    if status is not None:
        query = query.where(Job.status == status)
    return [
        JobPublic.model_validate(row) for row in session.scalars(query.limit(min(limit, MAX_LIST)))
    ]
