"""Helpers of the monitoring tests: random inference logs written with deltalake, a driftgov.yaml for them, the
`monitor run` CLI, and the metric tables read back with deltalake as plain rows keyed like Lakehouse Monitoring's."""
import datetime
import json
import math

import numpy as np
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

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
