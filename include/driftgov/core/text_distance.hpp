#pragma once
// Levenshtein distance between two texts (insertions, deletions and substitutions of bytes), for "did you mean"
// suggestions in messages.
#include <cstddef>
#include <string_view>

namespace driftgov::core {

std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace driftgov::core
