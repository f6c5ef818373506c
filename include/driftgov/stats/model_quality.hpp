#pragma once
// Model quality of an inference log, as scikit-learn computes it (docs/statistics.md, "Model quality"), held as
// a mergeable state: quality(A) merged with quality(B) gives the metrics of A u B. Rows whose label is null are
// left out (labels may arrive later); so are rows whose prediction is null.
//
// Classification: labels and predictions are compared as value text (core/value_text.hpp), so an int label and
// a string prediction "1" are the same class. Metrics: accuracy, precision/recall/F1 macro and weighted (zero
// division counts as 0, as scikit-learn's default), the confusion matrix (classes sorted as scikit-learn sorts
// them: numerically when every class is a number, else as text), and, when a probability column is given for a
// binary problem, ROC AUC and log loss of the probability of the positive class (the greater of the two classes
// in that order). ROC AUC is exact while the distinct probabilities stay within `max_score_bins`; beyond that,
// scores are merged into that many equal-count bins and the result states its bound.
// Regression: MSE, RMSE, MAE, MAPE (denominator max(|y|, machine epsilon), as scikit-learn), R² (1 - SS_res/SS_tot;
// 1.0 or 0.0 for a constant label as scikit-learn's force_finite), mean prediction and mean label.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "driftgov/core/column.hpp"

namespace driftgov::stats {

enum class QualityProblem { kClassification, kRegression };

struct ConfusionMatrix {
  std::vector<std::string> classes;                  // row and column order
  std::vector<std::vector<std::int64_t>> counts;     // counts[true class][predicted class]
};

struct QualityMetrics {
  std::int64_t labelled_rows = 0;  // rows that took part
  // classification
  std::optional<double> accuracy_score, precision_macro, precision_weighted, recall_macro, recall_weighted,
      f1_macro, f1_weighted, roc_auc, log_loss;
  std::optional<ConfusionMatrix> confusion_matrix;
  std::optional<double> roc_auc_bound;  // set when ROC AUC came from binned scores: |error| <= bound
  // regression
  std::optional<double> mean_squared_error, root_mean_squared_error, mean_absolute_error,
      mean_absolute_percentage_error, r2_score, mean_prediction, mean_label;
};

class ModelQuality {
 public:
  static constexpr std::size_t kDefaultMaxScoreBins = 1 << 16;
  explicit ModelQuality(QualityProblem problem, std::size_t max_score_bins = kDefaultMaxScoreBins);

  QualityProblem problem() const;
  // Adds rows. `prediction` and `label` have the same length; `probability` (may be null) is a numeric column of
  // the positive class's probability. Throws core::InputError naming `context` and the row for a regression value
  // that is not numeric, or a probability outside [0, 1].
  void add(const core::Column& prediction, const core::Column& label, const core::Column* probability,
           const std::string& context);
  // Throws core::InputError when the problems differ.
  void merge(const ModelQuality& other);
  QualityMetrics metrics() const;

  // Exact state, for storing between refreshes.
  nlohmann::json to_json() const;
  static ModelQuality from_json(const nlohmann::json& json, const std::string& context);

 private:
  QualityProblem problem_;
  std::size_t max_score_bins_;
  // classification: (true class, predicted class) -> rows
  std::map<std::pair<std::string, std::string>, std::int64_t> pairs_;
  // binary probabilities: score -> (rows whose true class is the positive class, the others), keyed by the true
  // class text so the positive class can be chosen once every class is known
  std::map<double, std::map<std::string, std::int64_t>> scores_;
  bool scores_binned_ = false;
  double score_bin_bound_ = 0.0;
  std::map<std::string, double> log_loss_sum_;  // true class -> sum of -log(p(true class)) under each choice
  // regression sums (Kahan-compensated where it matters; see the .cpp)
  std::int64_t n_ = 0;
  double sum_sq_ = 0.0, sum_abs_ = 0.0, sum_ape_ = 0.0, sum_pred_ = 0.0, label_mean_ = 0.0, label_m2_ = 0.0;
};

nlohmann::json to_json(const QualityMetrics& metrics);

}  // namespace driftgov::stats
