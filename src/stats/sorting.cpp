#include "driftgov/stats/sorting.hpp"

#include <hwy/contrib/sort/vqsort.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
  bool integers = true;  // every value an integer (when low and high are below kExactIntegerBound in magnitude)
  bool zeros = false;    // some value is 0.0 or -0.0

  void observe(double v) {
    zeros = zeros || v == 0.0;
    low = std::min(low, v);
    high = std::max(high, v);
    integers = integers && std::abs(v) < kExactIntegerBound && v == std::trunc(v);
  }
};

#if defined(__SSE2__)
// Bounds of `values` and whether they are all integers, four at a time in two independent pairs of lanes (a
// reduction over doubles the compiler does not vectorise itself without permission to reorder; one pair was bound
// by the latency of min and max), given up block by block once some value is not an integer.
Survey survey(std::span<const double> values) {
  constexpr std::size_t kBlock = 512;
  const __m128d infinity = _mm_set1_pd(std::numeric_limits<double>::infinity());
  const __m128d bound = _mm_set1_pd(kExactIntegerBound);
  const __m128d sign = _mm_set1_pd(-0.0);
  __m128d low[2] = {infinity, infinity};
  __m128d high[2] = {_mm_xor_pd(infinity, sign), _mm_xor_pd(infinity, sign)};
  __m128d fraction = _mm_setzero_pd();  // largest distance of a value from an integer
  __m128d zeros = _mm_setzero_pd();
  const std::size_t whole = values.size() - values.size() % 4;
  bool integers = true;
  std::size_t at = 0;
  for (; at < whole; at += 4) {
    if (at % kBlock == 0 && integers && _mm_movemask_pd(_mm_cmpneq_pd(fraction, _mm_setzero_pd())) != 0) {
      integers = false;
    }
    for (int pair = 0; pair < 2; ++pair) {
      const __m128d v = _mm_loadu_pd(values.data() + at + 2 * pair);
      low[pair] = _mm_min_pd(v, low[pair]);
      high[pair] = _mm_max_pd(v, high[pair]);
      zeros = _mm_or_pd(zeros, _mm_cmpeq_pd(v, _mm_setzero_pd()));
      if (integers) {
        // Adding and removing 2^52 rounds a magnitude below 2^52 to an integer. (Larger values fail the bounds
        // check instead; infinities make NaN here, which max ignores.)
        const __m128d magnitude = _mm_andnot_pd(sign, v);
        const __m128d rounded = _mm_sub_pd(_mm_add_pd(magnitude, bound), bound);
        fraction = _mm_max_pd(_mm_andnot_pd(sign, _mm_sub_pd(rounded, magnitude)), fraction);
      }
    }
  }
  Survey result;
  double lanes[2];
  _mm_storeu_pd(lanes, _mm_min_pd(low[0], low[1]));
  result.low = std::min(lanes[0], lanes[1]);
  _mm_storeu_pd(lanes, _mm_max_pd(high[0], high[1]));
  result.high = std::max(lanes[0], lanes[1]);
  result.integers = integers && _mm_movemask_pd(_mm_cmpneq_pd(fraction, _mm_setzero_pd())) == 0;
  result.zeros = _mm_movemask_pd(zeros) != 0;
  for (; at < values.size(); ++at) result.observe(values[at]);
  return result;
}
#else
Survey survey(std::span<const double> values) {
  Survey result;
  for (const double v : values) result.observe(v);
  return result;
}
#endif

// Sorts integer-valued data in a narrow range in two linear passes. The rebuilt values are the same doubles:
// integers below 2^52 are exact, and -0.0 (which would come back as 0.0) is counted apart and put first.
bool sort_by_counting(std::span<double> values, const Survey& facts) {
  const double range = facts.high - facts.low;
  if (!facts.integers || !(std::abs(facts.low) < kExactIntegerBound) ||
      !(std::abs(facts.high) < kExactIntegerBound) || !(range < kMaxCountingSlots) ||
      range > 2.0 * static_cast<double>(values.size())) {
    return false;
  }
  const auto slots = static_cast<std::size_t>(range) + 1;
  thread_local std::vector<std::uint32_t> counts;
  counts.assign(slots, 0);
  std::size_t negative_zeros = 0;
  for (const double v : values) {
    ++counts[static_cast<std::size_t>(v - facts.low)];
    negative_zeros += std::bit_cast<std::uint64_t>(v) == std::bit_cast<std::uint64_t>(-0.0);
  }
  std::size_t out = 0;
  for (std::size_t slot = 0; slot < slots; ++slot) {
    const double value = facts.low + static_cast<double>(slot);
    std::uint32_t copies = counts[slot];
    if (value == 0.0) {
      for (; negative_zeros > 0; --negative_zeros, --copies) values[out++] = -0.0;
    }
    for (; copies > 0; --copies) values[out++] = value;
  }
  return true;
}

}  // namespace

void sort_ascending(std::span<double> values) {
  if (values.size() < 64) {
    std::sort(values.begin(), values.end(),
              [](double a, double b) { return a < b || (a == b && std::signbit(a) && !std::signbit(b)); });
    return;
  }
  const Survey facts = survey(values);
  // Small-range integers (ages, months, counts) are common, and sorted far faster by counting.
  if (values.size() <= std::numeric_limits<std::uint32_t>::max() && sort_by_counting(values, facts)) return;
  // This vqsort hands back infinities as the largest finite doubles of their sign, and zeros with whichever
  // sign it meets first: count both before, and put them back afterwards where they sort.
  std::size_t negative_infinities = 0;
  std::size_t positive_infinities = 0;
  std::size_t negative_zeros = 0;
  const bool infinities = std::isinf(facts.low) || std::isinf(facts.high);
  if (infinities || facts.zeros) {
    for (const double v : values) {
      negative_infinities += v == -std::numeric_limits<double>::infinity();
      positive_infinities += v == std::numeric_limits<double>::infinity();
      negative_zeros += std::bit_cast<std::uint64_t>(v) == std::bit_cast<std::uint64_t>(-0.0);
    }
  }
  // One Sorter per thread: it holds scratch state and is not thread-safe.
  thread_local hwy::Sorter sorter;
  sorter(values.data(), values.size(), hwy::SortAscending());
  std::fill_n(values.begin(), negative_infinities, -std::numeric_limits<double>::infinity());
  std::fill_n(values.end() - static_cast<std::ptrdiff_t>(positive_infinities), positive_infinities,
              std::numeric_limits<double>::infinity());
  if (facts.zeros) {
    const auto [first, last] = std::equal_range(values.begin(), values.end(), 0.0);
    const auto negative_end = first + static_cast<std::ptrdiff_t>(negative_zeros);
    std::fill(first, negative_end, -0.0);
    std::fill(negative_end, last, 0.0);
  }
}

}  // namespace driftgov::stats
