"""The built-in trainer and the same-harness evaluation (docs/evaluation.md).

Oracles independent of driftgov: the PyPI `xgboost` package (trains models driftgov scores, scores and retrains
the models driftgov trains), scikit-learn's metrics, DeLong's test written here from the paper's formulas (the
structural components, by direct pair counting rather than midranks), a numpy bootstrap with another generator,
hashlib for the record digest and `cryptography` for its Ed25519 signature.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import xgboost as xgb
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from deltalake import write_deltalake
from scipy.stats import norm
from sklearn import metrics as skm

from conftest import driftgov_binary

EXIT_INPUT = 2
EXIT_AUDIT_INVALID = 7
EXIT_GATE_FAILED = 8
FEATURES = ["a", "b", "c"]


def run(*args, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
    environment.update(env or {})
    return subprocess.run([str(driftgov_binary()), *map(str, args)], capture_output=True, text=True,
                          env=environment, timeout=600)


def ok(*args, env=None):
    result = run(*args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def frame(seed, n=600, regression=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.integers(0, 5, n).astype(float)})
    signal = df.a + 0.5 * df.b - 0.2 * df.c + rng.normal(size=n) * 0.8
    df["y"] = (signal + 5.0) if regression else (signal > 0).astype(int)
    df["region"] = rng.choice(["east", "north", "south"], n)
    return df


def python_model(df, path, objective="binary:logistic", rounds=20, depth=3, seed=0):
    booster = xgb.train({"objective": objective, "max_depth": depth, "nthread": 1, "seed": seed},
                        matrix(df, label=True), rounds)
    booster.save_model(str(path))
    return booster


def matrix(df, label=False):
    return xgb.DMatrix(df[FEATURES].to_numpy(), label=df.y.to_numpy() if label else None, feature_names=FEATURES)


def python_predict(model_path, df):
    booster = xgb.Booster(model_file=str(model_path))
    return booster.predict(matrix(df)).astype(np.float64)


def driftgov_scores(model_path, table):
    lines = ok("model", "score", model_path, table).stdout.split()
    assert lines[0] == "prediction"
    return np.array([float(v) for v in lines[1:]])


def train_config(path, **fields):
    base = {"trainer": "xgboost", "label": "y", "features": FEATURES, "rounds": 15, "seed": 3,
            "params": {"max_depth": 3, "eta": 0.3}}
    base.update(fields)
    path.write_text(json.dumps(base))
    return path


def train(data, config, out):
    return json.loads(ok("model", "train", data, "--trainer-config", config, "--out", out, "--json").stdout)


def evaluate(*args, env=None, check=True):
    result = run("evaluate", *args, "--json", env=env)
    if check:
        assert result.returncode in (0, EXIT_GATE_FAILED), result.stdout + result.stderr
        return json.loads(result.stdout), result.returncode
    return result


@pytest.fixture
def classification(tmp_path, driftgov):
    train_df, holdout = frame(1), frame(2)
    train_df.to_csv(tmp_path / "train.csv", index=False)
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    python_model(train_df, tmp_path / "champion.json", rounds=8, depth=2)
    python_model(train_df, tmp_path / "challenger.ubj", rounds=30, depth=4)
    return tmp_path, holdout


# ------------------------------------------------------------------------------------------------- scoring

@pytest.mark.parametrize("file_name,objective", [("m.json", "binary:logistic"), ("m.ubj", "binary:logistic"),
                                                 ("m.json", "reg:squarederror"), ("m.ubj", "reg:absoluteerror")])
def test_models_trained_by_the_xgboost_package_score_identically(tmp_path, driftgov, file_name, objective):
    df = frame(5, regression=objective.startswith("reg:"))
    df.to_csv(tmp_path / "d.csv", index=False)
    booster = python_model(df, tmp_path / file_name, objective=objective)
    expected = booster.predict(matrix(df)).astype(np.float64)
    np.testing.assert_allclose(driftgov_scores(tmp_path / file_name, tmp_path / "d.csv"), expected, rtol=0, atol=1e-6)


def test_models_trained_by_driftgov_score_identically_in_the_xgboost_package(tmp_path, driftgov):
    df = frame(6)
    df.to_csv(tmp_path / "d.csv", index=False)
    for trainer, fmt in (("xgboost", "ubj"), ("random_forest", "json")):
        fields = {"trainer": trainer, "format": fmt}
        if trainer == "random_forest":
            fields.update(rounds=1, params={"max_depth": 4, "num_parallel_tree": 25})
        manifest = train(tmp_path / "d.csv", train_config(tmp_path / f"{trainer}.json", **fields), tmp_path / "m")
        path = manifest["artefact"]["path"]
        assert path.endswith(f"{manifest['artefact']['sha256']}.{fmt}")
        assert hashlib.sha256(open(path, "rb").read()).hexdigest() == manifest["artefact"]["sha256"]
        np.testing.assert_allclose(driftgov_scores(path, tmp_path / "d.csv"), python_predict(path, df), atol=1e-6)
        config = json.loads(xgb.Booster(model_file=path).save_config())
        trees = config["learner"]["gradient_booster"]["gbtree_model_param"]
        if trainer == "random_forest":
            assert int(trees["num_parallel_tree"]) == 25 and int(trees["num_trees"]) == 25  # one round of 25 trees
            # XGBoost's random-forest mode as its documentation spells it, trained by the xgboost package.
            forest = xgb.train({"objective": "binary:logistic", "num_parallel_tree": 25, "subsample": 0.8,
                                "colsample_bynode": 0.8, "eta": 1, "max_depth": 4, "tree_method": "hist",
                                "nthread": 1, "seed": 3}, matrix(df, label=True), 1)
            np.testing.assert_allclose(python_predict(path, df), forest.predict(matrix(df)), atol=1e-6)
        else:
            assert int(trees["num_trees"]) == 15


def test_built_in_trainer_matches_a_model_trained_by_the_xgboost_package_with_the_same_parameters(tmp_path, driftgov):
    df = frame(7)
    df.to_csv(tmp_path / "d.csv", index=False)
    manifest = train(tmp_path / "d.csv", train_config(tmp_path / "c.json"), tmp_path / "m")
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "tree_method": "hist", "nthread": 1,
              "seed": 3}
    booster = xgb.train(params, matrix(df, label=True), 15)
    expected = booster.predict(matrix(df))
    np.testing.assert_allclose(python_predict(manifest["artefact"]["path"], df), expected, atol=1e-6)


def test_retraining_gives_a_byte_identical_artefact_and_the_seed_matters(tmp_path, driftgov):
    df = frame(8)
    df.to_csv(tmp_path / "d.csv", index=False)
    config = train_config(tmp_path / "rf.json", trainer="random_forest", rounds=1,
                          params={"num_parallel_tree": 20, "max_depth": 4})
    first = train(tmp_path / "d.csv", config, tmp_path / "one")
    second = train(tmp_path / "d.csv", config, tmp_path / "two")
    assert first["artefact"]["sha256"] == second["artefact"]["sha256"]
    assert open(first["artefact"]["path"], "rb").read() == open(second["artefact"]["path"], "rb").read()
    reseeded = train(tmp_path / "d.csv", train_config(tmp_path / "rf2.json", trainer="random_forest", rounds=1, seed=4,
                                                     params={"num_parallel_tree": 20, "max_depth": 4}), tmp_path / "3")
    assert reseeded["artefact"]["sha256"] != first["artefact"]["sha256"]
    # The same rows from a Delta table (pinned to its version) and a Parquet file train the same model.
    write_deltalake(str(tmp_path / "delta"), pa.Table.from_pandas(df, preserve_index=False))
    write_deltalake(str(tmp_path / "delta"), pa.Table.from_pandas(frame(9, n=10), preserve_index=False), mode="append")
    from_delta = train(tmp_path / "delta@v=0", config, tmp_path / "four")
    assert from_delta["table_version"] == 0 and from_delta["rows"] == len(df)
    assert from_delta["artefact"]["sha256"] == first["artefact"]["sha256"]
    df.to_parquet(tmp_path / "d.parquet", index=False)
    assert train(tmp_path / "d.parquet", config, tmp_path / "five")["artefact"]["sha256"] == first["artefact"]["sha256"]
    latest = json.loads(ok("model", "train", tmp_path / "delta", "--trainer-config", config, "--out", tmp_path / "six",
                           "--json").stdout)
    assert latest["table_version"] == 1 and latest["rows"] == len(df) + 10


# ------------------------------------------------------------------------------------------------- metrics

def sklearn_classification(y, p):
    predicted = (p >= 0.5).astype(int)
    values = {"accuracy": skm.accuracy_score(y, predicted), "precision": skm.precision_score(y, predicted, zero_division=0),
              "recall": skm.recall_score(y, predicted, zero_division=0), "f1": skm.f1_score(y, predicted, zero_division=0),
              "brier": skm.brier_score_loss(y, p), "log_loss": skm.log_loss(y, p, labels=[0, 1])}
    values["roc_auc"] = skm.roc_auc_score(y, p) if len(set(y)) == 2 else None
    return values


def sklearn_regression(y, p):
    return {"rmse": skm.root_mean_squared_error(y, p), "mae": skm.mean_absolute_error(y, p),
            "mape": skm.mean_absolute_percentage_error(y, p), "r2": skm.r2_score(y, p)}


def assert_metrics(measured, expected):
    assert set(measured) == set(expected)
    for name, value in expected.items():
        if value is None:
            assert measured[name] is None, name
        else:
            assert measured[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_classification_metrics_equal_scikit_learn_overall_and_per_slice(classification):
    folder, holdout = classification
    record, _ = evaluate("--holdout", folder / "holdout.csv", "--label", "y", "--champion", folder / "champion.json",
                         "--challenger", folder / "challenger.ubj", "--slice", "region", "--bootstrap", "0")
    y = holdout.y.to_numpy()
    for role, model in (("champion", "champion.json"), ("challenger", "challenger.ubj")):
        p = python_predict(folder / model, holdout)
        assert_metrics({m: v[role] for m, v in record["overall"].items()}, sklearn_classification(y, p))
        for region in ("east", "north", "south"):
            rows = (holdout.region == region).to_numpy()
            assert record["slices"][region]["rows"] == int(rows.sum())
            measured = {m: v[role] for m, v in record["slices"][region]["metrics"].items()}
            assert_metrics(measured, sklearn_classification(y[rows], p[rows]))
    assert set(record["slices"]) == {"east", "north", "south"}


def test_regression_metrics_equal_scikit_learn_overall_and_per_slice(tmp_path, driftgov):
    train_df, holdout = frame(3, regression=True), frame(4, regression=True)
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    python_model(train_df, tmp_path / "a.json", objective="reg:squarederror", rounds=5)
    python_model(train_df, tmp_path / "b.json", objective="reg:squarederror", rounds=40)
    record, _ = evaluate("--holdout", tmp_path / "holdout.csv", "--label", "y", "--champion", tmp_path / "a.json",
                         "--challenger", tmp_path / "b.json", "--slice", "region", "--bootstrap", "0")
    assert record["problem"] == "regression" and record["delong"] is None
    for role, model in (("champion", "a.json"), ("challenger", "b.json")):
        p = python_predict(tmp_path / model, holdout)
        assert_metrics({m: v[role] for m, v in record["overall"].items()}, sklearn_regression(holdout.y, p))
        for region in ("east", "north", "south"):
            rows = (holdout.region == region).to_numpy()
            measured = {m: v[role] for m, v in record["slices"][region]["metrics"].items()}
            assert_metrics(measured, sklearn_regression(holdout.y[rows], p[rows]))


def delong_from_the_paper(y, a, b):
    """DeLong, DeLong & Clarke-Pearson (1988): psi(X, Y) = 1 if Y < X, 1/2 if equal, 0 else; V10(X_i) averages psi
    over the negatives, V01(Y_j) over the positives; S10, S01 their sample covariance matrices."""
    positives, negatives = y == 1, y == 0

    def components(s):
        x, z = s[positives][:, None], s[negatives][None, :]
        psi = (z < x) + 0.5 * (z == x)
        return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)

    auc_a, v10_a, v01_a = components(a)
    auc_b, v10_b, v01_b = components(b)
    s10, s01 = np.cov(np.vstack([v10_a, v10_b])), np.cov(np.vstack([v01_a, v01_b]))
    contrast = np.array([-1.0, 1.0])
    variance = contrast @ s10 @ contrast / positives.sum() + contrast @ s01 @ contrast / negatives.sum()
    z = (auc_b - auc_a) / np.sqrt(variance)
    return auc_a, auc_b, variance, z, 2 * norm.sf(abs(z))


def test_delong_equals_the_papers_formulas(classification):
    folder, holdout = classification
    record, _ = evaluate("--holdout", folder / "holdout.csv", "--label", "y", "--champion", folder / "champion.json",
                         "--challenger", folder / "challenger.ubj", "--slice", "region", "--bootstrap", "0",
                         "--metrics", "roc_auc")
    y = holdout.y.to_numpy()
    # Rounded scores make many ties, which the 1/2 of psi must count.
    a, b = python_predict(folder / "champion.json", holdout), python_predict(folder / "challenger.ubj", holdout)
    auc_a, auc_b, variance, z, p = delong_from_the_paper(y, a, b)
    d = record["delong"]
    assert d["auc_champion"] == pytest.approx(auc_a, rel=1e-12)
    assert d["auc_challenger"] == pytest.approx(auc_b, rel=1e-12)
    assert d["variance"] == pytest.approx(variance, rel=1e-9)
    assert d["z"] == pytest.approx(z, rel=1e-9)
    assert d["p_value"] == pytest.approx(p, rel=1e-9)
    rows = (holdout.region == "north").to_numpy()
    north = delong_from_the_paper(y[rows], a[rows], b[rows])
    assert record["slices"]["north"]["delong"]["z"] == pytest.approx(north[3], rel=1e-9)


# ----------------------------------------------------------------------------------------------- bootstrap

@pytest.mark.interop
def test_bootstrap_is_reproducible_seeded_and_agrees_with_an_independent_bootstrap(classification):
    folder, holdout = classification
    args = ("--holdout", folder / "holdout.csv", "--label", "y", "--champion", folder / "champion.json",
            "--challenger", folder / "challenger.ubj", "--metrics", "roc_auc,brier", "--bootstrap", "2000")
    first, _ = evaluate(*args, "--seed", "11")
    again, _ = evaluate(*args, "--seed", "11")
    other, _ = evaluate(*args, "--seed", "12")
    for metric in ("roc_auc", "brier"):
        assert first["overall"][metric] == again["overall"][metric]
        assert first["overall"][metric]["ci_low"] != other["overall"][metric]["ci_low"]
    assert (first["settings"]["seed"], first["settings"]["bootstrap_replicates"]) == (11, 2000)
    y = holdout.y.to_numpy()
    a, b = python_predict(folder / "champion.json", holdout), python_predict(folder / "challenger.ubj", holdout)
    rng = np.random.default_rng(2024)
    diffs = []
    for _ in range(2000):
        index = rng.integers(0, len(y), len(y))
        diffs.append(skm.brier_score_loss(y[index], b[index]) - skm.brier_score_loss(y[index], a[index]))
    low, high = np.percentile(diffs, [2.5, 97.5])
    measured = first["overall"]["brier"]
    width = high - low
    assert measured["bootstrap_replicates"] == 2000
    assert abs(measured["ci_low"] - low) < 0.2 * width and abs(measured["ci_high"] - high) < 0.2 * width


# ------------------------------------------------------------------------------------------------- harness

def test_a_different_holdout_version_metric_list_or_scoring_code_is_refused(tmp_path, driftgov):
    train_df = frame(1)
    python_model(train_df, tmp_path / "champion.json", rounds=5)
    python_model(train_df, tmp_path / "challenger.json", rounds=25)
    table = tmp_path / "holdout"
    write_deltalake(str(table), pa.Table.from_pandas(frame(2), preserve_index=False))
    write_deltalake(str(table), pa.Table.from_pandas(frame(9, n=50), preserve_index=False), mode="append")
    models = ("--champion", tmp_path / "champion.json", "--challenger", tmp_path / "challenger.json")
    pinned, _ = evaluate("--holdout", table, "--version", "0", "--label", "y", *models, "--bootstrap", "50",
                         "--out", tmp_path / "champion-eval.json")
    assert pinned["harness"]["holdout_version"] == 0 and pinned["harness"]["rows"] == 600
    assert json.loads((tmp_path / "champion-eval.json").read_text())["digest"] == pinned["digest"]
    harness = ("--harness", tmp_path / "champion-eval.json")
    # The same harness again (from the record alone) is accepted.
    same, _ = evaluate(*harness, *models, "--bootstrap", "50")
    assert same["harness"] == pinned["harness"]
    latest, _ = evaluate("--holdout", table, "--label", "y", *models, "--bootstrap", "0")
    assert latest["harness"]["holdout_version"] == 1 and latest["harness"]["rows"] == 650

    refused = evaluate("--holdout", table, "--version", "1", "--label", "y", *models, *harness, check=False)
    assert refused.returncode == EXIT_INPUT
    assert "holdout_version is '1' here, '0' pinned" in refused.stderr
    refused = evaluate(*harness, *models, "--metrics", "roc_auc,brier", check=False)
    assert refused.returncode == EXIT_INPUT and "metrics is 'roc_auc,brier' here" in refused.stderr
    edited = json.loads((tmp_path / "champion-eval.json").read_text())
    edited["harness"]["scoring_code"] = "driftgov 0.0.1; libxgboost 1.6.0"
    (tmp_path / "old-code.json").write_text(json.dumps(edited))
    refused = evaluate("--harness", tmp_path / "old-code.json", *models, check=False)
    assert refused.returncode == EXIT_INPUT and "scoring_code is 'driftgov" in refused.stderr
    assert "'driftgov 0.0.1; libxgboost 1.6.0' pinned" in refused.stderr


def test_changed_rows_of_a_file_holdout_are_refused(classification):
    folder, holdout = classification
    models = ("--champion", folder / "champion.json", "--challenger", folder / "challenger.ubj")
    evaluate("--holdout", folder / "holdout.csv", "--label", "y", *models, "--bootstrap", "0",
             "--out", folder / "pinned.json")
    changed = holdout.copy()
    changed.loc[0, "y"] = 1 - changed.loc[0, "y"]
    changed.to_csv(folder / "holdout.csv", index=False)
    refused = evaluate("--harness", folder / "pinned.json", *models, check=False)
    assert refused.returncode == EXIT_INPUT and "rows_sha256" in refused.stderr


# --------------------------------------------------------------------------------------------------- gates

def test_gate_rules_follow_mlflow_metric_threshold(classification):
    folder, holdout = classification
    y = holdout.y.to_numpy()
    auc_a = skm.roc_auc_score(y, python_predict(folder / "champion.json", holdout))
    auc_b = skm.roc_auc_score(y, python_predict(folder / "challenger.ubj", holdout))
    loss_b = skm.log_loss(y, python_predict(folder / "challenger.ubj", holdout))
    base = ("--holdout", folder / "holdout.csv", "--label", "y", "--champion", folder / "champion.json",
            "--challenger", folder / "challenger.ubj", "--bootstrap", "0")
    change = auc_b - auc_a
    cases = [(f"roc_auc:threshold={auc_b - 1e-6}", True), (f"roc_auc:threshold={auc_b + 1e-6}", False),
             (f"roc_auc:min_absolute_change={max(change - 1e-6, 0)}", change >= max(change - 1e-6, 0)),
             (f"roc_auc:min_absolute_change={abs(change) + 0.01}", False),
             (f"roc_auc:min_relative_change={max(auc_b / auc_a - 1 + 1e-6, 0)}", False),
             (f"log_loss:threshold={loss_b + 1e-6}", True), (f"log_loss:threshold={loss_b - 1e-6}", False),
             (f"log_loss:threshold={loss_b + 1e-6},greater_is_better=true", False)]
    for rule, passes in cases:
        record, code = evaluate(*base, "--gate", rule)
        assert record["passed"] is passes, (rule, record["gates"])
        assert code == (0 if passes else EXIT_GATE_FAILED)
        assert len(record["gates"]) == 1 and record["gates"][0]["passed"] is passes


def test_per_slice_no_regression_names_the_slices_that_regressed(classification):
    folder, holdout = classification
    y = holdout.y.to_numpy()
    a = python_predict(folder / "champion.json", holdout)
    b = python_predict(folder / "challenger.ubj", holdout)
    regressions = {}
    for region in ("east", "north", "south"):
        rows = (holdout.region == region).to_numpy()
        regressions[region] = skm.brier_score_loss(y[rows], b[rows]) - skm.brier_score_loss(y[rows], a[rows])
    worst = max(regressions, key=regressions.get)
    tolerance = regressions[worst] - 1e-9
    record, code = evaluate("--holdout", folder / "holdout.csv", "--label", "y", "--champion",
                            folder / "champion.json", "--challenger", folder / "challenger.ubj", "--slice", "region",
                            "--bootstrap", "0", "--gate", f"brier:slice_no_regression={max(tolerance, 0)}")
    check = record["gates"][0]["checks"][0]
    if tolerance >= 0:
        assert not check["passed"] and code == EXIT_GATE_FAILED and worst in check["detail"]
        others = [r for r in regressions if r != worst and regressions[r] <= tolerance]
        assert all(f"{r} (" not in check["detail"] for r in others)
    record, code = evaluate("--holdout", folder / "holdout.csv", "--label", "y", "--champion",
                            folder / "champion.json", "--challenger", folder / "challenger.ubj", "--slice", "region",
                            "--bootstrap", "0", "--gate", f"brier:slice_no_regression={max(regressions.values()) + 1e-9}")
    assert record["gates"][0]["passed"] and code == 0


# ------------------------------------------------------------------------------------------ signed records

def test_the_record_is_signed_by_the_acting_principal_and_verify_catches_an_edit(classification):
    folder, _ = classification
    key = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    public = "ed25519:" + base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    other = Ed25519PrivateKey.from_private_bytes(bytes([8]) * 32).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    (folder / "driftgov.yaml").write_text(f"""project: evaluation-test
targets:
  staging: {{mode: development, lakehouse: ./staging, default: true}}
principals:
  tess:
    type: user
    public_key: "{public}"
    roles: {{staging: [trainer]}}
  vic:
    type: user
    public_key: "ed25519:{base64.b64encode(other).decode()}"
    roles: {{staging: [viewer]}}
monitors: {{}}
""")
    secret = "ed25519-secret:" + base64.b64encode(bytes([7]) * 32).decode()
    args = ("--holdout", folder / "holdout.csv", "--label", "y", "--champion", folder / "champion.json",
            "--challenger", folder / "challenger.ubj", "--bootstrap", "20", "--config", folder / "driftgov.yaml",
            "--out", folder / "record.json")
    record, _ = evaluate(*args, "--as", "tess", env={"DRIFTGOV_KEY": secret})
    content = {k: v for k, v in record.items() if k not in ("digest", "signature")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == record["digest"]
    key.public_key().verify(bytes.fromhex(record["signature"]["ed25519"]), record["digest"].encode())
    assert record["signature"]["principal"] == "tess" and record["evaluated_by"] == "tess"
    assert record["champion"]["sha256"] == hashlib.sha256((folder / "champion.json").read_bytes()).hexdigest()
    assert record["challenger"]["sha256"] == hashlib.sha256((folder / "challenger.ubj").read_bytes()).hexdigest()

    # The action is in the target's signed audit log, naming the record's digest.
    logged = run("audit", "log", "--json", "--config", folder / "driftgov.yaml")
    assert logged.returncode == 0, logged.stderr
    entries = [e for e in json.loads(logged.stdout) if e["action"] == "model.evaluate"]
    assert len(entries) == 1 and entries[0]["actor"] == "tess" and entries[0]["target"] == "staging"
    assert json.loads(entries[0]["details"])["digest"] == record["digest"]
    assert entries[0]["subject"] == record["challenger"]["sha256"]
    trained = json.loads(ok("model", "train", folder / "train.csv", "--trainer-config",
                            train_config(folder / "t.json"), "--out", folder / "m", "--json", "--as", "tess",
                            "--config", folder / "driftgov.yaml", env={"DRIFTGOV_KEY": secret}).stdout)
    assert trained["trained_by"] == "tess"
    logged = json.loads(run("audit", "log", "--json", "--config", folder / "driftgov.yaml").stdout)
    assert [e["subject"] for e in logged if e["action"] == "model.train"] == [trained["artefact"]["sha256"]]
    assert run("audit", "verify", "--config", folder / "driftgov.yaml").returncode == 0
    verified = run("evaluate", "verify", folder / "record.json", "--config", folder / "driftgov.yaml")
    assert verified.returncode == 0 and "signed by tess" in verified.stdout, verified.stdout + verified.stderr
    stored = json.loads((folder / "record.json").read_text())
    forged = dict(stored, signature=dict(stored["signature"], ed25519=Ed25519PrivateKey.from_private_bytes(
        bytes([8]) * 32).sign(stored["digest"].encode()).hex()))
    (folder / "forged.json").write_text(json.dumps(forged))
    rejected = run("evaluate", "verify", folder / "forged.json", "--config", folder / "driftgov.yaml")
    assert rejected.returncode == EXIT_AUDIT_INVALID and "not principal 'tess''s signature" in rejected.stdout
    stored = json.loads((folder / "record.json").read_text())
    stored["overall"]["roc_auc"]["challenger"] += 0.01
    (folder / "record.json").write_text(json.dumps(stored))
    tampered = run("evaluate", "verify", folder / "record.json", "--config", folder / "driftgov.yaml")
    assert tampered.returncode == EXIT_AUDIT_INVALID and "digest mismatch" in tampered.stdout

    vic_secret = "ed25519-secret:" + base64.b64encode(bytes([8]) * 32).decode()
    refused = evaluate(*args, "--as", "vic", env={"DRIFTGOV_KEY": vic_secret}, check=False)
    assert refused.returncode == 6 and "principal 'vic' needs role 'trainer'" in refused.stderr


# -------------------------------------------------------------------------------------------- score_command

@pytest.mark.interop
def test_a_score_command_scores_like_the_native_scorer(classification):
    folder, _ = classification
    (folder / "score.py").write_text("""import os, numpy as np, pandas as pd, xgboost as xgb
x = pd.read_csv(os.environ["DRIFTGOV_SCORE_INPUT"])
p = xgb.Booster(model_file=os.environ["DRIFTGOV_MODEL"]).predict(xgb.DMatrix(x))
pd.DataFrame({"prediction": p.astype(float)}).to_csv(os.environ["DRIFTGOV_SCORE_OUTPUT"], index=False)
""")
    base = ("--holdout", folder / "holdout.csv", "--label", "y", "--champion", folder / "champion.json",
            "--bootstrap", "0")
    native, _ = evaluate(*base, "--challenger", folder / "challenger.ubj")
    command, _ = evaluate(*base, "--challenger", folder / "challenger.ubj", "--challenger-command",
                          f"{sys.executable} {folder / 'score.py'}", "--features", "a,b,c")
    assert command["challenger"]["kind"] == "command"
    assert command["harness"]["scoring_code"] != native["harness"]["scoring_code"]
    for metric, values in native["overall"].items():
        assert command["overall"][metric]["challenger"] == pytest.approx(values["challenger"], abs=1e-6), metric
    failing = evaluate(*base, "--challenger-command", "exit 3", "--features", "a,b,c", check=False)
    assert failing.returncode == EXIT_INPUT and "exit status 3" in failing.stderr


# ------------------------------------------------------------------------------------------------ bad input

def test_bad_input_names_the_column_or_file(classification):
    folder, holdout = classification
    models = ("--champion", folder / "champion.json", "--challenger", folder / "challenger.ubj")
    missing = evaluate("--holdout", folder / "holdout.csv", "--label", "target", *models, check=False)
    assert missing.returncode == EXIT_INPUT and "no label column 'target'" in missing.stderr
    text = holdout.copy()
    text["b"] = text["b"].map(lambda v: f"x{v}")
    text.to_csv(folder / "text.csv", index=False)
    wrong_type = evaluate("--holdout", folder / "text.csv", "--label", "y", *models, check=False)
    assert wrong_type.returncode == EXIT_INPUT and "feature column 'b' is string" in wrong_type.stderr
    (folder / "garbage.json").write_text("{not a model")
    for bad in (folder / "garbage.json", folder / "absent.ubj"):
        unreadable = evaluate("--holdout", folder / "holdout.csv", "--label", "y", "--champion", bad,
                              "--challenger", folder / "challenger.ubj", check=False)
        assert unreadable.returncode == EXIT_INPUT and f"model {bad}" in unreadable.stderr, unreadable.stderr
    labels = holdout.copy()
    labels.loc[4, "y"] = 2
    labels.to_csv(folder / "labels.csv", index=False)
    bad_label = evaluate("--holdout", folder / "labels.csv", "--label", "y", *models, check=False)
    assert bad_label.returncode == EXIT_INPUT and "label column 'y' row 5" in bad_label.stderr
    labels.loc[4, "y"] = None
    labels.to_csv(folder / "labels.csv", index=False)
    null_label = evaluate("--holdout", folder / "labels.csv", "--label", "y", *models, check=False)
    assert null_label.returncode == EXIT_INPUT and "label column 'y' row 5: expected a finite number" in null_label.stderr
    version = evaluate("--holdout", folder / "holdout.csv", "--version", "1", "--label", "y", *models, check=False)
    assert version.returncode == EXIT_INPUT and "is not a Delta table" in version.stderr
    gate = evaluate("--holdout", folder / "holdout.csv", "--label", "y", *models, "--gate", "roc_auc:minimum=1",
                    check=False)
    assert gate.returncode == EXIT_INPUT and "minimum: unknown key" in gate.stderr
    metric = evaluate("--holdout", folder / "holdout.csv", "--label", "y", *models, "--metrics", "rmse", check=False)
    assert metric.returncode == EXIT_INPUT and "'rmse' is not a metric of binary_classification" in metric.stderr
    (folder / "bad.yaml").write_text("trainer: gbm\nlabel: y\n")
    trainer = run("model", "train", folder / "train.csv", "--trainer-config", folder / "bad.yaml", "--out", folder / "m")
    assert trainer.returncode == EXIT_INPUT and "trainer: expected xgboost or random_forest" in trainer.stderr
    (folder / "nolabel.yaml").write_text("label: outcome\n")
    no_label = run("model", "train", folder / "train.csv", "--trainer-config", folder / "nolabel.yaml", "--out",
                   folder / "m")
    assert no_label.returncode == EXIT_INPUT and "no label column 'outcome'" in no_label.stderr
