"""pyarrow writing the same data as bench/parquet_encode_bench.cpp, single-threaded, for comparison.

    python bench/parquet_encode_pyarrow.py [--repeat 7]

The options match driftgov's writer defaults: v1 data pages, dictionary for strings only, 1Mi-row row groups,
1 MiB pages, statistics on. Prints the best time of --repeat runs per column and codec, and MB/s over the
in-memory value bytes (8 per double or int64, the string bytes), as the C++ benchmark counts them.
"""
import argparse
import os
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 1 << 20


def columns():
    index = np.arange(ROWS, dtype=np.int64)
    doubles = np.sin(index.astype(np.float64)) * 1000.0
    labels = [f"category-{i * 7919 % 1000}" for i in range(ROWS)]
    counts = pa.array(index * 2654435761 % 1000000000, mask=(index % 10 == 3))
    label_array = pa.array(labels, pa.string())
    return {
        "value": (pa.table({"value": pa.array(doubles)}), ROWS * 8),
        "label": (pa.table({"label": label_array}), sum(len(label) for label in labels)),
        "count": (pa.table({"count": counts}), ROWS * 8),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    directory = "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp"
    path = os.path.join(directory, f"pyarrow-encode-{os.getpid()}.parquet")
    for name, (table, value_bytes) in columns().items():
        for codec in ("none", "snappy", "zstd"):
            best = float("inf")
            for _ in range(args.repeat):
                start = time.process_time()
                pq.write_table(table, path, compression=codec, use_dictionary=(name == "label"),
                               data_page_version="1.0", row_group_size=ROWS, data_page_size=1 << 20,
                               write_statistics=True)
                best = min(best, time.process_time() - start)
            size = os.path.getsize(path)
            print(f"pyarrow {name:<6} {codec:<7} {best * 1000:8.2f} ms  {value_bytes / best / 1e6:8.1f} MB/s  "
                  f"file {size} bytes")
    os.remove(path)


if __name__ == "__main__":
    main()
