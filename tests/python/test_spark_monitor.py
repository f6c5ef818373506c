"""driftgov.spark.run_monitor (docs/python.md, Spark) against the CLI: the tables of a refresh whose rows Spark read
and profiled in 1, 2 and 8 partitions equal those of `driftgov monitor run NAME --full` of the same table (exact
fields equal, quantile-sketch fields within their stated bounds, SketchCheck); Spark SQL reads them; a Spark Connect
client drives the same refresh; a later incremental CLI refresh continues from the version run_monitor processed;
bad input raises driftgov's errors."""
import datetime
import decimal
import math

import numpy as np
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from delta_oracles import spark_connect_session, spark_session
from monitor_oracles import (DRIFT_KEY, PROFILE_KEY, UTC, SketchCheck, assert_rows_equal, baseline_of,
                             equal_values, keyed, output_table, random_log, read_rows, run_monitor,
                             write_config)
from python_package import driftgov

import driftgov.spark  # noqa: E402,F401

pytestmark = pytest.mark.interop

ROWS = 3000
DAYS = 10
NULL_TIMESTAMPS = 7


@pytest.fixture(scope="module")
def session():
    return spark_session()


def stamps(rng, count, first_day):
    """`count` instants over DAYS days from `first_day`, NULL_TIMESTAMPS of them null."""
    start = datetime.datetime(2024, 3, first_day, tzinfo=UTC)
    values = [start + datetime.timedelta(microseconds=int(s)) for s in rng.integers(0, DAYS * 86_400_000_000, count)]
    for i in rng.choice(count, size=NULL_TIMESTAMPS, replace=False):
        values[i] = None
    return values


def with_more_types(rng, table):
    """`table` with columns of the types Spark converts to Arrow its own way: a decimal, a date, a boolean and a
    second timestamp (profiled), some of them null."""
    n = table.num_rows
    null = rng.random(n) < 0.1
    cents = rng.integers(0, 100_000, n)
    day = datetime.date(2024, 2, 1)
    seen = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    columns = {
        "amount": pa.array([None if m else decimal.Decimal(int(c)) / 100 for c, m in zip(cents, null)],
                           pa.decimal128(10, 2)),
        "opened": pa.array([day + datetime.timedelta(days=int(d)) for d in rng.integers(0, 60, n)], pa.date32()),
        "flag": pa.array([None if m else bool(b) for b, m in zip(rng.random(n) < 0.3, null)], pa.bool_()),
        "seen": pa.array([seen + datetime.timedelta(seconds=int(s)) for s in rng.integers(0, 10**7, n)],
                         pa.timestamp("us", tz="UTC")),
    }
    for name, values in columns.items():
        table = table.append_column(name, values)
    return table


def lakehouse(tmp_path, rng):
    """The monitored log (two commits, so several files), a baseline table and driftgov.yaml (targets dev and full
    over the same tables, monitor m: daily and weekly windows, a model id, regression quality, two slicings)."""
    log = tmp_path / "log"
    write_deltalake(str(log), with_more_types(rng, random_log(rng, stamps(rng, ROWS // 2, 1))))
    write_deltalake(str(log), with_more_types(rng, random_log(rng, stamps(rng, ROWS - ROWS // 2, 3))), mode="append")
    training = tmp_path / "training"
    write_deltalake(str(training), baseline_of(with_more_types(rng, random_log(rng, stamps(rng, 800, 1)))))
    return write_config(tmp_path, log, baseline=training, granularities=("1 day", "1 week"),
                        slicing=("region", "price > 100"))


def spark_count(session, table, where="true"):
    return session.sql(f"SELECT count(*) AS n FROM delta.`{table}` WHERE {where}").collect()[0]["n"]


def equal_and_within_bounds(check):
    """A sketched field (SketchCheck): within its stated bound of the exact value, and equal to the CLI's. The two
    are equal here field for field, sketch fields included, so equality is asserted; the bounds are what merged
    sketches guarantee in general (docs/profiles.md)."""
    def sketched(key, field, row, other):
        check(key, field, row, other)
        assert equal_values(row[field], other[field]), f"{key} {field}: run_monitor {row[field]!r}, CLI {other[field]!r}"
    return sketched


def check_avg_deltas(drift, cli_drift, profile):
    """avg_delta (a difference of two means) to the rounding of the means: 1e-9 of the largest mean of its column
    (a timestamp's mean is ~1.7e15 microseconds, whose last bit is 0.25), then left out of the field comparison."""
    scale = {}
    for row in profile:
        if row["avg"] is not None and math.isfinite(row["avg"]):
            scale[row["column_name"]] = max(scale.get(row["column_name"], 0.0), abs(row["avg"]))
    cli = keyed(cli_drift, DRIFT_KEY)
    checked = 0
    for key, row in keyed(drift, DRIFT_KEY).items():
        a, b = row.pop("avg_delta"), cli[key].pop("avg_delta")
        if a is None or b is None:
            assert a is None and b is None, (key, a, b)
            continue
        assert abs(a - b) <= 1e-9 * scale[row["column_name"]] + 1e-12, (key, a, b)
        checked += 1
    assert checked > 0


def assert_tables_match_a_full_cli_refresh(tmp_path, equal_sketches):
    """profile_metrics and drift_metrics of target dev against those of the CLI's full refresh on target full
    (already run): exact fields equal, means to rounding, sketch fields within their bounds (SketchCheck) and, with
    `equal_sketches`, equal. Returns dev's (profile rows, drift rows)."""
    profile = read_rows(output_table(tmp_path, "profile_metrics"))
    check = SketchCheck(tmp_path / "log", profile)
    sketched = equal_and_within_bounds(check) if equal_sketches else check
    assert_rows_equal(profile, read_rows(output_table(tmp_path, "profile_metrics", "lake_full")), PROFILE_KEY,
                      "profile_metrics", sketched)
    drift = read_rows(output_table(tmp_path, "drift_metrics"))
    cli_drift = read_rows(output_table(tmp_path, "drift_metrics", "lake_full"))
    check_avg_deltas(drift, cli_drift, profile)
    assert_rows_equal(drift, cli_drift, DRIFT_KEY, "drift_metrics", sketched)
    assert check.checked_quantiles > 0 and check.checked_ks > 0
    return profile, drift


# Spark hands timestamps to the tasks labelled with the session's time zone: the windows must not depend on it.
@pytest.mark.parametrize("partitions,session_zone", [(1, "UTC"), (2, "Asia/Kolkata"), (8, "America/Los_Angeles")])
def test_run_monitor_tables_equal_the_cli_refresh(session, tmp_path, partitions, session_zone):
    config = lakehouse(tmp_path, np.random.default_rng(partitions))
    zone = session.conf.get("spark.sql.session.timeZone")
    session.conf.set("spark.sql.session.timeZone", session_zone)
    try:
        summary = driftgov.spark.run_monitor(session, config, "m", partitions=partitions)
    finally:
        session.conf.set("spark.sql.session.timeZone", zone)
    assert summary["state"] == "SUCCESS" and summary["full_refresh"], summary
    assert summary["table_version_to"] == 1 and summary["table_version_from"] is None
    assert summary["rows_read"] == ROWS and summary["null_timestamp_rows"] == 2 * NULL_TIMESTAMPS
    cli = run_monitor(config, "--target", "full", "--full")
    assert cli["windows_touched"] == summary["windows_touched"]
    profile, drift = assert_tables_match_a_full_cli_refresh(tmp_path, equal_sketches=True)
    # The groups the test means to cover are there: both slicings, both granularities, every model, the baseline.
    assert {(r["slice_key"], r["slice_value"]) for r in profile} >= {
        (None, None), ("region", "north"), ("region", "south"), ("region", "east"), ("price > 100", "true"),
        ("price > 100", "false")}
    assert {r["granularity"] for r in drift} == {"1 day", "1 week"}
    assert {r["model_version"] for r in profile} >= {"v1", "v2", "*", None}
    assert {r["drift_type"] for r in drift} == {"BASELINE", "CONSECUTIVE"}

    # Spark reads the tables run_monitor wrote: every row, and the whole table's daily row counts add up to the
    # rows with a timestamp.
    profile_table = output_table(tmp_path, "profile_metrics")
    assert spark_count(session, profile_table) == len(profile)
    assert spark_count(session, output_table(tmp_path, "drift_metrics")) == len(drift)
    daily = session.sql(
        f"SELECT sum(count) AS n FROM delta.`{profile_table}` WHERE log_type = 'INPUT' AND granularity = '1 day' "
        "AND slice_key IS NULL AND model_version = '*' AND column_name = ':table'").collect()[0]["n"]
    assert daily == ROWS - 2 * NULL_TIMESTAMPS


def test_run_monitor_over_spark_connect(session, tmp_path):
    """A Spark Connect client session (pyspark.sql.connect, as Databricks Connect) drives the same refresh."""
    config = lakehouse(tmp_path, np.random.default_rng(5))
    summary = driftgov.spark.run_monitor(spark_connect_session(), config, "m", partitions=3)
    assert summary["state"] == "SUCCESS" and summary["rows_read"] == ROWS
    run_monitor(config, "--target", "full", "--full")
    assert_tables_match_a_full_cli_refresh(tmp_path, equal_sketches=True)


def test_an_incremental_cli_refresh_continues_from_run_monitor(session, tmp_path):
    rng = np.random.default_rng(11)
    config = lakehouse(tmp_path, rng)
    first = driftgov.spark.run_monitor(session, config, "m", partitions=2)
    assert first["state"] == "SUCCESS"
    write_deltalake(str(tmp_path / "log"), with_more_types(rng, random_log(rng, stamps(rng, 400, 9))), mode="append")
    after = run_monitor(config)
    assert not after["full_refresh"] and after["table_version_from"] == 1 and after["table_version_to"] == 2
    assert after["rows_read"] == 400  # only the new file's rows
    assert run_monitor(config, "--target", "full", "--full")["state"] == "SUCCESS"
    assert_tables_match_a_full_cli_refresh(tmp_path, equal_sketches=False)
    refreshes = read_rows(tmp_path / "lake" / "monitoring" / "refreshes")
    finished = sorted((r for r in refreshes if r["state"] == "SUCCESS"), key=lambda r: r["start_time"])
    assert [(r["full_refresh"], r["table_version_to"]) for r in finished] == [(True, 1), (False, 2)]


def test_run_monitor_bad_input(session, tmp_path):
    config = lakehouse(tmp_path, np.random.default_rng(3))
    with pytest.raises(driftgov.InputError, match=r"driftgov\.yaml: no monitor 'missing'.*the monitors are: m"):
        driftgov.spark.run_monitor(session, config, "missing")
    with pytest.raises(driftgov.InputError, match=r"nowhere\.yaml: cannot read the configuration file"):
        driftgov.spark.run_monitor(session, tmp_path / "nowhere.yaml", "m")
    lineage = tmp_path / "lineage.yaml"
    lineage.write_text(config.read_text().replace("monitors:", "lineage: {file: events.jsonl}\nmonitors:"))
    with pytest.raises(driftgov.InputError, match=r"spark\.run_monitor: .*lineage\.yaml declares lineage"):
        driftgov.spark.run_monitor(session, lineage, "m")
    with pytest.raises(driftgov.InputError, match=r"partitions: expected a positive number of tasks, got 0"):
        driftgov.spark.run_monitor(session, config, "m", partitions=0)
    assert not (tmp_path / "lake").exists()
