"""``predledger keys create|list|revoke``: API keys, and the keys ``serve`` and ``demo`` need.

A key is printed once, when it is made; the database keeps only its hash and its prefix.
"""

from __future__ import annotations

import contextlib
import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from predledger.auth import ApiKeyCreated, Role, bootstrap_admin_key, parse_role
from predledger.auth import service as auth_service
from predledger.auth.queries import list_api_keys
from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.cli.store_option import AsJson, opened_store, print_json, who
from predledger.errors import ConfigurationError, PredledgerError
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

RoleOption = Annotated[
    str, typer.Option(help="viewer, ingest, reviewer or admin (see the README's role table).")
]


@app.command()
@friendly_errors
def create(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. churn-service.")],
    role: RoleOption,
    user: Annotated[
        str | None, typer.Option(help="The user the key acts for (audits show their name).")
    ] = None,
    expires_in_days: Annotated[
        float | None, typer.Option(min=0.001, help="Stop working after this many days.")
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Make an API key and print it: it is shown this once and never again."""
    expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    chosen = parse_role(role)
    with opened_store(database_url) as store:
        created = run_in_transaction(
            store,
            lambda session: auth_service.create_api_key(
                session, name=name, role=chosen, username=user, created_by=who(None),
                expires_at=expires,
            ),
            what="create the key",
        )  # fmt: skip
    if as_json:
        print_json(created)
        return
    console.print(created.key, highlight=False, soft_wrap=True)
    console.print(
        f"[dim]{created.info.role} key {created.info.prefix} ({created.info.name}): copy it now, "
        "it is not shown again; send it as `Authorization: Bearer <key>`[/]",
        highlight=False,
    )


@app.command("list")
@friendly_errors
def list_(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """List API keys by prefix (never the keys themselves)."""
    with opened_store(database_url) as store, store.transaction() as session:
        keys = list_api_keys(session, include_revoked=all_keys)
    if as_json:
        print_json(keys)
        return
    table = Table("id", "prefix", "name", "role", "user", "created", "last used", "state")
    for key in keys:
        state = "revoked" if key.revoked_at else "active"
        if key.expires_at is not None and key.expires_at < datetime.now(UTC) and not key.revoked_at:
            state = "expired"
        table.add_row(
            str(key.id), key.prefix, key.name, key.role.value, key.username or "-",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "-", state,
        )  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def revoke(
    key: Annotated[str, typer.Argument(help="The key's prefix (pl_...), id, or the key.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key: it stops working within seconds in every running service."""
    with opened_store(database_url) as store:
        revoked = run_in_transaction(
            store, lambda session: auth_service.revoke_api_key(session, key), what="revoke the key"
        )
    console.print(f"revoked {revoked.prefix} ({revoked.name}, {revoked.role})", highlight=False)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is an address of this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_auth_choice(host: str, *, no_auth: bool) -> None:
    """Refuse to serve without authentication on an address other machines can reach.

    Raises:
        ConfigurationError: ``--no-auth`` with a non-loopback ``host``.
    """
    if no_auth and not is_loopback_host(host):
        raise ConfigurationError(
            f"--no-auth is allowed only on a loopback address (127.0.0.1, ::1): on {host} "
            "anyone who reaches the port could read and write everything; drop --no-auth "
            "and give clients API keys (`predledger keys create`)"
        )


def bootstrap_lines(store: Store) -> list[str]:
    """Make the one-time admin key of an empty user/key table; the lines that show it once."""
    created = run_in_transaction(store, bootstrap_admin_key, what="make the first admin key")
    return _bootstrap_message(created) if created is not None else []


def _bootstrap_message(created: ApiKeyCreated) -> list[str]:
    prefix = created.info.prefix
    return [
        "[bold]No users or API keys exist yet: here is a one-time admin key.[/] "
        "It is shown only now; keep it safe:",
        f"  {created.key}",
        "  Make keys and users with it (`predledger keys create --name ... --role ...`, "
        f"`predledger users create ...`), then revoke it: `predledger keys revoke {prefix}`.",
    ]


def make_service_key(store: Store, *, name: str, role: Role) -> ApiKeyCreated:
    """A key for a part of predledger itself (the demo's simulated clients)."""
    return run_in_transaction(
        store,
        lambda session: auth_service.create_api_key(
            session, name=name, role=role, created_by="predledger"
        ),
        what="create a key",
    )


def revoke_quietly(store: Store, prefix: str) -> None:
    """Revoke a key made by ``make_service_key``; a database that is away is left as is."""
    with contextlib.suppress(PredledgerError):
        run_in_transaction(
            store, lambda session: auth_service.revoke_api_key(session, prefix), what="revoke"
        )
