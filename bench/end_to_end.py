#!/usr/bin/env python3
"""End-to-end benchmarks of driftgov (figures and commands in docs/benchmarks.md).

Sections (--sections, comma-separated; default all):
  large   profile and compare 10M rows x 20 columns (15 numeric, 5 categorical) from CSV: wall time and peak RSS
          of each `driftgov` process, and whether profiling stays under 1 GiB RSS.
  memory  in-memory profiling throughput, values/s on one core, from bench/profile_bench (Google Benchmark).
  peer    the same 1M-row reference/current pair through `driftgov compare ... --json -` and through Evidently's
          DataDriftPreset (bench/evidently_drift.py in .venv-bench, made by bench/setup-bench.sh): median wall time
          and peak RSS of each, and the time ratio.

Every measured command runs in its own child process; its peak RSS is that child's ru_maxrss (os.wait4), its
time the wall-clock time from start to exit, its CPU time user + system time over all its threads (the
figure to trust when other jobs share the cores: a waiting process accrues wall time, not CPU time). Medians over --repetitions runs. The data come from
scripts/generate_data.py into --scratch (outside the repository: the 10M-row files take about 2.5 GB).

    .venv/bin/python bench/end_to_end.py --scratch /tmp/driftgov-bench --json bench/results/e2e.json
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMERIC = [
    "age", "income", "credit_score", "loan_amount", "term_months", "interest_rate", "utilization",
    "num_accounts", "tenure_months", "days_past_due", "monthly_payment", "debt_to_income",
    "transactions_30d", "avg_transaction", "balance",
]
CATEGORICAL = ["region", "product", "channel", "employment_type", "device"]
GIB = 1 << 30


def load_average() -> float:
    return os.getloadavg()[0]


def measure(command: list[str]) -> dict:
    """Runs `command` as a child process, its output into temporary files, and reaps it with wait4 so the
    rusage (peak RSS, CPU time) is this child's alone. Returns wall and CPU seconds, peak RSS bytes, exit code
    and output."""
    begin = time.perf_counter()
    stdout_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"driftgov-e2e-{os.getpid()}.out"
    stderr_path = stdout_path.with_suffix(".err")
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        pid = os.posix_spawnp(command[0], command, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - begin
    stdout = stdout_path.read_text(errors="replace")
    stderr = stderr_path.read_text(errors="replace")
    stdout_path.unlink()
    stderr_path.unlink()
    return {
        "seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "exit_code": os.waitstatus_to_exitcode(status),
        "stdout": stdout,
        "stderr": stderr,
        "load_average": load_average(),
    }


def run_repeated(label: str, command: list[str], repetitions: int, before=None, keep_stdout: bool = False) -> dict:
    """Medians over `repetitions` runs of `command`; `before()`, when given, runs (unmeasured) before each one, to
    put the files back into the same state. keep_stdout keeps every run's output under "stdouts"."""
    runs = []
    for index in range(repetitions):
        if before is not None:
            before()
        result = measure(command)
        if result["exit_code"] != 0:
            sys.exit(f"{label}: exit code {result['exit_code']}\n{' '.join(command)}\n{result['stderr'][-2000:]}")
        print(f"  {label} run {index + 1}/{repetitions}: {result['seconds']:.2f} s "
              f"({result['cpu_seconds']:.2f} s CPU), "
              f"{result['peak_rss_bytes'] / (1 << 20):.0f} MiB, load {result['load_average']:.1f}", flush=True)
        runs.append(result)
    return {
        "label": label,
        "command": " ".join(command),
        "seconds": [r["seconds"] for r in runs],
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds": [r["cpu_seconds"] for r in runs],
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "peak_rss_bytes": [r["peak_rss_bytes"] for r in runs],
        "median_peak_rss_bytes": statistics.median(r["peak_rss_bytes"] for r in runs),
        "load_average": [r["load_average"] for r in runs],
        "last_stdout": runs[-1]["stdout"],
        **({"stdouts": [r["stdout"] for r in runs]} if keep_stdout else {}),
    }


def row_label(rows: int) -> str:
    return f"{rows / 1e6:g}M" if rows >= 1_000_000 else f"{rows / 1e3:g}k"


def generate(scratch: Path, name: str, rows: int, seed: int, fmt: str) -> Path:
    folder = scratch / name
    if not (folder / f"reference.{fmt}").exists() or not (folder / f"current.{fmt}").exists():
        print(f"generating {rows} rows ({fmt}) into {folder}", flush=True)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_data.py"), "--rows", str(rows),
                        "--seed", str(seed), "--out-dir", str(folder), "--format", fmt], check=True)
    return folder


def driftgov_drifted(json_text: str) -> list[str]:
    result = json.loads(json_text)
    return sorted(c["column_name"] for c in result["columns"] if c.get("drifted"))


def section_large(args, results: dict) -> None:
    folder = generate(args.scratch, "10m", args.large_rows, 12, "csv")
    reference, current = folder / "reference.csv", folder / "current.csv"
    profiles = args.scratch / "profiles"
    profiles.mkdir(exist_ok=True)
    reference_profile = profiles / "reference-10m.profile.json"
    current_profile = profiles / "current-10m.profile.json"
    driftgov = str(args.driftgov)
    repetitions = args.large_repetitions
    size = row_label(args.large_rows)
    runs = [
        run_repeated(f"profile {size} CSV (all cores)",
                     [driftgov, "profile", str(reference), "-o", str(reference_profile)], repetitions),
        run_repeated(f"profile {size} CSV (1 thread)",
                     [driftgov, "profile", str(reference), "-o", str(reference_profile), "--threads", "1"],
                     repetitions),
    ]
    measure([driftgov, "profile", str(current), "-o", str(current_profile)])
    runs += [
        run_repeated(f"compare {size} vs {size} CSV (exact, default)",
                     [driftgov, "compare", str(reference), str(current), "--json", "-", "-q"], repetitions),
        run_repeated(f"compare {size} vs {size} CSV (sketches, --exact-limit 0)",
                     [driftgov, "compare", str(reference), str(current), "--json", "-", "-q", "--exact-limit", "0"],
                     repetitions),
        run_repeated(f"compare stored {size}-row profiles",
                     [driftgov, "compare", str(reference_profile), str(current_profile), "--json", "-", "-q"],
                     repetitions),
    ]
    for run in runs:
        run.pop("last_stdout")
    values = args.large_rows * (len(NUMERIC) + len(CATEGORICAL))
    for run in runs[:2]:
        run["values_per_second"] = values / run["median_seconds"]
    results["large"] = {
        "rows": args.large_rows,
        "csv_bytes": reference.stat().st_size,
        "runs": runs,
        "profile_peak_rss_under_1_gib": all(max(r["peak_rss_bytes"]) < GIB for r in runs[:2]),
    }


def section_memory(args, results: dict) -> None:
    command = [str(args.bench_binary), "--benchmark_filter=BM_ProfilerConsume",
               f"--benchmark_repetitions={args.repetitions}", "--benchmark_format=json"]
    print("running " + " ".join(command), flush=True)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    report = json.loads(output)
    per_run: dict[str, list[float]] = {}
    for entry in report["benchmarks"]:
        if entry.get("run_type") == "iteration":
            per_run.setdefault(entry["run_name"], []).append(entry["items_per_second"])
    medians = {name: statistics.median(values) for name, values in per_run.items()}
    results["memory"] = {"command": " ".join(command), "values_per_second": per_run,
                         "values_per_second_median": medians,
                         "load_average": load_average()}


def section_peer(args, results: dict) -> None:
    folder = generate(args.scratch, "1m", args.peer_rows, 11, "csv")
    reference, current = folder / "reference.csv", folder / "current.csv"
    driftgov = str(args.driftgov)
    runs = {}
    runs["driftgov_csv"] = run_repeated(
        f"driftgov compare {row_label(args.peer_rows)} rows (CSV)", [driftgov, "compare", str(reference), str(current), "--json", "-", "-q"],
        args.repetitions)
    drifted = {"driftgov": driftgov_drifted(runs["driftgov_csv"]["last_stdout"])}

    parquet_folder = generate(args.scratch, "1m", args.peer_rows, 11, "parquet")
    probe = measure([driftgov, "compare", str(parquet_folder / "reference.parquet"),
                           str(parquet_folder / "current.parquet"), "--json", "-", "-q"])
    if probe["exit_code"] == 0:
        runs["driftgov_parquet"] = run_repeated(
            f"driftgov compare {row_label(args.peer_rows)} rows (Parquet)",
            [driftgov, "compare", str(parquet_folder / "reference.parquet"), str(parquet_folder / "current.parquet"),
             "--json", "-", "-q"], args.repetitions)
    else:
        results["parquet_skipped"] = probe["stderr"].strip()
        print(f"  Parquet skipped: {results['parquet_skipped']}", flush=True)

    runs["evidently"] = run_repeated(
        f"Evidently DataDriftPreset {row_label(args.peer_rows)} rows (CSV)",
        [str(args.peer_python), str(ROOT / "bench" / "evidently_drift.py"), str(reference), str(current),
         "--numeric", ",".join(NUMERIC), "--categorical", ",".join(CATEGORICAL)],
        args.peer_repetitions or args.repetitions)
    peer_phases = json.loads(runs["evidently"]["last_stdout"].strip().splitlines()[-1])
    drifted["evidently"] = peer_phases["drifted_columns"]
    for run in runs.values():
        run.pop("last_stdout")
    driftgov_seconds = runs["driftgov_csv"]["median_seconds"]
    results["peer"] = {
        "rows": args.peer_rows,
        "runs": runs,
        "evidently_last_run_phases": peer_phases,
        "drifted_columns": drifted,
        "time_ratio_evidently_over_driftgov_csv": runs["evidently"]["median_seconds"] / driftgov_seconds,
        "cpu_time_ratio_evidently_over_driftgov_csv":
            runs["evidently"]["median_cpu_seconds"] / runs["driftgov_csv"]["median_cpu_seconds"],
        "time_ratio_evidently_in_process_over_driftgov_csv":
            (peer_phases["read_seconds"] + peer_phases["report_seconds"]) / driftgov_seconds,
        "memory_ratio_evidently_over_driftgov_csv":
            runs["evidently"]["median_peak_rss_bytes"] / runs["driftgov_csv"]["median_peak_rss_bytes"],
    }


def markdown(results: dict) -> str:
    lines = ["| measurement | median wall (s) | runs, wall (s) | median CPU (s) | median peak RSS (MiB) |",
             "| --- | ---: | --- | ---: | ---: |"]

    def row(run: dict) -> None:
        runs = ", ".join(f"{s:.2f}" for s in run["seconds"])
        lines.append(f"| {run['label']} | {run['median_seconds']:.2f} | {runs} | {run['median_cpu_seconds']:.2f} | "
                     f"{run['median_peak_rss_bytes'] / (1 << 20):.0f} |")

    if "large" in results:
        for run in results["large"]["runs"]:
            row(run)
    if "peer" in results:
        for run in results["peer"]["runs"].values():
            row(run)
    text = "\n".join(lines) + "\n"
    if "large" in results:
        large = results["large"]
        text += (f"\n{row_label(large['rows'])}-row CSV ({large['csv_bytes'] / GIB:.2f} GiB): profile peak RSS under 1 GiB: "
                 f"{'yes' if large['profile_peak_rss_under_1_gib'] else 'NO'}\n")
    if "memory" in results:
        for name, value in results["memory"]["values_per_second_median"].items():
            text += f"\nin-memory {name}: {value / 1e6:.1f}M values/s on one core (median)"
        text += "\n"
    if "peer" in results:
        peer = results["peer"]
        text += (f"\n{row_label(peer['rows'])} rows: Evidently / driftgov time ratio {peer['time_ratio_evidently_over_driftgov_csv']:.1f}x "
                 f"by process wall time, {peer['cpu_time_ratio_evidently_over_driftgov_csv']:.1f}x by CPU time "
                 f"({peer['time_ratio_evidently_in_process_over_driftgov_csv']:.1f}x wall counting only Evidently's "
                 f"read_csv + report); peak memory ratio "
                 f"{peer['memory_ratio_evidently_over_driftgov_csv']:.1f}x\n"
                 f"drifted columns: driftgov {peer['drifted_columns']['driftgov']}, "
                 f"Evidently {peer['drifted_columns']['evidently']}\n")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default="large,memory,peer")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/driftgov-bench"),
                        help="folder for generated data (outside the repository)")
    parser.add_argument("--driftgov", type=Path, default=ROOT / "build" / "bench" / "driftgov")
    parser.add_argument("--bench-binary", type=Path, default=ROOT / "build" / "bench" / "bench" / "profile_bench")
    parser.add_argument("--peer-python", type=Path, default=ROOT / ".venv-bench" / "bin" / "python")
    parser.add_argument("--large-rows", type=int, default=10_000_000)
    parser.add_argument("--peer-rows", type=int, default=1_000_000)
    parser.add_argument("--repetitions", type=int, default=3, help="runs per measurement (medians)")
    parser.add_argument("--large-repetitions", type=int, default=1, help="runs per 10M-row measurement")
    parser.add_argument("--peer-repetitions", type=int, default=0,
                        help="runs of the peer tool (default: --repetitions); it takes minutes per run")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "end_to_end.json")
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)

    results = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_start": load_average(),
    }
    sections = {"large": section_large, "memory": section_memory, "peer": section_peer}
    for name in args.sections.split(","):
        if name not in sections:
            parser.error(f"unknown section '{name}' (expected {', '.join(sections)})")
        print(f"== {name}", flush=True)
        sections[name](args, results)
    results["load_average_end"] = load_average()

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(markdown(results))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
