"""Request limits enforced before any work: the body's size and a read's time range.

The body limit is a plain ASGI middleware: a declared ``Content-Length`` over the limit is
answered 413 without reading a byte, and a streamed body is cut off (413) the moment it
passes the limit. It sits inside the request-logging middleware, so the 413 is logged too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from predledger.auth.settings import ENV_MAX_BODY_BYTES, ENV_MAX_UPLOAD_BYTES, Limits
from predledger.errors import InvalidRecordError


def check_time_range(query: Mapping[str, str], max_days: float) -> None:
    """Refuse a ``since``/``until`` range longer than ``max_days`` or running backwards.

    Values that are not ISO 8601 times are left for the route's own validation.

    Raises:
        InvalidRecordError: the range is too long, or ``until`` is before ``since``.
    """
    since = _moment(query.get("since"))
    if since is None:
        return
    until = _moment(query.get("until"))
    if until is not None and until < since:
        raise InvalidRecordError("until", "is before since: swap them")
    span = (until or datetime.now(UTC)) - since
    if span > timedelta(days=max_days):
        raise InvalidRecordError(
            "since",
            f"the range is {span.total_seconds() / 86400:,.0f} days, over the limit of "
            f"{max_days:g}: ask for a shorter since/until range",
        )


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class BodyLimitMiddleware:
    """Answers 413 to a request whose body is larger than the limits allow.

    Args:
        app: the wrapped ASGI app.
        limits: ``max_upload_bytes`` for multipart bodies, ``max_body_bytes`` for the rest.
    """

    def __init__(self, app: ASGIApp, *, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    def _limit_of(self, scope: Scope) -> tuple[int, str]:
        for name, value in scope["headers"]:
            if name == b"content-type" and value.startswith(b"multipart/form-data"):
                return self.limits.max_upload_bytes, ENV_MAX_UPLOAD_BYTES
        return self.limits.max_body_bytes, ENV_MAX_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self._limit_of(scope)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _refuse(send, limit, setting)
                return
        received = 0

        async def limited_receive() -> Message:
            # Raised inside the app while it reads the body: FastAPI and Starlette answer
            # an HTTPException from there with its status and detail.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit, setting))
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit: int, setting: str) -> str:
    return (
        f"the request body is larger than {_size(limit)}: send less at a time "
        f"(the service's limit is {setting})"
    )


async def _refuse(send: Send, limit: int, setting: str) -> None:
    body = orjson.dumps({"detail": _too_large(limit, setting)})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):g} MiB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):g} KiB"
    return f"{n} bytes"
