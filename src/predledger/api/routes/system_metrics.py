"""``/v1/system-metrics``: the samples of CPU, memory, disk, connections and GPU."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from predledger.api.deps import SessionDep
from predledger.metrics.queries import system_metric_names, system_metric_series
from predledger.metrics.schemas import SystemMetricPublic

router = APIRouter(prefix="/v1/system-metrics", tags=["system metrics"])


@router.get("", summary="System metric samples, oldest first")
def read_system_metrics(
    session: SessionDep,
    name: Annotated[str | None, Query(description="e.g. cpu_percent; all if absent.")] = None,
    since: Annotated[
        datetime | None, Query(description="At or after (ISO 8601); default an hour ago.")
    ] = None,
    until: Annotated[datetime | None, Query(description="Before (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> list[SystemMetricPublic]:
    """The samples the system metrics sampler wrote."""
    return system_metric_series(session, name=name, since=since, until=until, limit=limit)


@router.get("/names", summary="The names of the system metrics that have samples")
def read_system_metric_names(session: SessionDep) -> list[str]:
    """Metric names, sorted."""
    return system_metric_names(session)
