"""Delta interop both ways.

(a) Tables `driftgov table write` produces (create, append, overwrite, replaceWhere, partitions with null and
special-character values, mergeSchema, overwriteSchema, checkpoints, column mapping) are read by Apache Spark with
Delta, by deltalake, by DuckDB (over the Parquet files of the snapshot, as the DuckDB Delta extension needs a
download) and by driftgov itself, at every version, and equal the rows written.
(b) Tables Spark writes (deletion vectors with checkpoints, column mapping with renames and nested fields,
timestamp_ntz, schema changes, partitions) and tables deltalake writes (column mapping too) are read by driftgov at
every version and equal what Spark / deltalake read.
(c) Concurrent writers: driftgov and deltalake appending to one table; hundreds of driftgov commits at once."""
import datetime
import json
import shutil

import delta  # noqa: F401 - delta-spark, the Spark oracle of these tests
import deltalake
import duckdb  # noqa: F401 - an oracle of these tests
import pyarrow as pa
import pyarrow.parquet as pq
import pyspark  # noqa: F401 - the Spark oracle of these tests
import pytest

from conftest import run_driftgov
from delta_oracles import (bag, deltalake_query_rows, deltalake_rows, driftgov_info,
                           driftgov_rows, duckdb_rows, spark_rows, spark_session)

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def spark():
    return spark_session()


def driftgov_rows_at(table, columns, version=None):
    return driftgov_rows(table if version is None else f"{table}@v={version}", columns)


ENGINES = {"spark": spark_rows, "deltalake": deltalake_rows, "duckdb": duckdb_rows, "driftgov": driftgov_rows_at}


def write_parquet(path, rows, schema):
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def write_table(*args):
    run_driftgov("table", "write", *map(str, args))


def assert_every_engine_reads(table, versions, columns, spark):
    """`versions` maps a version to the rows (dicts) the table holds at that version."""
    for version, rows in versions.items():
        expected = bag(rows, columns)
        for name, read in ENGINES.items():
            assert read(table, columns, version) == expected, f"{name} at version {version}"
    latest = max(versions)
    assert deltalake.DeltaTable(str(table)).version() == latest
    history = spark.sql(f"DESCRIBE HISTORY delta.`{table}`").collect()
    assert sorted(entry["version"] for entry in history) == list(range(latest + 1))


TYPED_SCHEMA = pa.schema([("id", pa.int64()), ("small", pa.int32()), ("name", pa.string()), ("score", pa.float64()),
                          ("flag", pa.bool_()), ("day", pa.date32()), ("at", pa.timestamp("us", tz="UTC"))])


def typed_rows(start, count):
    base = datetime.datetime(2024, 2, 28, 23, 59, 59, 123456, tzinfo=datetime.timezone.utc)
    names = ["plain", "x y", "c/d%e", "ü=1&#?", "", None, "tab\there", "quote\"s"]
    return [{"id": start + i, "small": (i * 7919) % 65536 - 32768, "name": names[i % len(names)],
             "score": None if i % 5 == 3 else (i - 2.5) * 1.25, "flag": None if i % 7 == 0 else i % 2 == 0,
             "day": datetime.date(1969, 12, 31) + datetime.timedelta(days=i * 37),
             "at": None if i % 6 == 5 else base + datetime.timedelta(seconds=i * 3601, microseconds=i)}
            for i in range(count)]


def test_create_append_overwrite_read_by_spark_deltalake_duckdb(tmp_path, spark):
    table = tmp_path / "plain"
    first, second, third = typed_rows(0, 40), typed_rows(100, 25), typed_rows(500, 7)
    write_table(write_parquet(tmp_path / "1.parquet", first, TYPED_SCHEMA), table, "--file-rows", "15")
    write_table(write_parquet(tmp_path / "2.parquet", second, TYPED_SCHEMA), table, "--mode", "append")
    write_table(write_parquet(tmp_path / "3.parquet", third, TYPED_SCHEMA), table, "--mode", "overwrite")
    columns = TYPED_SCHEMA.names
    assert_every_engine_reads(table, {0: first, 1: first + second, 2: third}, columns, spark)
    spark_types = {field.name: field.dataType.simpleString() for field in spark.read.format("delta")
                   .load(str(table)).schema.fields}
    assert spark_types == {"id": "bigint", "small": "int", "name": "string", "score": "double", "flag": "boolean",
                           "day": "date", "at": "timestamp"}
    history = sorted(spark.sql(f"DESCRIBE HISTORY delta.`{table}`").collect(), key=lambda entry: entry["version"])
    assert [entry["operationParameters"]["mode"] for entry in history] == ["ErrorIfExists", "Append", "Overwrite"]
    assert [entry["isBlindAppend"] for entry in history][1:] == [True, False]
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{table}`").collect()[0]
    assert detail["numFiles"] == 1 and detail["partitionColumns"] == []


PARTITION_SCHEMA = pa.schema([("id", pa.int64()), ("part", pa.string()), ("bucket", pa.int32()),
                              ("value", pa.float64())])
SPECIAL_VALUES = ["a", None, "x y", "c/d%e", "ü=1#?&+", "100%", "Ω:{b}"]


def partition_rows(start, count, parts=SPECIAL_VALUES):
    return [{"id": start + i, "part": parts[i % len(parts)], "bucket": None if i % 4 == 0 else 1,
             "value": i / 8} for i in range(count)]


def test_partitioned_table_with_null_and_special_values(tmp_path, spark):
    table = tmp_path / "partitioned"
    first = partition_rows(0, 60)
    write_table(write_parquet(tmp_path / "1.parquet", first, PARTITION_SCHEMA), table, "--partition-by", "part,bucket")
    # replaceWhere on one partition value with a space, then on the null partition.
    spaced = [{"id": 1000 + i, "part": "x y", "bucket": 1, "value": -1.0} for i in range(3)]
    write_table(write_parquet(tmp_path / "2.parquet", spaced, PARTITION_SCHEMA), table, "--mode", "overwrite",
                "--replace-where", "part=x y")
    null_rows = [{"id": 2000, "part": None, "bucket": None, "value": 2.0}]
    write_table(write_parquet(tmp_path / "3.parquet", null_rows, PARTITION_SCHEMA), table, "--mode", "overwrite",
                "--replace-where", "part=null")
    version1 = [row for row in first if row["part"] != "x y"] + spaced
    version2 = [row for row in version1 if row["part"] is not None] + null_rows
    columns = PARTITION_SCHEMA.names
    assert_every_engine_reads(table, {0: first, 1: version1, 2: version2}, columns, spark)
    assert deltalake.DeltaTable(str(table)).metadata().partition_columns == ["part", "bucket"]
    # Spark prunes by the partition values recorded in the log.
    for value in ["c/d%e", "ü=1#?&+"]:
        pruned = spark.read.format("delta").load(str(table)).where(f"part = '{value}'").collect()
        assert bag([row.asDict() for row in pruned], columns) == bag(
            [row for row in version2 if row["part"] == value], columns)
    assert spark.read.format("delta").load(str(table)).where("part IS NULL AND bucket IS NULL").count() == sum(
        1 for row in version2 if row["part"] is None and row["bucket"] is None)


def test_replace_where_on_a_value_holding_an_equals_sign(tmp_path):
    table = tmp_path / "equals"
    first = partition_rows(0, 22)
    write_table(write_parquet(tmp_path / "1.parquet", first, PARTITION_SCHEMA), table, "--partition-by", "part")
    replacement = [{"id": 99, "part": "ü=1#?&+", "bucket": 1, "value": 0.0}]
    write_table(write_parquet(tmp_path / "2.parquet", replacement, PARTITION_SCHEMA), table, "--mode", "overwrite",
                "--replace-where", "part=ü=1#?&+")
    expected = [row for row in first if row["part"] != "ü=1#?&+"] + replacement
    assert deltalake_rows(table, PARTITION_SCHEMA.names) == bag(expected, PARTITION_SCHEMA.names)


def test_merge_schema_then_overwrite_schema(tmp_path, spark):
    table = tmp_path / "evolving"
    base_schema = pa.schema([("id", pa.int64()), ("x", pa.float64()), ("tag", pa.int16())])
    wider_schema = pa.schema([("id", pa.int64()), ("x", pa.float64()), ("tag", pa.int32()), ("extra", pa.string())])
    new_schema = pa.schema([("key", pa.string()), ("x", pa.string())])
    base = [{"id": i, "x": i * 0.5, "tag": i} for i in range(5)]
    wider = [{"id": 10 + i, "x": None, "tag": 70000 + i, "extra": f"e{i}"} for i in range(3)]
    replaced = [{"key": f"k{i}", "x": f"text {i}"} for i in range(4)]
    write_table(write_parquet(tmp_path / "1.parquet", base, base_schema), table)
    write_table(write_parquet(tmp_path / "2.parquet", wider, wider_schema), table, "--mode", "append",
                "--merge-schema")
    write_table(write_parquet(tmp_path / "3.parquet", replaced, new_schema), table, "--mode", "overwrite",
                "--overwrite-schema")
    old_columns = ["id", "x", "tag", "extra"]
    for version, rows in {0: base, 1: base + wider}.items():
        for name, read in ENGINES.items():
            assert read(table, old_columns, version) == bag(rows, old_columns), f"{name} at version {version}"
    assert_every_engine_reads(table, {2: replaced}, ["key", "x"], spark)
    # short widened to int by mergeSchema, as Spark allows.
    widened = spark.read.format("delta").option("versionAsOf", 1).load(str(table)).schema
    assert {field.name: field.dataType.simpleString() for field in widened.fields} == {
        "id": "bigint", "x": "double", "tag": "int", "extra": "string"}
    latest = spark.read.format("delta").load(str(table)).schema
    assert [(field.name, field.dataType.simpleString()) for field in latest.fields] == [("key", "string"),
                                                                                        ("x", "string")]
    assert deltalake.DeltaTable(str(table)).schema().to_arrow().names == ["key", "x"]


def test_checkpoints_read_without_the_commits_before_them(tmp_path, spark):
    table = tmp_path / "checkpointed"
    columns = PARTITION_SCHEMA.names
    written = []
    versions = {}
    for commit in range(13):
        rows = partition_rows(commit * 100, 4, parts=["a", "b", None])
        if commit % 4 == 3:
            write_table(write_parquet(tmp_path / f"{commit}.parquet", [r | {"part": "b"} for r in rows],
                                      PARTITION_SCHEMA), table, "--mode", "overwrite", "--replace-where", "part=b")
            written = [row for row in written if row["part"] != "b"] + [r | {"part": "b"} for r in rows]
        else:
            mode = ["--partition-by", "part"] if commit == 0 else ["--mode", "append"]
            write_table(write_parquet(tmp_path / f"{commit}.parquet", rows, PARTITION_SCHEMA), table, *mode)
            written = written + rows
        versions[commit] = list(written)
    log = table / "_delta_log"
    assert (log / "00000000000000000010.checkpoint.parquet").exists()
    assert json.loads((log / "_last_checkpoint").read_text())["version"] == 10
    assert_every_engine_reads(table, {v: versions[v] for v in (9, 10, 12)}, columns, spark)
    # Without commits 0..9 the checkpoint must carry the state, as after Spark's log cleanup (which keeps the
    # checkpoint version's own commit).
    trimmed = tmp_path / "trimmed"
    shutil.copytree(table, trimmed)
    for version in range(10):
        (trimmed / "_delta_log" / f"{version:020d}.json").unlink()
    for name, read in ENGINES.items():
        assert read(trimmed, columns, None) == bag(versions[12], columns), name
    assert spark.read.format("delta").option("versionAsOf", 10).load(str(trimmed)).count() == len(versions[10])
    info = driftgov_info(trimmed)
    assert info["version"] == 12 and info["checkpointVersion"] == 10
    assert sorted(f["path"] for f in info["files"]) == sorted(
        pa.table(deltalake.DeltaTable(str(trimmed)).get_add_actions(flatten=True)).column("path").to_pylist())


def test_checkpoint_interval_property_and_spark_appends_after_it(tmp_path, spark):
    table = tmp_path / "interval"
    columns = ["id", "part", "bucket", "value"]
    first = partition_rows(0, 10)
    write_table(write_parquet(tmp_path / "0.parquet", first, PARTITION_SCHEMA), table, "--partition-by", "part",
                "--property", "delta.checkpointInterval=2")
    rows = list(first)
    for commit in range(1, 6):
        batch = partition_rows(commit * 100, 3)
        write_table(write_parquet(tmp_path / f"{commit}.parquet", batch, PARTITION_SCHEMA), table, "--mode", "append")
        rows += batch
    log = table / "_delta_log"
    assert sorted(p.name for p in log.glob("*.checkpoint.parquet")) == [
        f"{v:020d}.checkpoint.parquet" for v in (2, 4)]
    assert spark_rows(table, columns) == bag(rows, columns)
    # Spark can also write on top of what driftgov made: the protocol and metadata are acceptable to a writer.
    extra = partition_rows(9000, 5)
    spark.createDataFrame([tuple(r[c] for c in columns) for r in extra],
                          "id bigint, part string, bucket int, value double").write.format("delta").mode(
        "append").save(str(table))
    rows += extra
    assert deltalake_rows(table, columns) == bag(rows, columns)
    info = driftgov_info(table)
    assert info["version"] == 6 and info["configuration"]["delta.checkpointInterval"] == "2"
    assert sum(f["numRecords"] for f in info["files"]) == len(rows)


# ---- (b) tables written by Spark and by deltalake, read by driftgov ----

def spark_sql(spark, text):
    return spark.sql(text).collect()


@pytest.fixture(scope="module")
def spark_tables(tmp_path_factory, spark):
    """Tables Spark writes, with the rows Spark itself reads at every version."""
    root = tmp_path_factory.mktemp("spark-written")
    tables = {}

    dv = root / "deletion_vectors"
    spark.range(0, 200).selectExpr("id", "cast(id % 7 as int) as k", "concat('n', id) as name",
                                   "cast(id % 2 as int) as half").repartition(2) \
        .write.format("delta").partitionBy("half").save(str(dv))
    spark_sql(spark, f"ALTER TABLE delta.`{dv}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true', "
                     "'delta.checkpointInterval' = '2')")
    spark_sql(spark, f"DELETE FROM delta.`{dv}` WHERE k = 3")
    spark_sql(spark, f"DELETE FROM delta.`{dv}` WHERE id > 190 OR id = 17")
    spark.range(500, 520).selectExpr("id", "cast(id % 7 as int) as k", "concat('n', id) as name",
                                     "cast(id % 2 as int) as half").write.format("delta").mode("append").save(str(dv))
    tables["deletion_vectors"] = (dv, ["id", "k", "name", "half"])

    mapped = root / "column_mapping"
    spark.range(0, 30).selectExpr("id", "cast(id * 1.5 as double) as amount", "cast(id % 3 as string) as grp") \
        .repartition(1).write.format("delta").partitionBy("grp").save(str(mapped))
    spark_sql(spark, f"ALTER TABLE delta.`{mapped}` SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name', "
                     "'delta.minReaderVersion' = '2', 'delta.minWriterVersion' = '5')")
    spark_sql(spark, f"ALTER TABLE delta.`{mapped}` RENAME COLUMN amount TO total")
    spark_sql(spark, f"ALTER TABLE delta.`{mapped}` RENAME COLUMN grp TO `group name`")
    spark.range(100, 104).selectExpr("id", "cast(id as double) as total", "'9' as `group name`") \
        .write.format("delta").mode("append").save(str(mapped))
    tables["column_mapping"] = (mapped, ["id", "total", "group name"])

    nested = root / "column_mapping_nested"
    spark_sql(spark, f"CREATE TABLE delta.`{nested}` (id BIGINT, name STRING, ts TIMESTAMP, "
                     "nested STRUCT<a: INT, b: STRING>) USING delta PARTITIONED BY (name) TBLPROPERTIES "
                     "('delta.columnMapping.mode' = 'name', 'delta.minReaderVersion' = '2', "
                     "'delta.minWriterVersion' = '5')")
    spark_sql(spark, f"INSERT INTO delta.`{nested}` VALUES (1, 'x', TIMESTAMP '2024-01-01 10:00:00', "
                     "named_struct('a', 1, 'b', 'p')), (2, NULL, NULL, NULL)")
    spark_sql(spark, f"ALTER TABLE delta.`{nested}` RENAME COLUMN id TO identifier")
    spark_sql(spark, f"ALTER TABLE delta.`{nested}` RENAME COLUMN nested.b TO bee")
    spark_sql(spark, f"ALTER TABLE delta.`{nested}` ADD COLUMNS (extra DOUBLE)")
    spark_sql(spark, f"INSERT INTO delta.`{nested}` VALUES (3, 'y', TIMESTAMP '2024-02-01 00:00:00.123456', "
                     "named_struct('a', 3, 'bee', 'q'), 0.25)")
    tables["column_mapping_nested"] = (nested, ["identifier", "name", "ts", "nested", "extra"])

    checkpointed = root / "checkpoints"
    for commit in range(4):
        frame = spark.range(commit * 10, commit * 10 + 5).selectExpr(
            "id", "case when id % 4 = 0 then null else concat('p', id % 3) end as part")
        frame.write.format("delta").partitionBy("part").mode("append").save(str(checkpointed))
        if commit == 0:
            spark_sql(spark, f"ALTER TABLE delta.`{checkpointed}` SET TBLPROPERTIES ('delta.checkpointInterval' = '2')")
    spark_sql(spark, f"DELETE FROM delta.`{checkpointed}` WHERE id = 21")
    tables["checkpoints"] = (checkpointed, ["id", "part"])

    evolving = root / "schema_changes"
    spark.range(0, 5).selectExpr("id", "cast(id as int) as small").write.format("delta").save(str(evolving))
    spark.range(5, 8).selectExpr("id", "cast(id as int) as small", "concat('x', id) as added",
                                 "date_add(date'2024-02-28', cast(id as int)) as day") \
        .write.format("delta").mode("append").option("mergeSchema", "true").save(str(evolving))
    tables["schema_changes"] = (evolving, ["id", "small", "added", "day"])

    special = root / "special_partitions"
    values = ["x y", "c/d%e", "ü=1", None, "a:b", "100%", "#?&"]
    spark.createDataFrame([(i, values[i % len(values)], i % 2 if i % 5 else None) for i in range(21)],
                          "id bigint, part string, bucket int").write.format("delta") \
        .partitionBy("part", "bucket").save(str(special))
    spark_sql(spark, f"DELETE FROM delta.`{special}` WHERE part = 'c/d%e'")
    tables["special_partitions"] = (special, ["id", "part", "bucket"])

    expected = {}
    for name, (path, columns) in tables.items():
        latest = spark_sql(spark, f"DESCRIBE HISTORY delta.`{path}` LIMIT 1")[0]["version"]
        expected[name] = (path, columns, {v: spark_rows(path, columns, v) for v in range(latest + 1)})
    return expected


@pytest.fixture(scope="module")
def deltalake_tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("deltalake-written")
    write = deltalake.write_deltalake
    plain = root / "plain"
    frames = [pa.table({"id": pa.array(range(i * 10, i * 10 + 10), pa.int64()),
                        "label": pa.array([f"l{j % 4}" if j % 5 else None for j in range(10)], pa.string()),
                        "ratio": pa.array([j / 3 for j in range(10)], pa.float64())}) for i in range(3)]
    write(str(plain), frames[0])
    write(str(plain), frames[1], mode="append")
    write(str(plain), frames[2], mode="overwrite")
    partitioned = root / "partitioned"
    write(str(partitioned), frames[0], partition_by=["label"])
    write(str(partitioned), frames[1], mode="append")
    tables = {"plain": (plain, ["id", "label", "ratio"]), "partitioned": (partitioned, ["id", "label", "ratio"])}
    return {name: (path, columns, {v: deltalake_rows(path, columns, v)
                                   for v in range(deltalake.DeltaTable(str(path)).version() + 1)})
            for name, (path, columns) in tables.items()}


SPARK_TABLES = ["deletion_vectors", "column_mapping", "column_mapping_nested", "checkpoints", "schema_changes",
                "special_partitions"]


@pytest.mark.parametrize("name", SPARK_TABLES)
def test_driftgov_info_matches_spark_table(spark_tables, spark, name):
    path, _, versions = spark_tables[name]
    info = driftgov_info(path)
    detail = spark_sql(spark, f"DESCRIBE DETAIL delta.`{path}`")[0]
    assert info["version"] == max(versions)
    assert info["numFiles"] == detail["numFiles"]
    assert info["partitionColumns"] == list(detail["partitionColumns"])
    live_rows = sum(f["numRecords"] - f.get("deletionVector", {}).get("cardinality", 0) for f in info["files"])
    assert live_rows == len(versions[max(versions)])
    for version in versions:
        assert driftgov_info(f"{path}@v={version}")["version"] == version
    assert [field["name"] for field in info["schema"]["fields"]] == spark.read.format("delta").load(str(path)).columns
    if name in ("checkpoints", "deletion_vectors"):
        assert info["checkpointVersion"] == max(v for v in versions if v % 2 == 0)
    if name == "deletion_vectors":
        assert all(f["deletionVector"]["storageType"] in "uip" for f in info["files"] if "deletionVector" in f)
        assert any("deletionVector" in f for f in info["files"])


@pytest.mark.parametrize("name", SPARK_TABLES)
def test_driftgov_reads_spark_table_at_every_version(spark_tables, name):
    path, columns, versions = spark_tables[name]
    for version, expected in versions.items():
        assert driftgov_rows(f"{path}@v={version}", columns) == expected, f"version {version}"
    assert driftgov_rows(path, columns) == versions[max(versions)]


@pytest.mark.parametrize("name", ["plain", "partitioned"])
def test_driftgov_reads_deltalake_table(deltalake_tables, name):
    path, columns, versions = deltalake_tables[name]
    info = driftgov_info(path)
    assert info["version"] == max(versions)
    assert sorted(f["path"] for f in info["files"]) == sorted(
        pa.table(deltalake.DeltaTable(str(path)).get_add_actions(flatten=True)).column("path").to_pylist())
    for version, expected in versions.items():
        assert driftgov_rows(f"{path}@v={version}", columns) == expected, f"version {version}"


@pytest.fixture(scope="module")
def spark_timestamp_ntz_table(tmp_path_factory, spark):
    """A Spark table with timestamp_ntz at the top level, in a struct, in an array and as the partition column,
    with values before 1970 and at the end of year 9999, a delete and a checkpoint."""
    path = tmp_path_factory.mktemp("spark-ntz") / "ntz"
    spark_sql(spark, f"CREATE TABLE delta.`{path}` (id BIGINT, at TIMESTAMP_NTZ, day TIMESTAMP_NTZ, "
                     "nested STRUCT<t: TIMESTAMP_NTZ, n: INT>, many ARRAY<TIMESTAMP_NTZ>, utc TIMESTAMP) USING delta "
                     "PARTITIONED BY (day) TBLPROPERTIES ('delta.checkpointInterval' = '2')")
    spark_sql(spark, f"""INSERT INTO delta.`{path}` VALUES
        (1, TIMESTAMP_NTZ '2024-01-01 10:00:00.123456', TIMESTAMP_NTZ '2024-01-01 00:00:00',
         named_struct('t', TIMESTAMP_NTZ '1969-12-31 23:59:59.999999', 'n', 1),
         array(TIMESTAMP_NTZ '2000-02-29 12:00:00'), TIMESTAMP '2024-01-01 10:00:00'),
        (2, NULL, NULL, NULL, NULL, NULL),
        (3, TIMESTAMP_NTZ '1900-01-01 00:00:00.000001', TIMESTAMP_NTZ '2024-06-30 12:34:56.5',
         named_struct('t', NULL, 'n', 3), array(), TIMESTAMP '1960-05-05 05:05:05.5')""")
    spark_sql(spark, f"""INSERT INTO delta.`{path}` VALUES
        (4, TIMESTAMP_NTZ '9999-12-31 23:59:59.999999', TIMESTAMP_NTZ '2024-01-01 00:00:00',
         named_struct('t', TIMESTAMP_NTZ '2024-02-29 00:00:00', 'n', 4),
         array(NULL, TIMESTAMP_NTZ '2024-01-01 00:00:00.000001'), NULL)""")
    spark_sql(spark, f"DELETE FROM delta.`{path}` WHERE id = 3")
    columns = ["id", "at", "day", "nested", "many", "utc"]
    latest = spark_sql(spark, f"DESCRIBE HISTORY delta.`{path}` LIMIT 1")[0]["version"]
    return path, columns, {v: spark_rows(path, columns, v) for v in range(latest + 1)}


def test_driftgov_reads_spark_timestamp_ntz_table(spark_timestamp_ntz_table):
    path, columns, versions = spark_timestamp_ntz_table
    info = driftgov_info(path)
    assert "timestampNtz" in info["protocol"]["readerFeatures"]
    assert info["checkpointVersion"] == 2
    for version, expected in versions.items():
        assert driftgov_rows(f"{path}@v={version}", columns) == expected, f"version {version}"
    assert driftgov_rows(path, columns) == versions[max(versions)]
    schema = json.loads(run_driftgov("table", "schema", path, "--json").stdout)
    types = {field["name"]: field["type"] for field in schema["fields"]}
    assert types["at"] == "timestamp_ntz" and types["utc"] == "timestamp"


@pytest.fixture(scope="module")
def deltalake_column_mapping_table(tmp_path_factory):
    """A deltalake table in column mapping name mode: a partition column whose name holds a space, a struct, a
    list, appends, a delete that rewrites files and a checkpoint."""
    path = tmp_path_factory.mktemp("deltalake-mapped") / "mapped"
    point = pa.struct([("x", pa.int32()), ("label", pa.string())])

    def frame(start, count):
        return pa.table({
            "id": pa.array(range(start, start + count), pa.int64()),
            "group name": pa.array([["a b", "c/d", None][i % 3] for i in range(count)], pa.string()),
            "amount": pa.array([None if i % 4 == 1 else i * 0.5 for i in range(count)], pa.float64()),
            "point": pa.array([None if i % 5 == 2 else {"x": i, "label": f"p{i}"} for i in range(count)], point),
            "tags": pa.array([[f"t{i}", None] if i % 3 else None for i in range(count)], pa.list_(pa.string()))})

    deltalake.write_deltalake(str(path), frame(0, 9), partition_by=["group name"],
                              configuration={"delta.columnMapping.mode": "name"})
    deltalake.write_deltalake(str(path), frame(100, 5), mode="append")
    deltalake.DeltaTable(str(path)).delete("id = 4 OR id = 101")
    deltalake.DeltaTable(str(path)).create_checkpoint()
    deltalake.write_deltalake(str(path), frame(200, 3), mode="append")
    columns = ["id", "group name", "amount", "point", "tags"]
    versions = {v: deltalake_query_rows(path, columns, v) for v in range(deltalake.DeltaTable(str(path)).version() + 1)}
    return path, columns, versions


def test_driftgov_reads_deltalake_column_mapping_table(deltalake_column_mapping_table):
    path, columns, versions = deltalake_column_mapping_table
    info = driftgov_info(path)
    assert info["configuration"]["delta.columnMapping.mode"] == "name"
    assert info["checkpointVersion"] == 2 and info["version"] == max(versions) == 3
    # The log keys partition values by physical name; driftgov reports logical names.
    assert all(list(f["partitionValues"]) == ["group name"] for f in info["files"])
    for version, expected in versions.items():
        assert len(expected) > 0
        assert driftgov_rows(f"{path}@v={version}", columns) == expected, f"version {version}"
    assert sorted(f["path"] for f in info["files"]) == sorted(
        pa.table(deltalake.DeltaTable(str(path)).get_add_actions(flatten=True)).column("path").to_pylist())


# ---- writing to tables with column mapping ----

POINT = pa.struct([("x", pa.int32()), ("label", pa.string())])
WIDER_POINT = pa.struct([("x", pa.int32()), ("label", pa.string()), ("z", pa.float64())])
MAPPED_SCHEMA = pa.schema([("id", pa.int64()), ("group name", pa.string()), ("point", POINT),
                           ("items", pa.list_(POINT))])
EXTRA = pa.struct([("a", pa.int32()), ("inner", pa.list_(pa.struct([("c", pa.string())])))])
MERGED_SCHEMA = pa.schema([("id", pa.int64()), ("group name", pa.string()), ("point", WIDER_POINT),
                           ("items", pa.list_(WIDER_POINT)), ("added col", pa.string()), ("extra", EXTRA)])
MAPPED_COLUMNS = MERGED_SCHEMA.names


def mapped_rows(start, count):
    return [{"id": start + i, "group name": ["a", "b c", None][i % 3],
             "point": None if i % 4 == 3 else {"x": i, "label": f"l{i}"},
             "items": [{"x": i, "label": None}] if i % 2 else []} for i in range(count)]


def merged_rows(start, count):
    return [{"id": start + i, "group name": "a", "point": {"x": i, "label": "m", "z": i / 2},
             "items": [{"x": 1, "label": "q", "z": 0.5}], "added col": f"n{i}",
             "extra": None if i == 1 else {"a": i, "inner": [{"c": f"c{i}"}, None]}} for i in range(count)]


def widened(rows):
    """Rows written before the merge as every reader sees them after it: new fields null."""
    return [row | {"point": None if row["point"] is None else row["point"] | {"z": None},
                   "items": [item | {"z": None} for item in row["items"]], "added col": None, "extra": None}
            for row in rows]


def column_ids(schema_field):
    """Every delta.columnMapping.id in a schemaString field, nested ones too."""
    ids = []
    if isinstance(schema_field, dict):
        if "delta.columnMapping.id" in schema_field.get("metadata", {}):
            ids.append(schema_field["metadata"]["delta.columnMapping.id"])
        for value in schema_field.values():
            ids += column_ids(value)
    elif isinstance(schema_field, list):
        for value in schema_field:
            ids += column_ids(value)
    return ids


def parquet_field_ids(path):
    def walk(field):
        ids = [int(field.metadata[b"PARQUET:field_id"])] if field.metadata and b"PARQUET:field_id" in field.metadata \
            else []
        for child in getattr(field.type, "fields", None) or ([field.type.value_field]
                                                             if pa.types.is_list(field.type) else []):
            ids += walk(child)
        return ids
    return [i for field in pq.read_schema(path) for i in walk(field)]


def assert_mapping_consistent(table):
    """maxColumnId covers every id, ids are unique, and every data file stores fields by physical name with ids
    the schema assigns."""
    info = driftgov_info(table)
    metadata_line = [json.loads(line) for path in sorted((table / "_delta_log").glob("*.json"))
                     for line in path.read_text().splitlines() if '"metaData"' in line][-1]
    schema = json.loads(metadata_line["metaData"]["schemaString"])
    ids = column_ids(schema)
    assert len(ids) == len(set(ids))
    assert int(info["configuration"]["delta.columnMapping.maxColumnId"]) == max(ids)
    logical = {field["name"] for field in schema["fields"]}
    for entry in info["files"]:
        data_file = table / _unquote(entry["path"])
        stored = pq.read_schema(data_file)
        assert not logical & set(stored.names), f"{data_file} stores logical names"
        assert set(parquet_field_ids(data_file)) <= set(ids)


def _unquote(path):
    from urllib.parse import unquote
    return unquote(path)


@pytest.fixture
def spark_reading_by_field_id(spark):
    """Spark's nested vectorized Parquet reader fails on Spark's own id-mapped tables once a field is added inside a
    list element (IllegalArgumentException "Spark type ... doesn't match the type ... in column vector"); its
    row-based reader resolves them, so id-mode reads use that."""
    key = "spark.sql.parquet.enableNestedColumnVectorizedReader"
    before = spark.conf.get(key)
    spark.conf.set(key, "false")
    yield spark
    spark.conf.set(key, before)


@pytest.mark.parametrize("mode", ["name", "id"])
def test_writes_to_column_mapped_tables_read_by_spark_and_deltalake(tmp_path, spark, mode, request):
    if mode == "id":
        request.getfixturevalue("spark_reading_by_field_id")
    table = tmp_path / "mapped"
    first = mapped_rows(0, 9)
    second = merged_rows(100, 4)
    write_table(write_parquet(tmp_path / "1.parquet", first, MAPPED_SCHEMA), table, "--partition-by", "group name",
                "--property", f"delta.columnMapping.mode={mode}")
    write_table(write_parquet(tmp_path / "2.parquet", second, MERGED_SCHEMA), table, "--mode", "append",
                "--merge-schema")
    assert_mapping_consistent(table)
    expected = {0: first, 1: widened(first) + second}
    for version, rows in expected.items():
        want = bag(rows, MAPPED_COLUMNS)
        assert spark_rows(table, MAPPED_COLUMNS, version) == want, f"spark at version {version}"
        assert deltalake_query_rows(table, MAPPED_COLUMNS, version) == want, f"deltalake at version {version}"
        assert driftgov_rows(f"{table}@v={version}", MAPPED_COLUMNS) == want, f"driftgov at version {version}"
    detail = spark_sql(spark, f"DESCRIBE DETAIL delta.`{table}`")[0]
    assert detail["properties"]["delta.columnMapping.mode"] == mode
    # Spark renames a column and appends with a column of its own: the ids driftgov assigned leave room for it.
    spark_sql(spark, f"ALTER TABLE delta.`{table}` RENAME COLUMN `added col` TO renamed")
    spark_sql(spark, f"ALTER TABLE delta.`{table}` ADD COLUMNS (spark_col STRING)")
    spark_sql(spark, f"INSERT INTO delta.`{table}` (id, `group name`, renamed, spark_col) VALUES (900, 'a', 'r', 's')")
    third = [{"id": 1000, "group name": "b c", "point": {"x": 5, "label": "t", "z": 1.5}, "items": [],
              "renamed": "again", "spark_col": None}]
    third_schema = pa.schema(list(MERGED_SCHEMA)[:4] + [("renamed", pa.string()), ("spark_col", pa.string())])
    write_table(write_parquet(tmp_path / "3.parquet", third, third_schema), table, "--mode", "append")
    assert_mapping_consistent(table)
    columns = ["id", "group name", "point", "items", "renamed", "spark_col", "extra"]
    latest = [row | {"renamed": row.pop("added col", None), "spark_col": None} for row in expected[1]]
    latest += [{"id": 900, "group name": "a", "point": None, "items": None, "renamed": "r", "spark_col": "s"}] + third
    want = bag(latest, columns)
    assert spark_rows(table, columns) == want
    assert driftgov_rows(table, columns) == want
    assert deltalake_query_rows(table, columns) == want


def test_merge_schema_into_a_spark_table_with_id_mapping(tmp_path, spark_reading_by_field_id):
    spark = spark_reading_by_field_id
    """Spark assigns the ids; driftgov adds a nested and a top-level field after them."""
    table = tmp_path / "spark_id"
    spark_sql(spark, f"CREATE TABLE delta.`{table}` (id BIGINT, `group name` STRING, point STRUCT<x: INT, label: "
                     f"STRING>, items ARRAY<STRUCT<x: INT, label: STRING>>) USING delta TBLPROPERTIES "
                     f"('delta.columnMapping.mode' = 'id')")
    spark_sql(spark, f"INSERT INTO delta.`{table}` VALUES (1, 'a', named_struct('x', 1, 'label', 'p'), "
                     f"array(named_struct('x', 2, 'label', 'q'))), (2, NULL, named_struct('x', NULL, 'label', 'r'), array())")
    second = merged_rows(10, 3)
    write_table(write_parquet(tmp_path / "2.parquet", second, MERGED_SCHEMA), table, "--mode", "append",
                "--merge-schema")
    assert_mapping_consistent(table)
    first = [{"id": 1, "group name": "a", "point": {"x": 1, "label": "p"}, "items": [{"x": 2, "label": "q"}]},
             {"id": 2, "group name": None, "point": {"x": None, "label": "r"}, "items": []}]
    want = bag(widened(first) + second, MAPPED_COLUMNS)
    assert spark_rows(table, MAPPED_COLUMNS) == want
    assert driftgov_rows(table, MAPPED_COLUMNS) == want


def test_commit_info_matches_spark_for_the_same_operations(tmp_path, spark):
    """Spark and driftgov each create a table, append, append with mergeSchema and overwrite; the commitInfo
    fields conflict detection relies on (isBlindAppend, mode, readVersion) agree."""
    base = pa.schema([("id", pa.int64()), ("name", pa.string())])
    wider = pa.schema([("id", pa.int64()), ("name", pa.string()), ("extra", pa.float64())])
    steps = [(base, "create", []), (base, "append", []), (wider, "append", ["--merge-schema"]),
             (wider, "overwrite", [])]
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for index, (schema, mode, options) in enumerate(steps):
        data = write_parquet(tmp_path / f"{index}.parquet",
                             [{name: (index if name == "id" else None) for name in schema.names}], schema)
        write_table(data, ours, "--mode", mode, *options)
        writer = spark.read.parquet(str(data)).write.format("delta").mode(
            {"create": "errorifexists"}.get(mode, mode))
        if options:
            writer = writer.option("mergeSchema", "true")
        writer.save(str(theirs))

    def history(table):
        entries = sorted(spark.sql(f"DESCRIBE HISTORY delta.`{table}`").collect(), key=lambda e: e["version"])
        return [(e["operation"], e["operationParameters"]["mode"], e["isBlindAppend"], e["readVersion"])
                for e in entries]

    assert history(ours) == history(theirs)
    assert [e[2] for e in history(theirs)] == [True, True, True, False]


# ---- (c) concurrent writers ----

def write_csv(path, header, rows):
    path.write_text(header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows))
    return path


def test_driftgov_and_deltalake_append_to_one_table(tmp_path):
    import concurrent.futures
    import subprocess

    from conftest import driftgov_binary

    table = tmp_path / "shared"
    run_driftgov("table", "write", write_csv(tmp_path / "seed.csv", "writer,batch", [(0, 0)]), table)
    rounds = 10

    def ours():
        for batch in range(1, rounds + 1):
            data = write_csv(tmp_path / f"d{batch}.csv", "writer,batch", [(1, batch)])
            subprocess.run([str(driftgov_binary()), "table", "write", str(data), str(table), "--mode", "append"],
                           check=True, capture_output=True, timeout=120)

    def theirs():
        for batch in range(1, rounds + 1):
            deltalake.write_deltalake(str(table), pa.table({"writer": pa.array([2], pa.int64()),
                                                            "batch": pa.array([batch], pa.int64())}), mode="append")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(ours), pool.submit(theirs)]:
            future.result()
    columns = ["writer", "batch"]
    want = bag([{"writer": 0, "batch": 0}] + [{"writer": w, "batch": b} for w in (1, 2) for b in range(1, rounds + 1)],
               columns)
    assert driftgov_rows(table, columns) == want
    assert deltalake_rows(table, columns) == want


def test_hundreds_of_concurrent_commits_then_spark_reads(tmp_path, spark):
    """Four appending processes and one overwriting one partition commit at once; every appended row is present
    exactly once, the overwritten partition holds its last write, versions are contiguous, Spark agrees."""
    import concurrent.futures
    import subprocess

    from conftest import driftgov_binary

    table = tmp_path / "busy"
    header = "writer,batch,part"
    run_driftgov("table", "write", write_csv(tmp_path / "seed.csv", header, [(-1, -1, "seed")]), table,
                 "--partition-by", "part")
    appenders, batches, overwrites = 4, 40, 20

    def append(writer):
        for batch in range(batches):
            data = write_csv(tmp_path / f"w{writer}-{batch}.csv", header, [(writer, batch, f"w{writer}")])
            subprocess.run([str(driftgov_binary()), "table", "write", str(data), str(table), "--mode", "append"],
                           check=True, capture_output=True, timeout=300)

    def overwrite():
        for batch in range(overwrites):
            data = write_csv(tmp_path / f"o-{batch}.csv", header, [(99, batch, "seed")])
            subprocess.run([str(driftgov_binary()), "table", "write", str(data), str(table), "--mode", "overwrite",
                            "--replace-where", "part=seed"], check=True, capture_output=True, timeout=300)

    with concurrent.futures.ThreadPoolExecutor(appenders + 1) as pool:
        futures = [pool.submit(append, w) for w in range(appenders)] + [pool.submit(overwrite)]
        for future in futures:
            future.result()
    columns = ["writer", "batch", "part"]
    want = bag([{"writer": w, "batch": b, "part": f"w{w}"} for w in range(appenders) for b in range(batches)] +
               [{"writer": 99, "batch": overwrites - 1, "part": "seed"}], columns)
    assert driftgov_rows(table, columns) == want
    assert spark_rows(table, columns) == want
    commits = sorted(int(p.name[:20]) for p in (table / "_delta_log").glob("*.json"))
    assert commits == list(range(1 + appenders * batches + overwrites))
    assert (table / "_delta_log" / "00000000000000000100.checkpoint.parquet").exists()
