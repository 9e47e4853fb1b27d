"""Every router predledger serves, listed in one place.

To add a router: write ``predledger/api/routes/<name>.py`` exposing ``router`` and add
``<name>`` to ``ROUTE_MODULES``. Modules another part of predledger may not have shipped
yet go in ``OPTIONAL_ROUTE_MODULES``: they are included when present.

Every router is served behind ``authorize``: declare the role each new route needs in
``predledger.auth.policy`` (a test fails until it is there; undeclared routes need admin).
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from fastapi import APIRouter

from predledger.auth.dependencies import guarded

ROUTE_MODULES: tuple[str, ...] = (
    "health",
    "ingest",
    "predictions",
    "analytics",
    "admin",
    "datasets",
    "jobs",
    "auth",
    "cache",
)
OPTIONAL_ROUTE_MODULES: tuple[str, ...] = (
    "models",
    "system_metrics",
    "drift",
    "alerts",
    "actions",
    "dashboard",
)


def all_routers() -> list[APIRouter]:
    """The routers of every route module, in the order above, each behind ``authorize``."""
    routers = []
    for name in ROUTE_MODULES + OPTIONAL_ROUTE_MODULES:
        module_name = f"{__name__}.{name}"
        if name in OPTIONAL_ROUTE_MODULES and find_spec(module_name) is None:
            continue
        router = import_module(module_name).router
        assert isinstance(router, APIRouter), f"{module_name}.router is not an APIRouter"
        routers.append(guarded(router))
    return routers
