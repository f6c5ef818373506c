// driftgov principal keygen, driftgov audit verify|log: principals' keys and the signed audit log
// (docs/governance.md).
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/gov/approvals.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/checkpoint.hpp"
#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/principals.hpp"
#include "driftgov/gov/registry.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

struct GovernanceArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string as;
  bool json_output = false;
  std::string name;
  std::string out = ".";
  std::vector<std::string> checkpoints;  // audit verify --checkpoint FILE
  std::string checkpoint_out;            // audit checkpoint --out FILE
  bool all_signatures = false;           // audit verify --all-signatures
};

monitor::Config load(const GovernanceArguments& args) {
  return monitor::load_config(args.config, config_load_options(args.target, args.variables));
}

int run_keygen(const GovernanceArguments& args) {
  const auto public_key = gov::write_key_pair(args.name, args.out, io::local_storage());
  fmt::print("wrote {0}/{1}.key (secret, mode 0600) and {0}/{1}.pub\n", args.out, args.name);
  fmt::print("add to driftgov.yaml under principals.{}:\n", args.name);
  fmt::print("    public_key: \"{}\"\n", public_key.text());
  return kExitOk;
}

int run_verify(const GovernanceArguments& args) {
  const auto config = load(args);
  check_reader(config, args.as);
  const auto& lakehouse = config.selected_target().lakehouse;
  const auto table = gov::audit_log_table(lakehouse);
  // The chain first; then, when it holds, the signed checkpoints (the table's and the files given) that catch the
  // newest entries dropped.
  const auto entries = gov::read_audit_log(table);
  auto checkpoints = gov::read_audit_checkpoints(gov::audit_checkpoints_table(lakehouse));
  for (const auto& file : args.checkpoints) {
    checkpoints.push_back(gov::parse_checkpoint(io::read_file(io::local_storage(), file), file));
  }
  // The signatures of the entries a valid checkpoint covers were checked by its signer before it signed, and its
  // root binds their hashes: they are attested, and only the chain of those entries is checked again (unless
  // --all-signatures).
  const auto result =
      gov::verify_audit_trail(entries, checkpoints, config.target, config.principals, args.all_signatures);
  // The incidents are signed records too: verified here as well, when the target has any (or the log names some).
  const auto incidents = verify_incident_trail(config, entries);
  // Approvals and the model registry: chained and signed the same way.
  const auto approvals = gov::verify_approval_records(gov::read_approval_records(gov::approvals_table(lakehouse)),
                                                      config.principals);
  const auto registry = gov::verify_registry_events(gov::read_registry(gov::registry_table(lakehouse)).events,
                                                    config.principals);
  const bool ok = result.ok() && incidents.ok() && approvals.ok() && registry.ok();
  const auto chained_json = [](const std::string& chained, const gov::IncidentVerifyResult& verdict) {
    json j = {{"table", chained}, {"records", verdict.records}, {"ok", verdict.ok()}};
    j["bad_seq"] = verdict.bad_seq ? json(*verdict.bad_seq) : json(nullptr);
    j["problem"] = verdict.ok() ? json(nullptr) : json(verdict.problem);
    return j;
  };
  const auto chained_line = [](const char* what, const char* owner, const gov::IncidentVerifyResult& verdict) {
    if (verdict.ok()) return fmt::format("OK: {} {}", verdict.records, what);
    return fmt::format("FAILED: {} seq {} ({} {}): {} ({} {})", what, *verdict.bad_seq, owner, verdict.incident_id,
                       verdict.problem, verdict.records, what);
  };
  if (args.json_output) {
    json j = {{"table", table}, {"entries", result.entries}, {"ok", ok}};
    j["bad_seq"] = result.bad_seq ? json(*result.bad_seq) : json(nullptr);
    j["problem"] = result.ok() ? json(nullptr) : json(result.problem);
    j["incidents"] = incident_verify_json(gov::incidents_table(lakehouse), incidents);
    j["approvals"] = chained_json(gov::approvals_table(lakehouse), approvals);
    j["registry"] = chained_json(gov::registry_table(lakehouse), registry);
    fmt::print("{}\n", j.dump(2, ' ', false, json::error_handler_t::replace));
    return ok ? kExitOk : kExitAuditInvalid;
  }
  if (result.ok()) {
    fmt::print("OK: {} entries\n", result.entries);
  } else {
    fmt::print("FAILED: entry seq {}: {} ({} entries in {})\n", *result.bad_seq, result.problem, result.entries, table);
  }
  if (incidents.records > 0 || !incidents.ok()) fmt::print("{}\n", incident_verify_line(incidents));
  if (approvals.records > 0) fmt::print("{}\n", chained_line("approval records", "request", approvals));
  if (registry.records > 0) fmt::print("{}\n", chained_line("registry events", "model", registry));
  return ok ? kExitOk : kExitAuditInvalid;
}

int run_checkpoint(const GovernanceArguments& args) {
  const auto config = load(args);
  const auto actor = acting_principal(config, args.as, gov::Role::kOperator);
  if (!actor) {
    throw core::InputError(fmt::format("audit checkpoint: name the signing service principal (role operator on target "
                                       "'{}') with --as NAME or DRIFTGOV_PRINCIPAL",
                                       config.target));
  }
  const auto& lakehouse = config.selected_target().lakehouse;
  gov::AuditCheckpoint checkpoint;
  try {
    checkpoint = gov::write_audit_checkpoint(gov::audit_log_table(lakehouse), gov::audit_checkpoints_table(lakehouse),
                                             config.target, gov::find_principal(config.principals, actor->name),
                                             actor->key, config.principals);
  } catch (const gov::AuditCheckpointRefused& refused) {
    fmt::print("FAILED: {}\n", refused.what());
    return kExitAuditInvalid;
  }
  const auto text = gov::checkpoint_json(checkpoint) + "\n";
  if (!args.checkpoint_out.empty()) io::write_file_atomically(io::local_storage(), args.checkpoint_out, text);
  fmt::print("{}", text);
  return kExitOk;
}

int run_log(const GovernanceArguments& args) {
  const auto config = load(args);
  check_reader(config, args.as);
  const auto entries = gov::read_audit_log(gov::audit_log_table(config.selected_target().lakehouse));
  if (args.json_output) {
    json out = json::array();
    for (const auto& e : entries) {
      out.push_back({{"seq", e.seq}, {"time", monitor::format_instant(e.time_us)}, {"actor", e.actor},
                     {"action", e.action}, {"target", e.target}, {"subject", e.subject}, {"details", e.details},
                     {"prev_hash", e.prev_hash}, {"entry_hash", e.entry_hash}, {"signature", e.signature}});
    }
    fmt::print("{}\n", out.dump(2, ' ', false, json::error_handler_t::replace));
    return kExitOk;
  }
  for (const auto& e : entries) {
    fmt::print("{:>6}  {}  {:<16} {:<20} {:<10} {}  {}\n", e.seq, monitor::format_instant(e.time_us), e.actor,
               e.action, e.target, e.subject, e.details);
  }
  return kExitOk;
}

}  // namespace

void append_monitor_refresh_entry(const monitor::Config& config, const std::string& actor_name,
                                  const gov::KeyPair& key, const monitor::RefreshSummary& summary) {
  json details = {{"monitor", summary.monitor}, {"refresh_id", summary.refresh_id}, {"state", summary.state},
                  {"table_version_to", summary.version_to}};
  details["table_version_from"] = summary.version_from ? json(*summary.version_from) : json(nullptr);
  gov::AppendRequest request;
  request.action = "monitor.refresh";
  request.target = config.target;
  request.subject = summary.monitor;
  request.details = details.dump(-1, ' ', false, json::error_handler_t::replace);
  gov::append_audit_entry(gov::audit_log_table(config.selected_target().lakehouse), actor_name, key, request);
}

void check_reader(const monitor::Config& config, const std::string& as_option) {
  if (const auto actor = gov::acting_principal_name(as_option, gov::Environment::from_process())) {
    gov::require_role(config.principals, *actor, config.target, gov::Role::kViewer);
  }
}

std::optional<ActingPrincipal> acting_principal(const monitor::Config& config, const std::string& as_option,
                                                gov::Role role) {
  const auto environment = gov::Environment::from_process();
  const auto name = gov::acting_principal_name(as_option, environment);
  if (!name) return std::nullopt;
  gov::require_role(config.principals, *name, config.target, role);
  return ActingPrincipal{*name, gov::load_signing_key(gov::find_principal(config.principals, *name), environment,
                                                      io::local_storage())};
}

void register_governance(CLI::App& app) {
  auto args = std::make_shared<GovernanceArguments>();
  auto* principal = app.add_subcommand("principal", "Principals' keys (docs/governance.md)");
  principal->require_subcommand(1);
  auto* keygen = principal->add_subcommand("keygen", "Write an Ed25519 key pair NAME.key (mode 0600) and NAME.pub");
  keygen->add_option("NAME", args->name, "The principal's name")->required();
  keygen->add_option("--out", args->out, "Folder of the key files (default: the current folder)");
  add_verb(keygen, [args] { return run_keygen(*args); });

  auto* audit = app.add_subcommand("audit", "The signed, hash-chained audit log of a target (docs/governance.md)");
  audit->require_subcommand(1);
  const auto add_config = [&](CLI::App* sub, const char* role = "viewer") {
    sub->add_option("--config", args->config, "The configuration file")->capture_default_str();
    sub->add_option("--target", args->target, "Target (dev, staging, prod, ...); default: the default target");
    sub->add_option("--var", args->variables, "Override a variable: NAME=VALUE (repeatable)");
    sub->add_option("--as", args->as, fmt::format("Acting principal (default: DRIFTGOV_PRINCIPAL); needs role {}", role));
    sub->add_flag("--json", args->json_output, "Print JSON");
  };
  auto* verify = audit->add_subcommand("verify", "Check the chain and every signature; name the first bad entry");
  add_config(verify);
  verify->add_flag("--all-signatures", args->all_signatures,
                   "Check every entry's signature, also those a valid checkpoint attests");
  verify->add_option("--checkpoint", args->checkpoints,
                     "A checkpoint file written by `audit checkpoint` (repeatable): the log must still hold what it "
                     "signed");
  add_verb(verify, [args] { return run_verify(*args); });
  auto* checkpoint = audit->add_subcommand("checkpoint", "Sign the log's size and Merkle root as a service principal");
  add_config(checkpoint, "operator, as a service principal");
  checkpoint->add_option("--out", args->checkpoint_out, "Also write the checkpoint to this file");
  add_verb(checkpoint, [args] { return run_checkpoint(*args); });
  auto* log = audit->add_subcommand("log", "List the entries in seq order");
  add_config(log);
  add_verb(log, [args] { return run_log(*args); });
}

}  // namespace driftgov::cli
