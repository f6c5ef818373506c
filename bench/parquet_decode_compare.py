"""Writes the Parquet decode benchmark files, times pyarrow reading them single-threaded, runs
parquet_decode_bench on the same files and prints both, with the ratio.

Usage: python bench/parquet_decode_compare.py BUILD_DIR [FOLDER]
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 5_000_000


def write_files(folder):
    rng = np.random.default_rng(2026)
    os.makedirs(folder, exist_ok=True)
    words = np.array([f"category-{i:04d}" for i in range(1000)])
    pq.write_table(pa.table({"value": rng.normal(0, 1, ROWS)}), f"{folder}/double.parquet",
                   compression="snappy", use_dictionary=False)
    pq.write_table(pa.table({"label": words[rng.integers(0, len(words), ROWS)]}),
                   f"{folder}/dictionary_string.parquet", compression="snappy", use_dictionary=True)
    values = rng.integers(-10**12, 10**12, ROWS)
    mask = rng.random(ROWS) < 0.2
    pq.write_table(pa.table({"amount": pa.array(values, mask=mask)}), f"{folder}/nullable_int64.parquet",
                   compression="snappy", use_dictionary=False)


def time_pyarrow(path, repeats=7):
    """Best of `repeats`, in milliseconds of wall time and of CPU time (the machine may be shared)."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        pq.read_table(path, use_threads=False, pre_buffer=False)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall * 1000, best_cpu * 1000


def main():
    build_dir = sys.argv[1]
    folder = sys.argv[2] if len(sys.argv) > 2 else "/tmp/driftgov-parquet-bench"
    write_files(folder)
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    result = subprocess.run([f"{build_dir}/bench/parquet_decode_bench", "--benchmark_format=json",
                             "--benchmark_min_time=1"], capture_output=True, text=True, check=True,
                            env={**os.environ, "DRIFTGOV_PARQUET_BENCH_DIR": folder})
    ours = {b["name"]: (b["real_time"], b["cpu_time"]) for b in json.loads(result.stdout)["benchmarks"]}
    print(f"{'file':<28} {'driftgov wall/cpu ms':>22} {'pyarrow wall/cpu ms':>22} {'cpu ratio':>10}")
    for name, benchmark in (("double.parquet", "BM_ReadDoubleColumn"),
                            ("dictionary_string.parquet", "BM_ReadDictionaryStringColumn"),
                            ("nullable_int64.parquet", "BM_ReadNullableInt64Column")):
        wall, cpu = ours[benchmark]
        their_wall, their_cpu = time_pyarrow(f"{folder}/{name}")
        print(f"{name:<28} {wall:>10.1f} / {cpu:>9.1f} {their_wall:>10.1f} / {their_cpu:>9.1f} {cpu / their_cpu:>10.2f}")


if __name__ == "__main__":
    main()
