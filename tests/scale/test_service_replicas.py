"""The HTTP service with two uvicorn workers and two stream workers against one PostgreSQL.

Every replica appends to the Redis Stream (``PREDLEDGER_TRANSPORT=redis``); only the
workers write predictions, with at most two connections each.
"""

from __future__ import annotations

import signal

import httpx
from stream_cluster import Children, wait_drained, wait_until

from support.db_checks import query, rollups_match_raw_rows, stored_id_counts
from support.live_server import free_port

REQUESTS = 20
PER_REQUEST = 100


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


def _worker_connections(url: str) -> int:
    rows = query(
        url,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE :name",
        name="predledger-worker:svc-%",
    )
    return int(rows[0]["n"])


def test_two_service_replicas_two_workers_one_database(children: Children) -> None:
    children.worker("svc-1")
    children.worker("svc-2")
    port = free_port()
    service = children.serve(port, workers=2)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(f"{base}/healthz"), "the service to answer", 90)

    ids: list[str] = []
    most_connections = 0
    for n in range(REQUESTS):
        batch = [
            {"model": "svc", "version": "1", "inputs": {"i": i}, "label": str(i % 2)}
            for i in range(n * PER_REQUEST, (n + 1) * PER_REQUEST)
        ]
        # A new connection per request, so both uvicorn workers take a share.
        response = httpx.post(f"{base}/v1/predictions", json=batch, timeout=30)
        assert response.status_code == 202, response.text
        ids += response.json()["ids"]
        most_connections = max(most_connections, _worker_connections(children.database_url))

    service.send_signal(signal.SIGTERM)  # each replica closes its ledger: waits for the workers
    assert service.wait(90) == 0, children.log_of("serve")
    wait_drained(children.redis_url)

    counts = stored_id_counts(children.database_url)
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1
    rollups, raw = rollups_match_raw_rows(children.database_url)
    assert rollups == raw
    requests = query(children.database_url, "SELECT count(*) AS n FROM api_requests")
    assert int(requests[0]["n"]) >= REQUESTS, "the request log goes through the stream too"
    assert most_connections <= 4, "each worker holds at most two connections"
