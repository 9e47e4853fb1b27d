"""Reads of stored predictions: filtered pages, one by id, and the seed's history route.

Inputs may be personal: they are in the answers only for reviewers and admins (and with
authentication off); everyone else gets ``inputs: null``.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from predledger.api.deps import LedgerDep
from predledger.auth.dependencies import PrincipalDep
from predledger.errors import NotFoundError
from predledger.ids import id_timestamp_micros
from predledger.ingest.ledger import Ledger
from predledger.predictions.queries import (
    MAX_PAGE,
    PredictionFilters,
    find_prediction,
    list_predictions,
    newest_predictions,
    normalise_prediction_id,
)
from predledger.predictions.schemas import PredictionHistory, PredictionPage, PredictionPublic
from predledger.privacy import shown_to

router = APIRouter(tags=["predictions"])

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="How many, at most 1000.")]
ModelName = Annotated[str | None, Query(description="Only this model.")]
ModelVersion = Annotated[str | None, Query(description="Only this model version.")]
# A prediction logged within this many seconds may still wait in the journal.
RECENT_S = 60.0
FLUSH_WAIT_S = 2.0


@router.get("/v1/predictions", summary="Predictions, newest first, filtered and paged")
def read_predictions(
    ledger: LedgerDep,
    principal: PrincipalDep,
    model: ModelName = None,
    version: ModelVersion = None,
    label: Annotated[str | None, Query(description="Only this predicted label.")] = None,
    status: Annotated[Literal["success", "error"] | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="At or after (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Before (ISO 8601).")] = None,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the last page.")] = None,
) -> PredictionPage:
    """A page of predictions; follow ``next_cursor`` for the next one."""
    filters = PredictionFilters(model, version, label, status, since, until)
    with ledger.store.transaction() as session:
        page = list_predictions(session, filters, limit=limit, cursor=cursor)
    return page.model_copy(update={"items": shown_to(principal, page.items)})


@router.get(
    "/v1/predictions/{prediction_id}",
    summary="One prediction, with its ground truth when it has arrived",
    responses={404: {"description": "No prediction has this id."}},
)
def read_prediction(
    ledger: LedgerDep,
    principal: PrincipalDep,
    prediction_id: Annotated[str, Path(description="The id the ledger returned.")],
) -> PredictionPublic:
    """The prediction with this id (a moment after logging, it waits for the writer)."""
    key = normalise_prediction_id(prediction_id)
    found = _find(ledger, key)
    if found is None and _maybe_in_journal(ledger, key):
        ledger.flush(FLUSH_WAIT_S)
        found = _find(ledger, key)
    if found is None:
        raise NotFoundError(f"no prediction has the id {key}")
    return shown_to(principal, [found])[0]


def _find(ledger: Ledger, key: str) -> PredictionPublic | None:
    with ledger.store.transaction() as session:
        return find_prediction(session, key)


def _maybe_in_journal(ledger: Ledger, key: str) -> bool:
    age_s = time.time() - id_timestamp_micros(key) / 1e6
    return age_s < RECENT_S and ledger.stats().queue_depth > 0


@router.get("/predictions/history", summary="The newest predictions (inputs for reviewers)")
def prediction_history(
    ledger: LedgerDep,
    principal: PrincipalDep,
    limit: Limit = 100,
    model: ModelName = None,
    version: ModelVersion = None,
) -> PredictionHistory:
    """The ``limit`` newest predictions with everything that was logged."""
    with ledger.store.transaction() as session:
        rows = newest_predictions(session, limit=limit, model=model, version=version)
    return PredictionHistory(predictions=shown_to(principal, rows), count=len(rows))
