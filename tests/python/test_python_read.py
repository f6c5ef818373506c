"""driftgov.read (docs/python.md) against independent readers of the same files: pyarrow for Parquet and CSV,
deltalake (delta-rs) for Delta tables at every version, and the CLI (`driftgov cat`) for the error messages."""
import datetime
import decimal
import os

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import run_driftgov
from python_package import driftgov


def sorted_rows(table, key):
    return sorted(table.to_pylist(), key=lambda row: row[key])


def every_type_table():
    return pa.table({
        "int8": pa.array([1, None, -3, 4], pa.int8()), "int16": pa.array([300, -2, None, 7], pa.int16()),
        "int32": pa.array([1, None, 3, -70000], pa.int32()), "int64": pa.array([2**40, 0, None, -1], pa.int64()),
        "float32": pa.array([1.5, None, float("nan"), -2.25], pa.float32()),
        "float64": pa.array([float("inf"), 0.1, None, -1e300], pa.float64()),
        "flag": pa.array([True, False, None, True]),
        "price": pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("-3.10"), decimal.Decimal("99999999.99")],
                          pa.decimal128(10, 2)),
        "day": pa.array([datetime.date(2024, 1, 1), None, datetime.date(1960, 5, 5), datetime.date(2000, 2, 29)]),
        "at": pa.array([datetime.datetime(2024, 1, 1, 1, 2, 3, 456789), None, datetime.datetime(1969, 12, 31),
                        datetime.datetime(2038, 1, 20)], pa.timestamp("us", tz="UTC")),
        "local": pa.array([datetime.datetime(2024, 1, 1), None, datetime.datetime(1999, 1, 1, 12),
                           datetime.datetime(2000, 1, 1)], pa.timestamp("us")),
        "name": pa.array(["a", None, "", "a longer text than fits inline, é ü 漢字"]),
        "blob": pa.array([b"\x00\x01", None, b"", b"\xff" * 40]),
        "items": pa.array([[1, 2], None, [], [None, 5]], pa.list_(pa.int64())),
        "point": pa.array([{"x": 1, "y": "a"}, None, {"x": None, "y": "b"}, {"x": 4, "y": None}]),
        "tags": pa.array([[("k", 1)], None, [], [("a", None), ("b", 2)]], pa.map_(pa.string(), pa.int64())),
        "nothing": pa.nulls(4),
    })


def test_parquet_equals_pyarrow_including_types_and_nested_columns(tmp_path):
    table = every_type_table()
    path = tmp_path / "every_type.parquet"
    pq.write_table(table, path, row_group_size=3)  # two row groups: two batches
    expected = pq.read_table(path)
    read = driftgov.read(path)
    assert read.schema == expected.schema
    assert read.drop_columns(["float32"]).equals(expected.drop_columns(["float32"]))
    assert str(read["float32"].to_pylist()) == str(expected["float32"].to_pylist())  # NaN != NaN in equals
    projected = driftgov.read(str(path), columns=["name", "int32"])
    assert projected.equals(expected.select(["name", "int32"]))


def test_many_batches_and_an_empty_file(tmp_path):
    rows = 200_000  # four batches of the reader
    table = pa.table({"id": pa.array(range(rows), pa.int64()),
                      "text": pa.array([None if i % 7 == 0 else f"v{i % 1000}" for i in range(rows)])})
    pq.write_table(table, tmp_path / "many.parquet")
    assert driftgov.read(tmp_path / "many.parquet").equals(pq.read_table(tmp_path / "many.parquet"))
    pq.write_table(table.slice(0, 0), tmp_path / "empty.parquet")
    empty = driftgov.read(tmp_path / "empty.parquet")
    assert empty.num_rows == 0 and empty.schema == pq.read_table(tmp_path / "empty.parquet").schema


def test_csv_equals_pyarrow_csv(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("id,score,name,day,seen\n"
                    "1,0.5,alpha,2024-01-01,2024-01-01T10:00:00\n"
                    "2,NA,\"quoted, text\",,2024-01-02T00:00:00.250\n"
                    "3,-1e3,,2024-02-29,\n")
    # driftgov's null tokens and the types it infers (docs/data-sources.md), given to pyarrow explicitly.
    expected = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        null_values=["", "NA", "N/A", "null", "NULL", "None"], strings_can_be_null=True,
        column_types={"id": pa.int64(), "score": pa.float64(), "name": pa.string(), "day": pa.date32(),
                      "seen": pa.timestamp("us")}))
    read = driftgov.read(path)
    assert [field.name for field in read.schema] == expected.column_names
    assert read.column("id").type == pa.int64() and read.column("score").type == pa.float64()
    assert read.to_pylist() == expected.to_pylist()


@pytest.fixture(scope="module")
def delta_versions(tmp_path_factory):
    """A table of three versions written by deltalake (append, append, overwrite), its commits timed a day apart."""
    path = tmp_path_factory.mktemp("read_delta") / "table"
    first = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "label": ["a", "b", None]})
    write_deltalake(str(path), first)
    write_deltalake(str(path), pa.table({"id": pa.array([4], pa.int64()), "label": ["d"]}), mode="append")
    write_deltalake(str(path), pa.table({"id": pa.array([10, 11], pa.int64()), "label": ["x", "y"]}),
                    mode="overwrite")
    times = [datetime.datetime(2024, 3, day, 12, tzinfo=datetime.timezone.utc) for day in (1, 2, 3)]
    for version, moment in enumerate(times):
        os.utime(path / "_delta_log" / f"{version:020d}.json", (moment.timestamp(), moment.timestamp()))
    return path, times


def test_delta_latest_and_every_version_equal_deltalake(delta_versions):
    path, _ = delta_versions
    assert sorted_rows(driftgov.read(path), "id") == sorted_rows(DeltaTable(str(path)).to_pyarrow_table(), "id")
    for version in range(3):
        expected = DeltaTable(str(path), version=version).to_pyarrow_table()
        read = driftgov.read(path, version=version)
        assert read.schema.names == expected.schema.names
        assert sorted_rows(read, "id") == sorted_rows(expected, "id"), version
    assert sorted_rows(driftgov.read(path, version=1), "id") == [
        {"id": 1, "label": "a"}, {"id": 2, "label": "b"}, {"id": 3, "label": None}, {"id": 4, "label": "d"}]


def test_delta_time_travel_by_timestamp(delta_versions):
    path, times = delta_versions
    hour = datetime.timedelta(hours=1)
    # The version current at a moment is the latest committed at or before it (the test set the commit times).
    cases = [(times[0], 0), (times[1] - hour, 0), (times[1], 1), (times[2] - hour, 1), (times[2], 2)]
    for moment, version in cases:
        expected = sorted_rows(DeltaTable(str(path), version=version).to_pyarrow_table(), "id")
        assert sorted_rows(driftgov.read(path, timestamp=moment), "id") == expected, moment
        naive_utc = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        assert sorted_rows(driftgov.read(path, timestamp=naive_utc), "id") == expected, moment
        text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert sorted_rows(driftgov.read(path, timestamp=text), "id") == expected, text
    paris = datetime.timezone(datetime.timedelta(hours=1))
    assert sorted_rows(driftgov.read(path, timestamp=times[1].astimezone(paris)), "id") == sorted_rows(
        DeltaTable(str(path), version=1).to_pyarrow_table(), "id")


def cli_message(*arguments):
    result = run_driftgov("cat", *arguments, check=False)
    assert result.returncode != 0
    return result.stderr


def test_errors_carry_the_cli_messages(tmp_path, delta_versions):
    path, times = delta_versions
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not a parquet file PAR1")
    for arguments, read_arguments in [((corrupt,), (corrupt,)), ((tmp_path / "missing.csv",), (tmp_path / "missing.csv",)),
                                      ((f"{path}@v=7",), (path, 7))]:
        with pytest.raises(ValueError) as raised:
            driftgov.read(*read_arguments)
        assert isinstance(raised.value, driftgov.InputError)
        assert str(raised.value) in cli_message(*arguments)
    with pytest.raises(driftgov.InputError, match="latest"):
        driftgov.read(path, version=7)
    with pytest.raises(driftgov.InputError) as raised:
        driftgov.read(path, timestamp=times[0] - datetime.timedelta(days=1))
    assert str(raised.value) in cli_message(f"{path}@ts=2024-02-29T12:00:00+00:00")
    with pytest.raises(driftgov.InputError, match="after the latest version 2"):  # as Spark's timestampAsOf
        driftgov.read(path, timestamp=times[2] + datetime.timedelta(hours=1))
    with pytest.raises(driftgov.InputError) as raised:
        driftgov.read(path, columns=["missing"])
    assert "missing" in str(raised.value) and str(raised.value) in cli_message(path, "--columns", "missing")


def test_version_and_timestamp_need_a_delta_table(tmp_path, delta_versions):
    path, times = delta_versions
    pq.write_table(pa.table({"a": [1]}), tmp_path / "plain.parquet")
    with pytest.raises(driftgov.InputError, match="not a Delta table|is not one"):
        driftgov.read(tmp_path / "plain.parquet", version=0)
    with pytest.raises(driftgov.InputError, match="not both"):
        driftgov.read(path, version=0, timestamp=times[0])
    with pytest.raises(TypeError, match="version"):
        driftgov.read(path, version="1")
    with pytest.raises(TypeError, match="timestamp"):
        driftgov.read(path, timestamp=12)
