#include "driftgov/stats/moments.hpp"

#include <cmath>

namespace driftgov::stats {

void Moments::add_block(std::span<const double> values) {
  if (values.empty()) return;
  // Four independent partial sums let the compiler vectorise both passes; the corrected two-pass result is
  // unchanged in accuracy (each partial sum is itself a plain sum).
  const std::size_t n = values.size();
  const std::size_t whole = n - n % 4;
  double sums[4] = {0.0, 0.0, 0.0, 0.0};
  for (std::size_t i = 0; i < whole; i += 4) {
    for (std::size_t lane = 0; lane < 4; ++lane) sums[lane] += values[i + lane];
  }
  double sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
  for (std::size_t i = whole; i < n; ++i) sum += values[i];
  const double block_mean = sum / static_cast<double>(n);
  double squares[4] = {0.0, 0.0, 0.0, 0.0};
  double deviations[4] = {0.0, 0.0, 0.0, 0.0};
  for (std::size_t i = 0; i < whole; i += 4) {
    for (std::size_t lane = 0; lane < 4; ++lane) {
      const double d = values[i + lane] - block_mean;
      squares[lane] += d * d;
      deviations[lane] += d;
    }
  }
  double block_m2 = (squares[0] + squares[1]) + (squares[2] + squares[3]);
  double correction = (deviations[0] + deviations[1]) + (deviations[2] + deviations[3]);
  for (std::size_t i = whole; i < n; ++i) {
    const double d = values[i] - block_mean;
    block_m2 += d * d;
    correction += d;
  }
  // Corrected two-pass algorithm (Chan, Golub, LeVeque 1983): removes the rounding error of block_mean.
  block_m2 -= correction * correction / static_cast<double>(n);
  Moments block{static_cast<std::int64_t>(n), block_mean, block_m2 < 0 ? 0.0 : block_m2};
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
