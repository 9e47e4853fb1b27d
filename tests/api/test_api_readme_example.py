"""The README's FastAPI example, copied out of the README and run as a user would run it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from support.api_service import wait_until
from support.live_server import free_port

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text()
    section = text.split("## Embedding predledger in a FastAPI service", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's embedding section has no Python example"
    return match.group(1)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_readme_service_logs_its_predictions_and_requests(tmp_path: Path) -> None:
    code = _example()
    assert len(code.strip().splitlines()) <= 30
    (tmp_path / "service.py").write_text(code)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stderr=subprocess.PIPE,
        text=True,
    )
    errors = ""
    try:
        wait_until(lambda: _up(base) or server.poll() is not None, timeout=60, what="the service")
        assert server.poll() is None, "the service stopped"
        flower = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
        answer = httpx.post(f"{base}/predict", json=flower).json()
        assert answer["species"] == "setosa"
        assert (
            httpx.get(f"{base}/v1/predictions/{answer['prediction_id']}").json()["inputs"] == flower
        )
        bad = httpx.post(f"{base}/predict", json={"sepal_length": "long"})
        assert bad.status_code == 422
        assert "sepal_width" in bad.json()["message"]
        assert httpx.get(f"{base}/analytics/label-distribution").json() == {"setosa": 1}
    finally:
        server.send_signal(signal.SIGINT)
        errors = server.communicate(timeout=60)[1]
    assert server.returncode == 0, errors
    lines = (tmp_path / "logs" / "api_requests.log").read_text().splitlines()
    assert any('"/predict"' in line for line in lines)
    assert (tmp_path / "iris.db").exists()
