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

namespace CLI {
class App;
}

namespace driftgov::cli {

// The options every governance verb on a target shares: --config, --target, --var, --as, --json.
struct TargetArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string as;
  bool json_output = false;

  // Adds the options to `command`; `role` is what --as needs (for the help text).
  void add_to(CLI::App* command, const std::string& role);
  monitor::Config load() const;
};

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

// What an approval and a promotion are about: a verified, passing evaluation record and the artefact it judged
// as its challenger.
struct Evidence {
  nlohmann::json record;  // the evaluation record
  std::string record_path, evaluation_digest;
  std::string artefact_path, artefact_sha256;
  std::vector<std::string> trainers;  // the record's signer, the training manifest's trained_by
  std::string training_table, training_version;  // from the manifest <sha256>.training.json beside the artefact
};

// What the training manifest <sha256>.training.json beside an artefact says (`model train` writes it); empty fields
// when there is none.
struct TrainingManifest {
  std::string trained_by, table, table_version;
};
TrainingManifest read_training_manifest(const std::string& artefact_path, const std::string& artefact_sha256);

// Reads and checks the evidence: the record's digest and signature verify against the configured principals, it
// passed its gates, and the artefact's SHA-256 is the record's challenger's. core::InputError naming the file and
// what is wrong otherwise.
Evidence check_evidence(const monitor::Config& config, const std::string& record_path,
                        const std::string& artefact_path);

// A name for the acting principal that `verb` requires: throws core::InputError when none is named.
ActingPrincipal require_acting_principal(const monitor::Config& config, const std::string& as_option, gov::Role role,
                                         const std::string& verb);

// Records a governance action of `actor` in the selected target's audit log.
void append_action_entry(const monitor::Config& config, const ActingPrincipal& actor, const std::string& action,
                         const std::string& subject, const nlohmann::json& details);

// Registered under `driftgov model`: list, show, register, promote, rollback, remove-alias, mirror
// (docs/governance.md, "Model registry").
void register_registry(CLI::App* model);

}  // namespace driftgov::cli
