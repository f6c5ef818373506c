#pragma once
// Count, mean and sum of squared deviations (M2), merged with the pairwise update of Chan, Golub and LeVeque
// (1979), so that merging partial results is as stable as a single pass of Welford's method.
// Exact up to floating-point rounding; merge is associative and commutative up to rounding.

#include <cstdint>
#include <span>

namespace driftgov::stats {

struct Moments {
  std::int64_t count = 0;
  double mean = 0.0;
  double m2 = 0.0;

  // Adds a block of values with a two-pass computation (block mean, then block M2), then merges the block.
  void add_block(std::span<const double> values);
  void merge(const Moments& other);
  // Sample variance (divisor count - 1), as pandas' std and numpy's std(ddof=1); 0 for fewer than 2 values.
  double variance() const;
  double stddev() const;
  // Population variance (divisor count), as numpy's std(ddof=0).
  double population_stddev() const;
};

}  // namespace driftgov::stats
