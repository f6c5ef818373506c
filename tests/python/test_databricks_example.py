"""examples/databricks (docs/python.md, "A Databricks job"): the bundle's job runs the scripts it names with
parameters the scripts accept. drift_monitor_job.py, run on local Spark, writes per day and slice the results that
driftgov.compare gives on the same rows filtered with pandas, and exits 3 on a drifted day. monitor_refresh_job.py,
run with the task's parameters on a lakehouse written by Spark's Delta writer, writes the monitor tables of
`driftgov monitor run NAME --full` on a copy of that lakehouse, and exits 3 on breaches only with --fail-on-breach."""
import datetime
import importlib.util
import json
import re
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_driftgov
from python_package import driftgov

EXAMPLE = ROOT / "examples" / "databricks"
MONITOR = "sales_forecast"


def load_job_module(name="drift_monitor_job"):
    spec = importlib.util.spec_from_file_location(name, EXAMPLE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bundle():
    return yaml.safe_load((EXAMPLE / "databricks.yml").read_text())


def substituted(text, variables, values=None):
    """`text` with the bundle's ${var.NAME} (their defaults, or `values`) and ${bundle.target} and
    ${workspace.file_path} (from `values`: target, file_path) substituted."""
    values = values or {}

    def value(match):
        kind, name = match.group(1), match.group(2)
        if kind == "var":
            return str(values.get(name, variables[name]["default"]))
        return str(values[name])

    return re.sub(r"\$\{(var|bundle|workspace)\.(\w+)\}", value, text)


def task_of(job, key):
    (task,) = [task for task in job["tasks"] if task["task_key"] == key]
    return task


def test_bundle_job_names_the_script_with_parameters_it_accepts():
    config = bundle()
    job = config["resources"]["jobs"]["drift_monitor"]
    assert {task["task_key"] for task in job["tasks"]} == {"daily_drift", "monitor_refresh"}
    task = task_of(job, "daily_drift")
    assert task["job_cluster_key"] in {cluster["job_cluster_key"] for cluster in job["job_clusters"]}
    assert (EXAMPLE / task["spark_python_task"]["python_file"]).resolve() == EXAMPLE / "drift_monitor_job.py"
    parameters = [substituted(p, config["variables"]) for p in task["spark_python_task"]["parameters"]]
    options = load_job_module().parser().parse_args(parameters)
    assert options.table == "main.sales.inference_log" and options.slice == ["region"]
    assert options.baseline_profile == "/Volumes/main/sales/driftgov/baseline.profile.json"
    assert options.fail_on_drift and options.days == 1
    # The wheel the task installs is the one the bundle's artifact builds from the project root.
    artifact = config["artifacts"]["driftgov_wheel"]
    assert (EXAMPLE / artifact["path"] / "pyproject.toml").resolve() == ROOT / "pyproject.toml"
    (library,) = task["libraries"]
    assert (EXAMPLE / library["whl"]).parent.resolve() == (EXAMPLE / artifact["path"] / "dist").resolve()
    assert "-w dist" in artifact["build"]


def monitor_task_parameters(target, file_path=EXAMPLE, **variables):
    config = bundle()
    task = task_of(config["resources"]["jobs"]["drift_monitor"], "monitor_refresh")
    values = {"target": target, "file_path": file_path, **variables}
    return [substituted(p, config["variables"], values) for p in task["spark_python_task"]["parameters"]]


def test_bundle_monitor_task_refreshes_the_example_monitor_of_the_bundle_target():
    config = bundle()
    job = config["resources"]["jobs"]["drift_monitor"]
    task = task_of(job, "monitor_refresh")
    assert task["job_cluster_key"] in {cluster["job_cluster_key"] for cluster in job["job_clusters"]}
    assert task["libraries"] == task_of(job, "daily_drift")["libraries"]
    assert (EXAMPLE / task["spark_python_task"]["python_file"]).resolve() == EXAMPLE / "monitor_refresh_job.py"
    script = load_job_module("monitor_refresh_job")
    options = script.parser().parse_args(monitor_task_parameters("prod", "/Workspace/bundle/files"))
    assert options.config == "/Workspace/bundle/files/driftgov.yaml"
    assert options.target == "prod" and options.monitor == MONITOR and options.fail_on_breach
    assert options.var == [("lake", "/Volumes/main/sales/driftgov/lakehouse")]
    # Each bundle target is a target of driftgov.yaml, whose lakehouse root is the variable the task sets.
    monitors = yaml.safe_load((EXAMPLE / "driftgov.yaml").read_text())
    assert set(config["targets"]) <= set(monitors["targets"]) and MONITOR in monitors["monitors"]
    assert all(target["lakehouse"].startswith("${var.lake}/") for target in monitors["targets"].values())
    assert monitors["variables"]["lake"]["default"] == config["variables"]["lakehouse"]["default"]
    with pytest.raises(SystemExit):
        script.parser().parse_args(["--config", "c", "--monitor", "m", "--var", "lake"])


def make_log(seed=4):
    """Three days of orders; on the third, prices in the west rise by a third."""
    rng = np.random.default_rng(seed)
    start = datetime.datetime(2026, 10, 1, tzinfo=datetime.timezone.utc)
    rows = 1500
    day = np.repeat([0, 1, 2], rows // 3)
    region = rng.choice(["west", "east"], rows)
    price = rng.normal(20, 4, rows) * np.where((day == 2) & (region == "west"), 1.35, 1.0)
    return pd.DataFrame({
        "ts": [start + datetime.timedelta(days=int(d), minutes=int(m)) for d, m in zip(day, rng.integers(0, 1440, rows))],
        "order_id": np.arange(rows), "price": price, "quantity": rng.poisson(3, rows).astype(np.int64),
        "channel": rng.choice(["web", "store"], rows), "region": region})


@pytest.mark.interop
def test_job_on_local_spark_writes_the_results_of_driftgov_compare(tmp_path):
    from delta_oracles import spark_session

    spark = spark_session()
    log = make_log()
    training = make_log(seed=9)
    training = training[training["ts"].dt.day == 1].drop(columns=["ts"])  # no drift, as a training set
    # One partition each, so that the Spark profiles equal the single-process ones (docs/python.md, Spark).
    spark.createDataFrame(log).coalesce(1).createOrReplaceTempView("inference_log")
    spark.createDataFrame(training).coalesce(1).createOrReplaceTempView("training_set")
    spark.sql(f"CREATE DATABASE IF NOT EXISTS drift_example LOCATION '{tmp_path / 'warehouse'}'")
    job = load_job_module()
    arguments = ["--table", "inference_log", "--baseline-table", "training_set",
                 "--baseline-profile", str(tmp_path / "volume" / "baseline.profile.json"),
                 "--results-table", "drift_example.results", "--timestamp-col", "ts", "--days", "3",
                 "--end", "2026-10-04", "--slice", "region", "--exclude", "order_id", "--drift-share", "0.3",
                 "--fail-on-drift"]
    try:
        assert job.main(spark, arguments) == job.DRIFT_EXIT_CODE
        saved = tmp_path / "volume" / "baseline.profile.json"
        written = saved.stat().st_mtime_ns
        results = spark.table("drift_example.results").toPandas()
        # A second run loads the stored baseline instead of profiling the table again.
        assert job.main(spark, arguments[:-1]) == 0
        assert saved.stat().st_mtime_ns == written
        assert len(spark.table("drift_example.results").toPandas()) == 2 * len(results)
    finally:
        spark.sql("DROP DATABASE IF EXISTS drift_example CASCADE")

    features = ["price", "quantity", "channel"]
    baseline = driftgov.profile(training[features])
    log_day = log["ts"].dt.date
    # 3 days x (the whole day + 2 regions) x 3 columns.
    assert len(results) == 3 * 3 * len(features)
    for (day, slice_key, slice_value), rows in results.groupby(["day", "slice_key", "slice_value"], dropna=False):
        chosen = log_day == day
        if isinstance(slice_key, str):
            chosen &= log["region"] == slice_value
        expected = driftgov.compare(baseline, driftgov.profile(log[chosen][features]), drift_share=0.3)
        for row in rows.itertuples():
            column = expected.columns[row.column_name]
            assert row.population_stability_index == pytest.approx(column["population_stability_index"], rel=1e-9)
            assert row.drifted == column["drifted"] and row.test == column["test"]["name"]
            assert row.dataset_drift == expected.dataset_drift
    drifted = results[results["drifted"]]
    assert set(zip(drifted["day"].astype(str), drifted["slice_value"], drifted["column_name"])) >= {
        ("2026-10-03", "west", "price")}
    assert not results[(results["day"].astype(str) != "2026-10-03") & (results["column_name"] == "price")][
        "drifted"].any()
    assert sys.modules.get("driftgov.spark") is not None


MONITOR_DAYS = 7
ROWS = 4000
LOG_OPTIONS = {"models": ("v1",), "null_models": False, "null_share": 0.0}
DRIFT_START = datetime.datetime(2026, 10, 6, tzinfo=datetime.timezone.utc)  # the last two days


def write_lakehouse(spark, lake, target, drift):
    """The example monitor's tables under `lake`/`target`, written with Spark's Delta writer: an inference log of
    seven days from 2026-10-01 (monitor_oracles.random_log: NaN and zeros; one model and no nulls, so that every
    daily slice has some 190 rows and the PSI of an undrifted one stays well below the rule's 0.25) and its training
    set; with `drift`, prices in the east rise by half on the last two days."""
    from monitor_oracles import LOG_SCHEMA, baseline_of, random_log

    rng = np.random.default_rng(21)

    def stamps(count):
        start = datetime.datetime(2026, 10, 1, tzinfo=datetime.timezone.utc)
        return [start + datetime.timedelta(microseconds=int(s))
                for s in rng.integers(0, MONITOR_DAYS * 86_400_000_000, count)]

    log = random_log(rng, stamps(ROWS), **LOG_OPTIONS).to_pylist()
    if drift:
        for row in log:
            if row["region"] == "east" and row["ts"] >= DRIFT_START and row["price"] is not None:
                row["price"] *= 1.5
    training = baseline_of(random_log(rng, stamps(1500), **LOG_OPTIONS))
    schema = ", ".join(f"{field.name} {spark_type(field.type)}" for field in LOG_SCHEMA)
    folder = lake / target / "sales"
    spark.createDataFrame(log, schema).coalesce(1).write.format("delta").save(str(folder / "inference_log"))
    training_schema = ", ".join(f"{field.name} {spark_type(field.type)}" for field in training.schema)
    spark.createDataFrame(training.to_pylist(), training_schema).coalesce(1).write.format("delta").save(
        str(folder / "training_set"))
    return folder / "inference_log"


def spark_type(arrow_type):
    import pyarrow as pa

    return {pa.string(): "STRING", pa.float64(): "DOUBLE", pa.int64(): "BIGINT"}.get(arrow_type, "TIMESTAMP")


def run_monitor_task(spark, capsys, lake, *dropped):
    """The monitor task's script with the bundle task's parameters for target prod and lakehouse root `lake`, less
    `dropped`: (exit code, the summary it printed, the breach lines it printed)."""
    script = load_job_module("monitor_refresh_job")
    parameters = [p for p in monitor_task_parameters("prod", lakehouse=lake) if p not in dropped]
    code = script.main(spark, parameters)
    out, err = capsys.readouterr()
    (line,) = [line for line in out.splitlines() if line.startswith("{")]
    return code, json.loads(line), [line for line in err.splitlines() if line.startswith("breach ")]


@pytest.mark.interop
def test_monitor_task_on_local_spark_writes_the_tables_of_a_full_cli_refresh(tmp_path, capsys):
    from delta_oracles import spark_session
    from monitor_oracles import read_rows
    from test_spark_monitor import assert_tables_match_a_full_cli_refresh

    spark = spark_session()
    lake, cli_lake = tmp_path / "lakehouse", tmp_path / "cli_lakehouse"
    log = write_lakehouse(spark, lake, "prod", drift=True)
    shutil.copytree(lake, cli_lake)
    validated = run_driftgov("validate", "--config", EXAMPLE / "driftgov.yaml", "--target", "prod", "--var",
                             f"lake={lake}")
    assert "OK, target prod, 1 monitor" in validated.stdout
    code, summary, breach_lines = run_monitor_task(spark, capsys, lake)
    script = load_job_module("monitor_refresh_job")
    assert code == script.BREACH_EXIT_CODE == 3
    assert summary["monitor"] == MONITOR and summary["state"] == "SUCCESS" and summary["full_refresh"]
    assert summary["rows_read"] == ROWS and len(breach_lines) == len(summary["breaches"]) > 0

    cli = json.loads(run_driftgov("monitor", "run", MONITOR, "--config", EXAMPLE / "driftgov.yaml", "--target",
                                  "prod", "--var", f"lake={cli_lake}", "--full", "--json").stdout)[0]
    assert cli["windows_touched"] == summary["windows_touched"]
    output, cli_output = lake / "prod" / "monitoring", cli_lake / "prod" / "monitoring"
    profile, drift = assert_tables_match_a_full_cli_refresh(
        tmp_path, equal_sketches=False, table=lambda name: output / f"{MONITOR}_{name}",
        cli_table=lambda name: cli_output / f"{MONITOR}_{name}", log=log)
    assert {r["slice_value"] for r in profile} >= {None, "north", "south", "east"}
    assert {r["granularity"] for r in drift} == {"1 day", "1 week"}
    # The breaches: the CLI's, and the daily windows of the drifted east prices among them.
    breaches = read_rows(output / f"{MONITOR}_breaches")
    assert {b["breach_id"] for b in breaches} == {b["breach_id"] for b in summary["breaches"]} == {
        b["breach_id"] for b in read_rows(cli_output / f"{MONITOR}_breaches")}
    # The rule needs two violating windows in a row: it fires on the second drifted day, in the east or the whole
    # table (a third of whose rows drifted), and nowhere else.
    second_day = (DRIFT_START + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fired = {(b["granularity"], b["window"]["start"], b["slice_value"], b["column"]) for b in summary["breaches"]}
    assert ("1 day", second_day, "east", "price") in fired
    assert fired <= {("1 day", second_day, "east", "price"), ("1 day", second_day, None, "price")}, fired

    # Without --fail-on-breach the same refresh exits 0.
    code, again, _ = run_monitor_task(spark, capsys, lake, "--fail-on-breach")
    assert code == 0 and again["breaches"] == summary["breaches"]


@pytest.mark.interop
def test_monitor_task_without_breaches_exits_0(tmp_path, capsys):
    from delta_oracles import spark_session

    spark = spark_session()
    lake = tmp_path / "lakehouse"
    write_lakehouse(spark, lake, "prod", drift=False)
    code, summary, breach_lines = run_monitor_task(spark, capsys, lake)
    assert summary["state"] == "SUCCESS" and summary["rows_read"] == ROWS
    assert (code, breach_lines) == (0, []), "\n".join(breach_lines)
