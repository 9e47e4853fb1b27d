"""The demo app: the sentiment service's contract, the tabular models, and degradation."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from predledger import Ledger
from predledger.demo.app import build_demo_app
from predledger.demo.models import DemoModels
from predledger.logfiles import LogFileSettings

from support.api_service import wait_until
from support.db_checks import query
from support.live_server import LiveServer
from support.tcp_proxy import TcpProxy


@pytest.fixture(scope="module")
def models() -> DemoModels:
    return DemoModels.train()


def test_demo_routes_keep_their_contracts_and_log_every_prediction(
    models: DemoModels, sqlite_url: str, tmp_path: Path
) -> None:
    with Ledger(sqlite_url, journal_dir=tmp_path / "journal", flush_interval=0.02) as ledger:
        app = build_demo_app(models, ledger, log_files=LogFileSettings(directory=tmp_path))
        with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
            one = client.post("/predict", json={"text": "I love this product!"}).json()
            assert set(one) == {"sentiment", "confidence", "latency_ms", "prediction_id"}
            assert one["sentiment"] == "positive"
            assert 0.5 <= one["confidence"] <= 1

            many = client.post("/batch", json={"texts": ["Awful.", "The box is blue."]}).json()
            assert many["total"] == 2
            assert [p["sentiment"] for p in many["predictions"]] == ["negative", "neutral"]
            assert {"sentiment", "confidence", "latency_ms"} <= set(many["predictions"][0])

            features = dict.fromkeys(models.regressor.feature_names, 1.0)
            value = client.post("/models/diabetes/predict", json={"features": features}).json()
            assert value["model"] == "diabetes"
            assert value["interval_low"] <= value["value"] <= value["interval_high"]
            cancer = dict.fromkeys(models.classifier.feature_names, 1.0)
            label = client.post("/models/breast-cancer/predict", json={"features": cancer}).json()
            assert label["label"] in ("benign", "malignant")
            assert set(label["probabilities"]) == {"benign", "malignant"}

            missing = client.post("/models/diabetes/predict", json={"features": {"age": 1}})
            assert missing.status_code == 422
            assert "bmi" in missing.text
            assert client.post("/models/nope/predict", json={"features": {}}).status_code == 404
            assert client.post("/predict", json={"text": ""}).status_code == 422
            assert client.post("/batch", json={"texts": []}).status_code == 422

            assert ledger.flush(20)
            distribution = client.get("/analytics/sentiment-distribution").json()
            assert distribution == {"positive": 1, "negative": 1, "neutral": 1}
            assert client.get("/analytics/summary").json()["total_predictions"] == 6
            assert len(client.get("/demo/models").json()) == 3
            for path in ("/docs", "/healthz", "/readyz", "/metrics", "/admin/stats"):
                assert client.get(path).status_code == 200, path

    rows = query(sqlite_url, "SELECT model_name, status, error_message, batch_id FROM predictions")
    by_model: dict[str, int] = {}
    for row in rows:
        by_model[row["model_name"]] = by_model.get(row["model_name"], 0) + 1
    assert by_model == {"sentiment": 3, "diabetes": 2, "breast-cancer": 1}
    failed = [row for row in rows if row["status"] == "error"]
    assert len(failed) == 1
    assert "bmi" in failed[0]["error_message"]
    assert len({row["batch_id"] for row in rows if row["batch_id"]}) == 1


def test_prediction_routes_answer_while_the_database_is_away(
    models: DemoModels, postgres_url: str, tmp_path: Path
) -> None:
    """PostgreSQL behind a proxy that is cut: predictions are served, then all stored."""
    proxy = TcpProxy("127.0.0.1", 5432).start()
    url = postgres_url.replace("127.0.0.1:5432", proxy.url_host())
    ledger = Ledger(url, journal_dir=tmp_path / "journal", flush_interval=0.02, retry_max_delay=0.3)
    try:
        app = build_demo_app(models, ledger, log_files=LogFileSettings(directory=tmp_path))
        with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
            before = [client.post("/predict", json={"text": "good"}).json() for _ in range(3)]
            assert ledger.flush(20)

            proxy.cut()
            during = []
            for i in range(10):
                answer = client.post("/predict", json={"text": f"great day {i}"})
                assert answer.status_code == 200
                during.append(answer.json()["prediction_id"])
            ingest = client.post("/v1/predictions", json={"model": "m", "version": "1"})
            assert ingest.status_code == 202
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503
            assert "cannot use the database" in not_ready.json()["reason"]
            assert not_ready.json()["ledger"]["queue_depth"] > 0
            read = client.get("/analytics/summary")
            assert read.status_code == 503
            assert "cannot use the database" in read.json()["detail"]
            assert client.get("/healthz").status_code == 200

            proxy.restore()
            wait_until(lambda: client.get("/readyz").status_code == 200, what="readiness")
            logged = {p["prediction_id"] for p in before} | set(during) | set(ingest.json()["ids"])
            wait_until(
                lambda: (
                    ledger.flush(5)
                    and {str(r["id"]) for r in query(postgres_url, "SELECT id FROM predictions")}
                    == logged
                ),
                what="every prediction stored",
            )
            assert client.get("/analytics/summary").json()["total_predictions"] == 14
        outage = query(
            postgres_url, "SELECT COUNT(*) AS n FROM api_requests WHERE status_code = 503"
        )
        assert outage[0]["n"] >= 2
    finally:
        ledger.close(timeout=10)
        proxy.stop()
