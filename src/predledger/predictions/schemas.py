"""Shapes of predictions going in (non-Python clients) and coming out (reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PredictionType = Literal["features", "text", "series", "upload", "batch"]


class PredictionCreate(BaseModel):
    """One prediction as a non-Python client sends it; the fields of ``Ledger.log()``."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200, description="Model name.")
    version: str = Field(min_length=1, max_length=100, description="Model version.")
    inputs: dict[str, Any] | str | list[Any] | None = Field(
        default=None, description="Features (an object), a text, or a series (a list)."
    )
    label: str | int | None = Field(default=None, description="The predicted class.")
    probability: float | None = Field(default=None, ge=0, le=1, description="Its score.")
    probabilities: dict[str, float] | list[float] | None = None
    value: float | None = Field(default=None, description="A regression output.")
    interval_low: float | None = None
    interval_high: float | None = None
    confidence_level: float | None = Field(default=None, ge=0, le=1)
    latency_ms: float | None = Field(default=None, ge=0)
    request_id: str | None = Field(default=None, max_length=200)
    batch_id: str | None = Field(default=None, max_length=200)
    session_id: str | None = Field(default=None, max_length=200)
    dataset_id: str | None = Field(default=None, max_length=200)
    status: Literal["success", "error"] = "success"
    error_message: str | None = None
    cache_hit: bool = False
    prediction_type: PredictionType | None = None
    feature_names: list[str] | None = None
    client_ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = None
    input_hash: str | None = Field(default=None, max_length=64)


class PredictionsAccepted(BaseModel):
    """The ids the ledger gave the predictions, in the order they were sent."""

    ids: list[str]
    accepted: int


class FeedbackPublic(BaseModel):
    """The ground truth joined to a prediction, when it has arrived."""

    actual_label: str | None
    actual_value: float | None
    received_at: datetime
    replaced_count: int


class PredictionPublic(BaseModel):
    """One stored prediction with everything that was logged."""

    id: str
    created_at: datetime
    model_name: str
    model_version: str
    prediction_type: str
    label: str | None
    probability: float | None
    probabilities: dict[str, float] | list[float] | None
    value: float | None
    interval_low: float | None
    interval_high: float | None
    confidence_level: float | None
    latency_ms: float | None
    status: str
    error_message: str | None
    cache_hit: bool
    request_id: str | None
    batch_id: str | None
    session_id: str | None
    dataset_id: str | None
    inputs: Any
    feature_names: list[str] | None
    feedback: FeedbackPublic | None = None


class PredictionPage(BaseModel):
    """A page of predictions, newest first, and the cursor of the next page."""

    items: list[PredictionPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class PredictionHistory(BaseModel):
    """``GET /predictions/history``: the newest predictions, with their inputs."""

    predictions: list[PredictionPublic]
    count: int
