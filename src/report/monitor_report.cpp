#include "driftgov/report/monitor_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/batch_rows.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/monitor/refresh.hpp"
#include "driftgov/monitor/windows.hpp"

namespace driftgov::report {
namespace {

constexpr int kQuantileCount = 21;  // the profile metrics' quantiles: 0, 0.05, ..., 1
constexpr int kHistogramBins = 20;

using Rows = delta::BatchRows;
using delta::RowValue;
using Text = delta::TextColumn;

std::string slice_label(const std::optional<std::string>& key, const std::optional<std::string>& value) {
  if (!key) return "";
  return fmt::format("{} = {}", *key, value.value_or("NULL"));
}

struct DriftRow {
  std::int64_t start = 0, end = 0;
  std::string drift_type, slice, column, data_type, test, level, reason;
  std::optional<double> value, psi, statistic, pvalue, null_delta, share;
  std::optional<bool> drifted, dataset_drift;
};

struct ProfileRow {
  std::int64_t start = 0;
  std::string data_type;
  std::int64_t count = 0, nulls = 0;
  std::optional<std::int64_t> distinct;
  std::vector<double> quantiles;
  std::vector<std::pair<std::string, std::int64_t>> items;
  std::optional<double> quality;
};

// Share of a distribution below `x`, from its 21 quantiles (linear between them; jumps at tied quantiles).
double share_below(const std::vector<double>& q, double x) {
  if (x <= q.front()) return 0.0;
  if (x >= q.back()) return 1.0;
  const double step = 1.0 / (kQuantileCount - 1);
  for (std::size_t i = 0; i + 1 < q.size(); ++i) {
    if (q[i] <= x && x < q[i + 1]) return step * (static_cast<double>(i) + (x - q[i]) / (q[i + 1] - q[i]));
  }
  return 1.0;
}

bool all_null(const ProfileRow* row) { return row != nullptr && row->count > 0 && row->count == row->nulls; }

Distribution distribution_of(const std::string& feature, const ProfileRow* reference, const ProfileRow* current,
                             const std::string& reference_name) {
  Distribution d;
  d.feature = feature;
  if (reference == nullptr || current == nullptr) {
    d.empty_reason = fmt::format("No profile of {} in {}", feature, reference == nullptr ? reference_name
                                                                                          : "the latest window");
    return d;
  }
  if (all_null(reference) || all_null(current)) {
    d.empty_reason = fmt::format("Every value of {} is null in {}: no distribution to draw", feature,
                                 all_null(reference) ? reference_name : "the latest window");
    return d;
  }
  const bool numeric = !reference->quantiles.empty() || !current->quantiles.empty();
  d.numeric = numeric;
  if (numeric) {
    if (reference->quantiles.size() != kQuantileCount || current->quantiles.size() != kQuantileCount) {
      d.empty_reason = fmt::format("{} has no quantiles on one side: no distribution to draw", feature);
      return d;
    }
    // The bins span the 5%..95% quantiles of both sides with a margin, so that a long tail does not squeeze the
    // bulk of the data into one bar; the outer bins then hold the tails (said under the chart).
    const double minimum = std::min(reference->quantiles.front(), current->quantiles.front());
    const double maximum = std::max(reference->quantiles.back(), current->quantiles.back());
    const double p05 = std::min(reference->quantiles[1], current->quantiles[1]);
    const double p95 = std::max(reference->quantiles[19], current->quantiles[19]);
    double low = std::max(minimum, p05 - (p95 - p05) * 0.15);
    double high = std::min(maximum, p95 + (p95 - p05) * 0.15);
    if (!(high > low)) {
      low = minimum;
      high = maximum;
    }
    if (!(high > low)) {
      low -= 0.5;
      high += 0.5;
    }
    if (low > minimum || high < maximum) {
      d.note = fmt::format("The outer bins also hold the values beyond the range shown (from {:.4g} to {:.4g}).",
                           minimum, maximum);
    }
    for (int b = 0; b <= kHistogramBins; ++b) d.edges.push_back(low + (high - low) * b / kHistogramBins);
    for (int b = 0; b < kHistogramBins; ++b) {
      const auto share = [&](const std::vector<double>& q) {
        const double upper = b + 1 == kHistogramBins ? 1.0 : share_below(q, d.edges[b + 1]);
        return upper - (b == 0 ? 0.0 : share_below(q, d.edges[b]));
      };
      d.reference.push_back(share(reference->quantiles));
      d.current.push_back(share(current->quantiles));
    }
    d.quantiles = {{"p05", reference->quantiles[1], current->quantiles[1]},
                   {"median", reference->quantiles[10], current->quantiles[10]},
                   {"p95", reference->quantiles[19], current->quantiles[19]}};
    return d;
  }
  const auto non_null = [](const ProfileRow* row) { return static_cast<double>(std::max<std::int64_t>(1, row->count - row->nulls)); };
  std::map<std::string, std::int64_t> ref_items(reference->items.begin(), reference->items.end());
  std::map<std::string, std::int64_t> cur_items(current->items.begin(), current->items.end());
  // The item lists hold the 10 most frequent values: a category is surely new (or missing) only when the other
  // side's list holds every distinct value.
  const auto complete = [](const ProfileRow* row) {
    return row->distinct && *row->distinct <= static_cast<std::int64_t>(row->items.size());
  };
  for (const auto& item : reference->items) d.labels.push_back(item.first);
  for (const auto& item : current->items) {
    if (!ref_items.count(item.first)) {
      d.labels.push_back(item.first);
      if (complete(reference)) d.new_categories.push_back(item.first);
    }
  }
  for (const auto& item : reference->items) {
    if (!cur_items.count(item.first) && complete(current)) d.missing_categories.push_back(item.first);
  }
  if (d.labels.empty()) {
    d.empty_reason = fmt::format("{} has no frequent items on either side: no distribution to draw", feature);
    return d;
  }
  for (const auto& label : d.labels) {
    const auto r = ref_items.find(label), c = cur_items.find(label);
    d.reference.push_back(r == ref_items.end() ? 0.0 : static_cast<double>(r->second) / non_null(reference));
    d.current.push_back(c == cur_items.end() ? 0.0 : static_cast<double>(c->second) / non_null(current));
  }
  return d;
}

std::string quality_metric(const monitor::MonitorConfig& m) {
  return m.problem_type == monitor::ProblemType::kClassification ? "accuracy_score" : "r2_score";
}

}  // namespace

ReportData monitor_report(const monitor::MonitorConfig& m, const MonitorReportOptions& options) {
  ReportData data;
  data.title = fmt::format("Drift report: monitor {}", m.name);
  data.metric = options.metric;
  data.top_n = options.top_n;
  data.model_id = m.model_id_col.empty() ? "" : options.model_id;
  data.slice = options.slice ? slice_label(options.slice->first, options.slice->second) : "";
  // Granularity.
  std::string granularity;
  std::optional<monitor::Granularity> parsed;
  if (!m.granularities.empty()) {
    std::vector<std::string> names;
    for (const auto& g : m.granularities) names.push_back(g.text);
    if (options.granularity.empty()) {
      parsed = m.granularities.front();
    } else {
      const auto wanted = monitor::parse_granularity(options.granularity, "--granularity");
      for (const auto& g : m.granularities) {
        if (g == wanted) parsed = g;
      }
      if (!parsed) {
        throw core::InputError(fmt::format("--granularity {}: monitor {} has no such granularity (it has: {})",
                                           options.granularity, m.name, fmt::join(names, ", ")));
      }
    }
    granularity = parsed->text;
  } else if (!options.granularity.empty()) {
    throw core::InputError(fmt::format("--granularity {}: monitor {} is a snapshot monitor, without granularities",
                                       options.granularity, m.name));
  }
  const auto drift_table = monitor::drift_metrics_table(m);
  const std::string scope = fmt::format("monitor {}{}{}{}", m.name,
                                        granularity.empty() ? "" : ", granularity " + granularity,
                                        data.slice.empty() ? "" : ", slice " + data.slice,
                                        data.model_id.empty() ? "" : ", model " + data.model_id);
  if (!delta::is_delta_table(drift_table)) {
    data.subtitle = scope;
    data.empty_reason = fmt::format("Monitor {} has no metrics yet: it was never refreshed (run `driftgov monitor "
                                    "run {}` first). No table at {}.",
                                    m.name, m.name, drift_table);
    return data;
  }

  // Drift metrics.
  const auto in_range = [&](std::int64_t start) {
    return (!options.from_us || start >= *options.from_us) && (!options.to_us || start < *options.to_us);
  };
  // The columns that say which group and window a row of the metric and breach tables is about.
  struct GroupColumns {
    delta::WindowColumn window;
    Text granularity, model, slice_key, slice_value, column_name;
    std::string slice(std::int64_t row) const { return slice_label(slice_key.at(row), slice_value.at(row)); }
  };
  const auto group_columns = [&](const Rows& rows) {
    return GroupColumns{rows.column<RowValue::kWindow>("window"), rows.column<RowValue::kText>("granularity"),
                        m.model_id_col.empty() ? Text() : rows.column<RowValue::kText>(m.model_id_col),
                        rows.column<RowValue::kText>("slice_key"), rows.column<RowValue::kText>("slice_value"),
                        rows.column<RowValue::kText>("column_name")};
  };
  const auto group_matches = [&](std::int64_t row, const GroupColumns& group) {
    if (group.granularity.view(row).value_or("") != granularity) return false;
    if (!m.model_id_col.empty() && group.model.view(row).value_or("") != options.model_id) return false;
    return true;
  };
  std::vector<DriftRow> drift_rows;
  std::set<std::string> slices_seen;
  std::map<std::int64_t, std::int64_t> window_ends;
  {
    const auto snapshot = delta::Snapshot::load(drift_table);
    const auto& schema = snapshot.schema().schema;
    const auto metric_field = std::find_if(schema.fields.begin(), schema.fields.end(),
                                           [&](const core::Field& f) { return f.name == options.metric; });
    if (metric_field == schema.fields.end() || metric_field->type.id != core::TypeId::kFloat64) {
      std::vector<std::string> numeric;
      for (const auto& f : schema.fields) {
        if (f.type.id == core::TypeId::kFloat64) numeric.push_back(f.name);
      }
      throw core::InputError(fmt::format("--metric {}: not a numeric column of {} (expected one of: {})",
                                         options.metric, drift_table, fmt::join(numeric, ", ")));
    }
    delta::Scan scan(snapshot, {});
    while (auto batch = scan.next()) {
      const Rows rows(*batch, drift_table);
      const auto group = group_columns(rows);
      const auto drift_type = rows.column<RowValue::kText>("drift_type");
      const auto data_type = rows.column<RowValue::kText>("data_type");
      const auto test = rows.column<RowValue::kText>("drift_test");
      const auto level = rows.column<RowValue::kText>("drift_level");
      const auto reason = rows.column<RowValue::kText>("drift_reason");
      const auto metric = rows.column<RowValue::kReal>(options.metric);
      const auto psi = rows.column<RowValue::kReal>("population_stability_index");
      const auto statistic = rows.column<RowValue::kReal>("drift_statistic");
      const auto pvalue = rows.column<RowValue::kReal>("pvalue_adjusted");
      const auto null_delta = rows.column<RowValue::kReal>("percent_null_delta");
      const auto share = rows.column<RowValue::kReal>("share_of_drifted_columns");
      const auto drifted = rows.column<RowValue::kInteger>("drifted");
      const auto dataset_drift = rows.column<RowValue::kInteger>("dataset_drift");
      for (std::int64_t row = 0; row < batch->num_rows; ++row) {
        if (!group_matches(row, group)) continue;
        const auto w = group.window.at(row);
        if (!w || !in_range(w->first)) continue;
        DriftRow r;
        r.start = w->first;
        r.end = w->second;
        r.drift_type = drift_type.at(row).value_or("");
        r.slice = group.slice(row);
        r.column = group.column_name.at(row).value_or("");
        r.data_type = data_type.at(row).value_or("");
        r.test = test.at(row).value_or("");
        r.level = level.at(row).value_or("");
        r.reason = reason.at(row).value_or("");
        r.value = metric.at(row);
        r.psi = psi.at(row);
        r.statistic = statistic.at(row);
        r.pvalue = pvalue.at(row);
        r.null_delta = null_delta.at(row);
        r.share = share.at(row);
        if (const auto flag = drifted.at(row)) r.drifted = *flag != 0;
        if (const auto flag = dataset_drift.at(row)) r.dataset_drift = *flag != 0;
        slices_seen.insert(r.slice);
        window_ends[r.start] = r.end;
        drift_rows.push_back(std::move(r));
      }
    }
  }
  if (!data.slice.empty() && !slices_seen.count(data.slice)) {
    std::vector<std::string> names;
    for (const auto& s : slices_seen) {
      if (!s.empty()) names.push_back(s);
    }
    throw core::InputError(fmt::format("--slice {}: monitor {} has no such slice in the range (slices: {})", data.slice,
                                       m.name, names.empty() ? "none" : fmt::format("{}", fmt::join(names, "; "))));
  }
  // Windows, with the windows that have no rows between them filled in (they show as "no data").
  for (const auto& entry : window_ends) {
    if (!data.windows.empty() && parsed) {
      monitor::Window cursor{data.windows.back(), window_ends[data.windows.back()]};
      for (int guard = 0; guard < 10000; ++guard) {
        cursor = monitor::next_window(cursor, *parsed, m.zone());
        if (cursor.start >= entry.first) break;
        data.windows.push_back(cursor.start);
      }
    }
    data.windows.push_back(entry.first);
  }
  const auto range_text = data.windows.empty()
                              ? std::string("no window in the range")
                              : fmt::format("windows {} to {} ({})", format_window(data.windows.front()),
                                            format_window(data.windows.back()), data.windows.size());
  data.subtitle = scope + ", " + range_text;
  if (data.windows.empty()) {
    data.empty_reason = fmt::format("Monitor {} has no drift metrics{}{}: {}.", m.name,
                                    granularity.empty() ? "" : " at granularity " + granularity,
                                    options.from_us || options.to_us ? " in the range asked for" : "",
                                    options.from_us || options.to_us ? "widen --from/--to"
                                                                     : "its table has no row with a timestamp yet");
    return data;
  }
  std::map<std::int64_t, std::size_t> window_index;
  for (std::size_t i = 0; i < data.windows.size(); ++i) window_index.emplace(data.windows[i], i);
  const auto n = data.windows.size();

  // Features of the main slice; the other slices keep their own views.
  std::map<std::string, std::size_t> feature_index;
  std::map<std::string, const DriftRow*> latest;  // feature -> latest BASELINE row (CONSECUTIVE when none)
  std::map<std::string, SliceView> slice_views;
  std::map<std::string, std::map<std::string, const DriftRow*>> slice_latest;
  std::map<std::int64_t, WindowVerdict> verdicts;
  const auto newer = [](const DriftRow* old, const DriftRow& candidate) {
    if (old == nullptr) return true;
    const bool old_baseline = old->drift_type == "BASELINE", new_baseline = candidate.drift_type == "BASELINE";
    if (old_baseline != new_baseline) return new_baseline;
    return candidate.start > old->start;
  };
  for (const auto& r : drift_rows) {
    const auto w = window_index.at(r.start);
    if (r.slice != data.slice) {
      auto& view = slice_views[r.slice];
      view.label = r.slice;
      if (view.levels.windows.empty()) {
        view.levels.windows = data.windows;
        view.levels.counts.resize(n);
      }
      if (r.column == ":table") {
        if (r.drift_type == "BASELINE") view.verdicts.push_back({r.start, r.dataset_drift, r.share});
        continue;
      }
      if (r.drift_type == "BASELINE") {
        auto& c = view.levels.counts[w];
        switch (r.level.empty() ? level_of_psi(r.psi) : level_from_text(r.level)) {
          case Level::kNone: ++c.none; break;
          case Level::kModerate: ++c.moderate; break;
          case Level::kHigh: ++c.high; break;
          case Level::kUnknown: ++c.unknown; break;
        }
      }
      auto& slot = slice_latest[r.slice][r.column];
      if (newer(slot, r)) slot = &r;
      continue;
    }
    if (r.column == ":table") {
      if (r.drift_type == "BASELINE") verdicts[r.start] = {r.start, r.dataset_drift, r.share};
      continue;
    }
    auto found = feature_index.find(r.column);
    if (found == feature_index.end()) {
      found = feature_index.emplace(r.column, data.features.size()).first;
      FeatureDetail detail;
      detail.summary.feature = r.column;
      detail.baseline.assign(n, std::nullopt);
      detail.consecutive.assign(n, std::nullopt);
      data.features.push_back(std::move(detail));
    }
    auto& detail = data.features[found->second];
    (r.drift_type == "CONSECUTIVE" ? detail.consecutive : detail.baseline)[w] = r.value;
    auto& slot = latest[r.column];
    if (newer(slot, r)) slot = &r;
  }
  for (const auto& entry : verdicts) data.verdicts.push_back(entry.second);
  const auto summary_of = [](const DriftRow& r) {
    FeatureSummary s;
    s.feature = r.column;
    s.data_type = r.data_type;
    s.test = r.test;
    s.statistic = r.statistic;
    s.pvalue = r.pvalue;
    s.psi = r.psi;
    s.level = r.level.empty() ? level_of_psi(r.psi) : level_from_text(r.level);
    s.null_change = r.null_delta;
    s.drifted = r.drifted.value_or(false);
    if (r.test.empty()) s.note = "not evaluated";
    if (r.drift_type == "CONSECUTIVE") s.note = "no baseline: against the previous window";
    return s;
  };
  for (auto& feature : data.features) feature.summary = summary_of(*latest.at(feature.summary.feature));
  for (auto& entry : slice_views) {
    for (const auto& feature : slice_latest[entry.first]) entry.second.latest.push_back(summary_of(*feature.second));
    std::sort(entry.second.verdicts.begin(), entry.second.verdicts.end(),
              [](const WindowVerdict& a, const WindowVerdict& b) { return a.window < b.window; });
    data.slices.push_back(std::move(entry.second));
  }

  // Breaches.
  const auto breach_table = monitor::breaches_table(m);
  if (delta::is_delta_table(breach_table)) {
    const auto snapshot = delta::Snapshot::load(breach_table);
    delta::Scan scan(snapshot, {});
    while (auto batch = scan.next()) {
      const Rows rows(*batch, breach_table);
      const auto group = group_columns(rows);
      const auto rule = rows.column<RowValue::kText>("rule");
      const auto metric = rows.column<RowValue::kText>("metric");
      const auto drift_type = rows.column<RowValue::kText>("drift_type");
      const auto value = rows.column<RowValue::kReal>("value");
      for (std::int64_t row = 0; row < batch->num_rows; ++row) {
        if (group.granularity.view(row).value_or("") != granularity) continue;
        const auto w = group.window.at(row);
        if (!w || !in_range(w->first)) continue;
        BreachRow b;
        b.window = w->first;
        b.rule = rule.at(row).value_or("");
        b.metric = metric.at(row).value_or("");
        b.drift_type = drift_type.at(row).value_or("");
        b.slice = group.slice(row);
        b.model_id = group.model.at(row).value_or("");
        b.column = group.column_name.at(row).value_or("");
        b.value = value.at(row);
        data.breaches.push_back(std::move(b));
      }
    }
    std::stable_sort(data.breaches.begin(), data.breaches.end(),
                     [](const BreachRow& a, const BreachRow& b) { return a.window < b.window; });
  }

  // Profile metrics: the baseline's and the latest windows' profiles, and model quality.
  const bool labelled = m.profile_type == monitor::ProfileType::kInferenceLog && !m.label_col.empty();
  data.has_quality = labelled;
  data.quality.windows = data.windows;
  if (labelled) {
    data.quality.metric = quality_metric(m);
  } else {
    data.quality.empty_reason =
        m.profile_type == monitor::ProfileType::kInferenceLog
            ? fmt::format("Monitor {} has no label column (label_col): no model quality to show", m.name)
            : fmt::format("Monitor {} is a {} monitor: model quality needs an inference_log monitor with labels",
                          m.name, monitor::to_string(m.profile_type));
  }
  std::map<std::string, ProfileRow> baseline_profiles, latest_profiles, previous_profiles;
  std::map<std::string, std::map<std::int64_t, std::optional<double>>> quality;  // model id -> window -> value
  const auto profile_table = monitor::profile_metrics_table(m);
  if (delta::is_delta_table(profile_table)) {
    const auto snapshot = delta::Snapshot::load(profile_table);
    delta::Scan scan(snapshot, {});
    while (auto batch = scan.next()) {
      const Rows rows(*batch, profile_table);
      const auto group = group_columns(rows);
      const auto* quantiles = rows.find("quantiles");
      const auto* items = rows.find("frequent_items");
      // The frequent items' entries (value, count): the children of the list's struct, the same for every row.
      const auto* entries =
          items != nullptr && items->type.id == core::TypeId::kList ? &items->children.at(0) : nullptr;
      const auto item_value = entries != nullptr
                                  ? Text::resolve(&entries->children.at(0), profile_table, "frequent_items.value")
                                  : Text();
      const auto item_count =
          entries != nullptr
              ? delta::IntegerColumn::resolve(&entries->children.at(1), profile_table, "frequent_items.count")
              : delta::IntegerColumn();
      const auto log_type_column = rows.column<RowValue::kText>("log_type");
      const auto data_type = rows.column<RowValue::kText>("data_type");
      const auto count = rows.column<RowValue::kInteger>("count");
      const auto num_nulls = rows.column<RowValue::kInteger>("num_nulls");
      const auto distinct_count = rows.column<RowValue::kInteger>("distinct_count");
      const auto quality_column =
          labelled ? rows.column<RowValue::kReal>(data.quality.metric) : delta::RealColumn();
      for (std::int64_t row = 0; row < batch->num_rows; ++row) {
        const auto log_type = log_type_column.at(row).value_or("");
        const auto slice = group.slice(row);
        const auto column = group.column_name.at(row).value_or("");
        const auto model = group.model.at(row);
        ProfileRow p;
        p.data_type = data_type.at(row).value_or("");
        p.count = count.at(row).value_or(0);
        p.nulls = num_nulls.at(row).value_or(0);
        p.distinct = distinct_count.at(row);
        p.quality = quality_column.at(row);
        if (quantiles != nullptr && quantiles->is_valid(row)) {
          const auto from = quantiles->offsets[static_cast<std::size_t>(row)];
          const auto to = quantiles->offsets[static_cast<std::size_t>(row) + 1];
          const auto& values = quantiles->children.at(0);
          for (auto i = from; i < to; ++i) {
            if (values.is_valid(i)) p.quantiles.push_back(values.doubles[static_cast<std::size_t>(i)]);
          }
        }
        if (items != nullptr && items->is_valid(row)) {
          const auto from = items->offsets[static_cast<std::size_t>(row)];
          const auto to = items->offsets[static_cast<std::size_t>(row) + 1];
          for (auto i = from; i < to; ++i) {
            p.items.emplace_back(item_value.at(i).value_or("NULL"), item_count.at(i).value_or(0));
          }
        }
        if (log_type == "BASELINE") {
          // A stored baseline profile has only the whole-table slice: it stands for every slice.
          if (slice == data.slice || (slice.empty() && !baseline_profiles.count(column))) {
            baseline_profiles[column] = std::move(p);
          }
          continue;
        }
        if (slice != data.slice || group.granularity.view(row).value_or("") != granularity) continue;
        const auto w = group.window.at(row);
        if (!w || !in_range(w->first)) continue;
        p.start = w->first;
        if (column == ":table") {
          if (labelled) quality[model.value_or("")][p.start] = p.quality;
          continue;
        }
        if (!m.model_id_col.empty() && model.value_or("") != options.model_id) continue;
        auto& slot = latest_profiles[column];
        if (slot.data_type.empty() && slot.count == 0 && slot.start == 0) {
          slot = std::move(p);
        } else if (p.start > slot.start) {
          previous_profiles[column] = std::move(slot);
          slot = std::move(p);
        } else if (!previous_profiles.count(column) || p.start > previous_profiles[column].start) {
          previous_profiles[column] = std::move(p);
        }
      }
    }
  }
  for (auto& feature : data.features) {
    const auto& name = feature.summary.feature;
    const auto base = baseline_profiles.find(name);
    const auto current = latest_profiles.find(name);
    const auto previous = previous_profiles.find(name);
    const bool has_baseline = base != baseline_profiles.end();
    const ProfileRow* reference = has_baseline ? &base->second
                                  : previous != previous_profiles.end() ? &previous->second
                                                                        : nullptr;
    const ProfileRow* now = current != latest_profiles.end() ? &current->second : nullptr;
    feature.distribution =
        distribution_of(name, reference, now, has_baseline ? "the baseline" : "the previous window");
    if (all_null(now) || all_null(reference)) {
      feature.summary.note = feature.distribution.empty_reason;
    }
  }
  if (labelled) {
    const auto base = baseline_profiles.find(":table");
    if (base != baseline_profiles.end()) data.quality.baseline = base->second.quality;
    for (const auto& model : quality) {
      QualitySeries series;
      series.model_id = model.first.empty() ? "all rows" : model.first;
      series.values.assign(n, std::nullopt);
      for (const auto& value : model.second) {
        const auto found = window_index.find(value.first);
        if (found != window_index.end()) series.values[found->second] = value.second;
      }
      data.quality.series.push_back(std::move(series));
    }
  }
  return data;
}

}  // namespace driftgov::report
