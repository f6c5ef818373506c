#!/usr/bin/env python3
"""The monitoring pipeline side by side with its peers, in one run on one machine (figures and commands in
docs/benchmarks-monitoring.md).

Data: an inference log from scripts/generate_retail.py, --rows rows (10M by default) over 30 daily windows (days
25-54 of its 60-day story: model v1 alone for 5 days, then the v1/v2 canary; the west region drifts from day 40),
20 features (12 numeric, 2 boolean, 6 categorical), model id, label and prediction, written to a Delta table
`retail/inference_log` with `driftgov convert`; day 55 is the day appended for the incremental run. The training
set (--baseline-rows) is the baseline table `retail/training_set`. The monitor configuration (bench.yaml in
--scratch) slices by `region` and `price > 100`.

Measured (--only chooses; default all), each command in its own child process (bench/end_to_end.py's measure:
CPU time = user + system of the child over all its threads, from wait4; wall time; peak RSS), medians:
  driftgov   (a) `driftgov monitor run bench --config bench.yaml --full` on the 30-day table
             (a') the same for the monitor `bench_plain`: what the peers compute (the same 22 columns of the whole
                 table against the baseline; no slices, no model ids, no model quality)
             (b) `driftgov monitor run bench --config bench.yaml` (incremental) after appending day 55 with
                 `driftgov convert` (the append is measured too, apart)
  nannyml    UnivariateDriftCalculator(chunk_period="D"), KS and Jensen-Shannon for continuous columns, chi-squared
             and Jensen-Shannon for categorical ones, fit on the baseline, calculate on the 30-day table
  evidently  DataDriftPreset, one report per daily window against the baseline; --evidently-windows K of the 30
             windows are run and the compute phase is extrapolated to all 30 (stated in the output)
  read       the floor: pyarrow reading the same columns of both tables' Parquet files on one thread, nothing else
The peers run in .venv-bench (bench/setup-bench.sh) through bench/monitor_peers.py, which reports its import, load
(DeltaTable.to_pandas) and compute phases; the tables give both the whole process and the phases. The peers
compute the whole table only: no slices and no per-model groups, which driftgov computes too.

    .venv/bin/python bench/monitor_bench.py --scratch /tmp/driftgov-monitor-bench --json bench/results/monitor.json \
        --markdown bench/results/monitor.md [--rows 10000000] [--only nannyml,evidently]
"""
import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from end_to_end import measure, run_repeated  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WINDOWS = 30
FIRST_DAY = 25  # the table holds days 25..54; day 55 is appended
MIB = 1 << 20
PEERS = ["nannyml", "evidently", "read"]


def generator():
    spec = importlib.util.spec_from_file_location("generate_retail", ROOT / "scripts" / "generate_retail.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()
# The columns the monitor computes drift on (every column but ts, order_id and the model id), as the peers see them.
NUMERIC = [*GEN.NUMERIC, "prediction", "label"]
CATEGORICAL = [*GEN.BOOLEAN, *GEN.CATEGORICAL]

CONFIG = """\
project: bench
targets: {{local: {{mode: development, lakehouse: {lakehouse}, default: true}}}}
monitors:
  bench:
    table: retail/inference_log
    profile_type: inference_log
    timestamp_col: ts
    granularities: ["1 day"]
    model_id_col: model_version
    prediction_col: prediction
    label_col: label
    problem_type: regression
    baseline: {{table: retail/training_set}}
    slicing_exprs: ["region", "price > 100"]
    columns: {{exclude: [order_id]}}
  bench_plain:
    table: retail/inference_log
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
    baseline: {{table: retail/training_set}}
    columns: {{exclude: [order_id, model_version]}}
"""


def run(command: list) -> None:
    print("  $ " + " ".join(map(str, command)), flush=True)
    subprocess.run(list(map(str, command)), check=True)


def copy_tree(source: Path, destination: Path) -> None:
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, symlinks=True)


def prepare(args) -> dict:
    """Generates the data and the pristine lakehouse (the 30-day table and the baseline), once per --rows,
    --baseline-rows and --seed; returns the paths."""
    rows_per_day = -(-args.rows // WINDOWS)
    tag = f"rows{args.rows}-baseline{args.baseline_rows}-seed{args.seed}"
    data = args.scratch / f"data-{tag}"
    pristine = args.scratch / f"lakehouse-{tag}"
    new_day = data / "append" / f"day={FIRST_DAY + WINDOWS:02d}.parquet"
    done = pristine / ".complete"
    if not done.exists():
        print(f"preparing {args.rows} rows ({rows_per_day} a day) in {data} and {pristine}", flush=True)
        run([sys.executable, ROOT / "scripts" / "generate_retail.py", "--out-dir", data, "--seed", args.seed,
             "--days", f"{FIRST_DAY}:{FIRST_DAY + WINDOWS + 1}", "--rows-per-day", rows_per_day,
             "--train-rows", args.baseline_rows])
        new_day.parent.mkdir(exist_ok=True)
        (data / "inference_log" / new_day.name).replace(new_day)
        if pristine.exists():
            shutil.rmtree(pristine)
        run([args.driftgov, "convert", data / "training_set.parquet", pristine / "retail" / "training_set"])
        run([args.driftgov, "convert", data / "inference_log", pristine / "retail" / "inference_log"])
        done.write_text(tag + "\n")
    return {"rows_per_day": rows_per_day, "data": data, "pristine": pristine, "new_day": new_day,
            "table": pristine / "retail" / "inference_log", "baseline": pristine / "retail" / "training_set"}


def bench_driftgov(args, paths: dict, results: dict) -> None:
    listing = measure([str(args.driftgov), "--help"])["stdout"]
    if not any(line.split()[:1] == ["monitor"] for line in listing.splitlines()):
        sys.exit(f"{args.driftgov} has no `monitor` command; measure the peers alone with --only nannyml,evidently")
    work = args.scratch / "work"
    after_full = args.scratch / "work-after-full"
    config = args.scratch / "bench.yaml"
    config.write_text(CONFIG.format(lakehouse=work))
    command = [str(args.driftgov), "monitor", "run", "bench", "--config", str(config)]

    # What the peers compute: the 22 columns of the whole table per window against the baseline, no slices, no
    # model ids, no model quality (driftgov still adds the CONSECUTIVE comparisons and writes its tables).
    plain = run_repeated("driftgov monitor run bench_plain --full (30 windows, no slices or model ids)",
                         [str(args.driftgov), "monitor", "run", "bench_plain", "--config", str(config), "--full"],
                         args.repetitions, before=lambda: copy_tree(paths["pristine"], work))
    full = run_repeated("driftgov monitor run --full (30 windows)", [*command, "--full"], args.repetitions,
                        before=lambda: copy_tree(paths["pristine"], work))
    copy_tree(work, after_full)

    appends = []

    def append_new_day():
        copy_tree(after_full, work)
        result = measure([str(args.driftgov), "convert", str(paths["new_day"]), str(work / "retail" / "inference_log"),
                          "--mode", "append"])
        if result["exit_code"] != 0:
            sys.exit(f"appending {paths['new_day']} failed: {result['stderr'][-2000:]}")
        appends.append(result)

    incremental = run_repeated("driftgov monitor run (incremental, 1 new window)", command, args.repetitions,
                               before=append_new_day)
    append = {"label": f"driftgov convert --mode append (day {FIRST_DAY + WINDOWS})",
              "command": "driftgov convert DAY.parquet TABLE --mode append",
              **{f"median_{key}": statistics.median(r[key] for r in appends)
                 for key in ("seconds", "cpu_seconds", "peak_rss_bytes")}}
    for entry in (full, incremental, plain):
        entry.pop("last_stdout")
    results["driftgov"] = {"full": full, "incremental": incremental, "append": append, "plain": plain}


def bench_peer(args, paths: dict, peer: str, results: dict) -> None:
    command = [str(args.peer_python), str(ROOT / "bench" / "monitor_peers.py"), peer, str(paths["table"]),
               str(paths["baseline"]), "--timestamp", "ts", "--numeric", ",".join(NUMERIC),
               "--categorical", ",".join(CATEGORICAL)]
    label = "NannyML UnivariateDriftCalculator (30 windows)"
    if peer == "evidently":
        command += ["--windows", str(args.evidently_windows)]
        label = f"Evidently DataDriftPreset ({args.evidently_windows} of {WINDOWS} windows measured)"
    elif peer == "read":
        label = "pyarrow: read the tables' Parquet files only, 1 thread (the floor)"
    entry = run_repeated(label, command, args.peer_repetitions, keep_stdout=True)
    phases = [json.loads(text.strip().splitlines()[-1]) for text in entry.pop("stdouts")]
    entry.pop("last_stdout")
    keys = [key for key in phases[0] if key.endswith("seconds")]
    entry["phases_median"] = {key: statistics.median(p[key] for p in phases) for key in keys}
    entry["summary"] = {key: value for key, value in phases[-1].items() if key not in keys}
    measured, windows = phases[-1]["windows_measured"], phases[-1]["windows"]
    if measured != windows and measured:
        # Extrapolated to every window: the process's CPU and wall time with the compute phase scaled up.
        scale = windows / measured - 1
        for kind in ("", "cpu_"):
            compute = entry["phases_median"][f"compute_{kind}seconds"]
            entry[f"extrapolated_median_{kind}seconds"] = entry[f"median_{kind}seconds"] + compute * scale
            entry["phases_median"][f"compute_{kind}seconds_extrapolated"] = compute * (scale + 1)
    results[peer] = entry


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(int(memory) / (1 << 20), 1),
            "system": platform.platform(), "load_average": os.getloadavg()}


def versions(args) -> dict:
    found = {}
    result = measure([str(args.driftgov), "--version"])
    found["driftgov"] = result["stdout"].strip() or result["stderr"].strip()
    if args.peer_python.exists():
        script = ("import json, importlib.metadata as m; print(json.dumps({n: m.version(n) for n in "
                  "['nannyml', 'evidently', 'pandas', 'numpy', 'deltalake', 'pyarrow']}))")
        result = subprocess.run([str(args.peer_python), "-c", script], capture_output=True, text=True)
        if result.returncode == 0:
            found.update(json.loads(result.stdout))
    return found


def cost(entry: dict, kind: str) -> float:
    """The median CPU ("cpu_seconds") or wall ("seconds") time of a measurement, extrapolated where it is."""
    return entry.get(f"extrapolated_median_{kind}", entry[f"median_{kind}"])


def markdown(results: dict) -> str:
    lines = ["| measurement | CPU s (median) | wall s (median) | peak RSS MiB | CPU / driftgov full | "
             "wall / driftgov full |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    reference = results.get("driftgov", {}).get("full")
    rows = []
    if "driftgov" in results:
        rows += [results["driftgov"][key] for key in ("full", "incremental", "append", "plain")
                 if key in results["driftgov"]]
    rows += [results[peer] for peer in PEERS if peer in results]
    for entry in rows:
        ratios = ["–", "–"]
        if reference is not None and entry is not reference:
            ratios = [f"{cost(entry, kind) / cost(reference, kind):.1f}×" for kind in ("cpu_seconds", "seconds")]
        extrapolated = " (extrapolated)" if "extrapolated_median_seconds" in entry else ""
        lines.append(f"| {entry['label']}{extrapolated} | {cost(entry, 'cpu_seconds'):.2f} | "
                     f"{cost(entry, 'seconds'):.2f} | {entry['median_peak_rss_bytes'] / MIB:.0f} | "
                     f"{ratios[0]} | {ratios[1]} |")
    text = "\n".join(lines) + "\n"
    for peer in PEERS:
        if peer in results:
            phases = results[peer]["phases_median"]
            described = ", ".join(
                f"{name} {phases[name + '_seconds']:.2f} s ({phases[name + '_cpu_seconds']:.2f} s CPU)"
                for name in ("import", "load", "compute"))
            if "compute_seconds_extrapolated" in phases:
                described += (f", compute extrapolated to {WINDOWS} windows "
                              f"{phases['compute_seconds_extrapolated']:.2f} s "
                              f"({phases['compute_cpu_seconds_extrapolated']:.2f} s CPU)")
            text += f"\n{peer} phases (medians, wall and CPU seconds inside the process): {described}"
    return text + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/driftgov-monitor-bench"),
                        help="folder for the data and lakehouses (outside the repository; about 1 GB at 10M rows)")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the 30-day table (default 10M)")
    parser.add_argument("--baseline-rows", type=int, default=200_000, help="rows of the baseline (training set)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="driftgov,nannyml,evidently,read",
                        help="comma-separated: driftgov, nannyml, evidently, read")
    parser.add_argument("--driftgov", type=Path, default=ROOT / "build" / "release" / "driftgov")
    parser.add_argument("--peer-python", type=Path, default=ROOT / ".venv-bench" / "bin" / "python")
    parser.add_argument("--repetitions", type=int, default=5, help="runs of each driftgov command (median)")
    parser.add_argument("--peer-repetitions", type=int, default=1, help="runs of each peer (median)")
    parser.add_argument("--evidently-windows", type=int, default=3, help="daily windows Evidently runs (of 30)")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown here")
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - {"driftgov", *PEERS})
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)}; expected driftgov, nannyml, evidently or read")
    if any(peer in only for peer in PEERS) and not args.peer_python.exists():
        parser.error(f"--peer-python {args.peer_python} does not exist: run bench/setup-bench.sh first")
    if not 1 <= args.evidently_windows <= WINDOWS:
        parser.error(f"--evidently-windows must be between 1 and {WINDOWS}, got {args.evidently_windows}")
    args.scratch.mkdir(parents=True, exist_ok=True)

    paths = prepare(args)
    results = {"rows": args.rows, "rows_per_day": paths["rows_per_day"], "windows": WINDOWS,
               "baseline_rows": args.baseline_rows, "numeric_columns": NUMERIC, "categorical_columns": CATEGORICAL,
               "machine": machine(), "versions": versions(args)}
    if "driftgov" in only:
        bench_driftgov(args, paths, results)
    for peer in PEERS:
        if peer in only:
            bench_peer(args, paths, peer, results)
    results["machine"]["load_average_after"] = os.getloadavg()

    text = markdown(results)
    print("\n" + text)
    for path, content in ((args.json, json.dumps(results, indent=2, default=str)), (args.markdown, text)):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content + "\n")


if __name__ == "__main__":
    main()
