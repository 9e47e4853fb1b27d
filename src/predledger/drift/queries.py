"""Reads behind drift: a window's histograms, a window's raw inputs, stored reports.

``histogram_window`` reads at most (hours x features x bins) rows, whatever the number of
predictions; ``window_columns`` reads the raw rows (exact mode), in chunks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from predledger.drift.binning import BinCounts
from predledger.drift.input_columns import ChunkColumns, InputColumns
from predledger.drift.models import MISSING_BIN, DriftReport, FeatureHistogram
from predledger.drift.profile import ReferenceProfile
from predledger.drift.schemas import DriftReportPublic, FeatureDriftPublic
from predledger.errors import NotFoundError
from predledger.store.dialect import dialect_for

H = FeatureHistogram
EXACT_CHUNK_ROWS = 20_000
#: Threads that parse the chunks of a window's inputs while the next ones are read.
EXACT_PARSERS = 2
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    ingest counts them (see ``InputColumns``).

    Returns:
        The columns by feature name, and the number of rows read.
    """
    columns = InputColumns(profile.features)
    # Chunks are parsed in worker threads while this one reads the next: pyarrow lets go of
    # the GIL while it parses, so reading and parsing use two cores.
    with ThreadPoolExecutor(EXACT_PARSERS, thread_name_prefix="predledger-drift") as parsers:
        parsing: deque[Future[ChunkColumns]] = deque()
        for chunk in _window_inputs(session, model=model, version=version, start=start, end=end):
            if len(parsing) == EXACT_PARSERS:  # the oldest first: at most this many in memory
                columns.add_parsed(parsing.popleft().result())
            parsing.append(parsers.submit(columns.parse, chunk))
        for parsed in parsing:
            columns.add_parsed(parsed.result())
    return columns.columns(), columns.rows


def _window_inputs(
    session: Session, *, model: str, version: str, start: datetime, end: datetime
) -> Iterator[list[tuple[Any, Any]]]:
    """The ``(inputs, feature_names)`` texts of the window's rows, in chunks.

    Read with the driver's own cursor, in the session's transaction: for a window of a
    million rows, SQLAlchemy's rows cost more than parsing their JSON does.
    """
    dialect = dialect_for(session.get_bind().dialect.name)
    raw: Any = session.connection().connection.driver_connection
    # SQLite hands a BLOB over as bytes: no decoding to str, nor encoding back to parse it.
    inputs = "CAST(inputs AS BLOB)" if dialect.name == "sqlite" else "CAST(inputs AS TEXT)"
    mark = dialect.placeholders(1)
    sql = (
        f"SELECT {inputs}, CAST(feature_names AS TEXT) FROM predictions"
        f" WHERE model_name = {mark} AND model_version = {mark}"
        f" AND created_at >= {mark} AND created_at < {mark} AND inputs IS NOT NULL"
    )
    params = (model, version, dialect.timestamp_param(_micros(start)),
              dialect.timestamp_param(_micros(end)))  # fmt: skip
    # psycopg holds a whole result in memory unless the cursor is a named, server-side one.
    named = dialect.name == "postgresql"
    cursor = raw.cursor(name="predledger_window_inputs") if named else raw.cursor()
    try:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(EXACT_CHUNK_ROWS):
            yield chunk
    finally:
        cursor.close()


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


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
