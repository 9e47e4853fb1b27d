"""``predledger jobs ...``: run a batch-scoring job with a progress bar, show jobs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from predledger.cli.backup import DataDir, opened_store
from predledger.cli.db import DatabaseUrl
from predledger.cli.export import progress_bar
from predledger.cli.output import console, friendly_errors
from predledger.jobs.queries import get_job, list_jobs
from predledger.jobs.schemas import JobPublic
from predledger.jobs.scoring import run_scoring_job

app = typer.Typer(help="Long-running jobs: batch scoring of datasets.", no_args_is_help=True)


@app.command()
@friendly_errors
def run(
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset's id.")],
    scorer: Annotated[
        str, typer.Option(help="A registered scorer, demo:<model> or package.module:function.")
    ],
    model: Annotated[str, typer.Option(help="Model name the predictions are logged under.")],
    version: Annotated[str, typer.Option(help="Model version they are logged under.")],
    chunk_size: Annotated[int, typer.Option(help="Rows per scorer call.", min=1)] = 5000,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Score a dataset and log every prediction (prediction_type upload, one batch id)."""
    with opened_store(database_url) as store, progress_bar() as bar:
        task = bar.add_task("scoring", total=None)
        job = run_scoring_job(
            store, dataset_id=dataset, scorer=scorer, model=model, version=version,
            data_dir=data_dir, chunk_size=chunk_size,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    _print_job(job)


@app.command()
@friendly_errors
def show(
    job_id: Annotated[str, typer.Argument(help="The job's id.")],
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a job's status, progress and result."""
    with opened_store(database_url) as store, store.transaction() as session:
        job = get_job(session, job_id)
    if as_json:
        console.print_json(job.model_dump_json())
        return
    _print_job(job)


@app.command("list")
@friendly_errors
def list_command(
    database_url: DatabaseUrl = None,
    status: Annotated[str | None, typer.Option(help="Only jobs with this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """List jobs, newest first."""
    with opened_store(database_url) as store, store.transaction() as session:
        jobs = list_jobs(session, status=status, limit=limit)
    table = Table("id", "kind", "status", "progress", "model", "created (UTC)")
    for job in jobs:
        table.add_row(
            job.id, job.kind, job.status, f"{job.progress:.0%}",
            f"{job.model_name or '-'} {job.model_version or ''}".strip(),
            job.created_at.strftime("%Y-%m-%d %H:%M"),
        )  # fmt: skip
    console.print(table)


def _print_job(job: JobPublic) -> None:
    total = f"{job.total_rows:,}" if job.total_rows is not None else "?"
    console.print(
        f"job [bold]{job.id}[/] {job.kind}: [bold]{job.status}[/], "
        f"{job.processed_rows:,} of {total} rows ({job.progress:.0%})"
    )
    if job.error:
        console.print(f"[red]error:[/] {job.error}")
    if job.result:
        console.print_json(json.dumps(job.result))
