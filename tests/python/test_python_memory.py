"""Memory of in-process profiling (docs/python.md, "Memory"): the Arrow import does not hold a copy of the data.
A 1 GiB pyarrow table (16 float64 columns x 8M rows, one chunk each, so one 8M-row batch of the Arrow stream) is
profiled in a fresh process; the peak resident memory during the call, measured by the kernel (VmHWM after
resetting it through /proc/self/clear_refs once the table is built), may exceed the resident memory before the call
by less than 100 MiB."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from python_package import PACKAGE_ROOT

LIMIT = 100 << 20

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import pyarrow as pa
import driftgov

def status(field):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field + " missing from /proc/self/status")

rows, columns = 8 << 20, 16
# Distinct values per column, cheap to build (random numbers would cost more time than the profiling).
table = pa.table({f"c{i}": pa.array(np.arange(rows, dtype=np.float64) * (i + 1) - i) for i in range(columns)})
# A first, small call loads everything a call needs once (code pages, thread stacks, allocator arenas).
driftgov.profile(table.slice(0, 1000))
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # resets VmHWM to the current VmRSS
before = status("VmRSS")
profile = driftgov.profile(table, threads=int(sys.argv[2]))
peak = status("VmHWM")
stats = {column["name"]: column for column in json.loads(profile.to_bytes())["columns"]}
print(json.dumps({"table": table.nbytes, "before": before, "peak": peak,
                  "rows": [stats[f"c{i}"]["count"] for i in range(columns)],
                  "means": [stats[f"c{i}"]["numeric"]["mean"] for i in range(columns)],
                  "expected_means": [float(table.column(i).to_numpy().mean()) for i in range(columns)]}))
"""


def clear_refs_works():
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return Path("/proc/self/status").read_text().count("VmHWM") == 1
    except OSError:
        return False


@pytest.mark.interop  # 1 GiB of data, about 10 s
@pytest.mark.skipif(not clear_refs_works(), reason="needs Linux /proc/self/clear_refs to reset the peak RSS")
@pytest.mark.parametrize("threads", [0, 2])  # the default (one worker per core but one), and two workers
def test_profiling_a_1_gib_table_adds_less_than_100_mib(threads):
    completed = subprocess.run([sys.executable, "-c", CHILD, str(PACKAGE_ROOT), str(threads)], capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["table"] == 16 * (8 << 20) * 8  # 1 GiB of values, no validity buffers
    assert report["rows"] == [8 << 20] * 16
    assert report["means"] == pytest.approx(report["expected_means"], rel=1e-9)
    growth = report["peak"] - report["before"]
    assert growth < LIMIT, f"profiling raised the peak RSS by {growth / 2**20:.1f} MiB"


def test_sliced_import_equals_pyarrow_on_every_fixed_width_type():
    """A batch longer than a slice (several slices, an Arrow offset, nulls falling in every slice or in none) gives
    the counts, nulls, means, minima and maxima pyarrow.compute gives for each type the bulk import converts."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from python_package import driftgov

    rows = 300_000
    rng = np.random.default_rng(17)
    mask = rng.random(rows) < 0.1
    mask[150_000:] = False  # the later slices have no null although the array has some
    table = pa.table({
        "float64": pa.array(rng.normal(5, 2, rows), mask=mask),
        "float32": pa.array(rng.normal(-3, 1, rows).astype(np.float32)),
        "int8": pa.array(rng.integers(-128, 128, rows).astype(np.int8), mask=mask),
        "int16": pa.array(rng.integers(-30000, 30000, rows).astype(np.int16)),
        "int32": pa.array(rng.integers(-2**31, 2**31 - 1, rows).astype(np.int32), mask=mask),
        "int64": pa.array(rng.integers(-2**40, 2**40, rows)),
        "uint8": pa.array(rng.integers(0, 256, rows).astype(np.uint8)),
        "uint16": pa.array(rng.integers(0, 65536, rows).astype(np.uint16), mask=mask),
        "uint32": pa.array(rng.integers(0, 2**32, rows).astype(np.uint32)),
        "date32": pa.array(rng.integers(0, 20000, rows).astype(np.int32), pa.int32()).cast(pa.date32()),
        "timestamp_us": pa.array(rng.integers(0, 2**50, rows), pa.int64()).cast(pa.timestamp("us")),
        "timestamp_s": pa.array(rng.integers(0, 2**31, rows), pa.int64()).cast(pa.timestamp("s")),
    }).slice(12_345)
    profile = driftgov.profile(table)
    columns = {column["name"]: column for column in json.loads(profile.to_bytes())["columns"]}
    assert profile.row_count == table.num_rows
    for name in table.column_names:
        values = table.column(name)
        if pa.types.is_temporal(values.type):
            # Profiles hold dates as days and timestamps as microseconds since the epoch (docs/profiles.md).
            scale = {"date32[day]": 1, "timestamp[s]": 1_000_000, "timestamp[us]": 1}[str(values.type)]
            values = pc.multiply(values.cast(pa.int32() if scale == 1 and pa.types.is_date32(values.type)
                                             else pa.int64()), scale)
        numeric = columns[name]["numeric"]
        assert columns[name]["count"] == len(values), name
        assert columns[name]["null_count"] == values.null_count, name
        assert numeric["min"] == pc.min(values).as_py(), name
        assert numeric["max"] == pc.max(values).as_py(), name
        expected_mean = float(np.mean(values.drop_null().to_numpy().astype(np.float64)))
        assert numeric["mean"] == pytest.approx(expected_mean, rel=1e-9), name
