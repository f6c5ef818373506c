#pragma once
// One pass over a batch of gathered numeric values (profile.cpp, consume_numeric): how many there are, zeros,
// infinities and the bounds, many values at a time with SIMD instructions (Highway, chosen at run time for the
// processor).

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

// The facts of a batch that holds no NaN (most do: pandas and Arrow mark missing values as nulls), with `kept`
// the batch's length; nullopt when some value is NaN, so the caller takes its one-by-one loop that splits NaN out.
// Where zeros may carry either sign (`signed_zeros`), a zero bound also gives nullopt: lanes do not keep the sign
// of the first zero met, as the one-by-one loop does. Without `signed_zeros` a zero bound is some zero.
std::optional<BatchFacts> survey_without_nan(std::span<const double> values, bool signed_zeros);

}  // namespace driftgov::stats
