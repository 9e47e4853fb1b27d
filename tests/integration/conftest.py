"""Every write-path test runs twice: the writer in a thread, and in a process of its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, params=["thread", "process"])
def writer_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``PREDLEDGER_WRITER`` for the test (and the processes it starts)."""
    monkeypatch.setenv("PREDLEDGER_WRITER", request.param)
    return str(request.param)
