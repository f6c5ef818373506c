#pragma once
// Profiles: one mergeable summary per column (docs/profiles.md describes the file format).
//
// Numeric columns (integers, floats, decimals, dates as days, timestamps as microseconds): row count, nulls,
// NaN, zeros, exact min/max, mean and M2 (Moments), a KLL quantile sketch, and optionally every value (the
// "exact sample", kept in memory for exact KS/Wasserstein/bins when comparing raw data; never serialised).
// Categorical columns (strings, booleans): exact category counts up to `category_cap` distinct values; beyond
// it a Misra-Gries frequent-items sketch with `category_cap` counters plus a HyperLogLog distinct count.
//
// Merge guarantee: merge(profile(A), profile(B)) equals profile(A u B) exactly for counts, nulls, NaN, zeros,
// min, max, exact category counts, and for mean/M2 up to floating-point rounding; within the sketches' stated
// bounds for quantiles, frequent items and the distinct count. Merge refuses profiles whose columns, kinds or
// sketch parameters differ, naming both values.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "driftgov/core/column.hpp"
#include "driftgov/stats/distinct_count.hpp"
#include "driftgov/stats/frequent_items.hpp"
#include "driftgov/stats/moments.hpp"
#include "driftgov/stats/quantile_sketch.hpp"

namespace driftgov::stats {

inline constexpr int kProfileFormatVersion = 1;
inline constexpr const char* kProfileFormatName = "driftgov.profile";

enum class ColumnKind { kNumeric, kCategorical };
const char* to_string(ColumnKind kind);
ColumnKind column_kind_from_string(const std::string& text, const std::string& context);
// Default kind for a type: numeric for integers, floats, decimals, dates and timestamps; categorical otherwise.
ColumnKind default_kind(const core::DataType& type);

// The exact values of a column of integers in a narrow range, as counts: slot k counts the value low + k. An
// exact sample held this way takes at most kMaxSlots counters instead of 8 bytes per value.
struct IntegerCounts {
  static constexpr std::int64_t kMaxSlots = std::int64_t{1} << 16;
  // Integers of this magnitude and less are exact doubles: the counted values convert to doubles one to one.
  static constexpr std::int64_t kMaxMagnitude = std::int64_t{1} << 52;
  std::int64_t low = 0;
  std::vector<std::int64_t> counts;
  std::int64_t total = 0;

  // Counts `values` (integers in [low_value, high_value]) when the counts then still span at most kMaxSlots
  // slots; false, counting nothing, when they would not.
  bool add(std::span<const double> values, double low_value, double high_value);
  // Adds other's counts under the same slot limit; false, changing nothing, when the union spans more.
  bool merge(const IntegerCounts& other);
  // Every counted value in ascending order.
  std::vector<double> expand() const;

 private:
  bool cover(std::int64_t new_low, std::int64_t new_high);
};

struct NumericSummary {
  std::int64_t nan_count = 0;
  std::int64_t zero_count = 0;
  std::int64_t infinite_count = 0;
  double min = 0.0;  // over non-NaN values; meaningful when value_count() > 0
  double max = 0.0;
  Moments moments;  // over finite values
  // Over non-NaN values; left empty while `sketch_pending` (see below).
  QuantileSketch sketch;
  // Every non-NaN value, sorted once the profile is finished; present only when the profile kept an exact sample
  // and the column held no more values than the limit.
  std::optional<std::vector<double>> exact_values;
  // Instead of exact_values, for integer columns in a narrow range (never both): the same sample as counts. The
  // Profiler switches to exact_values when a batch does not fit (expanding the counts, so that sample's first
  // values are then in ascending order rather than arrival order).
  std::optional<IntegerCounts> exact_counts;
  bool exact_values_dropped = false;  // the column outgrew the exact-value limit
  // The Profiler fills no sketch while it keeps every value (one by one or counted): comparisons use the exact
  // values, and building a sketch nobody reads cost as much as sorting the column. When set, `sketch` is empty and
  // the exact sample holds the values; complete_sketch() (called by merge and to_json when they need the sketch)
  // feeds them in, in the sample's order (arrival order, or ascending for counted values).
  bool sketch_pending = false;

  explicit NumericSummary(int k) : sketch(k) {}
  // Every non-NaN value is kept (as exact_values or exact_counts).
  bool has_exact() const { return exact_values.has_value() || exact_counts.has_value(); }
  std::int64_t exact_size() const;
  // No non-NaN value so far.
  bool empty() const { return sketch.empty() && exact_size() == 0; }
  // The exact sample as sorted values (expanding exact_counts).
  std::vector<double> exact_sorted() const;
  // The sketch over every value: `sketch` itself, or a copy fed the exact values when the sketch is pending.
  QuantileSketch completed_sketch() const;
  void complete_sketch();
};

// Hash map keyed by std::string that can be probed with a std::string_view without allocating.
struct CategoryHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view value) const { return static_cast<std::size_t>(hash_bytes(value)); }
};
using CategoryCounts = std::unordered_map<std::string, std::int64_t, CategoryHash, std::equal_to<>>;

struct CategoricalSummary {
  std::size_t cap = 0;
  // Exact counts while the number of distinct values stays within cap.
  std::optional<CategoryCounts> exact_counts;
  // Once over the cap: frequent items and distinct count.
  std::optional<FrequentItems> frequent;
  std::optional<DistinctCountSketch> distinct;

  bool is_exact() const { return exact_counts.has_value(); }
  void add(std::string_view value, std::int64_t weight = 1);
  void merge(const CategoricalSummary& other);
  // Counts by category (exact, or lower bounds from the frequent-items sketch), by decreasing count.
  std::vector<std::pair<std::string, std::int64_t>> counts() const;
  double distinct_count() const;
  std::int64_t max_count_error() const;
};

struct ColumnProfile {
  std::string name;
  core::DataType type;
  ColumnKind kind = ColumnKind::kNumeric;
  std::int64_t count = 0;  // rows, nulls included
  std::int64_t null_count = 0;
  std::optional<NumericSummary> numeric;
  std::optional<CategoricalSummary> categorical;

  // Values that take part in distribution statistics: not null and not NaN.
  std::int64_t value_count() const;
};

struct ProfileOptions {
  int sketch_k = QuantileSketch::kDefaultK;
  std::size_t category_cap = 10000;
  // Keep every numeric value in memory for exact comparisons, up to this many values per column (0 = never).
  std::int64_t exact_value_limit = 0;
  std::map<std::string, ColumnKind> kind_overrides;
  // Floating-point columns whose NaN values are missing values, counted as nulls (null_count, not nan_count) and
  // never as a category: pandas' convention for float columns, whose frames driftgov.profile hands over as they
  // are instead of building a validity bitmap first. Names the data does not have are ignored.
  std::set<std::string> nan_as_null;

  // Throws core::InputError naming the offending field (core::OptionName). The Profiler calls it first.
  void validate() const;
};

struct DatasetProfile {
  std::vector<ColumnProfile> columns;
  std::int64_t row_count = 0;
  std::string source;  // description of what was profiled (file names)
  int sketch_k = QuantileSketch::kDefaultK;
  std::size_t category_cap = 10000;

  const ColumnProfile* find(const std::string& name) const;
  // Merges `other` into this profile (see the merge guarantee above).
  void merge(const DatasetProfile& other);
  nlohmann::json to_json() const;
  static DatasetProfile from_json(const nlohmann::json& json, const std::string& context);
};

// Builds a profile batch by batch. Not thread-safe; use one per thread and merge.
class Profiler {
 public:
  explicit Profiler(ProfileOptions options = {});
  void consume(const core::RecordBatch& batch);
  // Profiles only the listed rows of `batch` (indices into it, each in range; any order, repeats counted again):
  // the same profile as consume(core::take_rows(batch, rows)), without copying the rows out first.
  void consume(const core::RecordBatch& batch, std::span<const std::int64_t> rows);
  // Sorts the exact samples, compacts the sketches' staged values (QuantileSketch::compact_staged_values) and
  // returns the profile. The Profiler must not be used afterwards.
  DatasetProfile finish(std::string source_description);

 private:
  void start(const core::Schema& schema);
  // `rows`: the selected rows, or nullptr for every row of the column.
  void consume_rows(const core::RecordBatch& batch, const std::span<const std::int64_t>* rows);
  // `nan_as_null`: the column's NaN values count as nulls (ProfileOptions::nan_as_null).
  void consume_numeric(ColumnProfile& profile, const core::Column& column, const std::span<const std::int64_t>* rows,
                       bool nan_as_null);
  void consume_categorical(ColumnProfile& profile, const core::Column& column,
                           const std::span<const std::int64_t>* rows, bool nan_as_null);

  ProfileOptions options_;
  DatasetProfile profile_;
  bool started_ = false;
  std::vector<char> nan_as_null_;  // per column: options_.nan_as_null names it
  std::vector<double> scratch_;
};

}  // namespace driftgov::stats
