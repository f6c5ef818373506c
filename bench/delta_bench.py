"""Delta benchmarks, driftgov and deltalake (delta-rs) side by side on the same machine in one run:

1. Snapshot load of a table whose log holds 100,000 add actions (100 commits of 1,000 adds, written directly as
   commit JSON), without a checkpoint and with one (written by driftgov at version 100, read by both).
   driftgov: `driftgov table info TABLE` as a fresh process (it loads the whole snapshot).
   deltalake: `DeltaTable(TABLE)` plus its file list, in this process (no interpreter start counted), and the same
   as a fresh `python -c` process for a like-for-like process comparison.
2. Append throughput: 30 sequential small appends (1,000 rows each) to a new table, and one append of 1,000,000
   rows; both engines take the same Parquet input file (driftgov through the CLI; deltalake reads it with pyarrow
   then calls write_deltalake).

Reports medians of --repetitions runs, CPU time (user + system, this process and its children) and wall time, and
the CPU ratio driftgov / deltalake (below 1: driftgov cheaper).
Usage: python bench/delta_bench.py [--driftgov build/release/driftgov] [--repetitions 5] [--work DIR]
"""
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

ADDS_PER_COMMIT = 1000
COMMITS = 100
SCHEMA_STRING = json.dumps({"type": "struct", "fields": [
    {"name": "id", "type": "long", "nullable": True, "metadata": {}},
    {"name": "value", "type": "double", "nullable": True, "metadata": {}}]})


def write_large_log(table):
    """100 commits of 1,000 adds each, with per-file stats as writers record them. The files are never opened by a
    snapshot load, so they do not exist."""
    log = table / "_delta_log"
    log.mkdir(parents=True)
    now = int(time.time() * 1000)
    for version in range(COMMITS):
        lines = [json.dumps({"commitInfo": {"timestamp": now + version, "operation": "WRITE",
                                            "operationParameters": {"mode": "Append"}, "isBlindAppend": True}})]
        if version == 0:
            lines.append(json.dumps({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}))
            lines.append(json.dumps({"metaData": {"id": str(uuid.uuid4()), "format": {"provider": "parquet",
                                                                                      "options": {}},
                                                  "schemaString": SCHEMA_STRING, "partitionColumns": [],
                                                  "configuration": {}, "createdTime": now}}))
        for index in range(ADDS_PER_COMMIT):
            number = version * ADDS_PER_COMMIT + index
            stats = {"numRecords": 100, "minValues": {"id": number * 100, "value": -1.5},
                     "maxValues": {"id": number * 100 + 99, "value": 1.5}, "nullCount": {"id": 0, "value": 3}}
            lines.append(json.dumps({"add": {"path": f"part-{number:05d}-{uuid.uuid4()}-c000.snappy.parquet",
                                             "partitionValues": {}, "size": 4096, "modificationTime": now,
                                             "dataChange": True, "stats": json.dumps(stats)}}))
        (log / f"{version:020d}.json").write_text("\n".join(lines) + "\n")


def cpu_seconds():
    """CPU time (user + system) of this process and its finished children: on a shared, loaded machine this is
    the figure to compare; wall time is reported beside it."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Timing:
    def __init__(self, wall, cpu):
        self.wall, self.cpu = wall, cpu

    def __str__(self):
        return f"{self.cpu:.3f} / {self.wall:.3f}"


def median_seconds(action, repetitions):
    walls, cpus = [], []
    for _ in range(repetitions):
        started, started_cpu = time.perf_counter(), cpu_seconds()
        action()
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_seconds() - started_cpu)
    return Timing(statistics.median(walls), statistics.median(cpus))


def run(command):
    subprocess.run(command, check=True, capture_output=True)


def deltalake_load(table):
    loaded = DeltaTable(str(table))
    return len(loaded.file_uris())


DELTALAKE_PROCESS = "import sys; from deltalake import DeltaTable; print(len(DeltaTable(sys.argv[1]).file_uris()))"


def snapshot_benchmarks(driftgov, work, repetitions):
    plain = work / "log-100k"
    write_large_log(plain)
    # driftgov appends version 100 and, at its default interval of 10, checkpoints it.
    checkpointed = work / "log-100k-checkpoint"
    shutil.copytree(plain, checkpointed)
    row = work / "row.parquet"
    pq.write_table(pa.table({"id": pa.array([1], pa.int64()), "value": pa.array([0.5])}), row)
    run([driftgov, "table", "write", row, checkpointed, "--mode", "append"])
    assert (checkpointed / "_delta_log" / f"{COMMITS:020d}.checkpoint.parquet").exists()
    results = []
    for name, table, files in [("100k adds, JSON commits only", plain, COMMITS * ADDS_PER_COMMIT),
                               ("100k adds, checkpoint at v100", checkpointed, COMMITS * ADDS_PER_COMMIT + 1)]:
        info = subprocess.run([driftgov, "table", "info", table], check=True, capture_output=True, text=True).stdout
        assert f"files       {files} " in info, info
        assert deltalake_load(table) == files
        results.append({
            "case": name,
            "driftgov process": median_seconds(lambda: run([driftgov, "table", "info", table]), repetitions),
            "deltalake in-process": median_seconds(lambda: deltalake_load(table), repetitions),
            "deltalake process": median_seconds(lambda: run([sys.executable, "-c", DELTALAKE_PROCESS, table]),
                                                repetitions),
        })
    return results


def append_benchmarks(driftgov, work, repetitions):
    small = work / "small.parquet"
    pq.write_table(pa.table({"id": pa.array(range(1000), pa.int64()),
                             "value": pa.array([i * 0.25 for i in range(1000)])}), small)
    large = work / "large.parquet"
    pq.write_table(pa.table({"id": pa.array(range(1_000_000), pa.int64()),
                             "value": pa.array([i * 0.25 for i in range(1_000_000)]),
                             "label": pa.array([f"label-{i % 97}" for i in range(1_000_000)])}), large)
    appends = 30

    def driftgov_appends():
        table = work / f"dg-{uuid.uuid4()}"
        for _ in range(appends):
            run([driftgov, "table", "write", small, table, "--mode", "append"])

    def deltalake_appends():
        table = work / f"dl-{uuid.uuid4()}"
        for _ in range(appends):
            write_deltalake(str(table), pq.read_table(small), mode="append")

    def driftgov_large():
        run([driftgov, "table", "write", large, work / f"dg-{uuid.uuid4()}"])

    def deltalake_large():
        write_deltalake(str(work / f"dl-{uuid.uuid4()}"), pq.read_table(large))

    return [
        {"case": f"{appends} appends of 1,000 rows", "driftgov": median_seconds(driftgov_appends, repetitions),
         "deltalake": median_seconds(deltalake_appends, repetitions)},
        {"case": "one append of 1,000,000 rows", "driftgov": median_seconds(driftgov_large, repetitions),
         "deltalake": median_seconds(deltalake_large, repetitions)},
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--driftgov", default="build/release/driftgov")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one, removed after)")
    args = parser.parse_args()
    driftgov = str(Path(args.driftgov).resolve())
    work = Path(args.work or tempfile.mkdtemp(prefix="driftgov-delta-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        import deltalake

        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
              f"deltalake {deltalake.__version__}; median of {args.repetitions}")
        print("\nSeconds, CPU (user+sys) / wall; ratio = driftgov CPU / deltalake CPU (below 1: driftgov cheaper)")
        print("\nSnapshot load")
        for row in snapshot_benchmarks(driftgov, work, args.repetitions):
            print(f"  {row['case']:<32} driftgov process {row['driftgov process']}   deltalake process "
                  f"{row['deltalake process']}   ratio {row['driftgov process'].cpu / row['deltalake process'].cpu:.2f}"
                  f"   deltalake in-process {row['deltalake in-process']}")
        print("\nAppends")
        for row in append_benchmarks(driftgov, work, args.repetitions):
            print(f"  {row['case']:<32} driftgov {row['driftgov']}   deltalake {row['deltalake']}   ratio "
                  f"{row['driftgov'].cpu / row['deltalake'].cpu:.2f}")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
