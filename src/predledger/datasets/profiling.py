"""Column statistics of a dataset, as plain JSON-ready values.

Every column gets its name, type (``integer``, ``float``, ``boolean``, ``datetime``,
``string``), count of values, nulls and distinct values. Numbers add min, max, mean,
standard deviation and quartiles; datetimes their range; strings and booleans their most
frequent values.
"""

from __future__ import annotations

import math
from typing import Any

TOP_VALUES = 5


def column_type(dtype: Any) -> str:
    """The plain name of a pandas dtype's kind."""
    kind = getattr(dtype, "kind", "O")
    return {"i": "integer", "u": "integer", "f": "float", "b": "boolean", "M": "datetime"}.get(
        kind, "string"
    )


def profile_columns(frame: Any) -> list[dict[str, Any]]:
    """The statistics of every column of a pandas DataFrame, in column order."""
    return [_profile(str(name), frame[name]) for name in frame.columns]


def _profile(name: str, values: Any) -> dict[str, Any]:
    kind = column_type(values.dtype)
    present = values.dropna()
    profile: dict[str, Any] = {
        "name": name,
        "type": kind,
        "count": len(present),
        "nulls": int(len(values) - len(present)),
        "unique": int(present.nunique()),
    }
    if len(present) == 0:
        return profile
    if kind in ("integer", "float"):
        quartiles = present.quantile([0.25, 0.5, 0.75]).tolist()
        profile.update(
            min=_number(present.min()), max=_number(present.max()),
            mean=_number(present.mean()), std=_number(present.std()) if len(present) > 1 else None,
            p25=_number(quartiles[0]), p50=_number(quartiles[1]), p75=_number(quartiles[2]),
        )  # fmt: skip
    elif kind == "datetime":
        profile.update(min=present.min().isoformat(), max=present.max().isoformat())
    else:
        top = present.astype(str).value_counts().head(TOP_VALUES)
        profile["top"] = [[str(value), int(count)] for value, count in top.items()]
    return profile


def _number(value: Any) -> float | int | None:
    number = value.item() if hasattr(value, "item") else value
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return number  # type: ignore[no-any-return]
