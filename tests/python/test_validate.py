"""`driftgov validate` (docs/monitoring-config.md) on tables written by deltalake.

Every mistake is made by editing one spot of a valid driftgov.yaml; the expected `file:line:column` is computed
here from where the edited text sits in the file (1-based, as editors count), never copied from driftgov's output.
A valid file exits 0 with a one-line summary; any mistake exits 2 and prints every problem, one per line.
"""
import json
import subprocess

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from conftest import driftgov_binary

VALID = """\
project: retail-models
variables: {lake: {default: ./lakehouse}}
targets:
  dev:     {mode: development, lakehouse: "${var.lake}/dev", default: true}
  staging: {mode: development, lakehouse: "${var.lake}/staging"}
  prod:    {mode: production,  lakehouse: "${var.lake}/prod", variables: {lake: /data/lake}}
monitors:
  demand_forecast:
    table: sales/inference_log
    profile_type: inference_log
    timestamp_col: ts
    granularities: ["1 day", "1 week"]
    model_id_col: model_version
    prediction_col: prediction
    label_col: label
    problem_type: regression
    baseline: {table: sales/training_set, version: 1}
    slicing_exprs: ["region", "price > 100"]
    columns: {exclude: [order_id]}
    drift: {correction: bh, drift_share: 0.5, thresholds: {population_stability_index: 0.2}}
    breach:
      - {metric: dataset_drift, drift_type: BASELINE, num_violation_windows: 2}
      - {metric: population_stability_index, op: ">=", value: 0.25, columns: [price, promo]}
      - {metric: r2_score, op: "<", value: 0.6}
    schedule: {quartz_cron_expression: "0 0 * * * ?", timezone_id: UTC}
    output_schema: monitoring
"""


def inference_rows(price_type=pa.float64()):
    return pa.table({
        "ts": pa.array([1_700_000_000_000_000, 1_700_086_400_000_000], pa.timestamp("us", tz="UTC")),
        "model_version": pa.array(["v1", "v2"]),
        "prediction": pa.array([1.5, 2.5]),
        "label": pa.array([1.0, 3.0]),
        "region": pa.array(["north", "south"]),
        "price": pa.array([90.0, 120.0]).cast(price_type),
        "promo": pa.array([0, 1], pa.int64()),
        "order_id": pa.array([1, 2], pa.int64()),
    })


def training_rows(price_type=pa.float64()):
    # The training set has neither the timestamp, the model version nor the order id.
    return inference_rows(price_type).drop_columns(["ts", "model_version", "order_id"])


@pytest.fixture()
def project(tmp_path, driftgov):
    dev = tmp_path / "lakehouse" / "dev" / "sales"
    write_deltalake(str(dev / "inference_log"), inference_rows())
    write_deltalake(str(dev / "training_set"), training_rows())
    write_deltalake(str(dev / "training_set"), training_rows(), mode="append")  # version 1
    (tmp_path / "driftgov.yaml").write_text(VALID)
    return tmp_path


def validate(folder, *args, text=None):
    if text is not None:
        (folder / "driftgov.yaml").write_text(text)
    return subprocess.run([str(driftgov_binary()), "validate", *map(str, args)], cwd=folder, capture_output=True,
                          text=True, timeout=120)


def position(text, needle, occurrence=1):
    """1-based line and column of the `occurrence`-th `needle` in `text`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def edited(old, new):
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def problems(result):
    """The problem lines of a failed run (its last line is the count)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1] == f"driftgov.yaml: {len(lines) - 1} problem{'s' if len(lines) > 2 else ''}"
    return lines[:-1]


def only_problem(result):
    lines = problems(result)
    assert len(lines) == 1, lines
    return lines[0]


def test_valid_file(project):
    result = validate(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "driftgov.yaml: OK, target dev, 1 monitor\n"
    assert result.stderr == ""


def test_targets_resolve_against_their_own_lakehouse(project):
    # staging's lakehouse is ./lakehouse/staging under the file's folder, where there are no tables.
    table = project / "lakehouse" / "staging" / "sales" / "inference_log"
    baseline = project / "lakehouse" / "staging" / "sales" / "training_set"
    lines = problems(validate(project, "--target", "staging"))
    assert len(lines) == 2
    line, column = position(VALID, "sales/inference_log")
    assert lines[0].startswith(f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.table: {table}: ")
    line, column = position(VALID, "sales/training_set")
    assert lines[1].startswith(f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.baseline.table: {baseline}: ")
    # --var overrides the default: the staging tables now live where the dev ones are.
    (project / "lakehouse" / "dev").rename(project / "lakehouse" / "staging")
    result = validate(project, "--target", "staging")
    assert result.returncode == 0, result.stderr
    result = validate(project, "--target", "dev")
    assert result.returncode == 2
    (project / "elsewhere").mkdir()
    (project / "lakehouse" / "staging").rename(project / "elsewhere" / "dev")
    result = validate(project, "--var", f"lake={project / 'elsewhere'}")
    assert result.returncode == 0, result.stderr


def test_file_only_check_needs_no_tables(tmp_path, driftgov):
    result = validate(tmp_path, "--no-tables", text=VALID)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "driftgov.yaml: OK, target dev, 1 monitor\n"


def test_yaml_syntax_error(project):
    text = edited("output_schema: monitoring", "output_schema: monitoring: x")
    line, column = position(text, ": x")
    assert only_problem(validate(project, text=text)) == f"driftgov.yaml:{line}:{column}: YAML syntax: illegal map value"


def test_unknown_key_with_suggestion(project):
    text = edited("    label_col: label", "    label_column: label")
    line, column = position(text, "label_column")
    assert only_problem(validate(project, text=text)) == (
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast: unknown key 'label_column'; did you mean 'label_col'?")


def test_wrong_type(project):
    text = edited("version: 1}", "version: latest}")
    line, column = position(text, "latest")
    assert only_problem(validate(project, text=text)) == (
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.baseline.version: expected a whole number, "
        f"found 'latest'")


def test_illegal_granularity(project):
    text = edited('"1 week"', '"1 fortnight"')
    line, column = position(text, '"1 fortnight"')
    problem = only_problem(validate(project, text=text))
    assert problem.startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.granularities[1]: expected a granularity")
    assert problem.endswith("found '1 fortnight'")


def test_illegal_cron(project):
    text = edited('"0 0 * * * ?"', '"0 75 * * * ?"')
    line, column = position(text, '"0 75')
    problem = only_problem(validate(project, text=text))
    assert problem.startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.schedule.quartz_cron_expression: field 2 (minutes)")
    assert problem.endswith("found '75'")


def test_unknown_time_zone(project):
    text = edited("timezone_id: UTC", "timezone_id: Europe/Pariss")
    line, column = position(text, "Europe/Pariss")
    assert only_problem(validate(project, text=text)).startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.schedule.timezone_id: unknown time zone "
        f"'Europe/Pariss'")


def test_unknown_variable(project):
    text = edited('"${var.lake}/staging"', '"${var.lakes}/staging"')
    line, column = position(text, '"${var.lakes}')
    assert only_problem(validate(project, text=text)) == (
        f"driftgov.yaml:{line}:{column}: targets.staging.lakehouse: unknown variable 'lakes' in "
        f"'${{var.lakes}}/staging'; did you mean 'lake'?")


def test_unknown_variable_on_the_command_line(project):
    assert only_problem(validate(project, "--var", "lak=/x")) == (
        "driftgov.yaml: --var lak: no variable 'lak' is declared under variables; did you mean 'lake'?")


def test_missing_required_key(project):
    text = edited("    timestamp_col: ts\n", "")
    line, column = position(text, "demand_forecast:")
    assert only_problem(validate(project, text=text)) == (
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast: missing key 'timestamp_col' "
        f"(required for profile_type inference_log)")


def test_bad_slicing_expression(project):
    text = edited('"price > 100"', '"price >> 100"')
    line, column = position(text, '"price >>')
    assert only_problem(validate(project, text=text)).startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.slicing_exprs[1]: position 8: expected")


def test_slicing_predicate_must_bind_to_the_table(project):
    text = edited('"price > 100"', '"cost > 100"')
    line, column = position(text, '"cost > 100"')
    problem = only_problem(validate(project, text=text))
    assert problem.startswith(f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.slicing_exprs[1]")
    assert "cost" in problem


def test_missing_table(project):
    text = edited("table: sales/inference_log", "table: sales/inference_logs")
    line, column = position(text, "sales/inference_logs")
    missing = project / "lakehouse" / "dev" / "sales" / "inference_logs"
    assert only_problem(validate(project, text=text)).startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.table: {missing}: ")


def test_missing_baseline_version(project):
    text = edited("version: 1}", "version: 7}")
    line, column = position(text, "7}")
    assert only_problem(validate(project, text=text)).startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.baseline.version: ")


def test_unknown_column(project):
    text = edited("columns: [price, promo]", "columns: [price, promos]")
    line, column = position(text, "promos")
    table = project / "lakehouse" / "dev" / "sales" / "inference_log"
    assert only_problem(validate(project, text=text)) == (
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.breach[1].columns[1]: no column 'promos' in table "
        f"'{table}'; did you mean 'promo'?")


def test_timestamp_column_must_hold_time(project):
    text = edited("timestamp_col: ts", "timestamp_col: region")
    line, column = position(text, "region", 1)
    # ts is now a monitored column, which the training set lacks: the second problem.
    assert problems(validate(project, text=text))[0] == (
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.timestamp_col: expected a timestamp or date column, "
        f"found 'region' of type string")


def test_baseline_schema_mismatch(project):
    baseline = project / "lakehouse" / "dev" / "sales" / "training_set"
    # Version 2 of the baseline: price as text (categorical) and no promo column.
    rows = training_rows(pa.string()).drop_columns(["promo"])
    write_deltalake(str(baseline), rows, mode="overwrite", schema_mode="overwrite")
    text = edited("version: 1}", "version: 2}")
    line, column = position(text, "sales/training_set")
    lines = problems(validate(project, text=text))
    assert lines == [
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.baseline.table: column 'price' is numeric (double) "
        f"in the table but categorical (string) in the baseline table '{baseline}'; expected the same kind (set "
        f"columns.kinds.price or fix the baseline)",
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.baseline.table: the baseline table '{baseline}' "
        f"lacks monitored column 'promo' (expected every monitored column of "
        f"'{project / 'lakehouse' / 'dev' / 'sales' / 'inference_log'}'; exclude the others under columns.exclude)",
    ]
    # Version 1 still has the old schema.
    assert validate(project, text=VALID).returncode == 0
    # Excluding promo and profiling price as categorical on both sides makes them agree.
    text = text.replace("columns: {exclude: [order_id]}", "columns: {exclude: [order_id, promo], kinds: {price: categorical}}")
    result = validate(project, text=text)
    assert result.returncode == 0, result.stderr


def test_bad_drift_option(project):
    text = edited("drift_share: 0.5, thresholds: {population_stability_index: 0.2}",
                  "drift_share: 0, thresholds: {population_stability_index: -0.2}")
    lines = problems(validate(project, text=text))
    line, column = position(text, "0, thresholds")
    line2, column2 = position(text, "-0.2")
    assert lines == [
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.drift.drift_share must be in (0, 1], got 0",
        f"driftgov.yaml:{line2}:{column2}: monitors.demand_forecast.drift.thresholds.population_stability_index must "
        f"be a finite number above 0, got -0.2",
    ]


def test_unknown_drift_test(project):
    text = edited("correction: bh,", "correction: bh, test: kss,")
    line, column = position(text, "kss")
    problem = only_problem(validate(project, text=text))
    assert problem.startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.drift.test: unknown test 'kss'; expected one of ")


def test_baseline_profile(project, driftgov):
    profile = project / "baselines" / "training.profile.json"
    profile.parent.mkdir()
    text = edited("{table: sales/training_set, version: 1}", "{profile: baselines/training.profile.json}")
    line, column = position(text, "baselines/training.profile.json")
    problem = only_problem(validate(project, text=text))
    assert problem.startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.baseline.profile: cannot read the profile: {profile}")
    profile.write_text("{not json")
    assert only_problem(validate(project, text=text)).startswith(
        f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.baseline.profile: cannot read the profile: "
        f"{profile}: not valid JSON")
    # A profile of the training set covers every monitored column with the same kinds.
    training = project / "lakehouse" / "dev" / "sales" / "training_set"
    subprocess.run([str(driftgov), "profile", str(training), "--output", str(profile)], check=True,
                   capture_output=True)
    result = validate(project, text=text)
    assert result.returncode == 0, result.stderr


def test_variable_assignment_needs_a_name(project):
    result = validate(project, "--var", "=/x")
    assert result.returncode == 2
    assert result.stderr == "driftgov: error: --var: expected NAME=VALUE, found '=/x'\n"


# ---- remediation.trainer (docs/governance.md, "The trainer of a remediation"): one test per kind of mistake ----

TRAINER = """    remediation:
      target: staging
      features:
        - {table: sales/inference_log, keys: [order_id], timestamp: ts, columns: [price, promo]}
      labels: {table: sales/inference_log, keys: [order_id], timestamp: ts, label: label}
      trainer:
        kind: xgboost
        objective: "reg:squarederror"
        features: [price, promo]
        rounds: 40
        seed: 7
        params: {max_depth: 4, eta: 0.3}
"""


def with_trainer(*changes):
    """TRAINER with each (old, new) of `changes` made, in the valid file."""
    trainer = TRAINER
    for old, new in changes:
        assert old in trainer, old
        trainer = trainer.replace(old, new, 1)
    return VALID.replace("    output_schema: monitoring\n", "    output_schema: monitoring\n" + trainer)


def trainer_problem(project, old, new, needle, *more):
    text = with_trainer((old, new), *more)
    occurrence = text.count(needle, 0, text.index("      trainer:")) + 1  # the first in the trainer block
    line, column = position(text, needle, occurrence)
    problem = only_problem(validate(project, text=text))
    prefix = f"driftgov.yaml:{line}:{column}: monitors.demand_forecast.remediation.trainer"
    assert problem.startswith(prefix), (problem, prefix)
    return problem[len(prefix):]


def test_a_declared_trainer_is_valid(project):
    result = validate(project, text=with_trainer())
    assert result.returncode == 0, result.stderr


def test_trainer_unknown_key_with_suggestion(project):
    assert trainer_problem(project, "params:", "paramz:", "paramz") == \
        ": unknown key 'paramz'; did you mean 'params'?"


def test_trainer_unknown_kind(project):
    assert trainer_problem(project, "kind: xgboost", "kind: xgbost", "xgbost") == \
        ".kind: expected one of xgboost, random_forest, command, found 'xgbost'; did you mean 'xgboost'?"


def test_trainer_wrong_type(project):
    assert trainer_problem(project, "rounds: 40", "rounds: many", "many") == \
        ".rounds: expected a whole number, found 'many'"


def test_trainer_bad_objective(project):
    assert trainer_problem(project, '"reg:squarederror"', "multi:softmax", "multi:softmax") == \
        ".objective: expected binary:logistic or a reg: objective (reg:squarederror, ...), found 'multi:softmax'"


def test_trainer_parameter_the_trainer_fixes(project):
    assert trainer_problem(project, "max_depth: 4", "nthread: 4", "nthread") == \
        ".params.nthread: set by the trainer (single-threaded; seed and objective are keys of trainer)"


def test_trainer_random_forest_grows_one_round(project):
    assert trainer_problem(project, "kind: xgboost", "kind: random_forest", "40", ("eta: 0.3", "eta: 1")) == \
        ".rounds: random_forest grows one round (of num_parallel_tree trees), found 40"


def test_trainer_builtin_setting_given_to_an_external_command(project):
    old = "        objective: \"reg:squarederror\"\n"
    text_old = "kind: xgboost\n" + old
    assert trainer_problem(project, text_old, "command: python train.py\n", "40",
                           ("        params: {max_depth: 4, eta: 0.3}\n", "")) == \
        (".rounds: a setting of the built-in trainer; an external trainer (command) takes command, label, features, "
         "seed, format and problem")


def test_trainer_problem_without_a_command(project):
    assert trainer_problem(project, "seed: 7", "problem: regression", "regression") == \
        ".problem: only an external trainer (command) takes it; the built-in trainer's objective says the problem"
