"""Fixtures of the access-control tests: one secured service per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth_secured import SecuredService, secured_service


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredService]:
    """One secured service for a test module."""
    with secured_service(tmp_path_factory.mktemp("secured")) as service:
        yield service
