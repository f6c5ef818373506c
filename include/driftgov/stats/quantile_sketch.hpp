#pragma once
// Mergeable quantile sketch: KLL (Karnin, Lang, Liberty, "Optimal Quantile Approximation in Streams", FOCS 2016)
// with level capacities k * (2/3)^depth (minimum 8) and a sorted staging buffer at level 0.
//
// Error guarantee: for any x, |estimated rank(x) - true rank(x)| <= epsilon(k) * n with probability >= 99% for a
// single query, where epsilon(k) = 2.296 / k^0.9723 (the empirical constant published for KLL with these
// capacities; k = 200 gives 1.33%). Merging sketches keeps the same bound for the union. Staged values are
// sorted and compacted in large runs, which performs fewer compactions per level than value-at-a-time KLL
// and so never more error. Minimum and maximum are exact.
// Values must not be NaN (callers count NaN separately). Deterministic: the coin flips come from a seeded
// generator, so the same input in the same order gives the same sketch.
// Not thread-safe; merge per-thread sketches instead.

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace driftgov::stats {

class QuantileSketch {
 public:
  static constexpr int kDefaultK = 200;
  static constexpr int kMinK = 8;
  static constexpr int kMaxK = 65535;

  explicit QuantileSketch(int k = kDefaultK);

  void update(double value);
  void update(std::span<const double> values);
  // Merges `other` into this sketch. Throws core::InputError if k differs (naming both values).
  void merge(const QuantileSketch& other);
  // Sorts the staged values into the levels and compacts them, as the next values would, once the sketch has
  // compacted before: it then holds at most its levels' capacity (about 3k values) rather than up to 4,095 staged
  // values more. A sketch that never compacted holds every value it was given, exactly, and keeps them.
  void compact_staged_values();

  int k() const { return k_; }
  std::int64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  double min() const { return min_; }
  double max() const { return max_; }
  // epsilon(k) above.
  double normalized_rank_error() const;
  static double normalized_rank_error(int k);

  // Weighted, sorted retained values: the sketch's approximation of the sorted input.
  struct SortedView {
    std::vector<double> values;
    std::vector<std::uint64_t> cumulative_weights;  // cumulative_weights[i] = total weight of values[0..i]
    std::uint64_t total_weight = 0;
    // Estimated fraction of input values <= x.
    double cdf(double x) const;
    // Estimated q-quantile (0 <= q <= 1): the smallest retained value whose cumulative weight >= q * n;
    // q = 0 and q = 1 give the exact min and max.
    double quantile(double q, double exact_min, double exact_max) const;
  };
  SortedView sorted_view() const;
  // The same view, built once and kept until the sketch changes (a baseline compared with many windows sorts its
  // items once). Copies of a sketch share the kept view. Not thread-safe, like the sketch itself.
  std::shared_ptr<const SortedView> shared_sorted_view() const;
  double quantile(double q) const;
  double cdf(double x) const;

  std::size_t retained() const;
  nlohmann::json to_json() const;
  // Throws core::InputError naming `context` when the JSON is not a valid sketch.
  static QuantileSketch from_json(const nlohmann::json& json, const std::string& context);

 private:
  void flush_staging();
  void compress();
  // Level capacities depend on the number of levels: recomputed when it changes.
  void update_capacities();
  bool coin();

  int k_;
  std::int64_t count_ = 0;
  double min_;
  double max_;
  std::vector<std::vector<double>> levels_;  // levels_[h] sorted, each value of weight 2^h
  std::vector<double> staging_;              // unsorted values of weight 1
  std::vector<std::size_t> capacities_;      // per level, for the current number of levels
  std::size_t total_capacity_ = 0;
  std::uint64_t random_state_;
  mutable std::shared_ptr<const SortedView> view_;  // shared_sorted_view(); reset by every change
};

}  // namespace driftgov::stats
