#include "driftgov/stats/sorting.hpp"

#include <hwy/contrib/sort/vqsort.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace driftgov::stats {
namespace {

// Counting sort handles integer-valued data spanning at most this many values (and at most twice as many values
// as it sorts, so that the counts never outweigh the data).
constexpr double kMaxCountingSlots = 1 << 16;
// Integers of this magnitude and less are exact doubles, so rebuilding them from their offsets gives them back.
constexpr double kExactIntegerBound = 0x1p52;

struct Survey {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  std::size_t negative_infinities = 0;
  std::size_t positive_infinities = 0;
  bool countable = true;  // every value an integer within kExactIntegerBound, none of them -0.0
};

Survey survey(std::span<const double> values) {
  Survey result;
  double low = result.low;
  double high = result.high;
  bool countable = true;
  std::size_t negative_infinities = 0;
  std::size_t positive_infinities = 0;
  for (const double v : values) {
    low = v < low ? v : low;
    high = v > high ? v : high;
    negative_infinities += v == -std::numeric_limits<double>::infinity();
    positive_infinities += v == std::numeric_limits<double>::infinity();
    // Converted only when in range (a double beyond the int64 range must not be converted).
    const bool bounded = std::abs(v) < kExactIntegerBound;
    const double in_range = bounded ? v : 0.0;
    countable &= bounded & (static_cast<double>(static_cast<std::int64_t>(in_range)) == in_range) &
                 !(v == 0.0 && std::signbit(v));
  }
  result.low = low;
  result.high = high;
  result.negative_infinities = negative_infinities;
  result.positive_infinities = positive_infinities;
  result.countable = countable;
  return result;
}

// Sorts integer-valued data in a narrow range in two linear passes; the rebuilt values are the same doubles.
bool sort_by_counting(std::span<double> values, const Survey& facts) {
  const double range = facts.high - facts.low;
  if (!facts.countable || !(range < kMaxCountingSlots) || range > 2.0 * static_cast<double>(values.size())) {
    return false;
  }
  const auto slots = static_cast<std::size_t>(range) + 1;
  thread_local std::vector<std::uint32_t> counts;
  counts.assign(slots, 0);
  for (const double v : values) ++counts[static_cast<std::size_t>(v - facts.low)];
  std::size_t out = 0;
  for (std::size_t slot = 0; slot < slots; ++slot) {
    const double value = facts.low + static_cast<double>(slot);
    for (std::uint32_t copies = counts[slot]; copies > 0; --copies) values[out++] = value;
  }
  return true;
}

}  // namespace

void sort_ascending(std::span<double> values) {
  if (values.size() < 64) {
    std::sort(values.begin(), values.end());
    return;
  }
  const Survey facts = survey(values);
  // Small-range integers (ages, months, counts) are common, and sorted far faster by counting.
  if (values.size() <= std::numeric_limits<std::uint32_t>::max() && sort_by_counting(values, facts)) return;
  // One Sorter per thread: it holds scratch state and is not thread-safe.
  thread_local hwy::Sorter sorter;
  sorter(values.data(), values.size(), hwy::SortAscending());
  // This vqsort hands back infinities as the largest finite doubles of their sign: put them back, at the ends
  // where they sort.
  std::fill_n(values.begin(), facts.negative_infinities, -std::numeric_limits<double>::infinity());
  std::fill_n(values.end() - static_cast<std::ptrdiff_t>(facts.positive_infinities), facts.positive_infinities,
              std::numeric_limits<double>::infinity());
}

}  // namespace driftgov::stats
