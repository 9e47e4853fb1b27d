"""Ingest from non-Python clients and the read routes, on both backends, over real HTTP."""

from __future__ import annotations

from typing import Any

from support.api_service import Service
from support.db_checks import query


def _predictions() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(6):
        rows.append(
            {
                "model": "churn",
                "version": "2" if i % 3 == 0 else "1",
                "inputs": {"tenure": i, "plan": "pro"},
                "label": "stay" if i % 2 else "leave",
                "probability": 0.5 + i / 20,
                "probabilities": {"stay": 0.5 + i / 20, "leave": 0.5 - i / 20},
                "latency_ms": 2.0 + i,
                "request_id": f"req-{i}",
            }
        )
    rows.append(
        {"model": "price", "version": "1", "inputs": {"rooms": 3}, "value": 251.5, "latency_ms": 9}
    )
    rows.append(
        {
            "model": "churn",
            "version": "1",
            "status": "error",
            "error_message": "ValueError: tenure is negative",
            "latency_ms": 1.0,
        }
    )
    return rows


def test_logged_predictions_come_back_filtered_paged_and_by_id(service: Service) -> None:
    client = service.client
    sent = _predictions()
    answer = client.post("/v1/predictions", json=sent)
    assert answer.status_code == 202, answer.text
    ids = answer.json()["ids"]
    assert answer.json()["accepted"] == len(sent) == len(ids)
    single = client.post("/v1/predictions", json={"model": "solo", "version": "1", "label": "a"})
    assert single.status_code == 202
    assert len(single.json()["ids"]) == 1

    # Read-your-writes: the route waits for the writer when the id is still journaled.
    one = client.get(f"/v1/predictions/{ids[1]}").json()
    assert one["model_name"] == "churn"
    assert one["label"] == "stay"
    assert one["inputs"] == {"tenure": 1, "plan": "pro"}
    assert one["probabilities"] == {"stay": 0.55, "leave": 0.45}
    assert one["request_id"] == "req-1"
    assert one["feedback"] is None
    assert service.ledger.flush(20)

    everything = client.get("/v1/predictions", params={"limit": 100}).json()
    assert {item["id"] for item in everything["items"]} == {*ids, *single.json()["ids"]}
    assert everything["next_cursor"] is None
    newest_first = [item["created_at"] for item in everything["items"]]
    assert newest_first == sorted(newest_first, reverse=True)

    by_version = client.get("/v1/predictions", params={"model": "churn", "version": "2"}).json()
    assert {item["id"] for item in by_version["items"]} == {ids[0], ids[3]}
    errors = client.get("/v1/predictions", params={"status": "error"}).json()["items"]
    assert [item["error_message"] for item in errors] == ["ValueError: tenure is negative"]
    leave = client.get("/v1/predictions", params={"label": "leave"}).json()["items"]
    assert len(leave) == 3
    since = everything["items"][2]["created_at"]
    later = client.get("/v1/predictions", params={"since": since}).json()["items"]
    assert [item["id"] for item in later] == [item["id"] for item in everything["items"][:3]]
    earlier = client.get("/v1/predictions", params={"until": since}).json()["items"]
    assert len(earlier) == len(everything["items"]) - 3

    pages: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/predictions", params=params).json()
        pages += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [item["id"] for item in everything["items"]]

    history = client.get("/predictions/history", params={"limit": 2}).json()
    assert history["count"] == 2
    assert [p["id"] for p in history["predictions"]] == pages[:2]
    assert "inputs" in history["predictions"][0]


def test_feedback_by_id_and_request_id_replaces_and_reports_unknown_ids(
    service: Service,
) -> None:
    client = service.client
    ids = client.post("/v1/predictions", json=_predictions()).json()["ids"]
    unknown_id = "01900000-0000-7000-8000-000000000000"
    answer = client.post(
        "/v1/feedback",
        json=[
            {"prediction_id": ids[0], "actual": "stay", "source": "crm"},
            {"request_id": "req-1", "actual_label": "leave"},
            {"prediction_id": ids[6], "actual": 240},
            {"prediction_id": unknown_id, "actual": "stay"},
            {"request_id": "no-such-request", "actual": "stay"},
        ],
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["recorded"] == 3
    assert result["replaced"] == 0
    assert set(result["prediction_ids"]) == {ids[0], ids[1], ids[6]}
    assert result["unknown"] == [
        {"prediction_id": unknown_id, "request_id": None},
        {"prediction_id": None, "request_id": "no-such-request"},
    ]

    again = client.post("/v1/feedback", json={"prediction_id": ids[0], "actual": "leave"}).json()
    assert (again["recorded"], again["replaced"]) == (1, 1)

    labelled = client.get(f"/v1/predictions/{ids[0]}").json()["feedback"]
    assert labelled["actual_label"] == "leave"
    assert labelled["replaced_count"] == 1
    regression = client.get(f"/v1/predictions/{ids[6]}").json()["feedback"]
    assert regression["actual_value"] == 240.0
    assert regression["actual_label"] is None

    rows = query(service.database_url, "SELECT prediction_id, request_id, source FROM feedback")
    assert len(rows) == 3
    by_id = {str(row["prediction_id"]): row for row in rows}
    assert by_id[ids[0]]["source"] is None  # the second label replaced the first entirely
    assert by_id[ids[1]]["request_id"] == "req-1"

    envelope = client.post("/v1/feedback", json={"items": [{"request_id": "req-2", "actual": 1}]})
    assert envelope.json()["recorded"] == 1


def test_analytics_answer_from_the_rollups_with_model_and_version_filters(
    service: Service,
) -> None:
    client = service.client
    ids = client.post("/v1/predictions", json=_predictions()).json()["ids"]
    assert service.ledger.flush(20)

    summary = client.get("/analytics/summary").json()
    assert summary["total_predictions"] == 8
    assert set(summary) == {"total_predictions", "avg_confidence", "avg_latency_ms", "date_range"}
    assert abs(summary["avg_confidence"] - sum(0.5 + i / 20 for i in range(6)) / 6) < 1e-9
    assert abs(summary["avg_latency_ms"] - (sum(2.0 + i for i in range(6)) + 10) / 8) < 1e-9
    assert summary["date_range"]["earliest"] <= summary["date_range"]["latest"]

    churn_v2 = client.get("/analytics/summary", params={"model": "churn", "version": "2"}).json()
    assert churn_v2["total_predictions"] == 2
    nothing = client.get("/analytics/summary", params={"model": "nope"}).json()
    assert nothing == {
        "total_predictions": 0,
        "avg_confidence": None,
        "avg_latency_ms": None,
        "date_range": {"earliest": None, "latest": None},
    }

    assert client.get("/analytics/label-distribution").json() == {"leave": 3, "stay": 3}
    assert client.get("/analytics/label-distribution", params={"version": "2"}).json() == {
        "leave": 1,
        "stay": 1,
    }

    recent = client.get("/analytics/recent", params={"limit": 3}).json()
    assert [row["id"] for row in recent] == list(reversed(ids))[:3]
    assert all("inputs" not in row for row in recent)
    assert {"id", "timestamp", "sentiment", "confidence", "latency_ms", "model_version"} <= set(
        recent[0]
    )
    only_price = client.get("/analytics/recent", params={"model": "price"}).json()
    assert [row["value"] for row in only_price] == [251.5]
    assert len(client.get("/analytics/recent").json()) == 8

    latency = client.get("/analytics/latency", params={"model": "churn"}).json()
    assert latency["count"] == 7
    assert latency["max_ms"] == 7.0
    assert 1.0 * 0.95 <= latency["p50_ms"] <= 7.0 * 1.05

    series = client.get("/analytics/timeseries").json()
    assert sum(bucket["count"] for bucket in series) == 8
    assert sum(bucket["errors"] for bucket in series) == 1
    daily = client.get("/analytics/timeseries", params={"bucket": "day", "model": "price"}).json()
    assert [bucket["count"] for bucket in daily] == [1]
