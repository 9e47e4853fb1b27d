"""A real predledger service per test: uvicorn on a free port, a ledger on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.api_service import Service, running_service


@pytest.fixture
def service(database_url: str, journal_dir: Path, tmp_path: Path) -> Iterator[Service]:
    """predledger's own app on the test's database (each backend in turn)."""
    with running_service(database_url, journal_dir, tmp_path / "logs") as running:
        yield running
