#include "cli/commands.hpp"
#include "cli/lineage_job.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/principals.hpp"

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

// The verb a command line concerns (the deepest subcommand it selected) and its name, e.g. "driftgov table info".
const CLI::App& selected_verb(const CLI::App& app, std::string& name) {
  name += name.empty() ? app.get_name() : " " + app.get_name();
  const auto selected = app.get_subcommands();
  return selected.empty() ? app : selected_verb(*selected.front(), name);
}

// CLI11 checks required arguments before unknown ones: `--ouput` would be reported as a missing --output. Name the
// unknown option instead, and a word that is not a verb where one is required.
std::string describe_parse_error(const CLI::App& verb, const CLI::ParseError& error) {
  const auto unused = verb.remaining();
  std::vector<std::string> unknown_options;
  for (const auto& word : unused) {
    if (word.size() > 1 && word.starts_with('-')) unknown_options.push_back(fmt::format("'{}'", word));
  }
  if (!unknown_options.empty()) {
    return fmt::format("unknown option{} {}", unknown_options.size() > 1 ? "s" : "", fmt::join(unknown_options, ", "));
  }
  if (verb.get_require_subcommand_min() > 0 && verb.get_subcommands().empty()) {
    std::vector<std::string> verbs;
    for (const auto* sub : verb.get_subcommands([](const CLI::App*) { return true; })) verbs.push_back(sub->get_name());
    const char* noun = verb.get_parent() == nullptr ? "verb" : "subverb";
    if (unused.empty()) return fmt::format("a {} is required: one of {}", noun, fmt::join(verbs, ", "));
    return fmt::format("unknown {} '{}' (expected one of: {})", noun, unused.front(), fmt::join(verbs, ", "));
  }
  std::string message = error.what();
  for (auto& character : message) {
    if (character == '\n') character = ' ';
  }
  return message;
}
}  // namespace

void add_verb(CLI::App* subcommand, VerbRunner runner) { runners()[subcommand] = std::move(runner); }

void register_commands(CLI::App& app) {
  register_cat(app);
  register_compare(app);
  register_profile(app);
  register_quality(app);
  register_table(app);
  register_convert(app);
  register_validate(app);
  register_monitor(app);
  register_report(app);
  register_governance(app);
  register_incident(app);
  register_approval(app);
  register_export(app);
  register_model(app);
  register_deploy(app);
  register_governance_view(app);
  register_evaluate(app);
}

int run_selected(CLI::App& app) {
  const int code = run_deepest(app);
  return code < 0 ? kExitInputError : code;
}

int report_failure(const CLI::App& app) {
  try {  // the lineage FAIL events of the jobs the error stopped carry its message
    throw;
  } catch (const core::InputError& error) {
    flush_lineage_failures(error.message_with(flag_spelling));
  } catch (const std::exception& error) {
    flush_lineage_failures(error.what());
  } catch (...) {
    flush_lineage_failures("an unknown exception");
  }
  try {
    throw;
  } catch (const CLI::Success& request) {  // --help, --help-all, --version: printed to stdout
    return app.exit(request);
  } catch (const CLI::ParseError& error) {
    std::string name;
    const auto& verb = selected_verb(app, name);
    fmt::print(stderr, "{}{}: error: {}\n", app.help(), name, describe_parse_error(verb, error));
    return kExitInputError;
  } catch (const gov::AccessDeniedError& error) {
    fmt::print(stderr, "driftgov: {}\n", error.what());
    return kExitAccessDenied;
  } catch (const gov::AuditLogBusyError& error) {
    fmt::print(stderr, "driftgov: error: {}\n", error.what());
    return kExitBusy;
  } catch (const core::InputError& error) {
    fmt::print(stderr, "driftgov: error: {}\n", error.message_with(flag_spelling));
    return kExitInputError;
  } catch (const core::IOError& error) {
    fmt::print(stderr, "driftgov: error: {}\n", error.what());
    return kExitIOError;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "driftgov: error: out of memory\n");
    return kExitInternalError;
  } catch (const core::InternalError& error) {
    fmt::print(stderr, "driftgov: {}\n", error.what());
    return kExitInternalError;
  } catch (const std::exception& error) {
    fmt::print(stderr, "driftgov: error: {}\n", error.what());
    return kExitInternalError;
  } catch (...) {
    fmt::print(stderr, "driftgov: error: an unknown exception (this is a bug in driftgov; please report it)\n");
    return kExitInternalError;
  }
}

}  // namespace driftgov::cli
