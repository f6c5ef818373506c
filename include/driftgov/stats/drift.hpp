#pragma once
// Comparing a reference profile with a current profile: per-column drift metrics, the selected test's verdict
// and the dataset verdict. Field names follow the Databricks Lakehouse Monitoring drift metrics table.
// Defaults and the test-selection rule are documented in docs/statistics.md.
//
// Exactness: when both profiles carry exact samples (comparing raw data within the exact-value limit), KS,
// Wasserstein, quantiles and numeric bins are exact. Otherwise they come from the quantile sketches and the
// result says so ("method": "sketch") with its bound: KS statistic within e_ref + e_cur; bin proportions within
// 2 * e of each side; Wasserstein within (e_ref + e_cur) * (max - min) of the union.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "driftgov/stats/distances.hpp"
#include "driftgov/stats/profile.hpp"

namespace driftgov::stats {

inline constexpr int kDriftResultFormatVersion = 2;
inline constexpr const char* kDriftResultFormatName = "driftgov.drift_result";

enum class DriftTest {
  kAuto,  // choose by column kind and reference size (docs/statistics.md, "Test selection")
  kKs,
  kChiSquared,
  kPsi,
  kWasserstein,  // on wasserstein_normed
  kJensenShannon,
  kHellinger,
  kKl,
  kTotalVariation,
  kLInfinity,
};
const char* metric_name(DriftTest test);  // "ks_test", "population_stability_index", ...
DriftTest drift_test_from_string(const std::string& text, const std::string& context);
// Every accepted test name: "auto, ks (ks_test), chi2 (chi_squared, chisquare, chi_squared_test), ...".
std::string drift_test_names();
bool is_hypothesis_test(DriftTest test);

enum class Correction { kNone, kBonferroni, kBenjaminiHochberg };
Correction correction_from_string(const std::string& text, const std::string& context);
const char* to_string(Correction correction);

struct ColumnDriftOptions {
  std::optional<DriftTest> test;
  std::optional<double> threshold;  // alpha for hypothesis tests, distance threshold otherwise
  std::optional<int> bins;
};

struct DriftOptions {
  // Test for every column whose kind it suits (ks and wasserstein: numeric; chi-squared: categorical; the
  // distances: both); other columns keep the automatic choice. A per-column test in `columns` wins.
  std::optional<DriftTest> test;
  int bins = 10;                       // numeric bins at reference quantiles
  double proportion_floor = 1e-4;      // PSI and KL: empty-bin proportions raised to this
  double alpha = 0.05;                 // hypothesis tests: drifted when p < alpha (after correction)
  std::map<DriftTest, double> distance_thresholds = {
      {DriftTest::kPsi, 0.1},          {DriftTest::kWasserstein, 0.1}, {DriftTest::kJensenShannon, 0.1},
      {DriftTest::kHellinger, 0.1},    {DriftTest::kKl, 0.1},          {DriftTest::kTotalVariation, 0.1},
      {DriftTest::kLInfinity, 0.1}};
  std::int64_t small_sample_limit = 1000;  // auto: hypothesis tests up to this many reference values
  double wasserstein_std_floor = 0.001;    // wasserstein_normed divides by max(reference std, floor)
  std::size_t max_category_bins = 100;     // top reference categories with a bin of their own
  double drift_share = 0.5;                // dataset drift when the drifted share >= this
  // Null-rate rule: a column drifts when the two-proportion z-test of its null rates gives p < alpha (after
  // correction) and the null rate moved by at least this many percentage points.
  bool null_rate_test = true;
  double null_rate_min_change = 1.0;
  // Benjamini-Hochberg over every p-value of the run (distribution and null-rate tests); docs/statistics.md.
  Correction correction = Correction::kBenjaminiHochberg;
  // Date and timestamp columns are reported with their range but not drift-tested unless this is set.
  bool test_time_columns = false;
  std::vector<double> quantiles = {0.05, 0.25, 0.5, 0.75, 0.95};
  // KS p-values of statistics taken from sketches: scipy's 'auto' method (exact for up to 10000 values a side,
  // O(n * m)) when set, the asymptotic distribution (O(1)) otherwise. Monitors compare thousands of sketched
  // windows and use the asymptotic one (docs/statistics.md); raw-data statistics are always scipy's 'auto'.
  bool exact_sketch_ks_pvalue = true;
  std::map<std::string, ColumnDriftOptions> columns;

  static constexpr int kMinBins = 2;
  static constexpr int kMaxBins = 10000;
  // Throws core::InputError naming the offending field (core::OptionName) and the accepted range.
  // compare_profiles calls it first.
  void validate() const;
};

struct Bins {
  std::vector<double> edges;          // numeric: inner edges; bin i holds (edges[i-1], edges[i]]
  std::vector<std::string> labels;    // categorical: one label per bin
  std::vector<double> reference_count;  // exact counts, or count estimates from sketches
  std::vector<double> current_count;
  std::vector<double> reference_proportion;
  std::vector<double> current_proportion;
};

struct TestOutcome {
  std::string name;  // metric name of the test
  double statistic = 0.0;
  std::optional<double> pvalue;
  std::optional<double> pvalue_adjusted;
  double threshold = 0.0;
  bool drifted = false;
  // Sketched statistics only: the verdict could change within the statistic's stated bound (the bound straddles
  // the threshold, or for KS the p-values at the ends of the bound straddle alpha). Compare raw data for an
  // exact verdict.
  bool borderline = false;
  // Sketched statistics with a stated bound: the statistic's range, and for KS the p-values at its ends.
  std::optional<std::pair<double, double>> statistic_range, pvalue_range;
};

// Two-proportion z-test of the null rates (pooled variance, two-sided), as statsmodels' proportions_ztest.
struct NullRateOutcome {
  double statistic = 0.0;  // z, positive when the current data has more nulls
  double pvalue = 1.0;
  std::optional<double> pvalue_adjusted;
  double change = 0.0;      // percentage points, current - reference
  double min_change = 0.0;  // percentage points the change must reach
  bool drifted = false;
};
NullRateOutcome null_rate_ztest(std::int64_t reference_nulls, std::int64_t reference_rows, std::int64_t current_nulls,
                                std::int64_t current_rows);

struct ColumnDrift {
  std::string column_name;
  std::string data_type;
  core::DataType type;
  ColumnKind kind = ColumnKind::kNumeric;
  bool evaluated = false;  // the distribution test ran
  std::string reason;      // why the distribution test did not run
  bool time_column = false;  // a date or timestamp column left out of the tests (reason says so)
  bool exact = true;       // false when any statistic came from a sketch
  std::optional<TestOutcome> test;
  // Absent when a side has no rows, when neither side has a null (nothing to test), or when disabled.
  std::optional<NullRateOutcome> null_rate;
  bool drifted = false;      // the distribution test or the null-rate test fired
  std::string drift_reason;  // none | distribution | null_rate | both
  std::optional<double> min_value, max_value;  // numeric columns: the range over both sides
  std::string drift_level;  // none | moderate | high (from PSI)

  std::int64_t reference_count = 0;
  std::int64_t current_count = 0;
  double percent_null_reference = 0.0;
  double percent_null_current = 0.0;
  std::optional<double> avg_reference, avg_current, stddev_reference, stddev_current;
  struct QuantileDelta {
    double q, reference, current;
  };
  std::vector<QuantileDelta> quantile_deltas;

  std::map<std::string, double> metrics;  // population_stability_index, js_distance, ...
  std::optional<double> ks_statistic, ks_pvalue, ks_statistic_bound;
  std::string ks_method;
  std::optional<double> wasserstein_bound, wasserstein_normed_bound;
  std::optional<ChiSquaredResult> chi_squared;
  Bins bins;
  std::vector<std::string> new_categories, missing_categories;
  std::int64_t new_category_count = 0, missing_category_count = 0;
};

struct DriftReport {
  std::string reference_source, current_source;
  // When a side is a stored profile, its source is the profile file and built_from what the profile was built from.
  std::string reference_built_from, current_built_from;
  std::int64_t reference_rows = 0, current_rows = 0;
  std::vector<ColumnDrift> columns;
  std::int64_t evaluated_columns = 0;
  std::int64_t drifted_columns = 0;
  std::int64_t tests_run = 0;  // p-values in the correction family
  double share_of_drifted_columns = 0.0;
  bool dataset_drift = false;
  std::string undecided_reason;  // set when no column was evaluated: why there is no verdict
  DriftOptions options;
};

// Compares columns present in both profiles, in the reference's order, restricted to `columns` when not empty.
// Throws core::InputError when `options` are out of range (DriftOptions::validate), when a requested column is missing on one side or its kind differs between the sides.
DriftReport compare_profiles(const DatasetProfile& reference, const DatasetProfile& current,
                             const DriftOptions& options, const std::vector<std::string>& columns = {});

// Sets the threshold of the test chosen for every column (`options.test`): alpha for a hypothesis test, its distance
// threshold otherwise, as a front end's bare threshold option does. Throws core::InputError naming the options
// "threshold" and "test" when no test was chosen.
void set_test_threshold(DriftOptions& options, double threshold);

// The columns to compare as compare_profiles takes them: `columns` (empty: every column), less `exclude`. Throws
// core::InputError naming the option "exclude" when an excluded column is on neither side or nothing is left.
std::vector<std::string> compared_columns(const DatasetProfile& reference, const DatasetProfile& current,
                                          const std::vector<std::string>& columns,
                                          const std::vector<std::string>& exclude);

nlohmann::json to_json(const DriftReport& report);
const char* psi_level(double psi);

}  // namespace driftgov::stats
