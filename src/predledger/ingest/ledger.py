"""The ``Ledger``: what a model service embeds to log predictions in microseconds."""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from os import PathLike
from typing import Any, Literal, cast

from predledger.cache.core import PredictionCache
from predledger.cache.ledger import CachedPredictions
from predledger.config import resolve_database_url, resolve_journal_dir
from predledger.errors import (
    ConfigurationError,
    InvalidRecordError,
    LedgerClosedError,
    StoreUnavailableError,
)
from predledger.ids import new_id
from predledger.ingest import records as rec
from predledger.ingest.bulk import BulkWriter, build_bulk_writer
from predledger.ingest.journal import Journal
from predledger.ingest.process_writer import ProcessWriter
from predledger.ingest.records import encode_line
from predledger.ingest.sources import JournalSource, MemorySource, QueueFullError, Source
from predledger.ingest.stats import Counters, LedgerStats
from predledger.ingest.stream import StreamSink
from predledger.ingest.stream_redis import (
    DEFAULT_MAX_BACKLOG,
    DEFAULT_STREAM,
    resolve_transport,
    stream_journal_dir,
)
from predledger.ingest.writer import Writer, describe_store_error
from predledger.logfiles import LogFileSettings, LogFileWriter
from predledger.ops.partitions import prepare_partitions
from predledger.privacy import Redactor, resolve_redactor
from predledger.store.engine import Store
from predledger.store.migrate import ensure_schema

Durability = Literal["journal", "sync", "memory"]
Fsync = Literal["no", "everysec", "always"]
OnFull = Literal["block", "drop"]
Transport = Literal["direct", "redis"]
WriterKind = Literal["thread", "process"]


class Ledger(CachedPredictions):
    """The prediction ledger of one model service.

    ``log()`` checks a record, journals it and returns its id; a writer (a child process
    by default, or a thread) commits batches in the background. Safe to share between
    threads; several processes may write one database.

    Args:
        url: database URL; default ``PREDLEDGER_DATABASE_URL`` or ``sqlite:///./predledger.db``.
        journal_dir: folder of the write-ahead journal (a sub-folder per database).
        durability: ``"journal"`` (default: survives a killed process), ``"sync"`` (commit
            before ``log`` returns) or ``"memory"`` (no journal: tests, throwaway use).
        fsync: ``"no"``, ``"everysec"`` or ``"always"``: when the journal reaches the disk.
        batch_size: records per transaction at most.
        flush_interval: seconds between writer wake-ups.
        max_queue: records held in memory at most (``durability="memory"``).
        max_journal_bytes: journal bytes at most before ``on_full`` applies.
        on_full: ``"block"`` until there is room, or ``"drop"`` the record (counted).
        auto_upgrade: upgrade an older schema instead of refusing to start.
        max_input_bytes: the largest encoded record accepted.
        retry_max_delay: the cap on the writer's back-off between retries, in seconds.
        transport: ``"direct"`` (the writer writes the database) or ``"redis"``
            (it appends batches to a Redis Stream that ``predledger worker`` processes
            write; a batch leaves the journal once a worker committed it); default
            ``PREDLEDGER_TRANSPORT`` or ``"direct"``.
        redis_url: the Redis server for ``transport="redis"``; default ``PREDLEDGER_REDIS_URL``.
        stream: the Redis Stream's key.
        stream_max_backlog: stream entries (of up to 100 records) not yet written by the
            workers, past which producers wait and records stay in their journals.
        redact: input fields to ``"drop"`` or ``"hash"`` before anything is kept, e.g.
            ``{"email": "hash", "ssn": "drop"}``; default ``PREDLEDGER_REDACT`` (see
            ``predledger.privacy``).
        cache: the prediction cache of ``cached()``; default one made on first use from
            ``PREDLEDGER_REDIS_URL`` (see ``predledger.cache``).
        writer: where batches are written from: ``"process"`` (a child process that reads
            the journal, so the writer never competes with the request thread for the
            GIL; the default with ``durability="journal"`` and ``transport="direct"``) or
            ``"thread"`` (a thread of this process: the only choice otherwise); default
            ``PREDLEDGER_WRITER``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        journal_dir: str | PathLike[str] | None = None,
        durability: Durability = "journal",
        fsync: Fsync = "no",
        batch_size: int = 5000,
        flush_interval: float = 0.1,
        max_queue: int = 100_000,
        max_journal_bytes: int = 1 << 30,
        on_full: OnFull = "block",
        auto_upgrade: bool = False,
        max_input_bytes: int = 1 << 20,
        retry_max_delay: float = 10.0,
        orphan_scan_interval: float = 10.0,
        transport: Transport | None = None,
        redis_url: str | None = None,
        stream: str = DEFAULT_STREAM,
        stream_max_backlog: int = DEFAULT_MAX_BACKLOG,
        redact: Mapping[str, str] | Redactor | None = None,
        cache: PredictionCache | None = None,
        writer: WriterKind | None = None,
    ) -> None:
        _check_choice("durability", durability, ("journal", "sync", "memory"))
        transport = resolve_transport(transport)
        if transport == "redis" and durability == "sync":
            raise ConfigurationError("durability='sync' needs transport='direct'")
        _check_choice("fsync", fsync, ("no", "everysec", "always"))
        _check_choice("on_full", on_full, ("block", "drop"))
        for name, value in (("batch_size", batch_size), ("max_queue", max_queue),
                            ("max_journal_bytes", max_journal_bytes)):  # fmt: skip
            if value < 1:
                raise ConfigurationError(f"{name} must be at least 1, got {value}")
        self.url = resolve_database_url(url)
        self.store = Store(self.url)
        self.durability = durability
        self._block = on_full == "block"
        self._batch_size = batch_size
        self._max_input_bytes = max_input_bytes
        self._auto_upgrade = auto_upgrade
        self._counters = Counters()
        self.redactor = resolve_redactor(redact)
        self._init_cache(cache)
        self._closed = False
        self._close_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._schema_checked = False
        self._sink: StreamSink | None = None
        if transport == "redis":  # the workers own the database: no schema check here
            self._sink = StreamSink(redis_url, stream=stream, max_backlog=stream_max_backlog)
        else:
            self._check_schema_if_reachable()
        self._journal: Journal | None = None
        source: Source
        if durability == "journal":
            journal_path = (
                stream_journal_dir(journal_dir, self._sink.redis_url, stream)
                if self._sink is not None
                else resolve_journal_dir(journal_dir, self.url)
            )
            self._journal = Journal(
                journal_path, max_bytes=max_journal_bytes,
                segment_bytes=8 << 20, fsync=fsync,
            )  # fmt: skip
            source = JournalSource(self._journal)
        else:
            source = MemorySource(max_queue)
        self._source = source
        self._writer: Writer | ProcessWriter
        if _resolve_writer(writer, durability, self._sink is not None) == "process":
            assert self._journal is not None
            self._writer = ProcessWriter(
                journal=self._journal, counters=self._counters, url=self.url,
                batch_size=batch_size, flush_interval=flush_interval,
                retry_max_delay=retry_max_delay, orphan_scan_interval=orphan_scan_interval,
                auto_upgrade=auto_upgrade,
            )  # fmt: skip
        else:
            self._writer = self._writer_thread(
                source, batch_size, flush_interval, retry_max_delay, orphan_scan_interval
            )
        self._sync_bulk = build_bulk_writer(self.store.engine) if durability == "sync" else None
        self._writer.start()
        _open_ledgers.add(self)

    def _writer_thread(
        self,
        source: Source,
        batch_size: int,
        flush_interval: float,
        retry_max_delay: float,
        orphan_scan_interval: float,
    ) -> Writer:
        writer = Writer(
            # The writer only calls write / discard_connection / close, which the sink has.
            bulk=cast(BulkWriter, self._sink) or build_bulk_writer(self.store.engine),
            source=source,
            counters=self._counters,
            prepare=self._sink.prepare if self._sink else self._prepare_store,
            describe_error=self._describe_error,
            batch_size=batch_size,
            flush_interval=flush_interval,
            retry_max_delay=retry_max_delay,
            journal_dir=self._journal.directory if self._journal else None,
            own_paths=self._journal.own_paths if self._journal else set,
            orphan_scan_interval=orphan_scan_interval,
            housekeeping=self._journal.sync_if_due if self._journal else lambda: None,
        )
        if self._sink is not None:
            self._sink.cancel = writer.give_up
        return writer

    # -- checks -----------------------------------------------------------------------

    def _check_schema_if_reachable(self) -> None:
        """Refuse an outdated schema now; an unreachable database is retried later."""
        try:
            ensure_schema(self.store, auto_upgrade=self._auto_upgrade)
            self._schema_checked = True
        except StoreUnavailableError as exc:
            self._counters.last_error = str(exc)
        except Exception:
            self.store.dispose()
            raise

    def _prepare_store(self) -> None:
        ensure_schema(self.store, auto_upgrade=self._auto_upgrade)
        # PostgreSQL: create the daily partitions ahead; never fails (a DEFAULT partition
        # takes the rows of a day without one).
        prepare_partitions(self.store)

    def _describe_error(self, exc: BaseException) -> str:
        return describe_store_error(self.store, exc)

    # -- logging ----------------------------------------------------------------------

    def log(
        self,
        *,
        model: str,
        version: str,
        inputs: Any = None,
        label: Any = None,
        probability: float | None = None,
        probabilities: Mapping[str, float] | list[float] | None = None,
        value: float | None = None,
        latency_ms: float | None = None,
        request_id: str | None = None,
        batch_id: str | None = None,
        session_id: str | None = None,
        dataset_id: str | None = None,
        status: str = "success",
        error_message: str | None = None,
        cache_hit: bool = False,
        prediction_type: str | None = None,
        feature_names: list[str] | None = None,
        interval_low: float | None = None,
        interval_high: float | None = None,
        confidence_level: float | None = None,
        client_ip: str | None = None,
        user_agent: str | None = None,
        input_hash: str | None = None,
    ) -> str:
        """Log one prediction and return its id (a UUIDv7 string).

        Raises:
            InvalidRecordError: a field breaks a rule; the message names it.
            LedgerClosedError: the ledger was closed.
        """
        record = _prediction_record(
            model,
            version,
            inputs,
            label,
            probability,
            probabilities,
            value,
            latency_ms,
            request_id,
            batch_id,
            session_id,
            dataset_id,
            status,
            error_message,
            cache_hit,
            prediction_type,
            feature_names,
            interval_low,
            interval_high,
            confidence_level,
            client_ip,
            user_agent,
            input_hash,
        )  # fmt: skip  (in the parameters' own order: positional is the cheapest call)
        if self.redactor.rules:
            self.redactor.apply(record)
        if self._closed:
            self._check_open()
        record["id"], record["ts"] = new_id()  # what _accept does, a few calls cheaper
        return self._enqueue(record, self._encode(record))

    def log_many(self, predictions: Iterable[Mapping[str, Any]]) -> list[str]:
        """Log many predictions; all are checked before any is accepted.

        Each item takes the keyword arguments of ``log()``.
        """
        self._check_open()
        stamped = []
        for index, fields in enumerate(predictions):
            try:
                rec.check_unknown_fields(dict(fields), rec.PREDICTION_FIELDS)
                for required in ("model", "version"):
                    if required not in fields:
                        raise InvalidRecordError(required, "is required")
                record = _prediction_record(**fields)
                self.redactor.apply(record)
                stamped.append((record, self._stamp(record)))
            except InvalidRecordError as exc:
                raise InvalidRecordError(f"[{index}].{exc.field}", exc.problem) from None
        return [self._enqueue(record, line) for record, line in stamped]

    def log_request(
        self,
        *,
        endpoint: str,
        method: str,
        status_code: int,
        response_time_ms: float,
        client_ip: str | None = None,
        user_agent: str | None = None,
        request_size: int | None = None,
        response_size: int | None = None,
        cpu_percent: float | None = None,
        memory_mb: float | None = None,
        error: str | None = None,
        session_id: str | None = None,
        path: str | None = None,
    ) -> str:
        """Log one API request (the FastAPI middleware calls this) and return its id.

        ``endpoint`` is the route (``/v1/predictions/{prediction_id}``); ``path`` the URL's
        path as requested, kept for ``api_requests.log`` only.
        """
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise InvalidRecordError("status_code", f"must be an integer, got {status_code!r}")
        record: dict[str, Any] = {
            "k": rec.KIND_REQUEST,
            "endpoint": rec.require_text("endpoint", endpoint),
            "method": rec.require_text("method", method).upper(),
            "status_code": status_code,
            "response_time_ms": _required_number("response_time_ms", response_time_ms),
        }
        _put_optional(record, "client_ip", rec.optional_text("client_ip", client_ip))
        _put_optional(record, "user_agent", rec.free_text("user_agent", user_agent))
        _put_optional(record, "request_size", _optional_int("request_size", request_size))
        _put_optional(record, "response_size", _optional_int("response_size", response_size))
        _put_optional(record, "cpu_percent", rec.finite_number("cpu_percent", cpu_percent))
        _put_optional(record, "memory_mb", rec.finite_number("memory_mb", memory_mb))
        _put_optional(record, "error", rec.free_text("error", error))
        _put_optional(record, "session_id", rec.optional_text("session_id", session_id))
        _put_optional(record, "path", None if path is None else str(path)[:2000])
        return self._accept(record)

    def log_metric(
        self,
        name: str,
        value: float,
        *,
        labels: Mapping[str, Any] | None = None,
        kind: Literal["system", "performance"] = "system",
        model: str | None = None,
        version: str | None = None,
        stage: str | None = None,
        metric_kind: Literal["realized", "estimated"] = "realized",
        window_start_micros: int | None = None,
        window_end_micros: int | None = None,
        dataset_version: str | None = None,
    ) -> str:
        """Log a system metric, or (``kind="performance"``) a model's performance metric."""
        record: dict[str, Any] = {
            "name": rec.require_text("name", name),
            "value": _required_number("value", value),
        }
        if labels is not None:
            if not isinstance(labels, Mapping):
                raise InvalidRecordError("labels", "must be a mapping of label to value")
            record["labels"] = dict(labels)
        if kind == "system":
            record["k"] = rec.KIND_SYSTEM_METRIC
        elif kind == "performance":
            record["k"] = rec.KIND_PERFORMANCE_METRIC
            record["model"] = rec.require_text("model", model)
            record["version"] = rec.require_text("version", version)
            record["metric_kind"] = metric_kind
            if stage is not None and stage not in rec.STAGES:
                raise InvalidRecordError("stage", f"must be one of {sorted(rec.STAGES)}")
            _put_optional(record, "stage", stage)
            _put_optional(record, "window_start", window_start_micros)
            _put_optional(record, "window_end", window_end_micros)
            _put_optional(
                record, "dataset_version", rec.optional_text("dataset_version", dataset_version)
            )
        else:
            raise InvalidRecordError("kind", f"must be 'system' or 'performance', got {kind!r}")
        return self._accept(record)

    def _encode(self, record: dict[str, Any]) -> bytes:
        try:
            line = encode_line(record)
        except TypeError as exc:
            raise InvalidRecordError("inputs", f"cannot be encoded as JSON: {exc}") from None
        if len(line) > self._max_input_bytes:
            raise InvalidRecordError(
                "inputs", f"the record is {len(line)} bytes, over the {self._max_input_bytes} limit"
            )
        return line

    def _check_open(self) -> None:
        if self._closed:
            raise LedgerClosedError("this ledger is closed: create a new Ledger to log again")

    def _stamp(self, record: dict[str, Any]) -> bytes:
        """Give ``record`` its id and timestamp and return its journal line."""
        record_id, micros = new_id()
        record["id"] = record_id
        record["ts"] = micros
        return self._encode(record)

    def _accept(self, record: dict[str, Any]) -> str:
        self._check_open()
        return self._enqueue(record, self._stamp(record))

    def _enqueue(self, record: dict[str, Any], line: bytes) -> str:
        record_id: str = record["id"]
        if self._sync_bulk is not None:
            self._write_now(record)
            return record_id
        counters = self._counters
        try:
            self._source.put(record, line, block=self._block)
        except QueueFullError:
            with counters.lock:
                counters.dropped += 1
            return record_id
        with counters.lock:
            counters.accepted += 1
            behind = counters.accepted - counters.own_done
        if behind >= self._batch_size:
            self._writer.wake.set()
        return record_id

    def _write_now(self, record: dict[str, Any]) -> None:
        assert self._sync_bulk is not None
        with self._sync_lock:
            try:
                if not self._schema_checked:
                    self._prepare_store()
                    self._schema_checked = True
                self._sync_bulk.write([record], dedupe=False)
                if isinstance(self._writer, Writer) and self._writer.log_files is not None:
                    self._writer.log_files.write([record])
            except Exception as exc:
                self._sync_bulk.discard_connection()
                raise StoreUnavailableError(self._describe_error(exc)) from exc
        with self._counters.lock:
            self._counters.accepted += 1
            self._counters.own_done += 1
            self._counters.written += 1

    # -- control ----------------------------------------------------------------------

    def write_log_files(self, settings: LogFileSettings | None) -> None:
        """Copy every prediction and request, once committed, into rotating JSON log files.

        The writer (thread or process) writes them, so the request path pays nothing.
        ``None`` (or ``enabled=False``) stops writing them.
        """
        if settings is not None and not settings.enabled:
            settings = None
        if isinstance(self._writer, ProcessWriter):
            self._writer.write_log_files(settings)
            return
        previous = self._writer.log_files
        self._writer.log_files = None if settings is None else LogFileWriter(settings)
        if previous is not None:
            previous.close()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record accepted so far is committed.

        Journals that dead processes left behind when this ledger started are replayed
        first, so after ``flush()`` their records are stored too.

        Returns:
            True when everything was committed within ``timeout`` seconds.
        """
        counters = self._counters
        with counters.lock:
            target = counters.accepted
        self._writer.wake.set()
        started = time.monotonic()
        if not self._writer.startup_replay_done.wait(timeout):
            return False
        if timeout is not None:
            timeout = max(0.0, timeout - (time.monotonic() - started))
        with counters.committed_cond:
            return (
                counters.committed_cond.wait_for(
                    lambda: counters.own_done >= target or not self._writer.is_alive(),
                    timeout,
                )
                and counters.own_done >= target
            )

    @property
    def writer_pid(self) -> int | None:
        """The id of the writer process, or ``None`` with a writer thread (or none yet)."""
        return self._writer.pid if isinstance(self._writer, ProcessWriter) else None

    @property
    def stream(self) -> tuple[str, str] | None:
        """``(redis_url, stream key)`` with ``transport="redis"``, else ``None``."""
        return None if self._sink is None else (self._sink.redis_url, self._sink.stream)

    def stats(self) -> LedgerStats:
        """Counters of what the ledger has accepted, written, retried and dropped."""
        c = self._counters
        with c.lock:
            return LedgerStats(
                accepted=c.accepted, written=c.written, replayed=c.replayed, retried=c.retried,
                dropped=c.dropped, rejected=c.rejected, corrupt=c.corrupt,
                queue_depth=c.accepted - c.own_done, journal_bytes=self._source.byte_size(),
                last_error=c.last_error, last_error_at=c.last_error_at,
                backend=self.store.dialect if self._sink is None else "redis",
            )  # fmt: skip

    def close(self, timeout: float = 30.0) -> bool:
        """Flush and stop. Records not committed within ``timeout`` stay in the journal.

        Returns:
            True when everything accepted was committed.
        """
        with self._close_lock:
            if self._closed:
                return True
            self._closed = True
        flushed = self.flush(timeout)
        self._writer.stopping.set()
        if not flushed:
            self._writer.give_up.set()
        self._writer.wake.set()
        self._writer.join(timeout=max(5.0, timeout))
        if self._journal is not None:
            self._journal.close(is_committed=self._everything_committed)
        if self._sync_bulk is not None:
            self._sync_bulk.close()
        self._close_cache()
        self.store.dispose()
        _open_ledgers.discard(self)
        return flushed

    def _everything_committed(self) -> bool:
        if not self._writer.clean_exit or self._writer.is_alive():
            return False
        with self._counters.lock:
            return self._counters.accepted == self._counters.own_done

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _resolve_writer(given: str | None, durability: str, to_stream: bool) -> WriterKind:
    """The writer kind: the argument (checked), else ``PREDLEDGER_WRITER``'s preference."""
    process_possible = durability == "journal" and not to_stream
    if given is None:  # the environment states a preference, kept where it can be
        preferred = os.environ.get("PREDLEDGER_WRITER", "").strip().lower() or "process"
        _check_choice("PREDLEDGER_WRITER", preferred, ("thread", "process"))
        return "process" if preferred == "process" and process_possible else "thread"
    _check_choice("writer", given, ("thread", "process"))
    if given == "process" and not process_possible:
        raise ConfigurationError(
            "writer='process' reads the journal, so it needs durability='journal' and "
            "transport='direct'; use writer='thread' with this configuration"
        )
    return cast(WriterKind, given)


def _put_optional(record: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        record[key] = value


def _required_number(field: str, value: object) -> float:
    number = rec.finite_number(field, value)
    if number is None:
        raise InvalidRecordError(field, "is required")
    return number


def _optional_int(field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecordError(field, f"must be an integer, got {value!r}")
    return value


def _prediction_record(
    model: str,
    version: str,
    inputs: Any = None,
    label: Any = None,
    probability: float | None = None,
    probabilities: Mapping[str, float] | list[float] | None = None,
    value: float | None = None,
    latency_ms: float | None = None,
    request_id: str | None = None,
    batch_id: str | None = None,
    session_id: str | None = None,
    dataset_id: str | None = None,
    status: str = "success",
    error_message: str | None = None,
    cache_hit: bool = False,
    prediction_type: str | None = None,
    feature_names: list[str] | None = None,
    interval_low: float | None = None,
    interval_high: float | None = None,
    confidence_level: float | None = None,
    client_ip: str | None = None,
    user_agent: str | None = None,
    input_hash: str | None = None,
) -> dict[str, Any]:
    """Check a prediction's fields and build its record (without id and time).

    On the request path: each optional field costs one comparison unless it is given.
    """
    # Each check has a fast path for the common, valid value (a plain short str, a dict of
    # features, a finite float) and leaves the rest to the full check that names the
    # problem: on the request path every call costs.
    if type(inputs) is dict:
        kind = (
            "features"
            if prediction_type is None
            else rec.prediction_type_of(inputs, prediction_type)
        )
    else:
        rec.check_inputs(inputs)
        kind = rec.prediction_type_of(inputs, prediction_type)
    if type(version) is not str:
        version = None if version is None else str(version)
    record: dict[str, Any] = {
        "k": rec.KIND_PREDICTION,
        "model": model if _short_text(model, _MODEL_MAX) else rec.require_text("model", model),
        "version": version
        if _short_text(version, _VERSION_MAX)
        else rec.require_text("version", version),
        "prediction_type": kind,
        "status": status if status == "success" else rec.status_value(status),
    }
    if inputs is not None:
        record["inputs"] = inputs.tolist() if hasattr(inputs, "tolist") else inputs
    _put_common_outputs(record, label, probability, latency_ms)
    _put_outputs(
        record, probabilities, value, interval_low, interval_high, confidence_level
    )  # fmt: skip
    _put_context(
        record, request_id, batch_id, session_id, dataset_id, client_ip, user_agent,
        input_hash, error_message,
    )  # fmt: skip
    if cache_hit:
        record["cache_hit"] = True
    if feature_names is not None:
        if not isinstance(feature_names, list | tuple) or not all(
            isinstance(n, str) for n in feature_names
        ):
            raise InvalidRecordError("feature_names", "must be a list of strings")
        record["feature_names"] = list(feature_names)
    return record


# The column widths the full checks enforce, for the fast paths to enforce alike.
_MODEL_MAX = rec.MAX_LENGTHS["model"]
_VERSION_MAX = rec.MAX_LENGTHS["version"]
_LABEL_MAX = rec.MAX_LENGTHS["label"]


def _put_common_outputs(
    record: dict[str, Any], label: Any, probability: float | None, latency_ms: float | None
) -> None:
    """The outputs most predictions carry, each with a fast path for a plain valid value."""
    if label is not None:
        if type(label) is str and 0 < len(label) <= _LABEL_MAX:
            record["label"] = label
        else:
            if not isinstance(label, str):
                label = str(label.item() if hasattr(label, "item") else label)
            record["label"] = rec.optional_text("label", label)
    if probability is not None:
        if type(probability) is float and 0.0 <= probability <= 1.0:  # NaN fails both
            record["probability"] = probability
        else:
            record["probability"] = rec.probability_value("probability", probability)
    if latency_ms is not None:
        if type(latency_ms) is float and latency_ms - latency_ms == 0.0:  # finite
            record["latency_ms"] = latency_ms
        else:
            record["latency_ms"] = rec.finite_number("latency_ms", latency_ms)


def _short_text(value: object, limit: int) -> bool:
    """Whether ``value`` is a plain str that ``require_text`` would take as it is."""
    return type(value) is str and 0 < len(value) <= limit and not value.isspace()


def _put_outputs(
    record: dict[str, Any],
    probabilities: Mapping[str, float] | list[float] | None,
    value: float | None,
    interval_low: float | None,
    interval_high: float | None,
    confidence_level: float | None,
) -> None:
    if probabilities is not None:
        record["probabilities"] = rec.probabilities_value(probabilities)
    if value is not None:
        record["value"] = rec.finite_number("value", value)
    if interval_low is not None:
        record["interval_low"] = rec.finite_number("interval_low", interval_low)
    if interval_high is not None:
        record["interval_high"] = rec.finite_number("interval_high", interval_high)
    if confidence_level is not None:
        record["confidence_level"] = rec.probability_value("confidence_level", confidence_level)


def _put_context(
    record: dict[str, Any],
    request_id: str | None,
    batch_id: str | None,
    session_id: str | None,
    dataset_id: str | None,
    client_ip: str | None,
    user_agent: str | None,
    input_hash: str | None,
    error_message: str | None,
) -> None:
    if request_id is not None:
        record["request_id"] = rec.optional_text("request_id", request_id)
    if batch_id is not None:
        record["batch_id"] = rec.optional_text("batch_id", batch_id)
    if session_id is not None:
        record["session_id"] = rec.optional_text("session_id", session_id)
    if dataset_id is not None:
        record["dataset_id"] = rec.optional_text("dataset_id", dataset_id)
    if client_ip is not None:
        record["client_ip"] = rec.optional_text("client_ip", client_ip)
    if user_agent is not None:
        record["user_agent"] = rec.free_text("user_agent", user_agent)
    if input_hash is not None:
        record["input_hash"] = rec.optional_text("input_hash", input_hash)
    if error_message is not None:
        record["error_message"] = rec.free_text("error_message", error_message)


_open_ledgers: weakref.WeakSet[Ledger] = weakref.WeakSet()


@atexit.register
def _close_open_ledgers() -> None:
    for ledger in list(_open_ledgers):
        ledger.close(timeout=10.0)
