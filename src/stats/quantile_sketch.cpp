#include "driftgov/stats/quantile_sketch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "driftgov/stats/sorting.hpp"
#include "stats/json_numbers.hpp"

namespace driftgov::stats {
namespace {

constexpr std::size_t kStagingSize = 4096;
constexpr std::size_t kMinLevelCapacity = 8;
constexpr std::uint64_t kSeed = 0x9E3779B97F4A7C15ULL;

// Merges sorted values into a sorted level. std::merge keeps equal values of the level before those of
// `sorted`, as appending and std::inplace_merge would, so the sketch is the same; the per-thread scratch buffer
// trades places with the level, so neither allocates once warm.
void merge_into_level(std::vector<double>& level, std::span<const double> sorted) {
  if (level.empty()) {
    level.assign(sorted.begin(), sorted.end());
    return;
  }
  thread_local std::vector<double> scratch;
  scratch.resize(level.size() + sorted.size());
  std::merge(level.begin(), level.end(), sorted.begin(), sorted.end(), scratch.begin());
  level.swap(scratch);
}

}  // namespace

QuantileSketch::QuantileSketch(int k)
    : k_(k),
      min_(std::numeric_limits<double>::infinity()),
      max_(-std::numeric_limits<double>::infinity()),
      random_state_(kSeed) {
  if (k < kMinK || k > kMaxK) {
    throw core::InputError(fmt::format("quantile sketch k must be between {} and {}, got {}", kMinK, kMaxK, k));
  }
  levels_.emplace_back();
}

double QuantileSketch::normalized_rank_error(int k) { return 2.296 / std::pow(static_cast<double>(k), 0.9723); }
double QuantileSketch::normalized_rank_error() const { return normalized_rank_error(k_); }

bool QuantileSketch::coin() {
  // splitmix64
  std::uint64_t z = (random_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return ((z ^ (z >> 31)) & 1) != 0;
}

void QuantileSketch::update(double value) {
  view_.reset();
  DRIFTGOV_CHECK(!std::isnan(value), "NaN passed to a quantile sketch");
  staging_.push_back(value);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  ++count_;
  if (staging_.size() >= kStagingSize) flush_staging();
}

void QuantileSketch::update(std::span<const double> values) {
  view_.reset();
  while (!values.empty()) {
    const std::size_t room = kStagingSize - staging_.size();
    const std::size_t take = std::min(room, values.size());
    double low = min_;
    double high = max_;
    for (std::size_t i = 0; i < take; ++i) {
      const double v = values[i];
      low = v < low ? v : low;
      high = v > high ? v : high;
    }
    min_ = low;
    max_ = high;
    staging_.insert(staging_.end(), values.begin(), values.begin() + static_cast<std::ptrdiff_t>(take));
    count_ += static_cast<std::int64_t>(take);
    values = values.subspan(take);
    if (staging_.size() >= kStagingSize) flush_staging();
  }
}

void QuantileSketch::flush_staging() {
  if (staging_.empty()) return;
  sort_ascending(staging_);
  merge_into_level(levels_[0], staging_);
  staging_.clear();
  compress();
}

void QuantileSketch::compact_staged_values() {
  const bool compacted_before =
      std::any_of(levels_.begin(), levels_.end(), [](const std::vector<double>& level) { return !level.empty(); });
  if (!compacted_before || staging_.empty()) return;
  view_.reset();
  flush_staging();
}

void QuantileSketch::update_capacities() {
  capacities_.resize(levels_.size());
  total_capacity_ = 0;
  for (std::size_t level = 0; level < levels_.size(); ++level) {
    const std::size_t depth = levels_.size() - 1 - level;
    const double capacity = std::floor(static_cast<double>(k_) * std::pow(2.0 / 3.0, static_cast<double>(depth)));
    capacities_[level] = std::max(kMinLevelCapacity, static_cast<std::size_t>(capacity));
    total_capacity_ += capacities_[level];
  }
}

std::size_t QuantileSketch::retained() const {
  std::size_t total = staging_.size();
  for (const auto& level : levels_) total += level.size();
  return total;
}

void QuantileSketch::compress() {
  if (capacities_.size() != levels_.size()) update_capacities();
  std::size_t held = 0;
  for (const auto& level : levels_) held += level.size();
  while (held > total_capacity_) {
    // Compact the lowest level that is over its capacity.
    std::size_t h = 0;
    while (h < levels_.size() && levels_[h].size() <= capacities_[h]) ++h;
    if (h == levels_.size()) return;
    if (h + 1 == levels_.size()) {
      levels_.emplace_back();
      update_capacities();
    }
    auto& level = levels_[h];
    // An odd item stays behind (the largest, so the rest stays a sorted prefix).
    const bool odd = level.size() % 2 == 1;
    const std::size_t paired = level.size() - (odd ? 1 : 0);
    const std::size_t offset = coin() ? 1 : 0;
    thread_local std::vector<double> promoted;
    promoted.resize(paired / 2);
    for (std::size_t i = 0; i < promoted.size(); ++i) promoted[i] = level[offset + 2 * i];
    if (odd) level[0] = level.back();
    level.resize(odd ? 1 : 0);
    // A compacted level keeps at most one value: give back a buffer that grew with a large merge, so an idle
    // sketch holds little more than its retained values.
    if (level.capacity() > 2 * capacities_[h]) level.shrink_to_fit();
    held -= paired - promoted.size();
    merge_into_level(levels_[h + 1], promoted);
  }
}

void QuantileSketch::merge(const QuantileSketch& other) {
  view_.reset();
  if (other.k_ != k_) {
    throw core::InputError(
        fmt::format("cannot merge quantile sketches with different k: this sketch has k={}, the other k={}", k_,
                    other.k_));
  }
  if (other.count_ == 0) return;
  flush_staging();
  if (levels_.size() < other.levels_.size()) levels_.resize(other.levels_.size());
  for (std::size_t h = 0; h < other.levels_.size(); ++h) merge_into_level(levels_[h], other.levels_[h]);
  std::vector<double> other_staging = other.staging_;
  sort_ascending(other_staging);
  merge_into_level(levels_[0], other_staging);
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  compress();
}

QuantileSketch::SortedView QuantileSketch::sorted_view() const {
  // Every level is already sorted: merge them (and the sorted staging values) instead of sorting every item.
  using Item = std::pair<double, std::uint64_t>;
  std::vector<Item> items, merged, next;
  items.reserve(retained());
  std::vector<double> staged(staging_);
  sort_ascending(staged);
  for (double v : staged) items.emplace_back(v, 1);
  const auto by_value = [](const Item& a, const Item& b) { return a.first < b.first; };
  for (std::size_t h = 0; h < levels_.size(); ++h) {
    if (levels_[h].empty()) continue;
    const std::uint64_t weight = std::uint64_t{1} << h;
    next.clear();
    next.reserve(levels_[h].size());
    for (double v : levels_[h]) next.emplace_back(v, weight);
    merged.clear();
    merged.reserve(items.size() + next.size());
    std::merge(items.begin(), items.end(), next.begin(), next.end(), std::back_inserter(merged), by_value);
    items.swap(merged);
  }
  SortedView view;
  view.values.reserve(items.size());
  view.cumulative_weights.reserve(items.size());
  std::uint64_t running = 0;
  for (const auto& [value, weight] : items) {
    running += weight;
    if (!view.values.empty() && view.values.back() == value) {
      view.cumulative_weights.back() = running;
    } else {
      view.values.push_back(value);
      view.cumulative_weights.push_back(running);
    }
  }
  view.total_weight = running;
  return view;
}

std::shared_ptr<const QuantileSketch::SortedView> QuantileSketch::shared_sorted_view() const {
  if (!view_) view_ = std::make_shared<const SortedView>(sorted_view());
  return view_;
}

double QuantileSketch::SortedView::cdf(double x) const {
  if (total_weight == 0) return 0.0;
  const auto it = std::upper_bound(values.begin(), values.end(), x);
  if (it == values.begin()) return 0.0;
  return static_cast<double>(cumulative_weights[static_cast<std::size_t>(it - values.begin()) - 1]) /
         static_cast<double>(total_weight);
}

double QuantileSketch::SortedView::quantile(double q, double exact_min, double exact_max) const {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (q <= 0.0) return exact_min;
  if (q >= 1.0) return exact_max;
  const double target = q * static_cast<double>(total_weight);
  const auto it = std::lower_bound(cumulative_weights.begin(), cumulative_weights.end(), target,
                                   [](std::uint64_t weight, double t) { return static_cast<double>(weight) < t; });
  const auto index = std::min(static_cast<std::size_t>(it - cumulative_weights.begin()), values.size() - 1);
  return values[index];
}

double QuantileSketch::quantile(double q) const { return sorted_view().quantile(q, min_, max_); }
double QuantileSketch::cdf(double x) const { return sorted_view().cdf(x); }

nlohmann::json QuantileSketch::to_json() const {
  nlohmann::json levels = nlohmann::json::array();
  // Staged values are written as part of level 0 (sorted), which they are once flushed.
  std::vector<double> level0 = levels_[0];
  std::vector<double> staged = staging_;
  std::sort(staged.begin(), staged.end());
  const auto middle = level0.size();
  level0.insert(level0.end(), staged.begin(), staged.end());
  std::inplace_merge(level0.begin(), level0.begin() + static_cast<std::ptrdiff_t>(middle), level0.end());
  for (std::size_t h = 0; h < levels_.size(); ++h) {
    const auto& level = h == 0 ? level0 : levels_[h];
    nlohmann::json values = nlohmann::json::array();
    for (double v : level) values.push_back(number_to_json(v));
    levels.push_back(std::move(values));
  }
  return nlohmann::json{{"k", k_},
                        {"n", count_},
                        {"min", number_to_json(min_)},
                        {"max", number_to_json(max_)},
                        {"levels", std::move(levels)}};
}

QuantileSketch QuantileSketch::from_json(const nlohmann::json& json, const std::string& context) {
  try {
    QuantileSketch sketch(integer_from_json<int>(json.at("k"), context, "sketch.k", kMinK, kMaxK));
    sketch.count_ = integer_from_json<std::int64_t>(json.at("n"), context, "sketch.n", 0);
    sketch.min_ = number_from_json(json.at("min"));
    sketch.max_ = number_from_json(json.at("max"));
    sketch.levels_.clear();
    std::uint64_t total_weight = 0;
    std::size_t h = 0;
    for (const auto& level_json : json.at("levels")) {
      std::vector<double> level;
      for (const auto& value : level_json) {
        const double v = number_from_json(value);
        if (std::isnan(v)) throw core::InputError(fmt::format("{}: quantile sketch holds NaN", context));
        level.push_back(v);
      }
      if (!std::is_sorted(level.begin(), level.end())) {
        throw core::InputError(fmt::format("{}: quantile sketch level {} is not sorted", context, h));
      }
      if (h >= 63) throw core::InputError(fmt::format("{}: quantile sketch has too many levels", context));
      total_weight += level.size() << h;
      sketch.levels_.push_back(std::move(level));
      ++h;
    }
    if (sketch.levels_.empty()) sketch.levels_.emplace_back();
    if (total_weight != static_cast<std::uint64_t>(sketch.count_)) {
      throw core::InputError(fmt::format("{}: quantile sketch weights sum to {} but n is {}", context,
                                         total_weight, sketch.count_));
    }
    return sketch;
  } catch (const nlohmann::json::exception& error) {
    throw core::InputError(fmt::format("{}: malformed quantile sketch: {}", context, error.what()));
  }
}

}  // namespace driftgov::stats
