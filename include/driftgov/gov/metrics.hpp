#pragma once
// Holdout metrics of one model, the paired bootstrap of a metric difference and DeLong's test of two correlated
// ROC AUCs (docs/statistics.md, "Holdout evaluation"). Every function is pure: the same inputs give the same
// bits, so an evaluation record can be recomputed.
//
// Binary classification: labels are 0 or 1, scores are the probability of class 1 in [0, 1]; a row is predicted
// positive when its score is >= 0.5. Metrics equal scikit-learn's: roc_auc_score, log_loss (scores clipped to
// [eps, 1 - eps], eps = 2^-52), accuracy_score, precision_score / recall_score / f1_score of class 1 (zero
// division gives 0), brier_score_loss. Regression: root_mean_squared_error, mean_absolute_error,
// mean_absolute_percentage_error (denominator max(|y|, 2^-52)), r2_score (1 for a constant label predicted
// exactly, else 0). A metric that is undefined on the rows (ROC AUC with one class, R² of one row) is nullopt.
// Thread-safe: no shared state.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace driftgov::gov {

enum class Problem { kBinaryClassification, kRegression };

const char* to_string(Problem problem);

// The metric names of a problem, in the order records list them: roc_auc, log_loss, accuracy, precision, recall,
// f1, brier; rmse, mae, mape, r2.
const std::vector<std::string>& metric_names(Problem problem);
// Whether a larger value of `metric` is better (roc_auc, accuracy, precision, recall, f1, r2).
bool greater_is_better(const std::string& metric);
// Throws core::InputError naming `option` when `metric` is not a metric of `problem` (listing those that are).
void check_metric_name(const std::string& metric, Problem problem, const std::string& option);

// The value of `metric` on the rows (labels[i], scores[i]); the spans have the same length. Labels of a binary
// classification must be 0 or 1 (checked by the caller when reading them).
std::optional<double> compute_metric(const std::string& metric, std::span<const double> labels,
                                     std::span<const double> scores);

// Paired bootstrap of difference = metric(challenger) - metric(champion): `replicates` resamples of the row
// indices, drawn with replacement (the same indices for both models), from std::mt19937_64 seeded with `seed`;
// an index is the generator's output reduced modulo n after rejecting outputs below 2^64 mod n (unbiased and
// the same on every platform). The interval is the percentile interval: the (1 - confidence)/2 and
// (1 + confidence)/2 quantiles of the replicate differences, with numpy's default (linear) interpolation.
// Replicates where either metric is undefined are left out and counted.
struct BootstrapInterval {
  std::optional<double> low, high;
  std::int64_t replicates = 0;       // used
  std::int64_t undefined_replicates = 0;
};
BootstrapInterval paired_bootstrap(const std::string& metric, std::span<const double> labels,
                                   std::span<const double> champion_scores, std::span<const double> challenger_scores,
                                   std::int64_t replicates, std::uint64_t seed, double confidence);

// DeLong, DeLong & Clarke-Pearson (1988), the covariance of two correlated AUCs from their structural components,
// computed with midranks: z = (AUC_challenger - AUC_champion) / sqrt(Var), p two-sided from the standard normal.
// nullopt when either class is missing or the variance is zero.
struct DeLongTest {
  double auc_champion = 0.0, auc_challenger = 0.0, difference = 0.0, variance = 0.0, z = 0.0, p_value = 1.0;
};
std::optional<DeLongTest> delong_test(std::span<const double> labels, std::span<const double> champion_scores,
                                      std::span<const double> challenger_scores);

// The q-quantile of `values` (sorted in place) with numpy's default linear interpolation.
double linear_quantile(std::vector<double>& values, double q);

}  // namespace driftgov::gov
