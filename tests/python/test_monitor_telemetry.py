"""Governance telemetry and breaches of a monitor refresh (docs/monitoring.md, "Telemetry" and "Breaches").

Every refresh that writes leaves one JSON document, checked here against the published JSON Schema
(docs/schemas/refresh-telemetry.schema.json); its breaches are the rows of <monitor>_breaches, and a drift injected
into one slice from a known day fires exactly the breaches the rules describe, computed here with scipy/numpy.
"""
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import ROOT, run_driftgov

SCHEMA = json.loads((ROOT / "docs" / "schemas" / "refresh-telemetry.schema.json").read_text())
DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2026-03-02", tz="UTC")  # a Monday


def inference_log(days, rows_per_day, seed, drift_from=None):
    """Rows over `days` days; from day `drift_from` on, price in the west region moves up by 40%."""
    rng = np.random.default_rng(seed)
    frames = []
    for day in days:
        n = rows_per_day
        frame = pd.DataFrame({
            "ts": (START + day * DAY + pd.to_timedelta(rng.uniform(0, 86399, n), unit="s")).astype(
                "datetime64[us, UTC]"),
            "region": rng.choice(["north", "south", "west"], n),
            "price": rng.normal(100.0, 10.0, n),
            "promo": rng.choice(["yes", "no"], n, p=[0.3, 0.7]),
            "model_version": rng.choice(["v1", "v2"], n),
        })
        if drift_from is not None and day >= drift_from:
            west = frame.region == "west"
            frame.loc[west, "price"] *= 1.4
        frame["label"] = frame.price * 0.5 + rng.normal(0, 2, n)
        frame["prediction"] = 50.0 + rng.normal(0, 2, n)
        frames.append(frame)
    return pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)


def write_config(folder, rules):
    config = folder / "driftgov.yaml"
    config.write_text(f"""project: telemetry-test
targets:
  dev: {{mode: development, lakehouse: ./lake, default: true}}
monitors:
  sales:
    table: log
    profile_type: inference_log
    timestamp_col: ts
    granularities: ["1 day"]
    model_id_col: model_version
    prediction_col: prediction
    label_col: label
    problem_type: regression
    baseline: {{table: train}}
    slicing_exprs: ["region"]
    breach:
{rules}
""")
    return config


@pytest.fixture
def project(tmp_path, driftgov):
    write_deltalake(str(tmp_path / "lake" / "train"), inference_log(range(-14, 0), 400, seed=1))
    write_deltalake(str(tmp_path / "lake" / "log"), inference_log(range(0, 6), 400, seed=2, drift_from=4))
    return tmp_path


def refresh(folder, *extra):
    result = run_driftgov("monitor", "run", "sales", "--config", folder / "driftgov.yaml", "--json", *extra)
    return json.loads(result.stdout)[0]


def telemetry_documents(folder):
    return {p.stem: json.loads(p.read_text())
            for p in (folder / "lake" / "monitoring" / "_driftgov" / "telemetry" / "sales").glob("*.json")}


def test_schema_is_valid_and_rejects_a_broken_document(project):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    write_config(project, "      - {metric: dataset_drift}")
    summary = refresh(project)
    document = telemetry_documents(project)[summary["refresh_id"]]
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    for broken in ({**document, "rows_read": -1}, {k: v for k, v in document.items() if k != "config_hash"},
                   {**document, "surprise": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_telemetry_describes_the_refresh_and_its_breaches(project):
    # The PSI rule on price in the west slice: days 4 and 5 drift by 40%; two consecutive windows are needed.
    write_config(project, "      - {metric: population_stability_index, op: \">=\", value: 0.5, columns: [price],"
                          " num_violation_windows: 2}")
    summary = refresh(project)
    assert summary["state"] == "SUCCESS" and summary["full_refresh"]
    document = telemetry_documents(project)[summary["refresh_id"]]
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["rows_read"] == 6 * 400
    assert document["table_version_from"] is None and document["table_version_to"] == 0
    assert sorted(w["start"] for w in document["windows_touched"]) == \
        [(START + d * DAY).strftime("%Y-%m-%dT%H:%M:%SZ") for d in range(6)]

    breaches = DeltaTable(str(project / "lake" / "monitoring" / "sales_breaches")).to_pandas()
    assert sorted(breaches.breach_id) == sorted(b["breach_id"] for b in document["breaches"])
    # Independent expectation: PSI >= 0.5 needs the 40% move; it is in the west slice (and possibly the whole
    # table, where a third of the rows moved) from day 4, and only day 5 has two violating windows in a row.
    fired = {(b["slice_value"], b["model_id"], b["window"]["start"]) for b in document["breaches"]}
    assert fired, "the drifted west slice must breach"
    day5 = (START + 5 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(start == day5 for _, _, start in fired)
    assert ("west", "*", day5) in fired
    assert not any(value in ("north", "south") for value, _, _ in fired)
    assert set(breaches.column_name) == {"price"}
    assert (breaches.violation_windows == 2).all()

    # Stable ids: a full refresh of the same data finds the same breaches under the same ids.
    again = refresh(project, "--full")
    assert sorted(b["breach_id"] for b in telemetry_documents(project)[again["refresh_id"]]["breaches"]) == \
        sorted(breaches.breach_id)


def test_config_change_gives_a_new_monitor_version_and_hash(project):
    write_config(project, "      - {metric: dataset_drift}")
    first_id = refresh(project)["refresh_id"]
    first = telemetry_documents(project)[first_id]
    write_config(project, "      - {metric: dataset_drift, num_violation_windows: 2}")
    second_summary = refresh(project)
    # A changed configuration recomputes everything.
    assert second_summary["full_refresh"]
    second = telemetry_documents(project)[second_summary["refresh_id"]]
    assert first["config_hash"] != second["config_hash"]
    assert (first["monitor_version"], second["monitor_version"]) == (1, 2)
    profile = DeltaTable(str(project / "lake" / "monitoring" / "sales_profile_metrics")).to_pandas()
    assert set(profile.monitor_version) == {2}


def test_no_new_commit_writes_nothing(project):
    write_config(project, "      - {metric: dataset_drift}")
    refresh(project)
    outputs = ["sales_profile_metrics", "sales_drift_metrics", "sales_breaches", "refreshes", "_driftgov/sales_state"]
    versions = {name: DeltaTable(str(project / "lake" / "monitoring" / name)).version() for name in outputs}
    documents = set(telemetry_documents(project))
    summary = refresh(project)
    assert summary["state"] == "UP_TO_DATE"
    assert {name: DeltaTable(str(project / "lake" / "monitoring" / name)).version() for name in outputs} == versions
    assert set(telemetry_documents(project)) == documents


def test_due_list_status_and_history(project):
    # An hourly schedule: a monitor that never ran is due; right after a refresh it is not (unless an hour boundary
    # passed in between, which the test allows for by reading the clock around the run).
    write_config(project, "      - {metric: dataset_drift}\n    schedule: {quartz_cron_expression: \"0 0 * * * ?\"}")
    config = project / "driftgov.yaml"
    before = pd.Timestamp.now(tz="UTC")
    first = run_driftgov("monitor", "run", "--due", "--config", config, "--json")
    ran = json.loads(first.stdout)
    assert [r["monitor"] for r in ran] == ["sales"] and ran[0]["state"] == "SUCCESS"
    second = run_driftgov("monitor", "run", "--due", "--config", config)
    after = pd.Timestamp.now(tz="UTC")
    if before.floor("h") == after.floor("h"):
        assert "sales: not due" in second.stdout
    history = json.loads(run_driftgov("monitor", "history", "sales", "--config", config, "--json").stdout)
    assert [h["refresh_id"] for h in history] == [ran[0]["refresh_id"]] or \
        history[0]["refresh_id"] == ran[0]["refresh_id"]
    assert history[0]["trigger"] == "SCHEDULE" and history[0]["state"] == "SUCCESS"
    assert history[0]["rows_read"] == 6 * 400 and history[0]["table_version_to"] == 0
    status = json.loads(run_driftgov("monitor", "status", "sales", "--config", config, "--json").stdout)
    assert status["refresh_id"] == history[-1]["refresh_id"]
    listing = json.loads(run_driftgov("monitor", "list", "--config", config, "--json").stdout)
    assert listing[0]["monitor"] == "sales" and listing[0]["last_refresh"]["refresh_id"] == status["refresh_id"]
