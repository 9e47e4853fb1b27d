"""``/v1/alerts``: alerts (list, acknowledge, resolve), their rules, and evaluating them now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from predledger.alerts import operations, queries
from predledger.alerts.queries import StatusFilter
from predledger.alerts.schemas import (
    AlertDecision,
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRuleUpdate,
    EvaluationResult,
)
from predledger.api.deps import LedgerDep, SessionDep
from predledger.auth.dependencies import PrincipalDep, acting_as

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

AlertId = Annotated[int, Path(ge=1, description="The alert's id.")]
RuleRef = Annotated[str, Path(min_length=1, max_length=200, description="A rule's id or name.")]
API_ACTOR = "api"


def _rule(ref: str) -> int | str:
    return int(ref) if ref.isdigit() else ref


@router.get("/rules", summary="Every alert rule")
def read_rules(
    session: SessionDep,
    enabled: Annotated[bool | None, Query(description="Only enabled (or disabled) rules.")] = None,
) -> list[AlertRulePublic]:
    """The rules, oldest first."""
    return queries.list_rules(session, enabled=enabled)


@router.post(
    "/rules",
    status_code=201,
    summary="Create an alert rule",
    responses={409: {"description": "A rule of that name exists."}},
)
def create_rule(
    ledger: LedgerDep, principal: PrincipalDep, body: AlertRuleCreate
) -> AlertRulePublic:
    """A rule on drift, performance, error rate, latency or traffic, for a model or all.

    A ``webhook_url`` reaching a loopback, private, link-local or metadata address is
    refused unless the service runs with ``PREDLEDGER_ALLOW_PRIVATE_WEBHOOKS=1``.
    """
    data = body.model_copy(update={"actor": acting_as(principal, body.actor) or API_ACTOR})
    return operations.create_rule(ledger.store, data)


@router.get("/rules/{rule}", summary="One rule", responses={404: {"description": "No such rule."}})
def read_rule(session: SessionDep, rule: RuleRef) -> AlertRulePublic:
    """The rule, by id or name."""
    return queries.get_rule(session, _rule(rule))


@router.patch("/rules/{rule}", summary="Change a rule (enable, disable, threshold...)")
def change_rule(ledger: LedgerDep, rule: RuleRef, body: AlertRuleUpdate) -> AlertRulePublic:
    """Only the fields sent change."""
    return operations.update_rule(ledger.store, _rule(rule), **body.model_dump(exclude_unset=True))


@router.delete("/rules/{rule}", summary="Delete a rule (its alerts stay)")
def delete_rule(ledger: LedgerDep, rule: RuleRef) -> AlertRulePublic:
    """The rule as it was."""
    return operations.delete_rule(ledger.store, _rule(rule))


@router.post("/evaluate", summary="Evaluate the rules now")
def evaluate(ledger: LedgerDep) -> EvaluationResult:
    """What the monitor does every minute: raise, refresh and resolve alerts, send webhooks."""
    return operations.evaluate_and_notify(ledger.store)


@router.get("", summary="Alerts, newest first")
def read_alerts(
    session: SessionDep,
    status: Annotated[
        StatusFilter | None, Query(description="active, acknowledged, resolved or open.")
    ] = None,
    model: Annotated[str | None, Query(description="Only this model's alerts.")] = None,
    severity: Annotated[str | None, Query(description="info, warning or critical.")] = None,
    alert_type: Annotated[
        str | None, Query(alias="type", description="drift, performance, error_rate...")
    ] = None,
    rule_id: Annotated[int | None, Query(description="Only this rule's alerts.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertPublic]:
    """Alerts with who acknowledged and resolved them, when, and their notes."""
    return queries.list_alerts(
        session, status=status, model=model, severity=severity, alert_type=alert_type,
        rule_id=rule_id, limit=limit,
    )  # fmt: skip


@router.get("/{alert_id}", summary="One alert", responses={404: {"description": "No such alert."}})
def read_alert(session: SessionDep, alert_id: AlertId) -> AlertPublic:
    """The alert."""
    return queries.get_alert(session, alert_id)


@router.post(
    "/{alert_id}/acknowledge",
    summary="Acknowledge an alert",
    responses={409: {"description": "The alert is already acknowledged or resolved."}},
)
def acknowledge(
    ledger: LedgerDep, principal: PrincipalDep, alert_id: AlertId, body: AlertDecision | None = None
) -> AlertPublic:
    """``active -> acknowledged``, recording who, when and their notes."""
    decision = body or AlertDecision()
    return operations.acknowledge_alert(
        ledger.store,
        alert_id,
        actor=acting_as(principal, decision.actor) or API_ACTOR,
        notes=decision.notes,
    )


@router.post(
    "/{alert_id}/resolve",
    summary="Resolve an alert",
    responses={409: {"description": "The alert is already resolved."}},
)
def resolve(
    ledger: LedgerDep, principal: PrincipalDep, alert_id: AlertId, body: AlertDecision | None = None
) -> AlertPublic:
    """``active | acknowledged -> resolved``, recording who, when and their notes."""
    decision = body or AlertDecision()
    return operations.resolve_alert(
        ledger.store,
        alert_id,
        actor=acting_as(principal, decision.actor) or API_ACTOR,
        notes=decision.notes,
    )
