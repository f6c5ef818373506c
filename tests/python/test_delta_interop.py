"""Delta interoperability both ways, with Apache Spark + Delta (pyspark, delta-spark), deltalake and DuckDB as
oracles. Tables driftgov writes (partitions with nulls and special characters, schema evolution, partial and full
overwrites, checkpoints) are read by Spark, deltalake and DuckDB; tables Spark writes (deletion vectors, column
mapping with renames, checkpoints, schema changes) are read by driftgov. DuckDB's delta extension cannot be
installed offline, so DuckDB reads the Parquet files the snapshot lists (partition columns excluded)."""
import json

import pytest

from conftest import run_driftgov

pytestmark = pytest.mark.interop

deltalake = pytest.importorskip("deltalake")
duckdb = pytest.importorskip("duckdb")
pyspark = pytest.importorskip("pyspark")
delta_spark = pytest.importorskip("delta")


@pytest.fixture(scope="module")
def spark():
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession
    builder = (SparkSession.builder.master("local[2]").appName("driftgov-delta-interop")
               .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
               .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2"))
    session = configure_spark_with_delta_pip(builder).getOrCreate()
    yield session
    session.stop()


def write_csv(path, header, rows):
    path.write_text(header + "\n" + "".join(",".join("" if v is None else str(v) for v in row) + "\n" for row in rows))
    return path


def normalise(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)
    return value


def bag(rows, columns):
    return sorted((tuple(normalise(row[c]) for c in columns) for row in rows), key=repr)


def spark_rows(spark, path, columns, version=None):
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return bag([row.asDict() for row in reader.load(str(path)).collect()], columns)


def driftgov_rows(source, columns):
    output = run_driftgov("cat", source, "--format", "jsonl").stdout
    return bag([json.loads(line) for line in output.splitlines() if line.strip()], columns)


def deltalake_rows(path, columns):
    frame = deltalake.DeltaTable(str(path)).to_pandas()
    return bag(frame.astype(object).where(frame.notna(), None).to_dict("records"), columns)


def test_tables_driftgov_writes_read_by_spark_deltalake_and_duckdb(tmp_path, spark, driftgov):
    table = tmp_path / "written"
    columns = ["id", "part", "score", "day"]
    first = write_csv(tmp_path / "1.csv", ",".join(columns),
                      [(1, "a b", 0.5, "2024-01-01"), (2, "c/d=e%f", 1.5, None), (3, None, 2.5, "2024-01-03")])
    run_driftgov("table", "write", first, table, "--partition-by", "part", "--property", "delta.checkpointInterval=3")
    expected = {(1, "a b", 0.5, "2024-01-01"), (2, "c/d=e%f", 1.5, None), (3, None, 2.5, "2024-01-03")}
    for batch in range(4):  # passes a checkpoint at version 3
        data = write_csv(tmp_path / f"a{batch}.csv", ",".join(columns), [(10 + batch, "a b", float(batch), "2024-02-01")])
        run_driftgov("table", "write", data, table, "--mode", "append")
        expected.add((10 + batch, "a b", float(batch), "2024-02-01"))
    assert (table / "_delta_log" / "00000000000000000003.checkpoint.parquet").exists()
    # Schema evolution: a new column.
    evolved = write_csv(tmp_path / "e.csv", "id,part,score,day,note", [(20, "z", 9.5, "2024-03-01", "new")])
    run_driftgov("table", "write", evolved, table, "--mode", "append", "--merge-schema")
    # Partial overwrite of partition "a b".
    replacement = write_csv(tmp_path / "r.csv", "id,part,score,day,note", [(30, "a b", 3.0, "2024-04-01", "r")])
    run_driftgov("table", "write", replacement, table, "--mode", "overwrite", "--replace-where", "part=a b")
    all_columns = columns + ["note"]
    want = sorted(((30, "a b", 3.0, "2024-04-01", "r"), (2, "c/d=e%f", 1.5, None, None),
                   (3, None, 2.5, "2024-01-03", None), (20, "z", 9.5, "2024-03-01", "new")), key=repr)
    assert spark_rows(spark, table, all_columns) == want
    assert deltalake_rows(table, all_columns) == want
    assert driftgov_rows(table, all_columns) == want
    # Time travel agrees with Spark at a version before the overwrite.
    assert driftgov_rows(f"{table}@v=4", columns) == spark_rows(spark, table, columns, version=4)
    # DuckDB reads the data files the snapshot lists.
    info = json.loads(run_driftgov("table", "info", table, "--json").stdout)
    files = [str(table / f["path"].replace("%20", " ").replace("%25", "%")) for f in info["files"]]
    counted = duckdb.sql(f"SELECT count(*) FROM read_parquet({files!r}, union_by_name=true)").fetchall()[0][0]
    assert counted == len(want)
    ids = sorted(r[0] for r in duckdb.sql(f"SELECT id FROM read_parquet({files!r}, union_by_name=true)").fetchall())
    assert ids == sorted(row[0] for row in want)
    # A full overwrite with a new schema; Spark sees the new schema.
    replaced = write_csv(tmp_path / "o.csv", "key,value", [("k", 1)])
    run_driftgov("table", "write", replaced, table, "--mode", "overwrite", "--overwrite-schema")
    frame = spark.read.format("delta").load(str(table))
    assert frame.columns == ["key", "value"] and [tuple(r) for r in frame.collect()] == [("k", 1)]


def test_spark_tables_with_deletion_vectors_and_checkpoints_read_by_driftgov(tmp_path, spark, driftgov):
    path = str(tmp_path / "dv")
    spark.range(0, 200).selectExpr("id", "id % 7 AS bucket", "cast(id AS string) AS label") \
        .repartition(3).write.format("delta").partitionBy("bucket") \
        .option("delta.enableDeletionVectors", "true").option("delta.checkpointInterval", "2").save(path)
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true', "
              f"'delta.checkpointInterval' = '2')")
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id % 5 = 0")
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id % 11 = 0")
    spark.range(500, 520).selectExpr("id", "id % 7 AS bucket", "cast(id AS string) AS label") \
        .write.format("delta").mode("append").save(path)
    info = json.loads(run_driftgov("table", "info", path, "--json").stdout)
    assert any("deletionVector" in f for f in info["files"]), "Spark wrote no deletion vector"
    columns = ["id", "bucket", "label"]
    assert driftgov_rows(path, columns) == spark_rows(spark, path, columns)
    assert driftgov_rows(f"{path}@v=1", columns) == spark_rows(spark, path, columns, version=1)


def test_spark_tables_with_column_mapping_and_schema_changes_read_by_driftgov(tmp_path, spark, driftgov):
    path = str(tmp_path / "mapped")
    spark.sql(f"CREATE TABLE delta.`{path}` (id BIGINT, name STRING, ts TIMESTAMP, nested STRUCT<a: INT, b: STRING>) "
              f"USING delta PARTITIONED BY (name) TBLPROPERTIES ('delta.columnMapping.mode' = 'name', "
              f"'delta.minReaderVersion' = '2', 'delta.minWriterVersion' = '5')")
    spark.sql(f"INSERT INTO delta.`{path}` VALUES (1, 'x', TIMESTAMP '2024-01-01 10:00:00', named_struct('a', 1, 'b', 'p')),"
              f" (2, NULL, NULL, NULL)")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN id TO identifier")
    spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS (extra DOUBLE)")
    spark.sql(f"INSERT INTO delta.`{path}` VALUES (3, 'y', TIMESTAMP '2024-02-01 00:00:00.123456', named_struct('a', 3, 'b', 'q'), 0.25)")
    columns = ["identifier", "name", "ts", "extra"]
    theirs = [row.asDict() for row in spark.read.format("delta").load(path).collect()]
    ours = [json.loads(line) for line in run_driftgov("cat", path, "--format", "jsonl").stdout.splitlines()]
    assert len(ours) == len(theirs) == 3
    assert sorted(r["identifier"] for r in ours) == sorted(r["identifier"] for r in theirs)
    by_id = {r["identifier"]: r for r in ours}
    for row in theirs:
        mine = by_id[row["identifier"]]
        assert mine["name"] == row["name"] and mine["extra"] == row["extra"]
        assert (mine["nested"] is None) == (row["nested"] is None)
        if row["nested"] is not None:
            assert mine["nested"] == row["nested"].asDict()
        if row["ts"] is not None:
            assert mine["ts"].rstrip("Z").startswith(row["ts"].isoformat())
    schema = json.loads(run_driftgov("table", "schema", path, "--json").stdout)
    assert [f["name"] for f in schema["fields"]] == spark.read.format("delta").load(path).columns


def test_driftgov_and_deltalake_append_to_one_table(tmp_path, driftgov):
    import concurrent.futures
    import subprocess
    import pyarrow as pa
    from conftest import driftgov_binary
    table = tmp_path / "shared"
    seed = write_csv(tmp_path / "seed.csv", "writer,batch", [(0, 0)])
    run_driftgov("table", "write", seed, table)
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
    want = sorted([(0, 0)] + [(w, b) for w in (1, 2) for b in range(1, rounds + 1)], key=repr)
    assert driftgov_rows(table, ["writer", "batch"]) == want
    assert deltalake_rows(table, ["writer", "batch"]) == want


def test_hundreds_of_concurrent_commits_then_spark_reads(tmp_path, spark, driftgov):
    """Four appending processes and one overwriting one partition commit at once; every appended row is present
    exactly once, the overwritten partition holds its last write, versions are contiguous, Spark agrees."""
    import concurrent.futures
    import subprocess
    from conftest import driftgov_binary
    table = tmp_path / "busy"
    seed = write_csv(tmp_path / "seed.csv", "writer,batch,part", [(-1, -1, "seed")])
    run_driftgov("table", "write", seed, table, "--partition-by", "part")
    appenders, batches, overwrites = 4, 40, 20

    def append(writer):
        for batch in range(batches):
            data = write_csv(tmp_path / f"w{writer}-{batch}.csv", "writer,batch,part", [(writer, batch, f"w{writer}")])
            subprocess.run([str(driftgov_binary()), "table", "write", str(data), str(table), "--mode", "append"],
                           check=True, capture_output=True, timeout=300)

    def overwrite():
        for batch in range(overwrites):
            data = write_csv(tmp_path / f"o-{batch}.csv", "writer,batch,part", [(99, batch, "seed")])
            subprocess.run([str(driftgov_binary()), "table", "write", str(data), str(table), "--mode", "overwrite",
                            "--replace-where", "part=seed"], check=True, capture_output=True, timeout=300)

    with concurrent.futures.ThreadPoolExecutor(appenders + 1) as pool:
        futures = [pool.submit(append, w) for w in range(appenders)] + [pool.submit(overwrite)]
        for future in futures:
            future.result()
    want = sorted([(w, b, f"w{w}") for w in range(appenders) for b in range(batches)] + [(99, overwrites - 1, "seed")],
                  key=repr)
    columns = ["writer", "batch", "part"]
    assert driftgov_rows(table, columns) == want
    assert spark_rows(spark, table, columns) == want
    commits = sorted(int(p.name[:20]) for p in (table / "_delta_log").glob("*.json"))
    assert commits == list(range(1 + appenders * batches + overwrites))
    assert (table / "_delta_log" / "00000000000000000100.checkpoint.parquet").exists()
