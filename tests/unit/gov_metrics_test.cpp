// Holdout metrics, the paired bootstrap, DeLong's test and gate rules against hand-derived values. The comparison
// with scikit-learn, the xgboost package and an independent DeLong is tests/python/test_evaluation.py.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/evaluation.hpp"
#include "driftgov/gov/metrics.hpp"

namespace driftgov::gov {
namespace {

double metric(const std::string& name, const std::vector<double>& y, const std::vector<double>& p) {
  const auto value = compute_metric(name, y, p);
  EXPECT_TRUE(value.has_value()) << name;
  return value.value_or(std::nan(""));
}

TEST(GovMetrics, RocAucCountsTiesAsHalf) {
  // scikit-learn's documentation example: 3 of the 4 positive-negative pairs are ordered correctly.
  EXPECT_DOUBLE_EQ(metric("roc_auc", {0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8}), 0.75);
  EXPECT_DOUBLE_EQ(metric("roc_auc", {0, 1}, {0.5, 0.5}), 0.5);
  EXPECT_DOUBLE_EQ(metric("roc_auc", {0, 1, 0, 1}, {0.2, 0.2, 0.1, 0.9}), 0.875);  // (1 + 0.5 + 1 + 1) / 4
  EXPECT_FALSE(compute_metric("roc_auc", std::vector<double>{1, 1}, std::vector<double>{0.2, 0.4}).has_value());
}

TEST(GovMetrics, ThresholdMetricsAtOneHalf) {
  // predicted [1, 0, 1, 0, 1]: tp 2, fp 1, fn 1, tn 1
  const std::vector<double> y = {1, 1, 0, 0, 1};
  const std::vector<double> p = {0.6, 0.4, 0.7, 0.1, 0.5};
  EXPECT_DOUBLE_EQ(metric("accuracy", y, p), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(metric("precision", y, p), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(metric("recall", y, p), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(metric("f1", y, p), 2.0 / 3.0);
  // No predicted positive: precision and F1 divide by zero and count as 0, as scikit-learn's default.
  EXPECT_DOUBLE_EQ(metric("precision", {1, 0}, {0.1, 0.2}), 0.0);
  EXPECT_DOUBLE_EQ(metric("f1", {0, 0}, {0.1, 0.2}), 0.0);
}

TEST(GovMetrics, ProbabilityLosses) {
  EXPECT_DOUBLE_EQ(metric("log_loss", {1, 0}, {0.9, 0.2}), (-std::log(0.9) - std::log(0.8)) / 2.0);
  // p = 1 for a negative is clipped to 1 - 2^-52.
  EXPECT_DOUBLE_EQ(metric("log_loss", {0}, {1.0}), -std::log(std::ldexp(1.0, -52)));
  EXPECT_DOUBLE_EQ(metric("brier", {1, 0, 1}, {0.9, 0.2, 0.4}), (0.01 + 0.04 + 0.36) / 3.0);
}

TEST(GovMetrics, RegressionMetrics) {
  // scikit-learn's documentation example.
  const std::vector<double> y = {3, -0.5, 2, 7};
  const std::vector<double> p = {2.5, 0.0, 2, 8};
  EXPECT_DOUBLE_EQ(metric("rmse", y, p), std::sqrt(0.375));
  EXPECT_DOUBLE_EQ(metric("mae", y, p), 0.5);
  EXPECT_NEAR(metric("mape", y, p), (0.5 / 3 + 0.5 / 0.5 + 0 + 1.0 / 7) / 4, 1e-15);
  EXPECT_NEAR(metric("r2", y, p), 1.0 - 1.5 / 29.1875, 1e-15);
  EXPECT_DOUBLE_EQ(metric("r2", {1, 1}, {1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(metric("r2", {1, 1}, {1, 2}), 0.0);
  EXPECT_FALSE(compute_metric("r2", std::vector<double>{1}, std::vector<double>{1}).has_value());
  // A zero label divides by 2^-52, not by zero.
  EXPECT_DOUBLE_EQ(metric("mape", {0}, {1}), std::ldexp(1.0, 52));
}

TEST(GovMetrics, LinearQuantileIsNumpysDefault) {
  std::vector<double> values = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(linear_quantile(values, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(linear_quantile(values, 0.975), 3.925);
  EXPECT_DOUBLE_EQ(linear_quantile(values, 1.0), 4.0);
}

TEST(GovMetrics, BootstrapIsSeededAndPaired) {
  std::vector<double> y, a, b;
  for (int i = 0; i < 200; ++i) {
    y.push_back(i % 3 == 0 ? 1 : 0);
    a.push_back(((i * 37) % 100) / 100.0);
    b.push_back(y.back() * 0.5 + a.back() * 0.5);
  }
  const auto first = paired_bootstrap("roc_auc", y, a, b, 300, 42, 0.9);
  const auto again = paired_bootstrap("roc_auc", y, a, b, 300, 42, 0.9);
  const auto other = paired_bootstrap("roc_auc", y, a, b, 300, 43, 0.9);
  ASSERT_TRUE(first.low && first.high);
  EXPECT_EQ(*first.low, *again.low);
  EXPECT_EQ(*first.high, *again.high);
  EXPECT_NE(*first.low, *other.low);
  EXPECT_LT(*first.low, *first.high);
  EXPECT_EQ(first.replicates, 300);
  // Paired: a model against itself differs by exactly 0 in every replicate.
  const auto same = paired_bootstrap("brier", y, a, a, 100, 1, 0.95);
  EXPECT_EQ(*same.low, 0.0);
  EXPECT_EQ(*same.high, 0.0);
}

TEST(GovMetrics, BootstrapLeavesOutReplicatesWithOneClass) {
  // Two rows, one positive: a quarter of the replicates draws the positive twice, a quarter the negative twice.
  const auto interval = paired_bootstrap("roc_auc", std::vector<double>{1, 0}, std::vector<double>{0.9, 0.1},
                                         std::vector<double>{0.8, 0.2}, 400, 5, 0.95);
  EXPECT_EQ(interval.replicates + interval.undefined_replicates, 400);
  EXPECT_GT(interval.undefined_replicates, 100);
  EXPECT_LT(interval.undefined_replicates, 300);
}

// DeLong et al. (1988) by direct pair counting: psi(x, y) = 1 if y < x, 1/2 if y == x, else 0.
TEST(GovMetrics, DeLongEqualsPairCounting) {
  const std::vector<double> y = {1, 1, 1, 1, 0, 0, 0, 0, 0};
  const std::vector<double> a = {0.9, 0.8, 0.3, 0.5, 0.4, 0.2, 0.1, 0.5, 0.6};
  const std::vector<double> b = {0.7, 0.6, 0.9, 0.5, 0.3, 0.3, 0.2, 0.8, 0.1};
  const auto components = [&](const std::vector<double>& s, std::vector<double>& v10, std::vector<double>& v01) {
    std::vector<double> pos, neg;
    for (std::size_t i = 0; i < y.size(); ++i) (y[i] == 1 ? pos : neg).push_back(s[i]);
    v10.assign(pos.size(), 0.0);
    v01.assign(neg.size(), 0.0);
    double auc = 0.0;
    for (std::size_t i = 0; i < pos.size(); ++i) {
      for (std::size_t j = 0; j < neg.size(); ++j) {
        const double psi = neg[j] < pos[i] ? 1.0 : neg[j] == pos[i] ? 0.5 : 0.0;
        v10[i] += psi / static_cast<double>(neg.size());
        v01[j] += psi / static_cast<double>(pos.size());
        auc += psi;
      }
    }
    return auc / static_cast<double>(pos.size() * neg.size());
  };
  std::vector<double> a10, a01, b10, b01;
  const double auc_a = components(a, a10, a01);
  const double auc_b = components(b, b10, b01);
  const auto variance_of_difference = [](const std::vector<double>& x, const std::vector<double>& z) {
    std::vector<double> d(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) d[i] = z[i] - x[i];
    double mean = 0.0;
    for (const double v : d) mean += v / static_cast<double>(d.size());
    double sum = 0.0;
    for (const double v : d) sum += (v - mean) * (v - mean);
    return sum / static_cast<double>(d.size() - 1);  // var(z - x) = S_zz + S_xx - 2 S_xz
  };
  const double variance = variance_of_difference(a10, b10) / 4.0 + variance_of_difference(a01, b01) / 5.0;
  const auto test = delong_test(y, a, b);
  ASSERT_TRUE(test.has_value());
  EXPECT_NEAR(test->auc_champion, auc_a, 1e-15);
  EXPECT_NEAR(test->auc_challenger, auc_b, 1e-15);
  EXPECT_NEAR(test->variance, variance, 1e-15);
  EXPECT_NEAR(test->z, (auc_b - auc_a) / std::sqrt(variance), 1e-12);
  EXPECT_NEAR(test->p_value, std::erfc(std::abs(test->z) / std::sqrt(2.0)), 1e-12);
  EXPECT_FALSE(delong_test(y, a, a).has_value());  // no variance: the same model twice
}

TEST(GovGateRule, ParsesMlflowFieldsAndRefusesUnknownKeys) {
  const auto rule = GateRule::parse("log_loss:threshold=0.4,min_relative_change=0.05,slice_no_regression=0.01", "--gate");
  EXPECT_EQ(rule.metric, "log_loss");
  EXPECT_EQ(rule.threshold, 0.4);
  EXPECT_EQ(rule.min_relative_change, 0.05);
  EXPECT_EQ(rule.slice_no_regression, 0.01);
  EXPECT_FALSE(rule.min_absolute_change.has_value());
  EXPECT_THROW(GateRule::parse("roc_auc:floor=1", "--gate"), core::InputError);
  EXPECT_THROW(GateRule::parse("roc_auc:threshold=high", "--gate"), core::InputError);
  EXPECT_THROW(GateRule::parse("roc_auc:min_relative_change=2", "--gate"), core::InputError);
}

TEST(GovEvaluation, GatesCompareChallengerWithChampion) {
  ScoredHoldout scored;
  scored.labels = {1, 0, 1, 0};
  scored.champion = {0.6, 0.4, 0.3, 0.7};    // AUC 0.25
  scored.challenger = {0.9, 0.1, 0.8, 0.2};  // AUC 1
  EvaluationSettings settings;
  settings.bootstrap_replicates = 0;
  settings.gates = {GateRule::parse("roc_auc:threshold=0.9,min_absolute_change=0.75", "--gate"),
                    GateRule::parse("roc_auc:min_absolute_change=0.76", "--gate"),
                    GateRule::parse("brier:min_relative_change=0.5", "--gate")};
  const auto result = evaluate(scored, {"roc_auc", "brier"}, settings);
  EXPECT_TRUE(result.at("gates").at(0).at("passed").get<bool>());
  EXPECT_FALSE(result.at("gates").at(1).at("passed").get<bool>());
  // brier 0.025 vs 0.375: lower is better, 0.025 <= 0.375 * (1 - 0.5)
  EXPECT_TRUE(result.at("gates").at(2).at("passed").get<bool>());
  EXPECT_FALSE(result.at("passed").get<bool>());
  EXPECT_THROW(evaluate(scored, {"brier"}, settings), core::InputError);  // a gate on a metric not evaluated
}

TEST(GovEvaluation, HarnessMismatchNamesTheField) {
  Harness pinned;
  pinned.holdout = "holdout";
  pinned.holdout_version = 3;
  pinned.metrics = {"roc_auc"};
  auto actual = pinned;
  EXPECT_NO_THROW(require_same_harness(pinned, actual, "pinned.json"));
  actual.holdout_version = 4;
  try {
    require_same_harness(pinned, actual, "pinned.json");
    FAIL() << "a different holdout version was accepted";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("holdout_version is '4' here, '3' pinned"), std::string::npos)
        << error.what();
  }
  actual = pinned;
  actual.scoring_code = "other";
  EXPECT_THROW(require_same_harness(pinned, actual, "pinned.json"), core::InputError);
}

}  // namespace
}  // namespace driftgov::gov
