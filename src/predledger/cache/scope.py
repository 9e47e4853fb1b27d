"""Telling ``track_prediction`` that the answer inside its block came from the cache.

``track_prediction`` opens a scope when its block starts; every cache lookup inside the
block notes whether it hit; the logged prediction gets ``cache_hit=True`` when the block's
lookups all hit. Outside a block, lookups note nothing.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_lookups: ContextVar[list[bool] | None] = ContextVar("predledger_cache_lookups", default=None)


def open_scope() -> Token[list[bool] | None]:
    """Start noting lookups (``track_prediction`` calls it when its block starts)."""
    return _lookups.set([])


def close_scope(token: Token[list[bool] | None]) -> bool:
    """Stop noting; whether the block's lookups were all hits (and there was one)."""
    noted = _lookups.get()
    _lookups.reset(token)
    return noted is not None and bool(noted) and all(noted)


def note_lookup(hit: bool) -> None:
    """Note one lookup in the current block, if any."""
    noted = _lookups.get()
    if noted is not None:
        noted.append(hit)
