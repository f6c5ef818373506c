#pragma once
// Option groups shared by several verbs: how to read sources and how to profile them.

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/io/source.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/stats/profile.hpp"

namespace driftgov::cli {

// Help text of every positional that takes a source: how to name a Delta table's version (docs/delta.md).
inline constexpr const char* kSourceHelp =
    "CSV file, Parquet file or folder of Parquet files, or Delta table: PATH for its latest version, PATH@v=N for "
    "version N, PATH@ts=TIMESTAMP for the latest commit at or before TIMESTAMP (time travel, e.g. "
    "events@ts=2026-01-01T00:00:00Z; without Z or an offset it is UTC)";

struct SourceArguments {
  std::vector<std::string> columns;
  std::vector<std::string> types;  // COLUMN=TYPE
  std::string delimiter = ",";
  std::vector<std::string> null_tokens;
  std::int64_t infer_rows = 20000;

  void add_to(CLI::App* command);
  io::SourceOptions to_options() const;
};

struct ProfileArguments {
  int sketch_k = stats::QuantileSketch::kDefaultK;
  std::size_t category_cap = 10000;
  std::vector<std::string> kinds;  // COLUMN=numeric|categorical
  int threads = 0;

  void add_to(CLI::App* command);
  stats::ProfileOptions to_options() const;
};

// How to write a Delta table: shared by `convert` (to a Delta destination) and `table write`.
struct DeltaWriteArguments {
  std::string mode;  // create (default), append, overwrite
  bool merge_schema = false;
  bool overwrite_schema = false;
  std::vector<std::string> partition_by;
  std::vector<std::string> replace_where;  // predicates, all of which must hold
  std::string app_id;
  std::int64_t app_version = -1;
  std::int64_t file_rows = 1 << 20;
  std::vector<std::string> properties;  // KEY=VALUE

  void add_to(CLI::App* command);
  // True when any Delta-only option was given (convert refuses them for file destinations).
  bool any_given() const;
  delta::TableWriteOptions to_options() const;
  // The line printed when an idempotent write finds its (app id, version) already committed.
  std::string skipped_message(const std::string& destination, std::int64_t table_version) const;
};

// How the command line names a library option (core::OptionName) in an error message: its flag ("alpha" is
// --alpha; an entry of a per-column option is "--kind x=categorical"). An option without a flag keeps the library's
// spelling. The one table of field names and flags is in options.cpp.
std::string flag_spelling(const core::OptionName& option);

// Which '=' separates NAME from VALUE: the last suits names that may hold '=' (CSV columns), the first suits values
// that may (partition values, table properties; Delta forbids '=' in those names).
enum class SplitAt { kLastEquals, kFirstEquals };

// Splits "NAME=VALUE"; throws InputError naming the option when there is no '='.
std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option,
                                                     SplitAt at = SplitAt::kLastEquals);

// How the verbs that read driftgov.yaml (validate, monitor ...) load it: --target, and --var NAME=VALUE (repeatable;
// the first '=' separates, so a value may hold '='). Throws InputError for an assignment without a name or '='.
monitor::LoadOptions config_load_options(const std::string& target, const std::vector<std::string>& variables);

}  // namespace driftgov::cli
