// driftgov quality DATA --prediction-col P --label-col L [--proba-col C] --problem-type T [--json FILE|-]
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/sources.hpp"
#include "driftgov/stats/model_quality.hpp"

namespace driftgov::cli {
namespace {

struct QualityArguments {
  std::string data;
  std::string prediction_column;
  std::string label_column;
  std::string probability_column;
  std::string problem_type;
  std::size_t max_score_bins = stats::ModelQuality::kDefaultMaxScoreBins;
  std::string json_output;
  SourceArguments source;
};

stats::ModelQuality measure(const QualityArguments& args) {
  for (const auto& [value, flag] : {std::pair{&args.prediction_column, "--prediction-col"},
                                    {&args.label_column, "--label-col"}, {&args.problem_type, "--problem-type"}}) {
    if (value->empty()) throw CLI::RequiredError(flag);
  }
  if (args.max_score_bins < 1) throw core::InputError("--max-score-bins: expected >= 1, got 0");
  const auto problem = args.problem_type == "classification" ? stats::QualityProblem::kClassification
                                                             : stats::QualityProblem::kRegression;
  if (problem == stats::QualityProblem::kRegression && !args.probability_column.empty()) {
    throw core::InputError("--proba-col applies to --problem-type classification only");
  }
  auto options = args.source.to_options();
  for (const auto* column : {&args.prediction_column, &args.label_column, &args.probability_column}) {
    if (!column->empty() && std::find(options.columns.begin(), options.columns.end(), *column) == options.columns.end()) {
      options.columns.push_back(*column);
    }
  }
  auto source = monitor::open_source(args.data, options);
  const auto index_of = [&](const std::string& name) {
    const auto& fields = source->schema().fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].name == name) return i;
    }
    throw core::InputError(fmt::format("{}: no column '{}'", source->description(), name));
  };
  const auto prediction = index_of(args.prediction_column);
  const auto label = index_of(args.label_column);
  const auto probability = args.probability_column.empty() ? prediction : index_of(args.probability_column);
  stats::ModelQuality quality(problem, args.max_score_bins);
  std::int64_t first_row = 0;
  while (auto batch = source->next()) {
    quality.add(batch->columns[prediction], batch->columns[label],
                args.probability_column.empty() ? nullptr : &batch->columns[probability], source->description(),
                first_row);
    first_row += batch->num_rows;
  }
  return quality;
}

std::string number_text(const std::optional<double>& value) {
  return value ? fmt::format("{:.6g}", *value) : std::string("-");
}

void print_table(const stats::QualityMetrics& metrics, stats::QualityProblem problem) {
  fmt::print("labelled rows: {}\n", metrics.labelled_rows);
  const auto line = [](const char* name, const std::optional<double>& value) {
    fmt::print("  {:<32} {}\n", name, number_text(value));
  };
  if (problem == stats::QualityProblem::kRegression) {
    line("mean_squared_error", metrics.mean_squared_error);
    line("root_mean_squared_error", metrics.root_mean_squared_error);
    line("mean_absolute_error", metrics.mean_absolute_error);
    line("mean_absolute_percentage_error", metrics.mean_absolute_percentage_error);
    line("r2_score", metrics.r2_score);
    line("mean_prediction", metrics.mean_prediction);
    line("mean_label", metrics.mean_label);
    return;
  }
  line("accuracy_score", metrics.accuracy_score);
  fmt::print("  {:<32} {:<12} {}\n", "", "macro", "weighted");
  for (const auto& [name, macro, weighted] :
       {std::tuple{"precision", metrics.precision_macro, metrics.precision_weighted},
        {"recall", metrics.recall_macro, metrics.recall_weighted},
        {"f1_score", metrics.f1_macro, metrics.f1_weighted}}) {
    fmt::print("  {:<32} {:<12} {}\n", name, number_text(macro), number_text(weighted));
  }
  if (metrics.roc_auc_bound) {
    fmt::print("  {:<32} {} (binned scores: error at most {:.3g})\n", "roc_auc", number_text(metrics.roc_auc),
               *metrics.roc_auc_bound);
  } else {
    line("roc_auc", metrics.roc_auc);
  }
  line("log_loss", metrics.log_loss);
  if (!metrics.confusion_matrix) return;
  const auto& matrix = *metrics.confusion_matrix;
  fmt::print("confusion matrix (rows: label, columns: prediction)\n  {:<16}", "");
  for (const auto& name : matrix.classes) fmt::print(" {:>12}", name);
  fmt::print("\n");
  for (std::size_t row = 0; row < matrix.classes.size(); ++row) {
    fmt::print("  {:<16}", matrix.classes[row]);
    for (const auto count : matrix.counts[row]) fmt::print(" {:>12}", count);
    fmt::print("\n");
  }
}

}  // namespace

void register_quality(CLI::App& app) {
  auto args = std::make_shared<QualityArguments>();
  auto* command = app.add_subcommand(
      "quality", "Model quality of an inference log: accuracy, F1, ROC AUC, MSE, R2... as scikit-learn (docs/quality.md)");
  command->add_option("DATA", args->data, kSourceHelp)->required();
  // The three required options are checked when the verb runs, as `profile` checks its own: CLI11 would report a
  // missing one before an excess argument or an unknown option.
  command->add_option("--prediction-col", args->prediction_column, "Column of the model's predictions (required)");
  command->add_option("--label-col", args->label_column, "Column of the true labels, null: not labelled yet (required)");
  command->add_option("--proba-col", args->probability_column,
                      "Classification: column of the positive class's probability (ROC AUC, log loss)");
  command->add_option("--problem-type", args->problem_type, "classification or regression (required)")
      ->check(CLI::IsMember({"classification", "regression"}));
  command->add_option("--max-score-bins", args->max_score_bins,
                      "Distinct probabilities kept exactly for ROC AUC; beyond, equal-width bins with a stated bound")
      ->capture_default_str();
  command->add_option("--json", args->json_output, "Write the metrics as JSON to FILE ('-' for stdout)");
  args->source.add_to(command);
  add_verb(command, [args] {
    const auto quality = measure(*args);
    const auto metrics = quality.metrics();
    if (args->json_output != "-") print_table(metrics, quality.problem());
    if (!args->json_output.empty()) {
      auto json = stats::to_json(metrics);
      json["format"] = "driftgov.quality_metrics";
      json["format_version"] = 1;
      const auto text = json.dump(2) + "\n";
      if (args->json_output == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
      } else {
        io::write_file_atomically(io::local_storage(), args->json_output, text);
      }
    }
    return kExitOk;
  });
}

}  // namespace driftgov::cli
