"""examples/databricks (docs/python.md, "A Databricks job"): the bundle's job runs the script it names with
parameters the script accepts, and the script, run on local Spark, writes per day and slice the results that
driftgov.compare gives on the same rows filtered with pandas, and exits 3 on a drifted day."""
import datetime
import importlib.util
import re
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from python_package import driftgov

EXAMPLE = ROOT / "examples" / "databricks"


def load_job_module():
    spec = importlib.util.spec_from_file_location("drift_monitor_job", EXAMPLE / "drift_monitor_job.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bundle():
    return yaml.safe_load((EXAMPLE / "databricks.yml").read_text())


def substituted(text, variables):
    return re.sub(r"\$\{var\.(\w+)\}", lambda match: str(variables[match.group(1)]["default"]), text)


def test_bundle_job_names_the_script_with_parameters_it_accepts():
    config = bundle()
    job = config["resources"]["jobs"]["drift_monitor"]
    (task,) = job["tasks"]
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
