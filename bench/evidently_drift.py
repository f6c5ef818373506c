"""Runs the peer drift report (Evidently's DataDriftPreset) on a reference/current CSV pair, as a user of that
library would: pandas.read_csv, then Report([DataDriftPreset()]).run(current, reference), then the result
turned into a dict (so every metric is computed). Prints one JSON line with the phase timings and the columns
the report found drifted. Runs in .venv-bench (bench/setup-bench.sh); bench/end_to_end.py drives it.

    evidently_drift.py REFERENCE.csv CURRENT.csv --numeric a,b --categorical c,d
"""
import argparse
import json
import time

start = time.perf_counter()
import pandas as pd  # noqa: E402
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

import_seconds = time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference")
    parser.add_argument("current")
    parser.add_argument("--numeric", required=True, help="comma-separated numeric columns")
    parser.add_argument("--categorical", required=True, help="comma-separated categorical columns")
    args = parser.parse_args()

    numeric = args.numeric.split(",")
    categorical = args.categorical.split(",")
    # Declaring the column roles up front spares the library its own type inference, as in its documented usage.
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)

    begin = time.perf_counter()
    reference_frame = pd.read_csv(args.reference)
    current_frame = pd.read_csv(args.current)
    read_seconds = time.perf_counter() - begin

    begin = time.perf_counter()
    reference = Dataset.from_pandas(reference_frame, data_definition=definition)
    current = Dataset.from_pandas(current_frame, data_definition=definition)
    snapshot = Report([DataDriftPreset()]).run(current, reference)
    result = snapshot.dict()
    report_seconds = time.perf_counter() - begin

    drifted = []
    drifted_count = None
    for metric in result.get("metrics", []):
        config = metric.get("config", {})
        value = metric.get("value")
        if isinstance(value, dict) and "count" in value:
            drifted_count = value["count"]
        column = config.get("column")
        threshold = config.get("threshold")
        if column is not None and isinstance(value, (int, float)) and threshold is not None:
            # Distances drift at or above the threshold; p-values ("... p_value") below it.
            is_pvalue = "p_value" in str(config.get("method", ""))
            if (value < threshold) if is_pvalue else (value >= threshold):
                drifted.append(column)
    print(json.dumps({
        "import_seconds": import_seconds,
        "read_seconds": read_seconds,
        "report_seconds": report_seconds,
        "rows": [len(reference_frame), len(current_frame)],
        "drifted_columns": sorted(set(drifted)),
        "drifted_count": drifted_count,
        "metric_count": len(result.get("metrics", [])),
    }))


if __name__ == "__main__":
    main()
