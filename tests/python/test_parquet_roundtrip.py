"""Parquet files written by driftgov read back identically by pyarrow, DuckDB and Spark.

Random seeded schemas and values (nulls, empty and unicode strings, NaN and infinities, extreme integers, decimals
of every storage width, dates, timestamps, nested structs, lists and maps, empty and one-row files) are written
through tests/tools/parquet_write_probe with random writer options (codecs, tiny row groups and pages, dictionary
fallback), then read by each engine. The oracle is the generated data itself: every engine's values are reduced to
a canonical form and compared with the values that were handed to the writer.
"""
import base64
import datetime as dt
import decimal
import json
import math
import os
import random
import subprocess
import time

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_driftgov, tool_binary

EPOCH_DATE = dt.date(1970, 1, 1)
EPOCH_NAIVE = dt.datetime(1970, 1, 1)
EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MICROSECOND = dt.timedelta(microseconds=1)
EXACT = decimal.Context(prec=100)  # the default 28 digits would round 38-digit decimals
# Timestamps and dates stay within 1900..2200 so every engine can turn them into Python objects.
MIN_MICROS = -2208988800 * 10**6
MAX_MICROS = 7258118400 * 10**6 - 1

SCALARS = ["boolean", "int8", "int16", "int32", "int64", "float", "double", "string", "binary", "date",
           "timestamp", "decimal", "null"]
STRINGS = ["", "a", "é", "日本語", "emoji 🎉", "with,comma", 'quote"', "line\nbreak", "nul\x00inside", " padded ",
           "NULL", "ÿ", "\u00a0"]
INT_RANGES = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
FLOAT32_SPECIALS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 3.4028234663852886e38, -3.4028234663852886e38,
                    1.401298464324817e-45, 1.0]
DOUBLE_SPECIALS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.7976931348623157e308, -1.7976931348623157e308,
                   5e-324, 0.1]


# ---- random schemas ----

def random_scalar_type(rng, allow_null):
    name = rng.choice(SCALARS if allow_null else SCALARS[:-1])
    if name == "decimal":
        precision = rng.choice([1, 4, 9, 10, 18, 19, 28, 38])
        return {"id": "decimal", "precision": precision, "scale": rng.randint(0, precision)}
    if name == "timestamp":
        return {"id": "timestamp", "unit": rng.choice(["ms", "us", "ns"]), "utc": rng.random() < 0.5}
    return name


def random_type(rng, depth, allow_null):
    if depth < 2 and rng.random() < 0.3:
        kind = rng.choice(["struct", "list", "map"])
        if kind == "struct":
            return {"id": "struct", "fields": [random_field(rng, f"f{i}", depth + 1, allow_null)
                                               for i in range(rng.randint(1, 3))]}
        if kind == "list":
            return {"id": "list", "element": random_field(rng, "element", depth + 1, allow_null)}
        key_type = rng.choice(["string", "int32", "int64", "date"])
        return {"id": "map", "key": {"name": "key", "type": key_type, "nullable": False},
                "value": random_field(rng, "value", depth + 1, allow_null)}
    return random_scalar_type(rng, allow_null)


def random_field(rng, name, depth=0, allow_null=True):
    field = {"name": name, "type": random_type(rng, depth, allow_null), "nullable": rng.random() < 0.7}
    if rng.random() < 0.5:
        field["field_id"] = rng.randint(1, 10000)
    return field


def type_id(type_):
    return type_ if isinstance(type_, str) else type_["id"]


# ---- random values (in the probe's JSON form) ----

def random_value(rng, field):
    type_ = field["type"]
    kind = type_id(type_)
    if kind == "null" or (field.get("nullable", True) and rng.random() < 0.15):
        return None
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in INT_RANGES:
        bits = INT_RANGES[kind]
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        return rng.choice([low, high, 0, -1, rng.randint(low, high), rng.randint(-100, 100)])
    if kind == "float":
        value = rng.choice(FLOAT32_SPECIALS + [None] * 6)
        return encode_float(value if value is not None else float(np.float32(rng.uniform(-1e6, 1e6))))
    if kind == "double":
        value = rng.choice(DOUBLE_SPECIALS + [None] * 6)
        return encode_float(value if value is not None else rng.uniform(-1e12, 1e12))
    if kind == "string":
        if rng.random() < 0.02:
            return "long" * 1500  # longer than the statistics limit
        return rng.choice(STRINGS + ["".join(rng.choice("abcxyz") for _ in range(rng.randint(0, 12)))] * 4)
    if kind == "binary":
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 12))).hex()
    if kind == "date":
        return rng.choice([0, -1, -25567, 84000, rng.randint(-25567, 84000)])
    if kind == "timestamp":
        micros = rng.choice([0, -1, 1, MIN_MICROS, MAX_MICROS, rng.randint(MIN_MICROS, MAX_MICROS)])
        if type_["unit"] == "ms":
            return micros // 1000
        if type_["unit"] == "ns":
            return micros * 1000 + rng.randint(0, 999)
        return micros
    if kind == "decimal":
        limit = 10 ** type_["precision"] - 1
        return str(rng.choice([limit, -limit, 0, 1, -1, rng.randint(-limit, limit)]))
    if kind == "struct":
        return {child["name"]: random_value(rng, child) for child in type_["fields"]}
    if kind == "list":
        return [random_value(rng, type_["element"]) for _ in range(rng.choice([0, 1, 2, 4]))]
    if kind == "map":
        keys = []
        while len(keys) < rng.choice([0, 1, 3]):
            key = random_value(rng, type_["key"])
            if key not in keys:
                keys.append(key)
        return [[key, random_value(rng, type_["value"])] for key in keys]
    raise AssertionError(kind)


def encode_float(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


# ---- canonical forms ----

# `driftgov cat` prints a float32 -0.0 as 0 (see test_cat_keeps_the_sign_of_float32_zero), so its output is
# compared with zeros of float32 columns reduced to this.
UNSIGNED_ZERO = "0 of either sign"


def canonical_float(value):
    return "NaN" if math.isnan(value) else repr(float(value))  # repr keeps -0.0 apart from 0.0


def expected_canonical(type_, value, sort_maps=False, float32_zero_sign=True):
    """Canonical form of a value as generated (probe JSON form)."""
    if value is None:
        return None
    kind = type_id(type_)
    if kind == "float" and not float32_zero_sign and value in (0.0, "-0.0"):
        return UNSIGNED_ZERO
    if kind in ("float", "double"):
        return canonical_float(float(value) if not isinstance(value, str) else
                               {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value])
    if kind == "binary":
        return bytes.fromhex(value)
    if kind == "timestamp":
        unit = type_["unit"]
        return value * 1000 if unit == "ms" else value // 1000 if unit == "ns" else value
    if kind == "decimal":
        return int(value)
    if kind == "struct":
        return tuple(expected_canonical(child["type"], value.get(child["name"]), sort_maps, float32_zero_sign)
                     for child in type_["fields"])
    if kind == "list":
        return tuple(expected_canonical(type_["element"]["type"], item, sort_maps, float32_zero_sign)
                     for item in value)
    if kind == "map":
        pairs = [(expected_canonical(type_["key"]["type"], key, sort_maps, float32_zero_sign),
                  expected_canonical(type_["value"]["type"], item, sort_maps, float32_zero_sign))
                 for key, item in value]
        return tuple(sorted(pairs, key=repr)) if sort_maps else tuple(pairs)
    return value


def engine_canonical(type_, value, sort_maps=False):
    """Canonical form of a value as an engine returned it (Python objects)."""
    if value is None:
        return None
    kind = type_id(type_)
    if kind in ("float", "double"):
        return canonical_float(value)
    if kind == "binary":
        return bytes(value)
    if kind == "date":
        return (value - EPOCH_DATE).days
    if kind == "timestamp":
        epoch = EPOCH_UTC if value.tzinfo is not None else EPOCH_NAIVE
        return (value - epoch) // MICROSECOND
    if kind == "decimal":
        unscaled = value.scaleb(type_["scale"], context=EXACT)
        assert unscaled == unscaled.to_integral_value(), value
        return int(unscaled)
    if kind == "struct":
        if hasattr(value, "asDict"):
            value = value.asDict()
        return tuple(engine_canonical(child["type"], value[child["name"]], sort_maps) for child in type_["fields"])
    if kind == "list":
        return tuple(engine_canonical(type_["element"]["type"], item, sort_maps) for item in value)
    if kind == "map":
        items = value.items() if isinstance(value, dict) else value
        pairs = [(engine_canonical(type_["key"]["type"], key, sort_maps),
                  engine_canonical(type_["value"]["type"], item, sort_maps)) for key, item in items]
        return tuple(sorted(pairs, key=repr)) if sort_maps else tuple(pairs)
    return value


def expected_rows(case, sort_maps=False, float32_zero_sign=True):
    fields = case["schema"]
    return [tuple(expected_canonical(field["type"], row[i], sort_maps, float32_zero_sign)
                  for i, field in enumerate(fields))
            for row in case["rows"]]


def engine_rows(case, dict_rows, sort_maps=False):
    fields = case["schema"]
    return [tuple(engine_canonical(field["type"], row[field["name"]], sort_maps) for field in fields)
            for row in dict_rows]


def arrow_type(type_):
    """The Arrow type pyarrow should infer from the Parquet schema the writer produces."""
    kind = type_id(type_)
    simple = {"boolean": pa.bool_(), "int8": pa.int8(), "int16": pa.int16(), "int32": pa.int32(),
              "int64": pa.int64(), "float": pa.float32(), "double": pa.float64(), "string": pa.string(),
              "binary": pa.binary(), "date": pa.date32(), "null": pa.null()}
    if kind in simple:
        return simple[kind]
    if kind == "timestamp":
        return pa.timestamp("us", tz="UTC" if type_["utc"] else None)
    if kind == "decimal":
        return pa.decimal128(type_["precision"], type_["scale"])
    if kind == "struct":
        return pa.struct([pa.field(child["name"], arrow_type(child["type"]), nullable_of(child))
                          for child in type_["fields"]])
    if kind == "list":
        element = type_["element"]
        return pa.list_(pa.field("element", arrow_type(element["type"]), nullable_of(element)))
    if kind == "map":
        value = type_["value"]
        return pa.map_(arrow_type(type_["key"]["type"]),
                       pa.field("value", arrow_type(value["type"]), nullable_of(value)))
    raise AssertionError(kind)


def nullable_of(field):
    return field.get("nullable", True) or type_id(field["type"]) == "null"


def type_shape(arrow):
    """Arrow type reduced to what the Parquet schema determines (ignoring child field naming conventions)."""
    if pa.types.is_map(arrow):
        return ("map", type_shape(arrow.key_type), type_shape(arrow.item_type), arrow.item_field.nullable)
    if pa.types.is_list(arrow):
        return ("list", type_shape(arrow.value_type), arrow.value_field.nullable)
    if pa.types.is_struct(arrow):
        return ("struct", tuple((arrow.field(i).name, type_shape(arrow.field(i).type), arrow.field(i).nullable)
                                for i in range(arrow.num_fields)))
    return str(arrow)


# ---- cases ----

def random_case(seed, allow_null=True):
    rng = random.Random(seed)
    names = ["id", "ünïcode_列", "value", "amount", "when", "tags", "attributes", "nested"]
    fields = [random_field(rng, names[i] if i < len(names) else f"c{i}", 0, allow_null)
              for i in range(rng.randint(1, 7))]
    row_count = rng.choice([0, 1, 2, rng.randint(3, 40), rng.randint(100, 400)])
    rows = [[random_value(rng, field) for field in fields] for _ in range(row_count)]
    options = {
        "compression": rng.choice(["zstd", "snappy", "gzip", "none"]),
        "row_group_rows": rng.choice([1, 3, 50, 1 << 20]),
        "data_page_bytes": rng.choice([64, 1000, 1 << 20]),
        "dictionary": rng.choice(["none", "strings", "all"]),
        "dictionary_page_bytes": rng.choice([24, 1 << 20]),
        "batch_rows": rng.choice([1, 7, 1 << 20]),
    }
    return {"schema": fields, "rows": rows, "options": options}


def write_case(case, directory, name="case"):
    description = directory / f"{name}.json"
    output = directory / f"{name}.parquet"
    description.write_text(json.dumps(case))
    result = subprocess.run([str(tool_binary("parquet_write_probe")), str(description), str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return output


SEEDS = list(range(60))


@pytest.mark.parametrize("seed", SEEDS)
def test_pyarrow_reads_random_files_identically(seed, tmp_path):
    case = random_case(seed)
    path = write_case(case, tmp_path)
    table = pq.read_table(path)
    assert table.num_rows == len(case["rows"])
    for field in case["schema"]:
        arrow_field = table.schema.field(field["name"])
        assert type_shape(arrow_field.type) == type_shape(arrow_type(field["type"])), field
        assert arrow_field.nullable == nullable_of(field), field
        if "field_id" in field:
            assert arrow_field.metadata[b"PARQUET:field_id"] == str(field["field_id"]).encode()
    assert engine_rows(case, table.to_pylist()) == expected_rows(case)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.created_by.startswith("driftgov version ")
    assert metadata.num_rows == len(case["rows"])


@pytest.mark.parametrize("seed", SEEDS)
def test_duckdb_reads_random_files_identically(seed, tmp_path):
    case = random_case(seed)
    path = write_case(case, tmp_path)
    connection = duckdb.connect()
    # Arrow only carries the values out of DuckDB; the Parquet decoding is DuckDB's own.
    table = connection.sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table()
    assert engine_rows(case, table.to_pylist()) == expected_rows(case)


def flat_statistics_cases():
    rng = random.Random(4242)
    cases = []
    for kind in ["int8", "int32", "int64", "double", "float", "string", "date", "boolean",
                 {"id": "decimal", "precision": 9, "scale": 2}, {"id": "decimal", "precision": 18, "scale": 0},
                 {"id": "decimal", "precision": 30, "scale": 5}]:
        field = {"name": "x", "type": kind, "nullable": True}
        rows = [[random_value(rng, field)] for _ in range(200)]
        cases.append({"schema": [field], "rows": rows, "options": {"row_group_rows": 64, "dictionary": "all"}})
    return cases


@pytest.mark.parametrize("case", flat_statistics_cases(),
                         ids=lambda case: str(type_id(case["schema"][0]["type"])))
def test_statistics_bound_each_row_group(case, tmp_path):
    """min/max/null_count per row group equal those of the values written (NaN left out, UTF-8 byte order)."""
    path = write_case(case, tmp_path)
    metadata = pq.ParquetFile(path).metadata
    type_ = case["schema"][0]["type"]
    kind = type_id(type_)
    values = [expected_canonical(type_, row[0]) for row in case["rows"]]
    start = 0
    for group in range(metadata.num_row_groups):
        column = metadata.row_group(group).column(0)
        chunk = values[start:start + metadata.row_group(group).num_rows]
        start += metadata.row_group(group).num_rows
        statistics = column.statistics
        assert statistics.null_count == sum(value is None for value in chunk)
        present = [value for value in chunk if value is not None]
        if kind in ("float", "double"):
            present = [float(value) for value in present if value != "NaN"]
        if kind == "string":
            present_keys = [value.encode() for value in present]
            if present and max(len(key) for key in (min(present_keys), max(present_keys))) > 4096:
                assert not statistics.has_min_max
                continue
        if not present:
            assert not statistics.has_min_max
            continue
        low, high = statistics.min, statistics.max
        if kind == "string":
            assert (low.encode(), high.encode()) == (min(value.encode() for value in present),
                                                     max(value.encode() for value in present))
        elif kind == "date":
            assert ((low - EPOCH_DATE).days, (high - EPOCH_DATE).days) == (min(present), max(present))
        elif isinstance(type_, dict):
            scale = type_["scale"]
            assert (int(low.scaleb(scale, context=EXACT)), int(high.scaleb(scale, context=EXACT))) == (min(present),
                                                                                                  max(present))
        else:
            assert (low, high) == (min(present), max(present))
            if kind in ("float", "double") and low == 0:
                assert math.copysign(1, low) == -1  # a zero minimum is written as -0.0
        assert column.statistics.physical_type == column.physical_type


def test_dictionary_falls_back_to_plain_when_too_large(tmp_path):
    field = {"name": "s", "type": "string", "nullable": False}
    few = {"schema": [field], "rows": [[f"v{i % 5}"] for i in range(1000)], "options": {}}
    many = {"schema": [field], "rows": [[f"distinct-{i:06d}"] for i in range(5000)],
            "options": {"dictionary_page_bytes": 1024}}
    few_column = pq.ParquetFile(write_case(few, tmp_path, "few")).metadata.row_group(0).column(0)
    many_path = write_case(many, tmp_path, "many")
    many_column = pq.ParquetFile(many_path).metadata.row_group(0).column(0)
    assert "RLE_DICTIONARY" in few_column.encodings and few_column.has_dictionary_page
    assert "RLE_DICTIONARY" not in many_column.encodings and not many_column.has_dictionary_page
    assert pq.read_table(many_path).column("s").to_pylist() == [row[0] for row in many["rows"]]


@pytest.mark.parametrize("precision", [19, 28, 38])
def test_fixed_width_decimals_are_dictionary_encoded_and_read_back(precision, tmp_path):
    rng = random.Random(precision)
    scale = 4
    limit = 10 ** precision - 1
    # Few distinct amounts, the extremes of the precision among them, with nulls; then a column of all-distinct
    # amounts under a small dictionary limit, which must fall back to PLAIN.
    amounts = [limit, -limit, 0, -1, 1] + [rng.randint(-limit, limit) for _ in range(15)]
    fields = [{"name": "repeated", "type": {"id": "decimal", "precision": precision, "scale": scale}},
              {"name": "distinct", "type": {"id": "decimal", "precision": precision, "scale": scale},
               "nullable": False}]
    # The probe takes decimals as unscaled integers in strings.
    rows = [[None if i % 11 == 0 else str(rng.choice(amounts)), str(rng.randint(-limit, limit))]
            for i in range(3000)]
    case = {"schema": fields, "rows": rows,
            "options": {"dictionary": "all", "dictionary_page_bytes": 4096, "row_group_rows": 1000,
                        "data_page_bytes": 2000}}
    path = write_case(case, tmp_path)
    metadata = pq.ParquetFile(path).metadata
    for group in range(metadata.num_row_groups):
        repeated, distinct = metadata.row_group(group).column(0), metadata.row_group(group).column(1)
        assert repeated.physical_type == "FIXED_LEN_BYTE_ARRAY"
        assert "RLE_DICTIONARY" in repeated.encodings and repeated.has_dictionary_page
        assert "RLE_DICTIONARY" not in distinct.encodings and not distinct.has_dictionary_page
    assert engine_rows(case, pq.read_table(path).to_pylist()) == expected_rows(case)
    table = duckdb.connect().sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table()
    assert engine_rows(case, table.to_pylist()) == expected_rows(case)


def test_row_group_and_page_limits_are_honoured(tmp_path):
    field = {"name": "n", "type": "int64", "nullable": True}
    case = {"schema": [field], "rows": [[i if i % 3 else None] for i in range(1000)],
            "options": {"row_group_rows": 300, "data_page_bytes": 200, "batch_rows": 77}}
    path = write_case(case, tmp_path)
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [300, 300, 300, 100]
    assert pq.read_table(path).column("n").to_pylist() == [row[0] for row in case["rows"]]


def test_timestamps_are_int64_micros_with_the_declared_adjustment(tmp_path):
    fields = [{"name": "utc", "type": {"id": "timestamp", "unit": "ns", "utc": True}},
              {"name": "local", "type": {"id": "timestamp", "unit": "ms", "utc": False}}]
    case = {"schema": fields, "rows": [[1_500_000_000_123_456_789, 1_500_000_000_123]], "options": {}}
    path = write_case(case, tmp_path)
    schema = pq.ParquetFile(path).schema
    utc, local = schema.column(0), schema.column(1)
    assert (utc.physical_type, local.physical_type) == ("INT64", "INT64")
    for column, adjusted in ((utc, True), (local, False)):
        logical = json.loads(column.logical_type.to_json())
        assert (logical["Type"], logical["isAdjustedToUTC"], logical["timeUnit"]) == ("Timestamp", adjusted,
                                                                                      "microseconds")
    assert utc.converted_type == "TIMESTAMP_MICROS" and local.converted_type == "NONE"
    row = pq.read_table(path).to_pylist()[0]
    assert (row["utc"] - EPOCH_UTC) // MICROSECOND == 1_500_000_000_123_456
    assert (row["local"] - EPOCH_NAIVE) // MICROSECOND == 1_500_000_000_123_000


def test_decimals_use_the_narrowest_physical_type(tmp_path):
    fields = [{"name": f"d{precision}", "type": {"id": "decimal", "precision": precision, "scale": 1}}
              for precision in (9, 18, 19, 38)]
    case = {"schema": fields, "rows": [["1", "2", "3", "-4"]], "options": {}}
    schema = pq.ParquetFile(write_case(case, tmp_path)).schema
    assert [schema.column(i).physical_type for i in range(4)] == ["INT32", "INT64", "FIXED_LEN_BYTE_ARRAY",
                                                                  "FIXED_LEN_BYTE_ARRAY"]
    assert [schema.column(i).length for i in (2, 3)] == [9, 16]


def test_bad_values_are_refused_without_leaving_a_file(tmp_path):
    field = {"name": "amount", "type": {"id": "decimal", "precision": 3, "scale": 0}, "nullable": False}
    case = {"schema": [field], "rows": [["999"], ["1000"]], "options": {}}
    description = tmp_path / "bad.json"
    description.write_text(json.dumps(case))
    result = subprocess.run([str(tool_binary("parquet_write_probe")), str(description), str(tmp_path / "bad.parquet")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "column 'amount', row 2" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.json"]


# ---- Spark ----

@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    os.environ["TZ"] = "UTC"  # Python-side conversion of Spark timestamps uses the local zone
    time.tzset()
    session = (SparkSession.builder.master("local[1]").appName("driftgov-parquet-roundtrip")
               .config("spark.driver.memory", "512m").config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "1")
               .getOrCreate())
    yield session
    session.stop()


SPARK_SEEDS = list(range(100, 124))


@pytest.mark.interop
def test_spark_reads_random_files_identically(spark, tmp_path):
    # The null type is left out: Spark has no reading for Parquet's UNKNOWN annotation.
    for seed in SPARK_SEEDS:
        case = random_case(seed, allow_null=False)
        path = write_case(case, tmp_path, f"case{seed}")
        rows = [row.asDict(recursive=True) for row in spark.read.parquet(str(path)).collect()]
        assert engine_rows(case, rows, sort_maps=True) == expected_rows(case, sort_maps=True), seed


@pytest.mark.interop
def test_spark_filters_with_the_written_statistics(spark, tmp_path):
    field = {"name": "n", "type": "int64", "nullable": True}
    label = {"name": "label", "type": "string", "nullable": True}
    rows = [[i, f"label-{i % 7}"] for i in range(2000)]
    case = {"schema": [field, label], "rows": rows, "options": {"row_group_rows": 100}}
    path = write_case(case, tmp_path)
    frame = spark.read.parquet(str(path))
    assert frame.filter("n >= 1234 AND n < 1300").count() == 66
    assert frame.filter("label = 'label-3'").count() == sum(1 for row in rows if row[1] == "label-3")


# ---- driftgov convert ----

# A quoted "" is an empty string; NULL and other null tokens read as null even when quoted.
CSV_STRINGS = [value for value in STRINGS if value not in ("NULL", "nul\x00inside")] + ["x" * 300]


def csv_field(text):
    if text is None:
        return ""
    if text == "" or any(character in text for character in ',"\n\r') or text != text.strip(" "):
        return '"' + text.replace('"', '""') + '"'
    return text


def random_csv_case(seed, rows):
    """Rows of typed values plus the CSV text that spells them (nulls empty, empty strings quoted)."""
    rng = random.Random(seed)

    def maybe(value):
        return None if rng.random() < 0.1 else value

    records = []
    for index in range(rows):
        micros = rng.randint(MIN_MICROS, MAX_MICROS)
        records.append({
            "id": rng.choice([-(2 ** 63), 2 ** 63 - 1, 0, rng.randint(-10**12, 10**12)]) if index else 1,
            "score": maybe(rng.choice(DOUBLE_SPECIALS + [rng.uniform(-1e9, 1e9), float(rng.randint(-5, 5))])),
            "name": "alice" if index == 0 else maybe(rng.choice(CSV_STRINGS)),
            "day": maybe(rng.randint(-25567, 84000)),
            "when": maybe(micros),
            "flag": maybe(rng.random() < 0.5),
        })
    lines = ["id,score,name,day,when,flag"]
    for record in records:
        score = record["score"]
        when = record["when"]
        fields = [
            str(record["id"]),
            None if score is None else ("NaN" if math.isnan(score) else "Infinity" if score == math.inf else
                                        "-Infinity" if score == -math.inf else repr(score)),
            record["name"],
            None if record["day"] is None else (EPOCH_DATE + dt.timedelta(days=record["day"])).isoformat(),
            None if when is None else (EPOCH_NAIVE + when * MICROSECOND).isoformat() + "Z",
            None if record["flag"] is None else ("true" if record["flag"] else "false"),
        ]
        lines.append(",".join(csv_field(field) for field in fields))
    schema = [{"name": "id", "type": "int64"}, {"name": "score", "type": "double"}, {"name": "name", "type": "string"},
              {"name": "day", "type": "date"}, {"name": "when", "type": {"id": "timestamp", "unit": "us", "utc": True}},
              {"name": "flag", "type": "boolean"}]
    case = {"schema": schema, "rows": [[record[field["name"]] for field in schema] for record in records]}
    for row in case["rows"]:
        if row[1] is not None:
            row[1] = encode_float(row[1])
    return case, "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed,rows", [(1, 1), (2, 5), (3, 300), (4, 3000)])
def test_convert_csv_to_parquet_reads_back_in_pyarrow_and_duckdb(seed, rows, tmp_path, driftgov):
    case, text = random_csv_case(seed, rows)
    source = tmp_path / "input.csv"
    source.write_text(text, encoding="utf-8")
    destination = tmp_path / "output.parquet"
    codec = ["zstd", "snappy", "gzip", "none"][seed % 4]
    result = run_driftgov("convert", source, destination, "--codec", codec, "--row-group-rows", "1000")
    assert f"({rows} rows, 6 columns)" in result.stdout
    table = pq.read_table(destination)
    assert engine_rows(case, table.to_pylist()) == expected_rows(case)
    assert pq.ParquetFile(destination).metadata.row_group(0).column(0).compression == (
        "UNCOMPRESSED" if codec == "none" else codec.upper())
    duck = duckdb.connect().sql(f"SELECT * FROM read_parquet('{destination}')").to_arrow_table()
    assert engine_rows(case, duck.to_pylist()) == expected_rows(case)


@pytest.mark.parametrize("chain", [["copy.csv", "copy.parquet"], ["first.parquet", "middle.csv", "second.parquet"]],
                         ids=["csv-csv-parquet", "csv-parquet-csv-parquet"])
def test_conversion_chains_keep_every_value(chain, tmp_path, driftgov):
    """Through the CSV writer (quoting, empty strings, nulls) and the Parquet reader and writer, every value
    pyarrow finally reads equals the one first written as CSV text."""
    case, text = random_csv_case(9, 400)
    source = tmp_path / "input.csv"
    source.write_text(text, encoding="utf-8")
    for target in chain:
        run_driftgov("convert", source, tmp_path / target)
        source = tmp_path / target
    assert engine_rows(case, pq.read_table(source).to_pylist()) == expected_rows(case)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(chain + ["input.csv"])


def test_quoted_empty_string_survives_csv_to_parquet(tmp_path, driftgov):
    source = tmp_path / "input.csv"
    source.write_text('name,n\n"",1\n,2\nx,3\n')
    run_driftgov("convert", source, tmp_path / "out.parquet")
    assert pq.read_table(tmp_path / "out.parquet").column("name").to_pylist() == ["", None, "x"]


def test_convert_refuses_unknown_destinations(tmp_path, driftgov):
    source = tmp_path / "input.csv"
    source.write_text("a\n1\n")
    result = run_driftgov("convert", source, tmp_path / "out.xlsx", check=False)
    assert result.returncode == 2 and "extension" in result.stderr
    result = run_driftgov("convert", source, tmp_path / "out.parquet", "--codec", "lzma", check=False)
    assert result.returncode == 2 and "lzma" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["input.csv"]


# ---- files written by other engines, read back by driftgov ----

def cat_canonical(type_, value):
    """Canonical form of a value as `driftgov cat --format jsonl` prints it (maps always sorted by key)."""
    if value is None:
        return None
    kind = type_id(type_)
    if kind == "float":  # printed as the shortest text of the 32-bit value
        return UNSIGNED_ZERO if value == 0 else canonical_float(float(np.float32(float(value))))
    if kind == "double":
        return canonical_float(float(value))  # float("NaN"), float("Infinity") parse the texts too
    if kind == "binary":  # base64 (docs/value-text.md)
        return base64.b64decode(value, validate=True)
    if kind == "date":
        return (dt.date.fromisoformat(value) - EPOCH_DATE).days
    if kind == "timestamp":
        text = value[:-1] if value.endswith("Z") else value
        whole, _, fraction = text.partition(".")
        seconds = (dt.datetime.fromisoformat(whole) - EPOCH_NAIVE) // dt.timedelta(seconds=1)
        return seconds * 10**6 + int((fraction + "000000")[:6])
    if kind == "decimal":
        return int(decimal.Decimal(value).scaleb(type_["scale"], context=EXACT))
    if kind == "struct":
        return tuple(cat_canonical(child["type"], value[child["name"]]) for child in type_["fields"])
    if kind == "list":
        return tuple(cat_canonical(type_["element"]["type"], item) for item in value)
    if kind == "map":
        key_type = type_["key"]["type"]
        pairs = [(key_from_text(key_type, key), cat_canonical(type_["value"]["type"], item))
                 for key, item in value.items()]
        return tuple(sorted(pairs, key=repr))
    return value


def key_from_text(key_type, text):
    if key_type in INT_RANGES:
        return int(text)
    if key_type == "date":
        return (dt.date.fromisoformat(text) - EPOCH_DATE).days
    return text


def driftgov_rows(case, path):
    result = run_driftgov("cat", path, "--format", "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return [tuple(cat_canonical(field["type"], row[field["name"]]) for field in case["schema"]) for row in rows]


def arrow_value(type_, value):
    """A generated (probe JSON form) value as the Python object pyarrow takes for the column's Arrow type."""
    if value is None:
        return None
    kind = type_id(type_)
    if kind in ("float", "double"):
        return float({"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value, value))
    if kind == "binary":
        return bytes.fromhex(value)
    if kind == "timestamp":
        return expected_canonical(type_, value)  # microseconds, the unit of arrow_type()
    if kind == "decimal":
        return decimal.Decimal(int(value)).scaleb(-type_["scale"], context=EXACT)
    if kind == "struct":
        return {child["name"]: arrow_value(child["type"], value.get(child["name"])) for child in type_["fields"]}
    if kind == "list":
        return [arrow_value(type_["element"]["type"], item) for item in value]
    if kind == "map":
        return [(arrow_value(type_["key"]["type"], key), arrow_value(type_["value"]["type"], item))
                for key, item in value]
    return value


def arrow_table(case):
    columns, fields = [], []
    for index, field in enumerate(case["schema"]):
        type_ = arrow_type(field["type"])
        columns.append(pa.array([arrow_value(field["type"], row[index]) for row in case["rows"]], type=type_))
        fields.append(pa.field(field["name"], type_, nullable_of(field)))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


@pytest.mark.parametrize("seed", range(200, 230))
def test_driftgov_reads_random_pyarrow_files_identically(seed, tmp_path, driftgov):
    case = random_case(seed)
    rng = random.Random(seed)
    path = tmp_path / "pyarrow.parquet"
    pq.write_table(arrow_table(case), path, compression=rng.choice(["zstd", "snappy", "gzip", "none", "lz4"]),
                   use_dictionary=rng.random() < 0.5, data_page_version=rng.choice(["1.0", "2.0"]),
                   row_group_size=rng.choice([1, 5, 1000]), data_page_size=rng.choice([64, 1 << 20]))
    assert driftgov_rows(case, path) == expected_rows(case, sort_maps=True, float32_zero_sign=False)


@pytest.mark.parametrize("seed", range(300, 315))
def test_driftgov_reads_duckdb_copies_of_random_files_identically(seed, tmp_path, driftgov):
    case = random_case(seed)
    source = write_case(case, tmp_path)
    copy = tmp_path / "duckdb.parquet"
    codec = ["zstd", "snappy", "gzip", "uncompressed"][seed % 4]
    duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{source}')) TO '{copy}' "
                             f"(FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 2048)")
    assert driftgov_rows(case, copy) == expected_rows(case, sort_maps=True, float32_zero_sign=False)


@pytest.mark.interop
@pytest.mark.parametrize("legacy", [False, True], ids=["standard", "legacy-format"])
def test_driftgov_reads_spark_copies_of_random_files_identically(spark, tmp_path, driftgov, legacy):
    """Spark (parquet-mr) rewrites driftgov files, in its standard and legacy layouts; driftgov reads them back."""
    spark.conf.set("spark.sql.parquet.writeLegacyFormat", str(legacy).lower())
    try:
        for seed in range(400, 412):
            case = random_case(seed, allow_null=False)
            source = write_case(case, tmp_path, f"case{seed}")
            folder = tmp_path / f"spark{seed}"
            spark.read.parquet(str(source)).coalesce(1).write.parquet(str(folder))
            assert driftgov_rows(case, folder) == expected_rows(case, sort_maps=True, float32_zero_sign=False), seed
    finally:
        spark.conf.unset("spark.sql.parquet.writeLegacyFormat")


def test_cat_keeps_the_sign_of_float32_zero(tmp_path, driftgov):
    path = tmp_path / "zero.parquet"
    pq.write_table(pa.table({"f": pa.array([-0.0], pa.float32())}), path)
    row = json.loads(run_driftgov("cat", path, "--format", "jsonl").stdout)
    assert math.copysign(1, row["f"]) == -1


def test_convert_refuses_to_write_over_its_source_under_any_name(tmp_path):
    """The same file under another name (./x, a symbolic link, a hard link) is refused naming DEST, and the source
    keeps its rows; a different file with the same contents is not the same file."""
    source = tmp_path / "data.parquet"
    table = pa.table({"id": pa.array(range(10), pa.int64())})
    pq.write_table(table, source)
    (tmp_path / "link.parquet").symlink_to(source)
    os.link(source, tmp_path / "hard.parquet")
    for destination in (source, tmp_path / "." / "data.parquet", tmp_path / "link.parquet", tmp_path / "hard.parquet"):
        result = run_driftgov("convert", source, destination, check=False)
        assert result.returncode == 2, result.stderr
        assert f"convert: SOURCE and DEST are the same file ({destination})" in result.stderr
    assert pq.read_table(source).equals(table)
    copy = tmp_path / "copy.parquet"
    copy.write_bytes(source.read_bytes())
    run_driftgov("convert", source, copy)
    assert pq.read_table(copy).equals(table)
