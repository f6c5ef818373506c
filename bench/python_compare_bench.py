"""driftgov.compare against Evidently's DataDriftPreset on the same pandas DataFrames already in memory, side by
side in one process (docs/benchmarks-python.md). Runs in .venv-bench (bench/setup-bench.sh), which has Evidently;
driftgov is imported from the release build.

    .venv-bench/bin/python bench/python_compare_bench.py [--rows 20000,200000] [--repeat 3] \
        [--package-root build/release/python]

Each library runs `--repeat` times (after one untimed warm-up run each, which loads their code); the figures are the
medians of CPU time (time.process_time: every thread of the process) and of wall time, and the ratio of the CPU
medians. The data is bench/python_bench.py's frame (12 float columns with NaN, 4 nullable integer, 4 string
columns), the current side drawn with another seed and 4 float, 1 integer and 1 string column shifted.
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from python_bench import COLUMNS, make_frame  # noqa: E402


def make_sides(rows):
    import numpy as np
    import pandas as pd

    reference = make_frame(rows, seed=1)
    current = make_frame(rows, seed=2)
    for i in range(4):
        current[f"f{i}"] = current[f"f{i}"] + 0.3 * (10 + i)  # 0.3 standard deviations
    current["i0"] = current["i0"] + 50
    rng = np.random.default_rng(3)
    # A fifth of s0's rows move to its first value.
    moved = rng.random(rows) < 0.2
    current["s0"] = pd.Series(np.where(moved, "v0", current["s0"].to_numpy(dtype=object)), dtype=object)
    return reference, current


def measure(repeat, run):
    run()  # warm-up: imports, code pages, allocator
    cpu, wall = [], []
    result = None
    for _ in range(repeat):
        begin_cpu, begin_wall = time.process_time(), time.perf_counter()
        result = run()
        cpu.append(time.process_time() - begin_cpu)
        wall.append(time.perf_counter() - begin_wall)
    return {"cpu": statistics.median(cpu), "wall": statistics.median(wall), "cpu_runs": cpu}, result


def evidently_drifted(snapshot_dict):
    """The columns Evidently's report calls drifted, read as bench/evidently_drift.py reads them."""
    drifted = []
    for metric in snapshot_dict.get("metrics", []):
        config = metric.get("config", {})
        value = metric.get("value")
        column, threshold = config.get("column"), config.get("threshold")
        if column is not None and isinstance(value, (int, float)) and threshold is not None:
            is_pvalue = "p_value" in str(config.get("method", ""))
            if (value < threshold) if is_pvalue else (value >= threshold):
                drifted.append(column)
    return sorted(set(drifted))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="20000,200000", help="rows of each side; a list runs each size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--package-root", default=str(ROOT / "build" / "release" / "python"))
    arguments = parser.parse_args()
    sys.path.insert(0, arguments.package_root)
    for rows in [int(value) for value in arguments.rows.split(",")]:
        compare_once(rows, arguments.repeat)


def compare_once(rows, repeat):
    import driftgov
    import evidently
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    reference, current = make_sides(rows)
    numeric = [c for c in reference.columns if c[0] in "fi"]
    categorical = [c for c in reference.columns if c[0] == "s"]
    print(f"{rows} rows a side x {COLUMNS} columns; driftgov {driftgov.__version__}, Evidently "
          f"{evidently.__version__}, pandas {pd.__version__}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores", flush=True)

    def run_driftgov():
        return driftgov.compare(reference, current)

    def run_evidently():
        # As the library documents it: the column roles declared, the report run and turned into a dict (so that
        # every metric is computed).
        definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
        snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(current, data_definition=definition),
                                                   Dataset.from_pandas(reference, data_definition=definition))
        return snapshot.dict()

    ours, result = measure(repeat, run_driftgov)
    print(f"  driftgov.compare(reference, current)         CPU {ours['cpu']:8.3f} s  wall {ours['wall']:8.3f} s",
          flush=True)
    theirs, snapshot = measure(repeat, run_evidently)
    print(f"  Evidently Report([DataDriftPreset()]).run    CPU {theirs['cpu']:8.3f} s  wall {theirs['wall']:8.3f} s",
          flush=True)
    print(f"  ratio of CPU medians (Evidently / driftgov): {theirs['cpu'] / ours['cpu']:.1f}x; "
          f"wall: {theirs['wall'] / ours['wall']:.1f}x")
    ours_drifted = sorted(name for name, column in result.columns.items() if column.get("drifted"))
    print(f"  drifted columns: driftgov {ours_drifted}; Evidently {evidently_drifted(snapshot)}")
    print("  " + json.dumps({"rows": rows, "driftgov": ours, "evidently": theirs,
                             "cpu_ratio": theirs["cpu"] / ours["cpu"]}), flush=True)

if __name__ == "__main__":
    main()
