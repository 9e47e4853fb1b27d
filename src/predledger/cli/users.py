"""``predledger users create|list|disable``: the people who sign in to the dashboard."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from predledger.auth import create_user, disable_user, list_users, parse_role
from predledger.cli.db import DatabaseUrl
from predledger.cli.keys import RoleOption
from predledger.cli.output import console, friendly_errors
from predledger.cli.store_option import AsJson, opened_store, print_json, who
from predledger.registry.retry import run_in_transaction

app = typer.Typer(help="Dashboard users: create, list, disable.", no_args_is_help=True)

Username = Annotated[str, typer.Argument(help="The name they sign in with.")]


@app.command()
@friendly_errors
def create(
    username: Username,
    role: RoleOption,
    password: Annotated[
        str,
        typer.Option(
            prompt=True, confirmation_prompt=True, hide_input=True,
            envvar="PREDLEDGER_NEW_PASSWORD",
            help="At least 10 characters; asked for when not given (or PREDLEDGER_NEW_PASSWORD).",
        ),
    ],
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Add a user (the password is stored as an argon2 hash, never as given)."""
    chosen = parse_role(role)
    with opened_store(database_url) as store:
        user = run_in_transaction(
            store,
            lambda session: create_user(
                session, username=username, password=password, role=chosen,
                created_by=who(None),
            ),
            what="create the user",
        )  # fmt: skip
    if as_json:
        print_json(user)
        return
    console.print(f"user {user.username} ({user.role}) created", highlight=False)


@app.command("list")
@friendly_errors
def list_(database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """List users and their roles."""
    with opened_store(database_url) as store, store.transaction() as session:
        users = list_users(session)
    if as_json:
        print_json(users)
        return
    table = Table("id", "username", "role", "created", "last sign-in", "state")
    for user in users:
        table.add_row(
            str(user.id), user.username, user.role.value, f"{user.created_at:%Y-%m-%d %H:%M}",
            f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "-",
            "disabled" if user.disabled_at else "active",
        )  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def disable(username: Username, database_url: DatabaseUrl = None) -> None:
    """Stop a user signing in; their sign-ins end and their keys stop working."""
    with opened_store(database_url) as store:
        user = run_in_transaction(
            store, lambda session: disable_user(session, username), what="disable the user"
        )
    console.print(f"user {user.username} disabled", highlight=False)
