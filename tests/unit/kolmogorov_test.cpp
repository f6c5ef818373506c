// Properties of the two-sample Kolmogorov-Smirnov test that hold independently of any reference implementation:
// exact p-values equal the fraction of all sample arrangements whose statistic is at least as large (brute-force
// enumeration), closed forms at the extremes, symmetry and monotonicity. The comparison with scipy lives in
// tests/python/test_statistics_vs_scipy.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/stats/kolmogorov.hpp"

namespace driftgov::stats {
namespace {

double binomial(int n, int k) {
  double value = 1.0;
  for (int i = 1; i <= k; ++i) value = value * static_cast<double>(n - k + i) / static_cast<double>(i);
  return value;
}

// Under the null hypothesis every interleaving of the two samples is equally likely. Enumerating the
// interleavings of n1 + n2 distinct values gives the exact distribution of D.
void expect_exact_pvalues_match_enumeration(int n1, int n2) {
  std::vector<int> labels(static_cast<std::size_t>(n1 + n2), 0);
  std::fill(labels.begin() + n2, labels.end(), 1);  // sorted ascending: 0s first, as next_permutation wants
  std::map<double, int> statistic_counts;
  int arrangements = 0;
  do {
    std::vector<double> a;
    std::vector<double> b;
    for (std::size_t position = 0; position < labels.size(); ++position) {
      (labels[position] == 1 ? a : b).push_back(static_cast<double>(position));
    }
    ++statistic_counts[ks_two_sample(a, b).statistic];
    ++arrangements;
  } while (std::next_permutation(labels.begin(), labels.end()));
  ASSERT_EQ(arrangements, static_cast<int>(std::lround(binomial(n1 + n2, n1))));

  int at_least = 0;
  for (auto it = statistic_counts.rbegin(); it != statistic_counts.rend(); ++it) {
    at_least += it->second;
    const double expected = static_cast<double>(at_least) / arrangements;
    std::string method;
    const double pvalue = ks_two_sample_pvalue(n1, n2, it->first, &method);
    if (method == "exact") {
      EXPECT_NEAR(pvalue, expected, 1e-13 * expected) << "n1=" << n1 << " n2=" << n2 << " d=" << it->first;
    } else {
      // Like the reference, the exact evaluation is abandoned when rounding lifts it above 1, which happens
      // only where the true p-value is 1 (d = 1/n for equal sizes); the asymptotic value is then close to 1.
      EXPECT_EQ(expected, 1.0) << "n1=" << n1 << " n2=" << n2 << " d=" << it->first;
      EXPECT_NEAR(pvalue, 1.0, 1e-3);
    }
  }
}

TEST(KolmogorovSmirnov, ExactPvalueEqualsEnumerationEqualSizes) {
  expect_exact_pvalues_match_enumeration(1, 1);
  expect_exact_pvalues_match_enumeration(5, 5);
  expect_exact_pvalues_match_enumeration(7, 7);
}

TEST(KolmogorovSmirnov, ExactPvalueEqualsEnumerationUnequalSizes) {
  expect_exact_pvalues_match_enumeration(1, 4);
  expect_exact_pvalues_match_enumeration(3, 9);
  expect_exact_pvalues_match_enumeration(4, 6);
  expect_exact_pvalues_match_enumeration(6, 8);
  expect_exact_pvalues_match_enumeration(5, 9);
}

TEST(KolmogorovSmirnov, IdenticalSamplesGiveZeroAndOne) {
  const std::vector<double> a = {1.0, 2.0, 2.0, 3.0, 7.5};
  const KsResult result = ks_two_sample(a, a);
  EXPECT_EQ(result.statistic, 0.0);
  EXPECT_EQ(result.pvalue, 1.0);
  EXPECT_EQ(result.method, "exact");
}

TEST(KolmogorovSmirnov, SeparatedSamplesHaveClosedFormPvalue) {
  // All of a below all of b: D = 1, and only the two extreme interleavings reach it.
  for (int n : {1, 2, 10, 30}) {
    std::vector<double> a;
    std::vector<double> b;
    for (int i = 0; i < n; ++i) {
      a.push_back(i);
      b.push_back(1000 + i);
    }
    const KsResult result = ks_two_sample(a, b);
    EXPECT_EQ(result.statistic, 1.0);
    const double expected = 2.0 / binomial(2 * n, n);
    EXPECT_NEAR(result.pvalue, std::min(expected, 1.0), 1e-13 * expected) << n;
  }
}

TEST(KolmogorovSmirnov, TiesAcrossSamplesCountAsOneStep) {
  // F_a and F_b jump together at a shared value, so the gap is measured after both jumps.
  const std::vector<double> a = {0.0, 1.0, 1.0, 1.0};
  const std::vector<double> b = {1.0, 1.0, 1.0, 2.0};
  EXPECT_DOUBLE_EQ(ks_two_sample(a, b).statistic, 0.25);
  const std::vector<double> constant = {3.0, 3.0, 3.0};
  const std::vector<double> same_constant = {3.0, 3.0};
  EXPECT_EQ(ks_two_sample(constant, same_constant).statistic, 0.0);
}

TEST(KolmogorovSmirnov, SymmetricInItsArguments) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> a(static_cast<std::size_t>(5 + trial * 13));
    std::vector<double> b(static_cast<std::size_t>(3 + trial * 29));
    for (double& v : a) v = std::round(normal(rng) * 4.0) / 4.0;
    for (double& v : b) v = std::round((normal(rng) + 0.3) * 4.0) / 4.0;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    const KsResult forward = ks_two_sample(a, b);
    const KsResult backward = ks_two_sample(b, a);
    EXPECT_EQ(forward.statistic, backward.statistic);
    EXPECT_DOUBLE_EQ(forward.pvalue, backward.pvalue);
  }
}

TEST(KolmogorovSmirnov, PvalueDecreasesWithStatistic) {
  const std::vector<std::pair<std::int64_t, std::int64_t>> sizes = {
      {3, 5}, {40, 40}, {100, 250}, {900, 1000}, {20000, 20000}, {12000, 90}, {12000, 500}, {300000, 400000}};
  for (const auto& [n1, n2] : sizes) {
    double previous = 1.0;
    for (double d = 0.0; d <= 1.0; d += 1.0 / 64) {
      const double pvalue = ks_two_sample_pvalue(n1, n2, d, nullptr);
      ASSERT_GE(pvalue, 0.0);
      ASSERT_LE(pvalue, previous + 1e-12 * previous) << n1 << " " << n2 << " d=" << d;
      previous = pvalue;
    }
  }
}

TEST(KolmogorovSmirnov, MethodFollowsTheSampleSizeRule) {
  std::string method;
  ks_two_sample_pvalue(10000, 10000, 0.01, &method);
  EXPECT_EQ(method, "exact");
  ks_two_sample_pvalue(10001, 3, 0.5, &method);
  EXPECT_EQ(method, "asymp");
  ks_two_sample_pvalue(1, 10001, 0.5, &method);
  EXPECT_EQ(method, "asymp");
}

TEST(KolmogorovSmirnov, LargeSamplesApproachKolmogorovLimit) {
  // For large effective size n, P(D >= d) tends to Kolmogorov's Q(d sqrt(n)) = 2 sum (-1)^(k-1) exp(-2 k^2 z^2);
  // the leading correction is O(1/sqrt(n)).
  const std::int64_t n = 4000000;  // effective size 2e6
  for (double z : {0.6, 0.9, 1.2, 1.5, 2.0}) {
    double limit = 0.0;
    for (int k = 1; k < 100; ++k) limit += 2.0 * (k % 2 == 1 ? 1.0 : -1.0) * std::exp(-2.0 * k * k * z * z);
    const double d = z / std::sqrt(2000000.0);
    const double pvalue = ks_two_sample_pvalue(n, n, d, nullptr);
    EXPECT_NEAR(pvalue, limit, 2e-3 * limit + 1e-6) << "z=" << z;
  }
}

TEST(KolmogorovSmirnov, StatisticOvershootingTheUnitIntervalIsClamped) {
  EXPECT_EQ(ks_two_sample_pvalue(6, 9, 1.0 + 1e-15, nullptr), ks_two_sample_pvalue(6, 9, 1.0, nullptr));
  EXPECT_EQ(ks_two_sample_pvalue(60000, 90000, -1e-17, nullptr), 1.0);
}

TEST(KolmogorovSmirnov, SketchBoundAddsRankErrors) {
  EXPECT_DOUBLE_EQ(ks_sketch_statistic_bound(0.01, 0.02), 0.03);
  EXPECT_EQ(ks_sketch_statistic_bound(0.0, 0.0), 0.0);
}

TEST(KolmogorovSmirnov, RejectsEmptySamplesAndBadStatistics) {
  const std::vector<double> empty;
  const std::vector<double> one = {1.0};
  EXPECT_THROW(ks_two_sample(empty, one), core::InternalError);
  EXPECT_THROW(ks_two_sample_pvalue(5, 5, std::nan(""), nullptr), core::InternalError);
  EXPECT_THROW(ks_two_sample_pvalue(0, 5, 0.5, nullptr), core::InternalError);
}

}  // namespace
}  // namespace driftgov::stats
