#pragma once
// CLI verbs. Each verb registers its options on a CLI11 subcommand and provides a run function.

#include <CLI/CLI.hpp>

#include <functional>

namespace driftgov::cli {

// Exit codes (documented in docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternalError = 1;
inline constexpr int kExitInputError = 2;
inline constexpr int kExitDriftDetected = 3;  // compare --fail-on-drift found dataset drift
inline constexpr int kExitIOError = 4;        // the storage failed (disk full, permission denied, I/O error)
inline constexpr int kExitBusy = 5;           // monitor run: another refresh of the monitor is running; an audit
                                              // append waited too long for the log's lock
inline constexpr int kExitAccessDenied = 6;   // the acting principal lacks the role the action needs on its target
inline constexpr int kExitAuditInvalid = 7;   // audit verify found a bad entry
inline constexpr int kExitGateFailed = 8;     // evaluate: a gate rule failed (the record is written)

void register_commands(CLI::App& app);
// Runs the verb the user chose; returns the exit code.
int run_selected(CLI::App& app);
// The one place that maps a failure to an exit code: call it inside a catch block. It prints the message (for a
// command-line mistake, the usage of the verb concerned as well) and returns the code of the exception's kind.
// --help and --version end here too, printing to stdout with code 0.
int report_failure(const CLI::App& app);

// Registration used by each verb's file.
using VerbRunner = std::function<int()>;
void add_verb(CLI::App* subcommand, VerbRunner runner);

void register_cat(CLI::App& app);
void register_compare(CLI::App& app);
void register_convert(CLI::App& app);
void register_profile(CLI::App& app);
void register_quality(CLI::App& app);
void register_table(CLI::App& app);
void register_validate(CLI::App& app);
void register_monitor(CLI::App& app);
void register_report(CLI::App& app);
void register_governance(CLI::App& app);
void register_incident(CLI::App& app);
void register_approval(CLI::App& app);
void register_incident_stage(CLI::App& incident);  // `incident stage` (remediation_command.cpp)
void register_export(CLI::App& app);
void register_model(CLI::App& app);
void register_evaluate(CLI::App& app);
void register_deploy(CLI::App& app);
void register_governance_view(CLI::App& app);

}  // namespace driftgov::cli
