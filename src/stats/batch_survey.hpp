#pragma once
// One pass over a batch of gathered numeric values (profile.cpp, consume_numeric): how many there are, zeros,
// infinities and the bounds, with NaN split out of float batches, many values at a time with SIMD instructions
// (Highway, chosen at run time for the processor).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace driftgov::stats {

// What one pass over a batch's values finds: how many are not NaN, zeros (of either sign), infinities (of either
// sign), and the smallest and largest value (+inf and -inf when there is none).
struct BatchFacts {
  std::size_t kept = 0;
  std::int64_t zeros = 0;
  std::int64_t infinities = 0;
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
};

// The facts of a batch that holds no NaN (integer columns), with `kept` the batch's length; nullopt when some value
// is NaN.
// Where zeros may carry either sign (`signed_zeros`), a zero bound also gives nullopt: lanes do not keep the sign
// of the first zero met, as the one-by-one loop does. Without `signed_zeros` a zero bound is some zero.
std::optional<BatchFacts> survey_without_nan(std::span<const double> values, bool signed_zeros);

// The facts of a float batch that may hold NaN, with the values that are not NaN moved to the front of `values`
// in their order (`kept` of them; what follows them is unspecified). Exactly what a one-by-one loop finds that
// skips NaN, compares `v < low` and `v > high` and appends each value kept: a zero bound is the first zero met,
// with its sign.
BatchFacts survey_dropping_nan(std::span<double> values);

}  // namespace driftgov::stats
