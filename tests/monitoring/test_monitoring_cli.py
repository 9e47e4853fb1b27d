"""``predledger drift|alerts|actions|monitor`` as a user runs them (SQLite: the commands are thin
shells over the library, which the other tests run on both backends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from monitoring_data import log_traffic, reference_frame, traffic

from predledger.actions.queries import list_actions
from predledger.registry import promote_model_version, register_model_version
from predledger.store import migrate
from predledger.store.engine import Store


def run(*args, database_url):
    return subprocess.run(
        [sys.executable, "-m", "predledger.cli", *args, "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_drift_alerts_actions_and_monitor_commands(sqlite_url, tmp_path):
    store = Store(sqlite_url)
    migrate.upgrade(store)
    reference = reference_frame()
    register_model_version(
        store, name="churn", version="1", reference=reference, stage="production"
    )
    register_model_version(store, name="churn", version="2", reference=reference, stage="staging")
    promote_model_version(store, "churn", "2")
    store.dispose()
    from predledger import Ledger

    ledger = Ledger(sqlite_url, journal_dir=tmp_path / "journal", flush_interval=0.02)
    log_traffic(ledger, "churn", "2", traffic(300, shifted=True))
    ledger.close()

    page = tmp_path / "report.html"
    ran = run("drift", "run", "churn", "--hours", "2", "--method", "age=psi", "--html",
              str(page), database_url=sqlite_url)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "drift detected" in ran.stdout
    assert "psi" in ran.stdout
    assert page.read_text().count("<svg") == 3
    listed = run("drift", "list", "--latest", "--json", database_url=sqlite_url)
    assert [r["model_version"] for r in json.loads(listed.stdout)] == ["2"]
    missing = run("drift", "show", "99", database_url=sqlite_url)
    assert missing.returncode == 1
    assert "no drift report has id 99" in missing.stderr

    added = run("alerts", "add-rule", "churn drift", "--kind", "drift", "--model", "churn",
                "--propose", "rollback", database_url=sqlite_url)  # fmt: skip
    assert added.returncode == 0, added.stderr
    once = run("monitor", "--once", "--drift-interval", "0", database_url=sqlite_url)
    assert once.returncode == 0, once.stderr
    assert '"raised": [1]' in once.stdout
    acked = run("alerts", "ack", "1", "--as", "alice", database_url=sqlite_url)
    assert "acknowledged by alice" in acked.stdout

    store = Store(sqlite_url)
    with store.transaction() as session:
        [pending] = list_actions(session, status="pending")
    store.dispose()
    assert (pending.id, pending.proposed_by) == (1, "rule:churn drift")
    refused = run("actions", "execute", "1", "--as", "bob", database_url=sqlite_url)
    assert refused.returncode == 1
    assert "approve it first" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) <= 3
    approved = run("actions", "approve", "1", "--as", "bob", "--comment", "ok",
                   database_url=sqlite_url)  # fmt: skip
    assert "approved by bob" in approved.stdout
    executed = run("actions", "execute", "1", "--as", "bob", database_url=sqlite_url)
    assert executed.returncode == 0
    assert "executed by bob" in executed.stdout
    rejected = run("actions", "reject", "1", "--as", "carol", database_url=sqlite_url)
    assert rejected.returncode == 1
    assert "executed is final" in rejected.stderr
    listed = run("actions", "list", database_url=sqlite_url)
    assert "rule:churn drift" in listed.stdout
    assert "executed" in listed.stdout
