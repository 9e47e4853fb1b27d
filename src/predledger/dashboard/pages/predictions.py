"""Predictions: a filtered, cursor-paged list, and one prediction with its ground truth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from predledger.api.deps import SessionDep
from predledger.dashboard.access import can_see_inputs
from predledger.dashboard.listing import newest_predictions_page
from predledger.dashboard.queries import known_models
from predledger.dashboard.rendering import render, render_problem
from predledger.errors import InvalidRecordError
from predledger.predictions.queries import (
    PredictionFilters,
    find_prediction,
    normalise_prediction_id,
)
from predledger.predictions.schemas import PredictionPublic

router = APIRouter(prefix="/dashboard")
PAGE_SIZE = 50
Text = Annotated[str | None, Query()]
STATUSES = ("success", "error")


def parse_moment(field: str, value: str | None) -> datetime | None:
    """A time typed in a filter (ISO 8601, e.g. ``2024-05-01T13:00``); UTC when no zone.

    Raises:
        InvalidRecordError: the text is not a time.
    """
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRecordError(
            field, f"{value!r} is not a time: use YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _input_value(value: str | None) -> str:
    """What a ``datetime-local`` field can show again: the time to the minute, or nothing."""
    try:
        moment = parse_moment("time", value)
    except InvalidRecordError:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M") if moment is not None else ""


def _filters(params: dict[str, str | None]) -> PredictionFilters:
    status = params["status"] or None
    if status is not None and status not in STATUSES:
        raise InvalidRecordError("status", "must be success or error")
    return PredictionFilters(
        model=params["model"] or None,
        version=params["version"] or None,
        label=params["label"] or None,
        status=status,
        since=parse_moment("since", params["since"]),
        until=parse_moment("until", params["until"]),
    )


@router.get("/predictions", response_class=HTMLResponse, include_in_schema=False)
def predictions_page(
    request: Request,
    session: SessionDep,
    model: Text = None,
    version: Text = None,
    label: Text = None,
    status: Text = None,
    since: Text = None,
    until: Text = None,
    cursor: Text = None,
) -> HTMLResponse:
    """The predictions matching the filters, newest first, a page at a time."""
    params = {"model": model, "version": version, "label": label, "status": status,
              "since": since, "until": until}  # fmt: skip
    error = None
    items: list[PredictionPublic] = []
    next_cursor = None
    try:
        page = newest_predictions_page(
            session, _filters(params), limit=PAGE_SIZE, cursor=cursor or None
        )
        items, next_cursor = page.items, page.next_cursor
    except InvalidRecordError as exc:
        error = str(exc)
    models = known_models(session)
    context = {
        "params": params,
        "time_inputs": {"since": _input_value(since), "until": _input_value(until)},
        "filtered": any(params.values()),
        "items": items,
        "next_cursor": next_cursor,
        "first_page": cursor is None,
        "error": error,
        "models": list(models),
        "versions": models.get(model or "", []),
        "statuses": STATUSES,
    }
    return render(request, "predictions.html", context, page="predictions")


def _inputs_view(prediction: PredictionPublic) -> dict[str, Any]:
    """The inputs as a table of features when they are a flat mapping, else as JSON."""
    inputs = prediction.inputs
    if isinstance(inputs, dict) and all(not isinstance(v, dict | list) for v in inputs.values()):
        return {"rows": list(inputs.items()), "text": None}
    if isinstance(inputs, str):
        return {"rows": None, "text": inputs}
    text = orjson.dumps(inputs, option=orjson.OPT_INDENT_2).decode() if inputs is not None else None
    return {"rows": None, "text": text}


@router.get("/predictions/{prediction_id}", response_class=HTMLResponse, include_in_schema=False)
def prediction_page(request: Request, session: SessionDep, prediction_id: str) -> HTMLResponse:
    """One prediction: its outputs, its inputs (to those who may see them), its ground truth."""
    try:
        key = normalise_prediction_id(prediction_id)
    except InvalidRecordError:
        key = None
    found = find_prediction(session, key) if key is not None else None
    if found is None:
        return render_problem(
            request,
            title="Prediction not found",
            message=f"No prediction has the id {prediction_id!r}. A prediction logged a moment "
            "ago may still be on its way to the database: reload in a second.",
            back=("/dashboard/predictions", "all predictions"),
            page="predictions",
            status_code=404,
        )
    allowed = can_see_inputs(request)
    context: dict[str, Any] = {
        "p": found,
        "show_inputs": allowed,
        "inputs": _inputs_view(found) if allowed else None,
        "probabilities": _probabilities(found),
    }
    return render(request, "prediction.html", context, page="predictions")


def _probabilities(prediction: PredictionPublic) -> list[tuple[str, float]]:
    given = prediction.probabilities
    if isinstance(given, dict):
        return sorted(given.items(), key=lambda item: -item[1])
    if isinstance(given, list):
        return [(str(index), value) for index, value in enumerate(given)]
    return []
