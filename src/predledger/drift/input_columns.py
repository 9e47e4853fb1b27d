"""A window's raw JSON inputs turned into feature columns, chunk by chunk (exact mode).

Most chunks are plain JSON objects, one per row, as ingest writes them (compact JSON: no
newline inside). Those are joined into newline-delimited JSON and parsed by pyarrow straight
into typed columns, in C++ and on every core: numeric features as floats, text categories as
strings, every other key skipped. A chunk pyarrow cannot type that way (a string or a nested
value in a numeric feature, a number in a text feature, a row that is not an object, a
repeated key) is decoded row by row with orjson instead (``chunk_values``), which is what
decides the semantics: a feature a row lacks, ``null``, or a value that is not a number in a
numeric feature is missing; a number-like string (``"1.5"``) is a number; a categorical value
that is not text is matched by ``str(value)``. Both paths give the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from predledger.drift.binning import BinCounts, FloatArray
from predledger.drift.ingest_hook import FeatureBins, as_floats
from predledger.drift.profile import FeatureProfile

#: A chunk's rows: ``(inputs, feature_names)`` as JSON texts.
TextRows = Sequence[tuple[Any, Any]]


@dataclass(frozen=True)
class ChunkColumns:
    """One chunk's values: float arrays of the numeric features, counts of the others."""

    rows: int
    numbers: dict[str, FloatArray]
    counts: dict[str, BinCounts]


class InputColumns:
    """The feature columns of a window's rows, added a chunk at a time.

    Numeric features are kept as float arrays (NaN for missing or unusable values).
    Categorical features are counted on the profile's categories as they arrive, as ingest
    counts them: with no raw reference, every categorical test compares the profile's counts
    with these, so their raw values are not kept.

    ``parse`` only reads the instance, so chunks may be parsed in several threads at once
    (pyarrow lets go of the GIL while it parses); ``add_parsed`` then takes them in.

    Args:
        features: the profiled features to read.
    """

    def __init__(self, features: Sequence[FeatureProfile]) -> None:
        self.rows = 0
        self._bins = [FeatureBins.of(feature) for feature in features]
        self._names = [feature.name for feature in features]
        self._numbers: dict[str, list[FloatArray]] = {
            f.name: [] for f in self._bins if f.kind == "numeric"
        }
        self._counts = {
            f.name: BinCounts(np.zeros(f.n_bins, dtype=np.int64), 0)
            for f in self._bins
            if f.kind != "numeric"
        }
        # Text categories are parsed as strings, everything else as numbers: a value of
        # another JSON type makes pyarrow refuse the chunk, which then goes row by row.
        self._parse_options = pa_json.ParseOptions(
            explicit_schema=pa.schema(
                [(f.name, pa.string() if _is_text(f) else pa.float64()) for f in self._bins]
            ),
            unexpected_field_behavior="ignore",
        )

    def add(self, chunk: TextRows) -> None:
        """Add a chunk of rows read from the ``predictions`` table."""
        self.add_parsed(self.parse(chunk))

    def parse(self, chunk: TextRows) -> ChunkColumns:
        """The values of a chunk of rows read from the ``predictions`` table."""
        if not self._names:
            return ChunkColumns(0, {}, {})
        table = self._parse_objects([row[0] for row in chunk])
        if table is None:
            return self._decode_rows(chunk_values(chunk, self._names))
        numbers, counts = {}, {}
        for feature in self._bins:
            column = table.column(feature.name)
            if feature.kind == "numeric":
                numbers[feature.name] = column.to_numpy()
            elif _is_text(feature):
                counts[feature.name] = _count_labels(feature, column)
            else:
                counts[feature.name] = feature.count(column.to_numpy())
        return ChunkColumns(table.num_rows, numbers, counts)

    def add_parsed(self, parsed: ChunkColumns) -> None:
        """Add a chunk's values, from ``parse``."""
        self.rows += parsed.rows
        for name, values in parsed.numbers.items():
            self._numbers[name].append(values)
        for name, seen in parsed.counts.items():
            total = self._counts[name]
            self._counts[name] = BinCounts(total.counts + seen.counts, total.missing + seen.missing)

    def columns(self) -> dict[str, npt.NDArray[Any] | BinCounts]:
        """Float arrays of the numeric features and counts of the categorical ones.

        The numeric arrays come sorted (NaN last). No statistic depends on the order, and
        then the Wasserstein distance need not sort them again, nor the chart's counts
        search for each value's bin (``bin_numeric`` finds where each edge falls).
        """
        columns: dict[str, npt.NDArray[Any] | BinCounts] = {
            name: np.sort(np.concatenate(parts)) if parts else np.empty(0)
            for name, parts in self._numbers.items()
        }
        columns.update(self._counts)
        return {name: columns[name] for name in self._names}

    def _parse_objects(self, texts: list[Any]) -> pa.Table | None:
        """The chunk parsed by pyarrow, or ``None`` when it must go row by row."""
        data = _ndjson(texts)
        if data is None:
            return None
        try:
            # In this thread: pyarrow's own threads add CPU time here but hardly any speed.
            table = pa_json.read_json(
                pa.py_buffer(data),
                read_options=pa_json.ReadOptions(use_threads=False),
                parse_options=self._parse_options,
            )
        except pa.ArrowInvalid:
            return None
        return table if table.num_rows == len(texts) else None

    def _decode_rows(self, values: list[list[Any]]) -> ChunkColumns:
        numbers, counts = {}, {}
        for feature, column in zip(self._bins, values, strict=True):
            if feature.kind == "numeric":
                numbers[feature.name] = as_floats(column)
            else:
                counts[feature.name] = feature.count(column)
        return ChunkColumns(len(values[0]), numbers, counts)


def _ndjson(texts: list[Any]) -> bytes | None:
    """The texts (all ``str`` or all ``bytes``) joined as newline-delimited JSON.

    ``None`` unless every text is a one-line JSON object. That keeps a ``null`` row from
    being read as a row of missing values, and it also keeps pyarrow from a block that
    starts with ``null``, on which pyarrow 26 crashes the process.
    """
    if all(type(text) is bytes and text[:1] == b"{" and b"\n" not in text for text in texts):
        return b"\n".join(texts)
    if all(type(text) is str and text[:1] == "{" and "\n" not in text for text in texts):
        try:
            return "\n".join(texts).encode()
        except UnicodeEncodeError:  # a lone surrogate: orjson will say what is wrong with it
            return None
    return None


def _is_text(feature: FeatureBins) -> bool:
    return feature.kind != "numeric" and feature.value_type != "number"


def _count_labels(feature: FeatureBins, column: pa.ChunkedArray) -> BinCounts:
    """Count a text column on the feature's categories: each distinct label looked up once."""
    counts = np.zeros(feature.n_bins, dtype=np.int64)
    other = len(feature.categories)
    for entry in pc.value_counts(column.drop_null()).to_pylist():
        counts[feature.lookup.get(entry["values"], other)] += entry["counts"]
    return BinCounts(counts, column.null_count)


def chunk_values(chunk: TextRows, names: Sequence[str]) -> list[list[Any]]:
    """One list per feature of the values in a chunk of ``(inputs, feature_names)`` texts.

    Rows whose inputs are not a mapping of features (nor a list with matching names) are
    skipped; a feature a row lacks is ``None``.
    """
    records: list[dict[str, Any]] = []
    for inputs_text, names_text in chunk:
        inputs = orjson.loads(inputs_text) if inputs_text else None
        if isinstance(inputs, list) and names_text:
            given = orjson.loads(names_text)
            inputs = dict(zip(given, inputs, strict=False)) if len(given) == len(inputs) else None
        if isinstance(inputs, dict):
            records.append(inputs)
    if not names:
        return []
    pick = itemgetter(*names)
    try:  # the common case: every row has every feature, picked in C
        picked = [pick(record) for record in records]
    except KeyError:
        picked = [tuple(record.get(name) for name in names) for record in records]
    if len(names) == 1:
        return [list(picked)]
    return [list(column) for column in zip(*picked, strict=True)] if picked else [[] for _ in names]
