// Same-harness evaluation: harness pinning, metrics with intervals, gates, the signed record (docs/evaluation.md).
#include "driftgov/gov/evaluation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/core/number_text.hpp"

namespace driftgov::gov {
namespace {

using nlohmann::json;

json optional_json(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

// The rows of each slice value, in row order; slices in value-text order.
std::map<std::string, std::vector<std::size_t>> slice_rows(const std::vector<std::string>& slices) {
  std::map<std::string, std::vector<std::size_t>> rows;
  for (std::size_t i = 0; i < slices.size(); ++i) rows[slices[i]].push_back(i);
  return rows;
}

std::vector<double> pick(const std::vector<double>& values, const std::vector<std::size_t>& rows) {
  std::vector<double> out;
  out.reserve(rows.size());
  for (const auto row : rows) out.push_back(values[row]);
  return out;
}

// One metric of both models on some rows, with the bootstrap interval of the difference.
json compare_metric(const std::string& metric, const std::vector<double>& labels, const std::vector<double>& champion,
                    const std::vector<double>& challenger, const EvaluationSettings& settings) {
  const auto a = compute_metric(metric, labels, champion);
  const auto b = compute_metric(metric, labels, challenger);
  json out = {{"champion", optional_json(a)}, {"challenger", optional_json(b)}};
  out["difference"] = a && b ? json(*b - *a) : json(nullptr);
  const auto interval = paired_bootstrap(metric, labels, champion, challenger, settings.bootstrap_replicates,
                                         settings.seed, settings.confidence);
  out["ci_low"] = optional_json(interval.low);
  out["ci_high"] = optional_json(interval.high);
  out["bootstrap_replicates"] = interval.replicates;
  out["bootstrap_undefined_replicates"] = interval.undefined_replicates;
  return out;
}

json delong_json(const std::vector<double>& labels, const std::vector<double>& champion,
                 const std::vector<double>& challenger) {
  const auto test = delong_test(labels, champion, challenger);
  if (!test) return nullptr;
  return {{"auc_champion", test->auc_champion}, {"auc_challenger", test->auc_challenger},
          {"difference", test->difference},     {"variance", test->variance},
          {"z", test->z},                       {"p_value", test->p_value}};
}

std::optional<double> value_of(const json& comparison, const char* model) {
  const auto& value = comparison.at(model);
  return value.is_null() ? std::nullopt : std::optional<double>(value.get<double>());
}

json gate_result(const GateRule& rule, const json& overall, const json& slices) {
  const bool greater = rule.greater_is_better.value_or(greater_is_better(rule.metric));
  const auto& comparison = overall.at(rule.metric);
  const auto candidate = value_of(comparison, "challenger");
  const auto baseline = value_of(comparison, "champion");
  json checks = json::array();
  const auto better_or_equal = [&](double value, double bound) { return greater ? value >= bound : value <= bound; };
  const auto add_check = [&](const char* kind, bool passed, const std::string& detail) {
    checks.push_back({{"check", kind}, {"passed", passed}, {"detail", detail}});
  };
  const char* relation = greater ? ">=" : "<=";
  if (rule.threshold) {
    add_check("threshold", candidate && better_or_equal(*candidate, *rule.threshold),
              candidate ? fmt::format("challenger {} = {} must be {} {}", rule.metric, *candidate, relation, *rule.threshold)
                        : fmt::format("challenger {} is undefined", rule.metric));
  }
  if (rule.min_absolute_change) {
    const double change = *rule.min_absolute_change;
    const auto bound = baseline ? std::optional<double>(greater ? *baseline + change : *baseline - change) : std::nullopt;
    add_check("min_absolute_change", candidate && bound && better_or_equal(*candidate, *bound),
              candidate && bound ? fmt::format("challenger {} = {} must be {} champion {} {} {} = {}", rule.metric,
                                               *candidate, relation, *baseline, greater ? '+' : '-', change, *bound)
                                 : fmt::format("{} is undefined for a model", rule.metric));
  }
  if (rule.min_relative_change) {
    const double change = *rule.min_relative_change;
    const auto bound =
        baseline ? std::optional<double>(greater ? *baseline * (1.0 + change) : *baseline * (1.0 - change)) : std::nullopt;
    add_check("min_relative_change", candidate && bound && better_or_equal(*candidate, *bound),
              candidate && bound ? fmt::format("challenger {} = {} must be {} champion {} x (1 {} {}) = {}", rule.metric,
                                               *candidate, relation, *baseline, greater ? '+' : '-', change, *bound)
                                 : fmt::format("{} is undefined for a model", rule.metric));
  }
  if (rule.slice_no_regression) {
    const double tolerance = *rule.slice_no_regression;
    std::vector<std::string> regressed;
    for (const auto& [slice, entry] : slices.items()) {
      const auto& slice_comparison = entry.at("metrics").at(rule.metric);
      const auto slice_candidate = value_of(slice_comparison, "challenger");
      const auto slice_baseline = value_of(slice_comparison, "champion");
      if (!slice_candidate || !slice_baseline) continue;  // undefined in this slice (one class, one row)
      const double bound = greater ? *slice_baseline - tolerance : *slice_baseline + tolerance;
      if (!better_or_equal(*slice_candidate, bound)) {
        regressed.push_back(fmt::format("{} ({} -> {})", slice, *slice_baseline, *slice_candidate));
      }
    }
    add_check("slice_no_regression", regressed.empty(),
              regressed.empty() ? fmt::format("no slice's {} is worse than the champion's by more than {}", rule.metric,
                                              tolerance)
                                : fmt::format("{} worse by more than {} in: {}", rule.metric, tolerance,
                                              fmt::join(regressed, "; ")));
  }
  bool passed = true;
  for (const auto& check : checks) passed = passed && check.at("passed").get<bool>();
  return {{"rule", rule.to_json()}, {"greater_is_better", greater}, {"checks", checks}, {"passed", passed}};
}

}  // namespace

json Harness::to_json() const {
  return {{"holdout", holdout},
          {"holdout_version", holdout_version ? json(*holdout_version) : json(nullptr)},
          {"label", label},
          {"slice_column", slice_column},
          {"metrics", metrics},
          {"scoring_code", scoring_code},
          {"rows_sha256", rows_sha256},
          {"rows", rows}};
}

Harness Harness::from_json(const json& input, const std::string& what) {
  const auto& j = input.contains("harness") ? input.at("harness") : input;
  Harness harness;
  try {
    harness.holdout = j.at("holdout").get<std::string>();
    if (!j.at("holdout_version").is_null()) harness.holdout_version = j.at("holdout_version").get<std::int64_t>();
    harness.label = j.at("label").get<std::string>();
    harness.slice_column = j.at("slice_column").get<std::string>();
    harness.metrics = j.at("metrics").get<std::vector<std::string>>();
    harness.scoring_code = j.at("scoring_code").get<std::string>();
    harness.rows_sha256 = j.at("rows_sha256").get<std::string>();
    harness.rows = j.at("rows").get<std::int64_t>();
  } catch (const json::exception& error) {
    core::throw_input(fmt::format("{}: not a harness or an evaluation record: {}", what, error.what()));
  }
  return harness;
}

void require_same_harness(const Harness& pinned, const Harness& actual, const std::string& pinned_source) {
  const auto version_text = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "none"; };
  const auto differ = [&](const char* field, const std::string& pinned_value, const std::string& actual_value) {
    if (pinned_value != actual_value) {
      core::throw_input(fmt::format("the harness differs from the pinned one ({}): {} is '{}' here, '{}' pinned; "
                                    "champion and challenger must be judged on the same harness",
                                    pinned_source, field, actual_value, pinned_value));
    }
  };
  differ("holdout", pinned.holdout, actual.holdout);
  differ("holdout_version", version_text(pinned.holdout_version), version_text(actual.holdout_version));
  differ("label", pinned.label, actual.label);
  differ("slice_column", pinned.slice_column, actual.slice_column);
  differ("metrics", fmt::format("{}", fmt::join(pinned.metrics, ",")), fmt::format("{}", fmt::join(actual.metrics, ",")));
  differ("scoring_code", pinned.scoring_code, actual.scoring_code);
  differ("rows", std::to_string(pinned.rows), std::to_string(actual.rows));
  differ("rows_sha256", pinned.rows_sha256, actual.rows_sha256);
}

GateRule GateRule::parse(const std::string& text, const std::string& option) {
  GateRule rule;
  const auto colon = text.find(':');
  rule.metric = text.substr(0, colon);
  DRIFTGOV_USER_CHECK(!rule.metric.empty(), "{} '{}': expected METRIC:key=value,...", option, text);
  if (colon == std::string::npos) return rule;
  std::size_t begin = colon + 1;
  while (begin <= text.size()) {
    auto end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    const auto item = text.substr(begin, end - begin);
    begin = end + 1;
    if (item.empty()) continue;
    const auto equals = item.find('=');
    DRIFTGOV_USER_CHECK(equals != std::string::npos, "{} '{}': expected key=value, got '{}'", option, text, item);
    const auto key = item.substr(0, equals);
    const auto value = item.substr(equals + 1);
    const auto what = fmt::format("{} '{}': {}", option, text, key);
    if (key == "threshold") {
      rule.threshold = core::parse_finite_number(value, what);
    } else if (key == "min_absolute_change") {
      rule.min_absolute_change = core::parse_finite_number(value, what);
      DRIFTGOV_USER_CHECK(*rule.min_absolute_change >= 0, "{}: expected >= 0, got {}", what, value);
    } else if (key == "min_relative_change") {
      rule.min_relative_change = core::parse_finite_number(value, what);
      DRIFTGOV_USER_CHECK(*rule.min_relative_change >= 0 && *rule.min_relative_change <= 1,
                          "{}: expected a number in [0, 1], got {}", what, value);
    } else if (key == "slice_no_regression") {
      rule.slice_no_regression = core::parse_finite_number(value, what);
      DRIFTGOV_USER_CHECK(*rule.slice_no_regression >= 0, "{}: expected a tolerance >= 0, got {}", what, value);
    } else if (key == "greater_is_better") {
      DRIFTGOV_USER_CHECK(value == "true" || value == "false", "{}: expected true or false, got '{}'", what, value);
      rule.greater_is_better = value == "true";
    } else {
      core::throw_input(fmt::format("{}: unknown key (expected threshold, min_absolute_change, min_relative_change, "
                                    "greater_is_better or slice_no_regression)",
                                    what));
    }
  }
  return rule;
}

json GateRule::to_json() const {
  json j = {{"metric", metric}};
  j["threshold"] = optional_json(threshold);
  j["min_absolute_change"] = optional_json(min_absolute_change);
  j["min_relative_change"] = optional_json(min_relative_change);
  j["greater_is_better"] = greater_is_better ? json(*greater_is_better) : json(nullptr);
  j["slice_no_regression"] = optional_json(slice_no_regression);
  return j;
}

json evaluate(const ScoredHoldout& scored, const std::vector<std::string>& metrics, const EvaluationSettings& settings) {
  DRIFTGOV_CHECK_EQ(scored.labels.size(), scored.champion.size());
  DRIFTGOV_CHECK_EQ(scored.labels.size(), scored.challenger.size());
  for (const auto& rule : settings.gates) {
    DRIFTGOV_USER_CHECK(std::find(metrics.begin(), metrics.end(), rule.metric) != metrics.end(),
                        "--gate {}: the metric is not evaluated (metrics: {})", rule.metric, fmt::join(metrics, ", "));
  }
  json gates_json = json::array();
  for (const auto& rule : settings.gates) gates_json.push_back(rule.to_json());
  json out = {{"problem", to_string(scored.problem)},
              {"rows", scored.labels.size()},
              {"settings",
               {{"bootstrap_replicates", settings.bootstrap_replicates},
                {"seed", settings.seed},
                {"confidence", settings.confidence},
                {"rng", "mt19937_64"},
                {"interval", "percentile, linear quantile interpolation"},
                {"classification_threshold", 0.5},
                {"gates", gates_json}}}};
  json overall = json::object();
  for (const auto& metric : metrics) {
    overall[metric] = compare_metric(metric, scored.labels, scored.champion, scored.challenger, settings);
  }
  json slices = json::object();
  for (const auto& [slice, rows] : slice_rows(scored.slices)) {
    const auto labels = pick(scored.labels, rows);
    const auto champion = pick(scored.champion, rows);
    const auto challenger = pick(scored.challenger, rows);
    json slice_metrics = json::object();
    for (const auto& metric : metrics) slice_metrics[metric] = compare_metric(metric, labels, champion, challenger, settings);
    slices[slice] = {{"rows", rows.size()}, {"metrics", slice_metrics}};
    if (scored.problem == Problem::kBinaryClassification) slices[slice]["delong"] = delong_json(labels, champion, challenger);
  }
  out["overall"] = overall;
  out["slices"] = slices;
  out["delong"] = scored.problem == Problem::kBinaryClassification
                      ? delong_json(scored.labels, scored.champion, scored.challenger)
                      : json(nullptr);
  json gates = json::array();
  bool passed = true;
  for (const auto& rule : settings.gates) {
    gates.push_back(gate_result(rule, overall, slices));
    passed = passed && gates.back().at("passed").get<bool>();
  }
  out["gates"] = gates;
  out["passed"] = passed;
  return out;
}

std::string evaluation_digest(const json& record) {
  auto content = record;
  content.erase("digest");
  content.erase("signature");
  return sha256_hex(content.dump(-1, ' ', false, json::error_handler_t::strict));
}

void sign_evaluation(json& record, const std::string& principal, const KeyPair& key) {
  const auto digest = evaluation_digest(record);
  const auto signature = key.sign(digest);
  record["digest"] = digest;
  record["signature"] = {{"principal", principal},
                         {"public_key", key.public_key().text()},
                         {"ed25519", to_hex(signature.data(), signature.size())}};
}

RecordCheck verify_evaluation(const json& record, const Principals& principals) {
  RecordCheck check;
  if (!record.is_object() || !record.contains("digest") || !record.at("digest").is_string()) {
    check.problem = "no digest: not an evaluation record";
    return check;
  }
  const auto digest = evaluation_digest(record);
  if (digest != record.at("digest").get<std::string>()) {
    check.problem = fmt::format("digest mismatch: the record's content hashes to {}, it says {}", digest,
                                record.at("digest").get<std::string>());
    return check;
  }
  if (!record.contains("signature") || record.at("signature").is_null()) {
    check.problem = "the record is not signed";
    return check;
  }
  const auto& signature = record.at("signature");
  if (!signature.is_object() || !signature.contains("principal") || !signature.at("principal").is_string() ||
      !signature.contains("ed25519") || !signature.at("ed25519").is_string()) {
    check.problem = "the signature is not an object with principal and ed25519";
    return check;
  }
  const auto name = signature.at("principal").get<std::string>();
  const auto found = principals.find(name);
  if (found == principals.end()) {
    check.problem = fmt::format("signed by '{}', who is not a configured principal", name);
    return check;
  }
  Signature bytes{};
  if (!from_hex(signature.at("ed25519").get<std::string>(), bytes.data(), bytes.size()) ||
      !verify_signature(found->second.public_key, digest, bytes)) {
    check.problem = fmt::format("the signature is not principal '{}''s signature of the digest", name);
    return check;
  }
  check.ok = true;
  return check;
}

}  // namespace driftgov::gov
