// The library checks its own options: each bad value, given to validate() or to the entry point that calls it
// (compare_profiles, Profiler, profile_location, open_csv), is an InputError whose message names the option's field
// and whose structured OptionName lets a front end spell the option its own way.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>

#include "driftgov/core/error.hpp"
#include "driftgov/io/csv_reader.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/profile.hpp"

namespace driftgov {
namespace {

// Runs `action`, which must throw an InputError; returns it.
core::InputError input_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const core::InputError& error) {
    return error;
  }
  ADD_FAILURE() << "no InputError thrown";
  return core::InputError("");
}

void expect_names_field(const core::InputError& error, const std::string& field, const std::string& message) {
  EXPECT_EQ(std::string(error.what()), message);
  ASSERT_EQ(error.options().size(), 1u) << error.what();
  EXPECT_EQ(error.options().front().field, field);
  // A front end spells the option its own way and nothing else in the message changes.
  const auto respelled = error.message_with([](const core::OptionName& option) { return "<" + option.field + ">"; });
  auto expected = message;
  const auto library_spelling = core::to_string(error.options().front());
  const auto at = expected.find(library_spelling);
  ASSERT_NE(at, std::string::npos) << library_spelling;
  expected.replace(at, library_spelling.size(), "<" + field + ">");
  EXPECT_EQ(respelled, expected);
}

stats::DatasetProfile profile_of_one_column() {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"x", core::DataType::float64(), true, std::nullopt}};
  batch.columns.emplace_back(core::DataType::float64());
  for (double v : {1.0, 2.0, 3.0}) batch.columns[0].append_double(v);
  batch.num_rows = 3;
  stats::Profiler profiler;
  profiler.consume(batch);
  return profiler.finish("memory");
}

struct DriftCase {
  std::function<void(stats::DriftOptions&)> set;
  const char* field;
  const char* message;
};

TEST(OptionsValidation, DriftOptionsNameTheField) {
  const DriftCase cases[] = {
      {[](auto& o) { o.alpha = 1.5; }, "alpha", "alpha must be in (0, 1), got 1.5"},
      {[](auto& o) { o.alpha = 0.0; }, "alpha", "alpha must be in (0, 1), got 0"},
      {[](auto& o) { o.drift_share = 0.0; }, "drift_share", "drift_share must be in (0, 1], got 0"},
      {[](auto& o) { o.drift_share = 1.01; }, "drift_share", "drift_share must be in (0, 1], got 1.01"},
      {[](auto& o) { o.proportion_floor = 1.0; }, "proportion_floor", "proportion_floor must be in (0, 1), got 1"},
      {[](auto& o) { o.bins = 1; }, "bins", "bins must be a whole number from 2 to 10000, got 1"},
      {[](auto& o) { o.bins = 10001; }, "bins", "bins must be a whole number from 2 to 10000, got 10001"},
      {[](auto& o) { o.small_sample_limit = -1; }, "small_sample_limit", "small_sample_limit: expected >= 0, got -1"},
      {[](auto& o) { o.wasserstein_std_floor = 0.0; }, "wasserstein_std_floor",
       "wasserstein_std_floor must be a finite number above 0, got 0"},
      {[](auto& o) { o.max_category_bins = 0; }, "max_category_bins", "max_category_bins: expected >= 1, got 0"},
      {[](auto& o) { o.null_rate_min_change = -0.5; }, "null_rate_min_change",
       "null_rate_min_change must be from 0 to 100 percentage points, got -0.5"},
      {[](auto& o) { o.null_rate_min_change = 101; }, "null_rate_min_change",
       "null_rate_min_change must be from 0 to 100 percentage points, got 101"},
      {[](auto& o) { o.quantiles = {0.5, 1.5}; }, "quantiles", "quantiles must lie in [0, 1], got 1.5"},
      {[](auto& o) { o.distance_thresholds[stats::DriftTest::kHellinger] = -1; }, "distance_thresholds",
       "distance_thresholds['hellinger_distance'] must be a finite number above 0, got -1"},
      {[](auto& o) { o.distance_thresholds.erase(stats::DriftTest::kPsi); }, "distance_thresholds",
       "distance_thresholds has no threshold for population_stability_index"},
      {[](auto& o) { o.columns["x"].bins = 0; }, "columns[].bins",
       "columns['x'].bins must be a whole number from 2 to 10000, got 0"},
      {[](auto& o) { o.columns["x"] = {stats::DriftTest::kKs, 2.0, std::nullopt}; }, "columns[].threshold",
       "columns['x'].threshold must be in (0, 1), got 2"},
      {[](auto& o) { o.columns["x"].threshold = 0.0; }, "columns[].threshold",
       "columns['x'].threshold must be a finite number above 0, got 0"},
  };
  const auto profile = profile_of_one_column();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    stats::DriftOptions options;
    c.set(options);
    expect_names_field(input_error([&] { options.validate(); }), c.field, c.message);
    // The entry point checks them itself: a caller cannot skip validate().
    expect_names_field(input_error([&] { (void)stats::compare_profiles(profile, profile, options); }), c.field,
                       c.message);
  }
  EXPECT_NO_THROW(stats::DriftOptions{}.validate());
}

TEST(OptionsValidation, ThresholdOfAnAutomaticHypothesisTestIsAnAlpha) {
  // The column's test is chosen when comparing (KS for three values): its threshold is then a p-value threshold.
  const auto profile = profile_of_one_column();
  stats::DriftOptions options;
  options.columns["x"].threshold = 5.0;
  EXPECT_NO_THROW(options.validate());  // 5 would be a valid distance threshold
  expect_names_field(input_error([&] { (void)stats::compare_profiles(profile, profile, options); }),
                     "columns[].threshold", "columns['x'].threshold must be in (0, 1), got 5");
}

TEST(OptionsValidation, ProfileOptionsNameTheField) {
  const struct {
    std::function<void(stats::ProfileOptions&)> set;
    const char* field;
    const char* message;
  } cases[] = {
      {[](auto& o) { o.sketch_k = 7; }, "sketch_k", "sketch_k must be from 8 to 65535, got 7"},
      {[](auto& o) { o.sketch_k = 65536; }, "sketch_k", "sketch_k must be from 8 to 65535, got 65536"},
      {[](auto& o) { o.category_cap = 0; }, "category_cap", "category_cap: expected >= 1, got 0"},
      {[](auto& o) { o.exact_value_limit = -1; }, "exact_value_limit", "exact_value_limit: expected >= 0, got -1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    stats::ProfileOptions options;
    c.set(options);
    expect_names_field(input_error([&] { options.validate(); }), c.field, c.message);
    expect_names_field(input_error([&] { stats::Profiler profiler(options); }), c.field, c.message);
  }
}

TEST(OptionsValidation, KindOfAMissingColumnNamesTheField) {
  stats::ProfileOptions options;
  options.kind_overrides["zz"] = stats::ColumnKind::kCategorical;
  stats::Profiler profiler(options);
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"x", core::DataType::float64(), true, std::nullopt}};
  batch.columns.emplace_back(core::DataType::float64());
  expect_names_field(input_error([&] { profiler.consume(batch); }), "kind_overrides",
                     "kind_overrides names column 'zz', which the data does not have");
}

TEST(OptionsValidation, ChiSquaredOnANumericColumnSuggestsTheKind) {
  const auto profile = profile_of_one_column();
  stats::DriftOptions options;
  options.columns["x"].test = stats::DriftTest::kChiSquared;
  const auto error = input_error([&] { (void)stats::compare_profiles(profile, profile, options); });
  EXPECT_EQ(std::string(error.what()),
            "column 'x': the chi-squared test needs a categorical column, but it is numeric (double); declare it "
            "categorical with kind_overrides['x'] = categorical");
  ASSERT_EQ(error.options().size(), 1u);
  EXPECT_EQ(error.options().front().field, "kind_overrides");
  EXPECT_EQ(error.options().front().key, "x");
  EXPECT_EQ(error.options().front().value, "categorical");
}

class TemporaryCsv {
 public:
  explicit TemporaryCsv(const std::string& text)
      : path_(std::filesystem::temp_directory_path() / ("driftgov-options-" + std::to_string(::getpid()) + ".csv")) {
    std::ofstream(path_) << text;
  }
  ~TemporaryCsv() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(OptionsValidation, SourceOptionsNameTheField) {
  const TemporaryCsv csv("a,b\n1,x\n");
  const struct {
    std::function<void(io::SourceOptions&)> set;
    const char* field;
    const char* message;
  } cases[] = {
      {[](auto& o) { o.csv.infer_rows = 0; }, "csv.infer_rows", "csv.infer_rows: expected >= 1, got 0"},
      {[](auto& o) { o.csv.delimiter = '\n'; }, "csv.delimiter",
       "csv.delimiter must not be a line break or a NUL byte, got \"\\n\""},
      {[](auto& o) { o.csv.quote = '\r'; }, "csv.quote", "csv.quote must not be a line break or a NUL byte, got \"\\r\""},
      {[](auto& o) { o.csv.delimiter = '"'; }, "csv.delimiter",
       "csv.delimiter must differ from the quote character, both are \"\\\"\""},
      {[](auto& o) { o.batch_rows = 0; }, "batch_rows", "batch_rows: expected >= 1, got 0"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    io::SourceOptions options;
    c.set(options);
    expect_names_field(input_error([&] { options.validate(); }), c.field, c.message);
    expect_names_field(input_error([&] { (void)io::open_csv(csv.path(), options); }), c.field, c.message);
    expect_names_field(input_error([&] { (void)monitor::profile_location(csv.path(), options, {}, 1); }), c.field,
                       c.message);
  }
}

TEST(OptionsValidation, ThreadsAndTypeOverridesNameTheField) {
  const TemporaryCsv csv("a,b\n1,x\n");
  for (const int threads : {-1, monitor::kMaxThreads + 1}) {
    expect_names_field(input_error([&] { (void)monitor::profile_location(csv.path(), {}, {}, threads); }), "threads",
                       "threads must be from 0 (one per core) to 1024, got " + std::to_string(threads));
  }
  io::SourceOptions options;
  options.type_overrides["zz"] = core::DataType::string();
  expect_names_field(input_error([&] { (void)io::open_csv(csv.path(), options)->next(); }), "type_overrides",
                     csv.path() + ": type_overrides names column 'zz', which is not in the header");
}

}  // namespace
}  // namespace driftgov
