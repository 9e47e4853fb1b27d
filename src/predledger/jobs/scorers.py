"""Scorers: what a batch-scoring job runs a dataset through.

A scorer takes a pandas DataFrame (a chunk of the dataset's rows) and returns one output
per row, in order. An output is a mapping of prediction fields (``label``,
``probability``, ``probabilities``, ``value``, ``interval_low``, ``interval_high``,
``confidence_level``, ``status``, ``error_message``), an object with those attributes
(such as the demo models' ``ModelOutput``), a string (a label) or a number (a value).

A job names its scorer by a name given to :func:`register_scorer`, ``demo:<model>`` for
one of the demo's models (``demo:breast-cancer``, ``demo:diabetes``, ``demo:sentiment``),
or ``package.module:function`` to import one.
"""

from __future__ import annotations

import functools
import importlib
import numbers
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from predledger.errors import ConfigurationError, InvalidRecordError, NotFoundError

Scorer = Callable[[Any], Sequence[Any]]
OUTPUT_FIELDS = (
    "label", "probability", "probabilities", "value", "interval_low", "interval_high",
    "confidence_level", "status", "error_message",
)  # fmt: skip
DEMO_PREFIX = "demo:"

_registry: dict[str, Scorer] = {}
_lock = threading.Lock()


def register_scorer(name: str, fn: Scorer) -> None:
    """Make ``fn`` available to jobs as ``name`` (replacing any scorer of that name).

    Raises:
        ConfigurationError: the name is empty or has a ``:``, or ``fn`` is not callable.
    """
    if not name.strip() or ":" in name:
        raise ConfigurationError(
            f"scorer name {name!r} must be non-empty without ':' (':' is for imports)"
        )
    if not callable(fn):
        raise ConfigurationError(f"scorer {name!r} must be a callable taking a DataFrame")
    with _lock:
        _registry[name] = fn


def unregister_scorer(name: str) -> None:
    """Forget a registered scorer (nothing happens when there is none)."""
    with _lock:
        _registry.pop(name, None)


def resolve_scorer(spec: str) -> Scorer:
    """The scorer a job names.

    Raises:
        NotFoundError: no scorer by that name, with the ways to provide one.
        ConfigurationError: an import path that does not import or is not callable.
    """
    with _lock:
        found = _registry.get(spec)
    if found is not None:
        return found
    if spec.startswith(DEMO_PREFIX):
        return _demo_scorer(spec[len(DEMO_PREFIX) :])
    if ":" in spec:
        return _imported(spec)
    raise NotFoundError(
        f"no scorer is called {spec!r}: register one with predledger.jobs.register_scorer("
        "name, fn), or name demo:<model> or package.module:function"
    )


def output_fields(output: Any) -> dict[str, Any]:
    """The prediction fields of one scorer output.

    Raises:
        InvalidRecordError: a mapping with a key that is not a prediction field.
    """
    if output is None:
        return {"status": "error", "error_message": "the scorer returned nothing for this row"}
    if isinstance(output, str):
        return {"label": output}
    if isinstance(output, bool):
        return {"label": str(output).lower()}
    if isinstance(output, numbers.Real):
        return {"value": float(output)}
    if isinstance(output, Mapping):
        unknown = sorted(set(output) - set(OUTPUT_FIELDS))
        if unknown:
            raise InvalidRecordError(
                f"scorer output {unknown[0]!r}",
                f"is not a prediction field: use {', '.join(OUTPUT_FIELDS)}",
            )
        return {key: value for key, value in output.items() if value is not None}
    fields = {key: getattr(output, key, None) for key in OUTPUT_FIELDS}
    return {key: value for key, value in fields.items() if value is not None}


def _imported(spec: str) -> Scorer:
    module_name, _, attribute = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot import scorer {spec!r}: {exc}") from exc
    if not callable(target):
        raise ConfigurationError(f"scorer {spec!r} is not callable: name a function")
    return target  # type: ignore[no-any-return]


@functools.cache
def _demo_models() -> Any:
    # Imported and trained on first use: scikit-learn costs a second or two.
    demo = importlib.import_module("predledger.demo.models")
    return demo.DemoModels.train()


def _demo_scorer(name: str) -> Scorer:
    model = _demo_models().get(name)
    names = list(model.feature_names)

    def score(frame: Any) -> Sequence[Any]:
        missing = [column for column in names if column not in frame.columns]
        if missing:
            raise InvalidRecordError(
                f"column {missing[0]!r}",
                f"is missing from the dataset: demo:{name} needs {', '.join(names)}",
            )
        if names == ["text"]:
            return model.predict_many(frame["text"].astype(str).tolist())  # type: ignore[no-any-return]
        return model.predict_many(frame[names].to_dict("records"))  # type: ignore[no-any-return]

    return score
