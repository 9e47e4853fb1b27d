"""``predledger worker``: write what the replicas append to the Redis Stream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, error_console, friendly_errors
from predledger.ingest.stream_redis import DEFAULT_GROUP, DEFAULT_STREAM, describe_redis_url
from predledger.worker import StreamWorker, WorkerSettings, run_worker, stream_status
from predledger.worker.runner import default_consumer_name

RedisUrl = Annotated[
    str | None,
    typer.Option(
        "--redis-url",
        envvar="PREDLEDGER_REDIS_URL",
        help="Redis server holding the stream, e.g. redis://127.0.0.1:6379/0.",
        show_default=False,
    ),
]
Stream = Annotated[str, typer.Option(help="The stream's key (the ledgers' `stream`).")]


@friendly_errors
def worker(
    database_url: DatabaseUrl = None,
    redis_url: RedisUrl = None,
    stream: Stream = DEFAULT_STREAM,
    group: Annotated[str, typer.Option(help="Consumer group shared by the workers.")] = (
        DEFAULT_GROUP
    ),
    consumer: Annotated[
        str | None,
        typer.Option(
            help="This worker's name in the group (default <host>-<pid>).", show_default=False
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per transaction.")] = 5000,
    claim_idle: Annotated[
        float, typer.Option(help="Seconds before a silent worker's entries are claimed.")
    ] = 30.0,
    data_dir: Annotated[
        Path, typer.Option(help="Where records the database refuses are kept.")
    ] = Path(".predledger/worker"),
    status: Annotated[
        bool, typer.Option("--status", help="Print the stream's lag and pending counts; exit.")
    ] = False,
) -> None:
    """Read the Redis Stream as one of a consumer group and write it to the database.

    Runs until SIGTERM or Ctrl-C, then finishes and acknowledges the batch in hand.
    Start as many as the database can take; each holds at most two connections.
    """
    if status:
        console.print_json(json.dumps(stream_status(redis_url, stream, group)))
        return
    settings = WorkerSettings(
        database_url=database_url, redis_url=redis_url, stream=stream, group=group,
        consumer=consumer or default_consumer_name(), batch_size=batch_size,
        claim_idle=claim_idle, data_dir=data_dir,
    )  # fmt: skip
    stats = run_worker(settings, on_started=_say_started)
    line = (
        f"worker {stats.consumer} stopped: {stats.written:,} rows written, "
        f"{stats.claimed:,} entries claimed from other workers, {stats.rejected:,} rejected"
    )
    error_console.print(line, highlight=False, soft_wrap=True)


def _say_started(running: StreamWorker) -> None:
    s = running.settings
    error_console.print(
        f"worker {s.consumer} reading {s.stream} (group {s.group}) on "
        f"{describe_redis_url(running.redis_url)} into {running.store.describe()}",
        highlight=False,
        soft_wrap=True,
    )
