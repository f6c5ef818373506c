#include "driftgov/stats/empirical_cdf.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

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

// Visits distinct values of the union in ascending order, given how many values of each sample are at most
// each: the gaps at x are known at once, their share of the integral once the next value is.
class GapWalk {
 public:
  GapWalk() = default;
  GapWalk(double n_a, double n_b) : n_a_(n_a), n_b_(n_b) {}

  void visit(double x, std::size_t at_most_a, std::size_t at_most_b) {
    if (first_) {
      first_x_ = x;
      first_ = false;
      note(x, cdf_difference(at_most_a, at_most_b, n_a_, n_b_));
    } else {
      visit_next(x, at_most_a, at_most_b);
    }
  }
  // visit() of a value after the first.
  [[gnu::always_inline]] void visit_next(double x, std::size_t at_most_a, std::size_t at_most_b) {
    const double difference = cdf_difference(at_most_a, at_most_b, n_a_, n_b_);
    gaps_.integral += previous_gap_ * (x - previous_x_);
    note(x, difference);
  }
  // The last visited value's share of the integral, `next` being the union's next distinct value (the first of
  // the following segment).
  void close(double next) {
    if (!first_) gaps_.integral += previous_gap_ * (next - previous_x_);
  }
  bool visited() const { return !first_; }
  double first_x() const { return first_x_; }
  const CdfGaps& gaps() const { return gaps_; }

 private:
  [[gnu::always_inline]] void note(double x, double difference) {
    gaps_.largest_above = std::max(gaps_.largest_above, difference);
    gaps_.largest_below = std::max(gaps_.largest_below, -difference);
    previous_x_ = x;
    previous_gap_ = std::abs(difference);
  }

  double n_a_ = 1.0;
  double n_b_ = 1.0;
  CdfGaps gaps_;
  double first_x_ = 0.0;
  double previous_x_ = 0.0;
  double previous_gap_ = 0.0;
  bool first_ = true;
};

// The walk over the union's distinct values is one chain of dependent loads and compares, so it is split into
// up to kSegments ranges of the union, walked side by side in one loop (independent chains the processor
// overlaps), each range's share of the integral summed in order and the ranges' sums then added in order. Below
// kSegmentValues values of the union per range it is one range, summed exactly as one walk would.
constexpr std::size_t kSegments = 4;
constexpr std::size_t kSegmentValues = 4096;

// A sorted sample as the two forms present it: `positions()` candidate values in ascending order, and how many
// values of the sample are at most / below a value.
struct SortedValues {
  std::span<const double> values;
  std::size_t positions() const { return values.size(); }
  double value(std::size_t p) const { return values[p]; }
  std::size_t at_most(double x) const {
    return static_cast<std::size_t>(std::upper_bound(values.begin(), values.end(), x) - values.begin());
  }
  std::size_t below(double x) const {
    return static_cast<std::size_t>(std::lower_bound(values.begin(), values.end(), x) - values.begin());
  }
};

struct CountedValues {
  const DistinctValues* sample;
  std::size_t positions() const { return sample->values.size(); }
  double value(std::size_t p) const { return sample->values[p]; }
  // How many of the sample's values are at most the distinct value before position p (0 for p = 0).
  std::size_t before(std::size_t p) const { return p == 0 ? 0 : static_cast<std::size_t>(sample->at_most[p - 1]); }
  std::size_t at_most(double x) const {
    return before(static_cast<std::size_t>(std::upper_bound(sample->values.begin(), sample->values.end(), x) -
                                           sample->values.begin()));
  }
};

// The value of rank k (0-based) of the union of two samples: the smallest value v of either with
// at_most_a(v) + at_most_b(v) > k. Both forms give the same value for the same data.
template <typename Sample>
double value_of_rank(const Sample& a, const Sample& b, std::size_t k) {
  double found = std::numeric_limits<double>::infinity();
  bool any = false;
  for (const Sample* side : {&a, &b}) {
    std::size_t low = 0;
    std::size_t high = side->positions();
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      const double v = side->value(middle);
      if (a.at_most(v) + b.at_most(v) > k) high = middle;
      else low = middle + 1;
    }
    if (low < side->positions() && (!any || side->value(low) < found)) {
      found = side->value(low);
      any = true;
    }
  }
  return found;
}

// The first value of each range after the first, ascending and distinct, for a union of `total` values.
template <typename Sample>
std::vector<double> range_starts(const Sample& a, const Sample& b, std::size_t total) {
  const std::size_t ranges = std::clamp<std::size_t>(total / kSegmentValues, 1, kSegments);
  std::vector<double> starts;
  const double smallest = value_of_rank(a, b, 0);
  for (std::size_t t = 1; t < ranges; ++t) {
    const double start = value_of_rank(a, b, t * total / ranges);
    if (start > smallest && (starts.empty() || start > starts.back())) starts.push_back(start);
  }
  return starts;
}

// One range of a walk over two sorted samples: a[i, n) and b[j, m), i and j counting the values below it.
struct SortedRange {
  const double* a;
  const double* b;
  std::size_t i;
  std::size_t n;
  std::size_t j;
  std::size_t m;
  GapWalk walk;

  bool both_left() const { return i < n && j < m; }
  // While both samples have values left: the smaller head is the next distinct value; each head equal to it steps
  // on without a branch, which in continuous data (few ties) is all there is to do, and ties then take the loops,
  // which run predictably.
  // `Next`: the range has visited a value already (visit_next, no test of the first visit).
  template <bool Next = false>
  [[gnu::always_inline]] void step() {
    const double head_a = a[i];
    const double head_b = b[j];
    const double x = head_b < head_a ? head_b : head_a;
    i += head_a <= x;
    j += head_b <= x;
    while (i < n && a[i] <= x) ++i;
    while (j < m && b[j] <= x) ++j;
    if constexpr (Next) walk.visit_next(x, i, j);
    else walk.visit(x, i, j);
  }
  // One sample is used up: the rest of the other, one distinct value at a time.
  void finish() {
    while (both_left()) step();
    while (i < n) {
      const double x = a[i];
      while (i < n && a[i] <= x) ++i;
      walk.visit(x, i, j);
    }
    while (j < m) {
      const double x = b[j];
      while (j < m && b[j] <= x) ++j;
      walk.visit(x, i, j);
    }
  }
};

// The ranges' gaps combined: each range's last value takes its share up to the next range's first value, the
// integrals are added in order, the largest gaps are the largest of any range.
template <typename Range>
CdfGaps combine(std::span<Range> ranges) {
  CdfGaps gaps;
  for (std::size_t t = 0; t < ranges.size(); ++t) {
    if (t + 1 < ranges.size() && ranges[t + 1].walk.visited()) ranges[t].walk.close(ranges[t + 1].walk.first_x());
    const CdfGaps& part = ranges[t].walk.gaps();
    gaps.integral += part.integral;
    gaps.largest_above = std::max(gaps.largest_above, part.largest_above);
    gaps.largest_below = std::max(gaps.largest_below, part.largest_below);
  }
  return gaps;
}

// One range of a walk over two samples given as distinct values: a's from position i, b's from j, up to n and m;
// at_most_a and at_most_b count the values below the range.
struct CountedRange {
  const DistinctValues* a;
  const DistinctValues* b;
  std::size_t i;
  std::size_t n;
  std::size_t j;
  std::size_t m;
  std::size_t at_most_a;
  std::size_t at_most_b;
  GapWalk walk;

  void finish() {
    while (i < n || j < m) {
      const double x = i == n ? b->values[j] : j == m ? a->values[i] : std::min(a->values[i], b->values[j]);
      if (i < n && a->values[i] <= x) at_most_a = static_cast<std::size_t>(a->at_most[i++]);
      if (j < m && b->values[j] <= x) at_most_b = static_cast<std::size_t>(b->at_most[j++]);
      walk.visit(x, at_most_a, at_most_b);
    }
  }
};

}  // namespace

CdfGaps empirical_cdf_gaps(std::span<const double> sorted_a, std::span<const double> sorted_b) {
  DRIFTGOV_CHECK(!sorted_a.empty() && !sorted_b.empty(), "empty sample ({} and {} values)", sorted_a.size(),
                 sorted_b.size());
  const SortedValues a{sorted_a};
  const SortedValues b{sorted_b};
  const double n_a = static_cast<double>(sorted_a.size());
  const double n_b = static_cast<double>(sorted_b.size());
  const auto starts = range_starts(a, b, sorted_a.size() + sorted_b.size());
  std::array<SortedRange, kSegments> ranges{};
  const std::size_t count = starts.size() + 1;
  for (std::size_t t = 0; t < count; ++t) {
    ranges[t] = SortedRange{sorted_a.data(),
                            sorted_b.data(),
                            t == 0 ? 0 : a.below(starts[t - 1]),
                            t + 1 == count ? sorted_a.size() : a.below(starts[t]),
                            t == 0 ? 0 : b.below(starts[t - 1]),
                            t + 1 == count ? sorted_b.size() : b.below(starts[t]),
                            GapWalk(n_a, n_b)};
  }
  // Side by side while every range has values of both samples left (in local variables, which the compiler keeps
  // in registers, where the array's members went through memory at every step); then each on its own.
  if (count == kSegments) {
    SortedRange r0 = ranges[0];
    SortedRange r1 = ranges[1];
    SortedRange r2 = ranges[2];
    SortedRange r3 = ranges[3];
    const auto all_left = [&] { return r0.both_left() && r1.both_left() && r2.both_left() && r3.both_left(); };
    if (all_left()) {
      r0.step();
      r1.step();
      r2.step();
      r3.step();
      while (all_left()) {
        r0.step<true>();
        r1.step<true>();
        r2.step<true>();
        r3.step<true>();
      }
    }
    ranges = {r0, r1, r2, r3};
  }
  for (std::size_t t = 0; t < count; ++t) ranges[t].finish();
  return combine(std::span<SortedRange>(ranges.data(), count));
}

CdfGaps empirical_cdf_gaps(const DistinctValues& a, const DistinctValues& b) {
  DRIFTGOV_CHECK(!a.values.empty() && !b.values.empty() && a.values.size() == a.at_most.size() &&
                     b.values.size() == b.at_most.size(),
                 "distinct values: {} and {} values with {} and {} counts", a.values.size(), b.values.size(),
                 a.at_most.size(), b.at_most.size());
  const CountedValues counted_a{&a};
  const CountedValues counted_b{&b};
  const auto total_a = static_cast<std::size_t>(a.at_most.back());
  const auto total_b = static_cast<std::size_t>(b.at_most.back());
  // The same ranges as the walk over every value: the few distinct values are walked one range after another.
  const auto starts = range_starts(counted_a, counted_b, total_a + total_b);
  const auto position = [](const DistinctValues& sample, double x) {
    return static_cast<std::size_t>(std::lower_bound(sample.values.begin(), sample.values.end(), x) -
                                    sample.values.begin());
  };
  std::vector<CountedRange> ranges;
  for (std::size_t t = 0; t <= starts.size(); ++t) {
    const std::size_t i = t == 0 ? 0 : position(a, starts[t - 1]);
    const std::size_t j = t == 0 ? 0 : position(b, starts[t - 1]);
    ranges.push_back(CountedRange{&a, &b, i, t == starts.size() ? a.values.size() : position(a, starts[t]), j,
                                  t == starts.size() ? b.values.size() : position(b, starts[t]),
                                  counted_a.before(i), counted_b.before(j),
                                  GapWalk(static_cast<double>(total_a), static_cast<double>(total_b))});
    ranges.back().finish();
  }
  return combine(std::span<CountedRange>(ranges));
}

}  // namespace driftgov::stats
