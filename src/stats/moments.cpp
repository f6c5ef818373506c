#include "driftgov/stats/moments.hpp"

#include <cmath>

namespace driftgov::stats {

namespace {

// Four independent accumulators let the compiler keep four additions in flight (a single running sum is one
// long dependency chain under strict floating-point ordering); the grouping is fixed, so results stay
// deterministic, and splitting the sum is no less accurate than one running sum.
template <typename Term>
double sum_of(std::span<const double> values, Term term) {
  double partial[4] = {0.0, 0.0, 0.0, 0.0};
  std::size_t i = 0;
  for (; i + 4 <= values.size(); i += 4) {
    partial[0] += term(values[i]);
    partial[1] += term(values[i + 1]);
    partial[2] += term(values[i + 2]);
    partial[3] += term(values[i + 3]);
  }
  for (; i < values.size(); ++i) partial[0] += term(values[i]);
  return (partial[0] + partial[1]) + (partial[2] + partial[3]);
}

}  // namespace

void Moments::add_block(std::span<const double> values) {
  if (values.empty()) return;
  const double block_mean = sum_of(values, [](double v) { return v; }) / static_cast<double>(values.size());
  double block_m2 = sum_of(values, [block_mean](double v) { return (v - block_mean) * (v - block_mean); });
  const double correction = sum_of(values, [block_mean](double v) { return v - block_mean; });
  // Corrected two-pass algorithm (Chan, Golub, LeVeque 1983): removes the rounding error of block_mean.
  block_m2 -= correction * correction / static_cast<double>(values.size());
  Moments block{static_cast<std::int64_t>(values.size()), block_mean, block_m2 < 0 ? 0.0 : block_m2};
  merge(block);
}

void Moments::merge(const Moments& other) {
  if (other.count == 0) return;
  if (count == 0) {
    *this = other;
    return;
  }
  const double n_a = static_cast<double>(count);
  const double n_b = static_cast<double>(other.count);
  const double n = n_a + n_b;
  const double delta = other.mean - mean;
  mean += delta * (n_b / n);
  m2 += other.m2 + delta * delta * (n_a * n_b / n);
  count += other.count;
}

double Moments::variance() const { return count < 2 ? 0.0 : m2 / static_cast<double>(count - 1); }
double Moments::stddev() const { return std::sqrt(variance()); }
double Moments::population_stddev() const {
  return count < 1 ? 0.0 : std::sqrt(m2 / static_cast<double>(count));
}

}  // namespace driftgov::stats
