"""Drift reports: compute one for a model version and window, and store it.

``compute_drift_report`` only reads (the hourly histograms, or the raw rows in exact mode);
``save_drift_report`` writes the result. Neither commits: the caller owns the transaction.
``predledger.drift.operations`` runs them in two transactions so the write lock is held only
while the row is written.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

from predledger.drift.binning import BinCounts
from predledger.drift.detection import (
    DatasetDrift,
    DriftOverride,
    compute_dataset_drift,
    compute_feature_drift,
)
from predledger.drift.models import DriftReport
from predledger.drift.profile import FeatureProfile, ReferenceProfile
from predledger.drift.queries import histogram_window, to_public, window_columns
from predledger.drift.schemas import BinChart, DriftReportCreate, DriftReportPublic
from predledger.errors import ConfigurationError, InvalidRecordError, NotFoundError
from predledger.registry.queries import find_reference_profile, get_active_version

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ComputedReport:
    """A drift report computed but not stored yet."""

    model: str
    version: str
    window_start: datetime
    window_end: datetime
    reference_size: int
    current_size: int
    result: DatasetDrift
    charts: dict[str, BinChart]
    duration_ms: float


def floor_hour(moment: datetime) -> datetime:
    """The start of the hour holding ``moment`` (UTC)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """The first hour boundary at or after ``moment`` (UTC)."""
    floor = floor_hour(moment)
    return floor if floor == moment.astimezone(UTC) else floor + HOUR


def report_window(request: DriftReportCreate, now: datetime) -> tuple[datetime, datetime]:
    """The window a request covers; whole hours in histogram mode.

    Raises:
        InvalidRecordError: the window ends before it starts.
    """
    end = (request.end or now).astimezone(UTC)
    start = (request.start or end - timedelta(hours=request.hours)).astimezone(UTC)
    if request.mode == "histogram":
        start, end = floor_hour(start), ceil_hour(end)
    if end <= start:
        raise InvalidRecordError("end", f"the window ends ({end}) before it starts ({start})")
    return start, end


def reference_of(session: Session, model: str, version: str | None) -> tuple[str, ReferenceProfile]:
    """The version to test (the active one by default) and its reference profile.

    Raises:
        NotFoundError: no such model or version, no active version, or no reference profile.
    """
    chosen = version or get_active_version(session, model).version
    profile = find_reference_profile(session, model, chosen)
    if profile is None:
        raise NotFoundError(
            f"version {chosen!r} of {model!r} has no reference profile, so its drift cannot be "
            f"measured: register a version with a reference dataset (`predledger models "
            f"register {model} VERSION --reference data.csv`)"
        )
    return chosen, profile


def compute_drift_report(
    session: Session, request: DriftReportCreate, *, now: datetime | None = None
) -> ComputedReport:
    """Test a model version's window against its reference profile (reads only).

    Raises:
        NotFoundError: see ``reference_of``.
        InvalidRecordError: the window is empty or an override names an unknown feature or
            a method the feature cannot use.
    """
    began = time.perf_counter()
    version, profile = reference_of(session, request.model, request.version)
    start, end = report_window(request, now or datetime.now(UTC))
    current: dict[str, Any]
    if request.mode == "histogram":
        current = dict(
            histogram_window(
                session, profile, model=request.model, version=version, start=start, end=end
            )
        )
        rows = max((c.counts.sum() + c.missing for c in current.values()), default=0)
    else:
        current, rows = window_columns(
            session, profile, model=request.model, version=version, start=start, end=end
        )
    overrides = {
        name: DriftOverride(method=o.method, threshold=o.threshold)
        for name, o in request.overrides.items()
    }
    try:
        result = _dataset_drift(profile, current, request.mode, overrides, request.drift_share)
    except ConfigurationError as exc:
        raise InvalidRecordError("overrides", str(exc)) from None
    return ComputedReport(
        model=request.model,
        version=version,
        window_start=start,
        window_end=end,
        reference_size=profile.rows,
        current_size=int(rows),
        result=result,
        charts={f.name: _chart(f, current[f.name]) for f in profile.features},
        duration_ms=(time.perf_counter() - began) * 1000.0,
    )


def _dataset_drift(
    profile: ReferenceProfile,
    current: dict[str, Any],
    mode: str,
    overrides: dict[str, DriftOverride],
    drift_share: float,
) -> DatasetDrift:
    """The verdicts; in exact mode categorical features arrive already counted.

    With no raw reference, exact mode compares a categorical feature's profile counts with
    the window's counts, which is what histogram mode computes: those features go through
    it, the numeric ones through the raw-sample tests.
    """
    if mode == "histogram":
        return compute_dataset_drift(
            profile, current, mode="histogram", overrides=overrides, drift_share=drift_share
        )
    unknown = sorted(set(overrides) - set(profile.names))
    if unknown:
        raise ConfigurationError(f"drift overrides name unknown features {unknown}")
    results = tuple(
        compute_feature_drift(
            feature,
            current[feature.name],
            mode="histogram" if isinstance(current[feature.name], BinCounts) else "exact",
            method=overrides.get(feature.name, DriftOverride()).method,
            threshold=overrides.get(feature.name, DriftOverride()).threshold,
        )
        for feature in profile.features
    )
    evaluated = sum(r.statistic is not None for r in results)
    drifted = sum(r.drifted for r in results)
    share = drifted / evaluated if evaluated else 0.0
    return DatasetDrift(
        features=results, mode="exact", drift_share=drift_share, n_features=evaluated,
        n_drifted=drifted, share_drifted=share, drift_score=share,
        dataset_drift=evaluated > 0 and share >= drift_share,
    )  # fmt: skip


def save_drift_report(
    session: Session,
    computed: ComputedReport,
    *,
    actor: str | None,
    note: str | None = None,
    now: datetime | None = None,
) -> DriftReportPublic:
    """Store a computed report and return it."""
    result = computed.result
    features = []
    for verdict in result.features:
        entry = verdict.to_dict()
        entry["statistic"] = _finite(entry["statistic"])
        entry["p_value"] = _finite(entry["p_value"])
        entry["chart"] = computed.charts[verdict.feature].model_dump()
        features.append(entry)
    row = DriftReport(
        model_name=computed.model,
        model_version=computed.version,
        window_start=computed.window_start,
        window_end=computed.window_end,
        mode=result.mode,
        reference_size=computed.reference_size,
        current_size=computed.current_size,
        drift_detected=result.dataset_drift,
        drift_score=result.drift_score,
        drift_share=result.drift_share,
        n_features=result.n_features,
        n_drifted=result.n_drifted,
        drifted_features=list(result.drifted_features),
        features=features,
        report_path=None,
        created_by=actor,
        note=note,
        duration_ms=computed.duration_ms,
        created_at=now or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return to_public(row)


def create_drift_report(
    session: Session,
    request: DriftReportCreate,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> DriftReportPublic:
    """Compute and store a report in the caller's transaction."""
    computed = compute_drift_report(session, request, now=now)
    return save_drift_report(
        session, computed, actor=actor or request.actor, note=request.note, now=now
    )


def _finite(value: float | None) -> float | None:
    """JSON has no infinity: an infinite statistic (PSI of an empty cell) is stored as a cap."""
    if value is None or math.isfinite(value):
        return value
    return 1e300 if value > 0 else -1e300


def _chart(feature: FeatureProfile, current: Any) -> BinChart:
    counts = current if isinstance(current, BinCounts) else feature.bin(current)
    return BinChart(
        labels=bin_labels(feature),
        reference=[int(c) for c in feature.counts],
        current=[int(c) for c in counts.counts],
    )


def bin_labels(feature: FeatureProfile) -> list[str]:
    """Readable names of a feature's bins: ranges for numbers, the categories otherwise."""
    if feature.kind == "categorical":
        return [str(c) for c in feature.categories] + ["other"]
    inner = feature.edges[1:-1]
    if not inner:
        return ["all values"]
    labels = [f"< {inner[0]:.4g}"]
    labels += [f"{low:.4g} to {high:.4g}" for low, high in pairwise(inner)]
    return [*labels, f">= {inner[-1]:.4g}"]
