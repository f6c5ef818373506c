#include "driftgov/stats/kolmogorov.hpp"

#include <boost/math/special_functions/gamma.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "driftgov/core/error.hpp"
#include "stats/smirnov_terms.hpp"

namespace driftgov::stats {
namespace {

// scipy's 'auto' rule: exact p-values while the larger sample has at most this many values.
constexpr std::int64_t kMaxExactSampleSize = 10000;

// Below this natural logarithm a double underflows (log of the smallest normal double); the one-sided tail is
// reported as 0 beyond it, as scipy does.
constexpr double kMinimumLog = -7.08396418532264106224e2;

// From this n on, the Smirnov sum is formed by the trapezoid rule on every h-th term when its terms allow it
// (coarse_log_sum); below it, and whenever they do not, every term is added.
constexpr std::int64_t kCoarseSumMinimumN = 5000;

double clamp_probability(double p) { return std::clamp(p, 0.0, 1.0); }

long double log_factorial(std::int64_t n) { return boost::math::lgamma(static_cast<long double>(n) + 1.0L); }

// s(k) = log k! - (k log k - k + log(2 pi k) / 2), the remainder of Stirling's formula (k >= 1). Small k use
// log-gamma directly; from 16 on the asymptotic series, whose first omitted term is below 1e-16 there.
double stirling_remainder(std::int64_t k) {
  const auto kd = static_cast<double>(k);
  if (k < 16) {
    const auto kl = static_cast<long double>(k);
    return static_cast<double>(log_factorial(k) -
                               (kl * std::log(kl) - kl + 0.5L * std::log(2.0L * std::numbers::pi_v<long double> * kl)));
  }
  const double inverse = 1.0 / kd;
  const double inverse_squared = inverse * inverse;
  return inverse *
         (1.0 / 12 - inverse_squared * (1.0 / 360 - inverse_squared * (1.0 / 1260 - inverse_squared *
                                                                       (1.0 / 1680 - inverse_squared / 1188))));
}

// ---------------------------------------------------------------------------------------------------------------
// Exact two-sample distribution (Hodges 1958): the fraction of monotone lattice paths from (0, 0) to (m, n) that
// touch or leave the band |x / m - y / n| < h / lcm(m, n).

// m == n: the reflection principle gives P = 2 * sum_{k >= 1} (-1)^(k+1) C(2n, n - k h) / C(2n, n). Evaluated as
// nested ratios 2 * A0 * (1 - A1 * (1 - A2 * ...)), A_k = C(2n, n - (k+1) h) / C(2n, n - k h), which avoids the
// cancellation of the alternating sum and never forms a large binomial coefficient.
double outside_square_probability(std::int64_t n, std::int64_t h) {
  double nested = 0.0;
  for (std::int64_t k = n / h; k >= 0; --k) {
    double ratio = 1.0;
    for (std::int64_t j = 0; j < h; ++j) {
      ratio = static_cast<double>(n - k * h - j) * ratio / static_cast<double>(n + k * h + j + 1);
    }
    nested = ratio * (1.0 - nested);
  }
  return 2.0 * nested;
}

std::int64_t floor_divide(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::int64_t ceil_divide(std::int64_t a, std::int64_t b) { return -floor_divide(-a, b); }

// m != n: the recursion of Viehmann (2021) on the *outside* fraction, column by column. With A(i, j) the
// fraction of paths to (i, j) that have left the band, A(i, j) = (i A(i-1, j) + j A(i, j-1)) / (i + j) inside
// the band and 1 outside it. Every step is a convex combination, so small p-values keep their relative accuracy
// (no 1 - p cancellation). Only the current column is stored; entries above the band were never written and stay
// 1, entries below it are never read again because the band only moves up.
double outside_band_probability(std::int64_t m, std::int64_t n, std::int64_t g, std::int64_t h) {
  if (m < n) std::swap(m, n);
  const std::int64_t m_reduced = m / g;
  const std::int64_t n_reduced = n / g;
  // Column i holds the band rows j with |n_reduced * i - m_reduced * j| < h, i.e. band_low(i) <= j < band_high(i).
  auto band_low = [&](std::int64_t i) {
    return std::min(std::max(floor_divide(n_reduced * i - h, m_reduced) + 1, std::int64_t{0}), n);
  };
  auto band_high = [&](std::int64_t i) { return std::min(ceil_divide(n_reduced * i + h, m_reduced), n + 1); };

  // The recursion is one long chain of dependent operations; multiplying by a tabulated 1 / (i + j) instead of
  // dividing shortens it, for one extra rounding per step.
  std::vector<double> reciprocal(static_cast<std::size_t>(m + n + 1), 0.0);
  for (std::size_t s = 1; s < reciprocal.size(); ++s) reciprocal[s] = 1.0 / static_cast<double>(s);
  std::vector<double> column(static_cast<std::size_t>(n + 1), 1.0);
  for (std::int64_t j = band_low(0); j < band_high(0); ++j) column[static_cast<std::size_t>(j)] = 0.0;
  // [zero_begin, zero_end) is a run of the stored column known to hold exact zeros. For large statistics the
  // middle of the band underflows to zero; there the recursion only produces zeros again, so the run is skipped
  // (bit-identical to evaluating it, but without thousands of useless, partly subnormal, operations per column).
  std::int64_t zero_begin = band_low(0);
  std::int64_t zero_end = band_high(0);
  for (std::int64_t i = 1; i <= m; ++i) {
    const std::int64_t low = band_low(i);
    const std::int64_t high = band_high(i);
    if (high <= low) return 1.0;  // the band is empty: every path leaves it
    const double x = static_cast<double>(i);
    double below = low == 0 ? 0.0 : 1.0;
    std::int64_t run_begin = -1;
    std::int64_t longest_begin = 0;
    std::int64_t longest_end = 0;
    auto close_run = [&](std::int64_t end) {
      if (run_begin >= 0 && end - run_begin > longest_end - longest_begin) {
        longest_begin = run_begin;
        longest_end = end;
      }
      run_begin = -1;
    };
    auto note_value = [&](std::int64_t j, double value) {
      if (value == 0.0) {
        if (run_begin < 0) run_begin = j;
      } else {
        close_run(j);
      }
    };
    for (std::int64_t j = low; j < high;) {
      if (below == 0.0 && j >= zero_begin && j < zero_end) {
        if (run_begin < 0) run_begin = j;
        j = std::min(zero_end, high);
        continue;
      }
      // Row j is below_j = a_j + b_j below_(j-1), with a_j = i A(i-1, j) / (i + j), b_j = j / (i + j).
      const auto row = static_cast<std::size_t>(j);
      const double scale = reciprocal[static_cast<std::size_t>(i + j)];
      const double a = column[row] * x * scale;
      const double b = static_cast<double>(j) * scale;
      if (j + 1 == high) {
        below = a + b * below;
        column[row] = below;
        note_value(j, below);
        break;
      }
      // Two rows per step: below_(j+1) = (a_(j+1) + b_(j+1) a_j) + b_(j+1) b_j below_(j-1) leaves one
      // multiply-add on the dependency chain per two rows instead of three operations per row; all terms are
      // non-negative, so the regrouping costs no accuracy.
      const double next_scale = reciprocal[static_cast<std::size_t>(i + j + 1)];
      const double next_a = column[row + 1] * x * next_scale;
      const double next_b = static_cast<double>(j + 1) * next_scale;
      const double current = a + b * below;
      below = (next_a + next_b * a) + (next_b * b) * below;
      column[row] = current;
      column[row + 1] = below;
      note_value(j, current);
      note_value(j + 1, below);
      j += 2;
    }
    close_run(high);
    zero_begin = longest_begin;
    zero_end = longest_end;
  }
  // A fraction of paths is at most 1; the reciprocal table and the regrouping can round a 1 up by an ulp, which
  // must not be mistaken for a failed evaluation (the reference's division form never exceeds 1 here).
  return std::min(column[static_cast<std::size_t>(n)], 1.0);
}

struct LatticeProbability {
  bool success = false;
  double statistic = 0.0;
  double pvalue = 1.0;
};

LatticeProbability exact_two_sample_probability(std::int64_t n1, std::int64_t n2, double d) {
  const std::int64_t g = std::gcd(n1, n2);
  const std::int64_t lcm = (n1 / g) * n2;
  // The attainable statistics are multiples of 1 / lcm; snap d to the nearest one (ties to even, as numpy).
  const auto h = static_cast<std::int64_t>(std::nearbyint(d * static_cast<double>(lcm)));
  LatticeProbability result;
  result.statistic = static_cast<double>(h) / static_cast<double>(lcm);
  if (h == 0) {
    result.success = true;
    return result;
  }
  const double p = n1 == n2 ? outside_square_probability(n1, h) : outside_band_probability(n1, n2, g, h);
  result.success = std::isfinite(p) && p >= 0.0 && p <= 1.0;
  result.pvalue = p;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// One-sided one-sample Smirnov tail P(D+_n >= x) by the Birnbaum-Tingey sum
//   x * sum_{v=0}^{floor(n(1-x))} C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v),
// whose terms are all positive. Terms are formed in log space, so neither the binomial coefficients nor the powers
// overflow, and summed relative to the largest one; the relative error stays near 1e-13 for n up to 1e6.

struct ScaledProduct {
  std::int64_t floor = 0;  // floor(n x), exact
  long double fraction = 0.0L;  // n x - floor(n x), in [0, 1)
};

// n * x split exactly into integer and fractional parts (the product is formed without rounding via fma).
ScaledProduct split_scaled_product(std::int64_t n, double x) {
  const double nd = static_cast<double>(n);
  const double high = nd * x;
  const double low = std::fma(nd, x, -high);
  const double whole = std::floor(high);
  long double fraction = static_cast<long double>(high - whole) + static_cast<long double>(low);
  auto floor_value = static_cast<std::int64_t>(whole);
  if (fraction < 0.0L) {
    fraction += 1.0L;
    floor_value -= 1;
  } else if (fraction >= 1.0L) {
    fraction -= 1.0L;
    floor_value += 1;
  }
  return {floor_value, fraction};
}

// The natural logarithm of sum_{v=1}^{last} exp(log_term(v)) + exp(log_first), where log_term(v) is a smooth
// unimodal function of v whose bump is far wider than one term. The sum over every integer then equals the
// integral of the bump up to exponentially small terms (Poisson summation), and so does h times the sum over
// every h-th integer once h is small beside the bump's scale (the trapezoid rule converges faster than any power
// of h for such functions). The step starts at a power of two near a quarter of the bump's width and is halved
// (each level adds the midpoints of the last) until two levels agree to 1e-11. nullopt, and the caller adds every
// term, when the bump is too narrow (the step would fall below 16) or is still above exp(-60) of its peak where
// the Stirling series stops (v < 16 or v > last - 16).
template <class LogTerm>
std::optional<double> coarse_log_sum(const LogTerm& log_term, std::int64_t last, double log_first) {
  constexpr std::int64_t kLow = 16;
  constexpr std::int64_t kSmallestStep = 16;
  constexpr double kNegligible = -60.0;  // log of a term's ratio to the peak below which it is left out
  const std::int64_t high = last - 16;
  if (high - kLow < 4096) return std::nullopt;
  // The peak, by ternary search (the terms are unimodal in v).
  std::int64_t a = kLow;
  std::int64_t b = high;
  while (b - a > 2) {
    const std::int64_t m1 = a + (b - a) / 3;
    const std::int64_t m2 = b - (b - a) / 3;
    if (log_term(m1) < log_term(m2)) {
      a = m1 + 1;
    } else {
      b = m2;
    }
  }
  std::int64_t peak = a;
  double log_peak = log_term(a);
  for (std::int64_t v = a + 1; v <= b; ++v) {
    if (const double value = log_term(v); value > log_peak) {
      log_peak = value;
      peak = v;
    }
  }
  if (!std::isfinite(log_peak)) return std::nullopt;
  // The bump's width from the second difference at the peak, with a step of about sqrt(range).
  const std::int64_t probe = std::min({static_cast<std::int64_t>(std::sqrt(static_cast<double>(high - kLow))),
                                       peak - kLow, high - peak});
  if (probe < 1) return std::nullopt;
  const double curvature = (2.0 * log_peak - log_term(peak - probe) - log_term(peak + probe)) /
                           (static_cast<double>(probe) * static_cast<double>(probe));
  if (!(curvature > 0.0)) return std::nullopt;
  const double quarter_width = 0.25 / std::sqrt(curvature);
  if (quarter_width < 2.0 * kSmallestStep) return std::nullopt;
  std::int64_t step = std::int64_t{1} << static_cast<int>(std::floor(std::log2(quarter_width)));
  // The range holding every term above exp(-60) of the peak, in whole steps from the peak.
  const auto relative = [&](std::int64_t v) { return log_term(v) - log_peak; };
  std::int64_t below = 0;  // steps to the left of the peak
  std::int64_t above = 0;
  while (true) {
    const std::int64_t v = peak - (below + 1) * step;
    if (v < kLow) {
      if (relative(kLow) >= kNegligible) return std::nullopt;
      break;
    }
    ++below;
    if (relative(v) < kNegligible) break;
  }
  while (true) {
    const std::int64_t v = peak + (above + 1) * step;
    if (v > high) {
      if (relative(high) >= kNegligible) return std::nullopt;
      break;
    }
    ++above;
    if (relative(v) < kNegligible) break;
  }
  const std::int64_t first = peak - below * step;
  const std::int64_t end = peak + above * step;  // inclusive
  double sum = 0.0;  // sum of the terms on the current grid, relative to the peak
  for (std::int64_t v = first; v <= end; v += step) sum += std::exp(relative(v));
  double estimate = sum * static_cast<double>(step);
  while (step >= 2 * kSmallestStep) {
    const std::int64_t half = step / 2;
    for (std::int64_t v = first + half; v < end; v += step) sum += std::exp(relative(v));
    step = half;
    const double refined = sum * static_cast<double>(step);
    const bool agreed = std::abs(refined - estimate) <= 1e-11 * refined;
    estimate = refined;
    if (agreed) return log_peak + std::log(estimate + std::exp(log_first - log_peak));
  }
  return std::nullopt;
}

double smirnov_sf(std::int64_t n, double x) {
  if (n == 1) return 1.0 - x;
  if (x <= 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  const ScaledProduct nx = split_scaled_product(n, x);
  const auto n_ld = static_cast<long double>(n);
  const auto x_ld = static_cast<long double>(x);
  if (nx.floor == 0 || (nx.floor == 1 && nx.fraction == 0.0L)) {
    // x <= 1/n: only the v = n term is missing from 1, giving cdf = x (1 + x)^(n-1).
    const long double cdf = x_ld * std::exp((n_ld - 1.0L) * std::log1p(x_ld));
    return clamp_probability(static_cast<double>(1.0L - cdf));
  }
  if (-2.0 * static_cast<double>(n) * x * x < kMinimumLog) return 0.0;
  if (nx.floor >= n - 1) return clamp_probability(static_cast<double>(std::exp(n_ld * std::log1p(-x_ld))));
  if (n > 1000000) {
    // Beyond a million terms scipy switches to the approximation p ~ exp(-(6nx + 1)^2 / (18 n)).
    const double nd = static_cast<double>(n);
    const double log_p = -std::pow(6.0 * nd * x + 1.0, 2) / 18.0 / nd;
    const double sf = log_p < -std::numbers::ln2 ? std::exp(log_p) : 1.0 - (-std::expm1(log_p));
    return clamp_probability(sf);
  }

  // log A_v with the binomial written by Stirling's formula, so that the large parts v log v, (n-v) log(n-v)
  // cancel analytically instead of numerically:
  //   log A_v = v log1p(nx/v) + (n-v) log1p(-nx/(n-v)) + log(sqrt(n / (2 pi v (n-v))) n / (v + nx))
  //             + s(n) - s(v) - s(n-v) + log x,
  // s the Stirling remainder. Every piece is at most about nx in size, so plain doubles keep the absolute error
  // of log A_v near 1e-11 while costing four elementary functions per term.
  const double nd = static_cast<double>(n);
  const double nx_value = nd * x;
  const double alpha = static_cast<double>(nx.fraction);
  const double log_x = std::log(x);
  const double constant = stirling_remainder(n) + log_x;
  const std::int64_t last = n - nx.floor - 1;  // the v = n - floor(nx) term is zero or outside the sum
  double log_largest = nd * std::log1p(-x);    // v = 0 term: (1 - x)^n (already multiplied by x)
  double scaled_sum = 1.0;                      // sum / exp(log_largest)
  double previous_log_term = log_largest;
  const auto ratio_is_small = [&](std::int64_t v) { return nx_value / static_cast<double>(n - v) < 0.5; };
  const auto log_term_of = [&](std::int64_t v) {
    const double vd = static_cast<double>(v);
    const double rest = static_cast<double>(n - v);
    // log(1 - nx/(n-v)) from the exact numerator once the ratio is no longer small.
    const double log_falling = ratio_is_small(v)
                                   ? std::log1p(-(nx_value / rest))
                                   : std::log((static_cast<double>(n - v - nx.floor) - alpha) / rest);
    return vd * std::log1p(nx_value / vd) + rest * log_falling +
           std::log(std::sqrt(nd / (2.0 * std::numbers::pi * vd * rest)) * nd / (vd + nx_value)) + constant -
           stirling_remainder(v) - stirling_remainder(n - v);
  };
  // Adds one term; true when the terms fell and the rest cannot reach 1e-21 of the sum (they are unimodal in v).
  const auto add = [&](std::int64_t v, double log_term, double scaled_term) {
    scaled_sum += scaled_term;
    const bool done =
        log_term < previous_log_term && scaled_term * static_cast<double>(last - v + 1) < 1e-21 * scaled_sum;
    previous_log_term = log_term;
    return done;
  };
  // Large n: the terms form one smooth bump, thousands of terms wide, far from both ends of the sum; the sum is
  // then the trapezoid rule on every h-th term (docs/statistics-ks.md, "Smirnov sum for large N").
  if (n >= kCoarseSumMinimumN) {
    if (const std::optional<double> log_sum = coarse_log_sum(log_term_of, last, log_largest)) {
      return clamp_probability(std::exp(*log_sum));
    }
  }
  // Blocks of terms where the Stirling remainders are their series and the log(1 - nx/(n-v)) form holds through
  // the block are computed with SIMD instructions (smirnov_terms.hpp); the other terms one at a time.
  constexpr std::int64_t kBlock = 256;
  std::array<double, kBlock> log_terms{};
  std::array<double, kBlock> scaled_terms{};
  const SmirnovTerms terms{nd, nx_value, nx.floor, alpha, constant};
  std::int64_t v = 1;
  while (v <= last) {
    const std::int64_t block_end = std::min(last, v + kBlock - 1);
    if (v < 16 || n - block_end < 16 || ratio_is_small(v) != ratio_is_small(block_end)) {
      const double log_term = log_term_of(v);
      double scaled_term = 0.0;
      if (log_term > log_largest) {
        scaled_sum = scaled_sum * std::exp(log_largest - log_term);
        log_largest = log_term;
        scaled_term = 1.0;
      } else {
        scaled_term = std::exp(log_term - log_largest);
      }
      if (add(v, log_term, scaled_term)) break;
      ++v;
      continue;
    }
    const auto count = static_cast<std::size_t>(block_end - v + 1);
    smirnov_log_terms(terms, v, count, !ratio_is_small(v), log_terms.data());
    const double largest = std::max(log_largest, *std::max_element(log_terms.begin(), log_terms.begin() + count));
    if (largest > log_largest) {
      scaled_sum = scaled_sum * std::exp(log_largest - largest);
      log_largest = largest;
    }
    smirnov_scaled_terms(log_terms.data(), count, log_largest, scaled_terms.data());
    bool done = false;
    for (std::size_t i = 0; i < count && !done; ++i) {
      done = add(v + static_cast<std::int64_t>(i), log_terms[i], scaled_terms[i]);
    }
    if (done) break;
    v = block_end + 1;
  }
  return clamp_probability(std::exp(log_largest + std::log(scaled_sum)));
}

// ---------------------------------------------------------------------------------------------------------------
// Two-sided one-sample distribution P(D_n <= x): Durbin's matrix (1973) in the form of Marsaglia, Tsang & Wang
// (2003). With n x = k - h, 0 <= h < 1, the CDF is n!/n^n times entry (k, k) of H^n for a (2k-1)-square matrix H
// with non-negative entries, so the repeated squaring loses no accuracy to cancellation.

using Matrix = std::vector<double>;  // row-major, size x size

Matrix multiply(const Matrix& a, const Matrix& b, std::size_t size) {
  Matrix product(size * size, 0.0);
  for (std::size_t i = 0; i < size; ++i) {
    for (std::size_t k = 0; k < size; ++k) {
      const double factor = a[i * size + k];
      if (factor == 0.0) continue;
      for (std::size_t j = 0; j < size; ++j) product[i * size + j] += factor * b[k * size + j];
    }
  }
  return product;
}

// Divides by a power of two so the largest entry is in [0.5, 1); returns the exponent taken out. Exact except
// for entries pushed into the subnormal range, which are negligible beside the largest.
int normalize(Matrix& matrix) {
  double largest = 0.0;
  for (double value : matrix) largest = std::max(largest, std::abs(value));
  if (largest == 0.0) return 0;
  int exponent = 0;
  std::frexp(largest, &exponent);
  for (double& value : matrix) value = std::ldexp(value, -exponent);
  return exponent;
}

double durbin_matrix_cdf(std::int64_t n, double x) {
  if (x >= 1.0) return 1.0;
  const double nx = static_cast<double>(n) * x;
  if (nx <= 0.5) return 0.0;
  const auto k = static_cast<std::int64_t>(std::ceil(nx));
  const double h = static_cast<double>(k) - nx;
  const auto size = static_cast<std::size_t>(2 * k - 1);

  // first_column[j] = (1 - h^(j+1)) / (j+1)!, its last entry corrected for both boundaries;
  // inverse_factorial[j] = 1 / j!.
  std::vector<double> first_column(size);
  std::vector<double> inverse_factorial(size);
  double factor = 1.0;
  for (std::size_t j = 1; j <= size; ++j) {
    inverse_factorial[j - 1] = factor;
    factor /= static_cast<double>(j);
    first_column[j - 1] = (1.0 - std::pow(h, static_cast<double>(j))) * factor;
  }
  const double size_d = static_cast<double>(size);
  first_column[size - 1] =
      (1.0 + std::pow(std::max(2.0 * h - 1.0, 0.0), size_d) - 2.0 * std::pow(h, size_d)) * factor;

  Matrix base(size * size, 0.0);
  for (std::size_t column = 1; column < size; ++column) {
    for (std::size_t row = column - 1; row < size; ++row) base[row * size + column] = inverse_factorial[row - column + 1];
  }
  for (std::size_t row = 0; row < size; ++row) base[row * size] = first_column[row];
  for (std::size_t column = 0; column < size; ++column) base[(size - 1) * size + column] = first_column[size - 1 - column];

  Matrix power(size * size, 0.0);
  for (std::size_t i = 0; i < size; ++i) power[i * size + i] = 1.0;
  std::int64_t power_exponent = 0;
  std::int64_t base_exponent = 0;
  for (std::int64_t remaining = n; remaining > 0; remaining /= 2) {
    if (remaining % 2 == 1) {
      power = multiply(power, base, size);
      power_exponent += base_exponent + normalize(power);
    }
    if (remaining > 1) {
      base = multiply(base, base, size);
      base_exponent = 2 * base_exponent + normalize(base);
    }
  }
  const double entry = power[static_cast<std::size_t>(k - 1) * size + static_cast<std::size_t>(k - 1)];
  if (entry <= 0.0) return 0.0;
  const auto n_ld = static_cast<long double>(n);
  const long double log_cdf = std::log(static_cast<long double>(entry)) +
                              static_cast<long double>(power_exponent) * std::numbers::ln2_v<long double> +
                              log_factorial(n) - n_ld * std::log(n_ld);
  return clamp_probability(static_cast<double>(std::exp(log_cdf)));
}

// Pomeranz's recursion (1974) as arranged by Simard & L'Ecuyer (2011): 2n + 1 steps, each a convolution of a
// short window of the previous row with Poisson-like weights (g/n)^m/m!, (2g/n)^m/m! or ((1-2g)/n)^m/m!.
double pomeranz_cdf(std::int64_t n, double x) {
  const double t = static_cast<double>(n) * x;
  const auto whole = static_cast<std::int64_t>(std::floor(t));
  const double fraction = t - static_cast<double>(whole);
  const double g = std::min(fraction, 1.0 - fraction);
  const std::int64_t has_fraction = fraction > 0.0 ? 1 : 0;
  const std::int64_t above_half = fraction > 0.5 ? 1 : 0;
  const auto weight_count = static_cast<std::size_t>(2 * (whole + 1));

  auto weights_for = [&](double rate) {
    std::vector<double> weights(weight_count);
    weights[0] = 1.0;
    for (std::size_t m = 1; m < weight_count; ++m) weights[m] = weights[m - 1] * rate / static_cast<double>(m);
    return weights;
  };
  const double nd = static_cast<double>(n);
  const std::vector<double> edge_weights = weights_for(g / nd);
  const std::vector<double> odd_weights = weights_for(2.0 * g / nd);
  const std::vector<double> even_weights = weights_for((1.0 - 2.0 * g) / nd);

  // Row i is non-zero only on the columns [first, last] returned here.
  auto window = [&](std::int64_t i) {
    std::int64_t first = 0;
    std::int64_t last = 0;
    if (i == 0) {
      first = -whole - has_fraction - 1;
      last = whole + has_fraction - 1;
    } else {
      const std::int64_t half = (i + 1) / 2;
      if ((i + 1) % 2 == 0) {
        if (half == n + 1) {
          first = n - whole - has_fraction - 1;
          last = n + whole + has_fraction - 1;
        } else {
          first = half - 1 - whole - above_half - 1;
          last = half + whole - 1 + has_fraction - 1;
        }
      } else {
        first = half - 1 - whole - 1;
        last = half + whole + above_half - 1;
      }
    }
    return std::pair{std::max(first + 2, std::int64_t{0}), std::min(last, n)};
  };

  const auto columns = static_cast<std::size_t>(n + 1);
  std::vector<double> previous(columns, 0.0);
  std::vector<double> current(columns, 0.0);
  current[0] = 1.0;
  std::int64_t scale_exponent = 0;
  auto [first, last] = window(0);
  for (std::int64_t i = 1; i <= 2 * n + 1; ++i) {
    const std::int64_t previous_first = first;
    std::swap(previous, current);
    std::fill(current.begin(), current.end(), 0.0);
    std::tie(first, last) = window(i);
    const std::vector<double>& weights =
        (i == 1 || i == 2 * n + 1) ? edge_weights : (i % 2 == 1 ? odd_weights : even_weights);
    double largest = 0.0;
    for (std::int64_t j = first; j <= last; ++j) {
      double total = 0.0;
      for (std::int64_t a = previous_first; a <= j; ++a) {
        const auto lag = static_cast<std::size_t>(j - a);
        DRIFTGOV_CHECK(lag < weights.size(), "Pomeranz window {} exceeds {} weights", lag, weights.size());
        total += previous[static_cast<std::size_t>(a)] * weights[lag];
      }
      current[static_cast<std::size_t>(j)] = total;
      largest = std::max(largest, total);
    }
    // Rows shrink geometrically; rescale by an exact power of two to stay clear of underflow.
    if (largest > 0.0 && largest < 0x1p-128) {
      for (double& value : current) value *= 0x1p128;
      scale_exponent -= 128;
    }
  }
  long double cdf = current[static_cast<std::size_t>(n)];
  for (std::int64_t m = 1; m <= n; ++m) cdf *= static_cast<long double>(m);
  return clamp_probability(static_cast<double>(std::ldexp(cdf, static_cast<int>(scale_exponent))));
}

// Pelz & Good (1976): the Li-Chien/Korolyuk expansion K0 + K1/sqrt(n) + K2/n + K3/n^1.5 of the CDF, rewritten
// through Jacobi theta identities so it converges for small z = x sqrt(n). Unclipped, as the caller clips 1 - cdf.
double pelz_good_cdf(std::int64_t n, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  constexpr double pi = std::numbers::pi;
  const double pi2 = pi * pi;
  const double pi4 = pi2 * pi2;
  const double pi6 = pi4 * pi2;
  const double sqrt_two_pi = std::sqrt(2.0 * pi);
  const double z = std::sqrt(static_cast<double>(n)) * x;
  const double z2 = z * z;
  const double z3 = z2 * z;
  const double z4 = z2 * z2;
  const double z6 = z4 * z2;
  const double log_q = -pi2 / 8.0 / z2;
  if (log_q < -708.0) return 0.0;
  const double q = std::exp(log_q);

  const double k1a = -z2;
  const double k1b = pi2 / 4.0;
  const double k2a = 6.0 * z6 + 2.0 * z4;
  const double k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
  const double k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
  const double k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
  const double k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
  const double k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
  const double k3a = -30.0 * z6 - 90.0 * std::pow(z, 8);

  // Sums over odd m = 2k - 1 of c(m) q^(m^2), by Horner in q^(8k) since m^2 - (m-2)^2 = 8(k-1).
  double terms[4] = {0.0, 0.0, 0.0, 0.0};
  const auto max_k = static_cast<std::int64_t>(std::ceil(16.0 * z / pi));
  for (std::int64_t k = max_k; k > 0; --k) {
    const double m = static_cast<double>(2 * k - 1);
    const double m2 = m * m;
    const double m4 = m2 * m2;
    const double m6 = m4 * m2;
    const double q_power = std::pow(q, static_cast<double>(8 * k));
    const double coefficients[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                                    k3a + k3b * m2 + k3c * m4 + k3d * m6};
    for (int i = 0; i < 4; ++i) terms[i] = terms[i] * q_power + coefficients[i];
  }
  const double denominators[4] = {z, 6.0 * z4, 72.0 * std::pow(z, 7), 6480.0 * std::pow(z, 10)};
  for (int i = 0; i < 4; ++i) terms[i] = terms[i] * q * sqrt_two_pi / denominators[i];

  // The K2 and K3 sums over all integers k of polynomial(k) q'^(k^2), q' = exp(-pi^2 / (2 z^2)).
  const double q_all = std::exp(-pi2 / 2.0 / z2);
  const double sqrt3_z = std::sqrt(3.0) * z;
  double k2_extra = 0.0;
  double k3_extra = 0.0;
  for (std::int64_t k = max_k; k > 0; --k) {
    const double kd = static_cast<double>(k);
    const double k2 = kd * kd;
    const double q_power = std::pow(q_all, k2);
    const double k_pi = pi * kd;
    k2_extra += k2 * q_power;
    k3_extra += (sqrt3_z + k_pi) * (sqrt3_z - k_pi) * k2 * q_power;
  }
  terms[2] += k2_extra * pi2 * sqrt_two_pi / (-36.0 * z3);
  terms[3] += k3_extra * pi2 * sqrt_two_pi / (216.0 * z6);
  double cdf = 0.0;
  for (int i = 0; i < 4; ++i) cdf += terms[i] / std::pow(static_cast<double>(n), static_cast<double>(i) / 2.0);
  return cdf;
}

// P(D_n >= x) for the two-sided one-sample statistic: scipy's kstwo.sf, choosing the method as Simard &
// L'Ecuyer (2011) recommend. Below the support (x <= 1/(2n)) the tail is 1; at x >= 1 it is 0.
double kolmogorov_sf(std::int64_t n, double x) {
  const double nd = static_cast<double>(n);
  if (!(x > 0.5 / nd)) return 1.0;
  if (x >= 1.0) return 0.0;
  const double t = nd * x;
  if (t <= 1.0) {
    // Ruben & Gambino (1982): for 1/(2n) < x <= 1/n, cdf = n!/n^n (2t - 1)^n.
    const long double log_cdf = log_factorial(n) - static_cast<long double>(n) * std::log(static_cast<long double>(nd)) +
                                static_cast<long double>(n) * std::log(2.0L * static_cast<long double>(t) - 1.0L);
    return clamp_probability(static_cast<double>(1.0L - std::exp(log_cdf)));
  }
  if (t >= nd - 1.0) {
    // Ruben & Gambino: for x >= 1 - 1/n, sf = 2 (1 - x)^n.
    return clamp_probability(2.0 * std::pow(1.0 - x, nd));
  }
  if (x >= 0.5) return clamp_probability(2.0 * smirnov_sf(n, x));  // the two one-sided events are disjoint

  const double nxx = t * x;
  if (n <= 140) {
    if (nxx <= 0.754693) return clamp_probability(1.0 - durbin_matrix_cdf(n, x));
    if (nxx <= 4.0) return clamp_probability(1.0 - pomeranz_cdf(n, x));
    return clamp_probability(2.0 * smirnov_sf(n, x));
  }
  if (nxx >= 370.0) return 0.0;
  // In the upper tail the two one-sided events almost never both happen (Miller 1956): sf ~ 2 * smirnov.
  if (nxx >= 2.2) return clamp_probability(2.0 * smirnov_sf(n, x));
  const double cdf = (n <= 100000 && nd * std::pow(x, 1.5) <= 1.4) ? durbin_matrix_cdf(n, x) : pelz_good_cdf(n, x);
  return clamp_probability(1.0 - cdf);
}

double asymptotic_pvalue(std::int64_t n1, std::int64_t n2, double d) {
  const double larger = static_cast<double>(std::max(n1, n2));
  const double smaller = static_cast<double>(std::min(n1, n2));
  const double effective_size = std::nearbyint(larger * smaller / (larger + smaller));
  return kolmogorov_sf(static_cast<std::int64_t>(effective_size), d);
}

// scipy's 'auto' rule; in the exact method the statistic is snapped to the lattice first, and it stays snapped
// when the exact computation fails and the asymptotic distribution takes over.
KsResult ks_test_of_statistic(std::int64_t n1, std::int64_t n2, double d) {
  KsResult result;
  result.statistic = d;
  if (std::max(n1, n2) <= kMaxExactSampleSize) {
    const LatticeProbability exact = exact_two_sample_probability(n1, n2, d);
    result.statistic = exact.statistic;
    if (exact.success) {
      result.pvalue = clamp_probability(exact.pvalue);
      result.method = "exact";
      return result;
    }
  }
  result.pvalue = clamp_probability(asymptotic_pvalue(n1, n2, result.statistic));
  result.method = "asymp";
  return result;
}

}  // namespace

KsResult ks_two_sample(std::span<const double> sorted_a, std::span<const double> sorted_b) {
  return ks_two_sample(static_cast<std::int64_t>(sorted_a.size()), static_cast<std::int64_t>(sorted_b.size()),
                       empirical_cdf_gaps(sorted_a, sorted_b));
}

KsResult ks_two_sample(std::int64_t n1, std::int64_t n2, const CdfGaps& gaps) {
  const double statistic = std::min(std::max(gaps.largest_above, gaps.largest_below), 1.0);
  return ks_test_of_statistic(n1, n2, statistic);
}

double ks_two_sample_pvalue(std::int64_t n1, std::int64_t n2, double d, std::string* method) {
  DRIFTGOV_CHECK(n1 >= 1 && n2 >= 1, "sample sizes must be positive: {} and {}", n1, n2);
  DRIFTGOV_CHECK(!std::isnan(d), "KS statistic is NaN for sample sizes {} and {}", n1, n2);
  // A statistic taken from sketch CDFs can overshoot [0, 1] by a rounding error.
  KsResult result = ks_test_of_statistic(n1, n2, std::clamp(d, 0.0, 1.0));
  if (method != nullptr) *method = std::move(result.method);
  return result.pvalue;
}

double ks_two_sample_asymptotic_pvalue(std::int64_t n1, std::int64_t n2, double d) {
  DRIFTGOV_CHECK(n1 >= 1 && n2 >= 1, "sample sizes must be positive: {} and {}", n1, n2);
  DRIFTGOV_CHECK(!std::isnan(d), "KS statistic is NaN for sample sizes {} and {}", n1, n2);
  return clamp_probability(asymptotic_pvalue(n1, n2, std::clamp(d, 0.0, 1.0)));
}

double ks_sketch_statistic_bound(double ea, double eb) { return ea + eb; }

}  // namespace driftgov::stats
