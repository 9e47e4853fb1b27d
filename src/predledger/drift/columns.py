"""Reading a dataset given as a mapping of columns or as a pandas DataFrame.

pandas is optional: a DataFrame is recognised by its shape (``columns``, ``isna``,
``to_numpy``), never imported.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

from predledger.drift.binning import Values
from predledger.errors import InvalidRecordError


@runtime_checkable
class DataFrameLike(Protocol):
    """The part of a pandas DataFrame that predledger uses."""

    @property
    def columns(self) -> Iterable[Hashable]:
        """The column labels."""

    def __getitem__(self, key: Any) -> Any:
        """One column, as a Series."""


Columns: TypeAlias = Mapping[str, Values] | DataFrameLike


def as_columns(data: Columns) -> dict[str, npt.NDArray[Any]]:
    """Return the dataset as one-dimensional NumPy arrays keyed by column name.

    pandas columns with a numeric dtype (including nullable ``Int64`` / ``Float64``) become
    float arrays with NaN for missing values; other columns become object arrays with
    ``None`` for missing values.

    Args:
        data: a mapping of column name to values, or a pandas DataFrame.

    Returns:
        A dict of column name to array.

    Raises:
        InvalidRecordError: a column is not one-dimensional.
    """
    if isinstance(data, Mapping):
        columns = {str(name): np.asarray(values) for name, values in data.items()}
    else:
        columns = {str(name): _series_to_array(data[name]) for name in data.columns}
    for name, values in columns.items():
        if values.ndim != 1:
            raise InvalidRecordError(name, f"expected one value per row, got shape {values.shape}")
    return columns


def _series_to_array(series: Any) -> npt.NDArray[Any]:
    if series.dtype.kind in "iuf":
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    values = np.asarray(series.to_numpy(dtype=object))
    missing = np.asarray(series.isna(), dtype=bool)
    if missing.any():
        # pd.NA and NaT do not compare like None or NaN; turn them into None here.
        values = values.copy()
        values[missing] = None
    return values
