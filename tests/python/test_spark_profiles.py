"""driftgov.spark (docs/python.md, Spark) against the single-process package on the same rows: a profile merged from
1, 2 and 8 Spark partitions equals driftgov.profile of the whole table in its exact fields, and its sketches keep
their stated bounds (docs/statistics.md) against the exact values numpy computes; spark.compare equals
driftgov.compare; by= groups equal per-group profiles of the rows pyarrow filters."""
import datetime
import decimal
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from delta_oracles import spark_session
from python_package import assert_documents_equal, driftgov, without_sources

import driftgov.spark  # noqa: E402,F401

pytestmark = pytest.mark.interop

# KLL rank error at k = 200 (docs/statistics.md, "Profiles and their bounds").
KLL_EPSILON_200 = 0.0133
CATEGORY_CAP = 40  # below the 120 values of "code", so that its frequent items and distinct count are sketched

SPARK_SCHEMA = ("id long, amount double, quantity int, code string, channel string, flag boolean, day date, "
                "seen timestamp, price decimal(10,2), team string")
ARROW_SCHEMA = pa.schema([("id", pa.int64()), ("amount", pa.float64()), ("quantity", pa.int32()),
                          ("code", pa.string()), ("channel", pa.string()), ("flag", pa.bool_()),
                          ("day", pa.date32()), ("seen", pa.timestamp("us", tz="UTC")),
                          ("price", pa.decimal128(10, 2)), ("team", pa.string())])


def make_rows(count, seed):
    rng = np.random.default_rng(seed)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    rows = []
    for i in range(count):
        amount = float(rng.normal(50, 20))
        if i % 97 == 0:
            amount = None
        elif i % 89 == 0:
            amount = math.nan
        elif i % 83 == 0:
            amount = math.inf
        elif i % 13 == 0:
            amount = 0.0
        rows.append((i, amount, int(rng.poisson(4)), f"c{int(rng.integers(0, 120))}",
                     None if i % 11 == 0 else ["web", "mobile", "store"][int(rng.integers(0, 3))],
                     bool(rng.random() < 0.3), datetime.date(2024, 1, 1) + datetime.timedelta(days=int(i % 40)),
                     start + datetime.timedelta(minutes=int(rng.integers(0, 100000))),
                     decimal.Decimal(int(rng.integers(0, 100000))) / 100,
                     None if i % 7 == 0 else ["red", "blue"][i % 2]))
    return rows


@pytest.fixture(scope="module")
def session():
    return spark_session()


@pytest.fixture(scope="module")
def data(session):
    """The same rows as a Spark DataFrame and a pyarrow Table."""
    rows = make_rows(3000, seed=3)
    table = pa.Table.from_pylist([dict(zip(ARROW_SCHEMA.names, row)) for row in rows], schema=ARROW_SCHEMA)
    return session.createDataFrame(rows, SPARK_SCHEMA), table


def partitioned(df, partitions):
    return df.coalesce(1) if partitions == 1 else df.repartition(partitions)


def document(profile):
    """The profile's JSON, with the numbers written as text ("NaN", "Infinity", "-Infinity") of numeric columns as
    floats."""
    parsed = json.loads(profile.to_bytes())
    for column in parsed["columns"]:
        if "numeric" in column:
            numeric = column["numeric"]
            for field in ("min", "max", "mean", "m2"):
                numeric[field] = float(numeric[field])
            sketch = numeric["sketch"]
            sketch["min"], sketch["max"] = float(sketch["min"]), float(sketch["max"])
            sketch["levels"] = [[float(item) for item in level] for level in sketch["levels"]]
    return parsed


def weighted_rank(sketch, value):
    """How many values the sketch says are at or below `value` (level h holds values of weight 2^h)."""
    return sum((2 ** level) * sum(1 for item in items if item <= value)
               for level, items in enumerate(sketch["levels"]))


def numeric_values(table, name):
    """A numeric column's values but nulls and NaN, as numpy sees them (dates as days, timestamps as microseconds)."""
    column = table[name]
    if pa.types.is_date(column.type):
        column = column.cast(pa.int32())
    elif pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    values = np.asarray(column.drop_null().to_numpy(zero_copy_only=False), dtype=float)
    return values[~np.isnan(values)]


def assert_profile_equals_single_process(spark_profile, single_profile, table):
    """Exact fields equal, mean and M2 within rounding, sketches within their bounds of the exact values."""
    spark, single = document(spark_profile), document(single_profile)
    assert spark_profile.row_count == single_profile.row_count == table.num_rows
    assert [column["name"] for column in spark["columns"]] == [column["name"] for column in single["columns"]]
    for mine, theirs in zip(spark["columns"], single["columns"]):
        name = mine["name"]
        for field in ("type", "kind", "count", "null_count"):
            assert mine[field] == theirs[field], (name, field)
        assert mine["null_count"] == table[name].null_count
        if mine["kind"] == "numeric":
            a, b = mine["numeric"], theirs["numeric"]
            for field in ("nan_count", "zero_count", "infinite_count", "finite_count", "min", "max"):
                assert a[field] == b[field], (name, field)
            for field in ("mean", "m2"):
                assert a[field] == pytest.approx(b[field], rel=1e-9), (name, field)
            values = numeric_values(table, name)
            assert a["finite_count"] == np.isfinite(values).sum()
            assert a["sketch"]["n"] == len(values) and (a["sketch"]["min"], a["sketch"]["max"]) == (values.min(), values.max())
            for q in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
                point = float(np.quantile(values, q, method="inverted_cdf"))
                exact_rank = int(np.sum(values <= point))
                assert abs(weighted_rank(a["sketch"], point) - exact_rank) <= KLL_EPSILON_200 * len(values), (name, q)
        else:
            a, b = mine["categorical"], theirs["categorical"]
            assert a["exact"] == b["exact"], name
            if a["exact"]:
                assert a == b, name
                expected = pc.value_counts(table[name].drop_null()).to_pylist()
                assert sorted(map(tuple, a["counts"]), key=str) == sorted(
                    ((str(item["values"]).lower() if isinstance(item["values"], bool) else item["values"],
                      item["counts"]) for item in expected), key=str)
            else:
                assert a["distinct"] == b["distinct"], name  # HyperLogLog registers merge exactly (register max)
                frequent = a["frequent_items"]
                total = mine["count"] - mine["null_count"]
                assert frequent["total_weight"] == total
                assert frequent["max_error"] <= total / (CATEGORY_CAP + 1)
                truth = {item["values"]: item["counts"] for item in pc.value_counts(table[name].drop_null()).to_pylist()}
                for item, count in frequent["items"]:
                    assert truth[item] - frequent["max_error"] <= count <= truth[item], (name, item)


@pytest.mark.parametrize("partitions", [1, 2, 8])
def test_profile_equals_single_process_profile(data, partitions):
    df, table = data
    spark_profile = driftgov.spark.profile(partitioned(df, partitions), category_cap=CATEGORY_CAP)
    single = driftgov.profile(table, category_cap=CATEGORY_CAP)
    assert spark_profile.source == "<pyspark.sql.DataFrame>"
    assert_profile_equals_single_process(spark_profile, single, table)


def test_by_groups_equal_per_group_profiles(data):
    df, table = data
    groups = driftgov.spark.profile(df.repartition(3), by="team", columns=["amount", "channel", "flag"],
                                    category_cap=CATEGORY_CAP)
    assert set(groups) == {("red",), ("blue",), (None,)}
    for (team,), spark_profile in groups.items():
        rows = table.filter(pc.is_null(table["team"]) if team is None else pc.equal(table["team"], team))
        assert spark_profile.column_names == ["amount", "channel", "flag"]
        single = driftgov.profile(rows, columns=["amount", "channel", "flag"], category_cap=CATEGORY_CAP)
        assert_profile_equals_single_process(spark_profile, single, rows)
    two_keys = driftgov.spark.profile(df.repartition(2), by=["team", "flag"], columns=["quantity"])
    expected = table.group_by(["team", "flag"]).aggregate([("id", "count")]).to_pylist()
    assert {key: item.row_count for key, item in two_keys.items()} == {
        (row["team"], row["flag"]): row["id_count"] for row in expected}


def test_compare_equals_driftgov_compare(data, session):
    df, table = data
    current_rows = make_rows(2000, seed=4)
    current_table = pa.Table.from_pylist([dict(zip(ARROW_SCHEMA.names, row)) for row in current_rows],
                                         schema=ARROW_SCHEMA)
    current = session.createDataFrame(current_rows, SPARK_SCHEMA)
    options = {"columns": ["amount", "quantity", "channel", "flag", "day"], "test": {"quantity": "ks"}}
    expected = driftgov.compare(driftgov.profile(table, columns=options["columns"]),
                                driftgov.profile(current_table, columns=options["columns"]), **options).to_dict()
    # One partition: the same profiles, so the same document.
    one = driftgov.spark.compare(df.coalesce(1), current.coalesce(1), **options).to_dict()
    assert one["reference"]["source"] == "<pyspark.sql.DataFrame>"
    assert_documents_equal(without_sources(one), without_sources(expected))
    # A stored Profile as the reference, and several partitions: exact fields equal, sketch-based ones within the
    # bounds the document states.
    reference = driftgov.spark.profile(df.repartition(4), columns=options["columns"])
    several = driftgov.spark.compare(reference, current.repartition(8), **options).to_dict()
    assert several["dataset"]["evaluated_columns"] == expected["dataset"]["evaluated_columns"]
    for mine, theirs in zip(several["columns"], expected["columns"]):
        assert mine["column_name"] == theirs["column_name"]
        if mine["kind"] != "numeric":
            assert_documents_equal(mine, theirs)
            continue
        for field in ("count_delta", "percent_null", "range", "avg_delta", "stddev_delta"):
            assert_documents_equal(mine[field], theirs[field])
        if "ks_test" in mine:
            bound = mine["ks_test"]["statistic_bound"] + theirs["ks_test"]["statistic_bound"]
            assert abs(mine["ks_test"]["statistic"] - theirs["ks_test"]["statistic"]) <= bound
        if "wasserstein_bound" in mine:
            bound = float(mine["wasserstein_bound"]) + float(theirs["wasserstein_bound"])
            if math.isfinite(bound):  # a column holding an infinity has an unbounded distance
                assert abs(mine["wasserstein_distance"] - theirs["wasserstein_distance"]) <= bound


def test_empty_dataframe_and_errors_on_the_driver(data):
    df, table = data
    empty = driftgov.spark.profile(df.filter("id < 0"))
    assert empty.row_count == 0 and empty.column_names == table.column_names
    with pytest.raises(driftgov.InputError, match="missing"):
        driftgov.spark.profile(df, by="missing")
    with pytest.raises(driftgov.InputError, match="nothing"):
        driftgov.spark.profile(df, columns=["nothing"])
    with pytest.raises(driftgov.InputError, match="sketch_k"):
        driftgov.spark.profile(df, sketch_k=2)
