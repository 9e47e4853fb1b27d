"""Embedding predledger in a FastAPI service.

    app = FastAPI()
    ledger = Ledger("sqlite:///predictions.db")
    instrument(app, ledger)          # request log, /analytics, /v1, /metrics, /readyz ...

    @app.post("/predict")
    def predict(body: Features) -> dict[str, object]:
        with track_prediction(ledger, model="churn", version="3", inputs=body.model_dump()) as p:
            p.label, p.probability = model.predict(body)
        return {"label": p.label, "prediction_id": p.prediction_id}

``instrument`` adds the request-logging middleware (every request: route template,
method, status, response time, client address, user agent, body sizes, process CPU %
and memory, the error of a 5xx, the session), mounts predledger's routes, maps its errors
to HTTP answers and closes the ledger when the app shuts down.
"""

from __future__ import annotations

from predledger.api.instrument import instrument, predledger_routers
from predledger.api.state import ServiceState
from predledger.logfiles import LogFileSettings
from predledger.tracking import TrackedPrediction, request_fields, track_prediction

__all__ = [
    "LogFileSettings",
    "ServiceState",
    "TrackedPrediction",
    "instrument",
    "predledger_routers",
    "request_fields",
    "track_prediction",
]
