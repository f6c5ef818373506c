"""driftgov.spark.profile's tree merge (docs/python.md, Spark): partials merged on the executors in levels of
`fanout` give the same profile as the driver's merge of every partial: exact fields equal, mean and M2 within
rounding, sketches within their bounds of the exact values numpy and pyarrow compute (test_spark_profiles.py's
checks), with and without groups, for an empty DataFrame and over Spark Connect."""
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from delta_oracles import spark_connect_session, spark_session
from python_package import driftgov
from test_spark_profiles import (ARROW_SCHEMA, CATEGORY_CAP, SPARK_SCHEMA, assert_profile_equals_single_process,
                                 make_rows)

import driftgov.spark  # noqa: E402,F401

pytestmark = pytest.mark.interop


def arrow_table(rows):
    return pa.Table.from_pylist([dict(zip(ARROW_SCHEMA.names, row)) for row in rows], schema=ARROW_SCHEMA)


@pytest.fixture(scope="module")
def data():
    rows = make_rows(3000, seed=11)
    return spark_session().createDataFrame(rows, SPARK_SCHEMA), arrow_table(rows)


@pytest.fixture
def levels(monkeypatch):
    """The bucket counts of the tree levels profile plans, in order."""
    planned = []
    plan_level = driftgov.spark._tree_level

    def spy(partials, by, fanout, buckets, output):
        planned.append(buckets)
        return plan_level(partials, by, fanout, buckets, output)

    monkeypatch.setattr(driftgov.spark, "_tree_level", spy)
    return planned


# Levels until at most `fanout` partials remain: 8 -> 4 -> 2 (fanout 2), 37 -> 13 -> 5 -> 2 (fanout 3).
@pytest.mark.parametrize("partitions, fanout, buckets", [(8, 2, [4, 2]), (37, 3, [13, 5, 2])])
def test_tree_merge_equals_driver_merge(data, levels, partitions, fanout, buckets):
    df, table = data
    spread = df.repartition(partitions)
    driver = driftgov.spark.profile(spread, category_cap=CATEGORY_CAP, merge="driver")
    assert levels == []
    tree = driftgov.spark.profile(spread, category_cap=CATEGORY_CAP, merge="tree", fanout=fanout)
    assert levels == buckets
    assert_profile_equals_single_process(tree, driver, table)


def test_tree_merge_of_groups(data, levels):
    from pyspark.sql import functions as F

    df, table = data
    # Partitions of contiguous ids; "early" holds the ids below 150, in the first partitions only.
    ranged = df.repartitionByRange(37, "id").withColumn(
        "team", F.when(F.col("id") < 150, F.lit("early")).otherwise(F.col("team")))
    ids = table["id"].to_numpy()
    teams = pc.if_else(pa.array(ids < 150), pa.scalar("early"), table["team"])
    table = table.set_column(table.schema.get_field_index("team"), "team", teams)
    columns = ["amount", "code", "flag"]
    driver = driftgov.spark.profile(ranged, by="team", columns=columns, category_cap=CATEGORY_CAP, merge="driver")
    tree = driftgov.spark.profile(ranged, by="team", columns=columns, category_cap=CATEGORY_CAP, merge="tree",
                                  fanout=2)
    assert levels == [19, 10, 5, 3, 2]
    assert set(tree) == set(driver) == {("red",), ("blue",), (None,), ("early",)}
    for (team,), profile in tree.items():
        members = table.filter(pc.is_null(table["team"]) if team is None else pc.equal(table["team"], team))
        assert_profile_equals_single_process(profile, driver[(team,)], members)
    assert tree[("early",)].row_count == 150


@pytest.mark.parametrize("merge", ["driver", "tree"])
def test_a_nan_key_is_one_group(merge):
    # Spark and pyarrow group NaN keys together: one group across the partitions, whichever merge.
    df = spark_session().createDataFrame([(float("nan") if i % 3 else 1.5, float(i)) for i in range(60)],
                                         "key double, value double").repartition(4)
    groups = driftgov.spark.profile(df, by="key", merge=merge, fanout=2)
    assert sorted(profile.row_count for profile in groups.values()) == [20, 40]
    assert groups[(1.5,)].row_count == 20


def test_tree_merge_of_an_empty_dataframe(data, levels):
    df, table = data
    empty = df.filter("id < 0").repartition(8)
    profile = driftgov.spark.profile(empty, merge="tree", fanout=2)
    assert levels == [4, 2]
    assert profile.row_count == 0 and profile.column_names == table.column_names
    assert driftgov.spark.profile(empty, by="team", merge="tree", fanout=2) == {}


def test_auto_merges_in_a_tree_above_its_thresholds(data, levels, monkeypatch):
    df, table = data
    spread = df.repartition(8)
    # 8 partitions x 9 profiled columns = 72: below the threshold, the driver merges.
    driftgov.spark.profile(spread, by="team", fanout=3)
    assert levels == []
    monkeypatch.setattr(driftgov.spark, "_AUTO_TREE_PARTITION_COLUMNS", 71)
    # Above it, but the session's default parallelism (1) is below the cores the tree needs.
    driftgov.spark.profile(spread, by="team", fanout=3)
    assert levels == []
    monkeypatch.setattr(driftgov.spark, "_AUTO_TREE_CORES", spread.sparkSession.sparkContext.defaultParallelism)
    profile = driftgov.spark.profile(spread, category_cap=CATEGORY_CAP, fanout=3)
    assert levels == [3]
    assert_profile_equals_single_process(profile, driftgov.profile(table, category_cap=CATEGORY_CAP), table)


def test_tree_merge_over_spark_connect(levels):
    rows = make_rows(1200, seed=12)
    table = arrow_table(rows)
    df = spark_connect_session().createDataFrame(rows, SPARK_SCHEMA).repartition(8)
    # Spark Connect shows no plan to the client: "auto" merges on the driver, "tree" counts the partitions.
    driver = driftgov.spark.profile(df, category_cap=CATEGORY_CAP, merge="auto")
    assert levels == []
    tree = driftgov.spark.profile(df, category_cap=CATEGORY_CAP, merge="tree", fanout=2)
    assert levels == [4, 2]
    assert_profile_equals_single_process(tree, driver, table)
    assert_profile_equals_single_process(tree, driftgov.profile(table, category_cap=CATEGORY_CAP), table)


@pytest.mark.parametrize("options, message", [
    ({"merge": "cluster"}, "merge: expected 'auto', 'driver' or 'tree', got 'cluster'"),
    ({"merge": None}, "merge: expected 'auto', 'driver' or 'tree', got None"),
    ({"fanout": 1}, "fanout: expected a whole number of partials merged per task, at least 2, got 1"),
    ({"fanout": True}, "fanout: expected .* got True"),
    ({"fanout": "16"}, "fanout: expected .* got '16'"),
])
def test_bad_merge_options(data, options, message):
    df, _ = data
    with pytest.raises(driftgov.InputError, match=message):
        driftgov.spark.profile(df, **options)
    with pytest.raises(driftgov.InputError, match=message):
        driftgov.spark.compare(df, df, **options)
