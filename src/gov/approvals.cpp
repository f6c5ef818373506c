#include "driftgov/gov/approvals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "gov/chained_table.hpp"

namespace driftgov::gov {
namespace {

using nlohmann::json;

constexpr const char* kApplicationId = "driftgov.approvals";
constexpr int kCommitAttempts = 5;

std::vector<detail::FieldRef> fields_of(ApprovalRecord& r) {
  return {{"seq", &r.seq},
          {"request_id", &r.request_id},
          {"time", &r.time_us, true},
          {"actor", &r.actor},
          {"target", &r.target},
          {"event", &r.event},
          {"action", &r.action},
          {"incident_id", &r.incident_id},
          {"model", &r.model},
          {"model_version", &r.model_version},
          {"evaluation_digest", &r.evaluation_digest},
          {"artefact_sha256", &r.artefact_sha256},
          {"excluded", &r.excluded},
          {"expires", &r.expires_us, true},
          {"comment", &r.comment},
          {"details", &r.details},
          {"prev_hash", &r.prev_hash},
          {"record_hash", &r.record_hash},
          {"signature", &r.signature}};
}

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string state_in(const ApprovalRecord& decision) {
  const auto details = json::parse(decision.details, nullptr, false);
  if (details.is_object() && details.contains("state") && details.at("state").is_string()) {
    return details.at("state").get<std::string>();
  }
  return "";
}

void append_audit(const IncidentContext& context, const ApprovalRecord& record) {
  json details = {{"request_id", record.request_id},
                  {"seq", record.seq},
                  {"record_hash", record.record_hash},
                  {"action", record.action},
                  {"incident_id", record.incident_id},
                  {"model", record.model},
                  {"model_version", record.model_version},
                  {"evaluation_digest", record.evaluation_digest},
                  {"artefact_sha256", record.artefact_sha256},
                  {"comment", record.comment}};
  AppendRequest request;
  request.action = "approval." + record.event;
  request.target = context.target;
  request.subject = record.request_id;
  request.details = dump(details);
  request.time_us = record.time_us;
  AppendOptions options;
  options.wait_seconds = context.wait_seconds;
  append_audit_entry(audit_log_table(context.lakehouse), context.actor, *context.key, request, options);
}

// Under the table's lock: builds the next row with `make` from the rows there are, signs and commits it, then runs
// `after` (the incident's move) and appends the audit entry, all before the lock is released.
template <typename Make, typename After>
ApprovalRecord append_event(const IncidentContext& context, Make make, After after) {
  if (context.key == nullptr || context.actor.empty()) {
    throw core::InternalError("approval event without an acting principal and its key");
  }
  const auto table = approvals_table(context.lakehouse);
  const auto lock = detail::lock_for_append(table, context.wait_seconds);
  for (int attempt = 1;; ++attempt) {
    const auto records = read_approval_records(table);
    auto record = make(records);
    record.seq = records.empty() ? 1 : records.back().seq + 1;
    record.prev_hash = records.empty() ? genesis_hash() : records.back().record_hash;
    record.actor = context.actor;
    record.target = context.target;
    record.record_hash = sha256_hex(canonical_approval_text(record));
    const auto signature = context.key->sign(record.record_hash);
    record.signature = to_hex(signature.data(), signature.size());
    if (detail::append_row_once(table, detail::chained_batch({fields_of(record)}), kApplicationId, record.seq,
                                record.time_us)) {
      after(record);
      append_audit(context, record);
      return record;
    }
    if (attempt >= kCommitAttempts) {
      throw AuditLogBusyError(fmt::format("{}: seq {} was taken by another writer {} times in a row; nothing was "
                                          "written",
                                          table, record.seq, attempt));
    }
  }
}

std::string format_us(std::int64_t us) {
  const std::time_t seconds = static_cast<std::time_t>(us / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec);
}

}  // namespace

std::string approvals_table(const std::string& lakehouse) { return lakehouse + "/governance/approvals"; }

std::string canonical_approval_text(const ApprovalRecord& record) {
  auto copy = record;
  return detail::chained_canonical_text("driftgov-approval-v1", fields_of(copy));
}

std::vector<ApprovalRecord> read_approval_records(const std::string& table) {
  std::vector<ApprovalRecord> records;
  detail::read_chained_rows(table, records, fields_of);
  return records;
}

const char* to_string(RequestState state) {
  switch (state) {
    case RequestState::kOpen: return "open";
    case RequestState::kApproved: return "approved";
    case RequestState::kRejected: return "rejected";
  }
  return "open";
}

std::vector<ApprovalRequest> fold_approval_requests(const std::vector<ApprovalRecord>& records) {
  std::vector<ApprovalRequest> requests;
  std::map<std::string, std::size_t> index_of;
  for (const auto& record : records) {
    if (record.event == "request") {
      index_of[record.request_id] = requests.size();
      requests.push_back(ApprovalRequest{record, {}, RequestState::kOpen, {}});
      continue;
    }
    const auto found = index_of.find(record.request_id);
    if (found == index_of.end()) continue;
    auto& request = requests[found->second];
    request.decisions.push_back(record);
    if (record.event == "approve" &&
        std::find(request.approvers.begin(), request.approvers.end(), record.actor) == request.approvers.end()) {
      request.approvers.push_back(record.actor);
    }
    const auto state = state_in(record);
    if (record.event == "reject" || state == "rejected") request.state = RequestState::kRejected;
    if (state == "approved") request.state = RequestState::kApproved;
  }
  return requests;
}

const ApprovalRequest& find_approval_request(const std::vector<ApprovalRequest>& requests, const std::string& id) {
  for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
    if (it->request.request_id == id || (!it->request.incident_id.empty() && it->request.incident_id == id)) {
      return *it;
    }
  }
  std::vector<std::string> ids;
  for (const auto& request : requests) {
    ids.push_back(request.request.incident_id.empty()
                      ? request.request.request_id
                      : fmt::format("{} ({})", request.request.request_id, request.request.incident_id));
  }
  throw IncidentError(fmt::format("no approval request '{}'{}", id,
                                  ids.empty() ? std::string(": the target has no approval requests")
                                              : fmt::format("; requests: {}", fmt::join(ids, ", "))));
}

ApprovalRecord request_approval(const IncidentContext& context, const RequestSpec& spec) {
  const auto now = context.now_us.value_or(detail::now_us());
  const bool promote = spec.action == "promote";
  if (promote) {
    // Checked before anything is written; the move itself checks again under the incidents' lock.
    const auto incidents = fold_incidents(read_incident_records(incidents_table(context.lakehouse)));
    const auto& incident = find_incident(incidents, spec.incident_id);
    if (incident.state != IncidentState::kEvaluated) {
      throw IncidentError(fmt::format("incident {} is '{}'; approval can be requested only for an 'evaluated' "
                                      "incident",
                                      incident.id, to_string(incident.state)));
    }
  }
  return append_event(
      context,
      [&](const std::vector<ApprovalRecord>& records) {
        const auto requests = fold_approval_requests(records);
        for (const auto& open : requests) {
          const bool same = promote ? open.request.incident_id == spec.incident_id
                                    : open.request.action == "rollback" && open.request.model == spec.model;
          if (same && open.state == RequestState::kOpen && open.request.expires_us > now) {
            throw IncidentError(fmt::format("{} already has an open approval request {} (expires {})",
                                            promote ? "incident " + spec.incident_id : "model " + spec.model,
                                            open.request.request_id, format_us(open.request.expires_us)));
          }
        }
        ApprovalRecord record;
        record.request_id = fmt::format("APR-{}", requests.size() + 1);
        record.time_us = now;
        record.event = "request";
        record.action = spec.action;
        record.incident_id = spec.incident_id;
        record.model = spec.model;
        record.model_version = spec.model_version;
        record.evaluation_digest = spec.evaluation_digest;
        record.artefact_sha256 = spec.artefact_sha256;
        std::vector<std::string> excluded{context.actor};
        for (const auto& trainer : spec.trainers) {
          if (!trainer.empty() && std::find(excluded.begin(), excluded.end(), trainer) == excluded.end()) {
            excluded.push_back(trainer);
          }
        }
        record.excluded = json(excluded).dump();
        record.expires_us = now + spec.valid_us;
        record.details = spec.details;
        return record;
      },
      [&](const ApprovalRecord& record) {
        if (!promote) return;
        json details = {{"request_id", record.request_id}, {"approval_seq", record.seq},
                        {"evaluation_digest", record.evaluation_digest}, {"artefact_sha256", record.artefact_sha256}};
        transition_incident(context, record.incident_id, IncidentState::kAwaitingApproval,
                            fmt::format("approval requested ({})", record.request_id), dump(details));
      });
}

DecisionOutcome decide_approval(const IncidentContext& context, const Principals& principals, const std::string& id,
                                bool approve, const std::string& comment, std::int64_t required) {
  require_role(principals, context.actor, context.target, Role::kApprover);
  const auto now = context.now_us.value_or(detail::now_us());
  DecisionOutcome outcome;
  outcome.record = append_event(
      context,
      [&](const std::vector<ApprovalRecord>& records) {
        const auto requests = fold_approval_requests(records);
        const auto& request = find_approval_request(requests, id);
        const auto& asked = request.request;
        if (request.state != RequestState::kOpen) {
          throw IncidentError(fmt::format("approval request {} is already {}; nothing was recorded", asked.request_id,
                                          to_string(request.state)));
        }
        if (now >= asked.expires_us) {
          throw IncidentError(fmt::format("approval request {} expired at {}; request approval again (nothing was "
                                          "recorded)",
                                          asked.request_id, format_us(asked.expires_us)));
        }
        const auto excluded = detail::json_strings(asked.excluded);
        if (std::find(excluded.begin(), excluded.end(), context.actor) != excluded.end()) {
          throw AccessDeniedError(
              context.actor, Role::kApprover, context.target,
              fmt::format("may not decide approval request {} ({}): four eyes: {}; neither the requester ('{}') nor "
                          "the model's trainers ({}) may approve",
                          asked.request_id, asked.incident_id.empty() ? "rollback of " + asked.model : asked.incident_id,
                          context.actor == asked.actor ? "it made the request" : "it trained or evaluated the model",
                          asked.actor, fmt::join(excluded, ", ")));
        }
        for (const auto& decision : request.decisions) {
          if (decision.actor == context.actor) {
            throw IncidentError(fmt::format("principal '{}' already decided approval request {} (seq {}, {}); each "
                                            "approver decides once",
                                            context.actor, asked.request_id, decision.seq, decision.event));
          }
        }
        auto record = asked;
        record.time_us = now;
        record.event = approve ? "approve" : "reject";
        record.comment = comment;
        outcome.approvals = static_cast<std::int64_t>(request.approvers.size()) + (approve ? 1 : 0);
        outcome.state = !approve                         ? RequestState::kRejected
                        : outcome.approvals >= required  ? RequestState::kApproved
                                                         : RequestState::kOpen;
        record.details = dump(json{{"state", to_string(outcome.state)}, {"required", required},
                                   {"approvals", outcome.approvals}});
        return record;
      },
      [&](const ApprovalRecord& record) {
        if (record.action != "promote" || outcome.state == RequestState::kOpen) return;
        json details = {{"request_id", record.request_id}, {"approval_seq", record.seq},
                        {"approvals", outcome.approvals}, {"required", required}};
        transition_incident(context, record.incident_id,
                            outcome.state == RequestState::kApproved ? IncidentState::kApproved
                                                                     : IncidentState::kRejected,
                            outcome.state == RequestState::kApproved
                                ? fmt::format("approved by {} of {} required approvers ({})", outcome.approvals,
                                              required, record.request_id)
                                : fmt::format("rejected by {}{}", record.actor,
                                              record.comment.empty() ? "" : ": " + record.comment),
                            dump(details));
      });
  return outcome;
}

std::vector<const ApprovalRecord*> valid_approvals(const ApprovalRequest& request, const Principals& principals,
                                                   const std::string& target, const std::string& evaluation_digest,
                                                   const std::string& artefact_sha256) {
  std::vector<const ApprovalRecord*> valid;
  std::set<std::string> seen;
  const auto excluded = detail::json_strings(request.request.excluded);
  for (const auto& decision : request.decisions) {
    if (decision.event != "approve") continue;
    const auto principal = principals.find(decision.actor);
    if (principal == principals.end()) continue;
    const auto roles = principal->second.roles.find(target);
    if (roles == principal->second.roles.end() || !roles->second.contains(Role::kApprover)) continue;
    if (std::find(excluded.begin(), excluded.end(), decision.actor) != excluded.end()) continue;
    if (decision.time_us >= request.request.expires_us) continue;
    if (decision.evaluation_digest != evaluation_digest || decision.artefact_sha256 != artefact_sha256) continue;
    if (decision.target != target || !seen.insert(decision.actor).second) continue;
    valid.push_back(&decision);
  }
  return valid;
}

IncidentVerifyResult verify_approval_records(const std::vector<ApprovalRecord>& records, const Principals& principals) {
  IncidentVerifyResult result;
  result.records = static_cast<std::int64_t>(records.size());
  static const detail::ChainWords words{"record", "a record", "record_hash"};
  std::map<std::string, const ApprovalRecord*> requests;
  std::string previous = genesis_hash();
  for (std::size_t index = 0; index < records.size(); ++index) {
    const auto& record = records[index];
    const auto fail = [&](std::int64_t seq, std::string problem) {
      result.bad_seq = seq;
      result.incident_id = record.request_id;
      result.problem = std::move(problem);
      return result;
    };
    const detail::ChainedRow row{record.seq, record.actor, record.record_hash, record.prev_hash, record.signature};
    if (const auto problem = detail::check_chained_row(row, index, sha256_hex(canonical_approval_text(record)),
                                                       previous, principals, words)) {
      return fail(problem->first, problem->second);
    }
    previous = record.record_hash;
    if (record.event == "request") {
      if (!requests.emplace(record.request_id, &record).second) {
        return fail(record.seq, fmt::format("request {} is made twice", record.request_id));
      }
      continue;
    }
    if (record.event != "approve" && record.event != "reject") {
      return fail(record.seq, fmt::format("event '{}' is not request, approve or reject", record.event));
    }
    const auto found = requests.find(record.request_id);
    if (found == requests.end()) {
      return fail(record.seq, fmt::format("a decision on request {}, which was never made", record.request_id));
    }
    const auto& asked = *found->second;
    if (record.action != asked.action || record.incident_id != asked.incident_id || record.model != asked.model ||
        record.model_version != asked.model_version || record.evaluation_digest != asked.evaluation_digest ||
        record.artefact_sha256 != asked.artefact_sha256 || record.expires_us != asked.expires_us ||
        record.excluded != asked.excluded || record.target != asked.target) {
      return fail(record.seq, fmt::format("the decision does not repeat request {}'s incident, model, evaluation "
                                          "digest, artefact and expiry (replayed onto another request)",
                                          record.request_id));
    }
  }
  return result;
}

std::int64_t parse_duration_us(const std::string& text, const std::string& what) {
  std::int64_t count = 0;
  std::size_t index = 0;
  while (index < text.size() && text[index] >= '0' && text[index] <= '9' && count < 1000000) {
    count = count * 10 + (text[index++] - '0');
  }
  const std::string unit = text.substr(index);
  const std::int64_t second = 1000000;
  const std::map<std::string, std::int64_t> units = {{"s", second}, {"m", 60 * second}, {"h", 3600 * second},
                                                     {"d", 86400 * second}};
  const auto found = units.find(unit);
  if (index == 0 || count == 0 || found == units.end()) {
    throw core::InputError(fmt::format("{}: expected a positive duration such as 72h, 30m or 7d (a whole number of "
                                       "s, m, h or d), found '{}'",
                                       what, text));
  }
  return count * found->second;
}

}  // namespace driftgov::gov
