"""The demo service: three real models behind the routes their users know, plus predledger.

It is built the way the README tells users to embed predledger: a FastAPI app, a
``Ledger``, ``instrument(app, ledger)`` and ``track_prediction`` around each model call.
With ``ledger=None`` the same routes run without any logging (the benchmark's baseline).
The sentiment routes answer repeated texts from the prediction cache (``ledger.cached``):
hits are logged with ``cache_hit=true``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from predledger.analytics.queries import ModelFilter, label_distribution
from predledger.api.deps import SessionDep
from predledger.api.errors import install_error_handlers
from predledger.api.instrument import instrument
from predledger.auth.dependencies import guarded
from predledger.auth.settings import AuthSettings
from predledger.demo.models import DemoModel, DemoModels, ModelOutput
from predledger.errors import ConfigurationError, InvalidRecordError
from predledger.ingest.ledger import Ledger
from predledger.logfiles import LogFileSettings
from predledger.tracking import track_prediction

SENTIMENTS = ("positive", "negative", "neutral")
MAX_BATCH_TEXTS = 1000
router = APIRouter(tags=["demo models"])


class TextIn(BaseModel):
    """One text to classify."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000, examples=["I love this product!"])


class BatchIn(BaseModel):
    """Texts to classify together."""

    model_config = ConfigDict(extra="forbid")
    texts: list[str] = Field(min_length=1, max_length=MAX_BATCH_TEXTS)


class SentimentOut(BaseModel):
    """The sentiment service's answer."""

    sentiment: str
    confidence: float
    latency_ms: float
    prediction_id: str | None


class BatchOut(BaseModel):
    """``{"predictions": [...], "total": n}``; each item carries its ``prediction_id``."""

    predictions: list[SentimentOut]
    total: int


class FeaturesIn(BaseModel):
    """A tabular model's features (``GET /demo/models`` lists them), or a text."""

    model_config = ConfigDict(extra="forbid")
    features: dict[str, float] | None = None
    text: str | None = Field(default=None, description="For the sentiment model.")


class PredictionOut(BaseModel):
    """A demo model's prediction and the id to send its ground truth with."""

    model_config = ConfigDict(protected_namespaces=())
    model: str
    version: str
    prediction_id: str | None
    label: str | None = None
    probability: float | None = None
    probabilities: dict[str, float] | None = None
    value: float | None = None
    interval_low: float | None = None
    interval_high: float | None = None
    confidence_level: float | None = None
    latency_ms: float


@dataclass(frozen=True)
class DemoContext:
    """The demo's models, unless logging is off its ledger, and whether to use the cache."""

    models: DemoModels
    ledger: Ledger | None
    cache: bool = True


async def get_demo(request: Request) -> DemoContext:
    """The demo context of the app answering the request."""
    context = getattr(request.app.state, "demo", None)
    if not isinstance(context, DemoContext):
        raise ConfigurationError("the demo routes need build_demo_app() to set up the app")
    return context


DemoDep = Annotated[DemoContext, Depends(get_demo)]


def _predict(context: DemoContext, model: DemoModel, inputs: Any, **fields: Any) -> PredictionOut:
    """Run one prediction, logged (with its latency, or its failure) unless logging is off."""
    if context.ledger is None:
        return _unlogged(model, inputs)
    with track_prediction(
        context.ledger, model=model.name, version=model.version, inputs=inputs, **fields
    ) as tracked:
        output = _run(context, model, inputs)
        tracked.label, tracked.probability = output.label, output.probability
        tracked.probabilities, tracked.value = output.probabilities, output.value
        tracked.extra.update(_interval(output))
    return _answer(model, output, tracked.prediction_id, tracked.latency_ms or 0.0)


def _run(context: DemoContext, model: DemoModel, inputs: Any) -> ModelOutput:
    """The model's answer; the sentiment model's comes from the cache when it can."""
    if context.ledger is None or not context.cache or model is not context.models.sentiment:
        return model.predict(inputs)
    return context.ledger.cached(
        model.name, model.version, inputs, lambda: model.predict(inputs),
        encode=asdict, decode=lambda data: ModelOutput(**data),
    )  # fmt: skip


def _unlogged(model: DemoModel, inputs: Any) -> PredictionOut:
    started = time.perf_counter()
    output = model.predict(inputs)
    return _answer(model, output, None, (time.perf_counter() - started) * 1000)


def _interval(output: ModelOutput) -> dict[str, float]:
    fields = {
        "interval_low": output.interval_low,
        "interval_high": output.interval_high,
        "confidence_level": output.confidence_level,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _answer(
    model: DemoModel, output: ModelOutput, prediction_id: str | None, latency_ms: float
) -> PredictionOut:
    return PredictionOut(
        model=model.name,
        version=model.version,
        prediction_id=prediction_id,
        label=output.label,
        probability=output.probability,
        probabilities=output.probabilities,
        value=output.value,
        latency_ms=latency_ms,
        **_interval(output),
    )


def _sentiment(answer: PredictionOut) -> SentimentOut:
    return SentimentOut(
        sentiment=answer.label or "neutral",
        confidence=answer.probability or 0.0,
        latency_ms=answer.latency_ms,
        prediction_id=answer.prediction_id,
    )


# The models answer in well under a millisecond: the single-prediction routes run on the
# event loop (a thread-pool hop would cost more than the model); a batch of up to a
# thousand texts goes to the thread pool so it never stalls other requests.
@router.post("/predict", summary="Sentiment of one text")
async def predict(body: TextIn, demo: DemoDep) -> SentimentOut:
    """``{"text"}`` → ``{"sentiment", "confidence", "latency_ms", "prediction_id"}``."""
    return _sentiment(_predict(demo, demo.models.sentiment, body.text, prediction_type="text"))


@router.post("/batch", summary="Sentiment of many texts")
def batch(body: BatchIn, demo: DemoDep) -> BatchOut:
    """``{"texts": [...]}`` → ``{"predictions": [...], "total": n}``, one logged row each."""
    batch_id = uuid.uuid4().hex
    model = demo.models.sentiment
    answers = [
        _sentiment(_predict(demo, model, text, prediction_type="batch", batch_id=batch_id))
        for text in body.texts
    ]
    return BatchOut(predictions=answers, total=len(answers))


@router.post("/models/{name}/predict", summary="A prediction of one demo model")
async def predict_with_model(name: str, body: FeaturesIn, demo: DemoDep) -> PredictionOut:
    """Features (breast-cancer, diabetes) or a text (sentiment) → the model's prediction."""
    model = demo.models.get(name)
    inputs: Any = body.text if model.feature_names == ["text"] else body.features
    if inputs is None:
        wanted = "text" if model.feature_names == ["text"] else "features"
        raise InvalidRecordError(wanted, f"is required by the {name} model")
    return _predict(demo, model, inputs)


@router.get("/demo/models", summary="The demo models and their features")
def list_demo_models(demo: DemoDep) -> list[dict[str, Any]]:
    """Name, version, algorithm, held-out metrics and feature names of each demo model."""
    return [
        {
            "name": model.name,
            "version": model.version,
            "kind": model.kind,
            "algorithm": model.algorithm,
            "metrics": model.metrics,
            "feature_names": model.feature_names,
            "predict": f"POST /models/{model.name}/predict",
        }
        for model in demo.models.models
    ]


@router.get(
    "/analytics/sentiment-distribution",
    summary="How many texts were positive, negative and neutral",
    tags=["analytics"],
)
def sentiment_distribution(demo: DemoDep, session: SessionDep) -> dict[str, int]:
    """``{"positive": n, "negative": n, "neutral": n}`` from the rollups."""
    counts = label_distribution(session, ModelFilter(model=demo.models.sentiment.name))
    return {label: counts.get(label, 0) for label in SENTIMENTS}


def build_demo_app(
    models: DemoModels,
    ledger: Ledger | None,
    *,
    log_files: LogFileSettings | bool = True,
    cache: bool = True,
    auth: AuthSettings | bool = False,
) -> FastAPI:
    """The demo's app: the models' routes and, with a ledger, every predledger route.

    Args:
        models: the trained demo models.
        ledger: where to log; ``None`` serves the models without any logging.
        log_files: the JSON log files' settings, ``True`` (``logs/``) or ``False``.
        cache: answer repeated sentiment texts from the ledger's prediction cache.
        auth: require API keys (``True`` or settings); ``False`` answers this machine only.
    """
    from predledger import __version__

    app = FastAPI(
        title="predledger demo",
        version=__version__,
        description="Three real models (breast-cancer classifier, diabetes regressor, "
        "VADER sentiment) logged by predledger, with its analytics and ingest routes.",
    )
    app.state.demo = DemoContext(models=models, ledger=ledger, cache=cache)
    app.include_router(guarded(router))
    if ledger is not None:
        instrument(app, ledger, log_files=log_files, auth=auth)
    else:
        install_error_handlers(app)
    return app
