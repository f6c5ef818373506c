#include "driftgov/monitor/config.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "driftgov/core/text_distance.hpp"
#include "driftgov/delta/predicate.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/gov/approvals.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/profiling.hpp"

namespace driftgov::monitor {
namespace {

// ------------------------------------------------------------------------------------------ names and paths

// Issues in file order (those of the command line, without a position, first); equal positions keep their order.
std::vector<ConfigIssue> sorted(std::vector<ConfigIssue> issues) {
  std::stable_sort(issues.begin(), issues.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  return issues;
}

bool is_identifier(std::string_view text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char character) { return std::isalnum(static_cast<unsigned char>(character)) || character == '_'; });
}

bool is_uri(const std::string& text) {
  const auto colon = text.find("://");
  if (colon == std::string::npos || colon == 0) return false;
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon), [](char character) {
    return std::isalnum(static_cast<unsigned char>(character)) || character == '+' || character == '.' || character == '-';
  });
}

// `path` as written under `base` (a folder or URI): URIs and absolute paths stay as they are (normalised).
std::string resolve_path(const std::string& base, const std::string& path) {
  if (is_uri(path)) return path;
  std::string result = path;
  if (!path.starts_with('/')) {
    if (is_uri(base)) {
      std::string joined = base;
      while (joined.ends_with('/')) joined.pop_back();
      return joined + "/" + path;
    }
    result = base + "/" + path;
  }
  return io::normalize_path(result);
}

// "; did you mean 'x'?" or nothing.
std::string suggestion(const std::string& name, const std::vector<std::string>& candidates) {
  const auto closest = closest_name(name, candidates);
  return closest.empty() ? std::string() : fmt::format("; did you mean '{}'?", closest);
}

// ------------------------------------------------------------------------------------------ reading YAML

constexpr int kMaxVariableText = 1 << 20;  // a substituted string longer than this is refused

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

// Where a second YAML document starts, if there is one. YAML::LoadAll is not used: in yaml-cpp 0.7 it loops
// forever on a stray ',' at the top level (upstream pull request 1319); asking the parser for two documents at
// most cannot.
std::optional<YAML::Mark> second_document(const std::string& text) {
  struct DocumentStart : YAML::EventHandler {
    void OnDocumentStart(const YAML::Mark& where) override { mark = where; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
    YAML::Mark mark = YAML::Mark::null_mark();
  };
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStart first, second;
  if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) return std::nullopt;
  return second.mark;
}

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string path;  // "monitors.demand_forecast.table"
};

// A YAML mapping's entries by key, in file order.
struct Mapping {
  std::vector<Entry> entries;
  const Entry* find(const std::string& key) const {
    for (const auto& entry : entries) {
      if (entry.key.Scalar() == key) return &entry;
    }
    return nullptr;
  }
};

using Variables = std::map<std::string, std::string>;

class Loader {
 public:
  Loader(std::string file, std::string folder, const LoadOptions& options)
      : file_(std::move(file)), folder_(std::move(folder)), options_(options) {}

  Config load(const std::string& text);

 private:
  SourcePosition at(const YAML::Mark& mark) const {
    if (mark.is_null()) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
  }
  // Where a value was written; a value left empty (`key:`) has no mark of its own, so its key's.
  SourcePosition at(const Entry& entry) const {
    return entry.value.IsDefined() && !entry.value.Mark().is_null() ? at(entry.value.Mark()) : at(entry.key.Mark());
  }
  SourcePosition at(const YAML::Node& node, const SourcePosition& fallback) const {
    return node.IsDefined() && !node.Mark().is_null() ? at(node.Mark()) : fallback;
  }
  void add(const SourcePosition& where, std::string message) { issues_.push_back({where, std::move(message)}); }
  void expected(const Entry& entry, const std::string& what) {
    add(at(entry), fmt::format("{}: expected {}, found {}", entry.path, what, describe(entry.value)));
  }

  std::optional<Mapping> mapping(const Entry& entry, const std::vector<std::string>& allowed);
  std::vector<Entry> sequence(const Entry& entry, const std::string& what);
  std::optional<std::string> raw_text(const Entry& entry, const std::string& what = "a string");
  std::optional<std::string> substitute(const std::string& text, const Entry& entry, const Variables& variables,
                                        const std::string& target);
  std::optional<std::string> text(const Entry& entry, const std::string& what = "a string");
  std::optional<std::string> column_name(const Entry& entry);
  std::optional<double> number(const Entry& entry);
  std::optional<std::int64_t> whole(const Entry& entry, std::int64_t minimum);
  std::optional<bool> flag(const Entry& entry);
  std::optional<std::size_t> choice(const Entry& entry, const std::vector<std::string>& names);
  std::vector<std::string> column_list(const Entry& entry, MonitorConfig& monitor, const std::string& position_key);

  void declare_variables(const Entry& entry);
  void read_targets(const Entry& entry, Config& config);
  void read_principals(const Entry& entry, Config& config);
  void read_governance(const Entry& entry, Config& config);
  void read_registry_mirror(const Entry& entry, Config& config);
  void read_lineage(const Entry& entry, Config& config);
  // A text value starting with http:// or https://; std::nullopt (and the issue recorded) otherwise.
  std::optional<std::string> http_url(const Entry& entry, const std::string& what);
  Variables variables_for(const std::string& target, std::vector<std::string>& missing);
  void read_monitor(const Entry& entry, Config& config);
  void read_baseline(const Entry& entry, MonitorConfig& monitor);
  void read_columns(const Entry& entry, MonitorConfig& monitor);
  void read_drift(const Entry& entry, MonitorConfig& monitor);
  void read_breach(const Entry& entry, MonitorConfig& monitor);
  void read_schedule(const Entry& entry, MonitorConfig& monitor);
  void read_slicing(const Entry& entry, MonitorConfig& monitor);
  void read_remediation(const Entry& entry, MonitorConfig& monitor, const Config& config);
  void read_remediation_trainer(const Entry& entry, MonitorConfig& monitor, RemediationConfig& remediation);
  std::optional<RemediationSource> read_remediation_source(const Entry& entry, MonitorConfig& monitor,
                                                           const std::string& lakehouse, const char* kind);

  std::string file_;
  std::string folder_;
  const LoadOptions& options_;
  std::vector<ConfigIssue> issues_;
  // Declared variables: default (when given) and where they were declared.
  std::map<std::string, std::optional<std::string>> defaults_;
  std::map<std::string, SourcePosition> declared_at_;
  std::map<std::string, Variables> target_overrides_;
  // The substitution in force: the selected target's variables and name.
  Variables variables_;
  std::string target_;
};

std::optional<Mapping> Loader::mapping(const Entry& entry, const std::vector<std::string>& allowed) {
  if (!entry.value.IsMap()) {
    expected(entry, "a mapping");
    return std::nullopt;
  }
  Mapping result;
  std::set<std::string> seen;
  for (const auto& item : entry.value) {
    const YAML::Node& key = item.first;
    if (!key.IsScalar()) {
      add(at(key, at(entry)), fmt::format("{}: expected a name as key, found {}", entry.path, describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string path = entry.path.empty() ? name : entry.path + "." + name;
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      const auto hint = suggestion(name, allowed);
      add(at(key.Mark()), hint.empty() ? fmt::format("{}: unknown key '{}'; expected one of: {}",
                                                     entry.path.empty() ? "top level" : entry.path, name,
                                                     fmt::join(allowed, ", "))
                                       : fmt::format("{}: unknown key '{}'{}", entry.path.empty() ? "top level" : entry.path,
                                                     name, hint));
      continue;
    }
    if (!seen.insert(name).second) {
      add(at(key.Mark()), fmt::format("{}: duplicate key '{}'", entry.path.empty() ? "top level" : entry.path, name));
      continue;
    }
    result.entries.push_back({key, item.second, path});
  }
  return result;
}

std::vector<Entry> Loader::sequence(const Entry& entry, const std::string& what) {
  std::vector<Entry> items;
  if (!entry.value.IsSequence()) {
    expected(entry, what);
    return items;
  }
  std::size_t index = 0;
  for (const auto& item : entry.value) {
    items.push_back({entry.key, item, fmt::format("{}[{}]", entry.path, index++)});
  }
  return items;
}

std::optional<std::string> Loader::raw_text(const Entry& entry, const std::string& what) {
  if (!entry.value.IsScalar()) {
    expected(entry, what);
    return std::nullopt;
  }
  return entry.value.Scalar();
}

std::optional<std::string> Loader::substitute(const std::string& text, const Entry& entry, const Variables& variables,
                                               const std::string& target) {
  std::string result;
  std::size_t position = 0;
  while (true) {
    const auto start = text.find("${", position);
    if (start == std::string::npos) break;
    result.append(text, position, start - position);
    const auto end = text.find('}', start + 2);
    if (end == std::string::npos) {
      add(at(entry), fmt::format("{}: expected '}}' closing the '${{' at character {} of '{}'", entry.path, start + 1, text));
      return std::nullopt;
    }
    const std::string reference = text.substr(start + 2, end - start - 2);
    if (reference == "target") {
      result += target;
    } else if (reference.starts_with("var.")) {
      const std::string name = reference.substr(4);
      const auto found = variables.find(name);
      if (found == variables.end()) {
        std::vector<std::string> names;
        for (const auto& [declared, value] : defaults_) names.push_back(declared);
        const auto hint = suggestion(name, names);
        add(at(entry), fmt::format("{}: unknown variable '{}' in '{}'{}", entry.path, name, text,
                                   !hint.empty()        ? hint
                                   : names.empty()      ? std::string("; no variables are declared")
                                                        : fmt::format("; expected one of: {}", fmt::join(names, ", "))));
        return std::nullopt;
      }
      result += found->second;
    } else {
      add(at(entry), fmt::format("{}: expected ${{var.NAME}} or ${{target}}, found '${{{}}}'", entry.path, reference));
      return std::nullopt;
    }
    if (result.size() > static_cast<std::size_t>(kMaxVariableText)) {
      add(at(entry), fmt::format("{}: the text grows beyond {} bytes with its variables", entry.path, kMaxVariableText));
      return std::nullopt;
    }
    position = end + 1;
  }
  result.append(text, position, std::string::npos);
  return result;
}

std::optional<std::string> Loader::text(const Entry& entry, const std::string& what) {
  const auto raw = raw_text(entry, what);
  if (!raw) return std::nullopt;
  return substitute(*raw, entry, variables_, target_);
}

std::optional<std::string> Loader::column_name(const Entry& entry) {
  auto name = text(entry, "a column name");
  if (name && name->empty()) {
    expected(entry, "a column name");
    return std::nullopt;
  }
  return name;
}

std::optional<double> Loader::number(const Entry& entry) {
  const auto written = text(entry, "a number");
  if (!written) return std::nullopt;
  double value = 0.0;
  if (!YAML::convert<double>::decode(YAML::Node(*written), value)) {
    expected(entry, "a number");
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> Loader::whole(const Entry& entry, std::int64_t minimum) {
  const auto written = text(entry, "a whole number");
  if (!written) return std::nullopt;
  std::int64_t value = 0;
  if (!YAML::convert<std::int64_t>::decode(YAML::Node(*written), value)) {
    expected(entry, "a whole number");
    return std::nullopt;
  }
  if (value < minimum) {
    add(at(entry), fmt::format("{}: expected a whole number >= {}, found {}", entry.path, minimum, value));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Loader::flag(const Entry& entry) {
  const auto written = text(entry, "true or false");
  if (!written) return std::nullopt;
  bool value = false;
  if (!YAML::convert<bool>::decode(YAML::Node(*written), value)) {
    expected(entry, "true or false");
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t> Loader::choice(const Entry& entry, const std::vector<std::string>& names) {
  const auto written = text(entry, fmt::format("one of {}", fmt::join(names, ", ")));
  if (!written) return std::nullopt;
  const auto found = std::find(names.begin(), names.end(), *written);
  if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
  add(at(entry), fmt::format("{}: expected one of {}, found '{}'{}", entry.path, fmt::join(names, ", "), *written,
                             suggestion(*written, names)));
  return std::nullopt;
}

std::vector<std::string> Loader::column_list(const Entry& entry, MonitorConfig& monitor, const std::string& position_key) {
  std::vector<std::string> names;
  std::size_t index = 0;
  for (const auto& item : sequence(entry, "a list of column names")) {
    if (auto name = column_name(item)) {
      monitor.positions[fmt::format("{}[{}]", position_key, index)] = at(item);
      names.push_back(std::move(*name));
    }
    ++index;
  }
  return names;
}

// ------------------------------------------------------------------------------------------ variables, targets

void Loader::declare_variables(const Entry& entry) {
  const auto declared = mapping(entry, {});
  if (!declared) return;
  for (const auto& variable : declared->entries) {
    const std::string& name = variable.key.Scalar();
    if (!is_identifier(name)) {
      add(at(variable.key.Mark()), fmt::format("{}: expected a variable name (letters, digits, _), found '{}'", entry.path, name));
      continue;
    }
    declared_at_[name] = at(variable.key.Mark());
    defaults_[name] = std::nullopt;
    if (variable.value.IsScalar()) {  // shorthand: `name: value`
      defaults_[name] = variable.value.Scalar();
      continue;
    }
    if (variable.value.IsNull()) continue;
    const auto fields = mapping(variable, {"default", "description"});
    if (!fields) continue;
    if (const auto* value = fields->find("default")) defaults_[name] = raw_text(*value, "a text value");
    if (const auto* description = fields->find("description")) (void)raw_text(*description);
  }
}

void Loader::read_targets(const Entry& entry, Config& config) {
  const auto targets = mapping(entry, {});
  if (!targets) return;
  if (targets->entries.empty()) add(at(entry), fmt::format("{}: expected at least one target, found none", entry.path));
  std::vector<std::pair<std::string, Entry>> lakehouses;
  for (const auto& target_entry : targets->entries) {
    TargetConfig target;
    target.name = target_entry.key.Scalar();
    const auto fields = mapping(target_entry, {"mode", "lakehouse", "default", "variables"});
    config.targets[target.name] = target;  // known even when its fields are wrong, for target selection
    if (!fields) continue;
    if (const auto* mode = fields->find("mode")) {
      const std::vector<std::string> modes = {"development", "production"};
      if (const auto index = choice(*mode, modes)) target.mode = modes[*index];
    } else {
      target.mode = "development";
    }
    if (const auto* is_default = fields->find("default")) target.is_default = flag(*is_default).value_or(false);
    if (const auto* variables = fields->find("variables")) {
      if (const auto overrides = mapping(*variables, {})) {
        for (const auto& variable : overrides->entries) {
          const std::string& name = variable.key.Scalar();
          if (!defaults_.contains(name)) {
            std::vector<std::string> names;
            for (const auto& [declared, value] : defaults_) names.push_back(declared);
            add(at(variable.key.Mark()),
                fmt::format("{}: variable '{}' is not declared under the top-level variables{}", variables->path, name,
                            suggestion(name, names)));
            continue;
          }
          if (const auto value = raw_text(variable, "a text value")) {
            target_overrides_[target.name][name] = *value;
          }
        }
      }
    }
    if (const auto* lakehouse = fields->find("lakehouse")) {
      // Resolved once the variables of this target are known (below).
      if (lakehouse->value.IsScalar()) {
        lakehouses.push_back({target.name, *lakehouse});
      } else {
        expected(*lakehouse, "a folder or URI");
      }
    } else {
      add(at(target_entry.key.Mark()), fmt::format("{}: missing key 'lakehouse' (the folder or URI of the target's tables)",
                                                    target_entry.path));
    }
    config.targets[target.name] = target;
  }
  // Lakehouse roots, each with its own target's variables.
  for (const auto& [name, lakehouse] : lakehouses) {
    std::vector<std::string> missing;  // reported for the selected target only
    const auto variables = variables_for(name, missing);
    if (!missing.empty()) continue;
    const auto resolved = substitute(lakehouse.value.Scalar(), lakehouse, variables, name);
    if (resolved && resolved->empty()) expected(lakehouse, "a folder or URI");
    if (resolved && !resolved->empty()) config.targets[name].lakehouse = resolve_path(folder_, *resolved);
  }
}

// ------------------------------------------------------------------------------------------ lineage

std::optional<std::string> Loader::http_url(const Entry& entry, const std::string& what) {
  const auto value = text(entry, "an http:// or https:// URL");
  if (value && !(value->starts_with("http://") || value->starts_with("https://"))) {
    add(at(entry), fmt::format("{}: expected an http:// or https:// URL{}, found '{}'", entry.path, what, *value));
    return std::nullopt;
  }
  return value;
}

void Loader::read_lineage(const Entry& entry, Config& config) {
  const auto fields = mapping(entry, {"namespace", "file", "url", "endpoint", "api_key_env", "timeout_seconds"});
  if (!fields) return;
  auto& lineage = config.lineage;
  lineage.job_namespace = config.project;
  if (const auto* name = fields->find("namespace")) lineage.job_namespace = text(*name, "a namespace").value_or("");
  if (const auto* file = fields->find("file")) {
    const auto path = text(*file, "a file path");
    const auto& lakehouse = config.targets.contains(config.target) ? config.targets.at(config.target).lakehouse : "";
    if (path && !path->empty()) lineage.file = resolve_path(lakehouse.empty() ? folder_ : lakehouse, *path);
  }
  if (const auto* url = fields->find("url")) lineage.url = http_url(*url, "").value_or("");
  if (const auto* endpoint = fields->find("endpoint")) {
    if (const auto value = text(*endpoint, "a path starting with /")) {
      if (!value->starts_with('/')) {
        add(at(*endpoint), fmt::format("{}: expected a path starting with /, found '{}'", endpoint->path, *value));
      } else {
        lineage.endpoint = *value;
      }
    }
  }
  if (const auto* key = fields->find("api_key_env")) lineage.api_key_env = text(*key, "an environment variable name").value_or("");
  if (const auto* timeout = fields->find("timeout_seconds")) {
    if (const auto value = number(*timeout)) {
      if (!(*value > 0 && *value <= 300)) {
        add(at(*timeout), fmt::format("{}: expected a number of seconds in (0, 300], found {}", timeout->path, *value));
      } else {
        lineage.timeout_seconds = *value;
      }
    }
  }
  if (!lineage.enabled()) add(at(entry), "lineage: expected `file`, `url` or both (where the events go)");
}

// ------------------------------------------------------------------------------------------ principals

void Loader::read_principals(const Entry& entry, Config& config) {
  const auto principals = mapping(entry, {});
  if (!principals) return;
  std::vector<std::string> target_names;
  for (const auto& [name, target] : config.targets) target_names.push_back(name);
  std::map<std::string, std::string> owner_of_key;  // public key text -> principal
  for (const auto& principal_entry : principals->entries) {
    gov::Principal principal;
    principal.name = principal_entry.key.Scalar();
    if (!gov::is_principal_name(principal.name)) {
      add(at(principal_entry.key.Mark()),
          fmt::format("{}: expected a principal name (letters, digits, '_', '-', '.', '@'), found '{}'", entry.path,
                      principal.name));
      continue;
    }
    const auto fields = mapping(principal_entry, {"type", "public_key", "roles"});
    if (!fields) continue;
    bool complete = true;
    if (const auto* type = fields->find("type")) {
      const auto index = choice(*type, {"user", "service_principal"});
      if (index) principal.type = *index == 0 ? gov::PrincipalType::kUser : gov::PrincipalType::kServicePrincipal;
      complete = complete && index.has_value();
    } else {
      add(at(principal_entry.key.Mark()),
          fmt::format("{}: missing key 'type' (user or service_principal)", principal_entry.path));
      complete = false;
    }
    if (const auto* key = fields->find("public_key")) {
      const auto written = text(*key, "an Ed25519 public key 'ed25519:<base64>'");
      complete = complete && written.has_value();
      if (written) {
        try {
          principal.public_key = gov::parse_public_key(*written, key->path);
          const auto [owner, fresh] = owner_of_key.emplace(principal.public_key.text(), principal.name);
          if (!fresh) {
            add(at(*key), fmt::format("{}: the same public key as principal '{}'; each principal needs its own key",
                                      key->path, owner->second));
            complete = false;
          }
        } catch (const core::InputError& error) {
          add(at(*key), error.what());
          complete = false;
        }
      }
    } else {
      add(at(principal_entry.key.Mark()),
          fmt::format("{}: missing key 'public_key' (the 'public_key:' line `driftgov principal keygen {}` prints)",
                      principal_entry.path, principal.name));
      complete = false;
    }
    if (const auto* roles = fields->find("roles")) {
      if (const auto per_target = mapping(*roles, {})) {
        for (const auto& target_roles : per_target->entries) {
          const std::string& target = target_roles.key.Scalar();
          if (!config.targets.contains(target)) {
            add(at(target_roles.key.Mark()),
                fmt::format("{}: unknown target '{}'{}", roles->path, target,
                            closest_name(target, target_names).empty()
                                ? fmt::format("; expected one of: {}", fmt::join(target_names, ", "))
                                : suggestion(target, target_names)));
            complete = false;
            continue;
          }
          auto& held = principal.roles[target];
          for (const auto& role_entry : sequence(target_roles, "a list of roles")) {
            const auto index = choice(role_entry, gov::role_names());
            if (!index) {
              complete = false;
              continue;
            }
            if (!held.insert(static_cast<gov::Role>(*index)).second) {
              add(at(role_entry), fmt::format("{}: role '{}' is listed twice", role_entry.path, gov::role_names()[*index]));
            }
          }
        }
      }
    }
    if (complete) config.principals[principal.name] = std::move(principal);
  }
}

void Loader::read_governance(const Entry& entry, Config& config) {
  const auto fields = mapping(entry, {"approvals", "registry"});
  if (!fields) return;
  if (const auto* registry = fields->find("registry")) read_registry_mirror(*registry, config);
  const auto* approvals = fields->find("approvals");
  if (approvals == nullptr) return;
  const auto settings = mapping(*approvals, {"required", "expires"});
  if (!settings) return;
  if (const auto* required = settings->find("required")) {
    if (const auto value = whole(*required, 1)) config.governance.approvals_required = *value;
  }
  if (const auto* expires = settings->find("expires")) {
    if (const auto written = text(*expires, "a duration such as 72h")) {
      try {
        config.governance.approval_expiry_us = gov::parse_duration_us(*written, expires->path);
      } catch (const core::InputError& error) {
        add(at(*expires), error.what());
      }
    }
  }
}

// governance.registry.mlflow (docs/governance.md, "MLflow mirror").
void Loader::read_registry_mirror(const Entry& entry, Config& config) {
  const auto registry = mapping(entry, {"mlflow"});
  if (!registry) return;
  const auto* block = registry->find("mlflow");
  if (block == nullptr) return;
  const auto fields = mapping(*block, {"tracking_uri", "token_env", "timeout_seconds"});
  if (!fields) return;
  auto& mlflow = config.governance.mlflow;
  if (const auto* uri = fields->find("tracking_uri")) {
    mlflow.tracking_uri = http_url(*uri, " (the MLflow tracking server)").value_or("");
  } else {
    add(at(*block), fmt::format("{}: expected `tracking_uri` (the MLflow tracking server's URL)", block->path));
  }
  if (const auto* token = fields->find("token_env")) {
    mlflow.token_env = text(*token, "an environment variable name").value_or("");
  }
  if (const auto* timeout = fields->find("timeout_seconds")) {
    if (const auto value = number(*timeout)) {
      if (!(*value > 0 && *value <= 300)) {
        add(at(*timeout), fmt::format("{}: expected a number of seconds in (0, 300], found {}", timeout->path, *value));
      } else {
        mlflow.timeout_seconds = *value;
      }
    }
  }
}

// Defaults, then the target's values, then --var; `${target}` inside a value is the target's name. Variables with
// none of them go to `missing` (with an empty value, so that substitution can go on without reporting them at every
// use).
Variables Loader::variables_for(const std::string& target, std::vector<std::string>& missing) {
  Variables values;
  const auto overrides = target_overrides_.find(target);
  for (const auto& [name, value] : defaults_) {
    const auto command_line = options_.variables.find(name);
    if (command_line != options_.variables.end()) {
      values[name] = command_line->second;
    } else if (overrides != target_overrides_.end() && overrides->second.contains(name)) {
      values[name] = overrides->second.at(name);
    } else if (value) {
      values[name] = *value;
    } else {
      missing.push_back(name);
      values[name] = "";
    }
  }
  for (auto& [name, value] : values) {
    std::string replaced;
    std::size_t position = 0;
    for (auto found = value.find("${target}"); found != std::string::npos; found = value.find("${target}", position)) {
      replaced.append(value, position, found - position);
      replaced += target;
      position = found + 9;
    }
    replaced.append(value, position, std::string::npos);
    value = std::move(replaced);
  }
  return values;
}

// ------------------------------------------------------------------------------------------ monitors

const std::vector<std::string>& monitor_keys() {
  static const std::vector<std::string> keys = {
      "table",         "profile_type", "timestamp_col", "granularities", "model_id_col", "prediction_col",
      "label_col",     "prediction_proba_col", "problem_type", "baseline", "slicing_exprs", "columns",
      "drift",         "breach",       "schedule",      "output_schema", "remediation"};
  return keys;
}

void Loader::read_monitor(const Entry& entry, Config& config) {
  MonitorConfig monitor;
  monitor.name = entry.key.Scalar();
  monitor.where = at(entry.key.Mark());
  if (!is_identifier(monitor.name)) {
    add(monitor.where, fmt::format("{}: expected a monitor name (letters, digits, _), found '{}'", entry.path, monitor.name));
  }
  const auto fields = mapping(entry, monitor_keys());
  if (!fields) return;
  for (const auto& field : fields->entries) monitor.positions[field.key.Scalar()] = at(field);
  const auto& lakehouse = config.targets.contains(config.target) ? config.targets.at(config.target).lakehouse : std::string();

  if (const auto* table = fields->find("table")) {
    if (const auto path = text(*table, "a table path")) {
      if (path->empty()) {
        expected(*table, "a table path");
      } else {
        monitor.table = resolve_path(lakehouse, *path);
      }
    }
  }
  if (const auto* type = fields->find("profile_type")) {
    const std::vector<std::string> names = {"snapshot", "time_series", "inference_log"};
    if (const auto index = choice(*type, names)) monitor.profile_type = static_cast<ProfileType>(*index);
  }
  for (const auto& [key, member] : std::vector<std::pair<const char*, std::string MonitorConfig::*>>{
           {"timestamp_col", &MonitorConfig::timestamp_col},
           {"model_id_col", &MonitorConfig::model_id_col},
           {"prediction_col", &MonitorConfig::prediction_col},
           {"label_col", &MonitorConfig::label_col},
           {"prediction_proba_col", &MonitorConfig::prediction_proba_col}}) {
    if (const auto* column = fields->find(key)) monitor.*member = column_name(*column).value_or("");
  }
  if (const auto* granularities = fields->find("granularities")) {
    const auto items = sequence(*granularities, "a list of granularities");
    if (granularities->value.IsSequence() && items.empty()) expected(*granularities, "at least one granularity");
    std::size_t index = 0;
    for (const auto& item : items) {
      monitor.positions[fmt::format("granularities[{}]", index++)] = at(item);
      const auto written = text(item, "a granularity");
      if (!written) continue;
      try {
        auto granularity = parse_granularity(*written, item.path);
        if (std::find(monitor.granularities.begin(), monitor.granularities.end(), granularity) !=
            monitor.granularities.end()) {
          add(at(item), fmt::format("{}: granularity '{}' is listed twice", item.path, granularity.text));
        } else {
          monitor.granularities.push_back(std::move(granularity));
        }
      } catch (const core::InputError& error) {
        add(at(item), error.what());
      }
    }
  }
  if (const auto* problem = fields->find("problem_type")) {
    if (const auto index = choice(*problem, {"classification", "regression"})) {
      monitor.problem_type = static_cast<ProblemType>(*index);
    }
  }
  if (const auto* baseline = fields->find("baseline")) read_baseline(*baseline, monitor);
  if (const auto* slicing = fields->find("slicing_exprs")) read_slicing(*slicing, monitor);
  if (const auto* columns = fields->find("columns")) read_columns(*columns, monitor);
  if (const auto* drift = fields->find("drift")) read_drift(*drift, monitor);
  if (const auto* breach = fields->find("breach")) read_breach(*breach, monitor);
  if (const auto* schedule = fields->find("schedule")) read_schedule(*schedule, monitor);
  if (const auto* remediation = fields->find("remediation")) read_remediation(*remediation, monitor, config);
  if (const auto* schema = fields->find("output_schema")) {
    if (const auto name = text(*schema, "a schema name")) {
      if (is_identifier(*name)) {
        monitor.output_schema = *name;
      } else {
        expected(*schema, "a schema name (letters, digits, _)");
      }
    }
  }
  if (!lakehouse.empty()) monitor.output_root = resolve_path(lakehouse, monitor.output_schema);

  // Keys each profile type needs.
  std::vector<std::string> required = {"table"};
  if (monitor.profile_type != ProfileType::kSnapshot) {
    required.insert(required.end(), {"timestamp_col", "granularities"});
  }
  if (monitor.profile_type == ProfileType::kInferenceLog) required.insert(required.end(), {"problem_type", "prediction_col"});
  for (const auto& key : required) {
    if (fields->find(key) == nullptr) {
      add(monitor.where, fmt::format("{}: missing key '{}'{}", entry.path, key,
                                     key == "table" ? std::string()
                                                    : fmt::format(" (required for profile_type {})",
                                                                  to_string(monitor.profile_type))));
    }
  }
  config.monitors.push_back(std::move(monitor));
}

void Loader::read_baseline(const Entry& entry, MonitorConfig& monitor) {
  const auto fields = mapping(entry, {"table", "version", "profile"});
  if (!fields) return;
  BaselineConfig baseline;
  baseline.where = at(entry);
  for (const auto& field : fields->entries) monitor.positions["baseline." + field.key.Scalar()] = at(field);
  const auto* table = fields->find("table");
  const auto* profile = fields->find("profile");
  if ((table == nullptr) == (profile == nullptr)) {
    add(baseline.where, fmt::format("{}: expected exactly one of 'table' and 'profile', found {}", entry.path,
                                    table == nullptr ? "neither" : "both"));
  }
  if (table != nullptr) {
    // Resolved against the target's lakehouse once every monitor is read (Loader::load).
    if (const auto path = text(*table, "a table path")) baseline.table = *path;
  }
  if (const auto* version = fields->find("version")) {
    if (table == nullptr) {
      add(at(*version), fmt::format("{}: a version needs a baseline 'table'", version->path));
    } else {
      baseline.version = whole(*version, 0);
    }
  }
  if (profile != nullptr) {
    if (const auto path = text(*profile, "a profile file")) baseline.profile = resolve_path(folder_, *path);
  }
  monitor.baseline = std::move(baseline);
}

// "30 days": a whole number and a unit (minute, hour, day, week; singular or plural) as microseconds.
std::optional<std::int64_t> parse_window(const std::string& text) {
  std::istringstream stream(text);
  std::int64_t count = 0;
  std::string unit, rest;
  if (!(stream >> count) || !(stream >> unit) || (stream >> rest) || count < 1) return std::nullopt;
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
  static const std::map<std::string, std::int64_t> units = {
      {"minute", 60'000'000LL}, {"hour", 3'600'000'000LL}, {"day", 86'400'000'000LL}, {"week", 604'800'000'000LL}};
  const auto found = units.find(unit);
  if (found == units.end() || count > std::numeric_limits<std::int64_t>::max() / found->second) return std::nullopt;
  return count * found->second;
}

std::optional<RemediationSource> Loader::read_remediation_source(const Entry& entry, MonitorConfig& monitor,
                                                                 const std::string& lakehouse, const char* kind) {
  const std::string which = kind;
  const std::vector<std::string> keys = which == "features" ? std::vector<std::string>{"table", "keys", "timestamp", "columns"}
                                        : which == "labels" ? std::vector<std::string>{"table", "keys", "timestamp", "label"}
                                                            : std::vector<std::string>{"table", "keys"};
  const auto fields = mapping(entry, keys);
  if (!fields) return std::nullopt;
  RemediationSource source;
  source.position_key = entry.path.substr(std::string("monitors.").size() + monitor.name.size() + 1);
  monitor.positions[source.position_key] = at(entry);
  for (const auto& field : fields->entries) monitor.positions[source.position_key + "." + field.key.Scalar()] = at(field);
  bool complete = true;
  for (const auto& key : keys) {
    if (fields->find(key) == nullptr) {
      add(at(entry), fmt::format("{}: missing key '{}'", entry.path, key));
      complete = false;
    }
  }
  if (const auto* table = fields->find("table")) {
    if (const auto path = text(*table, "a table path"); path && !path->empty()) {
      source.table = resolve_path(lakehouse, *path);
    } else {
      complete = false;
    }
  }
  if (const auto* key_list = fields->find("keys")) {
    source.keys = column_list(*key_list, monitor, source.position_key + ".keys");
    if (key_list->value.IsSequence() && key_list->value.size() == 0) {
      expected(*key_list, "at least one key column");
      complete = false;
    }
  }
  if (const auto* timestamp = fields->find("timestamp")) source.timestamp = column_name(*timestamp).value_or("");
  if (const auto* columns = fields->find("columns")) {
    source.columns = column_list(*columns, monitor, source.position_key + ".columns");
    if (columns->value.IsSequence() && columns->value.size() == 0) expected(*columns, "at least one column");
  }
  if (const auto* label = fields->find("label")) {
    if (auto name = column_name(*label)) source.columns = {*name};
  }
  if (!complete) return std::nullopt;
  return source;
}

// The checks of gov::TrainConfig::parse (docs/evaluation.md, "Training"), each reported at its key.
void Loader::read_remediation_trainer(const Entry& entry, MonitorConfig& monitor, RemediationConfig& remediation) {
  const auto fields = mapping(entry, {"kind", "objective", "label", "features", "rounds", "seed", "format", "params",
                                      "command", "problem"});
  if (!fields) return;
  RemediationTrainer trainer;
  trainer.where = at(entry);
  const auto* command = fields->find("command");
  if (const auto* kind = fields->find("kind")) {
    const std::vector<std::string> kinds = {"xgboost", "random_forest", "command"};
    if (const auto index = choice(*kind, kinds)) trainer.kind = kinds[*index];
    if (command != nullptr && trainer.kind != "command") {
      add(at(*kind), fmt::format("{}: an external trainer (command) has kind 'command' or none, found '{}'",
                                 kind->path, trainer.kind));
    }
    if (command == nullptr && trainer.kind == "command") {
      add(at(*kind), fmt::format("{}: kind 'command' needs the key 'command' (the external trainer's shell command)",
                                 kind->path));
    }
  }
  if (command != nullptr) {
    trainer.kind = "command";
    if (const auto written = text(*command, "the shell command of the external trainer")) {
      if (written->empty()) expected(*command, "the shell command of the external trainer");
      trainer.command = *written;
    }
    for (const char* builtin_only : {"objective", "rounds", "params"}) {
      if (const auto* field = fields->find(builtin_only)) {
        add(at(*field), fmt::format("{}: a setting of the built-in trainer; an external trainer (command) takes "
                                    "command, label, features, seed, format and problem",
                                    field->path));
      }
    }
  }
  if (const auto* problem = fields->find("problem")) {
    const std::vector<std::string> problems = {"classification", "regression"};
    if (command == nullptr) {
      add(at(*problem), fmt::format("{}: only an external trainer (command) takes it; the built-in trainer's "
                                    "objective says the problem",
                                    problem->path));
    } else if (const auto index = choice(*problem, problems)) {
      trainer.problem = problems[*index];
    }
  }
  if (const auto* objective = fields->find("objective")) {
    if (const auto written = text(*objective, "an XGBoost objective")) {
      if (*written != "binary:logistic" && !written->starts_with("reg:")) {
        add(at(*objective), fmt::format("{}: expected binary:logistic or a reg: objective (reg:squarederror, ...), "
                                        "found '{}'",
                                        objective->path, *written));
      }
      trainer.objective = *written;
    }
  }
  const auto key = [&](const char* name) { return "remediation.trainer." + std::string(name); };
  if (const auto* label = fields->find("label")) trainer.label = column_name(*label).value_or("");
  if (const auto* features = fields->find("features")) {
    trainer.features = column_list(*features, monitor, key("features"));
  }
  if (const auto* rounds = fields->find("rounds")) {
    trainer.rounds = whole(*rounds, 1);
    if (trainer.rounds && trainer.kind == "random_forest" && *trainer.rounds != 1) {
      add(at(*rounds), fmt::format("{}: random_forest grows one round (of num_parallel_tree trees), found {}",
                                   rounds->path, *trainer.rounds));
    }
  }
  if (const auto* seed = fields->find("seed")) trainer.seed = static_cast<std::uint64_t>(whole(*seed, 0).value_or(0));
  if (const auto* format = fields->find("format")) {
    if (trainer.kind == "command") {
      if (const auto written = text(*format, "a file extension")) {
        const bool extension = !written->empty() && written->size() <= 16 &&
                               std::all_of(written->begin(), written->end(), [](char c) {
                                 return std::isalnum(static_cast<unsigned char>(c)) != 0;
                               });
        if (!extension) {
          add(at(*format), fmt::format("{}: an external trainer's format is the artefact's file extension (letters "
                                       "and digits, at most 16), found '{}'",
                                       format->path, *written));
        }
        trainer.format = *written;
      }
    } else if (const auto index = choice(*format, {"ubj", "json"})) {
      trainer.format = *index == 0 ? "ubj" : "json";
    }
  }
  if (const auto* params = fields->find("params")) {
    if (const auto param_fields = mapping(*params, {})) {
      for (const auto& param : param_fields->entries) {
        const auto name = param.key.Scalar();
        static const std::set<std::string> fixed = {"nthread", "n_jobs", "seed", "random_state", "objective"};
        if (fixed.contains(name)) {
          add(at(param.key.Mark()), fmt::format("{}: set by the trainer (single-threaded; seed and objective are "
                                                "keys of trainer)",
                                                param.path));
        } else if (trainer.kind == "random_forest" && (name == "eta" || name == "learning_rate") &&
                   !(param.value.IsScalar() && param.value.Scalar() == "1")) {
          add(at(param), fmt::format("{}: random_forest grows one unshrunk round (learning rate 1)", param.path));
        } else if (const auto value = text(param, "a parameter value (a number or a word)")) {
          trainer.params[name] = *value;
        }
      }
    }
  }
  monitor.positions["remediation.trainer"] = trainer.where;
  remediation.trainer = std::move(trainer);
}

void Loader::read_remediation(const Entry& entry, MonitorConfig& monitor, const Config& config) {
  const auto fields = mapping(entry, {"target", "features", "labels", "window", "holdout", "expectations", "slice",
                                      "min_rows_per_slice", "max_drift_vs_recent", "champion_schema", "auto_stage",
                                      "trainer"});
  if (!fields) return;
  RemediationConfig remediation;
  remediation.where = at(entry);
  for (const auto& field : fields->entries) monitor.positions["remediation." + field.key.Scalar()] = at(field);
  const auto& lakehouse = config.targets.contains(config.target) ? config.targets.at(config.target).lakehouse : std::string();
  for (const char* key : {"target", "features", "labels"}) {
    if (fields->find(key) == nullptr) add(remediation.where, fmt::format("{}: missing key '{}'", entry.path, key));
  }
  if (const auto* target = fields->find("target")) {
    if (const auto name = text(*target, "a target name")) {
      std::vector<std::string> names;
      for (const auto& [declared, unused] : config.targets) names.push_back(declared);
      const auto found = config.targets.find(*name);
      if (found == config.targets.end()) {
        add(at(*target), fmt::format("{}: no target '{}'; expected one of: {}{}", target->path, *name,
                                     fmt::join(names, ", "), suggestion(*name, names)));
      } else if (found->second.mode != "development") {
        add(at(*target), fmt::format("{}: target '{}' is a {} target; a retraining set is staged into a development "
                                     "target, never into production",
                                     target->path, *name, found->second.mode));
      } else {
        remediation.target = *name;
        remediation.staging_lakehouse = found->second.lakehouse;
      }
    }
  }
  if (const auto* features = fields->find("features")) {
    const auto items = sequence(*features, "a list of feature sources");
    if (features->value.IsSequence() && items.empty()) expected(*features, "at least one feature source");
    for (const auto& item : items) {
      if (auto source = read_remediation_source(item, monitor, lakehouse, "features")) {
        remediation.features.push_back(std::move(*source));
      }
    }
  }
  if (const auto* labels = fields->find("labels")) {
    if (auto source = read_remediation_source(*labels, monitor, lakehouse, "labels")) remediation.labels = std::move(*source);
  }
  if (const auto* holdout = fields->find("holdout")) remediation.holdout = read_remediation_source(*holdout, monitor, lakehouse, "holdout");
  if (const auto* window = fields->find("window")) {
    if (const auto written = text(*window, "a time window such as '30 days'")) {
      if (const auto micros = parse_window(*written)) {
        remediation.window_text = *written;
        remediation.window_us = *micros;
      } else {
        add(at(*window), fmt::format("{}: expected a time window such as '30 days' (a whole number >= 1 of minutes, "
                                     "hours, days or weeks), found '{}'",
                                     window->path, *written));
      }
    }
  }
  if (const auto* slice = fields->find("slice")) remediation.slice = column_name(*slice).value_or("");
  if (const auto* rows = fields->find("min_rows_per_slice")) remediation.min_rows_per_slice = whole(*rows, 1).value_or(1);
  if (const auto* drift = fields->find("max_drift_vs_recent")) {
    if (const auto drift_fields = mapping(*drift, {"metric", "value"})) {
      const std::vector<std::string> metrics = {"population_stability_index", "js_distance"};
      if (const auto* metric = drift_fields->find("metric")) {
        if (const auto index = choice(*metric, metrics)) remediation.drift_metric = metrics[*index];
      }
      if (const auto* value = drift_fields->find("value")) {
        const auto number = this->number(*value);
        if (number && !(*number > 0.0)) {
          add(at(*value), fmt::format("{}: expected a number > 0, found {}", value->path, *number));
        } else {
          remediation.max_drift_vs_recent = number;
        }
      } else {
        add(at(*drift), fmt::format("{}: missing key 'value' (the largest drift allowed)", drift->path));
      }
    }
  }
  if (const auto* champion = fields->find("champion_schema")) {
    if (const auto champion_fields = mapping(*champion, {"manifest", "table"})) {
      const auto* manifest = champion_fields->find("manifest");
      const auto* table = champion_fields->find("table");
      if ((manifest == nullptr) == (table == nullptr)) {
        add(at(*champion), fmt::format("{}: expected exactly one of 'manifest' and 'table', found {}", champion->path,
                                       manifest == nullptr ? "neither" : "both"));
      }
      if (manifest != nullptr) {
        monitor.positions["remediation.champion_schema.manifest"] = at(*manifest);
        if (const auto path = text(*manifest, "a training manifest file")) remediation.champion_manifest = resolve_path(folder_, *path);
      }
      if (table != nullptr) {
        monitor.positions["remediation.champion_schema.table"] = at(*table);
        if (const auto path = text(*table, "a table path")) remediation.champion_table = resolve_path(lakehouse, *path);
      }
    }
  }
  if (const auto* automatic = fields->find("auto_stage")) remediation.auto_stage = flag(*automatic).value_or(false);
  if (const auto* trainer = fields->find("trainer")) read_remediation_trainer(*trainer, monitor, remediation);
  if (const auto* expectations = fields->find("expectations")) {
    for (const auto& item : sequence(*expectations, "a list of expectations")) {
      const auto expectation_fields = mapping(item, {"column", "columns", "not_null", "min", "max", "allowed", "unique"});
      if (!expectation_fields) continue;
      Expectation expectation;
      expectation.position_key = item.path.substr(std::string("monitors.").size() + monitor.name.size() + 1);
      monitor.positions[expectation.position_key] = at(item);
      const auto* column = expectation_fields->find("column");
      const auto* columns = expectation_fields->find("columns");
      if ((column == nullptr) == (columns == nullptr)) {
        add(at(item), fmt::format("{}: expected exactly one of 'column' and 'columns', found {}", item.path,
                                  column == nullptr ? "neither" : "both"));
        continue;
      }
      if (column != nullptr) {
        if (auto name = column_name(*column)) expectation.columns = {*name};
      } else {
        expectation.columns = column_list(*columns, monitor, expectation.position_key + ".columns");
      }
      if (const auto* not_null = expectation_fields->find("not_null")) expectation.not_null = flag(*not_null).value_or(false);
      if (const auto* unique = expectation_fields->find("unique")) expectation.unique = flag(*unique).value_or(false);
      if (const auto* min = expectation_fields->find("min")) expectation.min = number(*min);
      if (const auto* max = expectation_fields->find("max")) expectation.max = number(*max);
      if (const auto* allowed = expectation_fields->find("allowed")) {
        for (const auto& value : sequence(*allowed, "a list of allowed values")) {
          if (auto written = text(value, "a value")) expectation.allowed.push_back(std::move(*written));
        }
      }
      if (columns != nullptr && (expectation.not_null || expectation.min || expectation.max || !expectation.allowed.empty())) {
        add(at(item), fmt::format("{}: 'columns' (several) goes with 'unique' only; give not_null, min, max and "
                                  "allowed per 'column'",
                                  item.path));
      }
      if (!expectation.not_null && !expectation.unique && !expectation.min && !expectation.max &&
          expectation_fields->find("allowed") == nullptr) {
        add(at(item), fmt::format("{}: expected at least one of not_null, min, max, allowed, unique", item.path));
      }
      remediation.expectations.push_back(std::move(expectation));
    }
  }
  monitor.remediation = std::move(remediation);
}

void Loader::read_slicing(const Entry& entry, MonitorConfig& monitor) {
  std::size_t index = 0;
  for (const auto& item : sequence(entry, "a list of slicing expressions")) {
    const auto position_key = fmt::format("slicing_exprs[{}]", index++);
    monitor.positions[position_key] = at(item);
    const auto expression = text(item, "a slicing expression");
    if (!expression) continue;
    const bool backticked = expression->size() >= 2 && expression->front() == '`' && expression->back() == '`' &&
                            expression->find('`', 1) == expression->size() - 1;
    if (!is_identifier(*expression) && !backticked) {
      try {
        (void)delta::parse_predicate(*expression, item.path);
      } catch (const core::InputError& error) {
        add(at(item), fmt::format("{} (a slicing expression is a column name or a predicate such as \"price > 100\")",
                                  error.what()));
        continue;
      }
    }
    monitor.slicing_exprs.push_back(*expression);
  }
}

void Loader::read_columns(const Entry& entry, MonitorConfig& monitor) {
  const auto fields = mapping(entry, {"include", "exclude", "kinds"});
  if (!fields) return;
  if (const auto* include = fields->find("include")) monitor.columns.include = column_list(*include, monitor, "columns.include");
  if (const auto* exclude = fields->find("exclude")) monitor.columns.exclude = column_list(*exclude, monitor, "columns.exclude");
  for (const auto& name : monitor.columns.include) {
    if (std::find(monitor.columns.exclude.begin(), monitor.columns.exclude.end(), name) != monitor.columns.exclude.end()) {
      add(at(*fields->find("exclude")), fmt::format("{}.exclude: column '{}' is also included", entry.path, name));
    }
  }
  if (const auto* kinds = fields->find("kinds")) {
    if (const auto entries = mapping(*kinds, {})) {
      for (const auto& kind : entries->entries) {
        monitor.positions["columns.kinds." + kind.key.Scalar()] = at(kind.key.Mark());
        const auto written = text(kind, "numeric or categorical");
        if (!written) continue;
        try {
          monitor.columns.kinds[kind.key.Scalar()] = stats::column_kind_from_string(*written, kind.path);
        } catch (const core::InputError& error) {
          add(at(kind), error.what());
        }
      }
    }
  }
}

// Where each drift option was written, keyed by core::OptionName (field and entry key).
using OptionPositions = std::map<std::pair<std::string, std::string>, std::pair<std::string, SourcePosition>>;

// Puts the option DriftOptions::validate named back to its default, so that validation can go on to the next issue.
bool reset_option(stats::DriftOptions& options, const core::OptionName& option) {
  const stats::DriftOptions defaults;
  const auto& field = option.field;
  if (field == "bins") {
    options.bins = defaults.bins;
  } else if (field == "proportion_floor") {
    options.proportion_floor = defaults.proportion_floor;
  } else if (field == "alpha") {
    options.alpha = defaults.alpha;
  } else if (field == "distance_thresholds") {
    options.distance_thresholds = defaults.distance_thresholds;
  } else if (field == "small_sample_limit") {
    options.small_sample_limit = defaults.small_sample_limit;
  } else if (field == "wasserstein_std_floor") {
    options.wasserstein_std_floor = defaults.wasserstein_std_floor;
  } else if (field == "max_category_bins") {
    options.max_category_bins = defaults.max_category_bins;
  } else if (field == "drift_share") {
    options.drift_share = defaults.drift_share;
  } else if (field == "null_rate_min_change") {
    options.null_rate_min_change = defaults.null_rate_min_change;
  } else if (field == "quantiles") {
    options.quantiles = defaults.quantiles;
  } else if (field == "columns[].bins" && options.columns.contains(option.key)) {
    options.columns[option.key].bins.reset();
  } else if ((field == "columns[].threshold" || field == "columns[].test") && options.columns.contains(option.key)) {
    options.columns[option.key].threshold.reset();
    options.columns[option.key].test.reset();
  } else {
    return false;
  }
  return true;
}

void Loader::read_drift(const Entry& entry, MonitorConfig& monitor) {
  const auto fields = mapping(entry, {"test", "bins", "alpha", "correction", "drift_share", "thresholds", "null_rate_test",
                                      "null_rate_min_change", "test_time_columns", "quantiles", "columns",
                                      "proportion_floor", "small_sample_limit", "wasserstein_std_floor",
                                      "max_category_bins"});
  if (!fields) return;
  auto& options = monitor.drift;
  OptionPositions positions;
  for (const auto& field : fields->entries) {
    const std::string& key = field.key.Scalar();
    positions[{key, ""}] = {field.path, at(field)};
    monitor.positions["drift." + key] = at(field);
    try {
      if (key == "test") {
        if (const auto name = text(field, "a test name")) options.test = stats::drift_test_from_string(*name, field.path);
      } else if (key == "correction") {
        if (const auto name = text(field, "a correction")) options.correction = stats::correction_from_string(*name, field.path);
      } else if (key == "bins") {
        if (const auto value = whole(field, std::numeric_limits<int>::min())) {
          options.bins = static_cast<int>(std::clamp<std::int64_t>(*value, std::numeric_limits<int>::min(),
                                                                    std::numeric_limits<int>::max()));
        }
      } else if (key == "small_sample_limit") {
        if (const auto value = whole(field, std::numeric_limits<std::int64_t>::min())) options.small_sample_limit = *value;
      } else if (key == "max_category_bins") {
        if (const auto value = whole(field, 1)) options.max_category_bins = static_cast<std::size_t>(*value);
      } else if (key == "null_rate_test" || key == "test_time_columns") {
        if (const auto value = flag(field)) (key == "null_rate_test" ? options.null_rate_test : options.test_time_columns) = *value;
      } else if (key == "quantiles") {
        std::vector<double> quantiles;
        bool complete = true;
        for (const auto& item : sequence(field, "a list of numbers")) {
          const auto value = number(item);
          complete = complete && value.has_value();
          if (value) quantiles.push_back(*value);
        }
        if (complete && field.value.IsSequence()) options.quantiles = std::move(quantiles);
      } else if (key == "thresholds") {
        if (const auto thresholds = mapping(field, {})) {
          for (const auto& threshold : thresholds->entries) {
            stats::DriftTest test;
            try {
              test = stats::drift_test_from_string(threshold.key.Scalar(), threshold.path);
            } catch (const core::InputError& error) {
              add(at(threshold.key.Mark()), error.what());
              continue;
            }
            if (test == stats::DriftTest::kAuto || stats::is_hypothesis_test(test)) {
              add(at(threshold.key.Mark()),
                  fmt::format("{}: expected a distance ({}), found the {}; the threshold of ks and chi-squared is "
                              "{}.alpha",
                              threshold.path, "population_stability_index, js_distance, hellinger, ...",
                              test == stats::DriftTest::kAuto ? "automatic choice" : "hypothesis test",
                              entry.path));
              continue;
            }
            positions[{"distance_thresholds", stats::metric_name(test)}] = {threshold.path, at(threshold)};
            if (const auto value = number(threshold)) options.distance_thresholds[test] = *value;
          }
        }
      } else if (key == "columns") {
        if (const auto columns = mapping(field, {})) {
          for (const auto& column : columns->entries) {
            const std::string& name = column.key.Scalar();
            monitor.positions["drift.columns." + name] = at(column.key.Mark());
            const auto settings = mapping(column, {"test", "threshold", "bins"});
            if (!settings) continue;
            auto& column_options = options.columns[name];
            if (const auto* test = settings->find("test")) {
              positions[{"columns[].test", name}] = {test->path, at(*test)};
              if (const auto test_name = text(*test, "a test name")) {
                try {
                  column_options.test = stats::drift_test_from_string(*test_name, test->path);
                } catch (const core::InputError& error) {
                  add(at(*test), error.what());
                }
              }
            }
            if (const auto* threshold = settings->find("threshold")) {
              positions[{"columns[].threshold", name}] = {threshold->path, at(*threshold)};
              column_options.threshold = number(*threshold);
            }
            if (const auto* bins = settings->find("bins")) {
              positions[{"columns[].bins", name}] = {bins->path, at(*bins)};
              if (const auto value = whole(*bins, std::numeric_limits<int>::min())) {
                column_options.bins = static_cast<int>(std::clamp<std::int64_t>(
                    *value, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
              }
            }
          }
        }
      } else {
        if (const auto value = number(field)) {
          if (key == "alpha") options.alpha = *value;
          if (key == "drift_share") options.drift_share = *value;
          if (key == "null_rate_min_change") options.null_rate_min_change = *value;
          if (key == "proportion_floor") options.proportion_floor = *value;
          if (key == "wasserstein_std_floor") options.wasserstein_std_floor = *value;
        }
      }
    } catch (const core::InputError& error) {
      add(at(field), error.what());
    }
  }
  // DriftOptions::validate reports one option at a time: report it where it was written, put it back to its
  // default and validate again, until every option passes.
  for (std::size_t round = 0; round < 64; ++round) {
    try {
      options.validate();
      return;
    } catch (const core::InputError& error) {
      const auto named = error.options();
      const auto spell = [&](const core::OptionName& option) {
        auto found = positions.find({option.field, option.key});
        if (found == positions.end()) found = positions.find({option.field, ""});
        return found != positions.end() ? found->second.first : entry.path + "." + core::to_string(option);
      };
      SourcePosition where = at(entry);
      if (!named.empty()) {
        auto found = positions.find({named.front().field, named.front().key});
        if (found == positions.end()) found = positions.find({named.front().field, ""});
        if (found != positions.end()) where = found->second.second;
      }
      add(where, error.message_with(spell));
      if (named.empty() || !reset_option(options, named.front())) return;
    }
  }
}

void Loader::read_breach(const Entry& entry, MonitorConfig& monitor) {
  std::size_t index = 0;
  for (const auto& item : sequence(entry, "a list of breach rules")) {
    const auto rule_index = index++;
    monitor.positions[fmt::format("breach[{}]", rule_index)] = at(item);
    const auto fields = mapping(item, {"metric", "op", "value", "drift_type", "num_violation_windows", "columns"});
    if (!fields) continue;
    BreachRule rule;
    rule.where = at(item);
    bool complete = true;
    if (const auto* metric = fields->find("metric")) {
      const auto name = text(*metric, "a metric name");
      if (name && (drift_metric_names().contains(*name) || profile_metric_names().contains(*name))) {
        rule.metric = *name;
      } else {
        if (name) {
          std::vector<std::string> known(drift_metric_names().begin(), drift_metric_names().end());
          known.insert(known.end(), profile_metric_names().begin(), profile_metric_names().end());
          add(at(*metric), fmt::format("{}: expected a metric a breach rule can name (such as dataset_drift, "
                                       "population_stability_index, r2_score; docs/monitoring.md lists them), found "
                                       "{}{}", metric->path, describe(metric->value), suggestion(*name, known)));
        }
        complete = false;
      }
    } else {
      add(rule.where, fmt::format("{}: missing key 'metric'", item.path));
      complete = false;
    }
    std::string value_text;
    if (const auto* op = fields->find("op")) {
      const std::vector<std::string> names = {"<", "<=", ">", ">=", "==", "!="};
      if (const auto chosen = choice(*op, names)) {
        rule.op = static_cast<BreachOp>(*chosen);
      } else {
        complete = false;
      }
    }
    if (const auto* value = fields->find("value")) {
      rule.value = number(*value);
      if (rule.value) {
        value_text = value->value.Scalar();
      } else {
        complete = false;
      }
    }
    const bool verdict = rule.metric == "dataset_drift" || rule.metric == "drifted";
    if (complete && (rule.op.has_value() != rule.value.has_value() || (!verdict && !rule.op))) {
      add(rule.where, fmt::format("{}: metric '{}' needs both 'op' and 'value' (for example op: \">=\", value: 0.2)",
                                  item.path, rule.metric));
      complete = false;
    }
    if (const auto* type = fields->find("drift_type")) {
      const std::vector<std::string> names = {"BASELINE", "CONSECUTIVE"};
      if (const auto chosen = choice(*type, names)) rule.drift_type = names[*chosen];
    }
    if (const auto* windows = fields->find("num_violation_windows")) {
      if (const auto count = whole(*windows, 1)) {
        rule.num_violation_windows = static_cast<int>(std::min<std::int64_t>(*count, 1 << 20));
      }
    }
    if (const auto* columns = fields->find("columns")) {
      rule.columns = column_list(*columns, monitor, fmt::format("breach[{}].columns", rule_index));
    }
    if (!complete) continue;
    rule.text = rule.metric;
    if (rule.op) rule.text += fmt::format(" {} {}", to_string(*rule.op), value_text);
    if (!rule.columns.empty()) rule.text += fmt::format(" on {}", fmt::join(rule.columns, ", "));
    if (rule.drift_type != "BASELINE") rule.text += fmt::format(" ({})", rule.drift_type);
    if (rule.num_violation_windows > 1) rule.text += fmt::format(" for {} windows", rule.num_violation_windows);
    monitor.breach.push_back(std::move(rule));
  }
}

void Loader::read_schedule(const Entry& entry, MonitorConfig& monitor) {
  const auto fields = mapping(entry, {"quartz_cron_expression", "timezone_id"});
  if (!fields) return;
  for (const auto& field : fields->entries) monitor.positions["schedule." + field.key.Scalar()] = at(field);
  std::optional<CronSchedule> cron;
  TimeZone zone = TimeZone::utc();
  bool complete = true;
  if (const auto* expression = fields->find("quartz_cron_expression")) {
    if (const auto written = text(*expression, "a Quartz cron expression")) {
      try {
        cron = CronSchedule::parse(*written, expression->path);
      } catch (const core::InputError& error) {
        add(at(*expression), error.what());
      }
    }
  } else {
    add(at(entry), fmt::format("{}: missing key 'quartz_cron_expression'", entry.path));
  }
  if (const auto* zone_entry = fields->find("timezone_id")) {
    if (const auto id = text(*zone_entry, "a time zone such as UTC or Europe/Paris")) {
      try {
        zone = TimeZone::named(*id, zone_entry->path);
      } catch (const core::InputError& error) {
        add(at(*zone_entry), error.what());
        complete = false;
      }
    }
  }
  if (cron && complete) monitor.schedule = ScheduleConfig{*cron, zone};
}

// ------------------------------------------------------------------------------------------ hash

nlohmann::json drift_json(const stats::DriftOptions& options) {
  nlohmann::json thresholds = nlohmann::json::object();
  for (const auto& [test, value] : options.distance_thresholds) thresholds[stats::metric_name(test)] = value;
  nlohmann::json columns = nlohmann::json::object();
  for (const auto& [name, column] : options.columns) {
    auto& out = columns[name];
    out = nlohmann::json::object();
    if (column.test) out["test"] = stats::metric_name(*column.test);
    if (column.threshold) out["threshold"] = *column.threshold;
    if (column.bins) out["bins"] = *column.bins;
  }
  return {{"test", options.test ? nlohmann::json(stats::metric_name(*options.test)) : nlohmann::json(nullptr)},
          {"bins", options.bins},
          {"proportion_floor", options.proportion_floor},
          {"alpha", options.alpha},
          {"distance_thresholds", thresholds},
          {"small_sample_limit", options.small_sample_limit},
          {"wasserstein_std_floor", options.wasserstein_std_floor},
          {"max_category_bins", options.max_category_bins},
          {"drift_share", options.drift_share},
          {"null_rate_test", options.null_rate_test},
          {"null_rate_min_change", options.null_rate_min_change},
          {"correction", stats::to_string(options.correction)},
          {"test_time_columns", options.test_time_columns},
          {"quantiles", options.quantiles},
          {"columns", columns}};
}

}  // namespace

nlohmann::json settings_json(const MonitorConfig& monitor) {
  nlohmann::json granularities = nlohmann::json::array();
  for (const auto& granularity : monitor.granularities) granularities.push_back(granularity.text);
  nlohmann::json baseline(nullptr);
  if (monitor.baseline) {
    baseline = {{"table", monitor.baseline->table},
                {"version", monitor.baseline->version ? nlohmann::json(*monitor.baseline->version) : nlohmann::json(nullptr)},
                {"profile", monitor.baseline->profile}};
  }
  nlohmann::json kinds = nlohmann::json::object();
  for (const auto& [name, kind] : monitor.columns.kinds) kinds[name] = stats::to_string(kind);
  nlohmann::json breach = nlohmann::json::array();
  for (const auto& rule : monitor.breach) {
    breach.push_back({{"metric", rule.metric},
                      {"op", rule.op ? nlohmann::json(to_string(*rule.op)) : nlohmann::json(nullptr)},
                      {"value", rule.value ? nlohmann::json(*rule.value) : nlohmann::json(nullptr)},
                      {"drift_type", rule.drift_type},
                      {"num_violation_windows", rule.num_violation_windows},
                      {"columns", rule.columns}});
  }
  nlohmann::json schedule(nullptr);
  if (monitor.schedule) schedule = {{"cron", monitor.schedule->cron.text()}, {"timezone_id", monitor.schedule->zone.id()}};
  nlohmann::json json = {
      {"name", monitor.name},
      {"table", monitor.table},
      {"profile_type", to_string(monitor.profile_type)},
      {"timestamp_col", monitor.timestamp_col},
      {"granularities", granularities},
      {"model_id_col", monitor.model_id_col},
      {"prediction_col", monitor.prediction_col},
      {"label_col", monitor.label_col},
      {"prediction_proba_col", monitor.prediction_proba_col},
      {"problem_type", monitor.problem_type ? nlohmann::json(to_string(*monitor.problem_type)) : nlohmann::json(nullptr)},
      {"baseline", baseline},
      {"slicing_exprs", monitor.slicing_exprs},
      {"columns", {{"include", monitor.columns.include}, {"exclude", monitor.columns.exclude}, {"kinds", kinds}}},
      {"drift", drift_json(monitor.drift)},
      {"breach", breach},
      {"schedule", schedule},
      {"output_schema", monitor.output_schema},
      {"output_root", monitor.output_root}};
  return json;
}

namespace {

std::string canonical_json(const MonitorConfig& monitor) {
  // Invalid UTF-8 in a value (YAML files are not checked for it) is replaced, so the hash is still defined.
  return settings_json(monitor).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw core::InternalError("SHA-256 of the monitor configuration failed");
  }
  std::string hex;
  for (unsigned int index = 0; index < length; ++index) hex += fmt::format("{:02x}", digest[index]);
  return hex;
}

// ------------------------------------------------------------------------------------------ the file

Config Loader::load(const std::string& text) {
  Config config;
  config.file = file_;
  YAML::Node root;
  try {
    root = YAML::Load(text);
    if (const auto second = second_document(text)) {
      add(at(*second), "expected the end of the YAML document, found more (a configuration file holds one document)");
      throw ConfigError(std::move(issues_));
    }
  } catch (const YAML::DeepRecursion& error) {
    add(at(error.mark), fmt::format("YAML syntax: expected at most {} nested lists and mappings", error.depth() - 1));
    throw ConfigError(std::move(issues_));
  } catch (const YAML::Exception& error) {
    add(at(error.mark), fmt::format("YAML syntax: {}", error.msg));
    throw ConfigError(std::move(issues_));
  }
  const Entry top{YAML::Node(), root, ""};
  const SourcePosition start{file_, 1, 1};
  if (!root.IsMap()) {
    add(at(root, start), fmt::format("expected a mapping with project, variables, targets, principals, governance, lineage and monitors, found {}",
                                     describe(root)));
    throw ConfigError(std::move(issues_));
  }
  const auto fields = mapping(top, {"project", "variables", "targets", "principals", "governance", "lineage", "monitors"});
  if (const auto* variables = fields->find("variables")) declare_variables(*variables);
  for (const auto& [name, value] : options_.variables) {
    if (!defaults_.contains(name)) {
      std::vector<std::string> names;
      for (const auto& [declared, unused] : defaults_) names.push_back(declared);
      add({file_, 0, 0}, fmt::format("--var {}: no variable '{}' is declared under variables{}", name, name,
                                     suggestion(name, names)));
    }
  }
  if (const auto* targets = fields->find("targets")) {
    read_targets(*targets, config);
  } else {
    add(start, "missing key 'targets' (at least one target with its lakehouse)");
  }

  // The target: --target, else the one marked default, else the only one.
  std::vector<std::string> names;
  for (const auto& [name, target] : config.targets) names.push_back(name);
  if (!options_.target.empty()) {
    if (config.targets.contains(options_.target)) {
      config.target = options_.target;
    } else if (!config.targets.empty()) {
      add({file_, 0, 0}, fmt::format("--target {}: no such target; expected one of: {}{}", options_.target,
                                     fmt::join(names, ", "), suggestion(options_.target, names)));
    }
  } else {
    std::vector<std::string> defaults;
    for (const auto& [name, target] : config.targets) {
      if (target.is_default) defaults.push_back(name);
    }
    if (defaults.size() == 1) {
      config.target = defaults.front();
    } else if (defaults.size() > 1) {
      add(start, fmt::format("targets: expected one target with default: true, found {} ({}); choose one with --target",
                             defaults.size(), fmt::join(defaults, ", ")));
    } else if (config.targets.size() == 1) {
      config.target = config.targets.begin()->first;
    } else if (config.targets.size() > 1) {
      add(start, fmt::format("targets: none has default: true; choose one with --target ({})", fmt::join(names, ", ")));
    }
  }
  // Without a target (already reported) substitution goes on with the defaults, so that one mistake is not
  // reported again at every use of a variable.
  target_ = config.target;
  std::vector<std::string> missing;
  variables_ = variables_for(config.target, missing);
  if (!config.target.empty()) {
    for (const auto& name : missing) {
      add(declared_at_[name], fmt::format("variables.{}: no value for target '{}': give it a default, a value "
                                          "under targets.{}.variables or --var {}=VALUE",
                                          name, config.target, config.target, name));
    }
    config.variables = variables_;
  }

  if (const auto* project = fields->find("project")) {
    config.project = this->text(*project, "a project name").value_or("");
  } else {
    add(start, "missing key 'project'");
  }
  if (const auto* principals = fields->find("principals")) read_principals(*principals, config);
  if (const auto* governance = fields->find("governance")) read_governance(*governance, config);
  if (const auto* lineage = fields->find("lineage")) read_lineage(*lineage, config);
  if (const auto* monitors = fields->find("monitors")) {
    if (const auto entries = mapping(*monitors, {})) {
      for (const auto& monitor : entries->entries) read_monitor(monitor, config);
    }
  } else {
    add(start, "missing key 'monitors'");
  }
  // Baseline tables resolve like `table`, against the target's lakehouse.
  for (auto& monitor : config.monitors) {
    if (monitor.baseline && !monitor.baseline->table.empty()) {
      const auto& lakehouse = config.targets.contains(config.target) ? config.targets.at(config.target).lakehouse : "";
      monitor.baseline->table = resolve_path(lakehouse, monitor.baseline->table);
    }
    monitor.config_hash = sha256_hex(canonical_json(monitor));
  }
  if (!issues_.empty()) throw ConfigError(sorted(std::move(issues_)));
  return config;
}

// ------------------------------------------------------------------------------------------ tables

// A column's kind as a monitor profiles it: the `kinds` override, else the type's default.
stats::ColumnKind kind_of(const MonitorConfig& monitor, const core::Field& field) {
  const auto found = monitor.columns.kinds.find(field.name);
  return found != monitor.columns.kinds.end() ? found->second : stats::default_kind(field.type);
}

class TableChecker {
 public:
  explicit TableChecker(const Config& config) : config_(config) {}
  std::vector<ConfigIssue> check() {
    for (const auto& monitor : config_.monitors) check(monitor);
    return std::move(issues_);
  }
  std::vector<ConfigIssue> check_remediation_only(const MonitorConfig& monitor) {
    if (monitor.remediation) check_remediation(monitor);
    return std::move(issues_);
  }

 private:
  SourcePosition at(const MonitorConfig& monitor, const std::string& key) const {
    const auto found = monitor.positions.find(key);
    return found != monitor.positions.end() ? found->second : monitor.where;
  }
  void add(const SourcePosition& where, std::string message) { issues_.push_back({where, std::move(message)}); }

  std::optional<delta::Snapshot> open(const MonitorConfig& monitor, const std::string& key, const std::string& path,
                                      std::optional<std::int64_t> version) {
    try {
      return delta::Snapshot::load(path, delta::TimeTravel{version, std::nullopt});
    } catch (const core::InputError& error) {
      // A table that exists without the version asked for: the version is wrong, not the table.
      std::string where_key = key;
      if (version) {
        try {
          (void)delta::Snapshot::load(path);
          where_key = "baseline.version";
        } catch (const core::InputError&) {
        } catch (const core::IOError&) {
        }
      }
      add(at(monitor, where_key), fmt::format("monitors.{}.{}: {}", monitor.name, where_key, error.what()));
    } catch (const core::IOError& error) {
      add(at(monitor, key), fmt::format("monitors.{}.{}: {}", monitor.name, key, error.what()));
    }
    return std::nullopt;
  }

  void require_column(const MonitorConfig& monitor, const std::string& key, const std::string& name,
                      const core::Schema& schema) {
    if (name.empty() || schema.find(name)) return;
    std::vector<std::string> names;
    for (const auto& field : schema.fields) names.push_back(field.name);
    add(at(monitor, key), fmt::format("monitors.{}.{}: no column '{}' in table '{}'{}", monitor.name, key, name,
                                      monitor.table, suggestion(name, names)));
  }

  // The columns the monitor profiles: `include` (or every column), less `exclude` and the monitor's own.
  std::vector<const core::Field*> monitored(const MonitorConfig& monitor, const core::Schema& schema) const {
    std::vector<const core::Field*> fields;
    for (const auto& field : schema.fields) {
      const auto& include = monitor.columns.include;
      const auto& exclude = monitor.columns.exclude;
      if (!include.empty() && std::find(include.begin(), include.end(), field.name) == include.end()) continue;
      if (std::find(exclude.begin(), exclude.end(), field.name) != exclude.end()) continue;
      if (field.name == monitor.timestamp_col || field.name == monitor.model_id_col) continue;
      fields.push_back(&field);
    }
    return fields;
  }

  // The remediation's tables exist and hold the columns it names (docs/governance.md, "Remediation").
  void check_remediation(const MonitorConfig& monitor) {
    const auto& remediation = *monitor.remediation;
    std::vector<const RemediationSource*> sources;
    for (const auto& source : remediation.features) sources.push_back(&source);
    if (!remediation.labels.table.empty()) sources.push_back(&remediation.labels);
    if (remediation.holdout) sources.push_back(&*remediation.holdout);
    for (const auto* source : sources) {
      const auto snapshot = open(monitor, source->position_key + ".table", source->table, std::nullopt);
      if (!snapshot) continue;
      const auto& schema = snapshot->schema().schema;
      std::vector<std::string> names;
      for (const auto& field : schema.fields) names.push_back(field.name);
      const auto require = [&](const std::string& key, const std::string& name) {
        const auto index = schema.find(name);
        if (!index) {
          add(at(monitor, key), fmt::format("monitors.{}.{}: no column '{}' in table '{}'{}", monitor.name, key, name,
                                            source->table, suggestion(name, names)));
          return static_cast<const core::Field*>(nullptr);
        }
        return &schema.fields[*index];
      };
      for (std::size_t i = 0; i < source->keys.size(); ++i) {
        require(fmt::format("{}.keys[{}]", source->position_key, i), source->keys[i]);
      }
      if (!source->timestamp.empty()) {
        const auto key = source->position_key + ".timestamp";
        const auto* field = require(key, source->timestamp);
        if (field != nullptr && field->type.id != core::TypeId::kTimestamp && field->type.id != core::TypeId::kDate) {
          add(at(monitor, key), fmt::format("monitors.{}.{}: column '{}' of '{}' is {}; expected a timestamp or date",
                                            monitor.name, key, source->timestamp, source->table, field->type.to_string()));
        }
      }
      for (std::size_t i = 0; i < source->columns.size(); ++i) {
        require(source == &remediation.labels ? source->position_key + ".label"
                                              : fmt::format("{}.columns[{}]", source->position_key, i),
                source->columns[i]);
      }
    }
    if (!remediation.champion_table.empty()) {
      (void)open(monitor, "remediation.champion_schema.table", remediation.champion_table, std::nullopt);
    }
    if (!remediation.champion_manifest.empty()) {
      const auto key = std::string("remediation.champion_schema.manifest");
      try {
        const auto manifest = nlohmann::json::parse(io::read_file(io::local_storage(), remediation.champion_manifest),
                                                    nullptr, false);
        if (manifest.is_discarded() || !manifest.is_object() || !manifest.contains("features") ||
            !manifest.contains("label")) {
          add(at(monitor, key), fmt::format("monitors.{}.{}: '{}' is not a training manifest (expected the JSON "
                                            "object driftgov model train writes, with features and label)",
                                            monitor.name, key, remediation.champion_manifest));
        }
      } catch (const std::runtime_error& error) {  // core::InputError (no such file), core::IOError
        add(at(monitor, key), fmt::format("monitors.{}.{}: {}", monitor.name, key, error.what()));
      }
    }
    // The slice and the expectations name columns of the candidate.
    std::vector<std::string> candidate = remediation.labels.keys;
    candidate.push_back(remediation.labels.timestamp);
    for (const auto& source : remediation.features) candidate.insert(candidate.end(), source.columns.begin(), source.columns.end());
    candidate.insert(candidate.end(), remediation.labels.columns.begin(), remediation.labels.columns.end());
    const auto require_candidate = [&](const std::string& key, const std::string& name) {
      if (name.empty() || std::find(candidate.begin(), candidate.end(), name) != candidate.end()) return;
      add(at(monitor, key), fmt::format("monitors.{}.{}: '{}' is not a column of the retraining set (its columns: "
                                        "{}){}",
                                        monitor.name, key, name, fmt::join(candidate, ", "), suggestion(name, candidate)));
    };
    require_candidate("remediation.slice", remediation.slice);
    for (const auto& expectation : remediation.expectations) {
      for (const auto& column : expectation.columns) require_candidate(expectation.position_key, column);
    }
  }

  void check(const MonitorConfig& monitor) {
    if (monitor.remediation) check_remediation(monitor);
    const auto snapshot = open(monitor, "table", monitor.table, std::nullopt);
    std::optional<core::Schema> schema;
    if (snapshot) schema = snapshot->schema().schema;
    if (schema) check_columns(monitor, *schema);
    if (!monitor.baseline) return;
    const auto& baseline = *monitor.baseline;
    if (!baseline.table.empty()) {
      const auto baseline_snapshot = open(monitor, "baseline.table", baseline.table, baseline.version);
      if (baseline_snapshot && schema) {
        std::vector<std::pair<std::string, std::pair<stats::ColumnKind, std::string>>> columns;
        for (const auto& field : baseline_snapshot->schema().schema.fields) {
          columns.push_back({field.name, {kind_of(monitor, field), field.type.to_string()}});
        }
        check_baseline(monitor, *schema, columns, "baseline.table", fmt::format("baseline table '{}'", baseline.table));
      }
    } else if (!baseline.profile.empty()) {
      try {
        const auto profile = load_profile(baseline.profile);
        std::vector<std::pair<std::string, std::pair<stats::ColumnKind, std::string>>> columns;
        for (const auto& column : profile.columns) columns.push_back({column.name, {column.kind, column.type.to_string()}});
        if (schema) {
          check_baseline(monitor, *schema, columns, "baseline.profile",
                         fmt::format("baseline profile '{}'", baseline.profile));
        }
      } catch (const core::InputError& error) {
        add(at(monitor, "baseline.profile"), fmt::format("monitors.{}.baseline.profile: cannot read the profile: {}",
                                                         monitor.name, error.what()));
      } catch (const core::IOError& error) {
        add(at(monitor, "baseline.profile"), fmt::format("monitors.{}.baseline.profile: cannot read the profile: {}",
                                                         monitor.name, error.what()));
      }
    }
  }

  void check_columns(const MonitorConfig& monitor, const core::Schema& schema) {
    for (const auto* key : {"timestamp_col", "model_id_col", "prediction_col", "label_col", "prediction_proba_col"}) {
      const auto found = monitor.positions.find(key);
      if (found == monitor.positions.end()) continue;
      const std::string& name = std::string(key) == "timestamp_col"    ? monitor.timestamp_col
                                : std::string(key) == "model_id_col"   ? monitor.model_id_col
                                : std::string(key) == "prediction_col" ? monitor.prediction_col
                                : std::string(key) == "label_col"      ? monitor.label_col
                                                                       : monitor.prediction_proba_col;
      require_column(monitor, key, name, schema);
    }
    if (const auto index = schema.find(monitor.timestamp_col); index && !monitor.timestamp_col.empty()) {
      const auto& type = schema.fields[*index].type;
      if (type.id != core::TypeId::kTimestamp && type.id != core::TypeId::kDate) {
        add(at(monitor, "timestamp_col"),
            fmt::format("monitors.{}.timestamp_col: expected a timestamp or date column, found '{}' of type {}",
                        monitor.name, monitor.timestamp_col, type.to_string()));
      }
    }
    const auto check_list = [&](const std::vector<std::string>& names, const std::string& key) {
      for (std::size_t index = 0; index < names.size(); ++index) {
        require_column(monitor, fmt::format("{}[{}]", key, index), names[index], schema);
      }
    };
    check_list(monitor.columns.include, "columns.include");
    check_list(monitor.columns.exclude, "columns.exclude");
    for (std::size_t rule = 0; rule < monitor.breach.size(); ++rule) {
      check_list(monitor.breach[rule].columns, fmt::format("breach[{}].columns", rule));
    }
    for (const auto& [name, kind] : monitor.columns.kinds) {
      require_column(monitor, "columns.kinds." + name, name, schema);
      const auto index = schema.find(name);
      if (index && kind == stats::ColumnKind::kNumeric && !schema.fields[*index].type.is_numeric() &&
          schema.fields[*index].type.id != core::TypeId::kBoolean) {
        add(at(monitor, "columns.kinds." + name),
            fmt::format("monitors.{}.columns.kinds.{}: column '{}' has type {}, which cannot be profiled as numeric",
                        monitor.name, name, name, schema.fields[*index].type.to_string()));
      }
    }
    for (const auto& [name, options] : monitor.drift.columns) require_column(monitor, "drift.columns." + name, name, schema);
    for (std::size_t index = 0; index < monitor.slicing_exprs.size(); ++index) {
      const auto key = fmt::format("slicing_exprs[{}]", index);
      const auto& expression = monitor.slicing_exprs[index];
      if (is_identifier(expression)) {
        require_column(monitor, key, expression, schema);
        continue;
      }
      if (expression.front() == '`' && expression.back() == '`' && expression.find('`', 1) == expression.size() - 1) {
        require_column(monitor, key, expression.substr(1, expression.size() - 2), schema);
        continue;
      }
      try {
        const auto context = fmt::format("monitors.{}.{}", monitor.name, key);
        const delta::BoundPredicate bound(delta::parse_predicate(expression, context), schema, context);
      } catch (const core::InputError& error) {
        add(at(monitor, key), error.what());
      }
    }
  }

  void check_baseline(const MonitorConfig& monitor, const core::Schema& schema,
                      const std::vector<std::pair<std::string, std::pair<stats::ColumnKind, std::string>>>& baseline,
                      const std::string& key, const std::string& description) {
    std::vector<std::string> missing;
    for (const auto* field : monitored(monitor, schema)) {
      const auto found = std::find_if(baseline.begin(), baseline.end(),
                                      [&](const auto& column) { return column.first == field->name; });
      if (found == baseline.end()) {
        missing.push_back(field->name);
        continue;
      }
      const auto kind = kind_of(monitor, *field);
      if (found->second.first != kind) {
        add(at(monitor, key),
            fmt::format("monitors.{}.{}: column '{}' is {} ({}) in the table but {} ({}) in the {}; expected the same "
                        "kind (set columns.kinds.{} or fix the baseline)",
                        monitor.name, key, field->name, stats::to_string(kind), field->type.to_string(),
                        stats::to_string(found->second.first), found->second.second, description, field->name));
      }
    }
    if (!missing.empty()) {
      add(at(monitor, key), fmt::format("monitors.{}.{}: the {} lacks monitored column{} {} (expected every monitored "
                                        "column of '{}'; exclude the others under columns.exclude)",
                                        monitor.name, key, description, missing.size() > 1 ? "s" : "",
                                        fmt::format("'{}'", fmt::join(missing, "', '")), monitor.table));
    }
  }

  const Config& config_;
  std::vector<ConfigIssue> issues_;
};

}  // namespace

std::string ConfigIssue::text() const {
  if (where.line <= 0) return fmt::format("{}: {}", where.file, message);
  return fmt::format("{}:{}:{}: {}", where.file, where.line, where.column, message);
}

namespace {
std::string joined_text(const std::vector<ConfigIssue>& issues) {
  std::string text;
  for (const auto& issue : issues) {
    if (!text.empty()) text += '\n';
    text += issue.text();
  }
  return text;
}
}  // namespace

ConfigError::ConfigError(std::vector<ConfigIssue> issues) : core::InputError(joined_text(issues)), issues_(std::move(issues)) {}

const char* to_string(ProfileType type) {
  switch (type) {
    case ProfileType::kSnapshot:
      return "snapshot";
    case ProfileType::kTimeSeries:
      return "time_series";
    case ProfileType::kInferenceLog:
      return "inference_log";
  }
  return "snapshot";
}

const char* to_string(ProblemType type) {
  return type == ProblemType::kClassification ? "classification" : "regression";
}

const char* to_string(BreachOp op) {
  switch (op) {
    case BreachOp::kLess:
      return "<";
    case BreachOp::kLessEqual:
      return "<=";
    case BreachOp::kGreater:
      return ">";
    case BreachOp::kGreaterEqual:
      return ">=";
    case BreachOp::kEqual:
      return "==";
    case BreachOp::kNotEqual:
      return "!=";
  }
  return "==";
}

const TimeZone& MonitorConfig::zone() const {
  static const TimeZone utc = TimeZone::utc();
  return schedule ? schedule->zone : utc;
}

const TargetConfig& Config::selected_target() const {
  const auto found = targets.find(target);
  if (found == targets.end()) throw core::InternalError(fmt::format("{}: no target '{}' was selected", file, target));
  return found->second;
}

const MonitorConfig& Config::monitor(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& monitor : monitors) {
    if (monitor.name == name) return monitor;
    names.push_back(monitor.name);
  }
  throw core::InputError(fmt::format("{}: no monitor '{}'{}; the monitors are: {}", file, name, suggestion(name, names),
                                     names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ", "))));
}

const std::set<std::string>& drift_metric_names() {
  static const std::set<std::string> names = {
      "dataset_drift", "share_of_drifted_columns", "count_delta", "avg_delta", "percent_null_delta",
      "js_distance", "wasserstein_distance", "population_stability_index", "tv_distance", "l_infinity_distance",
      "hellinger_distance", "ks_test", "ks_test.statistic", "ks_test.pvalue", "chi_squared_test",
      "chi_squared_test.statistic", "chi_squared_test.pvalue", "drifted", "drift_statistic", "pvalue_adjusted"};
  return names;
}

const std::set<std::string>& profile_metric_names() {
  static const std::set<std::string> names = {
      // per column
      "count", "num_nulls", "percent_null", "percent_zeros", "avg", "percent_distinct", "min", "max", "stddev",
      // the :table row: model quality
      "accuracy_score", "precision.macro", "precision.weighted", "recall.macro", "recall.weighted",
      "f1_score.macro", "f1_score.weighted", "roc_auc", "log_loss", "mean_squared_error", "root_mean_squared_error",
      "mean_absolute_error", "mean_absolute_percentage_error", "r2_score", "labelled_rows", "quality_invalid_rows"};
  return names;
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  return core::closest_name(name, candidates);
}

Config load_config_text(const std::string& text, const std::string& file_name, const LoadOptions& options) {
  Loader loader(file_name, io::parent_folder(io::absolute_local_path(file_name)), options);
  return loader.load(text);
}

Config load_config(const std::string& path, const LoadOptions& options) {
  return load_config_text(io::read_file(io::local_storage(), path), path, options);
}

void check_config_tables(const Config& config) {
  auto issues = TableChecker(config).check();
  if (!issues.empty()) throw ConfigError(sorted(std::move(issues)));
}

void check_remediation_tables(const Config& config, const MonitorConfig& monitor) {
  auto issues = TableChecker(config).check_remediation_only(monitor);
  if (!issues.empty()) throw ConfigError(sorted(std::move(issues)));
}

}  // namespace driftgov::monitor
