"""A version's reference dataset: read it, profile its features, fit the confidence estimator.

The reference is the data the version is judged against: usually its validation set. Its
feature columns become the drift reference profile; when it also holds the true labels and
the model's probabilities, a ``ConfidenceEstimator`` is fitted on them so that performance can
be estimated before labels arrive.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from predledger.errors import InvalidRecordError

ReferenceSource = Any
"""A pandas DataFrame, a mapping of column name to values, or a CSV or Parquet file's path."""


@dataclass(frozen=True)
class ReferenceDataset:
    """A reference dataset and which of its columns are what.

    Attributes:
        data: a pandas DataFrame, a mapping of column to values, or the path of a ``.csv`` or
            ``.parquet`` file.
        target: the column of true labels (or values, for a regressor).
        probabilities: the model's probability columns: a mapping of class to column, or a
            list of columns in the order of the version's ``classes``; for a binary model a
            single column holds the positive class's probability (the last of ``classes``
            unless ``positive_class`` says otherwise).
        positive_class: the positive class of a binary model.
        features: the feature columns; default every column that is not the target or a
            probability.
    """

    data: ReferenceSource
    target: str | None = None
    probabilities: Mapping[str, str] | Sequence[str] | None = None
    positive_class: str | None = None
    features: Sequence[str] | None = None


@dataclass(frozen=True)
class ReferenceArtifacts:
    """What a version keeps of its reference: JSON forms, ready for the registry."""

    profile: dict[str, Any]
    estimator: dict[str, Any] | None
    classes: list[str] | None
    rows: int


def read_reference_frame(source: ReferenceSource) -> Any:
    """Return the reference as a pandas DataFrame, reading a CSV or Parquet file if given one.

    Raises:
        InvalidRecordError: the file is missing or not CSV or Parquet.
    """
    if hasattr(source, "columns"):
        return source
    # Imported when needed (and untyped): most of the library never loads pandas.
    pd: Any = importlib.import_module("pandas")
    if isinstance(source, Mapping):
        return pd.DataFrame(dict(source))
    if not isinstance(source, str | PathLike):
        raise InvalidRecordError(
            "reference",
            "must be a pandas DataFrame, a mapping of column to values, or the path of a CSV "
            "or Parquet file",
        )
    path = Path(source)
    if not path.is_file():
        raise InvalidRecordError("reference", f"file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise InvalidRecordError(
        "reference", f"file {path.name!r} is neither .csv nor .parquet: convert it to one of those"
    )


def build_reference_artifacts(
    reference: ReferenceDataset,
    *,
    feature_names: Sequence[str] = (),
    classes: Sequence[str] | None = None,
) -> ReferenceArtifacts:
    """Profile a reference dataset's features and, given labels and probabilities, fit CBPE.

    Args:
        reference: the dataset and its column roles.
        feature_names: the version's features, used when ``reference.features`` is not set.
        classes: the version's classes, in the order of its probability columns.

    Returns:
        The reference profile, the fitted estimator (or ``None``) and the classes.

    Raises:
        InvalidRecordError: a named column is missing, or labels and probabilities do not fit.
    """
    from predledger.drift import build_reference_profile

    frame = read_reference_frame(reference.data)
    columns = [str(c) for c in frame.columns]
    probability_columns, resolved_classes = _probability_columns(reference, classes)
    roles = [*probability_columns, *([reference.target] if reference.target else [])]
    features = list(reference.features or feature_names) or [c for c in columns if c not in roles]
    _require_columns(columns, [*features, *roles], reference)
    profile = build_reference_profile(frame[features])
    estimator = None
    if reference.target is not None and probability_columns:
        estimator = _fit_estimator(frame, reference, probability_columns, resolved_classes)
    return ReferenceArtifacts(
        profile=profile.to_dict(),
        estimator=estimator,
        classes=resolved_classes,
        rows=len(frame),
    )


def _probability_columns(
    reference: ReferenceDataset, classes: Sequence[str] | None
) -> tuple[list[str], list[str] | None]:
    given = reference.probabilities
    known = None if classes is None else [str(c) for c in classes]
    if given is None:
        return [], known
    if isinstance(given, Mapping):
        mapped = [str(c) for c in given]
        if known is not None and set(mapped) != set(known):
            raise InvalidRecordError(
                "reference.probabilities", f"names classes {mapped} but the version has {known}"
            )
        order = known or mapped
        return [given[c] for c in order], order
    columns = [str(c) for c in given]
    if known is None:
        raise InvalidRecordError(
            "classes",
            "is required with a list of probability columns: pass classes=[...] in column "
            "order, or give probabilities as a mapping of class to column",
        )
    if len(columns) not in (len(known), 1) or (len(columns) == 1 and len(known) != 2):
        raise InvalidRecordError(
            "reference.probabilities",
            f"has {len(columns)} columns for classes {known}: give one column per class, or "
            "one column (the positive class's) for a binary model",
        )
    return columns, known


def _require_columns(columns: list[str], wanted: list[str], reference: ReferenceDataset) -> None:
    missing = [c for c in wanted if c not in columns]
    if missing:
        where = reference.data if isinstance(reference.data, str | PathLike) else "the DataFrame"
        raise InvalidRecordError(
            "reference", f"{where} has no column {missing[0]!r} (its columns: {columns})"
        )


def _fit_estimator(
    frame: Any,
    reference: ReferenceDataset,
    probability_columns: list[str],
    classes: list[str] | None,
) -> dict[str, Any] | None:
    from predledger.performance import ConfidenceEstimator

    assert reference.target is not None
    actuals = np.asarray([_label_text(v) for v in frame[reference.target].tolist()], dtype=object)
    matrix = frame[probability_columns].to_numpy(dtype=np.float64)
    probabilities = matrix[:, 0] if matrix.shape[1] == 1 else matrix
    labels = classes or sorted(set(actuals.tolist()))
    try:
        estimator = ConfidenceEstimator.fit(
            actuals.astype(str),
            probabilities,
            classes=labels,
            positive_class=reference.positive_class,
        )
    except ValueError as exc:
        raise InvalidRecordError(
            "reference", f"cannot fit the confidence estimator: {exc}"
        ) from exc
    return estimator.to_dict()


def _label_text(value: Any) -> str:
    """A label as the ledger stores it: pandas reads a label 1 as 1.0, the ledger has "1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item"):
        return _label_text(value.item())
    return str(value)
