"""Predictions seen from the registry: log one by version id, read the recent ones.

The ledger keys predictions by model name and version string; the seed systems keyed them by
the integer id of a model version, which ``log_prediction`` takes.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from predledger.errors import InvalidRecordError
from predledger.predictions.queries import PredictionFilters, list_predictions
from predledger.predictions.schemas import PredictionPublic
from predledger.registry.queries import get_model_version_by_id

if TYPE_CHECKING:  # the ledger imports the store, whose schema imports the registry
    from predledger.ingest.ledger import Ledger

_versions: dict[tuple[str, int], tuple[str, str]] = {}
_versions_lock = threading.Lock()


def log_prediction(ledger: Ledger, model_version_id: int, **fields: Any) -> str:
    """Log a prediction of the registered version with this id; returns the prediction id.

    Args:
        ledger: the ledger to log through.
        model_version_id: the version's id (``ModelVersionPublic.id``).
        **fields: the keyword arguments of ``Ledger.log`` other than ``model`` and ``version``.

    Raises:
        NotFoundError: no version has this id.
        InvalidRecordError: a field breaks a rule.
    """
    key = (ledger.store.describe(), model_version_id)
    with _versions_lock:
        known = _versions.get(key)
    if known is None:
        # A version's name and version string never change, so the lookup is kept.
        with ledger.store.transaction() as session:
            version = get_model_version_by_id(session, model_version_id)
        known = (version.name, version.version)
        with _versions_lock:
            _versions[key] = known
    return ledger.log(model=known[0], version=known[1], **fields)


def recent_predictions(
    session: Session,
    *,
    name: str | None = None,
    version: str | None = None,
    model_version_id: int | None = None,
    hours: float = 24,
    limit: int = 100,
    now: datetime | None = None,
) -> list[PredictionPublic]:
    """Return a model's predictions of the last ``hours``, newest first.

    Args:
        session: the session to read with.
        name: the model (or give ``model_version_id``).
        version: only this version.
        model_version_id: the registered version, instead of ``name`` and ``version``.
        hours: how far back.
        limit: at most this many (up to 1000).
        now: the end of the period (default: now).

    Raises:
        NotFoundError: ``model_version_id`` names no version.
        InvalidRecordError: neither ``name`` nor ``model_version_id`` is given.
    """
    if model_version_id is not None:
        registered = get_model_version_by_id(session, model_version_id)
        name, version = registered.name, registered.version
    if name is None:
        raise InvalidRecordError("name", "give the model's name or a model_version_id")
    until = now or datetime.now(UTC)
    filters = PredictionFilters(
        model=name, version=version, since=until - timedelta(hours=hours), until=until
    )
    return list_predictions(session, filters, limit=limit).items
