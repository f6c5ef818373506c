"""`driftgov export` (docs/export.md): the dashboard document, Splunk HEC events and the Lakeview dashboard of a
monitor refreshed here on generated data, checked against the monitor's Delta tables read with deltalake and against
the published JSON Schemas (docs/schemas/dashboard.schema.json, docs/schemas/lakeview-dashboard.schema.json)."""
import datetime
import hashlib
import json
import shutil

import jsonschema
import numpy as np
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import ROOT, run_driftgov
from monitor_oracles import UTC, baseline_of, output_table, random_log, read_rows, run_monitor, write_config

DASHBOARD_SCHEMA = json.loads((ROOT / "docs" / "schemas" / "dashboard.schema.json").read_text())
LAKEVIEW_SCHEMA = json.loads((ROOT / "docs" / "schemas" / "lakeview-dashboard.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator
TABLES = ("profile_metrics", "drift_metrics", "breaches")
RULES = ("    breach:\n"
         "      - {metric: population_stability_index, op: \">=\", value: 0.0, columns: [price]}\n"
         "      - {metric: dataset_drift}\n")


def lakehouse(folder, seed=5):
    """A monitor `m` refreshed twice (full, then incremental after an append): its tables have rows from two refreshes."""
    rng = np.random.default_rng(seed)
    start = datetime.datetime(2024, 5, 6, tzinfo=UTC)

    def stamps(n, first_day, days):
        return [start + datetime.timedelta(days=first_day, seconds=int(s)) for s in rng.integers(0, days * 86400, n)]

    write_deltalake(str(folder / "log"), random_log(rng, stamps(300, 0, 6)))
    write_deltalake(str(folder / "train"), baseline_of(random_log(rng, [None] * 300)))
    config = write_config(folder, folder / "log", folder / "train", ["1 day", "1 week"], ["region"], extra=RULES)
    first = run_monitor(config)
    write_deltalake(str(folder / "log"), random_log(rng, stamps(60, 5, 3)), mode="append")
    second = run_monitor(config)
    assert first["state"] == second["state"] == "SUCCESS" and not second["full_refresh"]
    return config, (first["refresh_id"], second["refresh_id"])


@pytest.fixture(scope="module")
def monitored(tmp_path_factory, driftgov):
    folder = tmp_path_factory.mktemp("export")
    config, refresh_ids = lakehouse(folder)
    return folder, config, refresh_ids


def export(config, *args, check=True):
    return run_driftgov("export", "m", "--config", config, *args, check=check)


def instant(value):
    """The document's text of a timestamp read by deltalake."""
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{value.microsecond:06d}" if value.microsecond else "") + "Z"


def group_key(row):
    return (row["granularity"], row["slice_key"], row["slice_value"], row["model_version"])


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b if isinstance(a, (bool, str)) else abs(a - b) <= 1e-12 * max(1.0, abs(b))


def test_dashboard_document_is_valid_and_equals_the_tables(monitored):
    folder, config, refresh_ids = monitored
    VALIDATOR.check_schema(DASHBOARD_SCHEMA)
    document = json.loads(export(config, "--format", "dashboard-json").stdout)
    jsonschema.validate(document, DASHBOARD_SCHEMA, cls=VALIDATOR)

    # Provenance: each table's path and the Delta version read.
    for name in TABLES:
        assert document["tables"][name] == {"path": str(output_table(folder, name)),
                                            "version": DeltaTable(str(output_table(folder, name))).version()}
    refreshes_path = folder / "lake" / "monitoring" / "refreshes"
    assert document["tables"]["refreshes"]["version"] == DeltaTable(str(refreshes_path)).version()
    # The configuration hash is the SHA-256 of the exported configuration's compact text.
    text = json.dumps(document["configuration"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == document["config_hash"]
    assert document["thresholds"]["psi_levels"] == {"moderate": 0.1, "high": 0.25}  # docs/statistics.md

    def band(psi):
        levels = document["thresholds"]["psi_levels"]
        return "none" if psi < levels["moderate"] else "moderate" if psi < levels["high"] else "high"
    assert [r["metric"] for r in document["thresholds"]["breach_rules"]] == ["population_stability_index",
                                                                           "dataset_drift"]

    # Refreshes: the final state of each, from the refreshes table.
    raw = DeltaTable(str(refreshes_path)).to_pyarrow_table().to_pylist()
    final = {r["refresh_id"]: r for r in raw if r["monitor_name"] == "m" and r["state"] != "RUNNING"}
    assert [r["refresh_id"] for r in document["refreshes"]] == list(refresh_ids)
    for record in document["refreshes"]:
        expected = final[record["refresh_id"]]
        assert record["state"] == "SUCCESS" and record["rows_read"] == expected["rows_read"]
        assert record["table_version_to"] == expected["table_version_to"]
        assert record["end_time"] == instant(expected["end_time"])
    assert document["latest_refresh"]["refresh_id"] == refresh_ids[1]
    assert document["monitor_version"] == final[refresh_ids[1]]["monitor_version"]

    drift = read_rows(output_table(folder, "drift_metrics"))
    drift_version = DeltaTable(str(output_table(folder, "drift_metrics"))).version()
    # Both refreshes wrote rows that survive (the second rewrote only the windows it touched).
    assert {r["refresh_id"] for r in drift} == set(refresh_ids)

    # Trends: every BASELINE and CONSECUTIVE row of the whole table, once, with the row's values and provenance.
    by_key = {(r["granularity"], r["drift_type"], r["model_version"], r["column_name"], instant(r["window_start"])): r
              for r in drift if r["slice_key"] is None}
    seen = set()
    for series in document["trends"]:
        starts = [p["window"]["start"] for p in series["points"]]
        assert starts == sorted(starts)
        for point in series["points"]:
            key = (series["granularity"], series["drift_type"], series["model_id"], series["column"],
                   point["window"]["start"])
            row = by_key[key]
            assert key not in seen
            seen.add(key)
            for name in ("population_stability_index", "drift_level", "drifted", "pvalue_adjusted",
                         "drift_statistic", "dataset_drift", "share_of_drifted_columns"):
                assert close(point.get(name), row[name]), (key, name)
            assert point["provenance"] == {"table": "drift_metrics", "table_version": drift_version,
                                           "refresh_id": row["refresh_id"]}
            if "population_stability_index" in point:  # the stated bands are the ones the levels follow
                assert point["drift_level"] == band(point["population_stability_index"])
    assert seen == set(by_key)
    assert sum("population_stability_index" in p for s in document["trends"] for p in s["points"]) > 100

    # Status: the newest BASELINE window of every granularity, slice and model id.
    baseline = [r for r in drift if r["drift_type"] == "BASELINE"]
    newest = {}
    for r in baseline:
        newest[group_key(r)] = max(newest.get(group_key(r), r["window_start"]), r["window_start"])
    assert {(s["granularity"], s["slice_key"], s["slice_value"], s["model_id"]) for s in document["status"]} == \
        set(newest)
    profile = read_rows(output_table(folder, "profile_metrics"))
    for status in document["status"]:
        key = (status["granularity"], status["slice_key"], status["slice_value"], status["model_id"])
        rows = {r["column_name"]: r for r in baseline if group_key(r) == key and r["window_start"] == newest[key]}
        assert status["window"]["start"] == instant(newest[key])
        assert status["dataset_drift"] == rows[":table"]["dataset_drift"]
        assert sorted(status["drifted_columns"]) == sorted(c for c, r in rows.items() if c != ":table" and r["drifted"])
        assert {c["column"] for c in status["columns"]} == set(rows) - {":table"}
        for column in status["columns"]:
            row = rows[column["column"]]
            for name in ("population_stability_index", "drift_level", "drifted", "pvalue_adjusted", "drift_test",
                         "percent_null_delta"):
                assert close(column.get(name), row[name]), (key, column["column"], name)
        rank = [{"high": 0, "moderate": 1}.get(c.get("drift_level"), 2) for c in status["columns"]]
        assert rank == sorted(rank)
        table_row = [r for r in profile if r["log_type"] == "INPUT" and r["column_name"] == ":table"
                     and group_key(r) == key and r["window_start"] == newest[key]]
        assert len(table_row) == 1
        quality = status["quality"]
        for name in ("r2_score", "mean_squared_error", "labelled_rows", "count"):
            assert close(quality.get(name), table_row[0][name]), (key, name)
        assert quality["provenance"]["refresh_id"] == table_row[0]["refresh_id"]

    # Model quality over windows: the whole table's :table rows per granularity and model id.
    table_rows = {(r["granularity"], r["model_version"], instant(r["window_start"])): r for r in profile
                  if r["log_type"] == "INPUT" and r["column_name"] == ":table" and r["slice_key"] is None}
    points = {(q["granularity"], q["model_id"], p["window"]["start"]): p for q in document["quality"]
              for p in q["points"]}
    assert set(points) == set(table_rows)
    for key, point in points.items():
        assert close(point.get("r2_score"), table_rows[key]["r2_score"])
        assert point["labelled_rows"] == table_rows[key]["labelled_rows"]

    # Breaches: every row of the breaches table.
    breaches = read_rows(output_table(folder, "breaches"))
    assert breaches
    assert sorted(b["breach_id"] for b in document["breaches"]) == sorted(r["breach_id"] for r in breaches)
    rows = {r["breach_id"]: r for r in breaches}
    for breach in document["breaches"]:
        row = rows[breach["breach_id"]]
        assert (breach["rule"], breach["column"], breach["model_id"], breach["slice_value"]) == \
            (row["rule"], row["column_name"], row["model_version"], row["slice_value"])
        assert close(breach["value"], row["value"]) and breach["detected_at"] == instant(row["detected_at"])
        assert breach["provenance"]["refresh_id"] == row["refresh_id"] in refresh_ids

    for broken in ({**document, "format_version": 2}, {k: v for k, v in document.items() if k != "tables"},
                   {**document, "status": [{**document["status"][0], "window": None}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, DASHBOARD_SCHEMA, cls=VALIDATOR)


def epoch(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_splunk_hec_lines_parse_and_carry_the_table_rows(monitored, tmp_path):
    folder, config, refresh_ids = monitored
    out = tmp_path / "events.ndjson"
    export(config, "--format", "splunk-hec", "--index", "ml_governance", "--host", "scorer-1", "--out", out)
    lines = out.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert all(line.strip() for line in lines)
    for envelope in events:
        assert set(envelope) == {"time", "host", "source", "sourcetype", "index", "event"}
        assert isinstance(envelope["time"], (int, float)) and envelope["host"] == "scorer-1"
        assert envelope["index"] == "ml_governance"
        assert envelope["event"]["monitor"] == "m" and envelope["event"]["target"] == "dev"
    by_type = {}
    for envelope in events:
        by_type.setdefault(envelope["sourcetype"], []).append(envelope)
    assert set(by_type) == {"driftgov:drift", "driftgov:breach", "driftgov:refresh"}

    breaches = {r["breach_id"]: r for r in read_rows(output_table(folder, "breaches"))}
    assert sorted(e["event"]["breach_id"] for e in by_type["driftgov:breach"]) == sorted(breaches)
    for envelope in by_type["driftgov:breach"]:
        row = breaches[envelope["event"]["breach_id"]]
        assert envelope["time"] == pytest.approx(row["detected_at"].timestamp(), abs=1e-6)
        assert envelope["source"] == str(output_table(folder, "breaches"))
        assert close(envelope["event"]["value"], row["value"])

    refreshes = [e["event"] for e in by_type["driftgov:refresh"]]
    assert [r["refresh_id"] for r in refreshes] == list(refresh_ids)
    assert all(r["state"] == "SUCCESS" for r in refreshes)

    # Drift: each row of the whole table once, and the newest window of each slice.
    drift = read_rows(output_table(folder, "drift_metrics"))
    expected = {(r["granularity"], r["drift_type"], r["slice_key"], r["slice_value"], r["model_version"],
                 r["column_name"], r["window_start"].timestamp()): r for r in drift if r["slice_key"] is None}
    newest = {}
    for r in drift:
        if r["slice_key"] is not None and r["drift_type"] == "BASELINE":
            newest[group_key(r)] = max(newest.get(group_key(r), r["window_start"]), r["window_start"])
    expected.update({(r["granularity"], r["drift_type"], r["slice_key"], r["slice_value"], r["model_version"],
                      r["column_name"], r["window_start"].timestamp()): r for r in drift
                     if r["slice_key"] is not None and r["drift_type"] == "BASELINE"
                     and r["window_start"] == newest[group_key(r)]})
    got = {}
    for envelope in by_type["driftgov:drift"]:
        event = envelope["event"]
        key = (event["granularity"], event["drift_type"], event["slice_key"], event["slice_value"], event["model_id"],
               event["column"], envelope["time"])
        assert key not in got
        got[key] = event
        assert envelope["time"] == epoch(event["window"]["start"])
        assert envelope["source"] == str(output_table(folder, "drift_metrics"))
    assert set(got) == set(expected)
    for key, event in got.items():
        row = expected[key]
        for name in ("population_stability_index", "drift_level", "drifted", "dataset_drift"):
            assert close(event.get(name), row[name]), (key, name)

    # Without --index, no index field.
    plain = export(config, "--format", "splunk-hec").stdout.splitlines()
    assert len(plain) == len(lines) and all("index" not in json.loads(line) for line in plain)


def lakeview_problems(dashboard):
    """Cross-references the schema cannot state: datasets named by widgets exist, encodings name query fields,
    filters name their queries, widgets lie on the 6-column grid without overlapping."""
    problems = []
    datasets = {d["name"] for d in dashboard["datasets"]}
    for page in dashboard["pages"]:
        cells = {}
        for item in page["layout"]:
            widget, where = item["widget"], item["position"]
            if where["x"] + where["width"] > 6:
                problems.append(f"{widget['name']} leaves the grid")
            for x in range(where["x"], where["x"] + where["width"]):
                for y in range(where["y"], where["y"] + where["height"]):
                    if (x, y) in cells:
                        problems.append(f"{widget['name']} overlaps {cells[(x, y)]}")
                    cells[(x, y)] = widget["name"]
            queries = {q["name"]: q["query"] for q in widget.get("queries", [])}
            for query in queries.values():
                if query["datasetName"] not in datasets:
                    problems.append(f"{widget['name']} names dataset {query['datasetName']}")
            if "spec" not in widget:
                continue
            fields = {f["name"] for q in queries.values() for f in q["fields"]}
            encodings = widget["spec"]["encodings"]
            named = [e["fieldName"] for k, e in encodings.items() if k in ("x", "y", "color")]
            named += [c["fieldName"] for c in encodings.get("columns", [])]
            for name in named:
                if name not in fields:
                    problems.append(f"{widget['name']} encodes unknown field {name}")
            for entry in encodings.get("fields", []):
                if entry["queryName"] not in queries:
                    problems.append(f"{widget['name']} names query {entry['queryName']}")
    return problems


def test_lakeview_is_well_formed_and_needs_no_data(monitored, tmp_path):
    folder, config, _ = monitored
    VALIDATOR.check_schema(LAKEVIEW_SCHEMA)
    out = tmp_path / "m.lvdash.json"
    export(config, "--format", "lakeview", "--out", out)
    dashboard = json.loads(out.read_text())
    jsonschema.validate(dashboard, LAKEVIEW_SCHEMA, cls=VALIDATOR)
    assert lakeview_problems(dashboard) == []
    names = {d["name"] for d in dashboard["datasets"]}
    assert names == {"psi_summary", "psi_timeseries", "psi_timeseries_consecutive", "drift_level_bins",
                     "model_quality"}
    widget_types = {i["widget"]["spec"]["widgetType"] for p in dashboard["pages"] for i in p["layout"]
                    if "spec" in i["widget"]}
    assert {"table", "line", "heatmap", "bar"} <= widget_types
    sql = "".join(line for d in dashboard["datasets"] for line in d["queryLines"])
    assert "`monitoring`.`m_drift_metrics`" in sql and "`monitoring`.`m_profile_metrics`" in sql
    catalog = json.loads(export(config, "--format", "lakeview", "--catalog", "main", "--schema", "ml").stdout)
    assert all("`main`.`ml`.`m_" in "".join(d["queryLines"]) for d in catalog["datasets"])
    # Before any refresh: the dashboard is the same (it is SQL over tables that will exist).
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    empty_config = write_config(fresh, folder / "log", folder / "train", ["1 day", "1 week"], ["region"], extra=RULES)
    assert json.loads(export(empty_config, "--format", "lakeview").stdout) == dashboard
    # A monitor without baseline nor labels: CONSECUTIVE drift only, no quality page.
    bare = tmp_path / "bare"
    bare.mkdir()
    bare_config = bare / "driftgov.yaml"
    bare_config.write_text("project: t\ntargets: {dev: {mode: development, lakehouse: ./lake, default: true}}\n"
                           f"monitors:\n  m:\n    table: {folder / 'log'}\n    profile_type: time_series\n"
                           "    timestamp_col: ts\n    granularities: [\"1 day\"]\n")
    plain = json.loads(export(bare_config, "--format", "lakeview").stdout)
    jsonschema.validate(plain, LAKEVIEW_SCHEMA, cls=VALIDATOR)
    assert lakeview_problems(plain) == []
    assert {d["name"] for d in plain["datasets"]} == {"psi_summary", "psi_timeseries", "drift_level_bins"}
    assert "CONSECUTIVE" in "".join(plain["datasets"][0]["queryLines"]) and len(plain["pages"]) == 1


def test_bad_input_gives_clear_messages(monitored, tmp_path):
    folder, config, _ = monitored
    unknown = run_driftgov("export", "nope", "--config", config, "--format", "dashboard-json", check=False)
    assert unknown.returncode == 2 and "no monitor 'nope'; the monitors are: m" in unknown.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    empty_config = write_config(fresh, folder / "log", folder / "train", ["1 day"], extra=RULES)
    for fmt in ("dashboard-json", "splunk-hec"):
        never = export(empty_config, "--format", fmt, check=False)
        assert never.returncode == 2 and "has no refresh yet" in never.stderr and "monitor run m" in never.stderr
    wrong = export(config, "--format", "csv", check=False)
    assert wrong.returncode == 2 and "--format" in wrong.stderr
    misplaced = export(config, "--format", "lakeview", "--index", "main", check=False)
    assert misplaced.returncode == 2 and "--index" in misplaced.stderr
    charts = export(config, "--format", "splunk-hec", "--embed-charts", check=False)
    assert charts.returncode == 2 and "--embed-charts" in charts.stderr
    # A metric table gone: the message names it.
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("driftgov.yaml"))
    copy_config = write_config(copy, copy / "log", copy / "train", ["1 day", "1 week"], ["region"], extra=RULES)
    shutil.rmtree(output_table(copy, "drift_metrics"))
    missing = export(copy_config, "--format", "dashboard-json", check=False)
    assert missing.returncode == 2, missing.stderr
    assert str(output_table(copy, "drift_metrics")) in missing.stderr and "monitor run m" in missing.stderr


def test_tables_without_refresh_ids_gain_them_and_export_null_provenance(tmp_path, driftgov):
    """Metric tables written before rows recorded their refresh: the next incremental refresh adds the column (older
    rows null), and the document says null where it cannot know the refresh."""
    config, _ = lakehouse(tmp_path, seed=11)
    for name in ("profile_metrics", "drift_metrics"):
        path = str(output_table(tmp_path, name))
        table = DeltaTable(path).to_pyarrow_table()
        write_deltalake(path, table.drop_columns(["refresh_id"]), mode="overwrite", schema_mode="overwrite")
    rng = np.random.default_rng(12)
    late = [datetime.datetime(2024, 5, 13, tzinfo=UTC) + datetime.timedelta(seconds=int(s))
            for s in rng.integers(0, 86400, 40)]
    write_deltalake(str(tmp_path / "log"), random_log(rng, late), mode="append")
    summary = run_monitor(config)
    assert summary["state"] == "SUCCESS" and not summary["full_refresh"]
    drift = read_rows(output_table(tmp_path, "drift_metrics"))
    ids = {r["refresh_id"] for r in drift}
    assert ids == {None, summary["refresh_id"]}
    document = json.loads(export(config).stdout)
    jsonschema.validate(document, DASHBOARD_SCHEMA, cls=VALIDATOR)
    by_key = {(r["granularity"], r["drift_type"], r["model_version"], r["column_name"], instant(r["window_start"])):
              r["refresh_id"] for r in drift if r["slice_key"] is None}
    provenance = {(s["granularity"], s["drift_type"], s["model_id"], s["column"], p["window"]["start"]):
                  p["provenance"]["refresh_id"] for s in document["trends"] for p in s["points"]}
    assert provenance == by_key
