"""`driftgov quality` against scikit-learn: every metric of many random inference logs, computed independently by
sklearn.metrics on the same rows (null labels and null predictions dropped), to a relative 1e-12 where driftgov
is exact; binned ROC AUC within the bound driftgov states."""
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn import metrics as skm

from conftest import run_driftgov

REL = 1e-12


def quality(path, *extra):
    result = run_driftgov("quality", path, "--prediction-col", "prediction", "--label-col", "label", "--json", "-",
                          *extra)
    return json.loads(result.stdout)


def write(tmp_path, name, columns):
    path = tmp_path / f"{name}.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def close(actual, expected):
    assert actual == pytest.approx(expected, rel=REL, abs=1e-300), (actual, expected)


def check_classification(result, y_true, y_pred, proba=None):
    """Compares driftgov's result with sklearn on the labelled rows (y_true, y_pred, proba already filtered)."""
    classes = np.unique(np.concatenate([y_true, y_pred]))
    assert result["labelled_rows"] == len(y_true)
    close(result["accuracy_score"], skm.accuracy_score(y_true, y_pred))
    for field, function in (("precision", skm.precision_score), ("recall", skm.recall_score),
                            ("f1_score", skm.f1_score)):
        for average in ("macro", "weighted"):
            close(result[field][average], function(y_true, y_pred, average=average, zero_division=0))
    assert result["confusion_matrix"]["classes"] == [str(c) for c in classes]
    assert result["confusion_matrix"]["counts"] == skm.confusion_matrix(y_true, y_pred, labels=classes).tolist()
    if proba is None or len(classes) != 2:
        assert result["roc_auc"] is None and result["log_loss"] is None
        return
    close(result["log_loss"], skm.log_loss(y_true, proba, labels=classes))
    if len(np.unique(y_true)) == 2:
        close(result["roc_auc"], skm.roc_auc_score(y_true == classes[1], proba))
        assert result["roc_auc_bound"] is None
    else:
        assert result["roc_auc"] is None  # one class among the labels: undefined (sklearn raises)


def random_log(rng, n, classes, null_share=0.0, decimals=None):
    y_true = rng.choice(classes, n)
    # Predictions right about 70% of the time, so every metric is away from 0 and 1.
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.choice(classes, n))
    proba = rng.random(n)
    if decimals is not None:
        proba = np.round(proba, decimals)  # ties
    labelled = rng.random(n) >= null_share
    return y_true, y_pred, proba, labelled


@pytest.mark.parametrize("seed", range(12))
def test_binary_int_labels(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 3000))
    y_true, y_pred, proba, labelled = random_log(rng, n, [0, 1], null_share=0.1 * (seed % 3))
    # The probability leans toward the truth, so ROC AUC is not 0.5.
    proba = np.clip(proba * 0.6 + 0.4 * y_true, 0, 1)
    label = pa.array(y_true, mask=~labelled, type=pa.int64())
    path = write(tmp_path, "log", {"prediction": pa.array(y_pred, type=pa.int32()), "label": label, "p": proba})
    result = quality(path, "--problem-type", "classification", "--proba-col", "p")
    check_classification(result, y_true[labelled], y_pred[labelled], proba[labelled])


@pytest.mark.parametrize("seed", range(8))
def test_multiclass_and_string_labels(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(10, 2000))
    classes = ["cat", "dog", "émeu", "Zebra", "ant"][: 2 + seed % 4] if seed % 2 else list(range(-2, 1 + seed % 5))
    y_true, y_pred, proba, labelled = random_log(rng, n, classes, null_share=0.05)
    label = pa.array(y_true.tolist(), mask=~labelled)
    path = write(tmp_path, "log", {"prediction": pa.array(y_pred.tolist()), "label": label, "p": proba})
    result = quality(path, "--problem-type", "classification", "--proba-col", "p")
    check_classification(result, y_true[labelled], y_pred[labelled], proba[labelled])


def test_null_predictions_are_left_out(tmp_path):
    rng = np.random.default_rng(7)
    y_true, y_pred, proba, labelled = random_log(rng, 500, ["no", "yes"])
    predicted = rng.random(500) >= 0.2
    path = write(tmp_path, "log", {"prediction": pa.array(y_pred.tolist(), mask=~predicted),
                                   "label": pa.array(y_true.tolist(), mask=~labelled), "p": proba})
    keep = labelled & predicted
    check_classification(quality(path, "--problem-type", "classification", "--proba-col", "p"), y_true[keep],
                         y_pred[keep], proba[keep])


def test_perfect_predictions(tmp_path):
    y = np.array([0, 1, 1, 0, 1, 1, 0])
    proba = np.where(y == 1, 0.8, 0.3)
    path = write(tmp_path, "log", {"prediction": y, "label": y, "p": proba})
    result = quality(path, "--problem-type", "classification", "--proba-col", "p")
    check_classification(result, y, y, proba)
    assert result["accuracy_score"] == 1.0 and result["f1_score"]["macro"] == 1.0 and result["roc_auc"] == 1.0


def test_single_class(tmp_path):
    y = np.array(["a"] * 20)
    path = write(tmp_path, "log", {"prediction": y, "label": y, "p": np.full(20, 0.5)})
    result = quality(path, "--problem-type", "classification", "--proba-col", "p")
    check_classification(result, y, y)  # one class: no binary problem, so no ROC AUC and no log loss
    assert result["confusion_matrix"] == {"classes": ["a"], "counts": [[20]]}


def test_one_label_class_two_predicted_classes(tmp_path):
    y_true = np.array([1] * 6)
    y_pred = np.array([1, 0, 1, 1, 0, 1])
    proba = np.array([0.9, 0.2, 0.7, 0.6, 0.4, 1.0])
    path = write(tmp_path, "log", {"prediction": y_pred, "label": y_true, "p": proba})
    result = quality(path, "--problem-type", "classification", "--proba-col", "p")
    check_classification(result, y_true, y_pred, proba)


def test_float_predictions_and_int_labels_are_one_class(tmp_path):
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = np.array([0.0, 1.0, 0.0, 0.0, 1.0])
    path = write(tmp_path, "log", {"prediction": y_pred, "label": y_true})
    result = quality(path, "--problem-type", "classification")
    check_classification(result, y_true, y_pred.astype(np.int64))
    close(result["accuracy_score"], skm.accuracy_score(y_true, y_pred))


@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_ties_in_probabilities(tmp_path, decimals):
    rng = np.random.default_rng(decimals)
    y_true, y_pred, proba, _ = random_log(rng, 4000, [3, 8], decimals=decimals)
    proba = np.clip(np.round(proba * 0.7 + 0.3 * (y_true == 8), decimals), 0, 1)
    path = write(tmp_path, "log", {"prediction": y_pred, "label": y_true, "p": proba})
    check_classification(quality(path, "--problem-type", "classification", "--proba-col", "p"), y_true, y_pred, proba)


def test_log_loss_clips_probabilities_zero_and_one(tmp_path):
    # Confidently wrong rows: without clipping the loss would be infinite.
    y_true = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    proba = np.array([1.0, 0.0, 0.0, 1.0, 1e-300, 1 - 1e-17, 0.5, 2e-16])
    path = write(tmp_path, "log", {"prediction": (proba > 0.5).astype(int), "label": y_true, "p": proba})
    result = quality(path, "--problem-type", "classification", "--proba-col", "p")
    check_classification(result, y_true, (proba > 0.5).astype(int), proba)
    assert np.isfinite(result["log_loss"]) and result["log_loss"] > 10


@pytest.mark.parametrize("rows,bins", [(200_000, 1000), (300_000, None)])
def test_binned_roc_auc_within_its_bound(tmp_path, rows, bins):
    rng = np.random.default_rng(rows)
    y_true = rng.integers(0, 2, rows)
    proba = 1 / (1 + np.exp(-(rng.normal(size=rows) + 0.8 * y_true)))  # distinct scores: more than the bins
    path = write(tmp_path, "log", {"prediction": (proba > 0.5).astype(int), "label": y_true, "p": proba})
    extra = ["--max-score-bins", str(bins)] if bins else []
    result = quality(path, "--problem-type", "classification", "--proba-col", "p", *extra)
    expected = skm.roc_auc_score(y_true, proba)
    bound = result["roc_auc_bound"]
    assert bound is not None and 0 < bound < (1e-3 if bins else 1e-4)
    assert abs(result["roc_auc"] - expected) <= bound
    # Log loss does not depend on the bins.
    assert result["log_loss"] == pytest.approx(skm.log_loss(y_true, proba), rel=1e-11)


def check_regression(result, y_true, y_pred):
    assert result["labelled_rows"] == len(y_true)
    close(result["mean_squared_error"], skm.mean_squared_error(y_true, y_pred))
    close(result["root_mean_squared_error"], skm.root_mean_squared_error(y_true, y_pred))
    close(result["mean_absolute_error"], skm.mean_absolute_error(y_true, y_pred))
    close(result["mean_absolute_percentage_error"], skm.mean_absolute_percentage_error(y_true, y_pred))
    close(result["r2_score"], skm.r2_score(y_true, y_pred))
    close(result["mean_prediction"], np.mean(y_pred))
    close(result["mean_label"], np.mean(y_true))
    assert result["accuracy_score"] is None and result["confusion_matrix"] is None


@pytest.mark.parametrize("seed", range(12))
def test_regression(tmp_path, seed):
    rng = np.random.default_rng(500 + seed)
    n = int(rng.integers(2, 5000))
    y_true = rng.normal(10 ** (seed % 4), 3, n)
    if seed % 3 == 0:
        y_true[rng.random(n) < 0.1] = 0.0  # zeros: MAPE divides by machine epsilon
    y_pred = y_true + rng.normal(0, 1.5, n)
    labelled = rng.random(n) >= 0.1 * (seed % 2)
    labelled[:2] = True
    path = write(tmp_path, "log", {"prediction": y_pred, "label": pa.array(y_true, mask=~labelled)})
    check_regression(quality(path, "--problem-type", "regression"), y_true[labelled], y_pred[labelled])


def test_regression_int_columns_from_csv(tmp_path):
    rng = np.random.default_rng(3)
    y_true = rng.integers(-50, 50, 1000)
    y_pred = y_true + rng.integers(-5, 6, 1000)
    path = tmp_path / "log.csv"
    path.write_text("prediction,label\n" + "".join(f"{p},{t}\n" for p, t in zip(y_pred, y_true)))
    check_regression(quality(path, "--problem-type", "regression"), y_true, y_pred)


@pytest.mark.parametrize("exact", [True, False])
def test_constant_label_regression(tmp_path, exact):
    y_true = np.full(50, 7.0)
    y_pred = y_true.copy() if exact else y_true + np.linspace(-1, 1, 50)
    path = write(tmp_path, "log", {"prediction": y_pred, "label": y_true})
    result = quality(path, "--problem-type", "regression")
    check_regression(result, y_true, y_pred)
    assert result["r2_score"] == (1.0 if exact else 0.0)


def test_delta_source(tmp_path):
    deltalake = pytest.importorskip("deltalake")
    rng = np.random.default_rng(11)
    y_true, y_pred, proba, _ = random_log(rng, 800, ["n", "p"])
    table = tmp_path / "log"
    deltalake.write_deltalake(str(table), pa.table({"prediction": y_pred.tolist(), "label": y_true.tolist(),
                                                    "p": proba}))
    check_classification(quality(table, "--problem-type", "classification", "--proba-col", "p"), y_true, y_pred,
                         proba)


def test_bad_input_names_row_and_column(tmp_path):
    path = write(tmp_path, "log", {"prediction": [1, 0, 1], "label": [1, 1, 0], "p": [0.2, 1.5, 0.3],
                                   "name": ["a", "b", "c"]})
    result = run_driftgov("quality", path, "--prediction-col", "prediction", "--label-col", "label", "--proba-col",
                          "p", "--problem-type", "classification", check=False)
    assert result.returncode == 2 and "row 2" in result.stderr and "probability" in result.stderr, result.stderr
    result = run_driftgov("quality", path, "--prediction-col", "name", "--label-col", "label", "--problem-type",
                          "regression", check=False)
    assert result.returncode == 2 and "prediction column is string" in result.stderr, result.stderr
    result = run_driftgov("quality", path, "--prediction-col", "missing", "--label-col", "label", "--problem-type",
                          "regression", check=False)
    assert result.returncode == 2 and "missing" in result.stderr, result.stderr
    result = run_driftgov("quality", path, "--prediction-col", "prediction", "--label-col", "label",
                          "--problem-type", "ranking", check=False)
    assert result.returncode == 2 and "ranking" in result.stderr, result.stderr


def test_a_missing_probability_leaves_roc_auc_and_log_loss_null(tmp_path):
    y = np.array([0, 1, 1, 0, 1])
    proba = pa.array([0.1, 0.9, None, 0.2, 0.7])
    path = write(tmp_path, "log", {"prediction": y, "label": y, "p": proba})
    result = quality(path, "--problem-type", "classification", "--proba-col", "p")
    check_classification(result, y, y)  # accuracy etc. over every row; no probability-based metric


def test_regression_of_one_row_has_no_r2(tmp_path):
    path = write(tmp_path, "log", {"prediction": [2.5], "label": [1.0]})
    result = quality(path, "--problem-type", "regression")
    assert np.isnan(skm.r2_score([1.0], [2.5]))  # scikit-learn: not defined for one sample
    assert result["r2_score"] is None
    close(result["mean_squared_error"], skm.mean_squared_error([1.0], [2.5]))


def test_regression_of_decimal_columns(tmp_path):
    import decimal
    rng = np.random.default_rng(21)
    y_true = np.round(rng.normal(50, 20, 300), 2)
    y_pred = np.round(y_true + rng.normal(0, 3, 300), 2)
    as_decimal = lambda values: pa.array([decimal.Decimal(f"{v:.2f}") for v in values], type=pa.decimal128(10, 2))
    path = write(tmp_path, "log", {"prediction": as_decimal(y_pred), "label": as_decimal(y_true)})
    check_regression(quality(path, "--problem-type", "regression"), y_true, y_pred)


def test_string_probability_column_is_refused(tmp_path):
    path = write(tmp_path, "log", {"prediction": [1, 0], "label": [1, 0], "p": ["high", "low"]})
    result = run_driftgov("quality", path, "--prediction-col", "prediction", "--label-col", "label", "--proba-col",
                          "p", "--problem-type", "classification", check=False)
    assert result.returncode == 2 and "probability column is string" in result.stderr, result.stderr
