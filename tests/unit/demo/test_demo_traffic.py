"""Demo traffic against a real HTTP server on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sklearn.datasets import load_breast_cancer, load_diabetes

from predledger.demo.models import LABELLED_SENTENCES
from predledger.demo.traffic import TrafficGenerator
from predledger.errors import ConfigurationError, ConflictError

PREDICTION_PATHS = {
    "/predict",
    "/batch",
    "/models/breast-cancer/predict",
    "/models/diabetes/predict",
}


@dataclass
class Received:
    path: str
    session: str | None
    headers: dict[str, str]
    body: dict[str, Any]
    ids: list[str]


@dataclass
class RecordingService:
    """A stand-in for the demo service: answers every route and keeps what it got."""

    url: str = ""
    fail_status: int | None = None
    predictions: list[Received] = field(default_factory=list)
    feedback: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()
        app.post("/predict")(self._predict)
        app.post("/batch")(self._predict)
        app.post("/models/{name}/predict")(self._predict)
        app.post("/v1/feedback")(self._feedback)
        return app

    async def _predict(self, request: Request) -> JSONResponse:
        body = await request.json()
        count = len(body["texts"]) if "texts" in body else 1
        ids = [str(uuid.uuid4()) for _ in range(count)]
        self._record(self.predictions, request, body, ids)
        if self.fail_status is not None:
            return JSONResponse({"detail": "down"}, status_code=self.fail_status)
        if "texts" in body:
            return JSONResponse({"predictions": [{"prediction_id": i} for i in ids]})
        return JSONResponse({"prediction_id": ids[0], "label": "whatever"})

    async def _feedback(self, request: Request) -> JSONResponse:
        body = await request.json()
        self._record(self.feedback, request, body, [])
        return JSONResponse({"accepted": len(body["items"])})

    def _record(self, into: list[Received], request: Request, body: Any, ids: list[str]) -> None:
        received = Received(
            request.url.path, request.headers.get("x-session-id"), dict(request.headers), body, ids
        )
        with self.lock:
            into.append(received)

    def snapshot(self) -> tuple[list[Received], list[Received]]:
        with self.lock:
            return list(self.predictions), list(self.feedback)


@pytest.fixture
def service() -> Iterator[RecordingService]:
    recording = RecordingService()
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without
    # it every response waits ~40 ms for a delayed ACK (Nagle), and traffic crawls.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    recording.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(recording.app(), log_level="warning", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, "the test server to start")
    yield recording
    server.should_exit = True
    thread.join(10)
    sock.close()


def wait_until(condition: Callable[[], bool], what: str, limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def traffic_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "demo-traffic"]


def test_traffic_sends_every_kind_of_request_and_late_ground_truth(
    service: RecordingService,
) -> None:
    generator = TrafficGenerator(
        service.url, rate_per_s=400, drift_after_s=3600, feedback_delay_s=0.05, seed=1
    )

    with generator:
        wait_until(lambda: len(service.snapshot()[0]) >= 300, "300 prediction requests")
    predictions, feedback = service.snapshot()
    stats = generator.stats()

    assert {received.path for received in predictions} == PREDICTION_PATHS
    assert stats.sent == len(predictions)
    assert (stats.errors, stats.last_error, stats.drifted) == (0, None, False)
    assert stats.feedback_sent == sum(len(received.body["items"]) for received in feedback)
    assert traffic_threads() == []
    sessions = Counter(received.session for received in predictions)
    assert None not in sessions
    assert 5 <= len(sessions) <= 20
    assert {received.session for received in feedback} == {"demo-labelling"}


def test_request_bodies_look_like_the_datasets(service: RecordingService) -> None:
    with TrafficGenerator(service.url, rate_per_s=400, drift_after_s=3600, seed=2):
        wait_until(lambda: len(service.snapshot()[0]) >= 300, "300 prediction requests")
    predictions, _ = service.snapshot()
    by_path: dict[str, list[dict[str, Any]]] = {path: [] for path in PREDICTION_PATHS}
    for received in predictions:
        by_path[received.path].append(received.body)
    sentences = dict(LABELLED_SENTENCES)
    data = load_breast_cancer()

    assert all(body["text"] in sentences for body in by_path["/predict"])
    assert all(2 <= len(body["texts"]) <= 8 for body in by_path["/batch"])
    assert all(text in sentences for body in by_path["/batch"] for text in body["texts"])
    cancer = [body["features"] for body in by_path["/models/breast-cancer/predict"]]
    assert all(list(features) == list(data.feature_names) for features in cancer)
    radius = data.data[:, list(data.feature_names).index("worst radius")]
    sent_radius = np.mean([features["worst radius"] for features in cancer])
    assert abs(sent_radius - radius.mean()) < 0.5 * radius.std()
    diabetes = [body["features"] for body in by_path["/models/diabetes/predict"]]
    assert all(len(features) == 10 for features in diabetes)


def test_ground_truth_follows_for_about_the_configured_share(service: RecordingService) -> None:
    generator = TrafficGenerator(
        service.url, rate_per_s=400, feedback_share=0.5, feedback_delay_s=0.05, seed=3
    )
    with generator:
        wait_until(lambda: len(service.snapshot()[1]) >= 30, "30 feedback requests")
    predictions, feedback = service.snapshot()
    issued = {
        prediction_id: (received, index)
        for received in predictions
        for index, prediction_id in enumerate(received.ids)
    }
    items = [item for received in feedback for item in received.body["items"]]
    ids = [item["prediction_id"] for item in items]

    assert len(ids) == len(set(ids))
    assert set(ids) <= set(issued)
    assert 0.35 < len(ids) / len(issued) < 0.65
    assert max(len(received.body["items"]) for received in feedback) > 1
    for item in items:
        check_ground_truth(item, *issued[item["prediction_id"]])


def check_ground_truth(item: dict[str, Any], received: Received, index: int) -> None:
    sentences = dict(LABELLED_SENTENCES)
    if received.path == "/predict":
        assert item["actual_label"] == sentences[received.body["text"]]
    elif received.path == "/batch":
        assert item["actual_label"] == sentences[received.body["texts"][index]]
    elif received.path == "/models/breast-cancer/predict":
        assert item["actual_label"] in {"malignant", "benign"}
    else:
        assert item["actual_value"] in set(load_diabetes().target.tolist())
        assert "actual_label" not in item


def test_inputs_drift_after_drift_after_s(service: RecordingService) -> None:
    data = load_breast_cancer()
    radius = data.data[:, list(data.feature_names).index("worst radius")]

    def cancer_requests() -> list[dict[str, Any]]:
        predictions, _ = service.snapshot()
        return [r.body for r in predictions if r.path == "/models/breast-cancer/predict"]

    generator = TrafficGenerator(service.url, rate_per_s=400, drift_after_s=0.3, seed=4)
    with generator:
        wait_until(lambda: generator.stats().drifted, "the switch to drifted inputs")
        switched = len(cancer_requests())
        wait_until(lambda: len(cancer_requests()) >= switched + 60, "60 drifted requests")
    after = [body["features"]["worst radius"] for body in cancer_requests()[switched:]]

    assert generator.stats().drifted
    assert np.mean(after) > radius.mean() + radius.std()


def test_refused_connections_are_counted_not_raised() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    generator = TrafficGenerator(closed_url, rate_per_s=200, seed=5)

    with generator:
        wait_until(lambda: generator.stats().errors >= 20, "20 counted errors")
    stats = generator.stats()

    assert stats.errors == stats.sent >= 20
    assert stats.feedback_sent == 0
    assert stats.last_error is not None
    assert "ConnectError" in stats.last_error
    assert traffic_threads() == []


def test_error_statuses_are_counted_and_get_no_feedback(service: RecordingService) -> None:
    service.fail_status = 503
    client = httpx.Client(headers={"X-Demo-Run": "test"})
    generator = TrafficGenerator(service.url, rate_per_s=400, feedback_delay_s=0, client=client)

    with generator:
        wait_until(lambda: len(service.snapshot()[0]) >= 50, "50 prediction requests")
    predictions, feedback = service.snapshot()
    stats = generator.stats()

    assert stats.errors == stats.sent == len(predictions)
    assert stats.last_error is not None
    assert "HTTP 503" in stats.last_error
    assert feedback == []
    assert all(received.headers["x-demo-run"] == "test" for received in predictions)
    assert not client.is_closed  # the caller's client stays the caller's
    client.close()


def test_a_generator_runs_once() -> None:
    generator = TrafficGenerator("http://127.0.0.1:9", rate_per_s=1)
    generator.start()
    try:
        with pytest.raises(ConflictError, match="already started"):
            generator.start()
    finally:
        generator.stop()

    assert traffic_threads() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [("rate_per_s", 0), ("feedback_share", 1.5), ("feedback_delay_s", -1), ("drift_after_s", -1)],
)
def test_settings_out_of_range_are_refused(setting: str, value: float) -> None:
    settings: dict[str, Any] = {setting: value}
    with pytest.raises(ConfigurationError, match=setting):
        TrafficGenerator("http://127.0.0.1:9", **settings)
