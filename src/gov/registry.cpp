#include "driftgov/gov/registry.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/core/text_distance.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "gov/chained_table.hpp"

namespace driftgov::gov {
namespace {

constexpr const char* kApplicationId = "driftgov.registry";

std::vector<detail::FieldRef> fields_of(RegistryEvent& e) {
  return {{"seq", &e.seq},
          {"time", &e.time_us, true},
          {"actor", &e.actor},
          {"target", &e.target},
          {"event", &e.event},
          {"model", &e.model},
          {"version", &e.version},
          {"alias", &e.alias},
          {"artefact_sha256", &e.artefact_sha256},
          {"artefact", &e.artefact},
          {"training_table", &e.training_table},
          {"training_version", &e.training_version},
          {"evaluation_digest", &e.evaluation_digest},
          {"incident_id", &e.incident_id},
          {"approvals", &e.approvals},
          {"details", &e.details},
          {"prev_hash", &e.prev_hash},
          {"event_hash", &e.event_hash},
          {"signature", &e.signature}};
}

}  // namespace

std::string registry_table(const std::string& lakehouse) { return lakehouse + "/registry/events"; }
std::string registry_artefacts(const std::string& lakehouse) { return lakehouse + "/registry/artefacts"; }

std::string canonical_registry_text(const RegistryEvent& event) {
  auto copy = event;
  return detail::chained_canonical_text("driftgov-registry-v1", fields_of(copy));
}

RegistryRead read_registry(const std::string& table) {
  RegistryRead read;
  read.table_version = detail::read_chained_rows(table, read.events, fields_of);
  return read;
}

std::vector<RegisteredModel> fold_registry(const std::vector<RegistryEvent>& events) {
  std::vector<RegisteredModel> models;
  std::map<std::string, std::size_t> index_of;
  for (const auto& event : events) {
    auto found = index_of.find(event.model);
    if (found == index_of.end()) {
      found = index_of.emplace(event.model, models.size()).first;
      models.push_back(RegisteredModel{event.model, {}, {}, {}});
    }
    auto& model = models[found->second];
    if (event.event == "version_registered") {
      model.versions.push_back(ModelVersion{event.version, &event});
    } else if (event.event == "alias_set" || event.event == "rollback") {
      model.aliases[event.alias] = event.version;
      model.alias_history.push_back(&event);
    } else if (event.event == "alias_removed") {
      model.aliases.erase(event.alias);
      model.alias_history.push_back(&event);
    }
  }
  return models;
}

const RegisteredModel& find_registered_model(const std::vector<RegisteredModel>& models, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& model : models) {
    if (model.name == name) return model;
    names.push_back(model.name);
  }
  if (names.empty()) throw IncidentError(fmt::format("no registered model '{}': the registry is empty", name));
  const auto closest = core::closest_name(name, names);
  throw IncidentError(fmt::format("no registered model '{}'{}; models: {}", name,
                                  closest.empty() ? "" : fmt::format(" (did you mean '{}'?)", closest),
                                  fmt::join(names, ", ")));
}

bool commit_registry_events(const IncidentContext& context, const RegistryRead& read,
                            std::vector<RegistryEvent>& events) {
  if (context.key == nullptr || context.actor.empty() || events.empty()) {
    throw core::InternalError("registry commit without events or an acting principal and its key");
  }
  const auto table = registry_table(context.lakehouse);
  const auto now = context.now_us.value_or(detail::now_us());
  auto seq = read.events.empty() ? std::int64_t{0} : read.events.back().seq;
  auto previous = read.events.empty() ? genesis_hash() : read.events.back().event_hash;
  std::vector<std::vector<detail::FieldRef>> rows;
  for (auto& event : events) {
    event.seq = ++seq;
    event.time_us = now;
    event.actor = context.actor;
    event.target = context.target;
    event.prev_hash = previous;
    event.event_hash = sha256_hex(canonical_registry_text(event));
    const auto signature = context.key->sign(event.event_hash);
    event.signature = to_hex(signature.data(), signature.size());
    previous = event.event_hash;
    rows.push_back(fields_of(event));
  }
  const auto batch = detail::chained_batch(rows);
  delta::TableWriteOptions write;
  write.mode = delta::WriteMode::kAppend;
  write.storage = &io::local_storage();
  write.idempotent = delta::TransactionId{kApplicationId, seq, now / 1000};
  write.read_version = read.table_version;
  bool given = false;
  try {
    const auto result = delta::write_table(table, batch.schema,
                                           [&batch, &given]() -> std::optional<core::RecordBatch> {
                                             if (given) return std::nullopt;
                                             given = true;
                                             return batch;
                                           },
                                           write);
    return !result.skipped;
  } catch (const delta::ConcurrentModificationError&) {
    return false;
  }
}

IncidentVerifyResult verify_registry_events(const std::vector<RegistryEvent>& events, const Principals& principals) {
  IncidentVerifyResult result;
  result.records = static_cast<std::int64_t>(events.size());
  static const detail::ChainWords words{"event", "an event", "event_hash"};
  std::map<std::string, std::set<std::int64_t>> versions;
  std::string previous = genesis_hash();
  for (std::size_t index = 0; index < events.size(); ++index) {
    const auto& event = events[index];
    const auto fail = [&](std::int64_t seq, std::string problem) {
      result.bad_seq = seq;
      result.incident_id = event.model;
      result.problem = std::move(problem);
      return result;
    };
    const detail::ChainedRow row{event.seq, event.actor, event.event_hash, event.prev_hash, event.signature};
    if (const auto problem = detail::check_chained_row(row, index, sha256_hex(canonical_registry_text(event)),
                                                       previous, principals, words)) {
      return fail(problem->first, problem->second);
    }
    previous = event.event_hash;
    auto& known = versions[event.model];
    if (event.event == "version_registered") {
      if (event.version != static_cast<std::int64_t>(known.size()) + 1) {
        return fail(event.seq, fmt::format("model '{}' registers version {}; the next version is {}", event.model,
                                           event.version, known.size() + 1));
      }
      known.insert(event.version);
    } else if (event.event == "alias_set" || event.event == "rollback" || event.event == "alias_removed") {
      if (!known.contains(event.version)) {
        return fail(event.seq, fmt::format("alias '{}' names version {} of model '{}', which is not registered",
                                           event.alias, event.version, event.model));
      }
    } else {
      return fail(event.seq, fmt::format("event '{}' is not version_registered, alias_set, alias_removed or rollback",
                                         event.event));
    }
  }
  return result;
}

}  // namespace driftgov::gov
