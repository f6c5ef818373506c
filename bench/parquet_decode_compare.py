"""Parquet decode throughput of driftgov against pyarrow, single-threaded, on the same files in one run.

Writes three files of 5,000,000 rows (a double column, a dictionary-encoded string column, a nullable int64
column) and one of 1,000,000 rows holding a nullable struct shaped like a Delta checkpoint's add action (a unique
path string, two int64 fields, a JSON stats string, and one struct in five null as the checkpoint's other actions
leave it); snappy, pyarrow's default pages and row groups. Runs bench/parquet_decode_bench on them and times
pyarrow reading them, then prints CPU-time and wall-time medians and the CPU-time ratio driftgov / pyarrow.

Both sides do the same work: open the file, read its footer, decode every row group of the column into memory
(driftgov into core columns; pyarrow into Arrow arrays through pq.ParquetFile(path).read(use_threads=False),
its most direct whole-file read, a few milliseconds cheaper than pq.read_table's dataset layer, with pre_buffer
off, one CPU thread and one I/O thread, dictionary strings materialised as strings, not kept as a dictionary). The file is in the page cache for both. driftgov is reported twice: reading each row group into a new
batch (fresh allocations, which glibc takes from new pages the kernel must fault in), and reading into one reused
batch (the steady state of a scanner; pyarrow's allocator keeps freed memory between reads, so its repeated reads
are in that state too).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 5_000_000
FILES = (
    ("double.parquet", "BM_ReadDoubleColumn"),
    ("dictionary_string.parquet", "BM_ReadDictionaryStringColumn"),
    ("nullable_int64.parquet", "BM_ReadNullableInt64Column"),
    ("struct.parquet", "BM_ReadStructColumn"),
)
STRUCT_ROWS = 1_000_000


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
    size = rng.integers(1000, 10**9, STRUCT_ROWS)
    stats = [f'{{"numRecords":{n},"minValues":{{"id":{n * 7}}},"maxValues":{{"id":{n * 9}}}}}'
             for n in rng.integers(1, 10**6, STRUCT_ROWS)]
    add = pa.StructArray.from_arrays(
        [pa.array([f"part-{i:07d}-{i * 7919 % 1000003:07d}-c000.snappy.parquet" for i in range(STRUCT_ROWS)]),
         pa.array(size), pa.array(1_700_000_000_000 + np.arange(STRUCT_ROWS)), pa.array(stats)],
        names=["path", "size", "modificationTime", "stats"], mask=pa.array(rng.random(STRUCT_ROWS) < 0.2))
    pq.write_table(pa.table({"add": add}), f"{folder}/struct.parquet", compression="snappy")


def read_with_pyarrow(path):
    return pq.ParquetFile(path, pre_buffer=False).read(use_threads=False)


def time_pyarrow(path, repetitions):
    """Medians over `repetitions` reads (after one warm-up read), in milliseconds of wall and CPU time."""
    read_with_pyarrow(path)
    walls, cpus = [], []
    for _ in range(repetitions):
        wall, cpu = time.perf_counter(), time.process_time()
        table = read_with_pyarrow(path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        del table
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def time_driftgov(build_dir, folder, repetitions, min_time):
    """Medians per benchmark name, in milliseconds of wall and CPU time."""
    result = subprocess.run([f"{build_dir}/bench/parquet_decode_bench", "--benchmark_format=json",
                             f"--benchmark_repetitions={repetitions}", f"--benchmark_min_time={min_time}",
                             "--benchmark_report_aggregates_only=true"],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "DRIFTGOV_PARQUET_BENCH_DIR": folder})
    medians = {}
    for entry in json.loads(result.stdout)["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            assert entry["time_unit"] == "ms", entry["time_unit"]
            medians[entry["run_name"]] = (entry["real_time"], entry["cpu_time"])
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir", help="build folder holding bench/parquet_decode_bench "
                        "(configured with -DDRIFTGOV_BUILD_BENCHMARKS=ON)")
    parser.add_argument("folder", nargs="?", default="/tmp/driftgov-parquet-bench",
                        help="where the files are written (default %(default)s)")
    parser.add_argument("--repetitions", type=int, default=9,
                        help="timed repetitions per file and side; medians are reported (default %(default)s)")
    parser.add_argument("--min-time", default="0.5",
                        help="Google Benchmark minimum time per driftgov repetition, seconds (default %(default)s)")
    args = parser.parse_args()

    write_files(args.folder)
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    load_before = os.getloadavg()
    ours = time_driftgov(args.build_dir, args.folder, args.repetitions, args.min_time)
    theirs = {name: time_pyarrow(f"{args.folder}/{name}", args.repetitions) for name, _ in FILES}
    load_after = os.getloadavg()

    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, pyarrow {pa.__version__} ({pa.default_memory_pool().backend_name} pool), "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; medians of {args.repetitions}")
    print()
    print("| file | driftgov, new batch: wall / CPU ms | driftgov, reused batch: wall / CPU ms "
          "| pyarrow: wall / CPU ms | CPU ratio, new batch | CPU ratio, reused batch |")
    print("|---|---|---|---|---|---|")
    for name, benchmark in FILES:
        fresh_wall, fresh_cpu = ours[benchmark]
        reused_wall, reused_cpu = ours[benchmark + "Reusing"]
        their_wall, their_cpu = theirs[name]
        print(f"| {name} | {fresh_wall:.1f} / {fresh_cpu:.1f} | {reused_wall:.1f} / {reused_cpu:.1f} "
              f"| {their_wall:.1f} / {their_cpu:.1f} | {fresh_cpu / their_cpu:.2f} | {reused_cpu / their_cpu:.2f} |")


if __name__ == "__main__":
    main()
