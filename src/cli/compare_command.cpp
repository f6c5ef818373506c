// driftgov compare REFERENCE CURRENT: per-column drift metrics, the selected tests and the dataset verdict.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "driftgov/stats/drift.hpp"

namespace driftgov::cli {
namespace {

struct CompareArguments {
  std::string reference;
  std::string current;
  std::vector<std::string> columns;
  std::vector<std::string> exclude;
  std::vector<std::string> tests;       // TEST or COLUMN=TEST
  std::vector<std::string> thresholds;  // VALUE or COLUMN=VALUE
  std::vector<std::string> bins;        // N or COLUMN=N
  double alpha = 0.05;
  std::string correction = "none";
  double drift_share = 0.5;
  std::int64_t small_sample_limit = 1000;
  std::int64_t exact_limit = 10'000'000;
  double proportion_floor = 1e-4;
  std::size_t max_category_bins = 100;
  std::string json_output;
  bool fail_on_drift = false;
  bool quiet = false;
  SourceArguments source;
  ProfileArguments profile;
};

double parse_number(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(value)) {
    throw core::InputError(fmt::format("{}: expected a number, got '{}'", option, text));
  }
  return value;
}

int parse_bins(const std::string& text, const std::string& option) {
  const double value = parse_number(text, option);
  if (value != std::floor(value) || value < 2 || value > 10000) {
    throw core::InputError(fmt::format("{}: expected a whole number of bins from 2 to 10000, got '{}'", option, text));
  }
  return static_cast<int>(value);
}

stats::DriftOptions drift_options(const CompareArguments& args) {
  stats::DriftOptions options;
  if (!(args.alpha > 0.0 && args.alpha < 1.0)) {
    throw core::InputError(fmt::format("--alpha must be between 0 and 1, got {}", args.alpha));
  }
  if (!(args.drift_share > 0.0 && args.drift_share <= 1.0)) {
    throw core::InputError(fmt::format("--drift-share must be in (0, 1], got {}", args.drift_share));
  }
  if (!(args.proportion_floor > 0.0 && args.proportion_floor < 1.0)) {
    throw core::InputError(fmt::format("--proportion-floor must be in (0, 1), got {}", args.proportion_floor));
  }
  if (args.max_category_bins < 1) throw core::InputError("--max-category-bins must be at least 1");
  options.alpha = args.alpha;
  options.correction = stats::correction_from_string(args.correction, "--correction");
  options.drift_share = args.drift_share;
  options.small_sample_limit = args.small_sample_limit;
  options.proportion_floor = args.proportion_floor;
  options.max_category_bins = args.max_category_bins;
  std::optional<double> global_threshold;
  for (const auto& entry : args.tests) {
    if (entry.find('=') == std::string::npos) {
      options.test = stats::drift_test_from_string(entry, "--test " + entry);
    } else {
      auto [column, test] = split_assignment(entry, "--test");
      options.columns[column].test = stats::drift_test_from_string(test, "--test " + entry);
    }
  }
  for (const auto& entry : args.thresholds) {
    if (entry.find('=') == std::string::npos) {
      global_threshold = parse_number(entry, "--threshold");
    } else {
      auto [column, value] = split_assignment(entry, "--threshold");
      options.columns[column].threshold = parse_number(value, "--threshold " + entry);
    }
  }
  for (const auto& entry : args.bins) {
    if (entry.find('=') == std::string::npos) {
      options.bins = parse_bins(entry, "--bins");
    } else {
      auto [column, value] = split_assignment(entry, "--bins");
      options.columns[column].bins = parse_bins(value, "--bins " + entry);
    }
  }
  if (global_threshold) {
    // A bare threshold sets the threshold of the chosen global test (alpha for a hypothesis test).
    if (!options.test || *options.test == stats::DriftTest::kAuto) {
      throw core::InputError("--threshold VALUE needs --test TEST; use --alpha for the automatic hypothesis tests, "
                             "or COLUMN=VALUE for one column");
    }
    if (stats::is_hypothesis_test(*options.test)) {
      options.alpha = *global_threshold;
    } else {
      options.distance_thresholds[*options.test] = *global_threshold;
    }
  }
  return options;
}

std::vector<std::string> selected_columns(const CompareArguments& args, const stats::DatasetProfile& reference,
                                          const stats::DatasetProfile& current) {
  std::vector<std::string> names = args.columns;
  if (names.empty() && !args.exclude.empty()) {
    for (const auto& column : reference.columns) names.push_back(column.name);
    for (const auto& column : current.columns) {
      if (!reference.find(column.name)) names.push_back(column.name);
    }
  }
  for (const auto& excluded : args.exclude) {
    if (!reference.find(excluded) && !current.find(excluded)) {
      throw core::InputError(fmt::format("--exclude {}: no such column on either side", excluded));
    }
    std::erase(names, excluded);
  }
  if (!args.exclude.empty() && names.empty()) throw core::InputError("--exclude left no columns to compare");
  return names;
}

std::string format_optional(const std::optional<double>& value, const char* spec = "{:.4g}") {
  return value ? fmt::format(fmt::runtime(spec), *value) : std::string("-");
}

void print_table(const stats::DriftReport& report) {
  fmt::print("reference: {} ({} rows)\ncurrent:   {} ({} rows)\n\n", report.reference_source, report.reference_rows,
             report.current_source, report.current_rows);
  fmt::print("{:<24} {:<11} {:<27} {:>10} {:>10} {:>8} {:<9} {:>10}  {}\n", "feature", "type", "test", "statistic",
             "p-value", "PSI", "level", "null Δpp", "drift");
  for (const auto& column : report.columns) {
    const double null_change = column.percent_null_current - column.percent_null_reference;
    if (!column.evaluated) {
      fmt::print("{:<24} {:<11} {:<27} {:>10} {:>10} {:>8} {:<9} {:>+10.2f}  not evaluated: {}\n",
                 column.column_name, column.data_type, "-", "-", "-", "-", "-", null_change, column.reason);
      continue;
    }
    const auto& test = *column.test;
    const auto pvalue = test.pvalue_adjusted ? test.pvalue_adjusted : test.pvalue;
    fmt::print("{:<24} {:<11} {:<27} {:>10.4g} {:>10} {:>8.4f} {:<9} {:>+10.2f}  {}{}\n", column.column_name,
               column.data_type, test.name, test.statistic, format_optional(pvalue, "{:.3g}"),
               column.metrics.at("population_stability_index"), column.drift_level, null_change,
               test.drifted ? "DRIFT" : "ok", column.exact ? "" : " (sketch)");
  }
  fmt::print("\n");
  for (const auto& column : report.columns) {
    if (column.new_category_count > 0) {
      fmt::print("{}: {} categories unseen in the reference (e.g. {})\n", column.column_name,
                 column.new_category_count, fmt::join(column.new_categories, ", "));
    }
    if (column.missing_category_count > 0) {
      fmt::print("{}: {} reference categories absent from the current data (e.g. {})\n", column.column_name,
                 column.missing_category_count, fmt::join(column.missing_categories, ", "));
    }
  }
  fmt::print("dataset drift: {} ({} of {} evaluated columns drifted, share {:.3f}, threshold {}{})\n",
             report.dataset_drift ? "YES" : "no", report.drifted_columns, report.evaluated_columns,
             report.share_of_drifted_columns, report.options.drift_share,
             report.options.correction == stats::Correction::kNone
                 ? ""
                 : fmt::format(", {} correction", stats::to_string(report.options.correction)));
}

void write_json(const nlohmann::json& json, const std::string& path) {
  const auto text = json.dump(2) + "\n";
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  io::write_file_atomically(io::local_storage(), path, text);
}

}  // namespace

void register_compare(CLI::App& app) {
  auto args = std::make_shared<CompareArguments>();
  auto* command = app.add_subcommand(
      "compare", "Compare CURRENT with REFERENCE: drift metrics per column and a dataset verdict (docs/cli.md)");
  command->add_option("REFERENCE", args->reference, "Reference data (CSV, Parquet, Delta) or a stored profile")
      ->required();
  command->add_option("CURRENT", args->current, "Current data (CSV, Parquet, Delta) or a stored profile")->required();
  command->add_option("--columns", args->columns, "Compare only these columns (comma-separated)")->delimiter(',');
  command->add_option("--exclude", args->exclude, "Leave these columns out (comma-separated)")->delimiter(',');
  command->add_option("--test", args->tests,
                      "Test for every column it suits (TEST), or for one column (COLUMN=TEST); repeatable. "
                      "TEST: auto, ks, chi2, psi, wasserstein, js, hellinger, kl, tv, linf");
  command->add_option("--threshold", args->thresholds,
                      "Drift threshold of the --test (VALUE) or of one column (COLUMN=VALUE): alpha for ks/chi2, "
                      "distance otherwise");
  command->add_option("--bins", args->bins, "Numeric bins at reference quantiles (N, default 10) or COLUMN=N");
  command->add_option("--alpha", args->alpha, "Significance level of hypothesis tests")->capture_default_str();
  command->add_option("--correction", args->correction, "Multiple-testing correction: none, bonferroni, bh")
      ->capture_default_str();
  command->add_option("--drift-share", args->drift_share, "Dataset drift when this share of columns drifted")
      ->capture_default_str();
  command->add_option("--small-sample-limit", args->small_sample_limit,
                      "Automatic choice: hypothesis tests up to this many reference values, distances above")
      ->capture_default_str();
  command->add_option("--exact-limit", args->exact_limit,
                      "Keep up to this many values per numeric column for exact KS/Wasserstein/quantiles "
                      "(0: sketches only)")
      ->capture_default_str();
  command->add_option("--proportion-floor", args->proportion_floor, "PSI/KL: empty-bin proportions raised to this")
      ->capture_default_str();
  command->add_option("--max-category-bins", args->max_category_bins,
                      "Reference categories with a bin of their own; the rest share one")
      ->capture_default_str();
  command->add_option("--json", args->json_output, "Write the full result as JSON to FILE ('-' for stdout)");
  command->add_flag("--fail-on-drift", args->fail_on_drift, "Exit with code 3 when the dataset drifted");
  command->add_flag("-q,--quiet", args->quiet, "Print no table");
  args->source.add_to(command);
  args->profile.add_to(command);

  add_verb(command, [args] {
    const auto options = drift_options(*args);
    auto profile_options = args->profile.to_options();
    if (args->exact_limit < 0) throw core::InputError("--exact-limit must be 0 or more");
    // A raw side keeps its values (up to the limit) even when the other side is a stored profile: statistics
    // then carry only the stored side's sketch error.
    profile_options.exact_value_limit = args->exact_limit;
    auto source_options = args->source.to_options();
    source_options.columns = args->columns;
    const auto reference =
        monitor::profile_location(args->reference, source_options, profile_options, args->profile.threads);
    const auto current = monitor::profile_location(args->current, source_options, profile_options,
                                                   args->profile.threads);
    const auto report = stats::compare_profiles(reference, current, options, selected_columns(*args, reference,
                                                                                                current));
    const bool json_to_stdout = args->json_output == "-";
    if (!args->quiet && !json_to_stdout) print_table(report);
    if (!args->json_output.empty()) write_json(stats::to_json(report), args->json_output);
    return args->fail_on_drift && report.dataset_drift ? kExitDriftDetected : kExitOk;
  });
}

}  // namespace driftgov::cli
