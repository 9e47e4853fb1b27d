"""Health, metrics, docs, error answers, the request log and admin stats, over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from predledger import ConfigurationError, Ledger
from predledger.api import create_app
from predledger.logfiles import LogFileSettings, RotatingJsonFile
from predledger.store import migrate

from support.api_service import Service, wait_until
from support.db_checks import query
from support.live_server import LiveServer

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


def test_health_readiness_metrics_and_docs(service: Service) -> None:
    client = service.client
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["schema_revision"] == migrate.head_revision()
    assert body["reason"] is None

    client.post("/v1/predictions", json={"model": "m", "version": "1", "label": "a"})
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert "predledger_ledger_records_accepted_total" in text
    assert "predledger_ledger_queue_depth" in text
    assert (
        'predledger_http_request_duration_seconds_count{method="POST",route="/v1/predictions"'
        in (text)
    )

    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/predictions",
        "/v1/predictions/{prediction_id}",
        "/v1/feedback",
        "/predictions/history",
        "/admin/stats",
        "/analytics/summary",
        "/analytics/label-distribution",
        "/analytics/recent",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in paths, path
    assert "requestBody" in paths["/v1/predictions"]["post"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_requests_get_a_status_and_a_message_naming_the_field(service: Service) -> None:
    client = service.client
    too_many = client.get("/analytics/recent", params={"limit": 1001})
    assert too_many.status_code == 422
    assert "query.limit" in too_many.json()["message"]
    assert "1000" in too_many.json()["message"]
    assert client.get("/predictions/history", params={"limit": 5000}).status_code == 422
    assert client.get("/v1/predictions", params={"limit": 0}).status_code == 422

    unknown = client.get(f"/v1/predictions/{UNKNOWN_ID}")
    assert unknown.status_code == 404
    assert UNKNOWN_ID in unknown.json()["detail"]
    random_uuid = "3f1c9a0e-8b7d-4c2e-9f4a-2b6d8e0c1a57"  # a UUID, but not one the ledger made
    assert client.get(f"/v1/predictions/{random_uuid}").status_code == 404
    unknown_label = client.post("/v1/feedback", json={"prediction_id": random_uuid, "actual": 1})
    assert unknown_label.json()["unknown"] == [{"prediction_id": random_uuid, "request_id": None}]
    not_an_id = client.get("/v1/predictions/42")
    assert not_an_id.status_code == 422
    assert not_an_id.json()["field"] == "prediction_id"
    assert client.get("/v1/predictions", params={"cursor": "nope"}).status_code == 422

    for path in ("/v1/predictions", "/v1/feedback"):
        malformed = client.post(
            path, content=b'{"model": "m",', headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 422, path
        assert "not valid JSON" in malformed.json()["message"]
        assert "Traceback" not in malformed.text

    oversized = client.post("/v1/predictions", json=[{"model": "m", "version": "1"}] * 10_001)
    assert oversized.status_code == 413
    assert "10,000" in oversized.json()["detail"]
    assert client.post("/v1/feedback", json=[{"x": 1}] * 10_001).status_code == 413

    missing = client.post("/v1/predictions", json=[{"model": "m", "version": "1"}, {"model": "m"}])
    assert missing.status_code == 422
    assert missing.json()["message"] == "body[1].version: is required"
    bad_probability = client.post(
        "/v1/predictions", json={"model": "m", "version": "1", "probability": 3}
    )
    assert "body.probability" in bad_probability.json()["message"]
    unknown_field = client.post("/v1/predictions", json={"model": "m", "version": "1", "x": 1})
    assert "body.x" in unknown_field.json()["message"]
    assert client.post("/v1/predictions", json=[]).status_code == 422

    no_target = client.post("/v1/feedback", json={"actual": "a"})
    assert no_target.status_code == 422
    assert "prediction_id" in no_target.json()["message"]
    bad_id = client.post("/v1/feedback", json={"prediction_id": "7", "actual": "a"})
    assert "body.prediction_id" in bad_id.json()["message"]
    assert client.get("/admin/stats", params={"hours": -1}).status_code == 422

    nothing_stored = query(service.database_url, "SELECT COUNT(*) AS n FROM predictions")
    assert nothing_stored[0]["n"] == 0


def test_every_request_is_recorded_with_its_route_session_and_error(service: Service) -> None:
    client = service.client
    first = client.post("/v1/predictions", json={"model": "m", "version": "1", "label": "a"})
    cookie = first.cookies.get("predledger_session")
    assert cookie, "a client without a session gets one"
    assert first.headers["x-request-id"]
    client.get("/analytics/summary")  # carries the cookie now
    client.get("/v1/predictions/" + UNKNOWN_ID, headers={"X-Session-Id": "mobile-7"})
    client.get("/nowhere")
    # uvicorn closes the connection after an unhandled exception: use a connection of its own.
    crashed = httpx.get(service.url + "/test/crash", cookies={"predledger_session": cookie})
    assert crashed.status_code == 500
    assert "Traceback" not in crashed.text
    assert client.get("/test/unavailable").status_code == 503
    sql = (
        "SELECT endpoint, method, status_code, response_time_ms, client_ip, user_agent,"
        " request_size, response_size, cpu_percent, memory_mb, error, session_id"
        " FROM api_requests ORDER BY created_at"
    )
    # A request is logged once its answer has gone out: wait for the last one to land.
    rows = wait_until(
        lambda: service.ledger.flush(5) and _if_count(query(service.database_url, sql), 6),
        what="six request records",
    )
    by_endpoint = {row["endpoint"]: row for row in rows}
    posted = by_endpoint["/v1/predictions"]
    assert posted["method"] == "POST"
    assert posted["status_code"] == 202
    assert posted["request_size"] > 0
    assert posted["response_size"] > 0
    assert posted["client_ip"] == "127.0.0.1"
    assert posted["user_agent"].startswith("python-httpx")
    assert posted["memory_mb"] > 0
    assert posted["response_time_ms"] > 0
    assert posted["session_id"] is None
    assert by_endpoint["/analytics/summary"]["session_id"] == cookie
    templated = by_endpoint["/v1/predictions/{prediction_id}"]
    assert (templated["status_code"], templated["session_id"]) == (404, "mobile-7")
    assert by_endpoint["/nowhere"]["status_code"] == 404
    assert by_endpoint["/test/crash"]["status_code"] == 500
    assert "RuntimeError: the model exploded" in by_endpoint["/test/crash"]["error"]
    assert "warming up" in by_endpoint["/test/unavailable"]["error"]
    assert by_endpoint["/analytics/summary"]["error"] is None

    sessions = query(service.database_url, "SELECT session_id, request_count FROM user_sessions")
    counts = {row["session_id"]: row["request_count"] for row in sessions}
    assert counts["mobile-7"] == 1
    assert counts[cookie] >= 4

    stats = client.get("/admin/stats").json()
    assert stats["total_requests"] == len(rows)
    assert stats["requests_by_status"]["500"] == 1
    assert stats["requests_by_status"]["404"] == 2
    assert stats["error_rate"] == pytest.approx(2 / len(rows))
    assert stats["client_error_rate"] == pytest.approx(2 / len(rows))
    crash_stats = stats["requests_by_endpoint"]["/test/crash"]
    assert (crash_stats["count"], crash_stats["errors"], crash_stats["methods"]) == (
        1,
        1,
        {"GET": 1},
    )
    assert stats["p95_response_time_ms"] > 0
    assert stats["predictions_by_model"] == {"m": 1}
    assert stats["total_predictions"] == 1
    assert stats["active_sessions"] == 2


def test_json_log_files_hold_one_object_per_line(service: Service) -> None:
    client = service.client
    ids = client.post(
        "/v1/predictions",
        json=[
            {"model": "m", "version": "1", "label": str(i), "inputs": {"secret": i}}
            for i in range(3)
        ],
    ).json()["ids"]
    client.get("/analytics/summary")
    predictions_log = service.log_dir / "predictions.log"
    requests_log = service.log_dir / "api_requests.log"
    lines = wait_until(
        lambda: _lines(predictions_log) if len(_lines(predictions_log)) == 3 else None
    )
    assert [line["prediction_id"] for line in lines] == ids
    assert [line["label"] for line in lines] == ["0", "1", "2"]
    assert all("inputs" not in line and "timestamp" in line for line in lines)
    requests = wait_until(
        lambda: [r for r in _lines(requests_log) if r["path"] == "/analytics/summary"]
    )
    assert requests[0]["status_code"] == 200
    assert requests[0]["endpoint"] == "/analytics/summary"
    assert {"response_time_ms", "client_ip", "cpu_percent", "memory_mb"} <= set(requests[0])


def _if_count(rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]] | None:
    return rows if len(rows) >= count else None


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_log_files_rotate_by_size_keeping_the_backups(tmp_path: Path) -> None:
    log = RotatingJsonFile(tmp_path / "api_requests.log", max_bytes=2048, backups=2)
    for i in range(0, 200, 10):  # in batches, as the ledger's writer writes them
        log.write(
            [json.dumps({"i": j, "padding": "x" * 40}).encode() + b"\n" for j in range(i, i + 10)]
        )
    log.close()
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == ["api_requests.log", "api_requests.log.1", "api_requests.log.2"]
    assert all((tmp_path / name).stat().st_size <= 2048 for name in names)
    newest = _lines(tmp_path / "api_requests.log")
    assert newest[-1]["i"] == 199
    oldest_kept = _lines(tmp_path / "api_requests.log.2")
    assert oldest_kept[0]["i"] > 0, "older lines beyond the backups are gone"
    with pytest.raises(ConfigurationError, match="max_bytes"):
        LogFileSettings(max_bytes=10)


def test_log_files_can_be_turned_off(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where the default logs/ folder would appear
    with Ledger(sqlite_url, journal_dir=tmp_path / "journal") as ledger:
        app = create_app(ledger, log_files=False)
        with LiveServer(app) as server:
            assert httpx.get(server.url + "/healthz").status_code == 200
            ledger.log(model="m", version="1", label="a")
            assert ledger.flush(30)
    assert app.state.predledger.log_files is False
    assert not (tmp_path / "logs").exists()
