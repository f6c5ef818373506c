#pragma once
// Fast in-place ascending sort of doubles: counting for integer-valued data in a narrow range, otherwise the
// vectorised quicksort from Highway. Input must hold no NaN. The result holds exactly the input's values (-0.0
// sorts before 0.0).

#include <span>

namespace driftgov::stats {

void sort_ascending(std::span<double> values);

}  // namespace driftgov::stats
