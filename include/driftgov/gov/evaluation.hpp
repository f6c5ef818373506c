#pragma once
// Same-harness evaluation of a challenger against the champion (docs/evaluation.md).
//
// A harness pins what an evaluation measures: the holdout table and its Delta version, the label, the slice
// column, the metric list, the scoring code version, and the digest of the holdout rows it read (labels and slice
// values). Champion and challenger are scored on exactly those rows by the same code within one evaluation; an
// evaluation given a pinned harness (say, the one recorded by the champion's evaluation) refuses to run when its
// own harness differs in any of these, naming the field and both values.
//
// The evaluation record (JSON) holds the harness, both models' artefact digests, every metric overall and per
// slice with its paired bootstrap interval, DeLong's test, the gate results, and the settings needed to recompute
// it. Its digest is the SHA-256 of the record without `digest` and `signature`, serialised with sorted keys and no
// white space (nlohmann::json::dump()); the acting principal signs the digest's hex text with Ed25519.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/gov/keys.hpp"
#include "driftgov/gov/metrics.hpp"
#include "driftgov/gov/principals.hpp"

namespace driftgov::gov {

struct Harness {
  std::string holdout;                        // as given, without a version suffix
  std::optional<std::int64_t> holdout_version;  // the Delta version read (nullopt for CSV and Parquet)
  std::string label;
  std::string slice_column;                   // "" when the evaluation has no slices
  std::vector<std::string> metrics;
  std::string scoring_code;                   // "driftgov X.Y.Z; libxgboost X.Y.Z"
  std::string rows_sha256;                    // of the labels and slice values read, in order
  std::int64_t rows = 0;

  nlohmann::json to_json() const;
  // Reads a harness, or the `harness` member of an evaluation record. Throws core::InputError naming `what`.
  static Harness from_json(const nlohmann::json& json, const std::string& what);
};

// Throws core::InputError when `actual` differs from `pinned` in holdout, holdout version, label, slice column,
// metrics, scoring code or rows: "harness differs from the pinned one (FILE): holdout_version 3 != 2".
void require_same_harness(const Harness& pinned, const Harness& actual, const std::string& pinned_source);

// One gate rule, as MLflow's MetricThreshold, plus a per-slice no-regression rule (docs/evaluation.md, "Gates").
struct GateRule {
  std::string metric;
  std::optional<double> threshold;
  std::optional<double> min_absolute_change;
  std::optional<double> min_relative_change;
  std::optional<bool> greater_is_better;        // default: the metric's direction
  std::optional<double> slice_no_regression;    // tolerance: no slice may be worse by more than this

  // Parses "METRIC:key=value,key=value" (keys: threshold, min_absolute_change, min_relative_change,
  // greater_is_better, slice_no_regression). Throws core::InputError naming `option`.
  static GateRule parse(const std::string& text, const std::string& option);
  nlohmann::json to_json() const;
};

struct EvaluationSettings {
  std::int64_t bootstrap_replicates = 1000;
  std::uint64_t seed = 0;
  double confidence = 0.95;
  std::vector<GateRule> gates;
};

// The scores of both models on the harness rows.
struct ScoredHoldout {
  Problem problem = Problem::kBinaryClassification;
  std::vector<double> labels;
  std::vector<std::string> slices;  // empty without a slice column
  std::vector<double> champion, challenger;
};

// The evaluation (without the models' descriptions, the harness or the signature, which the caller adds):
// {"problem", "settings", "overall", "slices", "delong", "gates", "passed"}.
nlohmann::json evaluate(const ScoredHoldout& scored, const std::vector<std::string>& metrics,
                        const EvaluationSettings& settings);

// The digest of `record` (its `digest` and `signature` members left out).
std::string evaluation_digest(const nlohmann::json& record);
// Sets record["digest"] and record["signature"] = {principal, public_key, ed25519 (hex)}.
void sign_evaluation(nlohmann::json& record, const std::string& principal, const KeyPair& key);

// What checking a record found: the digest matches its content, and the signature (when present) is the named
// principal's (with the key configured for it in `principals`).
struct RecordCheck {
  bool ok = false;
  std::string problem;  // empty when ok
};
RecordCheck verify_evaluation(const nlohmann::json& record, const Principals& principals);

}  // namespace driftgov::gov
