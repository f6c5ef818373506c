// driftgov model list|show|register|promote|rollback|remove-alias|mirror: the embedded model registry of the
// production lakehouse (docs/governance.md, "Model registry and promotion").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/lineage_job.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/gov/approvals.hpp"
#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/keys.hpp"
#include "driftgov/gov/mlflow_mirror.hpp"
#include "driftgov/gov/registry.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/windows.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

// How often a registry commit that lost to a concurrent one is decided again before giving up.
constexpr int kRegistryAttempts = 20;

struct RegistryArguments {
  TargetArguments target;
  std::string incident;
  std::string artefact;
  std::string model;
  std::string alias = "champion";
  std::int64_t version = 0;
  std::string reason;
};

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }
void print_json(const json& j) { fmt::print("{}\n", j.dump(2, ' ', false, json::error_handler_t::replace)); }

json event_json(const gov::RegistryEvent& e) {
  return {{"seq", e.seq},
          {"time", monitor::format_instant(e.time_us)},
          {"actor", e.actor},
          {"event", e.event},
          {"version", e.version},
          {"alias", e.alias.empty() ? json(nullptr) : json(e.alias)},
          {"artefact_sha256", e.artefact_sha256},
          {"artefact", e.artefact},
          {"training_table", e.training_table},
          {"training_version", e.training_version.empty() ? json(nullptr) : json(e.training_version)},
          {"evaluation_digest", e.evaluation_digest},
          {"incident_id", e.incident_id.empty() ? json(nullptr) : json(e.incident_id)},
          {"approvals", json::parse(e.approvals, nullptr, false)},
          {"details", json::parse(e.details, nullptr, false)},
          {"event_hash", e.event_hash},
          {"signature", e.signature}};
}

json model_json(const gov::RegisteredModel& model) {
  json j = {{"name", model.name}, {"aliases", model.aliases}, {"versions", json::array()},
            {"alias_history", json::array()}};
  for (const auto& version : model.versions) j["versions"].push_back(event_json(*version.registered));
  for (const auto* event : model.alias_history) j["alias_history"].push_back(event_json(*event));
  return j;
}

// The registry must be a production target's, and its governance tables must verify before anything is decided
// from them: a forged or replayed row is refused here as `audit verify` would report it (exit 7).
std::optional<int> refuse_unverified(const monitor::Config& config, const std::string& verb) {
  const auto& target = config.selected_target();
  DRIFTGOV_USER_CHECK(target.mode == "production", "{}: target '{}' is a {} target; the registry lives in a "
                                                   "production target's lakehouse (targets.<name>.mode: production)",
                      verb, config.target, target.mode);
  const auto approvals = gov::verify_approval_records(
      gov::read_approval_records(gov::approvals_table(target.lakehouse)), config.principals);
  if (!approvals.ok()) {
    fmt::print("FAILED: {}: approval record seq {} ({}): {}; nothing was changed\n", verb, *approvals.bad_seq,
               approvals.incident_id, approvals.problem);
    return kExitAuditInvalid;
  }
  const auto registry =
      gov::verify_registry_events(gov::read_registry(gov::registry_table(target.lakehouse)).events, config.principals);
  if (!registry.ok()) {
    fmt::print("FAILED: {}: registry event seq {} (model {}): {}; nothing was changed\n", verb, *registry.bad_seq,
               registry.incident_id, registry.problem);
    return kExitAuditInvalid;
  }
  return std::nullopt;
}

// The approvals of `request` valid for its evidence; refused unless there are enough.
json require_approvals(const monitor::Config& config, const gov::ApprovalRequest& request,
                       const std::string& evaluation_digest, const std::string& artefact_sha256,
                       const std::string& what) {
  const auto valid = gov::valid_approvals(request, config.principals, config.target, evaluation_digest,
                                          artefact_sha256);
  const auto required = config.governance.approvals_required;
  DRIFTGOV_USER_CHECK(static_cast<std::int64_t>(valid.size()) >= required,
                      "{}: {} has {} valid approval{} for evaluation {} and artefact {}; {} required (approvals by "
                      "principals holding approver on '{}', neither requester nor trainer, before the request "
                      "expired, for exactly that evaluation and artefact)",
                      what, request.request.request_id, valid.size(), valid.size() == 1 ? "" : "s",
                      evaluation_digest.substr(0, 12), artefact_sha256.substr(0, 12), required, config.target);
  json approvers = json::array(), seqs = json::array();
  for (const auto* approval : valid) {
    approvers.push_back(approval->actor);
    seqs.push_back(approval->seq);
  }
  return {{"request_id", request.request.request_id}, {"approvers", approvers}, {"seqs", seqs}};
}

// Decides registry events from a fresh read of the registry and commits them in one commit; when another writer
// committed in between (nothing written), reads and decides again, up to kRegistryAttempts times. `decide` returns
// the events to write, none when there is nothing to do; the events written are returned.
std::vector<gov::RegistryEvent> commit_decided(
    const gov::IncidentContext& context, const std::string& lakehouse, const std::string& what,
    const std::function<std::vector<gov::RegistryEvent>(const gov::RegistryRead&)>& decide) {
  for (int attempt = 1;; ++attempt) {
    const auto read = gov::read_registry(gov::registry_table(lakehouse));
    auto events = decide(read);
    if (events.empty() || gov::commit_registry_events(context, read, events)) return events;
    DRIFTGOV_USER_CHECK(attempt < kRegistryAttempts,
                        "{}: the registry changed under it {} times in a row (concurrent writers); nothing was "
                        "written, try again",
                        what, attempt);
  }
}

// Copies the artefact into the registry under its digest (a file of that name has the same bytes: kept).
std::string store_artefact(const std::string& lakehouse, const std::string& source, const std::string& sha256) {
  auto& storage = io::local_storage();
  const auto dot = source.find_last_of('.');
  const auto extension = dot == std::string::npos || source.find('/', dot) != std::string::npos
                             ? std::string("bin")
                             : source.substr(dot + 1);
  const auto path = io::join_path(gov::registry_artefacts(lakehouse), sha256 + "." + extension);
  if (storage.stat(path) && gov::sha256_hex(io::read_file(storage, path)) == sha256) return path;
  const auto bytes = io::read_file(storage, source);
  DRIFTGOV_USER_CHECK(gov::sha256_hex(bytes) == sha256, "model artefact {} changed while it was promoted", source);
  io::write_file_atomically(storage, path, bytes);
  return path;
}

// Mirrors `name` to MLflow when governance.registry.mlflow is set (docs/governance.md, "MLflow mirror") and records
// the outcome in the audit log as `registry.mirror`. The embedded registry is the source of truth: a failure is
// returned (and recorded), never thrown, so it cannot undo the commit that preceded it.
json mirror_model(const monitor::Config& config, const ActingPrincipal& actor, const std::string& name) {
  const auto& mlflow = config.governance.mlflow;
  if (!mlflow.enabled()) return {{"state", "off"}};
  json report = {{"state", "ok"}, {"tracking_uri", mlflow.tracking_uri}};
  try {
    const auto read = gov::read_registry(gov::registry_table(config.selected_target().lakehouse));
    const auto models = gov::fold_registry(read.events);
    const auto outcome = gov::mirror_to_mlflow(mlflow, gov::find_registered_model(models, name));
    json versions = json::object();
    for (const auto& [version, number] : outcome.mlflow_versions) versions[std::to_string(version)] = number;
    report.update({{"model_created", outcome.model_created}, {"versions_created", outcome.versions_created},
                   {"tags_set", outcome.tags_set}, {"aliases_set", outcome.aliases_set},
                   {"aliases_removed", outcome.aliases_removed}, {"mlflow_versions", versions}});
  } catch (const std::exception& failure) {
    report["state"] = "failed";
    report["error"] = failure.what();
  }
  append_action_entry(config, actor, "registry.mirror", name, report);
  return report;
}

// The warning of a failed mirror after a registry commit that stands.
void warn_mirror(const json& report, const std::string& verb, const std::string& model) {
  if (report.value("state", std::string()) != "failed") return;
  fmt::print(stderr,
             "warning: {}: the registry commit stands, but mirroring model {} to MLflow at {} failed: {}; run "
             "`driftgov model mirror --model {}` once MLflow is reachable\n",
             verb, model, report.value("tracking_uri", std::string()), report.value("error", std::string()), model);
}

// After a committed alias change (`action` rollback or removal): its audit entry (the event's version and alias, the
// reason, `extra`), the mirror, and the output (`text`, or the event as JSON).
int report_alias_change(const monitor::Config& config, const ActingPrincipal& actor, const RegistryArguments& args,
                        const gov::RegistryEvent& event, const std::string& action, json extra,
                        const std::string& text) {
  extra.update({{"version", event.version}, {"alias", event.alias}, {"registry_seq", event.seq},
                {"registry_hash", event.event_hash}, {"reason", args.reason}});
  append_action_entry(config, actor, action, args.model, extra);
  const auto mirror = mirror_model(config, actor, args.model);
  warn_mirror(mirror, action, args.model);
  if (args.target.json_output) {
    auto j = event_json(event);
    j["mirror"] = mirror;
    print_json(j);
  } else {
    fmt::print("{}\n", text);
  }
  return kExitOk;
}

int run_promote(const RegistryArguments& args) {
  const auto config = args.target.load();
  const auto actor = require_acting_principal(config, args.target.as, gov::Role::kOperator, "model promote");
  if (const auto refused = refuse_unverified(config, "model promote")) return *refused;
  DRIFTGOV_USER_CHECK(!args.model.empty(), "model promote {}: --model NAME (the registered model) is required",
                      args.incident);
  const auto& lakehouse = config.selected_target().lakehouse;
  const auto incidents = gov::fold_incidents(gov::read_incident_records(gov::incidents_table(lakehouse)));
  const auto& incident = gov::find_incident(incidents, args.incident);
  const auto requests = gov::fold_approval_requests(gov::read_approval_records(gov::approvals_table(lakehouse)));
  const gov::ApprovalRequest* request = nullptr;
  for (const auto& candidate : requests) {
    if (candidate.request.action == "promote" && candidate.request.incident_id == incident.id &&
        candidate.state == gov::RequestState::kApproved) {
      request = &candidate;
    }
  }
  if (incident.state != gov::IncidentState::kApproved && incident.state != gov::IncidentState::kPromoted) {
    throw gov::IncidentError(fmt::format("model promote: incident {} is '{}'; only an approved incident is promoted",
                                         incident.id, gov::to_string(incident.state)));
  }
  DRIFTGOV_USER_CHECK(request != nullptr, "model promote: incident {} has no approved approval request", incident.id);
  const auto details = json::parse(request->request.details, nullptr, false);
  const auto record_path = details.value("evaluation", std::string());
  const auto artefact_path = details.value("artefact", std::string());
  const auto evidence = check_evidence(config, record_path, artefact_path);
  DRIFTGOV_USER_CHECK(evidence.evaluation_digest == request->request.evaluation_digest,
                      "model promote: the approvals of {} are void: evaluation record {} now has digest {}, the "
                      "approvers signed {}",
                      request->request.request_id, record_path, evidence.evaluation_digest,
                      request->request.evaluation_digest);
  DRIFTGOV_USER_CHECK(evidence.artefact_sha256 == request->request.artefact_sha256,
                      "model promote: the approvals of {} are void: artefact {} now has SHA-256 {}, the approvers "
                      "signed {}",
                      request->request.request_id, artefact_path, evidence.artefact_sha256,
                      request->request.artefact_sha256);
  const auto approvals = require_approvals(config, *request, evidence.evaluation_digest, evidence.artefact_sha256,
                                           "model promote " + incident.id);
  LineageJob lineage(config, "model.promote", "PROMOTE");  // the one crossing from staging into production
  if (lineage.enabled()) {
    lineage.run().inputs = {gov::lineage_dataset(artefact_path), gov::lineage_dataset(record_path)};
  }
  lineage.start();
  const auto stored = store_artefact(lakehouse, artefact_path, evidence.artefact_sha256);

  const auto context = incident_context(config, actor);
  std::int64_t version = 0;
  json from_version = nullptr;
  bool already = false;
  const auto written = commit_decided(context, lakehouse, "model promote " + incident.id,
                                      [&](const gov::RegistryRead& read) -> std::vector<gov::RegistryEvent> {
    const gov::RegistryEvent* done = nullptr;
    for (const auto& event : read.events) {
      if (event.incident_id == incident.id && event.event == "alias_set") done = &event;
    }
    if (done != nullptr) {  // promoted already (by a concurrent promotion, or a run that stopped after the commit)
      version = done->version;
      from_version = json::parse(done->details, nullptr, false).value("from_version", json(nullptr));
      already = true;
      return {};
    }
    const auto models = gov::fold_registry(read.events);
    std::vector<gov::RegistryEvent> events;
    const gov::RegisteredModel* model = nullptr;
    for (const auto& candidate : models) {
      if (candidate.name == args.model) model = &candidate;
    }
    version = 0;
    if (model != nullptr) {
      for (const auto& existing : model->versions) {
        if (existing.registered->artefact_sha256 == evidence.artefact_sha256) version = existing.version;
      }
    }
    gov::RegistryEvent base;
    base.model = args.model;
    base.artefact_sha256 = evidence.artefact_sha256;
    base.artefact = stored;
    base.training_table = evidence.training_table;
    base.training_version = evidence.training_version;
    base.evaluation_digest = evidence.evaluation_digest;
    base.incident_id = incident.id;
    base.approvals = dump(approvals);
    base.details = "{}";
    if (version == 0) {
      version = model == nullptr ? 1 : static_cast<std::int64_t>(model->versions.size()) + 1;
      auto registered = base;
      registered.event = "version_registered";
      registered.version = version;
      events.push_back(std::move(registered));
    }
    auto alias = base;
    alias.event = "alias_set";
    alias.version = version;
    alias.alias = args.alias;
    from_version = nullptr;
    if (model != nullptr && model->aliases.contains(args.alias)) from_version = model->aliases.at(args.alias);
    alias.details = dump({{"from_version", from_version}});
    events.push_back(std::move(alias));
    return events;
  });
  if (!written.empty()) {
    append_action_entry(config, actor, "model.promote", args.model,
                        {{"incident_id", incident.id}, {"version", version}, {"alias", args.alias},
                         {"artefact_sha256", evidence.artefact_sha256}, {"evaluation_digest", evidence.evaluation_digest},
                         {"registry_seq", written.back().seq}, {"registry_hash", written.back().event_hash},
                         {"approvals", approvals}});
  }
  // The incident moves last: a run stopped before this leaves the registry done and the incident approved, and
  // running the promotion again completes it.
  const auto now = gov::fold_incidents(gov::read_incident_records(gov::incidents_table(lakehouse)));
  if (gov::find_incident(now, incident.id).state == gov::IncidentState::kApproved) {
    gov::transition_incident(context, incident.id, gov::IncidentState::kPromoted,
                             fmt::format("promoted as version {} of model '{}' ({})", version, args.model, args.alias),
                             dump({{"model", args.model}, {"version", version}, {"alias", args.alias},
                                   {"artefact_sha256", evidence.artefact_sha256}}));
  }
  const auto mirror = mirror_model(config, actor, args.model);
  warn_mirror(mirror, "model promote " + incident.id, args.model);
  if (lineage.enabled()) {
    lineage.run().outputs = {gov::delta_lineage_dataset(gov::registry_table(lakehouse)), gov::lineage_dataset(stored)};
  }
  lineage.complete();
  if (args.target.json_output) {
    json j = {{"incident_id", incident.id}, {"model", args.model}, {"version", version}, {"alias", args.alias},
              {"from_version", from_version}, {"artefact", stored}, {"already_promoted", already},
              {"mirror", mirror}, {"events", json::array()}};
    for (const auto& event : written) j["events"].push_back(event_json(event));
    print_json(j);
  } else if (already) {
    fmt::print("{} was already promoted: model {} version {} ({})\n", incident.id, args.model, version, args.alias);
  } else {
    fmt::print("promoted {}: model {} version {} is now {} ({}; artefact {})\n", incident.id, args.model, version,
               args.alias,
               from_version.is_null() ? std::string("the alias was not set before")
                                      : fmt::format("moved from version {}", from_version.get<std::int64_t>()),
               stored);
  }
  return kExitOk;
}

int run_rollback(const RegistryArguments& args) {
  const auto config = args.target.load();
  const auto actor = require_acting_principal(config, args.target.as, gov::Role::kOperator, "model rollback");
  if (const auto refused = refuse_unverified(config, "model rollback")) return *refused;
  DRIFTGOV_USER_CHECK(args.version > 0, "model rollback {}: --to VERSION is required", args.model);
  const auto& lakehouse = config.selected_target().lakehouse;
  const auto requests = gov::fold_approval_requests(gov::read_approval_records(gov::approvals_table(lakehouse)));
  const auto context = incident_context(config, actor);
  const gov::ApprovalRequest* request = nullptr;
  json approvals;
  const auto events = commit_decided(context, lakehouse, "model rollback " + args.model,
                                     [&](const gov::RegistryRead& read) -> std::vector<gov::RegistryEvent> {
    const auto models = gov::fold_registry(read.events);
    const auto& model = gov::find_registered_model(models, args.model);
    const gov::RegistryEvent* registered = nullptr;
    for (const auto& version : model.versions) {
      if (version.version == args.version) registered = version.registered;
    }
    DRIFTGOV_USER_CHECK(registered != nullptr, "model rollback {} --to {}: the model has versions 1 to {}",
                        args.model, args.version, model.versions.size());
    request = nullptr;
    for (const auto& candidate : requests) {
      const auto details = json::parse(candidate.request.details, nullptr, false);
      if (candidate.request.action == "rollback" && candidate.request.model == args.model &&
          candidate.request.model_version == args.version && details.value("alias", std::string()) == args.alias &&
          candidate.state == gov::RequestState::kApproved) {
        request = &candidate;
      }
    }
    DRIFTGOV_USER_CHECK(request != nullptr,
                        "model rollback {} --to {} ({}): no approved rollback request; ask with `driftgov approval "
                        "request --rollback {} --to {} --alias {}` and have it approved",
                        args.model, args.version, args.alias, args.model, args.version, args.alias);
    for (const auto* change : model.alias_history) {
      const auto used = json::parse(change->approvals, nullptr, false);
      DRIFTGOV_USER_CHECK(!(change->event == "rollback" && used.is_object() &&
                            used.value("request_id", std::string()) == request->request.request_id),
                          "model rollback {} --to {}: approval request {} was used already (registry seq {}); "
                          "request approval again",
                          args.model, args.version, request->request.request_id, change->seq);
    }
    approvals = require_approvals(config, *request, registered->evaluation_digest, registered->artefact_sha256,
                                  "model rollback " + args.model);
    const auto current = model.aliases.find(args.alias);
    gov::RegistryEvent event = *registered;
    event.event = "rollback";
    event.alias = args.alias;
    event.incident_id.clear();
    event.approvals = dump(approvals);
    event.details = dump({{"from_version", current == model.aliases.end() ? json(nullptr) : json(current->second)},
                          {"reason", args.reason}});
    return {event};
  });
  return report_alias_change(config, actor, args, events.back(), "model.rollback",
                             {{"approvals", approvals}},
                             fmt::format("rolled back: model {} alias {} is version {} again (approval {})",
                                         args.model, args.alias, args.version, request->request.request_id));
}

// Registers the model in service before governance (an artefact no incident produced) as version 1 of a model and
// sets `alias` on it: the registry's starting point, from which each promotion moves the alias. Only a model without
// versions is registered this way; every later version comes through `model promote` and its approvals.
int run_register(const RegistryArguments& args) {
  const auto config = args.target.load();
  const auto actor = require_acting_principal(config, args.target.as, gov::Role::kAdmin, "model register");
  if (const auto refused = refuse_unverified(config, "model register")) return *refused;
  DRIFTGOV_USER_CHECK(!args.reason.empty(),
                      "model register {}: --reason TEXT is required (why this model is in service; it is recorded)",
                      args.artefact);
  const auto& lakehouse = config.selected_target().lakehouse;
  const auto sha256 = gov::sha256_hex(io::read_file(io::local_storage(), args.artefact));
  const auto manifest = read_training_manifest(args.artefact, sha256);
  const auto stored = store_artefact(lakehouse, args.artefact, sha256);
  const auto context = incident_context(config, actor);
  const auto written = commit_decided(context, lakehouse, "model register " + args.model,
                                      [&](const gov::RegistryRead& read) -> std::vector<gov::RegistryEvent> {
    const auto models = gov::fold_registry(read.events);
    const auto existing = std::find_if(models.begin(), models.end(),
                                       [&](const gov::RegisteredModel& model) { return model.name == args.model; });
    if (existing != models.end()) {
      const auto* first = existing->versions.empty() ? nullptr : existing->versions.front().registered;
      if (existing->versions.size() == 1 && first->artefact_sha256 == sha256 && first->incident_id.empty()) return {};
      throw core::InputError(fmt::format(
          "model register {}: model '{}' has {} version{} already; a registered model gets new versions only "
          "through `driftgov model promote` (an approved incident)",
          args.artefact, args.model, existing->versions.size(), existing->versions.size() == 1 ? "" : "s"));
    }
    gov::RegistryEvent registered;
    registered.event = "version_registered";
    registered.model = args.model;
    registered.version = 1;
    registered.artefact_sha256 = sha256;
    registered.artefact = stored;
    registered.training_table = manifest.table;
    registered.training_version = manifest.table_version;
    registered.approvals = "{}";
    registered.details = dump({{"reason", args.reason}});
    auto alias = registered;
    alias.event = "alias_set";
    alias.alias = args.alias;
    alias.details = dump({{"from_version", nullptr}, {"reason", args.reason}});
    return {registered, alias};
  });
  if (!written.empty()) {
    append_action_entry(config, actor, "model.register", args.model,
                        {{"version", 1}, {"alias", args.alias}, {"artefact_sha256", sha256}, {"reason", args.reason},
                         {"registry_seq", written.back().seq}, {"registry_hash", written.back().event_hash}});
  }
  const auto mirror = mirror_model(config, actor, args.model);
  warn_mirror(mirror, "model register " + args.model, args.model);
  if (args.target.json_output) {
    json j = {{"model", args.model}, {"version", 1}, {"alias", args.alias}, {"artefact", stored},
              {"already_registered", written.empty()}, {"mirror", mirror}, {"events", json::array()}};
    for (const auto& event : written) j["events"].push_back(event_json(event));
    print_json(j);
  } else if (written.empty()) {
    fmt::print("{} was already registered: model {} version 1\n", args.artefact, args.model);
  } else {
    fmt::print("registered: model {} version 1 is {} (artefact {})\n", args.model, args.alias, stored);
  }
  return kExitOk;
}

// Removes an alias from a model (an alias_removed event naming the version it pointed at): the version stays
// registered, and the alias history keeps the removal.
int run_remove_alias(const RegistryArguments& args) {
  const auto config = args.target.load();
  const auto actor = require_acting_principal(config, args.target.as, gov::Role::kOperator, "model remove-alias");
  if (const auto refused = refuse_unverified(config, "model remove-alias")) return *refused;
  const auto& lakehouse = config.selected_target().lakehouse;
  const auto context = incident_context(config, actor);
  const auto events = commit_decided(context, lakehouse, "model remove-alias " + args.model,
                                     [&](const gov::RegistryRead& read) -> std::vector<gov::RegistryEvent> {
    const auto models = gov::fold_registry(read.events);
    const auto& model = gov::find_registered_model(models, args.model);
    const auto current = model.aliases.find(args.alias);
    if (current == model.aliases.end()) {
      std::vector<std::string> names;
      for (const auto& [alias, version] : model.aliases) names.push_back(fmt::format("{} (v{})", alias, version));
      const auto listed = names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
      throw core::InputError(fmt::format("model remove-alias {}: alias '{}' is not set; the model's aliases: {}",
                                         args.model, args.alias, listed));
    }
    DRIFTGOV_USER_CHECK(!args.reason.empty(), "model remove-alias {} --alias {}: --reason TEXT is required", args.model,
                        args.alias);
    const gov::RegistryEvent* registered = nullptr;
    for (const auto& version : model.versions) {
      if (version.version == current->second) registered = version.registered;
    }
    if (registered == nullptr) throw core::InternalError("an alias names a version the registry does not hold");
    gov::RegistryEvent event = *registered;
    event.event = "alias_removed";
    event.alias = args.alias;
    event.incident_id.clear();
    event.approvals = "{}";
    event.details = dump({{"from_version", current->second}, {"reason", args.reason}});
    return {event};
  });
  return report_alias_change(config, actor, args, events.back(), "model.remove_alias", json::object(),
                             fmt::format("removed: model {} alias {} (it was version {})", args.model, args.alias,
                                         events.back().version));
}

// Brings MLflow up to the registry's state for one model or all (idempotent: only what differs is written).
int run_mirror(const RegistryArguments& args) {
  const auto config = args.target.load();
  const auto actor = require_acting_principal(config, args.target.as, gov::Role::kOperator, "model mirror");
  DRIFTGOV_USER_CHECK(config.governance.mlflow.enabled(),
                      "model mirror: {} configures no mirror (governance.registry.mlflow.tracking_uri)", config.file);
  if (const auto refused = refuse_unverified(config, "model mirror")) return *refused;
  const auto read = gov::read_registry(gov::registry_table(config.selected_target().lakehouse));
  const auto models = gov::fold_registry(read.events);
  std::vector<std::string> names;
  if (!args.model.empty()) {
    names.push_back(gov::find_registered_model(models, args.model).name);
  } else {
    for (const auto& model : models) names.push_back(model.name);
  }
  json reports = json::object();
  bool failed = false;
  for (const auto& name : names) {
    reports[name] = mirror_model(config, actor, name);
    failed = failed || reports[name].value("state", std::string()) == "failed";
  }
  if (args.target.json_output) {
    print_json(reports);
  } else {
    for (const auto& [name, report] : reports.items()) {
      if (report.value("state", std::string()) == "failed") {
        fmt::print("FAILED: model {}: {}\n", name, report.value("error", std::string()));
      } else {
        fmt::print("mirrored model {} to {}: {} version{} created, {} tag{} set, {} alias{} set, {} removed\n", name,
                   config.governance.mlflow.tracking_uri, report["versions_created"].get<std::int64_t>(),
                   report["versions_created"] == 1 ? "" : "s", report["tags_set"].get<std::int64_t>(),
                   report["tags_set"] == 1 ? "" : "s", report["aliases_set"].get<std::int64_t>(),
                   report["aliases_set"] == 1 ? "" : "es", report["aliases_removed"].get<std::int64_t>());
      }
    }
  }
  return failed ? kExitIOError : kExitOk;
}

int run_list(const RegistryArguments& args) {
  const auto config = args.target.load();
  check_reader(config, args.target.as);
  const auto read = gov::read_registry(gov::registry_table(config.selected_target().lakehouse));
  const auto models = gov::fold_registry(read.events);
  if (args.target.json_output) {
    json out = json::array();
    for (const auto& model : models) out.push_back(model_json(model));
    print_json(out);
    return kExitOk;
  }
  for (const auto& model : models) {
    std::vector<std::string> aliases;
    for (const auto& [alias, version] : model.aliases) aliases.push_back(fmt::format("{}=v{}", alias, version));
    fmt::print("{:<24} {:>3} versions  {}\n", model.name, model.versions.size(),
               aliases.empty() ? std::string("-") : fmt::format("{}", fmt::join(aliases, " ")));
  }
  return kExitOk;
}

int run_show(const RegistryArguments& args) {
  const auto config = args.target.load();
  check_reader(config, args.target.as);
  const auto read = gov::read_registry(gov::registry_table(config.selected_target().lakehouse));
  const auto models = gov::fold_registry(read.events);
  const auto& model = gov::find_registered_model(models, args.model);
  if (args.target.json_output) {
    print_json(model_json(model));
    return kExitOk;
  }
  fmt::print("model {}\nversions:\n", model.name);
  for (const auto& version : model.versions) {
    const auto& e = *version.registered;
    fmt::print("  v{:<3} {}  sha256 {}  evaluation {}  incident {}  training {}{}  by {}\n", version.version,
               monitor::format_instant(e.time_us), e.artefact_sha256,
               e.evaluation_digest.empty() ? std::string("-") : e.evaluation_digest.substr(0, 12),
               e.incident_id.empty() ? std::string("-") : e.incident_id,
               e.training_table.empty() ? "-" : e.training_table,
               e.training_version.empty() ? "" : "@v=" + e.training_version, e.actor);
  }
  fmt::print("alias history:\n");
  for (const auto* e : model.alias_history) {
    const auto from = json::parse(e->details, nullptr, false).value("from_version", json(nullptr));
    const auto move = e->event == "alias_removed" ? fmt::format("v{} -> -", e->version)
                      : from.is_number_integer()  ? fmt::format("v{} -> v{}", from.get<std::int64_t>(), e->version)
                                                  : fmt::format("- -> v{}", e->version);
    fmt::print("  {:>5}  {}  {:<13} {:<12} {:<10}  by {}  approvals {}\n", e->seq,
               monitor::format_instant(e->time_us), e->event, e->alias, move, e->actor, e->approvals);
  }
  return kExitOk;
}

}  // namespace

void register_registry(CLI::App* model) {
  auto args = std::make_shared<RegistryArguments>();
  auto* list = model->add_subcommand("list", "The registered models of the target's registry and their aliases");
  args->target.add_to(list, "viewer");
  add_verb(list, [args] { return run_list(*args); });
  auto* show = model->add_subcommand("show", "A registered model: its versions and its full alias history");
  show->add_option("NAME", args->model, "The registered model")->required();
  args->target.add_to(show, "viewer");
  add_verb(show, [args] { return run_show(*args); });
  auto* registration = model->add_subcommand("register", "Register the model in service (no incident produced it) as "
                                                          "version 1 of a model and set its alias");
  registration->add_option("ARTEFACT", args->artefact, "The model artefact in service")->required();
  registration->add_option("--model", args->model, "The registered model's name (a model without versions)")
      ->required();
  registration->add_option("--alias", args->alias, "The alias to set")->capture_default_str();
  registration->add_option("--reason", args->reason, "Why this model is in service (recorded)")->required();
  args->target.add_to(registration, "admin");
  add_verb(registration, [args] { return run_register(*args); });
  auto* promote = model->add_subcommand("promote", "Register an approved incident's challenger and set its alias");
  promote->add_option("INCIDENT", args->incident, "The incident (INC-n), in state approved")->required();
  promote->add_option("--model", args->model, "The registered model's name")->required();
  promote->add_option("--alias", args->alias, "The alias to set (champion, challenger or your own)")
      ->capture_default_str();
  args->target.add_to(promote, "operator");
  add_verb(promote, [args] { return run_promote(*args); });
  auto* rollback = model->add_subcommand("rollback", "Move an alias back to an earlier version (approved first)");
  rollback->add_option("--model", args->model, "The registered model's name")->required();
  rollback->add_option("--to", args->version, "The version to go back to")->required();
  rollback->add_option("--alias", args->alias, "The alias to move")->capture_default_str();
  rollback->add_option("--reason", args->reason, "Why (recorded)");
  args->target.add_to(rollback, "operator");
  add_verb(rollback, [args] { return run_rollback(*args); });
  auto* remove = model->add_subcommand("remove-alias", "Remove an alias from a model (the version stays registered)");
  remove->add_option("--model", args->model, "The registered model's name")->required();
  remove->add_option("--alias", args->alias, "The alias to remove")->required();
  remove->add_option("--reason", args->reason, "Why (recorded)")->required();
  args->target.add_to(remove, "operator");
  add_verb(remove, [args] { return run_remove_alias(*args); });
  auto* mirror = model->add_subcommand("mirror", "Bring the MLflow mirror (governance.registry.mlflow) up to date");
  mirror->add_option("--model", args->model, "The registered model (default: every model)");
  args->target.add_to(mirror, "operator");
  add_verb(mirror, [args] { return run_mirror(*args); });
}

}  // namespace driftgov::cli
