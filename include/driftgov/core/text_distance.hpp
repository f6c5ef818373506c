#pragma once
// Levenshtein distance between two texts (insertions, deletions and substitutions of bytes), for "did you mean"
// suggestions in messages.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace driftgov::core {

std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` by edit distance, for "did you mean"; empty when nothing is close (at most a
// third of the name's letters changed, at least one, and not the whole name).
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace driftgov::core
