"""Delta snapshots (`driftgov table info --json`) against deltalake (delta-rs): version, schema, live files with
their partition values, for the golden tables written by Spark and for tables deltalake writes here."""
import datetime
import decimal
import json
from pathlib import Path

import deltalake
import pyarrow as pa
import pytest

from conftest import DELTA_MUST_REFUSE, DELTA_OUTCOMES_FILE, conformance_path, recorded_delta_outcomes, run_driftgov

GOLDEN = conformance_path("delta-golden")


def driftgov_info(source):
    return json.loads(run_driftgov("table", "info", source, "--json").stdout)


def typed_partition_value(text, delta_type):
    """Parses a partition value string the way the protocol defines it, for comparison with deltalake's values."""
    if text is None or text == "":
        return None
    if delta_type in ("integer", "long", "short", "byte"):
        return int(text)
    if delta_type in ("float", "double"):
        return float(text)
    if delta_type == "boolean":
        return text == "true"
    if delta_type == "date":
        return datetime.date.fromisoformat(text)
    if delta_type.startswith("decimal"):
        return decimal.Decimal(text)
    if delta_type in ("timestamp", "timestamp_ntz"):
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return text


def normalise_oracle_value(value):
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def oracle_snapshot(path, version=None):
    table = deltalake.DeltaTable(str(path), version=version)
    actions = pa.table(table.get_add_actions(flatten=False)).to_pylist()
    files = {}
    for action in actions:
        partition = {k: normalise_oracle_value(v) for k, v in (action.get("partition") or {}).items()}
        files[action["path"]] = {"size": action["size_bytes"], "partition": partition,
                                 "numRecords": action.get("num_records")}
    return table.version(), json.loads(table.schema().to_json()), files


def compare_with_oracle(source, path, version=None):
    try:
        oracle_version, oracle_schema, oracle_files = oracle_snapshot(path, version)
    except Exception as error:  # noqa: BLE001 - any failure of the oracle leaves nothing to compare against
        pytest.fail(f"deltalake cannot open {path}, which driftgov reads: nothing to compare against ({error})")
    info = driftgov_info(source)
    assert info["version"] == oracle_version
    ours = [(f["name"], f["type"], f["nullable"]) for f in info["schema"]["fields"]]
    theirs = [(f["name"], f["type"], f["nullable"]) for f in oracle_schema["fields"]]
    assert ours == theirs
    types = {f["name"]: f["type"] for f in info["schema"]["fields"]}
    files = {f["path"]: f for f in info["files"]}
    assert sorted(files) == sorted(oracle_files)
    for path_key, expected in oracle_files.items():
        ours = files[path_key]
        assert ours["size"] == expected["size"], path_key
        partition = {k: typed_partition_value(v, types[k] if isinstance(types[k], str) else "")
                     for k, v in ours["partitionValues"].items()}
        assert partition == expected["partition"], path_key
        if expected["numRecords"] is not None:
            assert ours.get("numRecords") == expected["numRecords"], path_key
    return info


GOLDEN_TABLES = sorted(p.name for p in GOLDEN.iterdir() if (p / "_delta_log").is_dir())


@pytest.mark.parametrize("name", GOLDEN_TABLES)
def test_golden_table_snapshot_matches_deltalake(name, driftgov):
    """Each golden table reads equal to deltalake, or is refused with a clear error. Refusals are recorded in
    delta_conformance_outcomes.txt as `table-info/delta-golden/<name> refused`: a refusal not on that list fails (a
    regression on a table that used to read), and so does a listed table that now reads, until the list is updated."""
    path = GOLDEN / name
    key = f"table-info/delta-golden/{name}"
    listed_as_refused = recorded_delta_outcomes().get(key) == "refused"
    result = run_driftgov("table", "info", path, "--json", check=False)
    if result.returncode != 0:
        # Refusals must be clear input errors (exit 2), never crashes or internal errors.
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("driftgov: error: ") and "check failed" not in result.stderr, result.stderr
        assert "Internal" not in result.stderr, result.stderr
        assert listed_as_refused, (f"{name}: refused, but {DELTA_OUTCOMES_FILE.name} does not list `{key} refused`: "
                                   f"{result.stderr.strip()}")
        return
    assert name not in DELTA_MUST_REFUSE, f"{name}: read, but the protocol requires refusing it"
    assert not listed_as_refused, f"{name}: now reads; take `{key}` off the list in {DELTA_OUTCOMES_FILE.name}"
    compare_with_oracle(path, path)


def test_refuses_table_without_log(driftgov, tmp_path):
    result = run_driftgov("table", "info", tmp_path, check=False)
    assert result.returncode == 2
    assert "no _delta_log" in result.stderr


@pytest.fixture()
def written_table(tmp_path):
    """A partitioned table written by deltalake in several commits, with nulls and special characters."""
    path = tmp_path / "written"
    batches = [
        pa.table({"id": pa.array([1, 2, 3], pa.int64()), "part": ["a b", "c/d%e", None],
                  "day": pa.array([datetime.date(2024, 1, 1)] * 3), "x": [0.5, None, 2.5]}),
        pa.table({"id": pa.array([4, 5], pa.int64()), "part": ["a b", "ü=1"],
                  "day": pa.array([datetime.date(2024, 1, 2), None]), "x": [1.0, 2.0]}),
    ]
    deltalake.write_deltalake(str(path), batches[0], partition_by=["part", "day"])
    deltalake.write_deltalake(str(path), batches[1], partition_by=["part", "day"], mode="append")
    deltalake.write_deltalake(str(path), batches[1], partition_by=["part", "day"], mode="overwrite")
    deltalake.write_deltalake(str(path), batches[0], partition_by=["part", "day"], mode="append")
    return path


def test_deltalake_written_table_every_version(written_table, driftgov):
    for version in range(4):
        info = compare_with_oracle(f"{written_table}@v={version}", written_table, version)
        assert info["version"] == version
    latest = compare_with_oracle(written_table, written_table)
    assert latest["version"] == 3


def test_deltalake_checkpoint_and_time_travel_by_timestamp(written_table, driftgov):
    deltalake.DeltaTable(str(written_table)).create_checkpoint()
    compare_with_oracle(written_table, written_table)
    history = json.loads(run_driftgov("table", "history", written_table, "--json").stdout)
    assert [h["version"] for h in history] == [3, 2, 1, 0]
    oracle_history = deltalake.DeltaTable(str(written_table)).history()
    assert sorted(h["version"] for h in oracle_history) == [0, 1, 2, 3]
    assert {h["version"]: h["operation"] for h in history} == {h["version"]: h["operation"] for h in oracle_history}
    # Each commit's own timestamp selects it (latest commit at or before the time).
    for entry in history:
        info = driftgov_info(f"{written_table}@ts={entry['timestamp']}")
        assert info["version"] == entry["version"]
    earliest = history[-1]["timestamp"]
    result = run_driftgov("table", "info", f"{written_table}@ts=2000-01-01T00:00:00Z", check=False)
    assert result.returncode == 2 and "before the earliest" in result.stderr, earliest


def test_missing_version_is_refused(written_table, driftgov):
    result = run_driftgov("table", "info", f"{written_table}@v=99", check=False)
    assert result.returncode == 2
    assert "version 99 does not exist" in result.stderr


# ---- data skipping on decimal stats, judged against a full scan of every file ----

def kept_files(table, column, lower, upper):
    import subprocess
    from conftest import tool_binary

    result = subprocess.run([str(tool_binary("delta_skip_probe")), str(table), column, lower, upper],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def file_values(table, column):
    """Every data file of the latest snapshot (by log path) with the column's non-null values, read in full."""
    import urllib.parse

    import pyarrow.parquet as pq

    actions = pa.table(deltalake.DeltaTable(str(table)).get_add_actions(flatten=True)).to_pylist()
    return {action["path"]: [value for value in pq.read_table(table / urllib.parse.unquote(action["path"]),
                                                                columns=[column]).column(0).to_pylist()
                             if value is not None]
            for action in actions}


def check_skipping(table, column, bounds, exact_stats):
    """Every file holding a row in [lower, upper] is kept; with exact stats, so is no file whose value span misses
    the range. Returns how many (range, file) pairs were skipped."""
    values = file_values(table, column)
    skipped = 0
    for lower, upper in bounds:
        kept = kept_files(table, column, "-" if lower is None else f"{lower:f}", "-" if upper is None else f"{upper:f}")
        assert kept <= set(values)
        for path, held in values.items():
            inside = [v for v in held if (lower is None or v >= lower) and (upper is None or v <= upper)]
            if inside:
                assert path in kept, f"{path} holds {inside[0]} in [{lower}, {upper}] but was skipped"
            elif exact_stats and held and ((lower is not None and max(held) < lower) or
                                           (upper is not None and min(held) > upper)):
                assert path not in kept, f"{path} spans [{min(held)}, {max(held)}], outside [{lower}, {upper}]"
            skipped += path not in kept
    return skipped


def decimal_bounds(values, step):
    """Ranges around every value: the value alone, just above and below it, and open on either side."""
    bounds = [(None, None)]
    with decimal.localcontext() as context:
        context.prec = 60  # the default 28 digits would round decimal(38) bounds
        for value in values:
            bounds += [(value, value), (value + step, None), (None, value - step), (value - step, value + step)]
    return bounds


def test_decimal_stats_skip_files_from_deltalake(tmp_path):
    """deltalake writes decimal stats as JSON numbers rounded to a double: decimal(38,6) values that differ only
    beyond 17 digits must never be skipped wrongly."""
    D = decimal.Decimal
    table = tmp_path / "decimals"
    batches = [[D("-3.50"), D("1.25"), None], [D("1.26"), D("99999999.99")], [D("-99999999.99"), D("-3.51")],
               [D("0.00")]]
    big = [[D("12345678901234567890123.456789"), D("-0.000001")], [D("12345678901234567890123.456790"), None],
           [D("99999999999999999999999999999999.999999"), D("12345678901234567890123.456791")],
           [D("-99999999999999999999999999999999.999999")]]
    for small, large in zip(batches, big):
        large = large + [None] * (len(small) - len(large))
        small = small + [None] * (len(large) - len(small))
        frame = pa.table({"small": pa.array(small, pa.decimal128(10, 2)), "big": pa.array(large, pa.decimal128(38, 6))})
        deltalake.write_deltalake(str(tmp_path / "decimals"), frame, mode="append")
    small_values = [v for batch in batches for v in batch if v is not None]
    big_values = [v for batch in big for v in batch if v is not None]
    assert check_skipping(table, "small", decimal_bounds(small_values, D("0.01")), exact_stats=True) > 0
    assert check_skipping(table, "big", decimal_bounds(big_values, D("0.000001")), exact_stats=False) > 0


def test_decimal_stats_skip_files_driftgov_writes(tmp_path):
    import random

    import pyarrow.parquet as pq

    D = decimal.Decimal
    generator = random.Random(7)
    values = [None if i % 9 == 0 else D(generator.randrange(-10**12, 10**12)).scaleb(-3) for i in range(400)]
    values.sort(key=lambda v: (v is not None, v))
    source = tmp_path / "values.parquet"
    pq.write_table(pa.table({"amount": pa.array(values, pa.decimal128(15, 3))}), source)
    table = tmp_path / "written"
    run_driftgov("table", "write", source, table, "--file-rows", "37")
    present = [v for v in values if v is not None]
    bounds = decimal_bounds(generator.sample(present, 25), D("0.001"))
    assert check_skipping(table, "amount", bounds, exact_stats=True) > 0
