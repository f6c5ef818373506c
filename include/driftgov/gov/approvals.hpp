#pragma once
// Approvals (docs/governance.md, "Approvals"): four-eyes sign-off on exactly one evaluation record and one model
// artefact before promotion, and on a rollback.
//
// The store is an event-sourced Delta table <target lakehouse>/governance/approvals, hash-chained and signed like
// the incidents: one row per event (`request`, `approve`, `reject`), never updated in place. Every row holds the
// evaluation record's digest and the artefact's SHA-256 inside its hashed text, so an approver's Ed25519 signature
// covers exactly that evaluation and that artefact: an approval is void when either changes afterwards, and a row
// copied onto another request, incident or artefact no longer matches its hash.
//
// Four eyes: a decision is refused to the requester and to the principals the request names as its model's
// trainers (the training manifest's trained_by, the evaluation record's signer, the actor of the incident's move
// to training). A request is approved when `required` distinct principals holding `approver` on the target approved
// it; one rejection rejects it. A request expires; a decision after its expiry is refused.
//
// Appends take the table's lock (as the incidents table) and commit idempotently on (driftgov.approvals, seq), so
// two approvers deciding at the same moment are both recorded, each once. Each event appends an audit-log entry.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/principals.hpp"

namespace driftgov::gov {

// <lakehouse>/governance/approvals
std::string approvals_table(const std::string& lakehouse);

// One row of the approvals table.
struct ApprovalRecord {
  std::int64_t seq = 0;
  std::string request_id;  // "APR-<n>", n = 1, 2, ... in the order requests were made
  std::int64_t time_us = 0;
  std::string actor;
  std::string target;
  std::string event;        // request | approve | reject
  std::string action;       // promote | rollback: what the request asks to be allowed
  std::string incident_id;  // the incident (promote); "" for a rollback
  std::string model;        // the registered model (rollback); "" for a promote request
  std::int64_t model_version = 0;  // the version to roll back to; 0 for promote
  std::string evaluation_digest;   // the evaluation record's digest
  std::string artefact_sha256;     // the model artefact's SHA-256
  std::string excluded;     // JSON array text: who may not decide (the requester, the model's trainers)
  std::int64_t expires_us = 0;     // when the request expires (decisions repeat their request's)
  std::string comment;
  std::string details;      // JSON object text; for requests: {"evaluation", "artefact", "training"}
  std::string prev_hash;
  std::string record_hash;
  std::string signature;
};

// The bytes record_hash is the SHA-256 of: the line "driftgov-approval-v1", then the length-prefixed lines of
// every field above from seq to prev_hash, in that order (integers and times in decimal), as the audit log's.
std::string canonical_approval_text(const ApprovalRecord& record);

// Every row in seq order (nothing checked); empty when the table does not exist.
std::vector<ApprovalRecord> read_approval_records(const std::string& table);

enum class RequestState { kOpen, kApproved, kRejected };
const char* to_string(RequestState state);

// A request folded from its rows.
struct ApprovalRequest {
  ApprovalRecord request;                  // its `request` row
  std::vector<ApprovalRecord> decisions;   // its approve and reject rows, in seq order
  RequestState state = RequestState::kOpen;
  std::vector<std::string> approvers;      // distinct, in order
};
// The state after each decision is recorded in its row (details {"state", "required"}), so a change of the
// configured number of approvals does not rewrite history.
std::vector<ApprovalRequest> fold_approval_requests(const std::vector<ApprovalRecord>& records);

// A request by its id (APR-n), or the newest request of an incident (INC-n); IncidentError when there is none.
const ApprovalRequest& find_approval_request(const std::vector<ApprovalRequest>& requests, const std::string& id);

// What a request asks approval for.
struct RequestSpec {
  std::string action;  // promote | rollback
  std::string incident_id;
  std::string model;
  std::int64_t model_version = 0;
  std::string evaluation_digest;
  std::string artefact_sha256;
  std::vector<std::string> trainers;  // may not approve
  std::int64_t valid_us = 0;          // how long the request stays open
  std::string details = "{}";
};

// Records a request. For a promote request the incident must be `evaluated`; it then moves to
// `awaiting_approval`. A promote request while another request of the incident is open is refused.
ApprovalRecord request_approval(const IncidentContext& context, const RequestSpec& spec);

struct DecisionOutcome {
  ApprovalRecord record;
  RequestState state = RequestState::kOpen;  // the request's state after the decision
  std::int64_t approvals = 0;                // distinct approvals after it
};

// Records `approve` (or reject) of request `id` (APR-n, or an incident's newest request) by the context's actor,
// who must hold `approver` on the target (AccessDeniedError). Refused with IncidentError: a request already
// decided, expired (naming the expiry), the actor excluded (the requester or a trainer) or having decided before.
// When the approvals reach `required`, a promote request's incident moves to `approved`; a rejection moves it to
// `rejected`.
DecisionOutcome decide_approval(const IncidentContext& context, const Principals& principals, const std::string& id,
                                bool approve, const std::string& comment, std::int64_t required);

// The approvals of `request` that are valid for the given evaluation digest and artefact: approve rows of a
// principal holding `approver` on `target`, not excluded, made before the request expired, naming that digest and
// artefact, one per principal. (The rows' signatures are checked by verify_approval_records.)
std::vector<const ApprovalRecord*> valid_approvals(const ApprovalRequest& request, const Principals& principals,
                                                   const std::string& target, const std::string& evaluation_digest,
                                                   const std::string& artefact_sha256);

// Checks the rows: seqs 1..N, record_hash, prev_hash, actor and signature as the audit log's, and that each
// decision follows an open request of the same id and repeats its action, incident, model, version, digests and
// expiry. Stops at the first bad row (IncidentVerifyResult::incident_id holds the request id).
IncidentVerifyResult verify_approval_records(const std::vector<ApprovalRecord>& records, const Principals& principals);

// Parses a duration "<n>s|m|h|d" (e.g. "72h"); core::InputError naming `what`.
std::int64_t parse_duration_us(const std::string& text, const std::string& what);

}  // namespace driftgov::gov
