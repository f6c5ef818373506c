#include "driftgov/gov/incidents.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "driftgov/core/column.hpp"
#include "driftgov/core/text_distance.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "gov/chained_table.hpp"

namespace driftgov::gov {
namespace {

using nlohmann::json;

constexpr const char* kApplicationId = "driftgov.incidents";
constexpr int kCommitAttempts = 5;

// The columns in table order: seq, incident_id, time, then the texts.
const std::vector<std::string>& column_names() {
  static const std::vector<std::string> names = {
      "seq",   "incident_id",    "time",   "actor",   "target",     "event",     "monitor",     "model",
      "state", "previous_state", "reason", "details", "breach_ids", "prev_hash", "record_hash", "signature"};
  return names;
}

core::Schema incident_schema() {
  using core::DataType;
  std::vector<core::Field> fields;
  for (const auto& name : column_names()) {
    const auto type = name == "seq" ? DataType::int64() : name == "time" ? DataType::timestamp() : DataType::string();
    fields.push_back(core::Field{name, type, false, std::nullopt});
  }
  return core::Schema{std::move(fields)};
}

// The text fields of a record in column order (from "actor" on).
std::vector<std::string*> text_fields(IncidentRecord& r) {
  return {&r.actor,  &r.target, &r.event,      &r.monitor,   &r.model,       &r.state,    &r.previous_state,
          &r.reason, &r.details, &r.breach_ids, &r.prev_hash, &r.record_hash, &r.signature};
}

core::RecordBatch record_batch(IncidentRecord record) {
  core::RecordBatch batch;
  batch.schema = incident_schema();
  for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
  batch.columns[0].append_int(record.seq);
  batch.columns[1].append_string(record.incident_id);
  batch.columns[2].append_int(record.time_us);
  const auto texts = text_fields(record);
  for (std::size_t index = 0; index < texts.size(); ++index) batch.columns[index + 3].append_string(*texts[index]);
  batch.num_rows = 1;
  return batch;
}

const std::vector<std::vector<IncidentState>>& transitions() {
  using S = IncidentState;
  // Indexed by the enum: the states each one may move to.
  static const std::vector<std::vector<S>> next = {
      {S::kStaging, S::kClosed},           // open
      {S::kStaged, S::kClosed},            // staging
      {S::kTraining, S::kClosed},          // staged
      {S::kEvaluated, S::kClosed},         // training
      {S::kAwaitingApproval, S::kClosed},  // evaluated
      {S::kApproved, S::kRejected, S::kClosed},  // awaiting_approval
      {S::kPromoted, S::kClosed},          // approved
      {S::kClosed},                        // rejected
      {},                                  // promoted
      {},                                  // closed
  };
  return next;
}

std::string allowed_after(IncidentState from) {
  std::vector<std::string> names;
  for (const auto to : transitions()[static_cast<std::size_t>(from)]) names.emplace_back(to_string(to));
  return names.empty() ? std::string("none: it is final") : fmt::format("{}", fmt::join(names, ", "));
}

// Signs `record` (its seq, prev_hash and everything else set) and commits it; false when its seq was taken.
bool sign_and_commit(const std::string& table, const IncidentContext& context, IncidentRecord& record) {
  record.record_hash = sha256_hex(canonical_incident_text(record));
  const auto signature = context.key->sign(record.record_hash);
  record.signature = to_hex(signature.data(), signature.size());
  return detail::append_row_once(table, record_batch(record), kApplicationId, record.seq, record.time_us);
}

void append_audit(const IncidentContext& context, const IncidentRecord& record) {
  json details = {{"incident_id", record.incident_id},       {"seq", record.seq},
                  {"record_hash", record.record_hash},       {"monitor", record.monitor},
                  {"model", record.model},                   {"state", record.state},
                  {"previous_state", record.previous_state}, {"reason", record.reason},
                  {"breach_ids", json::parse(record.breach_ids, nullptr, false)}};
  AppendRequest request;
  request.action = "incident." + (record.event == "attach" ? std::string("attach") : record.state);
  request.target = context.target;
  request.subject = record.incident_id;
  request.details = details.dump(-1, ' ', false, json::error_handler_t::replace);
  request.time_us = record.time_us;
  AppendOptions options;
  options.wait_seconds = context.wait_seconds;
  append_audit_entry(audit_log_table(context.lakehouse), context.actor, *context.key, request, options);
}

void check_context(const IncidentContext& context) {
  if (context.key == nullptr || context.actor.empty()) {
    throw core::InternalError("incident event without an acting principal and its key");
  }
}

// Runs `make` (which builds the next record from the table's rows, or returns nullopt for nothing to write) under
// the table's lock until its record is committed, then appends the audit entry. Returns the record written.
template <typename Make>
std::optional<IncidentRecord> append_event(const IncidentContext& context, Make make) {
  check_context(context);
  const auto table = incidents_table(context.lakehouse);
  const auto lock = detail::lock_for_append(table, context.wait_seconds);
  for (int attempt = 1;; ++attempt) {
    const auto records = read_incident_records(table);
    std::optional<IncidentRecord> record = make(records);
    if (!record) return std::nullopt;
    record->seq = records.empty() ? 1 : records.back().seq + 1;
    record->prev_hash = records.empty() ? genesis_hash() : records.back().record_hash;
    record->time_us = context.now_us.value_or(detail::now_us());
    record->actor = context.actor;
    record->target = context.target;
    if (sign_and_commit(table, context, *record)) {
      // Still under the incidents lock, so the audit entries come in the records' order. Lock order: incidents,
      // then the audit log; an audit append alone never takes the incidents lock, so the two cannot deadlock.
      append_audit(context, *record);
      return record;
    }
    if (attempt >= kCommitAttempts) {
      throw AuditLogBusyError(fmt::format("{}: seq {} was taken by another writer {} times in a row; nothing was "
                                          "written",
                                          table, record->seq, attempt));
    }
  }
}

}  // namespace

const char* to_string(IncidentState state) {
  return incident_state_names()[static_cast<std::size_t>(state)].c_str();
}

const std::vector<std::string>& incident_state_names() {
  static const std::vector<std::string> names = {"open",      "staging",           "staged",   "training",
                                                 "evaluated", "awaiting_approval", "approved", "rejected",
                                                 "promoted",  "closed"};
  return names;
}

std::optional<IncidentState> parse_incident_state(const std::string& name) {
  const auto& names = incident_state_names();
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) return std::nullopt;
  return static_cast<IncidentState>(found - names.begin());
}

bool is_legal_transition(IncidentState from, IncidentState to) {
  const auto& next = transitions()[static_cast<std::size_t>(from)];
  return std::find(next.begin(), next.end(), to) != next.end();
}

bool is_active(IncidentState state) {
  return state != IncidentState::kClosed && state != IncidentState::kPromoted && state != IncidentState::kRejected;
}

std::string incidents_table(const std::string& lakehouse) { return lakehouse + "/governance/incidents"; }

std::string canonical_incident_text(const IncidentRecord& record) {
  std::string text = "driftgov-incident-v1\n";
  detail::append_canonical_field(text, "seq", std::to_string(record.seq));
  detail::append_canonical_field(text, "incident_id", record.incident_id);
  detail::append_canonical_field(text, "time", std::to_string(record.time_us));
  auto copy = record;
  const auto texts = text_fields(copy);
  const auto& names = column_names();
  // Every text field but record_hash and signature (the last two), in column order.
  for (std::size_t index = 0; index + 2 < texts.size(); ++index) {
    detail::append_canonical_field(text, names[index + 3], *texts[index]);
  }
  return text;
}

std::vector<IncidentRecord> read_incident_records(const std::string& table) {
  if (!detail::table_exists(table)) return {};
  const auto snapshot = delta::Snapshot::load(table);
  delta::ScanOptions options;
  options.columns = column_names();
  delta::Scan scan(snapshot, std::move(options));
  std::vector<IncidentRecord> records;
  while (auto batch = scan.next()) {
    const auto& columns = batch->columns;
    const auto text = [&columns](std::size_t index, std::int64_t row) {
      return columns[index].is_valid(row) ? std::string(columns[index].string_at(row)) : std::string();
    };
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      IncidentRecord record;
      const auto r = static_cast<std::size_t>(row);
      record.seq = columns[0].is_valid(row) ? columns[0].ints[r] : 0;
      record.incident_id = text(1, row);
      record.time_us = columns[2].is_valid(row) ? columns[2].ints[r] : 0;
      const auto texts = text_fields(record);
      for (std::size_t index = 0; index < texts.size(); ++index) *texts[index] = text(index + 3, row);
      records.push_back(std::move(record));
    }
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const IncidentRecord& a, const IncidentRecord& b) { return a.seq < b.seq; });
  return records;
}

std::vector<Incident> fold_incidents(const std::vector<IncidentRecord>& records) {
  std::vector<Incident> incidents;
  std::map<std::string, std::size_t> index_of;
  for (const auto& record : records) {
    auto found = index_of.find(record.incident_id);
    if (found == index_of.end()) {
      found = index_of.emplace(record.incident_id, incidents.size()).first;
      Incident incident;
      incident.id = record.incident_id;
      incident.monitor = record.monitor;
      incident.model = record.model;
      incident.opened_us = record.time_us;
      incident.opened_by = record.actor;
      incidents.push_back(std::move(incident));
    }
    auto& incident = incidents[found->second];
    incident.state = parse_incident_state(record.state).value_or(incident.state);
    incident.updated_us = record.time_us;
    for (auto& id : detail::json_strings(record.breach_ids)) incident.breach_ids.push_back(std::move(id));
    incident.history.push_back(record);
  }
  return incidents;
}

const Incident& find_incident(const std::vector<Incident>& incidents, const std::string& id) {
  for (const auto& incident : incidents) {
    if (incident.id == id) return incident;
  }
  if (incidents.empty()) throw IncidentError(fmt::format("no incident '{}': the target has no incidents", id));
  std::vector<std::string> ids;
  for (const auto& incident : incidents) ids.push_back(incident.id);
  const auto closest = core::closest_name(id, ids);
  throw IncidentError(fmt::format("no incident '{}'{}; incidents: {}", id,
                                  closest.empty() ? "" : fmt::format(" (did you mean '{}'?)", closest),
                                  fmt::join(ids, ", ")));
}

BreachOutcome record_breaches(const IncidentContext& context, const BreachBatch& batch) {
  BreachOutcome outcome;
  const auto written = append_event(context, [&](const std::vector<IncidentRecord>& records)
                                                 -> std::optional<IncidentRecord> {
    const auto incidents = fold_incidents(records);
    std::set<std::string> known;
    const Incident* active = nullptr;
    for (const auto& incident : incidents) {
      known.insert(incident.breach_ids.begin(), incident.breach_ids.end());
      if (incident.monitor == batch.monitor && incident.model == batch.model && is_active(incident.state)) {
        active = &incident;
      }
    }
    outcome.recorded.clear();
    for (const auto& id : batch.breach_ids) {
      if (known.insert(id).second) outcome.recorded.push_back(id);
    }
    if (outcome.recorded.empty()) return std::nullopt;
    IncidentRecord record;
    record.monitor = batch.monitor;
    record.model = batch.model;
    record.breach_ids = json(outcome.recorded).dump();
    json details = {{"refresh_id", batch.refresh_id}, {"breaches_table", batch.breaches_table}};
    record.details = details.dump(-1, ' ', false, json::error_handler_t::replace);
    if (active) {
      record.incident_id = active->id;
      record.event = "attach";
      record.state = record.previous_state = to_string(active->state);
      record.reason = fmt::format("{} more breach{} of monitor '{}'", outcome.recorded.size(),
                                  outcome.recorded.size() == 1 ? "" : "es", batch.monitor);
    } else {
      record.incident_id = fmt::format("INC-{}", incidents.size() + 1);
      record.event = "open";
      record.state = to_string(IncidentState::kOpen);
      record.reason = fmt::format("{} breach{} of monitor '{}'{}", outcome.recorded.size(),
                                  outcome.recorded.size() == 1 ? "" : "es", batch.monitor,
                                  batch.model.empty() ? "" : fmt::format(" for model '{}'", batch.model));
    }
    outcome.opened = !active;
    return record;
  });
  if (!written) {
    outcome.recorded.clear();
    return outcome;
  }
  outcome.incident_id = written->incident_id;
  return outcome;
}

IncidentRecord transition_incident(const IncidentContext& context, const std::string& incident_id, IncidentState to,
                                   const std::string& reason, const std::string& details) {
  if (reason.empty()) {
    throw IncidentError(fmt::format("incident {}: a move to '{}' needs a reason", incident_id, to_string(to)));
  }
  if (!json::accept(details)) {
    throw IncidentError(fmt::format("incident {}: details must be JSON text, found '{}'", incident_id,
                                    details.substr(0, 80)));
  }
  const auto written = append_event(context, [&](const std::vector<IncidentRecord>& records)
                                                 -> std::optional<IncidentRecord> {
    const auto incidents = fold_incidents(records);
    const auto& incident = find_incident(incidents, incident_id);
    if (!is_legal_transition(incident.state, to)) {
      throw IncidentError(fmt::format("incident {} is '{}'; it cannot move to '{}' (from '{}' it can move to: {})",
                                      incident_id, to_string(incident.state), to_string(to),
                                      to_string(incident.state), allowed_after(incident.state)));
    }
    IncidentRecord record;
    record.incident_id = incident.id;
    record.event = "transition";
    record.monitor = incident.monitor;
    record.model = incident.model;
    record.state = to_string(to);
    record.previous_state = to_string(incident.state);
    record.reason = reason;
    record.details = details;
    record.breach_ids = "[]";
    return record;
  });
  return *written;
}

IncidentVerifyResult verify_incident_records(std::vector<IncidentRecord> records, const Principals& principals) {
  std::stable_sort(records.begin(), records.end(),
                   [](const IncidentRecord& a, const IncidentRecord& b) { return a.seq < b.seq; });
  IncidentVerifyResult result;
  result.records = static_cast<std::int64_t>(records.size());
  struct Seen {
    IncidentState state;
    std::string monitor, model;
  };
  std::map<std::string, Seen> seen;  // each incident so far
  std::set<std::pair<std::string, std::string>> active;  // (monitor, model) with an active incident
  std::set<std::string> breaches;  // every breach id recorded so far
  const std::string* previous_hash = &genesis_hash();
  for (std::size_t index = 0; index < records.size(); ++index) {
    const auto& record = records[index];
    const auto fail = [&result, &record](std::int64_t seq, std::string problem) {
      result.bad_seq = seq;
      result.incident_id = record.incident_id;
      result.problem = std::move(problem);
      return result;
    };
    const detail::ChainedRow row{record.seq, record.actor, record.record_hash, record.prev_hash, record.signature};
    if (auto problem = detail::check_chained_row(row, index, sha256_hex(canonical_incident_text(record)),
                                                 *previous_hash, principals, {"record", "a record", "record_hash"})) {
      return fail(problem->first, std::move(problem->second));
    }
    previous_hash = &record.record_hash;
    // The signatures hold; what follows are records a principal signed that the state machine forbids.
    const auto state = parse_incident_state(record.state);
    if (!state) return fail(record.seq, fmt::format("state '{}' is not an incident state", record.state));
    for (const auto& id : detail::json_strings(record.breach_ids)) {
      if (!breaches.insert(id).second) return fail(record.seq, fmt::format("breach {} is recorded twice", id));
    }
    const auto key = std::make_pair(record.monitor, record.model);
    const auto before = seen.find(record.incident_id);
    if (record.event == "open") {
      if (before != seen.end()) return fail(record.seq, "the incident is opened a second time");
      if (*state != IncidentState::kOpen || !record.previous_state.empty()) {
        return fail(record.seq, "an opening record must have state 'open' and no previous state");
      }
      if (!active.insert(key).second) {
        return fail(record.seq, fmt::format("a second active incident of monitor '{}' and model '{}'", record.monitor,
                                            record.model));
      }
      seen.emplace(record.incident_id, Seen{*state, record.monitor, record.model});
      continue;
    }
    if (before == seen.end()) {
      return fail(record.seq, fmt::format("the incident's first record is '{}', not 'open'", record.event));
    }
    auto& incident = before->second;
    if (record.monitor != incident.monitor || record.model != incident.model) {
      return fail(record.seq, fmt::format("monitor '{}' and model '{}' are not the incident's ('{}', '{}')",
                                          record.monitor, record.model, incident.monitor, incident.model));
    }
    if (record.previous_state != to_string(incident.state)) {
      return fail(record.seq, fmt::format("previous_state '{}' is not the incident's state '{}'",
                                          record.previous_state, to_string(incident.state)));
    }
    if (record.event == "attach") {
      if (*state != incident.state || !is_active(*state)) {
        return fail(record.seq, "a breach is attached to an incident that is not active, or changes its state");
      }
    } else if (record.event == "transition") {
      if (!is_legal_transition(incident.state, *state)) {
        return fail(record.seq, fmt::format("'{}' -> '{}' is not a legal transition", record.previous_state,
                                            record.state));
      }
      // Only the move out of the active states frees (monitor, model): rejected -> closed leaves a newer
      // incident of the pair active.
      if (is_active(incident.state) && !is_active(*state)) active.erase(key);
      incident.state = *state;
    } else {
      return fail(record.seq, fmt::format("event '{}' is not open, attach or transition", record.event));
    }
  }
  return result;
}

IncidentVerifyResult verify_incident_audit_trail(const std::vector<IncidentRecord>& records,
                                                 const std::vector<AuditEntry>& audit_entries) {
  IncidentVerifyResult result;
  result.records = static_cast<std::int64_t>(records.size());
  std::map<std::int64_t, const IncidentRecord*> by_seq;
  for (const auto& record : records) by_seq.emplace(record.seq, &record);
  for (const auto& entry : audit_entries) {
    if (!entry.action.starts_with("incident.")) continue;
    const auto details = json::parse(entry.details, nullptr, false);
    const auto seq = details.is_object() ? details.find("seq") : details.end();
    const auto hash = details.is_object() ? details.find("record_hash") : details.end();
    if (seq == details.end() || !seq->is_number_integer() || hash == details.end() || !hash->is_string()) {
      result.bad_seq = 0;
      result.incident_id = entry.subject;
      result.problem = fmt::format("audit entry seq {} ({}) does not name an incident record (seq, record_hash)",
                                   entry.seq, entry.action);
      return result;
    }
    const auto found = by_seq.find(seq->get<std::int64_t>());
    if (found == by_seq.end() || found->second->record_hash != hash->get<std::string>()) {
      result.bad_seq = seq->get<std::int64_t>();
      result.incident_id = entry.subject;
      result.problem = fmt::format("the record audit entry seq {} ({}) signed for is {} (incident records were "
                                   "dropped or replaced)",
                                   entry.seq, entry.action, found == by_seq.end() ? "missing" : "a different one");
      return result;
    }
  }
  return result;
}

IncidentVerifyResult verify_incidents(const std::string& table, const Principals& principals) {
  return verify_incident_records(read_incident_records(table), principals);
}

}  // namespace driftgov::gov
