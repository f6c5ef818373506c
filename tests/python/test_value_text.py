"""Value text (docs/value-text.md): `driftgov cat` (JSON Lines and CSV) and `driftgov convert` to CSV print every
value of a Parquet file written by pyarrow as the documented rule says, each expectation computed here from the
pyarrow value with Python's own datetime, decimal and base64 (never from driftgov's output)."""
import base64
import csv
import datetime as dt
import decimal
import io
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_driftgov

UNIT_DIGITS = {"ms": 3, "us": 6, "ns": 9}
EPOCH = dt.datetime(1970, 1, 1)
INT64 = np.iinfo(np.int64)
UINT64_MAX = 2**64 - 1
NAN, INF = float("nan"), float("inf")
ROWS = 7


def timestamps(unit):
    """Counts of `unit`: before 1970 with and without a fraction, the epoch, the far past and future the unit reaches."""
    per_second = 10 ** UNIT_DIGITS[unit]
    # ms: the years 9892 and 5; us: 2762 and 1177; ns: the whole int64 range, 2262 and 1677.
    latest, earliest = {"ms": (25 * 10**13, -62 * 10**12), "us": (25 * 10**15, -25 * 10**15),
                        "ns": (int(INT64.max), int(INT64.min))}[unit]
    return [-1, -per_second * 86400 * 365 * 70 + 123 * (per_second // 1000), 0, 1_709_210_096 * per_second + 7,
            latest, earliest, None]


COLUMNS = {
    "date": pa.array([dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(1969, 12, 31), dt.date(1970, 1, 1),
                      dt.date(2024, 2, 29), dt.date(9999, 12, 31), None], pa.date32()),
    **{f"ts_{unit}_{zone}": pa.array(timestamps(unit), pa.timestamp(unit, tz="UTC" if zone == "tz" else None))
       for unit in UNIT_DIGITS for zone in ("tz", "ntz")},
    "dec_5_2": pa.array([decimal.Decimal(text) for text in ("-999.99", "-0.05", "0.00", "0.10", "1.50", "999.99")]
                        + [None], pa.decimal128(5, 2)),
    "dec_38_0": pa.array([decimal.Decimal("9" * 38), decimal.Decimal("-" + "9" * 38), decimal.Decimal(0),
                          decimal.Decimal(-1), decimal.Decimal(2**63), decimal.Decimal(-(2**64)), None],
                         pa.decimal128(38, 0)),
    "dec_38_38": pa.array([decimal.Decimal("0." + "9" * 38), decimal.Decimal("-0." + "0" * 37 + "1"),
                           decimal.Decimal("0." + "0" * 38), decimal.Decimal("0.12345678901234567890123456789012345678"),
                           None, decimal.Decimal("-0.5" + "0" * 36), None], pa.decimal128(38, 38)),
    "dec_18_6": pa.array([decimal.Decimal("-123456789012.000001"), decimal.Decimal("0.000001"),
                          decimal.Decimal("1.000000"), None, None, None, None], pa.decimal128(18, 6)),
    "binary": pa.array([b"", b"\x00\xff", b"f", b"fo", b"foo", bytes(range(256)), None], pa.binary()),
    "f64": pa.array([NAN, INF, -INF, 0.1, -0.0, 1e300, None], pa.float64()),
    "f32": pa.array([NAN, INF, -INF, 0.1, -0.0, 3.0, None], pa.float32()),
    "i64": pa.array([int(INT64.min), int(INT64.max), 0, -1, 2**53 + 1, None, 1], pa.int64()),
    "u64": pa.array([UINT64_MAX, 0, 2**63, 2**53 + 1, None, 1, 2**64 - 2], pa.uint64()),
    "f32_list": pa.array([[0.1, 1.5, None], [], None, [NAN], [-INF], [3.0], [1e-7]], pa.list_(pa.float32())),
    "bytes_struct": pa.array([{"b": b"\x00\xff"}, {"b": None}, None, {"b": b""}, {"b": b"foo"}, {"b": b"\xfb"},
                              {"b": b"ab"}], pa.struct([("b", pa.binary())])),
}


def timestamp_text(count, unit, utc):
    """The ISO 8601 text of `count` units since the epoch: Python's datetime does the calendar."""
    seconds, fraction = divmod(count, 10 ** UNIT_DIGITS[unit])
    # datetime.isoformat stops at the year 9999 and at microseconds: the whole seconds come from it, the
    # fraction in the unit's digits is appended.
    text = (EPOCH + dt.timedelta(seconds=seconds)).isoformat()
    if fraction:
        text += "." + str(fraction).zfill(UNIT_DIGITS[unit])
    return text + ("Z" if utc else "")


def float_text(value, single):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    # repr is the shortest text that reads back as the same double; numpy's str the same for a float32.
    text = str(np.float32(value)) if single else repr(value)
    return text if any(mark in text for mark in ".e") else text + ".0"


def csv_expected(arrow_type, value):
    """The CSV text of a non-null value (the field before quoting), from the pyarrow value."""
    if pa.types.is_date(arrow_type):
        return value.isoformat()
    if pa.types.is_timestamp(arrow_type):
        return timestamp_text(value, arrow_type.unit, arrow_type.tz is not None)
    if pa.types.is_decimal(arrow_type):
        return format(value, "f")  # exact, every digit of the scale, never an exponent
    if pa.types.is_binary(arrow_type):
        return base64.b64encode(value).decode()
    if pa.types.is_floating(arrow_type):
        return float_text(value, pa.types.is_float32(arrow_type))
    if pa.types.is_integer(arrow_type):
        return str(value)
    if pa.types.is_list(arrow_type):  # nested values are their JSON text
        return "[" + ",".join("null" if item is None else json_expected(arrow_type.value_type, item)
                              for item in value) + "]"
    if pa.types.is_struct(arrow_type):
        return "{" + ",".join(f"{json.dumps(field.name)}:" + ("null" if value[field.name] is None else
                                                              json_expected(field.type, value[field.name]))
                              for field in arrow_type) + "}"
    raise AssertionError(f"no expectation for {arrow_type}")


def json_expected(arrow_type, value):
    """The JSON text of a non-null value: integers (unsigned 64-bit and decimals of scale 0 too) are numbers
    with every digit, finite floats numbers, everything else the CSV text as a JSON string."""
    text = csv_expected(arrow_type, value)
    if pa.types.is_integer(arrow_type) or (pa.types.is_decimal(arrow_type) and arrow_type.scale == 0):
        return text
    if pa.types.is_floating(arrow_type) and math.isfinite(value):
        return text
    if pa.types.is_list(arrow_type) or pa.types.is_struct(arrow_type):
        return text
    return json.dumps(text)


@pytest.fixture(scope="module")
def values_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("value_text") / "values.parquet"
    table = pa.table(COLUMNS)
    pq.write_table(table, path)
    assert pq.read_table(path).schema == table.schema  # every type survives the file as written
    return path


def raw_json_fields(line):
    """The members of one JSON object, numbers kept as the exact tokens written (not as Python floats)."""
    return json.loads(line, parse_int=lambda token: ("number", token), parse_float=lambda token: ("number", token))


def as_text(value):
    """A value parsed with number tokens kept (raw_json_fields) back to compact JSON text."""
    if isinstance(value, tuple):
        return value[1]
    if isinstance(value, list):
        return "[" + ",".join(as_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{as_text(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def test_cat_jsonl_prints_each_value_by_the_rule(values_file):
    lines = run_driftgov("cat", values_file).stdout.splitlines()
    assert len(lines) == ROWS
    for row, line in enumerate(lines):
        fields = raw_json_fields(line)
        assert list(fields) == list(COLUMNS), line
        for name, array in COLUMNS.items():
            value = array[row].as_py() if not pa.types.is_timestamp(array.type) else array.cast(pa.int64())[row].as_py()
            expected = "null" if value is None else json_expected(array.type, value)
            assert as_text(fields[name]) == expected, f"row {row}, column {name}"


def test_exact_numbers_read_back_exactly(values_file):
    """A consumer parsing the JSON with exact numbers gets the original values back (Python's json keeps
    integers exact; decimals with a fraction are strings for Decimal)."""
    rows = [json.loads(line) for line in run_driftgov("cat", values_file).stdout.splitlines()]
    for name in ("i64", "u64", "dec_38_0"):
        expected = [None if value is None else int(value) for value in COLUMNS[name].to_pylist()]
        assert [row[name] for row in rows] == expected, name
    for name in ("dec_5_2", "dec_38_38", "dec_18_6"):
        expected = COLUMNS[name].to_pylist()
        assert [None if row[name] is None else decimal.Decimal(row[name]) for row in rows] == expected, name
    assert [None if row["binary"] is None else base64.b64decode(row["binary"]) for row in rows] == \
        COLUMNS["binary"].to_pylist()


def test_timestamps_at_microseconds_match_datetime_isoformat(values_file):
    """For microsecond timestamps the text is exactly Python's isoformat (Z for +00:00) when there is a fraction."""
    rows = [json.loads(line) for line in run_driftgov("cat", values_file).stdout.splitlines()]
    for zone in ("tz", "ntz"):
        for row, value in zip(rows, COLUMNS[f"ts_us_{zone}"].to_pylist()):
            if value is None or value.microsecond == 0:
                continue
            assert row[f"ts_us_{zone}"] == value.isoformat().replace("+00:00", "Z")


def check_csv(text):
    records = list(csv.reader(io.StringIO(text)))
    assert records[0] == list(COLUMNS)
    assert len(records) == ROWS + 1
    for row, record in enumerate(records[1:]):
        for (name, array), field in zip(COLUMNS.items(), record):
            value = array[row].as_py() if not pa.types.is_timestamp(array.type) else array.cast(pa.int64())[row].as_py()
            expected = "" if value is None else csv_expected(array.type, value)
            assert field == expected, f"row {row}, column {name}"


def test_cat_csv_prints_each_value_by_the_rule(values_file):
    check_csv(run_driftgov("cat", values_file, "--format", "csv").stdout)


def test_convert_to_csv_writes_each_value_by_the_rule(values_file, tmp_path):
    out = tmp_path / "values.csv"
    run_driftgov("convert", values_file, out)
    check_csv(out.read_text())
