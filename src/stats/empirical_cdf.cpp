#include "driftgov/stats/empirical_cdf.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "driftgov/core/error.hpp"

namespace driftgov::stats {
namespace {

// F_a - F_b with F_a = i / n_a and F_b = j / n_b, each correctly rounded: both quotients in one instruction
// where there are two lanes, which gives the same bits as two scalar divisions.
double cdf_difference(std::size_t i, std::size_t j, double n_a, double n_b) {
#if defined(__SSE2__)
  const __m128d quotients =
      _mm_div_pd(_mm_set_pd(static_cast<double>(j), static_cast<double>(i)), _mm_set_pd(n_b, n_a));
  return _mm_cvtsd_f64(_mm_sub_sd(quotients, _mm_unpackhi_pd(quotients, quotients)));
#else
  return static_cast<double>(i) / n_a - static_cast<double>(j) / n_b;
#endif
}

}  // namespace

CdfGaps empirical_cdf_gaps(std::span<const double> sorted_a, std::span<const double> sorted_b) {
  DRIFTGOV_CHECK(!sorted_a.empty() && !sorted_b.empty(), "empty sample ({} and {} values)", sorted_a.size(),
                 sorted_b.size());
  const double* a = sorted_a.data();
  const double* b = sorted_b.data();
  const std::size_t n = sorted_a.size();
  const std::size_t m = sorted_b.size();
  const double n_a = static_cast<double>(n);
  const double n_b = static_cast<double>(m);
  CdfGaps gaps;
  // i and j count the values <= x, the distinct value of the union being visited; its gap is added to the
  // integral once the next distinct value is known.
  std::size_t i = 0;
  std::size_t j = 0;
  double previous_x = 0.0;
  double previous_gap = 0.0;
  bool first = true;
  const auto visit = [&](double x) {
    const double difference = cdf_difference(i, j, n_a, n_b);
    if (!first) gaps.integral += previous_gap * (x - previous_x);
    first = false;
    gaps.largest_above = std::max(gaps.largest_above, difference);
    gaps.largest_below = std::max(gaps.largest_below, -difference);
    previous_x = x;
    previous_gap = std::abs(difference);
  };
  // While both samples have values left: the smaller head is the next distinct value; each head equal to it
  // steps on without a branch, which in continuous data (few ties) is all there is to do, and ties then take
  // the loops, which run predictably.
  while (i < n && j < m) {
    const double head_a = a[i];
    const double head_b = b[j];
    const double x = head_b < head_a ? head_b : head_a;
    i += head_a <= x;
    j += head_b <= x;
    while (i < n && a[i] <= x) ++i;
    while (j < m && b[j] <= x) ++j;
    visit(x);
  }
  // One sample is used up: the rest of the other, one distinct value at a time.
  while (i < n) {
    const double x = a[i];
    while (i < n && a[i] <= x) ++i;
    visit(x);
  }
  while (j < m) {
    const double x = b[j];
    while (j < m && b[j] <= x) ++j;
    visit(x);
  }
  return gaps;
}

}  // namespace driftgov::stats
