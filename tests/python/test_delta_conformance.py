"""Delta conformance: every kernel-golden table read through `driftgov cat --format jsonl` equals its expected/ rows
(compared as a bag, values normalised by the expected column's Arrow type), or is refused where the corpus README
says a reader must refuse it; every delta-golden table reads or is refused with a clear error. The outcome of each
table is recorded in delta_conformance_outcomes.txt: a table that matched must keep matching, and the refused list
may only shrink (a table that starts to read must be moved out of it)."""
import base64
import datetime
import decimal
import io
import json
import math
import os
import subprocess
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import DELTA_MUST_REFUSE as MUST_REFUSE
from conftest import DELTA_OUTCOMES_FILE as OUTCOMES_FILE
from conftest import conformance_path, recorded_delta_outcomes, run_driftgov

KERNEL = conformance_path("kernel-golden")
GOLDEN = conformance_path("delta-golden")


@pytest.fixture(scope="session")
def kernel_tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernel-golden")
    for archive in sorted(KERNEL.glob("*.tar.zst")):
        unpacked = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
        target = root / archive.name[:-len(".tar.zst")]
        target.mkdir()
        with tarfile.open(fileobj=io.BytesIO(unpacked)) as bundle:
            bundle.extractall(target, filter="data")
    return root


def canonical(value, arrow_type):
    """A comparable form of a value: expected values come from pyarrow, ours from cat's JSON text."""
    if value is None:
        return None
    if pa.types.is_timestamp(arrow_type):
        if isinstance(value, str):
            text = value.rstrip("Z")
            moment = datetime.datetime.fromisoformat(text[:26] if "." in text else text)
        else:
            moment = value.replace(tzinfo=None) if value.tzinfo is None else \
                value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return int((moment - datetime.datetime(1970, 1, 1)) / datetime.timedelta(microseconds=1))
    if pa.types.is_date(arrow_type):
        return value if isinstance(value, str) else value.isoformat()
    if pa.types.is_decimal(arrow_type):
        return str(decimal.Decimal(str(value)).normalize())
    if pa.types.is_floating(arrow_type):
        if isinstance(value, str):
            return value  # NaN and infinities
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float(value) if not pa.types.is_float32(arrow_type) else float(f"{value:.7g}")
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return value if isinstance(value, str) else base64.b64encode(value).decode()  # cat prints base64
    if pa.types.is_struct(arrow_type):
        return {arrow_type.field(i).name: canonical(value.get(arrow_type.field(i).name), arrow_type.field(i).type)
                for i in range(arrow_type.num_fields)}
    if pa.types.is_map(arrow_type):
        items = value.items() if isinstance(value, dict) else value
        result = {}
        for key, item in items:
            if isinstance(value, dict) and not pa.types.is_string(arrow_type.key_type):
                key = json.loads(key)  # cat writes non-string keys as their JSON text
            key_form = canonical(key, arrow_type.key_type)
            result[key_form if isinstance(key_form, str) else json.dumps(key_form)] = canonical(item, arrow_type.item_type)
        return result
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return [canonical(item, arrow_type.value_type) for item in value]
    return value


def expected_rows(folder):
    files = sorted(p for p in folder.glob("*.parquet"))
    table = pa.concat_tables([pq.read_table(p) for p in files]) if files else None
    return table


def bag(rows):
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


def kernel_outcome(table_root):
    name = table_root.name
    delta = table_root / "delta"
    # A folder without _delta_log is still a folder of Parquet files to `cat`; as a Delta table it must be refused.
    command = ("table", "info") if name == "no-delta-log-folder" else ("cat", "--format", "jsonl")
    result = run_driftgov(*command, delta, check=False, timeout=300)
    if result.returncode != 0:
        assert result.returncode == 2, f"{name}: {result.stderr}"
        assert result.stderr.startswith("driftgov: error: ") and "check failed" not in result.stderr, result.stderr
        return "refused", result.stderr.strip()
    if name in MUST_REFUSE:
        return "read-but-must-refuse", ""
    expected = expected_rows(table_root / "expected") if (table_root / "expected").is_dir() else None
    if expected is None:
        return "read", ""
    ours = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    names = expected.column_names
    types = {field.name: field.type for field in expected.schema}
    want = bag({n: canonical(row.get(n), types[n]) for n in names} for row in expected.to_pylist())
    have = bag({n: canonical(row.get(n), types[n]) for n in names} for row in ours)
    if want == have and all(set(row) == set(names) for row in ours):
        return "match", ""
    return "mismatch", f"expected {len(want)} rows, read {len(have)}; first differences: " \
                       f"{sorted(set(want) - set(have))[:2]} vs {sorted(set(have) - set(want))[:2]}"


def check_outcome(key, outcome, detail):
    # To review outcomes after a change, set DRIFTGOV_DELTA_OUTCOMES to a file: each one is appended there too.
    report = os.environ.get("DRIFTGOV_DELTA_OUTCOMES")
    if report:
        with open(report, "a") as out:
            out.write(f"{key} {outcome}  # {detail[:300]}\n")
    recorded = recorded_delta_outcomes().get(key)
    if outcome == "read-but-must-refuse":
        pytest.fail(f"{key}: read, but the protocol requires refusing it")
    if recorded is None:
        pytest.fail(f"{key}: outcome '{outcome}' not recorded in {OUTCOMES_FILE.name} ({detail})")
    if recorded == "refused" and outcome != "refused":
        pytest.fail(f"{key}: now {outcome}; take it off the refused list in {OUTCOMES_FILE.name}")
    assert outcome == recorded, f"{key}: was {recorded}, now {outcome}: {detail}"


KERNEL_NAMES = sorted(p.name[:-len(".tar.zst")] for p in KERNEL.glob("*.tar.zst"))
GOLDEN_NAMES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_kernel_golden_table(name, kernel_tables, driftgov):
    root = kernel_tables / name
    tables = [p for p in root.iterdir() if p.is_dir()]
    assert len(tables) == 1, tables
    outcome, detail = kernel_outcome(tables[0])
    if tables[0].name in MUST_REFUSE:
        assert outcome == "refused", f"{name} must be refused"
    check_outcome(f"kernel-golden/{name}", outcome, detail)


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_delta_golden_table(name, driftgov):
    table = GOLDEN / name
    # A few corpus entries hold their table one folder down (one per time zone, for example).
    nested = sorted(p.parent for p in table.glob("*/_delta_log"))
    if not (table / "_delta_log").exists() and len(nested) == 1:
        table = nested[0]
    command = ("cat", "--format", "jsonl") if (table / "_delta_log").exists() else ("table", "info")
    result = run_driftgov(*command, table, check=False, timeout=300)
    if result.returncode == 0:
        outcome = "read"
        for line in result.stdout.splitlines():
            json.loads(line)
    else:
        assert result.returncode == 2, f"{name}: {result.stderr}"
        assert result.stderr.startswith("driftgov: error: ") and "check failed" not in result.stderr, result.stderr
        outcome = "refused"
    check_outcome(f"delta-golden/{name}", outcome, result.stderr.strip())
