#include "cli/options.hpp"

#include <fmt/format.h>

#include "driftgov/core/error.hpp"

namespace driftgov::cli {

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option, SplitAt at) {
  const auto equals = at == SplitAt::kFirstEquals ? text.find('=') : text.rfind('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    throw core::InputError(fmt::format("{} expects COLUMN=VALUE, got '{}'", option, text));
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

void SourceArguments::add_to(CLI::App* command) {
  command->add_option("--type", types, "Fix a CSV column's type instead of inferring it: COLUMN=TYPE "
                                        "(int64, double, string, boolean, date, timestamp); repeatable");
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
  if (infer_rows < 1) throw core::InputError("--infer-rows must be at least 1");
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
  command->add_option("--threads", threads, "Worker threads (default: every core)");
}

stats::ProfileOptions ProfileArguments::to_options() const {
  stats::ProfileOptions options;
  options.sketch_k = sketch_k;
  if (category_cap < 1) throw core::InputError("--category-cap must be at least 1");
  options.category_cap = category_cap;
  for (const auto& entry : kinds) {
    auto [column, kind] = split_assignment(entry, "--kind");
    options.kind_overrides[column] = stats::column_kind_from_string(kind, "--kind " + entry);
  }
  return options;
}

}  // namespace driftgov::cli
