// driftgov incident stage, and the automatic staging after a breach (remediation.auto_stage): the staged retraining
// set of docs/governance.md, "Remediation: the staged retraining set".
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/lineage_job.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/incidents.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/remediation.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

std::int64_t clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// "not_null(price): 2 violations; no_leakage: 3 leaked keys"
std::string failure_text(const monitor::StagedSet& staged) {
  std::vector<std::string> parts;
  for (const auto& check : staged.checks) {
    if (check.passed) continue;
    const auto& d = check.detail;
    std::string what;
    if (d.contains("violations")) {
      what = fmt::format("{} violations", d.at("violations").get<std::int64_t>());
    } else if (d.contains("leaked_keys")) {
      what = fmt::format("{} holdout keys in the set", d.at("leaked_keys").get<std::int64_t>());
    } else if (d.contains("failing")) {
      what = fmt::format("slices below {} rows: {}", d.at("min_rows_per_slice").get<std::int64_t>(), dump(d.at("failing")));
    } else if (d.contains("largest")) {
      what = d.contains("problem") ? d.at("problem").get<std::string>()
                                   : fmt::format("{} {:.4g} > {}", d.at("metric").get<std::string>(),
                                                 d.at("largest").get<double>(), d.at("threshold").get<double>());
    } else if (d.contains("missing")) {
      what = fmt::format("missing {}, mismatched {}", dump(d.at("missing")), dump(d.at("mismatched")));
    }
    parts.push_back(fmt::format("{}: {}", check.check, what));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

struct StageArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string as;
  std::string id;
  bool json_output = false;
};

int run_stage(const StageArguments& args) {
  const auto config = monitor::load_config(args.config, config_load_options(args.target, args.variables));
  const auto actor = acting_principal(config, args.as, gov::Role::kSteward);
  if (!actor) {
    throw core::InputError(fmt::format("incident stage: name the acting principal (role steward on target '{}') "
                                       "with --as NAME or DRIFTGOV_PRINCIPAL",
                                       config.target));
  }
  const auto outcome = stage_incident(config, *actor, args.id);
  if (args.json_output) {
    fmt::print("{}\n", outcome.dump(2, ' ', false, json::error_handler_t::replace));
  } else {
    fmt::print("{}\n", outcome.at("message").get<std::string>());
  }
  return outcome.at("state") == "staged" ? kExitOk : kExitGateFailed;
}

}  // namespace

nlohmann::json stage_incident(const monitor::Config& config, const ActingPrincipal& actor,
                              const std::string& incident_id) {
  const auto incidents =
      gov::fold_incidents(gov::read_incident_records(gov::incidents_table(config.selected_target().lakehouse)));
  const auto& incident = gov::find_incident(incidents, incident_id);
  if (incident.state != gov::IncidentState::kOpen && incident.state != gov::IncidentState::kStaging) {
    throw gov::IncidentError(fmt::format("incident {} is '{}'; a retraining set is staged from 'open' (or again from "
                                         "'staging' after a failed validation)",
                                         incident.id, gov::to_string(incident.state)));
  }
  const auto& monitor = config.monitor(incident.monitor);
  DRIFTGOV_USER_CHECK(monitor.remediation.has_value(),
                      "{}: monitor '{}' of incident {} has no remediation block to stage a retraining set with "
                      "(docs/monitoring-config.md, remediation)",
                      config.file, monitor.name, incident.id);
  LineageJob lineage(config, monitor.name + ".stage", "STAGE");
  if (lineage.enabled()) {
    const auto& remediation = *monitor.remediation;
    for (const auto& source : remediation.features) lineage.run().inputs.push_back(gov::delta_lineage_dataset(source.table));
    lineage.run().inputs.push_back(gov::delta_lineage_dataset(remediation.labels.table));
  }
  const auto staged = lineage.around(
      [&] { return monitor::stage_retraining_set(config, monitor, incident.id, clock_us()); },
      [](const monitor::StagedSet& set, gov::LineageRun& run) {
        run.outputs = {gov::delta_lineage_dataset(set.table, set.version),
                       gov::delta_lineage_dataset(set.validations_table)};
      });
  const auto summary = staged.summary();
  const auto context = incident_context(config, actor);
  std::vector<gov::IncidentRecord> written;
  const auto where = fmt::format("version {} of {} ({} rows)", staged.version, staged.table, staged.rows);
  if (incident.state == gov::IncidentState::kOpen) {
    const auto reason = staged.passed()
                            ? fmt::format("retraining set staged as {}", where)
                            : fmt::format("retraining set staged as {}; validation failed: {}", where, failure_text(staged));
    written.push_back(gov::transition_incident(context, incident.id, gov::IncidentState::kStaging, reason, dump(summary)));
  }
  // Every staging is in the audit log, a failed one in staging included (no transition records it then).
  gov::AppendRequest request;
  request.action = "remediation.stage";
  request.target = config.target;
  request.subject = incident.id;
  request.details = dump(summary);
  gov::append_audit_entry(gov::audit_log_table(config.selected_target().lakehouse), actor.name, actor.key, request);
  if (staged.passed()) {
    written.push_back(gov::transition_incident(
        context, incident.id, gov::IncidentState::kStaged,
        fmt::format("validation passed: {} checks on {}", staged.checks.size(), where), dump(summary)));
  }
  json checks = json::array();
  for (const auto& check : staged.checks) {
    checks.push_back({{"check", check.check}, {"passed", check.passed}, {"detail", check.detail}});
  }
  const std::string state = staged.passed() ? "staged" : "staging";
  return {{"incident_id", incident.id},
          {"state", state},
          {"staged", summary},
          {"checks", checks},
          {"records", static_cast<std::int64_t>(written.size())},
          {"message", staged.passed() ? fmt::format("{}: staged {}; {} checks passed", incident.id, where,
                                                    staged.checks.size())
                                      : fmt::format("{}: staging: {} failed validation: {}", incident.id, where,
                                                    failure_text(staged))}};
}

nlohmann::json auto_stage_incidents(const monitor::Config& config, const monitor::MonitorConfig& monitor,
                                    const ActingPrincipal& actor, const std::vector<gov::BreachOutcome>& outcomes) {
  json results = json::array();
  if (!monitor.remediation || !monitor.remediation->auto_stage) return results;
  for (const auto& outcome : outcomes) {
    if (!outcome.opened) continue;
    try {
      results.push_back(stage_incident(config, actor, outcome.incident_id));
    } catch (const std::exception& error) {
      // The refresh and the incident are committed; a staging that cannot run is reported, not fatal.
      fmt::print(stderr, "driftgov: warning: automatic staging of {} failed: {}\n", outcome.incident_id, error.what());
      results.push_back({{"incident_id", outcome.incident_id}, {"state", "open"}, {"error", error.what()}});
    }
  }
  return results;
}

void register_incident_stage(CLI::App& incident) {
  auto args = std::make_shared<StageArguments>();
  auto* stage = incident.add_subcommand("stage", "Build and validate the incident's retraining set in the "
                                                 "remediation target (open -> staging -> staged)");
  stage->add_option("ID", args->id, "The incident (INC-n)")->required();
  stage->add_option("--config", args->config, "The configuration file")->capture_default_str();
  stage->add_option("--target", args->target, "The incident's target (the production target whose tables are read)");
  stage->add_option("--var", args->variables, "Override a variable: NAME=VALUE (repeatable)");
  stage->add_option("--as", args->as, "Acting principal (default: DRIFTGOV_PRINCIPAL); needs role steward");
  stage->add_flag("--json", args->json_output, "Print the outcome and every check as JSON");
  add_verb(stage, [args] { return run_stage(*args); });
}

}  // namespace driftgov::cli
