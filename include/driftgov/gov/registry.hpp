#pragma once
// The embedded model registry (docs/governance.md, "Model registry and promotion"): registered models, their
// versions and aliases with their full history, as one event-sourced Delta table <prod lakehouse>/registry/events,
// hash-chained and signed like the governance tables. Artefacts are stored by content under
// <prod lakehouse>/registry/artefacts/<sha256>.<ext>.
//
// One promotion or rollback is ONE Delta commit (a version_registered row and an alias_set row, or a rollback
// row): a process killed at any moment leaves the registry before or after it, never half. Writers do not take a
// lock: each commit is a read-modify-write pinned to the table version it read (delta::TableWriteOptions::
// read_version), so of two promotions at once Delta's optimistic concurrency lets one commit and makes the other
// conflict; the loser reads the table again and decides again (a promotion already made is not made twice).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/principals.hpp"

namespace driftgov::gov {

// <lakehouse>/registry/events and <lakehouse>/registry/artefacts
std::string registry_table(const std::string& lakehouse);
std::string registry_artefacts(const std::string& lakehouse);

// One row of the registry.
struct RegistryEvent {
  std::int64_t seq = 0;
  std::int64_t time_us = 0;
  std::string actor;
  std::string target;
  std::string event;  // version_registered | alias_set | alias_removed | rollback
  std::string model;  // the registered model's name
  std::int64_t version = 0;  // the model version the event concerns
  std::string alias;         // alias events: the alias (champion, challenger, custom)
  std::string artefact_sha256;
  std::string artefact;      // the artefact's path in the registry
  std::string training_table;
  std::string training_version;  // the training table's Delta version ("" for files)
  std::string evaluation_digest;
  std::string incident_id;
  std::string approvals;  // JSON object text: {"request_id", "approvers", "seqs"}
  std::string details;    // JSON object text; rollback: {"from_version"}
  std::string prev_hash;
  std::string event_hash;
  std::string signature;
};

// "driftgov-registry-v1" and the length-prefixed lines of every field from seq to prev_hash.
std::string canonical_registry_text(const RegistryEvent& event);

struct RegistryRead {
  std::vector<RegistryEvent> events;  // in seq order
  std::int64_t table_version = -1;    // the Delta version read; -1 when the table does not exist
};
RegistryRead read_registry(const std::string& table);

struct ModelVersion {
  std::int64_t version = 0;
  const RegistryEvent* registered = nullptr;
};
struct AliasChange {
  const RegistryEvent* event = nullptr;  // alias_set, alias_removed or rollback
};
struct RegisteredModel {
  std::string name;
  std::vector<ModelVersion> versions;
  std::map<std::string, std::int64_t> aliases;  // current: alias -> version
  std::vector<const RegistryEvent*> alias_history;
};
// The models (in order of their first event); pointers into `events`.
std::vector<RegisteredModel> fold_registry(const std::vector<RegistryEvent>& events);
const RegisteredModel& find_registered_model(const std::vector<RegisteredModel>& models, const std::string& name);

// Appends `events` (their seq, prev_hash, actor, target, time, hashes and signatures are filled here) in ONE
// commit pinned to `read.table_version`; false when another writer committed since (nothing written), so the
// caller reads again and decides again.
bool commit_registry_events(const IncidentContext& context, const RegistryRead& read,
                            std::vector<RegistryEvent>& events);

// Checks the rows as the other chained tables (seq, hash, chain, actor, signature) and that the history is
// consistent: versions 1, 2, ... per model, registered once; alias events naming a registered version.
IncidentVerifyResult verify_registry_events(const std::vector<RegistryEvent>& events, const Principals& principals);

}  // namespace driftgov::gov
