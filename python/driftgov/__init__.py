"""driftgov: drift detection on mergeable profiles, with the C++ engine compiled in (docs/python.md).

    import driftgov
    result = driftgov.compare(reference_df, current_df)
    result.dataset_drift, result.columns["price"]["drifted"], result.to_pandas()

Data may be a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or polars DataFrame, or anything else that
exports the Arrow PyCapsule interface (``__arrow_c_stream__`` or ``__arrow_c_array__``).
"""
from __future__ import annotations

import datetime
import html
import json
import os
import sys
from typing import Any, Iterator, Mapping, Optional, Sequence, Union

from . import _core
from ._core import InputError, InternalError, Profile, StorageError, UnsupportedError

__all__ = ["read", "profile", "compare", "Profile", "DriftResult", "InputError", "UnsupportedError", "StorageError",
           "InternalError", "__version__"]
__version__ = _core.__version__

# Defaults shared with the CLI (docs/cli.md): `driftgov profile` keeps no exact sample; `driftgov compare` keeps
# up to ten million values per numeric column of a raw side.
_PROFILE_EXACT_LIMIT = 0
_COMPARE_EXACT_LIMIT = 10_000_000
_DEFAULT_SKETCH_K = 200
_DEFAULT_CATEGORY_CAP = 10000


def _arrow_stream(data: Any):
    """(an ``arrow_array_stream`` PyCapsule for `data`, through the Arrow PyCapsule interface; the names of the
    columns whose NaN values are missing values)."""
    if isinstance(data, Profile):
        raise InputError("data: expected a table or data frame, got a Profile (compare accepts profiles)")
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return _pandas_stream(data)
    if hasattr(data, "__arrow_c_stream__"):
        return data.__arrow_c_stream__(), []
    if hasattr(data, "__arrow_c_array__"):
        # A single record batch: wrap it into a one-batch stream with pyarrow, which every producer of the
        # interface can hand its arrays to.
        import pyarrow as pa

        return pa.record_batch(data).__arrow_c_stream__(), []
    raise InputError(f"data: expected an object with the Arrow PyCapsule interface (pyarrow Table, RecordBatch or "
                     f"RecordBatchReader, pandas or polars DataFrame), got {type(data).__name__}")


def _pandas_stream(frame: Any):
    """_arrow_stream of a pandas DataFrame.

    pandas' own __arrow_c_stream__ adds an index other than a plain range as a column (__index_level_0__): that of
    any filtered or sorted frame. The index is not data to profile. NaN in a float column is pandas' missing value:
    pyarrow's conversion would scan each such column for NaN to build a validity bitmap; instead the column goes
    over as it is (its buffer borrowed, no copy) and the profiler counts its NaN as nulls. The other columns take
    pyarrow's conversion, on one thread: converting object (string) columns holds the GIL, so more threads only add
    their overhead, in CPU and in wall time.
    """
    import numpy as np
    import pyarrow as pa

    names = list(frame.columns)
    if len(set(names)) != len(names):
        return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1).__arrow_c_stream__(), []
    own = {}  # column position: its Arrow array, for the columns not left to pyarrow's conversion
    floating = []
    for i, dtype in enumerate(frame.dtypes):
        if not isinstance(dtype, np.dtype):
            continue
        if dtype.kind == "f" and dtype.itemsize in (4, 8):
            values = frame.iloc[:, i].to_numpy()
            own[i] = pa.array(values, type=pa.from_numpy_dtype(values.dtype))
            floating.append(str(names[i]))
        elif dtype.kind == "O":
            # Strings are read from the str objects in one pass, without pyarrow's per-item checks; a column
            # holding anything else goes to pyarrow's conversion, which types it or refuses it naming it.
            values = frame.iloc[:, i].to_numpy()
            capsule = _core._strings_from_objects(values.__array_interface__, len(values), str(names[i]),
                                                  sys.modules["pandas"].NA)
            if capsule is not None:
                own[i] = pa.RecordBatchReader.from_stream(_ArrowStream(capsule)).read_all().column(0)
    if not own:
        return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1).__arrow_c_stream__(), []
    others = [name for i, name in enumerate(names) if i not in own]
    converted = iter(pa.Table.from_pandas(frame, columns=others, preserve_index=False, nthreads=1).columns
                     if others else ())
    arrays = [own[i] if i in own else next(converted) for i in range(len(names))]
    table = pa.Table.from_arrays(arrays, names=[str(name) for name in names])
    return table.__arrow_c_stream__(), floating


def _describe(data: Any) -> str:
    kind = type(data)
    return f"<{kind.__module__.split('.')[0]}.{kind.__name__}>"


def _columns_option(name: str, value: Optional[Sequence[str]]) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(column) for column in value]


def profile(data: Any, *, columns: Optional[Sequence[str]] = None, sketch_k: int = _DEFAULT_SKETCH_K,
            category_cap: int = _DEFAULT_CATEGORY_CAP, kind: Optional[Mapping[str, str]] = None,
            exact_limit: int = _PROFILE_EXACT_LIMIT, threads: int = 0) -> Profile:
    """Profiles `data` into a mergeable :class:`Profile`, as ``driftgov profile DATA -o FILE`` does.

    Options (the CLI's flags): ``columns`` (--columns), ``sketch_k`` (--sketch-k), ``category_cap``
    (--category-cap), ``kind`` ({column: "numeric" | "categorical"}, --kind), ``exact_limit`` (values kept per
    numeric column for exact comparisons; never saved), ``threads`` (--threads). The GIL is released while
    profiling. Raises InputError (a ValueError) for a bad option or data, naming it, and UnsupportedError for a
    column of an Arrow type driftgov does not read, naming the column and the type.
    """
    stream, nan_as_null = _arrow_stream(data)
    return _core._profile_stream(stream, _describe(data), _columns_option("columns", columns), sketch_k,
                                 category_cap, dict(kind or {}), exact_limit, threads, nan_as_null)


class _ArrowStream:
    """A one-shot holder of an Arrow C stream capsule, exposing the Arrow PyCapsule interface to consumers."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        capsule, self._capsule = self._capsule, None
        if capsule is None:
            raise InputError("Arrow data: the stream was already consumed")
        return capsule


def _timestamp_text(timestamp: Union[str, datetime.date, datetime.datetime]) -> str:
    """A Delta timestamp as the text `PATH@ts=T` takes (docs/delta.md); a naive datetime is UTC, as there."""
    if isinstance(timestamp, str):
        return timestamp
    if isinstance(timestamp, (datetime.datetime, datetime.date)):
        return timestamp.isoformat()
    raise TypeError(f"timestamp: expected str or datetime, got {type(timestamp).__name__}")


def read(path: Union[str, os.PathLike], version: Optional[int] = None,
         timestamp: Union[str, datetime.datetime, None] = None, *, columns: Optional[Sequence[str]] = None):
    """Reads a CSV file, a Parquet file or a Delta table into a ``pyarrow.Table``, with the readers of
    ``driftgov cat`` (the same types, the same errors; docs/data-sources.md).

    ``version`` or ``timestamp`` (text as ``PATH@ts=T`` takes it, or a datetime; naive means UTC) select a Delta
    table's version, as ``PATH@v=N`` and ``PATH@ts=T`` do in the CLI. ``columns`` keeps those columns, in that
    order. The GIL is released while reading. Raises InputError (a ValueError) for bad data or options, naming the
    file and field, and StorageError (an OSError) when the file system fails.
    """
    import pyarrow as pa

    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise TypeError(f"version: expected int, got {type(version).__name__}")
    capsule = _core._read(os.fspath(path), version, None if timestamp is None else _timestamp_text(timestamp),
                          _columns_option("columns", columns))
    return pa.RecordBatchReader.from_stream(_ArrowStream(capsule)).read_all()


def _split(name: str, value: Any, scalar_types: tuple):
    """A scalar option value or a per-column mapping: (scalar or None, {column: value})."""
    if value is None:
        return None, {}
    if isinstance(value, Mapping):
        return None, dict(value)
    if isinstance(value, scalar_types) and not isinstance(value, bool):
        return value, {}
    raise TypeError(f"{name}: expected {' or '.join(t.__name__ for t in scalar_types)} or a mapping "
                    f"{{column: value}}, got {type(value).__name__}")


def compare(reference: Any, current: Any, *, columns: Optional[Sequence[str]] = None,
            exclude: Optional[Sequence[str]] = None, test: Union[str, Mapping[str, str], None] = None,
            threshold: Union[float, Mapping[str, float], None] = None, bins: Union[int, Mapping[str, int], None] = None,
            alpha: float = 0.05, correction: str = "bh", null_rate_min_change: float = 1.0,
            null_rate_test: bool = True, test_time_columns: bool = False, drift_share: float = 0.5,
            small_sample_limit: int = 1000, exact_limit: int = _COMPARE_EXACT_LIMIT,
            proportion_floor: float = 1e-4, max_category_bins: int = 100, sketch_k: int = _DEFAULT_SKETCH_K,
            category_cap: int = _DEFAULT_CATEGORY_CAP, kind: Optional[Mapping[str, str]] = None,
            threads: int = 0) -> "DriftResult":
    """Compares `current` with `reference`, as ``driftgov compare REFERENCE CURRENT --json FILE`` does.

    Each side is data (see :func:`profile`) or a :class:`Profile`. A raw side keeps up to ``exact_limit`` values per
    numeric column, so that KS, Wasserstein and quantiles are exact; a stored profile makes them sketch-based with
    stated bounds. ``test``, ``threshold`` and ``bins`` take a value for every column or a mapping {column: value}
    (the CLI's TEST / COLUMN=TEST forms); the other options are the CLI's flags in snake case
    (``no_null_rate_test`` is ``null_rate_test=False``). Raises InputError (a ValueError) naming a bad option.
    """
    test_all, column_tests = _split("test", test, (str,))
    threshold_all, column_thresholds = _split("threshold", threshold, (int, float))
    bins_all, column_bins = _split("bins", bins, (int,))
    column_list = _columns_option("columns", columns)
    sides = []
    for side in (reference, current):
        if isinstance(side, Profile):
            sides.append(side)
        else:
            sides.append(profile(side, columns=column_list, sketch_k=sketch_k, category_cap=category_cap, kind=kind,
                                 exact_limit=exact_limit, threads=threads))
    scalars = {"alpha": float(alpha), "correction": correction, "null_rate_min_change": float(null_rate_min_change),
               "null_rate_test": bool(null_rate_test), "test_time_columns": bool(test_time_columns),
               "drift_share": float(drift_share), "small_sample_limit": int(small_sample_limit),
               "proportion_floor": float(proportion_floor), "max_category_bins": int(max_category_bins)}
    if scalars["max_category_bins"] < 0:
        raise InputError(f"max_category_bins: expected >= 0, got {max_category_bins}")
    text = _core._compare(sides[0], sides[1], column_list, _columns_option("exclude", exclude), test_all,
                          column_tests, None if threshold_all is None else float(threshold_all), column_thresholds,
                          bins_all, column_bins, scalars)
    return DriftResult(json.loads(text))


class DriftResult:
    """The result of :func:`compare`: the document ``driftgov compare --json`` writes (docs/json-formats.md)."""

    def __init__(self, document: dict):
        self._document = document
        self._columns = {column["column_name"]: column for column in document["columns"]}

    @property
    def dataset_drift(self) -> Optional[bool]:
        """Whether the share of drifted columns reached the drift share; None when no column could be evaluated
        (``reason`` in ``to_dict()["dataset"]`` says why)."""
        return self._document["dataset"]["dataset_drift"]

    @property
    def columns(self) -> Mapping[str, dict]:
        """Per-column results by column name, in the reference's order."""
        return self._columns

    def to_dict(self) -> dict:
        """The whole result as plain Python objects (a deep copy)."""
        return json.loads(json.dumps(self._document))

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The result as JSON text, the format of ``driftgov compare --json``."""
        return json.dumps(self._document, indent=indent)

    def to_pandas(self):
        """One row per column: name, type, test, statistic, p-value, PSI, null rates and the verdict."""
        import pandas as pd

        rows = []
        for column in self._document["columns"]:
            test = column.get("test") or {}
            rows.append({
                "column": column["column_name"], "type": column["data_type"], "kind": column.get("kind"),
                "test": test.get("name"), "statistic": test.get("statistic"),
                "pvalue": test.get("pvalue_adjusted", test.get("pvalue")), "threshold": test.get("threshold"),
                "population_stability_index": column.get("population_stability_index"),
                "percent_null_reference": column["percent_null"]["reference"],
                "percent_null_current": column["percent_null"]["current"],
                "drifted": bool(column.get("drifted")), "drift_reason": column.get("drift_reason"),
            })
        return pd.DataFrame(rows)

    def plot(self, kind: str = "all", *, columns: Optional[Sequence[str]] = None, top: int = 5,
             figsize: Optional[tuple] = None):
        """A ``matplotlib.figure.Figure`` with the charts of ``driftgov compare --report`` (docs/report.md).

        ``kind``: ``"summary"`` (each column's PSI as a bar coloured by its drift level, the level bounds 0.1 and
        0.25 marked, the verdict beside it), ``"distributions"`` (reference and current shares on the bins of the
        test, per column) or ``"all"`` (both). ``columns`` picks the distributions drawn; otherwise the ``top`` most
        severe columns (0: all). Needs matplotlib (an ImportError names it otherwise); the figure is not attached to
        pyplot, so it is drawn once in a notebook and can be saved with ``figure.savefig(path)``.
        """
        from . import plot as charts

        return charts.plot(self._document, kind, columns, top, figsize)

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __repr__(self) -> str:
        drifted = sum(1 for column in self._document["columns"] if column.get("drifted"))
        return (f"DriftResult(dataset_drift={self.dataset_drift}, columns={len(self._columns)}, "
                f"drifted={drifted})")

    def _repr_html_(self) -> str:
        header = ("<tr><th>column</th><th>type</th><th>test</th><th>statistic</th><th>p-value</th><th>PSI</th>"
                  "<th>drift</th></tr>")
        rows = []
        for column in self._document["columns"]:
            test = column.get("test") or {}
            pvalue = test.get("pvalue_adjusted", test.get("pvalue"))
            psi = column.get("population_stability_index")
            cells = [column["column_name"], column["data_type"], test.get("name", "-"),
                     f"{test['statistic']:.4g}" if "statistic" in test else "-",
                     f"{pvalue:.3g}" if pvalue is not None else "-", f"{psi:.4f}" if psi is not None else "-",
                     "DRIFT" if column.get("drifted") else "ok"]
            rows.append("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in cells) + "</tr>")
        verdict = {True: "YES", False: "no", None: "not decided"}[self.dataset_drift]
        return (f"<div><p>dataset drift: <b>{verdict}</b></p><table>{header}{''.join(rows)}</table></div>")
