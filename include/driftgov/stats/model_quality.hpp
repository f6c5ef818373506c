#pragma once
// Model quality of an inference log, as scikit-learn computes it (docs/statistics.md, "Model quality"), held as
// a mergeable state: quality(A) merged with quality(B) gives the metrics of A u B. Rows whose label is null are
// left out (labels may arrive later); so are rows whose prediction is null.
//
// Classification: labels and predictions are compared as value text (core/value_text.hpp), so an int label and
// a string prediction "1" are the same class; a floating-point value that is a whole number below 2^53 is written
// as an integer ("1", not value text's "1.0"), so a float prediction 1.0 and an int label 1 are one class, as
// numpy compares them. Metrics: accuracy, precision/recall/F1 macro and weighted (zero division counts as 0, as
// scikit-learn's default), the confusion matrix (classes sorted as scikit-learn sorts numeric labels when every
// class reads as a number, else as text, byte by byte), and, when a probability column is given for a binary
// problem (exactly two classes among labels and predictions), ROC AUC and log loss of the probability of the
// positive class (the greater of the two classes in that order). Both need a probability on every counted row;
// otherwise, and for more than two classes, they stay null. Log loss clips p to [eps, 1 - eps] (eps = 2^-52), as
// scikit-learn 1.9 does. ROC AUC is exact while the distinct probabilities number at most `max_score_bins`;
// beyond that, probabilities are counted in `max_score_bins` equal-width bins of [0, 1], pairs within one bin
// count as ties, and `roc_auc_bound` states the largest possible error (half the share of positive-negative pairs
// that share a bin), computed from the data.
// Regression: MSE, RMSE, MAE, MAPE (denominator max(|y|, machine epsilon), as scikit-learn), R² (1 - SS_res/SS_tot;
// for a constant label (min = max) 1.0 when every prediction is exact, else 0.0, as scikit-learn's force_finite;
// null for fewer than two rows), mean prediction and mean label. Sums are Neumaier-compensated; the label's M2
// merges with Chan's update (stats::Moments).
// Merging is exact for counts and for every classification metric except a binned log loss; floating-point sums
// of regression metrics merge up to rounding (relative 1e-15 in practice). to_json/from_json keep the state bit
// for bit. Not thread-safe; use one ModelQuality per thread and merge.
//
// Invalid rows (a regression prediction or label that is not a finite number; a probability that is NaN or
// outside [0, 1]) are refused by default, as scikit-learn refuses them. With InvalidRows::kSkip (what a monitor
// uses: one bad row must not stop a refresh) such a row is left out of every metric and counted in
// `invalid_rows`, which merges and is stored like the rest of the state.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "driftgov/core/column.hpp"
#include "driftgov/stats/moments.hpp"

namespace driftgov::stats {

enum class QualityProblem { kClassification, kRegression };
enum class InvalidRows { kRefuse, kSkip };

struct ConfusionMatrix {
  std::vector<std::string> classes;                  // row and column order
  std::vector<std::vector<std::int64_t>> counts;     // counts[true class][predicted class]
};

struct QualityMetrics {
  std::int64_t labelled_rows = 0;  // rows that took part
  std::int64_t invalid_rows = 0;   // rows left out for an invalid value (InvalidRows::kSkip)
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
  explicit ModelQuality(QualityProblem problem, std::size_t max_score_bins = kDefaultMaxScoreBins,
                        InvalidRows invalid = InvalidRows::kRefuse);

  QualityProblem problem() const;
  // Adds rows. `prediction` and `label` have the same length; `probability` (may be null) is a numeric column of
  // the positive class's probability. Throws core::InputError naming `context` and the row for a regression value
  // that is not a finite number, or a probability outside [0, 1] (with InvalidRows::kRefuse; kSkip counts the row
  // in invalid_rows instead). Rows are numbered from `first_row` + 1 in messages (the position of the batch in its
  // source).
  void add(const core::Column& prediction, const core::Column& label, const core::Column* probability,
           const std::string& context, std::int64_t first_row = 0);
  // Throws core::InputError when the problems or the max_score_bins differ (the message names both values).
  void merge(const ModelQuality& other);
  QualityMetrics metrics() const;

  // Exact state, for storing between refreshes.
  nlohmann::json to_json() const;
  static ModelQuality from_json(const nlohmann::json& json, const std::string& context,
                                InvalidRows invalid = InvalidRows::kRefuse);

 private:
  // Neumaier's compensated sum: the sum and the running error term, both kept so that storage is exact.
  struct CompensatedSum {
    double sum = 0.0;
    double compensation = 0.0;
    void add(double value);
    void merge(const CompensatedSum& other);
    double value() const { return sum + compensation; }
  };
  // Per true class: sums of -log(clip(p)) (the class taken as the positive one) and of -log(clip(1 - p)) (taken
  // as the negative one); the positive class is chosen only once every class is known.
  struct LogLossSums {
    CompensatedSum as_positive, as_negative;
  };
  using ClassCounts = std::map<std::string, std::int64_t>;

  void add_classification(const core::Column& prediction, const core::Column& label,
                          const core::Column* probability, const std::string& context, std::int64_t first_row);
  void add_regression(const core::Column& prediction, const core::Column& label, const std::string& context,
                      std::int64_t first_row);
  void bin_scores();
  void fill_classification(QualityMetrics& metrics) const;
  void fill_regression(QualityMetrics& metrics) const;

  QualityProblem problem_;
  std::size_t max_score_bins_;
  InvalidRows invalid_;
  std::int64_t invalid_rows_ = 0;
  // classification: (true class, predicted class) -> rows
  std::map<std::pair<std::string, std::string>, std::int64_t> pairs_;
  // probability -> true class -> rows; once binned, bin index (floor(p * bins), p = 1 in the last) -> ...
  std::map<double, ClassCounts> scores_;
  bool scores_binned_ = false;
  std::int64_t probability_rows_ = 0;  // counted rows that had a probability
  std::map<std::string, LogLossSums> log_loss_sums_;
  // regression
  CompensatedSum squared_error_, absolute_error_, percentage_error_, prediction_sum_;
  Moments label_moments_;
  double label_min_ = 0.0, label_max_ = 0.0;
};

nlohmann::json to_json(const QualityMetrics& metrics);

}  // namespace driftgov::stats
