"""Reading JSON bodies that may hold one item or a bounded list of them.

The ingest routes read their bodies themselves (rather than through a pydantic
parameter) so an oversized batch gets a 413 before ten thousand items are validated,
and a body too large in bytes is refused while it streams in.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import orjson
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

MAX_BODY_BYTES = 64 * 1024 * 1024
M = TypeVar("M", bound=BaseModel)


async def read_json(request: Request, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The request's JSON document.

    Raises:
        HTTPException: 413 when the body is larger than ``max_bytes``.
        RequestValidationError: the body is not JSON (answered 422 with the reason).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large_bytes(max_bytes)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large_bytes(max_bytes)
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        reason = str(exc) if body.strip() else "the body is empty"
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "ctx": {"error": reason},
                }
            ]
        ) from None


def _too_large_bytes(max_bytes: int) -> HTTPException:
    return HTTPException(
        413,
        f"the request body is larger than {max_bytes // 1_048_576} MiB: send it in smaller batches",
    )


@functools.cache
def _list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    # Building an adapter costs milliseconds: one per model, built once.
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def one_or_many(payload: Any, model: type[M], *, max_items: int, noun: str) -> list[M]:
    """Validate a JSON object, a list of them or ``{"items": [...]}`` as ``model`` items.

    Raises:
        HTTPException: 413 when the list holds more than ``max_items``.
        RequestValidationError: an item is not valid; ``loc`` names it and its field.
    """
    if (
        isinstance(payload, dict)
        and set(payload) == {"items"}
        and isinstance(payload["items"], list)
    ):
        payload = payload["items"]  # the envelope {"items": [...]} is accepted too
    many = isinstance(payload, list)
    items = payload if many else [payload]
    if many and len(items) > max_items:
        raise HTTPException(
            413,
            f"{len(items):,} {noun} in one request is over the limit of {max_items:,}: "
            f"send them in batches of at most {max_items:,}",
        )
    if many and not items:
        raise RequestValidationError(
            [{"type": "too_short", "loc": ("body",), "msg": f"send at least one {noun[:-1]}"}]
        )
    try:
        return _list_adapter(model).validate_python(items)
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = error["loc"][1:] if not many else error["loc"]
            errors.append({**error, "loc": ("body", *loc)})
        raise RequestValidationError(errors) from None
