"""The operations commands as a user runs them: backup, restore, cleanup, export, status,
datasets and jobs; errors are one line, never a traceback."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import Result
from ops_records import prediction_at, write_records
from typer.testing import CliRunner

from predledger.cli.main import app
from predledger.store import migrate
from predledger.store.engine import Store


def run(*args: str, cwd: Path) -> Result:
    """Run a command in this process, as the ``predledger`` script would."""
    runner = CliRunner(env={"COLUMNS": "200", "PREDLEDGER_DATA_DIR": str(cwd / "data")})
    with _working_directory(cwd):
        return runner.invoke(app, list(args))


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _one_line_error(done: Result) -> str:
    assert done.exit_code == 1, done.stdout + done.stderr
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_backup_restore_cleanup_export_and_status(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    rng = random.Random(9)
    now = datetime.now(UTC)
    write_records(store, [prediction_at(now - timedelta(days=d, hours=1), rng) for d in range(60)])
    store.dispose()
    url = ["--database-url", database_url]

    backed = run("backup", *url, "--out", str(tmp_path / "b.tar"), cwd=tmp_path)
    assert backed.exit_code == 0, backed.stderr
    assert "backed up" in backed.stdout
    verified = run("backup", "--verify", str(tmp_path / "b.tar"), cwd=tmp_path)
    assert verified.exit_code == 0, verified.stderr
    assert "ok" in verified.stdout
    refused = run("restore", str(tmp_path / "b.tar"), *url, cwd=tmp_path)
    assert "pass --force" in _one_line_error(refused)

    dry = run("cleanup", *url, "--older-than", "30d", "--dry-run", "--json", cwd=tmp_path)
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout)["tables"]["predictions"]["rows"] == 30
    done = run("cleanup", *url, "--days", "30", "--table", "predictions", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    assert "removed 30 rows" in done.stdout
    assert "such as 30d" in _one_line_error(
        run("cleanup", *url, "--older-than", "soon", cwd=tmp_path)
    )

    out = tmp_path / "p.parquet"
    exported = run(
        "export",
        *url,
        "--out",
        str(out),
        "--since",
        (now - timedelta(days=10)).isoformat(),
        cwd=tmp_path,
    )
    assert exported.exit_code == 0, exported.stderr
    assert "wrote 10 rows" in exported.stdout
    assert out.is_file()

    status = run("status", *url, "--json", cwd=tmp_path)
    assert status.exit_code == 0, status.stderr
    ops = json.loads(status.stdout)["operations"]
    assert ops["tables"]["predictions"]["bytes"] > 0
    assert ops["tables"]["predictions"]["oldest"] < ops["tables"]["predictions"]["newest"]
    assert ops["last_backup"]["details"]["path"] == str((tmp_path / "b.tar").resolve())
    assert ops["last_cleanup"]["details"]["tables"]["predictions"]["rows"] == 30
    shown = run("status", *url, cwd=tmp_path)
    assert "last backup:" in shown.stdout
    assert "last cleanup:" in shown.stdout


def test_datasets_and_jobs_commands(sqlite_url: str, tmp_path: Path) -> None:
    assert run("init", "--database-url", sqlite_url, cwd=tmp_path).exit_code == 0
    url = ["--database-url", sqlite_url]
    source = tmp_path / "scores.csv"
    source.write_text("x,name\n" + "".join(f"{i / 10},n{i}\n" for i in range(10)))
    added = run("datasets", "add", str(source), "--name", "scores", *url, cwd=tmp_path)
    assert added.exit_code == 0, added.stderr
    dataset_id = added.stdout.split("added dataset ")[1].split()[0]
    shown = run("datasets", "show", dataset_id, *url, "--json", cwd=tmp_path)
    assert json.loads(shown.stdout)["row_count"] == 10

    bad = tmp_path / "bad.csv"
    bad.write_text("x,name\n0.1,a\n0.2,b,c\n")
    assert "row 2" in _one_line_error(
        run("datasets", "add", str(bad), "--name", "b", *url, cwd=tmp_path)
    )

    ran = run(
        "jobs", "run", "--dataset", dataset_id, "--scorer", "ops_records:label_by_x",
        "--model", "m", "--version", "1", *url, cwd=tmp_path,
    )  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert "succeeded" in ran.stdout
    job_id = ran.stdout.split("job ")[1].split()[0]
    job = json.loads(run("jobs", "show", job_id, *url, "--json", cwd=tmp_path).stdout)
    assert (job["status"], job["processed_rows"], job["result"]["labels"]) == (
        "succeeded", 10, {"low": 6, "high": 4},
    )  # fmt: skip
    assert "no scorer" in _one_line_error(
        run(
            "jobs",
            "run",
            "--dataset",
            dataset_id,
            "--scorer",
            "nope",
            "--model",
            "m",
            "--version",
            "1",
            *url,
            cwd=tmp_path,
        )
    )
