"""``Ledger.cached`` and ``Ledger.cache``: what the ledger gains from the prediction cache."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from predledger.cache.core import PredictionCache
from predledger.store.engine import Store

T = TypeVar("T")


class CachedPredictions:
    """Mixed into ``Ledger``: a prediction cache made on first use, closed with the ledger."""

    store: Store
    _cache: PredictionCache | None
    _cache_lock: threading.Lock

    def _init_cache(self, cache: PredictionCache | None) -> None:
        self._cache = cache
        self._cache_lock = threading.Lock()

    @property
    def cache(self) -> PredictionCache:
        """The ledger's prediction cache (Redis at ``PREDLEDGER_REDIS_URL``, else in memory)."""
        if self._cache is None:
            with self._cache_lock:
                if self._cache is None:
                    self._cache = PredictionCache.for_store(self.store)
        return self._cache

    @property
    def cache_if_started(self) -> PredictionCache | None:
        """The cache if ``cached()`` or ``cache`` made (or was given) one; never makes one."""
        return self._cache

    def cached(
        self,
        model: str,
        version: str,
        inputs: Any,
        compute: Callable[[], T],
        *,
        ttl: float | None = None,
        encode: Callable[[T], Any] | None = None,
        decode: Callable[[Any], T] | None = None,
    ) -> T:
        """The cached answer of ``model`` ``version`` for ``inputs``, or ``compute()``'s.

        Inside ``track_prediction`` a hit is logged with ``cache_hit=True``. A cache that
        is away (Redis down) only means ``compute()`` runs. See
        ``PredictionCache.get_or_compute`` for the arguments.
        """
        return self.cache.get_or_compute(
            model, version, inputs, compute, ttl=ttl, encode=encode, decode=decode
        ).value

    def _close_cache(self) -> None:
        if self._cache is not None:
            self._cache.close()


def cached_prediction(
    ledger: CachedPredictions, *, model: str, version: str, ttl: float | None = None
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate a model function so repeated inputs are answered from the cache.

        @cached_prediction(ledger, model="sentiment", version="3")
        def score(text: str) -> dict[str, float]: ...

    A one-argument call is keyed by that argument; other calls by all their arguments.
    """

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        def wrapper(*args: Any, **kwargs: Any) -> T:
            inputs = args[0] if len(args) == 1 and not kwargs else {"args": args, "kwargs": kwargs}
            return ledger.cached(model, version, inputs, lambda: function(*args, **kwargs), ttl=ttl)

        wrapper.__name__ = getattr(function, "__name__", "cached")
        wrapper.__doc__ = function.__doc__
        wrapper.__wrapped__ = function  # type: ignore[attr-defined]
        return wrapper

    return decorate
