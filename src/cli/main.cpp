// The `driftgov` command: parses arguments, calls the library, prints. Every exception ends here.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "driftgov/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"driftgov: drift detection and model governance for lakehouse data"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("driftgov ") + DRIFTGOV_VERSION);
  driftgov::cli::register_commands(app);
  try {
    app.parse(argc, argv);
    return driftgov::cli::run_selected(app);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const driftgov::core::InputError& error) {
    std::fprintf(stderr, "driftgov: error: %s\n", error.what());
    return driftgov::cli::kExitInputError;
  } catch (const driftgov::core::IOError& error) {
    std::fprintf(stderr, "driftgov: error: %s\n", error.what());
    return driftgov::cli::kExitIOError;
  } catch (const driftgov::core::InternalError& error) {
    std::fprintf(stderr, "driftgov: %s\n", error.what());
    return driftgov::cli::kExitInternalError;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "driftgov: error: %s\n", error.what());
    return driftgov::cli::kExitInternalError;
  }
}
