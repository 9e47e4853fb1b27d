"""Shapes of datasets coming out of the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class DatasetPublic(BaseModel):
    """An uploaded dataset: its file, size, checksum, rows and column statistics.

    ``columns`` lists, in file order, ``{"name", "type", "count", "nulls", "unique", ...}``
    with ``min``/``max``/``mean``/``std``/``p25``/``p50``/``p75`` for numbers and ``top``
    (most frequent values with counts) for strings and booleans.
    """

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str | None
    file_format: str
    file_name: str
    original_name: str | None
    size_bytes: int
    sha256: str
    row_count: int
    column_count: int
    columns: list[dict[str, Any]]
    created_at: datetime
