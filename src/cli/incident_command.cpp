// driftgov incident list|show|close|verify: the incidents monitor breaches open (docs/governance.md, "Incidents"),
// and the hook that opens them after a monitor refresh.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/core/text_distance.hpp"
#include "driftgov/gov/incidents.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/refresh.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

struct IncidentArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string as;
  bool json_output = false;
  std::string id;
  std::string monitor;
  std::string state;
  std::string reason;
};

monitor::Config load(const IncidentArguments& args) {
  return monitor::load_config(args.config, config_load_options(args.target, args.variables));
}

std::vector<gov::Incident> read_incidents(const monitor::Config& config) {
  return gov::fold_incidents(gov::read_incident_records(gov::incidents_table(config.selected_target().lakehouse)));
}

json record_json(const gov::IncidentRecord& r) {
  return {{"seq", r.seq},
          {"time", monitor::format_instant(r.time_us)},
          {"actor", r.actor},
          {"event", r.event},
          {"state", r.state},
          {"previous_state", r.previous_state.empty() ? json(nullptr) : json(r.previous_state)},
          {"reason", r.reason},
          {"details", json::parse(r.details, nullptr, false)},
          {"breach_ids", json::parse(r.breach_ids, nullptr, false)},
          {"record_hash", r.record_hash},
          {"signature", r.signature}};
}

json incident_json(const gov::Incident& incident, bool with_history) {
  json j = {{"incident_id", incident.id},
            {"monitor", incident.monitor},
            {"model", incident.model.empty() ? json(nullptr) : json(incident.model)},
            {"state", gov::to_string(incident.state)},
            {"opened", monitor::format_instant(incident.opened_us)},
            {"opened_by", incident.opened_by},
            {"updated", monitor::format_instant(incident.updated_us)},
            {"breach_ids", incident.breach_ids}};
  if (with_history) {
    j["history"] = json::array();
    for (const auto& record : incident.history) j["history"].push_back(record_json(record));
  }
  return j;
}

void print_json(const json& j) { fmt::print("{}\n", j.dump(2, ' ', false, json::error_handler_t::replace)); }

int run_list(const IncidentArguments& args) {
  const auto config = load(args);
  check_reader(config, args.as);
  if (!args.state.empty() && !gov::parse_incident_state(args.state)) {
    const auto closest = core::closest_name(args.state, gov::incident_state_names());
    throw core::InputError(fmt::format("incident list --state: expected one of {}, found '{}'{}",
                                       fmt::join(gov::incident_state_names(), ", "), args.state,
                                       closest.empty() ? "" : fmt::format(" (did you mean '{}'?)", closest)));
  }
  json out = json::array();
  for (const auto& incident : read_incidents(config)) {
    if (!args.monitor.empty() && incident.monitor != args.monitor) continue;
    if (!args.state.empty() && gov::to_string(incident.state) != args.state) continue;
    if (args.json_output) {
      out.push_back(incident_json(incident, false));
      continue;
    }
    fmt::print("{:<8} {:<18} {:<20} {:<12} {:>4} breaches  opened {} by {}  updated {}\n", incident.id,
               gov::to_string(incident.state), incident.monitor, incident.model.empty() ? "-" : incident.model,
               incident.breach_ids.size(), monitor::format_instant(incident.opened_us), incident.opened_by,
               monitor::format_instant(incident.updated_us));
  }
  if (args.json_output) print_json(out);
  return kExitOk;
}

int run_show(const IncidentArguments& args) {
  const auto config = load(args);
  check_reader(config, args.as);
  const auto incidents = read_incidents(config);
  const auto& incident = gov::find_incident(incidents, args.id);
  if (args.json_output) {
    print_json(incident_json(incident, true));
    return kExitOk;
  }
  fmt::print("{}: {} (monitor {}{}), {} breaches, opened {} by {}\n", incident.id, gov::to_string(incident.state),
             incident.monitor, incident.model.empty() ? "" : ", model " + incident.model, incident.breach_ids.size(),
             monitor::format_instant(incident.opened_us), incident.opened_by);
  for (const auto& r : incident.history) {
    fmt::print("  {:>5}  {}  {:<14} {:<10} {:>17} -> {:<17} {}\n", r.seq, monitor::format_instant(r.time_us), r.actor,
               r.event, r.previous_state.empty() ? "-" : r.previous_state, r.state, r.reason);
    if (r.breach_ids != "[]") fmt::print("         breaches {}\n", r.breach_ids);
  }
  return kExitOk;
}

int run_close(const IncidentArguments& args) {
  const auto config = load(args);
  const auto actor = acting_principal(config, args.as, gov::Role::kSteward);
  if (!actor) {
    throw core::InputError(fmt::format("incident close: name the acting principal (role steward on target '{}') "
                                       "with --as NAME or DRIFTGOV_PRINCIPAL",
                                       config.target));
  }
  const auto record = gov::transition_incident(incident_context(config, *actor), args.id, gov::IncidentState::kClosed,
                                               args.reason);
  if (args.json_output) {
    print_json(record_json(record));
  } else {
    fmt::print("{}: {} -> closed by {} ({})\n", record.incident_id, record.previous_state, record.actor,
               record.reason);
  }
  return kExitOk;
}

int run_verify(const IncidentArguments& args) {
  const auto config = load(args);
  check_reader(config, args.as);
  const auto table = gov::incidents_table(config.selected_target().lakehouse);
  const auto result = verify_incident_trail(config, gov::read_audit_log(gov::audit_log_table(
                                                        config.selected_target().lakehouse)));
  if (args.json_output) {
    print_json(incident_verify_json(table, result));
  } else {
    fmt::print("{}\n", incident_verify_line(result));
  }
  return result.ok() ? kExitOk : kExitAuditInvalid;
}

}  // namespace

gov::IncidentVerifyResult verify_incident_trail(const monitor::Config& config,
                                                const std::vector<gov::AuditEntry>& audit_entries) {
  const auto records = gov::read_incident_records(gov::incidents_table(config.selected_target().lakehouse));
  const auto result = gov::verify_incident_records(records, config.principals);
  if (!result.ok()) return result;
  return gov::verify_incident_audit_trail(records, audit_entries);
}

nlohmann::json incident_verify_json(const std::string& table, const gov::IncidentVerifyResult& result) {
  json j = {{"table", table}, {"records", result.records}, {"ok", result.ok()}};
  j["bad_seq"] = result.bad_seq ? json(*result.bad_seq) : json(nullptr);
  j["incident_id"] = result.ok() ? json(nullptr) : json(result.incident_id);
  j["problem"] = result.ok() ? json(nullptr) : json(result.problem);
  return j;
}

std::string incident_verify_line(const gov::IncidentVerifyResult& result) {
  if (result.ok()) return fmt::format("OK: {} incident records", result.records);
  return fmt::format("FAILED: record seq {} (incident {}): {} ({} records)", *result.bad_seq, result.incident_id,
                     result.problem, result.records);
}

gov::IncidentContext incident_context(const monitor::Config& config, const ActingPrincipal& actor) {
  gov::IncidentContext context;
  context.lakehouse = config.selected_target().lakehouse;
  context.target = config.target;
  context.actor = actor.name;
  context.key = &actor.key;
  return context;
}

std::vector<gov::BreachOutcome> record_monitor_breaches(const monitor::Config& config,
                                                        const monitor::MonitorConfig& monitor,
                                                        const ActingPrincipal& actor,
                                                        const monitor::RefreshSummary& summary) {
  std::map<std::string, std::vector<std::string>> by_model;  // model id ("" for none) -> breach ids in order
  for (const auto& breach : summary.breaches) by_model[breach.model_id.value_or("")].push_back(breach.breach_id);
  std::vector<gov::BreachOutcome> outcomes;
  const auto context = incident_context(config, actor);
  for (auto& [model, ids] : by_model) {
    gov::BreachBatch batch{summary.monitor, model, std::move(ids), summary.refresh_id, monitor::breaches_table(monitor)};
    auto outcome = gov::record_breaches(context, batch);
    if (!outcome.incident_id.empty()) outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

void register_incident(CLI::App& app) {
  auto args = std::make_shared<IncidentArguments>();
  auto* incident = app.add_subcommand("incident", "Incidents opened by monitor breaches (docs/governance.md)");
  incident->require_subcommand(1);
  const auto add_config = [&](CLI::App* sub, const char* role) {
    sub->add_option("--config", args->config, "The configuration file")->capture_default_str();
    sub->add_option("--target", args->target, "Target (dev, staging, prod, ...); default: the default target");
    sub->add_option("--var", args->variables, "Override a variable: NAME=VALUE (repeatable)");
    sub->add_option("--as", args->as, fmt::format("Acting principal (default: DRIFTGOV_PRINCIPAL); needs role {}", role));
    sub->add_flag("--json", args->json_output, "Print JSON");
  };
  auto* list = incident->add_subcommand("list", "The incidents of the target, oldest first");
  list->add_option("--monitor", args->monitor, "Only the incidents of this monitor");
  list->add_option("--state", args->state, "Only the incidents in this state (open, staging, ..., closed)");
  add_config(list, "viewer");
  add_verb(list, [args] { return run_list(*args); });
  auto* show = incident->add_subcommand("show", "An incident and its full history");
  show->add_option("ID", args->id, "The incident (INC-n)")->required();
  add_config(show, "viewer");
  add_verb(show, [args] { return run_show(*args); });
  auto* close = incident->add_subcommand("close", "Close an incident (from any state but promoted and closed)");
  close->add_option("ID", args->id, "The incident (INC-n)")->required();
  close->add_option("--reason", args->reason, "Why it is closed (recorded and signed)")->required();
  add_config(close, "steward");
  add_verb(close, [args] { return run_close(*args); });
  register_incident_stage(*incident);
  auto* verify = incident->add_subcommand("verify", "Check the incident records' chain, signatures and state machine");
  add_config(verify, "viewer");
  add_verb(verify, [args] { return run_verify(*args); });
}

}  // namespace driftgov::cli
