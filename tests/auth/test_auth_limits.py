"""Request limits: body size (413), batch size (413), page size and time range (422), rate (429)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_secured import SecuredService, secured_service

from predledger.auth import AuthSettings, Limits
from predledger.auth.ratelimit import RateLimiter

LIMITS = Limits(max_body_bytes=64 * 1024, max_query_days=30, rate_per_s=0.001, burst=3)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredService]:
    folder = tmp_path_factory.mktemp("limited")
    with secured_service(folder, auth=AuthSettings(limits=LIMITS)) as service:
        yield service


def test_a_body_over_the_limit_is_refused_before_it_is_read(limited: SecuredService) -> None:
    big = b'{"model": "m", "version": "1", "inputs": "' + b"x" * 70_000 + b'"}'
    with limited.client("admin") as client:
        declared = client.post(
            "/v1/predictions", content=big, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413
        assert "larger than 64 KiB" in declared.json()["detail"]
        assert "PREDLEDGER_MAX_BODY_BYTES" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: cut off while streaming
            for start in range(0, len(big), 8192):
                yield big[start : start + 8192]

        streamed = client.post(
            "/v1/predictions", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413


def test_batch_page_and_range_limits_name_the_fix(secured: SecuredService) -> None:
    with secured.client("admin") as client:
        batch = [{"model": "m", "version": "1"}] * 10_001
        too_many = client.post("/v1/predictions", json=batch)
        assert too_many.status_code == 413
        assert "batches of at most 10,000" in too_many.json()["detail"]
        page = client.get("/v1/predictions", params={"limit": 1001})
        assert page.status_code == 422
        assert "limit" in page.json()["message"]
        long = client.get("/analytics/timeseries", params={"since": "2001-01-01T00:00:00Z"})
        assert long.status_code == 422
        assert "over the limit of 366" in long.json()["detail"]
        backwards = client.get(
            "/v1/system-metrics",
            params={"since": "2030-01-02T00:00:00", "until": "2030-01-01T00:00:00"},
        )
        assert backwards.status_code == 422
        assert backwards.json()["field"] == "until"


def test_a_key_over_its_rate_gets_429_with_the_wait_in_milliseconds(
    limited: SecuredService,
) -> None:
    with limited.client("viewer") as viewer, limited.client("reviewer") as other:
        answers = [viewer.get("/analytics/summary") for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        refused = answers[3]
        assert refused.status_code == 429
        body = refused.json()
        assert body["retry_after_ms"] > 0
        assert f"retry in {body['retry_after_ms']} ms" in body["detail"]
        assert int(refused.headers["retry-after"]) >= 1
        assert other.get("/analytics/summary").status_code == 200  # buckets are per key


def test_the_token_bucket_refills_at_its_rate() -> None:
    limiter = RateLimiter(rate=2.0, capacity=2.0)
    assert limiter.take("k", now=0.0) == 0.0
    assert limiter.take("k", now=0.0) == 0.0
    assert limiter.take("k", now=0.0) == pytest.approx(0.5)
    assert limiter.take("k", now=0.5) == 0.0
    assert limiter.take("other", now=0.5) == 0.0


def test_limits_come_from_the_environment(tmp_path: Path) -> None:
    env = {"PREDLEDGER_MAX_BODY_BYTES": "1000", "PREDLEDGER_RATE_LIMIT": "5",
           "PREDLEDGER_MAX_QUERY_DAYS": "7", "PREDLEDGER_AUTH": "0"}  # fmt: skip
    settings = AuthSettings.from_env(env)
    assert settings.enabled is False
    assert settings.limits.max_body_bytes == 1000
    assert settings.limits.rate_per_s == 5
    assert settings.limits.bucket_size == 5
    assert settings.limits.max_query_days == 7
    from predledger import ConfigurationError

    with pytest.raises(ConfigurationError, match="PREDLEDGER_RATE_LIMIT must be a number"):
        AuthSettings.from_env({"PREDLEDGER_RATE_LIMIT": "fast"})
