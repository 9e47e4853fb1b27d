"""Turning templates into pages: the Jinja2 environment, its filters and the page shell."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from predledger.dashboard.access import csrf_token, current_actor, remember_csrf_token
from predledger.dashboard.assets import asset_url

FLASH_COOKIE = "predledger_flash"
NOTHING = "\u2013"  # an en dash: the value is missing
NAV: tuple[tuple[str, str, str], ...] = (
    ("overview", "Overview", "/dashboard/"),
    ("predictions", "Predictions", "/dashboard/predictions"),
    ("models", "Models", "/dashboard/models"),
    ("performance", "Performance", "/dashboard/performance"),
    ("drift", "Drift", "/dashboard/drift"),
    ("alerts", "Alerts", "/dashboard/alerts"),
    ("actions", "Actions", "/dashboard/actions"),
    ("system", "System", "/dashboard/system"),
)


def format_count(value: float | None) -> str:
    """``12,345``; a dash for nothing."""
    return NOTHING if value is None else f"{value:,.0f}"


def format_percent(value: float | None, digits: int = 1) -> str:
    """``0.0123`` → ``1.2%``."""
    return NOTHING if value is None else f"{value * 100:.{digits}f}%"


def format_ms(value: float | None) -> str:
    """A latency in milliseconds, with precision where it matters."""
    if value is None:
        return NOTHING
    if value < 10:
        return f"{value:.2f} ms"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def format_number(value: float | None, digits: int = 3) -> str:
    """A metric value, e.g. ``0.912``."""
    if value is None:
        return NOTHING
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.{digits}f}"


def format_time(value: datetime | None) -> str:
    """``2024-05-01 13:04:05 UTC``."""
    if value is None:
        return NOTHING
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def query_string(params: Mapping[str, Any]) -> str:
    """``?a=1&b=2`` of the parameters that have a value, or an empty string."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("predledger.dashboard", "templates"),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        count=format_count,
        percent=format_percent,
        ms=format_ms,
        number=format_number,
        when=format_time,
    )
    env.globals.update(asset_url=asset_url, nav=NAV, query_string=query_string)
    return env


ENVIRONMENT = _environment()


def render_fragment(template: str, context: Mapping[str, Any]) -> str:
    """A template rendered on its own (a part of a page that is refreshed)."""
    return ENVIRONMENT.get_template(template).render(**context)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    page: str,
    status_code: int = 200,
) -> HTMLResponse:
    """A whole page: the template inside the shell, with the CSRF token and any notice."""
    notice = request.cookies.get(FLASH_COOKIE)
    kind, _, message = unquote(notice).partition(":") if notice else ("", "", "")
    html = ENVIRONMENT.get_template(template).render(
        **context,
        page=page,
        csrf_token=csrf_token(request),
        actor=current_actor(request),
        notice=message if kind == "ok" else None,
        problem=message if kind == "error" else None,
    )
    response = HTMLResponse(html, status_code=status_code)
    remember_csrf_token(request, response)
    if notice:
        response.delete_cookie(FLASH_COOKIE, path="/dashboard")
    return response


def render_problem(
    request: Request,
    *,
    title: str,
    message: str,
    back: tuple[str, str],
    page: str,
    status_code: int,
) -> HTMLResponse:
    """A page that says what went wrong and links back (``back``: address and its name)."""
    context = {"title": title, "message": message, "back": back}
    return render(request, "error.html", context, page=page, status_code=status_code)


def redirect_with_notice(url: str, message: str, *, error: bool = False) -> RedirectResponse:
    """Back to a page after a form, with a notice shown once.

    The 303 makes the browser fetch the page, so a reload does not post the form again; the
    notice says what was done, or (``error``) why it was refused.
    """
    response = RedirectResponse(url, status_code=303)
    value = quote(f"{'error' if error else 'ok'}:{message}")
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="strict", path="/dashboard")
    return response
