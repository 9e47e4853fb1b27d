"""Ingest for non-Python clients: ``POST /v1/predictions`` and ``POST /v1/feedback``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from predledger.api.body import one_or_many, read_json
from predledger.api.deps import StateDep
from predledger.feedback.schemas import FeedbackCreate, FeedbackRecorded
from predledger.feedback.service import record_feedback
from predledger.ingest.ledger import Ledger
from predledger.predictions.schemas import PredictionCreate, PredictionsAccepted
from predledger.registry.retry import run_in_transaction

router = APIRouter(prefix="/v1", tags=["ingest"])

MAX_ITEMS = 10_000
# A label may arrive a moment after its prediction, while the prediction still waits in
# the journal: unknown ids are looked up once more after the ledger has flushed.
FLUSH_WAIT_S = 2.0


def _one_or_list_schema(model: type[BaseModel]) -> dict[str, Any]:
    # The route reads its body itself (see predledger.api.body): describe it for /docs.
    item = model.model_json_schema()
    many = {"type": "array", "items": item, "maxItems": MAX_ITEMS}
    envelope = {"type": "object", "properties": {"items": many}, "required": ["items"]}
    schema = {"oneOf": [item, many, envelope]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post(
    "/predictions",
    status_code=202,
    summary="Log one prediction or a list of up to 10,000",
    openapi_extra=_one_or_list_schema(PredictionCreate),
    responses={413: {"description": "More than 10,000 predictions in one request."}},
)
async def create_predictions(request: Request, state: StateDep) -> PredictionsAccepted:
    """Journal the predictions and return their ids (202: they are written within moments)."""
    items = one_or_many(
        await read_json(request), PredictionCreate, max_items=MAX_ITEMS, noun="predictions"
    )
    records = [item.model_dump(exclude_unset=True) for item in items]
    ids = await run_in_threadpool(state.ledger.log_many, records)
    return PredictionsAccepted(ids=ids, accepted=len(ids))


@router.post(
    "/feedback",
    summary="Record ground truth by prediction id or request id",
    openapi_extra=_one_or_list_schema(FeedbackCreate),
    responses={413: {"description": "More than 10,000 labels in one request."}},
)
async def create_feedback(request: Request, state: StateDep) -> FeedbackRecorded:
    """Store actual outcomes; ids that match no prediction are listed under ``unknown``."""
    items = one_or_many(
        await read_json(request), FeedbackCreate, max_items=MAX_ITEMS, noun="labels"
    )
    return await run_in_threadpool(_record, state.ledger, items)


def _store_feedback(ledger: Ledger, items: list[FeedbackCreate]) -> FeedbackRecorded:
    # Reads then writes: on SQLite the ledger's writer may commit in between, which makes
    # the upgrade to a write fail at once ('database is locked'); a fresh attempt clears it.
    return run_in_transaction(
        ledger.store, lambda session: record_feedback(session, items), what="record feedback"
    )


def _record(ledger: Ledger, items: list[FeedbackCreate]) -> FeedbackRecorded:
    result = _store_feedback(ledger, items)
    if not result.unknown or ledger.stats().queue_depth == 0:
        return result
    ledger.flush(FLUSH_WAIT_S)
    unknown = {(u.prediction_id, u.request_id) for u in result.unknown}
    retry = [item for item in items if (item.prediction_id, item.request_id) in unknown]
    second = _store_feedback(ledger, retry)
    return FeedbackRecorded(
        recorded=result.recorded + second.recorded,
        replaced=result.replaced + second.replaced,
        prediction_ids=result.prediction_ids + second.prediction_ids,
        unknown=second.unknown,
    )
