"""Cost of merging partial profiles on a driver, against profile size (docs/benchmarks-python.md, Spark scaling).

    .venv/bin/python bench/merge_bench.py [--rows 200000] [--repeat 7] [--partials 64] \
        [--package-root build/release/python]

driftgov.spark.profile sends one partial profile per partition (and group) to the driver as bytes
(Profile.to_bytes) and merges them there one by one (Profile.from_bytes, then Profile.merge). This measures, for
profiles of several shapes, each partial built from `--rows` rows (enough to fill the quantile sketches, so that
the size no longer grows with the rows):

- the serialised size of one partial;
- to_bytes, from_bytes and merge of one partial into the running result (merge returns a new profile, as the
  driver uses it), medians of `--repeat` runs, CPU seconds;
- the driver's whole loop over `--partials` partials (from_bytes and merge each), to check that it is linear;
- profiling the `--rows` rows themselves (one thread, no exact sample, as a Spark task does), for the ratio of a
  partial's merge to the work that made it.

Shapes: the benchmark frame (bench/python_bench.py: 12 float, 4 integer and 4 string columns of 20 to 80
values) at sketch_k 200 (the default) and 800; the same with 1,000 and 10,000 values per string column; and five
times as many columns. Prints one JSON object per shape.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from python_bench import make_frame  # noqa: E402


def frame(rows, seed, categories=None, copies=1):
    """The benchmark frame; string columns of `categories` values each when given; its columns `copies` times."""
    import numpy as np
    import pandas as pd

    base = make_frame(rows, seed)
    if categories:
        rng = np.random.default_rng(seed + 100)
        labels = np.array([f"value-{j}" for j in range(categories)], dtype=object)
        for name in [c for c in base.columns if c[0] == "s"]:
            base[name] = labels[rng.integers(0, categories, rows)]
    if copies > 1:
        base = pd.concat([base.add_suffix(f"_{copy}") for copy in range(copies)], axis=1)
    return base


def cpu_median(repeat, run):
    run()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times)


def measure(driftgov, name, rows, repeat, partials, sketch_k, categories=None, copies=1):
    import pyarrow as pa

    # Two partials of different rows: merging a profile with itself would find every category already there.
    tables = [pa.Table.from_pandas(frame(rows, seed, categories, copies), preserve_index=False) for seed in (1, 2)]
    first, second = (driftgov.profile(table, sketch_k=sketch_k, threads=1) for table in tables)
    data = second.to_bytes()
    document = json.loads(data)
    counts = [len(c["categorical"]["counts"]) for c in document["columns"] if "categorical" in c]
    result = {
        "shape": name, "columns": len(document["columns"]), "sketch_k": sketch_k,
        "categories_per_string_column": max(counts) if counts else 0, "rows_per_partial": rows,
        "partial_bytes": len(data),
        "profile_rows_s": cpu_median(max(1, repeat // 3),
                                     lambda: driftgov.profile(tables[1], sketch_k=sketch_k, threads=1)),
        "to_bytes_s": cpu_median(repeat, second.to_bytes),
        "from_bytes_s": cpu_median(repeat, lambda: driftgov.Profile.from_bytes(data)),
        "merge_s": cpu_median(repeat, lambda: first.merge(second)),
    }

    def driver_loop():
        merged = driftgov.Profile.from_bytes(data)
        for _ in range(partials - 1):
            merged = merged.merge(driftgov.Profile.from_bytes(data))
        return merged

    result["partials"] = partials
    result["driver_loop_s"] = cpu_median(max(1, repeat // 3), driver_loop)
    result["per_partial_s"] = result["driver_loop_s"] / partials
    print(json.dumps(result), flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--partials", type=int, default=64)
    parser.add_argument("--package-root", default=str(ROOT / "build" / "release" / "python"))
    arguments = parser.parse_args()
    sys.path.insert(0, arguments.package_root)
    import os

    import driftgov

    print(f"driftgov {driftgov.__version__}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)
    shapes = [("benchmark frame", 200, None, 1), ("benchmark frame, sketch_k 800", 800, None, 1),
              ("1,000 values per string column", 200, 1000, 1), ("10,000 values per string column", 200, 10000, 1),
              ("100 columns", 200, None, 5)]
    for name, sketch_k, categories, copies in shapes:
        measure(driftgov, name, arguments.rows, arguments.repeat, arguments.partials, sketch_k, categories, copies)


if __name__ == "__main__":
    main()
