"""FastAPI's side of access control: the ``authorize`` dependency every predledger route has.

``authorize`` finds the caller (an API key in ``Authorization: Bearer ...`` or
``X-API-Key``, or the dashboard's sign-in cookie), checks the role the route declares in
``predledger.auth.policy``, the CSRF token of a cookie-signed request that changes
something, the caller's rate and the request's time range, and leaves the
:class:`~predledger.auth.schemas.Principal` on ``request.state.principal``.

With authentication off, only callers on this machine (loopback) are answered.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from predledger.auth.access import AccessControl, CredentialKind
from predledger.auth.credentials import csrf_for
from predledger.auth.limits import BodyLimitMiddleware, check_time_range
from predledger.auth.policy import UNDECLARED
from predledger.auth.roles import PUBLIC, Access, Role, grants, roles_granting
from predledger.auth.schemas import ANONYMOUS, OPEN_PRINCIPAL, Principal
from predledger.auth.settings import AuthSettings
from predledger.errors import AuthenticationError, PermissionDeniedError, RateLimitedError
from predledger.store.engine import Store

ACCESS_STATE = "predledger_access"
AUTH_COOKIE = "predledger_auth"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})
_OPEN = AccessControl(None, AuthSettings(enabled=False))
_NO_KEY = (
    "send an API key as `Authorization: Bearer <key>` (or `X-API-Key: <key>`); an admin "
    "makes one with `predledger keys create --name <who> --role <role>`"
)


def access_control(request: Request) -> AccessControl:
    """The app's access control (authentication off, loopback only, when none was set up)."""
    control = getattr(request.app.state, ACCESS_STATE, None)
    return control if isinstance(control, AccessControl) else _OPEN


def is_loopback(host: str | None) -> bool:
    """Whether a client address is this machine's."""
    return host is not None and (host in LOOPBACK_HOSTS or host.startswith("127."))


def principal_of(request: Request) -> Principal:
    """Who is asking, once ``authorize`` ran (before: anonymous, or open with auth off)."""
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    return ANONYMOUS if access_control(request).enabled else OPEN_PRINCIPAL


_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer pl_...`.")
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


async def authorize(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    key_header: Annotated[str | None, Depends(_key_header)],
) -> Principal:
    """Find the caller and refuse what their role, rate or the route's limits do not allow.

    Raises:
        AuthenticationError: no credential, or an unknown, revoked or expired one (401).
        PermissionDeniedError: the role does not allow the route, or a CSRF token is
            missing (403).
        RateLimitedError: the caller is over its rate (429).
        InvalidRecordError: the ``since``/``until`` range is too long (422).
    """
    del bearer, key_header  # declared for the OpenAPI security schemes; read below
    control = access_control(request)
    route = matched_route(request.scope)
    access = control.route_access(*route) if route is not None else UNDECLARED
    if control.enabled:
        principal = await _authenticate(request, control, access)
    else:
        principal = _open(request)
    request.state.principal = principal
    wait = control.wait_before(principal)
    if wait > 0:
        ms = max(1, int(wait * 1000) + 1)
        raise RateLimitedError(
            f"too many requests for this key: retry in {ms} ms (the limit is "
            f"{control.settings.limits.rate_per_s:g} per second)",
            retry_after_ms=ms,
        )
    if request.method in SAFE_METHODS:
        check_time_range(request.query_params, control.settings.limits.max_query_days)
    return principal


PrincipalDep = Annotated[Principal, Depends(authorize)]


def acting_as(principal: Principal, claimed: str | None, *, field: str = "actor") -> str | None:
    """Who acts on a request: the authenticated person or key, whatever the body says.

    With authentication off, the name the request gives (``claimed``). With it on, a body
    naming someone else is refused: nobody approves in another's name.

    Raises:
        PermissionDeniedError: ``claimed`` is not the authenticated caller.
    """
    if principal.name is None:
        return claimed
    if claimed is not None and claimed != principal.name:
        raise PermissionDeniedError(
            f"{field}: you are authenticated as {principal.name!r}: leave {field} out "
            "(it is filled in) or send your own name"
        )
    return principal.name


def require_role(request: Request, role: Role) -> None:
    """Refuse the request unless its caller's role grants ``role`` (for finer checks in a route).

    Raises:
        PermissionDeniedError: it does not.
    """
    principal = principal_of(request)
    if principal.role is None or not grants(principal.role, role):
        needed = " or ".join(r.value for r in roles_granting(role))
        raise PermissionDeniedError(f"this needs the role {needed}; you have {principal.role}")


def matched_route(scope: Mapping[str, Any]) -> tuple[set[str] | None, str] | None:
    """The methods and full path template of the route that matched the request.

    FastAPI >= 0.160 includes routers lazily and keeps the included route's own path on
    ``scope["route"]`` (without the prefixes it was included under); the full template is
    on the effective route context it leaves in ``scope["fastapi"]``.
    """
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    route = context if context is not None else scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    return getattr(route, "methods", None), path


def _open(request: Request) -> Principal:
    client = request.client
    if not is_loopback(client.host if client else None):
        raise PermissionDeniedError(
            "authentication is off, so this service answers only callers on its own machine: "
            "start it with authentication on (the default of `predledger serve`)"
        )
    return OPEN_PRINCIPAL


async def _authenticate(request: Request, control: AccessControl, access: Access) -> Principal:
    credential = _credential(request)
    principal = None
    if credential is not None:
        principal = control.remembered(*credential)
        if principal is None:
            principal = await run_in_threadpool(control.look_up, *credential)
    if principal is None:
        if access == PUBLIC:
            return ANONYMOUS
        raise _signed_out(request, credential)
    if principal.role is None or not grants(principal.role, access):
        needed = " or ".join(role.value for role in roles_granting(access))
        raise PermissionDeniedError(
            f"this needs the role {needed}; {principal.name or 'this key'} has "
            f"{principal.role}: ask an admin for a key with one of those roles"
        )
    if principal.kind == "session" and request.method not in SAFE_METHODS and access != PUBLIC:
        # Public forms that change something (sign out) check their token themselves.
        await check_csrf(request, principal)
    return principal


def _credential(request: Request) -> tuple[CredentialKind, str] | None:
    headers = request.headers
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return "key", token.strip()
    key = headers.get("x-api-key")
    if key:
        return "key", key.strip()
    cookie = request.cookies.get(AUTH_COOKIE)
    if cookie:
        return "session", cookie
    return None


def _signed_out(request: Request, credential: tuple[CredentialKind, str] | None) -> Exception:
    wants_page = "text/html" in request.headers.get("accept", "")
    if (
        request.method == "GET"
        and wants_page
        and (credential is None or credential[0] == "session")
    ):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return HTTPException(
            303, "sign in first", headers={"Location": f"/login?next={quote(target)}"}
        )
    if credential is None:
        return AuthenticationError(f"this needs a credential: {_NO_KEY}")
    if credential[0] == "session":
        return AuthenticationError("your sign-in has ended: sign in again at /login")
    return AuthenticationError(
        f"the API key is not valid (unknown, revoked or expired, or its user is disabled): "
        f"{_NO_KEY}"
    )


async def check_csrf(request: Request, principal: Principal) -> None:
    """Refuse a cookie-signed request that changes something without its CSRF token.

    Raises:
        PermissionDeniedError: the token is missing or wrong.
    """
    assert principal.session_token is not None
    expected = csrf_for(principal.session_token)
    submitted: Any = request.headers.get(CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        submitted = (await request.form()).get(CSRF_FIELD)
    if not isinstance(submitted, str) or not hmac.compare_digest(expected, submitted):
        raise PermissionDeniedError(
            "the form has expired or came from another site (its CSRF token is missing or "
            "wrong): reload the page and try again"
        )


def attach_access_control(app: FastAPI, store: Store, auth: AuthSettings | bool) -> AccessControl:
    """Give an app its access control and body limit (``instrument`` calls this).

    Call it before the request-logging middleware is added, so a 413 is logged too.
    """
    settings = auth if isinstance(auth, AuthSettings) else AuthSettings(enabled=bool(auth))
    control = AccessControl(store if settings.enabled else None, settings)
    setattr(app.state, ACCESS_STATE, control)
    app.add_middleware(BodyLimitMiddleware, limits=settings.limits)
    return control


class ErrorAnswer(BaseModel):
    """What every error answer holds: ``detail`` says what went wrong and the fix."""

    detail: str | list[dict[str, Any]] = Field(
        description="The problem and its fix; for malformed requests, one item per problem."
    )
    message: str | None = Field(default=None, description="Every problem on one line.")
    field: str | None = Field(default=None, description="The field at fault, when one is.")
    retry_after_ms: int | None = Field(default=None, description="When to retry (429).")


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "model": ErrorAnswer}


# Every guarded route may give these answers (a route's own description of a status wins).
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _answer("No credential, or one that is unknown, revoked or expired."),
    403: _answer("The credential's role does not allow this route."),
    404: _answer("Something the request names does not exist."),
    409: _answer("The request contradicts the current state."),
    413: _answer("The request body is larger than the service accepts."),
    422: _answer("A parameter or the body is not valid, or a limit (page, range) is passed."),
    429: _answer("Over the key's rate; `retry_after_ms` says when to retry."),
    503: _answer("The database is away (Retry-After); predictions are still journaled."),
}


def guarded(router: APIRouter) -> APIRouter:
    """``router`` behind ``authorize``: every route checks the role the policy table declares."""
    outer = APIRouter(dependencies=[Depends(authorize)], responses=AUTH_RESPONSES)
    outer.include_router(router)
    return outer
