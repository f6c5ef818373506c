// driftgov model train|score, driftgov evaluate [verify]: the built-in trainer and the same-harness evaluation of a
// challenger against the champion (docs/evaluation.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/lineage_job.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/evaluation.hpp"
#include "driftgov/gov/incidents.hpp"
#include "driftgov/gov/model_harness.hpp"
#include "driftgov/io/scratch_folder.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/sources.hpp"
#include "driftgov/monitor/windows.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

// The acting principal, when one is named (--as or DRIFTGOV_PRINCIPAL): the configuration is read only then.
struct PrincipalArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string as;
  std::string incident;  // --incident: the incident the command moves

  void add_to(CLI::App* command) {
    command->add_option("--config", config, "The configuration file (read when an acting principal is named)")
        ->capture_default_str();
    command->add_option("--target", target, "Target whose roles apply (default: the default target)");
    command->add_option("--var", variables, "Override a variable: NAME=VALUE (repeatable)");
    command->add_option("--as", as, "Acting principal (default: DRIFTGOV_PRINCIPAL); needs role trainer");
    command->add_option("--incident", incident, "Move this incident along the remediation chain (needs an acting "
                                                "principal; docs/governance.md)");
  }
  // The acting principal (checked to hold `role`) with the configuration it was found in.
  struct Acting {
    monitor::Config config;
    ActingPrincipal principal;
  };
  std::optional<Acting> acting(gov::Role role) const {
    if (!gov::acting_principal_name(as, gov::Environment::from_process())) return std::nullopt;
    auto loaded = monitor::load_config(config, config_load_options(target, variables));
    auto principal = acting_principal(loaded, as, role);
    if (!principal) return std::nullopt;
    return Acting{std::move(loaded), std::move(*principal)};
  }
};

// Records a governance action of the acting principal in its target's audit log (docs/governance.md).
void append_entry(const PrincipalArguments::Acting& acting, const std::string& action, const std::string& subject,
                  const json& details) {
  append_action_entry(acting.config, acting.principal, action, subject, details);
}

// With --incident: the incident, checked to be in `from` before the command does its work (so a refusal changes
// nothing). Needs an acting principal: the move is signed.
std::optional<gov::Incident> incident_to_move(const std::optional<PrincipalArguments::Acting>& acting,
                                              const std::string& incident_id, gov::IncidentState from,
                                              const char* verb) {
  if (incident_id.empty()) return std::nullopt;
  DRIFTGOV_USER_CHECK(acting.has_value(), "{} --incident {}: name the acting principal (role trainer) with --as "
                                          "NAME or DRIFTGOV_PRINCIPAL: the incident's move is signed",
                      verb, incident_id);
  const auto incidents = gov::fold_incidents(
      gov::read_incident_records(gov::incidents_table(acting->config.selected_target().lakehouse)));
  const auto& incident = gov::find_incident(incidents, incident_id);
  if (incident.state != from) {
    throw gov::IncidentError(fmt::format("{} --incident {}: the incident is '{}'; it must be '{}'", verb, incident.id,
                                         gov::to_string(incident.state), gov::to_string(from)));
  }
  return incident;
}

// With --incident, training reads the incident's staged retraining set at the version staging validated (the
// `staged` move's details {"table", "version"}; docs/governance.md, "Remediation").
template <typename Pinned>
void require_staged_set(const gov::Incident& incident, const Pinned& pinned) {
  for (auto record = incident.history.rbegin(); record != incident.history.rend(); ++record) {
    const auto details = json::parse(record->details, nullptr, false);
    if (record->state != "staged" || !details.is_object() || !details.contains("table")) continue;
    const auto table = details.value("table", std::string());
    const std::int64_t version = details.contains("version") && details.at("version").is_number_integer()
                                     ? details.at("version").get<std::int64_t>()
                                     : -1;
    const std::int64_t read = pinned.version.value_or(-1);
    DRIFTGOV_USER_CHECK(io::local_storage().same_file(pinned.path, table) && read == version,
                        "model train --incident {}: train on the incident's staged retraining set {} at version {} "
                        "(record seq {}); found {} at version {}",
                        incident.id, table, version, record->seq, pinned.path, read);
    return;
  }
}

void move_incident(const PrincipalArguments::Acting& acting, const std::string& incident_id, gov::IncidentState to,
                   const std::string& reason, const json& details) {
  gov::transition_incident(incident_context(acting.config, acting.principal), incident_id, to, reason,
                           details.dump(-1, ' ', false, json::error_handler_t::replace));
}

// A table read by a governed job, as a lineage dataset: a Delta table with its schema at the version read, else
// the file.
gov::LineageDataset table_lineage(const std::string& path, std::optional<std::int64_t> version) {
  return version ? gov::delta_lineage_dataset(path, version) : gov::lineage_dataset(path);
}

void print_json(const json& value) { fmt::print("{}\n", value.dump(2, ' ', false, json::error_handler_t::replace)); }

std::string now_text() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return monitor::format_instant(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

// ---- model train ----

struct TrainArguments {
  PrincipalArguments principal;
  std::string table;
  std::optional<std::int64_t> version;
  std::string config_file;
  std::string out;
  bool json_output = false;
};

// The trainer of an incident's monitor (remediation.trainer), as the settings a --trainer-config file would give;
// nullopt when the monitor declares none.
std::optional<gov::TrainConfig> remediation_trainer(const monitor::Config& config, const gov::Incident& incident) {
  const auto& monitor = config.monitor(incident.monitor);
  if (!monitor.remediation || !monitor.remediation->trainer) return std::nullopt;
  const auto& declared = *monitor.remediation->trainer;
  gov::TrainConfig train;
  train.trainer = declared.kind;
  train.objective = declared.objective;
  train.label = declared.label.empty() ? monitor.remediation->labels.columns.at(0) : declared.label;
  train.features = declared.features;
  train.rounds = declared.rounds;
  train.seed = declared.seed;
  train.params = declared.params;
  train.command = declared.command;
  train.format = declared.format.empty() ? (declared.command.empty() ? "ubj" : "bin") : declared.format;
  if (!declared.problem.empty()) {
    train.command_problem =
        declared.problem == "regression" ? gov::Problem::kRegression : gov::Problem::kBinaryClassification;
  }
  return train;
}

int run_train(const TrainArguments& args) {
  DRIFTGOV_USER_CHECK(!args.out.empty(), "--out: the folder of the model artefacts is required");
  const auto actor = args.principal.acting(gov::Role::kTrainer);
  const auto incident = incident_to_move(actor, args.principal.incident, gov::IncidentState::kStaged, "model train");
  // With --incident, the trainer and its hyper-parameters are the configuration's (remediation.trainer of the
  // incident's monitor) when it declares one: a --trainer-config as well is refused, so there is one source.
  const auto declared = incident ? remediation_trainer(actor->config, *incident) : std::nullopt;
  DRIFTGOV_USER_CHECK(!(declared && !args.config_file.empty()),
                      "model train --incident {}: --trainer-config {} given, but monitor '{}' declares its trainer "
                      "(remediation.trainer in {}); drop --trainer-config",
                      incident ? incident->id : "", args.config_file, incident ? incident->monitor : "",
                      actor ? actor->config.file : "");
  DRIFTGOV_USER_CHECK(declared || !args.config_file.empty(),
                      "--trainer-config: the trainer settings file is required{}",
                      incident ? fmt::format(" (or remediation.trainer in monitor '{}' of {})", incident->monitor,
                                             actor->config.file)
                               : std::string());
  const auto config =
      declared ? *declared
               : gov::TrainConfig::parse(io::read_file(io::local_storage(), args.config_file), args.config_file);
  const auto pinned = gov::pin_table(args.table, args.version, "--version");
  if (incident) require_staged_set(*incident, pinned);
  std::optional<LineageJob> lineage;  // a governed training (an acting principal named) is a lineage job
  if (actor) {
    lineage.emplace(actor->config, "model.train", "TRAIN");
    if (lineage->enabled()) lineage->run().inputs = {table_lineage(pinned.path, pinned.version)};
    lineage->start();
  }
  const auto data = gov::read_dataset(monitor::builtin_sources(), pinned.location, config.features, config.label, "", config.problem());
  std::string input_sha256;
  const auto trained = [&] {
    if (config.command.empty()) return gov::train_model(config, data, args.out);
    const io::ScratchFolder work_folder("driftgov-train");
    return gov::train_with_command(config, data, work_folder.path(), args.out, input_sha256);
  }();
  json manifest = {{"format", "driftgov.training/1"},
                   {"artefact", {{"path", trained.path}, {"sha256", trained.sha256}, {"format", config.format}}},
                   {"trainer", config.trainer},
                   {"rounds", config.trainer == "random_forest" ? 1 : config.rounds.value_or(100)},
                   {"params", trained.params},
                   {"label", config.label},
                   {"features", trained.feature_names},
                   {"table", pinned.path},
                   {"table_version", pinned.version ? json(*pinned.version) : json(nullptr)},
                   {"rows", trained.rows},
                   {"rows_sha256", gov::rows_digest(data)},
                   {"trained_by", actor ? json(actor->principal.name) : json(nullptr)}};
  if (!config.command.empty()) {
    manifest["command"] = config.command;
    manifest["problem"] = gov::to_string(config.problem());
    manifest["input_sha256"] = input_sha256;
    manifest["seed"] = config.seed;
    manifest["rounds"] = nullptr;
  }
  io::write_file_atomically(io::local_storage(), io::join_path(args.out, trained.sha256 + ".training.json"),
                            manifest.dump(2) + "\n");
  if (actor) {
    append_entry(*actor, "model.train", trained.sha256,
                 {{"artefact", trained.path}, {"trainer", config.trainer}, {"table", pinned.path},
                  {"table_version", manifest.at("table_version")}, {"rows", trained.rows}});
  }
  if (lineage && lineage->enabled()) {
    lineage->run().inputs.front().row_count = trained.rows;
    lineage->run().outputs = {gov::lineage_dataset(trained.path)};
  }
  if (lineage) lineage->complete();
  if (incident) {
    move_incident(*actor, incident->id, gov::IncidentState::kTraining,
                  fmt::format("challenger {} trained by {}", trained.sha256.substr(0, 12), actor->principal.name),
                  {{"artefact", trained.path}, {"artefact_sha256", trained.sha256}, {"trainer", actor->principal.name},
                   {"table", pinned.path}, {"table_version", manifest.at("table_version")}});
  }
  if (args.json_output) {
    print_json(manifest);
  } else {
    fmt::print("trained {} on {} rows of {}: {}\nsha256 {}\n", config.trainer, trained.rows, pinned.location,
               trained.path, trained.sha256);
  }
  return kExitOk;
}

// ---- model score ----

struct ScoreArguments {
  std::string model;
  std::string table;
  std::vector<std::string> features;
};

int run_score(const ScoreArguments& args) {
  const auto model = gov::XGBoostModel::load(args.model);
  const auto features = args.features.empty() ? model.description().feature_names : args.features;
  const auto data = gov::read_dataset(monitor::builtin_sources(), args.table, features, "", "", std::nullopt);
  fmt::print("prediction\n");
  for (const double value : model.predict(data)) fmt::print("{}\n", value);
  return kExitOk;
}

// ---- evaluate ----

struct EvaluateArguments {
  PrincipalArguments principal;
  std::string holdout;
  std::optional<std::int64_t> version;
  std::string label;
  std::string champion, challenger;
  std::string champion_command, challenger_command;
  std::string problem;
  std::vector<std::string> features;
  std::string slice;
  std::vector<std::string> metrics;
  std::int64_t bootstrap = 1000;
  std::uint64_t seed = 0;
  double confidence = 0.95;
  std::vector<std::string> gates;
  std::string harness;
  std::string out;
  bool json_output = false;
  std::string record;  // verify
};

// A model of the evaluation: an XGBoost file scored natively, or a score command (with an optional model file).
struct EvaluatedModel {
  std::optional<gov::XGBoostModel> xgboost;
  gov::ModelDescription description;
  std::optional<gov::Problem> problem;
};

EvaluatedModel open_model(const std::string& path, const std::string& command, const char* role) {
  EvaluatedModel model;
  if (command.empty()) {
    DRIFTGOV_USER_CHECK(!path.empty(), "--{0}: the {0} model is required (or --{0}-command)", role);
    model.xgboost = gov::XGBoostModel::load(path);
    model.description = model.xgboost->description();
    model.problem = model.xgboost->problem();
    return model;
  }
  model.description.kind = "command";
  model.description.score_command = command;
  model.description.path = path;
  model.description.sha256 =
      path.empty() ? gov::sha256_hex(command) : gov::sha256_hex(io::read_file(io::local_storage(), path));
  return model;
}

json describe(const EvaluatedModel& model) {
  const auto& d = model.description;
  json j = {{"path", d.path}, {"sha256", d.sha256}, {"kind", d.kind}, {"features", d.feature_names}};
  if (d.kind == "xgboost") j["objective"] = d.objective;
  if (d.kind == "command") j["score_command"] = d.score_command;
  return j;
}

std::vector<double> score(const EvaluatedModel& model, const gov::Dataset& data, const std::string& work_folder) {
  return model.xgboost ? model.xgboost->predict(data) : gov::score_with_command(model.description, data, work_folder);
}

std::vector<std::string> split_metrics(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const auto& item : given) {
    std::size_t begin = 0;
    while (begin <= item.size()) {
      auto end = item.find(',', begin);
      if (end == std::string::npos) end = item.size();
      if (end > begin) out.push_back(item.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  return out;
}

void print_summary(const json& record) {
  const auto& harness = record.at("harness");
  fmt::print("holdout {}{} ({} rows), label {}\n", harness.at("holdout").get<std::string>(),
             harness.at("holdout_version").is_null() ? std::string()
                                                     : fmt::format("@v={}", harness.at("holdout_version").get<std::int64_t>()),
             harness.at("rows").get<std::int64_t>(), harness.at("label").get<std::string>());
  fmt::print("champion   {} sha256 {}\nchallenger {} sha256 {}\n", record.at("champion").at("path").get<std::string>(),
             record.at("champion").at("sha256").get<std::string>(), record.at("challenger").at("path").get<std::string>(),
             record.at("challenger").at("sha256").get<std::string>());
  const auto text = [](const json& v) { return v.is_null() ? std::string("-") : fmt::format("{:.6f}", v.get<double>()); };
  fmt::print("{:<10} {:>10} {:>10} {:>10}  {}\n", "metric", "champion", "challenger", "difference", "interval");
  for (const auto& metric : harness.at("metrics")) {
    const auto& m = record.at("overall").at(metric.get<std::string>());
    fmt::print("{:<10} {:>10} {:>10} {:>10}  [{}, {}]\n", metric.get<std::string>(), text(m.at("champion")), text(m.at("challenger")),
               text(m.at("difference")), text(m.at("ci_low")), text(m.at("ci_high")));
  }
  if (!record.at("delong").is_null()) {
    fmt::print("DeLong: z = {:.4f}, p = {:.4g}\n", record.at("delong").at("z").get<double>(),
               record.at("delong").at("p_value").get<double>());
  }
  for (const auto& gate : record.at("gates")) {
    for (const auto& check : gate.at("checks")) {
      fmt::print("gate {} {}: {} ({})\n", gate.at("rule").at("metric").get<std::string>(),
                 check.at("check").get<std::string>(), check.at("passed").get<bool>() ? "pass" : "FAIL",
                 check.at("detail").get<std::string>());
    }
  }
  fmt::print("{}; digest {}{}\n", record.at("passed").get<bool>() ? "PASSED" : "FAILED",
             record.at("digest").get<std::string>(),
             record.at("signature").is_null()
                 ? std::string(", unsigned")
                 : fmt::format(", signed by {}", record.at("signature").at("principal").get<std::string>()));
}

int run_evaluate(const EvaluateArguments& args) {
  const auto actor = args.principal.acting(gov::Role::kTrainer);
  std::optional<gov::Harness> pinned_harness;
  if (!args.harness.empty()) {
    const auto text = io::read_file(io::local_storage(), args.harness);
    const auto parsed = json::parse(text, nullptr, false);
    DRIFTGOV_USER_CHECK(!parsed.is_discarded(), "--harness {}: not JSON", args.harness);
    pinned_harness = gov::Harness::from_json(parsed, args.harness);
  }
  // Without flags, the pinned harness says what to read.
  const auto holdout = !args.holdout.empty() ? args.holdout : pinned_harness ? pinned_harness->holdout : "";
  DRIFTGOV_USER_CHECK(!holdout.empty(), "--holdout: the holdout table is required (or --harness)");
  const auto version = args.version           ? args.version
                       : !args.holdout.empty() || !pinned_harness ? std::nullopt
                                                                  : pinned_harness->holdout_version;
  const auto label = !args.label.empty() ? args.label : pinned_harness ? pinned_harness->label : "";
  DRIFTGOV_USER_CHECK(!label.empty(), "--label: the label column is required (or --harness)");
  const auto slice = !args.slice.empty() || !pinned_harness ? args.slice : pinned_harness->slice_column;

  const auto champion = open_model(args.champion, args.champion_command, "champion");
  const auto challenger = open_model(args.challenger, args.challenger_command, "challenger");
  const auto incident = incident_to_move(actor, args.principal.incident, gov::IncidentState::kTraining, "evaluate");
  if (incident) {
    DRIFTGOV_USER_CHECK(!args.out.empty(), "evaluate --incident {}: --out RECORD.json is required (the incident "
                                           "records where the evaluation is)",
                        incident->id);
    std::string trained;
    for (const auto& record : incident->history) {
      const auto details = json::parse(record.details, nullptr, false);
      if (record.state == "training" && details.is_object()) trained = details.value("artefact_sha256", trained);
    }
    DRIFTGOV_USER_CHECK(trained.empty() || trained == challenger.description.sha256,
                        "evaluate --incident {}: the challenger {} has SHA-256 {}, but the incident trained {}",
                        incident->id, challenger.description.path, challenger.description.sha256, trained);
  }
  std::optional<gov::Problem> problem;
  if (!args.problem.empty()) {
    DRIFTGOV_USER_CHECK(args.problem == "classification" || args.problem == "regression",
                        "--problem: expected classification or regression, got '{}'", args.problem);
    problem = args.problem == "classification" ? gov::Problem::kBinaryClassification : gov::Problem::kRegression;
  }
  for (const auto* model : {&champion, &challenger}) {
    if (!model->problem) continue;
    DRIFTGOV_USER_CHECK(!problem || *problem == *model->problem,
                        "model {} ({}) is a {} model; the evaluation is {}", model->description.path,
                        model->description.objective, gov::to_string(*model->problem), gov::to_string(*problem));
    problem = model->problem;
  }
  DRIFTGOV_USER_CHECK(problem.has_value(), "--problem: both models are scored by a command; say classification or "
                                           "regression");
  auto metrics = split_metrics(args.metrics);
  if (metrics.empty()) metrics = pinned_harness && args.metrics.empty() ? pinned_harness->metrics : gov::metric_names(*problem);
  for (const auto& metric : metrics) gov::check_metric_name(metric, *problem, "--metrics");

  const auto pinned = gov::pin_table(holdout, version, "--version");
  std::optional<LineageJob> lineage;  // a governed evaluation (an acting principal named) is a lineage job
  if (actor) {
    lineage.emplace(actor->config, "model.evaluate", "EVALUATE");
    if (lineage->enabled()) lineage->run().inputs = {table_lineage(pinned.path, pinned.version)};
    lineage->start();
  }
  // Each model reads its own features (the names stored in an XGBoost model, else --features, else every column
  // but the label and the slice); the rows, labels and slices are the same for both.
  const auto features_of = [&](const EvaluatedModel& model) {
    return !model.description.feature_names.empty() ? model.description.feature_names : args.features;
  };
  const auto champion_data = gov::read_dataset(monitor::builtin_sources(), pinned.location, features_of(champion), label, slice, problem);
  const auto challenger_data = gov::read_dataset(monitor::builtin_sources(), pinned.location, features_of(challenger), label, slice, problem);
  const io::ScratchFolder work_folder(fmt::format("driftgov-score-{}", gov::rows_digest(champion_data).substr(0, 12)));

  gov::ScoredHoldout scored;
  scored.problem = *problem;
  scored.labels = champion_data.labels;
  scored.slices = champion_data.slices;
  scored.champion = score(champion, champion_data, work_folder.path());
  scored.challenger = score(challenger, challenger_data, work_folder.path());

  gov::Harness harness;
  harness.holdout = pinned.path;
  harness.holdout_version = pinned.version;
  harness.label = label;
  harness.slice_column = slice;
  harness.metrics = metrics;
  harness.scoring_code = gov::scoring_code_version();
  for (const auto* model : {&champion, &challenger}) {
    if (model->description.kind == "command") {
      harness.scoring_code += fmt::format("; {} score_command sha256:{}", model == &champion ? "champion" : "challenger",
                                          gov::sha256_hex(model->description.score_command));
    }
  }
  harness.rows_sha256 = gov::rows_digest(champion_data);
  harness.rows = champion_data.rows;
  if (pinned_harness) gov::require_same_harness(*pinned_harness, harness, args.harness);

  gov::EvaluationSettings settings;
  settings.bootstrap_replicates = args.bootstrap;
  settings.seed = args.seed;
  settings.confidence = args.confidence;
  for (const auto& gate : args.gates) settings.gates.push_back(gov::GateRule::parse(gate, "--gate"));

  auto record = gov::evaluate(scored, metrics, settings);
  record["format"] = "driftgov.evaluation/1";
  record["harness"] = harness.to_json();
  record["champion"] = describe(champion);
  record["challenger"] = describe(challenger);
  record["created_at"] = now_text();
  record["evaluated_by"] = actor ? json(actor->principal.name) : json(nullptr);
  if (actor) {
    gov::sign_evaluation(record, actor->principal.name, actor->principal.key);
  } else {
    record["digest"] = gov::evaluation_digest(record);
    record["signature"] = nullptr;
  }
  if (!args.out.empty()) io::write_file_atomically(io::local_storage(), args.out, record.dump(2) + "\n");
  if (lineage && lineage->enabled()) {
    lineage->run().inputs.front().row_count = harness.rows;
    for (const auto* model : {&champion, &challenger}) {
      if (!model->description.path.empty()) lineage->run().inputs.push_back(gov::lineage_dataset(model->description.path));
    }
    if (!args.out.empty()) lineage->run().outputs = {gov::lineage_dataset(args.out)};
  }
  if (lineage) lineage->complete();
  if (actor) {
    append_entry(*actor, "model.evaluate", challenger.description.sha256,
                 {{"digest", record.at("digest")}, {"champion", champion.description.sha256},
                  {"challenger", challenger.description.sha256}, {"holdout", harness.holdout},
                  {"holdout_version", record.at("harness").at("holdout_version")}, {"passed", record.at("passed")},
                  {"record", args.out.empty() ? json(nullptr) : json(args.out)}});
  }
  if (incident) {
    move_incident(*actor, incident->id, gov::IncidentState::kEvaluated,
                  fmt::format("challenger {} evaluated: {}", challenger.description.sha256.substr(0, 12),
                              record.at("passed").get<bool>() ? "passed" : "failed"),
                  {{"record", args.out}, {"digest", record.at("digest")},
                   {"challenger_sha256", challenger.description.sha256}, {"passed", record.at("passed")}});
  }
  if (args.json_output) {
    print_json(record);
  } else {
    print_summary(record);
  }
  return record.at("passed").get<bool>() ? kExitOk : kExitGateFailed;
}

int run_verify_evaluation(const EvaluateArguments& args) {
  const auto parsed = json::parse(io::read_file(io::local_storage(), args.record), nullptr, false);
  DRIFTGOV_USER_CHECK(!parsed.is_discarded(), "{}: not JSON", args.record);
  const auto config =
      monitor::load_config(args.principal.config, config_load_options(args.principal.target, args.principal.variables));
  const auto check = gov::verify_evaluation(parsed, config.principals);
  if (check.ok) {
    fmt::print("OK: {} digest {} signed by {}\n", args.record, parsed.at("digest").get<std::string>(),
               parsed.at("signature").at("principal").get<std::string>());
    return kExitOk;
  }
  fmt::print("FAILED: {}: {}\n", args.record, check.problem);
  return kExitAuditInvalid;
}

}  // namespace

void register_model(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Models: the built-in trainer and native scoring (docs/evaluation.md)");
  model->require_subcommand(1);

  auto train_args = std::make_shared<TrainArguments>();
  auto* train = model->add_subcommand("train", "Train an xgboost or random_forest model (or run an external trainer); write it under its SHA-256");
  train->add_option("TABLE", train_args->table, kSourceHelp)->required();
  train->add_option("--version", train_args->version, "Delta version of TABLE (default: its latest)");
  train->add_option("--trainer-config", train_args->config_file,
                    "Trainer settings (YAML): trainer, objective, label, features, rounds, seed, format, params; or "
                    "command for an external trainer (required, unless --incident's monitor declares "
                    "remediation.trainer)");
  train->add_option("--out", train_args->out, "Folder of the model artefacts (required)");
  train->add_flag("--json", train_args->json_output, "Print the training manifest as JSON");
  train_args->principal.add_to(train);
  add_verb(train, [train_args] { return run_train(*train_args); });

  auto score_args = std::make_shared<ScoreArguments>();
  auto* score_command = model->add_subcommand("score", "Print an XGBoost model's predictions for the rows of a table");
  score_command->add_option("MODEL", score_args->model, "XGBoost model (JSON or UBJSON)")->required();
  score_command->add_option("TABLE", score_args->table, kSourceHelp)->required();
  score_command->add_option("--features", score_args->features,
                            "Feature columns in the model's order (default: the names stored in the model)")
      ->delimiter(',');
  add_verb(score_command, [score_args] { return run_score(*score_args); });
  register_registry(model);
}

void register_evaluate(CLI::App& app) {
  auto args = std::make_shared<EvaluateArguments>();
  auto* evaluate = app.add_subcommand("evaluate", "Judge a challenger against the champion on one pinned harness "
                                                  "(docs/evaluation.md)");
  evaluate->add_option("--holdout", args->holdout, kSourceHelp);
  evaluate->add_option("--version", args->version, "Delta version of the holdout (default: its latest, pinned)");
  evaluate->add_option("--label", args->label, "Label column");
  evaluate->add_option("--champion", args->champion, "Champion model: XGBoost JSON/UBJSON (or the file given to "
                                                     "--champion-command)");
  evaluate->add_option("--challenger", args->challenger, "Challenger model, as --champion");
  evaluate->add_option("--champion-command", args->champion_command, "Score the champion with this command "
                                                                     "(docs/evaluation.md, score_command)");
  evaluate->add_option("--challenger-command", args->challenger_command, "Score the challenger with this command");
  evaluate->add_option("--problem", args->problem, "classification or regression (default: the XGBoost objective)");
  evaluate->add_option("--features", args->features, "Feature columns of models without stored feature names")
      ->delimiter(',');
  evaluate->add_option("--slice", args->slice, "Column whose values are the slices");
  evaluate->add_option("--metrics", args->metrics, "Metrics, comma-separated (default: all of the problem's)");
  evaluate->add_option("--bootstrap", args->bootstrap, "Bootstrap replicates")->capture_default_str()->check(CLI::Range(std::int64_t{0}, std::int64_t{1000000}));
  evaluate->add_option("--seed", args->seed, "Bootstrap seed")->capture_default_str();
  evaluate->add_option("--confidence", args->confidence, "Confidence of the bootstrap intervals")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.9999));
  evaluate->add_option("--gate", args->gates, "Gate rule METRIC:key=value,... (repeatable; docs/evaluation.md)");
  evaluate->add_option("--harness", args->harness, "Pinned harness: a harness or evaluation record (JSON) this "
                                                   "evaluation must match");
  evaluate->add_option("--out", args->out, "Write the evaluation record (JSON) here");
  evaluate->add_flag("--json", args->json_output, "Print the evaluation record");
  args->principal.add_to(evaluate);
  add_verb(evaluate, [args] { return run_evaluate(*args); });

  auto* verify = evaluate->add_subcommand("verify", "Check an evaluation record's digest and signature");
  verify->add_option("RECORD", args->record, "Evaluation record (JSON)")->required();
  verify->add_option("--config", args->principal.config, "The configuration file (its principals)")
      ->capture_default_str();
  verify->add_option("--target", args->principal.target, "Target (default: the default target)");
  add_verb(verify, [args] { return run_verify_evaluation(*args); });
}

}  // namespace driftgov::cli
