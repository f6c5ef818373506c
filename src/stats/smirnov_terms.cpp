// Compiled once per SIMD target by Highway's foreach_target (this file includes itself); HWY_DYNAMIC_DISPATCH
// picks the processor's best at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "stats/smirnov_terms.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <numbers>

#include "stats/smirnov_terms.hpp"

HWY_BEFORE_NAMESPACE();
namespace driftgov::stats::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// s(k) for k >= 16: the asymptotic series of the Stirling remainder, as kolmogorov.cpp's stirling_remainder.
template <class D, class V>
V StirlingSeries(D d, V k) {
  const V inverse = hn::Div(hn::Set(d, 1.0), k);
  const V inverse_squared = hn::Mul(inverse, inverse);
  V series = hn::Sub(hn::Set(d, 1.0 / 1680), hn::Div(inverse_squared, hn::Set(d, 1188.0)));
  series = hn::Sub(hn::Set(d, 1.0 / 1260), hn::Mul(inverse_squared, series));
  series = hn::Sub(hn::Set(d, 1.0 / 360), hn::Mul(inverse_squared, series));
  series = hn::Sub(hn::Set(d, 1.0 / 12), hn::Mul(inverse_squared, series));
  return hn::Mul(inverse, series);
}

void LogTerms(const SmirnovTerms& terms, std::int64_t first, std::size_t count, bool numerator_form, double* out) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto n = hn::Set(d, terms.n);
  const auto nx = hn::Set(d, terms.nx);
  const auto constant = hn::Set(d, terms.constant);
  const auto scale = hn::Set(d, 2.0 * std::numbers::pi);
  const auto subtracted = hn::Set(d, static_cast<double>(terms.nx_floor));
  const auto alpha = hn::Set(d, terms.alpha);
  const auto steps = hn::Iota(d, 0.0);
  HWY_ALIGN double tail[hwy::kMaxVectorSize / sizeof(double)];
  for (std::size_t i = 0; i < count; i += lanes) {
    const auto v = hn::Add(hn::Set(d, static_cast<double>(first + static_cast<std::int64_t>(i))), steps);
    const auto rest = hn::Sub(n, v);
    // log(1 - nx/(n-v)): as -log1p(nx/(n-v-nx)) (Highway's log1p takes non-negative arguments), or from the exact
    // numerator n - v - floor(nx) - alpha once the ratio is no longer small.
    const auto falling = numerator_form
                             ? hn::Log(d, hn::Div(hn::Sub(hn::Sub(rest, subtracted), alpha), rest))
                             : hn::Neg(hn::Log1p(d, hn::Div(nx, hn::Sub(rest, nx))));
    auto log_term = hn::Mul(v, hn::Log1p(d, hn::Div(nx, v)));
    log_term = hn::Add(log_term, hn::Mul(rest, falling));
    const auto root = hn::Sqrt(hn::Div(n, hn::Mul(scale, hn::Mul(v, rest))));
    log_term = hn::Add(log_term, hn::Log(d, hn::Div(hn::Mul(root, n), hn::Add(v, nx))));
    log_term = hn::Sub(hn::Sub(hn::Add(log_term, constant), StirlingSeries(d, v)), StirlingSeries(d, rest));
    if (i + lanes <= count) {
      hn::StoreU(log_term, d, out + i);
    } else {
      hn::Store(log_term, d, tail);
      for (std::size_t j = 0; i + j < count; ++j) out[i + j] = tail[j];
    }
  }
}

void ScaledTerms(const double* log_terms, std::size_t count, double largest, double* out) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto shift = hn::Set(d, largest);
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    hn::StoreU(hn::Exp(d, hn::Sub(hn::LoadU(d, log_terms + i), shift)), d, out + i);
  }
  HWY_ALIGN double tail[hwy::kMaxVectorSize / sizeof(double)] = {};
  for (std::size_t j = 0; i + j < count; ++j) tail[j] = log_terms[i + j];
  const auto scaled = hn::Exp(d, hn::Sub(hn::Load(d, tail), shift));
  hn::Store(scaled, d, tail);
  for (std::size_t j = 0; i + j < count; ++j) out[i + j] = tail[j];
}

}  // namespace driftgov::stats::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace driftgov::stats {

HWY_EXPORT(LogTerms);
HWY_EXPORT(ScaledTerms);

void smirnov_log_terms(const SmirnovTerms& terms, std::int64_t first, std::size_t count, bool numerator_form,
                       double* out) {
  HWY_DYNAMIC_DISPATCH(LogTerms)(terms, first, count, numerator_form, out);
}

void smirnov_scaled_terms(const double* log_terms, std::size_t count, double largest, double* out) {
  HWY_DYNAMIC_DISPATCH(ScaledTerms)(log_terms, count, largest, out);
}

}  // namespace driftgov::stats
#endif
