#include "driftgov/stats/model_quality.hpp"

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"
#include "stats/json_numbers.hpp"

namespace driftgov::stats {

using core::InputError;
using core::TypeId;

namespace {

constexpr const char* kQualityFormatName = "driftgov.model_quality";
constexpr int kQualityFormatVersion = 1;
// scikit-learn's log_loss clips to [eps, 1 - eps] with eps = np.finfo(float64).eps.
constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

const char* problem_name(QualityProblem problem) {
  return problem == QualityProblem::kClassification ? "classification" : "regression";
}

// The class a value stands for: its value text, but a whole floating-point number as an integer.
std::string class_text(const core::Column& column, std::int64_t row) {
  if (column.type.is_floating()) {
    const double value = column.doubles[static_cast<std::size_t>(row)];
    constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
    if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < kExactIntegers) {
      return fmt::format("{}", static_cast<std::int64_t>(value));
    }
  }
  return core::value_text(column, row);
}

bool holds_numbers(const core::DataType& type) {
  return type.id == TypeId::kBoolean || type.is_integer() || type.is_floating() || type.id == TypeId::kDecimal;
}

// The value of a numeric column (holds_numbers) as a double; decimals correctly rounded from their exact text.
double number_at(const core::Column& column, std::int64_t row) {
  const auto index = static_cast<std::size_t>(row);
  if (column.type.is_floating()) return column.doubles[index];
  if (column.type.id == TypeId::kDecimal) {
    const auto text = core::decimal_to_string(column.decimals[index], column.type.scale);
    double value = 0.0;
    fast_float::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  }
  return static_cast<double>(column.ints[index]);
}

void require_numbers(const core::Column& column, const std::string& context, const char* role) {
  if (!holds_numbers(column.type) && column.type.id != TypeId::kNull) {
    throw InputError(fmt::format("{}: the {} column is {}; expected numbers (integer, floating point or decimal)",
                                 context, role, column.type.to_string()));
  }
}

// A class text read as a number, for sorting: whole numbers exactly, others as doubles.
struct ClassNumber {
  bool is_number = false;
  bool is_integer = false;
  std::int64_t integer = 0;
  double real = 0.0;
};

ClassNumber read_class_number(std::string_view text) {
  ClassNumber number;
  const char* end = text.data() + text.size();
  if (auto [pointer, error] = std::from_chars(text.data(), end, number.integer); error == std::errc() && pointer == end) {
    number.is_number = number.is_integer = true;
    number.real = static_cast<double>(number.integer);
    return number;
  }
  const auto parsed = fast_float::from_chars(text.data(), end, number.real);
  number.is_number = parsed.ec == std::errc() && parsed.ptr == end && !text.empty() && !std::isnan(number.real);
  return number;
}

// Classes in scikit-learn's order (np.unique): numerically when every class is a number, else as text. Numbers
// that compare equal ("1" and "1.0" cannot both occur for floats, but "1" and "1.00" for decimals) keep text order.
std::vector<std::string> sorted_classes(const std::set<std::string>& classes) {
  std::vector<std::string> ordered(classes.begin(), classes.end());
  std::vector<ClassNumber> numbers;
  numbers.reserve(ordered.size());
  for (const auto& text : ordered) {
    numbers.push_back(read_class_number(text));
    if (!numbers.back().is_number) return ordered;  // std::set's order is byte order, as Python sorts str
  }
  std::vector<std::size_t> order(ordered.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = numbers[a];
    const auto& y = numbers[b];
    if (x.is_integer && y.is_integer) return x.integer < y.integer;
    return x.real < y.real;
  });
  std::vector<std::string> result;
  result.reserve(order.size());
  for (const auto index : order) result.push_back(ordered[index]);
  return result;
}

double clipped(double probability) { return std::clamp(probability, kEpsilon, 1.0 - kEpsilon); }

std::size_t bin_of(double probability, std::size_t bins) {
  const auto index = static_cast<std::size_t>(probability * static_cast<double>(bins));
  return std::min(index, bins - 1);
}

// Numbers the classes of a batch: each distinct class text gets a small number, the same in every column numbered.
class BatchClasses {
 public:
  // The class number of each row of `column`, -1 for a null.
  std::vector<std::int32_t> number(const core::Column& column) {
    std::vector<std::int32_t> numbers(static_cast<std::size_t>(column.length), -1);
    std::unordered_map<std::int64_t, std::int32_t> by_integer;
    std::unordered_map<std::string_view, std::int32_t> by_string;
    const bool integers = column.type.is_integer();
    const bool strings = column.type.id == TypeId::kString;
    for (std::int64_t row = 0; row < column.length; ++row) {
      if (!column.is_valid(row)) continue;
      auto& number = numbers[static_cast<std::size_t>(row)];
      if (integers) {
        const auto [slot, added] = by_integer.try_emplace(column.ints[static_cast<std::size_t>(row)], 0);
        if (added) slot->second = of_text(class_text(column, row));
        number = slot->second;
      } else if (strings) {
        const auto [slot, added] = by_string.try_emplace(column.string_at(row), 0);
        if (added) slot->second = of_text(std::string(slot->first));
        number = slot->second;
      } else {
        number = of_text(class_text(column, row));
      }
    }
    return numbers;
  }
  const std::string& text(std::int32_t number) const { return texts_[static_cast<std::size_t>(number)]; }

 private:
  std::int32_t of_text(std::string text) {
    const auto [slot, added] = numbers_.try_emplace(std::move(text), static_cast<std::int32_t>(texts_.size()));
    if (added) texts_.push_back(slot->first);
    return slot->second;
  }
  std::unordered_map<std::string, std::int32_t> numbers_;
  std::vector<std::string> texts_;
};

}  // namespace

// ---------------------------------------------------------------- compensated sums

void ModelQuality::CompensatedSum::add(double value) {
  const double total = sum + value;
  // Neumaier: the low-order bits lost by whichever operand is smaller in magnitude.
  compensation += std::fabs(sum) >= std::fabs(value) ? (sum - total) + value : (value - total) + sum;
  sum = total;
}

void ModelQuality::CompensatedSum::merge(const CompensatedSum& other) {
  add(other.sum);
  compensation += other.compensation;
}

// ---------------------------------------------------------------- adding rows

ModelQuality::ModelQuality(QualityProblem problem, std::size_t max_score_bins, InvalidRows invalid)
    : problem_(problem), max_score_bins_(max_score_bins), invalid_(invalid) {
  if (max_score_bins < 1) throw core::option_error(core::OptionName{"max_score_bins"}, ": expected >= 1, got 0");
}

QualityProblem ModelQuality::problem() const { return problem_; }

void ModelQuality::add(const core::Column& prediction, const core::Column& label, const core::Column* probability,
                       const std::string& context, std::int64_t first_row) {
  DRIFTGOV_CHECK(prediction.length == label.length, "prediction has {} rows, label {}", prediction.length,
                 label.length);
  DRIFTGOV_CHECK(probability == nullptr || probability->length == label.length, "probability has {} rows, label {}",
                 probability->length, label.length);
  if (problem_ == QualityProblem::kClassification) {
    add_classification(prediction, label, probability, context, first_row);
  } else {
    add_regression(prediction, label, context, first_row);
  }
}

void ModelQuality::add_classification(const core::Column& prediction, const core::Column& label,
                                      const core::Column* probability, const std::string& context,
                                      std::int64_t first_row) {
  if (probability != nullptr) require_numbers(*probability, context, "probability");
  // A batch is counted with small class numbers first and folded into the text-keyed state once: class text,
  // map lookups and allocations then cost per distinct class, not per row.
  BatchClasses classes;
  const auto truths = classes.number(label);
  const auto predictions = classes.number(prediction);
  std::unordered_map<std::uint64_t, std::int64_t> pair_rows;
  std::vector<std::pair<double, std::int32_t>> scored;  // (probability or bin, true class) of each scored row
  std::vector<LogLossSums> losses;
  std::int64_t invalid = 0;
  for (std::int64_t row = 0; row < label.length; ++row) {
    const auto truth = truths[static_cast<std::size_t>(row)];
    const auto predicted = predictions[static_cast<std::size_t>(row)];
    if (truth < 0 || predicted < 0) continue;
    const bool scored_row = probability != nullptr && probability->is_valid(row);
    const double p = scored_row ? number_at(*probability, row) : 0.0;
    if (scored_row && !(p >= 0.0 && p <= 1.0)) {
      if (invalid_ == InvalidRows::kSkip) {
        ++invalid;
        continue;
      }
      throw InputError(fmt::format("{}: row {}: the probability column holds {}; expected a probability from 0 to 1",
                                   context, first_row + row + 1, p));
    }
    ++pair_rows[(static_cast<std::uint64_t>(truth) << 32) | static_cast<std::uint32_t>(predicted)];
    if (!scored_row) continue;
    if (losses.size() <= static_cast<std::size_t>(truth)) losses.resize(static_cast<std::size_t>(truth) + 1);
    losses[static_cast<std::size_t>(truth)].as_positive.add(-std::log(clipped(p)));
    losses[static_cast<std::size_t>(truth)].as_negative.add(-std::log(clipped(1.0 - p)));
    scored.emplace_back(p, truth);
  }
  // Nothing above changed the state: a refused batch leaves it as it was.
  invalid_rows_ += invalid;
  for (const auto& [key, rows] : pair_rows) {
    pairs_[{classes.text(static_cast<std::int32_t>(key >> 32)), classes.text(static_cast<std::int32_t>(key & 0xffffffffu))}] +=
        rows;
  }
  for (std::size_t truth = 0; truth < losses.size(); ++truth) {
    if (losses[truth].as_positive.sum == 0.0 && losses[truth].as_negative.sum == 0.0) continue;
    auto& sums = log_loss_sums_[classes.text(static_cast<std::int32_t>(truth))];
    sums.as_positive.merge(losses[truth].as_positive);
    sums.as_negative.merge(losses[truth].as_negative);
  }
  probability_rows_ += static_cast<std::int64_t>(scored.size());
  if (scores_binned_) {
    for (auto& entry : scored) entry.first = static_cast<double>(bin_of(entry.first, max_score_bins_));
  }
  std::sort(scored.begin(), scored.end());
  for (std::size_t i = 0; i < scored.size();) {
    std::size_t j = i;
    while (j < scored.size() && scored[j] == scored[i]) ++j;
    scores_[scored[i].first][classes.text(scored[i].second)] += static_cast<std::int64_t>(j - i);
    i = j;
  }
  if (!scores_binned_ && scores_.size() > max_score_bins_) bin_scores();
}

void ModelQuality::add_regression(const core::Column& prediction, const core::Column& label,
                                  const std::string& context, std::int64_t first_row) {
  require_numbers(prediction, context, "prediction");
  require_numbers(label, context, "label");
  // The batch's own sums, merged once it is all valid: a refused batch leaves the state as it was.
  ModelQuality batch(QualityProblem::kRegression, max_score_bins_, invalid_);
  std::vector<double> labels;
  labels.reserve(static_cast<std::size_t>(label.length));
  for (std::int64_t row = 0; row < label.length; ++row) {
    if (!label.is_valid(row) || !prediction.is_valid(row)) continue;
    const double y = number_at(label, row);
    const double predicted = number_at(prediction, row);
    if (!std::isfinite(y) || !std::isfinite(predicted)) {
      if (invalid_ == InvalidRows::kSkip) {
        ++batch.invalid_rows_;
        continue;
      }
      const bool label_bad = !std::isfinite(y);
      throw InputError(fmt::format("{}: row {}: the {} is {}; expected a finite number", context,
                                   first_row + row + 1, label_bad ? "label" : "prediction",
                                   label_bad ? y : predicted));
    }
    const double error = y - predicted;
    batch.squared_error_.add(error * error);
    batch.absolute_error_.add(std::fabs(error));
    batch.percentage_error_.add(std::fabs(error) / std::max(std::fabs(y), kEpsilon));
    batch.prediction_sum_.add(predicted);
    if (labels.empty()) batch.label_min_ = batch.label_max_ = y;
    batch.label_min_ = std::min(batch.label_min_, y);
    batch.label_max_ = std::max(batch.label_max_, y);
    labels.push_back(y);
  }
  batch.label_moments_.add_block(labels);
  merge(batch);
}

// Exact scores become equal-width bins; the order of scores within one bin is forgotten (see roc_auc_bound).
void ModelQuality::bin_scores() {
  std::map<double, ClassCounts> bins;
  for (const auto& [score, counts] : scores_) {
    auto& bin = bins[static_cast<double>(bin_of(score, max_score_bins_))];
    for (const auto& [truth, rows] : counts) bin[truth] += rows;
  }
  scores_ = std::move(bins);
  scores_binned_ = true;
}

void ModelQuality::merge(const ModelQuality& other) {
  if (other.problem_ != problem_) {
    throw InputError(fmt::format("cannot merge model quality of a {} problem into one of a {} problem",
                                 problem_name(other.problem_), problem_name(problem_)));
  }
  if (other.max_score_bins_ != max_score_bins_) {
    throw InputError(fmt::format("cannot merge model quality with max_score_bins {} into one with max_score_bins {}",
                                 other.max_score_bins_, max_score_bins_));
  }
  invalid_rows_ += other.invalid_rows_;
  for (const auto& [pair, rows] : other.pairs_) pairs_[pair] += rows;
  probability_rows_ += other.probability_rows_;
  for (const auto& [truth, sums] : other.log_loss_sums_) {
    auto& mine = log_loss_sums_[truth];
    mine.as_positive.merge(sums.as_positive);
    mine.as_negative.merge(sums.as_negative);
  }
  if (other.scores_binned_ && !scores_binned_) bin_scores();
  for (const auto& [score, counts] : other.scores_) {
    const double key = scores_binned_ && !other.scores_binned_ ? static_cast<double>(bin_of(score, max_score_bins_))
                                                               : score;
    auto& mine = scores_[key];
    for (const auto& [truth, rows] : counts) mine[truth] += rows;
  }
  if (!scores_binned_ && scores_.size() > max_score_bins_) bin_scores();

  if (other.label_moments_.count > 0) {
    if (label_moments_.count == 0) {
      label_min_ = other.label_min_;
      label_max_ = other.label_max_;
    } else {
      label_min_ = std::min(label_min_, other.label_min_);
      label_max_ = std::max(label_max_, other.label_max_);
    }
  }
  label_moments_.merge(other.label_moments_);
  squared_error_.merge(other.squared_error_);
  absolute_error_.merge(other.absolute_error_);
  percentage_error_.merge(other.percentage_error_);
  prediction_sum_.merge(other.prediction_sum_);
}

// ---------------------------------------------------------------- metrics

QualityMetrics ModelQuality::metrics() const {
  QualityMetrics metrics;
  if (problem_ == QualityProblem::kClassification) {
    fill_classification(metrics);
  } else {
    fill_regression(metrics);
  }
  metrics.invalid_rows = invalid_rows_;
  return metrics;
}

void ModelQuality::fill_classification(QualityMetrics& metrics) const {
  std::set<std::string> class_set;
  std::int64_t rows = 0;
  for (const auto& [pair, count] : pairs_) {
    class_set.insert(pair.first);
    class_set.insert(pair.second);
    rows += count;
  }
  metrics.labelled_rows = rows;
  if (rows == 0) return;
  ConfusionMatrix matrix;
  matrix.classes = sorted_classes(class_set);
  const std::size_t k = matrix.classes.size();
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < k; ++i) index[matrix.classes[i]] = i;
  matrix.counts.assign(k, std::vector<std::int64_t>(k, 0));
  for (const auto& [pair, count] : pairs_) matrix.counts[index[pair.first]][index[pair.second]] += count;

  std::int64_t correct = 0;
  std::vector<double> precision(k), recall(k), f1(k), support(k);
  for (std::size_t c = 0; c < k; ++c) {
    std::int64_t true_sum = 0, predicted_sum = 0;
    for (std::size_t other = 0; other < k; ++other) {
      true_sum += matrix.counts[c][other];
      predicted_sum += matrix.counts[other][c];
    }
    const auto hits = matrix.counts[c][c];
    correct += hits;
    // zero_division: a ratio with a zero denominator is 0 (scikit-learn's default "warn" gives 0 too).
    const auto ratio = [](double numerator, std::int64_t denominator) {
      return denominator == 0 ? 0.0 : numerator / static_cast<double>(denominator);
    };
    precision[c] = ratio(static_cast<double>(hits), predicted_sum);
    recall[c] = ratio(static_cast<double>(hits), true_sum);
    f1[c] = ratio(2.0 * static_cast<double>(hits), true_sum + predicted_sum);
    support[c] = static_cast<double>(true_sum);
  }
  const auto macro = [&](const std::vector<double>& values) {
    double sum = 0.0;
    for (const double value : values) sum += value;
    return sum / static_cast<double>(k);
  };
  const auto weighted = [&](const std::vector<double>& values) {
    double sum = 0.0;
    for (std::size_t c = 0; c < k; ++c) sum += values[c] * support[c];
    return sum / static_cast<double>(rows);
  };
  metrics.accuracy_score = static_cast<double>(correct) / static_cast<double>(rows);
  metrics.precision_macro = macro(precision);
  metrics.precision_weighted = weighted(precision);
  metrics.recall_macro = macro(recall);
  metrics.recall_weighted = weighted(recall);
  metrics.f1_macro = macro(f1);
  metrics.f1_weighted = weighted(f1);

  if (k == 2 && probability_rows_ == rows) {
    const std::string& positive = matrix.classes[1];
    // Log loss: exact scores give an order-independent sum (merge equals the whole bit for bit).
    double loss = 0.0;
    if (scores_binned_) {
      CompensatedSum total;
      for (const auto& [truth, sums] : log_loss_sums_) total.merge(truth == positive ? sums.as_positive : sums.as_negative);
      loss = total.value();
    } else {
      CompensatedSum total;
      for (const auto& [score, counts] : scores_) {
        for (const auto& [truth, count] : counts) {
          const double term = truth == positive ? -std::log(clipped(score)) : -std::log(clipped(1.0 - score));
          total.add(term * static_cast<double>(count));
        }
      }
      loss = total.value();
    }
    metrics.log_loss = loss / static_cast<double>(rows);

    // ROC AUC as the Mann-Whitney statistic: pairs (positive, negative) ordered right count 1, ties 1/2. Counted in
    // halves with 128-bit integers, so the only rounding is the final division.
    __extension__ typedef unsigned __int128 Count;
    Count halves = 0, tied_pairs = 0, negatives_below = 0, positives = 0;
    for (const auto& [score, counts] : scores_) {
      Count here_positive = 0, here_negative = 0;
      for (const auto& [truth, count] : counts) {
        (truth == positive ? here_positive : here_negative) += static_cast<Count>(count);
      }
      halves += 2 * here_positive * negatives_below + here_positive * here_negative;
      tied_pairs += here_positive * here_negative;
      negatives_below += here_negative;
      positives += here_positive;
    }
    if (positives > 0 && negatives_below > 0) {
      const Count pairs = positives * negatives_below;
      metrics.roc_auc = static_cast<double>(halves) / (2.0 * static_cast<double>(pairs));
      if (scores_binned_) metrics.roc_auc_bound = static_cast<double>(tied_pairs) / (2.0 * static_cast<double>(pairs));
    }
  }
  metrics.confusion_matrix = std::move(matrix);
}

void ModelQuality::fill_regression(QualityMetrics& metrics) const {
  const std::int64_t rows = label_moments_.count;
  metrics.labelled_rows = rows;
  if (rows == 0) return;
  const double n = static_cast<double>(rows);
  const double squared = squared_error_.value();
  metrics.mean_squared_error = squared / n;
  metrics.root_mean_squared_error = std::sqrt(squared / n);
  metrics.mean_absolute_error = absolute_error_.value() / n;
  metrics.mean_absolute_percentage_error = percentage_error_.value() / n;
  metrics.mean_prediction = prediction_sum_.value() / n;
  metrics.mean_label = label_moments_.mean;
  if (rows >= 2) {
    // force_finite: a constant label has no variance to explain.
    if (label_min_ == label_max_) {
      metrics.r2_score = squared == 0.0 ? 1.0 : 0.0;
    } else {
      metrics.r2_score = 1.0 - squared / label_moments_.m2;
    }
  }
}

// ---------------------------------------------------------------- JSON

namespace {

nlohmann::json sum_to_json(double sum, double compensation) {
  return nlohmann::json::array({number_to_json(sum), number_to_json(compensation)});
}

double finite_from_json(const nlohmann::json& value, const std::string& context, const std::string& field) {
  const double number = number_from_json(value);
  if (std::isnan(number)) {
    throw InputError(fmt::format("{}: {} must be a number, got {}", context, field, value.dump()));
  }
  return number;
}

}  // namespace

nlohmann::json ModelQuality::to_json() const {
  nlohmann::json json{{"format", kQualityFormatName},
                      {"version", kQualityFormatVersion},
                      {"problem", problem_name(problem_)},
                      {"max_score_bins", max_score_bins_},
                      {"invalid_rows", invalid_rows_}};
  const auto sum_json = [](const CompensatedSum& sum) { return sum_to_json(sum.sum, sum.compensation); };
  if (problem_ == QualityProblem::kClassification) {
    nlohmann::json pairs = nlohmann::json::array();
    for (const auto& [pair, rows] : pairs_) pairs.push_back(nlohmann::json::array({pair.first, pair.second, rows}));
    nlohmann::json scores = nlohmann::json::array();
    for (const auto& [score, counts] : scores_) {
      nlohmann::json classes = nlohmann::json::array();
      for (const auto& [truth, rows] : counts) classes.push_back(nlohmann::json::array({truth, rows}));
      scores.push_back(nlohmann::json::array({score, std::move(classes)}));
    }
    nlohmann::json log_loss = nlohmann::json::array();
    for (const auto& [truth, sums] : log_loss_sums_) {
      log_loss.push_back(nlohmann::json::array({truth, sum_json(sums.as_positive), sum_json(sums.as_negative)}));
    }
    json["pairs"] = std::move(pairs);
    json["scores_binned"] = scores_binned_;
    json["scores"] = std::move(scores);
    json["probability_rows"] = probability_rows_;
    json["log_loss_sums"] = std::move(log_loss);
  } else {
    json["rows"] = label_moments_.count;
    json["squared_error"] = sum_json(squared_error_);
    json["absolute_error"] = sum_json(absolute_error_);
    json["percentage_error"] = sum_json(percentage_error_);
    json["prediction_sum"] = sum_json(prediction_sum_);
    json["label_mean"] = number_to_json(label_moments_.mean);
    json["label_m2"] = number_to_json(label_moments_.m2);
    json["label_min"] = number_to_json(label_min_);
    json["label_max"] = number_to_json(label_max_);
  }
  return json;
}

ModelQuality ModelQuality::from_json(const nlohmann::json& json, const std::string& context, InvalidRows invalid) {
  try {
    if (!json.is_object() || json.value("format", std::string()) != kQualityFormatName) {
      throw InputError(fmt::format("{}: not a driftgov model quality state (expected \"format\": \"{}\")", context,
                                   kQualityFormatName));
    }
    const int version = integer_from_json<int>(json.at("version"), context, "version");
    if (version != kQualityFormatVersion) {
      throw InputError(fmt::format("{}: model quality format version {} is not supported (this driftgov reads "
                                   "version {})", context, version, kQualityFormatVersion));
    }
    const auto problem_text = json.at("problem").get<std::string>();
    QualityProblem problem;
    if (problem_text == "classification") {
      problem = QualityProblem::kClassification;
    } else if (problem_text == "regression") {
      problem = QualityProblem::kRegression;
    } else {
      throw InputError(fmt::format("{}: problem must be \"classification\" or \"regression\", got \"{}\"", context,
                                   problem_text));
    }
    ModelQuality quality(problem, integer_from_json<std::size_t>(json.at("max_score_bins"), context,
                                                                 "max_score_bins", 1),
                         invalid);
    // States written before invalid rows were counted have no such field: none were skipped.
    if (json.contains("invalid_rows")) {
      quality.invalid_rows_ = integer_from_json<std::int64_t>(json.at("invalid_rows"), context, "invalid_rows", 0);
    }
    const auto read_sum = [&](const nlohmann::json& value, const std::string& field) {
      CompensatedSum sum;
      if (!value.is_array() || value.size() != 2) {
        throw InputError(fmt::format("{}: {} must be [sum, compensation]", context, field));
      }
      sum.sum = finite_from_json(value[0], context, field);
      sum.compensation = finite_from_json(value[1], context, field);
      return sum;
    };
    if (problem == QualityProblem::kClassification) {
      std::int64_t rows = 0;
      for (const auto& entry : json.at("pairs")) {
        const auto count = integer_from_json<std::int64_t>(entry.at(2), context, "pairs count", 1);
        if (!quality.pairs_.emplace(std::pair{entry.at(0).get<std::string>(), entry.at(1).get<std::string>()}, count)
                 .second) {
          throw InputError(fmt::format("{}: pairs: ({}, {}) appears twice", context, entry.at(0).dump(),
                                       entry.at(1).dump()));
        }
        rows += count;
      }
      quality.scores_binned_ = json.at("scores_binned").get<bool>();
      std::int64_t scored = 0;
      for (const auto& entry : json.at("scores")) {
        const double score = finite_from_json(entry.at(0), context, "scores score");
        const bool valid = quality.scores_binned_
                               ? score >= 0 && score < static_cast<double>(quality.max_score_bins_) &&
                                     std::trunc(score) == score
                               : score >= 0.0 && score <= 1.0;
        if (!valid || quality.scores_.contains(score)) {
          throw InputError(fmt::format("{}: scores: {} is not a distinct {}", context, score,
                                       quality.scores_binned_ ? "bin index below max_score_bins" : "probability"));
        }
        auto& counts = quality.scores_[score];
        for (const auto& pair : entry.at(1)) {
          const auto count = integer_from_json<std::int64_t>(pair.at(1), context, "scores count", 1);
          counts[pair.at(0).get<std::string>()] += count;
          scored += count;
        }
      }
      quality.probability_rows_ = integer_from_json<std::int64_t>(json.at("probability_rows"), context,
                                                                  "probability_rows", 0, rows);
      if (scored != quality.probability_rows_) {
        throw InputError(fmt::format("{}: scores hold {} rows but probability_rows is {}", context, scored,
                                     quality.probability_rows_));
      }
      for (const auto& entry : json.at("log_loss_sums")) {
        auto& sums = quality.log_loss_sums_[entry.at(0).get<std::string>()];
        sums.as_positive = read_sum(entry.at(1), "log_loss_sums");
        sums.as_negative = read_sum(entry.at(2), "log_loss_sums");
      }
    } else {
      quality.label_moments_.count = integer_from_json<std::int64_t>(json.at("rows"), context, "rows", 0);
      quality.squared_error_ = read_sum(json.at("squared_error"), "squared_error");
      quality.absolute_error_ = read_sum(json.at("absolute_error"), "absolute_error");
      quality.percentage_error_ = read_sum(json.at("percentage_error"), "percentage_error");
      quality.prediction_sum_ = read_sum(json.at("prediction_sum"), "prediction_sum");
      quality.label_moments_.mean = finite_from_json(json.at("label_mean"), context, "label_mean");
      quality.label_moments_.m2 = finite_from_json(json.at("label_m2"), context, "label_m2");
      quality.label_min_ = finite_from_json(json.at("label_min"), context, "label_min");
      quality.label_max_ = finite_from_json(json.at("label_max"), context, "label_max");
      if (quality.label_min_ > quality.label_max_ || quality.label_moments_.m2 < 0) {
        throw InputError(fmt::format("{}: label_min must not exceed label_max and label_m2 must be 0 or more",
                                     context));
      }
    }
    return quality;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(fmt::format("{}: malformed model quality state: {}", context, error.what()));
  }
}

nlohmann::json to_json(const QualityMetrics& metrics) {
  const auto optional = [](const std::optional<double>& value) -> nlohmann::json {
    return value ? number_to_json(*value) : nlohmann::json(nullptr);
  };
  const auto averages = [&](const std::optional<double>& macro, const std::optional<double>& weighted) {
    return nlohmann::json{{"macro", optional(macro)}, {"weighted", optional(weighted)}};
  };
  nlohmann::json matrix = nullptr;
  if (metrics.confusion_matrix) {
    matrix = nlohmann::json{{"classes", metrics.confusion_matrix->classes},
                            {"counts", metrics.confusion_matrix->counts}};
  }
  return nlohmann::json{{"labelled_rows", metrics.labelled_rows},
                        {"invalid_rows", metrics.invalid_rows},
                        {"accuracy_score", optional(metrics.accuracy_score)},
                        {"precision", averages(metrics.precision_macro, metrics.precision_weighted)},
                        {"recall", averages(metrics.recall_macro, metrics.recall_weighted)},
                        {"f1_score", averages(metrics.f1_macro, metrics.f1_weighted)},
                        {"confusion_matrix", std::move(matrix)},
                        {"roc_auc", optional(metrics.roc_auc)},
                        {"roc_auc_bound", optional(metrics.roc_auc_bound)},
                        {"log_loss", optional(metrics.log_loss)},
                        {"mean_squared_error", optional(metrics.mean_squared_error)},
                        {"root_mean_squared_error", optional(metrics.root_mean_squared_error)},
                        {"mean_absolute_error", optional(metrics.mean_absolute_error)},
                        {"mean_absolute_percentage_error", optional(metrics.mean_absolute_percentage_error)},
                        {"r2_score", optional(metrics.r2_score)},
                        {"mean_prediction", optional(metrics.mean_prediction)},
                        {"mean_label", optional(metrics.mean_label)}};
}

}  // namespace driftgov::stats
