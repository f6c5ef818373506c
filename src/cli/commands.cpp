#include "cli/commands.hpp"

#include <map>

namespace driftgov::cli {
namespace {
std::map<const CLI::App*, VerbRunner>& runners() {
  static std::map<const CLI::App*, VerbRunner> table;
  return table;
}

// Every subcommand (and nested subcommand) that has a runner gets run when it was the one parsed.
int run_deepest(CLI::App& app) {
  for (auto* sub : app.get_subcommands()) {
    if (sub->parsed()) {
      const int nested = run_deepest(*sub);
      if (nested >= 0) return nested;
      auto found = runners().find(sub);
      if (found != runners().end()) return found->second();
    }
  }
  return -1;
}
}  // namespace

void add_verb(CLI::App* subcommand, VerbRunner runner) { runners()[subcommand] = std::move(runner); }

void register_commands(CLI::App& app) {
  register_cat(app);
  register_compare(app);
  register_profile(app);
  register_table(app);
  register_convert(app);
}

int run_selected(CLI::App& app) {
  const int code = run_deepest(app);
  return code < 0 ? kExitInputError : code;
}

}  // namespace driftgov::cli
