"""driftgov.spark over Spark Connect (pyspark.sql.connect, the client protocol of Databricks Connect and serverless
compute): a Connect client session of the shared local Spark, whose Connect server runs in the same JVM, profiles
and compares DataFrames (created by the client, and a Delta table read through the client) with the same results
as the single-process package: exact fields equal, sketches within their bounds (test_spark_profiles.py's checks).
driftgov.spark uses only the public DataFrame API (mapInArrow, collect), which Connect serves."""
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from delta_oracles import spark_connect_session, spark_session
from python_package import assert_documents_equal, driftgov, without_sources
from test_spark_profiles import (ARROW_SCHEMA, CATEGORY_CAP, SPARK_SCHEMA, assert_profile_equals_single_process,
                                 make_rows, partitioned)

import driftgov.spark  # noqa: E402,F401

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def remote():
    return spark_connect_session()


def arrow_table(rows):
    return pa.Table.from_pylist([dict(zip(ARROW_SCHEMA.names, row)) for row in rows], schema=ARROW_SCHEMA)


def test_the_session_is_a_spark_connect_client(remote):
    from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    assert isinstance(remote, ConnectSession)
    assert isinstance(remote.range(3), ConnectDataFrame)
    assert remote.range(5).count() == 5


@pytest.mark.parametrize("partitions", [1, 3])
def test_profile_over_spark_connect_equals_single_process(remote, partitions):
    rows = make_rows(2000, seed=5)
    table = arrow_table(rows)
    df = remote.createDataFrame(rows, SPARK_SCHEMA)
    profile = driftgov.spark.profile(partitioned(df, partitions), category_cap=CATEGORY_CAP)
    assert profile.source == "<pyspark.sql.DataFrame>"
    assert_profile_equals_single_process(profile, driftgov.profile(table, category_cap=CATEGORY_CAP), table)


def test_delta_table_read_through_spark_connect(remote, tmp_path):
    rows = make_rows(1500, seed=6)
    table = arrow_table(rows)
    path = str(tmp_path / "events")
    spark_session().createDataFrame(rows, SPARK_SCHEMA).repartition(2).write.format("delta").save(path)
    df = remote.read.format("delta").load(path)
    profile = driftgov.spark.profile(df, category_cap=CATEGORY_CAP)
    assert_profile_equals_single_process(profile, driftgov.profile(table, category_cap=CATEGORY_CAP), table)


def test_groups_and_compare_over_spark_connect(remote):
    rows = make_rows(1800, seed=7)
    table = arrow_table(rows)
    df = remote.createDataFrame(rows, SPARK_SCHEMA)
    columns = ["amount", "channel", "flag"]
    groups = driftgov.spark.profile(df.repartition(2), by="team", columns=columns, category_cap=CATEGORY_CAP)
    assert set(groups) == {("red",), ("blue",), (None,)}
    for (team,), profile in groups.items():
        members = table.filter(pc.is_null(table["team"]) if team is None else pc.equal(table["team"], team))
        single = driftgov.profile(members, columns=columns, category_cap=CATEGORY_CAP)
        assert_profile_equals_single_process(profile, single, members)
    current_rows = make_rows(1200, seed=8)
    current = remote.createDataFrame(current_rows, SPARK_SCHEMA)
    options = {"columns": ["amount", "quantity", "channel", "day"], "test": {"quantity": "ks"}}
    expected = driftgov.compare(driftgov.profile(table, columns=options["columns"]),
                                driftgov.profile(arrow_table(current_rows), columns=options["columns"]),
                                **options).to_dict()
    # One partition a side: the same profiles as the single process, so the same document.
    result = driftgov.spark.compare(df.coalesce(1), current.coalesce(1), **options).to_dict()
    assert_documents_equal(without_sources(result), without_sources(expected))


def test_errors_over_spark_connect_are_driftgovs(remote):
    df = remote.createDataFrame(make_rows(20, seed=9), SPARK_SCHEMA)
    with pytest.raises(driftgov.InputError, match="columns: no column 'nope'"):
        driftgov.spark.profile(df, columns=["nope"])
    with pytest.raises(driftgov.InputError, match="sketch_k must be from 8 to 65535, got 1"):
        driftgov.spark.profile(df, sketch_k=1)
