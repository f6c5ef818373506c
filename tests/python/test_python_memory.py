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
rng = np.random.default_rng(5)
table = pa.table({f"c{i}": pa.array(rng.normal(i, 1.0 + i, rows)) for i in range(columns)})
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


@pytest.mark.skipif(not clear_refs_works(), reason="needs Linux /proc/self/clear_refs to reset the peak RSS")
@pytest.mark.parametrize("threads", [1, 2])
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
