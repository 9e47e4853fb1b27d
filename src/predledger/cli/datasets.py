"""``predledger datasets ...``: add CSV or Parquet datasets, list them, show their columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from predledger.cli.backup import DataDir, opened_store
from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.datasets.queries import get_dataset, list_datasets
from predledger.datasets.schemas import DatasetPublic
from predledger.datasets.service import add_dataset

app = typer.Typer(help="Uploaded datasets: files with column statistics.", no_args_is_help=True)


@app.command()
@friendly_errors
def add(
    file: Annotated[Path, typer.Argument(help="A .csv or .parquet file.")],
    name: Annotated[str, typer.Option("--name", help="A name for the dataset.")],
    description: Annotated[str | None, typer.Option(help="Free text.", show_default=False)] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Check, profile and keep a dataset file; print its id and columns."""
    with opened_store(database_url) as store, console.status(f"reading {file}..."):
        dataset = add_dataset(store, file, name=name, description=description, data_dir=data_dir)
    console.print(f"added dataset [bold]{dataset.id}[/] ({dataset.name})")
    _print_dataset(dataset)


@app.command("list")
@friendly_errors
def list_command(
    database_url: DatabaseUrl = None,
    name: Annotated[str | None, typer.Option(help="Only datasets of this name.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """List datasets, newest first."""
    with opened_store(database_url) as store, store.transaction() as session:
        datasets = list_datasets(session, name=name, limit=limit)
    table = Table("id", "name", "format", "rows", "columns", "added (UTC)")
    for d in datasets:
        table.add_row(
            d.id, d.name, d.file_format, f"{d.row_count:,}", str(d.column_count),
            d.created_at.strftime("%Y-%m-%d %H:%M"),
        )  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def show(
    dataset_id: Annotated[str, typer.Argument(help="The dataset's id.")],
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a dataset and the statistics of its columns."""
    with opened_store(database_url) as store, store.transaction() as session:
        dataset = get_dataset(session, dataset_id)
    if as_json:
        console.print_json(dataset.model_dump_json())
        return
    console.print(f"[bold]{dataset.name}[/] {dataset.id}")
    _print_dataset(dataset)


def _print_dataset(dataset: DatasetPublic) -> None:
    console.print(
        f"{dataset.row_count:,} rows, {dataset.column_count} columns, {dataset.file_format}, "
        f"{dataset.size_bytes / 1024:.1f} KiB, sha256 {dataset.sha256[:16]}..."
    )
    table = Table("column", "type", "nulls", "unique", "summary")
    for column in dataset.columns:
        table.add_row(
            column["name"], column["type"], f"{column['nulls']:,}", f"{column['unique']:,}",
            _summary(column),
        )  # fmt: skip
    console.print(table)


def _summary(column: dict[str, Any]) -> str:
    if "mean" in column:
        return f"min {column['min']:.4g}  mean {column['mean']:.4g}  max {column['max']:.4g}"
    if "top" in column:
        return ", ".join(f"{value} ({count})" for value, count in column["top"][:3])
    if "min" in column:
        return f"{column['min']} .. {column['max']}"
    return json.dumps(None)
