"""``predledger serve``, ``demo``, ``status`` and ``--help`` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from predledger.store import migrate

from support.api_service import wait_until
from support.db_checks import query
from support.live_server import free_port


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "predledger.cli", *args]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )


@contextmanager
def running(*args: str, cwd: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    """Start a long-running command, wait for its /healthz, interrupt it at the end."""
    process = subprocess.Popen(
        command(*args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        wait_until(lambda: _healthy(port) or process.poll() is not None, timeout=60, what="server")
        assert process.poll() is None, process.communicate()[1]
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_with_two_workers_stores_what_it_is_sent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    port = free_port()
    args = ("serve", "--port", str(port), "--workers", "2", "--database-url", url, "--no-auth")
    with running(*args, "--log-dir", "served-logs", cwd=tmp_path, port=port) as process:
        base = f"http://127.0.0.1:{port}"
        sent = [{"model": "m", "version": "1", "label": str(i % 2)} for i in range(50)]
        ids = httpx.post(f"{base}/v1/predictions", json=sent).json()["ids"]
        assert len(ids) == 50
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        assert httpx.get(f"{base}/docs").status_code == 200
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in out
    stored = query(url, "SELECT COUNT(*) AS n FROM predictions")[0]["n"]
    assert stored == 50, "a clean stop writes everything out"
    assert (tmp_path / "served-logs" / "predictions.log").exists()
    assert query(url, "SELECT COUNT(*) AS n FROM api_requests")[0]["n"] >= 3


def test_serve_refuses_an_old_schema_and_a_taken_port_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert run("init", "--database-url", url).returncode == 0
    first = migrate.history()[-1].revision
    assert run("db", "downgrade", first, "--database-url", url).returncode == 0
    old = run("serve", "--port", str(free_port()), "--database-url", url)
    assert old.returncode == 1
    assert "predledger db upgrade" in old.stderr
    assert len(old.stderr.strip().splitlines()) == 1
    assert "Traceback" not in old.stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run("serve", "--port", str(port), "--database-url", url)
    assert busy.returncode == 1
    assert "already in use" in busy.stderr
    assert f"--port {port + 1}" in busy.stderr

    bad_url = run("serve", "--database-url", "mysql://x/y")
    assert bad_url.returncode == 1
    assert "not supported" in bad_url.stderr


def test_demo_serves_three_models_with_traffic_and_ground_truth(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    port = free_port()
    args = (
        "demo", "--port", str(port), "--database-url", url, "--traffic-rate", "40",
        "--drift-after", "2", "--feedback-delay", "0.3", "--feedback-share", "0.8",
    )  # fmt: skip
    with running(*args, cwd=tmp_path, port=port) as process:

        def everything_arrived() -> bool:
            models = query(url, "SELECT DISTINCT model_name FROM predictions")
            labelled = query(
                url,
                "SELECT DISTINCT p.model_name FROM feedback f"
                " JOIN predictions p ON p.id = f.prediction_id",
            )
            endpoints = query(url, "SELECT DISTINCT endpoint FROM api_requests")
            return (
                len(models) == 3
                and len(labelled) == 3
                and {"/predict", "/batch", "/models/{name}/predict", "/v1/feedback"}
                <= {row["endpoint"] for row in endpoints}
            )

        wait_until(everything_arrived, timeout=60, what="traffic for the three models")
        base = f"http://127.0.0.1:{port}"
        distribution = httpx.get(f"{base}/analytics/sentiment-distribution").json()
        assert set(distribution) == {"positive", "negative", "neutral"}
        assert sum(distribution.values()) > 0
        dashboard = httpx.get(f"{base}/", follow_redirects=True)
        assert dashboard.status_code == 200
        assert dashboard.url.path == "/dashboard/"
        assert "text/html" in dashboard.headers["content-type"]
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert f"{base}/docs" in out
    assert f"dashboard:   {base}/dashboard/" in out
    assert f"{base}/analytics/summary" in out
    assert "demo stopped" in out
    sessions = query(url, "SELECT COUNT(*) AS n FROM user_sessions")[0]["n"]
    assert sessions > 1
    assert (tmp_path / "logs" / "api_requests.log").exists()


def test_status_reports_the_journal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'status.db'}"
    journal = tmp_path / "journal"
    assert run("init", "--database-url", url).returncode == 0
    shown = run("status", "--database-url", url, "--journal-dir", str(journal), "--json")
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["journal"]["segments"] == 0
    assert info["journal"]["rejected_records"] == 0
    assert info["journal"]["directory"].startswith(str(journal))
    text = run("status", "--database-url", url, "--journal-dir", str(journal))
    assert "journal: 0 segment(s)" in text.stdout


@pytest.mark.parametrize(
    "args", [(), ("serve",), ("demo",), ("status",), ("init",), ("db",), ("db", "upgrade")]
)
def test_every_command_explains_itself(args: tuple[str, ...]) -> None:
    shown = run(*args, "--help")
    assert shown.returncode == 0, shown.stderr
    assert "Usage" in shown.stdout
