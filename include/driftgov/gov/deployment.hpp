#pragma once
// `driftgov deploy` (docs/deploy.md): applies a configuration to a target. It creates the tables the monitors write
// (empty, with their schemas) when absent, registers each monitor with its configuration hash in the target's
// `governance/monitors` table, and, with an acting principal, appends a `deploy` entry to the audit log. The
// configuration's provenance is recorded: the SHA-256 of the file's bytes, and the git commit of the work tree it
// lives in (with whether the tree had uncommitted changes).
#include <cstdint>
#include <string>
#include <vector>

namespace driftgov::gov {

struct GitState {
  bool in_work_tree = false;
  std::string commit;                // HEAD's full hash; "" when the repository has no commit yet
  std::vector<std::string> changed;  // `git status --porcelain` lines: modified, staged or untracked files
  bool dirty() const { return !changed.empty(); }
};

// The git state of the work tree holding `folder` (git from PATH); not in a work tree when git is missing or the
// folder is outside any repository.
GitState inspect_git(const std::string& folder);

struct MonitorRegistration {
  std::string monitor, table, config_hash;
};

struct DeploymentRecord {
  std::string deploy_id;  // a UUID
  std::int64_t time_us = 0;
  std::string actor;      // "" when no principal acted (a configuration without principals)
  std::string target, mode;
  std::string config_sha256;
  std::string git_commit;  // "" outside git
  bool git_dirty = false;
  std::vector<MonitorRegistration> monitors;
};

// <lakehouse>/governance/monitors: one row per monitor and deployment (deploy_id, deployed_at, actor, target,
// monitor, table, config_hash, config_sha256, git_commit, git_dirty).
std::string monitors_registry_table(const std::string& lakehouse);

// Appends the deployment's rows (one commit, idempotent on the deploy id).
void record_deployment(const std::string& lakehouse, const DeploymentRecord& record);

}  // namespace driftgov::gov
