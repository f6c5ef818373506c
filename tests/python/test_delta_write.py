"""Delta tables written by `driftgov table write`, read back by deltalake (delta-rs) and DuckDB as oracles:
create/append/overwrite, partial overwrite, schema enforcement and evolution, idempotent txn, stats, and
several driftgov processes committing to one table at once."""
import concurrent.futures
import json
import subprocess

import deltalake
import pandas as pd
import pyarrow as pa
import pyarrow.parquet  # noqa: F401 - makes pa.parquet available
import pytest

from conftest import driftgov_binary, run_driftgov
from delta_oracles import bag, deltalake_rows, driftgov_rows


def write_csv(path, header, rows):
    path.write_text(header + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


def rows_of(table_path, columns):
    frame = deltalake.DeltaTable(str(table_path)).to_pandas()
    frame = frame[columns].astype(object).where(frame[columns].notna(), None)
    return sorted(tuple(row) for row in frame.itertuples(index=False))


def test_create_append_overwrite_read_by_deltalake(tmp_path, driftgov):
    first = write_csv(tmp_path / "a.csv", "id,name,score", [(1, "x y", 0.5), (2, "c/d%e", 1.5), (3, "", 2.5)])
    second = write_csv(tmp_path / "b.csv", "id,name,score", [(4, "x y", 9.0)])
    table = tmp_path / "t"
    run_driftgov("table", "write", first, table, "--partition-by", "name")
    refused = run_driftgov("table", "write", first, table, check=False)
    assert refused.returncode == 2 and "already exists" in refused.stderr
    run_driftgov("table", "write", second, table, "--mode", "append")
    assert rows_of(table, ["id", "name", "score"]) == [(1, "x y", 0.5), (2, "c/d%e", 1.5), (3, None, 2.5),
                                                       (4, "x y", 9.0)]
    assert deltalake.DeltaTable(str(table)).metadata().partition_columns == ["name"]
    run_driftgov("table", "write", second, table, "--mode", "overwrite")
    assert rows_of(table, ["id", "name", "score"]) == [(4, "x y", 9.0)]
    history = deltalake.DeltaTable(str(table)).history()
    assert [h["operation"] for h in sorted(history, key=lambda h: h["version"])] == ["WRITE"] * 3
    assert all(h["engineInfo"].startswith("driftgov/") for h in history)


def test_partial_overwrite_replaces_only_its_partition(tmp_path, driftgov):
    data = write_csv(tmp_path / "a.csv", "id,part", [(1, "a"), (2, "b"), (3, "b")])
    replacement = write_csv(tmp_path / "r.csv", "id,part", [(10, "b")])
    outside = write_csv(tmp_path / "o.csv", "id,part", [(11, "a")])
    table = tmp_path / "t"
    run_driftgov("table", "write", data, table, "--partition-by", "part")
    run_driftgov("table", "write", replacement, table, "--mode", "overwrite", "--replace-where", "part=b")
    assert rows_of(table, ["id", "part"]) == [(1, "a"), (10, "b")]
    bad = run_driftgov("table", "write", outside, table, "--mode", "overwrite", "--replace-where", "part=b",
                       check=False)
    assert bad.returncode == 2 and "Data written out does not match replaceWhere 'part = 'b''" in bad.stderr
    assert rows_of(table, ["id", "part"]) == [(1, "a"), (10, "b")]


def test_schema_enforcement_and_merge_schema(tmp_path, driftgov):
    base = write_csv(tmp_path / "a.csv", "id,x", [(1, 0.5)])
    wider = write_csv(tmp_path / "b.csv", "id,x,extra", [(2, 1.5, "new")])
    wrong_type = write_csv(tmp_path / "c.csv", "id,x", [(3, "text")])
    table = tmp_path / "t"
    run_driftgov("table", "write", base, table)
    refused = run_driftgov("table", "write", wider, table, "--mode", "append", check=False)
    assert refused.returncode == 2
    assert "table schema:" in refused.stderr and "data schema:" in refused.stderr and "extra" in refused.stderr
    run_driftgov("table", "write", wider, table, "--mode", "append", "--merge-schema")
    assert rows_of(table, ["id", "x", "extra"]) == [(1, 0.5, None), (2, 1.5, "new")]
    incompatible = run_driftgov("table", "write", wrong_type, table, "--mode", "append", "--merge-schema",
                                check=False)
    assert incompatible.returncode == 2 and "incompatible types double (table) and string (data)" in incompatible.stderr
    run_driftgov("table", "write", wrong_type, table, "--mode", "overwrite", "--overwrite-schema")
    assert rows_of(table, ["id", "x"]) == [(3, "text")]
    misuse = run_driftgov("table", "write", base, table, "--mode", "append", "--overwrite-schema", check=False)
    assert misuse.returncode == 2 and "--overwrite-schema needs --mode overwrite" in misuse.stderr


def test_idempotent_writes_are_skipped(tmp_path, driftgov):
    data = write_csv(tmp_path / "a.csv", "id", [(1,), (2,)])
    table = tmp_path / "t"
    for _ in range(3):
        run_driftgov("table", "write", data, table, "--mode", "append", "--app-id", "job", "--app-version", "7")
    assert rows_of(table, ["id"]) == [(1,), (2,)]
    run_driftgov("table", "write", data, table, "--mode", "append", "--app-id", "job", "--app-version", "8")
    assert rows_of(table, ["id"]) == [(1,), (1,), (2,), (2,)]
    info = json.loads(run_driftgov("table", "info", table, "--json").stdout)
    assert info["transactions"] == {"job": 8}


def test_stats_match_the_data(tmp_path, driftgov):
    data = write_csv(tmp_path / "a.csv", "id,name,day", [(5, "b", "2024-03-01"), (-2, "a", ""), (9, "", "2024-01-31")])
    table = tmp_path / "t"
    run_driftgov("table", "write", data, table)
    actions = pa.table(deltalake.DeltaTable(str(table)).get_add_actions(flatten=True)).to_pylist()
    assert len(actions) == 1
    stats = actions[0]
    frame = pd.read_csv(data)
    assert stats["num_records"] == len(frame)
    assert stats["min.id"] == frame["id"].min() and stats["max.id"] == frame["id"].max()
    assert stats["null_count.name"] == frame["name"].isna().sum()
    assert stats["min.name"] == frame["name"].dropna().min()
    assert str(stats["max.day"]) == "2024-03-01" and stats["null_count.day"] == 1


def test_concurrent_processes_commit_every_row_once(tmp_path, driftgov):
    table = tmp_path / "t"
    seed = write_csv(tmp_path / "seed.csv", "writer,batch", [(-1, -1)])
    run_driftgov("table", "write", seed, table)
    writers, batches = 4, 15
    inputs = {}
    for writer in range(writers):
        for batch in range(batches):
            inputs[(writer, batch)] = write_csv(tmp_path / f"in-{writer}-{batch}.csv", "writer,batch",
                                                [(writer, batch)])

    def run_writer(writer):
        for batch in range(batches):
            subprocess.run([str(driftgov_binary()), "table", "write", str(inputs[(writer, batch)]), str(table),
                            "--mode", "append"], check=True, capture_output=True, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        list(pool.map(run_writer, range(writers)))
    expected = sorted([(-1, -1)] + list(inputs))
    assert rows_of(table, ["writer", "batch"]) == expected
    versions = sorted(h["version"] for h in deltalake.DeltaTable(str(table)).history())
    assert versions == list(range(writers * batches + 1))


@pytest.mark.parametrize("mode", ["name", "id"])
def test_column_mapped_writes_with_merge_schema_read_by_deltalake(tmp_path, driftgov, mode):
    """New tables with column mapping, and mergeSchema adding a top-level and a nested field: deltalake's
    DataFusion reader (which resolves physical names) and driftgov read the rows written; the log assigns every
    field a unique id up to delta.columnMapping.maxColumnId."""
    import pyarrow.parquet as pq
    from delta_oracles import bag, deltalake_query_rows, driftgov_rows

    point = pa.struct([("x", pa.int32()), ("label", pa.string())])
    wider = pa.struct([("x", pa.int32()), ("label", pa.string()), ("z", pa.float64())])
    first = [{"id": i, "part": "a" if i % 2 else None, "point": None if i == 3 else {"x": i, "label": f"l{i}"}}
             for i in range(6)]
    extra = pa.struct([("a", pa.int32()), ("inner", pa.list_(pa.struct([("c", pa.string())])))])
    second = [{"id": 10 + i, "part": "b", "point": {"x": i, "label": None, "z": i / 4}, "note": f"n{i}",
               "extra": None if i == 1 else {"a": i, "inner": [{"c": f"c{i}"}, None]}} for i in range(3)]
    pq.write_table(pa.Table.from_pylist(first, schema=pa.schema([("id", pa.int64()), ("part", pa.string()),
                                                                  ("point", point)])), tmp_path / "1.parquet")
    pq.write_table(pa.Table.from_pylist(second, schema=pa.schema([("id", pa.int64()), ("part", pa.string()),
                                                                   ("point", wider), ("note", pa.string()),
                                                                   ("extra", extra)])),
                   tmp_path / "2.parquet")
    table = tmp_path / "mapped"
    run_driftgov("table", "write", tmp_path / "1.parquet", table, "--partition-by", "part", "--property",
                 f"delta.columnMapping.mode={mode}")
    run_driftgov("table", "write", tmp_path / "2.parquet", table, "--mode", "append", "--merge-schema")
    columns = ["id", "part", "point", "note", "extra"]
    want = bag([row | {"point": None if row["point"] is None else row["point"] | {"z": None}, "note": None,
                       "extra": None} for row in first] + second, columns)
    assert deltalake_query_rows(table, columns) == want
    assert driftgov_rows(table, columns) == want
    metadata = [json.loads(line)["metaData"] for path in sorted((table / "_delta_log").glob("*.json"))
                for line in path.read_text().splitlines() if line.startswith('{"metaData"')][-1]
    def column_ids(node):
        """Every delta.columnMapping.id in the schema, nested fields (in structs and list elements) included."""
        if isinstance(node, list):
            return [i for item in node for i in column_ids(item)]
        if not isinstance(node, dict):
            return []
        own = [node["metadata"]["delta.columnMapping.id"]] if "delta.columnMapping.id" in node.get("metadata", {}) \
            else []
        return own + [i for key, value in node.items() if key != "metadata" for i in column_ids(value)]

    ids = column_ids(json.loads(metadata["schemaString"]))
    # id, part, point{x, label} at creation; point.z, note, extra{a, inner[{c}]} from the merge.
    assert sorted(ids) == list(range(1, 12))
    assert metadata["configuration"]["delta.columnMapping.maxColumnId"] == "11"
    protocol = deltalake.DeltaTable(str(table)).protocol()
    assert (protocol.min_reader_version, protocol.min_writer_version) == (2, 5)


# Partial overwrite by a predicate on data columns (Spark's replaceWhere). The oracle is computed here from the
# previous version's rows as deltalake reads them: the rows the predicate does not select (SQL null semantics: a
# comparison with null is not true), plus the new rows.
import datetime
import urllib.parse

REPLACE_COLUMNS = ["id", "region", "day", "ts", "score", "name"]
REPLACE_SCHEMA = pa.schema([("id", pa.int64()), ("region", pa.string()), ("day", pa.date32()),
                            ("ts", pa.timestamp("us", tz="UTC")), ("score", pa.float64()), ("name", pa.string())])


def replace_rows(first_id, count):
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    rows = []
    for i in range(first_id, first_id + count):
        rows.append({"id": i, "region": [None, "EU", "US", "APAC"][i % 4],
                     "day": (start + datetime.timedelta(days=i % 20)).date(),
                     "ts": start + datetime.timedelta(hours=7 * i, microseconds=i),
                     "score": None if i % 7 == 3 else float(i % 30) + 0.25,
                     "name": None if i % 5 == 2 else "abcd"[i % 4]})
    return rows


def _sql(operator, left, right):
    """One comparison with SQL semantics: None (unknown) when either side is null."""
    if left is None or right is None:
        return None
    return operator(left, right)


def _all_true(*values):
    return all(value is True for value in values)


DAY = datetime.date
TS = datetime.datetime
UTC = datetime.timezone.utc
REPLACE_CASES = [
    ("score >= 10 AND score < 20", lambda r: _all_true(_sql(float.__ge__, r["score"], 10.0),
                                                      _sql(float.__lt__, r["score"], 20.0))),
    ("region = 'EU' AND day < DATE '2024-01-10'",
     lambda r: _all_true(_sql(str.__eq__, r["region"], "EU"), _sql(DAY.__lt__, r["day"], DAY(2024, 1, 10)))),
    ("name IN ('a', 'c') AND id IS NOT NULL", lambda r: r["name"] in ("a", "c") and r["id"] is not None),
    ("ts > TIMESTAMP '2024-01-05 12:00:00'", lambda r: _all_true(_sql(TS.__gt__, r["ts"], TS(2024, 1, 5, 12, tzinfo=UTC)))),
    ("name IS NULL", lambda r: r["name"] is None),
    ("id != 30 AND id >= 20 AND region IS NOT NULL",
     lambda r: _all_true(_sql(int.__ne__, r["id"], 30), _sql(int.__ge__, r["id"], 20)) and r["region"] is not None),
    ("region=US", lambda r: r["region"] == "US"),
    ("score NOT IN (0.25, 1.25)", lambda r: r["score"] is not None and r["score"] not in (0.25, 1.25)),
]


def _as_python(rows):
    """deltalake gives timestamps with a zone and dates as dates; the oracle compares those directly."""
    return [{key: value for key, value in row.items()} for row in rows]


@pytest.mark.parametrize("predicate,selects", REPLACE_CASES, ids=[case[0] for case in REPLACE_CASES])
def test_replace_where_on_data_columns_matches_the_oracle(tmp_path, driftgov, predicate, selects):
    table = tmp_path / "t"
    # Several files per partition (--file-rows), so that files are removed whole, rewritten, or left alone.
    for batch in range(3):
        source = tmp_path / f"base{batch}.parquet"
        pa.parquet.write_table(pa.Table.from_pylist(replace_rows(batch * 40, 40), REPLACE_SCHEMA), source,
                               row_group_size=4)
        args = ["--partition-by", "region", "--file-rows", "4"] if batch == 0 else ["--mode", "append",
                                                                                    "--file-rows", "4"]
        run_driftgov("table", "write", source, table, *args)
    previous = _as_python(deltalake.DeltaTable(str(table)).to_pyarrow_table().to_pylist())
    previous_version = deltalake.DeltaTable(str(table)).version()
    assert any(selects(row) for row in previous) and not all(selects(row) for row in previous)
    new_rows = [row for row in replace_rows(1000, 200) if selects(row)]
    assert new_rows
    source = tmp_path / "new.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(new_rows, REPLACE_SCHEMA), source)
    run_driftgov("table", "write", source, table, "--mode", "overwrite", "--replace-where", predicate)

    expected = bag([row for row in previous if not selects(row)] + new_rows, REPLACE_COLUMNS)
    assert deltalake_rows(table, REPLACE_COLUMNS) == expected
    assert driftgov_rows(table, REPLACE_COLUMNS) == expected
    delta_table = deltalake.DeltaTable(str(table))
    assert delta_table.version() == previous_version + 1
    last = max(delta_table.history(), key=lambda entry: entry["version"])
    assert last["operation"] == "WRITE" and last["operationParameters"]["mode"] == "Overwrite"
    assert "predicate" in last["operationParameters"]
    # Exactly the files holding a selected row are removed (whole or rewritten); the others are left alone.
    commit = (table / "_delta_log" / f"{previous_version + 1:020d}.json").read_text().splitlines()
    removes = [json.loads(line)["remove"] for line in commit if '"remove"' in line]
    assert all(remove["dataChange"] for remove in removes)
    touched = set()
    for add in pa.table(deltalake.DeltaTable(str(table), version=previous_version).get_add_actions()).to_pylist():
        held = pa.parquet.read_table(table / urllib.parse.unquote(add["path"])).to_pylist()
        for row in held:
            row["region"] = add["partition"]["region"]
        if any(selects(row) for row in held):
            touched.add(add["path"])
    assert {remove["path"] for remove in removes} == touched


def test_replace_where_refuses_rows_outside_the_predicate(tmp_path, driftgov):
    table = tmp_path / "t"
    source = tmp_path / "base.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(replace_rows(0, 40), REPLACE_SCHEMA), source)
    run_driftgov("table", "write", source, table, "--file-rows", "2")
    before = deltalake_rows(table, REPLACE_COLUMNS)
    files_before = sorted(table.rglob("*.parquet"))
    # Row 5 of the new data has a null score: `score >= 10` is not true for it.
    new_rows = replace_rows(100, 6)
    for row in new_rows:
        row["score"] = 15.0
    new_rows[4]["score"] = None
    bad = tmp_path / "bad.parquet"
    # Row groups of two rows: the first ones are written to data files before row 5 is refused.
    pa.parquet.write_table(pa.Table.from_pylist(new_rows, REPLACE_SCHEMA), bad, row_group_size=2)
    refused = run_driftgov("table", "write", bad, table, "--mode", "overwrite", "--replace-where",
                           "score >= 10 AND score < 20", check=False)
    assert refused.returncode == 2
    assert "Data written out does not match replaceWhere 'score >= 10 AND score < 20': row 5" in refused.stderr
    assert deltalake.DeltaTable(str(table)).version() == 0
    assert deltalake_rows(table, REPLACE_COLUMNS) == before
    assert sorted(table.rglob("*.parquet")) == files_before  # the files written before the refusal are gone


@pytest.mark.parametrize("predicate,expected", [
    ("score >= ", "position 10: expected a value"),
    ("score > 1 OR id = 2", "position 11: expected AND or the end of the predicate, found 'OR'"),
    ("nope = 1", "column 'nope'"),
])
def test_replace_where_errors_name_the_problem(tmp_path, driftgov, predicate, expected):
    table = tmp_path / "t"
    source = tmp_path / "base.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(replace_rows(0, 8), REPLACE_SCHEMA), source)
    run_driftgov("table", "write", source, table)
    refused = run_driftgov("table", "write", source, table, "--mode", "overwrite", "--replace-where", predicate,
                           check=False)
    assert refused.returncode == 2 and expected in refused.stderr
    assert deltalake.DeltaTable(str(table)).version() == 0


@pytest.mark.interop
def test_replace_where_read_by_spark(tmp_path, driftgov):
    from delta_oracles import spark_rows

    table = tmp_path / "t"
    source = tmp_path / "base.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(replace_rows(0, 60), REPLACE_SCHEMA), source)
    run_driftgov("table", "write", source, table, "--partition-by", "region", "--file-rows", "5")
    previous = deltalake.DeltaTable(str(table)).to_pyarrow_table().to_pylist()
    selects = REPLACE_CASES[0][1]
    new_rows = [row for row in replace_rows(1000, 100) if selects(row)]
    pa.parquet.write_table(pa.Table.from_pylist(new_rows, REPLACE_SCHEMA), tmp_path / "new.parquet")
    run_driftgov("table", "write", tmp_path / "new.parquet", table, "--mode", "overwrite", "--replace-where",
                 REPLACE_CASES[0][0])
    expected = bag([row for row in previous if not selects(row)] + new_rows, REPLACE_COLUMNS)
    assert spark_rows(table, REPLACE_COLUMNS) == expected


@pytest.mark.interop
@pytest.mark.parametrize("racer_partition, conflicts", [("p0", True), ("p1", False)])
def test_replace_where_on_data_columns_conflicts_by_the_files_it_may_touch(tmp_path, driftgov, racer_partition,
                                                                           conflicts):
    """A slow overwrite of `id >= 100 AND part = 'p0'` counts every p0 file as read: a concurrent overwrite of p0
    conflicts, one of p1 does not (its partition value rules the predicate out)."""
    from test_delta_concurrency import COLUMNS, SLOW_ROWS, driftgov_write, seeded_table, slow_rows_and_others
    from test_delta_concurrency import start_slow_write, write_batch

    table, seed = seeded_table(tmp_path)
    slow = start_slow_write(tmp_path, table, "--mode", "overwrite", "--replace-where", "id >= 100 AND part = 'p0'")
    winner_rows = [{"id": 40_000_000, "writer": 2, "part": racer_partition}]
    winner = driftgov_write(write_batch(tmp_path / "w.csv", winner_rows), table, "--mode", "overwrite",
                            "--replace-where", f"part={racer_partition}")
    assert winner.returncode == 0, winner.stderr
    survivors = [row for row in seed if row["part"] != racer_partition]
    if conflicts:
        assert slow.wait(timeout=300) != 0
        assert "ConcurrentAppendException" in slow.stderr.read()
        assert slow_rows_and_others(table) == (0, bag(winner_rows + survivors, COLUMNS))
    else:
        assert slow.wait(timeout=300) == 0, slow.stderr.read()
        # The seed's ids are all below 100: the slow overwrite removes none of its rows.
        assert slow_rows_and_others(table) == (SLOW_ROWS, bag(winner_rows + survivors, COLUMNS))


@pytest.mark.parametrize("mode", ["name", "id"])
def test_replace_where_on_a_column_mapped_table(tmp_path, driftgov, mode):
    from delta_oracles import deltalake_query_rows

    table = tmp_path / "t"
    source = tmp_path / "base.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(replace_rows(0, 60), REPLACE_SCHEMA), source, row_group_size=5)
    run_driftgov("table", "write", source, table, "--partition-by", "region", "--file-rows", "5", "--property",
                 f"delta.columnMapping.mode={mode}")
    previous = deltalake_query_rows(table, REPLACE_COLUMNS)
    predicate, selects = REPLACE_CASES[1]  # region = 'EU' AND day < DATE '2024-01-10'
    new_rows = [row for row in replace_rows(1000, 100) if selects(row)]
    pa.parquet.write_table(pa.Table.from_pylist(new_rows, REPLACE_SCHEMA), tmp_path / "new.parquet")
    run_driftgov("table", "write", tmp_path / "new.parquet", table, "--mode", "overwrite", "--replace-where",
                 predicate)
    previous_rows = [dict(zip(REPLACE_COLUMNS, row)) for row in previous]
    for row in previous_rows:  # bag() gives dates as ISO text; the predicate compares dates
        row["day"] = datetime.date.fromisoformat(row["day"])
    expected = bag([row for row in previous_rows if not selects(row)] + new_rows, REPLACE_COLUMNS)
    assert deltalake_query_rows(table, REPLACE_COLUMNS) == expected
    assert driftgov_rows(table, REPLACE_COLUMNS) == expected


@pytest.mark.parametrize("golden", ["dv-partitioned-with-checkpoint", "dv-with-columnmapping"])
def test_replace_where_rewrites_files_with_deletion_vectors(tmp_path, driftgov, golden):
    """Rows a deletion vector deleted stay deleted: a rewritten file holds only the live rows the predicate leaves."""
    import shutil

    from conftest import conformance_path
    from delta_oracles import deltalake_query_rows

    source = conformance_path("delta-golden", golden)
    table = tmp_path / golden
    shutil.copytree(source, table)
    columns = ["part", "col1", "col2"]
    previous = [dict(zip(columns, row)) for row in deltalake_query_rows(table, columns)]

    def selects(row):  # col1 >= 40 AND part IN (1, 6, 8): parts 6 and 8 are files with deletion vectors
        return _all_true(_sql(int.__ge__, row["col1"], 40)) and row["part"] in (1, 6, 8)

    assert any(selects(row) for row in previous) and not all(selects(row) for row in previous)
    new_rows = [{"part": 1, "col1": 500 + i, "col2": f"new{i}"} for i in range(3)]
    data = tmp_path / "new.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(new_rows, pa.schema([("part", pa.int32()), ("col1", pa.int32()),
                                                                      ("col2", pa.string())])), data)
    version = deltalake.DeltaTable(str(table)).version()
    run_driftgov("table", "write", data, table, "--mode", "overwrite", "--replace-where",
                 "col1 >= 40 AND part IN (1, 6, 8)")
    commit = (table / "_delta_log" / f"{version + 1:020d}.json").read_text().splitlines()
    removes = [json.loads(line)["remove"] for line in commit if '"remove"' in line]
    # The rewritten files with deletion vectors are removed with their vectors (the logical file is path + DV).
    assert sum(1 for remove in removes if remove.get("deletionVector")) == 2
    expected = bag([row for row in previous if not selects(row)] + new_rows, columns)
    assert deltalake_query_rows(table, columns) == expected
    assert driftgov_rows(table, columns) == expected


def test_convert_takes_the_delta_write_options(tmp_path, driftgov):
    table = tmp_path / "t"
    base = tmp_path / "base.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(replace_rows(0, 40), REPLACE_SCHEMA), base)
    run_driftgov("convert", base, table, "--partition-by", "region", "--file-rows", "5",
                 "--property", "delta.checkpointInterval=3")
    delta_table = deltalake.DeltaTable(str(table))
    assert delta_table.metadata().partition_columns == ["region"]
    assert delta_table.metadata().configuration["delta.checkpointInterval"] == "3"
    assert len(delta_table.file_uris()) == 8  # 4 regions of 10 rows, 5 rows per file

    predicate = "score >= 10 AND score < 20"
    selects = dict(REPLACE_CASES)[predicate]
    new_rows = [row for row in replace_rows(1000, 100) if selects(row)]
    source = tmp_path / "new.parquet"
    pa.parquet.write_table(pa.Table.from_pylist(new_rows, REPLACE_SCHEMA), source)
    for _ in range(2):  # the retried run is recognised by its txn and writes nothing
        run_driftgov("convert", source, table, "--mode", "overwrite", "--replace-where", predicate,
                     "--app-id", "nightly", "--app-version", "3")
    previous = _as_python(deltalake.DeltaTable(str(table), version=0).to_pyarrow_table().to_pylist())
    expected = bag([row for row in previous if not selects(row)] + new_rows, REPLACE_COLUMNS)
    assert deltalake_rows(table, REPLACE_COLUMNS) == expected
    assert deltalake.DeltaTable(str(table)).version() == 1

    refused = run_driftgov("convert", base, tmp_path / "out.parquet", "--replace-where", "id = 1", check=False)
    assert refused.returncode == 2
    assert "apply to Delta tables" in refused.stderr and "out.parquet" in refused.stderr


def _log_actions(table, kind):
    """Every `kind` action of the table's JSON commits, oldest first (read straight from the log)."""
    actions = []
    for commit in sorted((table / "_delta_log").glob("*.json")):
        actions += [json.loads(line)[kind] for line in commit.read_text().splitlines() if f'"{kind}"' in line]
    return actions


def _protocol(table):
    protocol = _log_actions(table, "protocol")[-1]
    return (protocol["minReaderVersion"], protocol["minWriterVersion"], sorted(protocol.get("readerFeatures", [])),
            sorted(protocol.get("writerFeatures", [])))


@pytest.mark.parametrize("properties,expected", [
    (["delta.minReaderVersion=2", "delta.minWriterVersion=5"], (2, 5, [], [])),
    (["delta.enableDeletionVectors=true"], (3, 7, ["deletionVectors"], ["appendOnly", "deletionVectors", "invariants"])),
    (["delta.feature.domainMetadata=supported"], (1, 7, [], ["appendOnly", "domainMetadata", "invariants"])),
    (["delta.minReaderVersion=3", "delta.minWriterVersion=7", "delta.feature.timestampNtz=supported"],
     (3, 7, ["timestampNtz"], ["appendOnly", "invariants", "timestampNtz"])),
])
def test_protocol_properties_of_a_new_table_become_its_protocol(tmp_path, driftgov, properties, expected):
    table = tmp_path / "t"
    data = write_csv(tmp_path / "a.csv", "id,name", [(1, "a"), (2, "b")])
    args = [part for item in properties for part in ("--property", item)]
    run_driftgov("table", "write", data, table, *args)
    assert _protocol(table) == expected
    configuration = _log_actions(table, "metaData")[-1]["configuration"]
    # Like Spark, the protocol requests are not kept as properties; other properties are.
    assert not any(key.startswith("delta.feature.") or key.startswith("delta.min") for key in configuration)
    assert ("delta.enableDeletionVectors" in configuration) == ("delta.enableDeletionVectors=true" in properties)
    run_driftgov("table", "write", data, table, "--mode", "append")
    expected_rows = [(1, "a"), (1, "a"), (2, "b"), (2, "b")]
    assert driftgov_rows(table, ["id", "name"]) == expected_rows
    if "deletionVectors" not in expected[2]:  # this deltalake release refuses that reader feature
        assert rows_of(table, ["id", "name"]) == expected_rows
    assert _protocol(table) == expected


@pytest.mark.parametrize("prop,message", [
    ("delta.minReaderVersion=9", "delta.minReaderVersion: expected a whole number from 1 to 3, got '9'"),
    ("delta.minReaderVersion=3", "delta.minReaderVersion=3 (table features) needs delta.minWriterVersion=7"),
    ("delta.feature.rowTracking=supported", "cannot write tables with the Delta feature 'rowTracking'"),
    ("delta.feature.columnMapping=maybe", "delta.feature.columnMapping: expected 'supported', got 'maybe'"),
    ("delta.enableChangeDataFeed=true", "delta.enableChangeDataFeed=true: driftgov does not write change data feed"),
    ("delta.checkpointPolicy=v2", "delta.checkpointPolicy=v2: driftgov writes classic checkpoints only"),
])
def test_protocol_properties_that_cannot_be_honoured_are_refused(tmp_path, driftgov, prop, message):
    table = tmp_path / "t"
    data = write_csv(tmp_path / "a.csv", "id", [(1,)])
    refused = run_driftgov("table", "write", data, table, "--property", prop, check=False)
    assert refused.returncode != 0 and message in refused.stderr
    assert not (table / "_delta_log").exists() or not any((table / "_delta_log").glob("*.json"))


@pytest.mark.interop
def test_deletion_vectors_enabled_by_driftgov_are_used_by_spark_and_read_back(tmp_path, driftgov):
    from delta_oracles import spark_session

    table = tmp_path / "t"
    data = write_csv(tmp_path / "a.csv", "id,name", [(i, f"n{i}") for i in range(20)])
    run_driftgov("table", "write", data, table, "--property", "delta.enableDeletionVectors=true")
    spark = spark_session()
    spark.sql(f"DELETE FROM delta.`{table}` WHERE id % 3 = 0")
    commit = (table / "_delta_log" / f"{1:020d}.json").read_text()
    assert '"deletionVector"' in commit  # Spark wrote a deletion vector rather than rewriting the file
    expected = [(i, f"n{i}") for i in range(20) if i % 3]
    assert sorted(tuple(row) for row in spark.sql(f"SELECT id, name FROM delta.`{table}`").collect()) == expected
    assert driftgov_rows(table, ["id", "name"]) == expected
    run_driftgov("table", "write", write_csv(tmp_path / "b.csv", "id,name", [(100, "x")]), table, "--mode", "append")
    assert sorted(tuple(row) for row in spark.sql(f"SELECT id, name FROM delta.`{table}`").collect()) == \
        expected + [(100, "x")]
