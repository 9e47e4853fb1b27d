"""The prediction cache: repeated inputs to the same model version answered at once.

    answer = ledger.cached("sentiment", "3", text, lambda: model.predict(text))

Keys are the model, its version and a canonical hash of the inputs (sorted-key JSON,
SHA-256); answers live in Redis (``PREDLEDGER_REDIS_URL``) with a time to live, or in an
in-process LRU without Redis, and optionally in the ``cache_entries`` table. A Redis that
goes away means computing, never an error, and is used again once it answers.
"""

from predledger.cache.core import CacheResult, CacheStats, PredictionCache
from predledger.cache.keys import cache_key, input_hash
from predledger.cache.ledger import CachedPredictions, cached_prediction

__all__ = [
    "CacheResult",
    "CacheStats",
    "CachedPredictions",
    "PredictionCache",
    "cache_key",
    "cached_prediction",
    "input_hash",
]
