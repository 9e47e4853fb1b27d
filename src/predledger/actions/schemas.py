"""Shapes of remediation actions and their audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ActionStatus = Literal["pending", "approved", "rejected", "executed", "failed"]
RiskLevel = Literal["low", "medium", "high", "critical"]

#: The statuses each status may move to. An action that needs no approval may also be
#: executed straight from ``pending``.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("approved", "rejected"),
    "approved": ("executed", "failed"),
    "rejected": (),
    "executed": (),
    "failed": (),
}
BUILTIN_TYPES = ("rollback", "promote", "retrain")


class ActionCreate(BaseModel):
    """A remediation to propose.

    Attributes:
        action_type: ``rollback``, ``promote``, ``retrain`` or a type with a registered
            handler.
        description: what it does and why.
        model: the model it acts on (``rollback`` and ``promote`` read it from here or
            from ``parameters["model"]``).
        risk_level: ``low`` actions need no approval unless ``requires_approval`` says so.
        requires_approval: default: every risk level but ``low``.
        alert_id: the alert it answers.
        issue_ref: an outside reference (ticket, incident).
        parameters: what the handler needs: ``{"to_version": "2"}`` for a rollback,
            ``{"version": "3"}`` for a promotion.
        actor: who proposes it.
    """

    model_config = ConfigDict(extra="forbid")

    action_type: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = ""
    model: str | None = Field(default=None, max_length=200)
    risk_level: RiskLevel = "medium"
    requires_approval: bool | None = None
    alert_id: int | None = None
    issue_ref: str | None = Field(default=None, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    actor: str | None = Field(default=None, max_length=200, description="Who proposes it.")


class ActionDecision(BaseModel):
    """Who approves, rejects or executes an action, and their comment.

    ``reviewer`` and ``actor`` are the same field under two names (the seed API called it
    ``reviewer``); one of them is required.
    """

    model_config = ConfigDict(extra="forbid")

    reviewer: str | None = Field(default=None, min_length=1, max_length=200)
    actor: str | None = Field(default=None, min_length=1, max_length=200)
    comment: str | None = None

    @property
    def who(self) -> str | None:
        """The person acting."""
        return self.reviewer or self.actor


class ActionPublic(BaseModel):
    """An action and where it stands."""

    model_config = ConfigDict(frozen=True)

    id: int
    action_type: str
    description: str
    model: str | None
    risk_level: RiskLevel
    requires_approval: bool
    alert_id: int | None
    issue_ref: str | None
    parameters: dict[str, Any]
    status: ActionStatus
    proposed_by: str
    proposed_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    executed_by: str | None
    executed_at: datetime | None
    execution_result: dict[str, Any] | None
    error: str | None
    updated_at: datetime


class ActionEventPublic(BaseModel):
    """One audited step: who moved the action from which status to which, when, and why."""

    model_config = ConfigDict(frozen=True)

    id: int
    action_id: int
    actor: str
    from_status: ActionStatus | None
    to_status: ActionStatus
    comment: str | None
    details: dict[str, Any] | None
    at: datetime
