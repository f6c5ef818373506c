#include "driftgov/gov/mlflow_mirror.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/registry.hpp"
#include "driftgov/io/http.hpp"

namespace driftgov::gov {
namespace {

using nlohmann::json;

// One MLflow server: its REST calls, each failing with the URL and MLflow's own error text.
class MlflowClient {
 public:
  explicit MlflowClient(const MlflowConfig& config) : config_(config) {
    auto base = config.tracking_uri;
    while (base.ends_with('/')) base.pop_back();
    base_ = base + "/api/2.0/mlflow/";
    headers_.emplace_back("Content-Type: application/json");
    if (!config.token_env.empty()) {
      const char* token = std::getenv(config.token_env.c_str());
      if (token == nullptr || *token == '\0') {
        throw core::InputError(fmt::format("governance.registry.mlflow.token_env: the environment variable {} is not "
                                           "set (it should hold the MLflow token)",
                                           config.token_env));
      }
      headers_.push_back(fmt::format("Authorization: Bearer {}", token));
    }
  }

  // The JSON answer of a 2xx status; std::nullopt for an error whose error_code is `tolerated`.
  std::optional<json> call(const std::string& method, const std::string& endpoint, const json& body,
                           const std::string& tolerated = "") {
    std::string url = base_ + endpoint;
    std::string payload;
    if (method == "GET") {
      std::string separator = "?";
      for (const auto& [key, value] : body.items()) {
        url += separator + key + "=" + io::url_encode(value.is_string() ? value.get<std::string>() : value.dump());
        separator = "&";
      }
    } else {
      payload = body.dump();
    }
    const auto response = io::http_request(method, url, payload, headers_, config_.timeout_seconds);
    const auto answer = json::parse(response.body, nullptr, false);
    if (response.status >= 200 && response.status <= 299) {
      if (!answer.is_object()) {
        throw core::IOError(url, "MLflow " + method, 0,
                            fmt::format("HTTP {} with a body that is not a JSON object: {}", response.status,
                                        response.body.substr(0, 200)));
      }
      return answer;
    }
    const auto code = answer.is_object() ? answer.value("error_code", std::string()) : std::string();
    if (!tolerated.empty() && code == tolerated) return std::nullopt;
    const auto message = answer.is_object() ? answer.value("message", std::string()) : response.body.substr(0, 200);
    throw core::IOError(url, "MLflow " + method, 0,
                        fmt::format("HTTP {}{}: {}", response.status, code.empty() ? "" : " " + code, message));
  }

 private:
  const MlflowConfig& config_;
  std::string base_;
  std::vector<std::string> headers_;
};

// The tags an MLflow version carries for the driftgov version registered by `event` (empty values left out: MLflow
// versions of files have no training version).
std::map<std::string, std::string> version_tags(const RegistryEvent& event) {
  std::map<std::string, std::string> tags{{"driftgov.version", std::to_string(event.version)},
                                          {"driftgov.artefact_sha256", event.artefact_sha256},
                                          {"driftgov.artefact", event.artefact},
                                          {"driftgov.evaluation_digest", event.evaluation_digest},
                                          {"driftgov.incident_id", event.incident_id},
                                          {"driftgov.training_table", event.training_table},
                                          {"driftgov.training_version", event.training_version}};
  const auto approvals = json::parse(event.approvals, nullptr, false);
  std::vector<std::string> approvers;
  if (approvals.is_object() && approvals.contains("approvers") && approvals["approvers"].is_array()) {
    for (const auto& approver : approvals["approvers"]) {
      if (approver.is_string()) approvers.push_back(approver.get<std::string>());
    }
  }
  tags["driftgov.approvers"] = fmt::format("{}", fmt::join(approvers, ","));
  std::erase_if(tags, [](const auto& tag) { return tag.second.empty(); });
  return tags;
}

std::map<std::string, std::string> tags_of(const json& version) {
  std::map<std::string, std::string> tags;
  for (const auto& tag : version.value("tags", json::array())) {
    tags[tag.value("key", std::string())] = tag.value("value", std::string());
  }
  return tags;
}

// MLflow refuses a local path (or file:// URI) as a version's source unless it lies in the artifact folder of an
// MLflow run, so the source names the artefact by the target whose lakehouse holds it and its content-addressed
// name: driftgov://<target>/registry/artefacts/<sha256>.<ext>. The tag driftgov.artefact holds its full path.
std::string source_uri(const RegistryEvent& event) {
  const auto slash = event.artefact.find_last_of('/');
  return fmt::format("driftgov://{}/registry/artefacts/{}", event.target,
                     slash == std::string::npos ? event.artefact : event.artefact.substr(slash + 1));
}

// A single-quoted string literal of MLflow's search filter grammar.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

MirrorOutcome mirror_model(const MlflowConfig& config, const RegisteredModel& model) {
  MlflowClient client(config);
  MirrorOutcome outcome;
  outcome.model_created =
      client.call("POST", "registered-models/create",
                  {{"name", model.name}, {"description", "mirrored from the driftgov registry"}},
                  "RESOURCE_ALREADY_EXISTS")
          .has_value();
  for (const auto& version : model.versions) {
    const auto& registered = *version.registered;
    const auto wanted = version_tags(registered);
    const auto found = client.call(
        "GET", "model-versions/search",
        {{"filter", fmt::format("name={} and tag.driftgov.version={}", quoted(model.name),
                                quoted(std::to_string(version.version)))},
         {"max_results", "10"}});
    const auto existing = found->value("model_versions", json::array());
    std::string number;
    std::map<std::string, std::string> has;
    if (existing.empty()) {
      json tags = json::array();
      for (const auto& [key, value] : wanted) tags.push_back({{"key", key}, {"value", value}});
      const auto created = client.call(
          "POST", "model-versions/create",
          {{"name", model.name},
           {"source", source_uri(registered)},
           {"tags", tags},
           {"description", fmt::format("driftgov version {} (incident {})", version.version, registered.incident_id)}});
      number = created->at("model_version").value("version", std::string());
      has = wanted;
      ++outcome.versions_created;
    } else {
      number = existing.front().value("version", std::string());
      has = tags_of(existing.front());
    }
    outcome.mlflow_versions[version.version] = number;
    for (const auto& [key, value] : wanted) {
      const auto current = has.find(key);
      if (current != has.end() && current->second == value) continue;
      client.call("POST", "model-versions/set-tag",
                  {{"name", model.name}, {"version", number}, {"key", key}, {"value", value}});
      ++outcome.tags_set;
    }
  }
  const auto got = client.call("GET", "registered-models/get", {{"name", model.name}});
  std::map<std::string, std::string> aliases;
  for (const auto& alias : got->at("registered_model").value("aliases", json::array())) {
    aliases[alias.value("alias", std::string())] = alias.value("version", std::string());
  }
  for (const auto& [alias, version] : model.aliases) {
    const auto& number = outcome.mlflow_versions.at(version);
    const auto current = aliases.find(alias);
    if (current != aliases.end() && current->second == number) continue;
    client.call("POST", "registered-models/alias", {{"name", model.name}, {"alias", alias}, {"version", number}});
    ++outcome.aliases_set;
  }
  std::set<std::string> removed;
  for (const auto* change : model.alias_history) {
    if (!model.aliases.contains(change->alias)) removed.insert(change->alias);
  }
  for (const auto& alias : removed) {
    if (!aliases.contains(alias)) continue;
    client.call("DELETE", "registered-models/alias", {{"name", model.name}, {"alias", alias}});
    ++outcome.aliases_removed;
  }
  return outcome;
}

}  // namespace

MirrorOutcome mirror_to_mlflow(const MlflowConfig& config, const RegisteredModel& model) {
  try {
    return mirror_model(config, model);
  } catch (const json::exception& unexpected) {
    // An answer of another shape than MLflow's REST API documents (a missing field, a field of another type).
    throw core::IOError(config.tracking_uri, "MLflow mirror", 0,
                        fmt::format("an answer of unexpected shape: {}", unexpected.what()));
  }
}

}  // namespace driftgov::gov
