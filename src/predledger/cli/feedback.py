"""``predledger feedback import FILE.csv``: ground truth from a file, by prediction or request id.

The file has a header row naming its columns:

- ``prediction_id`` or ``request_id`` (one of them per row; a file may mix both),
- ``actual`` (read as a label or a value by what the prediction was), or ``actual_label`` /
  ``actual_value``,
- optionally ``source``.

Every row is checked before anything is written; then rows are recorded in batches, each
batch one transaction. A label for an already labelled prediction replaces it (counted), and
ids that match no prediction are reported.
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, fail, friendly_errors
from predledger.feedback.schemas import FeedbackCreate, UnknownTarget
from predledger.feedback.service import record_feedback
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store
from predledger.store.migrate import ensure_schema

app = typer.Typer(help="Ground truth: the actual outcomes of predictions.", no_args_is_help=True)

COLUMNS = ("prediction_id", "request_id", "actual", "actual_label", "actual_value", "source")
SHOWN_UNKNOWN = 20


def read_feedback_csv(path: Path, *, source: str | None = None) -> list[FeedbackCreate]:
    """Read and check every row of a feedback CSV file.

    Raises:
        typer.Exit: after printing the first problems, with their line numbers.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        unknown = [name for name in header if name not in COLUMNS]
        if unknown or not {"prediction_id", "request_id"} & set(header):
            raise fail(
                f"{path}: the header must name prediction_id or request_id, and an outcome "
                f"(actual, actual_label or actual_value); unknown columns: {unknown or 'none'}"
            )
        items, problems = _parse_rows(reader, source)
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise fail(
            f"{path}: {len(problems)} rows are invalid, nothing was recorded:\n  {shown}{more}"
        )
    return items


def _parse_rows(
    rows: Iterator[dict[str, Any]], source: str | None
) -> tuple[list[FeedbackCreate], list[str]]:
    items: list[FeedbackCreate] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        fields = {key.strip(): value.strip() for key, value in row.items() if key and value}
        if "actual_value" in fields:
            fields["actual_value"] = _number(fields["actual_value"])
        if source is not None:
            fields.setdefault("source", source)
        try:
            items.append(FeedbackCreate.model_validate(fields))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "row"
            problems.append(f"line {line}: {where}: {first['msg']}")
    return items, problems


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # left for validation to name


def _batches(items: list[FeedbackCreate], size: int) -> Iterator[list[FeedbackCreate]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _describe(target: UnknownTarget) -> str:
    return (
        f"prediction {target.prediction_id}"
        if target.prediction_id
        else f"request {target.request_id}"
    )


@app.command("import")
@friendly_errors
def import_(
    file: Annotated[
        Path, typer.Argument(help="A CSV file with a header row.", exists=True, dir_okay=False)
    ],
    source: Annotated[
        str | None, typer.Option(help="Who says so, for rows without a source.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 1000,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record the actual outcomes in FILE, by prediction id or request id."""
    items = read_feedback_csv(file, source=source)
    store = Store(database_url)
    ensure_schema(store)
    recorded = replaced = 0
    unknown: list[UnknownTarget] = []
    for batch in _batches(items, batch_size):
        outcome = run_in_transaction(
            store,
            functools.partial(record_feedback, items=batch),
            what=f"record feedback from {file.name}",
        )
        recorded += outcome.recorded
        replaced += outcome.replaced
        unknown += outcome.unknown
    if as_json:
        console.print_json(json.dumps({
            "rows": len(items), "recorded": recorded, "replaced": replaced,
            "unknown": [u.model_dump() for u in unknown],
        }))  # fmt: skip
        return
    console.print(
        f"{len(items)} rows: {recorded} predictions labelled ({replaced} replaced an earlier "
        f"label), {len(unknown)} ids matched no prediction"
    )
    for target in unknown[:SHOWN_UNKNOWN]:
        console.print(f"  unknown {_describe(target)}", highlight=False)
    if len(unknown) > SHOWN_UNKNOWN:
        console.print(f"  ... and {len(unknown) - SHOWN_UNKNOWN} more (see --json)")
