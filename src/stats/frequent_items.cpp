#include "driftgov/stats/frequent_items.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "stats/json_numbers.hpp"

namespace driftgov::stats {

FrequentItems::FrequentItems(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw core::InputError("frequent-items capacity must be at least 1");
}

void FrequentItems::update(std::string_view item, std::int64_t weight) {
  if (weight <= 0) return;
  total_weight_ += weight;
  auto found = counters_.find(std::string(item));
  if (found != counters_.end()) {
    found->second += weight;
  } else {
    counters_.emplace(std::string(item), weight);
  }
  // Purge in bulk once the table holds twice the capacity: amortised O(1) per update.
  if (counters_.size() > 2 * capacity_) purge();
}

void FrequentItems::purge() {
  if (counters_.size() <= capacity_) return;
  std::vector<std::int64_t> counts;
  counts.reserve(counters_.size());
  for (const auto& entry : counters_) counts.push_back(entry.second);
  // Subtract the (capacity+1)-th largest count from every counter and drop those that reach zero.
  std::nth_element(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(capacity_), counts.end(),
                   std::greater<>());
  const std::int64_t cut = counts[capacity_];
  for (auto it = counters_.begin(); it != counters_.end();) {
    it->second -= cut;
    if (it->second <= 0) {
      it = counters_.erase(it);
    } else {
      ++it;
    }
  }
  max_error_ += cut;
}

void FrequentItems::merge(const FrequentItems& other) {
  if (other.capacity_ != capacity_) {
    throw core::InputError(fmt::format(
        "cannot merge frequent-items sketches with different capacity: this sketch has {}, the other {}",
        capacity_, other.capacity_));
  }
  for (const auto& [item, count] : other.counters_) counters_[item] += count;
  total_weight_ += other.total_weight_;
  max_error_ += other.max_error_;
  purge();
}

std::vector<std::pair<std::string, std::int64_t>> FrequentItems::items() const {
  std::vector<std::pair<std::string, std::int64_t>> out(counters_.begin(), counters_.end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  return out;
}

nlohmann::json FrequentItems::to_json() const {
  nlohmann::json items_json = nlohmann::json::array();
  for (const auto& [item, count] : items()) items_json.push_back(nlohmann::json::array({item, count}));
  return nlohmann::json{{"capacity", capacity_},
                        {"total_weight", total_weight_},
                        {"max_error", max_error_},
                        {"items", std::move(items_json)}};
}

FrequentItems FrequentItems::from_json(const nlohmann::json& json, const std::string& context) {
  try {
    FrequentItems sketch(integer_from_json<std::size_t>(json.at("capacity"), context, "frequent_items.capacity", 1));
    sketch.total_weight_ = integer_from_json<std::int64_t>(json.at("total_weight"), context, "frequent_items.total_weight", 0);
    sketch.max_error_ = integer_from_json<std::int64_t>(json.at("max_error"), context, "frequent_items.max_error", 0);
    for (const auto& entry : json.at("items")) {
      const auto count = integer_from_json<std::int64_t>(entry.at(1), context, "frequent_items.items count");
      if (count <= 0) throw core::InputError(fmt::format("{}: frequent item count must be positive", context));
      sketch.counters_[entry.at(0).get<std::string>()] = count;
    }
    return sketch;
  } catch (const nlohmann::json::exception& error) {
    throw core::InputError(fmt::format("{}: malformed frequent-items sketch: {}", context, error.what()));
  }
}

}  // namespace driftgov::stats
