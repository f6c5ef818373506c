"""delta::Scan, the one reader of Delta data files, driven through tests/tools/delta_scan_probe: projection,
file skipping by a predicate (the files read are counted), deletion vectors, partition values and column mapping,
each compared with deltalake or with the Parquet files as pyarrow reads them. Also the library boundary: monitor/
reads Delta tables only through delta's public headers."""
import json
import re
import subprocess
from urllib.parse import unquote

import deltalake
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, conformance_path, tool_binary
from delta_oracles import bag


def scan(table, columns="-", predicate="-", check=True):
    result = subprocess.run([str(tool_binary("delta_scan_probe")), str(table), columns, predicate],
                            capture_output=True, text=True, timeout=120)
    if not check:
        return result
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def scanned_rows(answer, columns):
    return bag([dict(zip(answer["columns"], row)) for row in answer["rows"]], columns)


def deltalake_rows(table, columns):
    """deltalake's DataFusion reader, which applies deletion vectors and column mapping."""
    delta_table = deltalake.DeltaTable(str(table))
    result = deltalake.QueryBuilder().register("t", delta_table).execute("SELECT * FROM t").read_all()
    return bag(pa.table(result).to_pylist(), columns)


def golden(name):
    return conformance_path("delta-golden", name)


def private_delta_includes(folder):
    """(file, include) pairs of files under `folder` that include one of delta's private headers (src/delta/*.hpp),
    however the path is spelled."""
    private = {path.resolve() for path in (ROOT / "src" / "delta").glob("*.hpp")}
    found = []
    for source in sorted(folder.rglob("*")):
        if source.suffix not in {".cpp", ".hpp", ".h", ".cc"}:
            continue
        for included in re.findall(r'^\s*#\s*include\s*[<"]([^">]+)[">]', source.read_text(), re.MULTILINE):
            candidates = [ROOT / "src" / included, source.parent / included, ROOT / "include" / included]
            if any(candidate.resolve() in private for candidate in candidates) or \
                    re.search(r'(^|/)delta/[^/]+\.hpp$', included) and not included.startswith("driftgov/"):
                found.append((source.relative_to(folder).as_posix(), included))
    return found


def test_monitor_uses_only_public_delta_headers():
    assert (ROOT / "src" / "monitor").is_dir()
    assert private_delta_includes(ROOT / "src" / "monitor") == []
    assert private_delta_includes(ROOT / "include" / "driftgov" / "monitor") == []


def test_boundary_check_finds_a_private_include(tmp_path):
    # The check above must be able to fail: a file including a private delta header is reported.
    (tmp_path / "reader.cpp").write_text('#include "driftgov/delta/scan.hpp"\n#include "delta/row_selection.hpp"\n')
    assert private_delta_includes(tmp_path) == [("reader.cpp", "delta/row_selection.hpp")]


@pytest.fixture()
def ranged_table(tmp_path):
    """Four appends by deltalake, one file each: ids 0-99 in part a, 100-199 in b, 200-299 in a, 300-399 in b."""
    path = tmp_path / "ranged"
    for block in range(4):
        ids = list(range(block * 100, block * 100 + 100))
        data = pa.table({"id": pa.array(ids, pa.int64()), "value": [i * 0.5 for i in ids],
                         "part": ["a" if block % 2 == 0 else "b"] * 100})
        deltalake.write_deltalake(str(path), data, partition_by=["part"], mode="append")
    return path


def file_rows(table):
    """Every live file's rows as pyarrow reads the Parquet file, with its partition value from deltalake's log."""
    actions = pa.table(deltalake.DeltaTable(str(table)).get_add_actions(flatten=True)).to_pylist()
    rows = {}
    for action in actions:
        read = pq.read_table(table / unquote(action["path"])).to_pylist()
        rows[action["path"]] = [dict(row, part=action["partition.part"]) for row in read]
    return rows


def test_projection_keeps_the_requested_order(ranged_table):
    answer = scan(ranged_table, "value,id")
    assert answer["columns"] == ["value", "id"]
    assert scanned_rows(answer, ["value", "id"]) == deltalake_rows(ranged_table, ["value", "id"])
    whole = scan(ranged_table)
    assert whole["columns"] == ["id", "value", "part"]
    assert scanned_rows(whole, ["id", "value", "part"]) == deltalake_rows(ranged_table, ["id", "value", "part"])
    assert whole["files_opened"] == len(whole["files"]) == 4


def test_unknown_column_is_refused_with_the_columns_there_are(ranged_table):
    result = scan(ranged_table, "id,nope", check=False)
    assert result.returncode == 2
    assert "column 'nope' not found" in result.stderr and "id, value, part" in result.stderr


@pytest.mark.parametrize("predicate, holds", [
    ("id >= 150 AND id < 180", lambda row: 150 <= row["id"] < 180),
    ("id > 250", lambda row: row["id"] > 250),
    ("part IN ('b')", lambda row: row["part"] == "b"),
    ("part != 'a' AND id <= 120", lambda row: row["part"] != "a" and row["id"] <= 120),
    ("id = 1000", lambda row: row["id"] == 1000),
])
def test_predicate_skips_exactly_the_files_without_a_matching_row(ranged_table, predicate, holds):
    files = file_rows(ranged_table)
    # deltalake writes exact min/max stats, so a file is read exactly when one of its rows satisfies the predicate.
    expected = sorted(path for path, rows in files.items() if any(holds(row) for row in rows))
    answer = scan(ranged_table, "-", predicate)
    assert sorted(answer["files"]) == expected
    assert answer["files_opened"] == len(expected)
    assert len(expected) < len(files)
    # Rows are not filtered: every row of every file read comes back, matching or not.
    columns = ["id", "value", "part"]
    assert scanned_rows(answer, columns) == bag([row for path in expected for row in files[path]], columns)


def test_deletion_vectors_are_applied():
    table = golden("dv-partitioned-with-checkpoint")
    columns = ["part", "col1", "col2"]
    answer = scan(table)
    assert scanned_rows(answer, columns) == deltalake_rows(table, columns)
    in_files = sum(pq.ParquetFile(table / unquote(path)).metadata.num_rows for path in answer["files"])
    assert len(answer["rows"]) < in_files  # the table's deletion vectors really delete rows
    # A predicate on the partition column reads only that partition's files, deletion vectors still applied.
    part_zero = scan(table, "col2,col1,part", "part = 0")
    assert 0 < part_zero["files_opened"] < answer["files_opened"]
    expected = [row for row in deltalake_rows(table, columns) if row[0] == 0]
    assert scanned_rows(part_zero, columns) == expected


@pytest.mark.parametrize("name", ["table-with-columnmapping-mode-name", "table-with-columnmapping-mode-id",
                                  "dv-with-columnmapping"])
def test_column_mapping_gives_logical_names(name):
    table = golden(name)
    answer = scan(table)
    physical = {field for path in answer["files"] for field in pq.read_schema(table / unquote(path)).names}
    assert not physical & set(answer["columns"]), "the data files must use physical names"
    columns = [column for column in answer["columns"] if column in {
        "ByteType", "ShortType", "IntegerType", "LongType", "DoubleType", "BooleanType", "StringType", "DateType",
        "nested_struct", "array_of_prims", "part", "col1", "col2"}]
    assert len(columns) >= 3
    assert scanned_rows(answer, columns) == deltalake_rows(table, columns)
    projected = scan(table, ",".join(reversed(columns)))
    assert projected["columns"] == list(reversed(columns))
    assert scanned_rows(projected, columns) == deltalake_rows(table, columns)


def test_partition_values_are_filled_in():
    table = golden("data-reader-partition-values")
    columns = ["as_int", "as_long", "as_boolean", "as_double", "as_string", "as_string_lit_null", "as_date", "value"]
    answer = scan(table, ",".join(columns))
    in_file = {field for path in answer["files"] for field in pq.read_schema(table / unquote(path)).names}
    assert "as_int" not in in_file and "as_date" not in in_file  # partition values live only in the log
    assert scanned_rows(answer, columns) == deltalake_rows(table, columns)
