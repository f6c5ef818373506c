"""Independent readers of Delta tables for the interop, concurrency and crash tests: Apache Spark with Delta,
deltalake (delta-rs) and DuckDB over the snapshot's Parquet files, plus driftgov's own readers through the CLI.
Every reader returns rows as a sorted bag of tuples so that results compare directly."""
import base64
import datetime
import decimal
import json
import math
import os
import re
import sys

from conftest import PACKAGE_ROOT, run_driftgov

# driftgov prints timestamps as ISO text, with a Z for UTC ones; the other readers give datetimes.
_UTC_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _normal(value):
    """One comparable form for a value from any reader: floats rounded, dates and timestamps as ISO text."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return round(value, 9)
    if isinstance(value, decimal.Decimal):
        # cat prints an integral decimal as a JSON number and any other as its exact text (docs/value-text.md).
        return int(value) if value.as_tuple().exponent == 0 else format(value, "f")
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()  # as cat prints binary
    if isinstance(value, str) and _UTC_TEXT.match(value):
        return value[:-1]
    if hasattr(value, "asDict"):  # a Spark Row
        return _normal(value.asDict(recursive=True))
    if isinstance(value, dict):
        return tuple(sorted((str(key), _normal(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_normal(item) for item in value)
    if hasattr(value, "item"):  # numpy scalars
        return _normal(value.item())
    return value


def bag(rows, columns):
    """Rows (dicts) projected on `columns` as a sorted list of tuples; None sorts first."""
    tuples = [tuple(_normal(row.get(column)) for column in columns) for row in rows]
    return sorted(tuples, key=_order)


def _order(value):
    """Sort key under which None, numbers, text and nested tuples never meet in one comparison."""
    if isinstance(value, tuple):
        return (2, "tuple", tuple(_order(item) for item in value))
    return (value is not None, type(value).__name__, value)


# Spark Connect (tests/python/test_spark_connect.py): the shared session also serves the Connect protocol on a
# loopback port, through the plugin from Maven Central. spark-connect_2.12 3.5.7 is the newest 3.5 release of the
# plugin that resolves here; the plugin is part of the same Spark 3.5 line as pyspark (>= 3.5.3 in the test
# requirements), and the tests check its results against the classic session's.
SPARK_CONNECT_PACKAGE = "org.apache.spark:spark-connect_2.12:3.5.7"
_connect = {}


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spark_session():
    """The running local Spark with Delta, started on first use (the JVM is the slow part, ~30 s to start) and
    shared by every module; started again if another module stopped it. Two cores, so that driftgov.spark's tests
    run partitions in parallel (the interop suite took no longer than on one core). Python workers (mapInArrow) run this
    interpreter with the driftgov package of the build importable. It also serves Spark Connect on a loopback port
    (spark_connect_session)."""
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # read when the context starts
    active = SparkSession.getActiveSession()
    if active is None or "port" not in _connect:
        _connect["port"] = _free_port()
    builder = (SparkSession.builder.master("local[2]").appName("driftgov-delta-interop")
               .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
               .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
               .config("spark.driver.memory", "1g")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.default.parallelism", "1")
               .config("spark.databricks.delta.snapshotPartitions", "1")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
               .config("spark.databricks.delta.retentionDurationCheck.enabled", "false")
               .config("spark.executorEnv.PYTHONPATH", str(PACKAGE_ROOT))
               .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
               .config("spark.connect.grpc.binding.address", "127.0.0.1")
               .config("spark.connect.grpc.binding.port", str(_connect["port"])))
    # The Python workers of Spark Connect plans take their environment from the JVM's, not from
    # spark.executorEnv: the JVM is started with the build's package on PYTHONPATH (this process's own environment
    # is left as it was, so that subprocesses of other tests do not see it).
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), saved]))
    try:
        session = configure_spark_with_delta_pip(builder, extra_packages=[SPARK_CONNECT_PACKAGE]).getOrCreate()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_connect_session():
    """A Spark Connect client session (pyspark.sql.connect) of the shared session's Connect server."""
    from pyspark.sql.connect.session import SparkSession as RemoteSession

    spark_session()
    url = f"sc://127.0.0.1:{_connect['port']}"
    if _connect.get("url") != url:
        _connect["session"] = RemoteSession.builder.remote(url).getOrCreate()
        _connect["url"] = url
    return _connect["session"]


def spark_rows(table, columns, version=None):
    reader = spark_session().read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return bag([row.asDict() for row in reader.load(str(table)).collect()], columns)


def deltalake_rows(table, columns, version=None):
    import deltalake

    delta_table = deltalake.DeltaTable(str(table), version=version)
    return bag(delta_table.to_pyarrow_table().to_pylist(), columns)


def deltalake_query_rows(table, columns, version=None):
    """deltalake's DataFusion reader; unlike its pyarrow dataset it resolves column mapping (physical names)."""
    import deltalake
    import pyarrow as pa

    delta_table = deltalake.DeltaTable(str(table), version=version)
    result = deltalake.QueryBuilder().register("t", delta_table).execute("SELECT * FROM t").read_all()
    return bag(pa.table(result).to_pylist(), columns)


def duckdb_rows(table, columns, version=None):
    """DuckDB reads the Parquet files of the snapshot deltalake lists; partition values come from the log."""
    import deltalake
    import duckdb
    import pyarrow as pa

    delta_table = deltalake.DeltaTable(str(table), version=version)
    partition_columns = delta_table.metadata().partition_columns
    actions = pa.table(delta_table.get_add_actions(flatten=True)).to_pylist()
    connection = duckdb.connect()
    rows = []
    for action in actions:
        path = str(table / _uri_decode(action["path"]))
        # Through Arrow: DuckDB's own conversion of timestamptz values needs pytz.
        for row in connection.execute("SELECT * FROM read_parquet(?)", [path]).to_arrow_table().to_pylist():
            for column in partition_columns:
                row[column] = action.get(f"partition.{column}")
            rows.append(row)
    return bag(rows, columns)


def _uri_decode(path):
    from urllib.parse import unquote

    return unquote(path)


def driftgov_rows(source, columns):
    """Rows of `driftgov cat SOURCE --format jsonl` (SOURCE may carry @v=N)."""
    result = run_driftgov("cat", source, "--format", "jsonl")
    return bag([json.loads(line) for line in result.stdout.splitlines() if line], columns)


def driftgov_info(source):
    return json.loads(run_driftgov("table", "info", source, "--json").stdout)
