"""``/v1/models`` and ``/v1/system-metrics`` over real HTTP, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from predledger.metrics.sampler import SystemMetricsSampler
from predledger.registry import ReferenceDataset, register_model_version

from support.api_service import Service


def _register(client, version, **fields):
    answer = client.post("/v1/models/churn/versions", json={"version": version, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_register_promote_rollback_and_history(service: Service) -> None:
    client = service.client
    first = _register(
        client, "1", algorithm="RandomForest", metrics={"accuracy": 0.9}, stage="staging",
        classes=["no", "yes"], actor="alice",
    )  # fmt: skip
    assert (first["stage"], first["is_active"], first["created_by"]) == ("staging", False, "alice")
    _register(client, "2")

    duplicate = client.post("/v1/models/churn/versions", json={"version": "1"})
    assert duplicate.status_code == 409
    assert "already has a version '1'" in duplicate.json()["detail"]

    refused = client.post("/v1/models/churn/versions/2/promote")
    assert refused.status_code == 409
    assert "can move to staging, archived" in refused.json()["detail"]

    promoted = client.post("/v1/models/churn/versions/1/promote", json={"actor": "bob"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["active"]["version"] == "1"
    staged = client.post("/v1/models/churn/versions/2/stage", json={"stage": "staging"})
    assert staged.json()["stage"] == "staging"
    replaced = client.post("/v1/models/churn/versions/2/promote").json()
    assert replaced["replaced"]["version"] == "1"
    assert client.get("/v1/models/churn/active").json()["version"] == "2"

    archive_active = client.post("/v1/models/churn/versions/2/archive")
    assert archive_active.status_code == 409
    rolled = client.post("/v1/models/churn/rollback", json={"reason": "v2 is worse"})
    assert rolled.json()["active"]["version"] == "1"

    assert [m["active_version"] for m in client.get("/v1/models").json()] == ["1"]
    versions = client.get("/v1/models/churn/versions").json()
    assert [(v["version"], v["stage"]) for v in versions] == [
        ("2", "archived"),
        ("1", "production"),
    ]
    history = client.get("/v1/models/churn/history").json()
    assert history[0]["action"] == "rollback"
    assert history[0]["reason"] == "v2 is worse"
    assert {h["actor"] for h in history} == {"alice", "api", "bob"}

    assert client.get("/v1/models/nope/active").status_code == 404
    assert client.get("/v1/models/churn/versions/9").status_code == 404
    bad_stage = client.post("/v1/models/churn/versions/2/stage", json={"stage": "gone"})
    assert bad_stage.status_code == 422


def test_performance_is_scored_live_and_stored_on_demand(service: Service) -> None:
    client = service.client
    register_model_version(
        service.ledger.store, name="churn", version="1", classes=["no", "yes"],
        stage="production",
        reference=ReferenceDataset(
            {"x": [0.1, 0.2, 0.3, 0.4] * 25, "p_yes": [0.1, 0.4, 0.6, 0.9] * 25,
             "y": ["no", "no", "yes", "yes"] * 25},
            target="y", probabilities=["p_yes"],
        ),
    )  # fmt: skip
    sent = client.post(
        "/v1/predictions",
        json=[
            {"model": "churn", "version": "1", "label": label, "probability": p, "request_id": r}
            for label, p, r in [("yes", 0.9, "a"), ("no", 0.2, "b"), ("yes", 0.7, "c")]
        ],
    )
    assert sent.status_code == 202, sent.text
    assert service.ledger.flush(30)
    labelled = client.post(
        "/v1/feedback",
        json=[{"request_id": "a", "actual": "yes"}, {"request_id": "b", "actual": "yes"}],
    )
    assert labelled.json()["recorded"] == 2

    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    until = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    params = {"window": "custom", "since": since, "until": until}
    [window] = client.get("/v1/models/churn/performance", params=params).json()
    assert (window["predictions"], window["labelled"]) == (3, 2)
    assert window["realized"]["accuracy"] == pytest.approx(0.5)
    assert window["estimated"]["estimated_count"] == 3
    assert (
        client.get("/v1/models/churn/performance/series", params={"metric": "accuracy"}).json()
        == []
    )

    stored = client.post("/v1/models/churn/performance", params=params)
    assert stored.status_code == 200, stored.text
    series = client.get(
        "/v1/models/churn/performance/series", params={"metric": "accuracy", "kind": "realized"}
    ).json()
    assert [point["value"] for point in series] == [pytest.approx(0.5)]
    assert series[0]["stage"] == "production"

    hourly = client.get("/v1/models/churn/performance", params={"window": "hour"})
    assert sum(w["predictions"] for w in hourly.json()) == 3
    assert (
        client.get("/v1/models/churn/performance", params={"window": "custom"}).status_code == 422
    )


def test_system_metrics_route(service: Service) -> None:
    sampler = SystemMetricsSampler(service.ledger)
    sampler.sample_once()
    assert service.ledger.flush(30)
    client = service.client
    names = client.get("/v1/system-metrics/names").json()
    assert "cpu_percent" in names
    cpu = client.get("/v1/system-metrics", params={"name": "cpu_percent"}).json()
    assert len(cpu) == 1
    assert cpu[0]["name"] == "cpu_percent"
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/v1/system-metrics", params={"since": later}).json() == []
