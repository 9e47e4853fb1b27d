"""Bad records and bad settings are refused with a message naming the problem."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from predledger import (
    ConfigurationError,
    InvalidRecordError,
    Ledger,
    LedgerClosedError,
    SchemaOutdatedError,
)
from predledger.store import migrate
from predledger.store.engine import Store

from support.db_checks import stored_id_counts


@pytest.fixture
def ledger(sqlite_url: str, journal_dir: Path) -> Ledger:
    return Ledger(sqlite_url, journal_dir=journal_dir)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"model": "", "version": "1"}, "model", "non-empty"),
        ({"model": 3, "version": "1"}, "model", "string"),
        ({"model": "m", "version": None}, "version", "non-empty"),
        ({"model": "m", "version": "1", "probability": math.nan}, "probability", "finite"),
        ({"model": "m", "version": "1", "probability": 1.5}, "probability", "between 0 and 1"),
        ({"model": "m", "version": "1", "latency_ms": math.inf}, "latency_ms", "finite"),
        ({"model": "m", "version": "1", "latency_ms": "fast"}, "latency_ms", "number"),
        ({"model": "m", "version": "1", "value": [1]}, "value", "number"),
        ({"model": "m", "version": "1", "status": "ok"}, "status", "'success' or 'error'"),
        ({"model": "m", "version": "1", "prediction_type": "x"}, "prediction_type", "one of"),
        ({"model": "m", "version": "1", "inputs": 3.5}, "inputs", "mapping"),
        ({"model": "m", "version": "1", "inputs": {"a": object()}}, "inputs", "JSON"),
        ({"model": "m", "version": "1", "probabilities": {"a": 2}}, "probabilities", "between"),
        ({"model": "m", "version": "1", "label": "x" * 300}, "label", "longer than"),
        ({"model": "  ", "version": "1"}, "model", "non-empty"),
        ({"model": "m" * 201, "version": "1"}, "model", "longer than"),
        ({"model": "m", "version": "v" * 101}, "version", "longer than"),
        ({"model": "m", "version": "1", "probability": -0.1}, "probability", "between 0 and 1"),
        ({"model": "m", "version": "1", "latency_ms": -math.inf}, "latency_ms", "finite"),
        ({"model": "m", "version": "1", "latency_ms": math.nan}, "latency_ms", "finite"),
        ({"model": "m", "version": "1", "feature_names": "abc"}, "feature_names", "list"),
    ],
)
def test_bad_fields_are_named(
    ledger: Ledger, fields: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        ledger.log(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert words in str(caught.value)
    ledger.close()


def test_unknown_field_is_named(ledger: Ledger) -> None:
    with pytest.raises(TypeError, match="colour"):
        ledger.log(model="m", version="1", colour="red")  # type: ignore[call-arg]
    with pytest.raises(InvalidRecordError, match=r"\[1\]\.colour: is not a known field"):
        ledger.log_many(
            [{"model": "m", "version": "1"}, {"model": "m", "version": "1", "colour": 1}]
        )
    ledger.close()


def test_oversized_inputs_are_refused(sqlite_url: str, journal_dir: Path) -> None:
    ledger = Ledger(sqlite_url, journal_dir=journal_dir, max_input_bytes=10_000)
    with pytest.raises(InvalidRecordError, match="over the 10000 limit"):
        ledger.log(model="m", version="1", inputs={"series": list(range(5000))})
    ledger.close()


def test_a_refused_record_loses_nothing_already_accepted(
    sqlite_url: str, journal_dir: Path
) -> None:
    ledger = Ledger(sqlite_url, journal_dir=journal_dir)
    good = [ledger.log(model="m", version="1", inputs={"i": i}) for i in range(100)]
    with pytest.raises(InvalidRecordError):
        ledger.log(model="m", version="1", probability=math.nan)
    with pytest.raises(InvalidRecordError):  # the whole call is refused before any is accepted
        ledger.log_many(
            [{"model": "m", "version": "1"}, {"model": "m", "version": "1", "value": "x"}]
        )
    good += [ledger.log(model="m", version="1", inputs={"i": i}) for i in range(100, 150)]
    assert ledger.flush(30)
    ledger.close()
    assert set(stored_id_counts(sqlite_url)) == set(good)


def test_numpy_values_are_accepted(ledger: Ledger, sqlite_url: str) -> None:
    prediction_id = ledger.log(
        model="m", version="1", inputs={"x": np.float32(1.5), "v": np.arange(3)},
        label=np.int64(1), probability=np.float64(0.25), probabilities=np.array([0.25, 0.75]),
    )  # fmt: skip
    assert ledger.flush(30)
    ledger.close()
    assert prediction_id in stored_id_counts(sqlite_url)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", "is not valid"),
        ("mysql://root@localhost/x", "'mysql' is not supported"),
        ("postgresql+asyncpg://u@h/db", "psycopg"),
        ("postgresql+psycopg://u@h", "names no database"),
    ],
)
def test_malformed_urls_fail_at_once(url: str, words: str, journal_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match=words):
        Ledger(url, journal_dir=journal_dir)


def test_bad_options_are_refused(sqlite_url: str) -> None:
    with pytest.raises(ConfigurationError, match="durability must be one of"):
        Ledger(sqlite_url, durability="disk")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="batch_size must be at least 1"):
        Ledger(sqlite_url, batch_size=0)


def test_an_outdated_schema_names_the_upgrade_command(database_url: str, journal_dir: Path) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    store.dispose()
    with pytest.raises(SchemaOutdatedError, match="predledger does not know"):
        Ledger(database_url, journal_dir=journal_dir)

    store = Store(database_url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE alembic_version SET version_num = '{migrate.head_revision()}'"
        )
    revisions = [info.revision for info in migrate.history()]
    if len(revisions) > 1:
        migrate.downgrade(store, "-1")
        with pytest.raises(SchemaOutdatedError, match="run `predledger db upgrade"):
            Ledger(database_url, journal_dir=journal_dir)
    store.dispose()


def test_log_after_close_is_refused(ledger: Ledger) -> None:
    ledger.close()
    with pytest.raises(LedgerClosedError, match="closed"):
        ledger.log(model="m", version="1")
