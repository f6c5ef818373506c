"""Throughput of the Python package (docs/benchmarks-python.md): profiling a pandas DataFrame in-process against
`driftgov profile` on the same data written to Parquet, and driftgov.spark.profile on local Spark with 1 and 2
cores against a single-process profile of the same Parquet file.

    .venv/bin/python bench/python_bench.py [--rows 1000000] [--repeat 3] [--package-root build/release/python]

Prints one line per measurement: the best wall time of `--repeat` runs and values (rows x columns) per second.
Spark runs in a child process per core count (a JVM's master is fixed when it starts); its start is not timed.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = 20


def make_frame(rows, seed=1):
    """12 float, 4 integer and 4 string columns, a few nulls in each kind."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {}
    for i in range(12):
        values = rng.normal(100 * i, 10 + i, rows)
        values[rng.random(rows) < 0.01] = np.nan
        data[f"f{i}"] = values
    for i in range(4):
        data[f"i{i}"] = pd.array(rng.integers(0, 1000 * (i + 1), rows), dtype="Int64")
    for i in range(4):
        data[f"s{i}"] = pd.Categorical.from_codes(rng.integers(0, 20 * (i + 1), rows),
                                                  [f"v{j}" for j in range(20 * (i + 1))]).astype(str)
    return pd.DataFrame(data)


def best(repeat, run):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def report(what, seconds, rows, extra=""):
    print(f"{what:<58} {seconds:8.3f} s  {rows * COLUMNS / seconds / 1e6:8.2f} M values/s{extra}", flush=True)


def spark_child(arguments):
    """Runs in the child: profiles the Parquet file on local[cores] and prints the best time as JSON."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    sys.path.insert(0, arguments.package_root)
    import driftgov.spark
    from pyspark.sql import SparkSession

    size = os.path.getsize(arguments.parquet)
    session = (SparkSession.builder.master(f"local[{arguments.spark_cores}]").appName("driftgov-python-bench")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.memory", "2g")
               .config("spark.sql.files.maxPartitionBytes", str(max(1, size // 8)))  # 8 row groups: 8 partitions
               .config("spark.executorEnv.PYTHONPATH", arguments.package_root).getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    frame = session.read.parquet(arguments.parquet)
    partitions = frame.rdd.getNumPartitions()
    driftgov.spark.profile(frame)  # warm the Python workers
    seconds = best(arguments.repeat, lambda: driftgov.spark.profile(frame))
    print(json.dumps({"seconds": seconds, "partitions": partitions}))
    session.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--package-root", default=str(ROOT / "build" / "release" / "python"))
    parser.add_argument("--cli", default=str(ROOT / "build" / "release" / "driftgov"))
    parser.add_argument("--spark-cores", default="1,2", help="core counts for Spark, or '' to skip Spark")
    parser.add_argument("--parquet", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.parquet:
        arguments.spark_cores = int(arguments.spark_cores)
        spark_child(arguments)
        return

    sys.path.insert(0, arguments.package_root)
    import driftgov
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = arguments.rows
    frame = make_frame(rows)
    print(f"{rows} rows x {COLUMNS} columns; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        parquet = os.path.join(folder, "data.parquet")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet, row_group_size=-(-rows // 8))
        for threads in (1, 0):
            label = "1 thread" if threads == 1 else "all cores"
            seconds = best(arguments.repeat, lambda: driftgov.profile(frame, threads=threads))
            report(f"driftgov.profile(pandas DataFrame), {label}", seconds, rows)
            output = os.path.join(folder, "profile.json")
            command = [arguments.cli, "profile", parquet, "-o", output, "--threads", str(threads)]
            seconds = best(arguments.repeat, lambda: subprocess.run(command, check=True, capture_output=True))
            report(f"driftgov profile data.parquet (CLI), {label}", seconds, rows)
        single = best(arguments.repeat, lambda: driftgov.profile(pq.read_table(parquet), threads=1))
        report("driftgov.profile(pyarrow.parquet.read_table(...)), 1 thread", single, rows)
        for cores in [int(c) for c in arguments.spark_cores.split(",") if c]:
            child = subprocess.run([sys.executable, __file__, "--parquet", parquet, "--spark-cores", str(cores),
                                    "--repeat", str(arguments.repeat), "--package-root", arguments.package_root],
                                   check=True, capture_output=True, text=True)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            report(f"driftgov.spark.profile, local[{cores}], {result['partitions']} partitions", result["seconds"],
                   rows, f"  ({result['seconds'] / single:.2f} x single-process 1 thread)")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"peak resident memory of the driver process: {usage.ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
