"""Reading uploaded CSV and Parquet files, refusing bad rows with the row and column named.

A CSV file is checked before pandas reads it: a header line naming every column once, and
every row with as many fields as the header. After reading, a column whose values are
numbers except for a few (at most 10% of its non-empty cells) is taken for a numeric column
with typing mistakes: each stray cell is reported by row and column. Rows count from 1
after the header; blank lines are skipped and not counted.

pandas is imported when a file is read: most of predledger never loads it.
"""

from __future__ import annotations

import csv
import importlib
from pathlib import Path
from typing import Any

from predledger.errors import InvalidRecordError

FORMATS = ("csv", "parquet")
SHOWN_PROBLEMS = 5
# A column whose non-numbers are this share of its cells or less has typing mistakes.
STRAY_PERCENT = 10


def pandas() -> Any:
    """The pandas module, imported on first use (and untyped)."""
    return importlib.import_module("pandas")


def dataset_format(path: Path, given: str | None = None) -> str:
    """``csv`` or ``parquet``: as given, or from the file's suffix.

    Raises:
        InvalidRecordError: neither says CSV or Parquet.
    """
    name = (given or path.suffix.lstrip(".")).lower()
    name = {"pq": "parquet", "txt": "csv"}.get(name, name)
    if name not in FORMATS:
        raise InvalidRecordError(
            "file", f"{path.name!r} is not a .csv or .parquet file: upload CSV or Parquet"
        )
    return name


def read_dataset(path: Path, file_format: str) -> Any:
    """Read and check a dataset file; return a pandas DataFrame.

    Raises:
        InvalidRecordError: the file is unreadable, or rows are bad; the message names the
            row and the column of the first problems.
    """
    if file_format == "parquet":
        return _read_parquet(path)
    _check_csv_shape(path)
    try:
        frame = pandas().read_csv(path, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRecordError("file", f"cannot be read as CSV: {exc}") from None
    _check_numeric_columns(frame)
    return frame


def load_frame(path: Path, file_format: str) -> Any:
    """Read a stored dataset file (checked when it was added) without checking it again."""
    if file_format == "parquet":
        return pandas().read_parquet(path)
    return pandas().read_csv(path, encoding="utf-8-sig")


def _read_parquet(path: Path) -> Any:
    try:
        return pandas().read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidRecordError("file", f"is not a readable Parquet file ({first})") from None


def _check_csv_shape(path: Path) -> None:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise InvalidRecordError(
                    "file", "is empty: a CSV dataset needs a header line naming its columns"
                )
            _check_header(header)
            problems = []
            row_number = 0
            for fields in reader:
                if not fields:
                    continue
                row_number += 1
                if len(fields) != len(header):
                    problems.append(
                        (f"row {row_number}", f"has {len(fields)} fields but the header "
                         f"names {len(header)} columns (line {reader.line_num})")
                    )  # fmt: skip
    except UnicodeDecodeError as exc:
        raise InvalidRecordError(
            "file", f"is not UTF-8 text ({exc.reason} at byte {exc.start}): save it as UTF-8 CSV"
        ) from None
    except csv.Error as exc:
        raise InvalidRecordError("file", f"is not valid CSV: {exc}") from None
    _raise_problems(problems, "fix those rows or remove them")


def _check_header(header: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(header, start=1):
        if not name.strip():
            raise InvalidRecordError(
                f"column {index}", "has no name in the header line: name every column"
            )
        if name in seen:
            raise InvalidRecordError(
                f"column {name!r}", "appears twice in the header line: column names must be unique"
            )
        seen.add(name)


def _check_numeric_columns(frame: Any) -> None:
    pd = pandas()
    problems: list[tuple[str, str]] = []
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        present = values.dropna()
        numbers = pd.to_numeric(present, errors="coerce")
        stray = present[numbers.isna()]
        if len(stray) == 0 or len(stray) * 100 > STRAY_PERCENT * len(present):
            continue
        for index, value in stray.items():
            problems.append(
                (f"row {int(index) + 1}, column {column!r}",
                 f"{value!r} is not a number, but the column's other values are")
            )  # fmt: skip
    _raise_problems(problems, "correct those cells or leave them empty")


def _raise_problems(problems: list[tuple[str, str]], fix: str) -> None:
    if not problems:
        return
    where, what = problems[0]
    more = ""
    if len(problems) > 1:
        shown = "; ".join(f"{w}: {p}" for w, p in problems[1:SHOWN_PROBLEMS])
        rest = len(problems) - SHOWN_PROBLEMS
        more = f" (also {shown}{f'; and {rest} more' if rest > 0 else ''})"
    raise InvalidRecordError(where, f"{what}{more}: {fix}")
