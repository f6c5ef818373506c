#include "driftgov/core/text_distance.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace driftgov::core {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest_name(std::string_view name, const std::vector<std::string>& candidates) {
  // Close: at most a third of the name's letters changed (at least one), and not the whole name.
  const std::size_t limit = std::max<std::size_t>(1, (name.size() + 2) / 3);
  constexpr std::size_t kLongestName = 256;  // longer names get no suggestion (quadratic distance)
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  if (name.size() > kLongestName) return best;
  for (const auto& candidate : candidates) {
    const auto length_difference = candidate.size() > name.size() ? candidate.size() - name.size() : name.size() - candidate.size();
    if (length_difference > limit) continue;  // the distance is at least the difference in length
    const auto distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  if (best.empty() || best_distance > limit || best_distance >= std::max(name.size(), best.size())) return {};
  return best;
}

}  // namespace driftgov::core
