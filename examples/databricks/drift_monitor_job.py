"""A daily drift job for Databricks (examples/databricks/databricks.yml; docs/python.md, "A Databricks job").

Profiles the last days of an inference table with driftgov.spark where the data is (one partial profile per task,
merged on the driver), compares each day, and each slice of each day, with the training set's baseline profile, and
appends one row per day, slice and column to a Delta results table. The baseline profile is stored in a volume: the
first run profiles the baseline table with driftgov.spark and saves it, later runs load it. Exits with code 3 when a
day, or a slice of a day, drifted and --fail-on-drift is given, so that the job run fails and its alerts fire.

    drift_monitor_job.py --table main.sales.inference_log --baseline-table main.sales.training_set \\
        --baseline-profile /Volumes/main/sales/driftgov/baseline.profile.json \\
        --results-table main.sales.drift_results --timestamp-col ts --days 1 [--end 2026-10-20] \\
        [--slice region] [--exclude order_id] [--fail-on-drift]
"""
import argparse
import datetime
import os
import sys

import driftgov
import driftgov.spark

# Exit code of a drifted run, as `driftgov compare --fail-on-drift` (docs/cli.md).
DRIFT_EXIT_CODE = 3
_DAY = "__driftgov_day"


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    arguments.add_argument("--table", required=True, help="the inference table (a Unity Catalog name)")
    arguments.add_argument("--baseline-table", required=True, help="the table the baseline is profiled from")
    arguments.add_argument("--baseline-profile", required=True,
                           help="where the baseline profile is kept (a volume path); written on the first run")
    arguments.add_argument("--results-table", required=True, help="the Delta table the results are appended to")
    arguments.add_argument("--timestamp-col", required=True)
    arguments.add_argument("--days", type=int, default=1, help="days before --end to compare, each on its own")
    arguments.add_argument("--end", type=datetime.date.fromisoformat, default=None,
                           help="the day after the last day compared (default: today, UTC)")
    arguments.add_argument("--slice", action="append", default=[], help="a column whose values are compared apart")
    arguments.add_argument("--exclude", action="append", default=[], help="a column not compared")
    arguments.add_argument("--drift-share", type=float, default=0.5)
    arguments.add_argument("--fail-on-drift", action="store_true")
    return arguments


def baseline_profile(spark, options, features):
    if os.path.exists(options.baseline_profile):
        baseline = driftgov.Profile.load(options.baseline_profile)
        missing = sorted(set(features) - set(baseline.column_names))
        if missing:
            raise driftgov.InputError(f"{options.baseline_profile}: the baseline has no column {', '.join(missing)}; "
                                      "delete it to profile the baseline table again")
        return baseline
    baseline = driftgov.spark.profile(spark.table(options.baseline_table), columns=features)
    os.makedirs(os.path.dirname(options.baseline_profile) or ".", exist_ok=True)
    baseline.save(options.baseline_profile)
    return baseline


# The results table: one row per day, slice and column (the JSON result's fields, docs/json-formats.md).
RESULTS_SCHEMA = ("day DATE, slice_key STRING, slice_value STRING, dataset_drift BOOLEAN, column_name STRING, "
                  "data_type STRING, test STRING, statistic DOUBLE, pvalue DOUBLE, threshold DOUBLE, "
                  "population_stability_index DOUBLE, drift_level STRING, drifted BOOLEAN, drift_reason STRING, "
                  "percent_null_reference DOUBLE, percent_null_current DOUBLE")


def number(value):
    """A JSON number of the result as a float; JSON writes NaN and infinities as text."""
    if isinstance(value, bool) or value is None:
        return None
    return float(value)


def result_rows(result, day, slice_key, slice_value):
    rows = []
    for name, column in result.columns.items():
        test = column.get("test") or {}
        rows.append((day, slice_key, slice_value, result.dataset_drift, name, column["data_type"], test.get("name"),
                     number(test.get("statistic")), number(test.get("pvalue_adjusted", test.get("pvalue"))),
                     number(test.get("threshold")), number(column.get("population_stability_index")),
                     column.get("drift_level"), column.get("drifted"), column.get("drift_reason"),
                     number(column["percent_null"]["reference"]), number(column["percent_null"]["current"])))
    return rows


def main(spark, argv=None) -> int:
    from pyspark.sql import functions as F

    options = parser().parse_args(argv)
    end = options.end or datetime.datetime.now(datetime.timezone.utc).date()
    start = end - datetime.timedelta(days=options.days)
    table = spark.table(options.table)
    features = [name for name in table.columns
                if name not in {options.timestamp_col, *options.exclude, *options.slice}]
    baseline = baseline_profile(spark, options, features)

    window = (table.where((F.col(options.timestamp_col) >= F.lit(start.isoformat()).cast("timestamp"))
                          & (F.col(options.timestamp_col) < F.lit(end.isoformat()).cast("timestamp")))
              .withColumn(_DAY, F.to_date(F.col(options.timestamp_col))))
    rows, drifted_windows = [], []
    groupings = [(None, [_DAY])] + [(column, [_DAY, column]) for column in options.slice]
    for slice_key, by in groupings:
        for key, current in sorted(driftgov.spark.profile(window, by=by, columns=features).items(),
                                   key=lambda item: tuple(str(part) for part in item[0])):
            day = key[0]
            slice_value = None if slice_key is None else key[1]
            result = driftgov.compare(baseline, current, drift_share=options.drift_share)
            rows.extend(result_rows(result, day, slice_key, None if slice_value is None else str(slice_value)))
            where = day.isoformat() + ("" if slice_key is None else f" {slice_key}={slice_value}")
            print(f"{where}: dataset drift {result.dataset_drift}; drifted: "
                  f"{', '.join(name for name in result if result.columns[name]['drifted']) or '-'}")
            if result.dataset_drift:
                drifted_windows.append(where)
    if rows:
        spark.createDataFrame(rows, RESULTS_SCHEMA).write.mode("append").saveAsTable(options.results_table)
    else:
        print(f"no rows in {options.table} from {start} to {end}")
    if drifted_windows and options.fail_on_drift:
        print(f"dataset drift on {', '.join(drifted_windows)}", file=sys.stderr)
        return DRIFT_EXIT_CODE
    return 0


if __name__ == "__main__":
    from pyspark.sql import SparkSession

    sys.exit(main(SparkSession.builder.getOrCreate(), sys.argv[1:]))
