#include "driftgov/stats/profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <span>
#include <cmath>
#include <nlohmann/json.hpp>


#include "driftgov/core/error.hpp"
#include "driftgov/stats/sorting.hpp"
#include "stats/batch_survey.hpp"
#include "stats/json_numbers.hpp"


namespace driftgov::stats {

using core::InputError;
using core::TypeId;

const char* to_string(ColumnKind kind) { return kind == ColumnKind::kNumeric ? "numeric" : "categorical"; }

ColumnKind column_kind_from_string(const std::string& text, const std::string& context) {
  if (text == "numeric" || text == "num") return ColumnKind::kNumeric;
  if (text == "categorical" || text == "cat") return ColumnKind::kCategorical;
  throw InputError(fmt::format("{}: unknown column kind '{}' (expected numeric or categorical)", context, text));
}

ColumnKind default_kind(const core::DataType& type) {
  return type.is_numeric() ? ColumnKind::kNumeric : ColumnKind::kCategorical;
}

std::int64_t ColumnProfile::value_count() const {
  if (numeric) return count - null_count - numeric->nan_count;
  return count - null_count;
}

// ---------------------------------------------------------------- numeric

bool IntegerCounts::cover(std::int64_t new_low, std::int64_t new_high) {
  if (counts.empty()) {
    if (new_high - new_low >= kMaxSlots) return false;
    low = new_low;
    counts.assign(static_cast<std::size_t>(new_high - new_low + 1), 0);
    return true;
  }
  const std::int64_t high = low + static_cast<std::int64_t>(counts.size()) - 1;
  new_low = std::min(new_low, low);
  new_high = std::max(new_high, high);
  if (new_high - new_low >= kMaxSlots) return false;
  if (new_low < low) counts.insert(counts.begin(), static_cast<std::size_t>(low - new_low), 0);
  low = new_low;
  counts.resize(static_cast<std::size_t>(new_high - new_low + 1), 0);
  return true;
}

bool IntegerCounts::add(std::span<const double> values, double low_value, double high_value) {
  if (values.empty()) return true;
  constexpr auto kBound = static_cast<double>(kMaxMagnitude);
  if (!(low_value > -kBound && high_value < kBound)) return false;
  if (!cover(static_cast<std::int64_t>(low_value), static_cast<std::int64_t>(high_value))) return false;
  std::int64_t* slots = counts.data();
  for (const double v : values) ++slots[static_cast<std::int64_t>(v) - low];
  total += static_cast<std::int64_t>(values.size());
  return true;
}

bool IntegerCounts::merge(const IntegerCounts& other) {
  if (other.counts.empty()) return true;
  if (!cover(other.low, other.low + static_cast<std::int64_t>(other.counts.size()) - 1)) return false;
  const auto offset = static_cast<std::size_t>(other.low - low);
  for (std::size_t k = 0; k < other.counts.size(); ++k) counts[offset + k] += other.counts[k];
  total += other.total;
  return true;
}

std::vector<double> IntegerCounts::expand() const {
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(total));
  for (std::size_t k = 0; k < counts.size(); ++k) {
    values.insert(values.end(), static_cast<std::size_t>(counts[k]),
                  static_cast<double>(low + static_cast<std::int64_t>(k)));
  }
  return values;
}

std::int64_t NumericSummary::exact_size() const {
  if (exact_counts) return exact_counts->total;
  return exact_values ? static_cast<std::int64_t>(exact_values->size()) : 0;
}

std::vector<double> NumericSummary::exact_sorted() const {
  if (exact_counts) return exact_counts->expand();
  return exact_values ? *exact_values : std::vector<double>{};
}

QuantileSketch NumericSummary::completed_sketch() const {
  QuantileSketch completed = sketch;
  if (sketch_pending) completed.update(exact_counts ? exact_counts->expand() : *exact_values);
  return completed;
}

void NumericSummary::complete_sketch() {
  if (!sketch_pending) return;
  if (exact_counts) {
    sketch.update(exact_counts->expand());
  } else {
    sketch.update(*exact_values);
  }
  sketch_pending = false;
}

// ---------------------------------------------------------------- categorical

void CategoricalSummary::add(std::string_view value, std::int64_t weight) {
  if (exact_counts) {
    auto found = exact_counts->find(value);
    if (found != exact_counts->end()) {
      found->second += weight;
      return;
    }
    exact_counts->emplace(std::string(value), weight);
    if (exact_counts->size() <= cap) return;
    // Over the cap: from here on, frequent items and a distinct-count sketch.
    FrequentItems items(cap);
    DistinctCountSketch distinct_sketch;
    for (const auto& [category, count] : *exact_counts) {
      items.update(category, count);
      distinct_sketch.update(category);
    }
    frequent = std::move(items);
    distinct = distinct_sketch;
    exact_counts.reset();
    return;
  }
  frequent->update(value, weight);
  distinct->update(value);
}

void CategoricalSummary::merge(const CategoricalSummary& other) {
  if (other.exact_counts) {
    for (const auto& [category, count] : *other.exact_counts) add(category, count);
    return;
  }
  if (exact_counts) {
    // Switch this side to sketches first, then merge sketch into sketch.
    FrequentItems items(cap);
    DistinctCountSketch distinct_sketch;
    for (const auto& [category, count] : *exact_counts) {
      items.update(category, count);
      distinct_sketch.update(category);
    }
    frequent = std::move(items);
    distinct = distinct_sketch;
    exact_counts.reset();
  }
  frequent->merge(*other.frequent);
  distinct->merge(*other.distinct);
}

std::vector<std::pair<std::string, std::int64_t>> CategoricalSummary::counts() const {
  if (!exact_counts) return frequent->items();
  std::vector<std::pair<std::string, std::int64_t>> out(exact_counts->begin(), exact_counts->end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  return out;
}

double CategoricalSummary::distinct_count() const {
  return exact_counts ? static_cast<double>(exact_counts->size()) : distinct->estimate();
}

std::int64_t CategoricalSummary::max_count_error() const { return exact_counts ? 0 : frequent->max_error(); }

// ---------------------------------------------------------------- profiler

void ProfileOptions::validate() const {
  if (sketch_k < QuantileSketch::kMinK || sketch_k > QuantileSketch::kMaxK) {
    throw core::option_error(core::OptionName{"sketch_k"}, fmt::format(" must be from {} to {}, got {}",
                                                                       QuantileSketch::kMinK, QuantileSketch::kMaxK,
                                                                       sketch_k));
  }
  core::check_option_at_least(category_cap, std::size_t{1}, {"category_cap"});
  core::check_option_at_least(exact_value_limit, 0, {"exact_value_limit"});
}

Profiler::Profiler(ProfileOptions options) : options_(std::move(options)) {
  options_.validate();
  profile_.sketch_k = options_.sketch_k;
  profile_.category_cap = options_.category_cap;
}

void Profiler::start(const core::Schema& schema) {
  for (const auto& [name, kind] : options_.kind_overrides) {
    (void)kind;
    if (!schema.find(name)) {
      throw core::option_error(core::OptionName{"kind_overrides"},
                               fmt::format(" names column '{}', which the data does not have", name));
    }
  }
  for (const auto& field : schema.fields) {
    ColumnProfile column;
    column.name = field.name;
    column.type = field.type;
    auto override_kind = options_.kind_overrides.find(field.name);
    column.kind = override_kind != options_.kind_overrides.end() ? override_kind->second : default_kind(field.type);
    if (column.kind == ColumnKind::kNumeric) {
      if (!field.type.is_numeric() && field.type.id != TypeId::kBoolean && field.type.id != TypeId::kNull) {
        throw InputError(fmt::format("column '{}' has type {}, which cannot be profiled as numeric", field.name,
                                     field.type.to_string()));
      }
      column.numeric.emplace(options_.sketch_k);
      if (options_.exact_value_limit > 0) column.numeric->exact_values.emplace();
    } else {
      column.categorical.emplace();
      column.categorical->cap = options_.category_cap;
      column.categorical->exact_counts.emplace();
    }
    nan_as_null_.push_back(field.type.is_floating() && options_.nan_as_null.contains(field.name) ? 1 : 0);
    profile_.columns.push_back(std::move(column));
  }
  started_ = true;
}

void Profiler::consume(const core::RecordBatch& batch) { consume_rows(batch, nullptr); }

void Profiler::consume(const core::RecordBatch& batch, std::span<const std::int64_t> rows) {
  for (const auto row : rows) {
    DRIFTGOV_CHECK(row >= 0 && row < batch.num_rows, "selected row {} of a batch of {} rows", row, batch.num_rows);
  }
  consume_rows(batch, &rows);
}

void Profiler::consume_rows(const core::RecordBatch& batch, const std::span<const std::int64_t>* rows) {
  if (!started_) start(batch.schema);
  if (batch.columns.size() != profile_.columns.size()) {
    throw core::InternalError(fmt::format("batch has {} columns, the profile {}", batch.columns.size(),
                                          profile_.columns.size()));
  }
  const auto selected = rows ? static_cast<std::int64_t>(rows->size()) : batch.num_rows;
  for (std::size_t i = 0; i < batch.columns.size(); ++i) {
    auto& profile = profile_.columns[i];
    const auto& column = batch.columns[i];
    profile.count += rows ? selected : column.length;
    if (!rows) {
      profile.null_count += column.null_count();
    } else if (!column.validity.empty()) {
      std::int64_t nulls = 0;
      for (const auto row : *rows) nulls += column.validity[static_cast<std::size_t>(row)] == 0;
      profile.null_count += nulls;
    }
    const bool nan_as_null = nan_as_null_[i] != 0 && column.type.is_floating();
    if (profile.kind == ColumnKind::kNumeric) {
      // A CSV column can widen from int64 to double between batches; both are numeric.
      if (profile.type.id != column.type.id && column.type.is_numeric()) profile.type = column.type;
      consume_numeric(profile, column, rows, nan_as_null);
    } else {
      consume_categorical(profile, column, rows, nan_as_null);
    }
  }
  profile_.row_count += selected;
}

namespace {

double timestamp_scale_to_micros(core::TimeUnit unit) {
  switch (unit) {
    case core::TimeUnit::kMilli: return 1000.0;
    case core::TimeUnit::kMicro: return 1.0;
    case core::TimeUnit::kNano: return 0.001;
  }
  return 1.0;
}

// Row k of what the Profiler reads: the column's own row k, or the k-th selected row. Two types rather than one
// branch per value, so that reading every row stays a plain loop the compiler vectorises.
struct EveryRow {
  std::size_t operator()(std::size_t k) const { return k; }
};
struct SelectedRow {
  const std::int64_t* rows;
  std::size_t operator()(std::size_t k) const { return static_cast<std::size_t>(rows[k]); }
};

// Calls visit(row_of, n) with the n rows to read: every row of a column of `length` rows, or the selected ones.
template <typename Visit>
void with_rows(std::int64_t length, const std::span<const std::int64_t>* rows, const Visit& visit) {
  if (rows) visit(SelectedRow{rows->data()}, rows->size());
  else visit(EveryRow{}, static_cast<std::size_t>(length));
}

// Appends the non-null values of the column's rows (all, or the selected ones) as doubles.
void gather_doubles(const core::Column& column, std::vector<double>& out, const std::span<const std::int64_t>* rows) {
  with_rows(column.length, rows, [&](auto row_of, std::size_t n) {
    const bool all_valid = column.validity.empty();
    // Sized once and written by index: the hot loop has no capacity checks.
    auto gather = [&](auto&& value_at) {
      const std::size_t start = out.size();
      out.resize(start + n);
      double* target = out.data() + start;
      std::size_t kept = 0;
      if (all_valid) {
        for (std::size_t i = 0; i < n; ++i) target[i] = value_at(row_of(i));
        kept = n;
      } else {
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t row = row_of(i);
          target[kept] = value_at(row);
          kept += column.validity[row] != 0;
        }
      }
      out.resize(start + kept);
    };
    switch (column.type.id) {
      case TypeId::kFloat32:
      case TypeId::kFloat64:
        gather([values = column.double_values()](std::size_t i) { return values[i]; });
        break;
      case TypeId::kDecimal: {
        const double scale = std::pow(10.0, column.type.scale);
        gather([&](std::size_t i) { return static_cast<double>(column.decimals[i]) / scale; });
        break;
      }
      case TypeId::kTimestamp: {
        const double scale = timestamp_scale_to_micros(column.type.unit);
        gather([values = column.int_values(), scale](std::size_t i) { return static_cast<double>(values[i]) * scale; });
        break;
      }
      case TypeId::kNull:
        break;
      default:
        gather([values = column.int_values()](std::size_t i) { return static_cast<double>(values[i]); });
        break;
    }
  });
}

// Integer columns can hold neither NaN nor infinities.
[[gnu::noinline]] BatchFacts survey_integers(std::span<const double> values) {
  if (const auto facts = survey_without_nan(values, false)) return *facts;
  std::int64_t zeros = 0;
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  for (const double v : values) {
    zeros += v == 0.0;
    low = v < low ? v : low;
    high = v > high ? v : high;
  }
  return {values.size(), zeros, 0, low, high};
}

// The column's values are integers whatever they hold (gather_doubles converts them one to one, unscaled).
bool holds_integers(const core::Column& column) {
  switch (column.type.id) {
    case TypeId::kFloat32:
    case TypeId::kFloat64:
    case TypeId::kDecimal:
    case TypeId::kTimestamp:
    case TypeId::kNull: return false;
    default: return true;
  }
}

// Length and up to 16 bytes of a string value (its first 8 and, when longer than 8, its last 8), compared
// as integers: equal keys mean equal values for values of up to 16 bytes; longer values also compare their
// middle bytes.
struct ValueKey {
  std::uint64_t length;
  std::uint64_t first;
  std::uint64_t last;

  static std::uint64_t load(const char* at) {
    std::uint64_t word;
    std::memcpy(&word, at, sizeof word);
    return word;
  }

  // The value is bytes[begin, end) of a buffer of `size` bytes.
  static ValueKey of(const char* bytes, std::size_t size, std::size_t begin, std::size_t end) {
    const std::size_t length = end - begin;
    ValueKey key{length, 0, 0};
    if (begin + 8 <= size && end >= 8) {
      // Both 8-byte loads stay inside the buffer; bytes outside the value are masked off or ignored.
      const std::uint64_t head_mask = length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * length)) - 1;
      key.first = load(bytes + begin) & head_mask;
      const std::uint64_t tail = load(bytes + end - 8);
      key.last = length > 8 ? tail : 0;
    } else {
      std::memcpy(&key.first, bytes + begin, std::min<std::size_t>(length, 8));
      if (length > 8) key.last = load(bytes + end - 8);
    }
    return key;
  }

  bool operator==(const ValueKey&) const = default;
};

// Counts of up to 256 distinct values, in slots given in order of first appearance, found through an
// open-addressing index at most half full: with categories in random order, one hashed probe beats a scan whose
// exit branch mispredicts, and a batch's values are compared as integers (ValueKey) rather than hashed as
// strings into the summary's map one by one. 256 covers most categorical columns; the values beyond it go to
// the summary directly.
struct HotValues {
  static constexpr std::size_t kCapacity = 256;
  static constexpr std::size_t kIndexSize = 512;
  static constexpr std::uint16_t kEmpty = 0xFFFF;
  std::array<ValueKey, kCapacity> keys;
  std::array<std::string_view, kCapacity> values;
  std::array<std::int64_t, kCapacity> counts;
  std::array<std::uint16_t, kIndexSize> index;
  std::size_t size = 0;

  HotValues() { index.fill(kEmpty); }

  // Counts the value; false when it is not in the table and the table is full.
  bool count(const ValueKey& key, std::string_view value) {
    const std::uint64_t mixed =
        (key.first ^ (key.last * 0x9E3779B97F4A7C15ULL) ^ (key.length << 56)) * 0xBF58476D1CE4E5B9ULL;
    std::size_t probe = static_cast<std::size_t>(mixed >> 55);
    for (;;) {
      const std::uint16_t slot = index[probe];
      if (slot == kEmpty) break;
      if (keys[slot] == key &&
          (key.length <= 16 || std::memcmp(values[slot].data() + 8, value.data() + 8, key.length - 16) == 0)) {
        ++counts[slot];
        return true;
      }
      probe = (probe + 1) % kIndexSize;
    }
    if (size == kCapacity) return false;
    index[probe] = static_cast<std::uint16_t>(size);
    keys[size] = key;
    values[size] = value;
    counts[size] = 1;
    ++size;
    return true;
  }
};

// Grows an exact sample to hold `size` values. The first growth reserves room for `limit` values at once (at
// most 2^24): reserved pages cost address space, not memory, until written, and the sample then never moves.
// Where address space is short (the reservation fails), the sample doubles as push_back would. No huge-page
// advice: faulting in 2 MiB pages (and compacting memory for them) cost several times the 4 KiB faults it
// saved, and varied from run to run.
void reserve_sample(std::vector<double>& sample, std::size_t size, std::size_t limit) {
  if (sample.capacity() >= size) return;
  const std::size_t upfront = std::min<std::size_t>(limit, std::size_t{1} << 24);
  try {
    sample.reserve(sample.capacity() == 0 && upfront > size ? upfront : std::max(size, 2 * sample.capacity()));
  } catch (const std::bad_alloc&) {
    sample.reserve(std::max(size, 2 * sample.capacity()));
  }
}

std::string value_as_category(const core::Column& column, std::size_t row) {
  switch (column.type.id) {
    case TypeId::kFloat32:
    case TypeId::kFloat64: return fmt::format("{}", column.double_values()[row]);
    case TypeId::kDecimal: {
      const double scale = std::pow(10.0, column.type.scale);
      return fmt::format("{}", static_cast<double>(column.decimals[row]) / scale);
    }
    case TypeId::kString:
    case TypeId::kBinary: return std::string(column.string_at(static_cast<std::int64_t>(row)));
    default: return fmt::format("{}", column.int_values()[row]);
  }
}

}  // namespace

void Profiler::consume_numeric(ColumnProfile& profile, const core::Column& column,
                               const std::span<const std::int64_t>* rows, bool nan_as_null) {
  auto& summary = *profile.numeric;
  const auto length = rows ? rows->size() : static_cast<std::size_t>(column.length);
  const bool first_values = summary.empty();
  const auto limit = static_cast<std::size_t>(options_.exact_value_limit);
  // Integers are counted while they span a narrow range (see IntegerCounts), from the first batch with values on.
  const bool counting = summary.exact_counts.has_value() ||
                        (summary.exact_values && summary.exact_values->empty() && holds_integers(column));
  // When the exact sample has room for the whole batch, the values are gathered straight onto its end and
  // filtered there: no copy through scratch_.
  const bool onto_sample = !counting && summary.exact_values &&
                           summary.exact_values->size() + length <= limit;
  std::vector<double>& target = onto_sample ? *summary.exact_values : scratch_;
  if (onto_sample) {
    reserve_sample(target, target.size() + length, limit);
  } else {
    scratch_.clear();
  }
  const std::size_t start = target.size();
  gather_doubles(column, target, rows);
  const std::span<double> gathered(target.data() + start, target.size() - start);
  // NaN are split out (counted, excluded from every distribution statistic) by moving the other values to the front.
  const BatchFacts facts = column.type.is_floating() ? survey_dropping_nan(gathered) : survey_integers(gathered);
  const std::size_t kept = facts.kept;
  const std::int64_t zeros = facts.zeros;
  const std::int64_t infinities = facts.infinities;
  const double low = facts.low;
  const double high = facts.high;
  (nan_as_null ? profile.null_count : summary.nan_count) += static_cast<std::int64_t>(gathered.size() - kept);
  summary.zero_count += zeros;
  summary.infinite_count += infinities;
  target.resize(start + kept);
  const std::span<const double> values(target.data() + start, kept);
  if (values.empty()) return;
  if (first_values) {
    summary.min = low;
    summary.max = high;
  } else {
    // As std::min and std::max, without taking the batch's bounds by reference (which kept them in memory).
    summary.min = low < summary.min ? low : summary.min;
    summary.max = summary.max < high ? high : summary.max;
  }
  if (infinities == 0) {
    summary.moments.add_block(values);
  } else {
    std::vector<double> finite;
    finite.reserve(values.size());
    for (double v : values) {
      if (std::isfinite(v)) finite.push_back(v);
    }
    summary.moments.add_block(finite);
  }
  // Kept values leave the sketch pending: they are still there if it is needed (one by one in arrival order;
  // counted ones in ascending order), and a comparison of raw data never reads it.
  const auto sketch_kept_values = [&] {
    if (summary.sketch.empty()) {
      summary.sketch_pending = true;
    } else {
      summary.sketch.update(values);
    }
  };
  if (onto_sample) {
    sketch_kept_values();
    return;
  }
  if (counting) {
    auto& counts = summary.exact_counts ? *summary.exact_counts : summary.exact_counts.emplace();
    if (holds_integers(column) && static_cast<std::size_t>(counts.total) + values.size() <= limit &&
        counts.add(values, low, high)) {
      summary.exact_values.reset();
      sketch_kept_values();
      return;
    }
    // The batch does not fit the counts: on with every value.
    summary.exact_values = counts.expand();
    summary.exact_counts.reset();
  }
  if (summary.exact_values) {
    if (summary.exact_values->size() + values.size() > limit) {
      // A pending sketch is fed the kept values, still in arrival order: it comes out as if it had been fed all
      // along.
      summary.complete_sketch();
      summary.exact_values.reset();
      summary.exact_values_dropped = true;
    } else {
      reserve_sample(*summary.exact_values, summary.exact_values->size() + values.size(), limit);
      summary.exact_values->insert(summary.exact_values->end(), values.begin(), values.end());
      sketch_kept_values();
      return;
    }
  }
  summary.sketch.update(values);
}

void Profiler::consume_categorical(ColumnProfile& profile, const core::Column& column,
                                   const std::span<const std::int64_t>* rows, bool nan_as_null) {
  auto& summary = *profile.categorical;
  if (column.type.id == TypeId::kNull) return;
  const bool all_valid = column.validity.empty();
  with_rows(column.length, rows, [&](auto row_of, std::size_t n) {
    if (column.type.id == TypeId::kBoolean) {
      // Two categories: count them, then add each once (exact counts do not depend on the order of adds).
      std::int64_t trues = 0;
      std::int64_t valid = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t row = row_of(i);
        const bool present = all_valid || column.validity[row] != 0;
        valid += present;
        trues += present && column.ints[row] != 0;
      }
      if (trues > 0) summary.add("true", trues);
      if (valid - trues > 0) summary.add("false", valid - trues);
      return;
    }
    const bool text = column.type.id == TypeId::kString || column.type.id == TypeId::kBinary;
    if (!text) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t row = row_of(i);
        if (!all_valid && !column.validity[row]) continue;
        if (nan_as_null && std::isnan(column.double_values()[row])) {
          ++profile.null_count;
          continue;
        }
        summary.add(value_as_category(column, row));
      }
      return;
    }
    // Most categorical columns repeat a handful of values: count them in a small per-batch table and fold the
    // batch's counts into the summary once. Values beyond the table go straight to the summary. The counts are
    // the same either way.
    HotValues hot;
    const char* bytes = column.bytes.data();
    const std::size_t byte_count = column.bytes.size();
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t row = row_of(i);
      if (!all_valid && !column.validity[row]) continue;
      const auto begin = static_cast<std::size_t>(column.offsets[row]);
      const auto end = static_cast<std::size_t>(column.offsets[row + 1]);
      const std::string_view value(bytes + begin, end - begin);
      const auto key = ValueKey::of(bytes, byte_count, begin, end);
      if (!hot.count(key, value)) summary.add(value);
    }
    for (std::size_t slot = 0; slot < hot.size; ++slot) summary.add(hot.values[slot], hot.counts[slot]);
  });
}

DatasetProfile Profiler::finish(std::string source_description) {
  for (auto& column : profile_.columns) {
    if (!column.numeric) continue;
    if (column.numeric->exact_values) sort_ascending(*column.numeric->exact_values);
    // A finished sketch holds its levels' capacity, not up to 4,095 staged values more: a written profile (a
    // Spark partial, a stored baseline) is several times smaller to send and read, and equals the one in memory.
    column.numeric->sketch.compact_staged_values();
  }
  profile_.source = std::move(source_description);
  return std::move(profile_);
}

// ---------------------------------------------------------------- dataset profile

const ColumnProfile* DatasetProfile::find(const std::string& name) const {
  for (const auto& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

void DatasetProfile::merge(const DatasetProfile& other) {
  if (other.sketch_k != sketch_k) {
    throw InputError(fmt::format("cannot merge profiles with different sketch k: {} and {}", sketch_k,
                                 other.sketch_k));
  }
  if (other.category_cap != category_cap) {
    throw InputError(fmt::format("cannot merge profiles with different category caps: {} and {}", category_cap,
                                 other.category_cap));
  }
  if (columns.empty() && row_count == 0) {
    columns = other.columns;
    row_count = other.row_count;
    source = other.source;
    return;
  }
  if (other.columns.size() != columns.size()) {
    throw InputError(fmt::format("cannot merge profiles with different columns: {} columns and {} columns",
                                 columns.size(), other.columns.size()));
  }
  for (std::size_t i = 0; i < columns.size(); ++i) {
    auto& mine = columns[i];
    const auto& theirs = other.columns[i];
    if (mine.name != theirs.name) {
      throw InputError(fmt::format("cannot merge profiles: column {} is '{}' in one and '{}' in the other", i + 1,
                                   mine.name, theirs.name));
    }
    if (mine.kind != theirs.kind) {
      throw InputError(fmt::format("cannot merge profiles: column '{}' is {} in one and {} in the other",
                                   mine.name, to_string(mine.kind), to_string(theirs.kind)));
    }
    if (!(mine.type == theirs.type)) {
      if (mine.kind == ColumnKind::kNumeric) {
        mine.type = core::DataType::float64();
      }
    }
    mine.count += theirs.count;
    mine.null_count += theirs.null_count;
    if (mine.numeric) {
      auto& a = *mine.numeric;
      const auto& b = *theirs.numeric;
      const bool a_has = !a.empty();
      const bool b_has = !b.empty();
      if (b_has) {
        a.min = a_has ? std::min(a.min, b.min) : b.min;
        a.max = a_has ? std::max(a.max, b.max) : b.max;
      }
      a.nan_count += b.nan_count;
      a.zero_count += b.zero_count;
      a.infinite_count += b.infinite_count;
      a.moments.merge(b.moments);
      // Two kept samples merge into one, and the sketch stays pending; otherwise the sketches are needed now.
      // (A finished profile's exact values are sorted, so a sketch completed here is fed them in that order.)
      const bool both_exact = a.has_exact() && b.has_exact();
      if (!(both_exact && a.sketch_pending && b.sketch_pending)) {
        a.complete_sketch();
        a.sketch.merge(b.sketch_pending ? b.completed_sketch() : b.sketch);
      }
      if (!both_exact) {
        a.exact_values.reset();
        a.exact_counts.reset();
        a.sketch_pending = false;
      } else if (!(a.exact_counts && b.exact_counts && a.exact_counts->merge(*b.exact_counts))) {
        // As sorted values, into a new buffer of the final size: one allocation and one pass, where appending
        // and merging in place would grow the buffer and then allocate a second one as large for the merge.
        const std::vector<double> mine = a.exact_counts ? a.exact_counts->expand() : std::move(*a.exact_values);
        const std::vector<double> expanded = b.exact_counts ? b.exact_counts->expand() : std::vector<double>{};
        const std::vector<double>& theirs = b.exact_counts ? expanded : *b.exact_values;
        std::vector<double> merged;
        reserve_sample(merged, mine.size() + theirs.size(), 0);
        std::merge(mine.begin(), mine.end(), theirs.begin(), theirs.end(), std::back_inserter(merged));
        a.exact_values = std::move(merged);
        a.exact_counts.reset();
      }
    } else {
      mine.categorical->merge(*theirs.categorical);
    }
  }
  row_count += other.row_count;
  if (source != other.source) source = source + " + " + other.source;
}

nlohmann::json DatasetProfile::to_json() const {
  nlohmann::json columns_json = nlohmann::json::array();
  for (const auto& column : columns) {
    nlohmann::json entry{{"name", column.name},
                         {"type", column.type.to_string()},
                         {"kind", to_string(column.kind)},
                         {"count", column.count},
                         {"null_count", column.null_count}};
    if (column.numeric) {
      const auto& n = *column.numeric;
      entry["numeric"] = nlohmann::json{{"nan_count", n.nan_count},
                                        {"zero_count", n.zero_count},
                                        {"infinite_count", n.infinite_count},
                                        {"min", number_to_json(n.min)},
                                        {"max", number_to_json(n.max)},
                                        {"finite_count", n.moments.count},
                                        {"mean", number_to_json(n.moments.mean)},
                                        {"m2", number_to_json(n.moments.m2)},
                                        {"sketch", n.completed_sketch().to_json()}};
    } else {
      const auto& c = *column.categorical;
      nlohmann::json categorical{{"exact", c.is_exact()}};
      if (c.is_exact()) {
        nlohmann::json counts = nlohmann::json::array();
        for (const auto& [category, count] : c.counts()) counts.push_back(nlohmann::json::array({category, count}));
        categorical["counts"] = std::move(counts);
      } else {
        categorical["frequent_items"] = c.frequent->to_json();
        categorical["distinct"] = c.distinct->to_json();
      }
      entry["categorical"] = std::move(categorical);
    }
    columns_json.push_back(std::move(entry));
  }
  return nlohmann::json{{"format", kProfileFormatName},
                        {"version", kProfileFormatVersion},
                        {"source", source},
                        {"row_count", row_count},
                        {"sketch_k", sketch_k},
                        {"category_cap", category_cap},
                        {"columns", std::move(columns_json)}};
}

DatasetProfile DatasetProfile::from_json(const nlohmann::json& json, const std::string& context) {
  DatasetProfile profile;
  std::string where = context;
  try {
    if (!json.is_object() || json.value("format", std::string()) != kProfileFormatName) {
      throw InputError(fmt::format("{}: not a driftgov profile (expected \"format\": \"{}\")", context,
                                   kProfileFormatName));
    }
    const int version = integer_from_json<int>(json.at("version"), context, "version");
    if (version != kProfileFormatVersion) {
      throw InputError(fmt::format("{}: profile format version {} is not supported (this driftgov reads version {})",
                                   context, version, kProfileFormatVersion));
    }
    profile.source = json.value("source", std::string());
    profile.row_count = integer_from_json<std::int64_t>(json.at("row_count"), context, "row_count");
    if (profile.row_count < 0) throw InputError(fmt::format("{}: row_count must be 0 or more, got {}", context, profile.row_count));
    profile.sketch_k = integer_from_json<int>(json.at("sketch_k"), context, "sketch_k");
    if (profile.sketch_k < QuantileSketch::kMinK || profile.sketch_k > QuantileSketch::kMaxK) {
      throw InputError(fmt::format("{}: sketch_k must be from {} to {}, got {}", context, QuantileSketch::kMinK,
                                   QuantileSketch::kMaxK, profile.sketch_k));
    }
    profile.category_cap = integer_from_json<std::size_t>(json.at("category_cap"), context, "category_cap");
    if (profile.category_cap < 1) throw InputError(fmt::format("{}: category_cap must be at least 1, got 0", context));
    for (const auto& entry : json.at("columns")) {
      ColumnProfile column;
      column.name = entry.at("name").get<std::string>();
      if (profile.find(column.name)) {
        throw InputError(fmt::format("{}: columns: column '{}' appears twice", context, column.name));
      }
      where = fmt::format("{}: column '{}'", context, column.name);
      column.kind = column_kind_from_string(entry.at("kind").get<std::string>(), where);
      const auto type_name = entry.at("type").get<std::string>();
      try {
        column.type = core::parse_type_name(type_name, where);
      } catch (const InputError&) {
        column.type = column.kind == ColumnKind::kNumeric ? core::DataType::float64() : core::DataType::string();
      }
      column.count = integer_from_json<std::int64_t>(entry.at("count"), where, "count");
      column.null_count = integer_from_json<std::int64_t>(entry.at("null_count"), where, "null_count");
      if (column.count < 0 || column.null_count < 0 || column.null_count > column.count) {
        throw InputError(fmt::format("{}: count {} and null_count {} are inconsistent", where, column.count,
                                     column.null_count));
      }
      if (column.count != profile.row_count) {
        throw InputError(fmt::format("{}: count {} differs from the profile's row_count {}", where, column.count,
                                     profile.row_count));
      }
      if (column.kind == ColumnKind::kNumeric) {
        const auto& n = entry.at("numeric");
        NumericSummary summary(profile.sketch_k);
        summary.nan_count = integer_from_json<std::int64_t>(n.at("nan_count"), where, "numeric.nan_count");
        summary.zero_count = integer_from_json<std::int64_t>(n.at("zero_count"), where, "numeric.zero_count");
        summary.infinite_count = integer_from_json<std::int64_t>(n.at("infinite_count"), where, "numeric.infinite_count");
        summary.min = number_from_json(n.at("min"));
        summary.max = number_from_json(n.at("max"));
        summary.moments.count = integer_from_json<std::int64_t>(n.at("finite_count"), where, "numeric.finite_count");
        summary.moments.mean = number_from_json(n.at("mean"));
        summary.moments.m2 = number_from_json(n.at("m2"));
        const auto values = column.count - column.null_count;
        for (const auto& [field, count] : {std::pair{"nan_count", summary.nan_count}, {"zero_count", summary.zero_count},
                                           {"infinite_count", summary.infinite_count},
                                           {"finite_count", summary.moments.count}}) {
          if (count < 0 || count > values) {
            throw InputError(fmt::format("{}: numeric.{} must be from 0 to count - null_count ({}), got {}", where,
                                         field, values, count));
          }
        }
        summary.sketch = QuantileSketch::from_json(n.at("sketch"), where);
        if (summary.sketch.k() != profile.sketch_k) {
          throw InputError(fmt::format("{}: sketch k {} differs from the profile's sketch_k {}", where,
                                       summary.sketch.k(), profile.sketch_k));
        }
        if (summary.sketch.count() != column.count - column.null_count - summary.nan_count) {
          throw InputError(fmt::format("{}: sketch holds {} values but count - nulls - NaN is {}", where,
                                       summary.sketch.count(), column.count - column.null_count - summary.nan_count));
        }
        column.numeric = std::move(summary);
      } else {
        const auto& c = entry.at("categorical");
        CategoricalSummary summary;
        summary.cap = profile.category_cap;
        if (c.at("exact").get<bool>()) {
          summary.exact_counts.emplace();
          std::int64_t total = 0;
          for (const auto& pair : c.at("counts")) {
            const auto count = integer_from_json<std::int64_t>(pair.at(1), where, "categorical.counts count");
            if (count <= 0 || count > column.count - total) {
              throw InputError(fmt::format("{}: categorical.counts must be positive and add up to count - null_count "
                                           "({})", where, column.count - column.null_count));
            }
            total += count;
            if (!summary.exact_counts->emplace(pair.at(0).get<std::string>(), count).second) {
              throw InputError(fmt::format("{}: categorical.counts: category '{}' appears twice", where,
                                           pair.at(0).get<std::string>()));
            }
          }
          if (total != column.count - column.null_count) {
            throw InputError(fmt::format("{}: categorical.counts add up to {}, but count - null_count is {}", where,
                                         total, column.count - column.null_count));
          }
        } else {
          summary.frequent = FrequentItems::from_json(c.at("frequent_items"), where);
          summary.distinct = DistinctCountSketch::from_json(c.at("distinct"), where);
        }
        column.categorical = std::move(summary);
      }
      profile.columns.push_back(std::move(column));
    }
  } catch (const nlohmann::json::exception& error) {
    throw InputError(fmt::format("{}: malformed profile: {}", where, error.what()));
  }
  return profile;
}

}  // namespace driftgov::stats
