"""Parquet reading checked against independent readers.

* Every Parquet file of the parquet-testing corpus either reads (through `driftgov cat --format jsonl`) with values
  equal to what pyarrow reads, or is refused with an error saying the feature is not supported. The refused files
  are listed in parquet_refused.txt, a list that may only shrink.
* Files pyarrow itself rejects (corrupt checksums, malformed schemas) must fail cleanly in driftgov too, or read
  equal to DuckDB.
* The *_expect.csv files that come with the corpus are checked value by value.
* Every file in bad_data/ fails cleanly: an error message, exit code 2, no crash, no hang.
* Files written by pyarrow and DuckDB with seeded random data, in every codec, encoding and page version they
  offer, read back equal.
"""
import base64
import csv
import decimal
import json
import math
import random
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import conformance_path, driftgov_binary

DATA_DIR = conformance_path("parquet-testing", "data")
BAD_DATA_DIR = conformance_path("parquet-testing", "bad_data")
REFUSED_LIST = Path(__file__).with_name("parquet_refused.txt")
TIMEOUT_SECONDS = 60


def parquet_files(folder):
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                if handle.read(4) in (b"PAR1", b"PARE"):
                    found.append(path)
    return found


def refused_names():
    lines = REFUSED_LIST.read_text().splitlines()
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


def run_cat(path, *extra):
    return subprocess.run([str(driftgov_binary()), "cat", str(path), "--format", "jsonl", *extra],
                          capture_output=True, timeout=TIMEOUT_SECONDS)


def parse_rows(stdout):
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


# ---- The expected JSON form of each pyarrow value, following the documented `cat` conventions. ----

UNIT_DIGITS = {"s": 0, "ms": 3, "us": 6, "ns": 9}


def timestamp_count(text, unit):
    """An ISO 8601 text (as cat prints it) back to a count of `unit` since the epoch, via numpy."""
    return int(np.datetime64(text.rstrip("Z"), unit).astype(np.int64))


def check_value(arrow_type, expected, actual, where):
    if expected is None:
        assert actual is None, f"{where}: expected null, got {actual!r}"
        return
    assert actual is not None, f"{where}: expected {expected!r}, got null"
    if pa.types.is_dictionary(arrow_type):
        return check_value(arrow_type.value_type, expected, actual, where)
    if pa.types.is_boolean(arrow_type):
        assert actual is bool(expected), f"{where}: {expected!r} vs {actual!r}"
    elif pa.types.is_integer(arrow_type):  # uint64 too: every integer is a JSON number (docs/value-text.md)
        assert actual == expected and not isinstance(actual, bool), f"{where}: {expected!r} vs {actual!r}"
    elif pa.types.is_floating(arrow_type):
        if math.isnan(expected):
            assert actual == "NaN", f"{where}: NaN vs {actual!r}"
        elif math.isinf(expected):
            assert actual == ("Infinity" if expected > 0 else "-Infinity"), f"{where}: {expected} vs {actual!r}"
        elif pa.types.is_float64(arrow_type):
            assert float(actual) == expected, f"{where}: {expected!r} vs {actual!r}"
        else:
            assert np.float32(actual) == np.float32(expected), f"{where}: {expected!r} vs {actual!r}"
    elif pa.types.is_decimal(arrow_type) and arrow_type.scale == 0:  # an integer: a JSON number
        assert isinstance(actual, int) and actual == expected, f"{where}: {expected!r} vs {actual!r}"
    elif pa.types.is_decimal(arrow_type):
        assert decimal.Decimal(actual) == expected, f"{where}: {expected!r} vs {actual!r}"
        assert len(actual.partition(".")[2]) == arrow_type.scale, f"{where}: {actual!r} lacks scale {arrow_type.scale}"
    elif pa.types.is_date(arrow_type):
        assert actual == expected.isoformat(), f"{where}: {expected!r} vs {actual!r}"
    elif pa.types.is_timestamp(arrow_type):
        # `expected` is the raw count (see arrow_values); the zone marker must match the UTC flag.
        assert actual.endswith("Z") == (arrow_type.tz is not None), f"{where}: zone of {actual!r}"
        assert timestamp_count(actual, arrow_type.unit) == expected, f"{where}: {expected} vs {actual!r}"
    elif pa.types.is_time(arrow_type):
        assert actual == expected, f"{where}: {expected!r} vs {actual!r}"
    elif pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        assert actual == expected, f"{where}: {expected!r} vs {actual!r}"
    elif (pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type)
          or pa.types.is_fixed_size_binary(arrow_type)):
        assert base64.b64decode(actual, validate=True) == expected, f"{where}: {expected.hex()} vs {actual!r}"
    elif pa.types.is_struct(arrow_type):
        assert isinstance(actual, dict) and set(actual) == {f.name for f in arrow_type}, f"{where}: {actual!r}"
        for field in arrow_type:
            check_value(field.type, expected[field.name], actual[field.name], f"{where}.{field.name}")
    elif pa.types.is_map(arrow_type):
        assert isinstance(actual, dict), f"{where}: {actual!r}"
        assert len(actual) == len({json.dumps(key) for key, _ in expected}), f"{where}: {expected!r} vs {actual!r}"
        for key, value in expected:
            text = key if isinstance(key, str) else json.dumps(key)
            check_value(arrow_type.item_type, value, actual[text], f"{where}[{text}]")
    elif pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {expected!r} vs {actual!r}"
        for index, (item_expected, item_actual) in enumerate(zip(expected, actual)):
            check_value(arrow_type.value_type, item_expected, item_actual, f"{where}[{index}]")
    elif pa.types.is_null(arrow_type):
        assert actual is None
    else:
        raise AssertionError(f"{where}: no comparison for {arrow_type}")


def plain_values(array):
    """Python values of an array; timestamps and times as raw integer counts (exact at every unit)."""
    arrow_type = array.type
    if pa.types.is_timestamp(arrow_type) or pa.types.is_time(arrow_type):
        return array.cast(pa.int64()).to_pylist()
    if pa.types.is_dictionary(arrow_type):
        return plain_values(array.dictionary_decode())
    if pa.types.is_struct(arrow_type):
        children = {field.name: plain_values(array.field(i)) for i, field in enumerate(arrow_type)}
        valid = array.is_valid().to_pylist()
        return [({name: values[row] for name, values in children.items()} if valid[row] else None)
                for row in range(len(array))]
    if pa.types.is_map(arrow_type):
        keys = plain_values(array.keys)
        items = plain_values(array.items)
        offsets = array.offsets.to_pylist()
        valid = array.is_valid().to_pylist()
        return [list(zip(keys[offsets[row]:offsets[row + 1]], items[offsets[row]:offsets[row + 1]]))
                if valid[row] else None for row in range(len(array))]
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        values = plain_values(array.values)
        offsets = array.offsets.to_pylist()
        valid = array.is_valid().to_pylist()
        return [values[offsets[row]:offsets[row + 1]] if valid[row] else None for row in range(len(array))]
    return array.to_pylist()


def check_table(table, rows, name):
    assert len(rows) == table.num_rows, f"{name}: {len(rows)} rows where pyarrow reads {table.num_rows}"
    for field, column in zip(table.schema, table.columns):
        values = plain_values(column.combine_chunks()) if column.num_chunks else []
        for row, expected in enumerate(values):
            assert field.name in rows[row], f"{name}: row {row} lacks column {field.name}"
            check_value(field.type, expected, rows[row][field.name], f"{name} row {row} column {field.name}")


def pyarrow_table(path):
    # Checksums verified and INT96 read in microseconds, as driftgov does.
    return pq.read_table(path, page_checksum_verification=True, coerce_int96_timestamp_unit="us")


# Files whose values pyarrow cannot give (they overflow its arithmetic) but whose .md in the corpus documents
# them, as written by Spark: column -> microseconds since the epoch.
DOCUMENTED_VALUES = {
    "int96_from_spark.parquet": {
        "a": [1704141296123456, 1704070800000000, 253402225200000000, 1735599600000000, None, 9089380393200000000],
    },
}


CORPUS = parquet_files(DATA_DIR)


@pytest.mark.parametrize("path", CORPUS, ids=[str(p.relative_to(DATA_DIR)) for p in CORPUS])
def test_corpus_file_reads_like_pyarrow_or_is_refused(driftgov, path):
    name = str(path.relative_to(DATA_DIR))
    result = run_cat(path)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode in (0, 2), f"{name}: exit {result.returncode}\n{stderr}"
    if name in refused_names():
        assert result.returncode == 2 and "not supported" in stderr, f"{name} is listed as refused but:\n{stderr}"
        return
    if name in DOCUMENTED_VALUES:
        assert result.returncode == 0, stderr
        rows = parse_rows(result.stdout)
        for column, values in DOCUMENTED_VALUES[name].items():
            assert [None if row[column] is None else timestamp_count(row[column], "us") for row in rows] == values
        return
    try:
        table = pyarrow_table(path)
    except Exception as error:  # pyarrow rejects the file: driftgov must fail cleanly or read it like DuckDB
        if result.returncode == 0:
            check_with_duckdb(path, parse_rows(result.stdout), name, error)
        else:
            assert stderr.startswith("driftgov: error: ") and name.split("/")[-1] in stderr, stderr
        return
    assert result.returncode == 0, f"{name}: pyarrow reads it but driftgov fails:\n{stderr}"
    check_table(table, parse_rows(result.stdout), name)


def check_with_duckdb(path, rows, name, pyarrow_error):
    try:
        table = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetch_arrow_table()
    except Exception as error:
        pytest.fail(f"{name}: pyarrow ({pyarrow_error}) and DuckDB ({error}) reject it but driftgov reads it")
    check_table(table, rows, name)


def test_refused_list_names_existing_files_only():
    names = {str(p.relative_to(DATA_DIR)) for p in CORPUS}
    assert refused_names() <= names, refused_names() - names


def test_projection_reads_only_the_requested_columns(driftgov):
    path = DATA_DIR / "alltypes_plain.parquet"
    result = run_cat(path, "--columns", "string_col,id", "--limit", "3")
    assert result.returncode == 0, result.stderr
    rows = parse_rows(result.stdout)
    table = pyarrow_table(path).select(["string_col", "id"]).slice(0, 3)
    assert [list(row) for row in rows] == [["string_col", "id"]] * 3
    check_table(table, rows, "projection")


EXPECT_FILES = sorted(DATA_DIR.glob("*_expect.csv"))


@pytest.mark.parametrize("expect", EXPECT_FILES, ids=[p.name for p in EXPECT_FILES])
def test_expect_csv_matches(driftgov, expect):
    parquet = expect.with_name(expect.name.replace("_expect.csv", ".parquet"))
    result = run_cat(parquet)
    assert result.returncode == 0, result.stderr
    rows = parse_rows(result.stdout)
    with open(expect, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        expected_rows = list(reader)
    assert len(rows) == len(expected_rows)
    for number, (row, expected) in enumerate(zip(rows, expected_rows)):
        actual_values = list(row.values())
        assert len(actual_values) == len(header)
        for column, text, actual in zip(header, expected, actual_values):
            where = f"{expect.name} row {number} column {column!r}"
            if text == "":
                assert actual is None or actual == "", f"{where}: expected empty, got {actual!r}"
            elif isinstance(actual, int):
                assert actual == int(text), f"{where}: {text} vs {actual}"
            else:
                assert str(actual) == text, f"{where}: {text} vs {actual!r}"


BAD_FILES = sorted(p for p in BAD_DATA_DIR.iterdir() if p.suffix == ".parquet")


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.name for p in BAD_FILES])
def test_bad_data_fails_cleanly(driftgov, path):
    result = run_cat(path)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, f"{path.name}: exit {result.returncode}\n{stderr}"
    assert stderr.startswith("driftgov: error: ") and path.name in stderr, stderr


# ---- Files written by other implementations from seeded random data. ----

def random_table(seed, rows):
    rng = random.Random(seed)

    def maybe(value):
        return None if rng.random() < 0.15 else value

    strings = ["", "a", "ünïcødé ✓", "x" * 40, "line\nbreak", '"quoted",comma'] + [f"s{i}" for i in range(20)]
    doubles = [0.0, -0.0, 1.5, -2.25e300, 5e-324, math.nan, math.inf, -math.inf]
    return pa.table({
        "i64": pa.array([maybe(rng.choice([rng.randint(-2**63, 2**63 - 1), rng.randint(-5, 5)]))
                         for _ in range(rows)], pa.int64()),
        "i32": pa.array([rng.randint(-2**31, 2**31 - 1) for _ in range(rows)], pa.int32()),
        "i16": pa.array([maybe(rng.randint(-2**15, 2**15 - 1)) for _ in range(rows)], pa.int16()),
        "u32": pa.array([maybe(rng.randint(0, 2**32 - 1)) for _ in range(rows)], pa.uint32()),
        "u64": pa.array([maybe(rng.randint(0, 2**64 - 1)) for _ in range(rows)], pa.uint64()),
        "f64": pa.array([maybe(rng.choice(doubles + [rng.gauss(0, 1e6)])) for _ in range(rows)], pa.float64()),
        "f32": pa.array([maybe(rng.uniform(-1e6, 1e6)) for _ in range(rows)], pa.float32()),
        "flag": pa.array([maybe(rng.random() < 0.5) for _ in range(rows)], pa.bool_()),
        "text": pa.array([maybe(rng.choice(strings)) for _ in range(rows)], pa.string()),
        "blob": pa.array([maybe(rng.randbytes(rng.randint(0, 8))) for _ in range(rows)], pa.binary()),
        "day": pa.array([maybe(rng.randint(-719162, 2932896)) for _ in range(rows)], pa.int32()).cast(pa.date32()),
        "ts_us_utc": pa.array([maybe(rng.randint(-2**52, 2**52)) for _ in range(rows)], pa.timestamp("us", "UTC")),
        "ts_ms": pa.array([maybe(rng.randint(-2**45, 2**45)) for _ in range(rows)], pa.timestamp("ms")),
        "ts_ns": pa.array([maybe(rng.randint(-2**62, 2**62)) for _ in range(rows)], pa.timestamp("ns", "UTC")),
        "dec9": pa.array([maybe(decimal.Decimal(rng.randint(-10**9 + 1, 10**9 - 1)).scaleb(-2)) for _ in range(rows)],
                         pa.decimal128(9, 2)),
        "dec38": pa.array([maybe(decimal.Decimal(rng.randint(-10**38 + 1, 10**38 - 1)).scaleb(-10))
                           for _ in range(rows)], pa.decimal128(38, 10)),
        "tags": pa.array([maybe([maybe(rng.choice(strings)) for _ in range(rng.randint(0, 4))]) for _ in range(rows)],
                         pa.list_(pa.string())),
        "point": pa.array([maybe({"x": maybe(rng.randint(-9, 9)), "y": [rng.random() for _ in range(rng.randint(0, 2))]})
                           for _ in range(rows)], pa.struct([("x", pa.int64()), ("y", pa.list_(pa.float64()))])),
        "attrs": pa.array([maybe([(f"k{j}", maybe(rng.randint(0, 99))) for j in range(rng.randint(0, 3))])
                           for _ in range(rows)], pa.map_(pa.string(), pa.int32())),
        "nested": pa.array([maybe([maybe([rng.randint(0, 9) for _ in range(rng.randint(0, 3))])
                                   for _ in range(rng.randint(0, 3))]) for _ in range(rows)],
                           pa.list_(pa.list_(pa.int8()))),
    })


PYARROW_VARIANTS = [
    dict(compression="none", use_dictionary=False, data_page_version="1.0"),
    dict(compression="snappy", use_dictionary=True, data_page_version="2.0"),
    dict(compression="gzip", use_dictionary=True, data_page_version="1.0"),
    dict(compression="zstd", use_dictionary=False, data_page_version="2.0"),
    dict(compression="lz4", use_dictionary=True, data_page_version="2.0"),
    dict(compression="brotli", use_dictionary=False, data_page_version="1.0"),
    dict(compression="zstd", use_dictionary=False, data_page_version="2.0",
         column_encoding={"i64": "DELTA_BINARY_PACKED", "i32": "DELTA_BINARY_PACKED", "text": "DELTA_BYTE_ARRAY",
                          "blob": "DELTA_LENGTH_BYTE_ARRAY", "f64": "BYTE_STREAM_SPLIT", "f32": "BYTE_STREAM_SPLIT",
                          "flag": "RLE"}),
    dict(compression="snappy", use_dictionary=True, data_page_version="1.0", data_page_size=512,
         write_page_checksum=True, row_group_size=300),
    dict(compression="none", use_dictionary=False, data_page_version="1.0", version="1.0"),
    dict(compression="zstd", use_dictionary=True, data_page_version="1.0", store_decimal_as_integer=True,
         use_deprecated_int96_timestamps=True, use_compliant_nested_type=False),
    dict(compression="snappy", use_dictionary=False, data_page_version="2.0", coerce_timestamps="ms",
         allow_truncated_timestamps=True, store_decimal_as_integer=True),
]


@pytest.mark.interop
@pytest.mark.parametrize("variant", range(len(PYARROW_VARIANTS)))
def test_files_written_by_pyarrow_read_back_equal(driftgov, tmp_path, variant):
    options = dict(PYARROW_VARIANTS[variant])
    table = random_table(seed=1000 + variant, rows=1000)
    if options.get("version") == "1.0":
        # Format 1.0 has no unsigned 32/64-bit or nanosecond types: pyarrow would change them.
        table = table.drop_columns(["u32", "u64", "ts_ns"])
    path = tmp_path / "written.parquet"
    pq.write_table(table, path, **options)
    result = run_cat(path)
    assert result.returncode == 0, result.stderr
    # INT96 timestamps read in microseconds on both sides.
    expected = pq.read_table(path, coerce_int96_timestamp_unit="us")
    check_table(expected, parse_rows(result.stdout), f"pyarrow variant {variant}")


DUCKDB_VARIANTS = [
    ("uncompressed", "V1"), ("snappy", "V2"), ("zstd", "V1"), ("gzip", "V2"), ("lz4_raw", "V1"), ("brotli", "V2"),
]


@pytest.mark.interop
@pytest.mark.parametrize("codec,page_version", DUCKDB_VARIANTS)
def test_files_written_by_duckdb_read_back_equal(driftgov, tmp_path, codec, page_version):
    table = random_table(seed=hash((codec, page_version)) % 1000, rows=800)
    table = table.drop_columns(["ts_ns"])  # DuckDB stores nanosecond timestamps differently by version
    path = tmp_path / "duckdb.parquet"
    connection = duckdb.connect()
    connection.register("source", table)
    connection.execute(f"COPY source TO '{path}' (FORMAT parquet, COMPRESSION {codec}, "
                       f"PARQUET_VERSION {page_version}, ROW_GROUP_SIZE 256)")
    result = run_cat(path)
    assert result.returncode == 0, result.stderr
    # DuckDB is the oracle for its own files (pyarrow rejects some of its V2 delta-encoded pages).
    expected = connection.sql(f"SELECT * FROM read_parquet('{path}')").fetch_arrow_table()
    check_table(expected, parse_rows(result.stdout), f"duckdb {codec} {page_version}")


def null_pattern_table(seed, rows):
    """Top-level columns whose pages mix long null runs, no nulls, random nulls and only nulls."""
    rng = np.random.default_rng(seed)
    valid = rng.random(rows) < 0.7
    valid[: rows // 8] = False            # a stretch of nulls covering whole pages
    valid[rows // 8: rows // 4] = True    # a stretch without any
    many_strings = np.array([f"value-{i}-" + "x" * (i % 37) for i in range(rows)], dtype=object)
    return pa.table({
        "text": pa.array(many_strings[rng.integers(0, rows, rows)], mask=~valid),
        "label": pa.array(np.array(["a", "bb", "", "ünï", "z" * 30])[rng.integers(0, 5, rows)], mask=~valid[::-1]),
        "i32": pa.array(rng.integers(-2**31, 2**31, rows).astype(np.int32), mask=~valid),
        "i64": pa.array(rng.integers(-2**63, 2**63 - 1, rows, dtype=np.int64)),
        "f32": pa.array(rng.normal(0, 1e3, rows).astype(np.float32), mask=rng.random(rows) < 0.5),
        "f64": pa.array(rng.normal(0, 1, rows), mask=~valid[::-1]),
        "none": pa.array([None] * rows, pa.float64()),
    })


def write_small_pages(table, path, compression, dictionary, page_version, row_group_size):
    """Small pages, several row groups and a dictionary limit that long string columns overflow, so that their
    chunks switch from dictionary to PLAIN pages midway."""
    pq.write_table(table, path, compression=compression, use_dictionary=dictionary, data_page_version=page_version,
                   data_page_size=2048, row_group_size=row_group_size, dictionary_pagesize_limit=4096)


@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False])
def test_null_patterns_and_dictionary_fallback_read_like_pyarrow(driftgov, tmp_path, page_version, dictionary):
    table = null_pattern_table(seed=7, rows=6000)
    path = tmp_path / "nulls.parquet"
    write_small_pages(table, path, "snappy", dictionary, page_version, row_group_size=2500)
    if dictionary:
        encodings = pq.ParquetFile(path).metadata.row_group(0).column(0).encodings
        assert "PLAIN" in encodings and "RLE_DICTIONARY" in encodings, encodings
    result = run_cat(path)
    assert result.returncode == 0, result.stderr
    check_table(pq.read_table(path), parse_rows(result.stdout), f"null patterns, pages {page_version}")


@pytest.mark.interop
def test_folder_of_files_reads_as_one_dataset(driftgov, tmp_path):
    tables = [random_table(seed=seed, rows=50) for seed in (1, 2, 3)]
    for index, table in enumerate(tables):
        pq.write_table(table, tmp_path / f"part-{index}.parquet")
    (tmp_path / "_SUCCESS").write_text("")
    result = run_cat(tmp_path, "--columns", "i64,text")
    assert result.returncode == 0, result.stderr
    combined = pa.concat_tables(tables).select(["i64", "text"])
    check_table(combined, parse_rows(result.stdout), "folder")


def test_compare_on_parquet_equals_compare_on_the_same_data_as_csv(driftgov, tmp_path):
    """The drift verdict must not depend on the file format: the CSV reader is the independent path."""
    from conftest import compare_json
    rng = np.random.default_rng(11)
    for name, shift in (("reference", 0.0), ("current", 0.4)):
        table = pa.table({"amount": rng.normal(shift, 1.0, 3000).round(6),
                          "segment": rng.choice(["retail", "sme", "corporate"], 3000)})
        pq.write_table(table, tmp_path / f"{name}.parquet", compression="zstd")
        table.to_pandas().to_csv(tmp_path / f"{name}.csv", index=False)
    from_parquet = compare_json(tmp_path / "reference.parquet", tmp_path / "current.parquet")
    from_csv = compare_json(tmp_path / "reference.csv", tmp_path / "current.csv")

    def without_paths(value):
        if isinstance(value, dict):
            return {k: without_paths(v) for k, v in value.items() if not (isinstance(v, str) and v.startswith("/"))}
        if isinstance(value, list):
            return [without_paths(v) for v in value]
        return value

    assert without_paths(from_parquet) == without_paths(from_csv)


def nested_null_pattern_table(seed, rows):
    """Struct columns whose null structs and null children vary independently, nested three deep, with required
    fields under optional structs, leaves that need conversion, and a list and a map inside a struct."""
    rng = np.random.default_rng(seed)

    def mask(probability):
        nulls = rng.random(rows) < probability
        nulls[: rows // 10] = probability > 0   # a stretch of nulls covering whole pages
        return nulls

    words = np.array([f"word-{i}-" + "y" * (i % 23) for i in range(rows // 3 + 1)], dtype=object)
    deep = pa.StructArray.from_arrays(
        [pa.array(rng.integers(-2**40, 2**40, rows), mask=mask(0.3)),
         pa.array(words[rng.integers(0, len(words), rows)], mask=mask(0.2))],
        fields=[pa.field("x", pa.int64()), pa.field("w", pa.string())], mask=pa.array(mask(0.25)))
    inner = pa.StructArray.from_arrays(
        [pa.array(np.array(["a", "bb", "", "ünï"])[rng.integers(0, 4, rows)], mask=mask(0.4)),
         pa.array(rng.normal(0, 1, rows)),
         deep],
        fields=[pa.field("s", pa.string()), pa.field("d", pa.float64(), nullable=False), pa.field("deep", deep.type)],
        mask=pa.array(mask(0.15)))
    tags = [None if rng.random() < 0.2 else [f"t{int(v)}" for v in rng.integers(0, 9, rng.integers(0, 4))]
            for _ in range(rows)]
    partition = [None if rng.random() < 0.1 else {f"k{int(v)}": (None if v == 3 else f"v{int(v)}")
                                                  for v in rng.integers(0, 6, rng.integers(0, 3))}
                 for _ in range(rows)]
    outer = pa.StructArray.from_arrays(
        [pa.array(rng.integers(-2**31, 2**31, rows).astype(np.int32), mask=mask(0.5)),
         pa.array(rng.integers(0, 2**62, rows, dtype=np.int64)),
         pa.array(rng.random(rows) < 0.5, mask=mask(0.3)),
         pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**9, 10**9, rows)],
                  pa.decimal128(12, 2), mask=mask(0.2)),
         inner,
         pa.array(tags, pa.list_(pa.string())),
         pa.array(partition, pa.map_(pa.string(), pa.string()))],
        fields=[pa.field("a", pa.int32()), pa.field("b", pa.int64(), nullable=False), pa.field("flag", pa.bool_()),
                pa.field("amount", pa.decimal128(12, 2)), pa.field("inner", inner.type),
                pa.field("tags", pa.list_(pa.string())), pa.field("partition", pa.map_(pa.string(), pa.string()))],
        mask=pa.array(mask(0.2)))
    required = pa.StructArray.from_arrays(
        [pa.array(rng.random(rows).astype(np.float32), mask=mask(0.5)), pa.array(rng.integers(0, 5, rows))],
        fields=[pa.field("f", pa.float32()), pa.field("n", pa.int64(), nullable=False)])
    schema = pa.schema([pa.field("outer", outer.type), pa.field("required", required.type, nullable=False),
                        pa.field("id", pa.int64(), nullable=False)])
    return pa.Table.from_arrays([outer, required, pa.array(np.arange(rows))], schema=schema)


@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False])
def test_nested_struct_null_patterns_read_like_pyarrow(driftgov, tmp_path, page_version, dictionary):
    table = nested_null_pattern_table(seed=11, rows=5000)
    path = tmp_path / "nested.parquet"
    write_small_pages(table, path, "zstd", dictionary, page_version, row_group_size=2000)
    expected = pq.read_table(path)
    # The file keeps the structure: a null struct and a struct of nulls are told apart.
    outer = expected.column("outer").combine_chunks()
    assert 0 < outer.null_count < len(outer)
    assert any(row is not None and row["a"] is None for row in outer.to_pylist())
    result = run_cat(path)
    assert result.returncode == 0, result.stderr
    check_table(expected, parse_rows(result.stdout), f"nested null patterns, pages {page_version}")
    # Reading only some columns must give the same values.
    projected = run_cat(path, "--columns", "outer")
    assert projected.returncode == 0, projected.stderr
    check_table(expected.select(["outer"]), parse_rows(projected.stdout), "nested null patterns, projected")
