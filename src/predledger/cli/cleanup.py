"""``predledger cleanup``: remove rows older than an age, in batches or whole partitions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from predledger.cli.backup import opened_store
from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.ops.catalog import RAW_TABLES, timed_table
from predledger.ops.retention import cleanup as run_cleanup
from predledger.ops.retention import parse_age


@friendly_errors
def cleanup(
    database_url: DatabaseUrl = None,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than", help="Age past which rows go: 30d, 12h, 90m, 2w.", show_default=False
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option("--days", help="The same as --older-than <days>d.", show_default=False),
    ] = None,
    tables: Annotated[
        list[str] | None,
        typer.Option(
            "--table", help=f"A table to prune (repeatable; default {', '.join(RAW_TABLES)})."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, remove nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Remove rows older than an age; safe while the service keeps logging."""
    age = _age(older_than, days)
    for name in tables or ():
        timed_table(name)
    with console.status("cleaning up..."), opened_store(database_url) as store:
        report = run_cleanup(store, age, tables=tables or None, dry_run=dry_run)
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    verb = "would remove" if dry_run else "removed"
    table = Table("table", "cutoff (UTC)", f"rows {verb}", "partitions dropped")
    for item in report.tables:
        table.add_row(
            item.table, item.cutoff.strftime("%Y-%m-%d %H:%M:%S"), f"{item.rows:,}",
            str(len(item.partitions_dropped)) if item.partitions_dropped else "-",
        )  # fmt: skip
    console.print(table)
    console.print(f"{verb} {report.total_rows:,} rows")


def _age(older_than: str | None, days: int | None) -> timedelta:
    if (older_than is None) == (days is None):
        raise typer.BadParameter(
            "give one of --older-than (like 30d) or --days", param_hint="--older-than"
        )
    if days is not None:
        if days < 1:
            raise typer.BadParameter("must be at least 1", param_hint="--days")
        return timedelta(days=days)
    return parse_age(str(older_than))
