"""replaceWhere on a nested field, as the monitoring pipeline refreshes its windows: a table whose `window` column is
a struct<start: timestamp, end: timestamp>, rewritten for some windows with `granularity = '1 day' AND window.start
IN (...)`. The rows are compared with deltalake and DuckDB (over the Parquet files deltalake lists), the nested
stats in the log with pyarrow's min/max of each file, the files removed with the files really holding a matching
row; and, marked interop, Spark reads the result, and Spark's own replaceWhere on the same predicate writes stats
that driftgov's scan skips by."""
import datetime
import json
import subprocess
import urllib.parse

import deltalake
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import run_driftgov, tool_binary
from delta_oracles import bag, deltalake_rows, duckdb_rows

UTC = datetime.timezone.utc
JAN1 = datetime.datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = pa.struct([("start", pa.timestamp("us", tz="UTC")), ("end", pa.timestamp("us", tz="UTC"))])
SCHEMA = pa.schema([("granularity", pa.string()), ("window", WINDOW), ("slice", pa.string()),
                    ("metric", pa.float64())])
COLUMNS = ["granularity", "window", "slice", "metric"]
REFRESHED = [JAN1 + datetime.timedelta(days=4), JAN1 + datetime.timedelta(days=5)]  # 2026-01-05 and 2026-01-06
PREDICATE = ("granularity = '1 day' AND window.start IN (TIMESTAMP '2026-01-05 00:00:00', "
             "TIMESTAMP '2026-01-06 00:00:00')")


def utc(moment):
    """Spark writes timestamps as INT96, which pyarrow reads without a zone: UTC, as the session's."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def selects(row):
    """The predicate in Python: SQL's IN is not true for a null window."""
    window = row["window"]
    return row["granularity"] == "1 day" and window is not None and utc(window["start"]) in REFRESHED


def window(day, length=1):
    start = JAN1 + datetime.timedelta(days=day)
    return {"start": start, "end": start + datetime.timedelta(days=length)}


def base_rows():
    """Eight days of daily windows for two slices, weekly windows starting on days 0 and 7 (their start is never a
    refreshed day, but their granularity is what tells them apart from the daily windows of days 4 and 5 in the
    second test), and rows without a window, in day order so that files hold a few days each."""
    rows = []
    for day in range(8):
        for slice_name in ("a", "b"):
            rows.append({"granularity": "1 day", "window": window(day), "slice": slice_name,
                         "metric": day * 10 + (slice_name == "b")})
        if day in (0, 7):
            rows.append({"granularity": "1 week", "window": window(day, 7), "slice": "a", "metric": 100.0 + day})
        if day == 6:
            rows.append({"granularity": "1 day", "window": None, "slice": "a", "metric": -1.0})
    return rows


def refreshed_rows():
    return [{"granularity": "1 day", "window": window(day), "slice": slice_name, "metric": 1000.0 + day}
            for day in (4, 5) for slice_name in ("a", "b")]


def write_parquet(path, rows):
    pq.write_table(pa.Table.from_pylist(rows, SCHEMA), path, row_group_size=3)
    return path


def add_actions(table, version=None):
    return pa.table(deltalake.DeltaTable(str(table), version=version).get_add_actions(flatten=True)).to_pylist()


def file_rows(table, path):
    return pq.read_table(table / urllib.parse.unquote(path)).to_pylist()


def window_starts(table, path):
    """The window starts of one data file, a null window making a null start (StructArray.flatten merges the
    struct's validity into its fields)."""
    windows = pq.read_table(table / urllib.parse.unquote(path)).column("window").combine_chunks()
    return windows.flatten()[0]


@pytest.fixture
def refreshed_table(tmp_path, driftgov):
    table = tmp_path / "metrics"
    run_driftgov("table", "write", write_parquet(tmp_path / "base.parquet", base_rows()), table, "--file-rows", "4")
    previous = deltalake.DeltaTable(str(table)).to_pyarrow_table().to_pylist()
    run_driftgov("table", "write", write_parquet(tmp_path / "new.parquet", refreshed_rows()), table, "--mode",
                 "overwrite", "--replace-where", PREDICATE)
    return table, previous


def test_replace_where_on_window_start_matches_deltalake_and_duckdb(refreshed_table):
    table, previous = refreshed_table
    assert any(selects(row) for row in previous) and not all(selects(row) for row in previous)
    expected = bag([row for row in previous if not selects(row)] + refreshed_rows(), COLUMNS)
    assert len(expected) == len(base_rows())  # four daily rows of days 4 and 5 replaced by four
    assert deltalake_rows(table, COLUMNS) == expected
    assert duckdb_rows(table, COLUMNS) == expected
    history = max(deltalake.DeltaTable(str(table)).history(), key=lambda entry: entry["version"])
    assert history["operationParameters"]["mode"] == "Overwrite"
    assert "window.start IN (TIMESTAMP '2026-01-05 00:00:00'" in history["operationParameters"]["predicate"]


def test_replace_where_removes_exactly_the_files_holding_a_matching_row(refreshed_table):
    table, _ = refreshed_table
    version = deltalake.DeltaTable(str(table)).version()
    touched = {add["path"] for add in add_actions(table, version - 1)
               if any(selects(row) for row in file_rows(table, add["path"]))}
    assert 0 < len(touched) < len(add_actions(table, version - 1))
    commit = (table / "_delta_log" / f"{version:020d}.json").read_text().splitlines()
    removed = {json.loads(line)["remove"]["path"] for line in commit if '"remove"' in line}
    assert removed == touched


def test_nested_stats_equal_pyarrow_min_max_of_each_file(refreshed_table):
    table, _ = refreshed_table
    actions = add_actions(table)
    assert actions
    for action in actions:
        starts = window_starts(table, action["path"])
        ends = pq.read_table(table / urllib.parse.unquote(action["path"])).column("window").combine_chunks()
        ends = ends.flatten()[1]
        assert action["num_records"] == len(starts)
        assert action["null_count.window.start"] == starts.null_count
        assert action["null_count.window.end"] == ends.null_count
        if starts.null_count == len(starts):
            continue
        assert action["min.window.start"] == pc.min(starts).as_py(), action["path"]
        assert action["max.window.start"] == pc.max(starts).as_py(), action["path"]
        assert action["max.window.end"] == pc.max(ends).as_py(), action["path"]


def scan_probe(table, predicate):
    result = subprocess.run([str(tool_binary("delta_scan_probe")), str(table), "-", predicate],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def files_stats_cannot_rule_out(table, first, last, granularity=None):
    """The files whose contents, as pyarrow reads them, leave some window.start in [first, last] (and granularity
    equal to `granularity`) possible by min and max alone: what exact stats allow a reader to keep at least."""
    kept = []
    for add in add_actions(table):
        data = pq.read_table(table / urllib.parse.unquote(add["path"]))
        starts = [utc(start) for start in data.column("window").combine_chunks().flatten()[0].to_pylist()
                  if start is not None]
        if not starts or max(starts) < first or min(starts) > last:
            continue
        if granularity is not None:
            names = [name for name in data.column("granularity").to_pylist() if name is not None]
            if not names or max(names) < granularity or min(names) > granularity:
                continue
        kept.append(urllib.parse.unquote(add["path"]))
    return sorted(kept)


def scanned_files(answer):
    return sorted(urllib.parse.unquote(path) for path in answer["files"])


def test_scan_skips_files_by_the_nested_stats(refreshed_table):
    table, _ = refreshed_table
    answer = scan_probe(table, "window.start IN (TIMESTAMP '2026-01-02 00:00:00', TIMESTAMP '2026-01-03 00:00:00')")
    expected = files_stats_cannot_rule_out(table, JAN1 + datetime.timedelta(days=1), JAN1 + datetime.timedelta(days=2))
    assert scanned_files(answer) == expected
    assert 0 < len(expected) < len(add_actions(table))


@pytest.mark.parametrize("predicate,expected", [
    ("window.begin = TIMESTAMP '2026-01-05 00:00:00'", "the struct 'window' has no field 'begin' (fields: start, end)"),
    ("slice.x = 1", "'slice' is not a struct (it is string), so it has no field 'x'"),
    ("window = 1", "a predicate on the struct<start: timestamp, end: timestamp> column 'window'"),
])
def test_nested_predicate_errors_name_the_path(tmp_path, driftgov, predicate, expected):
    table = tmp_path / "metrics"
    source = write_parquet(tmp_path / "base.parquet", base_rows())
    run_driftgov("table", "write", source, table)
    refused = run_driftgov("table", "write", source, table, "--mode", "overwrite", "--replace-where", predicate,
                           check=False)
    assert refused.returncode != 0 and expected in refused.stderr, refused.stderr
    assert deltalake.DeltaTable(str(table)).version() == 0


def test_rows_outside_the_nested_predicate_are_refused(tmp_path, driftgov):
    table = tmp_path / "metrics"
    run_driftgov("table", "write", write_parquet(tmp_path / "base.parquet", base_rows()), table)
    before = deltalake_rows(table, COLUMNS)
    outside = refreshed_rows()
    outside[2]["window"] = window(6)
    refused = run_driftgov("table", "write", write_parquet(tmp_path / "bad.parquet", outside), table, "--mode",
                           "overwrite", "--replace-where", PREDICATE, check=False)
    assert refused.returncode == 2
    assert f"Data written out does not match replaceWhere '{PREDICATE}': row 3 of the data" in refused.stderr
    assert deltalake.DeltaTable(str(table)).version() == 0
    assert deltalake_rows(table, COLUMNS) == before


@pytest.mark.interop
def test_spark_reads_the_refreshed_table_and_its_replace_where_agrees(refreshed_table, tmp_path):
    """Spark reads driftgov's result; then Spark refreshes the same windows again with its own replaceWhere on
    window.start, and driftgov's scan skips files by the nested stats Spark wrote."""
    from delta_oracles import spark_rows, spark_session

    table, previous = refreshed_table
    expected = bag([row for row in previous if not selects(row)] + refreshed_rows(), COLUMNS)
    assert spark_rows(table, COLUMNS) == expected

    spark = spark_session()
    again = [{**row, "metric": row["metric"] + 1} for row in refreshed_rows()]
    current = deltalake.DeltaTable(str(table)).to_pyarrow_table().to_pylist()
    tuples = [(row["granularity"], (row["window"]["start"], row["window"]["end"]), row["slice"], row["metric"])
              for row in again]
    (spark.createDataFrame(tuples, schema=spark_schema())
     .write.format("delta").mode("overwrite").option("replaceWhere", PREDICATE).save(str(table)))
    expected = bag([row for row in current if not selects(row)] + again, COLUMNS)
    assert spark_rows(table, COLUMNS) == expected
    assert deltalake_rows(table, COLUMNS) == expected
    # The files Spark added carry its nested stats; driftgov skips by them (and by its own) as far as the files'
    # min and max allow.
    answer = scan_probe(table, PREDICATE)
    assert scanned_files(answer) == files_stats_cannot_rule_out(table, REFRESHED[0], REFRESHED[1], "1 day")
    assert len(answer["files"]) < len(add_actions(table))
    scanned = [probe_row(row, answer) for row in answer["rows"]]
    assert bag([row for row in scanned if selects(row)], COLUMNS) == bag(again, COLUMNS)


def probe_row(row, answer):
    """A row of delta_scan_probe as a dict, its window's ISO texts as datetimes."""
    values = dict(zip(answer["columns"], row))
    if values["window"] is not None:
        values["window"] = {key: datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
                            for key, text in values["window"].items()}
    return values


def spark_schema():
    from pyspark.sql import types as T

    timestamp = T.TimestampType()
    return T.StructType([T.StructField("granularity", T.StringType()),
                         T.StructField("window", T.StructType([T.StructField("start", timestamp),
                                                               T.StructField("end", timestamp)])),
                         T.StructField("slice", T.StringType()), T.StructField("metric", T.DoubleType())])
