#pragma once
// Incidents (docs/governance.md, "Incidents"): what a monitor breach opens and the remediation chain moves along.
//
// The store is an event-sourced Delta table <target lakehouse>/governance/incidents: one row per event (an incident
// opened, a breach attached, a state transition), never updated in place. The rows form a hash chain like the audit
// log's: each row carries seq (1, 2, ... over the whole table), the previous row's record_hash, its own record_hash
// (hex SHA-256 of canonical_incident_text) and the actor's Ed25519 signature of record_hash. Every row is signed:
// there is no unsigned incident (with no principals configured, no incident is opened; docs/governance.md).
//
// States, exactly: open -> staging -> staged -> training -> evaluated -> awaiting_approval -> approved | rejected;
// approved -> promoted; any state but promoted and closed -> closed. An incident is active until it is closed,
// promoted or rejected; there is at most one active incident per (monitor, model), and a breach already recorded
// in any incident is never recorded again.
//
// Appends are serialised by a lock on the table (io::Storage::try_lock, like the audit log's) and each commit is
// idempotent on (app id "driftgov.incidents", seq): two processes recording a breach of one monitor at once produce
// one incident, the second attaching to the first's. Each event also appends an audit-log entry (action
// incident.<state>, or incident.attach) signed by the same actor, after the incident row.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/keys.hpp"
#include "driftgov/gov/principals.hpp"

namespace driftgov::gov {

enum class IncidentState {
  kOpen,
  kStaging,
  kStaged,
  kTraining,
  kEvaluated,
  kAwaitingApproval,
  kApproved,
  kRejected,
  kPromoted,
  kClosed
};

const char* to_string(IncidentState state);
// The state names in the order of the enum.
const std::vector<std::string>& incident_state_names();
std::optional<IncidentState> parse_incident_state(const std::string& name);
// Whether an incident in `from` may move to `to` (the graph above).
bool is_legal_transition(IncidentState from, IncidentState to);
// Not closed, promoted or rejected.
bool is_active(IncidentState state);

// The table of a target: <lakehouse>/governance/incidents.
std::string incidents_table(const std::string& lakehouse);

// One row of the table.
struct IncidentRecord {
  std::int64_t seq = 0;
  std::string incident_id;  // "INC-<n>", n = 1, 2, ... in the order incidents were opened
  std::int64_t time_us = 0;  // microseconds since 1970-01-01T00:00:00Z
  std::string actor;
  std::string target;
  std::string event;  // open | attach | transition
  std::string monitor;
  std::string model;  // the breaches' model id; "" when the monitor has no model id column
  std::string state;  // the incident's state after the event
  std::string previous_state;  // before the event; "" for the opening row
  std::string reason;
  std::string details;     // JSON object text
  std::string breach_ids;  // JSON array text of the breach ids the event records ("[]" for a transition)
  std::string prev_hash;   // the previous row's record_hash; 64 zeros for seq 1
  std::string record_hash;
  std::string signature;
};

// The bytes record_hash is the SHA-256 of: the line "driftgov-incident-v1", then "<name> <byte length> <value>\n"
// for seq, incident_id, time, actor, target, event, monitor, model, state, previous_state, reason, details,
// breach_ids, prev_hash, in that order (seq and time as decimal integers), as the audit log's canonical text.
std::string canonical_incident_text(const IncidentRecord& record);

// An incident folded from its rows.
struct Incident {
  std::string id;
  std::string monitor, model;
  IncidentState state = IncidentState::kOpen;
  std::int64_t opened_us = 0, updated_us = 0;
  std::string opened_by;
  std::vector<std::string> breach_ids;  // every breach recorded, in order
  std::vector<IncidentRecord> history;  // its rows in seq order
};

// An illegal transition (naming the incident, its state and the requested one), an unknown incident id, a reason
// missing. The CLI exits 2.
class IncidentError : public core::InputError {
 public:
  using core::InputError::InputError;
};

// Where the incidents live and who acts: the actor signs the incident rows and the audit entries.
struct IncidentContext {
  std::string lakehouse;  // the target's lakehouse root (incidents and audit log below it)
  std::string target;
  std::string actor;
  const KeyPair* key = nullptr;
  double wait_seconds = 30.0;  // for each table's lock; then AuditLogBusyError (the CLI exits 5)
  std::optional<std::int64_t> now_us;  // the clock (tests); default: the system clock
};

struct BreachBatch {
  std::string monitor;
  std::string model;  // "" when the monitor has no model id column
  std::vector<std::string> breach_ids;
  std::string refresh_id;
  std::string breaches_table;  // where the breach rows are
};

struct BreachOutcome {
  std::string incident_id;  // empty when every breach was recorded already (nothing written)
  bool opened = false;      // a new incident (else the breaches attached to the active one)
  std::vector<std::string> recorded;  // the breach ids this call recorded
};

// Records the breaches: opens an incident for (monitor, model) when none is active, else attaches them to the
// active one; breach ids recorded before (in any incident) are left out, and nothing is written when none is left.
BreachOutcome record_breaches(const IncidentContext& context, const BreachBatch& batch);

// Moves an incident to `to`, recording who, when and why (a non-empty reason). IncidentError for an unknown id or
// an illegal transition ("incident INC-3 is 'open'; it cannot move to 'approved' (from 'open' it can move to:
// staging, closed)"). Returns the row written.
IncidentRecord transition_incident(const IncidentContext& context, const std::string& incident_id, IncidentState to,
                                   const std::string& reason, const std::string& details = "{}");

// Every row in seq order (as stored; nothing checked); empty when the table does not exist.
std::vector<IncidentRecord> read_incident_records(const std::string& table);
// The incidents folded from rows (in order of their first row).
std::vector<Incident> fold_incidents(const std::vector<IncidentRecord>& records);
// The incident `id`; IncidentError naming the ids there are when it does not exist.
const Incident& find_incident(const std::vector<Incident>& incidents, const std::string& id);

struct IncidentVerifyResult {
  std::int64_t records = 0;
  std::optional<std::int64_t> bad_seq;  // the first bad row (seq order)
  std::string incident_id;              // its incident
  std::string problem;
  bool ok() const { return !bad_seq; }
};

// Checks the rows in seq order: seqs 1..N, record_hash of the fields, prev_hash chaining, the actor a principal and
// the signature valid for its configured key, and the history of each incident a legal path of the state machine
// (an opening row first, each previous_state the incident's state before it). Stops at the first bad row.
IncidentVerifyResult verify_incident_records(std::vector<IncidentRecord> records, const Principals& principals);
IncidentVerifyResult verify_incidents(const std::string& table, const Principals& principals);

// Checks that every incident.* entry of the audit log (verified separately) points at an incident record that is
// there, by its seq and record_hash: dropping or replacing the newest incident records, which their own chain
// cannot show, is caught while the audit log still holds the entries (a checkpoint of the log keeps those).
IncidentVerifyResult verify_incident_audit_trail(const std::vector<IncidentRecord>& records,
                                                 const std::vector<AuditEntry>& audit_entries);

}  // namespace driftgov::gov
