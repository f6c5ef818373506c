#include "driftgov/stats/moments.hpp"

#include <cmath>

namespace driftgov::stats {

void Moments::add_block(std::span<const double> values) {
  if (values.empty()) return;
  double sum = 0.0;
  for (double v : values) sum += v;
  const double block_mean = sum / static_cast<double>(values.size());
  double block_m2 = 0.0;
  double correction = 0.0;
  for (double v : values) {
    const double d = v - block_mean;
    block_m2 += d * d;
    correction += d;
  }
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
