"""`driftgov monitor run` against an oracle: every metric row of profile_metrics and drift_metrics recomputed from
the raw table with numpy, scipy and scikit-learn, for random configurations (granularities, slices, model ids,
nulls, NaN, null timestamps, empty and single-row windows, classification and regression)."""
import datetime
import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon
from sklearn import metrics as skm

from monitor_oracles import (DRIFT_KEY, PROFILE_KEY, UTC, baseline_of, close, keyed, output_table, random_log,
                             read_rows, run_monitor, window_after, window_before, window_start, write_config)
from deltalake import write_deltalake

GRANULARITIES = ["1 hour", "1 day", "1 week", "1 month"]
NUMERIC = ("price", "qty", "prediction", "label")
TOP_SLICE_VALUES = 100
MAX_CATEGORY_BINS = 100
QUANTILE_GRID = [i / 20 for i in range(21)]


def random_timestamps(rng, granularities, n, null_timestamps):
    """Rows spread over about a dozen windows of the finest granularity, some of them left empty, one holding a
    single row; a few null timestamps."""
    finest = granularities[0]
    start = datetime.datetime(2024, 1, 29, tzinfo=UTC)  # a Monday, so the first week is whole
    windows = [window_start(start, finest)]
    for _ in range(13):
        windows.append(window_after(windows[-1], finest))
    used = sorted(rng.choice(13, size=9, replace=False).tolist())
    single = used[0]  # the earliest used window holds exactly one row
    stamps = []
    for i in range(n):
        w = single if i == 0 else int(rng.choice(used[1:]))
        lo, hi = windows[w], windows[w + 1]
        span = int((hi - lo).total_seconds() * 1e6)
        stamps.append(lo + datetime.timedelta(microseconds=int(rng.integers(0, span))))
    for i in rng.choice(range(1, n), size=null_timestamps, replace=False):
        stamps[i] = None
    return stamps


class Oracle:
    """The raw table held as numpy arrays, cut into windows, slices and model ids as docs/monitoring.md says."""

    def __init__(self, table, granularities, slicing):
        self.rows = table.to_pylist()
        self.n = len(self.rows)
        self.granularities = granularities
        self.slicing = slicing
        self.column = {name: [r[name] for r in self.rows] for name in table.column_names}
        self.timed = np.array([r["ts"] is not None for r in self.rows])
        # window start per granularity
        self.window = {g: [window_start(r["ts"], g) if r["ts"] is not None else None for r in self.rows]
                       for g in granularities}
        # slice value per slicing expression (column slices: top values per window, the rest __other__)
        self.slice_values = {}
        for expression in slicing:
            if expression == "region":
                continue
            if expression == "promo":  # a second column slice (three values: no __other__)
                self.slice_values[expression] = list(self.column["promo"])
                continue
            price = self.column["price"]
            self.slice_values[expression] = ["true" if (p is not None and not math.isnan(p) and p > 100) else "false"
                                             for p in price]
        self.region_by_granularity = {}
        if "region" in slicing:
            for g in granularities:
                per_window = {}
                for w, v in zip(self.window[g], self.column["region"]):
                    if w is not None and v is not None:
                        per_window.setdefault(w, Counter())[v] += 1
                top = {w: {v for v, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0].encode()))[:TOP_SLICE_VALUES]}
                       for w, c in per_window.items()}
                self.region_by_granularity[g] = [
                    None if v is None else (v if w is None or v in top[w] else "__other__")
                    for w, v in zip(self.window[g], self.column["region"])]

        self.arrays = {("window", g): np.array(self.window[g], dtype=object) for g in granularities}
        self.arrays.update({("region", g): np.array(v, dtype=object) for g, v in self.region_by_granularity.items()})
        self.arrays.update({k: np.array(v, dtype=object) for k, v in self.slice_values.items()})
        self.arrays["model_version"] = np.array(self.column["model_version"], dtype=object)

    def mask(self, granularity, start, slice_key, slice_value, model):
        """Rows of one output group."""
        m = self.timed & (self.arrays[("window", granularity)] == start)
        if slice_key is not None:
            values = self.arrays[("region", granularity)] if slice_key == "region" else self.arrays[slice_key]
            m &= np.array([v == slice_value for v in values]) if slice_value is None else values == slice_value
        if model != "*":
            models = self.arrays["model_version"]
            m &= np.array([v is None for v in models]) if model is None else models == model
        return m

    def expected_groups(self):
        """Every (granularity, window, slice key, slice value, model) that holds rows."""
        groups = set()
        partitions = [(None, None)]
        for expression in self.slicing:
            partitions.append((expression, None))
        for g in self.granularities:
            for i in range(self.n):
                if not self.timed[i]:
                    continue
                for key, _ in partitions:
                    if key is None:
                        value = None
                    elif key == "region":
                        value = self.region_by_granularity[g][i]
                    else:
                        value = self.slice_values[key][i]
                    for model in ("*", self.column["model_version"][i]):
                        groups.add((g, self.window[g][i], key, value, model))
        return groups


def values_of(oracle, name, m):
    return [v for v, keep in zip(oracle.column[name], m) if keep]


def check_numeric(row, values, where):
    non_null = [v for v in values if v is not None]
    finite = np.array([float(v) for v in non_null if not math.isnan(v)])
    assert row["num_nulls"] == len(values) - len(non_null), where
    assert row["num_nan"] == len(non_null) - len(finite), where
    assert row["num_zeros"] == int(np.sum(finite == 0)), where
    if non_null:
        assert close(row["percent_nan"], 100.0 * row["num_nan"] / len(non_null)), where
        assert close(row["percent_zeros"], 100.0 * row["num_zeros"] / len(non_null)), where
    if len(finite) == 0:
        assert row["avg"] is None and row["min"] is None and row["median"] is None, where
        return
    assert close(row["avg"], float(np.mean(finite))), where
    if len(finite) > 1:
        assert close(row["stddev"], float(np.std(finite, ddof=1)), rel=1e-9, abs_tol=1e-9), where
    assert row["min"] == finite.min() and row["max"] == finite.max(), where
    # Quantiles: the rank of each reported value in the sorted data lies within the sketch's bound.
    ordered = np.sort(finite)
    n = len(ordered)
    bound = row["sketch_bound"]
    assert bound is not None and 0 <= bound < 0.05, where
    assert len(row["quantiles"]) == len(QUANTILE_GRID), where
    for q, value in [(0.5, row["median"])] + list(zip(QUANTILE_GRID, row["quantiles"])):
        low = np.searchsorted(ordered, value, side="left")
        high = np.searchsorted(ordered, value, side="right")
        target = q * n
        distance = 0 if low <= target <= high else min(abs(low - target), abs(high - target))
        assert distance <= bound * n + 1, f"{where}: quantile {q} = {value} has rank {low}..{high} of {n}"
    assert row["quantiles"][0] == ordered[0] and row["quantiles"][-1] == ordered[-1], where


def check_categorical(row, values, where):
    non_null = [v for v in values if v is not None]
    counts = Counter(non_null)
    assert row["num_nulls"] == len(values) - len(non_null), where
    assert row["distinct_count"] == len(counts), where
    if non_null:
        assert close(row["percent_distinct"], 100.0 * len(counts) / len(non_null)), where
        lengths = [len(v) for v in non_null]
        assert (row["min_length"], row["max_length"]) == (min(lengths), max(lengths)), where
        assert close(row["avg_length"], sum(lengths) / len(lengths)), where
    items = row["frequent_items"] or []
    assert len(items) == min(10, len(counts)), where
    shown = {item["item"]: item["count"] for item in items}
    for item, count in shown.items():
        assert counts[item] == count, where
    hidden = [c for v, c in counts.items() if v not in shown]
    if hidden:
        assert min(shown.values()) >= max(hidden), where


def check_quality(row, oracle, m, classification, where):
    pairs = [(p, l) for p, l, keep in zip(oracle.column["prediction"], oracle.column["label"], m)
             if keep and l is not None and p is not None]
    assert row["labelled_rows"] == len(pairs), where
    if not pairs:
        for name in ("accuracy_score", "mean_squared_error", "r2_score"):
            assert row[name] is None, where
        return
    y_pred = np.array([p for p, _ in pairs])
    y_true = np.array([l for _, l in pairs])
    if classification:
        assert close(row["accuracy_score"], skm.accuracy_score(y_true, y_pred)), where
        labels = sorted(set(y_true) | set(y_pred))
        for name, function in (("precision", skm.precision_score), ("recall", skm.recall_score),
                               ("f1_score", skm.f1_score)):
            for average in ("macro", "weighted"):
                expected = function(y_true, y_pred, labels=labels, average=average, zero_division=0)
                assert close(row[name][average], expected), f"{where}: {name} {average}"
        matrix = skm.confusion_matrix(y_true, y_pred, labels=labels)
        cells = {(c["label"], c["prediction"]): c["count"] for c in row["confusion_matrix"]}
        assert cells == {(str(t), str(p)): int(matrix[i][j]) for i, t in enumerate(labels)
                         for j, p in enumerate(labels)}, where
        assert row["mean_squared_error"] is None, where
    else:
        assert close(row["mean_squared_error"], skm.mean_squared_error(y_true, y_pred)), where
        assert close(row["root_mean_squared_error"], skm.root_mean_squared_error(y_true, y_pred)), where
        assert close(row["mean_absolute_error"], skm.mean_absolute_error(y_true, y_pred)), where
        assert close(row["mean_absolute_percentage_error"],
                     skm.mean_absolute_percentage_error(y_true, y_pred)), where
        if len(pairs) >= 2:
            assert close(row["r2_score"], skm.r2_score(y_true, y_pred), abs_tol=1e-9), where
        else:
            assert row["r2_score"] is None, where
        assert close(row["mean_prediction"], float(np.mean(y_pred))), where
        assert close(row["mean_label"], float(np.mean(y_true))), where
        assert row["accuracy_score"] is None, where


def check_categorical_drift(row, reference, current, where):
    """chi-squared on every category either side has; tv/l_infinity/js on the reference's categories plus one
    bin for categories the reference never saw (docs/statistics.md)."""
    r = Counter(v for v in reference if v is not None)
    c = Counter(v for v in current if v is not None)
    if not r or not c:
        return
    categories = sorted(set(r) | set(c))
    table = np.array([[r[k] for k in categories], [c[k] for k in categories]])
    if len(categories) == 1:
        statistic, pvalue = 0.0, 1.0
    else:
        statistic, pvalue, _, _ = sps.chi2_contingency(table, correction=False)
    assert close(row["chi_squared_test"]["statistic"], statistic, abs_tol=1e-9), where
    assert close(row["chi_squared_test"]["pvalue"], pvalue, abs_tol=1e-12), where
    # The reference's 100 most frequent categories (max_category_bins), the others in one bin, then the unseen.
    bins = sorted(r, key=lambda k: (-r[k], k.encode()))[:MAX_CATEGORY_BINS]
    kept = set(bins)
    rv = np.array([r[k] for k in bins] + [sum(n for k, n in r.items() if k not in kept), 0], dtype=float)
    cv = np.array([c[k] for k in bins] + [sum(n for k, n in c.items() if k in r and k not in kept),
                                          sum(n for k, n in c.items() if k not in r)], dtype=float)
    rv /= rv.sum()
    cv /= cv.sum()
    assert close(row["tv_distance"], 0.5 * np.abs(rv - cv).sum(), abs_tol=1e-12), where
    assert close(row["l_infinity_distance"], np.abs(rv - cv).max(), abs_tol=1e-12), where
    assert close(row["js_distance"], jensenshannon(rv, cv, base=2), rel=1e-9, abs_tol=1e-9), where


def check_numeric_drift(row, reference, current, bound, where):
    r = np.array([v for v in reference if v is not None and not math.isnan(v)], dtype=float)
    c = np.array([v for v in current if v is not None and not math.isnan(v)], dtype=float)
    if len(r) == 0 or len(c) == 0:
        return
    statistic = sps.ks_2samp(r, c, method="asymp").statistic  # the statistic; its p-value aside
    assert row["ks_test"] is not None, where
    assert abs(row["ks_test"]["statistic"] - statistic) <= bound + 1e-12, \
        f"{where}: KS {row['ks_test']['statistic']} vs scipy {statistic} (bound {bound})"


CONFIGS = [
    # seed, granularities, slicing, classification, regions
    (1, ["1 day", "1 week"], ["region", "price > 100"], False, 3),
    (2, ["1 hour"], ["price > 100"], True, 3),
    (3, ["1 week", "1 month"], [], False, 3),
    (4, ["1 day", "1 month"], ["region"], True, 4),
    (5, ["1 hour", "1 day"], ["price > 100", "region"], False, 2),
    (6, ["1 day"], ["region", "promo", "price > 100"], True, 3),  # every row in one cell of three expressions
]


def run_oracle(tmp_path, seed, granularities, slicing, classification, regions, n=420, null_timestamps=5,
               timestamps=None):
    rng = np.random.default_rng(seed)
    region_values = tuple(f"r{i}" for i in range(regions)) if isinstance(regions, int) else regions
    if timestamps is None:
        timestamps = random_timestamps(rng, granularities, n, null_timestamps)
    table = random_log(rng, timestamps, classification, regions=region_values)
    train = random_log(np.random.default_rng(seed + 100), [None] * 300, classification, regions=region_values)
    write_deltalake(str(tmp_path / "log"), table)
    write_deltalake(str(tmp_path / "train"), baseline_of(train))
    config = write_config(tmp_path, tmp_path / "log", tmp_path / "train", granularities, slicing, classification)
    summary = run_monitor(config)
    assert summary["state"] == "SUCCESS"
    assert summary["null_timestamp_rows"] == null_timestamps
    assert summary["rows_read"] == n

    oracle = Oracle(table, granularities, slicing)
    baseline = baseline_of(train).to_pydict()
    profile = read_rows(output_table(tmp_path, "profile_metrics"))
    drift = read_rows(output_table(tmp_path, "drift_metrics"))
    keyed(profile, PROFILE_KEY)
    keyed(drift, DRIFT_KEY)

    # ---- profile_metrics, INPUT rows
    inputs = [r for r in profile if r["log_type"] == "INPUT"]
    groups = {(r["granularity"], r["window_start"], r["slice_key"], r["slice_value"], r["model_version"])
              for r in inputs}
    assert groups == oracle.expected_groups()
    columns = ["region", "price", "qty", "promo", "prediction", "label"]
    data_types = {"region": "string", "promo": "string", "price": "double", "qty": "long",
                  "prediction": "long" if classification else "double",
                  "label": "long" if classification else "double"}
    for row in inputs:
        g, start = row["granularity"], row["window_start"]
        assert row["window_end"] == window_after(start, g), row
        assert start == window_start(start, g)
        where = f"{g} {start} {row['slice_key']}={row['slice_value']} model {row['model_version']} " \
                f"{row['column_name']}"
        m = oracle.mask(g, start, row["slice_key"], row["slice_value"], row["model_version"])
        assert row["count"] == int(m.sum()), where
        if row["column_name"] == ":table":
            assert sorted(row["non_null_columns"]) == sorted(
                c for c in columns if any(v is not None for v in values_of(oracle, c, m))), where
            check_quality(row, oracle, m, classification, where)
            continue
        assert row["data_type"] == data_types[row["column_name"]], where
        values = values_of(oracle, row["column_name"], m)
        assert close(row["percent_null"], 100.0 * sum(v is None for v in values) / len(values)), where
        if row["column_name"] in ("region", "promo"):
            check_categorical(row, values, where)
        elif classification and row["column_name"] in ("prediction", "label"):
            pass  # integer classes: profiled as numbers
        else:
            check_numeric(row, values, where)
    for g in granularities:
        per_window = {r["column_name"] for r in inputs if r["granularity"] == g}
        assert per_window == set(columns) | {":table"}

    # ---- BASELINE profile rows: the training set, per slice
    bounds = {}
    for row in profile:
        if row["log_type"] == "BASELINE":
            assert row["window_start"] is None and row["granularity"] is None
            bounds[(row["slice_key"], row["slice_value"], row["column_name"])] = row["sketch_bound"]
    for row in inputs:
        bounds[(row["granularity"], row["window_start"], row["slice_key"], row["slice_value"],
                row["model_version"], row["column_name"])] = row["sketch_bound"]

    def baseline_values(slice_key, slice_value, column):
        if slice_key is None:
            return baseline[column]
        if slice_key in ("region", "promo"):
            return [v for v, s in zip(baseline[column], baseline[slice_key]) if s == slice_value]
        return [v for v, p in zip(baseline[column], baseline["price"])
                if ("true" if (p is not None and not math.isnan(p) and p > 100) else "false") == slice_value]

    # ---- drift_metrics
    baseline_rows = [r for r in drift if r["drift_type"] == "BASELINE"]
    consecutive = [r for r in drift if r["drift_type"] == "CONSECUTIVE"]
    assert baseline_rows and len(baseline_rows) + len(consecutive) == len(drift)
    for row in baseline_rows:
        assert row["window_cmp_start"] is None
        if row["column_name"] == ":table":
            continue
        g, start, key, value, model, column = (row["granularity"], row["window_start"], row["slice_key"],
                                               row["slice_value"], row["model_version"], row["column_name"])
        where = f"BASELINE {g} {start} {key}={value} model {model} {column}"
        assert row["data_type"] == data_types[column], where
        current = values_of(oracle, column, oracle.mask(g, start, key, value, model))
        reference = baseline_values(key, value, column)
        assert close(row["count_delta"], float(len(current) - len(reference))), where
        if column in ("region", "promo"):
            check_categorical_drift(row, reference, current, where)
        elif not (classification and column in ("prediction", "label")):
            bound = (bounds.get((key, value, column)) or 0) + (bounds[(g, start, key, value, model, column)] or 0)
            check_numeric_drift(row, reference, current, bound, where)
    # The baseline is profiled as a whole (slice_key NULL) and per slice value of the training set.
    baseline_slices = {(r["slice_key"], r["slice_value"]) for r in profile if r["log_type"] == "BASELINE"}
    expected_slices = {(None, None)}
    for key in slicing:
        expected_slices |= {(key, v) for v in baseline_values(None, None, key)} if key in ("region", "promo") else \
            {(key, "true"), (key, "false")}
    assert baseline_slices == expected_slices
    for row in profile:
        if row["log_type"] == "BASELINE":
            values = baseline_values(row["slice_key"], row["slice_value"], row["column_name"]) \
                if row["column_name"] != ":table" else baseline_values(row["slice_key"], row["slice_value"], "promo")
            assert row["count"] == len(values), row
            assert row["model_version"] == "*"
    # Every group with a baseline slice has BASELINE rows; __other__ has no baseline counterpart.
    assert {(r["granularity"], r["window_start"], r["slice_key"], r["slice_value"], r["model_version"])
            for r in baseline_rows} == {grp for grp in groups if (grp[2], grp[3]) in baseline_slices}
    # CONSECUTIVE: the same group in the window before, when it holds rows.
    expected_consecutive = {grp for grp in groups
                            if (grp[0], window_before(grp[1], grp[0]), grp[2], grp[3], grp[4]) in groups}
    assert {(r["granularity"], r["window_start"], r["slice_key"], r["slice_value"], r["model_version"])
            for r in consecutive} == expected_consecutive
    for row in consecutive:
        g, start = row["granularity"], row["window_start"]
        assert row["window_cmp_start"] == window_before(start, g) and row["window_cmp_end"] == start, row
        if row["column_name"] not in ("region", "promo"):
            continue
        where = f"CONSECUTIVE {g} {start} {row['slice_key']}={row['slice_value']} {row['column_name']}"
        current = values_of(oracle, row["column_name"],
                            oracle.mask(g, start, row["slice_key"], row["slice_value"], row["model_version"]))
        previous = values_of(oracle, row["column_name"],
                             oracle.mask(g, row["window_cmp_start"], row["slice_key"], row["slice_value"],
                                         row["model_version"]))
        check_categorical_drift(row, previous, current, where)

    # ---- the :table drift rows: the row counts compared, and the dataset verdict of the group's columns (the
    # share of the decided columns that drifted, against the default drift_share 0.5).
    group_of = lambda r: (r["drift_type"], r["granularity"], r["window_start"], r["slice_key"], r["slice_value"],
                          r["model_version"])
    verdicts = {group_of(r): r for r in drift if r["column_name"] == ":table"}
    assert set(verdicts) == {group_of(r) for r in drift}
    for group, row in verdicts.items():
        drift_type, g, start, key, value, model = group
        where = f"{drift_type} {g} {start} {key}={value} model {model} :table"
        current = int(oracle.mask(g, start, key, value, model).sum())
        if drift_type == "BASELINE":
            reference = len(baseline_values(key, value, "promo"))
        else:
            reference = int(oracle.mask(g, row["window_cmp_start"], key, value, model).sum())
        assert close(row["count_delta"], float(current - reference)), where
        tested = [r for r in drift if group_of(r) == group and r["column_name"] != ":table"
                  and r["drifted"] is not None]  # a test, or the null-rate change, decided it
        if not tested:
            assert row["dataset_drift"] is None, where
            continue
        share = sum(r["drifted"] for r in tested) / len(tested)
        assert close(row["share_of_drifted_columns"], share), where
        assert row["dataset_drift"] == (share >= 0.5), where
    return oracle, profile, drift


@pytest.mark.parametrize("seed,granularities,slicing,classification,regions", CONFIGS,
                         ids=[f"seed{c[0]}" for c in CONFIGS])
def test_metric_rows_equal_the_oracle(tmp_path, seed, granularities, slicing, classification, regions):
    run_oracle(tmp_path, seed, granularities, slicing, classification, regions)


def test_more_than_100_slice_values_fold_into_other(tmp_path):
    """130 region values with distinct counts at the cut: the top 100 by count in each window keep their slice,
    the rest are one __other__ slice; the whole table and model '*' still hold every row."""
    regions = []
    for i in range(130):
        regions += [f"v{i:03d}"] * (1 + i // 10)
    rng = np.random.default_rng(8)
    n = len(regions)
    # Most rows in February (130 values), a few in March (fewer than 100 values, no __other__).
    timestamps = [datetime.datetime(2024, 2 if i < n - 40 else 3, 1, tzinfo=UTC)
                  + datetime.timedelta(seconds=int(rng.integers(0, 28 * 86400))) for i in range(n)]
    oracle, profile, _ = run_oracle(tmp_path, 7, ["1 month"], ["region"], False, tuple(regions), n=n,
                                    null_timestamps=0, timestamps=timestamps)
    tables = [r for r in profile if r["log_type"] == "INPUT" and r["column_name"] == ":table"
              and r["model_version"] == "*"]
    per_window = {}
    for r in tables:
        per_window.setdefault(r["window_start"], []).append(r)
    assert [any(r["slice_value"] == "__other__" for r in rows) for _, rows in sorted(per_window.items())] == \
        [True, False]
    for start, rows in per_window.items():
        named = [r for r in rows if r["slice_key"] == "region" and r["slice_value"] not in (None, "__other__")]
        assert len(named) <= TOP_SLICE_VALUES
        whole = [r for r in rows if r["slice_key"] is None]
        assert len(whole) == 1
        assert whole[0]["count"] == sum(r["count"] for r in rows if r["slice_key"] == "region")


def test_many_slice_combinations_profile_each_expression_apart(tmp_path):
    """130 region values by 3 promo values occur in more combinations than twice the values of both expressions
    together: rows are then profiled once per expression instead of once per combination (docs/monitoring.md).
    The metric rows are the same either way."""
    regions = []
    for i in range(130):
        regions += [f"v{i:03d}"] * (3 + i // 10)
    rng = np.random.default_rng(9)
    n = len(regions)
    timestamps = [datetime.datetime(2024, 2, 1, tzinfo=UTC) + datetime.timedelta(seconds=int(rng.integers(0, 86400)))
                  for _ in range(n)]
    oracle, profile, _ = run_oracle(tmp_path, 11, ["1 day"], ["region", "promo"], False, tuple(regions), n=n,
                                    null_timestamps=0, timestamps=timestamps)
    combinations = {(r, p) for r, p in zip(oracle.column["region"], oracle.column["promo"])}
    values = len(set(oracle.column["region"])) + len(set(oracle.column["promo"]))
    # The case this test is for (the refresh counts a null slot for each expression besides its values).
    assert len(combinations) > max(64, 2 * (values + 2)), (len(combinations), values)
    promo = [r for r in profile if r["log_type"] == "INPUT" and r["column_name"] == ":table"
             and r["slice_key"] == "promo" and r["model_version"] == "*"]
    assert sorted((r["slice_value"], r["count"]) for r in promo) == sorted(Counter(oracle.column["promo"]).items())
