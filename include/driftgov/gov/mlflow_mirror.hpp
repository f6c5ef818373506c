#pragma once
// The MLflow mirror of the embedded model registry (docs/governance.md, "MLflow mirror"): registered models, their
// versions with driftgov's evidence as tags, and their aliases, copied to an MLflow Model Registry over its REST API
// 2.0. The embedded registry stays the source of truth; the mirror only writes what differs, so running it again
// creates nothing twice. MLflow numbers versions itself: the tag driftgov.version on an MLflow version names the
// driftgov version it mirrors, and is how a version is found again.
#include <cstdint>
#include <map>
#include <string>


namespace driftgov::gov {

struct RegisteredModel;

// `governance.registry.mlflow` of the configuration file.
struct MlflowConfig {
  std::string tracking_uri;  // the server's base URL (http:// or https://); "" when no mirror is configured
  std::string token_env;     // an environment variable holding a bearer token; "" for none
  double timeout_seconds = 10.0;
  bool enabled() const { return !tracking_uri.empty(); }
};

// What one mirror run changed in MLflow (all zero and false when MLflow already matched).
struct MirrorOutcome {
  bool model_created = false;
  std::int64_t versions_created = 0;
  std::int64_t tags_set = 0;
  std::int64_t aliases_set = 0;
  std::int64_t aliases_removed = 0;
  std::map<std::int64_t, std::string> mlflow_versions;  // driftgov version -> MLflow's version number
};

// Makes MLflow's copy of `model` match it: the registered model; one MLflow version per driftgov version, with the
// source driftgov://<target>/registry/artefacts/<name> and the tags driftgov.version, .artefact, .artefact_sha256,
// .evaluation_digest, .incident_id, .training_table, .training_version, .approvers; each current alias on its
// version. An alias driftgov removed is deleted from MLflow (aliases driftgov never set are left alone). Throws
// core::IOError naming the URL and MLflow's error (no connection, an HTTP error with MLflow's error_code and
// message); what was written before the failure stays, and the next run completes it.
MirrorOutcome mirror_to_mlflow(const MlflowConfig& config, const RegisteredModel& model);

}  // namespace driftgov::gov
