"""The dashboard's router: every page under ``/dashboard/``, its static files, and ``/``.

``GET /`` sends a browser to the overview, so ``predledger serve`` and the demo open on the
dashboard. An app that serves its own ``/`` and mounts predledger's routers after it keeps
its page: the first route that matches answers.

Each page module's router carries the ``/dashboard`` prefix itself, so every route's
``path`` is its full path (the request log and the access policy read it).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from predledger.dashboard.assets import OWN_FILES, PLOTLY_FILE, asset_response
from predledger.dashboard.pages import (
    actions,
    alerts,
    drift,
    models,
    overview,
    performance,
    predictions,
    system,
)
from predledger.errors import NotFoundError

PAGE_MODULES = (overview, predictions, models, performance, drift, alerts, actions, system)
router = APIRouter(tags=["dashboard"])


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    """Open on the dashboard."""
    return RedirectResponse("/dashboard/", status_code=307)


@router.get("/dashboard", include_in_schema=False)
def dashboard_without_slash() -> RedirectResponse:
    """``/dashboard`` is ``/dashboard/``."""
    return RedirectResponse("/dashboard/", status_code=307)


@router.get("/dashboard/static/{name}", include_in_schema=False)
def static_file(request: Request, name: str) -> Response:
    """The dashboard's CSS and script, and plotly.js from the installed plotly package."""
    if name not in (*OWN_FILES, PLOTLY_FILE):
        raise NotFoundError(f"the dashboard has no static file {name!r}")
    return asset_response(request, name)


for module in PAGE_MODULES:
    router.include_router(module.router)
