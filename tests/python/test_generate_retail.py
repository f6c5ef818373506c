"""The retail inference-log generator (scripts/generate_retail.py) keeps its promises, checked independently:
determinism (one call or several, same bytes of data), drift only in the west slice from day 40 and only in price
and promo (scipy's two-sample tests between days), labels null only in the late days and filled by --label-fill,
and predictions that come from the saved XGBoost models (a numpy walk of the trees in the models' JSON, not the
library) and predict the label well. Also the ctypes binding itself: save/load round trips and its errors."""
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "generate_retail.py"
sys.path.insert(0, str(ROOT / "python"))
from driftgov_tools import xgb  # noqa: E402

ROWS_PER_DAY = 1500
TRAIN_ROWS = 6000
SEED = 11


def load_generator():
    spec = importlib.util.spec_from_file_location("generate_retail", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = load_generator()


def generate(out_dir, *args, seed=SEED):
    command = [sys.executable, str(SCRIPT), "--out-dir", str(out_dir), "--seed", str(seed),
               "--rows-per-day", str(ROWS_PER_DAY), "--train-rows", str(TRAIN_ROWS), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def read(path) -> pd.DataFrame:
    frame = pq.read_table(path).to_pandas()
    frame["day"] = (frame["ts"] - pd.Timestamp(GEN.START)).dt.days
    return frame


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    out = tmp_path_factory.mktemp("retail")
    result = generate(out, "--one-file")
    assert result.returncode == 0, result.stderr
    return out, read(out / "inference_log" / "days=00-60.parquet")


def test_schema_and_size(full):
    _, log = full
    assert len(log) == 60 * ROWS_PER_DAY
    assert list(log.columns[:-1]) == GEN.SCHEMA.names
    assert len(GEN.FEATURES) == 20
    assert log["order_id"].is_unique
    assert (log["ts"].dt.minute == 0).all() and str(log["ts"].dt.tz) == "UTC"
    assert sorted(log["day"].unique()) == list(range(60))
    assert set(log["region"]) == {"north", "south", "east", "west", "central"}
    for column, rate in {"discount": 0.03, "competitor_price": 0.05, "customer_rating": 0.08}.items():
        assert abs(log[column].isna().mean() - rate) < 0.01, column
    assert log["price"].notna().all() and log["prediction"].notna().all()


def test_model_versions_canary(full):
    _, log = full
    assert set(log.loc[log["day"] < 30, "model_version"]) == {"v1"}
    share = (log.loc[log["day"] >= 30, "model_version"] == "v2").mean()
    assert 0.25 < share < 0.35


def test_deterministic_across_calls_and_ranges(full, tmp_path):
    out, log = full
    assert generate(tmp_path, "--days", "38:42").returncode == 0
    for day in range(38, 42):
        part = read(tmp_path / "inference_log" / f"day={day:02d}.parquet")
        expected = log[log["day"] == day].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
    again = pq.read_table(tmp_path / "training_set.parquet")
    assert again.equals(pq.read_table(out / "training_set.parquet"))
    assert (tmp_path / "model-v2.json").read_bytes() == (out / "model-v2.json").read_bytes()

    other = tmp_path / "other-seed"
    assert generate(other, "--days", "38:39", seed=SEED + 1).returncode == 0
    other_prices = read(other / "inference_log" / "day=38.parquet")["price"]
    assert not np.allclose(other_prices, log.loc[log["day"] == 38, "price"])


NUMERIC_UNDRIFTED = [name for name in GEN.NUMERIC if name != "price"]
CATEGORICAL_UNDRIFTED = ["loyalty_member", *GEN.CATEGORICAL]


def drift_pvalues(before: pd.DataFrame, after: pd.DataFrame) -> dict:
    """Two-sample KS p-value for each numeric feature, chi-squared test of homogeneity for the others."""
    pvalues = {}
    for name in GEN.NUMERIC:
        pvalues[name] = stats.ks_2samp(before[name].dropna(), after[name].dropna()).pvalue
    for name in ["promo", *CATEGORICAL_UNDRIFTED]:
        table = pd.crosstab(np.r_[np.zeros(len(before)), np.ones(len(after))],
                            pd.concat([before[name], after[name]]).fillna("<null>").astype(str).to_numpy())
        pvalues[name] = stats.chi2_contingency(table).pvalue
    return pvalues


def window(log, region_is_west: bool, first: int, last: int) -> pd.DataFrame:
    rows = (log["region"] == "west") == region_is_west
    return log[rows & log["day"].between(first, last)]


def test_drift_in_west_from_day_40_in_price_and_promo_only(full):
    _, log = full
    before, after = window(log, True, 30, 39), window(log, True, 40, 49)
    pvalues = drift_pvalues(before, after)
    assert pvalues["price"] < 1e-6 and pvalues["promo"] < 1e-6
    assert after["price"].median() / before["price"].median() == pytest.approx(1.25, rel=0.1)
    assert after["promo"].mean() / before["promo"].mean() == pytest.approx(2.0, rel=0.2)
    alpha = 1e-3 / len(pvalues)  # Bonferroni over the features
    quiet = {name: p for name, p in pvalues.items() if name not in ("price", "promo") and p < alpha}
    assert not quiet, f"features drifting in west at day 40 that should not: {quiet}"


@pytest.mark.parametrize("case", ["west before day 40", "other regions at day 40"])
def test_no_drift_elsewhere(full, case):
    _, log = full
    if case == "west before day 40":
        before, after = window(log, True, 10, 19), window(log, True, 30, 39)
    else:
        before, after = window(log, False, 30, 39), window(log, False, 40, 49)
    pvalues = drift_pvalues(before, after)
    drifting = {name: p for name, p in pvalues.items() if p < 1e-3 / len(pvalues)}
    assert not drifting, f"{case}: {drifting}"


def test_labels_null_only_in_the_last_three_days(full):
    _, log = full
    null_days = sorted(log.loc[log["label"].isna(), "day"].unique())
    assert null_days == [57, 58, 59]
    assert log.loc[log["day"] >= 57, "label"].isna().all()
    labelled = log.dropna(subset=["label"])
    assert (labelled["label"] >= 0).all() and (labelled["label"] == labelled["label"].round()).all()
    assert (labelled["label"] <= labelled["inventory"]).all()


def test_label_fill_emits_the_rows_whose_labels_arrived(full, tmp_path):
    out, log = full
    result = generate(tmp_path, "--label-fill", 62)
    assert result.returncode == 0, result.stderr
    updates = read(tmp_path / "label_updates" / "asof=62.parquet")
    assert sorted(updates["day"].unique()) == [57, 58]
    assert updates["label"].notna().all()
    original = log[log["day"].isin([57, 58])].reset_index(drop=True)
    pd.testing.assert_frame_equal(updates.drop(columns="label"), original.drop(columns="label"))
    # The predicate printed for --replace-where selects exactly those days.
    assert "ts >= TIMESTAMP '2026-11-03 00:00:00' AND ts < TIMESTAMP '2026-11-05 00:00:00'" in result.stdout
    assert updates["ts"].min() >= pd.Timestamp("2026-11-03", tz="UTC")
    assert updates["ts"].max() < pd.Timestamp("2026-11-05", tz="UTC")


def walk_trees(model_path, matrix: np.ndarray) -> np.ndarray:
    """The model's predictions computed from its JSON by walking every tree in numpy: at a split, a value below
    the threshold goes left, a missing one the default way; the sum of the leaves plus the base score."""
    model = json.loads(model_path.read_text())["learner"]
    base = np.float32(float(model["learner_model_param"]["base_score"]))
    total = np.zeros(len(matrix), dtype=np.float32)
    rows = np.arange(len(matrix))
    for tree in model["gradient_booster"]["model"]["trees"]:
        left = np.array(tree["left_children"])
        right = np.array(tree["right_children"])
        feature = np.array(tree["split_indices"])
        threshold = np.array(tree["split_conditions"], dtype=np.float32)
        default_left = np.array(tree["default_left"], dtype=bool)
        node = np.zeros(len(matrix), dtype=np.int64)
        while True:
            inner = left[node] != -1
            if not inner.any():
                break
            current = node[inner]
            value = matrix[rows[inner], feature[current]]
            go_left = np.where(np.isnan(value), default_left[current], value < threshold[current])
            node[inner] = np.where(go_left, left[current], right[current])
        total += threshold[node]  # a leaf's value is stored in split_conditions
    return total + base


def independent_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The models' input built from the Parquet columns: categories by their index in the published vocabulary."""
    columns = []
    for name in GEN.FEATURES:
        if name in GEN.CATEGORICAL:
            codes = pd.Categorical(frame[name], categories=GEN.CATEGORICAL[name]).codes.astype(np.float32)
            codes[codes < 0] = np.nan
            columns.append(codes)
        else:
            columns.append(frame[name].astype(np.float32).to_numpy())
    return np.column_stack(columns)


def test_predictions_come_from_the_saved_boosters(full):
    out, log = full
    sample = log[log["day"].isin([5, 35, 45, 55])]
    for version in ["v1", "v2"]:
        rows = sample[sample["model_version"] == version]
        assert len(rows) > 300
        expected = walk_trees(out / f"model-{version}.json", independent_matrix(rows))
        np.testing.assert_allclose(rows["prediction"].to_numpy(), expected, rtol=1e-5, atol=1e-4)
    training = read(out / "training_set.parquet")
    np.testing.assert_allclose(training["prediction"], walk_trees(out / "model-v1.json", independent_matrix(training)),
                               rtol=1e-5, atol=1e-4)


def r2(frame: pd.DataFrame) -> float:
    residual = ((frame["label"] - frame["prediction"]) ** 2).sum()
    return 1 - residual / ((frame["label"] - frame["label"].mean()) ** 2).sum()


def test_models_predict_well_until_the_drift_degrades_west(full):
    _, log = full
    labelled = log.dropna(subset=["label"])
    for version in ["v1", "v2"]:
        assert r2(labelled[(labelled["model_version"] == version) & (labelled["day"] < 40)]) > 0.6
    assert r2(window(labelled, True, 0, 39)) > 0.6
    assert r2(window(labelled, True, 40, 56)) < r2(window(labelled, True, 0, 39)) - 0.3
    assert r2(window(labelled, False, 40, 56)) > 0.6


@pytest.fixture(scope="module")
def small_booster():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(3000, 6)).astype(np.float32)
    features[rng.random(features.shape) < 0.05] = np.nan
    label = np.nan_to_num(features[:, 0]) * 2 + np.nan_to_num(features[:, 1]) ** 2 + rng.normal(0, 0.3, 3000)
    params = {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.2, "nthread": 1, "seed": 1}
    return xgb.Booster.train(features, label, params, 30), features, label


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_saved_and_loaded_booster_predicts_the_same(small_booster, tmp_path, suffix):
    booster, features, label = small_booster
    prediction = booster.predict(features)
    assert 1 - ((label - prediction) ** 2).sum() / ((label - label.mean()) ** 2).sum() > 0.8
    path = tmp_path / f"model{suffix}"
    booster.save(path)
    loaded = xgb.Booster.load(path)
    assert loaded.rounds == 30 and loaded.num_features == 6
    np.testing.assert_array_equal(loaded.predict(features), prediction)
    np.testing.assert_array_equal(xgb.Booster.from_bytes(booster.to_bytes("ubj")).predict(features), prediction)
    np.testing.assert_array_equal(booster.predict(features, chunk_rows=7), prediction)
    if suffix == ".json":
        np.testing.assert_allclose(walk_trees(path, features), prediction, rtol=1e-5, atol=1e-5)


def test_binding_errors_name_the_problem(small_booster, tmp_path):
    booster, features, label = small_booster
    with pytest.raises(ValueError, match="trained on 6 features, the matrix has 5 columns"):
        booster.predict(features[:, :5])
    with pytest.raises(ValueError, match="label has 1 missing values"):
        xgb.Booster.train(features, np.r_[label[:-1], np.nan], {}, 1)
    with pytest.raises(xgb.XGBoostError, match="round 0.*reg:nonexistent"):
        xgb.Booster.train(features, label, {"objective": "reg:nonexistent"}, 1)
    with pytest.raises(FileNotFoundError, match="missing.json"):
        xgb.Booster.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(xgb.XGBoostError, match="XGBoosterLoadModel"):
        xgb.Booster.load(bad)


@pytest.mark.parametrize("args, message", [
    (["--days", "5:3"], "--days 5:3: expected 0 <= A < B <= 60"),
    (["--days", "five"], "--days expects A:B"),
    (["--label-fill", "59"], "--label-fill 59 must be later than --as-of 60"),
])
def test_generator_refuses_bad_options(tmp_path, args, message):
    result = generate(tmp_path, *args)
    assert result.returncode != 0 and message in result.stderr
