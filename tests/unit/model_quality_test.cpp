// Model quality: hand-derived metrics, merge(quality(A), quality(B)) == quality(A u B), the exact JSON round trip,
// and the errors for bad input. The comparison with scikit-learn is tests/python/test_quality.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/stats/model_quality.hpp"

namespace driftgov::stats {
namespace {

struct Log {
  core::Column prediction{core::DataType::int64()};
  core::Column label{core::DataType::int64()};
  core::Column probability{core::DataType::float64()};
};

Log classification_log(const std::vector<std::int64_t>& labels, const std::vector<std::int64_t>& predictions,
                       const std::vector<double>& probabilities) {
  Log log;
  for (const auto value : labels) log.label.append_int(value);
  for (const auto value : predictions) log.prediction.append_int(value);
  for (const auto value : probabilities) log.probability.append_double(value);
  return log;
}

// Rows [begin, end) of a column, as a new column of the same type.
core::Column slice(const core::Column& column, std::int64_t begin, std::int64_t end) {
  core::Column part(column.type);
  for (std::int64_t row = begin; row < end; ++row) {
    if (!column.is_valid(row)) {
      part.append_null();
    } else if (column.type.is_floating()) {
      part.append_double(column.doubles[static_cast<std::size_t>(row)]);
    } else {
      part.append_int(column.ints[static_cast<std::size_t>(row)]);
    }
  }
  return part;
}

Log random_log(std::mt19937_64& rng, std::int64_t rows, int classes, bool float_labels) {
  Log log;
  if (float_labels) log.label = core::Column(core::DataType::float64());
  std::uniform_int_distribution<int> class_of(0, classes - 1);
  std::uniform_int_distribution<int> tenth(0, 10);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::int64_t row = 0; row < rows; ++row) {
    const int truth = class_of(rng);
    if (tenth(rng) == 0) {
      log.label.append_null();
    } else if (float_labels) {
      log.label.append_double(truth);
    } else {
      log.label.append_int(truth);
    }
    log.prediction.append_int(tenth(rng) < 7 ? truth : class_of(rng));
    // Two decimals: many ties.
    log.probability.append_double(std::round(std::clamp(unit(rng) * 0.7 + 0.3 * truth, 0.0, 1.0) * 100) / 100);
  }
  return log;
}

ModelQuality whole_and_merged(const Log& log, QualityProblem problem, std::size_t bins, std::mt19937_64& rng,
                              ModelQuality& merged) {
  ModelQuality whole(problem, bins);
  whole.add(log.prediction, log.label, problem == QualityProblem::kClassification ? &log.probability : nullptr, "log");
  std::vector<std::int64_t> cuts{0, log.label.length};
  std::uniform_int_distribution<std::int64_t> cut(0, log.label.length);
  for (int i = 0; i < 5; ++i) cuts.push_back(cut(rng));
  std::sort(cuts.begin(), cuts.end());
  std::vector<ModelQuality> parts;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    parts.emplace_back(problem, bins);
    const bool scored = problem == QualityProblem::kClassification;
    const auto probability = scored ? slice(log.probability, cuts[i], cuts[i + 1]) : core::Column();
    parts.back().add(slice(log.prediction, cuts[i], cuts[i + 1]), slice(log.label, cuts[i], cuts[i + 1]),
                     scored ? &probability : nullptr, "part", cuts[i]);
  }
  std::shuffle(parts.begin(), parts.end(), rng);
  for (const auto& part : parts) merged.merge(part);
  return whole;
}

TEST(ModelQuality, BinaryMetricsDerivedByHand) {
  const auto log = classification_log({0, 0, 1, 1}, {0, 1, 1, 1}, {0.1, 0.4, 0.35, 0.8});
  ModelQuality quality(QualityProblem::kClassification);
  quality.add(log.prediction, log.label, &log.probability, "log");
  const auto metrics = quality.metrics();
  EXPECT_EQ(metrics.labelled_rows, 4);
  EXPECT_DOUBLE_EQ(*metrics.accuracy_score, 0.75);
  EXPECT_DOUBLE_EQ(*metrics.precision_macro, (1.0 + 2.0 / 3.0) / 2);  // class 0: 1/1, class 1: 2/3
  EXPECT_DOUBLE_EQ(*metrics.precision_weighted, (1.0 * 2 + 2.0 / 3.0 * 2) / 4);
  EXPECT_DOUBLE_EQ(*metrics.recall_macro, (0.5 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(*metrics.f1_macro, (2.0 / 3.0 + 0.8) / 2);  // 2tp / (2tp + fp + fn): 2/3 and 4/5
  EXPECT_DOUBLE_EQ(*metrics.roc_auc, 0.75);  // positives 0.35, 0.8 against negatives 0.1, 0.4: 3 of 4 pairs
  EXPECT_FALSE(metrics.roc_auc_bound);
  EXPECT_DOUBLE_EQ(*metrics.log_loss, -(std::log(0.9) + std::log(0.6) + std::log(0.35) + std::log(0.8)) / 4);
  ASSERT_TRUE(metrics.confusion_matrix);
  EXPECT_EQ(metrics.confusion_matrix->classes, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(metrics.confusion_matrix->counts, (std::vector<std::vector<std::int64_t>>{{1, 1}, {0, 2}}));
  EXPECT_FALSE(metrics.mean_squared_error);
}

TEST(ModelQuality, ClassesSortNumericallyAndTiesCountHalf) {
  // Classes 10 and 9: numeric order puts 10 last, so it is the positive class. Every score ties: AUC 0.5.
  const auto log = classification_log({10, 9, 10, 9}, {10, 10, 9, 9}, {0.5, 0.5, 0.5, 0.5});
  ModelQuality quality(QualityProblem::kClassification);
  quality.add(log.prediction, log.label, &log.probability, "log");
  const auto metrics = quality.metrics();
  EXPECT_EQ(metrics.confusion_matrix->classes, (std::vector<std::string>{"9", "10"}));
  EXPECT_EQ(*metrics.roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(*metrics.log_loss, std::log(2.0));
}

TEST(ModelQuality, RegressionDerivedByHand) {
  core::Column label(core::DataType::float64()), prediction(core::DataType::float64());
  for (const double y : {0.0, 2.0, 4.0}) label.append_double(y);
  for (const double p : {1.0, 2.0, 2.0}) prediction.append_double(p);
  ModelQuality quality(QualityProblem::kRegression);
  quality.add(prediction, label, nullptr, "log");
  const auto metrics = quality.metrics();
  EXPECT_DOUBLE_EQ(*metrics.mean_squared_error, 5.0 / 3);
  EXPECT_DOUBLE_EQ(*metrics.root_mean_squared_error, std::sqrt(5.0 / 3));
  EXPECT_DOUBLE_EQ(*metrics.mean_absolute_error, 1.0);
  // |0 - 1| / eps dominates: scikit-learn's denominator max(|y|, eps).
  EXPECT_DOUBLE_EQ(*metrics.mean_absolute_percentage_error, (1.0 / 0x1p-52 + 0.0 + 0.5) / 3);
  EXPECT_DOUBLE_EQ(*metrics.r2_score, 1.0 - 5.0 / 8.0);  // SS_tot = 4 + 0 + 4
  EXPECT_DOUBLE_EQ(*metrics.mean_prediction, 5.0 / 3);
  EXPECT_DOUBLE_EQ(*metrics.mean_label, 2.0);
  EXPECT_FALSE(metrics.accuracy_score);
}

TEST(ModelQuality, EmptyStateHasNoMetrics) {
  for (const auto problem : {QualityProblem::kClassification, QualityProblem::kRegression}) {
    const auto metrics = ModelQuality(problem).metrics();
    EXPECT_EQ(metrics.labelled_rows, 0);
    EXPECT_FALSE(metrics.accuracy_score || metrics.mean_squared_error || metrics.confusion_matrix);
  }
}

TEST(ModelQuality, MergeOfRandomSplitsEqualsTheWholeForClassification) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 40; ++trial) {
    const int classes = 2 + trial % 3;
    // Few bins in every fourth trial: the binned ROC AUC must merge exactly too.
    const std::size_t bins = trial % 4 == 3 ? 16 : ModelQuality::kDefaultMaxScoreBins;
    const auto log = random_log(rng, 1 + trial * 97, classes, trial % 2 == 1);
    ModelQuality merged(QualityProblem::kClassification, bins);
    const auto whole = whole_and_merged(log, QualityProblem::kClassification, bins, rng, merged);
    const auto expected = whole.metrics();
    const auto actual = merged.metrics();
    SCOPED_TRACE(trial);
    EXPECT_EQ(actual.labelled_rows, expected.labelled_rows);
    EXPECT_EQ(actual.confusion_matrix->classes, expected.confusion_matrix->classes);
    EXPECT_EQ(actual.confusion_matrix->counts, expected.confusion_matrix->counts);
    for (const auto member : {&QualityMetrics::accuracy_score, &QualityMetrics::precision_macro,
                              &QualityMetrics::precision_weighted, &QualityMetrics::recall_macro,
                              &QualityMetrics::recall_weighted, &QualityMetrics::f1_macro,
                              &QualityMetrics::f1_weighted, &QualityMetrics::roc_auc, &QualityMetrics::roc_auc_bound}) {
      EXPECT_EQ(actual.*member, expected.*member);
    }
    if (trial > 0) {  // trial 0 has one row: a single class
      EXPECT_EQ(expected.roc_auc.has_value(), classes == 2);
      EXPECT_EQ(expected.roc_auc_bound.has_value(), classes == 2 && bins == 16);
    }
    if (bins == 16) {
      ASSERT_EQ(actual.log_loss.has_value(), expected.log_loss.has_value());
      if (expected.log_loss) {
        EXPECT_NEAR(*actual.log_loss, *expected.log_loss, 1e-14 * *expected.log_loss);
      }
    } else {
      EXPECT_EQ(actual.log_loss, expected.log_loss);  // exact scores: bit for bit
    }
  }
}

TEST(ModelQuality, MergeOfRandomSplitsEqualsTheWholeForRegression) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(100.0, 30.0);
  for (int trial = 0; trial < 30; ++trial) {
    Log log;
    log.label = core::Column(core::DataType::float64());
    log.prediction = core::Column(core::DataType::float64());
    for (int row = 0; row < 2 + trial * 131; ++row) {
      const double y = normal(rng);
      row % 9 == 4 ? log.label.append_null() : log.label.append_double(y);
      log.prediction.append_double(y + normal(rng) / 10 - 10);
    }
    ModelQuality merged(QualityProblem::kRegression);
    const auto whole = whole_and_merged(log, QualityProblem::kRegression, ModelQuality::kDefaultMaxScoreBins, rng,
                                        merged);
    const auto expected = whole.metrics();
    const auto actual = merged.metrics();
    SCOPED_TRACE(trial);
    EXPECT_EQ(actual.labelled_rows, expected.labelled_rows);
    for (const auto member : {&QualityMetrics::mean_squared_error, &QualityMetrics::root_mean_squared_error,
                              &QualityMetrics::mean_absolute_error, &QualityMetrics::mean_absolute_percentage_error,
                              &QualityMetrics::r2_score, &QualityMetrics::mean_prediction, &QualityMetrics::mean_label}) {
      ASSERT_EQ((actual.*member).has_value(), (expected.*member).has_value());
      if (expected.*member) {
        EXPECT_NEAR(*(actual.*member), *(expected.*member), 1e-13 * std::fabs(*(expected.*member)));
      }
    }
  }
}

TEST(ModelQuality, JsonRoundTripKeepsTheMetricsBitForBit) {
  std::mt19937_64 rng(3);
  for (const std::size_t bins : {std::size_t{8}, ModelQuality::kDefaultMaxScoreBins}) {
    for (const auto problem : {QualityProblem::kClassification, QualityProblem::kRegression}) {
      auto log = random_log(rng, 5000, 2, false);
      if (problem == QualityProblem::kRegression) {
        log.prediction = log.probability;  // awkward doubles: the sums' low bits must survive
        log.label = slice(log.probability, 0, log.probability.length);
        std::uniform_real_distribution<double> noise(-0.1, 0.1);
        for (auto& value : log.label.doubles) value += noise(rng);
      }
      ModelQuality quality(problem, bins);
      quality.add(log.prediction, log.label, problem == QualityProblem::kClassification ? &log.probability : nullptr,
                  "log");
      const auto text = quality.to_json().dump();
      const auto restored = ModelQuality::from_json(nlohmann::json::parse(text), "state.json");
      EXPECT_EQ(restored.to_json().dump(), text);
      const auto a = quality.metrics();
      const auto b = restored.metrics();
      for (const auto member : {&QualityMetrics::accuracy_score, &QualityMetrics::f1_weighted, &QualityMetrics::roc_auc,
                                &QualityMetrics::roc_auc_bound, &QualityMetrics::log_loss,
                                &QualityMetrics::mean_squared_error, &QualityMetrics::mean_absolute_percentage_error,
                                &QualityMetrics::r2_score, &QualityMetrics::mean_prediction}) {
        EXPECT_EQ(a.*member, b.*member);
      }
      EXPECT_EQ(to_json(a).dump(), to_json(b).dump());
    }
  }
}

template <typename Action>
std::string input_error_of(Action action) {
  try {
    action();
  } catch (const core::InputError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ModelQuality, SkippedInvalidRowsAreCountedMergedAndStored) {
  // Regression: rows 2 (NaN label) and 4 (infinite prediction) are left out; the rest is the hand-derived case.
  core::Column label(core::DataType::float64()), prediction(core::DataType::float64());
  for (const double y : {0.0, std::nan(""), 2.0, 7.0, 4.0}) label.append_double(y);
  for (const double p : {1.0, 3.0, 2.0, std::numeric_limits<double>::infinity(), 2.0}) prediction.append_double(p);
  ModelQuality regression(QualityProblem::kRegression, ModelQuality::kDefaultMaxScoreBins, InvalidRows::kSkip);
  regression.add(prediction, label, nullptr, "log");
  auto metrics = regression.metrics();
  EXPECT_EQ(metrics.invalid_rows, 2);
  EXPECT_EQ(metrics.labelled_rows, 3);
  EXPECT_DOUBLE_EQ(*metrics.mean_squared_error, 5.0 / 3);
  EXPECT_DOUBLE_EQ(*metrics.r2_score, 1.0 - 5.0 / 8.0);
  // Stored and read back (the monitor's state), then merged with itself: the count adds up.
  auto restored = ModelQuality::from_json(regression.to_json(), "state", InvalidRows::kSkip);
  EXPECT_EQ(restored.metrics().invalid_rows, 2);
  restored.merge(regression);
  EXPECT_EQ(restored.metrics().invalid_rows, 4);
  EXPECT_EQ(restored.metrics().labelled_rows, 6);

  // Classification: a probability of 1.5 or NaN leaves its row out of every metric, accuracy included.
  const auto log = classification_log({0, 1, 1, 0}, {0, 1, 0, 1}, {0.2, 0.9, 1.5, std::nan("")});
  ModelQuality quality(QualityProblem::kClassification, ModelQuality::kDefaultMaxScoreBins, InvalidRows::kSkip);
  quality.add(log.prediction, log.label, &log.probability, "log");
  metrics = quality.metrics();
  EXPECT_EQ(metrics.invalid_rows, 2);
  EXPECT_EQ(metrics.labelled_rows, 2);
  EXPECT_DOUBLE_EQ(*metrics.accuracy_score, 1.0);
  EXPECT_DOUBLE_EQ(*metrics.roc_auc, 1.0);
}

TEST(ModelQuality, BadInputIsRefusedWithItsPlace) {
  const auto log = classification_log({0, 1, 1}, {0, 1, 0}, {0.2, 0.9, 1.5});
  ModelQuality quality(QualityProblem::kClassification);
  EXPECT_EQ(input_error_of([&] { quality.add(log.prediction, log.label, &log.probability, "log.csv", 100); }),
            "log.csv: row 103: the probability column holds 1.5; expected a probability from 0 to 1");

  core::Column text(core::DataType::string());
  for (const auto* value : {"a", "b", "c"}) text.append_string(value);
  ModelQuality regression(QualityProblem::kRegression);
  EXPECT_EQ(input_error_of([&] { regression.add(text, log.label, nullptr, "log.csv"); }),
            "log.csv: the prediction column is string; expected numbers (integer, floating point or decimal)");
  core::Column not_finite(core::DataType::float64());
  for (const double value : {1.0, std::nan(""), 2.0}) not_finite.append_double(value);
  EXPECT_EQ(input_error_of([&] { regression.add(log.prediction, not_finite, nullptr, "log.csv"); }),
            "log.csv: row 2: the label is nan; expected a finite number");
  // A refused batch leaves nothing behind.
  EXPECT_EQ(quality.metrics().labelled_rows, 0);
  EXPECT_EQ(regression.metrics().labelled_rows, 0);

  EXPECT_EQ(input_error_of([&] { quality.merge(regression); }),
            "cannot merge model quality of a regression problem into one of a classification problem");
  EXPECT_EQ(input_error_of([&] { quality.merge(ModelQuality(QualityProblem::kClassification, 10)); }),
            "cannot merge model quality with max_score_bins 10 into one with max_score_bins 65536");

  const auto state = ModelQuality(QualityProblem::kClassification).to_json();
  auto broken = state;
  broken["format"] = "driftgov.profile";
  EXPECT_EQ(input_error_of([&] { ModelQuality::from_json(broken, "q.json"); }),
            "q.json: not a driftgov model quality state (expected \"format\": \"driftgov.model_quality\")");
  broken = state;
  broken["pairs"] = nlohmann::json::array({nlohmann::json::array({"0", "1", -4})});
  EXPECT_NE(input_error_of([&] { ModelQuality::from_json(broken, "q.json"); }).find("q.json: pairs count"),
            std::string::npos);
  broken = state;
  broken["scores"] = nlohmann::json::array({nlohmann::json::array({1.5, nlohmann::json::array()})});
  EXPECT_EQ(input_error_of([&] { ModelQuality::from_json(broken, "q.json"); }),
            "q.json: scores: 1.5 is not a distinct probability");
  broken = state;
  broken.erase("probability_rows");
  EXPECT_NE(input_error_of([&] { ModelQuality::from_json(broken, "q.json"); }).find("q.json: malformed"),
            std::string::npos);
}

}  // namespace
}  // namespace driftgov::stats
