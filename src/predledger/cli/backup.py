"""``predledger backup`` and ``predledger restore``: consistent copies and their return."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.ops.backup import Method, backup_database
from predledger.ops.manifest import Manifest
from predledger.ops.restore import restore_database
from predledger.ops.verify import verify_backup
from predledger.store.engine import Store


@contextmanager
def opened_store(database_url: str | None) -> Iterator[Store]:
    """The store of a command, its connections closed when the command ends."""
    store = Store(database_url)
    try:
        yield store
    finally:
        store.dispose()


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="PREDLEDGER_DATA_DIR",
        help="Folder of uploaded dataset files (default .predledger/data).",
        show_default=False,
    ),
]


@friendly_errors
def backup(
    database_url: DatabaseUrl = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Bundle to write (default backups/predledger-...tar)."),
    ] = None,
    verify: Annotated[
        Path | None,
        typer.Option(
            "--verify", help="Check this bundle (checksums and data) instead.", show_default=False
        ),
    ] = None,
    method: Annotated[
        str, typer.Option(help="PostgreSQL: auto (pg_dump when installed), pg_dump or logical.")
    ] = "auto",
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Back the database up into one tar bundle while ingestion goes on, or --verify one."""
    if verify is not None:
        checked = verify_backup(verify)
        if as_json:
            console.print_json(checked.manifest.to_json().decode())
            return
        console.print(f"[bold green]ok[/] {verify}")
        for line in checked.checks:
            console.print(f"  - {line}")
        _print_manifest(checked.manifest)
        return
    if method not in ("auto", "pg_dump", "logical"):
        raise typer.BadParameter("use auto, pg_dump or logical", param_hint="--method")
    chosen: Method = method  # type: ignore[assignment]  # checked just above
    with console.status("backing up..."), opened_store(database_url) as store:
        result = backup_database(store, out, method=chosen, data_dir=data_dir)
    if as_json:
        console.print_json(result.manifest.to_json().decode())
        return
    console.print(
        f"backed up {result.manifest.total_rows:,} rows to [bold]{result.path}[/] "
        f"({result.bytes / 1_048_576:.1f} MiB, {result.manifest.method})"
    )
    for name in result.missing_dataset_files:
        console.print(f"[yellow]warning:[/] dataset file {name} is missing from the data folder")
    _print_manifest(result.manifest)


@friendly_errors
def restore(
    file: Annotated[Path, typer.Argument(help="A bundle written by `predledger backup`.")],
    database_url: DatabaseUrl = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the contents of a database that holds rows.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into an empty database (stop its writers first)."""
    with console.status("restoring..."), opened_store(database_url) as store:
        result = restore_database(store, file, force=force, data_dir=data_dir)
    console.print(
        f"restored {result.manifest.total_rows:,} rows into [bold]{store.describe()}[/] "
        f"(schema {result.manifest.schema_revision}; every table holds its counted rows)"
    )
    if result.dataset_files:
        console.print(f"restored {result.dataset_files} dataset files")


def _print_manifest(manifest: Manifest) -> None:
    console.print(
        f"{manifest.backend}, schema {manifest.schema_revision or 'empty'}, taken "
        f"{manifest.created_at} from {manifest.source}"
    )
    table = Table("table", "rows")
    for name, entry in manifest.tables.items():
        table.add_row(name, f"{entry.rows:,}")
    console.print(table)
