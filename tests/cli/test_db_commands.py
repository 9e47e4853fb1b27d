"""``predledger init``, ``db ...`` and ``status`` as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from predledger.store import migrate


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "predledger.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_init_then_status_then_round_trip(database_url: str) -> None:
    created = run("init", "--database-url", database_url)
    assert created.returncode == 0, created.stderr
    assert "is ready" in created.stdout

    again = run("init", "--database-url", database_url)
    assert "nothing to do" in again.stdout

    status = run("status", "--database-url", database_url, "--json")
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["schema_current"] is True
    assert info["backend"] in ("sqlite", "postgresql")
    assert info["rows"]["predictions"] == 0

    current = run("db", "current", "--database-url", database_url)
    assert f"{migrate.head_revision()} (current)" in current.stdout

    down = run("db", "downgrade", "base", "--database-url", database_url)
    assert down.returncode == 0, down.stderr
    assert "-> empty" in down.stdout
    assert "empty" in run("db", "current", "--database-url", database_url).stdout

    up = run("db", "upgrade", "--database-url", database_url)
    assert up.returncode == 0, up.stderr
    assert f"-> {migrate.head_revision()}" in up.stdout


def test_the_url_can_come_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    result = run("init", env={"PREDLEDGER_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.db").exists()


def test_history_lists_the_shipped_migrations() -> None:
    result = run("db", "history")
    assert result.returncode == 0
    assert "(head)" in result.stdout
    assert "0001" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("status", "--database-url", "nonsense"), "is not valid"),
        (
            ("status", "--database-url", "postgresql+psycopg://postgres@127.0.0.1:1/x"),
            "PostgreSQL is running",
        ),
        (("db", "downgrade", "nope", "--database-url", "sqlite:///{tmp}/x.db"), "cannot downgrade"),
    ],
)
def test_errors_are_one_line_without_a_traceback(
    args: tuple[str, ...], words: str, tmp_path: Path
) -> None:
    result = run(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.returncode == 1
    assert words in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) <= 3  # one logical line, maybe wrapped


def test_every_command_has_help() -> None:
    for args in (("--help",), ("db", "--help"), ("init", "--help"), ("status", "--help"),
                 ("db", "upgrade", "--help"), ("db", "downgrade", "--help")):  # fmt: skip
        result = run(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout
