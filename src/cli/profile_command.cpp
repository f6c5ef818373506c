// driftgov profile DATA -o FILE, and driftgov profile merge A B... -o FILE.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "stats/time_values.hpp"

namespace driftgov::cli {
namespace {

struct ProfileCommandArguments {
  std::string data;
  std::string output;
  std::vector<std::string> merge_inputs;
  std::string merge_output;
  std::vector<std::string> columns;
  SourceArguments source;
  ProfileArguments profile;
};

void print_summary(const stats::DatasetProfile& profile, const std::string& path) {
  fmt::print("wrote {} ({} rows, {} columns)\n", path, profile.row_count, profile.columns.size());
  for (const auto& column : profile.columns) {
    if (column.numeric && stats::is_time_type(column.type)) {
      // Dates and timestamps as ISO text, not as raw day or microsecond counts.
      const auto iso = [&](double value) { return stats::format_time_value(column.type, value); };
      const bool any = column.count > column.null_count;
      fmt::print("  {:<24} {:<12} nulls {:>8}  mean {}  min {}  max {}\n", column.name, column.type.to_string(),
                 column.null_count, any ? iso(column.numeric->moments.mean) : "-",
                 any ? iso(column.numeric->min) : "-", any ? iso(column.numeric->max) : "-");
    } else if (column.numeric) {
      fmt::print("  {:<24} {:<12} nulls {:>8}  mean {:.6g}  std {:.6g}  min {:.6g}  max {:.6g}\n", column.name,
                 column.type.to_string(), column.null_count, column.numeric->moments.mean,
                 column.numeric->moments.stddev(), column.numeric->min, column.numeric->max);
    } else {
      fmt::print("  {:<24} {:<12} nulls {:>8}  distinct {:.0f}{}\n", column.name, column.type.to_string(),
                 column.null_count, column.categorical->distinct_count(),
                 column.categorical->is_exact() ? "" : " (estimated)");
    }
  }
}

}  // namespace

void register_profile(CLI::App& app) {
  auto args = std::make_shared<ProfileCommandArguments>();
  auto* command = app.add_subcommand("profile", "Profile DATA into a mergeable summary file (docs/profiles.md)");
  command->add_option("DATA", args->data, kSourceHelp);
  command->add_option("-o,--output", args->output, "Profile file to write");
  command->add_option("--columns", args->columns, "Profile only these columns")->delimiter(',');
  args->source.add_to(command);
  args->profile.add_to(command);

  auto* merge = command->add_subcommand("merge", "Merge profiles: the result equals the profile of all their data");
  merge->add_option("PROFILES", args->merge_inputs, "Two or more profile files")->required()->expected(-2);  // two or more
  merge->add_option("-o,--output", args->merge_output, "Merged profile file")->required();
  add_verb(merge, [args] {
    auto merged = monitor::load_profile(args->merge_inputs.front());
    for (std::size_t i = 1; i < args->merge_inputs.size(); ++i) {
      merged.merge(monitor::load_profile(args->merge_inputs[i]));
    }
    monitor::save_profile(merged, args->merge_output);
    print_summary(merged, args->merge_output);
    return kExitOk;
  });

  add_verb(command, [args] {
    // Not marked required in CLI11, which would demand them of `profile merge` as well.
    if (args->data.empty()) {
      throw CLI::RequiredError("DATA is required (or use `profile merge PROFILE...`)", CLI::ExitCodes::RequiredError);
    }
    if (args->output.empty()) throw CLI::RequiredError("--output");
    auto source_options = args->source.to_options();
    source_options.columns = args->columns;
    const auto profile = monitor::profile_location(args->data, source_options, args->profile.to_options(),
                                                   args->profile.threads);
    monitor::save_profile(profile, args->output);
    print_summary(profile, args->output);
    return kExitOk;
  });
}

}  // namespace driftgov::cli
