// driftgov deploy [--config FILE] [--target T] [--var K=V] [--as NAME] [--json]: applies the configuration to a
// target (docs/deploy.md).
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/transaction.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/deployment.hpp"
#include "driftgov/gov/keys.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/refresh.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;


int run_deploy(const TargetArguments& args) {
  monitor::Config config;
  try {
    config = args.load();
    monitor::check_config_tables(config);
  } catch (const monitor::ConfigError& error) {
    for (const auto& issue : error.issues()) fmt::print(stderr, "{}\n", issue.text());
    fmt::print(stderr, "driftgov: deploy refused: {} has {} problem{}; nothing was deployed\n", args.config,
               error.issues().size(), error.issues().size() == 1 ? "" : "s");
    return kExitInputError;
  }
  const auto& target = config.selected_target();
  const bool production = target.mode == "production";

  // Who deploys: an admin of the target; in production, a service principal (a pipeline, not a person's laptop).
  std::optional<ActingPrincipal> actor;
  if (production || !config.principals.empty() || !args.as.empty()) {
    actor = acting_principal(config, args.as, gov::Role::kAdmin);
    if (!actor) {
      throw core::InputError(fmt::format(
          "deploy: target '{}' {}: name the acting principal (role admin{}) with --as NAME or DRIFTGOV_PRINCIPAL",
          config.target, production ? "is in production mode" : "has principals declared",
          production ? ", a service principal" : ""));
    }
    const auto& principal = gov::find_principal(config.principals, actor->name);
    if (production && principal.type != gov::PrincipalType::kServicePrincipal) {
      fmt::print(stderr, "driftgov: refused: principal '{}' is a {}; deploying to production target '{}' needs a "
                 "service principal\n", actor->name, gov::to_string(principal.type), config.target);
      return kExitAccessDenied;
    }
  }

  // Where the configuration comes from: production deploys only a committed configuration, as bundles do.
  const auto git = gov::inspect_git(io::parent_folder(args.config));
  if (production) {
    if (!git.in_work_tree || git.commit.empty()) {
      throw core::InputError(fmt::format("deploy: {} is not in a git work tree with a commit; production target '{}' "
                                         "deploys only a committed configuration",
                                         args.config, config.target));
    }
    if (git.dirty()) {
      std::vector<std::string> shown(git.changed.begin(),
                                     git.changed.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(git.changed.size(), 10)));
      throw core::InputError(fmt::format(
          "deploy: the git work tree of {} has uncommitted changes ({} path{}: {}{}); production target '{}' deploys "
          "only a clean tree: commit or stash them",
          args.config, git.changed.size(), git.changed.size() == 1 ? "" : "s", fmt::join(shown, "; "),
          git.changed.size() > shown.size() ? "; ..." : "", config.target));
    }
  }

  gov::DeploymentRecord record;
  record.deploy_id = delta::new_uuid();
  record.time_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  record.actor = actor ? actor->name : "";
  record.target = config.target;
  record.mode = target.mode;
  record.config_sha256 = gov::sha256_hex(io::read_file(io::local_storage(), args.config));
  record.git_commit = git.commit;
  record.git_dirty = git.dirty();
  json created = json::array();
  for (const auto& m : config.monitors) {
    for (const auto& table : monitor::create_output_tables(m)) created.push_back(table);
    record.monitors.push_back({m.name, m.table, m.config_hash});
  }
  gov::record_deployment(target.lakehouse, record);
  json monitors = json::array();
  for (const auto& m : record.monitors) monitors.push_back({{"monitor", m.monitor}, {"config_hash", m.config_hash}});
  json details = {{"deploy_id", record.deploy_id},         {"mode", record.mode},
                  {"config_sha256", record.config_sha256}, {"git_commit", record.git_commit},
                  {"git_dirty", record.git_dirty},         {"monitors", monitors},
                  {"tables_created", created}};
  if (actor) {
    gov::AppendRequest request;
    request.action = "deploy";
    request.target = config.target;
    request.subject = config.project;
    request.details = details.dump(-1, ' ', false, json::error_handler_t::replace);
    gov::append_audit_entry(gov::audit_log_table(target.lakehouse), actor->name, actor->key, request);
  }
  if (args.json_output) {
    details["target"] = config.target;
    details["actor"] = actor ? json(actor->name) : json(nullptr);
    fmt::print("{}\n", details.dump(2, ' ', false, json::error_handler_t::replace));
  } else {
    fmt::print("deployed {} to target {} ({}): {} monitor{}, {} table{} created, config sha256 {}{}\n", config.project,
               config.target, target.mode, record.monitors.size(), record.monitors.size() == 1 ? "" : "s",
               created.size(), created.size() == 1 ? "" : "s", record.config_sha256,
               record.git_commit.empty() ? ", not in git"
                                         : fmt::format(", git {}{}", record.git_commit.substr(0, 12),
                                                       record.git_dirty ? " (uncommitted changes)" : ""));
  }
  return kExitOk;
}

}  // namespace

void register_deploy(CLI::App& app) {
  auto args = std::make_shared<TargetArguments>();
  auto* command = app.add_subcommand("deploy", "Apply the configuration to a target: create the monitors' tables, "
                                               "register the monitors, record the configuration (docs/deploy.md)");
  args->add_to(command, "admin");
  add_verb(command, [args] { return run_deploy(*args); });
}

}  // namespace driftgov::cli
