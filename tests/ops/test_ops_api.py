"""``/v1/datasets`` and ``/v1/jobs`` on a real service: upload, score in the background, poll."""

from __future__ import annotations

from pathlib import Path

import pytest
from ops_records import label_by_x

from predledger.jobs.scorers import register_scorer, unregister_scorer

from support.api_service import running_service, wait_until
from support.db_checks import query


@pytest.fixture
def threshold_scorer() -> None:
    register_scorer("threshold", label_by_x)
    yield
    unregister_scorer("threshold")


def test_upload_then_score_in_the_background(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold_scorer: None
) -> None:
    monkeypatch.setenv("PREDLEDGER_DATA_DIR", str(tmp_path / "data"))
    csv_text = "x,plan\n" + "".join(f"{(i % 10) / 10},p{i % 3}\n" for i in range(3000))
    with running_service(database_url, tmp_path / "journal", tmp_path / "logs") as service:
        client = service.client
        uploaded = client.post(
            "/v1/datasets", files={"file": ("plans.csv", csv_text, "text/csv")},
            data={"name": "plans"},
        )  # fmt: skip
        assert uploaded.status_code == 201, uploaded.text
        dataset = uploaded.json()
        assert (dataset["row_count"], dataset["original_name"]) == (3000, "plans.csv")
        assert client.get(f"/v1/datasets/{dataset['id']}").json()["sha256"] == dataset["sha256"]

        started = client.post(
            "/v1/jobs",
            json={"dataset_id": dataset["id"], "scorer": "threshold", "model": "plans",
                  "version": "2", "chunk_size": 500},
        )  # fmt: skip
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]

        def finished() -> dict | None:
            job = client.get(f"/v1/jobs/{job_id}").json()
            return job if job["status"] in ("succeeded", "failed") else None

        job = wait_until(finished, timeout=60, what="the job to finish")
        assert job["status"] == "succeeded", job["error"]
        assert (job["progress"], job["processed_rows"]) == (1.0, 3000)
        assert client.get("/v1/jobs/not-a-job").status_code == 404
    stored = query(
        database_url, "SELECT COUNT(*) AS n FROM predictions WHERE batch_id = :b", b=job_id
    )
    assert stored[0]["n"] == 3000


def test_an_upload_with_bad_rows_is_refused_naming_row_and_column(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREDLEDGER_DATA_DIR", str(tmp_path / "data"))
    bad = "x,age\n" + "".join(f"0.{i},{20 + i}\n" for i in range(9)) + "0.9,twenty\n"
    with running_service(sqlite_url, tmp_path / "journal", tmp_path / "logs") as service:
        refused = service.client.post(
            "/v1/datasets", files={"file": ("people.csv", bad, "text/csv")}, data={"name": "p"}
        )
        assert refused.status_code == 422
        assert refused.json()["field"] == "row 10, column 'age'"
        assert "'twenty' is not a number" in refused.json()["detail"]
        assert service.client.get("/v1/datasets").json() == []
    assert not list((tmp_path / "data" / "uploads").iterdir())
