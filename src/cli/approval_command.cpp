// driftgov approval request|approve|reject|list: four-eyes approval of an evaluated challenger (or of a rollback)
// before it reaches production (docs/governance.md, "Approvals"); and what the governance verbs share about their
// target options and the evidence (evaluation record and artefact) they act on.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/gov/approvals.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/evaluation.hpp"
#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/registry.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/windows.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

struct ApprovalArguments {
  TargetArguments target;
  std::string id;
  std::string evaluation;
  std::string artefact;
  std::string expires;
  std::string comment;
  std::string rollback_model;
  std::int64_t rollback_version = 0;
  std::string alias = "champion";
};

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

void print_json(const json& j) { fmt::print("{}\n", j.dump(2, ' ', false, json::error_handler_t::replace)); }

json record_json(const gov::ApprovalRecord& r) {
  return {{"seq", r.seq},
          {"request_id", r.request_id},
          {"time", monitor::format_instant(r.time_us)},
          {"actor", r.actor},
          {"event", r.event},
          {"action", r.action},
          {"incident_id", r.incident_id.empty() ? json(nullptr) : json(r.incident_id)},
          {"model", r.model.empty() ? json(nullptr) : json(r.model)},
          {"model_version", r.model_version == 0 ? json(nullptr) : json(r.model_version)},
          {"evaluation_digest", r.evaluation_digest},
          {"artefact_sha256", r.artefact_sha256},
          {"excluded", json::parse(r.excluded, nullptr, false)},
          {"expires", monitor::format_instant(r.expires_us)},
          {"comment", r.comment},
          {"details", json::parse(r.details, nullptr, false)},
          {"record_hash", r.record_hash},
          {"signature", r.signature}};
}

// The principal who moved the incident to `training` (model train --incident), if any.
std::string training_actor(const gov::Incident& incident) {
  std::string actor;
  for (const auto& record : incident.history) {
    if (record.state == "training" && record.event == "transition") actor = record.actor;
  }
  return actor;
}

int run_request(const ApprovalArguments& args) {
  const auto config = args.target.load();
  const auto& lakehouse = config.selected_target().lakehouse;
  gov::RequestSpec spec;
  spec.valid_us = args.expires.empty() ? config.governance.approval_expiry_us
                                       : gov::parse_duration_us(args.expires, "--expires");
  const bool rollback = !args.rollback_model.empty();
  if (rollback) {
    DRIFTGOV_USER_CHECK(args.id.empty(), "approval request --rollback {}: give no incident (a rollback request is "
                                         "about a registered model), found '{}'",
                        args.rollback_model, args.id);
    DRIFTGOV_USER_CHECK(args.rollback_version > 0, "approval request --rollback {}: --to VERSION is required",
                        args.rollback_model);
    const auto actor = require_acting_principal(config, args.target.as, gov::Role::kOperator, "approval request");
    const auto read = gov::read_registry(gov::registry_table(lakehouse));
    const auto models = gov::fold_registry(read.events);
    const auto& model = gov::find_registered_model(models, args.rollback_model);
    const gov::RegistryEvent* registered = nullptr;
    for (const auto& version : model.versions) {
      if (version.version == args.rollback_version) registered = version.registered;
    }
    DRIFTGOV_USER_CHECK(registered != nullptr, "approval request --rollback {} --to {}: model '{}' has versions 1 to "
                                               "{}",
                        args.rollback_model, args.rollback_version, model.name, model.versions.size());
    const auto current = model.aliases.find(args.alias);
    spec.action = "rollback";
    spec.model = model.name;
    spec.model_version = args.rollback_version;
    spec.evaluation_digest = registered->evaluation_digest;
    spec.artefact_sha256 = registered->artefact_sha256;
    spec.details = dump({{"alias", args.alias},
                         {"from_version", current == model.aliases.end() ? json(nullptr) : json(current->second)},
                         {"reason", args.comment}});
    auto context = incident_context(config, actor);
    const auto record = gov::request_approval(context, spec);
    if (args.target.json_output) {
      print_json(record_json(record));
    } else {
      fmt::print("{}: rollback of model {} alias {} to version {} requested by {}; expires {}\n", record.request_id,
                 record.model, args.alias, record.model_version, record.actor,
                 monitor::format_instant(record.expires_us));
    }
    return kExitOk;
  }
  DRIFTGOV_USER_CHECK(!args.id.empty(), "approval request: name the incident (INC-n), or --rollback MODEL --to V");
  DRIFTGOV_USER_CHECK(!args.evaluation.empty(), "approval request {}: --evaluation RECORD.json is required",
                      args.id);
  DRIFTGOV_USER_CHECK(!args.artefact.empty(), "approval request {}: --model ARTEFACT is required", args.id);
  const auto actor = require_acting_principal(config, args.target.as, gov::Role::kTrainer, "approval request");
  const auto evidence = check_evidence(config, args.evaluation, args.artefact);
  const auto incidents = gov::fold_incidents(gov::read_incident_records(gov::incidents_table(lakehouse)));
  const auto& incident = gov::find_incident(incidents, args.id);
  // The evaluation must be the one the incident recorded when it moved to `evaluated`.
  for (const auto& record : incident.history) {
    const auto details = json::parse(record.details, nullptr, false);
    if (record.state != "evaluated" || !details.is_object() || !details.contains("digest")) continue;
    const auto recorded = details.value("digest", std::string());
    DRIFTGOV_USER_CHECK(recorded == evidence.evaluation_digest,
                        "approval request {}: evaluation record {} has digest {}, but the incident was evaluated by "
                        "the record of digest {} (seq {})",
                        incident.id, args.evaluation, evidence.evaluation_digest, recorded, record.seq);
  }
  spec.action = "promote";
  spec.incident_id = incident.id;
  spec.evaluation_digest = evidence.evaluation_digest;
  spec.artefact_sha256 = evidence.artefact_sha256;
  spec.trainers = evidence.trainers;
  spec.trainers.push_back(training_actor(incident));
  spec.details = dump({{"evaluation", evidence.record_path},
                       {"artefact", evidence.artefact_path},
                       {"training_table", evidence.training_table},
                       {"training_version", evidence.training_version},
                       {"comment", args.comment}});
  const auto record = gov::request_approval(incident_context(config, actor), spec);
  if (args.target.json_output) {
    print_json(record_json(record));
  } else {
    fmt::print("{}: approval of {} requested by {} (evaluation {}, artefact {}); {} approval{} needed; expires {}\n",
               record.request_id, record.incident_id, record.actor, record.evaluation_digest.substr(0, 12),
               record.artefact_sha256.substr(0, 12), config.governance.approvals_required,
               config.governance.approvals_required == 1 ? "" : "s", monitor::format_instant(record.expires_us));
  }
  return kExitOk;
}

int run_decide(const ApprovalArguments& args, bool approve) {
  const auto config = args.target.load();
  const auto actor =
      require_acting_principal(config, args.target.as, gov::Role::kApprover, approve ? "approval approve" : "approval reject");
  const auto outcome = gov::decide_approval(incident_context(config, actor), config.principals, args.id, approve,
                                            args.comment, config.governance.approvals_required);
  if (args.target.json_output) {
    auto j = record_json(outcome.record);
    j["request_state"] = gov::to_string(outcome.state);
    j["approvals"] = outcome.approvals;
    j["required"] = config.governance.approvals_required;
    print_json(j);
  } else {
    const auto& r = outcome.record;
    fmt::print("{}: {} by {} ({} of {} approvals); request {}{}\n", r.request_id, approve ? "approved" : "rejected",
               r.actor, outcome.approvals, config.governance.approvals_required, gov::to_string(outcome.state),
               r.incident_id.empty() ? "" : fmt::format(" (incident {})", r.incident_id));
  }
  return kExitOk;
}

int run_list(const ApprovalArguments& args) {
  const auto config = args.target.load();
  check_reader(config, args.target.as);
  const auto requests =
      gov::fold_approval_requests(gov::read_approval_records(gov::approvals_table(config.selected_target().lakehouse)));
  json out = json::array();
  for (const auto& request : requests) {
    const auto& r = request.request;
    if (args.target.json_output) {
      json j = record_json(r);
      j["state"] = gov::to_string(request.state);
      j["approvers"] = request.approvers;
      j["decisions"] = json::array();
      for (const auto& decision : request.decisions) j["decisions"].push_back(record_json(decision));
      out.push_back(std::move(j));
      continue;
    }
    fmt::print("{:<7} {:<9} {:<9} {:<12} by {:<12} expires {}  approvers: {}\n", r.request_id, r.action,
               gov::to_string(request.state),
               r.incident_id.empty() ? fmt::format("{} v{}", r.model, r.model_version) : r.incident_id, r.actor,
               monitor::format_instant(r.expires_us),
               request.approvers.empty() ? std::string("-") : fmt::format("{}", fmt::join(request.approvers, ", ")));
  }
  if (args.target.json_output) print_json(out);
  return kExitOk;
}

}  // namespace

void TargetArguments::add_to(CLI::App* command, const std::string& role) {
  command->add_option("--config", config, "The configuration file")->capture_default_str();
  command->add_option("--target", target, "Target (dev, staging, prod, ...); default: the default target");
  command->add_option("--var", variables, "Override a variable: NAME=VALUE (repeatable)");
  command->add_option("--as", as, fmt::format("Acting principal (default: DRIFTGOV_PRINCIPAL); needs role {}", role));
  command->add_flag("--json", json_output, "Print JSON");
}

monitor::Config TargetArguments::load() const {
  return monitor::load_config(config, config_load_options(target, variables));
}

ActingPrincipal require_acting_principal(const monitor::Config& config, const std::string& as_option, gov::Role role,
                                         const std::string& verb) {
  auto actor = acting_principal(config, as_option, role);
  if (!actor) {
    throw core::InputError(fmt::format("{}: name the acting principal (role {} on target '{}') with --as NAME or "
                                       "DRIFTGOV_PRINCIPAL",
                                       verb, gov::to_string(role), config.target));
  }
  return std::move(*actor);
}

void append_action_entry(const monitor::Config& config, const ActingPrincipal& actor, const std::string& action,
                         const std::string& subject, const json& details) {
  gov::AppendRequest request;
  request.action = action;
  request.target = config.target;
  request.subject = subject;
  request.details = dump(details);
  gov::append_audit_entry(gov::audit_log_table(config.selected_target().lakehouse), actor.name, actor.key, request);
}

TrainingManifest read_training_manifest(const std::string& artefact_path, const std::string& artefact_sha256) {
  auto& storage = io::local_storage();
  TrainingManifest found;
  const auto slash = artefact_path.find_last_of('/');
  const auto folder = slash == std::string::npos ? std::string(".") : artefact_path.substr(0, slash);
  const auto manifest_path = io::join_path(folder, artefact_sha256 + ".training.json");
  if (!storage.stat(manifest_path)) return found;
  const auto manifest = json::parse(io::read_file(storage, manifest_path), nullptr, false);
  if (!manifest.is_object()) return found;
  if (manifest.contains("trained_by") && manifest.at("trained_by").is_string()) {
    found.trained_by = manifest.at("trained_by").get<std::string>();
  }
  if (manifest.contains("table") && manifest.at("table").is_string()) {
    found.table = manifest.at("table").get<std::string>();
  }
  if (manifest.contains("table_version") && manifest.at("table_version").is_number_integer()) {
    found.table_version = std::to_string(manifest.at("table_version").get<std::int64_t>());
  }
  return found;
}

Evidence check_evidence(const monitor::Config& config, const std::string& record_path,
                        const std::string& artefact_path) {
  auto& storage = io::local_storage();
  Evidence evidence;
  evidence.record_path = record_path;
  evidence.artefact_path = artefact_path;
  evidence.record = json::parse(io::read_file(storage, record_path), nullptr, false);
  DRIFTGOV_USER_CHECK(!evidence.record.is_discarded() && evidence.record.is_object(),
                      "evaluation record {}: not a JSON object", record_path);
  const auto check = gov::verify_evaluation(evidence.record, config.principals);
  DRIFTGOV_USER_CHECK(check.ok, "evaluation record {} does not verify: {}", record_path, check.problem);
  evidence.evaluation_digest = evidence.record.at("digest").get<std::string>();
  const auto passed = evidence.record.find("passed");
  DRIFTGOV_USER_CHECK(passed != evidence.record.end() && passed->is_boolean() && passed->get<bool>(),
                      "evaluation record {}: the challenger did not pass its gates (passed is not true)", record_path);
  const auto challenger = evidence.record.value("/challenger/sha256"_json_pointer, std::string());
  evidence.artefact_sha256 = gov::sha256_hex(io::read_file(storage, artefact_path));
  DRIFTGOV_USER_CHECK(challenger == evidence.artefact_sha256,
                      "model artefact {}: its SHA-256 is {}, but evaluation record {} judged the challenger {}",
                      artefact_path, evidence.artefact_sha256, record_path, challenger);
  evidence.trainers.push_back(evidence.record.value("/signature/principal"_json_pointer, std::string()));
  const auto manifest = read_training_manifest(artefact_path, evidence.artefact_sha256);
  if (!manifest.trained_by.empty()) evidence.trainers.push_back(manifest.trained_by);
  evidence.training_table = manifest.table;
  evidence.training_version = manifest.table_version;
  return evidence;
}

void register_approval(CLI::App& app) {
  auto args = std::make_shared<ApprovalArguments>();
  auto* approval = app.add_subcommand("approval", "Four-eyes approval of a challenger or a rollback "
                                                  "(docs/governance.md)");
  approval->require_subcommand(1);
  auto* request = approval->add_subcommand("request", "Ask approval to promote an evaluated challenger (or, with "
                                                      "--rollback, to roll a model's alias back)");
  request->add_option("INCIDENT", args->id, "The incident (INC-n), in state evaluated");
  request->add_option("--evaluation", args->evaluation, "The evaluation record (JSON) of the challenger");
  request->add_option("--model", args->artefact, "The challenger's artefact the record judged");
  request->add_option("--expires", args->expires, "How long the request stays open (72h, 30m, 7d; default: "
                                                  "governance.approvals.expires)");
  request->add_option("--rollback", args->rollback_model, "Request a rollback of this registered model instead");
  request->add_option("--to", args->rollback_version, "With --rollback: the version to go back to");
  request->add_option("--alias", args->alias, "With --rollback: the alias to move back")->capture_default_str();
  request->add_option("--comment", args->comment, "Why (recorded)");
  args->target.add_to(request, "trainer (operator for --rollback)");
  add_verb(request, [args] { return run_request(*args); });
  for (const bool approve : {true, false}) {
    auto* decide = approval->add_subcommand(approve ? "approve" : "reject",
                                            approve ? "Approve a request (sign its evaluation and artefact digests)"
                                                    : "Reject a request");
    decide->add_option("ID", args->id, "The request (APR-n) or its incident (INC-n)")->required();
    decide->add_option("--comment", args->comment, "Why (recorded and signed)");
    args->target.add_to(decide, "approver");
    add_verb(decide, [args, approve] { return run_decide(*args, approve); });
  }
  auto* list = approval->add_subcommand("list", "The approval requests and their decisions");
  args->target.add_to(list, "viewer");
  add_verb(list, [args] { return run_list(*args); });
}

}  // namespace driftgov::cli
