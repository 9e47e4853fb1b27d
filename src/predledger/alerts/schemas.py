"""Shapes of alert rules and alerts: what is created, changed and returned."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RuleKind = Literal["drift", "performance", "error_rate", "latency", "traffic"]
Condition = Literal["detected", "below", "drop", "above"]
Severity = Literal["info", "warning", "critical"]
AlertStatus = Literal["active", "acknowledged", "resolved"]
RiskLevel = Literal["low", "medium", "high", "critical"]

#: The conditions each kind of rule accepts, the first being its default.
CONDITIONS: dict[str, tuple[str, ...]] = {
    "drift": ("detected",),
    "performance": ("below", "drop"),
    "error_rate": ("above",),
    "latency": ("above",),
    "traffic": ("below",),
}
LATENCY_METRICS = ("p50", "p90", "p95", "p99")
OPEN_STATUSES = ("active", "acknowledged")


class ActionPolicy(BaseModel):
    """The remediation a rule proposes when it raises an alert (it then waits for approval)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(min_length=1, max_length=100, description="retrain, rollback, promote...")
    risk_level: RiskLevel = "high"
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class AlertRuleCreate(BaseModel):
    """A rule to create.

    Attributes:
        name: a unique name.
        kind: ``drift`` (the latest drift report found drift), ``performance`` (a stored
            metric below a bound, or dropped by a share of its baseline), ``error_rate``
            (share of predictions with status error above a bound), ``latency`` (a
            percentile above a bound in ms), ``traffic`` (fewer predictions than a bound).
        model: the model watched; ``None`` watches every model, each with its own alert.
        metric: performance: the stored metric (``accuracy``, ``f1_macro``, ``rmse``...);
            latency: ``p50``, ``p90``, ``p95`` (default) or ``p99``.
        condition: ``detected`` (drift), ``below`` / ``drop`` (performance), ``above``
            (error rate, latency), ``below`` (traffic).
        threshold: the bound; for ``drop`` the share (0.1 = dropped by 10%); for drift an
            optional bound on the report's drift score instead of its verdict; for traffic
            the fewest predictions expected (default 1).
        window_minutes: how far back the rule looks.
        min_count: error rate and latency: fewer predictions than this says nothing.
        severity: ``info``, ``warning`` or ``critical``.
        enabled: whether the rule is evaluated.
        auto_resolve: resolve the alert when the condition clears.
        webhook_url: where to POST the alert when raised and resolved.
        action_policy: the remediation to propose when the alert is raised.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: RuleKind
    model: str | None = Field(default=None, max_length=200)
    metric: str | None = Field(default=None, max_length=200)
    condition: Condition | None = None
    threshold: float | None = None
    window_minutes: int = Field(default=60, ge=1, le=60 * 24 * 366)
    min_count: int = Field(default=1, ge=1)
    severity: Severity = "warning"
    enabled: bool = True
    auto_resolve: bool = True
    webhook_url: str | None = Field(default=None, max_length=2000)
    action_policy: ActionPolicy | None = None
    description: str | None = None
    actor: str | None = Field(default=None, max_length=200, description="Who creates it.")

    @model_validator(mode="after")
    def _check_kind(self) -> AlertRuleCreate:
        allowed = CONDITIONS[self.kind]
        if self.condition is None:
            self.condition = allowed[0]  # type: ignore[assignment]
        if self.condition not in allowed:
            raise ValueError(
                f"a rule of kind {self.kind} takes condition {' or '.join(allowed)}, "
                f"not {self.condition}"
            )
        if self.kind == "performance" and not self.metric:
            raise ValueError("a performance rule needs a metric, such as accuracy or rmse")
        if self.kind == "latency":
            self.metric = self.metric or "p95"
            if self.metric not in LATENCY_METRICS:
                raise ValueError(f"latency metric must be one of {', '.join(LATENCY_METRICS)}")
        if self.kind == "traffic" and self.threshold is None:
            self.threshold = 1.0
        if self.kind in ("performance", "error_rate", "latency") and self.threshold is None:
            raise ValueError(f"a rule of kind {self.kind} needs a threshold")
        if self.condition == "drop" and not 0 < (self.threshold or 0) < 1:
            raise ValueError("a drop is a share between 0 and 1 (0.1 = dropped by 10%)")
        return self


class AlertRuleUpdate(BaseModel):
    """Changes to a rule; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    threshold: float | None = None
    window_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 366)
    severity: Severity | None = None
    auto_resolve: bool | None = None
    webhook_url: str | None = Field(default=None, max_length=2000)
    description: str | None = None


class AlertRulePublic(BaseModel):
    """A stored rule."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    kind: RuleKind
    model: str | None
    metric: str | None
    condition: Condition
    threshold: float | None
    window_minutes: int
    min_count: int
    severity: Severity
    enabled: bool
    auto_resolve: bool
    webhook_url: str | None
    action_policy: ActionPolicy | None
    description: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class AlertPublic(BaseModel):
    """An alert with everything about who handled it and when."""

    model_config = ConfigDict(frozen=True)

    id: int
    rule_id: int | None
    dedupe_key: str
    model: str | None
    version: str | None
    alert_type: str
    severity: Severity
    title: str
    message: str
    status: AlertStatus
    observed_value: float | None
    related_data: dict[str, Any]
    notifications: list[dict[str, Any]]
    created_at: datetime
    last_seen_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledge_notes: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_notes: str | None


class AlertDecision(BaseModel):
    """Who acknowledges or resolves an alert, and their notes."""

    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(default=None, max_length=200, description="Who does it.")
    notes: str | None = None


class EvaluationResult(BaseModel):
    """What one evaluation of the rules did."""

    model_config = ConfigDict(frozen=True)

    evaluated_at: datetime
    rules: int
    checks: int
    raised: list[int]
    resolved: list[int]
    firing: list[int]
    proposed_actions: list[int]
