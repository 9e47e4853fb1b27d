"""Batch scoring: run a dataset through a scorer and log every prediction through a Ledger.

Each prediction is logged once, with ``prediction_type="upload"``, the dataset's id and
the job's id as ``batch_id``, so ``GET /v1/predictions?...`` and exports can select the
batch. The job row tracks progress chunk by chunk and ends ``succeeded`` with a result, or
``failed`` with the reason (a bad output names the dataset row).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from os import PathLike
from typing import Any

from predledger.datasets.queries import get_dataset, load_dataset_frame
from predledger.errors import InvalidRecordError
from predledger.ingest.ledger import Ledger
from predledger.jobs.queries import get_job
from predledger.jobs.schemas import JobPublic
from predledger.jobs.scorers import Scorer, output_fields, resolve_scorer
from predledger.jobs.service import create_job, fail_job, finish_job, record_progress, start_job
from predledger.store.engine import Store

logger = logging.getLogger(__name__)
KIND_SCORE = "score"
FLUSH_TIMEOUT_S = 120.0
_RECORD_FIELD = re.compile(r"^\[(\d+)\]\.(.*)$")


def queue_scoring_job(
    store: Store, *, dataset_id: str, scorer: str, model: str, version: str
) -> JobPublic:
    """Record a queued scoring job after checking that its dataset and scorer exist."""
    resolve_scorer(scorer)
    with store.transaction() as session:
        get_dataset(session, dataset_id)
    # A transaction of its own that starts by writing: on SQLite one that read first could
    # not take the write lock after another writer's commit.
    with store.transaction() as session:
        return create_job(
            session, kind=KIND_SCORE, dataset_id=dataset_id, model_name=model,
            model_version=version, scorer=scorer,
        )  # fmt: skip


def run_scoring_job(
    store: Store,
    *,
    dataset_id: str | None = None,
    scorer: str | None = None,
    model: str | None = None,
    version: str | None = None,
    job_id: str | None = None,
    ledger: Ledger | None = None,
    data_dir: str | PathLike[str] | None = None,
    chunk_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> JobPublic:
    """Score a dataset and log its predictions; return the finished job.

    Either name a queued job (``job_id``) or give ``dataset_id``, ``scorer``, ``model`` and
    ``version`` to queue one first.

    Args:
        store: the database.
        dataset_id: the dataset to score.
        scorer: see ``predledger.jobs.scorers``.
        model: the model name to log predictions under.
        version: the model version to log predictions under.
        job_id: a job queued by :func:`queue_scoring_job`, instead of the four above.
        ledger: the ledger to log through (default: one opened on the store, without a
            journal, and closed at the end).
        data_dir: the data folder holding dataset files.
        chunk_size: rows per scorer call.
        progress: called with rows done so far and the total after each chunk.

    Raises:
        InvalidRecordError: the scorer's output is bad; the job is marked failed too.
        NotFoundError: no such dataset, scorer or job.
    """
    job = _queued_job(store, job_id, dataset_id, scorer, model, version)
    own_ledger = ledger is None
    try:
        frame = load_dataset_frame(store, str(job.dataset_id), data_dir=data_dir)
        with store.transaction() as session:
            job = start_job(session, job.id, total_rows=len(frame))
        if ledger is None:
            ledger = _job_ledger(store)
        fn = resolve_scorer(str(job.scorer))
        result = _score(store, ledger, job, frame, fn, chunk_size, progress)
    except Exception as exc:
        with store.transaction() as session:
            fail_job(session, job.id, error=_one_line(exc))
        raise
    finally:
        if own_ledger and ledger is not None:
            ledger.close()
    with store.transaction() as session:
        return finish_job(session, job.id, result=result)


def _queued_job(
    store: Store,
    job_id: str | None,
    dataset_id: str | None,
    scorer: str | None,
    model: str | None,
    version: str | None,
) -> JobPublic:
    if job_id is None:
        if dataset_id is None or scorer is None or model is None or version is None:
            raise InvalidRecordError("job", "give job_id, or dataset_id, scorer, model and version")
        return queue_scoring_job(
            store, dataset_id=dataset_id, scorer=scorer, model=model, version=version
        )
    with store.transaction() as session:
        return get_job(session, job_id)


def _job_ledger(store: Store) -> Ledger:
    # No journal: the dataset itself is the record of what to score, and the job ends only
    # once every row is committed (its result says whether they were). A journal would cost
    # a write() per row, most of a job's time.
    url = store.url.render_as_string(hide_password=False)
    return Ledger(url, durability="memory", max_queue=200_000)


def start_scoring_job(
    store: Store, ledger: Ledger, job: JobPublic, **options: Any
) -> threading.Thread:
    """Run a queued job in a background thread (the HTTP API does); returns the thread."""

    def run() -> None:
        try:
            run_scoring_job(store, job_id=job.id, ledger=ledger, **options)
        except Exception:  # the job row says failed and why; this is for the service's log
            logger.exception("scoring job %s failed", job.id)

    thread = threading.Thread(target=run, name=f"predledger-job-{job.id[:8]}", daemon=True)
    thread.start()
    return thread


def _score(
    store: Store,
    ledger: Ledger,
    job: JobPublic,
    frame: Any,
    fn: Scorer,
    chunk_size: int,
    progress: Callable[[int, int], None] | None,
) -> dict[str, Any]:
    started = time.monotonic()
    rows = _json_ready(frame)
    labels: Counter[str] = Counter()
    done = 0
    for start in range(0, len(frame), chunk_size):
        chunk = frame.iloc[start : start + chunk_size]
        began = time.perf_counter()
        outputs = list(fn(chunk))
        latency_ms = (time.perf_counter() - began) * 1000 / max(1, len(chunk))
        if len(outputs) != len(chunk):
            raise InvalidRecordError(
                f"scorer {job.scorer}",
                f"returned {len(outputs)} outputs for {len(chunk)} rows: "
                "return one per row, in order",
            )
        fields = [output_fields(output) for output in outputs]
        labels.update(str(f["label"]) for f in fields if f.get("label") is not None)
        _log_chunk(ledger, job, rows[start : start + len(chunk)], fields, latency_ms, start)
        done += len(chunk)
        with store.transaction() as session:
            record_progress(session, job.id, processed_rows=done)
        if progress is not None:
            progress(done, len(frame))
    committed = ledger.flush(FLUSH_TIMEOUT_S)
    return {
        "rows": done, "logged": done, "committed": committed, "batch_id": job.batch_id,
        "seconds": round(time.monotonic() - started, 3), "labels": dict(labels.most_common(20)),
    }  # fmt: skip


def _log_chunk(
    ledger: Ledger,
    job: JobPublic,
    rows: list[dict[str, Any]],
    fields: list[dict[str, Any]],
    latency_ms: float,
    first_row: int,
) -> None:
    common = {
        "model": job.model_name, "version": job.model_version, "prediction_type": "upload",
        "batch_id": job.batch_id, "dataset_id": job.dataset_id, "latency_ms": latency_ms,
    }  # fmt: skip
    records = [{**common, "inputs": row, **out} for row, out in zip(rows, fields, strict=True)]
    try:
        ledger.log_many(records)
    except InvalidRecordError as exc:
        match = _RECORD_FIELD.match(exc.field)
        if match is None:
            raise
        row = first_row + int(match[1]) + 1
        raise InvalidRecordError(f"row {row}, {match[2]}", exc.problem) from None


def _json_ready(frame: Any) -> list[dict[str, Any]]:
    """The rows as dicts of JSON values: missing cells None, times ISO 8601 text."""
    ready = frame.copy()
    for column in ready.columns:
        if getattr(ready[column].dtype, "kind", "") == "M":
            ready[column] = ready[column].map(
                lambda t: None if t is None or t != t else t.isoformat()
            )
    ready = ready.astype(object).where(ready.notna(), None)
    return ready.to_dict("records")  # type: ignore[no-any-return]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:2000]
