"""Shapes of ground truth going in and of the answer that reports what was recorded."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class FeedbackCreate(BaseModel):
    """The actual outcome of one prediction, named by its prediction id or request id.

    ``actual`` is read as a label when the prediction has a label and as a value when it
    has a regression value; ``actual_label`` and ``actual_value`` say it explicitly.
    """

    model_config = ConfigDict(extra="forbid")

    prediction_id: str | None = Field(default=None, description="The id the ledger returned.")
    request_id: str | None = Field(
        default=None,
        max_length=200,
        description="The request id the prediction was logged with; every prediction of "
        "that request gets the label.",
    )
    actual: str | int | float | None = Field(default=None, description="The true outcome.")
    actual_label: str | None = Field(default=None, max_length=200)
    actual_value: float | None = None
    source: str | None = Field(default=None, max_length=100, description="Who said so.")

    @field_validator("prediction_id")
    @classmethod
    def _canonical_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError(
                f"must be a prediction id (a UUID as POST /v1/predictions returns), got {value!r}"
            ) from None

    @model_validator(mode="after")
    def _one_target_and_an_outcome(self) -> FeedbackCreate:
        if (self.prediction_id is None) == (self.request_id is None):
            raise ValueError("give exactly one of prediction_id and request_id")
        if self.actual is None and self.actual_label is None and self.actual_value is None:
            raise ValueError("give the outcome as actual, actual_label or actual_value")
        return self


class UnknownTarget(BaseModel):
    """A prediction id or request id that matches no stored prediction."""

    prediction_id: str | None = None
    request_id: str | None = None


class FeedbackRecorded(BaseModel):
    """What ``record_feedback`` did.

    Attributes:
        recorded: predictions that now carry a label (new or replaced).
        replaced: of those, the ones whose earlier label was replaced.
        prediction_ids: the predictions labelled, in order.
        unknown: the ids that match no stored prediction: nothing was recorded for them.
    """

    recorded: int
    replaced: int
    prediction_ids: list[str]
    unknown: list[UnknownTarget]
