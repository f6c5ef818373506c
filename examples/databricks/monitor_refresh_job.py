"""A monitor refresh for Databricks (examples/databricks/databricks.yml, task monitor_refresh; docs/python.md,
"A Databricks job").

Refreshes a monitor of driftgov.yaml with driftgov.spark.run_monitor: the cluster reads and profiles the monitored
Delta table where its files are (one partial state per task), the driver merges the partial states and writes the
monitor's tables (`<monitor>_profile_metrics`, `<monitor>_drift_metrics`, `<monitor>_breaches`, ...) under the
target's lakehouse, as `driftgov monitor run NAME --full` does. Prints the refresh's summary as one JSON line
(driftgov.monitor.run's fields) and each breach on stderr. Exits with code 3 when the refresh found breaches and
--fail-on-breach is given, so that the job run fails and its alerts fire (the code drift_monitor_job.py exits with on
drift); 0 otherwise.

    monitor_refresh_job.py --config /Workspace/.../files/driftgov.yaml --monitor sales_forecast --target prod \\
        [--var lake=/Volumes/main/sales/driftgov/lakehouse] [--partitions 64] [--fail-on-breach]
"""
import argparse
import json
import sys

import driftgov.spark

# Exit code of a run that found breaches, as drift_monitor_job.py's on drift and `driftgov compare --fail-on-drift`.
BREACH_EXIT_CODE = 3


def assignment(text):
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    arguments.add_argument("--config", required=True, help="driftgov.yaml (its folder resolves relative paths)")
    arguments.add_argument("--monitor", required=True, help="the monitor to refresh")
    arguments.add_argument("--target", default=None, help="the configuration's target (default: its default one)")
    arguments.add_argument("--var", type=assignment, action="append", default=[], metavar="NAME=VALUE",
                           help="a variable of the configuration, as `driftgov --var`")
    arguments.add_argument("--partitions", type=int, default=None,
                           help="tasks to profile the table in (default: Spark's splits of its files)")
    arguments.add_argument("--fail-on-breach", action="store_true")
    return arguments


def main(spark, argv=None) -> int:
    options = parser().parse_args(argv)
    summary = driftgov.spark.run_monitor(spark, options.config, options.monitor, target=options.target,
                                         variables=dict(options.var), partitions=options.partitions)
    print(json.dumps(summary, sort_keys=True))
    for breach in summary["breaches"]:
        where = " ".join(f"{key}={breach[key]}" for key in ("slice_key", "slice_value", "model_id")
                         if breach[key] is not None)
        print(f"breach {breach['rule']}: {breach['column']} {breach['granularity']} window "
              f"{breach['window']['start']} {where} value {breach['value']}", file=sys.stderr)
    if summary["breaches"] and options.fail_on_breach:
        return BREACH_EXIT_CODE
    return 0


if __name__ == "__main__":
    from pyspark.sql import SparkSession

    sys.exit(main(SparkSession.builder.getOrCreate(), sys.argv[1:]))
