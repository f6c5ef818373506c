"""Helpers of the monitoring tests: random inference logs written with deltalake, a driftgov.yaml for them, the
`monitor run` CLI, and the metric tables read back with deltalake as plain rows keyed like Lakehouse Monitoring's."""
import datetime
import json
import math

import numpy as np
import pyarrow as pa
from deltalake import DeltaTable

from conftest import run_driftgov

UTC = datetime.timezone.utc
LOG_SCHEMA = pa.schema([("ts", pa.timestamp("us", tz="UTC")), ("region", pa.string()), ("price", pa.float64()),
                        ("qty", pa.int64()), ("promo", pa.string()), ("model_version", pa.string()),
                        ("prediction", pa.float64()), ("label", pa.float64())])
CLASS_SCHEMA = LOG_SCHEMA.set(LOG_SCHEMA.get_field_index("prediction"), pa.field("prediction", pa.int64())) \
    .set(LOG_SCHEMA.get_field_index("label"), pa.field("label", pa.int64()))
# Fields that identify a metric row; the model id column is model_version.
PROFILE_KEY = ("log_type", "granularity", "window_start", "window_end", "slice_key", "slice_value", "model_version",
               "column_name")
DRIFT_KEY = ("drift_type", "granularity", "window_start", "window_end", "slice_key", "slice_value", "model_version",
             "column_name")


def random_log(rng, timestamps, classification=False, regions=("north", "south", "east"), null_share=0.1,
               models=("v1", "v2"), null_models=True):
    """A random inference log as a pyarrow table: `timestamps` (datetimes or None) give its rows; nulls, NaN and
    zeros in the features, nulls in the labels and model ids."""
    n = len(timestamps)

    def nulls(values):
        mask = rng.random(n) < null_share
        return [None if m else v for v, m in zip(values, mask)]

    price = rng.normal(100, 30, n).round(3)
    price[rng.random(n) < 0.05] = 0.0
    price[rng.random(n) < 0.05] = np.nan  # NaN, distinct from null
    qty = rng.integers(0, 6, n)
    model = rng.choice(list(models), n).tolist()
    if null_models:
        model = [None if r < 0.05 else m for m, r in zip(model, rng.random(n))]
    if classification:
        label = rng.integers(0, 3, n)
        prediction = np.where(rng.random(n) < 0.6, label, rng.integers(0, 3, n))
        prediction, label = prediction.tolist(), label.tolist()
    else:
        label = rng.normal(5, 2, n).round(4)
        prediction = (label + rng.normal(0, 1, n)).round(4).tolist()
        label = label.tolist()
    columns = {
        "ts": timestamps,
        "region": nulls(rng.choice(list(regions), n).tolist()),
        "price": nulls(price.tolist()),
        "qty": nulls(qty.tolist()),
        "promo": rng.choice(["yes", "no", "maybe"], n, p=[0.2, 0.7, 0.1]).tolist(),
        "model_version": model,
        "prediction": prediction,
        "label": nulls(label),
    }
    schema = CLASS_SCHEMA if classification else LOG_SCHEMA
    return pa.Table.from_pydict(columns, schema=schema)


def baseline_of(table):
    """The training set of a log: its rows without the timestamp and the model id."""
    return table.drop_columns(["ts", "model_version"])


def write_config(folder, table, baseline=None, granularities=("1 day",), slicing=(), classification=False,
                 extra=""):
    """driftgov.yaml with targets `dev` (default) and `full` reading the same table; monitor `m`."""
    lines = [
        "project: t",
        "targets: {dev: {mode: development, lakehouse: ./lake, default: true}, "
        "full: {mode: development, lakehouse: ./lake_full}}",
        "monitors:",
        "  m:",
        f"    table: {table}",
        "    profile_type: inference_log",
        "    timestamp_col: ts",
        f"    granularities: {json.dumps(list(granularities))}",
        "    model_id_col: model_version",
        "    prediction_col: prediction",
        "    label_col: label",
        f"    problem_type: {'classification' if classification else 'regression'}",
    ]
    if baseline is not None:
        lines.append(f"    baseline: {{table: {baseline}}}")
    if slicing:
        lines.append(f"    slicing_exprs: {json.dumps(list(slicing))}")
    config = folder / "driftgov.yaml"
    config.write_text("\n".join(lines) + "\n" + extra)
    return config


def run_monitor(config, *args, check=True, timeout=600):
    """`driftgov monitor run m --config CONFIG --json ARGS`: the refresh's summary, or the CompletedProcess when
    check is False."""
    result = run_driftgov("monitor", "run", "m", "--config", config, "--json", *args, check=check, timeout=timeout)
    if not check:
        return result
    summaries = json.loads(result.stdout)
    assert len(summaries) == 1, result.stdout
    return summaries[0]


def output_table(folder, name, lake="lake"):
    return folder / lake / "monitoring" / f"m_{name}"


def read_rows(path, version=None):
    """Rows of a Delta table (deltalake) as dicts; `window`/`window_cmp` flattened into *_start/*_end."""
    rows = DeltaTable(str(path), version=version).to_pyarrow_table().to_pylist()
    for row in rows:
        for name in ("window", "window_cmp"):
            if name in row:
                window = row.pop(name)
                row[f"{name}_start"] = window["start"] if window else None
                row[f"{name}_end"] = window["end"] if window else None
    return rows


def keyed(rows, key):
    """rows by key; a key seen twice fails (no metric row may be duplicated)."""
    out = {}
    for row in rows:
        k = tuple(row.get(name) for name in key)
        assert k not in out, f"duplicated metric row {k}"
        out[k] = row
    return out


def close(a, b, rel=1e-9, abs_tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def window_start(instant, granularity):
    """The start of the UTC window of `granularity` holding `instant` (docs/monitoring-time.md)."""
    if granularity == "1 hour":
        return instant.replace(minute=0, second=0, microsecond=0)
    day = instant.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "1 day":
        return day
    if granularity == "1 week":
        return day - datetime.timedelta(days=day.weekday())  # Monday
    if granularity == "1 month":
        return day.replace(day=1)
    raise ValueError(granularity)


def window_after(start, granularity):
    if granularity == "1 hour":
        return start + datetime.timedelta(hours=1)
    if granularity == "1 day":
        return start + datetime.timedelta(days=1)
    if granularity == "1 week":
        return start + datetime.timedelta(days=7)
    if granularity == "1 month":
        return (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    raise ValueError(granularity)


def window_before(start, granularity):
    if granularity == "1 month":
        return (start - datetime.timedelta(days=1)).replace(day=1)
    return window_start(start - datetime.timedelta(microseconds=1), granularity)


# Fields filled from sketches (compared within bounds), and fields that record when/how a row was written.
SKETCH_FIELDS = {"median", "quantiles", "sketch_bound", "ks_test", "js_distance", "wasserstein_distance",
                 "population_stability_index", "tv_distance", "l_infinity_distance", "hellinger_distance",
                 "drift_statistic", "pvalue_adjusted", "drifted", "drift_level", "borderline", "exact",
                 "dataset_drift", "share_of_drifted_columns", "drift_reason", "drift_test", "drift_threshold"}
BOOKKEEPING_FIELDS = {"logging_table_commit_version"}


def assert_rows_equal(incremental, full, key, what, sketched=None):
    """Same keys; every field equal (floats to rel 1e-9), except when and where a row was written. With
    `sketched` (a function checking one sketch field of two rows), the fields filled from quantile sketches go to
    it instead."""
    a, b = keyed(incremental, key), keyed(full, key)
    assert set(a) == set(b), f"{what}: only incremental {sorted(set(a) - set(b), key=str)[:5]}, only full " \
                             f"{sorted(set(b) - set(a), key=str)[:5]}"
    for k, row in a.items():
        other = b[k]
        for field, value in row.items():
            if field in ("logging_table_commit_version", "refresh_id", "detected_at", "target"):
                continue
            if sketched and field in SKETCH_FIELDS:
                sketched(k, field, row, other)
                continue
            assert equal_values(value, other[field]), f"{what} {k} {field}: incremental {value!r}, full {other[field]!r}"


def equal_values(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return close(a, b, rel=1e-9, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal_values(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal_values(x, y) for x, y in zip(a, b))
    return a == b


class SketchCheck:
    """Sketch fields of two refreshes of one table. KS statistics: each side is within eps_reference + eps_current
    of the true statistic (eps = the rows' sketch_bound), so the two differ by at most twice that. Quantiles and
    medians of the whole table per window: within the stated rank bound of the true sorted data. Other fields
    computed from sketch bins (binned distances, the verdicts on them) have no stated bound and are not compared."""

    def __init__(self, table_path, profile_rows):
        self.values = {}
        for row in DeltaTable(str(table_path)).to_pyarrow_table().to_pylist():
            if row["ts"] is None:
                continue
            for granularity in ("1 day", "1 week"):
                start = window_start(row["ts"], granularity)
                for column in ("price", "qty", "prediction", "label"):
                    v = row[column]
                    if v is not None and not math.isnan(v):
                        self.values.setdefault((granularity, start, column), []).append(float(v))
        self.values = {k: np.sort(v) for k, v in self.values.items()}
        self.epsilon = max((r["sketch_bound"] or 0.0) for r in profile_rows)
        assert 0 < self.epsilon < 0.02
        self.checked_quantiles = self.checked_ks = 0

    def __call__(self, key, field, row, other):
        if field == "ks_test" and row[field] is not None:
            assert abs(row[field]["statistic"] - other[field]["statistic"]) <= 4 * self.epsilon + 1e-12, \
                (key, row[field], other[field])
            self.checked_ks += 1
        if field in ("median", "quantiles") and row["slice_key"] is None and row["model_version"] == "*":
            ordered = self.values.get((row["granularity"], row["window_start"], row["column_name"]))
            if ordered is None:
                return
            n = len(ordered)
            for side in (row, other):
                points = [(0.5, side["median"])] if field == "median" else \
                    [(i / (len(side["quantiles"]) - 1), v) for i, v in enumerate(side["quantiles"])]
                for q, value in points:
                    low = np.searchsorted(ordered, value, side="left")
                    high = np.searchsorted(ordered, value, side="right")
                    distance = 0 if low <= q * n <= high else min(abs(low - q * n), abs(high - q * n))
                    assert distance <= side["sketch_bound"] * n + 1, (key, field, q, value, low, high, n)
                    self.checked_quantiles += 1


def compare_with_full(tmp_path, config, sketched=False):
    """The tables of target dev equal those of a full refresh on target full. `sketched`: groups large enough for
    the quantile sketches to compact (SketchCheck); breaches, which follow binned distances, are then only checked
    for duplicates."""
    summary = run_monitor(config, "--target", "full", "--full")
    assert summary["state"] == "SUCCESS" and summary["full_refresh"]
    profile = read_rows(output_table(tmp_path, "profile_metrics"))
    check = SketchCheck(tmp_path / "log", profile) if sketched else None
    assert_rows_equal(profile, read_rows(output_table(tmp_path, "profile_metrics", "lake_full")), PROFILE_KEY,
                      "profile_metrics", check)
    assert_rows_equal(read_rows(output_table(tmp_path, "drift_metrics")),
                      read_rows(output_table(tmp_path, "drift_metrics", "lake_full")), DRIFT_KEY, "drift_metrics",
                      check)
    breach_key = ("breach_id",)
    if sketched:
        keyed(read_rows(output_table(tmp_path, "breaches")), breach_key)
        assert check.checked_quantiles > 0 and check.checked_ks > 0
    else:
        assert_rows_equal(read_rows(output_table(tmp_path, "breaches")),
                          read_rows(output_table(tmp_path, "breaches", "lake_full")), breach_key, "breaches")
