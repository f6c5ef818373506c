// The driftgov.yaml loader (docs/monitoring-config.md): resolved values of a full example, and one test per kind of
// mistake, each asserting the 1-based line and column of the offending YAML node (counted by hand in the text
// below) and the message. Checks against tables are in tests/python/test_validate.py, on tables deltalake writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "driftgov/monitor/config.hpp"

namespace driftgov::monitor {
namespace {

namespace fs = std::filesystem;

// Every file "lives" in this folder, so that relative paths resolve to known absolute ones.
const std::string kFolder = "/srv/models";
const std::string kFile = kFolder + "/driftgov.yaml";

const char* const kFullExample = R"(project: retail-models
variables: {lake: {default: ./lakehouse}, env: {default: "${target}-x"}}
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
    prediction_proba_col: proba
    problem_type: regression
    baseline: {table: sales/training_set, version: 12}
    slicing_exprs: ["region", "price > 100", "`unit price`"]
    columns: {exclude: [order_id], kinds: {store: categorical}}
    drift: {correction: bh, drift_share: 0.4, thresholds: {population_stability_index: 0.2, js: 0.3}, columns: {price: {test: ks, threshold: 0.01}}}
    breach:
      - {metric: dataset_drift, drift_type: BASELINE, num_violation_windows: 2}
      - {metric: population_stability_index, op: ">=", value: 0.25, columns: [price, promo]}
      - {metric: r2_score, op: "<", value: 0.6}
    schedule: {quartz_cron_expression: "0 0 * * * ?", timezone_id: Europe/Paris}
  stock:
    table: /abs/stock_${target}_${var.env}
    baseline: {profile: baselines/stock.profile.json}
    output_schema: mon
)";

std::vector<ConfigIssue> issues_of(const std::string& text, const LoadOptions& options = {}) {
  try {
    (void)load_config_text(text, kFile, options);
  } catch (const ConfigError& error) {
    return error.issues();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

// The only issue of `text`, checked to be at line:column.
ConfigIssue only_issue(const std::string& text, int line, int column) {
  const auto issues = issues_of(text);
  EXPECT_EQ(issues.size(), 1u) << (issues.empty() ? "" : ConfigError(issues).what());
  if (issues.empty()) return {};
  EXPECT_EQ(issues[0].where.file, kFile);
  EXPECT_EQ(issues[0].where.line, line) << issues[0].message;
  EXPECT_EQ(issues[0].where.column, column) << issues[0].message;
  return issues[0];
}

// A valid file with one monitor whose body is `monitor` (indented by four spaces).
std::string with_monitor(const std::string& monitor) {
  return "project: p\ntargets: {dev: {lakehouse: /lake}}\nmonitors:\n  m:\n" + monitor;
}

TEST(MonitorConfig, FullExampleResolvesPathsVariablesAndTargets) {
  const auto config = load_config_text(kFullExample, kFile);
  EXPECT_EQ(config.project, "retail-models");
  EXPECT_EQ(config.target, "dev");
  EXPECT_EQ(config.selected_target().lakehouse, "/srv/models/lakehouse/dev");
  EXPECT_EQ(config.targets.at("staging").lakehouse, "/srv/models/lakehouse/staging");
  EXPECT_EQ(config.targets.at("prod").lakehouse, "/data/lake/prod");  // the target's own value of `lake`
  EXPECT_EQ(config.targets.at("prod").mode, "production");
  EXPECT_EQ(config.variables.at("env"), "dev-x");
  ASSERT_EQ(config.monitors.size(), 2u);
  const auto& demand = config.monitor("demand_forecast");
  EXPECT_EQ(demand.table, "/srv/models/lakehouse/dev/sales/inference_log");
  EXPECT_EQ(demand.profile_type, ProfileType::kInferenceLog);
  EXPECT_EQ(demand.timestamp_col, "ts");
  ASSERT_EQ(demand.granularities.size(), 2u);
  EXPECT_EQ(demand.granularities[0].unit, TimeUnit::kDay);
  EXPECT_EQ(demand.granularities[1].unit, TimeUnit::kWeek);
  EXPECT_EQ(demand.model_id_col, "model_version");
  EXPECT_EQ(demand.prediction_proba_col, "proba");
  EXPECT_EQ(demand.problem_type, ProblemType::kRegression);
  ASSERT_TRUE(demand.baseline);
  EXPECT_EQ(demand.baseline->table, "/srv/models/lakehouse/dev/sales/training_set");
  EXPECT_EQ(demand.baseline->version, 12);
  EXPECT_EQ(demand.slicing_exprs, (std::vector<std::string>{"region", "price > 100", "`unit price`"}));
  EXPECT_EQ(demand.columns.exclude, std::vector<std::string>{"order_id"});
  EXPECT_EQ(demand.columns.kinds.at("store"), stats::ColumnKind::kCategorical);
  EXPECT_EQ(demand.drift.correction, stats::Correction::kBenjaminiHochberg);
  EXPECT_EQ(demand.drift.drift_share, 0.4);
  EXPECT_EQ(demand.drift.distance_thresholds.at(stats::DriftTest::kPsi), 0.2);
  EXPECT_EQ(demand.drift.distance_thresholds.at(stats::DriftTest::kJensenShannon), 0.3);
  EXPECT_EQ(demand.drift.distance_thresholds.at(stats::DriftTest::kHellinger), 0.1);  // untouched default
  EXPECT_EQ(demand.drift.columns.at("price").test, stats::DriftTest::kKs);
  EXPECT_EQ(demand.drift.columns.at("price").threshold, 0.01);
  ASSERT_EQ(demand.breach.size(), 3u);
  EXPECT_EQ(demand.breach[0].metric, "dataset_drift");
  EXPECT_FALSE(demand.breach[0].op);
  EXPECT_EQ(demand.breach[0].num_violation_windows, 2);
  EXPECT_EQ(demand.breach[1].op, BreachOp::kGreaterEqual);
  EXPECT_EQ(demand.breach[1].value, 0.25);
  EXPECT_EQ(demand.breach[1].columns, (std::vector<std::string>{"price", "promo"}));
  EXPECT_EQ(demand.breach[2].op, BreachOp::kLess);
  EXPECT_EQ(demand.breach[2].value, 0.6);
  EXPECT_EQ(demand.breach[2].where.line, 25);
  EXPECT_EQ(demand.breach[2].where.column, 9);
  ASSERT_TRUE(demand.schedule);
  EXPECT_EQ(demand.schedule->cron.text(), "0 0 * * * ?");
  EXPECT_EQ(demand.zone().id(), "Europe/Paris");
  EXPECT_EQ(demand.output_root, "/srv/models/lakehouse/dev/monitoring");
  EXPECT_EQ(demand.where.line, 8);
  EXPECT_EQ(demand.where.column, 3);
  EXPECT_EQ(demand.positions.at("slicing_exprs[1]").line, 19);
  EXPECT_EQ(demand.positions.at("slicing_exprs[1]").column, 31);
  EXPECT_EQ(demand.config_hash.size(), 64u);

  const auto& stock = config.monitor("stock");
  EXPECT_EQ(stock.table, "/abs/stock_dev_dev-x");
  EXPECT_EQ(stock.profile_type, ProfileType::kSnapshot);
  EXPECT_EQ(stock.baseline->profile, "/srv/models/baselines/stock.profile.json");
  EXPECT_EQ(stock.output_root, "/srv/models/lakehouse/dev/mon");
  EXPECT_EQ(stock.zone().id(), "UTC");
  EXPECT_THROW((void)config.monitor("stok"), core::InputError);
}

TEST(MonitorConfig, TargetAndCommandLineVariablesOverrideDefaults) {
  LoadOptions options;
  options.target = "prod";
  auto config = load_config_text(kFullExample, kFile, options);
  EXPECT_EQ(config.target, "prod");
  EXPECT_EQ(config.monitor("demand_forecast").table, "/data/lake/prod/sales/inference_log");
  EXPECT_EQ(config.monitor("stock").table, "/abs/stock_prod_prod-x");

  options.variables = {{"lake", "s3://bucket/lake"}};
  config = load_config_text(kFullExample, kFile, options);
  EXPECT_EQ(config.monitor("demand_forecast").table, "s3://bucket/lake/prod/sales/inference_log");
  EXPECT_EQ(config.monitor("demand_forecast").baseline->table, "s3://bucket/lake/prod/sales/training_set");
}

TEST(MonitorConfig, HashIgnoresFormattingButNotValues) {
  const auto base = with_monitor("    table: t\n    drift: {alpha: 0.01, bins: 20}\n");
  const auto reordered = with_monitor("    drift:\n      bins: 20\n      alpha: 0.01   # comment\n    table: 't'\n");
  const auto changed = with_monitor("    table: t\n    drift: {alpha: 0.01, bins: 21}\n");
  const auto hash = [](const std::string& text) { return load_config_text(text, kFile).monitors.at(0).config_hash; };
  EXPECT_EQ(hash(base), hash(reordered));
  EXPECT_NE(hash(base), hash(changed));
}

TEST(MonitorConfig, YamlSyntaxError) {
  // `a: b: c`: yaml-cpp stops at the second ':' (column 13 of line 5).
  const auto issue = only_issue(with_monitor("    table: a: b\n"), 5, 13);
  EXPECT_EQ(issue.message, "YAML syntax: illegal map value");
  EXPECT_EQ(issue.text(), kFile + ":5:13: YAML syntax: illegal map value");
  // A second document (the '---' of line 2 starts it) would be ignored silently by a plain YAML::Load.
  EXPECT_EQ(only_issue("project: p\n---\nproject: q\n", 2, 1).message,
            "expected the end of the YAML document, found more (a configuration file holds one document)");
  // A stray ',' after a node: yaml-cpp 0.7's LoadAll loops forever on it.
  EXPECT_EQ(only_issue("&anchor_name, x\n", 1, 13).message,
            "expected the end of the YAML document, found more (a configuration file holds one document)");
  // Nesting beyond yaml-cpp's recursion guard is an issue, not a stack overflow.
  const auto deep = issues_of("project: " + std::string(100000, '[') + std::string(100000, ']') + "\n");
  ASSERT_EQ(deep.size(), 1u);
  EXPECT_TRUE(deep[0].message.starts_with("YAML syntax: expected at most")) << deep[0].message;
}

TEST(MonitorConfig, UnknownKeyWithSuggestion) {
  const auto issue = only_issue(with_monitor("    table: t\n    slicing_expr: [a]\n"), 6, 5);
  EXPECT_EQ(issue.message, "monitors.m: unknown key 'slicing_expr'; did you mean 'slicing_exprs'?");
  const auto far = only_issue("project: p\ntargets: {dev: {lakehouse: /l}}\nmonitors: {}\nzzz: 1\n", 4, 1);
  EXPECT_EQ(far.message, "top level: unknown key 'zzz'; expected one of: project, variables, targets, principals, governance, lineage, monitors");
}

TEST(MonitorConfig, WrongType) {
  EXPECT_EQ(only_issue(with_monitor("    table: t\n    granularities: \"1 day\"\n"), 6, 20).message,
            "monitors.m.granularities: expected a list of granularities, found '1 day'");
  EXPECT_EQ(only_issue(with_monitor("    table: t\n    baseline: {table: b, version: twelve}\n"), 6, 35).message,
            "monitors.m.baseline.version: expected a whole number, found 'twelve'");
  EXPECT_EQ(only_issue(with_monitor("    table: [t]\n"), 5, 12).message,
            "monitors.m.table: expected a table path, found a list");
}

TEST(MonitorConfig, IllegalGranularity) {
  const auto issue = only_issue(with_monitor("    table: t\n    profile_type: time_series\n    timestamp_col: ts\n"
                                             "    granularities: [\"1 day\", \"1 fortnight\"]\n"),
                                8, 30);
  EXPECT_TRUE(issue.message.starts_with("monitors.m.granularities[1]: expected a granularity")) << issue.message;
  EXPECT_NE(issue.message.find("found '1 fortnight'"), std::string::npos) << issue.message;
}

TEST(MonitorConfig, IllegalCron) {
  const auto issue =
      only_issue(with_monitor("    table: t\n    schedule: {quartz_cron_expression: \"0 61 * * * ?\"}\n"), 6, 40);
  EXPECT_TRUE(issue.message.starts_with("monitors.m.schedule.quartz_cron_expression: field 2 (minutes)"))
      << issue.message;
  EXPECT_NE(issue.message.find("found '61'"), std::string::npos) << issue.message;
}

TEST(MonitorConfig, UnknownTimeZone) {
  const auto issue = only_issue(
      with_monitor("    table: t\n    schedule: {quartz_cron_expression: \"0 0 * * * ?\", timezone_id: Mars/Base}\n"),
      6, 68);
  EXPECT_TRUE(issue.message.starts_with("monitors.m.schedule.timezone_id: unknown time zone 'Mars/Base'"))
      << issue.message;
}

TEST(MonitorConfig, UnknownVariable) {
  const auto issue = only_issue(
      "project: p\nvariables: {lake: {default: /l}}\ntargets: {dev: {lakehouse: \"${var.laek}/dev\"}}\nmonitors: {}\n",
      3, 28);
  EXPECT_EQ(issue.message, "targets.dev.lakehouse: unknown variable 'laek' in '${var.laek}/dev'; did you mean 'lake'?");
  const auto other = only_issue(with_monitor("    table: ${var.x}\n"), 5, 12);
  EXPECT_EQ(other.message, "monitors.m.table: unknown variable 'x' in '${var.x}'; no variables are declared");
}

TEST(MonitorConfig, VariableWithoutValue) {
  const std::string text = "project: p\nvariables:\n  lake: {description: root}\n"
                           "targets: {dev: {lakehouse: \"${var.lake}\"}, prod: {lakehouse: /p, variables: {lake: /x}}}\n"
                           "monitors: {}\n";
  LoadOptions options;
  options.target = "dev";
  const auto issues = issues_of(text, options);
  ASSERT_EQ(issues.size(), 1u) << ConfigError(issues).what();
  EXPECT_EQ(issues[0].text(), kFile + ":3:3: variables.lake: no value for target 'dev': give it a default, a value "
                                      "under targets.dev.variables or --var lake=VALUE");
  options.target = "prod";
  EXPECT_EQ(load_config_text(text, kFile, options).variables.at("lake"), "/x");
  options.variables = {{"lake", "/cli"}};
  options.target = "dev";
  EXPECT_EQ(load_config_text(text, kFile, options).selected_target().lakehouse, "/cli");
  // Without a target the variables' uses are not reported again.
  EXPECT_EQ(only_issue("project: \"${var.v}\"\nvariables: {v: x}\ntargets: {a: {lakehouse: /a}, b: {lakehouse: /b}}\n"
                       "monitors: {}\n",
                       1, 1)
                .message,
            "targets: none has default: true; choose one with --target (a, b)");
}

TEST(MonitorConfig, MissingRequiredKey) {
  const auto issues = issues_of(with_monitor("    table: t\n    profile_type: inference_log\n    timestamp_col: ts\n"
                                             "    granularities: [1 day]\n"));
  ASSERT_EQ(issues.size(), 2u);
  for (const auto& issue : issues) {
    EXPECT_EQ(issue.where.line, 4);
    EXPECT_EQ(issue.where.column, 3);
  }
  EXPECT_EQ(issues[0].message, "monitors.m: missing key 'problem_type' (required for profile_type inference_log)");
  EXPECT_EQ(issues[1].message, "monitors.m: missing key 'prediction_col' (required for profile_type inference_log)");
}

TEST(MonitorConfig, BadSlicingExpression) {
  const auto issue = only_issue(with_monitor("    table: t\n    slicing_exprs: [region, \"price >\"]\n"), 6, 29);
  EXPECT_TRUE(issue.message.starts_with("monitors.m.slicing_exprs[1]: position 8: expected a value")) << issue.message;
}

TEST(MonitorConfig, BadDriftOptionsAreEachReportedWhereWritten) {
  const auto issues = issues_of(with_monitor(
      "    table: t\n    drift: {drift_share: 1.5, bins: 1, thresholds: {psi: -1}, columns: {a: {bins: 0}}, "
      "correction: holm}\n"));
  ASSERT_EQ(issues.size(), 5u) << ConfigError(issues).what();
  EXPECT_EQ(issues[0].text(), kFile + ":6:26: monitors.m.drift.drift_share must be in (0, 1], got 1.5");
  EXPECT_EQ(issues[1].text(), kFile + ":6:37: monitors.m.drift.bins must be a whole number from 2 to 10000, got 1");
  EXPECT_EQ(issues[2].text(), kFile + ":6:58: monitors.m.drift.thresholds.psi must be a finite number above 0, got -1");
  EXPECT_EQ(issues[3].text(),
            kFile + ":6:83: monitors.m.drift.columns.a.bins must be a whole number from 2 to 10000, got 0");
  EXPECT_EQ(issues[4].text(), kFile + ":6:100: monitors.m.drift.correction: unknown correction 'holm'; expected none, "
                                      "bonferroni or benjamini-hochberg");
}

TEST(MonitorConfig, ThresholdsTakeDistancesOnly) {
  const auto issues = issues_of(with_monitor("    table: t\n    drift:\n      thresholds: {pssi: 0.2, ks: 0.01, js: 0}\n"));
  ASSERT_EQ(issues.size(), 3u) << ConfigError(issues).what();
  EXPECT_TRUE(issues[0].text().starts_with(kFile + ":7:20: monitors.m.drift.thresholds.pssi: unknown test 'pssi'"))
      << issues[0].text();
  EXPECT_EQ(issues[1].text(), kFile + ":7:31: monitors.m.drift.thresholds.ks: expected a distance "
                                      "(population_stability_index, js_distance, hellinger, ...), found the hypothesis "
                                      "test; the threshold of ks and chi-squared is monitors.m.drift.alpha");
  EXPECT_EQ(issues[2].text(),
            kFile + ":7:45: monitors.m.drift.thresholds.js must be a finite number above 0, got 0");
}

TEST(MonitorConfig, BreachRules) {
  const auto issues = issues_of(with_monitor("    table: t\n    breach:\n      - {metric: r2_score}\n"
                                             "      - {metric: psi, op: \"=>\", value: 1}\n"));
  ASSERT_EQ(issues.size(), 3u) << ConfigError(issues).what();
  EXPECT_EQ(issues[0].text(), kFile + ":7:9: monitors.m.breach[0]: metric 'r2_score' needs both 'op' and 'value' (for "
                                      "example op: \">=\", value: 0.2)");
  EXPECT_EQ(issues[1].text(), kFile + ":8:18: monitors.m.breach[1].metric: expected a metric a breach rule can name "
                                      "(such as dataset_drift, population_stability_index, r2_score; docs/monitoring.md "
                                      "lists them), found 'psi'");
  EXPECT_EQ(issues[2].text(), kFile + ":8:27: monitors.m.breach[1].op: expected one of <, <=, >, >=, ==, !=, found "
                                      "'=>'; did you mean '>'?");
}

TEST(MonitorConfig, TargetSelection) {
  const std::string two = "project: p\ntargets: {a: {lakehouse: /a}, b: {lakehouse: /b}}\nmonitors: {}\n";
  EXPECT_EQ(only_issue(two, 1, 1).message, "targets: none has default: true; choose one with --target (a, b)");
  LoadOptions options;
  options.target = "bb";
  const auto issues = issues_of(two, options);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].text(), kFile + ": --target bb: no such target; expected one of: a, b; did you mean 'b'?");
  options.target = "b";
  EXPECT_EQ(load_config_text(two, kFile, options).selected_target().lakehouse, "/b");
  options = {};
  options.variables = {{"nope", "1"}};
  EXPECT_EQ(issues_of("project: p\ntargets: {a: {lakehouse: /a}}\nmonitors: {}\n", options).at(0).text(),
            kFile + ": --var nope: no variable 'nope' is declared under variables");
}

TEST(MonitorConfig, EveryIssueOfAFileIsReported) {
  const auto issues = issues_of("project: p\ntargets: {dev: {lakehouse: /l, mode: prod}}\nmonitors:\n  m:\n"
                                "    tabel: t\n    problem_type: regresion\n");
  ASSERT_EQ(issues.size(), 4u) << ConfigError(issues).what();
  EXPECT_EQ(issues[0].text(), kFile + ":2:38: targets.dev.mode: expected one of development, production, found "
                                      "'prod'");
  EXPECT_EQ(issues[1].text(), kFile + ":4:3: monitors.m: missing key 'table'");
  EXPECT_EQ(issues[2].text(), kFile + ":5:5: monitors.m: unknown key 'tabel'; did you mean 'table'?");
  EXPECT_EQ(issues[3].text(), kFile + ":6:19: monitors.m.problem_type: expected one of classification, regression, "
                                      "found 'regresion'; did you mean 'regression'?");
}

TEST(MonitorConfig, ClosestName) {
  EXPECT_EQ(closest_name("tabel", {"table", "label_col"}), "table");
  EXPECT_EQ(closest_name("x", {"table"}), "");
  EXPECT_EQ(closest_name("granularity", {"granularities", "table"}), "granularities");
}

TEST(MonitorConfig, MissingFileNamesThePath) {
  const auto path = (fs::temp_directory_path() / "driftgov-no-such-config.yaml").string();
  try {
    (void)load_config(path);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError&) {
    ADD_FAILURE() << "a missing file is not a configuration issue";
  } catch (const core::InputError& error) {
    EXPECT_EQ(std::string(error.what()).find(path), 0u) << error.what();
  }
}

}  // namespace
}  // namespace driftgov::monitor
