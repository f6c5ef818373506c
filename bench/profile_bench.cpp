// Microbenchmarks for the profile layer: sketch and moment updates, categorical counting, whole-batch profiling
// of a 20-column loan table (15 numeric, 5 categorical) and comparing two 10M-row profiles.
// items_per_second is values per second on one thread. Figures and commands: docs/benchmarks.md.

#include <benchmark/benchmark.h>
#include <hwy/targets.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/stats/distinct_count.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/frequent_items.hpp"
#include "driftgov/stats/moments.hpp"
#include "driftgov/stats/profile.hpp"
#include "driftgov/stats/quantile_sketch.hpp"
#include "driftgov/stats/sorting.hpp"
#include "stats/batch_survey.hpp"

namespace {

using driftgov::core::Column;
using driftgov::core::DataType;
using driftgov::core::RecordBatch;
using driftgov::stats::CategoricalSummary;
using driftgov::stats::DatasetProfile;
using driftgov::stats::DistinctCountSketch;
using driftgov::stats::FrequentItems;
using driftgov::stats::Moments;
using driftgov::stats::Profiler;
using driftgov::stats::QuantileSketch;

constexpr std::int64_t kBatchRows = 65536;  // the readers' default batch size

std::vector<double> lognormal_values(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::lognormal_distribution<double> distribution(std::log(52000.0), 0.55);
  std::vector<double> values(count);
  for (auto& v : values) v = std::round(distribution(generator) * 100.0) / 100.0;
  return values;
}

// Category labels drawn with skewed probabilities, like the loan table's region/product/channel columns.
std::vector<std::string> category_values(std::size_t count, std::size_t distinct, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::vector<double> weights(distinct);
  for (std::size_t i = 0; i < distinct; ++i) weights[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<std::size_t> distribution(weights.begin(), weights.end());
  std::vector<std::string> values(count);
  for (auto& v : values) v = "category_" + std::to_string(distribution(generator));
  return values;
}

// ---------------------------------------------------------------- batch survey

// One batch of float64 values without NaN: count, zeros, infinities and bounds (stats/batch_survey.hpp).
void BM_SurveyWithoutNan(benchmark::State& state) {
  auto values = lognormal_values(static_cast<std::size_t>(state.range(0)), 21);
  values[values.size() / 2] = -values[values.size() / 2];  // a negative low bound, so no zero bound
  for (auto _ : state) {
    auto facts = driftgov::stats::survey_without_nan(values, true);
    benchmark::DoNotOptimize(facts);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SurveyWithoutNan)->Arg(kBatchRows)->Arg(1000);

// Money-like values, `nan_per_mille` in a thousand of them NaN at random positions: a pandas float column whose
// missing values are NaN.
std::vector<double> values_with_nan(std::size_t count, std::int64_t nan_per_mille, std::uint64_t seed) {
  auto values = lognormal_values(count, seed);
  std::mt19937_64 generator(seed + 1);
  std::bernoulli_distribution is_nan(static_cast<double>(nan_per_mille) / 1000.0);
  for (auto& v : values) {
    if (is_nan(generator)) v = std::numeric_limits<double>::quiet_NaN();
  }
  return values;
}

// survey_dropping_nan moves the values that are not NaN to the front of the batch, in place, so the batch is copied
// back (timer paused) before each run.
void survey_dropping_nan_runs(benchmark::State& state, const std::vector<double>& values) {
  std::vector<double> batch(values.size());
  for (auto _ : state) {
    state.PauseTiming();
    std::copy(values.begin(), values.end(), batch.begin());
    state.ResumeTiming();
    auto facts = driftgov::stats::survey_dropping_nan(batch);
    benchmark::DoNotOptimize(facts);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

// One batch of float64 values with NaN (range(1) per thousand) on the SIMD target dispatch chooses.
void BM_SurveyDroppingNan(benchmark::State& state) {
  survey_dropping_nan_runs(state, values_with_nan(static_cast<std::size_t>(state.range(0)), state.range(1), 22));
}
BENCHMARK(BM_SurveyDroppingNan)->Args({kBatchRows, 10})->Args({kBatchRows, 0})->Args({kBatchRows, 500});

// 65536 values, 1% NaN, on each SIMD target compiled in and supported here (range(0): its index), dispatch forced.
void BM_SurveyDroppingNanOnTarget(benchmark::State& state) {
  const auto targets = hwy::SupportedAndGeneratedTargets();
  const auto index = static_cast<std::size_t>(state.range(0));
  if (index >= targets.size()) {
    state.SkipWithError("no such target on this processor");
    return;
  }
  state.SetLabel(hwy::TargetName(targets[index]));
  hwy::SetSupportedTargetsForTest(targets[index]);
  survey_dropping_nan_runs(state, values_with_nan(kBatchRows, 10, 22));
  hwy::SetSupportedTargetsForTest(0);
}
BENCHMARK(BM_SurveyDroppingNanOnTarget)->DenseRange(0, 4);

// ---------------------------------------------------------------- quantile sketch

void BM_QuantileSketchUpdateSpan(benchmark::State& state) {
  const auto values = lognormal_values(static_cast<std::size_t>(state.range(0)), 1);
  for (auto _ : state) {
    QuantileSketch sketch;
    sketch.update(values);
    benchmark::DoNotOptimize(sketch.retained());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_QuantileSketchUpdateSpan)->Arg(kBatchRows)->Arg(1 << 20);

void BM_QuantileSketchUpdateSingle(benchmark::State& state) {
  const auto values = lognormal_values(static_cast<std::size_t>(state.range(0)), 2);
  for (auto _ : state) {
    QuantileSketch sketch;
    for (double v : values) sketch.update(v);
    benchmark::DoNotOptimize(sketch.retained());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_QuantileSketchUpdateSingle)->Arg(1 << 20);

// The sketch sorts its staging buffer (4096 values) before each compaction, and a profile sorts its exact
// samples once: sort_ascending on money-like doubles, and on small-range integers (sorted by counting).
void sort_benchmark(benchmark::State& state, const std::vector<double>& values) {
  std::vector<double> scratch;
  for (auto _ : state) {
    scratch = values;
    driftgov::stats::sort_ascending(scratch);
    benchmark::DoNotOptimize(scratch.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

void BM_SortAscending(benchmark::State& state) {
  sort_benchmark(state, lognormal_values(static_cast<std::size_t>(state.range(0)), 11));
}
BENCHMARK(BM_SortAscending)->Arg(4096)->Arg(1 << 20);

void BM_SortAscendingIntegers(benchmark::State& state) {
  std::mt19937_64 generator(12);
  std::normal_distribution<double> ages(41.0, 12.0);
  std::vector<double> values(static_cast<std::size_t>(state.range(0)));
  for (auto& v : values) v = std::round(ages(generator));
  sort_benchmark(state, values);
}
BENCHMARK(BM_SortAscendingIntegers)->Arg(4096)->Arg(1 << 20);

void BM_QuantileSketchMerge(benchmark::State& state) {
  // Two sketches that have each seen 1M values: merge cost is in retained items, not input size.
  const auto left_values = lognormal_values(1 << 20, 3);
  const auto right_values = lognormal_values(1 << 20, 4);
  QuantileSketch left;
  QuantileSketch right;
  left.update(left_values);
  right.update(right_values);
  for (auto _ : state) {
    QuantileSketch merged = left;
    merged.merge(right);
    benchmark::DoNotOptimize(merged.retained());
  }
  state.counters["retained"] = static_cast<double>(left.retained() + right.retained());
}
BENCHMARK(BM_QuantileSketchMerge);

// ---------------------------------------------------------------- moments

void BM_MomentsAddBlock(benchmark::State& state) {
  const auto values = lognormal_values(static_cast<std::size_t>(state.range(0)), 5);
  for (auto _ : state) {
    Moments moments;
    moments.add_block(values);
    benchmark::DoNotOptimize(moments.m2);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MomentsAddBlock)->Arg(kBatchRows);

// ---------------------------------------------------------------- categorical

void BM_CategoricalSummaryAdd(benchmark::State& state) {
  // Few distinct values: the exact-count path every low-cardinality column takes.
  const auto values = category_values(kBatchRows, static_cast<std::size_t>(state.range(0)), 6);
  for (auto _ : state) {
    CategoricalSummary summary;
    summary.cap = 10000;
    summary.exact_counts.emplace();
    for (const auto& v : values) summary.add(v);
    benchmark::DoNotOptimize(summary.exact_counts->size());
  }
  state.SetItemsProcessed(state.iterations() * kBatchRows);
}
BENCHMARK(BM_CategoricalSummaryAdd)->Arg(5)->Arg(1000);

void BM_FrequentItemsUpdate(benchmark::State& state) {
  // More distinct values than counters: the Misra-Gries purge path of high-cardinality columns.
  const auto values = category_values(kBatchRows, static_cast<std::size_t>(state.range(0)), 7);
  for (auto _ : state) {
    FrequentItems items(1000);
    for (const auto& v : values) items.update(v);
    benchmark::DoNotOptimize(items.max_error());
  }
  state.SetItemsProcessed(state.iterations() * kBatchRows);
}
BENCHMARK(BM_FrequentItemsUpdate)->Arg(100)->Arg(50000);

void BM_DistinctCountUpdate(benchmark::State& state) {
  const auto values = category_values(kBatchRows, 50000, 8);
  for (auto _ : state) {
    DistinctCountSketch sketch;
    for (const auto& v : values) sketch.update(v);
    benchmark::DoNotOptimize(sketch.estimate());
  }
  state.SetItemsProcessed(state.iterations() * kBatchRows);
}
BENCHMARK(BM_DistinctCountUpdate);

// ---------------------------------------------------------------- whole batches

driftgov::core::Field field(const std::string& name, const DataType& type) {
  driftgov::core::Field result;
  result.name = name;
  result.type = type;
  return result;
}

// One in-memory batch shaped like scripts/generate_data.py's loan table: 15 numeric columns (integers and
// doubles, 1% nulls in income) and 5 string columns with 4-5 categories each.
RecordBatch loan_batch(std::int64_t rows, std::uint64_t seed, bool drift) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  RecordBatch batch;
  batch.num_rows = rows;
  const double shift = drift ? 0.14 : 0.0;
  const std::array<const char*, 15> numeric_names = {
      "age", "income", "credit_score", "loan_amount", "term_months", "interest_rate", "utilization",
      "num_accounts", "tenure_months", "days_past_due", "monthly_payment", "debt_to_income",
      "transactions_30d", "avg_transaction", "balance"};
  for (std::size_t c = 0; c < numeric_names.size(); ++c) {
    // Alternate integer and double columns, as the CSV reader infers them for this table.
    const bool integer = c % 2 == 0;
    Column column(integer ? DataType::int64() : DataType::float64());
    column.reserve(rows);
    for (std::int64_t r = 0; r < rows; ++r) {
      const double z = normal(generator);
      if (c == 1 && uniform(generator) < 0.01) {
        column.append_null();
      } else if (integer) {
        column.append_int(static_cast<std::int64_t>(std::round(40.0 + 12.0 * z + 10.0 * shift * c)));
      } else {
        column.append_double(std::round(std::exp(10.0 + shift + 0.55 * z) * 100.0) / 100.0);
      }
    }
    batch.schema.fields.push_back(field(numeric_names[c], column.type));
    batch.columns.push_back(std::move(column));
  }
  const std::array<std::pair<const char*, std::vector<std::string>>, 5> categorical = {{
      {"region", {"north", "south", "east", "west", "central"}},
      {"product", {"personal", "auto", "home_improvement", "debt_consolidation", "education"}},
      {"channel", {"branch", "web", "mobile", "broker", "partner_api"}},
      {"employment_type", {"salaried", "self_employed", "contract", "retired", "student"}},
      {"device", {"ios", "android", "desktop", "unknown"}},
  }};
  for (const auto& [name, labels] : categorical) {
    Column column(DataType::string());
    column.reserve(rows);
    // The last label only appears in the drifted data (a new category).
    const std::size_t choices = drift ? labels.size() : labels.size() - 1;
    for (std::int64_t r = 0; r < rows; ++r) {
      column.append_string(labels[static_cast<std::size_t>(uniform(generator) * static_cast<double>(choices))]);
    }
    batch.schema.fields.push_back(field(name, column.type));
    batch.columns.push_back(std::move(column));
  }
  return batch;
}

void BM_ProfilerConsume(benchmark::State& state) {
  const auto batch = loan_batch(kBatchRows, 9, false);
  const std::int64_t batches_per_iteration = 16;  // 1M rows, so sketches go through their compaction cycles
  for (auto _ : state) {
    Profiler profiler;
    for (std::int64_t i = 0; i < batches_per_iteration; ++i) profiler.consume(batch);
    auto profile = profiler.finish("memory");
    benchmark::DoNotOptimize(profile.row_count);
  }
  const auto values = batches_per_iteration * kBatchRows * static_cast<std::int64_t>(batch.columns.size());
  state.SetItemsProcessed(state.iterations() * values);
  state.counters["rows_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batches_per_iteration * kBatchRows),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ProfilerConsume)->Unit(benchmark::kMillisecond);

// Profiles 1M rows of columns [first, first + count) of the loan batch.
void consume_column_range(benchmark::State& state, std::size_t first, std::size_t count) {
  auto batch = loan_batch(kBatchRows, 10, false);
  const auto offset = static_cast<std::ptrdiff_t>(first);
  const auto stop = static_cast<std::ptrdiff_t>(first + count);
  batch.columns = std::vector<Column>(batch.columns.begin() + offset, batch.columns.begin() + stop);
  batch.schema.fields = std::vector<driftgov::core::Field>(batch.schema.fields.begin() + offset,
                                                          batch.schema.fields.begin() + stop);
  for (auto _ : state) {
    Profiler profiler;
    for (int i = 0; i < 16; ++i) profiler.consume(batch);
    auto profile = profiler.finish("memory");
    benchmark::DoNotOptimize(profile.row_count);
  }
  state.SetItemsProcessed(state.iterations() * 16 * kBatchRows * static_cast<std::int64_t>(count));
}

// Numeric columns alone: the share of profiling that scales with the 15 numeric columns.
void BM_ProfilerConsumeNumeric(benchmark::State& state) { consume_column_range(state, 0, 15); }
BENCHMARK(BM_ProfilerConsumeNumeric)->Unit(benchmark::kMillisecond);

// The 5 categorical columns alone.
void BM_ProfilerConsumeCategorical(benchmark::State& state) { consume_column_range(state, 15, 5); }
BENCHMARK(BM_ProfilerConsumeCategorical)->Unit(benchmark::kMillisecond);

// Float columns as pandas hands them over: 1% of their values NaN, counted as nulls (ProfileOptions::nan_as_null).
void BM_ProfilerConsumeNanAsNull(benchmark::State& state) {
  constexpr std::size_t kColumns = 8;
  RecordBatch batch;
  batch.num_rows = kBatchRows;
  driftgov::stats::ProfileOptions options;
  for (std::size_t c = 0; c < kColumns; ++c) {
    Column column(DataType::float64());
    column.reserve(kBatchRows);
    for (const double v : values_with_nan(kBatchRows, 10, 30 + c)) column.append_double(v);
    std::string name(1, 'f');
    name += std::to_string(c);
    batch.schema.fields.push_back(field(name, column.type));
    batch.columns.push_back(std::move(column));
    options.nan_as_null.insert(name);
  }
  for (auto _ : state) {
    Profiler profiler(options);
    for (int i = 0; i < 16; ++i) profiler.consume(batch);
    auto profile = profiler.finish("memory");
    benchmark::DoNotOptimize(profile.row_count);
  }
  state.SetItemsProcessed(state.iterations() * 16 * kBatchRows * static_cast<std::int64_t>(kColumns));
}
BENCHMARK(BM_ProfilerConsumeNanAsNull)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- comparing

DatasetProfile profile_of_rows(std::int64_t rows, std::uint64_t seed, bool drift) {
  // Distinct batches (not one repeated) so the sketches see 10M different values per column.
  // 50,000-row batches divide 10M exactly.
  Profiler profiler;
  constexpr std::int64_t kRowsPerBatch = 50000;
  constexpr std::int64_t kDistinctBatches = 8;
  std::vector<RecordBatch> batches;
  for (std::int64_t i = 0; i < kDistinctBatches; ++i) batches.push_back(loan_batch(kRowsPerBatch, seed + i, drift));
  for (std::int64_t done = 0, i = 0; done < rows; done += kRowsPerBatch, ++i) {
    profiler.consume(batches[static_cast<std::size_t>(i % kDistinctBatches)]);
  }
  return profiler.finish(drift ? "current" : "reference");
}

void BM_CompareProfiles10M(benchmark::State& state) {
  static const DatasetProfile reference = profile_of_rows(10'000'000, 100, false);
  static const DatasetProfile current = profile_of_rows(10'000'000, 200, true);
  const driftgov::stats::DriftOptions options;
  for (auto _ : state) {
    auto report = driftgov::stats::compare_profiles(reference, current, options);
    benchmark::DoNotOptimize(report.drifted_columns);
  }
  state.counters["rows_per_side"] = static_cast<double>(reference.row_count);
}
BENCHMARK(BM_CompareProfiles10M)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
