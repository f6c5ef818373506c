#include "driftgov/stats/distances.hpp"

#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/stats/empirical_cdf.hpp"

namespace driftgov::stats {
namespace {

void check_same_length(std::span<const double> a, std::span<const double> b) {
  DRIFTGOV_CHECK(a.size() == b.size(), "proportion vectors differ in length: {} and {}", a.size(), b.size());
}

double sum_of(std::span<const double> values) {
  double total = 0.0;
  for (double v : values) total += v;
  return total;
}

// x * ln(x / y) with 0 * ln(0 / y) = 0 (scipy.special.rel_entr).
double relative_entropy_term(double x, double y) {
  if (x == 0.0) return 0.0;
  return x * std::log(x / y);
}

}  // namespace

double population_stability_index(std::span<const double> reference, std::span<const double> current,
                                  double floor) {
  check_same_length(reference, current);
  double psi = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double r = std::max(reference[i], floor);
    const double c = std::max(current[i], floor);
    psi += (c - r) * std::log(c / r);
  }
  return psi;
}

double kl_divergence(std::span<const double> reference, std::span<const double> current, double floor) {
  check_same_length(reference, current);
  double kl = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double r = std::max(reference[i], floor);
    const double c = std::max(current[i], floor);
    kl += c * std::log(c / r);
  }
  return kl;
}

double js_distance(std::span<const double> reference, std::span<const double> current) {
  check_same_length(reference, current);
  const double sum_r = sum_of(reference);
  const double sum_c = sum_of(current);
  if (sum_r <= 0.0 || sum_c <= 0.0) return std::nan("");
  double left = 0.0;
  double right = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double r = reference[i] / sum_r;
    const double c = current[i] / sum_c;
    const double m = (r + c) / 2.0;
    left += relative_entropy_term(r, m);
    right += relative_entropy_term(c, m);
  }
  const double divergence = (left + right) / 2.0 / std::log(2.0);
  return std::sqrt(std::max(divergence, 0.0));
}

double hellinger_distance(std::span<const double> reference, std::span<const double> current) {
  check_same_length(reference, current);
  double total = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double d = std::sqrt(reference[i]) - std::sqrt(current[i]);
    total += d * d;
  }
  return std::sqrt(total / 2.0);
}

double tv_distance(std::span<const double> reference, std::span<const double> current) {
  check_same_length(reference, current);
  double total = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) total += std::abs(reference[i] - current[i]);
  return total / 2.0;
}

double l_infinity_distance(std::span<const double> reference, std::span<const double> current) {
  check_same_length(reference, current);
  double largest = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) largest = std::max(largest, std::abs(reference[i] - current[i]));
  return largest;
}

ChiSquaredResult chi_squared_homogeneity(std::span<const std::int64_t> reference,
                                         std::span<const std::int64_t> current) {
  DRIFTGOV_CHECK(reference.size() == current.size(), "count vectors differ in length: {} and {}",
                 reference.size(), current.size());
  double total_r = 0.0;
  double total_c = 0.0;
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    if (reference[i] + current[i] == 0) continue;
    kept.push_back(i);
    total_r += static_cast<double>(reference[i]);
    total_c += static_cast<double>(current[i]);
  }
  ChiSquaredResult result;
  if (kept.size() < 2 || total_r == 0.0 || total_c == 0.0) return result;
  const double total = total_r + total_c;
  double statistic = 0.0;
  for (auto i : kept) {
    const double column_total = static_cast<double>(reference[i] + current[i]);
    const double expected_r = total_r * column_total / total;
    const double expected_c = total_c * column_total / total;
    const double dr = static_cast<double>(reference[i]) - expected_r;
    const double dc = static_cast<double>(current[i]) - expected_c;
    statistic += dr * dr / expected_r + dc * dc / expected_c;
  }
  result.statistic = statistic;
  result.dof = static_cast<std::int64_t>(kept.size()) - 1;
  const boost::math::chi_squared_distribution<double> distribution(static_cast<double>(result.dof));
  result.pvalue = boost::math::cdf(boost::math::complement(distribution, statistic));
  return result;
}

double wasserstein_distance(std::span<const double> sorted_a, std::span<const double> sorted_b) {
  return empirical_cdf_gaps(sorted_a, sorted_b).integral;
}

}  // namespace driftgov::stats
