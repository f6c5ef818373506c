// The built-in trainer and model scoring on libxgboost's C API (docs/evaluation.md).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/wait.h>
#include <xgboost/c_api.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/gov/keys.hpp"
#include "driftgov/gov/model_harness.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::gov {
namespace {

// A failed libxgboost call on the user's model or data: its message, naming `what`.
void check_xgboost(int status, const std::string& what) {
  if (status != 0) core::throw_input(fmt::format("{}: libxgboost: {}", what, XGBGetLastError()));
}

bool is_number_type(const core::DataType& type) {
  return type.id == core::TypeId::kBoolean || type.is_integer() || type.is_floating() ||
         type.id == core::TypeId::kDecimal || type.id == core::TypeId::kNull;
}

// The value at `row` as a double; NaN for null.
double number_at(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row) || column.type.id == core::TypeId::kNull) return std::numeric_limits<double>::quiet_NaN();
  const auto index = static_cast<std::size_t>(row);
  if (column.type.is_floating()) return column.doubles[index];
  if (column.type.id == core::TypeId::kDecimal) {
    return static_cast<double>(column.decimals[index]) / std::pow(10.0, column.type.scale);
  }
  return static_cast<double>(column.ints[index]);
}

class Matrix {
 public:
  explicit Matrix(const Dataset& data) {
    check_xgboost(XGDMatrixCreateFromMat(data.features.data(), static_cast<bst_ulong>(data.rows),
                                         static_cast<bst_ulong>(data.feature_names.size()),
                                         std::numeric_limits<float>::quiet_NaN(), &handle_),
                  data.location);
  }
  ~Matrix() { XGDMatrixFree(handle_); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle handle() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

std::vector<std::string> string_list(const YAML::Node& node, const std::string& what) {
  DRIFTGOV_USER_CHECK(node.IsSequence(), "{}: expected a list of column names", what);
  std::vector<std::string> out;
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

}  // namespace

std::string scoring_code_version() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return fmt::format("driftgov {}; libxgboost {}.{}.{}", DRIFTGOV_VERSION, major, minor, patch);
}

PinnedTable pin_table(const std::string& table, std::optional<std::int64_t> version, const std::string& option) {
  auto location = delta::parse_table_location(table);
  PinnedTable pinned;
  pinned.path = location.path;
  const bool suffix = location.version || location.timestamp_ms;
  if (!delta::is_delta_table(location.path)) {
    DRIFTGOV_USER_CHECK(!version && !suffix, "{}: {} is not a Delta table; a version applies to Delta tables only",
                        option, location.path);
    pinned.location = table;
    return pinned;
  }
  DRIFTGOV_USER_CHECK(!(version && suffix), "{}: {} names a version and --version gives another; give one", option,
                      table);
  if (version) location.version = version;
  pinned.version = delta::Snapshot::load(location).version();
  pinned.location = fmt::format("{}@v={}", location.path, *pinned.version);
  return pinned;
}

std::string rows_digest(const Dataset& data) {
  std::string bytes;
  for (const double label : data.labels) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &label, sizeof bits);
    for (int shift = 0; shift < 64; shift += 8) bytes.push_back(static_cast<char>((bits >> shift) & 0xff));
  }
  for (const auto& slice : data.slices) {
    bytes += slice;
    bytes.push_back('\0');
  }
  return sha256_hex(bytes);
}

Dataset read_dataset(const io::SourceRegistry& sources, const std::string& location,
                     const std::vector<std::string>& features, const std::string& label,
                     const std::string& slice_column, std::optional<Problem> problem,
                     const io::SourceOptions& options) {
  Dataset data;
  data.location = location;
  auto probe = sources.open(location, options);
  const auto schema = probe->schema();
  probe.reset();
  const auto require = [&](const std::string& name, const char* role) {
    if (!schema.find(name)) {
      std::vector<std::string> names;
      for (const auto& field : schema.fields) names.push_back(field.name);
      core::throw_input(fmt::format("{}: no {} column '{}' (columns: {})", location, role, name, fmt::join(names, ", ")));
    }
  };
  if (!label.empty()) require(label, "label");
  if (!slice_column.empty()) require(slice_column, "slice");
  data.feature_names = features;
  if (features.empty()) {
    for (const auto& field : schema.fields) {
      if (field.name != label && field.name != slice_column) data.feature_names.push_back(field.name);
    }
  }
  for (const auto& name : data.feature_names) {
    require(name, "feature");
    const auto& type = schema.fields[*schema.find(name)].type;
    DRIFTGOV_USER_CHECK(is_number_type(type),
                        "{}: feature column '{}' is {}; features must be numeric (boolean, integer, floating point "
                        "or decimal)",
                        location, name, type.to_string());
  }
  if (!label.empty()) {
    const auto& type = schema.fields[*schema.find(label)].type;
    DRIFTGOV_USER_CHECK(is_number_type(type), "{}: label column '{}' is {}; expected a numeric label", location, label,
                        type.to_string());
  }
  auto projection = data.feature_names;
  if (!label.empty()) projection.push_back(label);
  if (!slice_column.empty()) projection.push_back(slice_column);
  // The projection may name one column twice (a feature used as the slice): read each once.
  std::vector<std::string> unique_columns;
  for (const auto& name : projection) {
    if (std::find(unique_columns.begin(), unique_columns.end(), name) == unique_columns.end()) unique_columns.push_back(name);
  }
  auto read_options = options;
  read_options.columns = unique_columns;
  auto source = sources.open(location, read_options);
  const auto index_of = [&](const std::string& name) { return *source->schema().find(name); };
  std::vector<std::size_t> feature_index;
  for (const auto& name : data.feature_names) feature_index.push_back(index_of(name));
  while (auto batch = source->next()) {
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      const auto row_number = data.rows + 1;
      for (const auto index : feature_index) data.features.push_back(static_cast<float>(number_at(batch->columns[index], row)));
      if (!label.empty()) {
        const double value = number_at(batch->columns[index_of(label)], row);
        DRIFTGOV_USER_CHECK(std::isfinite(value), "{}: label column '{}' row {}: expected a finite number, got {}",
                            location, label, row_number, core::value_text(batch->columns[index_of(label)], row));
        DRIFTGOV_USER_CHECK(problem != Problem::kBinaryClassification || value == 0.0 || value == 1.0,
                            "{}: label column '{}' row {}: a binary classification label must be 0 or 1, got {}",
                            location, label, row_number, core::value_text(batch->columns[index_of(label)], row));
        data.labels.push_back(value);
      }
      if (!slice_column.empty()) data.slices.push_back(core::value_text(batch->columns[index_of(slice_column)], row));
      ++data.rows;
    }
  }
  return data;
}

TrainConfig TrainConfig::parse(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    core::throw_input(fmt::format("{}: not valid YAML: {}", file, error.what()));
  }
  DRIFTGOV_USER_CHECK(root.IsMap(), "{}: expected a mapping of trainer settings", file);
  TrainConfig config;
  static const std::set<std::string> known = {"trainer", "objective", "label",  "features", "rounds",
                                              "seed",    "format",    "params", "command",  "problem"};
  try {
    for (const auto& entry : root) {
      const auto key = entry.first.as<std::string>();
      DRIFTGOV_USER_CHECK(known.contains(key), "{}: unknown field '{}' (expected one of: {})", file, key,
                          fmt::join(known, ", "));
    }
    if (root["trainer"]) config.trainer = root["trainer"].as<std::string>();
    if (root["objective"]) config.objective = root["objective"].as<std::string>();
    if (root["label"]) config.label = root["label"].as<std::string>();
    if (root["features"]) config.features = string_list(root["features"], file + ": features");
    if (root["rounds"]) config.rounds = root["rounds"].as<std::int64_t>();
    if (root["seed"]) config.seed = root["seed"].as<std::uint64_t>();
    if (root["format"]) config.format = root["format"].as<std::string>();
    if (root["params"]) {
      DRIFTGOV_USER_CHECK(root["params"].IsMap(), "{}: params: expected a mapping of XGBoost parameters", file);
      for (const auto& entry : root["params"]) config.params[entry.first.as<std::string>()] = entry.second.as<std::string>();
    }
    if (root["command"]) config.command = root["command"].as<std::string>();
    if (root["problem"]) {
      const auto problem = root["problem"].as<std::string>();
      DRIFTGOV_USER_CHECK(problem == "classification" || problem == "regression",
                          "{}: problem: expected classification or regression, got '{}'", file, problem);
      config.command_problem = problem == "classification" ? Problem::kBinaryClassification : Problem::kRegression;
    }
  } catch (const YAML::Exception& error) {
    core::throw_input(fmt::format("{}: {}", file, error.what()));
  }
  DRIFTGOV_USER_CHECK(!config.label.empty(), "{}: label: the label column is required", file);
  if (root["command"]) {
    DRIFTGOV_USER_CHECK(!config.command.empty(), "{}: command: expected the shell command of the external trainer",
                        file);
    DRIFTGOV_USER_CHECK(!root["trainer"] || config.trainer == "command",
                        "{}: trainer: an external trainer (command) has trainer 'command' or none, got '{}'", file,
                        config.trainer);
    for (const char* builtin_only : {"objective", "rounds", "params"}) {
      DRIFTGOV_USER_CHECK(!root[builtin_only], "{}: {}: a setting of the built-in trainer; an external trainer "
                                               "(command) takes command, label, features, seed, format and problem",
                          file, builtin_only);
    }
    config.trainer = "command";
    if (!root["format"]) config.format = "bin";
    DRIFTGOV_USER_CHECK(!config.format.empty() && config.format.size() <= 16 &&
                            std::all_of(config.format.begin(), config.format.end(),
                                        [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }),
                        "{}: format: an external trainer's format is the artefact's file extension (letters and "
                        "digits, at most 16), got '{}'",
                        file, config.format);
    return config;
  }
  DRIFTGOV_USER_CHECK(!root["problem"], "{}: problem: only an external trainer (command) takes it; the built-in "
                                        "trainer's objective says the problem",
                      file);
  DRIFTGOV_USER_CHECK(config.trainer == "xgboost" || config.trainer == "random_forest",
                      "{}: trainer: expected xgboost or random_forest, got '{}'", file, config.trainer);
  DRIFTGOV_USER_CHECK(config.format == "ubj" || config.format == "json", "{}: format: expected ubj or json, got '{}'",
                      file, config.format);
  if (config.rounds) DRIFTGOV_USER_CHECK_GE(*config.rounds, 1, "{}: rounds", file);
  DRIFTGOV_USER_CHECK(config.trainer != "random_forest" || !config.rounds || *config.rounds == 1,
                      "{}: rounds: random_forest grows one round (of num_parallel_tree trees), got {}", file,
                      config.rounds.value_or(1));
  return config;
}

Problem TrainConfig::problem() const {
  if (!command.empty()) return command_problem.value_or(Problem::kBinaryClassification);
  return objective.empty() || objective.starts_with("binary:logistic") ? Problem::kBinaryClassification
                                                                       : Problem::kRegression;
}

std::map<std::string, std::string> TrainConfig::effective_params() const {
  const auto objective_name = objective.empty() ? std::string("binary:logistic") : objective;
  DRIFTGOV_USER_CHECK(objective_name == "binary:logistic" || objective_name.starts_with("reg:"),
                      "objective: expected binary:logistic or a reg: objective, got '{}'", objective_name);
  for (const char* fixed : {"nthread", "n_jobs", "seed", "random_state", "objective"}) {
    DRIFTGOV_USER_CHECK(!params.contains(fixed),
                        "params.{}: set by the trainer (single-threaded, seed and objective are fields of their own)",
                        fixed);
  }
  std::map<std::string, std::string> out = {{"tree_method", "hist"}, {"max_depth", "6"}};
  if (trainer == "random_forest") {
    // XGBoost's random-forest mode: one round of many parallel trees, each on a row sample with a column sample
    // per node, not shrunk.
    out.insert({{"num_parallel_tree", "100"}, {"subsample", "0.8"}, {"colsample_bynode", "0.8"}});
    for (const char* fixed : {"eta", "learning_rate"}) {
      DRIFTGOV_USER_CHECK(!params.contains(fixed) || params.at(fixed) == "1",
                          "params.{}: random_forest grows one unshrunk round (learning rate 1), got {}", fixed,
                          params.contains(fixed) ? params.at(fixed) : "");
    }
    out["eta"] = "1";
  }
  for (const auto& [key, value] : params) out[key] = value;
  out["objective"] = objective_name;
  out["nthread"] = "1";
  out["seed"] = std::to_string(seed);
  return out;
}

TrainedModel train_model(const TrainConfig& config, const Dataset& data, const std::string& folder) {
  DRIFTGOV_USER_CHECK(data.rows > 0, "{}: no rows to train on", data.location);
  DRIFTGOV_CHECK_EQ(data.labels.size(), static_cast<std::size_t>(data.rows));
  TrainedModel trained;
  trained.params = config.effective_params();
  trained.rows = data.rows;
  trained.feature_names = data.feature_names;
  const std::int64_t rounds = config.trainer == "random_forest" ? 1 : config.rounds.value_or(100);
  Matrix matrix(data);
  std::vector<float> labels(data.labels.begin(), data.labels.end());
  check_xgboost(XGDMatrixSetFloatInfo(matrix.handle(), "label", labels.data(), labels.size()), data.location);
  std::vector<const char*> names;
  for (const auto& name : data.feature_names) names.push_back(name.c_str());
  check_xgboost(XGDMatrixSetStrFeatureInfo(matrix.handle(), "feature_name", names.data(), names.size()),
                data.location);
  BoosterHandle booster = nullptr;
  const DMatrixHandle matrices[] = {matrix.handle()};
  check_xgboost(XGBoosterCreate(matrices, 1, &booster), "train");
  struct Free {
    BoosterHandle handle;
    ~Free() { XGBoosterFree(handle); }
  } free_booster{booster};
  for (const auto& [key, value] : trained.params) {
    check_xgboost(XGBoosterSetParam(booster, key.c_str(), value.c_str()), fmt::format("params.{} = {}", key, value));
  }
  for (std::int64_t round = 0; round < rounds; ++round) {
    check_xgboost(XGBoosterUpdateOneIter(booster, static_cast<int>(round), matrix.handle()), "train");
  }
  // The booster does not take the names from the matrix (the Python package copies them too): stored in the model,
  // they let a scorer pick the columns by name.
  check_xgboost(XGBoosterSetStrFeatureInfo(booster, "feature_name", names.data(), names.size()), "train");
  const auto save_config = fmt::format(R"({{"format": "{}"}})", config.format);
  bst_ulong length = 0;
  const char* bytes = nullptr;
  check_xgboost(XGBoosterSaveModelToBuffer(booster, save_config.c_str(), &length, &bytes), "save model");
  trained.bytes.assign(bytes, length);
  trained.sha256 = sha256_hex(trained.bytes);
  trained.path = io::join_path(folder, trained.sha256 + "." + config.format);
  io::local_storage().put_if_absent(trained.path, trained.bytes);
  return trained;
}

XGBoostModel XGBoostModel::load(const std::string& path) {
  std::string bytes;
  try {
    bytes = io::read_file(io::local_storage(), path);
  } catch (const std::runtime_error& error) {  // IOError, or InputError for a missing file
    core::throw_input(fmt::format("model {}: cannot be read: {}", path, error.what()));
  }
  DRIFTGOV_USER_CHECK(!bytes.empty() && bytes[0] == '{',
                      "model {}: not an XGBoost JSON or UBJSON model (it does not start with '{{')", path);
  XGBoostModel model;
  check_xgboost(XGBoosterCreate(nullptr, 0, &model.booster_), path);
  if (XGBoosterLoadModelFromBuffer(model.booster_, bytes.data(), bytes.size()) != 0) {
    core::throw_input(fmt::format("model {}: not an XGBoost model libxgboost can load: {}", path, XGBGetLastError()));
  }
  model.description_.path = path;
  model.description_.sha256 = sha256_hex(bytes);
  model.description_.kind = "xgboost";
  bst_ulong count = 0;
  check_xgboost(XGBoosterGetNumFeature(model.booster_, &count), path);
  model.feature_count_ = count;
  bst_ulong names_length = 0;
  const char** names = nullptr;
  check_xgboost(XGBoosterGetStrFeatureInfo(model.booster_, "feature_name", &names_length, &names), path);
  for (bst_ulong i = 0; i < names_length; ++i) model.description_.feature_names.emplace_back(names[i]);
  bst_ulong config_length = 0;
  const char* config_text = nullptr;
  check_xgboost(XGBoosterSaveJsonConfig(model.booster_, &config_length, &config_text), path);
  const auto config = nlohmann::json::parse(std::string(config_text, config_length), nullptr, false);
  if (!config.is_discarded()) {
    model.description_.objective = config.value("/learner/objective/name"_json_pointer, std::string());
  }
  return model;
}

XGBoostModel::XGBoostModel(XGBoostModel&& other) noexcept
    : booster_(std::exchange(other.booster_, nullptr)),
      description_(std::move(other.description_)),
      feature_count_(other.feature_count_) {}

XGBoostModel& XGBoostModel::operator=(XGBoostModel&& other) noexcept {
  if (this != &other) {
    if (booster_) XGBoosterFree(booster_);
    booster_ = std::exchange(other.booster_, nullptr);
    description_ = std::move(other.description_);
    feature_count_ = other.feature_count_;
  }
  return *this;
}

XGBoostModel::~XGBoostModel() {
  if (booster_) XGBoosterFree(booster_);
}

Problem XGBoostModel::problem() const {
  const auto& objective = description_.objective;
  if (objective == "binary:logistic") return Problem::kBinaryClassification;
  if (objective.starts_with("reg:")) return Problem::kRegression;
  core::throw_input(fmt::format("model {}: objective '{}' is not evaluated (expected binary:logistic or reg:...)",
                                description_.path, objective));
}

std::vector<double> XGBoostModel::predict(const Dataset& data) const {
  DRIFTGOV_USER_CHECK(data.feature_names.size() == feature_count_,
                      "model {}: reads {} features, the holdout {} gives {} ({})", description_.path, feature_count_,
                      data.location, data.feature_names.size(), fmt::join(data.feature_names, ", "));
  if (data.rows == 0) return {};
  Matrix matrix(data);
  bst_ulong length = 0;
  const float* out = nullptr;
  check_xgboost(XGBoosterPredict(booster_, matrix.handle(), 0, 0, 0, &length, &out), description_.path);
  DRIFTGOV_USER_CHECK(length == static_cast<bst_ulong>(data.rows),
                      "model {}: gave {} predictions for {} rows (a multi-output model is not evaluated)",
                      description_.path, length, data.rows);
  return std::vector<double>(out, out + length);
}

namespace {

// The rows of `data` as CSV text with a header: the features (float32 as read, empty for missing), then the label
// column `label` unless it is empty. An external scorer and an external trainer read the same feature values.
std::string dataset_csv(const Dataset& data, const std::string& label) {
  const bool with_label = !label.empty();
  std::string csv = fmt::format("{}", fmt::join(data.feature_names, ","));
  if (with_label) csv += (data.feature_names.empty() ? "" : ",") + label;
  csv += '\n';
  const auto columns = data.feature_names.size();
  for (std::int64_t row = 0; row < data.rows; ++row) {
    for (std::size_t c = 0; c < columns; ++c) {
      const float value = data.features[static_cast<std::size_t>(row) * columns + c];
      if (c > 0) csv += ',';
      if (!std::isnan(value)) csv += fmt::format("{}", value);
    }
    if (with_label) csv += fmt::format("{}{}", columns > 0 ? "," : "", data.labels[static_cast<std::size_t>(row)]);
    csv += '\n';
  }
  return csv;
}

// Runs `command` through /bin/sh with the variables exported first, so that the command's own text may use them
// ("$DRIFTGOV_TRAIN_OUTPUT"); single-quoted, so a value holding a quote is refused.
// `what` names the command's role in messages ("score_command", "trainer command").
void run_shell_command(const std::vector<std::pair<std::string, std::string>>& variables, const std::string& command,
                       const std::string& what) {
  std::string line;
  for (const auto& [name, value] : variables) {
    DRIFTGOV_USER_CHECK(value.find('\'') == std::string::npos, "{}: {} must not contain a quote: {}", what, name,
                        value);
    line += fmt::format("export {}='{}'; ", name, value);
  }
  line += command;
  const int status = std::system(line.c_str());
  DRIFTGOV_USER_CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "{} '{}' failed (exit status {})",
                      what, command, status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

}  // namespace

std::vector<double> score_with_command(const ModelDescription& model, const Dataset& data,
                                       const std::string& work_folder) {
  const auto input = io::join_path(work_folder, "score-input.csv");
  const auto output = io::join_path(work_folder, "score-output.csv");
  io::write_file_atomically(io::local_storage(), input, dataset_csv(data, ""));
  io::local_storage().remove(output);
  run_shell_command({{"DRIFTGOV_SCORE_INPUT", input}, {"DRIFTGOV_SCORE_OUTPUT", output}, {"DRIFTGOV_MODEL", model.path}},
                    model.score_command, "score_command");
  std::string text;
  try {
    text = io::read_file(io::local_storage(), output);
  } catch (const core::IOError&) {
    core::throw_input(fmt::format("score_command '{}' did not write DRIFTGOV_SCORE_OUTPUT", model.score_command));
  }
  std::vector<double> predictions;
  std::size_t line_number = 0, begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    auto line = text.substr(begin, end - begin);
    begin = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number == 1 && line == "prediction") continue;
    char* parse_end = nullptr;
    const double value = std::strtod(line.c_str(), &parse_end);
    DRIFTGOV_USER_CHECK(!line.empty() && parse_end == line.c_str() + line.size() && std::isfinite(value),
                        "score_command output line {}: expected a finite number, got '{}'", line_number, line);
    predictions.push_back(value);
  }
  DRIFTGOV_USER_CHECK(predictions.size() == static_cast<std::size_t>(data.rows),
                      "score_command '{}' wrote {} predictions for {} rows", model.score_command, predictions.size(),
                      data.rows);
  return predictions;
}

TrainedModel train_with_command(const TrainConfig& config, const Dataset& data, const std::string& work_folder,
                                const std::string& folder, std::string& input_sha256) {
  DRIFTGOV_CHECK(!config.command.empty(), "train_with_command needs an external trainer's command");
  const auto input = io::join_path(work_folder, "train-input.csv");
  const auto output = io::join_path(work_folder, "model." + config.format);
  const auto csv = dataset_csv(data, config.label);
  input_sha256 = sha256_hex(csv);
  io::write_file_atomically(io::local_storage(), input, csv);
  io::local_storage().remove(output);
  run_shell_command({{"DRIFTGOV_TRAIN_INPUT", input},
                     {"DRIFTGOV_TRAIN_OUTPUT", output},
                     {"DRIFTGOV_TRAIN_LABEL", config.label},
                     {"DRIFTGOV_TRAIN_FEATURES", fmt::format("{}", fmt::join(data.feature_names, ","))},
                     {"DRIFTGOV_TRAIN_SEED", std::to_string(config.seed)},
                     {"DRIFTGOV_TRAIN_PROBLEM", config.problem() == Problem::kRegression ? "regression" : "classification"}},
                    config.command, "trainer command");
  TrainedModel trained;
  DRIFTGOV_USER_CHECK(io::local_storage().stat(output).has_value(),
                      "trainer command '{}' exited 0 but did not write DRIFTGOV_TRAIN_OUTPUT", config.command);
  trained.bytes = io::read_file(io::local_storage(), output);
  DRIFTGOV_USER_CHECK(!trained.bytes.empty(), "trainer command '{}' wrote an empty DRIFTGOV_TRAIN_OUTPUT",
                      config.command);
  trained.sha256 = sha256_hex(trained.bytes);
  trained.path = io::join_path(folder, trained.sha256 + "." + config.format);
  io::local_storage().put_if_absent(trained.path, trained.bytes);
  trained.rows = data.rows;
  trained.feature_names = data.feature_names;
  return trained;
}

}  // namespace driftgov::gov
