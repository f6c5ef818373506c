// The one-pass walk over two sorted samples against a direct evaluation of both empirical CDFs at every distinct
// value of the union (std::upper_bound per value), on continuous data, heavy ties, signed zeros and infinities.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/stats/empirical_cdf.hpp"

namespace driftgov::stats {
namespace {

CdfGaps direct_gaps(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> points(a);
  points.insert(points.end(), b.begin(), b.end());
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  const auto cdf = [](const std::vector<double>& sample, double x) {
    return static_cast<double>(std::upper_bound(sample.begin(), sample.end(), x) - sample.begin()) /
           static_cast<double>(sample.size());
  };
  CdfGaps gaps;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const double difference = cdf(a, points[k]) - cdf(b, points[k]);
    gaps.largest_above = std::max(gaps.largest_above, difference);
    gaps.largest_below = std::max(gaps.largest_below, -difference);
    if (k + 1 < points.size()) gaps.integral += std::abs(difference) * (points[k + 1] - points[k]);
  }
  return gaps;
}

void expect_same_gaps(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (int order = 0; order < 2; ++order) {
    const CdfGaps walked = empirical_cdf_gaps(a, b);
    const CdfGaps direct = direct_gaps(a, b);
    EXPECT_EQ(walked.largest_above, direct.largest_above);
    EXPECT_EQ(walked.largest_below, direct.largest_below);
    if (std::isnan(direct.integral)) {
      EXPECT_TRUE(std::isnan(walked.integral));
    } else {
      EXPECT_EQ(walked.integral, direct.integral);
    }
    std::swap(a, b);
  }
}

TEST(EmpiricalCdfGaps, MatchesDirectEvaluation) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int trial = 0; trial < 50; ++trial) {
    const std::size_t n = 1 + rng() % 3000;
    const std::size_t m = 1 + rng() % 3000;
    const int distinct = trial % 3 == 0 ? 0 : static_cast<int>(1 + rng() % 40);  // 0: continuous
    std::uniform_int_distribution<int> level(0, std::max(distinct - 1, 0));
    const double shift = 0.3 * (trial % 4);
    std::vector<double> a;
    std::vector<double> b;
    for (std::size_t i = 0; i < n; ++i) a.push_back(distinct == 0 ? normal(rng) : level(rng));
    for (std::size_t i = 0; i < m; ++i) b.push_back(distinct == 0 ? normal(rng) + shift : level(rng) + (trial % 2));
    expect_same_gaps(a, b);
  }
}

TEST(EmpiricalCdfGaps, EdgeCases) {
  const double infinity = std::numeric_limits<double>::infinity();
  expect_same_gaps({1.0}, {1.0});
  expect_same_gaps({1.0}, {2.0});
  expect_same_gaps({3.0, 3.0, 3.0}, {1.0, 2.0, 3.0, 4.0});
  expect_same_gaps({-0.0, 0.0, -0.0, 1.0}, {0.0, 0.0, 2.0});
  expect_same_gaps({-infinity, 0.5, 1.0}, {0.0, 1.0, infinity});
  expect_same_gaps({1.0, 2.0, 5.0}, {10.0, 11.0});  // every value of one below every value of the other
}

// A sorted sample as its distinct values with the count of values at most each.
struct Distinct {
  std::vector<double> values;
  std::vector<std::int64_t> at_most;
  DistinctValues view() const { return {values, at_most}; }
};

Distinct distinct_of(const std::vector<double>& sorted) {
  Distinct result;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i + 1] <= sorted[i]) continue;
    result.values.push_back(sorted[i]);
    result.at_most.push_back(static_cast<std::int64_t>(i + 1));
  }
  return result;
}

// Large samples are walked as up to four ranges side by side: the largest gaps stay exact, the integral equals the
// one-walk sum up to rounding, and samples given as distinct values give the same gaps bit for bit.
TEST(EmpiricalCdfGaps, RangesWalkedSideBySideGiveTheSameGaps) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0.0, 1.0);
  const double infinity = std::numeric_limits<double>::infinity();
  for (int trial = 0; trial < 24; ++trial) {
    const std::size_t n = trial % 6 == 5 ? 1 + rng() % 3 : 8000 + rng() % 40000;
    const std::size_t m = 8000 + rng() % 40000;
    const int distinct = trial % 3 == 0 ? 0 : static_cast<int>(1 + rng() % (trial % 2 ? 5 : 400));
    std::uniform_int_distribution<int> level(0, std::max(distinct - 1, 0));
    const double shift = trial % 4 == 3 ? 1000.0 : 0.25 * (trial % 4);  // 3: every value of b above every one of a
    std::vector<double> a;
    std::vector<double> b;
    for (std::size_t i = 0; i < n; ++i) a.push_back(distinct == 0 ? normal(rng) : level(rng));
    for (std::size_t i = 0; i < m; ++i) b.push_back((distinct == 0 ? normal(rng) : level(rng)) + shift);
    if (trial % 8 == 1) {
      a.front() = -0.0;
      b.back() = 0.0;
      b.front() = -infinity;
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    for (int order = 0; order < 2; ++order) {
      const CdfGaps walked = empirical_cdf_gaps(a, b);
      const CdfGaps direct = direct_gaps(a, b);
      EXPECT_EQ(walked.largest_above, direct.largest_above) << "trial " << trial;
      EXPECT_EQ(walked.largest_below, direct.largest_below) << "trial " << trial;
      if (std::isfinite(direct.integral)) {
        EXPECT_NEAR(walked.integral, direct.integral, 1e-12 * (std::abs(direct.integral) + 1e-300)) << "trial " << trial;
      } else {
        EXPECT_EQ(std::isnan(walked.integral), std::isnan(direct.integral)) << "trial " << trial;
        EXPECT_EQ(std::isinf(walked.integral), std::isinf(direct.integral)) << "trial " << trial;
      }
      const Distinct da = distinct_of(a);
      const Distinct db = distinct_of(b);
      const CdfGaps counted = empirical_cdf_gaps(da.view(), db.view());
      EXPECT_EQ(std::bit_cast<std::uint64_t>(counted.integral), std::bit_cast<std::uint64_t>(walked.integral))
          << "trial " << trial;
      EXPECT_EQ(counted.largest_above, walked.largest_above);
      EXPECT_EQ(counted.largest_below, walked.largest_below);
      std::swap(a, b);
    }
  }
}

TEST(EmpiricalCdfGaps, RefusesEmptySamples) {
  const std::vector<double> empty;
  const std::vector<double> one{1.0};
  EXPECT_THROW(empirical_cdf_gaps(empty, one), core::InternalError);
  EXPECT_THROW(empirical_cdf_gaps(one, empty), core::InternalError);
}

}  // namespace
}  // namespace driftgov::stats
