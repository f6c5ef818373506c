#pragma once
// What the CLI's verbs share about the acting principal and the audit log (docs/governance.md).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/keys.hpp"
#include "driftgov/gov/principals.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/refresh.hpp"

namespace driftgov::cli {

struct ActingPrincipal {
  std::string name;
  gov::KeyPair key;
};

// The acting principal (--as, else DRIFTGOV_PRINCIPAL) with its key, after checking that it holds `role` on the
// selected target; nullopt when none is named. Throws gov::AccessDeniedError, or core::InputError for an unknown
// principal or a missing, unsafe or mismatched key.
std::optional<ActingPrincipal> acting_principal(const monitor::Config& config, const std::string& as_option,
                                                gov::Role role);

// Reading governance records needs no key; when an acting principal is named (--as, else DRIFTGOV_PRINCIPAL) it
// must hold `viewer` on the selected target (gov::AccessDeniedError).
void check_reader(const monitor::Config& config, const std::string& as_option);

// Appends the audit entry of one monitor refresh (action monitor.refresh) to the selected target's audit log.
void append_monitor_refresh_entry(const monitor::Config& config, const std::string& actor_name,
                                  const gov::KeyPair& key, const monitor::RefreshSummary& summary);

// Verifies the selected target's incident records (gov::verify_incident_records) and, when they hold, that every
// incident.* entry of `audit_entries` points at one of them (gov::verify_incident_audit_trail).
gov::IncidentVerifyResult verify_incident_trail(const monitor::Config& config,
                                                const std::vector<gov::AuditEntry>& audit_entries);

// The verdict of the incidents' verification: as JSON {"table", "records", "ok", "bad_seq", "incident_id",
// "problem"}, and as one line ("OK: 3 incident records", "FAILED: record seq 2 (incident INC-1): ...").
nlohmann::json incident_verify_json(const std::string& table, const gov::IncidentVerifyResult& result);
std::string incident_verify_line(const gov::IncidentVerifyResult& result);

// Where the selected target's incidents live, acted on by `actor`.
gov::IncidentContext incident_context(const monitor::Config& config, const ActingPrincipal& actor);

// Opens or joins the incidents of a refresh's breaches, one per model id ("" when the monitor has none); returns
// what was written (an entry per incident touched).
std::vector<gov::BreachOutcome> record_monitor_breaches(const monitor::Config& config,
                                                        const monitor::MonitorConfig& monitor,
                                                        const ActingPrincipal& actor,
                                                        const monitor::RefreshSummary& summary);

// Builds and validates the retraining set of an open incident (or again of one in staging) in its monitor's
// remediation target and moves it open -> staging, and staging -> staged when every check passes
// (docs/governance.md, "Remediation"). Returns {"incident_id", "state", "staged", "checks", "records", "message"}.
nlohmann::json stage_incident(const monitor::Config& config, const ActingPrincipal& actor,
                              const std::string& incident_id);
// remediation.auto_stage: stages each incident the refresh opened; a staging that fails is a warning on stderr and
// an entry with "error". Returns one entry per staging tried.
nlohmann::json auto_stage_incidents(const monitor::Config& config, const monitor::MonitorConfig& monitor,
                                    const ActingPrincipal& actor, const std::vector<gov::BreachOutcome>& outcomes);
}  // namespace driftgov::cli
