"""Every logged record lands exactly once with every field intact, rollups included."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from predledger import Ledger
from predledger.ids import id_created_at

from support.db_checks import query, rollups_match_raw_rows, stored_id_counts


def _features(i: int) -> dict[str, float]:
    return {f"f{j}": round(i * 0.1 + j, 3) for j in range(20)}


def test_each_field_is_stored_as_logged(database_url: str, journal_dir: Path) -> None:
    with Ledger(database_url, journal_dir=journal_dir) as ledger:
        prediction_id = ledger.log(
            model="churn", version="3", inputs={"tenure": 12, "plan": "pro", "note": "a\tb\\c\n"},
            label="stay", probability=0.83, probabilities={"stay": 0.83, "leave": 0.17},
            latency_ms=4.5, request_id="req-1", batch_id="b-1", session_id="s-1",
            dataset_id="d-1", cache_hit=True, feature_names=["tenure", "plan", "note"],
            client_ip="10.0.0.1", user_agent="curl/8", input_hash="abc",
        )  # fmt: skip
        regression_id = ledger.log(
            model="price", version="1", inputs=[1.0, 2.0], value=151.5, interval_low=140.0,
            interval_high=160.0, confidence_level=0.9, status="error", error_message="timeout",
        )  # fmt: skip
        assert ledger.flush(30)

    rows = {str(r["id"]): r for r in query(database_url, "SELECT * FROM predictions")}
    first, second = rows[prediction_id], rows[regression_id]
    assert (first["model_name"], first["model_version"], first["label"]) == ("churn", "3", "stay")
    assert _json(first["inputs"]) == {"tenure": 12, "plan": "pro", "note": "a\tb\\c\n"}
    assert _json(first["probabilities"]) == {"stay": 0.83, "leave": 0.17}
    assert first["score"] == pytest.approx(0.83)
    assert first["latency_ms"] == pytest.approx(4.5)
    assert (first["request_id"], first["batch_id"], first["session_id"]) == ("req-1", "b-1", "s-1")
    assert first["dataset_id"] == "d-1"
    assert bool(first["cache_hit"]) is True
    assert _json(first["feature_names"]) == ["tenure", "plan", "note"]
    assert (first["client_ip"], first["user_agent"], first["input_hash"]) == (
        "10.0.0.1",
        "curl/8",
        "abc",
    )
    assert first["prediction_type"] == "features"
    assert first["status"] == "success"
    assert _aware(first["created_at"]) == id_created_at(prediction_id)

    assert second["prediction_type"] == "series"
    assert (second["value"], second["interval_low"], second["interval_high"]) == (151.5, 140, 160)
    assert second["confidence_level"] == pytest.approx(0.9)
    assert (second["status"], second["error_message"]) == ("error", "timeout")
    assert bool(second["cache_hit"]) is False


AWKWARD = "tab\there, line\nbreak\r, back\\slash, \\N, \u00e9\u4e2d"


def test_awkward_text_and_numbers_survive_the_bulk_formats(
    database_url: str, journal_dir: Path
) -> None:
    text_fields = (
        "label", "request_id", "batch_id", "session_id", "dataset_id", "error_message",
        "client_ip", "user_agent", "input_hash",
    )  # fmt: skip
    numbers = {"value": 1.5e22, "interval_low": -1e-07, "interval_high": 123456789.125}
    with Ledger(database_url, journal_dir=journal_dir) as ledger:
        awkward_id = ledger.log(
            model=AWKWARD[:50], version="v\\t1", inputs={AWKWARD: [AWKWARD, 1e-07]},
            probabilities={AWKWARD: 1e-07}, probability=1e-07, latency_ms=2.5e-05,
            confidence_level=0.1, feature_names=[AWKWARD], status="error",
            **dict.fromkeys(text_fields, AWKWARD[:60]), **numbers,
        )  # fmt: skip
        plain_id = ledger.log(model="plain", version="1")  # the same batch, most fields absent
        assert ledger.flush(30)

    rows = {str(r["id"]): r for r in query(database_url, "SELECT * FROM predictions")}
    awkward, plain = rows[awkward_id], rows[plain_id]
    assert (awkward["model_name"], awkward["model_version"]) == (AWKWARD[:50], "v\\t1")
    assert {field: awkward[field] for field in text_fields} == dict.fromkeys(
        text_fields, AWKWARD[:60]
    )
    assert _json(awkward["inputs"]) == {AWKWARD: [AWKWARD, 1e-07]}
    assert _json(awkward["probabilities"]) == {AWKWARD: 1e-07}
    assert _json(awkward["feature_names"]) == [AWKWARD]
    assert (awkward["score"], awkward["latency_ms"]) == (1e-07, 2.5e-05)
    assert {name: awkward[name] for name in numbers} == numbers
    assert (awkward["status"], plain["status"]) == ("error", "success")
    assert plain["inputs"] is None
    assert all(plain[field] is None for field in (*text_fields, *numbers, "score"))


def test_many_records_are_stored_once_and_rollups_equal_group_by(
    database_url: str, journal_dir: Path
) -> None:
    logged = []
    with Ledger(database_url, journal_dir=journal_dir, batch_size=700) as ledger:
        for i in range(5000):
            logged.append(
                ledger.log(
                    model="m" if i % 3 else "n",
                    version=str(i % 2),
                    inputs=_features(i),
                    label=("a", "b", None)[i % 3],
                    probability=(i % 100) / 100,
                    latency_ms=1 + i % 37,
                    status="error" if i % 50 == 0 else "success",
                    cache_hit=i % 7 == 0,
                    value=None if i % 5 else float(i),
                )
            )
        assert ledger.flush(60)
        stats = ledger.stats()

    counts = stored_id_counts(database_url)
    assert set(counts) == set(logged)
    assert max(counts.values()) == 1
    assert (stats.accepted, stats.written, stats.dropped, stats.queue_depth) == (5000, 5000, 0, 0)
    rollups, raw = rollups_match_raw_rows(database_url)
    assert rollups == raw


def test_requests_sessions_and_metrics_go_through_the_same_path(
    database_url: str, journal_dir: Path
) -> None:
    with Ledger(database_url, journal_dir=journal_dir) as ledger:
        for i in range(6):
            ledger.log_request(
                endpoint="/predict", method="post", status_code=500 if i == 5 else 200,
                response_time_ms=2.0 + i, client_ip="127.0.0.1", user_agent="ua",
                request_size=10, response_size=20, cpu_percent=3.5, memory_mb=120.0,
                error="boom" if i == 5 else None, session_id="s-a" if i < 4 else "s-b",
            )  # fmt: skip
        ledger.log_metric("cpu_percent", 42.0, labels={"host": "a"})
        ledger.log_metric(
            "accuracy", 0.91, kind="performance", model="m", version="2", stage="production"
        )
        assert ledger.flush(30)

    requests = query(database_url, "SELECT * FROM api_requests ORDER BY response_time_ms")
    assert [r["status_code"] for r in requests] == [200] * 5 + [500]
    assert requests[0]["method"] == "POST"
    assert requests[-1]["error"] == "boom"
    sessions = {r["session_id"]: r for r in query(database_url, "SELECT * FROM user_sessions")}
    assert {k: v["request_count"] for k, v in sessions.items()} == {"s-a": 4, "s-b": 2}
    assert _aware(sessions["s-a"]["first_seen"]) <= _aware(sessions["s-a"]["last_seen"])
    (system,) = query(database_url, "SELECT name, value, labels FROM system_metrics")
    assert (system["name"], system["value"], _json(system["labels"])) == (
        "cpu_percent",
        42.0,
        {"host": "a"},
    )
    (performance,) = query(database_url, "SELECT * FROM performance_metrics")
    assert (performance["metric_name"], performance["model_version"]) == ("accuracy", "2")
    assert (performance["kind"], performance["stage"]) == ("realized", "production")


def test_threads_share_one_ledger(database_url: str, journal_dir: Path) -> None:
    ids: list[list[str]] = [[] for _ in range(8)]
    with Ledger(database_url, journal_dir=journal_dir, batch_size=300) as ledger:

        def worker(slot: int) -> None:
            for i in range(400):
                ids[slot].append(ledger.log(model="t", version="1", inputs={"i": i}, label="x"))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert ledger.flush(60)
        assert ledger.stats().accepted == 3200

    everything = [i for slot in ids for i in slot]
    assert len(set(everything)) == 3200
    assert set(stored_id_counts(database_url)) == set(everything)
    (rollup,) = query(database_url, "SELECT count FROM prediction_rollups")
    assert rollup["count"] == 3200


@pytest.mark.parametrize("durability", ["sync", "memory"])
def test_other_durability_modes_store_everything(
    database_url: str, journal_dir: Path, durability: Any
) -> None:
    with Ledger(database_url, journal_dir=journal_dir, durability=durability) as ledger:
        ids = [ledger.log(model="d", version="1", inputs={"x": i}) for i in range(50)]
        if durability == "sync":  # committed before log() returned
            assert len(stored_id_counts(database_url)) == 50
        assert ledger.flush(30)
    assert set(stored_id_counts(database_url)) == set(ids)
    assert not journal_dir.exists() or not any(journal_dir.rglob("*.jrnl"))


def test_ids_are_time_ordered_uuid7(sqlite_url: str, journal_dir: Path) -> None:
    with Ledger(sqlite_url, journal_dir=journal_dir) as ledger:
        ids = [ledger.log(model="o", version="1") for _ in range(200)]
    assert ids == sorted(ids)
    assert all(i[14] == "7" for i in ids)
    assert abs((id_created_at(ids[0]) - datetime.now(UTC)).total_seconds()) < 60


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
