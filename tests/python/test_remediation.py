"""The staged retraining set (docs/governance.md, "Remediation: the staged retraining set").

Oracles independent of driftgov: the candidate table, the validations table and the incidents are read with
deltalake (delta-rs); the point-in-time join is recomputed with pandas.merge_asof (backward, exact matches
included) on the label rows of the window, and every check's figures (rows per slice, violations, leaked keys,
production rows in the window) are recomputed with pandas from the source tables. Separation from production is
tested by staging as an unprivileged user (setpriv) for whom the production lakehouse, its governance store apart,
is read-only, and comparing every production file's SHA-256 before and after.
"""
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deltalake import DeltaTable, write_deltalake

from conftest import driftgov_binary
from governance_oracles import public_text, run, secret_text

EXIT_INPUT = 2
EXIT_ACCESS_DENIED = 6
EXIT_VALIDATION_FAILED = 8
UTC = datetime.timezone.utc
CUSTOMERS = list(range(1, 41))
WINDOW_DAYS = 15


def at(day, hour=12):
    return datetime.datetime(2026, 3, day, hour, tzinfo=UTC)


def stamps(values):
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def write_sources(prod, rng):
    """Feature, label, holdout and monitored tables of the production lakehouse."""
    rows = [(c, at(day)) for c in CUSTOMERS for day in (1, 10, 20)]
    rows.append((1, at(12)))  # exactly at a label's time: joined (<=)
    tenure = rng.integers(0, 60, len(rows)).astype(np.int64)
    spend = rng.normal(100, 20, len(rows))
    spend_valid = rng.random(len(rows)) > 0.1
    write_deltalake(str(prod / "features" / "customer"), pa.table({
        "customer_id": pa.array([r[0] for r in rows], pa.int64()), "ts": stamps([r[1] for r in rows]),
        "tenure": pa.array(tenure), "spend": pa.array(spend, mask=~spend_valid)}))
    region_rows = [(c, at(1, 0), "north" if c % 2 else "south") for c in CUSTOMERS]
    region_rows += [(c, at(15, 0), "south") for c in CUSTOMERS if c % 5 == 0]  # moved on day 15
    write_deltalake(str(prod / "features" / "region"), pa.table({
        "customer_id": pa.array([r[0] for r in region_rows], pa.int64()), "updated": stamps([r[1] for r in region_rows]),
        "region": [r[2] for r in region_rows]}))
    label_rows = [(c, at(day)) for c in CUSTOMERS for day in (5, 12, 25)]
    write_deltalake(str(prod / "labels" / "churn"), pa.table({
        "customer_id": pa.array([r[0] for r in label_rows], pa.int64()), "ts": stamps([r[1] for r in label_rows]),
        "churned": pa.array(rng.integers(0, 2, len(label_rows)), pa.int64())}))
    write_holdout(prod, [100, 101, 102])
    scores = [at(day, hour) for day in range(1, 26) for hour in (3, 15)]
    write_deltalake(str(prod / "scores"), pa.table({
        "ts": stamps(scores), "tenure": pa.array(rng.integers(0, 60, len(scores)).astype(np.int64)),
        "spend": rng.normal(100, 20, len(scores))}))


def write_holdout(prod, customers):
    write_deltalake(str(prod / "holdout"), pa.table({"customer_id": pa.array(customers, pa.int64())}), mode="overwrite")


REMEDIATION = """    remediation:
      target: staging
      features:
        - {table: features/customer, keys: [customer_id], timestamp: ts, columns: [tenure, spend]}
        - {table: features/region, keys: [customer_id], timestamp: updated, columns: [region]}
      labels: {table: labels/churn, keys: [customer_id], timestamp: ts, label: churned}
      window: "%d days"
      holdout: {table: holdout, keys: [customer_id]}
      expectations:
        - {column: churned, not_null: true, allowed: ["0", "1"]}
        - {column: tenure, min: 0, max: 59}
        - {column: region, allowed: [north, south]}
        - {columns: [customer_id, ts], unique: true}
      slice: region
      min_rows_per_slice: 5
      max_drift_vs_recent: {metric: population_stability_index, value: 10}
      champion_schema: {manifest: champion.training.json}
      auto_stage: AUTO
""" % WINDOW_DAYS


def write_config(folder, keys, remediation=REMEDIATION, auto_stage=False):
    principals = "".join(f"""  {name}:
    type: user
    public_key: "{public_text(keys[name])}"
    roles: {roles}
""" for name, roles in [("alice", "{prod: [viewer, operator]}"), ("sam", "{prod: [viewer, steward]}"),
                        ("bob", "{prod: [viewer]}")])
    (folder / "driftgov.yaml").write_text(f"""project: remediation-test
targets:
  prod: {{mode: production, lakehouse: ./lake/prod, default: true}}
  staging: {{mode: development, lakehouse: ./lake/staging}}
principals:
{principals}monitors:
  scores:
    table: scores
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
    breach:
      - {{metric: count, op: ">=", value: 1}}
{remediation.replace("AUTO", "true" if auto_stage else "false")}""")


@pytest.fixture
def project(tmp_path):
    keys = {name: Ed25519PrivateKey.from_private_bytes(bytes([index + 31]) * 32)
            for index, name in enumerate(["alice", "sam", "bob"])}
    write_sources(tmp_path / "lake" / "prod", np.random.default_rng(3))
    (tmp_path / "champion.training.json").write_text(json.dumps({"features": ["tenure", "spend"], "label": "churned"}))
    write_config(tmp_path, keys)
    return tmp_path, keys


def as_(keys, name):
    return {"DRIFTGOV_PRINCIPAL": name, "DRIFTGOV_KEY": secret_text(keys[name])}


def open_incident(folder, keys):
    result = run("monitor", "run", "scores", "--config", folder / "driftgov.yaml", "--json", env=as_(keys, "alice"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]


def stage(folder, keys, name="sam", incident="INC-1"):
    return run("incident", "stage", incident, "--config", folder / "driftgov.yaml", "--json", env=as_(keys, name))


def oracle_candidate(prod, window_days=WINDOW_DAYS):
    """The point-in-time join, by pandas.merge_asof, of the label rows in the window (every row without one)."""
    labels = DeltaTable(str(prod / "labels" / "churn")).to_pandas()
    newest = labels.ts.max()
    spine = labels if window_days is None else labels[labels.ts > newest - pd.Timedelta(days=window_days)]
    spine = spine.sort_values("ts")
    customer = DeltaTable(str(prod / "features" / "customer")).to_pandas().rename(columns={"ts": "feature_ts"})
    region = DeltaTable(str(prod / "features" / "region")).to_pandas()
    joined = pd.merge_asof(spine, customer.sort_values("feature_ts"), left_on="ts", right_on="feature_ts",
                           by="customer_id", direction="backward", allow_exact_matches=True)
    joined = pd.merge_asof(joined, region.sort_values("updated"), left_on="ts", right_on="updated", by="customer_id",
                           direction="backward", allow_exact_matches=True)
    return joined[["customer_id", "ts", "tenure", "spend", "region", "churned"]]


def sorted_frame(frame):
    return frame.sort_values(["customer_id", "ts"]).reset_index(drop=True)


def validations(folder):
    table = DeltaTable(str(folder / "lake" / "staging" / "remediation" / "scores" / "validations")).to_pandas()
    return table


def incident_rows(folder):
    rows = DeltaTable(str(folder / "lake" / "prod" / "governance" / "incidents")).to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda row: row["seq"])


def test_a_staged_set_is_the_point_in_time_join_and_every_check_is_recorded_with_it(project):
    folder, keys = project
    open_incident(folder, keys)
    result = stage(folder, keys)
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["state"] == "staged"

    prod = folder / "lake" / "prod"
    candidate_path = folder / "lake" / "staging" / "remediation" / "scores" / "candidate"
    candidate = DeltaTable(str(candidate_path))
    assert candidate.version() == 0 and outcome["staged"]["version"] == 0
    expected = sorted_frame(oracle_candidate(prod))
    got = sorted_frame(candidate.to_pandas())
    assert list(got.columns) == ["customer_id", "ts", "tenure", "spend", "region", "churned"]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # The exact-time feature row (customer 1 at day 12) is the one joined, not the older one.
    assert len(expected) == 80 and outcome["staged"]["rows"] == 80

    checks = validations(folder)
    assert set(checks.candidate_version) == {0} and set(checks.incident_id) == {"INC-1"}
    by_name = {row.check: (row.passed, json.loads(row.detail)) for row in checks.itertuples()}
    assert set(by_name) == {"schema", "rows_per_slice", "not_null(churned)", "allowed(churned)", "min(tenure)",
                            "max(tenure)", "allowed(region)", "unique(customer_id,ts)", "drift_vs_recent",
                            "no_leakage"}
    assert all(passed for passed, _ in by_name.values())
    assert by_name["rows_per_slice"][1]["rows"] == expected.region.fillna("null").value_counts().to_dict()
    assert by_name["max(tenure)"][1]["violations"] == int((expected.tenure > 59).sum()) == 0
    assert by_name["no_leakage"][1]["leaked_keys"] == 0 and by_name["no_leakage"][1]["holdout_keys"] == 3
    scores = DeltaTable(str(prod / "scores")).to_pandas()
    window_end = expected.ts.max()
    in_window = scores[(scores.ts > window_end - pd.Timedelta(days=WINDOW_DAYS)) & (scores.ts <= window_end)]
    drift = by_name["drift_vs_recent"][1]
    assert drift["production_rows"] == len(in_window) and set(drift["columns"]) == {"tenure", "spend"}
    assert drift["largest"] == max(drift["columns"].values()) <= 10

    rows = incident_rows(folder)
    assert [(r["event"], r["previous_state"], r["state"], r["actor"]) for r in rows] == [
        ("open", "", "open", "alice"), ("transition", "open", "staging", "sam"),
        ("transition", "staging", "staged", "sam")]
    details = json.loads(rows[-1]["details"])
    assert details["table"] == str(candidate_path) and details["version"] == 0 and details["passed"]
    assert run("incident", "verify", "--config", folder / "driftgov.yaml").returncode == 0
    audit = DeltaTable(str(prod / "governance" / "audit_log")).to_pandas()
    assert "remediation.stage" in set(audit.action)


def test_a_failed_validation_leaves_the_incident_in_staging_with_its_reasons_and_a_retry_adds_a_version(project):
    folder, keys = project
    prod = folder / "lake" / "prod"
    write_holdout(prod, [3, 4, 100])  # customers 3 and 4 are in the candidate: leakage
    open_incident(folder, keys)
    result = stage(folder, keys)
    assert result.returncode == EXIT_VALIDATION_FAILED, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["state"] == "staging" and outcome["staged"]["failed"] == ["no_leakage"]
    expected = oracle_candidate(prod)
    leak = next(c for c in outcome["checks"] if c["check"] == "no_leakage")["detail"]
    assert leak["leaked_keys"] == 2 and leak["leaked_rows"] == int(expected.customer_id.isin([3, 4]).sum())
    rows = incident_rows(folder)
    assert rows[-1]["state"] == "staging" and "validation failed: no_leakage: 2 holdout keys" in rows[-1]["reason"]

    # The holdout is fixed; staging again from 'staging' writes version 1 and moves on to staged.
    write_holdout(prod, [100])
    again = stage(folder, keys)
    assert again.returncode == 0, again.stdout + again.stderr
    candidate = DeltaTable(str(folder / "lake" / "staging" / "remediation" / "scores" / "candidate"))
    assert candidate.version() == 1 and len(candidate.history()) == 2
    checks = validations(folder)
    assert sorted(set(checks.candidate_version)) == [0, 1]
    failed = checks[(checks.candidate_version == 0) & (~checks.passed)]
    assert list(failed.check) == ["no_leakage"]
    assert [(r["previous_state"], r["state"]) for r in incident_rows(folder)][1:] == [("open", "staging"),
                                                                                       ("staging", "staged")]
    # A staged incident is not staged again.
    third = stage(folder, keys)
    assert third.returncode == EXIT_INPUT and "incident INC-1 is 'staged'" in third.stderr


def test_failing_expectations_and_drift_are_counted_as_pandas_counts_them(project):
    folder, keys = project
    write_config(folder, keys, REMEDIATION.replace("max: 59", "max: 30").replace("value: 10}", "value: 0.000001}"))
    open_incident(folder, keys)
    result = stage(folder, keys)
    assert result.returncode == EXIT_VALIDATION_FAILED, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["staged"]["failed"] == ["max(tenure)", "drift_vs_recent"]
    expected = oracle_candidate(folder / "lake" / "prod")
    checks = {c["check"]: c["detail"] for c in outcome["checks"]}
    assert checks["max(tenure)"]["violations"] == int((expected.tenure > 30).sum()) > 0
    assert [e["value"] for e in checks["max(tenure)"]["examples"]] == \
        [str(v) for v in sorted_frame_order(expected).tenure[lambda t: t > 30].head(5)]
    assert checks["drift_vs_recent"]["largest"] > 0.000001
    assert "max(tenure): " in outcome["message"] and "drift_vs_recent: population_stability_index" in outcome["message"]


def test_without_a_window_every_label_row_is_joined(project):
    folder, keys = project
    write_config(folder, keys, REMEDIATION.replace('      window: "%d days"\n' % WINDOW_DAYS, "")
                 .replace("max_drift_vs_recent: {metric: population_stability_index, value: 10}",
                          "max_drift_vs_recent: {metric: js_distance, value: 1}"))
    open_incident(folder, keys)
    result = stage(folder, keys)
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["staged"]["window"]["start_exclusive_us"] is None
    expected = sorted_frame(oracle_candidate(folder / "lake" / "prod", window_days=None))
    got = sorted_frame(DeltaTable(str(folder / "lake" / "staging" / "remediation" / "scores" / "candidate")).to_pandas())
    assert len(got) == 120
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    drift = next(c for c in outcome["checks"] if c["check"] == "drift_vs_recent")["detail"]
    scores = DeltaTable(str(folder / "lake" / "prod" / "scores")).to_pandas()
    assert drift["metric"] == "js_distance" and drift["production_rows"] == int((scores.ts <= expected.ts.max()).sum())


def sorted_frame_order(frame):
    """The set's row order: label rows in table order (customer by customer, day by day) in the window."""
    return frame.sort_values(["customer_id", "ts"], kind="stable")


def test_auto_stage_stages_the_incident_a_breach_opens(project):
    folder, keys = project
    write_config(folder, keys, auto_stage=True)
    refresh = open_incident(folder, keys)
    assert refresh["incidents"][0]["opened"] and refresh["auto_stage"][0]["state"] == "staged"
    rows = incident_rows(folder)
    assert [r["state"] for r in rows] == ["open", "staging", "staged"]
    assert {r["actor"] for r in rows} == {"alice"}
    got = sorted_frame(DeltaTable(str(folder / "lake" / "staging" / "remediation" / "scores" / "candidate")).to_pandas())
    pd.testing.assert_frame_equal(got, sorted_frame(oracle_candidate(folder / "lake" / "prod")), check_dtype=False)


def test_staging_needs_the_steward_role(project):
    folder, keys = project
    open_incident(folder, keys)
    result = stage(folder, keys, name="bob")
    assert result.returncode == EXIT_ACCESS_DENIED
    assert "principal 'bob' needs role 'steward' on target 'prod'" in result.stderr
    assert not (folder / "lake" / "staging").exists()


def test_a_remediation_naming_a_missing_table_is_a_clear_error_and_changes_nothing(project):
    folder, keys = project
    open_incident(folder, keys)
    write_config(folder, keys, REMEDIATION.replace("features/region", "features/regions"))
    before = incident_rows(folder)
    validate = run("validate", "--config", folder / "driftgov.yaml")
    assert validate.returncode == EXIT_INPUT
    line = next(l for l in validate.stderr.splitlines() if "features[1].table" in l)
    assert line.startswith(f"{folder / 'driftgov.yaml'}:")
    assert "monitors.scores.remediation.features[1].table" in line and "features/regions" in line
    result = stage(folder, keys)
    assert result.returncode == EXIT_INPUT
    assert "monitors.scores.remediation.features[1].table" in result.stderr and "features/regions" in result.stderr
    assert incident_rows(folder) == before
    assert not (folder / "lake" / "staging").exists()


@pytest.mark.parametrize("change,message", [
    (("target: staging", "target: prod"),
     "remediation.target: target 'prod' is a production target; a retraining set is staged into a development target"),
    (("target: staging", "target: stagin"), "no target 'stagin'"),
    (('window: "15 days"', 'window: "15 fortnights"'), "expected a time window such as '30 days'"),
    (("slice: region", "slice: regoin"), "'regoin' is not a column of the retraining set"),
    (("min_rows_per_slice: 5", "min_row_per_slice: 5"), "unknown key 'min_row_per_slice'; did you mean 'min_rows_per_slice'?"),
])
def test_remediation_mistakes_are_reported_at_their_position(project, change, message):
    folder, keys = project
    write_config(folder, keys, REMEDIATION.replace(*change))
    result = run("validate", "--config", folder / "driftgov.yaml")
    assert result.returncode == EXIT_INPUT
    line = next((l for l in result.stderr.splitlines() if message in l), None)
    assert line is not None, result.stderr
    text = (folder / "driftgov.yaml").read_text().splitlines()
    position = line.split(": ")[0].split(":")
    assert change[1] in text[int(position[-2]) - 1]


def files_outside_governance(prod):
    found = {}
    for path in sorted(prod.rglob("*")):
        relative = path.relative_to(prod)
        if relative.parts[0] == "governance":
            continue
        found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return found


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to stage as the unprivileged user 'nobody' (setpriv, util-linux)")
def test_staging_never_writes_the_production_lakehouse(project):
    """Staged by an unprivileged user for whom production, its governance store apart, is read-only."""
    source, keys = project
    folder = Path(tempfile.mkdtemp(prefix="driftgov-separation-"))
    try:
        shutil.copytree(source, folder, dirs_exist_ok=True)
        os.chmod(folder, 0o755)  # copytree copied the pytest folder's 0700
        write_config(folder, keys)
        open_incident(folder, keys)
        prod = folder / "lake" / "prod"
        staging = folder / "lake" / "staging"
        staging.mkdir(parents=True)
        shutil.chown(staging, "nobody", "nogroup")
        for path in [prod / "governance", *(prod / "governance").rglob("*")]:
            shutil.chown(path, "nobody", "nogroup")
        for path in [prod, *prod.rglob("*")]:
            if "governance" not in path.relative_to(prod).parts:
                path.chmod(0o555 if path.is_dir() else 0o444)
        before = files_outside_governance(prod)
        unprivileged = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
        environment.update(as_(keys, "sam"))
        # The setting is real: the user cannot write production.
        denied = subprocess.run([*unprivileged, "touch", str(prod / "features" / "x")], capture_output=True)
        assert denied.returncode != 0
        result = subprocess.run([*unprivileged, str(driftgov_binary()), "incident", "stage", "INC-1", "--config",
                                 str(folder / "driftgov.yaml"), "--json"], capture_output=True, text=True,
                                env=environment, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["state"] == "staged"
        assert files_outside_governance(prod) == before
        assert DeltaTable(str(staging / "remediation" / "scores" / "candidate")).version() == 0
        assert [r["state"] for r in incident_rows(folder)] == ["open", "staging", "staged"]
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def test_staging_is_an_openlineage_job_reading_the_sources_and_writing_the_candidate(project):
    """docs/lineage.md: STAGE reads the feature and label tables at their versions and writes the candidate's new
    version and the validations table."""
    folder, keys = project
    config = folder / "driftgov.yaml"
    config.write_text(config.read_text().replace("monitors:\n", "lineage: {file: governance/lineage.jsonl}\nmonitors:\n", 1))
    open_incident(folder, keys)
    assert stage(folder, keys).returncode == 0
    events = [json.loads(line) for line in (folder / "lake" / "prod" / "governance" / "lineage.jsonl").read_text().splitlines()]
    stage_events = [e for e in events if e["job"]["name"] == "scores.stage"]
    assert [e["eventType"] for e in stage_events] == ["START", "COMPLETE"]
    assert stage_events[1]["job"]["facets"]["jobType"]["jobType"] == "STAGE"
    staging = folder / "lake" / "staging" / "remediation" / "scores"
    outputs = {o["name"]: o["facets"]["version"]["datasetVersion"] for o in stage_events[1]["outputs"]}
    assert outputs == {str(staging / "candidate"): str(DeltaTable(str(staging / "candidate")).version()),
                       str(staging / "validations"): str(DeltaTable(str(staging / "validations")).version())}
    prod = folder / "lake" / "prod"
    inputs = {i["name"]: i["facets"]["version"]["datasetVersion"] for i in stage_events[1]["inputs"]}
    expected_inputs = {str(p): str(DeltaTable(str(p)).version())
                       for p in (prod / "features" / "customer", prod / "features" / "region", prod / "labels" / "churn")}
    assert inputs == expected_inputs


def test_model_train_of_an_incident_takes_the_trainer_its_remediation_declares(tmp_path, driftgov):
    """remediation.trainer (docs/governance.md, "The trainer of a remediation"): `model train --incident` without
    --trainer-config trains with the configuration's trainer and hyper-parameters, read back from the artefact with
    the xgboost Python package; a --trainer-config as well is refused, and without either the message names both."""
    import xgboost

    from approval_chain import Project
    project = Project(tmp_path)
    incident = project.open_incident()
    project.ok("incident", "stage", incident, as_="sam")
    candidate = tmp_path / "staging" / "remediation" / "sales" / "candidate"
    train = ("model", "train", candidate, "--out", tmp_path / "models", "--incident", incident, "--json")
    missing = project.run(*train, as_="tess")
    assert missing.returncode == EXIT_INPUT and "remediation.trainer in monitor 'sales'" in missing.stderr

    config = tmp_path / "driftgov.yaml"
    labels = "      labels: {table: labels, keys: [id], timestamp: ts, label: y}\n"
    trainer = ("      trainer: {kind: xgboost, features: [b, a], rounds: 4, seed: 3,"
               " params: {max_depth: 2, eta: 0.5, lambda: 2}}\n")
    config.write_text(config.read_text().replace(labels, labels + trainer))
    both = project.run(*train, "--trainer-config", tmp_path / "train.json", as_="tess")
    assert both.returncode == EXIT_INPUT and "declares its trainer (remediation.trainer" in both.stderr
    trained = project.run(*train, as_="tess")
    assert trained.returncode == 0, trained.stderr
    artefact = json.loads(trained.stdout)["artefact"]["path"]
    booster = xgboost.Booster(model_file=artefact)
    assert booster.num_boosted_rounds() == 4 and booster.feature_names == ["b", "a"]
    # The same training in the xgboost Python package, with the declared settings, predicts the same.
    rows = DeltaTable(str(candidate)).to_pandas()
    matrix = xgboost.DMatrix(rows[["b", "a"]], label=rows["y"])
    settings = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 2, "eta": 0.5, "lambda": 2,
                "nthread": 1, "seed": 3}
    oracle = xgboost.train(settings, matrix, num_boost_round=4)
    np.testing.assert_allclose(booster.predict(matrix), oracle.predict(matrix), rtol=1e-5)
    other = xgboost.train({**settings, "eta": 0.3}, matrix, num_boost_round=4)
    assert not np.allclose(booster.predict(matrix), other.predict(matrix), rtol=1e-5)
    assert [r["state"] for r in project.rows("governance", "incidents") if r["incident_id"] == incident][-1] == \
        "training"
