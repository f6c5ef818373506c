// survey_without_nan and survey_dropping_nan (SIMD, dispatched at run time) against a plain one-value-at-a-time
// computation: every length across the vector widths and their unrolled pairs, NaN at every position and at many
// densities (of either sign, any payload), zeros of both signs, infinities and denormals; on every SIMD target this
// processor runs, not only the one dispatch would choose.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <hwy/targets.h>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "stats/batch_survey.hpp"

namespace driftgov::stats {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDenormal = std::numeric_limits<double>::denorm_min();

// The facts from first principles, one value at a time; nullopt when the survey must decline (a NaN, or a zero
// bound where zeros may carry either sign).
std::optional<BatchFacts> expected_facts(const std::vector<double>& values, bool signed_zeros) {
  BatchFacts facts;
  facts.kept = values.size();
  for (const double v : values) {
    if (std::isnan(v)) return std::nullopt;
    facts.zeros += v == 0.0 ? 1 : 0;
    facts.infinities += std::isinf(v) ? 1 : 0;
    if (v < facts.low) facts.low = v;
    if (v > facts.high) facts.high = v;
  }
  if (signed_zeros && (facts.low == 0.0 || facts.high == 0.0)) return std::nullopt;
  return facts;
}

void expect_survey(const std::vector<double>& values, bool signed_zeros, const std::string& what) {
  SCOPED_TRACE(what + ", " + std::to_string(values.size()) + " values, signed_zeros " +
               (signed_zeros ? "true" : "false"));
  const auto expected = expected_facts(values, signed_zeros);
  const auto actual = survey_without_nan(values, signed_zeros);
  ASSERT_EQ(actual.has_value(), expected.has_value());
  if (!expected) return;
  EXPECT_EQ(actual->kept, expected->kept);
  EXPECT_EQ(actual->zeros, expected->zeros);
  EXPECT_EQ(actual->infinities, expected->infinities);
  // Exact: a bound is one of the values. Without signed zeros a zero bound may be either zero (== holds).
  EXPECT_EQ(actual->low, expected->low);
  EXPECT_EQ(actual->high, expected->high);
  if (signed_zeros || expected->low != 0.0) {
    EXPECT_EQ(std::signbit(actual->low), std::signbit(expected->low));
  }
  if (signed_zeros || expected->high != 0.0) {
    EXPECT_EQ(std::signbit(actual->high), std::signbit(expected->high));
  }
}

std::vector<std::size_t> lengths() {
  std::vector<std::size_t> all;
  for (std::size_t n = 0; n <= 67; ++n) all.push_back(n);
  for (const std::size_t n : {127, 128, 129, 1000, 4099, 65536, 65539}) all.push_back(n);
  return all;
}

// Values of many magnitudes and both signs, with the odd zero, infinity and denormal mixed in.
std::vector<double> random_values(std::mt19937_64& rng, std::size_t n, bool specials) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> exponent(-300, 300);
  std::uniform_int_distribution<int> pick(0, 15);
  std::vector<double> values(n);
  for (auto& v : values) {
    v = std::ldexp(normal(rng), exponent(rng));
    if (!specials) continue;
    switch (pick(rng)) {
      case 0: v = 0.0; break;
      case 1: v = -0.0; break;
      case 2: v = kInfinity; break;
      case 3: v = -kInfinity; break;
      case 4: v = kDenormal * static_cast<double>(pick(rng) - 7); break;
      default: break;
    }
  }
  return values;
}

// Runs `body` once per SIMD target that is both compiled and supported here, dispatch forced to it.
void for_each_target(const std::function<void()>& body) {
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(BatchSurvey, RandomValuesOfEveryLength) {
  for_each_target([] {
    std::mt19937_64 rng(20261202);
    for (const std::size_t n : lengths()) {
      for (int round = 0; round < 4; ++round) {
        for (const bool signed_zeros : {true, false}) {
          expect_survey(random_values(rng, n, false), signed_zeros, "plain");
          expect_survey(random_values(rng, n, true), signed_zeros, "with specials");
        }
      }
    }
  });
}

TEST(BatchSurvey, AllValuesEqual) {
  for_each_target([] {
    for (const std::size_t n : lengths()) {
      for (const double v : {1.5, -2.0, kInfinity, -kInfinity, kDenormal, -kDenormal, 0.0}) {
        expect_survey(std::vector<double>(n, v), true, "all " + std::to_string(v));
        expect_survey(std::vector<double>(n, v), false, "all " + std::to_string(v));
      }
    }
  });
}

TEST(BatchSurvey, EmptyBatchHasNoBounds) {
  for_each_target([] {
    const auto facts = survey_without_nan({}, true);
    ASSERT_TRUE(facts.has_value());
    EXPECT_EQ(facts->kept, 0u);
    EXPECT_EQ(facts->zeros, 0);
    EXPECT_EQ(facts->infinities, 0);
    EXPECT_EQ(facts->low, kInfinity);
    EXPECT_EQ(facts->high, -kInfinity);
  });
}

TEST(BatchSurvey, NaNAtEveryPositionDeclines) {
  for_each_target([] {
    std::mt19937_64 rng(7);
    const double negative_nan = -kNaN;
    const double payload_nan = std::nan("0x5");
    for (std::size_t n = 1; n <= 67; ++n) {
      const auto base = random_values(rng, n, true);
      for (std::size_t at = 0; at < n; ++at) {
        for (const double nan : {kNaN, negative_nan, payload_nan}) {
          auto values = base;
          values[at] = nan;
          for (const bool signed_zeros : {true, false}) {
            EXPECT_FALSE(survey_without_nan(values, signed_zeros).has_value()) << n << " values, NaN at " << at;
          }
        }
      }
    }
    // A NaN in a long batch, early, in the middle and in the tail.
    auto values = random_values(rng, 65539, false);
    for (const std::size_t at : {0, 1, 3, 32768, 65535, 65536, 65538}) {
      auto with_nan = values;
      with_nan[at] = kNaN;
      EXPECT_FALSE(survey_without_nan(with_nan, true).has_value()) << "NaN at " << at;
    }
  });
}

TEST(BatchSurvey, ZeroBoundsWithSignedZerosDecline) {
  for_each_target([] {
    for (const std::size_t n : lengths()) {
      if (n == 0) continue;
      // Positive values and one zero of either sign: the low bound is that zero.
      for (const double zero : {0.0, -0.0}) {
        for (const std::size_t at : {std::size_t{0}, n / 2, n - 1}) {
          std::vector<double> values(n, 3.0);
          values[at] = zero;
          EXPECT_FALSE(survey_without_nan(values, true).has_value()) << n << " values, zero at " << at;
          // The same for the high bound among negative values.
          std::vector<double> negatives(n, -3.0);
          negatives[at] = zero;
          EXPECT_FALSE(survey_without_nan(negatives, true).has_value()) << n << " values, zero at " << at;
        }
      }
    }
  });
}

TEST(BatchSurvey, ZerosInsideTheBoundsAreCounted) {
  for_each_target([] {
    // Zeros of both signs between a negative and a positive value: the bounds are not zero, the count is.
    for (const std::size_t n : lengths()) {
      if (n < 4) continue;
      std::vector<double> values(n, 0.0);
      for (std::size_t i = 1; i < n; i += 2) values[i] = -0.0;
      values[n / 3] = -kDenormal;
      values[n - 1] = kDenormal;
      const auto facts = survey_without_nan(values, true);
      ASSERT_TRUE(facts.has_value()) << n;
      EXPECT_EQ(facts->zeros, static_cast<std::int64_t>(n - 2)) << n;
      EXPECT_EQ(facts->low, -kDenormal) << n;
      EXPECT_EQ(facts->high, kDenormal) << n;
      EXPECT_EQ(facts->infinities, 0) << n;
    }
  });
}

TEST(BatchSurvey, InfinitiesAreCountedAndBound) {
  for_each_target([] {
    for (const std::size_t n : lengths()) {
      if (n < 3) continue;
      std::vector<double> values(n, 1.0);
      values[n - 1] = kInfinity;
      values[n / 2] = -kInfinity;
      const auto facts = survey_without_nan(values, true);
      ASSERT_TRUE(facts.has_value()) << n;
      EXPECT_EQ(facts->infinities, 2) << n;
      EXPECT_EQ(facts->low, -kInfinity) << n;
      EXPECT_EQ(facts->high, kInfinity) << n;
    }
  });
}

// ---------------------------------------------------------------- survey_dropping_nan

// What the profiler's one-by-one loop found: NaN skipped, bounds replaced only by a value strictly beyond them
// (so a zero bound is the first zero met, with its sign), each value kept appended in arrival order.
struct Dropped {
  std::vector<double> kept;
  BatchFacts facts;
};

Dropped dropped_one_by_one(const std::vector<double>& values) {
  Dropped result;
  for (const double v : values) {
    if (std::isnan(v)) continue;
    result.facts.zeros += v == 0.0 ? 1 : 0;
    result.facts.infinities += std::isinf(v) ? 1 : 0;
    if (v < result.facts.low) result.facts.low = v;
    if (v > result.facts.high) result.facts.high = v;
    result.kept.push_back(v);
  }
  result.facts.kept = result.kept.size();
  return result;
}

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }

void expect_dropped(const std::vector<double>& values, const std::string& what) {
  SCOPED_TRACE(what + ", " + std::to_string(values.size()) + " values");
  const Dropped expected = dropped_one_by_one(values);
  auto batch = values;
  const BatchFacts facts = survey_dropping_nan(batch);
  ASSERT_EQ(facts.kept, expected.facts.kept);
  EXPECT_EQ(facts.zeros, expected.facts.zeros);
  EXPECT_EQ(facts.infinities, expected.facts.infinities);
  // Bit for bit: the sign of a zero bound too.
  EXPECT_EQ(bits(facts.low), bits(expected.facts.low)) << facts.low << " " << expected.facts.low;
  EXPECT_EQ(bits(facts.high), bits(expected.facts.high)) << facts.high << " " << expected.facts.high;
  std::size_t differing = 0;
  for (std::size_t i = 0; i < expected.kept.size(); ++i) {
    if (bits(batch[i]) != bits(expected.kept[i]) && differing++ < 3) {
      ADD_FAILURE() << "kept value " << i << ": " << batch[i] << ", expected " << expected.kept[i];
    }
  }
  EXPECT_EQ(differing, 0u);
}

// A NaN of either sign and a random payload (quiet or signalling).
double random_nan(std::mt19937_64& rng) {
  const std::uint64_t sign = rng() & (std::uint64_t{1} << 63);
  std::uint64_t mantissa = rng() & ((std::uint64_t{1} << 52) - 1);
  if (mantissa == 0) mantissa = 1;
  return std::bit_cast<double>(sign | (std::uint64_t{0x7ff} << 52) | mantissa);
}

// random_values with NaN at random positions, each value NaN with probability `density`; `non_negative` folds the
// values onto [0, inf], so that the low bound is often a zero.
std::vector<double> values_with_nan(std::mt19937_64& rng, std::size_t n, double density, bool non_negative) {
  auto values = random_values(rng, n, true);
  std::bernoulli_distribution is_nan(density);
  for (auto& v : values) {
    if (non_negative && v < 0.0) v = -v;
    if (is_nan(rng)) v = random_nan(rng);
  }
  return values;
}

std::vector<std::size_t> lengths_with_nan() {
  std::vector<std::size_t> all;
  for (std::size_t n = 0; n <= 67; ++n) all.push_back(n);
  for (const std::size_t n : {127, 128, 129, 4099, 65539}) all.push_back(n);
  return all;
}

TEST(BatchSurvey, DroppingNanMatchesOneByOne) {
  for_each_target([] {
    std::mt19937_64 rng(20261203);
    for (const std::size_t n : lengths_with_nan()) {
      const int rounds = n > 1000 ? 1 : 6;
      for (const double density : {0.0, 0.01, 0.5, 0.99, 1.0}) {
        for (int round = 0; round < rounds; ++round) {
          const std::string what = "NaN density " + std::to_string(density);
          expect_dropped(values_with_nan(rng, n, density, false), what);
          expect_dropped(values_with_nan(rng, n, density, true), what + ", non-negative");
        }
      }
    }
  });
}

TEST(BatchSurvey, DroppingNanAtEveryPosition) {
  for_each_target([] {
    std::mt19937_64 rng(11);
    for (std::size_t n = 1; n <= 67; ++n) {
      const auto base = random_values(rng, n, true);
      for (std::size_t at = 0; at < n; ++at) {
        auto values = base;
        values[at] = random_nan(rng);
        expect_dropped(values, "one NaN at " + std::to_string(at));
        // Every value NaN but one.
        std::vector<double> lone(n, kNaN);
        lone[at] = base[at];
        expect_dropped(lone, "one number at " + std::to_string(at));
      }
    }
  });
}

TEST(BatchSurvey, DroppingNanZeroBoundIsTheFirstZeroMet) {
  for_each_target([] {
    // Hand-derived: only the first zero's sign counts, NaN before it or not.
    for (const std::size_t n : lengths_with_nan()) {
      if (n < 4) continue;
      for (const double first : {0.0, -0.0}) {
        // n values: NaN, then 2.5, the first zero at n / 2, the other sign's zero last.
        std::vector<double> values(n, 2.5);
        values[0] = kNaN;
        values[n / 2] = first;
        values[n - 1] = -first;
        auto batch = values;
        const BatchFacts facts = survey_dropping_nan(batch);
        EXPECT_EQ(facts.kept, n - 1) << n;
        EXPECT_EQ(facts.zeros, 2) << n;
        EXPECT_EQ(facts.low, 0.0) << n;
        EXPECT_EQ(std::signbit(facts.low), std::signbit(first)) << n << " values, first zero " << first;
        EXPECT_EQ(facts.high, 2.5) << n;
        // All zeros: both bounds are the first.
        std::vector<double> zeros(n, -first);
        zeros[0] = first;
        zeros[1] = kNaN;
        const BatchFacts all_zero = survey_dropping_nan(zeros);
        EXPECT_EQ(all_zero.kept, n - 1) << n;
        EXPECT_EQ(all_zero.zeros, static_cast<std::int64_t>(n - 1)) << n;
        EXPECT_EQ(std::signbit(all_zero.low), std::signbit(first)) << n;
        EXPECT_EQ(std::signbit(all_zero.high), std::signbit(first)) << n;
        EXPECT_EQ(all_zero.low, 0.0) << n;
        EXPECT_EQ(all_zero.high, 0.0) << n;
      }
    }
  });
}

TEST(BatchSurvey, DroppingNanOfAnEmptyOrAllNanBatch) {
  for_each_target([] {
    for (const std::size_t n : lengths_with_nan()) {
      std::vector<double> values(n, -kNaN);
      const BatchFacts facts = survey_dropping_nan(values);
      EXPECT_EQ(facts.kept, 0u) << n;
      EXPECT_EQ(facts.zeros, 0) << n;
      EXPECT_EQ(facts.infinities, 0) << n;
      EXPECT_EQ(facts.low, kInfinity) << n;
      EXPECT_EQ(facts.high, -kInfinity) << n;
    }
  });
}

}  // namespace
}  // namespace driftgov::stats
