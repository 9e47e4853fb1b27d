"""Three small models for the one-command demo, built in seconds from data shipped in packages.

- ``breast-cancer``: logistic regression on scikit-learn's breast cancer table, labels
  ``"malignant"`` / ``"benign"`` with a probability per class;
- ``diabetes``: ridge regression on scikit-learn's diabetes table (raw units), a value and a
  90% prediction interval from out-of-fold residual quantiles;
- ``sentiment``: the VADER lexicon, ``"positive"`` / ``"negative"`` / ``"neutral"``.

Nothing is downloaded. Each model carries what the registry wants to know (algorithm,
hyperparameters, held-out metrics, feature names) and a reference set for drift and
performance monitoring. :func:`sample_inputs` draws realistic requests, plain or drifted, each
with the ground truth a client would report later.
"""

from __future__ import annotations

import difflib
import functools
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import Any, ClassVar, Literal, NamedTuple, TypeAlias

import numpy as np
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from predledger.errors import InvalidRecordError, NotFoundError

BREAST_CANCER = "breast-cancer"
DIABETES = "diabetes"
SENTIMENT = "sentiment"
MODEL_NAMES = (BREAST_CANCER, DIABETES, SENTIMENT)

ModelInputs: TypeAlias = Mapping[str, float] | str
"""What a model predicts from: feature name to number (tabular) or a text."""

Actual: TypeAlias = str | float
"""Ground truth: a class label or a regression target."""

FloatArray: TypeAlias = NDArray[np.float64]

_SHOWN_MISSING = 5

POSITIVE_THRESHOLD = 0.05
"""VADER's usual cut: compound >= 0.05 is positive, <= -0.05 negative, neutral between."""

INTERVAL_CONFIDENCE = 0.9
TEST_SHARE = 0.25
JITTER_STD = 0.05
"""Noise added to sampled rows, in standard deviations of each continuous feature."""

DRIFT_PLAN: Mapping[str, Mapping[str, tuple[float, float]]] = {
    BREAST_CANCER: {
        "worst radius": (1.5, 1.0),
        "worst perimeter": (1.5, 1.0),
        "worst area": (1.5, 1.0),
        "mean concave points": (1.5, 1.0),
        "mean texture": (0.0, 1.6),
        "worst smoothness": (0.0, 1.6),
    },
    DIABETES: {"bmi": (1.5, 1.0), "s5": (1.5, 1.0), "bp": (1.5, 1.0), "age": (0.0, 1.6)},
}
"""Per model and feature, ``(shift, scale)`` of drifted traffic: the value moves ``shift``
standard deviations up and its spread around the mean grows ``scale`` times. The ground truth
of the row stays, so the shifted model inputs also cost accuracy: the story the demo tells."""

SENTENCE_MIX: Mapping[bool, Mapping[str, float]] = {
    False: {"positive": 0.5, "negative": 0.25, "neutral": 0.25},
    True: {"positive": 0.15, "negative": 0.5, "neutral": 0.35},
}
"""Share of each sentiment in the sampled texts, by whether the traffic is drifted."""

# Labelled by the meaning a reader gives each sentence, not by what VADER says: the set is both
# the sentiment model's evaluation set and the demo's text traffic with its ground truth.
LABELLED_SENTENCES: tuple[tuple[str, str], ...] = (
    ("I love this product, it works perfectly.", "positive"),
    ("The support team was friendly and incredibly helpful.", "positive"),
    ("Fast delivery and great quality, very happy.", "positive"),
    ("Best purchase I have made all year!", "positive"),
    ("The new update is fantastic and much faster.", "positive"),
    ("Excellent value for the money.", "positive"),
    ("The staff were kind and the food was delicious.", "positive"),
    ("I'm impressed by how easy the setup was.", "positive"),
    ("Works like a charm, highly recommend it.", "positive"),
    ("What a wonderful experience from start to finish.", "positive"),
    ("The battery life is amazing.", "positive"),
    ("Really enjoyed the concert last night.", "positive"),
    ("Clean room, comfortable bed, lovely view.", "positive"),
    ("This app makes my day so much better.", "positive"),
    ("Thanks for the quick refund, great service.", "positive"),
    ("The instructions were clear and useful.", "positive"),
    ("Pretty good overall, I would buy it again.", "positive"),
    ("My kids absolutely adore this game.", "positive"),
    ("Solid build and a beautiful design.", "positive"),
    ("The checkout was smooth and painless.", "positive"),
    ("Great taste and a fair price.", "positive"),
    ("Everything was perfect, thank you!", "positive"),
    ("This is terrible, it broke after one day.", "negative"),
    ("The worst customer service I have ever dealt with.", "negative"),
    ("I hate how slow this app is.", "negative"),
    ("Completely useless, I want my money back.", "negative"),
    ("The package arrived damaged and late.", "negative"),
    ("Very disappointed with the quality.", "negative"),
    ("The food was cold and the waiter was rude.", "negative"),
    ("It keeps crashing and I lost all my work.", "negative"),
    ("Not worth the price at all.", "negative"),
    ("The room was dirty and smelled awful.", "negative"),
    ("Nobody answered my emails, which is frustrating.", "negative"),
    ("The battery dies within an hour, so annoying.", "negative"),
    ("Awful experience, I will never order again.", "negative"),
    ("The update made everything worse.", "negative"),
    ("Cheap materials and poor stitching.", "negative"),
    ("I regret buying this.", "negative"),
    ("The screen cracked the first week, horrible.", "negative"),
    ("They charged me twice and refused to help.", "negative"),
    ("Boring movie, a complete waste of time.", "negative"),
    ("The instructions were confusing and wrong.", "negative"),
    ("The package arrived on Tuesday.", "neutral"),
    ("I ordered the blue one in size medium.", "neutral"),
    ("The store opens at nine in the morning.", "neutral"),
    ("My order number starts with 4471.", "neutral"),
    ("The manual is forty pages long.", "neutral"),
    ("I bought this for my brother.", "neutral"),
    ("The device comes with a charger and a cable.", "neutral"),
    ("We stayed at the hotel for two nights.", "neutral"),
    ("The app asks for location access on first launch.", "neutral"),
    ("It is available in three colours.", "neutral"),
    ("The delivery was scheduled for the afternoon.", "neutral"),
    ("I switched from the previous model last month.", "neutral"),
    ("The box contains two batteries.", "neutral"),
    ("The restaurant is on the corner of Main Street.", "neutral"),
    ("I read the reviews before ordering.", "neutral"),
    ("The meeting was moved to Thursday.", "neutral"),
    ("Shipping took four days.", "neutral"),
    ("The software runs on Windows and macOS.", "neutral"),
)


@dataclass(frozen=True)
class ModelOutput:
    """One prediction, shaped like a ledger record.

    Attributes:
        label: Predicted class (classification).
        probability: Probability, or confidence, of the predicted class (classification).
        probabilities: Probability of every class, when the model has them.
        value: Predicted value (regression).
        interval_low: Lower end of the prediction interval (regression).
        interval_high: Upper end of the prediction interval (regression).
        confidence_level: Intended coverage of the interval, such as 0.9 (regression).
    """

    label: str | None = None
    probability: float | None = None
    probabilities: dict[str, float] | None = None
    value: float | None = None
    interval_low: float | None = None
    interval_high: float | None = None
    confidence_level: float | None = None


class LabelledSample(NamedTuple):
    """A request a demo client sends, with the ground truth it reports later."""

    inputs: ModelInputs
    actual: Actual


@dataclass(frozen=True, eq=False, kw_only=True)
class DemoModel:
    """What every demo model tells the registry, and its prediction interface.

    Attributes:
        name: Model name, such as ``"breast-cancer"``.
        version: Model version, ``"1"``.
        algorithm: Human-readable algorithm.
        hyperparameters: Settings the model was built with.
        metrics: Held-out metrics measured when the model was built.
        training_samples: Rows the model was fitted on (0 for the lexicon model).
        feature_names: Input features; ``["text"]`` for the text model.
        reference: Column name to array: the training inputs, plus ``label`` (ground truth),
            ``prediction`` and, for classifiers, ``probability`` (out-of-fold for the
            fitted models, so they look like production rather than memorised rows).
    """

    kind: ClassVar[Literal["classification", "regression"]]

    name: str
    version: str
    algorithm: str
    hyperparameters: dict[str, Any]
    metrics: dict[str, float]
    training_samples: int
    feature_names: list[str]
    reference: dict[str, NDArray[Any]]

    def predict(self, inputs: ModelInputs) -> ModelOutput:
        """Predict one input (see :meth:`predict_many`)."""
        return self.predict_many([inputs])[0]

    def predict_many(self, inputs: Sequence[ModelInputs]) -> list[ModelOutput]:
        """Predict many inputs at once.

        Args:
            inputs: Feature mappings (tabular models) or texts (the text model).

        Returns:
            One output per input, in order.

        Raises:
            InvalidRecordError: An input misses a feature, has an unknown one, a value that is
                not a finite number, or is of the wrong kind; the message names it.
        """
        raise NotImplementedError


@dataclass(frozen=True, eq=False, kw_only=True)
class ClassifierModel(DemoModel):
    """A fitted tabular classifier; ``classes`` follow the estimator's column order."""

    kind: ClassVar[Literal["classification", "regression"]] = "classification"
    estimator: Any
    classes: tuple[str, ...]

    def predict_many(self, inputs: Sequence[ModelInputs]) -> list[ModelOutput]:
        if not inputs:
            return []
        matrix = _feature_matrix(inputs, self.feature_names)
        return [_class_output(self.classes, row) for row in self.estimator.predict_proba(matrix)]


@dataclass(frozen=True, eq=False, kw_only=True)
class RegressorModel(DemoModel):
    """A fitted tabular regressor with a residual-quantile prediction interval."""

    kind: ClassVar[Literal["classification", "regression"]] = "regression"
    estimator: Any
    residual_low: float
    residual_high: float
    confidence_level: float

    def predict_many(self, inputs: Sequence[ModelInputs]) -> list[ModelOutput]:
        if not inputs:
            return []
        values = self.estimator.predict(_feature_matrix(inputs, self.feature_names))
        return [
            ModelOutput(
                value=float(value),
                interval_low=float(value + self.residual_low),
                interval_high=float(value + self.residual_high),
                confidence_level=self.confidence_level,
            )
            for value in values
        ]


@dataclass(frozen=True, eq=False, kw_only=True)
class SentimentModel(DemoModel):
    """VADER with the usual compound thresholds.

    The probability is a confidence, not a calibrated probability: the distance of VADER's
    compound score from the nearest decision threshold, rescaled to [0.5, 1]. A polar text
    goes from 0.5 at the threshold (|compound| = 0.05) to 1 at |compound| = 1; a neutral one
    from 1 at compound 0 to 0.5 at either threshold. Both sides meet at 0.5 on a threshold, so
    the confidence never jumps, and it ranks texts by how clear their verdict is.
    """

    kind: ClassVar[Literal["classification", "regression"]] = "classification"
    classes: ClassVar[tuple[str, ...]] = ("negative", "neutral", "positive")
    analyzer: Any

    def predict_many(self, inputs: Sequence[ModelInputs]) -> list[ModelOutput]:
        outputs = []
        for index, text in enumerate(inputs):
            field = "text" if len(inputs) == 1 else f"texts[{index}]"
            if not isinstance(text, str):
                raise InvalidRecordError(field, f"expected a string, got {type(text).__name__}")
            if not text.strip():
                raise InvalidRecordError(field, "must not be empty")
            label, confidence = _label_compound(self.analyzer.polarity_scores(text)["compound"])
            outputs.append(ModelOutput(label=label, probability=confidence))
        return outputs


@dataclass(frozen=True)
class DemoModels:
    """The demo's three models; build them with :meth:`train`."""

    classifier: ClassifierModel
    regressor: RegressorModel
    sentiment: SentimentModel

    @classmethod
    def train(cls, seed: int = 0) -> DemoModels:
        """Fit the tabular models and load VADER (a second or two on two cores).

        Args:
            seed: Seed of the train/test splits and folds.

        Returns:
            The trained models.
        """
        return cls(
            classifier=_train_classifier(seed),
            regressor=_train_regressor(seed),
            sentiment=_load_sentiment(),
        )

    @property
    def models(self) -> tuple[DemoModel, ...]:
        """All three models, classifier first."""
        return (self.classifier, self.regressor, self.sentiment)

    def get(self, name: str) -> DemoModel:
        """Return the model called ``name``.

        Raises:
            NotFoundError: No demo model has that name.
        """
        for model in self.models:
            if model.name == name:
                return model
        raise NotFoundError(f"no demo model {name!r}; the demo models are {', '.join(MODEL_NAMES)}")


def sample_inputs(
    model_name: str, n: int, rng: np.random.Generator, drifted: bool = False
) -> list[LabelledSample]:
    """Draw ``n`` realistic requests for a demo model, each with its ground truth.

    Tabular inputs are dataset rows with a little noise on continuous features; drifted ones
    are then moved as :data:`DRIFT_PLAN` says. Texts come from :data:`LABELLED_SENTENCES` in
    the proportions of :data:`SENTENCE_MIX`.

    Args:
        model_name: ``"breast-cancer"``, ``"diabetes"`` or ``"sentiment"``.
        n: Number of samples.
        rng: Source of randomness.
        drifted: Draw from the drifted distribution.

    Returns:
        ``n`` pairs of inputs (feature mapping or text) and the true label or value.

    Raises:
        NotFoundError: Unknown model name.
    """
    if model_name == SENTIMENT:
        return _sample_sentences(n, rng, drifted=drifted)
    table = _load_table(model_name)
    rows = rng.integers(0, len(table.target), size=n)
    noise = rng.normal(0.0, JITTER_STD, size=(n, len(table.features)))
    values = table.data[rows] + noise * table.std * table.continuous
    if drifted:
        for column, name in enumerate(table.features):
            shift, scale = DRIFT_PLAN[model_name].get(name, (0.0, 1.0))
            mean, std = table.mean[column], table.std[column]
            values[:, column] = mean + (values[:, column] - mean) * scale + shift * std
    values = np.where(table.non_negative, np.maximum(values, 0.0), values)
    return [
        LabelledSample(dict(zip(table.features, row, strict=True)), actual)
        for row, actual in zip(values.tolist(), table.target[rows].tolist(), strict=True)
    ]


@dataclass(frozen=True)
class _Table:
    features: tuple[str, ...]
    data: FloatArray
    target: NDArray[Any]
    mean: FloatArray
    std: FloatArray
    continuous: NDArray[np.bool_]
    non_negative: NDArray[np.bool_]


@functools.cache
def _load_table(model_name: str) -> _Table:
    if model_name == BREAST_CANCER:
        bunch = load_breast_cancer()
        target = np.asarray(bunch.target_names)[bunch.target]
    elif model_name == DIABETES:
        bunch = load_diabetes(scaled=False)
        target = np.asarray(bunch.target, dtype=np.float64)
    else:
        raise NotFoundError(
            f"no demo dataset for {model_name!r}; try {BREAST_CANCER} or {DIABETES}"
        )
    data = np.asarray(bunch.data, dtype=np.float64)
    # Few distinct values means a code (diabetes' sex is 1 or 2): noise would invent new ones.
    distinct = np.array([len(np.unique(column)) for column in data.T])
    return _Table(
        features=tuple(str(name) for name in bunch.feature_names),
        data=data,
        target=target,
        mean=data.mean(axis=0),
        std=data.std(axis=0),
        continuous=distinct > 10,
        non_negative=data.min(axis=0) >= 0,
    )


def _sample_sentences(n: int, rng: np.random.Generator, *, drifted: bool) -> list[LabelledSample]:
    mix = SENTENCE_MIX[drifted]
    labels = rng.choice(list(mix), size=n, p=list(mix.values()))
    by_label = {
        label: [text for text, known in LABELLED_SENTENCES if known == label] for label in mix
    }
    return [
        LabelledSample(by_label[label][rng.integers(len(by_label[label]))], str(label))
        for label in labels
    ]


def _feature_matrix(rows: Sequence[ModelInputs], names: Sequence[str]) -> FloatArray:
    matrix = np.empty((len(rows), len(names)), dtype=np.float64)
    for index, row in enumerate(rows):
        field = "features" if len(rows) == 1 else f"inputs[{index}].features"
        matrix[index] = _feature_row(row, names, field)
    return matrix


def _feature_row(row: ModelInputs, names: Sequence[str], field: str) -> list[float]:
    if not isinstance(row, Mapping):
        raise InvalidRecordError(
            field, f"expected a mapping of feature name to number, got {type(row).__name__}"
        )
    missing = [name for name in names if name not in row]
    unknown = [name for name in row if name not in names]
    if missing or unknown:
        raise InvalidRecordError(field, _describe_mismatch(missing, unknown, names))
    values = [row[name] for name in names]
    for name, value in zip(names, values, strict=True):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise InvalidRecordError(f"{field}.{name}", f"expected a finite number, got {value!r}")
    return [float(value) for value in values]


def _describe_mismatch(missing: list[str], unknown: list[str], names: Sequence[str]) -> str:
    problems = []
    if missing:
        shown = ", ".join(repr(name) for name in missing[:_SHOWN_MISSING])
        if len(missing) > _SHOWN_MISSING:
            shown += f" and {len(missing) - _SHOWN_MISSING} more"
        problems.append(f"missing {len(missing)} of the model's {len(names)} features: {shown}")
    # Compare loosely so "BMI" and "mean_radius" still find "bmi" and "mean radius".
    loose = {_loosen(name): name for name in names}
    for name in unknown:
        close = difflib.get_close_matches(_loosen(str(name)), list(loose), n=1)
        hint = f" (did you mean {loose[close[0]]!r}?)" if close else ""
        problems.append(f"unknown feature {name!r}{hint}")
    return "; ".join(problems) + "; send exactly the model's feature_names"


def _loosen(name: str) -> str:
    return name.lower().replace("_", " ").replace("-", " ")


def _class_output(classes: tuple[str, ...], probabilities: FloatArray) -> ModelOutput:
    best = int(np.argmax(probabilities))
    return ModelOutput(
        label=classes[best],
        probability=float(probabilities[best]),
        probabilities={label: float(p) for label, p in zip(classes, probabilities, strict=True)},
    )


def _label_compound(compound: float) -> tuple[str, float]:
    threshold = POSITIVE_THRESHOLD
    if compound >= threshold:
        return "positive", 0.5 + 0.5 * (compound - threshold) / (1.0 - threshold)
    if compound <= -threshold:
        return "negative", 0.5 + 0.5 * (-compound - threshold) / (1.0 - threshold)
    return "neutral", 1.0 - 0.5 * abs(compound) / threshold


def _split(table: _Table, seed: int, *, stratify: bool) -> tuple[Any, Any, Any, Any]:
    return tuple(
        train_test_split(
            table.data,
            table.target,
            test_size=TEST_SHARE,
            random_state=seed,
            stratify=table.target if stratify else None,
        )
    )


def _train_classifier(seed: int) -> ClassifierModel:
    table = _load_table(BREAST_CANCER)
    train_x, test_x, train_y, test_y = _split(table, seed, stratify=True)
    hyperparameters: dict[str, Any] = {"C": 1.0, "max_iter": 1000, "scaling": "standard"}
    estimator = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    held_out = cross_val_predict(
        clone(estimator), train_x, train_y, cv=folds, method="predict_proba"
    )
    estimator.fit(train_x, train_y)
    classes = tuple(str(label) for label in estimator.classes_)
    test_proba = estimator.predict_proba(test_x)
    test_pred = np.asarray(classes)[test_proba.argmax(axis=1)]
    positive = classes.index("malignant")  # the condition the model screens for
    metrics = {
        "accuracy": float(accuracy_score(test_y, test_pred)),
        "f1": float(f1_score(test_y, test_pred, pos_label="malignant")),
        "roc_auc": float(roc_auc_score(test_y == "malignant", test_proba[:, positive])),
    }
    reference = dict(zip(table.features, train_x.T, strict=True))
    reference |= {
        "label": train_y,
        "prediction": np.asarray(classes)[held_out.argmax(axis=1)],
        "probability": held_out.max(axis=1),
    }
    return ClassifierModel(
        name=BREAST_CANCER,
        version="1",
        algorithm="StandardScaler + LogisticRegression",
        hyperparameters=hyperparameters,
        metrics=metrics,
        training_samples=len(train_y),
        feature_names=list(table.features),
        reference=reference,
        estimator=estimator,
        classes=classes,
    )


def _train_regressor(seed: int) -> RegressorModel:
    table = _load_table(DIABETES)
    train_x, test_x, train_y, test_y = _split(table, seed, stratify=False)
    estimator = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    folds = KFold(n_splits=5, shuffle=True, random_state=seed)
    held_out = cross_val_predict(clone(estimator), train_x, train_y, cv=folds)
    tail = (1.0 - INTERVAL_CONFIDENCE) / 2
    low, high = (float(q) for q in np.quantile(train_y - held_out, [tail, 1.0 - tail]))
    estimator.fit(train_x, train_y)
    test_pred = estimator.predict(test_x)
    covered = (test_y >= test_pred + low) & (test_y <= test_pred + high)
    metrics = {
        "mae": float(mean_absolute_error(test_y, test_pred)),
        "rmse": float(root_mean_squared_error(test_y, test_pred)),
        "r2": float(r2_score(test_y, test_pred)),
        "interval_coverage": float(covered.mean()),
    }
    reference = dict(zip(table.features, train_x.T, strict=True))
    reference |= {"label": train_y, "prediction": held_out}
    return RegressorModel(
        name=DIABETES,
        version="1",
        algorithm="StandardScaler + Ridge",
        hyperparameters={"alpha": 1.0, "scaling": "standard"},
        metrics=metrics,
        training_samples=len(train_y),
        feature_names=list(table.features),
        reference=reference,
        estimator=estimator,
        residual_low=low,
        residual_high=high,
        confidence_level=INTERVAL_CONFIDENCE,
    )


def _load_sentiment() -> SentimentModel:
    analyzer = SentimentIntensityAnalyzer()
    texts = [text for text, _ in LABELLED_SENTENCES]
    actual = np.asarray([label for _, label in LABELLED_SENTENCES])
    verdicts = [_label_compound(analyzer.polarity_scores(text)["compound"]) for text in texts]
    predicted = np.asarray([label for label, _ in verdicts])
    return SentimentModel(
        name=SENTIMENT,
        version="1",
        algorithm=f"VADER lexicon (vaderSentiment {package_version('vaderSentiment')})",
        hyperparameters={
            "positive_threshold": POSITIVE_THRESHOLD,
            "negative_threshold": -POSITIVE_THRESHOLD,
        },
        metrics={
            "accuracy": float(accuracy_score(actual, predicted)),
            "f1_macro": float(f1_score(actual, predicted, average="macro")),
        },
        training_samples=0,
        feature_names=["text"],
        reference={
            "text": np.asarray(texts, dtype=object),
            "label": actual,
            "prediction": predicted,
            "probability": np.asarray([confidence for _, confidence in verdicts]),
        },
        analyzer=analyzer,
    )
