"""The request-logging middleware: one ``api_requests`` record per HTTP request.

A plain ASGI middleware (no ``BaseHTTPMiddleware``): it wraps ``receive`` and ``send`` to
count bytes and read the status, so streaming responses stream and each request pays a
few microseconds. The record goes through the ledger's write path like a prediction.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from predledger.api.state import ServiceState
from predledger.errors import PredledgerError
from predledger.tracking import RequestContext, current_request

SESSION_COOKIE = "predledger_session"
SESSION_HEADER = b"x-session-id"
REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED_ROUTE = "<unmatched>"
_ERROR_BODY_LIMIT = 2000
_SESSION_MAX_AGE = 30 * 24 * 3600


@dataclass
class _Exchange:
    """What one request and its response carried."""

    user_agent: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    request_bytes: int = 0
    response_bytes: int = 0
    status: int = 500
    started: bool = False
    error_body: bytes = b""

    def counting_receive(self, receive: Receive) -> Receive:
        """``receive``, counting the request body's bytes."""

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.request_bytes += len(message.get("body", b""))
            return message

        return counting_receive

    def counting_send(self, send: Send, extra_headers: list[tuple[bytes, bytes]]) -> Send:
        """``send``, reading the status, counting bytes and adding ``extra_headers``."""

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.started = True
                headers = [*message.get("headers", []), *extra_headers]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                self.response_bytes += len(body)
                if self.status >= 500 and len(self.error_body) < _ERROR_BODY_LIMIT:
                    self.error_body += body[:_ERROR_BODY_LIMIT]
            await send(message)

        return counting_send


def _read_headers(headers: list[tuple[bytes, bytes]], cookie_name: bytes) -> _Exchange:
    exchange = _Exchange()
    for name, value in headers:
        if name == b"user-agent":
            exchange.user_agent = value.decode("latin-1")
        elif name == SESSION_HEADER:
            exchange.session_id = value.decode("latin-1")[:200] or None
        elif name == REQUEST_ID_HEADER:
            exchange.request_id = value.decode("latin-1")[:200] or None
        elif name == b"cookie" and exchange.session_id is None:
            exchange.session_id = _cookie_value(value, cookie_name)
    return exchange


def _cookie_value(header: bytes, name: bytes) -> str | None:
    for part in header.split(b";"):
        key, _, value = part.strip().partition(b"=")
        if key == name and value:
            return value.decode("latin-1")[:200]
    return None


def route_template(scope: Scope) -> str | None:
    """The path template of the route that answered (``/v1/predictions/{prediction_id}``)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


class RequestLogMiddleware:
    """Logs every HTTP request to the ledger, the JSON log file and Prometheus.

    Args:
        app: the wrapped ASGI app.
        state: the instrumented app's state.
        issue_session_cookie: give clients without a session a cookie. Only requests
            that carry a session (cookie or ``X-Session-Id``) are counted in
            ``user_sessions``, so clients that drop cookies do not make one session each.
        exclude_paths: exact paths not logged (the request still counts in Prometheus).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        state: ServiceState,
        issue_session_cookie: bool = True,
        exclude_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.state = state
        self.issue_session_cookie = issue_session_cookie
        self.exclude_paths = exclude_paths
        self.failures = 0
        self._cookie_name = SESSION_COOKIE.encode()
        # Request ids: a random prefix per process and a counter, unique without costing a
        # UUID per request.
        self._id_prefix = os.urandom(6).hex()
        self._counter = itertools.count(1)

    def _next_request_id(self) -> str:
        return f"{self._id_prefix}-{next(self._counter):x}"

    def _next_session_id(self) -> str:
        # An analytics identifier, not a credential: unique is enough, unguessable is not
        # needed (predledger never authorises anything by it).
        return f"s{self._id_prefix}{next(self._counter):x}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        exchange = _read_headers(scope["headers"], self._cookie_name)
        request_id = exchange.request_id or self._next_request_id()
        client = scope.get("client")
        client_ip = client[0] if client else None
        extra_headers = [(REQUEST_ID_HEADER, request_id.encode("latin-1"))]
        if exchange.session_id is None and self.issue_session_cookie:
            extra_headers.append((b"set-cookie", _session_cookie(self._next_session_id())))
        token = current_request.set(
            RequestContext(request_id, exchange.session_id, client_ip, exchange.user_agent)
        )

        error: str | None = None
        try:
            await self.app(
                scope,
                exchange.counting_receive(receive),
                exchange.counting_send(send, extra_headers),
            )
        except Exception as exc:
            if not exchange.started:
                exchange.status = 500
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
            raise
        finally:
            current_request.reset(token)
            elapsed = time.perf_counter() - started
            self._record(scope, exchange, elapsed, client_ip, error)

    def _record(
        self,
        scope: Scope,
        exchange: _Exchange,
        elapsed: float,
        client_ip: str | None,
        error: str | None,
    ) -> None:
        template = route_template(scope)
        method = scope["method"]
        state = self.state
        if not state.running:
            state.start()
        state.metrics.observe_request(method, template or UNMATCHED_ROUTE, exchange.status, elapsed)
        path = scope["path"]
        if path in self.exclude_paths:
            return
        if error is None and exchange.status >= 500 and exchange.error_body:
            error = exchange.error_body[:_ERROR_BODY_LIMIT].decode("utf-8", "replace")
        resources = state.resources
        fields: dict[str, Any] = {
            "endpoint": (template or path)[:300],
            "method": method,
            "status_code": exchange.status,
            "response_time_ms": elapsed * 1000,
            "client_ip": client_ip,
            "user_agent": exchange.user_agent,
            "request_size": exchange.request_bytes,
            "response_size": exchange.response_bytes,
            "cpu_percent": resources.cpu_percent,
            "memory_mb": resources.memory_mb,
            "error": error,
            "session_id": exchange.session_id,
            "path": path,
        }
        try:
            state.ledger.log_request(**fields)
        except PredledgerError:
            # A closed ledger (shutdown) or a bad field must never turn an answered
            # request into a failure; the count shows up in the app's state.
            self.failures += 1


def _session_cookie(session_id: str) -> bytes:
    cookie = (
        f"{SESSION_COOKIE}={session_id}; Path=/; Max-Age={_SESSION_MAX_AGE}; HttpOnly; SameSite=Lax"
    )
    return cookie.encode("latin-1")
