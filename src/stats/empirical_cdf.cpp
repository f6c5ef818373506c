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

// Visits the distinct values of the union in ascending order, given how many values of each sample are at most
// each: the gaps at x are known at once, their share of the integral once the next value is.
class GapWalk {
 public:
  GapWalk(double n_a, double n_b) : n_a_(n_a), n_b_(n_b) {}

  void visit(double x, std::size_t at_most_a, std::size_t at_most_b) {
    const double difference = cdf_difference(at_most_a, at_most_b, n_a_, n_b_);
    if (!first_) gaps_.integral += previous_gap_ * (x - previous_x_);
    first_ = false;
    gaps_.largest_above = std::max(gaps_.largest_above, difference);
    gaps_.largest_below = std::max(gaps_.largest_below, -difference);
    previous_x_ = x;
    previous_gap_ = std::abs(difference);
  }
  const CdfGaps& gaps() const { return gaps_; }

 private:
  double n_a_;
  double n_b_;
  CdfGaps gaps_;
  double previous_x_ = 0.0;
  double previous_gap_ = 0.0;
  bool first_ = true;
};

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
  GapWalk walk(n_a, n_b);
  // i and j count the values <= x, the distinct value of the union being visited.
  std::size_t i = 0;
  std::size_t j = 0;
  const auto visit = [&](double x) { walk.visit(x, i, j); };
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
  return walk.gaps();
}

CdfGaps empirical_cdf_gaps(const DistinctValues& a, const DistinctValues& b) {
  DRIFTGOV_CHECK(!a.values.empty() && !b.values.empty() && a.values.size() == a.at_most.size() &&
                     b.values.size() == b.at_most.size(),
                 "distinct values: {} and {} values with {} and {} counts", a.values.size(), b.values.size(),
                 a.at_most.size(), b.at_most.size());
  GapWalk walk(static_cast<double>(a.at_most.back()), static_cast<double>(b.at_most.back()));
  std::size_t i = 0;  // distinct values of a visited so far
  std::size_t j = 0;
  std::size_t at_most_a = 0;
  std::size_t at_most_b = 0;
  while (i < a.values.size() || j < b.values.size()) {
    const double x = i == a.values.size()   ? b.values[j]
                     : j == b.values.size() ? a.values[i]
                                            : std::min(a.values[i], b.values[j]);
    if (i < a.values.size() && a.values[i] <= x) at_most_a = static_cast<std::size_t>(a.at_most[i++]);
    if (j < b.values.size() && b.values[j] <= x) at_most_b = static_cast<std::size_t>(b.at_most[j++]);
    walk.visit(x, at_most_a, at_most_b);
  }
  return walk.gaps();
}

}  // namespace driftgov::stats
