"""``predledger actions ...``: propose, approve, reject and execute remediation actions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from predledger.actions import operations, queries
from predledger.actions.schemas import ActionPublic, ActionStatus, RiskLevel
from predledger.alerts.webhooks import allow_private_from_env
from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.cli.store_option import As, AsJson, opened_store, parse_pairs, print_json, who

app = typer.Typer(help="Remediation actions and their approval.", no_args_is_help=True)

ActionId = Annotated[int, typer.Argument(help="The action's id.")]
Comment = Annotated[str | None, typer.Option(help="Why; kept in the audit trail.")]


def _line(action: ActionPublic) -> str:
    by = {
        "approved": action.reviewed_by, "rejected": action.reviewed_by,
        "executed": action.executed_by, "failed": action.executed_by,
    }.get(action.status)  # fmt: skip
    text = f"action #{action.id} {action.action_type} {action.model or ''}: {action.status}"
    text += f" by {by}" if by else ""
    if action.status == "failed" and action.error:
        text += f" ({action.error})"
    return text


def _show(action: ActionPublic, as_json: bool) -> None:
    if as_json:
        print_json(action)
    else:
        console.print(_line(action), highlight=False)


@app.command("list")
@friendly_errors
def list_(
    status: Annotated[ActionStatus | None, typer.Option(help="e.g. pending.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model's actions.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """List actions, newest first."""
    with opened_store(database_url) as store, store.transaction() as session:
        found = queries.list_actions(session, status=status, model=model, limit=limit)
    if as_json:
        print_json(found)
        return
    table = Table(
        "id", "proposed", "type", "model", "risk", "status", "proposed by", "reviewed by", "alert"
    )
    for a in found:
        table.add_row(
            str(a.id), f"{a.proposed_at:%Y-%m-%d %H:%M}", a.action_type, a.model or "",
            a.risk_level, a.status, a.proposed_by, a.reviewed_by or "",
            "" if a.alert_id is None else f"#{a.alert_id}",
        )  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def show(action_id: ActionId, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Show an action and its audit trail."""
    with opened_store(database_url) as store, store.transaction() as session:
        action = queries.get_action(session, action_id)
        events = queries.list_action_events(session, action_id)
    if as_json:
        print_json(action)
        return
    for field, value in action.model_dump().items():
        console.print(f"[bold]{field}[/]: {value}", highlight=False)
    table = Table("when", "who", "from", "to", "comment")
    for e in events:
        table.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.from_status or "-", e.to_status,
                      e.comment or "")  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def propose(
    action_type: Annotated[str, typer.Argument(help="rollback, promote, retrain or your own.")],
    model: Annotated[str | None, typer.Option(help="The model it acts on.")] = None,
    risk: Annotated[RiskLevel, typer.Option(help="low actions need no approval.")] = "medium",
    param: Annotated[list[str] | None, typer.Option(help="A parameter, key=value.")] = None,
    alert: Annotated[int | None, typer.Option(help="The alert it answers.")] = None,
    description: Annotated[str, typer.Option(help="What it does and why.")] = "",
    as_: As = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Propose an action; it waits for approval unless its risk is low."""
    with opened_store(database_url) as store:
        action = operations.propose_action(
            store, actor=who(as_), action_type=action_type, model=model, risk_level=risk,
            parameters=parse_pairs("--param", param), alert_id=alert, description=description,
        )  # fmt: skip
    _show(action, as_json)


@app.command()
@friendly_errors
def approve(
    action_id: ActionId, comment: Comment = None, as_: As = None,
    database_url: DatabaseUrl = None, as_json: AsJson = False,
) -> None:  # fmt: skip
    """Approve a pending action (not one you proposed)."""
    with opened_store(database_url) as store:
        action = operations.approve_action(store, action_id, reviewer=who(as_), comment=comment)
    _show(action, as_json)


@app.command()
@friendly_errors
def reject(
    action_id: ActionId, comment: Comment = None, as_: As = None,
    database_url: DatabaseUrl = None, as_json: AsJson = False,
) -> None:  # fmt: skip
    """Reject a pending action."""
    with opened_store(database_url) as store:
        action = operations.reject_action(store, action_id, reviewer=who(as_), comment=comment)
    _show(action, as_json)


@app.command()
@friendly_errors
def execute(
    action_id: ActionId, comment: Comment = None, as_: As = None,
    database_url: DatabaseUrl = None, as_json: AsJson = False,
) -> None:  # fmt: skip
    """Execute an approved action through its handler; the result or error is stored."""
    with opened_store(database_url) as store:
        action = operations.execute_action(
            store, action_id, actor=who(as_), comment=comment,
            allow_private_webhooks=allow_private_from_env(),
        )  # fmt: skip
    _show(action, as_json)
    if action.status == "failed":
        raise typer.Exit(1)
