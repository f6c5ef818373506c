"""The peers of `driftgov monitor run` on an inference log, run as their users would; bench/monitor_bench.py drives
it in .venv-bench (bench/setup-bench.sh). Prints one JSON line with the phase timings (wall and CPU seconds of
this process: import, load, compute) and a summary of the result.

    monitor_peers.py nannyml TABLE BASELINE --timestamp ts --numeric a,b --categorical c,d
    monitor_peers.py evidently TABLE BASELINE --timestamp ts --numeric a,b --categorical c,d [--windows K]
    monitor_peers.py read TABLE BASELINE --timestamp ts --numeric a,b --categorical c,d

nannyml    UnivariateDriftCalculator with chunk_period="D" on the timestamp column, Kolmogorov-Smirnov and
           Jensen-Shannon for continuous columns, chi-squared and Jensen-Shannon for categorical ones; fit on the
           baseline, calculate on the table.
evidently  Report([DataDriftPreset()]), one report per daily window against the baseline, each turned into a dict
           (so every metric is computed). --windows K runs K windows spread evenly over the days (all by default)
           and reports the per-window cost, so the caller can extrapolate.
read       no drift at all: the floor any tool pays before computing anything. Reads the same columns of the Parquet
           files of both tables' current versions with pyarrow on one thread (pyarrow.parquet.read_table,
           use_threads=False; CPU and I/O pools of one thread), into Arrow tables; the "compute" phase is that read.
The two peers read the Delta tables with deltalake's DeltaTable(...).to_pandas(), the load counted apart.
"""
import os
import resource
import time

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # NannyML sends usage statistics unless told not to


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Phases:
    """Wall and CPU seconds of consecutive phases of this process."""

    def __init__(self):
        self.figures = {}
        self._wall, self._cpu = time.perf_counter(), cpu_seconds()

    def end(self, name: str) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        self.figures[f"{name}_seconds"] = wall - self._wall
        self.figures[f"{name}_cpu_seconds"] = cpu - self._cpu
        self._wall, self._cpu = wall, cpu


PHASES = Phases()
import argparse  # noqa: E402
import json  # noqa: E402

import pandas as pd  # noqa: E402
from deltalake import DeltaTable  # noqa: E402


def load(path: str, columns: list[str]) -> pd.DataFrame:
    return DeltaTable(path).to_pandas(columns=columns)


def run_nannyml(args, numeric, categorical) -> dict:
    from nannyml.drift.univariate import UnivariateDriftCalculator
    PHASES.end("import")
    columns = [args.timestamp, *numeric, *categorical]
    reference, analysis = load(args.baseline, columns), load(args.table, columns)
    PHASES.end("load")
    calculator = UnivariateDriftCalculator(
        column_names=numeric + categorical, treat_as_numerical=numeric, treat_as_categorical=categorical,
        timestamp_column_name=args.timestamp, chunk_period="D",
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"], categorical_methods=["chi2", "jensen_shannon"])
    calculator.fit(reference)
    result = calculator.calculate(analysis).filter(period="analysis").to_df()
    PHASES.end("compute")
    alerts = result.xs("alert", axis=1, level=-1)
    return {"rows": [len(reference), len(analysis)], "windows": len(result), "windows_measured": len(result),
            "alerts": int(alerts.to_numpy().sum()), "metric_values": int(alerts.size)}


def run_evidently(args, numeric, categorical) -> dict:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset
    PHASES.end("import")
    columns = [args.timestamp, *numeric, *categorical]
    reference_frame, table = load(args.baseline, columns), load(args.table, columns)
    PHASES.end("load")
    days = table[args.timestamp].dt.floor("D")
    all_days = sorted(days.unique())
    count = min(args.windows or len(all_days), len(all_days))
    chosen = [all_days[round(i * (len(all_days) - 1) / max(count - 1, 1))] for i in range(count)]
    drifted_counts = []
    for day in chosen:
        current_frame = table.loc[days == day]
        # Evidently refuses a column with no value in a window (labels not yet arrived): leave such columns out.
        present = current_frame.columns[current_frame.notna().any()]
        # Declaring the column roles up front spares the library its own type inference, as in its documented
        # usage.
        definition = DataDefinition(numerical_columns=[name for name in numeric if name in present],
                                    categorical_columns=[name for name in categorical if name in present])
        reference = Dataset.from_pandas(reference_frame[present].drop(columns=args.timestamp),
                                        data_definition=definition)
        current = Dataset.from_pandas(current_frame[present].drop(columns=args.timestamp), data_definition=definition)
        result = Report([DataDriftPreset()]).run(current, reference).dict()
        drifted_counts.append(next((metric["value"]["count"] for metric in result["metrics"]
                                    if isinstance(metric.get("value"), dict) and "count" in metric["value"]), None))
    PHASES.end("compute")
    return {"rows": [len(reference_frame), len(table)], "windows": len(all_days), "windows_measured": len(chosen),
            "drifted_columns_per_window": drifted_counts}


def run_read(args, numeric, categorical) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    PHASES.end("import")
    columns = [args.timestamp, *numeric, *categorical]
    files = [DeltaTable(path).file_uris() for path in (args.baseline, args.table)]
    PHASES.end("load")
    rows = [sum(pq.read_table(uri, columns=columns, use_threads=False).num_rows for uri in uris) for uris in files]
    PHASES.end("compute")
    return {"rows": rows, "files": [len(uris) for uris in files], "windows": 0, "windows_measured": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("peer", choices=["nannyml", "evidently", "read"])
    parser.add_argument("table", help="the inference log (Delta table)")
    parser.add_argument("baseline", help="the baseline (Delta table)")
    parser.add_argument("--timestamp", required=True)
    parser.add_argument("--numeric", required=True, help="comma-separated continuous columns")
    parser.add_argument("--categorical", required=True, help="comma-separated categorical columns")
    parser.add_argument("--windows", type=int, help="evidently: run only this many daily windows")
    args = parser.parse_args()
    numeric, categorical = args.numeric.split(","), args.categorical.split(",")
    summary = {"nannyml": run_nannyml, "evidently": run_evidently, "read": run_read}[args.peer](args, numeric,
                                                                                           categorical)
    print(json.dumps({**PHASES.figures, **summary}))


if __name__ == "__main__":
    main()
