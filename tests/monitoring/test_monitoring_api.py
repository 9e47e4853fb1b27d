"""The drift, alert and action routes through a real uvicorn server on a real database."""

from __future__ import annotations

import pytest
from monitoring_data import log_traffic, reference_frame, traffic

from predledger.registry import promote_model_version, register_model_version

from support.api_service import running_service


@pytest.fixture
def service(database_url, journal_dir, tmp_path):
    with running_service(database_url, journal_dir, tmp_path / "logs") as running:
        yield running


def _prepare(service):
    store = service.ledger.store
    reference = reference_frame()
    register_model_version(
        store, name="churn", version="1", reference=reference, stage="production"
    )
    register_model_version(store, name="churn", version="2", reference=reference, stage="staging")
    promote_model_version(store, "churn", "2")
    log_traffic(service.ledger, "churn", "2", traffic(500, shifted=True))


def test_drift_alert_and_action_routes(service):
    _prepare(service)
    client = service.client
    created = client.post("/v1/drift/reports", json={"model": "churn", "hours": 2})
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["drift_detected"]
    assert report["model_version"] == "2"
    latest = client.get("/v1/drift/reports", params={"model": "churn", "latest": "true"}).json()
    assert [r["id"] for r in latest] == [report["id"]]
    assert latest[0]["features"][0]["chart"] is None  # lists leave the counts out
    page = client.get(f"/v1/drift/reports/{report['id']}/html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") == 3
    assert client.get("/v1/drift/reports/999").status_code == 404
    bad = client.post("/v1/drift/reports", json={"model": "churn", "overrides": {"nope": {}}})
    assert bad.status_code == 422
    assert "unknown features" in bad.json()["detail"]

    rule = client.post("/v1/alerts/rules", json={"name": "drift", "kind": "drift"})
    assert rule.status_code == 201, rule.text
    assert client.post("/v1/alerts/evaluate").json()["raised"]
    [alert] = client.get("/v1/alerts", params={"status": "active"}).json()
    acked = client.post(f"/v1/alerts/{alert['id']}/acknowledge", json={"actor": "alice"})
    assert acked.json()["acknowledged_by"] == "alice"
    assert client.post(f"/v1/alerts/{alert['id']}/acknowledge", json={}).status_code == 409
    hook = {"name": "hook", "kind": "traffic", "webhook_url": "http://10.0.0.1/x"}
    refused = client.post("/v1/alerts/rules", json=hook)
    assert refused.status_code == 422
    assert refused.json()["field"] == "webhook_url"

    proposed = client.post("/v1/actions", json={
        "action_type": "rollback", "model": "churn", "risk_level": "high",
        "alert_id": alert["id"], "actor": "alice",
    })  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    action_id = proposed.json()["id"]
    pending = client.get("/v1/actions", params={"status": "pending"}).json()
    assert [a["id"] for a in pending] == [action_id]
    self_approval = client.post(f"/v1/actions/{action_id}/approve", json={"reviewer": "alice"})
    assert self_approval.status_code == 409
    assert "cannot approve it too" in self_approval.json()["detail"]
    assert client.post(f"/v1/actions/{action_id}/approve", json={}).status_code == 422
    approved = client.post(f"/v1/actions/{action_id}/approve",
                           json={"reviewer": "bob", "comment": "go"})  # fmt: skip
    assert approved.json()["status"] == "approved"
    executed = client.post(f"/v1/actions/{action_id}/execute", json={"reviewer": "bob"}).json()
    assert executed["status"] == "executed"
    assert executed["execution_result"]["active_version"] == "1"
    again = client.post(f"/v1/actions/{action_id}/reject", json={"reviewer": "carol"})
    assert again.status_code == 409
    assert "executed is final" in again.json()["detail"]
    events = client.get(f"/v1/actions/{action_id}/events").json()
    assert [e["to_status"] for e in events] == ["pending", "approved", "executed"]
    assert client.get("/v1/models/churn/active").json()["version"] == "1"

    client.post("/v1/alerts/evaluate")
    [resolved] = client.get("/v1/alerts", params={"status": "resolved"}).json()
    assert resolved["id"] == alert["id"]
    assert resolved["resolved_by"] == "predledger"
