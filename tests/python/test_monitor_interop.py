"""The monitor's output tables read by Apache Spark (Delta) and DuckDB, and the queries of a Lakehouse Monitoring
style dashboard run on them in Spark SQL and DuckDB SQL, against the same values read with deltalake."""
import datetime
import json
import math

import delta  # noqa: F401 - delta-spark, the Spark oracle of these tests
import duckdb
import numpy as np
import pyspark  # noqa: F401 - the Spark oracle of these tests
import pytest
from deltalake import DeltaTable, write_deltalake

from delta_oracles import spark_session
from monitor_oracles import (DRIFT_KEY, PROFILE_KEY, UTC, baseline_of, compare_with_full, keyed, output_table,
                             random_log, read_rows, run_monitor, write_config)

pytestmark = pytest.mark.interop
TABLES = ("profile_metrics", "drift_metrics", "breaches")


@pytest.fixture(scope="module")
def spark():
    return spark_session()


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    """A monitor refreshed fully, then incrementally after an append and a late label fill (so that its tables have
    several versions with removed files)."""
    folder = tmp_path_factory.mktemp("monitor")
    rng = np.random.default_rng(21)
    start = datetime.datetime(2024, 5, 6, tzinfo=UTC)

    def stamps(n, first_day, days):
        return [start + datetime.timedelta(days=first_day, seconds=int(s)) for s in rng.integers(0, days * 86400, n)]

    write_deltalake(str(folder / "log"), random_log(rng, stamps(400, 0, 10)))
    write_deltalake(str(folder / "train"), baseline_of(random_log(rng, [None] * 300)))
    config = write_config(folder, folder / "log", folder / "train", ["1 day", "1 week"], ["region", "price > 100"],
                          extra="    breach: [{metric: population_stability_index, op: \">=\", value: 0.25}]\n")
    run_monitor(config)
    write_deltalake(str(folder / "log"), random_log(rng, stamps(60, 9, 3)), mode="append")
    run_monitor(config)
    DeltaTable(str(folder / "log")).update(predicate="label IS NULL AND qty < 3", updates={"label": "5.0"})
    assert run_monitor(config)["state"] == "SUCCESS"
    return folder


def normal(value):
    """One form for a value from any reader."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if hasattr(value, "asDict"):
        return normal(value.asDict(recursive=True))
    if isinstance(value, dict):
        return tuple(sorted((k, normal(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(normal(v) for v in value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    return value


def bag(rows):
    return sorted((tuple(sorted((k, normal(v)) for k, v in row.items())) for row in rows), key=repr)


def deltalake_bag(path):
    return bag(DeltaTable(str(path)).to_pyarrow_table().to_pylist())


def duckdb_connection(folder):
    """DuckDB with one view per output table over the Parquet files of its current snapshot (deltalake lists
    them)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for name in TABLES:
        files = DeltaTable(str(output_table(folder, name))).file_uris()
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}])")
    return connection


def test_spark_and_duckdb_read_the_output_tables(monitored, spark):
    connection = duckdb_connection(monitored)
    for name in TABLES:
        path = output_table(monitored, name)
        expected = deltalake_bag(path)
        assert expected, name
        assert bag(row.asDict(recursive=True) for row in spark.read.format("delta").load(str(path)).collect()) \
            == expected, name
        assert bag(connection.execute(f"SELECT * FROM {name}").to_arrow_table().to_pylist()) == expected, name
    keyed(read_rows(output_table(monitored, "profile_metrics")), PROFILE_KEY)
    keyed(read_rows(output_table(monitored, "drift_metrics")), DRIFT_KEY)
    schema = {f.name: f.dataType.simpleString()
              for f in spark.read.format("delta").load(str(output_table(monitored, "profile_metrics"))).schema}
    assert schema["window"] == "struct<start:timestamp,end:timestamp>"
    assert schema["frequent_items"] == "array<struct<item:string,count:bigint>>"
    assert schema["quantiles"] == "array<double>"
    assert schema["precision"] == "struct<macro:double,weighted:double>"


# The dashboard's queries: PSI per column and window of the whole table, every model, against the baseline; R² over
# windows from the :table rows.
PSI_SQL = """
SELECT `window`.start AS window_start, column_name, population_stability_index AS psi
FROM {drift}
WHERE drift_type = 'BASELINE' AND granularity = '1 day' AND slice_key IS NULL AND model_version = '*'
  AND column_name != ':table'
ORDER BY `window`.start, column_name
"""
R2_SQL = """
SELECT `window`.start AS window_start, r2_score, mean_squared_error, labelled_rows
FROM {profile}
WHERE log_type = 'INPUT' AND column_name = ':table' AND granularity = '1 day' AND slice_key IS NULL
  AND model_version = '*'
ORDER BY `window`.start
"""


def expected_psi(folder):
    rows = [r for r in read_rows(output_table(folder, "drift_metrics"))
            if r["drift_type"] == "BASELINE" and r["granularity"] == "1 day" and r["slice_key"] is None
            and r["model_version"] == "*" and r["column_name"] != ":table"]
    rows.sort(key=lambda r: (r["window_start"], r["column_name"]))
    return [(normal(r["window_start"]), r["column_name"], normal(r["population_stability_index"])) for r in rows]


def expected_r2(folder):
    rows = [r for r in read_rows(output_table(folder, "profile_metrics"))
            if r["log_type"] == "INPUT" and r["column_name"] == ":table" and r["granularity"] == "1 day"
            and r["slice_key"] is None and r["model_version"] == "*"]
    rows.sort(key=lambda r: r["window_start"])
    return [(normal(r["window_start"]), normal(r["r2_score"]), normal(r["mean_squared_error"]), r["labelled_rows"])
            for r in rows]


def test_dashboard_queries_in_spark_sql_and_duckdb(monitored, spark):
    drift = f"delta.`{output_table(monitored, 'drift_metrics')}`"
    profile = f"delta.`{output_table(monitored, 'profile_metrics')}`"
    psi = expected_psi(monitored)
    r2 = expected_r2(monitored)
    assert len(psi) >= 10 * 6 and len(r2) >= 10
    assert all(value is not None for _, _, value in psi)
    assert sum(value is not None for _, value, _, _ in r2) >= 10
    spark_psi = [tuple(normal(v) for v in row) for row in spark.sql(PSI_SQL.format(drift=drift)).collect()]
    assert spark_psi == psi
    spark_r2 = [tuple(normal(v) for v in row) for row in spark.sql(R2_SQL.format(profile=profile)).collect()]
    assert spark_r2 == r2
    connection = duckdb_connection(monitored)
    duck = lambda sql: [tuple(normal(v) for v in row.values())  # noqa: E731
                        for row in connection.execute(sql.replace("`", '"')).to_arrow_table().to_pylist()]
    assert duck(PSI_SQL.format(drift="drift_metrics")) == psi
    assert duck(R2_SQL.format(profile="profile_metrics")) == r2


def test_deletion_vectors_written_by_spark_refresh_incrementally(tmp_path, spark):
    """Spark's DELETE and UPDATE with deletion vectors on the monitored table: the incremental refreshes after
    each equal a full refresh."""
    rng = np.random.default_rng(31)
    start = datetime.datetime(2024, 5, 6, tzinfo=UTC)
    log = tmp_path / "log"
    write_deltalake(str(log), random_log(rng, [start + datetime.timedelta(seconds=int(s))
                                              for s in rng.integers(0, 9 * 86400, 400)]))
    write_deltalake(str(tmp_path / "train"), baseline_of(random_log(rng, [None] * 300)))
    spark.sql(f"ALTER TABLE delta.`{log}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    config = write_config(tmp_path, log, tmp_path / "train", ["1 day", "1 week"], ["region", "price > 100"])
    run_monitor(config)
    spark.sql(f"DELETE FROM delta.`{log}` WHERE qty = 3")
    spark.sql(f"UPDATE delta.`{log}` SET label = 4.5 WHERE label IS NULL AND qty < 2")
    commits = [json.loads(line) for path in sorted((log / "_delta_log").glob("*.json"))
               for line in path.read_text().splitlines()]
    assert any("deletionVector" in c.get("add", {}) for c in commits), "Spark wrote no deletion vector"
    summary = run_monitor(config)
    assert summary["state"] == "SUCCESS" and not summary["full_refresh"] and summary["windows_recomputed"] > 0
    compare_with_full(tmp_path, config)
    # The rows Spark deleted are gone from every window.
    counts = {r["window_start"]: r["count"] for r in read_rows(output_table(tmp_path, "profile_metrics"))
              if r["column_name"] == "qty" and r["granularity"] == "1 day" and r["slice_key"] is None
              and r["model_version"] == "*"}
    live = spark.sql(f"SELECT date_trunc('DAY', ts) AS day, count(*) AS n FROM delta.`{log}` "
                     "WHERE ts IS NOT NULL GROUP BY 1").collect()
    assert {normal(row["day"]): row["n"] for row in live} == {normal(k): v for k, v in counts.items()}
