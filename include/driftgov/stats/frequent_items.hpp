#pragma once
// Frequent-items sketch: the mergeable Misra-Gries summary (Agarwal, Cormode, Huang, Phillips, Wei, Yi,
// "Mergeable Summaries", PODS 2012) with `capacity` counters.
// Guarantee: every estimate is a lower bound, and true_count - estimate <= max_error() <= n / (capacity + 1)
// for every item, including items not listed (their estimate is 0). Merge keeps the guarantee for the union.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace driftgov::stats {

class FrequentItems {
 public:
  explicit FrequentItems(std::size_t capacity);

  void update(std::string_view item, std::int64_t weight = 1);
  void merge(const FrequentItems& other);

  std::size_t capacity() const { return capacity_; }
  std::int64_t total_weight() const { return total_weight_; }
  // Upper bound of the undercount of any item.
  std::int64_t max_error() const { return max_error_; }
  // Items with their lower-bound counts, by decreasing count then by item.
  std::vector<std::pair<std::string, std::int64_t>> items() const;

  nlohmann::json to_json() const;
  static FrequentItems from_json(const nlohmann::json& json, const std::string& context);

 private:
  void purge();

  std::size_t capacity_;
  std::int64_t total_weight_ = 0;
  std::int64_t max_error_ = 0;
  std::unordered_map<std::string, std::int64_t> counters_;
};

}  // namespace driftgov::stats
