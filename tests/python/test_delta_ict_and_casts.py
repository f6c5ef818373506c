"""In-commit timestamps (PROTOCOL.md, "In-Commit Timestamps") in their final form and in Delta 3.2's preview form,
and appends into narrower table columns (Spark's ANSI store assignment, docs/delta.md "Schema").

Time travel by timestamp is checked against Spark's `timestampAsOf` on tables whose commit files were given other
modification times (as a copy or a restore from backup does): Spark answers from the in-commit timestamps, and so
must driftgov, in both forms of the feature."""
import datetime
import json
import os
import random
import shutil

import pytest

from conftest import run_driftgov
from delta_oracles import bag, deltalake_rows, driftgov_rows, spark_session

COMMIT_SUFFIX = ".json"
PREVIEW_PROPERTIES = ("delta.enableInCommitTimestamps", "delta.inCommitTimestampEnablementVersion",
                      "delta.inCommitTimestampEnablementTimestamp")


def _commit_files(table):
    log = table / "_delta_log"
    return sorted(path for path in log.iterdir()
                  if path.name.endswith(COMMIT_SUFFIX) and path.name[:20].isdigit() and len(path.name) == 25)


def _log_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _latest_configuration(table):
    configuration = {}
    for path in _commit_files(table):
        for action in _log_lines(path):
            if "metaData" in action:
                configuration = action["metaData"].get("configuration", {})
    return configuration


def _protocol_timestamps(table):
    """Each commit's timestamp as the protocol's reader recommendations define it, computed here from the log and
    the file system: (version, milliseconds, is an in-commit timestamp)."""
    configuration = _latest_configuration(table)

    def setting(name):
        return configuration.get(name, configuration.get(name + "-preview"))

    enabled = setting("delta.enableInCommitTimestamps") == "true"
    enablement_version = int(setting("delta.inCommitTimestampEnablementVersion") or 0)
    stamps = []
    previous_file_time = None
    for path in _commit_files(table):
        version = int(path.name[:20])
        if enabled and version >= enablement_version:
            infos = [action["commitInfo"] for action in _log_lines(path) if "commitInfo" in action]
            stamps.append((version, infos[0]["inCommitTimestamp"], True))
            continue
        file_time = os.stat(path).st_mtime_ns // 1_000_000
        if previous_file_time is not None and file_time <= previous_file_time:
            file_time = previous_file_time + 1  # Spark makes file times strictly increasing
        previous_file_time = file_time
        stamps.append((version, file_time, False))
    return stamps


def _text(milliseconds):
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=milliseconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{milliseconds % 1000:03d}"


def _spark_ids_as_of(table, milliseconds):
    """The ids Spark reads at `timestampAsOf`, or None when Spark refuses the timestamp."""
    from pyspark.errors import PySparkException
    from py4j.protocol import Py4JJavaError

    try:
        rows = (spark_session().read.format("delta").option("timestampAsOf", _text(milliseconds))
                .load(str(table)).collect())
    except (PySparkException, Py4JJavaError) as error:
        message = str(error)
        assert "timestamp" in message.lower(), message
        return None
    return bag([row.asDict() for row in rows], ["id"])


def _moved_copy(source, destination, preview, file_times_ms):
    """A copy of a table whose commit files carry `file_times_ms`; with `preview` the log says what Delta 3.2
    writes: the writer feature inCommitTimestamp-preview and the -preview table properties."""
    shutil.copytree(source, destination)
    for checksum in (destination / "_delta_log").glob("*.crc"):
        checksum.unlink()  # a checksum repeats metadata and protocol; the rewritten log would contradict it
    if preview:
        for path in _commit_files(destination):
            actions = _log_lines(path)
            for action in actions:
                if "protocol" in action and "writerFeatures" in action["protocol"]:
                    action["protocol"]["writerFeatures"] = [
                        "inCommitTimestamp-preview" if feature == "inCommitTimestamp" else feature
                        for feature in action["protocol"]["writerFeatures"]]
                if "metaData" in action:
                    configuration = action["metaData"]["configuration"]
                    action["metaData"]["configuration"] = {
                        (key + "-preview" if key in PREVIEW_PROPERTIES else key): value
                        for key, value in configuration.items()}
            path.write_text("".join(json.dumps(action, separators=(",", ":")) + "\n" for action in actions))
    for path, milliseconds in zip(_commit_files(destination), file_times_ms):
        os.utime(path, ns=(milliseconds * 1_000_000, milliseconds * 1_000_000))
    return destination


def _append_ids(table, start, count):
    spark_session().range(start, start + count).coalesce(1).write.format("delta").mode("append").save(str(table))


@pytest.fixture(scope="module")
def ict_tables(tmp_path_factory):
    """Spark tables with in-commit timestamps from creation and enabled at version 2; every commit adds a
    distinct number of rows."""
    root = tmp_path_factory.mktemp("ict")
    spark = spark_session()
    from_creation = root / "from_creation"
    (spark.range(0, 10).coalesce(1).write.format("delta").option("delta.enableInCommitTimestamps", "true")
     .save(str(from_creation)))
    _append_ids(from_creation, 10, 20)
    _append_ids(from_creation, 30, 30)
    _append_ids(from_creation, 60, 40)

    enabled_later = root / "enabled_later"
    spark.range(0, 10).coalesce(1).write.format("delta").save(str(enabled_later))
    _append_ids(enabled_later, 10, 20)
    spark.sql(f"ALTER TABLE delta.`{enabled_later}` SET TBLPROPERTIES ('delta.enableInCommitTimestamps' = 'true')")
    _append_ids(enabled_later, 30, 40)
    _append_ids(enabled_later, 70, 50)
    assert _latest_configuration(enabled_later)["delta.inCommitTimestampEnablementVersion"] == "2"
    return {"from_creation": from_creation, "enabled_later": enabled_later}


YEAR_MS = 365 * 86_400_000


@pytest.mark.interop
@pytest.mark.parametrize("name", ["from_creation", "enabled_later"])
def test_time_travel_by_in_commit_timestamp_survives_moved_file_times(ict_tables, tmp_path, name):
    source = ict_tables[name]
    now = _protocol_timestamps(source)[-1][1]
    # File times far in the past and future, shuffled: what a copy or a restore can leave behind.
    file_times = [now + offset for offset in (-20 * YEAR_MS, 15 * YEAR_MS, -3 * YEAR_MS, 40 * YEAR_MS, -86_400_000)]
    random.Random(7).shuffle(file_times)
    final = _moved_copy(source, tmp_path / "final", False, file_times)
    preview = _moved_copy(source, tmp_path / "preview", True, file_times)
    assert any("inCommitTimestamp-preview" in path.read_text() for path in _commit_files(preview))

    stamps = _protocol_timestamps(final)
    assert stamps == _protocol_timestamps(preview)
    enablement = min(version for version, _, in_commit in stamps if in_commit)
    enablement_time = next(ms for version, ms, _ in stamps if version == enablement)
    checked = 0
    for _, stamp, _ in stamps:
        for probe in (stamp - 500, stamp, stamp + 500):
            expected_ids = _spark_ids_as_of(final, probe)
            # The protocol's rule, computed here: from the enablement timestamp on only the commits with
            # in-commit timestamps count, before it only the ones without.
            candidates = [(v, ms) for v, ms, in_commit in stamps if in_commit == (probe >= enablement_time)]
            at_or_before = [v for v, ms in candidates if ms <= probe]
            after_latest = probe >= enablement_time and probe > stamps[-1][1]
            expected_version = None if not at_or_before or after_latest else at_or_before[-1]
            assert (expected_version is None) == (expected_ids is None), (probe, expected_version)
            for table in (final, preview):
                source_name = f"{table}@ts={_text(probe)}Z"
                info = run_driftgov("table", "info", source_name, "--json", check=False)
                if expected_version is None:
                    assert info.returncode != 0, (source_name, info.stdout)
                    assert "timestamp" in info.stderr, info.stderr
                    continue
                assert info.returncode == 0, info.stderr
                assert json.loads(info.stdout)["version"] == expected_version, (source_name, stamps)
                assert driftgov_rows(source_name, ["id"]) == expected_ids
                assert deltalake_rows(table, ["id"], version=expected_version) == expected_ids
                checked += 1
    assert checked >= 2 * len(stamps)

    # History shows the same timestamps: in-commit ones where they exist.
    for table in (final, preview):
        history = json.loads(run_driftgov("table", "history", table, "--json").stdout)
        shown = {entry["version"]: entry["timestamp"] for entry in history}
        for version, stamp, _ in stamps:
            assert shown[version] == _text(stamp).replace(" ", "T") + "Z", (version, shown, stamps)


@pytest.mark.interop
@pytest.mark.parametrize("preview", [False, True], ids=["final", "preview"])
def test_driftgov_refuses_to_append_to_in_commit_timestamp_tables(ict_tables, tmp_path, preview):
    """driftgov does not write in-commit timestamps, so it must not commit to a table that requires them."""
    source = ict_tables["from_creation"]
    table = _moved_copy(source, tmp_path / "table", preview, [0] * len(_commit_files(source)))
    before = [path.name for path in _commit_files(table)]
    data = tmp_path / "more.csv"
    data.write_text("id\n1000\n1001\n")
    result = run_driftgov("table", "write", data, table, "--mode", "append", check=False)
    assert result.returncode != 0
    feature = "inCommitTimestamp-preview" if preview else "inCommitTimestamp"
    assert f"'{feature}'" in result.stderr, result.stderr
    assert [path.name for path in _commit_files(table)] == before
    assert sorted(path.name for path in table.glob("*.parquet")) == sorted(path.name for path in source.glob("*.parquet"))


@pytest.mark.parametrize("preview", [False, True], ids=["final", "preview"])
def test_driftgov_refuses_to_create_or_append_to_tables_enabling_in_commit_timestamps(tmp_path, preview):
    key = "delta.enableInCommitTimestamps" + ("-preview" if preview else "")
    data = tmp_path / "data.csv"
    data.write_text("id\n1\n")
    created = run_driftgov("table", "write", data, tmp_path / "new", "--property", f"{key}=true", check=False)
    assert created.returncode != 0 and f"{key}=true" in created.stderr, created.stderr
    assert not (tmp_path / "new" / "_delta_log").exists() or not _commit_files(tmp_path / "new")
    # A table whose properties enable the feature without listing it in the protocol is refused as well.
    table = tmp_path / "table"
    run_driftgov("table", "write", data, table)
    commit = table / "_delta_log" / "00000000000000000000.json"
    actions = _log_lines(commit)
    for action in actions:
        if "metaData" in action:
            action["metaData"]["configuration"][key] = "true"
    commit.write_text("".join(json.dumps(action) + "\n" for action in actions))
    appended = run_driftgov("table", "write", data, table, "--mode", "append", check=False)
    assert appended.returncode != 0 and "in-commit timestamps" in appended.stderr, appended.stderr
    assert len(_commit_files(table)) == 1


# --- Appends into narrower columns ---------------------------------------------------------------------------------
# CSV numbers read as int64 and double; the table's INT, SMALLINT, TINYINT, FLOAT and DECIMAL columns take them when
# every value fits (Spark's ANSI store assignment), and nothing is written when one does not.

NARROW_COLUMNS = ["i32", "i16", "i8", "f32", "d"]
NARROW_CSV = ("i32,i16,i8,f32,d\n"
              "2147483647,32767,127,0.1,1.005\n"
              "-2147483648,-32768,-128,-2.5e38,-0.125\n"
              "7,,0,16777217,2.675\n"
              "0,5,-1,3.4028235e38,99999999.994\n")


def _expected_narrow_rows():
    """The CSV rows cast by hand: float32 rounding by numpy, decimals rounded half up by Python's decimal from the
    shortest text of the double the CSV value reads as (Spark's Decimal(double))."""
    import decimal

    import numpy as np

    rows = []
    for line in NARROW_CSV.splitlines()[1:]:
        i32, i16, i8, f32, d = line.split(",")
        rows.append({
            "i32": int(i32), "i16": int(i16) if i16 else None, "i8": int(i8),
            "f32": float(np.float32(float(f32))),
            "d": decimal.Decimal(repr(float(d))).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP),
        })
    return rows


def _deltalake_narrow_table(path):
    import decimal

    import deltalake
    import pyarrow as pa

    schema = pa.schema([("i32", pa.int32()), ("i16", pa.int16()), ("i8", pa.int8()), ("f32", pa.float32()),
                        ("d", pa.decimal128(10, 2))])
    first = pa.table({"i32": [1], "i16": [1], "i8": [1], "f32": [1.5], "d": [decimal.Decimal("1.25")]}, schema=schema)
    deltalake.write_deltalake(str(path), first)
    return path


def _version(table):
    return max(int(path.name[:20]) for path in _commit_files(table))


def test_csv_appends_into_narrower_delta_columns(tmp_path):
    import deltalake
    import pyarrow.parquet as pq

    table = _deltalake_narrow_table(tmp_path / "narrow")
    data = tmp_path / "data.csv"
    data.write_text(NARROW_CSV)
    run_driftgov("table", "write", data, table, "--mode", "append")
    assert _version(table) == 1
    expected = [{"i32": 1, "i16": 1, "i8": 1, "f32": 1.5, "d": __import__("decimal").Decimal("1.25")},
                *_expected_narrow_rows()]
    assert deltalake_rows(table, NARROW_COLUMNS) == bag(expected, NARROW_COLUMNS)
    # The schema stays the table's, and the new file stores the table's physical and logical types.
    fields = {field.name: str(field.type) for field in deltalake.DeltaTable(str(table)).schema().fields}
    assert fields == {"i32": 'PrimitiveType("integer")', "i16": 'PrimitiveType("short")',
                      "i8": 'PrimitiveType("byte")', "f32": 'PrimitiveType("float")',
                      "d": 'PrimitiveType("decimal(10,2)")'}
    added = [action["add"]["path"] for action in _log_lines(table / "_delta_log" / "00000000000000000001.json")
             if "add" in action]
    written = pq.read_schema(table / added[0])
    assert [str(written.field(name).type) for name in NARROW_COLUMNS] == [
        "int32", "int16", "int8", "float", "decimal128(10, 2)"]

    # convert --mode append goes through the same cast.
    run_driftgov("convert", data, table, "--mode", "append")
    assert _version(table) == 2
    assert deltalake_rows(table, NARROW_COLUMNS) == bag(expected + _expected_narrow_rows(), NARROW_COLUMNS)


@pytest.mark.parametrize("column,value,row", [
    ("i32", "2147483648", 2), ("i16", "-32769", 3), ("i8", "128", 1), ("f32", "3.5e38", 2),
    ("d", "99999999.995", 3), ("d", "-123456789", 1)])
def test_values_that_do_not_fit_are_refused_and_nothing_is_written(tmp_path, column, value, row):
    table = _deltalake_narrow_table(tmp_path / "narrow")
    before = sorted(path.name for path in table.rglob("*.parquet"))
    lines = ["i32,i16,i8,f32,d"] + ["1,2,3,4.5,6.25"] * 3
    header = lines[0].split(",")
    fields = lines[row].split(",")
    fields[header.index(column)] = value
    lines[row] = ",".join(fields)
    data = tmp_path / "data.csv"
    data.write_text("\n".join(lines) + "\n")
    for command in (["table", "write"], ["convert"]):
        result = run_driftgov(*command, data, table, "--mode", "append", "--file-rows", "1", check=False)
        assert result.returncode == 2, result.stderr
        assert f"row {row} of the data, column '{column}': {value}" in result.stderr.replace("e+38", "e38"), \
            result.stderr
        assert "nothing was written" in result.stderr
        assert _version(table) == 0
        assert sorted(path.name for path in table.rglob("*.parquet")) == before


def test_types_that_no_value_fits_are_still_refused(tmp_path):
    table = _deltalake_narrow_table(tmp_path / "narrow")
    data = tmp_path / "data.csv"
    data.write_text("i32,i16,i8,f32,d\n1.5,1,1,1,1\n")  # a fraction never fits an integer column
    result = run_driftgov("table", "write", data, table, "--mode", "append", check=False)
    assert result.returncode == 2
    assert "incompatible types integer (table) and double (data)" in result.stderr
    data.write_text("i32,i16,i8,f32,d\n1,1,1,1,x\n")
    result = run_driftgov("table", "write", data, table, "--mode", "append", check=False)
    assert result.returncode == 2 and "incompatible types decimal(10,2) (table) and string (data)" in result.stderr
    assert _version(table) == 0


@pytest.mark.interop
def test_appends_into_spark_tables_match_spark_store_assignment(tmp_path):
    """Spark's INSERT of the same longs and doubles into the same table is the oracle: same values stored, and
    the same values refused."""
    spark = spark_session()
    ddl = "i32 INT, i16 SMALLINT, i8 TINYINT, f32 FLOAT, d DECIMAL(10,2)"
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for table in (ours, theirs):
        spark.sql(f"CREATE TABLE delta.`{table}` ({ddl}) USING delta")
    data = tmp_path / "data.csv"
    data.write_text(NARROW_CSV)
    run_driftgov("convert", data, ours, "--mode", "append")
    rows = [line.split(",") for line in NARROW_CSV.splitlines()[1:]]
    typed = [(int(a), int(b) if b else None, int(c), float(e), float(f)) for a, b, c, e, f in rows]
    spark.createDataFrame(typed, "i32 long, i16 long, i8 long, f32 double, d double").createOrReplaceTempView("v")
    spark.sql(f"INSERT INTO delta.`{theirs}` SELECT * FROM v")
    expected = bag([row.asDict() for row in spark.read.format("delta").load(str(theirs)).collect()], NARROW_COLUMNS)
    assert expected == bag(_expected_narrow_rows(), NARROW_COLUMNS)
    assert bag([row.asDict() for row in spark.read.format("delta").load(str(ours)).collect()],
               NARROW_COLUMNS) == expected
    assert deltalake_rows(ours, NARROW_COLUMNS) == expected

    # A value Spark refuses (CAST_OVERFLOW under ANSI store assignment) is refused here too.
    spark.createDataFrame([(1, 1, 128, 1.0, 1.0)], "i32 long, i16 long, i8 long, f32 double, d double") \
        .createOrReplaceTempView("w")
    with pytest.raises(Exception, match="(?i)overflow"):
        spark.sql(f"INSERT INTO delta.`{theirs}` SELECT * FROM w")
    data.write_text("i32,i16,i8,f32,d\n1,1,128,1.0,1.0\n")
    result = run_driftgov("convert", data, ours, "--mode", "append", check=False)
    assert result.returncode == 2 and "column 'i8': 128" in result.stderr
    assert _version(ours) == 1


# --- --type names for narrow CSV columns ----------------------------------------------------------------------------

def test_csv_type_overrides_write_narrow_parquet_types(tmp_path):
    import decimal

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "data.csv"
    data.write_text("a,b,c,f,d\n2147483647,-32768,127,0.1,1.005\n-5,7,-128,1e-3,-2.5E1\n,1,0,,0.125\n")
    out = tmp_path / "out.parquet"
    run_driftgov("convert", data, out, "--type", "a=int32", "--type", "b=int16", "--type", "c=int8",
                 "--type", "f=float", "--type", "d=decimal(10,2)")
    table = pq.read_table(out)
    assert table.schema.field("a").type == pa.int32()
    assert table.schema.field("b").type == pa.int16()
    assert table.schema.field("c").type == pa.int8()
    assert table.schema.field("f").type == pa.float32()
    assert table.schema.field("d").type == pa.decimal128(10, 2)
    columns = table.to_pydict()
    assert columns["a"] == [2147483647, -5, None]
    assert columns["b"] == [-32768, 7, 1]
    assert columns["c"] == [127, -128, 0]
    assert columns["f"] == [float(np.float32(0.1)), float(np.float32(1e-3)), None]
    # Decimal text is read exactly and rounded half up to the scale (Spark's CSV reader: BigDecimal HALF_UP).
    assert columns["d"] == [decimal.Decimal("1.01"), decimal.Decimal("-25.00"), decimal.Decimal("0.13")]
    physical = pq.ParquetFile(out).schema
    assert [physical.column(i).physical_type for i in range(5)] == ["INT32", "INT32", "INT32", "FLOAT", "INT64"]


@pytest.mark.parametrize("type_name,text,expected", [
    ("int8", "128", "'128' is out of range for int8 (-128 to 127)"),
    ("int16", "-32769", "'-32769' is out of range for int16 (-32768 to 32767)"),
    ("int32", "2147483648", "'2147483648' is out of range for int32 (-2147483648 to 2147483647)"),
    ("int32", "1.5", "int32 value (set by --type), found '1.5'"),
    ("float", "1e39", "'1e39' is out of range for float"),
    ("decimal(4,2)", "100", "'100' is out of range for decimal(4,2) (at most 2 digits before the point"),
    ("decimal(4,2)", "abc", "decimal(4,2) value (set by --type), found 'abc'"),
])
def test_csv_type_overrides_refuse_values_out_of_range(tmp_path, type_name, text, expected):
    data = tmp_path / "data.csv"
    data.write_text(f"id,x\n1,1\n2,{text}\n")
    result = run_driftgov("convert", data, tmp_path / "out.parquet", "--type", f"x={type_name}", check=False)
    assert result.returncode == 2
    assert f"{data} line 3: column 'x': " in result.stderr and expected in result.stderr, result.stderr


@pytest.mark.parametrize("type_name", ["decimal(39,2)", "decimal(4,5)", "decimal(4)", "int128"])
def test_bad_type_names_are_refused(tmp_path, type_name):
    data = tmp_path / "data.csv"
    data.write_text("x\n1\n")
    result = run_driftgov("convert", data, tmp_path / "out.parquet", "--type", f"x={type_name}", check=False)
    assert result.returncode == 2 and f"--type x={type_name}" in result.stderr and type_name in result.stderr


def test_exact_decimals_append_with_a_decimal_type_override(tmp_path):
    """Decimal text read as double keeps 17 significant digits; --type COL=decimal(p,s) reads it exactly."""
    import decimal

    import deltalake
    import pyarrow as pa

    table = tmp_path / "wide"
    schema = pa.schema([("d", pa.decimal128(38, 2))])
    deltalake.write_deltalake(str(table), pa.table({"d": [decimal.Decimal("0.01")]}, schema=schema))
    text = "123456789012345678901234567890123456.78"
    data = tmp_path / "data.csv"
    data.write_text(f"d\n{text}\n")
    run_driftgov("table", "write", data, table, "--mode", "append", "--type", "d=decimal(38,2)")
    run_driftgov("table", "write", data, table, "--mode", "append")  # as a double
    values = sorted(deltalake.DeltaTable(str(table)).to_pyarrow_table().column("d").to_pylist())
    as_double = decimal.Decimal(repr(float(text))).quantize(decimal.Decimal("0.01"),
                                                           context=decimal.Context(prec=50))
    assert values == sorted([decimal.Decimal("0.01"), decimal.Decimal(text), as_double])
    assert as_double != decimal.Decimal(text)
