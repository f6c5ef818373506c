#!/usr/bin/env python3
"""`driftgov report` of a monitor with 50 features x 90 daily windows x 5 slices, on one core (figures and command
in docs/benchmarks-report.md; the goal of issue 13 is under 2 s).

The monitor is the one tests/python/test_report.py builds (write_wide_monitor: 50 numeric features, a slicing
column with 5 values, a breach rule on PSI), with --rows-per-day rows a day; `driftgov monitor run` fills its
tables once (not measured). Then `taskset -c 0 driftgov report wide --out OUT` runs --repetitions times, each in its
own child process (bench/end_to_end.py's measure: wall time, CPU time = user + system from wait4, peak RSS); the
medians are printed with the size of report.html and the number of PNG files.

    .venv/bin/python bench/report_bench.py --scratch /tmp/driftgov-report-bench [--repetitions 7]
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests" / "python"))
from end_to_end import run_repeated  # noqa: E402
from test_report import write_wide_monitor  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--binary", type=Path, default=ROOT / "build" / "release" / "driftgov")
    parser.add_argument("--rows-per-day", type=int, default=200)
    parser.add_argument("--repetitions", type=int, default=7)
    args = parser.parse_args()
    shutil.rmtree(args.scratch, ignore_errors=True)
    args.scratch.mkdir(parents=True)
    config = write_wide_monitor(args.scratch, rows_per_day=args.rows_per_day)
    subprocess.run([str(args.binary), "monitor", "run", "wide", "--config", str(config)], check=True,
                   capture_output=True)
    out = args.scratch / "out"
    command = ["taskset", "-c", "0", str(args.binary), "report", "wide", "--config", str(config), "--out", str(out)]
    result = run_repeated("report", command, args.repetitions)
    html = (out / "report.html").stat().st_size
    pngs = len(list(out.glob("*.png")))
    print(f"report of 50 features x 90 windows x 5 slices, one core: median {result['median_seconds']:.2f} s wall, "
          f"{result['median_cpu_seconds']:.2f} s CPU, {result['median_peak_rss_bytes'] / (1 << 20):.0f} MiB; "
          f"report.html {html / 1e6:.2f} MB, {pngs} PNG files")


if __name__ == "__main__":
    main()
