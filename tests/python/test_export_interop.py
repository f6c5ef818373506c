"""The Lakeview dashboard of `driftgov export --format lakeview` (docs/export.md) in Apache Spark: every dataset's
SQL runs unchanged on the monitor's metric tables, registered the way a user registers them (CREATE TABLE ... USING
DELTA LOCATION), its rows equal the values computed here from the tables read with deltalake, and every column a
widget names is a column of its dataset's result."""
import json
import re
import uuid

import delta  # noqa: F401 - delta-spark, the Spark oracle of these tests
import pyspark  # noqa: F401 - the Spark oracle of these tests
import pytest

from conftest import run_driftgov
from delta_oracles import spark_session
from monitor_oracles import UTC, output_table, read_rows
from test_export import lakehouse

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def spark():
    return spark_session()


@pytest.fixture(scope="module")
def monitored(tmp_path_factory, driftgov):
    folder = tmp_path_factory.mktemp("export_interop")
    config, _ = lakehouse(folder, seed=8)
    return folder, config


def lakeview(config, *args):
    return json.loads(run_driftgov("export", "m", "--config", config, "--format", "lakeview", *args).stdout)


def register(spark, folder, schema, location):
    """What a user runs once: a schema and one external table per metric table."""
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS `{schema}` LOCATION '{location}'")
    for name in ("drift_metrics", "profile_metrics"):
        spark.sql(f"CREATE TABLE `{schema}`.`m_{name}` USING DELTA LOCATION '{output_table(folder, name)}'")


def sql_of(dataset):
    return "".join(dataset["queryLines"])


def rows_of(spark, dataset):
    return [row.asDict(recursive=True) for row in spark.sql(sql_of(dataset)).collect()]


def seconds(value):
    """Seconds since the epoch of a timestamp from either reader (Spark's are naive, in the session's UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b if isinstance(a, (bool, str)) else abs(a - b) <= 1e-12 * max(1.0, abs(b))


def expected_summary(folder):
    """The PSI summary computed from the deltalake rows: newest BASELINE window per granularity, whole table, all
    models, most severe first."""
    rows = [r for r in read_rows(output_table(folder, "drift_metrics"))
            if r["drift_type"] == "BASELINE" and r["slice_key"] is None and r["model_version"] == "*"
            and r["column_name"] != ":table"]
    newest = {}
    for r in rows:
        newest[r["granularity"]] = max(newest.get(r["granularity"], r["window_start"]), r["window_start"])
    rows = [r for r in rows if r["window_start"] == newest[r["granularity"]]]
    rank = {"high": 0, "moderate": 1}
    rows.sort(key=lambda r: (r["granularity"], rank.get(r["drift_level"], 2), -r["population_stability_index"],
                             r["column_name"]))
    return [(r["granularity"], r["column_name"], r["population_stability_index"], r["drift_level"], r["drifted"],
             r["pvalue_adjusted"], r["percent_null_delta"]) for r in rows]


def check_widgets_name_result_columns(spark, dashboard):
    """Every backquoted column in a widget's field expressions is a column of its dataset's result (Lakeview's own
    associative_filter_predicate_group aside)."""
    columns = {d["name"]: set(spark.sql(sql_of(d)).columns) for d in dashboard["datasets"]}
    checked = 0
    for page in dashboard["pages"]:
        for item in page["layout"]:
            for query in item["widget"].get("queries", []):
                for field in query["query"]["fields"]:
                    for name in re.findall(r"`([^`]+)`", field["expression"]):
                        if name != "associative_filter_predicate_group":
                            assert name in columns[query["query"]["datasetName"]], (item["widget"]["name"], name)
                            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("catalog", [None, "spark_catalog"])
def test_every_lakeview_query_runs_unchanged_in_spark(monitored, spark, tmp_path, catalog):
    folder, config = monitored
    schema = f"monitoring_{uuid.uuid4().hex[:8]}"
    args = ["--schema", schema] + (["--catalog", catalog] if catalog else [])
    dashboard = lakeview(config, *args)
    register(spark, folder, schema, tmp_path / "warehouse")
    try:
        results = {d["name"]: rows_of(spark, d) for d in dashboard["datasets"]}
        assert all(results.values()), {k: len(v) for k, v in results.items()}
        summary = [(r["granularity"], r["feature"], r["psi"], r["drift_level"], r["drifted"], r["p_value"],
                    r["null_rate_change_pp"]) for r in results["psi_summary"]]
        expected = expected_summary(folder)
        assert len(summary) == len(expected)
        for got, want in zip(summary, expected):
            assert all(close(g, w) for g, w in zip(got, want)), (got, want)

        drift = read_rows(output_table(folder, "drift_metrics"))
        for name, drift_type in (("psi_timeseries", "BASELINE"), ("psi_timeseries_consecutive", "CONSECUTIVE")):
            want = sorted((r["granularity"], seconds(r["window_start"]), r["column_name"], r["population_stability_index"])
                          for r in drift if r["drift_type"] == drift_type and r["slice_key"] is None
                          and r["model_version"] == "*" and r["column_name"] != ":table")
            got = sorted((r["granularity"], seconds(r["window_start"]), r["feature"], r["psi"]) for r in results[name])
            assert [g[:3] for g in got] == [w[:3] for w in want]
            assert all(close(g[3], w[3]) for g, w in zip(got, want))

        bins = {}
        for r in drift:
            if r["drift_type"] == "BASELINE" and r["slice_key"] is None and r["model_version"] == "*" \
                    and r["column_name"] != ":table":
                key = (r["granularity"], seconds(r["window_start"]), r["drift_level"] or "not measured")
                bins[key] = bins.get(key, 0) + 1
        assert {(r["granularity"], seconds(r["window_start"]), r["drift_level"]): r["features"]
                for r in results["drift_level_bins"]} == bins

        profile = [r for r in read_rows(output_table(folder, "profile_metrics"))
                   if r["log_type"] == "INPUT" and r["column_name"] == ":table" and r["slice_key"] is None]
        want = {(r["granularity"], seconds(r["window_start"]), r["model_version"]): r for r in profile}
        got = {(r["granularity"], seconds(r["window_start"]), r["model_id"]): r for r in results["model_quality"]}
        assert set(got) == set(want)
        for key, row in got.items():
            assert close(row["r2_score"], want[key]["r2_score"]) and row["row_count"] == want[key]["count"]
            assert row["labelled_rows"] == want[key]["labelled_rows"]
        check_widgets_name_result_columns(spark, dashboard)
    finally:
        spark.sql(f"DROP SCHEMA IF EXISTS `{schema}` CASCADE")
