#pragma once
// The governed view (docs/governance.md, "The governed view"): one row per model version and event, joining what the
// governance chain recorded across its tables, so that audit evidence is one query:
//   the drift event (the incident's breaches, the refresh and its monitor configuration hash: the feature-pipeline
//   version, with the git commit it was deployed from), the staged retraining set (table, version, validation), the
//   training (table and version, artefact digest, trainer, model code), the evaluation (record digest, gate verdict,
//   metrics with their intervals), the approvals (request, approvers) and the registry (model, version, alias,
//   promotion and rollback times).
// Each row is one event (an incident transition, an approval decision, a registry event) carrying everything known
// about its incident up to and including that event.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/core/column.hpp"

namespace driftgov::gov {

struct GovernedViewRow {
  std::int64_t event_time_us = 0;
  std::string event;  // incident.open, incident.attach, incident.<state>, approval.<request|approve|reject>,
                      // registry.<version_registered|alias_set|alias_removed|rollback>
  std::string actor;
  std::string incident_id, monitor, model_id, state;
  // The drift event.
  std::string breach_ids = "[]";  // JSON array text
  std::optional<std::int64_t> drift_detected_us;
  std::string refresh_id;
  std::string feature_pipeline_version;  // the monitor's configuration hash at the refresh that breached
  std::string git_commit;                // of the deploy that recorded that configuration hash
  // The staged retraining set.
  std::string staged_table;
  std::optional<std::int64_t> staged_version, staged_rows;
  std::optional<bool> validation_passed;
  std::string validation_failed = "[]";  // JSON array text of the failed checks
  // The training.
  std::string training_table;
  std::optional<std::int64_t> training_version;
  std::string artefact_sha256, trained_by, trainer;
  std::string model_code_version;  // the trainer and the scoring code the evaluation pinned
  // The evaluation.
  std::string evaluation_record, evaluation_digest;
  std::optional<bool> evaluation_passed;
  std::string metrics = "{}";  // JSON object text: metric -> {champion, challenger, difference, ci_low, ci_high}
  // The approvals.
  std::string approval_request_id;
  std::string approvers = "[]";  // JSON array text
  // The registry.
  std::string registered_model;
  std::optional<std::int64_t> model_version;
  std::string alias;
  std::optional<std::int64_t> promoted_us, rolled_back_us;
};

struct GovernedViewSources {
  std::string lakehouse;  // the target's lakehouse: incidents, approvals, registry, deploys
  // The monitor configuration hash of a refresh (from the monitor's refreshes table), if known.
  std::function<std::optional<std::string>(const std::string& monitor, const std::string& refresh_id)>
      refresh_config_hash;
};

// The rows, ordered by event time. `model` (when not empty) keeps the rows of that registered model or model id and
// every row of the incidents that led to it.
std::vector<GovernedViewRow> build_governed_view(const GovernedViewSources& sources, const std::string& model = "");

core::Schema governed_view_schema();
core::RecordBatch governed_view_batch(const std::vector<GovernedViewRow>& rows);
nlohmann::json governed_view_json(const std::vector<GovernedViewRow>& rows);

// <lakehouse>/governance/governed_view: the view as a Delta table (overwritten by `governance view --format delta`).
std::string governed_view_table(const std::string& lakehouse);

}  // namespace driftgov::gov
