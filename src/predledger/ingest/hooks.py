"""Work that rides in the writer's transaction after each batch's rows are inserted.

A hook receives the driver connection (inside the open transaction), the dialect helper
and the prediction records that were new in this batch. It must not commit. Hooks are
how other domains keep their own per-batch aggregates (such as drift histograms) exactly
in step with the raw rows: if the batch rolls back, so does their work.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import Engine

from predledger.store.dialect import Dialect


class BatchHook(Protocol):
    """Called once per committed batch, inside its transaction."""

    def __call__(self, raw: Any, dialect: Dialect, predictions: list[dict[str, Any]]) -> None:
        """Add this batch's new prediction records to the hook's own tables."""


def default_batch_hooks(engine: Engine) -> list[BatchHook]:
    """The hooks every bulk writer on ``engine`` runs.

    - ``FeatureHistogramHook``: hourly feature histograms on the active versions' reference
      bins, which drift reports read (``predledger.drift``).
    """
    del engine
    from predledger.drift.ingest_hook import FeatureHistogramHook

    return [FeatureHistogramHook()]
