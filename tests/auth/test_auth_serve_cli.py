"""``predledger serve`` is secure by default; ``--no-auth`` only on loopback; the demo says so."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from predledger import Ledger
from predledger.cli.demo import _access
from predledger.cli.keys import check_auth_choice, is_loopback_host

from support.api_service import wait_until
from support.live_server import free_port


def _serve(tmp_path: Path, url: str, port: int) -> tuple[int, str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "predledger.cli", "serve", "--port", str(port),
         "--database-url", url, "--no-log-files"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200", "PREDLEDGER_MONITOR": "0"},
    )  # fmt: skip
    try:
        wait_until(lambda: _healthy(port) or process.poll() is not None, timeout=60, what="serve")
        assert process.poll() is None, process.communicate()[1]
        return process.pid, *_stop(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return out, err


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_first_serve_prints_a_one_time_admin_key_that_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "predledger.cli", "serve", "--port", str(port),
         "--database-url", url, "--no-log-files"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200", "PREDLEDGER_MONITOR": "0"},
    )  # fmt: skip
    try:
        wait_until(lambda: _healthy(port) or process.poll() is not None, timeout=60, what="serve")
        assert process.poll() is None, process.communicate()[1]
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/analytics/summary").status_code == 401
        out, err = _stop(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "one-time admin key" in out, err
    key = re.search(r"\b(pl_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{40,})", out)
    assert key is not None
    # The key works against the same database, and a second start prints no new key.
    with Ledger(url, durability="memory") as ledger, ledger.store.transaction() as session:
        from predledger.auth.queries import principal_for_key

        found = principal_for_key(session, key.group(1))
        assert found is not None
        assert found.role == "admin"
    _pid, again, _err = _serve(tmp_path, url, free_port())
    assert "one-time admin key" not in again


def test_no_auth_is_refused_on_an_address_other_machines_reach(tmp_path: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "predledger.cli", "serve", "--host", "0.0.0.0", "--no-auth",
         "--port", str(free_port()), "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert refused.returncode == 1
    assert "--no-auth is allowed only on a loopback address" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()  # refused before touching anything
    check_auth_choice("127.0.0.1", no_auth=True)
    check_auth_choice("0.0.0.0", no_auth=False)


def test_loopback_addresses() -> None:
    assert is_loopback_host("127.0.0.1")
    assert is_loopback_host("127.8.0.3")
    assert is_loopback_host("::1")
    assert is_loopback_host("localhost")
    assert not is_loopback_host("0.0.0.0")
    assert not is_loopback_host("192.168.1.5")
    assert not is_loopback_host("example.org")


def test_the_demo_says_whether_it_is_open(tmp_path: Path) -> None:
    with Ledger(f"sqlite:///{tmp_path / 'demo.db'}", durability="memory") as ledger:
        lines, key = _access(ledger, True, traffic=True)
        assert key is None
        assert "open, without keys, to this machine only" in " ".join(lines)
        lines, key = _access(ledger, False, traffic=True)
        text = " ".join(lines)
        assert "API keys required" in text
        assert "one-time admin key" in text
        assert key is not None
        assert key[0].startswith(key[1])
