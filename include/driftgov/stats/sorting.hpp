#pragma once
// Fast in-place ascending sort of doubles: counting for integer-valued data in a narrow range, otherwise the
// vectorised quicksort from Highway. Input must hold no NaN. Equal values (0.0 and -0.0) come in no set order.

#include <span>

namespace driftgov::stats {

void sort_ascending(std::span<double> values);

}  // namespace driftgov::stats
