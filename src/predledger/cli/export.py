"""``predledger export``: a table to Parquet, CSV or JSON Lines, with a progress bar."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from predledger.cli.backup import opened_store
from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.ops.export import ExportFilters, count_rows, export_format, export_table

When = Annotated[
    datetime | None,
    typer.Option(help="ISO 8601 time (UTC unless it says otherwise).", show_default=False),
]


def progress_bar() -> Progress:
    """The progress bar long commands share."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=console, transient=True,
    )  # fmt: skip


@friendly_errors
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    database_url: DatabaseUrl = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="parquet, csv or jsonl (default: from --out).",
            show_default=False,
        ),
    ] = None,
    table: Annotated[str, typer.Option(help="Table to export.")] = "predictions",
    since: When = None,
    until: When = None,
    model: Annotated[str | None, typer.Option(help="Only this model.", show_default=False)] = None,
    version: Annotated[
        str | None, typer.Option(help="Only this model version.", show_default=False)
    ] = None,
) -> None:
    """Export a table's rows, streamed in pages with constant memory."""
    export_format(out, format)
    filters = ExportFilters(since=since, until=until, model=model, version=version)
    with opened_store(database_url) as store, progress_bar() as bar:
        task = bar.add_task(f"exporting {table}", total=count_rows(store, table, filters))
        result = export_table(
            store, out, table=table, format=format, filters=filters,
            progress=lambda rows: bar.advance(task, rows),
        )  # fmt: skip
    console.print(
        f"wrote {result.rows:,} rows of {table} to [bold]{result.path}[/] "
        f"({result.format}, {result.bytes / 1_048_576:.1f} MiB)"
    )
