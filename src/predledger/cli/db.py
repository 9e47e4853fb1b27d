"""``predledger init`` and ``predledger db ...``: create and migrate the schema."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from predledger.cli.output import console, friendly_errors
from predledger.store import migrate
from predledger.store.engine import Store

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="PREDLEDGER_DATABASE_URL",
        help="Database URL (default sqlite:///./predledger.db).",
        show_default=False,
    ),
]

app = typer.Typer(help="Create, upgrade and inspect the database schema.", no_args_is_help=True)


@app.command()
@friendly_errors
def upgrade(
    database_url: DatabaseUrl = None,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the schema to the newest revision (or to REVISION)."""
    store = Store(database_url)
    before = migrate.current_revision(store)
    migrate.upgrade(store, revision)
    after = migrate.current_revision(store)
    console.print(f"schema of {store.describe()}: {before or 'empty'} -> {after}")


@app.command()
@friendly_errors
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, '-1' or 'base'.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Downgrade the schema to REVISION ('base' removes every predledger table)."""
    store = Store(database_url)
    before = migrate.current_revision(store)
    migrate.downgrade(store, revision)
    after = migrate.current_revision(store)
    console.print(f"schema of {store.describe()}: {before or 'empty'} -> {after or 'empty'}")


@app.command()
@friendly_errors
def current(database_url: DatabaseUrl = None) -> None:
    """Show the database's schema revision and whether it is current."""
    store = Store(database_url)
    revision = migrate.current_revision(store)
    head = migrate.head_revision()
    state = "current" if revision == head else f"behind: run `predledger db upgrade` (head {head})"
    if revision is None:
        state = "empty: run `predledger init`"
    console.print(f"{revision or 'none'} ({state})")


@app.command()
def history() -> None:
    """List the schema migrations predledger ships, newest first."""
    table = Table("revision", "parent", "description")
    for info in migrate.history():
        name = f"{info.revision} (head)" if info.is_head else info.revision
        table.add_row(name, info.down_revision or "-", info.message.splitlines()[0])
    console.print(table)


@friendly_errors
def init(database_url: DatabaseUrl = None) -> None:
    """Create the database (if it is a SQLite file) and bring its schema up to date."""
    store = Store(database_url)
    before = migrate.current_revision(store)
    migrate.upgrade(store)
    after = migrate.current_revision(store)
    if before == after:
        console.print(f"{store.describe()} is ready (schema {after}, nothing to do)")
    else:
        console.print(f"{store.describe()} is ready (schema {before or 'empty'} -> {after})")
