"""``predledger alerts ...``: list, acknowledge and resolve alerts; manage and evaluate rules."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from predledger.alerts import operations, queries
from predledger.alerts.queries import StatusFilter
from predledger.alerts.schemas import AlertPublic, Condition, RiskLevel, RuleKind, Severity
from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.cli.store_option import As, AsJson, opened_store, parse_pairs, print_json, who

app = typer.Typer(help="Alerts and the rules that raise them.", no_args_is_help=True)

AlertId = Annotated[int, typer.Argument(help="The alert's id.")]
RuleRef = Annotated[str, typer.Argument(help="The rule's id or name.")]
Notes = Annotated[str | None, typer.Option(help="Notes kept with the change.")]


def _rule(ref: str) -> int | str:
    return int(ref) if ref.isdigit() else ref


def _show(alert: AlertPublic, as_json: bool) -> None:
    if as_json:
        print_json(alert)
        return
    by = ""
    if alert.status == "acknowledged":
        by = f" by {alert.acknowledged_by}"
    elif alert.status == "resolved":
        by = f" by {alert.resolved_by}"
    console.print(f"alert #{alert.id} [{alert.severity}] {alert.title}: {alert.status}{by}",
                  highlight=False)  # fmt: skip


@app.command("list")
@friendly_errors
def list_(
    status: Annotated[
        StatusFilter | None, typer.Option(help="active, acknowledged, resolved or open.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Only this model's alerts.")] = None,
    severity: Annotated[Severity | None, typer.Option(help="Only this severity.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """List alerts, newest first."""
    with opened_store(database_url) as store, store.transaction() as session:
        found = queries.list_alerts(
            session, status=status, model=model, severity=severity, limit=limit
        )
    if as_json:
        print_json(found)
        return
    table = Table("id", "raised", "severity", "status", "model", "title", "message", "handled by")
    for a in found:
        handled = a.resolved_by or a.acknowledged_by or ""
        table.add_row(
            str(a.id), f"{a.created_at:%Y-%m-%d %H:%M}", a.severity, a.status, a.model or "*",
            a.title, a.message, handled,
        )  # fmt: skip
    console.print(table)


@app.command("ack")
@friendly_errors
def acknowledge(
    alert_id: AlertId, notes: Notes = None, as_: As = None, database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Acknowledge an active alert: someone is on it."""
    with opened_store(database_url) as store:
        alert = operations.acknowledge_alert(store, alert_id, actor=who(as_), notes=notes)
    _show(alert, as_json)


@app.command()
@friendly_errors
def resolve(
    alert_id: AlertId, notes: Notes = None, as_: As = None, database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Resolve an open alert."""
    with opened_store(database_url) as store:
        alert = operations.resolve_alert(store, alert_id, actor=who(as_), notes=notes)
    _show(alert, as_json)


@app.command()
@friendly_errors
def rules(database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """List the alert rules."""
    with opened_store(database_url) as store, store.transaction() as session:
        found = queries.list_rules(session)
    if as_json:
        print_json(found)
        return
    table = Table(
        "id", "name", "kind", "model", "condition", "window", "severity", "enabled", "action"
    )
    for r in found:
        condition = f"{r.metric or ''} {r.condition} {'' if r.threshold is None else r.threshold}"
        table.add_row(
            str(r.id), r.name, r.kind, r.model or "*", condition.strip(), f"{r.window_minutes} min",
            r.severity, "yes" if r.enabled else "no",
            r.action_policy.type if r.action_policy else "",
        )  # fmt: skip
    console.print(table)


@app.command("add-rule")
@friendly_errors
def add_rule(
    name: Annotated[str, typer.Argument(help="A unique name for the rule.")],
    kind: Annotated[
        RuleKind, typer.Option(help="drift, performance, error_rate, latency or traffic.")
    ],
    model: Annotated[
        str | None, typer.Option(help="The model watched (default: every model).")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="performance: accuracy, rmse...; latency: p95, p99.")
    ] = None,
    condition: Annotated[
        Condition | None, typer.Option(help="detected, below, drop or above.")
    ] = None,
    threshold: Annotated[float | None, typer.Option(help="The bound (a share for drop).")] = None,
    window: Annotated[int, typer.Option(help="Minutes the rule looks back.")] = 60,
    min_count: Annotated[int, typer.Option(help="Fewest predictions that say anything.")] = 1,
    severity: Annotated[Severity, typer.Option(help="info, warning or critical.")] = "warning",
    webhook: Annotated[
        str | None, typer.Option(help="POST the alert here when raised/resolved.")
    ] = None,
    propose: Annotated[
        str | None, typer.Option(help="Action to propose when raised (e.g. rollback).")
    ] = None,
    propose_risk: Annotated[RiskLevel, typer.Option(help="Risk level of that action.")] = "high",
    propose_param: Annotated[
        list[str] | None, typer.Option(help="Its parameters, key=value.")
    ] = None,
    no_auto_resolve: Annotated[
        bool, typer.Option("--no-auto-resolve", help="Leave resolving to people.")
    ] = False,
    as_: As = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create an alert rule."""
    policy = None
    if propose:
        policy = {"type": propose, "risk_level": propose_risk,
                  "parameters": parse_pairs("--propose-param", propose_param)}  # fmt: skip
    request = operations.rule_request(
        name=name, kind=kind, model=model, metric=metric, condition=condition,
        threshold=threshold, window_minutes=window, min_count=min_count, severity=severity,
        webhook_url=webhook, action_policy=policy, auto_resolve=not no_auto_resolve,
        actor=who(as_),
    )  # fmt: skip
    with opened_store(database_url) as store:
        rule = operations.create_rule(store, request)
    if as_json:
        print_json(rule)
    else:
        console.print(f"rule #{rule.id} {rule.name!r} created", highlight=False)


@app.command()
@friendly_errors
def enable(rule: RuleRef, database_url: DatabaseUrl = None) -> None:
    """Turn a rule on."""
    with opened_store(database_url) as store:
        done = operations.update_rule(store, _rule(rule), enabled=True)
    console.print(f"rule #{done.id} {done.name!r} enabled", highlight=False)


@app.command()
@friendly_errors
def disable(rule: RuleRef, database_url: DatabaseUrl = None) -> None:
    """Turn a rule off (its open alerts stay as they are)."""
    with opened_store(database_url) as store:
        done = operations.update_rule(store, _rule(rule), enabled=False)
    console.print(f"rule #{done.id} {done.name!r} disabled", highlight=False)


@app.command("delete-rule")
@friendly_errors
def delete_rule(rule: RuleRef, database_url: DatabaseUrl = None) -> None:
    """Delete a rule (its alerts stay)."""
    with opened_store(database_url) as store:
        done = operations.delete_rule(store, _rule(rule))
    console.print(f"rule #{done.id} {done.name!r} deleted", highlight=False)


@app.command()
@friendly_errors
def evaluate(database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Evaluate the rules now: raise, refresh and resolve alerts, send webhooks."""
    with opened_store(database_url) as store:
        result = operations.evaluate_and_notify(store)
    if as_json:
        print_json(result)
        return
    console.print(
        f"{result.rules} rules, {result.checks} checks: raised {result.raised or 'none'}, "
        f"still firing {result.firing or 'none'}, resolved {result.resolved or 'none'}",
        highlight=False,
    )
