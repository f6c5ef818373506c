// Compiled once per SIMD target by Highway's foreach_target (this file includes itself); HWY_DYNAMIC_DISPATCH
// picks the processor's best at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "stats/batch_survey.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>

#include <cmath>

#include "stats/batch_survey.hpp"

HWY_BEFORE_NAMESPACE();
namespace driftgov::stats::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The facts of values[0 .. count) into *facts, or false when some value is NaN. Two vectors at a time in
// independent accumulators, counts kept as doubles (exact up to 2^53); bounds of zeros may carry either sign.
bool SurveyWithoutNan(const double* values, std::size_t count, BatchFacts* facts) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto infinity = hn::Set(d, std::numeric_limits<double>::infinity());
  const auto one = hn::Set(d, 1.0);
  const auto zero = hn::Zero(d);
  auto low0 = infinity;
  auto low1 = infinity;
  auto high0 = hn::Neg(infinity);
  auto high1 = high0;
  auto zeros0 = zero;
  auto zeros1 = zero;
  auto infinities0 = zero;
  auto infinities1 = zero;
  auto nan = zero;  // all bits set in a lane that met a NaN
  std::size_t at = 0;
  for (; at + 2 * lanes <= count; at += 2 * lanes) {
    const auto v0 = hn::LoadU(d, values + at);
    const auto v1 = hn::LoadU(d, values + at + lanes);
    nan = hn::Or(nan, hn::Or(hn::VecFromMask(d, hn::IsNaN(v0)), hn::VecFromMask(d, hn::IsNaN(v1))));
    low0 = hn::Min(low0, v0);
    low1 = hn::Min(low1, v1);
    high0 = hn::Max(high0, v0);
    high1 = hn::Max(high1, v1);
    zeros0 = hn::Add(zeros0, hn::IfThenElseZero(hn::Eq(v0, zero), one));
    zeros1 = hn::Add(zeros1, hn::IfThenElseZero(hn::Eq(v1, zero), one));
    infinities0 = hn::Add(infinities0, hn::IfThenElseZero(hn::IsInf(v0), one));
    infinities1 = hn::Add(infinities1, hn::IfThenElseZero(hn::IsInf(v1), one));
  }
  if (!hn::AllFalse(d, hn::MaskFromVec(nan))) return false;
  facts->kept = count;
  facts->low = hn::GetLane(hn::MinOfLanes(d, hn::Min(low0, low1)));
  facts->high = hn::GetLane(hn::MaxOfLanes(d, hn::Max(high0, high1)));
  facts->zeros = static_cast<std::int64_t>(hn::GetLane(hn::SumOfLanes(d, hn::Add(zeros0, zeros1))));
  facts->infinities = static_cast<std::int64_t>(hn::GetLane(hn::SumOfLanes(d, hn::Add(infinities0, infinities1))));
  // Fewer than two vectors left: one by one.
  for (; at < count; ++at) {
    const double v = values[at];
    if (std::isnan(v)) return false;
    facts->zeros += v == 0.0;
    facts->infinities += std::isinf(v);
    facts->low = v < facts->low ? v : facts->low;
    facts->high = v > facts->high ? v : facts->high;
  }
  return true;
}

}  // namespace driftgov::stats::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace driftgov::stats {

HWY_EXPORT(SurveyWithoutNan);

std::optional<BatchFacts> survey_without_nan(std::span<const double> values, bool signed_zeros) {
  BatchFacts facts;
  if (!HWY_DYNAMIC_DISPATCH(SurveyWithoutNan)(values.data(), values.size(), &facts)) return std::nullopt;
  if (signed_zeros && (facts.low == 0.0 || facts.high == 0.0)) return std::nullopt;
  return facts;
}

}  // namespace driftgov::stats
#endif
