"""Signing in to the dashboard (``/login``, ``/logout``) and ``GET /v1/auth/me``.

A sign-in sets the ``predledger_auth`` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS):
a random token whose hash names a row of ``login_sessions``. Forms that change something
while signed in carry a CSRF token derived from it (``csrf_token`` field or
``X-CSRF-Token`` header). The sign-in form itself carries a double-submit token.
"""

from __future__ import annotations

import hmac
import secrets
from functools import cache
from importlib.resources import files
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from predledger.api.deps import LedgerDep
from predledger.auth import service
from predledger.auth.credentials import csrf_for
from predledger.auth.dependencies import (
    AUTH_COOKIE,
    PrincipalDep,
    access_control,
    principal_of,
)
from predledger.auth.roles import GRANTS
from predledger.auth.schemas import WhoAmI
from predledger.errors import PermissionDeniedError
from predledger.registry.retry import run_in_transaction

router = APIRouter(tags=["auth"])

LOGIN_CSRF_COOKIE = "predledger_login_csrf"
DEFAULT_NEXT = "/dashboard/"
# The pages are HTML; every error the guard gives stays JSON (documented once for all routes).
_PAGE: dict[str, Any] = {"description": "The sign-in page.", "content": {"text/html": {}}}
_HTML_OR_JSON: dict[str, dict[str, Any]] = {"text/html": {}, "application/json": {}}
_SIGNED_IN: dict[int | str, dict[str, Any]] = {
    303: {"description": "Signed in (or out): on to `next`."}
}
_SIGN_IN: dict[int | str, dict[str, Any]] = {
    200: _PAGE,
    **_SIGNED_IN,
    401: {"description": "Wrong username or password: the page again.", "content": _HTML_OR_JSON},
    403: {"description": "The form expired: the page again.", "content": _HTML_OR_JSON},
}
NextUrl = Annotated[str, Query(alias="next", max_length=2000, description="Where to go after.")]


@cache
def _template() -> jinja2.Template:
    source = files("predledger.auth").joinpath("templates/login.html").read_text("utf-8")
    return jinja2.Environment(autoescape=True).from_string(source)


def _safe_next(target: str) -> str:
    """A local path to go on to; anything else (another site) becomes the dashboard."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return DEFAULT_NEXT


def _page(request: Request, status: int = 200, **context: object) -> HTMLResponse:
    principal = principal_of(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    session_token = principal.session_token
    html = _template().render(
        auth_enabled=access_control(request).enabled,
        signed_in_as=principal.name if session_token else None,
        logout_token=csrf_for(session_token) if session_token else "",
        login_token=token,
        **{"next_url": DEFAULT_NEXT, "username": "", "error": None, **context},
    )
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.get("/login", summary="The dashboard's sign-in page", responses={200: _PAGE})
def login_page(
    request: Request, principal: PrincipalDep, next_url: NextUrl = DEFAULT_NEXT
) -> Response:
    """A form for username and password; says so when already signed in."""
    del principal  # authorize put it on request.state
    return _page(request, next_url=_safe_next(next_url))


@router.post("/login", summary="Sign in to the dashboard", responses=_SIGN_IN)
def login(
    request: Request,
    ledger: LedgerDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = DEFAULT_NEXT,
) -> Response:
    """Check the password; on success set the sign-in cookie and go on to ``next``."""
    target = _safe_next(next_url)
    if not access_control(request).enabled:
        return RedirectResponse(target, status_code=303)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _page(request, 403, next_url=target, username=username,
                     error="The form has expired: please sign in again.")  # fmt: skip
    with ledger.store.transaction() as session:
        found = service.check_password(session, username, password)
    if found is None:
        return _page(request, 401, next_url=target, username=username,
                     error="Wrong username or password, or the account is disabled.")  # fmt: skip
    signed = run_in_transaction(
        ledger.store, lambda session: service.start_sign_in(session, found), what="sign in"
    )
    token = signed.session_token or ""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        AUTH_COOKIE, token, max_age=int(service.SESSION_TTL.total_seconds()), httponly=True,
        samesite="lax", secure=request.url.scheme == "https", path="/",
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", summary="Sign out of the dashboard", responses=_SIGNED_IN)
def logout(
    request: Request,
    ledger: LedgerDep,
    principal: PrincipalDep,
    csrf_token: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """End the sign-in (the form's CSRF token must match) and go to the sign-in page."""
    token = principal.session_token
    if token is not None:
        submitted = csrf_token or request.headers.get("x-csrf-token") or ""
        if not hmac.compare_digest(csrf_for(token), submitted):
            raise PermissionDeniedError("the sign-out form has expired: reload the page and retry")
        run_in_transaction(
            ledger.store, lambda session: service.sign_out(session, token), what="sign out"
        )
        access_control(request).forget("session", token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(AUTH_COOKIE, path="/")
    return response


@router.get("/v1/auth/me", summary="Who the credential belongs to and what it may do")
def whoami(principal: PrincipalDep) -> WhoAmI:
    """The caller's name, role, and the roles that role grants."""
    granted = sorted(GRANTS[principal.role]) if principal.role is not None else []
    return WhoAmI(
        name=principal.name, role=principal.role, kind=principal.kind,
        key_prefix=principal.key_prefix, can_see_inputs=principal.can_see_inputs,
        roles_granted=granted,
    )  # fmt: skip
