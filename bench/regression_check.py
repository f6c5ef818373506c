#!/usr/bin/env python3
"""Two driftgov builds side by side in one run: the commands whose speed a refactoring must not change.

Measures, alternating the two binaries run by run so that both see the same machine state:
  compare   `compare reference.csv current.csv --json FILE` on the 1M-row pair (scripts/generate_data.py)
  cat       `cat current.parquet` (every row as JSON lines, to a file)
  convert   `convert current.parquet out.parquet`
  snapshot  `table info` of a Delta table with --commits commits (log replay and a checkpoint)

CPU time (user + system of the child) is the figure to trust on a shared machine; medians over --repetitions.

    .venv/bin/python bench/regression_check.py --before OLD/driftgov --after build/release/driftgov \
        --scratch /tmp/driftgov-regression
"""
import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from end_to_end import generate, measure  # noqa: E402


def prepare(binary: Path, scratch: Path, rows: int, commits: int) -> tuple[Path, Path]:
    data = generate(scratch, "pair", rows, 7, "csv")
    parquet = data / "current.parquet"
    if not parquet.exists():
        check(measure([str(binary), "convert", str(data / "current.csv"), str(parquet)]), "convert to Parquet")
    table = scratch / f"delta-{commits}"
    if not (table / "_delta_log").exists():
        shutil.rmtree(table, ignore_errors=True)
        small = scratch / "small.csv"
        small.write_text("id,value,label\n" + "".join(f"{i},{i * 0.5},l{i % 7}\n" for i in range(100)))
        for _ in range(commits):
            check(measure([str(binary), "table", "write", str(small), str(table), "--mode", "append"]), "append")
    return data, table


def check(result: dict, label: str) -> dict:
    if result["exit_code"] != 0:
        sys.exit(f"{label}: exit code {result['exit_code']}\n{result['stderr'][-2000:]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="driftgov binary before the change")
    parser.add_argument("--after", type=Path, required=True, help="driftgov binary after the change")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/driftgov-regression"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--commits", type=int, default=120)
    parser.add_argument("--repetitions", type=int, default=7)
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)
    data, table = prepare(args.before, args.scratch, args.rows, args.commits)
    out = args.scratch / "out"
    out.mkdir(exist_ok=True)

    def commands(binary: Path, tag: str) -> dict[str, list[str]]:
        return {
            "compare": [str(binary), "compare", str(data / "reference.csv"), str(data / "current.csv"),
                        "--json", str(out / f"compare-{tag}.json"), "-q"],
            "cat": ["sh", "-c", f'"{binary}" cat "{data / "current.parquet"}" > "{out / f"cat-{tag}.jsonl"}"'],
            "convert": [str(binary), "convert", str(data / "current.parquet"), str(out / f"convert-{tag}.parquet")],
            "snapshot": [str(binary), "table", "info", str(table)],
        }

    sides = {"before": commands(args.before, "before"), "after": commands(args.after, "after")}
    cpu = {side: {name: [] for name in sides[side]} for side in sides}
    for repetition in range(args.repetitions):
        for side in (("before", "after") if repetition % 2 == 0 else ("after", "before")):
            for name, command in sides[side].items():
                if name == "convert":
                    (out / f"convert-{side}.parquet").unlink(missing_ok=True)
                cpu[side][name].append(check(measure(command), f"{side} {name}")["cpu_seconds"])
        print(f"repetition {repetition + 1}/{args.repetitions} done", flush=True)

    print(f"\n{'command':10} {'before CPU s':>14} {'after CPU s':>14} {'after/before':>13}   (medians of "
          f"{args.repetitions}; range in brackets)")
    for name in sides["before"]:
        before, after = cpu["before"][name], cpu["after"][name]
        print(f"{name:10} {statistics.median(before):8.3f} [{min(before):.2f}-{max(before):.2f}] "
              f"{statistics.median(after):8.3f} [{min(after):.2f}-{max(after):.2f}] "
              f"{statistics.median(after) / statistics.median(before):9.3f}")


if __name__ == "__main__":
    main()
