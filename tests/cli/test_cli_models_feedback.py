"""``predledger models ...`` and ``predledger feedback import`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from predledger import Ledger
from predledger.predictions.queries import get_prediction


def run(*args, database_url):
    return subprocess.run(
        [sys.executable, "-m", "predledger.cli", *args, "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_register_promote_archive_rollback_and_show(database_url, tmp_path):
    reference = tmp_path / "reference.csv"
    pd.DataFrame(
        {"age": [30, 40, 50, 60] * 50, "p_no": [0.8, 0.6, 0.4, 0.2] * 50,
         "p_yes": [0.2, 0.4, 0.6, 0.8] * 50, "y": ["no", "no", "yes", "yes"] * 50}
    ).to_csv(reference, index=False)  # fmt: skip
    first = run(
        "models", "register", "churn", "1", "--algorithm", "LogisticRegression",
        "--metric", "accuracy=0.9", "--param", "C=0.5", "--stage", "staging",
        "--reference", str(reference), "--target", "y",
        "--probability", "no=p_no", "--probability", "yes=p_yes", "--actor", "alice",
        database_url=database_url,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "with reference profile, confidence estimator" in first.stdout
    assert run("models", "register", "churn", "2", database_url=database_url).returncode == 0

    refused = run("models", "promote", "churn", "2", database_url=database_url)
    assert refused.returncode == 1
    assert "can move to staging, archived but not to production" in refused.stderr
    assert "Traceback" not in refused.stderr

    for args in (
        ("promote", "churn", "1"),
        ("promote", "churn", "2", "--stage", "staging"),
        ("promote", "churn", "2", "--reason", "better recall"),
    ):
        done = run("models", *args, "--actor", "bob", database_url=database_url)
        assert done.returncode == 0, done.stderr
    assert "replaces 1, now archived" in done.stdout

    rolled = run("models", "rollback", "churn", "--json", database_url=database_url)
    assert rolled.returncode == 0, rolled.stderr
    assert json.loads(rolled.stdout)["active"]["version"] == "1"

    archived = run("models", "archive", "churn", "2", database_url=database_url)
    assert archived.returncode == 0, archived.stderr
    listed = json.loads(run("models", "list", "churn", "--json", database_url=database_url).stdout)
    assert [(v["version"], v["stage"], v["is_active"]) for v in listed] == [
        ("2", "archived", False),
        ("1", "production", True),
    ]
    assert listed[1]["hyperparameters"] == {"C": 0.5}

    shown = run("models", "show", "churn", database_url=database_url)
    assert shown.returncode == 0, shown.stderr
    assert "rollback" in shown.stdout
    assert "alice" in shown.stdout


@pytest.fixture
def predictions(database_url):
    with Ledger(database_url, durability="memory") as ledger:
        ids = [
            ledger.log(model="churn", version="1", label="yes", request_id="req-1"),
            ledger.log(model="churn", version="1", label="no", request_id="req-2"),
            ledger.log(model="churn", version="1", label="no", request_id="req-2"),
        ]
        assert ledger.flush(30)
    return ids


def test_feedback_import_by_id_and_request_id(database_url, tmp_path, predictions):
    first = tmp_path / "labels.csv"
    first.write_text(
        "prediction_id,request_id,actual\n"
        f"{predictions[0]},,no\n"
        ",req-2,no\n"
        ",req-404,yes\n"
        "01900000-0000-7000-8000-000000000000,,yes\n"
    )
    imported = run("feedback", "import", str(first), "--json", database_url=database_url)
    assert imported.returncode == 0, imported.stderr
    outcome = json.loads(imported.stdout)
    assert (outcome["rows"], outcome["recorded"], outcome["replaced"]) == (4, 3, 0)
    assert outcome["unknown"] == [
        {"prediction_id": None, "request_id": "req-404"},
        {"prediction_id": "01900000-0000-7000-8000-000000000000", "request_id": None},
    ]

    # Days later, a corrected label replaces the first one, and the replacement is counted.
    correction = tmp_path / "correction.csv"
    correction.write_text(f"prediction_id,actual_label,source\n{predictions[0]},yes,audit\n")
    again = run("feedback", "import", str(correction), database_url=database_url)
    assert again.returncode == 0, again.stderr
    assert "1 predictions labelled (1 replaced an earlier label), 0 ids matched" in again.stdout
    with Ledger(database_url, durability="memory") as ledger, ledger.store.transaction() as s:
        feedback = get_prediction(s, predictions[0]).feedback
    assert feedback is not None
    assert (feedback.actual_label, feedback.replaced_count) == ("yes", 1)


def test_feedback_import_refuses_a_bad_file_and_writes_nothing(database_url, tmp_path, predictions):
    bad = tmp_path / "bad.csv"
    bad.write_text(f"prediction_id,actual\n{predictions[0]},yes\nnot-an-id,no\n,\n")
    refused = run("feedback", "import", str(bad), database_url=database_url)
    assert refused.returncode == 1
    assert "2 rows are invalid, nothing was recorded" in refused.stderr
    assert "line 3: prediction_id" in refused.stderr
    with Ledger(database_url, durability="memory") as ledger, ledger.store.transaction() as s:
        assert get_prediction(s, predictions[0]).feedback is None

    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,label\nx,y\n")
    header = run("feedback", "import", str(wrong), database_url=database_url)
    assert header.returncode == 1
    assert "unknown columns: ['id', 'label']" in header.stderr
