#pragma once
// Models of the governance chain (docs/evaluation.md): the built-in trainer on libxgboost, content-addressed model
// artefacts, and scoring a table with an XGBoost model (natively) or with an external `score_command`.
//
// Determinism: training runs single-threaded (nthread = 1) with a fixed seed, so the same table and configuration
// give a byte-identical artefact. Scoring is single-threaded too. libxgboost keeps per-thread error text, so the
// functions are safe to call from several threads on different models.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/gov/metrics.hpp"
#include "driftgov/io/source.hpp"

namespace driftgov::gov {

// Columns of a table read as numbers, in row order. Features are float32 with NaN for null (what XGBoost treats
// as missing); the label has no null; a slice value is the value text of the slice column ("null" for null).
struct Dataset {
  std::string location;
  std::int64_t rows = 0;
  std::vector<std::string> feature_names;
  std::vector<float> features;  // row-major, rows x feature_names.size()
  std::vector<double> labels;   // empty when no label column was asked for
  std::vector<std::string> slices;  // empty when no slice column was asked for
};

// Reads `features` (empty: every column except `label` and `slice_column`), `label` (may be empty) and
// `slice_column` (may be empty) from `location`, opened through `sources` (the CLI passes every built-in format,
// monitor::builtin_sources(): CSV, Parquet, Delta with @v=N).
// Throws core::InputError naming the table and column for a missing column, a feature or label that is not
// numeric (boolean, integer, floating point, decimal), a null or non-finite label (with its row), and for
// Problem::kBinaryClassification a label other than 0 or 1 (with its row).
Dataset read_dataset(const io::SourceRegistry& sources, const std::string& location,
                     const std::vector<std::string>& features, const std::string& label,
                     const std::string& slice_column, std::optional<Problem> problem,
                     const io::SourceOptions& options = {});

// The built-in trainer's configuration (docs/evaluation.md, "Training").
struct TrainConfig {
  std::string trainer = "xgboost";  // xgboost | random_forest
  std::string objective;            // binary:logistic (default) or reg:squarederror, reg:absoluteerror, ...
  std::string label;
  std::vector<std::string> features;  // empty: every column but the label
  std::optional<std::int64_t> rounds;  // boosting rounds: default 100 for xgboost; random_forest grows one
  std::uint64_t seed = 0;
  std::string format = "ubj";                 // ubj | json
  std::map<std::string, std::string> params;  // XGBoost parameters (max_depth, eta, num_parallel_tree, ...)
  // An external trainer (docs/evaluation.md, "External trainers"): the shell command that trains. Set, `trainer` is
  // "command", `format` is the artefact's file extension (default "bin") and objective, rounds and params are
  // refused (they configure the built-in trainer only).
  std::string command;
  std::optional<Problem> command_problem;  // `problem:` of an external trainer (default classification)

  // Reads a YAML (or JSON) mapping with the fields above. Throws core::InputError naming `file` and the field.
  static TrainConfig parse(const std::string& text, const std::string& file);
  // The parameters handed to libxgboost after defaults and the trainer's fixed settings. Throws
  // core::InputError for a setting the trainer fixes (nthread, random_forest's eta) or an unknown trainer.
  std::map<std::string, std::string> effective_params() const;
  Problem problem() const;
};

struct TrainedModel {
  std::string bytes;   // the saved model (UBJSON or JSON)
  std::string sha256;  // of bytes
  std::string path;    // <folder>/<sha256>.<ubj|json>
  std::int64_t rows = 0;
  std::vector<std::string> feature_names;
  std::map<std::string, std::string> params;  // effective
};

// Trains on `data` (labels required) and writes the artefact to `folder` under its SHA-256 (an artefact already
// there is kept: its bytes are the same by construction).
TrainedModel train_model(const TrainConfig& config, const Dataset& data, const std::string& folder);

// Trains with an external command (config.command; docs/evaluation.md, "External trainers"). The command runs
// through /bin/sh with DRIFTGOV_TRAIN_INPUT (a CSV file in `work_folder` with a header: the feature columns as
// read_dataset reads them, then the label column), DRIFTGOV_TRAIN_OUTPUT (the model file it must write),
// DRIFTGOV_TRAIN_LABEL, DRIFTGOV_TRAIN_FEATURES (comma-separated), DRIFTGOV_TRAIN_SEED and DRIFTGOV_TRAIN_PROBLEM
// (classification or regression). The file it writes is stored in `folder` under its SHA-256 like the built-in
// trainer's. Throws core::InputError naming the command when it exits non-zero or writes no (or an empty) file.
// `input_sha256` receives the SHA-256 of the CSV handed to it.
TrainedModel train_with_command(const TrainConfig& config, const Dataset& data, const std::string& work_folder,
                                const std::string& folder, std::string& input_sha256);

// A model ready to score: an XGBoost model file loaded through libxgboost, or an external command.
struct ModelDescription {
  std::string path;    // the artefact (for a command: the file given to it, may be empty)
  std::string sha256;  // of the artefact's bytes; for a command without a file, of the command text
  std::string kind;    // "xgboost" or "command"
  std::string objective;  // XGBoost objective ("" for a command)
  std::vector<std::string> feature_names;  // what the model reads (XGBoost: its stored names, if any)
  std::string score_command;               // kind == "command"
};

class XGBoostModel {
 public:
  // Loads an XGBoost JSON or UBJSON model. Throws core::InputError naming `path` when it cannot be read or is not
  // a model libxgboost accepts.
  static XGBoostModel load(const std::string& path);
  XGBoostModel(XGBoostModel&& other) noexcept;
  XGBoostModel& operator=(XGBoostModel&& other) noexcept;
  XGBoostModel(const XGBoostModel&) = delete;
  XGBoostModel& operator=(const XGBoostModel&) = delete;
  ~XGBoostModel();

  const ModelDescription& description() const { return description_; }
  std::uint64_t feature_count() const { return feature_count_; }
  // The problem its objective solves; core::InputError for an objective the harness does not evaluate.
  Problem problem() const;
  // Predictions (probability of class 1, or the regression value) for the rows of `data`, whose feature columns
  // must be the model's, in its order.
  std::vector<double> predict(const Dataset& data) const;

 private:
  XGBoostModel() = default;
  void* booster_ = nullptr;
  ModelDescription description_;
  std::uint64_t feature_count_ = 0;
};

// The contract of an external scorer (docs/evaluation.md, "score_command"): the command runs through /bin/sh with
// DRIFTGOV_SCORE_INPUT (a CSV file of the holdout's feature columns with a header, in holdout order),
// DRIFTGOV_SCORE_OUTPUT (the file it must write: one prediction per line, an optional header line "prediction")
// and DRIFTGOV_MODEL (the model file, or empty). Throws core::InputError when the command fails (with its exit
// status) or its output does not hold one number per row (naming the line).
std::vector<double> score_with_command(const ModelDescription& model, const Dataset& data, const std::string& work_folder);

// "driftgov X.Y.Z; libxgboost X.Y.Z": the code that scores XGBoost models natively (a harness's scoring code).
std::string scoring_code_version();

// A table pinned to what was read: a Delta table at one version (`version` given, or its latest, or the version a
// `@v=N` / `@ts=T` suffix names), read as `location` = PATH@v=N; a CSV or Parquet file as given.
struct PinnedTable {
  std::string path;      // without a version suffix
  std::optional<std::int64_t> version;
  std::string location;  // what to open
};
// Throws core::InputError naming `option` when a version is given for a table that is not Delta, or twice.
PinnedTable pin_table(const std::string& table, std::optional<std::int64_t> version, const std::string& option);

// SHA-256 of the rows' labels (8 little-endian bytes of each double) and slice values (each followed by a zero
// byte), in row order: two reads of the same rows give the same digest.
std::string rows_digest(const Dataset& data);

}  // namespace driftgov::gov
