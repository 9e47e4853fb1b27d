"""Recording operations in ``ops_events`` and reading the last of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select

from predledger.ops.models import OpsEvent
from predledger.store.engine import Store

EVENT_KINDS = ("backup", "restore", "cleanup", "export", "partitions")


@dataclass(frozen=True)
class OpsEventPublic:
    """One recorded operation."""

    kind: str
    status: str
    started_at: datetime
    finished_at: datetime
    summary: str
    details: dict[str, Any] | None


def record_event(
    store: Store,
    *,
    kind: str,
    started_at: datetime,
    summary: str,
    details: dict[str, Any] | None = None,
    status: str = "succeeded",
) -> bool:
    """Append an operation to ``ops_events`` in its own transaction.

    A database whose schema predates the table (a backup taken before an upgrade) simply
    goes without the record. Returns whether it was recorded.
    """
    if not _has_events_table(store):
        return False
    with store.transaction() as session:
        session.add(
            OpsEvent(
                kind=kind,
                status=status,
                started_at=started_at,
                finished_at=datetime.now(UTC),
                summary=summary,
                details=details,
            )
        )
    return True


def last_events(store: Store) -> dict[str, OpsEventPublic]:
    """The last recorded operation of each kind (kinds never run are absent)."""
    if not _has_events_table(store):
        return {}
    found: dict[str, OpsEventPublic] = {}
    with store.transaction() as session:
        for kind in EVENT_KINDS:
            row = session.scalars(
                select(OpsEvent)
                .where(OpsEvent.kind == kind)
                .order_by(OpsEvent.finished_at.desc(), OpsEvent.id.desc())
                .limit(1)
            ).first()
            if row is not None:
                found[kind] = OpsEventPublic(
                    kind=row.kind,
                    status=row.status,
                    started_at=row.started_at,
                    finished_at=row.finished_at,
                    summary=row.summary,
                    details=row.details,
                )
    return found


def _has_events_table(store: Store) -> bool:
    with store.engine.connect() as connection:
        return bool(inspect(connection).has_table(OpsEvent.__tablename__))
