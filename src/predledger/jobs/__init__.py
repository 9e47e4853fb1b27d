"""Long-running jobs; today batch scoring of a dataset through a scorer.

    register_scorer(name, fn)                fn(DataFrame) -> one output per row
    run_scoring_job(store, dataset_id=..., scorer=..., model=..., version=...)
    queue_scoring_job / start_scoring_job    the HTTP API's queued, background form
    get_job / find_job / list_jobs(session, ...)

Names resolve on first use: ``predledger.store.schema`` imports this package's models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from predledger.jobs.queries import find_job, get_job, list_jobs
    from predledger.jobs.schemas import JobPublic, ScoringJobCreate
    from predledger.jobs.scorers import register_scorer, resolve_scorer, unregister_scorer
    from predledger.jobs.scoring import queue_scoring_job, run_scoring_job, start_scoring_job

_HOMES = {
    "find_job": "queries",
    "get_job": "queries",
    "list_jobs": "queries",
    "JobPublic": "schemas",
    "ScoringJobCreate": "schemas",
    "register_scorer": "scorers",
    "resolve_scorer": "scorers",
    "unregister_scorer": "scorers",
    "queue_scoring_job": "scoring",
    "run_scoring_job": "scoring",
    "start_scoring_job": "scoring",
}

__all__ = [
    "JobPublic",
    "ScoringJobCreate",
    "find_job",
    "get_job",
    "list_jobs",
    "queue_scoring_job",
    "register_scorer",
    "resolve_scorer",
    "run_scoring_job",
    "start_scoring_job",
    "unregister_scorer",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
