// The `driftgov` command: parses arguments, calls the library, prints. Every exception ends here.
#include <CLI/CLI.hpp>

#include <string>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"driftgov: drift detection and model governance for lakehouse data", "driftgov"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("driftgov ") + DRIFTGOV_VERSION);
  driftgov::cli::register_commands(app);
  try {
    app.parse(argc, argv);
    return driftgov::cli::run_selected(app);
  } catch (...) {
    return driftgov::cli::report_failure(app);
  }
}
