// Property tests for profiles and sketches: merge(profile(A), profile(B)) == profile(A u B), exactly for counts
// and moments (up to rounding) and within the stated bounds for sketches.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <map>
#include <random>
#include <span>

#include "driftgov/core/error.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/profile.hpp"
#include "driftgov/stats/sorting.hpp"

namespace driftgov::stats {
namespace {

core::RecordBatch make_batch(const std::vector<std::optional<double>>& numbers,
                             const std::vector<std::optional<std::string>>& labels) {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"x", core::DataType::float64(), true, std::nullopt},
                         core::Field{"label", core::DataType::string(), true, std::nullopt}};
  batch.columns.emplace_back(core::DataType::float64());
  batch.columns.emplace_back(core::DataType::string());
  for (const auto& v : numbers) v ? batch.columns[0].append_double(*v) : batch.columns[0].append_null();
  for (const auto& v : labels) v ? batch.columns[1].append_string(*v) : batch.columns[1].append_null();
  batch.num_rows = static_cast<std::int64_t>(numbers.size());
  return batch;
}

struct Data {
  std::vector<std::optional<double>> numbers;
  std::vector<std::optional<std::string>> labels;
};

Data random_data(std::mt19937_64& rng, std::size_t n, std::size_t categories) {
  std::normal_distribution<double> normal(5.0, 3.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<std::size_t> pick(0, categories - 1);
  Data data;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = unit(rng);
    if (u < 0.05) {
      data.numbers.push_back(std::nullopt);
    } else if (u < 0.07) {
      data.numbers.push_back(std::nan(""));
    } else if (u < 0.1) {
      data.numbers.push_back(0.0);
    } else {
      data.numbers.push_back(normal(rng));
    }
    data.labels.push_back(unit(rng) < 0.03 ? std::nullopt : std::optional<std::string>("c" + std::to_string(pick(rng))));
  }
  return data;
}

DatasetProfile profile_of(const std::vector<const Data*>& parts, ProfileOptions options = {}) {
  Profiler profiler(options);
  for (const auto* part : parts) profiler.consume(make_batch(part->numbers, part->labels));
  return profiler.finish("test");
}

TEST(ProfileMerge, MergeEqualsProfileOfUnion) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 20; ++trial) {
    const Data a = random_data(rng, 1 + rng() % 30000, 50);
    const Data b = random_data(rng, 1 + rng() % 30000, 80);
    auto merged = profile_of({&a});
    merged.merge(profile_of({&b}));
    const auto whole = profile_of({&a, &b});
    ASSERT_EQ(merged.row_count, whole.row_count);
    const auto& mx = merged.columns[0];
    const auto& wx = whole.columns[0];
    EXPECT_EQ(mx.count, wx.count);
    EXPECT_EQ(mx.null_count, wx.null_count);
    EXPECT_EQ(mx.numeric->nan_count, wx.numeric->nan_count);
    EXPECT_EQ(mx.numeric->zero_count, wx.numeric->zero_count);
    EXPECT_EQ(mx.numeric->min, wx.numeric->min);
    EXPECT_EQ(mx.numeric->max, wx.numeric->max);
    EXPECT_EQ(mx.numeric->moments.count, wx.numeric->moments.count);
    EXPECT_NEAR(mx.numeric->moments.mean, wx.numeric->moments.mean, 1e-12 * std::abs(wx.numeric->moments.mean));
    EXPECT_NEAR(mx.numeric->moments.m2, wx.numeric->moments.m2, 1e-10 * wx.numeric->moments.m2);
    EXPECT_EQ(mx.numeric->sketch.count(), wx.numeric->sketch.count());
    // Quantiles of the merged sketch are within the rank bound of the true ranks.
    std::vector<double> all;
    for (const auto* part : {&a, &b}) {
      for (const auto& v : part->numbers) {
        if (v && !std::isnan(*v)) all.push_back(*v);
      }
    }
    std::sort(all.begin(), all.end());
    const double eps = mx.numeric->sketch.normalized_rank_error();
    for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}) {
      const double estimate = mx.numeric->sketch.quantile(q);
      const auto low = std::lower_bound(all.begin(), all.end(), estimate) - all.begin();
      const auto high = std::upper_bound(all.begin(), all.end(), estimate) - all.begin();
      const double target = q * static_cast<double>(all.size());
      const double distance = target < static_cast<double>(low)    ? static_cast<double>(low) - target
                              : target > static_cast<double>(high) ? target - static_cast<double>(high)
                                                                   : 0.0;
      EXPECT_LE(distance / static_cast<double>(all.size()), eps + 1.0 / static_cast<double>(all.size()))
          << "q=" << q << " trial " << trial;
    }
    const auto& ml = merged.columns[1];
    const auto& wl = whole.columns[1];
    EXPECT_EQ(ml.null_count, wl.null_count);
    EXPECT_EQ(ml.categorical->counts(), wl.categorical->counts());
  }
}

TEST(ProfileMerge, MergeIsAssociativeForExactParts) {
  std::mt19937_64 rng(7);
  const Data a = random_data(rng, 5000, 20);
  const Data b = random_data(rng, 7000, 20);
  const Data c = random_data(rng, 3000, 20);
  auto left = profile_of({&a});
  left.merge(profile_of({&b}));
  left.merge(profile_of({&c}));
  auto right_tail = profile_of({&b});
  right_tail.merge(profile_of({&c}));
  auto right = profile_of({&a});
  right.merge(right_tail);
  EXPECT_EQ(left.columns[0].count, right.columns[0].count);
  EXPECT_EQ(left.columns[0].numeric->min, right.columns[0].numeric->min);
  EXPECT_NEAR(left.columns[0].numeric->moments.mean, right.columns[0].numeric->moments.mean, 1e-12);
  EXPECT_EQ(left.columns[1].categorical->counts(), right.columns[1].categorical->counts());
}

TEST(ProfileMerge, RefusesDifferentSketchK) {
  std::mt19937_64 rng(1);
  const Data a = random_data(rng, 100, 5);
  ProfileOptions small;
  small.sketch_k = 100;
  auto p = profile_of({&a});
  try {
    p.merge(profile_of({&a}, small));
    FAIL() << "merge of different k was accepted";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("200"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("100"), std::string::npos);
  }
}

// Non-NaN values of the parts, sorted: the oracle for exact samples and sketch ranks.
std::vector<double> sorted_values(const std::vector<const Data*>& parts) {
  std::vector<double> all;
  for (const auto* part : parts) {
    for (const auto& v : part->numbers) {
      if (v && !std::isnan(*v)) all.push_back(*v);
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

// Every quantile estimate of `sketch` lies within its rank bound of the true ranks in `sorted`.
void expect_within_rank_bound(const QuantileSketch& sketch, const std::vector<double>& sorted) {
  ASSERT_EQ(sketch.count(), static_cast<std::int64_t>(sorted.size()));
  const double n = static_cast<double>(sorted.size());
  for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}) {
    const double estimate = sketch.quantile(q);
    const auto low = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), estimate) - sorted.begin());
    const auto high = static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), estimate) - sorted.begin());
    const double target = q * n;
    const double distance = target < low ? low - target : target > high ? target - high : 0.0;
    EXPECT_LE(distance / n, sketch.normalized_rank_error() + 1.0 / n) << "q=" << q;
  }
}

TEST(ExactSample, KeptValuesLeaveTheSketchPendingUntilItIsNeeded) {
  std::mt19937_64 rng(21);
  const Data a = random_data(rng, 9000, 10);
  const Data b = random_data(rng, 12000, 10);
  ProfileOptions options;
  options.exact_value_limit = 1'000'000;
  const auto profile = profile_of({&a, &b}, options);
  const auto& summary = *profile.columns[0].numeric;
  const auto truth = sorted_values({&a, &b});
  ASSERT_TRUE(summary.exact_values);
  EXPECT_TRUE(summary.sketch_pending);
  EXPECT_TRUE(summary.sketch.empty());
  EXPECT_FALSE(summary.empty());
  EXPECT_EQ(*summary.exact_values, truth);
  EXPECT_EQ(summary.min, truth.front());
  EXPECT_EQ(summary.max, truth.back());
  expect_within_rank_bound(summary.completed_sketch(), truth);
  // A serialised profile carries the completed sketch, which its reader accepts (it checks the sketch's count).
  const auto back = DatasetProfile::from_json(profile.to_json(), "pending sketch");
  expect_within_rank_bound(back.columns[0].numeric->sketch, truth);
}

TEST(ExactSample, OutgrowingTheLimitGivesTheSketchOfEveryValueInArrivalOrder) {
  std::mt19937_64 rng(22);
  const Data a = random_data(rng, 9000, 10);
  const Data b = random_data(rng, 12000, 10);
  ProfileOptions limited;
  limited.exact_value_limit = 10'000;  // outgrown by the second batch
  const auto dropped = profile_of({&a, &b}, limited);
  const auto& summary = *dropped.columns[0].numeric;
  EXPECT_FALSE(summary.exact_values);
  EXPECT_TRUE(summary.exact_values_dropped);
  EXPECT_FALSE(summary.sketch_pending);
  expect_within_rank_bound(summary.sketch, sorted_values({&a, &b}));
  // The sketch is fed the same values in the same order as when no values are kept, so it is the same sketch.
  const auto sketched = profile_of({&a, &b});
  EXPECT_EQ(summary.sketch.to_json(), sketched.columns[0].numeric->sketch.to_json());
}

TEST(ExactSample, MergeKeepsPendingSketchesOrCompletesThem) {
  std::mt19937_64 rng(23);
  const Data a = random_data(rng, 7000, 10);
  const Data b = random_data(rng, 8000, 10);
  const Data c = random_data(rng, 9000, 10);
  ProfileOptions options;
  options.exact_value_limit = 1'000'000;
  auto merged = profile_of({&a}, options);
  merged.merge(profile_of({&b}, options));
  const auto& kept = *merged.columns[0].numeric;
  const auto truth_ab = sorted_values({&a, &b});
  ASSERT_TRUE(kept.exact_values);
  EXPECT_TRUE(kept.sketch_pending);
  EXPECT_EQ(*kept.exact_values, truth_ab);
  EXPECT_EQ(kept.min, truth_ab.front());
  EXPECT_EQ(kept.max, truth_ab.back());
  // A side without exact values (a stored profile, say) ends the exact sample: both pending sketches complete.
  merged.merge(profile_of({&c}));
  const auto& sketched = *merged.columns[0].numeric;
  const auto truth_abc = sorted_values({&a, &b, &c});
  EXPECT_FALSE(sketched.exact_values);
  EXPECT_FALSE(sketched.sketch_pending);
  EXPECT_EQ(sketched.min, truth_abc.front());
  EXPECT_EQ(sketched.max, truth_abc.back());
  expect_within_rank_bound(sketched.sketch, truth_abc);
  // And the other way round: a sketched profile merged with a pending one.
  auto reverse = profile_of({&c});
  reverse.merge(profile_of({&a}, options));
  EXPECT_FALSE(reverse.columns[0].numeric->exact_values);
  expect_within_rank_bound(reverse.columns[0].numeric->sketch, sorted_values({&c, &a}));
}

// One numeric column "v" of the given type (int64 or float64) holding `values` (nullopt: null).
core::RecordBatch integer_batch(const std::vector<std::optional<std::int64_t>>& values, bool as_doubles) {
  core::RecordBatch batch;
  const auto type = as_doubles ? core::DataType::float64() : core::DataType::int64();
  batch.schema.fields = {core::Field{"v", type, true, std::nullopt}};
  batch.columns.emplace_back(type);
  for (const auto& v : values) {
    if (!v) {
      batch.columns[0].append_null();
    } else if (as_doubles) {
      batch.columns[0].append_double(static_cast<double>(*v));
    } else {
      batch.columns[0].append_int(*v);
    }
  }
  batch.num_rows = static_cast<std::int64_t>(values.size());
  return batch;
}

std::vector<std::optional<std::int64_t>> random_integers(std::mt19937_64& rng, std::size_t n, std::int64_t low,
                                                         std::int64_t high) {
  std::uniform_int_distribution<std::int64_t> pick(low, high);
  std::vector<std::optional<std::int64_t>> values;
  for (std::size_t i = 0; i < n; ++i) values.push_back(rng() % 20 == 0 ? std::nullopt : std::optional(pick(rng)));
  return values;
}

std::vector<double> sorted_non_null(const std::vector<std::vector<std::optional<std::int64_t>>>& parts) {
  std::vector<double> all;
  for (const auto& part : parts) {
    for (const auto& v : part) {
      if (v) all.push_back(static_cast<double>(*v));
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

DatasetProfile integer_profile(const std::vector<std::vector<std::optional<std::int64_t>>>& parts, bool as_doubles,
                               std::int64_t limit = 1'000'000) {
  ProfileOptions options;
  options.exact_value_limit = limit;
  Profiler profiler(options);
  for (const auto& part : parts) profiler.consume(integer_batch(part, as_doubles));
  return profiler.finish("integers");
}

TEST(IntegerCounts, CountsExpandToTheSortedValues) {
  std::mt19937_64 rng(31);
  const auto a = random_integers(rng, 5000, -40, 90);
  const auto b = random_integers(rng, 7000, 50, 300);  // widens the range upwards
  const auto c = random_integers(rng, 3000, -500, -100);  // and downwards
  const auto profile = integer_profile({a, b, c}, false);
  const auto& summary = *profile.columns[0].numeric;
  ASSERT_TRUE(summary.exact_counts);
  EXPECT_FALSE(summary.exact_values);
  // No sketch is built while the values are counted: it is fed the counted values (ascending) when needed.
  EXPECT_TRUE(summary.sketch_pending);
  EXPECT_TRUE(summary.sketch.empty());
  const auto truth = sorted_non_null({a, b, c});
  EXPECT_EQ(summary.exact_counts->expand(), truth);
  EXPECT_EQ(summary.exact_sorted(), truth);
  EXPECT_EQ(summary.exact_size(), static_cast<std::int64_t>(truth.size()));
  EXPECT_EQ(summary.min, truth.front());
  EXPECT_EQ(summary.max, truth.back());
  expect_within_rank_bound(summary.completed_sketch(), truth);
}

TEST(IntegerCounts, WideRangesAndDoublesSwitchToEveryValue) {
  std::mt19937_64 rng(32);
  const auto narrow = random_integers(rng, 4000, 0, 100);
  const auto wide = random_integers(rng, 4000, 0, IntegerCounts::kMaxSlots * 3);
  const auto widened = integer_profile({narrow, wide}, false);
  EXPECT_FALSE(widened.columns[0].numeric->exact_counts);
  ASSERT_TRUE(widened.columns[0].numeric->exact_values);
  EXPECT_EQ(*widened.columns[0].numeric->exact_values, sorted_non_null({narrow, wide}));
  // The sketch stays pending over the counted values and then every value; completed, it holds them all.
  EXPECT_TRUE(widened.columns[0].numeric->sketch_pending);
  const auto widened_sketch = widened.columns[0].numeric->completed_sketch();
  expect_within_rank_bound(widened_sketch, sorted_non_null({narrow, wide}));
  // A CSV column widens from int64 to double between batches: the counts give way to every value.
  ProfileOptions options;
  options.exact_value_limit = 1'000'000;
  Profiler profiler(options);
  profiler.consume(integer_batch(narrow, false));
  profiler.consume(integer_batch(narrow, true));
  const auto mixed = profiler.finish("mixed");
  ASSERT_TRUE(mixed.columns[0].numeric->exact_values);
  EXPECT_EQ(*mixed.columns[0].numeric->exact_values, sorted_non_null({narrow, narrow}));
  // Magnitudes beyond 2^52 are never counted.
  const std::vector<std::optional<std::int64_t>> huge{IntegerCounts::kMaxMagnitude, IntegerCounts::kMaxMagnitude + 1};
  const auto large = integer_profile({huge}, false);
  EXPECT_FALSE(large.columns[0].numeric->exact_counts);
  ASSERT_TRUE(large.columns[0].numeric->exact_values);
  EXPECT_EQ(large.columns[0].numeric->exact_values->size(), 2u);
}

TEST(IntegerCounts, OutgrowingTheLimitDropsTheCountsAndSketchesEveryValue) {
  std::mt19937_64 rng(33);
  const auto a = random_integers(rng, 6000, 0, 50);
  const auto b = random_integers(rng, 6000, 0, 50);
  const auto profile = integer_profile({a, b}, false, 8000);
  const auto& summary = *profile.columns[0].numeric;
  EXPECT_FALSE(summary.has_exact());
  EXPECT_TRUE(summary.exact_values_dropped);
  EXPECT_FALSE(summary.sketch_pending);
  // The counted values of the first batch (ascending) and then the second batch's, every one of them.
  expect_within_rank_bound(summary.sketch, sorted_non_null({a, b}));
}

TEST(IntegerCounts, MergeAddsCountsOrFallsBackToSortedValues) {
  std::mt19937_64 rng(34);
  const auto a = random_integers(rng, 3000, 0, 1000);
  const auto b = random_integers(rng, 3000, 500, 2000);
  auto counted = integer_profile({a}, false);
  counted.merge(integer_profile({b}, false));
  ASSERT_TRUE(counted.columns[0].numeric->exact_counts);
  EXPECT_EQ(counted.columns[0].numeric->exact_counts->expand(), sorted_non_null({a, b}));
  // Counts with every value (one side's column was double): every value, sorted.
  auto mixed = integer_profile({a}, false);
  mixed.merge(integer_profile({b}, true));
  ASSERT_TRUE(mixed.columns[0].numeric->exact_values);
  EXPECT_EQ(*mixed.columns[0].numeric->exact_values, sorted_non_null({a, b}));
  // Counts whose union spans too many slots.
  const auto far = random_integers(rng, 3000, IntegerCounts::kMaxSlots * 2, IntegerCounts::kMaxSlots * 2 + 10);
  auto apart = integer_profile({a}, false);
  apart.merge(integer_profile({far}, false));
  EXPECT_FALSE(apart.columns[0].numeric->exact_counts);
  ASSERT_TRUE(apart.columns[0].numeric->exact_values);
  EXPECT_EQ(*apart.columns[0].numeric->exact_values, sorted_non_null({a, far}));
  // With a sketched side the exact sample ends and every value lands in the sketch.
  auto sketched = integer_profile({a}, false);
  sketched.merge(integer_profile({b}, false, 0));
  EXPECT_FALSE(sketched.columns[0].numeric->has_exact());
  expect_within_rank_bound(sketched.columns[0].numeric->sketch, sorted_non_null({a, b}));
}

// The drift statistics of integer columns held as counts are those of the same values held one by one (a
// float64 column of the same integers, whose path is checked against scipy), bit for bit.
TEST(IntegerCounts, DriftFromCountsEqualsDriftFromEveryValue) {
  std::mt19937_64 rng(35);
  DriftOptions options;
  options.test = DriftTest::kKs;
  for (int trial = 0; trial < 12; ++trial) {
    const auto reference = random_integers(rng, 1 + rng() % 6000, 0, 1 + static_cast<std::int64_t>(rng() % 200));
    const auto current = random_integers(rng, 1 + rng() % 6000, static_cast<std::int64_t>(rng() % 30), 150);
    const auto plain = to_json(compare_profiles(integer_profile({reference}, true), integer_profile({current}, true),
                                                options));
    for (const auto& [reference_doubles, current_doubles] :
         std::vector<std::pair<bool, bool>>{{false, false}, {false, true}, {true, false}}) {
      auto counted = to_json(compare_profiles(integer_profile({reference}, reference_doubles),
                                              integer_profile({current}, current_doubles), options));
      ASSERT_TRUE(counted["columns"][0]["exact"].get<bool>());
      counted["columns"][0]["data_type"] = plain["columns"][0]["data_type"];
      counted["reference"] = plain["reference"];
      counted["current"] = plain["current"];
      EXPECT_EQ(counted.dump(), plain.dump()) << "trial " << trial;
    }
  }
}

TEST(ProfileSerialization, RoundTripPreservesEverything) {
  std::mt19937_64 rng(3);
  const Data a = random_data(rng, 20000, 30);
  const auto profile = profile_of({&a});
  const auto text = profile.to_json().dump();
  const auto back = DatasetProfile::from_json(nlohmann::json::parse(text), "round trip");
  EXPECT_EQ(back.to_json().dump(), text);
  EXPECT_EQ(back.columns[0].numeric->sketch.quantile(0.5), profile.columns[0].numeric->sketch.quantile(0.5));
}

TEST(ProfileSerialization, ColumnTypesSurviveTheFile) {
  // A profile file stores each column's type by DataType::to_string; loading it must give the same type back,
  // timestamps with their unit and zone included (they used to load as double).
  std::mt19937_64 rng(4);
  const Data a = random_data(rng, 100, 3);
  auto profile = profile_of({&a});
  using core::DataType;
  using core::TimeUnit;
  for (const auto& type : {DataType::timestamp(TimeUnit::kMilli, true), DataType::timestamp(TimeUnit::kMicro, false),
                           DataType::timestamp(TimeUnit::kNano, true), DataType::int32(), DataType::float32(),
                           DataType::decimal(12, 3), DataType::date(), DataType::int64(), DataType::float64()}) {
    profile.columns[0].type = type;
    const auto back = DatasetProfile::from_json(nlohmann::json::parse(profile.to_json().dump()), "types");
    EXPECT_EQ(back.columns[0].type, type) << type.to_string() << " loads as " << back.columns[0].type.to_string();
  }
}

TEST(ProfileSerialization, RejectsTamperedCounts) {
  std::mt19937_64 rng(4);
  const Data a = random_data(rng, 1000, 3);
  auto json = profile_of({&a}).to_json();
  json["columns"][0]["count"] = 5;
  EXPECT_THROW(DatasetProfile::from_json(json, "tampered"), core::InputError);
  auto wrong_format = profile_of({&a}).to_json();
  wrong_format["version"] = 99;
  EXPECT_THROW(DatasetProfile::from_json(wrong_format, "future"), core::InputError);
}

TEST(CategoricalCap, OverflowSwitchesToSketchesWithinBounds) {
  ProfileOptions options;
  options.category_cap = 100;
  std::mt19937_64 rng(5);
  // Zipf-like: a few heavy categories, a long tail of distinct ones.
  Data data;
  std::map<std::string, std::int64_t> truth;
  for (int i = 0; i < 50000; ++i) {
    std::string label = (i % 3 == 0) ? "heavy" + std::to_string(i % 5) : "tail" + std::to_string(rng() % 5000);
    truth[label]++;
    data.numbers.push_back(1.0);
    data.labels.push_back(label);
  }
  const auto profile = profile_of({&data}, options);
  const auto& summary = *profile.columns[1].categorical;
  ASSERT_FALSE(summary.is_exact());
  const auto bound = summary.max_count_error();
  EXPECT_LE(bound, 50000 / 101);
  for (const auto& [item, estimate] : summary.counts()) {
    EXPECT_LE(estimate, truth[item]);
    EXPECT_GE(estimate, truth[item] - bound);
  }
  const double distinct = summary.distinct_count();
  const double true_distinct = static_cast<double>(truth.size());
  EXPECT_NEAR(distinct, true_distinct, 4 * DistinctCountSketch::relative_standard_error() * true_distinct);
}

TEST(CategoricalCounts, LookalikeValuesAreCountedApart) {
  // Values that share length, first 8 and last 8 bytes and differ only in the middle; short values of every
  // length from 0 to 17 (the empty string included); more distinct values than a batch's table of repeated
  // values holds; nulls. Every count must match a count kept in a std::map.
  std::mt19937_64 rng(11);
  std::vector<std::string> pool;
  for (int i = 0; i < 6; ++i) pool.push_back("prefix__" + std::string(static_cast<std::size_t>(3 + i % 2), 'a' + i) + "__suffix");
  for (std::size_t length = 0; length <= 17; ++length) pool.push_back(std::string(length, 'q'));
  pool.push_back("north");
  pool.push_back("nortH");
  pool.push_back("home_improvement");
  pool.push_back("home_improvemenT");
  // More than the 256 values the table holds.
  for (int i = 0; i < 300; ++i) pool.push_back("city_" + std::to_string(i));
  Data data;
  std::map<std::string, std::int64_t> truth;
  for (int i = 0; i < 20000; ++i) {
    data.numbers.push_back(1.0);
    if (rng() % 50 == 0) {
      data.labels.push_back(std::nullopt);
      continue;
    }
    // Skewed so that some values are first seen late in a batch.
    const auto pick = static_cast<std::size_t>(rng() % pool.size()) * (rng() % 4 == 0 ? 1 : 0);
    data.labels.push_back(pool[pick]);
    ++truth[pool[pick]];
  }
  // Two batches: the per-batch table starts empty for each.
  Data first{{data.numbers.begin(), data.numbers.begin() + 7000}, {data.labels.begin(), data.labels.begin() + 7000}};
  Data second{{data.numbers.begin() + 7000, data.numbers.end()}, {data.labels.begin() + 7000, data.labels.end()}};
  const auto profile = profile_of({&first, &second});
  const auto& summary = *profile.columns[1].categorical;
  ASSERT_TRUE(summary.is_exact());
  std::map<std::string, std::int64_t> counted;
  for (const auto& [category, count] : summary.counts()) counted[category] = count;
  EXPECT_EQ(counted, truth);
}

TEST(CategoricalCounts, BooleanColumnsCountTrueAndFalse) {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"flag", core::DataType::boolean(), true, std::nullopt}};
  batch.columns.emplace_back(core::DataType::boolean());
  std::int64_t trues = 0;
  std::int64_t falses = 0;
  for (int i = 0; i < 1000; ++i) {
    if (i % 7 == 0) {
      batch.columns[0].append_null();
    } else {
      const bool value = (i * 31) % 5 < 2;
      batch.columns[0].append_int(value ? 1 : 0);
      (value ? trues : falses)++;
    }
  }
  batch.num_rows = 1000;
  Profiler profiler;
  profiler.consume(batch);
  const auto profile = profiler.finish("test");
  std::map<std::string, std::int64_t> counted;
  for (const auto& [category, count] : profile.columns[0].categorical->counts()) counted[category] = count;
  EXPECT_EQ(counted, (std::map<std::string, std::int64_t>{{"false", falses}, {"true", trues}}));
  EXPECT_EQ(profile.columns[0].null_count, 143);
}

// Exact fraction of `sorted` values <= x.
double exact_cdf(const std::vector<double>& sorted, double x) {
  return static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin()) /
         static_cast<double>(sorted.size());
}

TEST(QuantileSketchIntegers, NarrowIntegerDataKeepsTheRankBound) {
  // Integer data in narrow ranges (sorted by counting inside the sketch) and just beyond them, negative and
  // positive, fed in chunks of varying size.
  for (const int spread : {3, 80, 4000, 9000, 100000}) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(spread));
    std::normal_distribution<double> normal(0.0, spread / 4.0);
    std::vector<double> values;
    for (int i = 0; i < 300000; ++i) values.push_back(std::round(normal(rng)) - spread / 3);
    QuantileSketch sketch;
    for (std::size_t at = 0; at < values.size();) {
      const std::size_t take = std::min<std::size_t>(values.size() - at, 1 + rng() % 9000);
      sketch.update(std::span<const double>(values).subspan(at, take));
      at += take;
    }
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sketch.count(), static_cast<std::int64_t>(values.size()));
    EXPECT_EQ(sketch.min(), sorted.front());
    EXPECT_EQ(sketch.max(), sorted.back());
    const auto view = sketch.sorted_view();
    for (const double v : view.values) EXPECT_EQ(v, std::round(v)) << "retained a value not in the input";
    for (int step = 1; step < 20; ++step) {
      const double x = sorted[sorted.size() * static_cast<std::size_t>(step) / 20];
      EXPECT_NEAR(view.cdf(x), exact_cdf(sorted, x), sketch.normalized_rank_error()) << "spread " << spread;
    }
    // Serialised levels must be sorted (from_json refuses them otherwise) and weigh n in total.
    EXPECT_NO_THROW(QuantileSketch::from_json(sketch.to_json(), "round trip"));
  }
}

TEST(QuantileSketchCompaction, StagedValuesAreCompactedOnceTheSketchHasCompacted) {
  // 204,096 values leave 3,392 staged (the staging buffer flushes every 4,096). Compacted, the sketch holds at most
  // the levels' capacity: k (2/3)^depth per level, at least 8, which sums to under 3k + 8 per level.
  std::mt19937_64 rng(51);
  std::normal_distribution<double> normal(50.0, 7.0);
  std::vector<double> values(204096);
  for (auto& v : values) v = normal(rng);
  QuantileSketch sketch(200);
  sketch.update(values);
  EXPECT_GT(sketch.retained(), 3392u);
  sketch.compact_staged_values();
  const auto levels = sketch.to_json().at("levels").size();
  EXPECT_LT(sketch.retained(), 3 * 200 + 8 * levels);
  std::sort(values.begin(), values.end());
  expect_within_rank_bound(sketch, values);
  EXPECT_EQ(sketch.min(), values.front());
  EXPECT_EQ(sketch.max(), values.back());
  // A sketch that never compacted keeps every value: its quantiles stay exact.
  QuantileSketch small(200);
  const std::vector<double> few(values.begin(), values.begin() + 2000);
  small.update(few);
  const auto before = small.to_json();
  small.compact_staged_values();
  EXPECT_EQ(small.to_json(), before);
  EXPECT_EQ(small.retained(), 2000u);
}

TEST(QuantileSketchCompaction, AFinishedProfileEqualsItsWrittenForm) {
  std::mt19937_64 rng(52);
  Data data;
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int i = 0; i < 204096; ++i) {
    data.numbers.push_back(normal(rng));
    data.labels.push_back("a");
  }
  const auto profile = profile_of({&data});
  const auto& sketch = profile.columns[0].numeric->sketch;
  EXPECT_LT(sketch.retained(), 3 * 200 + 8 * sketch.to_json().at("levels").size());
  const auto back = DatasetProfile::from_json(profile.to_json(), "finished");
  EXPECT_EQ(back.columns[0].numeric->sketch.to_json(), sketch.to_json());
  for (const double q : {0.01, 0.5, 0.99}) EXPECT_EQ(back.columns[0].numeric->sketch.quantile(q), sketch.quantile(q));
  expect_within_rank_bound(sketch, sorted_values({&data}));
}

TEST(QuantileSketchIntegers, NegativeZeroKeepsItsSign) {
  // -0.0 equals 0.0 but prints as -0: a sketch of only -0.0 and small integers must hand back -0.0.
  QuantileSketch sketch(8);
  std::vector<double> values;
  for (int i = 0; i < 5000; ++i) values.push_back(i % 3 == 0 ? -0.0 : static_cast<double>(i % 5));
  std::vector<double> only_negative_zero(5000, -0.0);
  sketch.update(values);
  sketch.update(only_negative_zero);
  const auto view = sketch.sorted_view();
  const bool kept_negative_zero = std::any_of(view.values.begin(), view.values.end(),
                                              [](double v) { return v == 0.0 && std::signbit(v); });
  EXPECT_TRUE(kept_negative_zero);
  for (const double v : view.values) EXPECT_TRUE(v == 0.0 || v == 1.0 || v == 2.0 || v == 3.0 || v == 4.0) << v;
}

// Batches without NaN take a vectorised survey: its counts and bounds must equal those counted one by one here,
// whatever the batch's length (tails of 0 to 3 values) and wherever zeros and infinities fall; a zero bound keeps
// the sign of the first zero met.
TEST(NumericSurvey, BatchesWithoutNanMatchCountsTakenOneByOne) {
  std::mt19937_64 rng(41);
  std::normal_distribution<double> normal(0.0, 10.0);
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  for (const std::size_t n : {1u, 3u, 4u, 7u, 1001u, 4098u}) {
    for (int variant = 0; variant < 3; ++variant) {
      Data data;
      for (std::size_t i = 0; i < n; ++i) {
        const auto r = rng() % 100;
        data.numbers.push_back(r < 3 ? 0.0 : r < 4 && variant > 0 ? kInfinity : r < 5 && variant > 1 ? -kInfinity
                                                                                                      : normal(rng));
        data.labels.push_back("a");
      }
      std::int64_t zeros = 0;
      std::int64_t infinities = 0;
      double low = kInfinity;
      double high = -kInfinity;
      for (const auto& v : data.numbers) {
        zeros += *v == 0.0;
        infinities += std::isinf(*v);
        low = *v < low ? *v : low;
        high = *v > high ? *v : high;
      }
      const auto profile = profile_of({&data});
      const auto& summary = *profile.columns[0].numeric;
      EXPECT_EQ(summary.nan_count, 0) << n;
      EXPECT_EQ(summary.zero_count, zeros) << n;
      EXPECT_EQ(summary.infinite_count, infinities) << n;
      EXPECT_EQ(summary.min, low) << n;
      EXPECT_EQ(summary.max, high) << n;
    }
  }
  // All values at or above zero, the first zero negative: the minimum is -0.0; the first zero positive: 0.0.
  for (const bool negative_first : {true, false}) {
    Data data;
    for (int i = 0; i < 64; ++i) {
      data.numbers.push_back(i == 5 ? (negative_first ? -0.0 : 0.0) : i == 40 ? (negative_first ? 0.0 : -0.0)
                                                                              : 1.0 + i);
      data.labels.push_back("a");
    }
    const auto profile = profile_of({&data});
    EXPECT_EQ(std::signbit(profile.columns[0].numeric->min), negative_first);
    EXPECT_EQ(profile.columns[0].numeric->zero_count, 2);
  }
}

TEST(SortAscending, MatchesStandardSortIncludingInfinitiesAndSignedZeros) {
  // Integer data in narrow and wide ranges (counting or vqsort), fractions, infinities and both zeros: the result
  // must hold the same values as std::sort's, bit for bit, with -0.0 before 0.0.
  std::mt19937_64 rng(21);
  for (int trial = 0; trial < 60; ++trial) {
    const std::size_t size = 1 + rng() % 9000;
    const double spread = trial % 3 == 0 ? 40.0 : (trial % 3 == 1 ? 1e6 : 1e-3);
    std::normal_distribution<double> normal(0.0, spread);
    std::vector<double> values(size);
    for (auto& v : values) v = trial % 2 == 0 ? std::round(normal(rng)) : normal(rng);
    if (trial % 4 == 1) {
      for (int i = 0; i < 5; ++i) values[rng() % size] = std::numeric_limits<double>::infinity();
      for (int i = 0; i < 5; ++i) values[rng() % size] = -std::numeric_limits<double>::infinity();
    }
    if (trial % 5 == 2) {
      for (int i = 0; i < 7; ++i) values[rng() % size] = -0.0;
      values[rng() % size] = std::numeric_limits<double>::max();
    }
    std::vector<double> expected = values;
    // The oracle: std::sort with -0.0 ordered before 0.0.
    std::sort(expected.begin(), expected.end(),
              [](double a, double b) { return a < b || (a == b && std::signbit(a) && !std::signbit(b)); });
    sort_ascending(values);
    for (std::size_t i = 0; i < size; ++i) {
      ASSERT_EQ(std::bit_cast<std::uint64_t>(values[i]), std::bit_cast<std::uint64_t>(expected[i]))
          << "trial " << trial << " at " << i << ": " << values[i] << " vs " << expected[i];
    }
  }
}

// A row selection profiles exactly the listed rows, each as often as it is listed: the expected figures below are
// worked out by hand from the rows chosen.
TEST(ProfileSelection, ProfilesTheListedRowsOnly) {
  auto batch = make_batch({1.0, std::nullopt, 4.0, std::nan(""), 0.0, 10.0},
                          {"a", "b", std::nullopt, "a", "c", "b"});
  batch.schema.fields.push_back(core::Field{"n", core::DataType::int64(), true, std::nullopt});
  batch.schema.fields.push_back(core::Field{"flag", core::DataType::boolean(), true, std::nullopt});
  batch.columns.emplace_back(core::DataType::int64());
  batch.columns.emplace_back(core::DataType::boolean());
  for (const std::int64_t v : {7, 8, 9, 10, 11, 12}) batch.columns[2].append_int(v);
  for (const int v : {1, 0, 1, -1, 0, 1}) v < 0 ? batch.columns[3].append_null() : batch.columns[3].append_int(v);
  const std::vector<std::int64_t> rows = {5, 1, 3, 5, 2};  // out of order, row 5 twice
  Profiler profiler;
  profiler.consume(batch, rows);
  const auto profile = profiler.finish("selection");
  EXPECT_EQ(profile.row_count, 5);
  const auto& x = *profile.find("x");
  EXPECT_EQ(x.count, 5);
  EXPECT_EQ(x.null_count, 1);          // row 1
  EXPECT_EQ(x.numeric->nan_count, 1);  // row 3
  EXPECT_EQ(x.numeric->zero_count, 0);  // row 4 (0.0) is not selected
  EXPECT_EQ(x.numeric->min, 4.0);
  EXPECT_EQ(x.numeric->max, 10.0);
  EXPECT_EQ(x.numeric->moments.count, 3);
  EXPECT_DOUBLE_EQ(x.numeric->moments.mean, 8.0);  // (10 + 10 + 4) / 3
  const auto& label = *profile.find("label");
  EXPECT_EQ(label.null_count, 1);  // row 2
  EXPECT_EQ(label.categorical->exact_counts->at("b"), 3);  // rows 5, 1, 5
  EXPECT_EQ(label.categorical->exact_counts->at("a"), 1);  // row 3
  EXPECT_FALSE(label.categorical->exact_counts->contains("c"));
  const auto& n = *profile.find("n");
  EXPECT_EQ(n.numeric->min, 8.0);
  EXPECT_EQ(n.numeric->max, 12.0);
  EXPECT_DOUBLE_EQ(n.numeric->moments.mean, (12.0 + 8 + 10 + 12 + 9) / 5);
  const auto& flag = *profile.find("flag");
  EXPECT_EQ(flag.null_count, 1);  // row 3
  EXPECT_EQ(flag.categorical->exact_counts->at("true"), 3);  // rows 5, 2, 5
  EXPECT_EQ(flag.categorical->exact_counts->at("false"), 1);  // row 1
}

TEST(ProfileSelection, RefusesARowOutsideTheBatch) {
  const auto batch = make_batch({1.0, 2.0}, {"a", "b"});
  Profiler profiler;
  const std::vector<std::int64_t> rows = {0, 2};
  EXPECT_THROW(profiler.consume(batch, rows), core::InternalError);
}

// A column whose NaN are missing values (pandas' float columns) profiles as the same column with those rows null,
// numeric or categorical, for every row or selected ones; other columns keep their NaN as values.
TEST(NanAsNull, CountsNanAsNullsAsIfTheRowsWereNull) {
  std::mt19937_64 rng(41);
  const auto data = random_data(rng, 3000, 6);
  Data as_nulls = data;
  for (auto& v : as_nulls.numbers) {
    if (v && std::isnan(*v)) v.reset();
  }
  const std::int64_t nan_rows =
      std::count_if(data.numbers.begin(), data.numbers.end(), [](const auto& v) { return v && std::isnan(*v); });
  ASSERT_GT(nan_rows, 0);
  std::vector<std::int64_t> selected;
  for (std::int64_t row = 0; row < 3000; row += 3) selected.push_back(row);
  for (const bool categorical : {false, true}) {
    for (const bool select : {false, true}) {
      ProfileOptions options;
      options.exact_value_limit = 1000;
      if (categorical) options.kind_overrides["x"] = ColumnKind::kCategorical;
      const auto run = [&](const Data& part, bool flagged) {
        ProfileOptions chosen = options;
        if (flagged) chosen.nan_as_null = {"x", "label", "absent"};
        Profiler profiler(chosen);
        const auto batch = make_batch(part.numbers, part.labels);
        if (select) profiler.consume(batch, selected);
        else profiler.consume(batch);
        return profiler.finish("test").to_json();
      };
      const auto flagged = run(data, true);
      EXPECT_EQ(flagged, run(as_nulls, false)) << "categorical " << categorical << ", selected rows " << select;
      EXPECT_NE(flagged, run(data, false));
    }
  }
}

}  // namespace
}  // namespace driftgov::stats
