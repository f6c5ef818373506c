#pragma once
// Fast in-place ascending sort of doubles (vectorised quicksort from Highway). Input must hold no NaN.

#include <span>

namespace driftgov::stats {

void sort_ascending(std::span<double> values);

}  // namespace driftgov::stats
