"""Who may do and see what on the dashboard: the one place the auth layer plugs into.

Who is asking comes from ``predledger.auth`` (``authorize`` ran before every page):

- signed in (the ``predledger_auth`` cookie): inputs are shown to reviewers and admins,
  forms act as the signed-in person, and their CSRF token derives from the sign-in;
- authentication off (a service on loopback only): everyone may see inputs and act, a form
  names who acts, and the CSRF token is a double-submit cookie (``SameSite=Strict``) that
  every form repeats, so another site cannot post a form in an operator's browser.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from predledger.auth.credentials import csrf_for
from predledger.auth.dependencies import principal_of
from predledger.errors import InvalidRecordError

CSRF_COOKIE = "predledger_csrf"
CSRF_FIELD = "csrf_token"


def can_see_inputs(request: Request) -> bool:
    """Whether the person asking may see a prediction's inputs (they may be personal).

    Reviewers and admins may; with authentication off, everyone on this machine may.
    """
    return principal_of(request).can_see_inputs


def current_actor(request: Request) -> str | None:
    """The signed-in person acting through a form, or ``None`` when the form must say who.

    ``None`` only with authentication off: then every form asks for a name.
    """
    return principal_of(request).name


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry (its sign-in's, its cookie's, or a new one)."""
    session_token = principal_of(request).session_token
    if session_token is not None:
        return csrf_for(session_token)
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) >= 32:
        return existing
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return token


def remember_csrf_token(request: Request, response: Response) -> None:
    """Set the CSRF cookie on a page response when the browser has none yet."""
    token = getattr(request.state, "csrf_token", None)
    if token is not None:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/dashboard")


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose token does not match this browser's cookie.

    Raises:
        InvalidRecordError: the token is missing or wrong (reload the page and retry).
    """
    principal = principal_of(request)
    if principal.kind == "key":
        return  # an API key in a header is not sent by a browser on another site's behalf
    if principal.session_token is not None:
        expected = csrf_for(principal.session_token)
    else:
        expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise InvalidRecordError(
            CSRF_FIELD, "the form has expired or came from another site: reload the page"
        )
