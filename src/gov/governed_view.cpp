#include "driftgov/gov/governed_view.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "driftgov/gov/approvals.hpp"
#include "driftgov/gov/deployment.hpp"
#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/lineage.hpp"
#include "driftgov/gov/registry.hpp"
#include "driftgov/io/storage.hpp"
#include "gov/chained_table.hpp"

namespace driftgov::gov {
namespace {

using nlohmann::json;

json parse_object(const std::string& text) {
  auto parsed = json::parse(text, nullptr, false);
  return parsed.is_object() ? parsed : json::object();
}

std::string text_of(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::optional<std::int64_t> int_of(const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<std::int64_t>();
}

// A JSON file the chain points at (an evaluation record, a training manifest); empty when it cannot be read: the
// view shows what the tables hold, and a record moved away leaves its digest there.
json read_json_file(const std::string& path) {
  if (path.empty()) return json::object();
  try {
    auto& storage = io::local_storage();
    if (!storage.stat(path)) return json::object();
    auto parsed = json::parse(io::read_file(storage, path), nullptr, false);
    return parsed.is_object() ? parsed : json::object();
  } catch (const std::exception&) {
    return json::object();
  }
}

// The metrics of an evaluation record with their intervals.
std::string metrics_of(const json& record) {
  json out = json::object();
  const auto overall = record.find("overall");
  if (overall == record.end() || !overall->is_object()) return "{}";
  for (const auto& [metric, values] : overall->items()) {
    json m = json::object();
    for (const char* key : {"champion", "challenger", "difference", "ci_low", "ci_high"}) {
      if (values.contains(key)) m[key] = values.at(key);
    }
    out[metric] = std::move(m);
  }
  return out.dump();
}

// git commit of the newest deploy that recorded (monitor, config hash).
std::map<std::pair<std::string, std::string>, std::string> deployed_commits(const std::string& lakehouse) {
  std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::string>> newest;
  detail::scan_chained_rows(monitors_registry_table(lakehouse), {"deployed_at", "monitor", "config_hash", "git_commit"},
                            [&](std::vector<detail::ChainedValue>& values) {
                              const auto time = std::get<std::int64_t>(values[0]);
                              auto key = std::make_pair(std::get<std::string>(values[1]),
                                                        std::get<std::string>(values[2]));
                              auto& slot = newest[key];
                              if (slot.second.empty() || time >= slot.first) {
                                slot = {time, std::get<std::string>(values[3])};
                              }
                            });
  std::map<std::pair<std::string, std::string>, std::string> commits;
  for (auto& [key, value] : newest) commits[key] = value.second;
  return commits;
}

struct Event {
  std::int64_t time_us;
  int source;  // 0 incident, 1 approval, 2 registry: the order of events at one instant
  std::int64_t seq;
  const IncidentRecord* incident = nullptr;
  const ApprovalRecord* approval = nullptr;
  const RegistryEvent* registry = nullptr;
};

}  // namespace

std::string governed_view_table(const std::string& lakehouse) {
  return io::join_path(io::join_path(lakehouse, "governance"), "governed_view");
}

std::vector<GovernedViewRow> build_governed_view(const GovernedViewSources& sources, const std::string& model) {
  const auto incident_records = read_incident_records(incidents_table(sources.lakehouse));
  const auto incidents = fold_incidents(incident_records);
  const auto approval_records = read_approval_records(approvals_table(sources.lakehouse));
  const auto registry = read_registry(registry_table(sources.lakehouse));
  const auto commits = deployed_commits(sources.lakehouse);

  std::vector<GovernedViewRow> rows;
  const auto add_row = [&](const GovernedViewRow& context, const Event& event) {
    GovernedViewRow row = context;
    row.event_time_us = event.time_us;
    rows.push_back(std::move(row));
  };

  for (const auto& incident : incidents) {
    std::vector<Event> events;
    for (const auto& record : incident.history) {
      events.push_back({record.time_us, 0, record.seq, &record, nullptr, nullptr});
    }
    for (const auto& record : approval_records) {
      if (record.incident_id == incident.id) events.push_back({record.time_us, 1, record.seq, nullptr, &record, nullptr});
    }
    for (const auto& record : registry.events) {
      if (record.incident_id == incident.id) events.push_back({record.time_us, 2, record.seq, nullptr, nullptr, &record});
    }
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return std::tie(a.time_us, a.source, a.seq) < std::tie(b.time_us, b.source, b.seq);
    });
    GovernedViewRow context;
    context.incident_id = incident.id;
    context.monitor = incident.monitor;
    context.model_id = incident.model;
    json approvers = json::array();
    json breach_ids = json::array();
    std::string trainer_kind;
    for (const auto& event : events) {
      if (const auto* record = event.incident) {
        const auto details = parse_object(record->details);
        context.event = record->event == "transition" ? "incident." + record->state : "incident." + record->event;
        context.actor = record->actor;
        context.state = record->state;
        if (record->event == "open" || record->event == "attach") {
          for (auto& id : detail::json_strings(record->breach_ids)) breach_ids.push_back(std::move(id));
          context.breach_ids = breach_ids.dump();
        }
        if (record->event == "open") {
          context.drift_detected_us = record->time_us;
          context.refresh_id = text_of(details, "refresh_id");
          if (sources.refresh_config_hash && !context.refresh_id.empty()) {
            if (auto hash = sources.refresh_config_hash(incident.monitor, context.refresh_id)) {
              context.feature_pipeline_version = *hash;
              const auto commit = commits.find({incident.monitor, *hash});
              if (commit != commits.end()) context.git_commit = commit->second;
            }
          }
        } else if ((record->state == "staged" || record->state == "staging") && details.contains("table")) {
          context.staged_table = text_of(details, "table");
          context.staged_version = int_of(details, "version");
          context.staged_rows = int_of(details, "rows");
          if (details.contains("passed") && details.at("passed").is_boolean()) {
            context.validation_passed = details.at("passed").get<bool>();
          }
          if (details.contains("failed")) context.validation_failed = details.at("failed").dump();
        } else if (record->state == "training") {
          context.artefact_sha256 = text_of(details, "artefact_sha256");
          context.training_table = text_of(details, "table");
          context.training_version = int_of(details, "table_version");
          context.trained_by = text_of(details, "trainer");
          const auto manifest = read_json_file(io::join_path(io::parent_folder(text_of(details, "artefact")),
                                                             context.artefact_sha256 + ".training.json"));
          trainer_kind = text_of(manifest, "trainer");
          context.trainer = trainer_kind;
          context.model_code_version = trainer_kind;
        } else if (record->state == "evaluated") {
          context.evaluation_record = text_of(details, "record");
          context.evaluation_digest = text_of(details, "digest");
          if (details.contains("passed") && details.at("passed").is_boolean()) {
            context.evaluation_passed = details.at("passed").get<bool>();
          }
          const auto evaluation = read_json_file(context.evaluation_record);
          context.metrics = metrics_of(evaluation);
          const auto harness = evaluation.find("harness");
          if (harness != evaluation.end() && harness->is_object()) {
            const auto scoring = text_of(*harness, "scoring_code");
            context.model_code_version = trainer_kind.empty() ? scoring : trainer_kind + "; " + scoring;
          }
        } else if (record->state == "promoted") {
          context.registered_model = text_of(details, "model");
          context.model_version = int_of(details, "version");
          context.alias = text_of(details, "alias");
        }
      } else if (const auto* record = event.approval) {
        context.event = "approval." + record->event;
        context.actor = record->actor;
        context.approval_request_id = record->request_id;
        if (record->event == "request") approvers = json::array();
        if (record->event == "approve") approvers.push_back(record->actor);
        context.approvers = approvers.dump();
      } else if (const auto* record = event.registry) {
        context.event = "registry." + record->event;
        context.actor = record->actor;
        context.registered_model = record->model;
        context.model_version = record->version;
        if (!record->alias.empty()) context.alias = record->alias;
        if (record->event == "alias_set") context.promoted_us = record->time_us;
      }
      add_row(context, event);
    }
  }
  // Registrations of the model in service, rollbacks and alias removals belong to a model, not an incident: a row
  // each, with the approvals a rollback used.
  for (const auto& record : registry.events) {
    if (!record.incident_id.empty()) continue;
    GovernedViewRow row;
    row.event_time_us = record.time_us;
    row.event = "registry." + record.event;
    row.actor = record.actor;
    row.registered_model = record.model;
    row.model_version = record.version;
    row.alias = record.alias;
    row.artefact_sha256 = record.artefact_sha256;
    row.evaluation_digest = record.evaluation_digest;
    const auto approvals = parse_object(record.approvals);
    row.approval_request_id = text_of(approvals, "request_id");
    if (approvals.contains("approvers")) row.approvers = approvals.at("approvers").dump();
    if (record.event == "rollback") row.rolled_back_us = record.time_us;
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const GovernedViewRow& a, const GovernedViewRow& b) { return a.event_time_us < b.event_time_us; });
  if (!model.empty()) {  // the model's rows, and every row of the incidents that led to it
    std::set<std::string> incidents_of_model;
    for (const auto& row : rows) {
      if (!row.incident_id.empty() && (row.registered_model == model || row.model_id == model)) {
        incidents_of_model.insert(row.incident_id);
      }
    }
    std::erase_if(rows, [&](const GovernedViewRow& row) {
      return row.registered_model != model && row.model_id != model && !incidents_of_model.contains(row.incident_id);
    });
  }
  return rows;
}

core::Schema governed_view_schema() {
  using core::DataType;
  const auto text = [](const char* name) { return core::Field{name, DataType::string(), true, std::nullopt}; };
  const auto number = [](const char* name) { return core::Field{name, DataType::int64(), true, std::nullopt}; };
  const auto time = [](const char* name) { return core::Field{name, DataType::timestamp(), true, std::nullopt}; };
  const auto flag = [](const char* name) { return core::Field{name, DataType::boolean(), true, std::nullopt}; };
  return core::Schema{{time("event_time"), text("event"), text("actor"), text("incident_id"), text("monitor"),
                       text("model_id"), text("state"), text("breach_ids"), time("drift_detected_at"),
                       text("refresh_id"), text("feature_pipeline_version"), text("git_commit"),
                       text("staged_table"), number("staged_version"), number("staged_rows"),
                       flag("validation_passed"), text("validation_failed"), text("training_table"),
                       number("training_version"), text("artefact_sha256"), text("trained_by"), text("trainer"),
                       text("model_code_version"), text("evaluation_record"), text("evaluation_digest"),
                       flag("evaluation_passed"), text("metrics"), text("approval_request_id"), text("approvers"),
                       text("registered_model"), number("model_version"), text("alias"), time("promoted_at"),
                       time("rolled_back_at")}};
}

core::RecordBatch governed_view_batch(const std::vector<GovernedViewRow>& rows) {
  core::RecordBatch batch;
  batch.schema = governed_view_schema();
  for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
  batch.num_rows = static_cast<std::int64_t>(rows.size());
  for (const auto& row : rows) {
    std::size_t c = 0;
    const auto text = [&](const std::string& value) {
      if (value.empty()) {
        batch.columns[c++].append_null();
      } else {
        batch.columns[c++].append_string(value);
      }
    };
    const auto number = [&](const std::optional<std::int64_t>& value) {
      if (value) {
        batch.columns[c++].append_int(*value);
      } else {
        batch.columns[c++].append_null();
      }
    };
    const auto flag = [&](const std::optional<bool>& value) {
      number(value ? std::optional<std::int64_t>(*value ? 1 : 0) : std::nullopt);
    };
    number(row.event_time_us);
    text(row.event);
    text(row.actor);
    text(row.incident_id);
    text(row.monitor);
    text(row.model_id);
    text(row.state);
    text(row.breach_ids);
    number(row.drift_detected_us);
    text(row.refresh_id);
    text(row.feature_pipeline_version);
    text(row.git_commit);
    text(row.staged_table);
    number(row.staged_version);
    number(row.staged_rows);
    flag(row.validation_passed);
    text(row.validation_failed);
    text(row.training_table);
    number(row.training_version);
    text(row.artefact_sha256);
    text(row.trained_by);
    text(row.trainer);
    text(row.model_code_version);
    text(row.evaluation_record);
    text(row.evaluation_digest);
    flag(row.evaluation_passed);
    text(row.metrics);
    text(row.approval_request_id);
    text(row.approvers);
    text(row.registered_model);
    number(row.model_version);
    text(row.alias);
    number(row.promoted_us);
    number(row.rolled_back_us);
  }
  return batch;
}

json governed_view_json(const std::vector<GovernedViewRow>& rows) {
  json out = json::array();
  const auto batch = governed_view_batch(rows);
  for (std::int64_t r = 0; r < batch.num_rows; ++r) {
    json row = json::object();
    for (std::size_t c = 0; c < batch.columns.size(); ++c) {
      const auto& column = batch.columns[c];
      const auto& field = batch.schema.fields[c];
      if (!column.is_valid(r)) {
        row[field.name] = nullptr;
      } else if (field.type.id == core::TypeId::kString) {
        const std::string value(column.string_at(r));
        // JSON columns are given as JSON, not as text holding JSON.
        if (field.name == "breach_ids" || field.name == "validation_failed" || field.name == "metrics" ||
            field.name == "approvers") {
          row[field.name] = json::parse(value, nullptr, false);
        } else {
          row[field.name] = value;
        }
      } else if (field.type.id == core::TypeId::kTimestamp) {
        row[field.name] = utc_time_text(column.ints[static_cast<std::size_t>(r)]);
      } else if (field.type.id == core::TypeId::kBoolean) {
        row[field.name] = column.ints[static_cast<std::size_t>(r)] != 0;
      } else {
        row[field.name] = column.ints[static_cast<std::size_t>(r)];
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace driftgov::gov
