"""Timing a model call and logging it on exit, failures included.

    with track_prediction(ledger, model="churn", version="3", inputs=features) as p:
        p.label, p.probability = model.predict(features)
    return {"label": p.label, "prediction_id": p.prediction_id}

Inside a request of an app instrumented by ``predledger.integrations.fastapi``, the
request id, session id, client address and user agent are filled in from the request.
When the block's answer came from ``ledger.cached(...)``, it is logged with ``cache_hit``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from predledger.cache.scope import close_scope, open_scope

if TYPE_CHECKING:
    from predledger.ingest.ledger import Ledger


class RequestContext(NamedTuple):
    """What the request middleware knows about the request being answered."""

    request_id: str
    session_id: str | None
    client_ip: str | None
    user_agent: str | None


current_request: ContextVar[RequestContext | None] = ContextVar(
    "predledger_current_request", default=None
)


@dataclass
class TrackedPrediction:
    """The outputs a ``track_prediction`` block sets; ``prediction_id`` is set on exit.

    Attributes:
        label: the predicted class.
        probability: the score of that class.
        probabilities: per-class scores.
        value: a regression output.
        extra: any other ``Ledger.log()`` field (``interval_low``, ``cache_hit`` ...).
        prediction_id: the id the ledger gave the record, once the block has ended.
        latency_ms: how long the block took.
    """

    label: Any = None
    probability: float | None = None
    probabilities: Mapping[str, float] | list[float] | None = None
    value: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    prediction_id: str | None = None
    latency_ms: float | None = None

    def outputs(self) -> dict[str, Any]:
        """The fields to log, leaving out those never set."""
        fields: dict[str, Any] = {
            "label": self.label,
            "probability": self.probability,
            "probabilities": self.probabilities,
            "value": self.value,
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        fields.update(self.extra)
        return fields


def request_fields() -> dict[str, Any]:
    """The current request's ids and client, for ``Ledger.log()``; empty outside a request."""
    context = current_request.get()
    return _request_fields(context) if context is not None else {}


def _request_fields(context: RequestContext) -> dict[str, Any]:
    fields = {
        "request_id": context.request_id,
        "session_id": context.session_id,
        "client_ip": context.client_ip,
        "user_agent": context.user_agent,
    }
    return {k: v for k, v in fields.items() if v is not None}


class PredictionTimer:
    """The context manager ``track_prediction`` returns; see there."""

    __slots__ = (
        "_cache_scope", "_fields", "_started", "inputs", "ledger", "model", "tracked", "version",
    )  # fmt: skip

    def __init__(
        self, ledger: Ledger, model: str, version: str, inputs: Any, fields: dict[str, Any]
    ) -> None:
        self.ledger = ledger
        self.model = model
        self.version = version
        self.inputs = inputs
        self._fields = fields
        self.tracked = TrackedPrediction()
        self._started = 0.0

    def __enter__(self) -> TrackedPrediction:
        self._cache_scope = open_scope()
        self._started = time.perf_counter()
        return self.tracked

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        tracked = self.tracked
        tracked.latency_ms = (time.perf_counter() - self._started) * 1000
        if close_scope(self._cache_scope):
            tracked.extra.setdefault("cache_hit", True)
        context = current_request.get()
        base = _request_fields(context) if context is not None else {}
        base.update(self._fields)
        if exc is None:
            base["latency_ms"] = tracked.latency_ms
            base.update(tracked.outputs())
        elif isinstance(exc, Exception):
            base["latency_ms"] = tracked.latency_ms
            base["status"] = "error"
            base["error_message"] = f"{type(exc).__name__}: {exc}".rstrip(": ")
        else:
            return  # KeyboardInterrupt, SystemExit, cancellation: not a model failure
        tracked.prediction_id = self.ledger.log(
            model=self.model, version=self.version, inputs=self.inputs, **base
        )


def track_prediction(
    ledger: Ledger, *, model: str, version: str, inputs: Any = None, **fields: Any
) -> PredictionTimer:
    """Time a block and log one prediction when it ends.

    A block that raises is logged with status ``error`` and the exception's message, and
    the exception goes on.

    Args:
        ledger: where to log.
        model: the model's name.
        version: the model's version.
        inputs: what the model was given.
        **fields: any other ``Ledger.log()`` field (``batch_id``, ``prediction_type`` ...).

    Returns:
        A context manager whose value is the ``TrackedPrediction`` to fill in.
    """
    return PredictionTimer(ledger, model, version, inputs, fields)
