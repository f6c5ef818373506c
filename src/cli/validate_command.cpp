// driftgov validate [--config FILE] [--target T] [--var NAME=VALUE ...] [--no-tables]: checks the monitor
// configuration (docs/monitoring-config.md) and, unless --no-tables, the tables it names. Prints every problem
// found, one "<file>:<line>:<column>: <message>" per line, and exits with 2; or a one-line summary and 0.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/monitor/config.hpp"

namespace driftgov::cli {
namespace {

struct ValidateArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;  // NAME=VALUE
  bool no_tables = false;
};

int run_validate(const ValidateArguments& args) {
  try {
    const auto config = monitor::load_config(args.config, config_load_options(args.target, args.variables));
    if (!args.no_tables) monitor::check_config_tables(config);
    fmt::print("{}: OK, target {}, {} monitor{}\n", args.config, config.target, config.monitors.size(),
               config.monitors.size() == 1 ? "" : "s");
    return kExitOk;
  } catch (const monitor::ConfigError& error) {
    for (const auto& issue : error.issues()) fmt::print(stderr, "{}\n", issue.text());
    fmt::print(stderr, "{}: {} problem{}\n", args.config, error.issues().size(), error.issues().size() == 1 ? "" : "s");
    return kExitInputError;
  }
}

}  // namespace

void register_validate(CLI::App& app) {
  auto args = std::make_shared<ValidateArguments>();
  auto* command = app.add_subcommand("validate", "Check the monitor configuration driftgov.yaml and its tables "
                                                 "(docs/monitoring-config.md)");
  command->add_option("--config", args->config, "The configuration file")->capture_default_str();
  command->add_option("--target", args->target, "The target (default: the one with default: true, or the only one)");
  command->add_option("--var", args->variables, "Set a variable: NAME=VALUE; repeatable");
  command->add_flag("--no-tables", args->no_tables, "Check the file only, without opening the tables");
  add_verb(command, [args] { return run_validate(*args); });
}

}  // namespace driftgov::cli
