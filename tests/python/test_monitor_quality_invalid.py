"""Model quality in `driftgov monitor run` when a row holds an invalid value: a regression prediction or label that
is NaN or infinite, a probability that is NaN or outside [0, 1]. The refresh must not fail on one bad row: such
rows are left out of every quality metric and counted in `quality_invalid_rows` (docs/monitoring.md), and the
metrics of the remaining rows equal scikit-learn's. `driftgov quality` keeps refusing them, as scikit-learn does."""
import datetime
import math

import numpy as np
import pyarrow as pa
import pytest
from deltalake import write_deltalake
from sklearn import metrics as skm

from conftest import run_driftgov
from monitor_oracles import UTC, close, output_table, read_rows, run_monitor, write_config

DAY0 = datetime.datetime(2025, 3, 3, tzinfo=UTC)


def timestamps(rng, n, days):
    return [DAY0 + datetime.timedelta(days=int(d), seconds=int(s))
            for d, s in zip(rng.integers(0, days, n), rng.integers(0, 86400, n))]


def table_rows(folder):
    rows = read_rows(output_table(folder, "profile_metrics"))
    return {r["window_start"]: r for r in rows
            if r["log_type"] == "INPUT" and r["column_name"] == ":table" and r["slice_key"] is None
            and r["model_version"] == "*"}


def test_non_finite_regression_values_are_skipped_and_counted(tmp_path):
    rng = np.random.default_rng(11)
    n, days = 600, 3
    label = rng.normal(5, 2, n)
    prediction = label + rng.normal(0, 1, n)
    bad = rng.choice(n, size=40, replace=False)
    for i, position in enumerate(bad):
        value = [math.nan, math.inf, -math.inf][i % 3]
        if i % 2:
            label[position] = value
        else:
            prediction[position] = value
    ts = timestamps(rng, n, days)
    table = pa.table({"ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
                      "price": rng.normal(100, 10, n), "model_version": rng.choice(["v1", "v2"], n).tolist(),
                      "prediction": prediction, "label": label})
    write_deltalake(str(tmp_path / "log"), table)
    config = write_config(tmp_path, tmp_path / "log")
    summary = run_monitor(config)
    assert summary["state"] == "SUCCESS"

    rows = table_rows(tmp_path)
    day = np.array([(t - DAY0).days for t in ts])
    assert len(rows) == days
    for start, row in rows.items():
        m = day == (start - DAY0).days
        finite = m & np.isfinite(prediction) & np.isfinite(label)
        assert row["quality_invalid_rows"] == int(m.sum() - finite.sum()) > 0
        assert row["labelled_rows"] == int(finite.sum())
        y, p = label[finite], prediction[finite]
        assert close(row["mean_squared_error"], skm.mean_squared_error(y, p))
        assert close(row["mean_absolute_error"], skm.mean_absolute_error(y, p))
        assert close(row["mean_absolute_percentage_error"], skm.mean_absolute_percentage_error(y, p))
        assert close(row["r2_score"], skm.r2_score(y, p), abs_tol=1e-9)
        assert close(row["mean_prediction"], float(np.mean(p)))

    # The same values given to `driftgov quality` are refused, naming the row, as scikit-learn refuses NaN.
    write_deltalake(str(tmp_path / "flat"), table.drop_columns(["ts"]))
    refused = run_driftgov("quality", str(tmp_path / "flat"), "--prediction-col", "prediction", "--label-col", "label",
                           "--problem-type", "regression", check=False)
    assert refused.returncode == 2, refused.stderr
    assert "expected a finite number" in refused.stderr and "row " in refused.stderr


def test_invalid_probabilities_are_skipped_and_counted(tmp_path):
    rng = np.random.default_rng(12)
    n, days = 800, 2
    label = rng.integers(0, 2, n)
    proba = np.clip(0.3 + 0.4 * label + rng.normal(0, 0.2, n), 0, 1)
    prediction = (proba > 0.5).astype(np.int64)
    bad = rng.choice(n, size=30, replace=False)
    proba[bad[:10]] = np.nan
    proba[bad[10:20]] = 1.5
    proba[bad[20:]] = -0.25
    ts = timestamps(rng, n, days)
    table = pa.table({"ts": pa.array(ts, pa.timestamp("us", tz="UTC")), "price": rng.normal(100, 10, n),
                      "model_version": ["v1"] * n, "prediction": prediction, "label": label, "proba": proba})
    write_deltalake(str(tmp_path / "log"), table)
    config = write_config(tmp_path, tmp_path / "log", classification=True,
                          extra="    prediction_proba_col: proba\n")
    assert run_monitor(config)["state"] == "SUCCESS"

    rows = table_rows(tmp_path)
    day = np.array([(t - DAY0).days for t in ts])
    assert len(rows) == days
    for start, row in rows.items():
        m = day == (start - DAY0).days
        valid = m & (proba >= 0) & (proba <= 1)
        assert row["quality_invalid_rows"] == int(m.sum() - valid.sum()) > 0
        assert row["labelled_rows"] == int(valid.sum())
        y, p, score = label[valid], prediction[valid], proba[valid]
        assert close(row["accuracy_score"], skm.accuracy_score(y, p))
        assert close(row["roc_auc"], skm.roc_auc_score(y, score))
        assert close(row["log_loss"], skm.log_loss(y, score), rel=1e-12)
        assert close(row["f1_score"]["macro"], skm.f1_score(y, p, average="macro"))


@pytest.mark.parametrize("metric, expected", [("r2_scor", "r2_score"), ("population_stability", "population_stability_index"), ("throughput", None)])
def test_unknown_breach_metric_is_refused(tmp_path, metric, expected):
    rng = np.random.default_rng(13)
    n = 50
    table = pa.table({"ts": pa.array(timestamps(rng, n, 1), pa.timestamp("us", tz="UTC")),
                      "price": rng.normal(100, 10, n), "model_version": ["v1"] * n,
                      "prediction": rng.normal(0, 1, n), "label": rng.normal(0, 1, n)})
    write_deltalake(str(tmp_path / "log"), table)
    config = write_config(tmp_path, tmp_path / "log",
                          extra=f"    breach:\n      - {{metric: {metric}, op: '<', value: 0.5}}\n")
    result = run_driftgov("validate", "--config", str(config), check=False)
    assert result.returncode == 2, result.stderr
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if metric in text)
    assert f"driftgov.yaml:{line}:" in result.stderr
    assert f"expected a metric a breach rule can name" in result.stderr and f"'{metric}'" in result.stderr
    if expected:
        assert f"did you mean '{expected}'?" in result.stderr
    else:
        assert "did you mean" not in result.stderr
