// driftgov compare REFERENCE CURRENT: per-column drift metrics, the selected tests and the dataset verdict.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report_output.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/core/number_text.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "driftgov/stats/drift.hpp"
#include "stats/time_values.hpp"

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
  std::string correction = "bh";
  double null_rate_min_change = 1.0;
  bool no_null_rate_test = false;
  bool test_time_columns = false;
  double drift_share = 0.5;
  std::int64_t small_sample_limit = 1000;
  std::int64_t exact_limit = 10'000'000;
  double proportion_floor = 1e-4;
  std::size_t max_category_bins = 100;
  std::string json_output;
  std::string report_folder;
  bool fail_on_drift = false;
  bool quiet = false;
  SourceArguments source;
  ProfileArguments profile;
};

using core::parse_finite_number;

// A whole number; its range is checked by DriftOptions::validate.
int parse_bins(const std::string& text, const std::string& option) {
  const double value = parse_finite_number(text, option);
  if (value != std::floor(value) || std::abs(value) > 1e9) {
    throw core::InputError(fmt::format("{}: expected a whole number of bins, got '{}'", option, text));
  }
  return static_cast<int>(value);
}

// Only turns the arguments into options: their ranges are checked by the library (DriftOptions::validate).
stats::DriftOptions drift_options(const CompareArguments& args) {
  stats::DriftOptions options;
  options.null_rate_test = !args.no_null_rate_test;
  options.null_rate_min_change = args.null_rate_min_change;
  options.test_time_columns = args.test_time_columns;
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
      global_threshold = parse_finite_number(entry, "--threshold");
    } else {
      auto [column, value] = split_assignment(entry, "--threshold");
      options.columns[column].threshold = parse_finite_number(value, "--threshold " + entry);
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
  if (global_threshold) stats::set_test_threshold(options, *global_threshold);
  return options;
}


std::string format_optional(const std::optional<double>& value, const char* spec = "{:.4g}") {
  return value ? fmt::format(fmt::runtime(spec), *value) : std::string("-");
}

// "1 category", "2 categories".
std::string count_of(std::int64_t count, const char* singular, const char* plural) {
  return fmt::format("{} {}", count, count == 1 ? singular : plural);
}

// Category names as printed: the empty string is shown as "" so that it is visible.
std::string category_list(const std::vector<std::string>& categories) {
  std::vector<std::string> shown;
  for (const auto& category : categories) shown.push_back(category.empty() ? "\"\"" : category);
  return fmt::format("{}", fmt::join(shown, ", "));
}

std::string side_header(const std::string& source, const std::string& built_from, std::int64_t rows) {
  const std::string rows_text = rows == 0 ? "no rows: no drift test ran" : fmt::format("{} rows", rows);
  if (built_from.empty()) return fmt::format("{} ({})", source, rows_text);
  return fmt::format("{} (stored profile built from {}; {})", source, built_from, rows_text);
}

std::string verdict_text(const stats::ColumnDrift& column) {
  if (column.time_column) {
    const auto range = column.min_value && column.max_value
                           ? fmt::format("{} .. {}", stats::format_time_value(column.type, *column.min_value),
                                         stats::format_time_value(column.type, *column.max_value))
                           : std::string("no values");
    return fmt::format("time column, not tested ({})", range);
  }
  std::string text;
  if (column.drift_reason == "both") {
    text = "DRIFT (distribution, null rate)";
  } else if (column.drift_reason == "null_rate") {
    text = "DRIFT (null rate)";
  } else if (column.drift_reason == "distribution") {
    text = "DRIFT";
  } else {
    text = column.evaluated || column.null_rate ? "ok" : "not evaluated";
  }
  if (!column.evaluated) {
    text += fmt::format("{} {}", column.evaluated || column.null_rate ? "; no distribution test:" : ":",
                        column.reason);
    return text;
  }
  if (column.test->borderline) text += " borderline";
  if (!column.exact) text += " (sketch)";
  return text;
}

void print_table(const stats::DriftReport& report) {
  fmt::print("reference: {}\ncurrent:   {}\n\n",
             side_header(report.reference_source, report.reference_built_from, report.reference_rows),
             side_header(report.current_source, report.current_built_from, report.current_rows));
  std::size_t name_width = 7;
  std::size_t type_width = 4;
  for (const auto& column : report.columns) {
    name_width = std::max(name_width, column.column_name.size());
    type_width = std::max(type_width, column.data_type.size());
  }
  const auto row = [&](const std::string& name, const std::string& type, const std::string& test,
                       const std::string& statistic, const std::string& pvalue, const std::string& psi,
                       const std::string& level, const std::string& null_change, const std::string& verdict) {
    fmt::print("{:<{}}  {:<{}}  {:<26} {:>10} {:>10} {:>8} {:<9} {:>9}  {}\n", name, name_width, type,
               type_width, test, statistic, pvalue, psi, level, null_change, verdict);
  };
  row("feature", "type", "test", "statistic", "p-value", "PSI", "PSI level", "null Δpp", "drift");
  bool any_borderline = false;
  for (const auto& column : report.columns) {
    const double null_change = column.percent_null_current - column.percent_null_reference;
    const auto null_text = column.reference_count == 0 || column.current_count == 0
                               ? std::string("-")
                               : fmt::format("{:+.2f}", null_change);
    if (!column.evaluated) {
      row(column.column_name, column.data_type, "-", "-", "-", "-", "-", null_text, verdict_text(column));
      continue;
    }
    const auto& test = *column.test;
    any_borderline = any_borderline || test.borderline;
    const auto pvalue = test.pvalue_adjusted ? test.pvalue_adjusted : test.pvalue;
    row(column.column_name, column.data_type, test.name, fmt::format("{:.4g}", test.statistic),
        format_optional(pvalue, "{:.3g}"),
        fmt::format("{:.4f}", column.metrics.at("population_stability_index")), column.drift_level, null_text,
        verdict_text(column));
  }
  fmt::print("\n");
  const auto& options = report.options;
  fmt::print(
      "legend: drift is decided by the test (its statistic{} against the threshold){}; PSI level is "
      "informational\n",
      options.correction == stats::Correction::kNone ? " or p-value" : " or corrected p-value",
      options.null_rate_test ? fmt::format(" or the null-rate rule (p < {} and |null Δpp| >= {})",
                                           options.alpha, options.null_rate_min_change)
                             : std::string());
  if (any_borderline) {
    fmt::print(
        "borderline: the sketch's error bound straddles the threshold, so the verdict could go either way; "
        "for an exact answer compare against the raw data instead of a stored profile\n");
  }
  for (const auto& column : report.columns) {
    if (column.new_category_count > 0) {
      fmt::print("{}: {} unseen in the reference (e.g. {})\n", column.column_name,
                 count_of(column.new_category_count, "category", "categories"),
                 category_list(column.new_categories));
    }
    if (column.missing_category_count > 0) {
      fmt::print("{}: {} absent from the current data (e.g. {})\n", column.column_name,
                 count_of(column.missing_category_count, "reference category", "reference categories"),
                 category_list(column.missing_categories));
    }
  }
  const auto correction = options.correction == stats::Correction::kNone
                              ? std::string()
                              : fmt::format(", {} correction over {}", stats::to_string(options.correction),
                                            count_of(report.tests_run, "test", "tests"));
  if (report.tests_run > 0 && options.correction == stats::Correction::kNone) {
    fmt::print(
        "warning: {} without correction at alpha {}: {:.3g} false alarms expected when nothing drifted "
        "(--correction bh controls them)\n",
        count_of(report.tests_run, "hypothesis test", "hypothesis tests"), options.alpha,
        options.alpha * static_cast<double>(report.tests_run));
  }
  if (!report.undecided_reason.empty()) {
    fmt::print("dataset drift: not decided: {}\n", report.undecided_reason);
    return;
  }
  fmt::print("dataset drift: {} ({} of {} evaluated columns drifted, share {:.3f}, threshold {}{})\n",
             report.dataset_drift ? "YES" : "no", report.drifted_columns, report.evaluated_columns,
             report.share_of_drifted_columns, options.drift_share, correction);
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
      "compare",
      "Compare CURRENT with REFERENCE: drift metrics per column and a dataset verdict (docs/cli.md)");
  command
      ->add_option("REFERENCE", args->reference,
                   std::string("Reference data, or a stored profile (.json): ") + kSourceHelp)
      ->required();
  command
      ->add_option("CURRENT", args->current,
                   std::string("Current data, or a stored profile (.json): ") + kSourceHelp)
      ->required();
  command->add_option("--columns", args->columns, "Compare only these columns (comma-separated)")
      ->delimiter(',');
  command->add_option("--exclude", args->exclude, "Leave these columns out (comma-separated)")
      ->delimiter(',');
  command->add_option("--test", args->tests,
                      "Test for every column it suits (TEST), or for one column (COLUMN=TEST); repeatable. "
                      "TEST: " +
                          stats::drift_test_names());
  command->add_option(
      "--threshold", args->thresholds,
      "Drift threshold of the --test (VALUE) or of one column (COLUMN=VALUE): alpha for ks/chi2, "
      "distance otherwise");
  command->add_option("--bins", args->bins,
                      "Numeric bins at reference quantiles (N, default 10) or COLUMN=N");
  command->add_option("--alpha", args->alpha, "Significance level of hypothesis tests")
      ->capture_default_str();
  command
      ->add_option("--correction", args->correction,
                   "Multiple-testing correction over every p-value of the run (distribution and null-rate "
                   "tests): bh (Benjamini-Hochberg), bonferroni, none")
      ->capture_default_str();
  command
      ->add_option("--null-rate-min-change", args->null_rate_min_change,
                   "Null-rate rule: the change of the null rate (percentage points) a column needs, beside a "
                   "significant z-test, to drift")
      ->capture_default_str();
  command->add_flag("--no-null-rate-test", args->no_null_rate_test, "Turn the null-rate rule off");
  command->add_flag(
      "--test-time-columns", args->test_time_columns,
      "Drift-test date and timestamp columns too (by default they are reported with their range)");
  command->add_option("--drift-share", args->drift_share, "Dataset drift when this share of columns drifted")
      ->capture_default_str();
  command
      ->add_option("--small-sample-limit", args->small_sample_limit,
                   "Automatic choice: hypothesis tests up to this many reference values, distances above")
      ->capture_default_str();
  command
      ->add_option("--exact-limit", args->exact_limit,
                   "Keep up to this many values per numeric column for exact KS/Wasserstein/quantiles "
                   "(0: sketches only)")
      ->capture_default_str();
  command
      ->add_option("--proportion-floor", args->proportion_floor,
                   "PSI/KL: empty-bin proportions raised to this")
      ->capture_default_str();
  command
      ->add_option("--max-category-bins", args->max_category_bins,
                   "Reference categories with a bin of their own; the rest share one")
      ->capture_default_str();
  command->add_option("--json", args->json_output, "Write the full result as JSON to FILE ('-' for stdout)");
  command->add_option("--report", args->report_folder,
                      "Write report.html and the charts (SVG, PNG) of the comparison to this folder (docs/report.md)");
  command->add_flag("--fail-on-drift", args->fail_on_drift, "Exit with code 3 when the dataset drifted");
  command->add_flag("-q,--quiet", args->quiet, "Print no table");
  args->source.add_to(command);
  args->profile.add_to(command);

  add_verb(command, [args] {
    const auto options = drift_options(*args);
    auto profile_options = args->profile.to_options();
    // A raw side keeps its values (up to the limit) even when the other side is a stored profile: statistics
    // then carry only the stored side's sketch error.
    profile_options.exact_value_limit = args->exact_limit;
    auto source_options = args->source.to_options();
    source_options.columns = args->columns;
    // profile_location checks these when it reads data; two stored profiles need none of them, but a bad value is
    // still reported.
    profile_options.validate();
    source_options.validate();
    // A stored profile is named by its file; the data it was built from is kept as built_from.
    const auto load = [&](const std::string& location, std::string& built_from) {
      if (monitor::is_profile_file(location)) {
        auto profile = monitor::load_profile(location);
        built_from = profile.source;
        profile.source = location;
        return profile;
      }
      return monitor::profile_location(location, source_options, profile_options, args->profile.threads);
    };
    std::string reference_built_from;
    std::string current_built_from;
    const auto reference = load(args->reference, reference_built_from);
    const auto current = load(args->current, current_built_from);
    auto report =
        stats::compare_profiles(reference, current, options,
                                stats::compared_columns(reference, current, args->columns, args->exclude));
    report.reference_built_from = reference_built_from;
    report.current_built_from = current_built_from;
    const bool json_to_stdout = args->json_output == "-";
    if (!args->quiet && !json_to_stdout) print_table(report);
    if (!args->json_output.empty()) write_json(stats::to_json(report), args->json_output);
    if (!args->report_folder.empty()) {
      write_report_files(report::comparison_report(report), args->report_folder, false,
                         json_to_stdout ? stderr : stdout);
    }
    return args->fail_on_drift && report.dataset_drift ? kExitDriftDetected : kExitOk;
  });
}

}  // namespace driftgov::cli
