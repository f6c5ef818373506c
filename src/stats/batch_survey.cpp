// Compiled once per SIMD target by Highway's foreach_target (this file includes itself); HWY_DYNAMIC_DISPATCH
// picks the processor's best at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "stats/batch_survey.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "stats/batch_survey.hpp"

HWY_BEFORE_NAMESPACE();
namespace driftgov::stats::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Moves the values of values[at .. at + lanes) that are not NaN to values[kept ...], in order, and returns the new
// `kept`. Each position is written after it was read; a NaN written is overwritten by the next value kept, or left
// past the kept ones.
// One by one rather than with Highway's Compress: in Highway 1.0.3 that goes through index tables held in local
// arrays, which GCC copies to the stack at every call (slower than this), and AVX-512's compressing store, the
// other way, is slow on some processors (AMD Zen 4). Only vector pairs that hold a NaN come here.
HWY_INLINE std::size_t MoveNumbers(double* values, std::size_t at, std::size_t lanes, std::size_t kept) {
  for (std::size_t i = 0; i < lanes; ++i) {
    const double value = values[at + i];
    values[kept] = value;
    kept += std::isnan(value) ? 0 : 1;
  }
  return kept;
}

// The facts of values[0 .. count) into *facts. Two vectors at a time in independent accumulators, counts kept as
// doubles (exact up to 2^53); bounds of zeros may carry either sign.
// kDropNan false (`values` read only): false when some value is NaN.
// kDropNan true: NaN are dropped, the other values moved to the front in their order (facts->kept of them), from
// the first vector pair that holds a NaN on. The write position never passes the read position, and a store ends
// at most where the values it stores came from (already loaded).
template <bool kDropNan, typename Value>
bool Survey(Value* values, std::size_t count, BatchFacts* facts) {
  static_assert(std::is_const_v<Value> != kDropNan, "only the survey that drops NaN writes");
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto infinity = hn::Set(d, std::numeric_limits<double>::infinity());
  const auto minus_infinity = hn::Neg(infinity);
  const auto one = hn::Set(d, 1.0);
  const auto zero = hn::Zero(d);
  auto low0 = infinity;
  auto low1 = infinity;
  auto high0 = minus_infinity;
  auto high1 = minus_infinity;
  auto zeros0 = zero;
  auto zeros1 = zero;
  auto infinities0 = zero;
  auto infinities1 = zero;
  std::size_t at = 0;
  std::size_t kept = 0;
  // One lane at a time (HWY_SCALAR) the loop below only adds work to the one-by-one loop at the end.
  const std::size_t vectors_end = HWY_TARGET == HWY_SCALAR ? 0 : count;
  for (; at + 2 * lanes <= vectors_end; at += 2 * lanes) {
    const auto v0 = hn::LoadU(d, values + at);
    const auto v1 = hn::LoadU(d, values + at + lanes);
    const auto nan0 = hn::IsNaN(v0);
    const auto nan1 = hn::IsNaN(v1);
    // NaN are neither zero nor infinite.
    zeros0 = hn::Add(zeros0, hn::IfThenElseZero(hn::Eq(v0, zero), one));
    zeros1 = hn::Add(zeros1, hn::IfThenElseZero(hn::Eq(v1, zero), one));
    infinities0 = hn::Add(infinities0, hn::IfThenElseZero(hn::IsInf(v0), one));
    infinities1 = hn::Add(infinities1, hn::IfThenElseZero(hn::IsInf(v1), one));
    if (HWY_LIKELY(hn::AllFalse(d, hn::Or(nan0, nan1)))) {
      low0 = hn::Min(low0, v0);
      low1 = hn::Min(low1, v1);
      high0 = hn::Max(high0, v0);
      high1 = hn::Max(high1, v1);
      if constexpr (kDropNan) {
        if (kept != at) {
          hn::StoreU(v0, d, values + kept);
          hn::StoreU(v1, d, values + kept + lanes);
        }
      }
      kept += 2 * lanes;
      continue;
    }
    if constexpr (kDropNan) {
      // The bounds must not see NaN (Min and Max leave the result unspecified).
      low0 = hn::Min(low0, hn::IfThenElse(nan0, infinity, v0));
      low1 = hn::Min(low1, hn::IfThenElse(nan1, infinity, v1));
      high0 = hn::Max(high0, hn::IfThenElse(nan0, minus_infinity, v0));
      high1 = hn::Max(high1, hn::IfThenElse(nan1, minus_infinity, v1));
      kept = MoveNumbers(values, at, 2 * lanes, kept);
    } else {
      return false;
    }
  }
  // Locals, not *facts, which may alias the values stored.
  double low = hn::GetLane(hn::MinOfLanes(d, hn::Min(low0, low1)));
  double high = hn::GetLane(hn::MaxOfLanes(d, hn::Max(high0, high1)));
  auto zeros = static_cast<std::int64_t>(hn::GetLane(hn::SumOfLanes(d, hn::Add(zeros0, zeros1))));
  auto infinities = static_cast<std::int64_t>(hn::GetLane(hn::SumOfLanes(d, hn::Add(infinities0, infinities1))));
  // Fewer than two vectors left: one by one.
  for (; at < count; ++at) {
    const double v = values[at];
    if (std::isnan(v)) {
      if constexpr (kDropNan) continue;
      return false;
    }
    zeros += v == 0.0;
    infinities += std::isinf(v);
    low = v < low ? v : low;
    high = v > high ? v : high;
    if constexpr (kDropNan) values[kept] = v;
    ++kept;
  }
  *facts = {kept, zeros, infinities, low, high};
  return true;
}

bool SurveyWithoutNan(const double* values, std::size_t count, BatchFacts* facts) {
  return Survey<false>(values, count, facts);
}

void SurveyDroppingNan(double* values, std::size_t count, BatchFacts* facts) { Survey<true>(values, count, facts); }

// The first zero among values[0 .. count), or +inf when there is none.
double FirstZero(const double* values, std::size_t count) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t at = 0;
  for (; at + lanes <= count; at += lanes) {
    const std::intptr_t lane = hn::FindFirstTrue(d, hn::Eq(hn::LoadU(d, values + at), hn::Zero(d)));
    if (lane >= 0) return values[at + static_cast<std::size_t>(lane)];
  }
  for (; at < count; ++at) {
    if (values[at] == 0.0) return values[at];
  }
  return std::numeric_limits<double>::infinity();
}

}  // namespace driftgov::stats::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace driftgov::stats {

HWY_EXPORT(SurveyWithoutNan);
HWY_EXPORT(SurveyDroppingNan);
HWY_EXPORT(FirstZero);

std::optional<BatchFacts> survey_without_nan(std::span<const double> values, bool signed_zeros) {
  BatchFacts facts;
  if (!HWY_DYNAMIC_DISPATCH(SurveyWithoutNan)(values.data(), values.size(), &facts)) return std::nullopt;
  if (signed_zeros && (facts.low == 0.0 || facts.high == 0.0)) return std::nullopt;
  return facts;
}

BatchFacts survey_dropping_nan(std::span<double> values) {
  BatchFacts facts;
  HWY_DYNAMIC_DISPATCH(SurveyDroppingNan)(values.data(), values.size(), &facts);
  // A zero bound is the first zero met, as one by one: no value below (above) zero, so the first zero replaced
  // the bound and no later zero compared less (greater).
  if (facts.low == 0.0 || facts.high == 0.0) {
    const double first = HWY_DYNAMIC_DISPATCH(FirstZero)(values.data(), facts.kept);
    if (facts.low == 0.0) facts.low = first;
    if (facts.high == 0.0) facts.high = first;
  }
  return facts;
}

}  // namespace driftgov::stats
#endif
