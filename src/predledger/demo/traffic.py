"""Simulated clients of the demo service: predictions, batches, late ground truth and drift.

A :class:`TrafficGenerator` runs one background thread that sends, at about ``rate_per_s``
requests a second, a mix of single texts, text batches and tabular requests for the two
scikit-learn models, each from one of twenty simulated clients (``X-Session-Id``). After
``drift_after_s`` the inputs come from the drifted distributions of
:func:`~predledger.demo.models.sample_inputs`. For ``feedback_share`` of the predictions that
came back with a ``prediction_id``, the true label or value is posted to ``/v1/feedback``
``feedback_delay_s`` later, several items per request, as a labelling pipeline would.

Only ``base_url`` is ever contacted, and redirects are not followed. Failures (refused
connections, timeouts, error statuses) are counted in :meth:`TrafficGenerator.stats`, never
raised: the generator must not take the demo down with it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
import numpy as np

from predledger.demo.models import BREAST_CANCER, DIABETES, SENTIMENT, LabelledSample, sample_inputs
from predledger.errors import ConfigurationError, ConflictError

SESSION_COUNT = 20
REQUEST_MIX = {"text": 0.35, "batch": 0.1, BREAST_CANCER: 0.275, DIABETES: 0.275}
"""Share of each request kind: ``/predict``, ``/batch`` and the two tabular models."""

BATCH_SIZES = (2, 8)
"""Smallest and largest number of texts in one ``/batch`` request."""

FEEDBACK_BATCH = 100
"""Most ground-truth items in one ``/v1/feedback`` request."""

MAX_PENDING_FEEDBACK = 50_000
"""Ground truth waiting for its delay; past this the oldest is forgotten (memory stays bounded
when the delay is long)."""

_REQUEST_TIMEOUT = httpx.Timeout(3.0)
_FEEDBACK_SESSION = "demo-labelling"
_USER_AGENT = "predledger-demo-traffic/1"


@dataclass(frozen=True)
class TrafficStats:
    """Counters of a traffic generator.

    Attributes:
        sent: Prediction requests sent (``/predict``, ``/batch``, tabular), failed or not.
        errors: Requests of any kind that failed: no connection, timeout or non-2xx status.
        feedback_sent: Ground-truth items the service accepted.
        drifted: Whether inputs now come from the drifted distributions.
        last_error: The most recent failure, for a status line.
    """

    sent: int
    errors: int
    feedback_sent: int
    drifted: bool
    last_error: str | None


@dataclass(frozen=True)
class _PendingFeedback:
    due: float
    item: dict[str, Any]


class TrafficGenerator:
    """Sends demo traffic to one service from a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. A generator runs once.

    Args:
        base_url: The demo service, such as ``"http://127.0.0.1:8000"``.
        rate_per_s: Mean prediction requests per second (arrivals are Poisson).
        drift_after_s: Seconds after :meth:`start` when inputs switch to the drifted
            distributions.
        feedback_share: Share of predictions whose ground truth is sent, within [0, 1].
        feedback_delay_s: Seconds between a prediction and its ground truth.
        seed: Seed of every random choice (request kinds, inputs, clients, feedback).
        client: HTTP client to send with; the generator makes (and closes) its own otherwise.
    """

    def __init__(
        self,
        base_url: str,
        *,
        rate_per_s: float = 20,
        drift_after_s: float = 180,
        feedback_share: float = 0.5,
        feedback_delay_s: float = 5,
        seed: int = 0,
        client: httpx.Client | None = None,
    ) -> None:
        _check_settings(rate_per_s, drift_after_s, feedback_share, feedback_delay_s)
        self._base_url = base_url.rstrip("/")
        self._rate_per_s = rate_per_s
        self._drift_after_s = drift_after_s
        self._feedback_share = feedback_share
        self._feedback_delay_s = feedback_delay_s
        # Flushing at half the delay keeps every item within 1.5 delays, in batches.
        self._feedback_every_s = min(1.0, max(0.05, feedback_delay_s / 2))
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=_REQUEST_TIMEOUT, headers={"User-Agent": _USER_AGENT}
        )
        self._rng = np.random.default_rng(seed)
        self._sessions = [f"demo-client-{self._rng.bytes(4).hex()}" for _ in range(SESSION_COUNT)]
        # A few busy clients and a long tail, as real traffic has.
        weights = 1.0 / np.arange(1, SESSION_COUNT + 1)
        self._session_weights = weights / weights.sum()
        self._pending: deque[_PendingFeedback] = deque(maxlen=MAX_PENDING_FEEDBACK)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sent = self._errors = self._feedback_sent = 0
        self._drifted = False
        self._last_error: str | None = None

    def start(self) -> None:
        """Start sending from a daemon thread.

        Raises:
            ConflictError: The generator was already started.
        """
        if self._thread is not None:
            raise ConflictError("this traffic generator was already started; create a new one")
        self._thread = threading.Thread(target=self._run, name="demo-traffic", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sending and wait for the thread; ground truth not yet due is not sent.

        Args:
            timeout: Most seconds to wait for a request in flight to finish.
        """
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._owns_client:
            self._client.close()

    def stats(self) -> TrafficStats:
        """Return a consistent snapshot of the counters."""
        with self._lock:
            return TrafficStats(
                sent=self._sent,
                errors=self._errors,
                feedback_sent=self._feedback_sent,
                drifted=self._drifted,
                last_error=self._last_error,
            )

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        started = next_send = next_feedback = time.monotonic()
        while not self._stopping.is_set():
            now = time.monotonic()
            if not self._drifted and now - started >= self._drift_after_s:
                with self._lock:
                    self._drifted = True
            self._guarded(self._send_prediction)
            if now >= next_feedback:
                self._guarded(self._send_due_feedback)
                next_feedback = now + self._feedback_every_s
            # Poisson arrivals on a schedule; after a stall, resume instead of bursting.
            next_send = max(next_send, now - 1.0) + self._rng.exponential(1.0 / self._rate_per_s)
            self._stopping.wait(max(0.0, next_send - time.monotonic()))

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as exc:  # the last line of defence: a demo bug must not stop traffic
            self._record_error(f"{type(exc).__name__}: {exc}")

    def _send_prediction(self) -> None:
        kind = str(self._rng.choice(list(REQUEST_MIX), p=list(REQUEST_MIX.values())))
        session = self._sessions[self._rng.choice(SESSION_COUNT, p=self._session_weights)]
        path, body, samples = self._build_request(kind)
        with self._lock:
            self._sent += 1
        reply = self._post(path, body, session)
        for prediction_id, sample in zip(
            _prediction_ids(reply, len(samples)), samples, strict=True
        ):
            if prediction_id is not None and self._rng.random() < self._feedback_share:
                due = time.monotonic() + self._feedback_delay_s
                self._pending.append(_PendingFeedback(due, _feedback_item(prediction_id, sample)))

    def _build_request(self, kind: str) -> tuple[str, dict[str, Any], list[LabelledSample]]:
        drifted = self._drifted
        if kind == "text":
            samples = sample_inputs(SENTIMENT, 1, self._rng, drifted)
            return "/predict", {"text": samples[0].inputs}, samples
        if kind == "batch":
            size = int(self._rng.integers(BATCH_SIZES[0], BATCH_SIZES[1] + 1))
            samples = sample_inputs(SENTIMENT, size, self._rng, drifted)
            return "/batch", {"texts": [sample.inputs for sample in samples]}, samples
        samples = sample_inputs(kind, 1, self._rng, drifted)
        return f"/models/{kind}/predict", {"features": samples[0].inputs}, samples

    def _send_due_feedback(self) -> None:
        now = time.monotonic()
        due: list[dict[str, Any]] = []
        while self._pending and self._pending[0].due <= now:
            due.append(self._pending.popleft().item)
        for start in range(0, len(due), FEEDBACK_BATCH):
            items = due[start : start + FEEDBACK_BATCH]
            if self._post("/v1/feedback", {"items": items}, _FEEDBACK_SESSION) is not None:
                with self._lock:
                    self._feedback_sent += len(items)

    def _post(self, path: str, body: dict[str, Any], session: str) -> Any:
        """POST to the service; return the JSON reply (``{}`` if not JSON), ``None`` on failure."""
        try:
            response = self._client.post(
                self._base_url + path,
                json=body,
                headers={"X-Session-Id": session},
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            self._record_error(f"POST {path}: {type(exc).__name__}: {exc}")
            return None
        if not response.is_success:
            self._record_error(f"POST {path}: HTTP {response.status_code}")
            return None
        try:
            return response.json()
        except ValueError:
            return {}

    def _record_error(self, message: str) -> None:
        with self._lock:
            self._errors += 1
            self._last_error = message


def _check_settings(
    rate_per_s: float, drift_after_s: float, feedback_share: float, feedback_delay_s: float
) -> None:
    if not rate_per_s > 0:
        raise ConfigurationError(f"rate_per_s must be positive, got {rate_per_s}")
    if not 0 <= feedback_share <= 1:
        raise ConfigurationError(f"feedback_share must be within [0, 1], got {feedback_share}")
    if not (drift_after_s >= 0 and feedback_delay_s >= 0):
        raise ConfigurationError(
            f"drift_after_s and feedback_delay_s must not be negative, "
            f"got {drift_after_s} and {feedback_delay_s}"
        )


def _prediction_ids(reply: Any, count: int) -> list[str | None]:
    """Ids of the predictions in a reply: one for a single prediction, one per item of a batch."""
    ids: list[str | None] = [None] * count
    if not isinstance(reply, dict):
        return ids
    if count == 1 and isinstance(reply.get("prediction_id"), str):
        ids[0] = reply["prediction_id"]
    items = reply.get("predictions")
    if isinstance(items, list):
        for index, item in enumerate(items[:count]):
            if isinstance(item, dict) and isinstance(item.get("prediction_id"), str):
                ids[index] = item["prediction_id"]
    return ids


def _feedback_item(prediction_id: str, sample: LabelledSample) -> dict[str, Any]:
    if isinstance(sample.actual, str):
        return {"prediction_id": prediction_id, "actual_label": sample.actual}
    return {"prediction_id": prediction_id, "actual_value": sample.actual}
