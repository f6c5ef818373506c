#pragma once
// The terms of the one-sided Smirnov tail sum (kolmogorov.cpp, smirnov_sf), many at a time with SIMD instructions
// (Highway, chosen at run time for the processor). The sum needs about n terms for a statistic in the upper tail,
// each costing four elementary functions: this is where a refresh comparing thousands of large sketched windows
// spends its p-value time.

#include <cstddef>
#include <cstdint>

namespace driftgov::stats {

struct SmirnovTerms {
  double n = 0.0;          // the sample size
  double nx = 0.0;         // n * x
  std::int64_t nx_floor = 0;  // floor(n x), and alpha its fraction (as split_scaled_product gives them)
  double alpha = 0.0;
  double constant = 0.0;   // s(n) + log x
};

// log A_v for v = first .. first + count - 1 into out[0 .. count), as smirnov_sf writes it, for v >= 16 and
// n - v >= 16 (where the Stirling remainders are their series). `numerator_form` chooses the exact-numerator
// log(1 - nx/(n-v)) (ratio nx/(n-v) >= 0.5 for every v) instead of log1p. Highway's log, log1p and exp are within
// 4 ULP (libm's within 1), so log A_v agrees with the one-term-at-a-time form to about 1e-12 absolute.
void smirnov_log_terms(const SmirnovTerms& terms, std::int64_t first, std::size_t count, bool numerator_form,
                       double* out);

// out[i] = exp(log_terms[i] - largest) for i < count.
void smirnov_scaled_terms(const double* log_terms, std::size_t count, double largest, double* out);

}  // namespace driftgov::stats
