#include "cli/options.hpp"

#include <fmt/format.h>

#include <map>

#include "driftgov/core/error.hpp"

namespace driftgov::cli {
namespace {

struct FlagName {
  const char* flag;
  // The option's key is a column, written COLUMN=VALUE after the flag; otherwise the key is not shown.
  bool key_is_column;
};

// Library option fields (DriftOptions, ProfileOptions, SourceOptions, profile_location, delta::TableWriteOptions)
// and their flags.
const std::map<std::string, FlagName, std::less<>>& flag_names() {
  static const std::map<std::string, FlagName, std::less<>> names = {
      {"alpha", {"--alpha", false}},
      {"bins", {"--bins", false}},
      {"category_cap", {"--category-cap", false}},
      {"columns", {"--columns", false}},
      {"columns[].bins", {"--bins", true}},
      {"columns[].test", {"--test", true}},
      {"columns[].threshold", {"--threshold", true}},
      {"correction", {"--correction", false}},
      {"csv.delimiter", {"--delimiter", false}},
      {"csv.infer_rows", {"--infer-rows", false}},
      {"csv.null_tokens", {"--null", false}},
      {"distance_thresholds", {"--threshold", false}},
      {"drift_share", {"--drift-share", false}},
      {"exact_value_limit", {"--exact-limit", false}},
      {"exclude", {"--exclude", false}},
      {"kind_overrides", {"--kind", true}},
      {"max_category_bins", {"--max-category-bins", false}},
      {"merge_schema", {"--merge-schema", false}},
      {"mode", {"--mode", false}},
      {"null_rate_min_change", {"--null-rate-min-change", false}},
      {"overwrite_schema", {"--overwrite-schema", false}},
      {"proportion_floor", {"--proportion-floor", false}},
      {"replace_where", {"--replace-where", false}},
      {"sketch_k", {"--sketch-k", false}},
      {"small_sample_limit", {"--small-sample-limit", false}},
      {"test", {"--test", false}},
      {"test_time_columns", {"--test-time-columns", false}},
      {"threads", {"--threads", false}},
      {"threshold", {"--threshold", false}},
      {"type_overrides", {"--type", true}},
  };
  return names;
}

}  // namespace

std::string flag_spelling(const core::OptionName& option) {
  const auto found = flag_names().find(option.field);
  if (found == flag_names().end()) return core::to_string(option);
  const auto& [flag, key_is_column] = found->second;
  // A suggested value of a plain option follows its flag: "mode = overwrite" is --mode overwrite.
  if (!key_is_column) return option.value.empty() ? std::string(flag) : fmt::format("{} {}", flag, option.value);
  if (option.key.empty()) return flag;
  return fmt::format("{} {}={}", flag, option.key, option.value.empty() ? "..." : option.value);
}

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option, SplitAt at) {
  const auto equals = at == SplitAt::kFirstEquals ? text.find('=') : text.rfind('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    throw core::InputError(fmt::format("{} expects COLUMN=VALUE, got '{}'", option, text));
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

monitor::LoadOptions config_load_options(const std::string& target, const std::vector<std::string>& variables) {
  monitor::LoadOptions options;
  options.target = target;
  for (const auto& assignment : variables) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw core::InputError(fmt::format("--var: expected NAME=VALUE, found '{}'", assignment));
    }
    options.variables[assignment.substr(0, equals)] = assignment.substr(equals + 1);
  }
  return options;
}

void SourceArguments::add_to(CLI::App* command) {
  command->add_option("--type", types, "Fix a CSV column's type instead of inferring it: COLUMN=TYPE "
                                        "(int64, int32, int16, int8, double, float, decimal(p,s), string, boolean, date, "
                                        "timestamp); repeatable");
  command->add_option("--delimiter", delimiter, "CSV field delimiter (default ',', '\\t' for .tsv)");
  command->add_option("--null", null_tokens,
                      "CSV text read as null; repeatable; replaces the defaults: '' NA N/A null NULL None");
  command->add_option("--infer-rows", infer_rows, "CSV rows inspected for type inference")->capture_default_str();
}

io::SourceOptions SourceArguments::to_options() const {
  io::SourceOptions options;
  for (const auto& entry : types) {
    auto [column, type] = split_assignment(entry, "--type");
    options.type_overrides[column] = core::parse_type_name(type, "--type " + entry);
  }
  if (delimiter == "\\t" || delimiter == "tab") {
    options.csv.delimiter = '\t';
  } else if (delimiter.size() == 1) {
    options.csv.delimiter = delimiter[0];
  } else {
    throw core::InputError(fmt::format("--delimiter must be one character, got '{}'", delimiter));
  }
  if (!null_tokens.empty()) options.csv.null_tokens = null_tokens;
  options.csv.infer_rows = infer_rows;
  return options;
}

void ProfileArguments::add_to(CLI::App* command) {
  command->add_option("--sketch-k", sketch_k, "Quantile sketch size k (rank error 2.296/k^0.9723)")
      ->capture_default_str();
  command->add_option("--category-cap", category_cap,
                      "Distinct categories counted exactly before switching to sketches")
      ->capture_default_str();
  command->add_option("--kind", kinds, "Treat a column as numeric or categorical: COLUMN=KIND; repeatable");
  command->add_option("--threads", threads, "Worker threads (default 0: one per core)");
}

stats::ProfileOptions ProfileArguments::to_options() const {
  stats::ProfileOptions options;
  options.sketch_k = sketch_k;
  options.category_cap = category_cap;
  for (const auto& entry : kinds) {
    auto [column, kind] = split_assignment(entry, "--kind");
    options.kind_overrides[column] = stats::column_kind_from_string(kind, "--kind " + entry);
  }
  return options;
}

void DeltaWriteArguments::add_to(CLI::App* command) {
  command->add_option("--mode", mode, "Delta: create (default: refuse an existing table), append or overwrite");
  command->add_flag("--merge-schema", merge_schema, "Delta: add new columns to the table schema");
  command->add_flag("--overwrite-schema", overwrite_schema, "Delta: replace the table schema (with --mode overwrite)");
  command->add_option("--partition-by", partition_by, "Delta: partition columns of a new table")->delimiter(',');
  command->add_option("--replace-where", replace_where,
                      "Delta, with --mode overwrite: replace only the rows matching this predicate (comparisons "
                      "joined by AND, e.g. \"day >= DATE '2024-01-01' AND region IN ('EU', 'US')\"; or "
                      "COLUMN=VALUE); repeatable");
  command->add_option("--app-id", app_id, "Delta idempotent write: application id recorded as a txn action");
  command->add_option("--app-version", app_version,
                      "Delta idempotent write: skipped if the table records this version of --app-id or a later one");
  command->add_option("--file-rows", file_rows, "Delta: rows per data file (at most)")->capture_default_str();
  command->add_option("--property", properties, "Delta: table property KEY=VALUE of a new table; repeatable");
}

bool DeltaWriteArguments::any_given() const {
  return !mode.empty() || merge_schema || overwrite_schema || !partition_by.empty() || !replace_where.empty() ||
         !app_id.empty() || app_version >= 0 || !properties.empty();
}

delta::TableWriteOptions DeltaWriteArguments::to_options() const {
  delta::TableWriteOptions options;
  options.mode = delta::parse_write_mode(mode);
  options.merge_schema = merge_schema;
  options.overwrite_schema = overwrite_schema;
  options.partition_by = partition_by;
  DRIFTGOV_USER_CHECK_GE(file_rows, 1, "--file-rows");
  options.target_file_rows = file_rows;
  for (const auto& text : replace_where) {
    auto predicate = delta::parse_replace_where(text, "--replace-where");
    if (!options.replace_where) options.replace_where.emplace();
    for (auto& comparison : predicate.conjuncts) options.replace_where->conjuncts.push_back(std::move(comparison));
  }
  for (const auto& property : properties) {
    auto [key, value] = split_assignment(property, "--property", SplitAt::kFirstEquals);
    options.table_properties[key] = value;
  }
  if (!app_id.empty() || app_version >= 0) {
    if (app_id.empty() || app_version < 0) throw core::InputError("--app-id and --app-version go together");
    options.idempotent = delta::TransactionId{app_id, app_version, std::nullopt};
  }
  return options;
}

std::string DeltaWriteArguments::skipped_message(const std::string& destination, std::int64_t table_version) const {
  return fmt::format("{}: already holds {} version {}; nothing written (table version {})", destination, app_id,
                     app_version, table_version);
}

void warn_if_checkpoint_failed(const std::string& destination, const delta::TableWriteResult& result) {
  if (!result.checkpoint_error.empty()) {
    fmt::print(stderr, "driftgov: warning: {}: {}\n", destination, result.checkpoint_error);
  }
}

}  // namespace driftgov::cli
