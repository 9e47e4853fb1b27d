"""How predledger's errors and bad requests become HTTP answers: a status and a message.

    InvalidRecordError     422  names the field
    NotFoundError          404
    ConflictError          409
    StoreUnavailableError  503  (Retry-After) the database is away; logging goes on
    SchemaOutdatedError    503  says which command fixes it
    LedgerClosedError      503
    ConfigurationError     500
    AuthenticationError    401  (WWW-Authenticate: Bearer) says how to get a key
    PermissionDeniedError  403  names the role needed
    RequestTooLargeError   413
    RateLimitedError       429  (Retry-After) and ``retry_after_ms``
    other PredledgerError  500

Validation errors keep FastAPI's ``detail`` list (clients parse it) and add ``message``:
one line per problem naming the field, so a person reading the answer knows the fix.
No answer carries a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from predledger.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidRecordError,
    LedgerClosedError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    PredledgerError,
    RateLimitedError,
    RequestTooLargeError,
    SchemaOutdatedError,
    StoreUnavailableError,
)

_STATUS: tuple[tuple[type[PredledgerError], int], ...] = (
    (InvalidRecordError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (StoreUnavailableError, 503),
    (SchemaOutdatedError, 503),
    (LedgerClosedError, 503),
    (ConfigurationError, 500),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (RequestTooLargeError, 413),
    (RateLimitedError, 429),
)


def status_for(exc: PredledgerError) -> int:
    """The HTTP status of a predledger error."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _predledger_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PredledgerError)
    status = status_for(exc)
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, InvalidRecordError):
        body["field"] = exc.field
    return JSONResponse(body, status_code=status, headers=_headers(exc, status, body))


def _headers(exc: PredledgerError, status: int, body: dict[str, Any]) -> dict[str, str] | None:
    if status == 503:
        return {"Retry-After": "5"}
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="predledger"'}
    if isinstance(exc, LimitExceededError) and exc.retry_after_ms is not None:
        body["retry_after_ms"] = exc.retry_after_ms
        return {"Retry-After": str(max(1, -(-exc.retry_after_ms // 1000)))}
    return None


def describe_problems(errors: Sequence[Any]) -> str:
    """One readable line per validation problem: ``body.items[3].probability: ...``."""
    lines = []
    for error in errors:
        location = _location(error.get("loc", ()))
        message = error.get("msg", "is not valid")
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            message = (
                f"the request body is not valid JSON ({reason}): send a JSON document "
                "with Content-Type: application/json"
            )
        elif error.get("type") == "missing":
            message = "is required"
        lines.append(f"{location}: {message}" if location else message)
    return "; ".join(lines)


def _location(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {k: v for k, v in error.items() if k in ("type", "loc", "msg", "ctx")}
        for error in exc.errors()
    ]
    body = {"detail": jsonable_encoder(errors), "message": describe_problems(errors)}
    return JSONResponse(body, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Map predledger's errors and request validation errors to readable answers."""
    app.add_exception_handler(PredledgerError, _predledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
