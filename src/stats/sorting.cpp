#include "driftgov/stats/sorting.hpp"

#include <hwy/contrib/sort/vqsort.h>

#include <algorithm>

namespace driftgov::stats {

void sort_ascending(std::span<double> values) {
  if (values.size() < 64) {
    std::sort(values.begin(), values.end());
    return;
  }
  // One Sorter per thread: it holds scratch state and is not thread-safe.
  thread_local hwy::Sorter sorter;
  sorter(values.data(), values.size(), hwy::SortAscending());
}

}  // namespace driftgov::stats
