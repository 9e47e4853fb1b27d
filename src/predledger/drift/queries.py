"""Reads behind drift: a window's histograms, a window's raw inputs, stored reports.

``histogram_window`` reads at most (hours x features x bins) rows, whatever the number of
predictions; ``window_columns`` reads the raw rows (exact mode), in chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from predledger.drift.binning import BinCounts
from predledger.drift.ingest_hook import FeatureBins, as_floats
from predledger.drift.models import MISSING_BIN, DriftReport, FeatureHistogram
from predledger.drift.profile import ReferenceProfile
from predledger.drift.schemas import DriftReportPublic, FeatureDriftPublic
from predledger.errors import NotFoundError
from predledger.predictions.models import Prediction

H = FeatureHistogram
EXACT_CHUNK_ROWS = 20_000


def histogram_window(
    session: Session,
    profile: ReferenceProfile,
    *,
    model: str,
    version: str,
    start: datetime,
    end: datetime,
) -> dict[str, BinCounts]:
    """Counts per reference bin of each profiled feature over the hours in ``[start, end)``.

    Args:
        session: the session to read with.
        profile: the version's reference profile (its bins decide the array sizes).
        model: the model's name.
        version: the version.
        start: the first hour (an hour boundary).
        end: the end of the last hour.

    Returns:
        A ``BinCounts`` per feature (zeros where nothing was logged).
    """
    rows = session.execute(
        select(H.feature, H.bin, func.sum(H.count))
        .where(
            H.model_name == model,
            H.model_version == version,
            H.hour >= start,
            H.hour < end,
        )
        .group_by(H.feature, H.bin)
    ).all()
    counts = {f.name: np.zeros(f.n_bins, dtype=np.int64) for f in profile.features}
    missing = dict.fromkeys(counts, 0)
    for feature, index, total in rows:
        target = counts.get(feature)
        if target is None:
            continue
        if index == MISSING_BIN:
            missing[feature] += int(total)
        elif 0 <= index < target.size:
            target[index] += int(total)
    return {name: BinCounts(counts[name], missing[name]) for name in counts}


def window_columns(
    session: Session,
    profile: ReferenceProfile,
    *,
    model: str,
    version: str,
    start: datetime,
    end: datetime,
) -> tuple[dict[str, npt.NDArray[Any] | BinCounts], int]:
    """The raw feature values of a version's predictions in ``[start, end)``.

    Numeric features come back as float arrays (NaN for missing or unusable values).
    Categorical features come back as their counts on the profile's categories, counted as
    ingest counts them: with no raw reference, every categorical test compares the profile's
    counts with these, so the raw values are not kept.

    Returns:
        The columns by feature name, and the number of rows read.
    """
    query = select(cast(Prediction.inputs, Text), cast(Prediction.feature_names, Text)).where(
        Prediction.model_name == model,
        Prediction.model_version == version,
        Prediction.created_at >= start,
        Prediction.created_at < end,
        Prediction.inputs.is_not(None),
    )
    names = profile.names
    bins = [FeatureBins.of(feature) for feature in profile.features]
    numbers: dict[str, list[npt.NDArray[np.float64]]] = {name: [] for name in names}
    counts = {f.name: BinCounts(np.zeros(f.n_bins, dtype=np.int64), 0) for f in profile.features}
    rows = 0
    # Core rather than ORM execution, streamed in chunks: a window may hold millions of rows.
    connection = session.connection().execution_options(yield_per=EXACT_CHUNK_ROWS)
    for chunk in connection.execute(query).partitions():
        values = chunk_values(chunk, names)
        rows += len(values[0]) if names else 0
        for feature, column in zip(bins, values, strict=True):
            if feature.kind == "numeric":
                numbers[feature.name].append(as_floats(column))
            else:
                seen, total = feature.count(column), counts[feature.name]
                counts[feature.name] = BinCounts(
                    total.counts + seen.counts, total.missing + seen.missing
                )
    columns: dict[str, npt.NDArray[Any] | BinCounts] = {
        f.name: np.concatenate(numbers[f.name]) if numbers[f.name] else np.empty(0)
        for f in bins
        if f.kind == "numeric"
    }
    columns.update({f.name: counts[f.name] for f in bins if f.kind != "numeric"})
    return columns, rows


def chunk_values(chunk: Sequence[Any], names: Sequence[str]) -> list[list[Any]]:
    """One list per feature of the values in a chunk of ``(inputs, feature_names)`` texts.

    Rows whose inputs are not a mapping of features (nor a list with matching names) are
    skipped; a feature a row lacks is ``None``.
    """
    records: list[dict[str, Any]] = []
    for inputs_text, names_text in chunk:
        inputs = orjson.loads(inputs_text) if inputs_text else None
        if isinstance(inputs, list) and names_text:
            given = orjson.loads(names_text)
            inputs = dict(zip(given, inputs, strict=False)) if len(given) == len(inputs) else None
        if isinstance(inputs, dict):
            records.append(inputs)
    if not names:
        return []
    pick = itemgetter(*names)
    try:  # the common case: every row has every feature, picked in C
        picked = [pick(record) for record in records]
    except KeyError:
        picked = [tuple(record.get(name) for name in names) for record in records]
    if len(names) == 1:
        return [list(picked)]
    return [list(column) for column in zip(*picked, strict=True)] if picked else [[] for _ in names]


def to_public(row: DriftReport, *, charts: bool = True) -> DriftReportPublic:
    """Convert a report row to its public shape (without the charts' counts if asked)."""
    features = [FeatureDriftPublic.model_validate(f) for f in row.features]
    if not charts:
        features = [f.model_copy(update={"chart": None}) for f in features]
    return DriftReportPublic(
        id=row.id,
        model_name=row.model_name,
        model_version=row.model_version,
        window_start=row.window_start,
        window_end=row.window_end,
        mode=row.mode,
        reference_size=row.reference_size,
        current_size=row.current_size,
        drift_detected=row.drift_detected,
        drift_score=row.drift_score,
        drift_share=row.drift_share,
        n_features=row.n_features,
        n_drifted=row.n_drifted,
        drifted_features=list(row.drifted_features),
        features=features,
        report_path=row.report_path,
        created_by=row.created_by,
        note=row.note,
        duration_ms=row.duration_ms,
        created_at=row.created_at,
    )


def get_drift_report(session: Session, report_id: int) -> DriftReportPublic:
    """Return one stored report.

    Raises:
        NotFoundError: no report has this id.
    """
    row = session.get(DriftReport, report_id)
    if row is None:
        raise NotFoundError(
            f"no drift report has id {report_id}: list them with `predledger drift list`"
        )
    return to_public(row)


def list_drift_reports(
    session: Session,
    *,
    model: str | None = None,
    version: str | None = None,
    drifted: bool | None = None,
    latest: bool = False,
    since: datetime | None = None,
    limit: int = 100,
    charts: bool = False,
) -> list[DriftReportPublic]:
    """Return stored reports, newest first.

    Args:
        session: the session to read with.
        model: only this model's reports.
        version: only this version's reports.
        drifted: only reports that found (``True``) or did not find (``False``) drift.
        latest: only the newest report of each model (of the ones that match).
        since: only reports created at or after this time.
        limit: at most this many.
        charts: include each feature's counts per bin.
    """
    conditions = []
    if model is not None:
        conditions.append(DriftReport.model_name == model)
    if version is not None:
        conditions.append(DriftReport.model_version == version)
    if drifted is not None:
        conditions.append(DriftReport.drift_detected == drifted)
    if since is not None:
        conditions.append(DriftReport.created_at >= since)
    if latest:
        newest = select(func.max(DriftReport.id)).where(*conditions)
        conditions.append(DriftReport.id.in_(newest.group_by(DriftReport.model_name)))
    query = (
        select(DriftReport)
        .where(*conditions)
        .order_by(DriftReport.created_at.desc(), DriftReport.id.desc())
        .limit(limit)
    )
    return [to_public(row, charts=charts) for row in session.scalars(query)]
