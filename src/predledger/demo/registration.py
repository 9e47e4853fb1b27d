"""Registering the demo models, so the registry, drift and performance pages have versions.

Each tabular model brings its training features as the drift reference; the sentiment
model is registered without one (its input is free text).
"""

from __future__ import annotations

import importlib
from typing import Any

from predledger.demo.models import ClassifierModel, DemoModel, DemoModels, SentimentModel
from predledger.errors import ConflictError, PredledgerError
from predledger.ingest.ledger import Ledger

ACTOR = "predledger demo"


def register_demo_models(ledger: Ledger, models: DemoModels) -> str:
    """Register each demo model's version as the active production version.

    A version registered by an earlier run is left as it is. The demo goes on whatever
    happens here: the answer says what did.

    Returns:
        One line saying what happened.
    """
    registered: list[str] = []
    kept: list[str] = []
    for model in models.models:
        try:
            _register(ledger, model)
            registered.append(model.name)
        except ConflictError:
            kept.append(model.name)
        except PredledgerError as exc:
            return f"registry:    could not register the demo models ({exc})"
    parts = []
    if registered:
        parts.append(f"registered {', '.join(registered)}")
    if kept:
        parts.append(f"already registered {', '.join(kept)}")
    return f"registry:    {'; '.join(parts)} (version 1, production)"


def _register(ledger: Ledger, model: DemoModel) -> None:
    from predledger.registry import ReferenceDataset, register_model_version

    reference = None
    classes: list[str] | None = None
    if isinstance(model, ClassifierModel):
        classes = list(model.classes)
    elif isinstance(model, SentimentModel):
        classes = ["positive", "negative", "neutral"]
    if not isinstance(model, SentimentModel):
        columns: dict[str, Any] = {name: model.reference[name] for name in model.feature_names}
        pd: Any = importlib.import_module("pandas")  # untyped; loaded only for the demo
        reference = ReferenceDataset(pd.DataFrame(columns), features=model.feature_names)
    register_model_version(
        ledger.store,
        name=model.name,
        version=model.version,
        algorithm=model.algorithm,
        metrics=model.metrics,
        hyperparameters=model.hyperparameters,
        feature_names=model.feature_names,
        training_samples=model.training_samples or None,
        task=model.kind,
        classes=classes,
        stage="production",
        reference=reference,
        actor=ACTOR,
    )
