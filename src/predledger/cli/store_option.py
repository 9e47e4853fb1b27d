"""What the monitoring commands share: the database they open, who acts, JSON output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from predledger.cli.output import console
from predledger.errors import InvalidRecordError
from predledger.store.engine import Store
from predledger.store.migrate import ensure_schema

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
As = Annotated[
    str | None,
    typer.Option("--as", help="Who does it (default: your login name).", show_default=False),
]


@contextmanager
def opened_store(database_url: str | None) -> Iterator[Store]:
    """The database, its schema checked (created if empty), closed at the end."""
    store = Store(database_url)
    try:
        ensure_schema(store)
        yield store
    finally:
        store.dispose()


def who(name: str | None) -> str:
    """The ``--as`` name, or the login name of the user running the command."""
    from predledger.registry.operations import default_actor

    return name or default_actor()


def print_json(result: BaseModel | list[Any]) -> None:
    """Print a model or a list of models as JSON."""
    if isinstance(result, list):
        data: Any = [item.model_dump(mode="json") for item in result]
    else:
        data = result.model_dump(mode="json")
    console.print_json(json.dumps(data))


def parse_pairs(option: str, items: list[str] | None) -> dict[str, Any]:
    """``key=value`` options as a dict; values that read as JSON (numbers, true) are decoded.

    Raises:
        InvalidRecordError: an item has no ``=``.
    """
    parsed: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidRecordError(option, f"expects key=value, got {item!r}")
        try:
            parsed[key] = json.loads(raw)
        except ValueError:
            parsed[key] = raw
    return parsed
