"""``/healthz`` (the process is up), ``/readyz`` (database and schema) and ``/metrics``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from predledger.api.deps import StateDep
from predledger.api.metrics import CONTENT_TYPE
from predledger.api.state import ServiceState
from predledger.errors import StoreError
from predledger.store import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz(state: StateDep) -> dict[str, Any]:
    """Answers 200 while the process runs, whatever the database does."""
    return {"status": "ok", "uptime_s": round(time.time() - state.started_at, 3)}


def readiness(state: ServiceState) -> tuple[bool, dict[str, Any]]:
    """Whether the database is reachable and its schema current, and why not."""
    store = state.ledger.store
    head = migrate.head_revision()
    revision: str | None = None
    reason: str | None = None
    try:
        revision = migrate.current_revision(store)
    except StoreError as exc:
        reason = str(exc)
    if reason is None and revision != head:
        reason = (
            f"the schema is at {revision or 'nothing'} but predledger needs {head}: "
            "run `predledger db upgrade`"
        )
    stats = state.ledger.stats()
    body: dict[str, Any] = {
        "status": "ready" if reason is None else "degraded",
        "reason": reason,
        "database": store.describe(),
        "backend": store.dialect,
        "schema_revision": revision,
        "schema_head": head,
        "ledger": {
            "queue_depth": stats.queue_depth,
            "journal_bytes": stats.journal_bytes,
            "written": stats.written,
            "dropped": stats.dropped,
            "last_error": stats.last_error,
        },
    }
    if reason is not None:
        body["ledger"]["note"] = "records wait in the journal and are written once it is back"
    return reason is None, body


@router.get(
    "/readyz",
    summary="The database is reachable and its schema current",
    responses={503: {"description": "Not ready; `reason` says why and what fixes it."}},
)
def readyz(state: StateDep) -> JSONResponse:
    """200 when ready; 503 with the reason otherwise (predictions are still journaled)."""
    ready, body = readiness(state)
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(state: StateDep) -> Response:
    """Ledger counters, queue depth and request latency in Prometheus' text format."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE)
