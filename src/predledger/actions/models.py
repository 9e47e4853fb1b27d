"""Tables of remediation actions and their audit trail.

Every change of an action's status is one ``action_events`` row: who, when, from which
status to which, and their comment. The row of the action itself holds its current state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, JSONText, UTCDateTime


class Action(Base):
    """A proposed remediation (retrain, rollback, promote, ...) and where it stands."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_type: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    model_name: Mapped[str | None] = mapped_column(String(200))
    risk_level: Mapped[str] = mapped_column(String(20), nullable=False)
    requires_approval: Mapped[bool] = mapped_column(Boolean, nullable=False)
    alert_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("alerts.id", ondelete="SET NULL")
    )
    issue_ref: Mapped[str | None] = mapped_column(String(200))
    parameters: Mapped[Any] = mapped_column(JSONText, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    proposed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    executed_by: Mapped[str | None] = mapped_column(String(200))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    execution_result: Mapped[Any | None] = mapped_column(JSONText)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_actions_status_time", "status", "proposed_at"),)


class ActionEvent(Base):
    """One step of an action: proposed, approved, rejected, executed or failed."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("actions.id", ondelete="CASCADE"), nullable=False
    )
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[Any | None] = mapped_column(JSONText)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_action_events_action", "action_id", "id"),)
