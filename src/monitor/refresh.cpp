#include "driftgov/monitor/refresh.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>

#include "driftgov/core/value_text.hpp"
#include "driftgov/delta/batch_rows.hpp"
#include "driftgov/delta/predicate.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/schema.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/model_quality.hpp"
#include "driftgov/stats/profile.hpp"
#include "monitor/metric_rows.hpp"

namespace driftgov::monitor {
namespace {

constexpr const char* kOther = "__other__";
constexpr const char* kAllModels = "*";
constexpr std::size_t kTopSliceValues = 100;
constexpr int kQuantileCount = 21;  // quantiles at 0, 0.05, ..., 1

std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

std::string new_refresh_id() {
  std::random_device device;
  std::mt19937_64 random(static_cast<std::uint64_t>(device()) << 32 ^ device() ^
                         static_cast<std::uint64_t>(system_now_us()));
  const auto a = random(), b = random();
  // A version-4 UUID.
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

// The literal of an instant in the predicate language (UTC wall time of a UTC-adjusted timestamp column).
std::string timestamp_literal(std::int64_t instant_us) {
  core::TimestampLayout layout;
  layout.separator = ' ';
  layout.zone_suffix = false;
  layout.always_fraction = true;
  return "TIMESTAMP '" + core::timestamp_text(instant_us, core::TimeUnit::kMicro, true, layout) + "'";
}

// ---------------------------------------------------------------------------------------------------------------
// Group keys and state

struct GroupKey {
  std::int64_t window_start = 0;  // finest window (INPUT); 0 for BASELINE
  std::optional<std::string> slice_key, slice_value;
  std::optional<std::string> model;  // the model id's value text; nullopt for a null model id (or no model column)
  friend auto operator<=>(const GroupKey&, const GroupKey&) = default;
};

struct GroupState {
  std::int64_t window_end = 0;
  stats::DatasetProfile profile;
  std::optional<stats::ModelQuality> quality;
};

using StateMap = std::map<GroupKey, GroupState>;

void merge_into(GroupState& into, const GroupState& from) {
  into.profile.merge(from.profile);
  if (from.quality) {
    if (into.quality) into.quality->merge(*from.quality);
    else into.quality = from.quality;
  }
}

// One way of cutting rows into slices: the whole table, a column's values or a predicate's truth.
struct Partition {
  std::optional<std::string> key;  // nullopt: the whole table
  std::string column;              // column slices
  std::optional<delta::Predicate> predicate;
};

struct Plan {
  const Config* config = nullptr;
  const MonitorConfig* monitor = nullptr;
  std::vector<Granularity> granularities;  // finest first
  Granularity finest;
  std::vector<std::string> monitored;  // profiled columns, in table order
  std::vector<Partition> partitions;   // every slicing expression, plus the whole table when no column slice
  int covering = -1;                   // a column partition whose values cover every row (gives the whole table)
  bool has_quality = false;
  std::vector<std::string> scan_columns;
  stats::ProfileOptions profile_options;
  std::string app_id;
  std::string monitor_hash;
};

bool is_snapshot(const MonitorConfig& monitor) { return monitor.profile_type == ProfileType::kSnapshot; }

std::int64_t approximate_length_us(const Granularity& g) {
  constexpr std::int64_t minute = 60'000'000;
  switch (g.unit) {
    case TimeUnit::kMinute: return g.count * minute;
    case TimeUnit::kHour: return g.count * 60 * minute;
    case TimeUnit::kDay: return g.count * 1440 * minute;
    case TimeUnit::kWeek: return g.count * 7 * 1440 * minute;
    case TimeUnit::kMonth: return g.count * 30 * 1440 * minute;
    case TimeUnit::kYear: return g.count * 365 * 1440 * minute;
  }
  return 0;
}

Plan make_plan(const Config& config, const MonitorConfig& monitor, const core::Schema& table_schema) {
  Plan plan;
  plan.config = &config;
  plan.monitor = &monitor;
  plan.granularities = monitor.granularities;
  std::stable_sort(plan.granularities.begin(), plan.granularities.end(),
                   [](const Granularity& a, const Granularity& b) {
                     return approximate_length_us(a) < approximate_length_us(b);
                   });
  if (is_snapshot(monitor)) plan.granularities.clear();
  if (!plan.granularities.empty()) {
    // The state's windows must nest in the windows of every granularity. Minutes and hours (counted from local
    // midnight), days and months do; weeks do not nest in months or years, nor runs of weeks in runs whose length
    // is not a multiple of theirs: the state is then kept per day.
    plan.finest = plan.granularities.front();
    const bool nested = std::all_of(plan.granularities.begin(), plan.granularities.end(), [&](const Granularity& g) {
      return plan.finest.unit != TimeUnit::kWeek || (g.unit == TimeUnit::kWeek && g.count % plan.finest.count == 0);
    });
    if (!nested) plan.finest = parse_granularity("1 day", "monitor state");
  }

  std::set<std::string> own = {monitor.timestamp_col, monitor.model_id_col};
  own.erase("");
  std::set<std::string> include(monitor.columns.include.begin(), monitor.columns.include.end());
  std::set<std::string> exclude(monitor.columns.exclude.begin(), monitor.columns.exclude.end());
  for (const auto& f : table_schema.fields) {
    if (own.contains(f.name) || exclude.contains(f.name)) continue;
    if (!include.empty() && !include.contains(f.name)) continue;
    if (f.type.is_nested()) continue;  // structs, lists and maps are not profiled
    plan.monitored.push_back(f.name);
  }
  if (plan.monitored.empty()) {
    throw core::InputError(fmt::format("monitor '{}': no column of {} is left to profile (columns.include/exclude)",
                                       monitor.name, monitor.table));
  }
  for (const auto& expression : monitor.slicing_exprs) {
    Partition partition;
    partition.key = expression;
    const auto column = std::find_if(table_schema.fields.begin(), table_schema.fields.end(),
                                     [&](const core::Field& f) { return f.name == expression; });
    if (column != table_schema.fields.end()) {
      partition.column = expression;
      if (plan.covering < 0) plan.covering = static_cast<int>(plan.partitions.size());
    } else {
      partition.predicate = delta::parse_predicate(expression, "monitor '" + monitor.name + "': slicing_exprs");
    }
    plan.partitions.push_back(std::move(partition));
  }
  if (plan.covering < 0) plan.partitions.insert(plan.partitions.begin(), Partition{});
  if (plan.covering >= 0 && plan.partitions.empty()) plan.covering = -1;

  plan.has_quality = monitor.profile_type == ProfileType::kInferenceLog && !monitor.label_col.empty() &&
                     !monitor.prediction_col.empty() && monitor.problem_type.has_value();
  std::set<std::string> needed(plan.monitored.begin(), plan.monitored.end());
  for (const auto& name : {monitor.timestamp_col, monitor.model_id_col, monitor.prediction_col, monitor.label_col,
                           monitor.prediction_proba_col}) {
    if (!name.empty()) needed.insert(name);
  }
  for (const auto& partition : plan.partitions) {
    if (!partition.column.empty()) needed.insert(partition.column);
    if (partition.predicate) {
      for (const auto& comparison : partition.predicate->conjuncts) needed.insert(comparison.column);
    }
  }
  for (const auto& f : table_schema.fields) {
    if (needed.contains(f.name)) plan.scan_columns.push_back(f.name);
  }
  plan.profile_options.kind_overrides = monitor.columns.kinds;
  plan.monitor_hash = monitor.config_hash.empty() ? sha256_hex(monitor.name) : monitor.config_hash;
  plan.app_id = "driftgov.monitor." + monitor.name + "." + plan.monitor_hash.substr(0, 12);
  return plan;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading rows into groups

std::optional<std::int64_t> instant_of(const core::Column& column, std::int64_t row, const TimeZone& zone) {
  if (!column.is_valid(row)) return std::nullopt;
  const auto value = column.ints[static_cast<std::size_t>(row)];
  switch (column.type.id) {
    case core::TypeId::kTimestamp: {
      switch (column.type.unit) {
        case core::TimeUnit::kMilli: return value * 1000;
        case core::TimeUnit::kMicro: return value;
        case core::TimeUnit::kNano: return value >= 0 ? value / 1000 : -((-value + 999) / 1000);
        default: return value;
      }
    }
    case core::TypeId::kDate:
      return zone.to_instant(value * std::int64_t{86'400'000'000});
    default:
      return std::nullopt;
  }
}

struct Accumulator {
  std::int64_t window_end = 0;
  std::unique_ptr<stats::Profiler> profiler;
  std::optional<stats::ModelQuality> quality;
};

// Rows profiled together: one finest window and model id, and either one combination of the values of every
// slicing expression (a cell, `only` = -1), whose profile is merged into the group of each of those values, or one
// value of a single expression (`only` = its index), when the combinations are too many (docs/monitoring.md).
struct CellKey {
  std::int64_t window_start = 0;
  std::optional<std::string> model;
  int only = -1;
  std::vector<std::optional<std::string>> values;  // per partition (nullopt: the whole table, or a null value)
  friend auto operator<=>(const CellKey&, const CellKey&) = default;
};

using Cells = std::map<CellKey, Accumulator>;

// At most this many combinations of slice values in a batch are profiled as cells, or twice the number of the
// expressions' values together when that is more: a cell costs as much memory as a slice group.
constexpr std::size_t kMinCellLimit = 64;
// Combination codes are looked up in a table of the product of the expressions' value counts, at most this big.
constexpr std::uint64_t kMaxCombinations = std::uint64_t{1} << 16;

// The rows of a batch by (finest window, model, value code), each group's rows contiguous in `order`: group g
// holds order[begin[g], begin[g + 1]). Rows whose window code is negative are left out.
struct RowGroups {
  std::vector<std::int64_t> order;
  std::vector<std::size_t> begin;
  std::vector<std::int32_t> window, model, value;  // of each group
};

RowGroups group_rows(const std::vector<std::int32_t>& window_code, std::size_t windows,
                     const std::vector<std::int32_t>& model_code, std::size_t models,
                     const std::vector<std::int32_t>& value_code, std::size_t values) {
  RowGroups groups;
  const std::uint64_t space = static_cast<std::uint64_t>(windows) * models * values;
  // A direct table of group numbers when the key space is small (it is, but for many tiny windows in one batch).
  const bool direct = space <= (std::uint64_t{1} << 22);
  std::vector<std::int32_t> table(direct ? space : 0, -1);
  std::unordered_map<std::uint64_t, std::int32_t> sparse;
  const auto rows = window_code.size();
  std::vector<std::int32_t> group_of(rows, -1);
  std::vector<std::size_t> sizes;
  for (std::size_t row = 0; row < rows; ++row) {
    const auto w = window_code[row];
    if (w < 0) continue;
    const std::uint64_t key = (static_cast<std::uint64_t>(w) * models + static_cast<std::uint64_t>(model_code[row])) *
                                  values +
                              static_cast<std::uint64_t>(value_code[row]);
    auto& group = direct ? table[key] : sparse.try_emplace(key, -1).first->second;
    if (group < 0) {
      group = static_cast<std::int32_t>(sizes.size());
      sizes.push_back(0);
      groups.window.push_back(w);
      groups.model.push_back(model_code[row]);
      groups.value.push_back(value_code[row]);
    }
    group_of[row] = group;
    ++sizes[static_cast<std::size_t>(group)];
  }
  groups.begin.assign(sizes.size() + 1, 0);
  for (std::size_t g = 0; g < sizes.size(); ++g) groups.begin[g + 1] = groups.begin[g] + sizes[g];
  groups.order.resize(groups.begin.back());
  std::vector<std::size_t> next(groups.begin.begin(), groups.begin.end() - 1);
  for (std::size_t row = 0; row < rows; ++row) {
    if (group_of[row] >= 0) groups.order[next[static_cast<std::size_t>(group_of[row])]++] = static_cast<std::int64_t>(row);
  }
  return groups;
}

struct Counters {
  std::int64_t rows_read = 0;
  std::int64_t null_timestamp_rows = 0;
  std::int64_t files_read = 0;
};

class GroupReader {
 public:
  // `keep(window_start)` says whether rows of a finest window are taken.
  GroupReader(const Plan& plan, const core::Schema& scan_schema, bool baseline)
      : plan_(plan), baseline_(baseline) {
    const auto index_of = [&](const std::string& name) -> int {
      if (name.empty()) return -1;
      for (std::size_t i = 0; i < scan_schema.fields.size(); ++i) {
        if (scan_schema.fields[i].name == name) return static_cast<int>(i);
      }
      return -1;
    };
    const auto& m = *plan.monitor;
    timestamp_ = baseline ? -1 : index_of(m.timestamp_col);
    model_ = baseline ? -1 : index_of(m.model_id_col);
    prediction_ = index_of(m.prediction_col);
    label_ = index_of(m.label_col);
    probability_ = index_of(m.prediction_proba_col);
    for (const auto& name : plan.monitored) {
      const int index = index_of(name);
      if (index < 0) {
        throw core::InputError(fmt::format("monitor '{}': the baseline has no column '{}'", m.name, name));
      }
      monitored_.push_back(index);
      monitored_schema_.fields.push_back(scan_schema.fields[static_cast<std::size_t>(index)]);
    }
    for (const auto& partition : plan.partitions) {
      PartitionColumns columns;
      if (!partition.column.empty()) {
        columns.column = index_of(partition.column);
        columns.usable = columns.column >= 0;
      } else if (partition.predicate) {
        try {
          columns.predicate.emplace(*partition.predicate, scan_schema, "slicing expression '" + *partition.key + "'");
          columns.usable = true;
        } catch (const core::InputError&) {
          if (!baseline) throw;
          columns.usable = false;  // a baseline without the predicate's columns has no such slice
        }
      } else {
        columns.usable = true;
      }
      partitions_.push_back(std::move(columns));
    }
    quality_ = plan.has_quality && prediction_ >= 0 && label_ >= 0;
  }

  void consume(core::RecordBatch& batch, const std::function<bool(std::int64_t)>& keep, Cells& cells,
               Counters& counters) {
    const auto rows = batch.num_rows;
    counters.rows_read += rows;
    const auto& zone = plan_.monitor->zone();
    // Finest window of every row (-1: not taken).
    std::vector<std::int32_t> window_code(static_cast<std::size_t>(rows), -1);
    std::vector<Window> windows;
    if (timestamp_ < 0) {
      windows.push_back(Window{0, 0});
      std::fill(window_code.begin(), window_code.end(), 0);
    } else {
      const auto& ts = batch.columns[static_cast<std::size_t>(timestamp_)];
      Window current{1, 0};
      std::int32_t current_code = -1;
      for (std::int64_t row = 0; row < rows; ++row) {
        const auto instant = instant_of(ts, row, zone);
        if (!instant) {
          ++counters.null_timestamp_rows;
          continue;
        }
        if (!(*instant >= current.start && *instant < current.end)) {
          current = window_of(*instant, plan_.finest, zone);
          const auto found = std::find(windows.begin(), windows.end(), current);
          if (found == windows.end()) {
            windows.push_back(current);
            current_code = static_cast<std::int32_t>(windows.size() - 1);
          } else {
            current_code = static_cast<std::int32_t>(found - windows.begin());
          }
          if (!keep(current.start)) current_code = -2 - current_code;
        }
        window_code[static_cast<std::size_t>(row)] = current_code >= 0 ? current_code : -1;
      }
    }
    // Model codes.
    std::vector<std::int32_t> model_code(static_cast<std::size_t>(rows), 0);
    std::vector<std::optional<std::string>> models{std::nullopt};
    if (model_ >= 0) code_values(batch.columns[static_cast<std::size_t>(model_)], model_code, models);

    // Slice codes of every partition, before the batch's columns move into the profiled batch.
    std::vector<std::vector<std::int32_t>> partition_codes(plan_.partitions.size());
    std::vector<std::vector<std::optional<std::string>>> partition_values(plan_.partitions.size());
    for (std::size_t p = 0; p < plan_.partitions.size(); ++p) {
      auto& columns = partitions_[p];
      if (!columns.usable) continue;
      auto& value_code = partition_codes[p];
      auto& values = partition_values[p];
      value_code.assign(static_cast<std::size_t>(rows), 0);
      values = {std::nullopt};
      if (columns.column >= 0) {
        code_values(batch.columns[static_cast<std::size_t>(columns.column)], value_code, values);
      } else if (columns.predicate) {
        const auto matches = columns.predicate->matches(batch);
        values = {std::string("false"), std::string("true")};
        for (std::int64_t row = 0; row < rows; ++row) value_code[static_cast<std::size_t>(row)] = matches[static_cast<std::size_t>(row)] ? 1 : 0;
      }
    }
    // The profiled columns, moved out of the batch (no copy); the quality columns are read from wherever they are.
    core::RecordBatch monitored;
    monitored.schema = monitored_schema_;
    monitored.num_rows = rows;
    std::vector<const core::Column*> located(batch.columns.size(), nullptr);
    for (std::size_t i = 0; i < batch.columns.size(); ++i) located[i] = &batch.columns[i];
    monitored.columns.reserve(monitored_.size());
    for (const auto index : monitored_) {
      monitored.columns.push_back(std::move(batch.columns[static_cast<std::size_t>(index)]));
    }
    for (std::size_t m = 0; m < monitored_.size(); ++m) located[static_cast<std::size_t>(monitored_[m])] = &monitored.columns[m];

    // Profiles the rows of one group (a cell, or one expression's value) into its accumulator.
    const auto profile_rows = [&](const CellKey& cell, std::int64_t window_end, std::span<const std::int64_t> selected) {
      auto& accumulator = cells[cell];
      accumulator.window_end = window_end;
      if (!accumulator.profiler) accumulator.profiler = std::make_unique<stats::Profiler>(plan_.profile_options);
      const bool all = static_cast<std::int64_t>(selected.size()) == rows;
      if (all) accumulator.profiler->consume(monitored);
      else accumulator.profiler->consume(monitored, selected);
      if (!quality_) return;
      if (!accumulator.quality) {
        accumulator.quality.emplace(*plan_.monitor->problem_type == ProblemType::kClassification
                                        ? stats::QualityProblem::kClassification
                                        : stats::QualityProblem::kRegression,
                                    stats::ModelQuality::kDefaultMaxScoreBins, stats::InvalidRows::kSkip);
      }
      const std::vector<std::int64_t> selection = all ? std::vector<std::int64_t>{}
                                                      : std::vector<std::int64_t>(selected.begin(), selected.end());
      const auto pick = [&](int index) {
        const auto& column = *located[static_cast<std::size_t>(index)];
        return all ? column : core::take_rows(column, selection);
      };
      const auto prediction = pick(prediction_);
      const auto label = pick(label_);
      std::optional<core::Column> probability;
      if (probability_ >= 0) probability = pick(probability_);
      accumulator.quality->add(prediction, label, probability ? &*probability : nullptr, plan_.monitor->table);
    };
    const auto cell_of = [&](const RowGroups& groups, std::size_t g) {
      const auto& window = windows[static_cast<std::size_t>(groups.window[g])];
      CellKey cell;
      cell.window_start = window.start;
      cell.model = baseline_ ? std::optional<std::string>(kAllModels) : models[static_cast<std::size_t>(groups.model[g])];
      cell.values.resize(plan_.partitions.size());
      return cell;
    };
    const auto selection_of = [](const RowGroups& groups, std::size_t g) {
      return std::span<const std::int64_t>(groups.order.data() + groups.begin[g], groups.begin[g + 1] - groups.begin[g]);
    };

    // Every row once, in the cell of its combination of slice values, when the combinations are few.
    std::uint64_t product = 1;
    std::size_t value_total = 0;
    for (std::size_t p = 0; p < plan_.partitions.size(); ++p) {
      if (!partitions_[p].usable) continue;
      product = std::min(product * partition_values[p].size(), kMaxCombinations + 1);
      value_total += partition_values[p].size();
    }
    if (product <= kMaxCombinations) {
      std::vector<std::int32_t> dense(static_cast<std::size_t>(product), -1);
      std::vector<std::uint64_t> combinations;  // the combination code of each dense code
      std::vector<std::int32_t> cell_code(static_cast<std::size_t>(rows), 0);
      const std::size_t limit = std::max(kMinCellLimit, 2 * value_total);
      for (std::size_t row = 0; row < static_cast<std::size_t>(rows) && combinations.size() <= limit; ++row) {
        std::uint64_t combination = 0;
        for (std::size_t p = plan_.partitions.size(); p-- > 0;) {
          if (!partitions_[p].usable) continue;
          combination = combination * partition_values[p].size() + static_cast<std::uint64_t>(partition_codes[p][row]);
        }
        auto& code = dense[static_cast<std::size_t>(combination)];
        if (code < 0) {
          code = static_cast<std::int32_t>(combinations.size());
          combinations.push_back(combination);
        }
        cell_code[row] = code;
      }
      if (combinations.size() <= limit) {
        const auto groups = group_rows(window_code, windows.size(), model_code, models.size(), cell_code,
                                       combinations.size());
        for (std::size_t g = 0; g + 1 < groups.begin.size(); ++g) {
          auto cell = cell_of(groups, g);
          auto combination = combinations[static_cast<std::size_t>(groups.value[g])];
          for (std::size_t p = 0; p < plan_.partitions.size(); ++p) {
            if (!partitions_[p].usable) continue;
            const auto count = partition_values[p].size();
            cell.values[p] = partition_values[p][static_cast<std::size_t>(combination % count)];
            combination /= count;
          }
          profile_rows(cell, windows[static_cast<std::size_t>(groups.window[g])].end, selection_of(groups, g));
        }
        return;
      }
    }
    // Too many combinations: the rows of each expression's values, once per expression.
    for (std::size_t p = 0; p < plan_.partitions.size(); ++p) {
      if (!partitions_[p].usable) continue;
      const auto& values = partition_values[p];
      const auto groups = group_rows(window_code, windows.size(), model_code, models.size(), partition_codes[p],
                                     values.size());
      for (std::size_t g = 0; g + 1 < groups.begin.size(); ++g) {
        auto cell = cell_of(groups, g);
        cell.only = static_cast<int>(p);
        cell.values[p] = values[static_cast<std::size_t>(groups.value[g])];
        profile_rows(cell, windows[static_cast<std::size_t>(groups.window[g])].end, selection_of(groups, g));
      }
    }
  }

  // Finishes the accumulated cells into `state`: each cell's profile merges into the group of each of its slice
  // values (the one value of a single expression's group).
  void finish(Cells& cells, StateMap& state, const std::string& source) const {
    for (auto& entry : cells) {
      const auto& cell = entry.first;
      auto& accumulator = entry.second;
      GroupState fresh;
      fresh.window_end = accumulator.window_end;
      fresh.profile = accumulator.profiler->finish(source);
      fresh.quality = std::move(accumulator.quality);
      accumulator.profiler.reset();
      std::vector<std::size_t> targets;
      for (std::size_t p = 0; p < plan_.partitions.size(); ++p) {
        if (partitions_[p].usable && (cell.only < 0 || cell.only == static_cast<int>(p))) targets.push_back(p);
      }
      for (std::size_t t = 0; t < targets.size(); ++t) {
        const auto& key = plan_.partitions[targets[t]].key;
        GroupKey group{cell.window_start, key, key ? cell.values[targets[t]] : std::nullopt, cell.model};
        const auto found = state.find(group);
        if (found != state.end()) merge_into(found->second, fresh);
        else if (t + 1 == targets.size()) state.emplace(std::move(group), std::move(fresh));
        else state.emplace(std::move(group), fresh);
      }
    }
    cells.clear();
  }

 private:
  struct PartitionColumns {
    int column = -1;
    std::optional<delta::BoundPredicate> predicate;
    bool usable = false;
  };

  static void code_values(const core::Column& column, std::vector<std::int32_t>& codes,
                          std::vector<std::optional<std::string>>& values) {
    std::unordered_map<std::string, std::int32_t> seen;
    const bool text = column.type.id == core::TypeId::kString;
    for (std::int64_t row = 0; row < column.length; ++row) {
      if (!column.is_valid(row)) {
        codes[static_cast<std::size_t>(row)] = 0;
        continue;
      }
      std::string value = text ? std::string(column.string_at(row)) : core::value_text(column, row);
      const auto [it, inserted] = seen.try_emplace(std::move(value), static_cast<std::int32_t>(values.size()));
      if (inserted) values.emplace_back(it->first);
      codes[static_cast<std::size_t>(row)] = it->second;
    }
    if (values.size() >= (1u << 20)) {
      throw core::InputError("more than a million distinct slice or model values in one batch");
    }
  }

  const Plan& plan_;
  bool baseline_;
  int timestamp_ = -1, model_ = -1, prediction_ = -1, label_ = -1, probability_ = -1;
  bool quality_ = false;
  std::vector<int> monitored_;
  core::Schema monitored_schema_;
  std::vector<PartitionColumns> partitions_;
};

// Reads `scan` into `state`, taking only rows whose finest window passes `keep`.
void read_scan(delta::Scan& scan, GroupReader& reader, const std::function<bool(std::int64_t)>& keep,
               StateMap& state, Counters& counters, const std::string& source) {
  Cells cells;
  while (auto batch = scan.next()) reader.consume(*batch, keep, cells, counters);
  counters.files_read += scan.files_opened();
  reader.finish(cells, state, source);
}

// ---------------------------------------------------------------------------------------------------------------
// The state table

// Adds the rows of a batch of the state table's rows to `state` (the INPUT or the BASELINE rows, those of INPUT
// windows starting in `span` when given); a group already in `state` merges them into its profile.
void add_state_rows(const core::RecordBatch& batch, const std::string& table, bool baseline,
                    std::optional<std::pair<std::int64_t, std::int64_t>> span, StateMap& state) {
  using delta::RowValue;
  const delta::BatchRows rows(batch, table);
  const auto log_type = rows.required<RowValue::kText>("log_type");
  const auto start = rows.required<RowValue::kInteger>("window_start");
  const auto end = rows.required<RowValue::kInteger>("window_end");
  const auto slice_key = rows.required<RowValue::kText>("slice_key");
  const auto slice_value = rows.required<RowValue::kText>("slice_value");
  const auto model = rows.required<RowValue::kText>("model_id");
  const auto model_null = rows.required<RowValue::kInteger>("model_id_is_null");
  const auto profile = rows.required<RowValue::kText>("profile");
  const auto quality = rows.required<RowValue::kText>("quality");
  const auto context = fmt::format("{}: state row", table);
  for (std::int64_t row = 0; row < batch.num_rows; ++row) {
    const bool is_baseline = log_type.view(row).value_or("") == "BASELINE";
    if (is_baseline != baseline) continue;
    GroupKey key;
    if (!baseline) {
      key.window_start = start.at(row).value_or(0);
      if (span && (key.window_start < span->first || key.window_start >= span->second)) continue;
    }
    key.slice_key = slice_key.at(row);
    key.slice_value = slice_value.at(row);
    key.model = model.at(row);
    if (model_null.at(row).value_or(0) != 0) key.model.reset();
    GroupState group;
    group.window_end = baseline ? 0 : end.at(row).value_or(0);
    group.profile =
        stats::DatasetProfile::from_json(nlohmann::json::parse(profile.view(row).value_or("")), context);
    if (const auto q = quality.view(row)) {
      group.quality = stats::ModelQuality::from_json(nlohmann::json::parse(*q), context, stats::InvalidRows::kSkip);
    }
    const auto [found, inserted] = state.try_emplace(std::move(key));
    if (inserted) found->second = std::move(group);
    else merge_into(found->second, group);
  }
}

StateMap read_state(const std::string& table, const delta::Snapshot& snapshot, bool baseline,
                    std::optional<std::pair<std::int64_t, std::int64_t>> span) {
  delta::ScanOptions options;
  if (baseline) {
    options.predicate = delta::parse_predicate("log_type = 'BASELINE'", "state");
  } else if (span) {
    options.predicate = delta::parse_predicate(
        fmt::format("window_start >= {} AND window_start < {}", timestamp_literal(span->first),
                    timestamp_literal(span->second)),
        "state");
  }
  delta::Scan scan(snapshot, options);
  StateMap state;
  while (auto batch = scan.next()) add_state_rows(*batch, table, baseline, span, state);
  return state;
}

core::RecordBatch state_rows(const StateMap& state, const std::set<std::int64_t>& windows, bool baseline,
                             bool all_windows) {
  BatchBuilder rows(state_schema());
  for (const auto& [key, group] : state) {
    if (!baseline && !all_windows && !windows.contains(key.window_start)) continue;
    rows["log_type"].text(baseline ? "BASELINE" : "INPUT");
    if (baseline) {
      rows["window_start"].null();
      rows["window_end"].null();
    } else {
      rows["window_start"].integer(key.window_start);
      rows["window_end"].integer(group.window_end);
    }
    rows["slice_key"].optional_text(key.slice_key);
    rows["slice_value"].optional_text(key.slice_value);
    rows["model_id"].optional_text(key.model);
    rows["model_id_is_null"].boolean(!key.model.has_value());
    rows["profile"].text(group.profile.to_json().dump());
    if (group.quality) rows["quality"].text(group.quality->to_json().dump());
    rows.end_row();
  }
  return rows.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Output groups: windows of each granularity, slices (top values), models and "*"

struct OutKey {
  std::string granularity;
  Window window;
  std::optional<std::string> slice_key, slice_value;
  std::optional<std::string> model;  // "*" for every model; nullopt for a null model id
  friend auto operator<=>(const OutKey&, const OutKey&) = default;
};

struct OutGroup {
  GroupState state;
  bool has_rows = false;
};

using OutMap = std::map<OutKey, OutGroup>;

// Merges finest-window state into the output groups of every granularity: each group of the state goes straight
// into every output group it belongs to (its slice value, or __other__ beyond a column's top values; the whole
// table when its partition covers every row; "*" over every model), in one pass.
OutMap output_groups(const Plan& plan, const StateMap& state, bool model_column) {
  OutMap result;
  const auto& zone = plan.monitor->zone();
  std::vector<std::optional<Granularity>> granularities(plan.granularities.begin(), plan.granularities.end());
  if (granularities.empty()) granularities.push_back(std::nullopt);  // one window per state window
  const auto is_column_slice = [&](const std::optional<std::string>& slice_key) {
    return std::any_of(plan.partitions.begin(), plan.partitions.end(),
                       [&](const Partition& p) { return p.key == slice_key && !p.column.empty(); });
  };
  const std::optional<std::string> covering_key =
      plan.covering >= 0 ? plan.partitions[static_cast<std::size_t>(plan.covering)].key : std::nullopt;
  for (const auto& granularity : granularities) {
    const std::string granularity_text = granularity ? granularity->text : std::string();
    std::map<std::int64_t, Window> coarse_of;
    const auto window_for = [&](const GroupKey& key, const GroupState& group) {
      if (!granularity) return Window{key.window_start, group.window_end};
      auto found = coarse_of.find(key.window_start);
      if (found == coarse_of.end()) {
        found = coarse_of.emplace(key.window_start, window_of(key.window_start, *granularity, zone)).first;
      }
      return found->second;
    };
    // Top values per (window, column partition) over every model, by row count; the rest become __other__.
    std::map<std::pair<Window, std::string>, std::map<std::string, std::int64_t>> totals;
    for (const auto& entry : state) {
      const auto& key = entry.first;
      if (!key.slice_key || !key.slice_value || !is_column_slice(key.slice_key)) continue;
      totals[{window_for(key, entry.second), *key.slice_key}][*key.slice_value] += entry.second.profile.row_count;
    }
    std::map<std::pair<Window, std::string>, std::set<std::string>> top;
    for (const auto& [where, counts] : totals) {
      if (counts.size() <= kTopSliceValues) continue;  // every value is kept
      std::vector<std::pair<std::int64_t, std::string>> order;
      for (const auto& [value, count] : counts) order.emplace_back(-count, value);
      std::sort(order.begin(), order.end());
      auto& kept = top[where];
      for (std::size_t i = 0; i < kTopSliceValues; ++i) kept.insert(order[i].second);
    }
    for (const auto& entry : state) {
      const auto& key = entry.first;
      const auto& group = entry.second;
      OutKey target{granularity_text, window_for(key, group), key.slice_key, key.slice_value, key.model};
      if (key.slice_key && key.slice_value) {
        const auto found = top.find({target.window, *key.slice_key});
        if (found != top.end() && !found->second.contains(*key.slice_value)) target.slice_value = kOther;
      }
      std::vector<OutKey> targets{target};
      if (covering_key && key.slice_key == covering_key) {
        OutKey whole = target;
        whole.slice_key.reset();
        whole.slice_value.reset();
        targets.push_back(whole);
      }
      if (model_column) {
        const std::size_t base = targets.size();
        for (std::size_t i = 0; i < base; ++i) {
          OutKey all = targets[i];
          all.model = kAllModels;
          targets.push_back(all);
        }
      }
      for (const auto& out_key : targets) {
        auto& into = result[out_key];
        if (!into.has_rows) into = OutGroup{group, true};
        else merge_into(into.state, group);
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Metric rows

std::int64_t utf8_length(std::string_view text) {
  return static_cast<std::int64_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

double percent(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

struct ColumnFacts {
  std::int64_t count = 0, nulls = 0, nan = 0, zeros = 0;
  std::optional<std::int64_t> distinct;
  std::optional<double> avg;
  double percent_zeros = 0.0;
  std::optional<double> percent_distinct;
};

ColumnFacts facts_of(const stats::ColumnProfile& column) {
  ColumnFacts facts;
  facts.count = column.count;
  facts.nulls = column.null_count;
  if (column.numeric) {
    facts.nan = column.numeric->nan_count;
    facts.zeros = column.numeric->zero_count;
    if (column.numeric->moments.count > 0) facts.avg = column.numeric->moments.mean;
    if (column.numeric->exact_counts) {
      const auto& counts = column.numeric->exact_counts->counts;
      facts.distinct = std::count_if(counts.begin(), counts.end(), [](std::int64_t c) { return c > 0; });
    }
  } else if (column.categorical) {
    facts.distinct = static_cast<std::int64_t>(std::llround(column.categorical->distinct_count()));
  }
  const auto non_null = column.count - column.null_count;
  facts.percent_zeros = percent(facts.zeros, non_null);
  if (facts.distinct) facts.percent_distinct = percent(*facts.distinct, non_null);
  return facts;
}

void group_columns(BatchBuilder& rows, const OutKey& key, const std::string& model_id_col) {
  rows["slice_key"].optional_text(key.slice_key);
  rows["slice_value"].optional_text(key.slice_value);
  if (!model_id_col.empty()) rows[model_id_col].optional_text(key.model);
}

void window_value(ColumnBuilder& column, const Window& window) {
  column.child(0).integer(window.start);
  column.child(1).integer(window.end);
  column.end_struct();
}

struct Context {
  const Plan& plan;
  std::int64_t table_version = 0;
  std::int64_t monitor_version = 1;
  std::string refresh_id;
  std::int64_t now_us = 0;
};

void add_profile_rows(BatchBuilder& rows, const Context& context, const OutKey& key, const GroupState& group,
                      const char* log_type) {
  const auto& model_id_col = context.plan.monitor->model_id_col;
  const auto begin_row = [&](const std::string& column_name, const std::string& data_type) {
    if (std::string_view(log_type) == "BASELINE") {
      rows["window"].null();
      rows["granularity"].null();
    } else {
      window_value(rows["window"], key.window);
      rows["granularity"].optional_text(key.granularity.empty() ? std::nullopt : std::optional(key.granularity));
    }
    rows["log_type"].text(log_type);
    rows["logging_table_commit_version"].integer(context.table_version);
    rows["monitor_version"].integer(context.monitor_version);
    rows["refresh_id"].text(context.refresh_id);
    group_columns(rows, key, model_id_col);
    rows["column_name"].text(column_name);
    rows["data_type"].text(data_type);
  };
  std::vector<std::string> non_null;
  for (const auto& column : group.profile.columns) {
    begin_row(column.name, delta::delta_type_name(column.type));
    const auto facts = facts_of(column);
    rows["count"].integer(facts.count);
    rows["num_nulls"].integer(facts.nulls);
    rows["percent_null"].real(percent(facts.nulls, facts.count));
    if (column.null_count < column.count) non_null.push_back(column.name);
    if (column.numeric) {
      const auto& n = *column.numeric;
      rows["num_nan"].integer(n.nan_count);
      rows["percent_nan"].real(percent(n.nan_count, column.count - column.null_count));
      rows["num_zeros"].integer(n.zero_count);
      rows["percent_zeros"].real(facts.percent_zeros);
      rows["distinct_count"].optional_integer(facts.distinct);
      rows["percent_distinct"].optional_real(facts.percent_distinct);
      if (n.moments.count > 0) {
        rows["avg"].real(n.moments.mean);
        rows["stddev"].real(n.moments.stddev());
      }
      if (!n.empty()) {
        rows["min"].real(n.min);
        rows["max"].real(n.max);
        // The sketch's own kept view (the comparisons of this group read the same one), or, for a pending sketch,
        // a view of the sketch completed on the side.
        const auto view = n.sketch_pending
                              ? std::make_shared<const stats::QuantileSketch::SortedView>(n.completed_sketch().sorted_view())
                              : n.sketch.shared_sorted_view();
        rows["median"].real(view->quantile(0.5, n.min, n.max));
        auto& quantiles = rows["quantiles"];
        for (int i = 0; i < kQuantileCount; ++i) {
          quantiles.element().real(view->quantile(static_cast<double>(i) / (kQuantileCount - 1), n.min, n.max));
        }
        quantiles.end_list(kQuantileCount);
        rows["sketch_bound"].real(n.sketch.normalized_rank_error());
      }
    } else if (column.categorical) {
      const auto& c = *column.categorical;
      rows["distinct_count"].optional_integer(facts.distinct);
      rows["percent_distinct"].optional_real(facts.percent_distinct);
      const auto counts = c.counts();
      auto& items = rows["frequent_items"];
      const auto shown = std::min<std::size_t>(counts.size(), 10);
      for (std::size_t i = 0; i < shown; ++i) {
        auto& item = items.element();
        item.child(0).text(counts[i].first);
        item.child(1).integer(counts[i].second);
        item.end_struct();
      }
      items.end_list(static_cast<std::int64_t>(shown));
      if (c.is_exact() && column.type.id == core::TypeId::kString && !counts.empty()) {
        std::int64_t min_length = INT64_MAX, max_length = 0, total = 0, n = 0;
        for (const auto& [value, count] : counts) {
          const auto length = utf8_length(value);
          min_length = std::min(min_length, length);
          max_length = std::max(max_length, length);
          total += length * count;
          n += count;
        }
        rows["min_length"].integer(min_length);
        rows["max_length"].integer(max_length);
        rows["avg_length"].real(static_cast<double>(total) / static_cast<double>(n));
      }
    }
    rows.end_row();
  }
  // The :table row.
  begin_row(":table", "");
  rows["count"].integer(group.profile.row_count);
  auto& list = rows["non_null_columns"];
  for (const auto& name : non_null) list.element().text(name);
  list.end_list(static_cast<std::int64_t>(non_null.size()));
  if (group.quality) {
    const auto q = group.quality->metrics();
    rows["labelled_rows"].integer(q.labelled_rows);
    rows["quality_invalid_rows"].integer(q.invalid_rows);
    rows["accuracy_score"].optional_real(q.accuracy_score);
    const auto pair = [&](const char* name, const std::optional<double>& macro, const std::optional<double>& weighted) {
      auto& column = rows[name];
      if (!macro && !weighted) {
        column.null();
        return;
      }
      column.child(0).optional_real(macro);
      column.child(1).optional_real(weighted);
      column.end_struct();
    };
    pair("precision", q.precision_macro, q.precision_weighted);
    pair("recall", q.recall_macro, q.recall_weighted);
    pair("f1_score", q.f1_macro, q.f1_weighted);
    if (q.confusion_matrix) {
      auto& matrix = rows["confusion_matrix"];
      std::int64_t cells = 0;
      const auto& classes = q.confusion_matrix->classes;
      for (std::size_t t = 0; t < classes.size(); ++t) {
        for (std::size_t p = 0; p < classes.size(); ++p) {
          auto& cell = matrix.element();
          cell.child(0).text(classes[p]);
          cell.child(1).text(classes[t]);
          cell.child(2).integer(q.confusion_matrix->counts[t][p]);
          cell.end_struct();
          ++cells;
        }
      }
      matrix.end_list(cells);
    }
    rows["roc_auc"].optional_real(q.roc_auc);
    rows["log_loss"].optional_real(q.log_loss);
    rows["mean_squared_error"].optional_real(q.mean_squared_error);
    rows["root_mean_squared_error"].optional_real(q.root_mean_squared_error);
    rows["mean_absolute_error"].optional_real(q.mean_absolute_error);
    rows["mean_absolute_percentage_error"].optional_real(q.mean_absolute_percentage_error);
    rows["r2_score"].optional_real(q.r2_score);
    rows["mean_prediction"].optional_real(q.mean_prediction);
    rows["mean_label"].optional_real(q.mean_label);
  }
  rows.end_row();
}

// Values a breach rule can read, per column (":table" for the table row).
using MetricValues = std::map<std::string, std::map<std::string, double>>;

MetricValues profile_values(const GroupState& group) {
  MetricValues values;
  for (const auto& column : group.profile.columns) {
    auto& v = values[column.name];
    const auto facts = facts_of(column);
    v["count"] = static_cast<double>(facts.count);
    v["num_nulls"] = static_cast<double>(facts.nulls);
    v["percent_null"] = percent(facts.nulls, facts.count);
    v["percent_zeros"] = facts.percent_zeros;
    if (facts.avg) v["avg"] = *facts.avg;
    if (facts.percent_distinct) v["percent_distinct"] = *facts.percent_distinct;
    if (column.numeric && !column.numeric->empty()) {
      v["min"] = column.numeric->min;
      v["max"] = column.numeric->max;
      v["stddev"] = column.numeric->moments.stddev();
    }
  }
  auto& table = values[":table"];
  table["count"] = static_cast<double>(group.profile.row_count);
  if (group.quality) {
    const auto q = group.quality->metrics();
    const auto put = [&](const char* name, const std::optional<double>& value) {
      if (value) table[name] = *value;
    };
    put("accuracy_score", q.accuracy_score);
    put("precision.macro", q.precision_macro);
    put("precision.weighted", q.precision_weighted);
    put("recall.macro", q.recall_macro);
    put("recall.weighted", q.recall_weighted);
    put("f1_score.macro", q.f1_macro);
    put("f1_score.weighted", q.f1_weighted);
    put("roc_auc", q.roc_auc);
    put("log_loss", q.log_loss);
    put("mean_squared_error", q.mean_squared_error);
    put("root_mean_squared_error", q.root_mean_squared_error);
    put("mean_absolute_error", q.mean_absolute_error);
    put("mean_absolute_percentage_error", q.mean_absolute_percentage_error);
    put("r2_score", q.r2_score);
    table["labelled_rows"] = static_cast<double>(q.labelled_rows);
    table["quality_invalid_rows"] = static_cast<double>(q.invalid_rows);
  }
  return values;
}

MetricValues add_drift_rows(BatchBuilder* rows, const Context& context, const OutKey& key, const Window& compared,
                            const char* drift_type, const GroupState& reference, const GroupState& current) {
  const auto& plan = context.plan;
  auto options = plan.monitor->drift;
  options.exact_sketch_ks_pvalue = false;  // sketched statistics: the asymptotic p-value (docs/monitoring.md)
  const auto report = stats::compare_profiles(reference.profile, current.profile, options);
  MetricValues values;
  const auto begin_row = [&](const std::string& column_name, const std::string& data_type) {
    window_value((*rows)["window"], key.window);
    if (std::string_view(drift_type) == "BASELINE") (*rows)["window_cmp"].null();
    else window_value((*rows)["window_cmp"], compared);
    (*rows)["drift_type"].text(drift_type);
    (*rows)["granularity"].optional_text(key.granularity.empty() ? std::nullopt : std::optional(key.granularity));
    (*rows)["monitor_version"].integer(context.monitor_version);
    (*rows)["refresh_id"].text(context.refresh_id);
    group_columns(*rows, key, plan.monitor->model_id_col);
    (*rows)["column_name"].text(column_name);
    (*rows)["data_type"].text(data_type);
  };
  for (const auto& column : report.columns) {
    auto& v = values[column.column_name];
    const auto* ref = reference.profile.find(column.column_name);
    const auto* cur = current.profile.find(column.column_name);
    const auto metric = [&](const char* name) -> std::optional<double> {
      const auto found = column.metrics.find(name);
      if (found == column.metrics.end()) return std::nullopt;
      return found->second;
    };
    std::optional<double> avg_delta;
    if (column.avg_current && column.avg_reference) avg_delta = *column.avg_current - *column.avg_reference;
    std::optional<double> zeros_delta, distinct_delta;
    if (ref && cur) {
      const auto fr = facts_of(*ref), fc = facts_of(*cur);
      if (ref->numeric) zeros_delta = fc.percent_zeros - fr.percent_zeros;
      if (fr.percent_distinct && fc.percent_distinct) distinct_delta = *fc.percent_distinct - *fr.percent_distinct;
    }
    const double count_delta = static_cast<double>(column.current_count - column.reference_count);
    const double null_delta = column.percent_null_current - column.percent_null_reference;
    v["count_delta"] = count_delta;
    v["percent_null_delta"] = null_delta;
    if (avg_delta) v["avg_delta"] = *avg_delta;
    for (const char* name : {"js_distance", "wasserstein_distance", "population_stability_index", "tv_distance",
                             "l_infinity_distance", "hellinger_distance"}) {
      if (const auto value = metric(name)) v[name] = *value;
    }
    if (column.ks_statistic) v["ks_test.statistic"] = v["ks_test"] = *column.ks_statistic;
    if (column.ks_pvalue) v["ks_test.pvalue"] = *column.ks_pvalue;
    if (column.chi_squared) {
      v["chi_squared_test.statistic"] = v["chi_squared_test"] = column.chi_squared->statistic;
      v["chi_squared_test.pvalue"] = column.chi_squared->pvalue;
    }
    // Decided: the distribution test or the null-rate test ran (the columns the dataset verdict counts). An
    // undecided column (no values on a side) has no drifted value and says why in drift_reason.
    const bool decided = column.evaluated || column.null_rate.has_value();
    if (decided) v["drifted"] = column.drifted ? 1.0 : 0.0;
    if (column.test) {
      v["drift_statistic"] = column.test->statistic;
      if (column.test->pvalue_adjusted) v["pvalue_adjusted"] = *column.test->pvalue_adjusted;
    }
    if (!rows) continue;
    begin_row(column.column_name, ref ? delta::delta_type_name(ref->type) : column.data_type);
    auto& r = *rows;
    r["count_delta"].real(count_delta);
    r["avg_delta"].optional_real(avg_delta);
    r["percent_null_delta"].real(null_delta);
    r["percent_zeros_delta"].optional_real(zeros_delta);
    r["percent_distinct_delta"].optional_real(distinct_delta);
    r["js_distance"].optional_real(metric("js_distance"));
    if (column.ks_statistic) {
      r["ks_test"].child(0).real(*column.ks_statistic);
      r["ks_test"].child(1).optional_real(column.ks_pvalue);
      r["ks_test"].end_struct();
    }
    r["wasserstein_distance"].optional_real(metric("wasserstein_distance"));
    r["population_stability_index"].optional_real(metric("population_stability_index"));
    if (column.chi_squared) {
      r["chi_squared_test"].child(0).real(column.chi_squared->statistic);
      r["chi_squared_test"].child(1).real(column.chi_squared->pvalue);
      r["chi_squared_test"].end_struct();
    }
    r["tv_distance"].optional_real(metric("tv_distance"));
    r["l_infinity_distance"].optional_real(metric("l_infinity_distance"));
    r["hellinger_distance"].optional_real(metric("hellinger_distance"));
    if (column.test) {
      r["drift_test"].text(column.test->name);
      r["drift_statistic"].real(column.test->statistic);
      r["pvalue_adjusted"].optional_real(column.test->pvalue_adjusted);
      r["drift_threshold"].real(column.test->threshold);
      r["borderline"].boolean(column.test->borderline);
    }
    if (!column.drift_level.empty()) r["drift_level"].text(column.drift_level);
    if (decided) r["drifted"].boolean(column.drifted);
    else r["drifted"].null();
    r["drift_reason"].text(!decided ? column.reason : column.drift_reason.empty() ? "none" : column.drift_reason);
    r["exact"].boolean(column.exact);
    r.end_row();
  }
  auto& table = values[":table"];
  table["dataset_drift"] = report.dataset_drift ? 1.0 : 0.0;
  table["share_of_drifted_columns"] = report.share_of_drifted_columns;
  table["count_delta"] = static_cast<double>(report.current_rows - report.reference_rows);
  if (rows) {
    auto& r = *rows;
    begin_row(":table", "");
    r["count_delta"].real(table["count_delta"]);
    std::set<std::string> before, after;
    for (const auto& c : reference.profile.columns) {
      if (c.null_count < c.count) before.insert(c.name);
    }
    for (const auto& c : current.profile.columns) {
      if (c.null_count < c.count) after.insert(c.name);
    }
    std::int64_t added = 0, missing = 0;
    for (const auto& name : after) added += before.contains(name) ? 0 : 1;
    for (const auto& name : before) missing += after.contains(name) ? 0 : 1;
    r["non_null_columns_delta"].child(0).integer(added);
    r["non_null_columns_delta"].child(1).integer(missing);
    r["non_null_columns_delta"].end_struct();
    if (report.evaluated_columns > 0) {
      r["dataset_drift"].boolean(report.dataset_drift);
      r["share_of_drifted_columns"].real(report.share_of_drifted_columns);
    }
    r["drift_reason"].text(report.undecided_reason.empty() ? (report.dataset_drift ? "dataset" : "none")
                                                           : report.undecided_reason);
    r.end_row();
  }
  return values;
}

// ---------------------------------------------------------------------------------------------------------------
// Breaches



bool violates(const BreachRule& rule, double value) {
  if (!rule.op || !rule.value) return value != 0.0;
  switch (*rule.op) {
    case BreachOp::kLess: return value < *rule.value;
    case BreachOp::kLessEqual: return value <= *rule.value;
    case BreachOp::kGreater: return value > *rule.value;
    case BreachOp::kGreaterEqual: return value >= *rule.value;
    case BreachOp::kEqual: return value == *rule.value;
    case BreachOp::kNotEqual: return value != *rule.value;
  }
  return false;
}

struct GroupIdentity {
  std::string granularity;
  std::optional<std::string> slice_key, slice_value, model;
  friend auto operator<=>(const GroupIdentity&, const GroupIdentity&) = default;
};

// values[drift_type or "PROFILE"][identity][window] -> per-column values
using ValueIndex = std::map<std::string, std::map<GroupIdentity, std::map<Window, MetricValues>>>;

std::vector<Breach> evaluate_breaches(const MonitorConfig& monitor, const ValueIndex& index,
                                      const std::set<OutKey>& written, const Plan& plan) {
  std::vector<Breach> breaches;
  const auto& zone = monitor.zone();
  for (const auto& rule : monitor.breach) {
    const bool drift = drift_metric_names().contains(rule.metric);
    const std::string table = drift ? rule.drift_type : "PROFILE";
    const auto by_identity = index.find(table);
    if (by_identity == index.end()) continue;
    for (const auto& key : written) {
      const GroupIdentity identity{key.granularity, key.slice_key, key.slice_value, key.model};
      const auto windows = by_identity->second.find(identity);
      if (windows == by_identity->second.end()) continue;
      const auto current = windows->second.find(key.window);
      if (current == windows->second.end()) continue;
      std::vector<std::string> columns = rule.columns;
      if (columns.empty()) {
        if (rule.metric == "dataset_drift" || rule.metric == "share_of_drifted_columns" ||
            (!drift && current->second.contains(":table") && current->second.at(":table").contains(rule.metric))) {
          columns = {":table"};
        } else {
          for (const auto& [name, values] : current->second) {
            if (name != ":table") columns.push_back(name);
          }
        }
      }
      for (const auto& column : columns) {
        // The window and the num_violation_windows - 1 before it must all violate.
        Window window = key.window;
        std::optional<double> last_value;
        int violated = 0;
        for (int i = 0; i < rule.num_violation_windows; ++i) {
          const auto found = windows->second.find(window);
          if (found == windows->second.end()) break;
          const auto col = found->second.find(column);
          if (col == found->second.end()) break;
          const auto value = col->second.find(rule.metric);
          if (value == col->second.end() || !violates(rule, value->second)) break;
          if (i == 0) last_value = value->second;
          ++violated;
          if (key.granularity.empty()) break;
          const auto granularity = std::find_if(plan.granularities.begin(), plan.granularities.end(),
                                                [&](const Granularity& g) { return g.text == key.granularity; });
          window = previous_window(window, *granularity, zone);
        }
        if (violated < rule.num_violation_windows) continue;
        Breach breach;
        breach.rule = rule.text;
        breach.metric = rule.metric;
        breach.granularity = key.granularity;
        breach.window_start = key.window.start;
        breach.window_end = key.window.end;
        breach.slice_key = key.slice_key;
        breach.slice_value = key.slice_value;
        breach.model_id = key.model;
        breach.column_name = column;
        breach.value = last_value;
        breach.drift_type = drift ? rule.drift_type : "";
        breach.violation_windows = rule.num_violation_windows;
        breach.breach_id = sha256_hex(fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", monitor.name,
                                                  rule.text, key.granularity, key.window.start,
                                                  key.slice_key.value_or("\x1e"), key.slice_value.value_or("\x1e"),
                                                  key.model.value_or("\x1e"), column))
                               .substr(0, 32);
        breaches.push_back(std::move(breach));
      }
    }
  }
  return breaches;
}

core::RecordBatch breach_rows(const std::vector<Breach>& breaches, const Config& config, const MonitorConfig& monitor,
                              const Context& context) {
  BatchBuilder rows(breaches_schema(monitor.model_id_col));
  for (const auto& b : breaches) {
    rows["breach_id"].text(b.breach_id);
    rows["monitor_name"].text(monitor.name);
    rows["target"].text(config.target);
    rows["rule"].text(b.rule);
    rows["metric"].text(b.metric);
    rows["drift_type"].optional_text(b.drift_type.empty() ? std::nullopt : std::optional(b.drift_type));
    rows["granularity"].optional_text(b.granularity.empty() ? std::nullopt : std::optional(b.granularity));
    window_value(rows["window"], Window{b.window_start, b.window_end});
    rows["slice_key"].optional_text(b.slice_key);
    rows["slice_value"].optional_text(b.slice_value);
    if (!monitor.model_id_col.empty()) rows[monitor.model_id_col].optional_text(b.model_id);
    rows["column_name"].text(b.column_name);
    rows["value"].optional_real(b.value);
    rows["violation_windows"].integer(b.violation_windows);
    rows["logging_table_commit_version"].integer(context.table_version);
    rows["refresh_id"].text(context.refresh_id);
    rows["detected_at"].integer(context.now_us);
    rows.end_row();
  }
  return rows.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

bool table_exists(io::Storage& storage, const std::string& table) {
  return storage.is_folder(io::join_path(table, "_delta_log"));
}

delta::TableWriteResult write_rows(const std::string& table, const core::RecordBatch& batch, bool full,
                                   const std::optional<std::string>& replace_where,
                                   const std::optional<delta::TransactionId>& txn, io::Storage& storage) {
  delta::TableWriteOptions options;
  options.mode = delta::WriteMode::kOverwrite;
  if (full) {
    options.overwrite_schema = true;
  } else if (replace_where) {
    options.replace_where = delta::parse_predicate(*replace_where, table + ": replaceWhere");
    options.merge_schema = true;  // tables written before a column was added (refresh_id) gain it
  }
  options.idempotent = txn;
  options.storage = &storage;
  bool given = false;
  return delta::write_table(table, batch.schema,
                            [&]() -> std::optional<core::RecordBatch> {
                              if (given) return std::nullopt;
                              given = true;
                              return batch;
                            },
                            options);
}

void append_refresh_row(const MonitorConfig& monitor, const Config& config, const RefreshRecord& record,
                        io::Storage& storage, const std::string& version) {
  BatchBuilder rows(refreshes_schema());
  rows["refresh_id"].text(record.refresh_id);
  rows["monitor_name"].text(monitor.name);
  rows["target"].text(config.target);
  rows["state"].text(record.state);
  rows["trigger"].text(record.trigger);
  rows["full_refresh"].boolean(record.full);
  rows["start_time"].integer(record.start_time_us);
  rows["end_time"].optional_integer(record.end_time_us);
  rows["table_version_from"].optional_integer(record.version_from);
  rows["table_version_to"].optional_integer(record.version_to);
  rows["rows_read"].integer(record.rows_read);
  rows["windows_touched"].integer(record.windows_touched);
  rows["null_timestamp_rows"].integer(record.null_timestamp_rows);
  rows["config_hash"].text(record.config_hash);
  rows["monitor_version"].integer(record.monitor_version);
  rows["driftgov_version"].text(version);
  if (!record.message.empty()) rows["message"].text(record.message);
  rows.end_row();
  const auto batch = rows.finish();
  delta::TableWriteOptions options;
  options.mode = delta::WriteMode::kAppend;
  options.storage = &storage;
  bool given = false;
  delta::write_table(refreshes_table(monitor), batch.schema,
                     [&]() -> std::optional<core::RecordBatch> {
                       if (given) return std::nullopt;
                       given = true;
                       return batch;
                     },
                     options);
}

std::string in_list(const std::set<std::int64_t>& starts) {
  std::string text;
  for (const auto start : starts) {
    if (!text.empty()) text += ", ";
    text += timestamp_literal(start);
  }
  return text;
}

nlohmann::json window_json(const Window& window) {
  return {{"start", format_instant(window.start)}, {"end", format_instant(window.end)}};
}

}  // namespace

std::string profile_metrics_table(const MonitorConfig& monitor) {
  return io::join_path(monitor.output_root, monitor.name + "_profile_metrics");
}
std::string drift_metrics_table(const MonitorConfig& monitor) {
  return io::join_path(monitor.output_root, monitor.name + "_drift_metrics");
}
std::string breaches_table(const MonitorConfig& monitor) { return io::join_path(monitor.output_root, monitor.name + "_breaches"); }
std::string state_table(const MonitorConfig& monitor) {
  return io::join_path(io::join_path(monitor.output_root, "_driftgov"), monitor.name + "_state");
}
std::string refreshes_table(const MonitorConfig& monitor) { return io::join_path(monitor.output_root, "refreshes"); }

std::vector<RefreshRecord> read_refreshes(const MonitorConfig& monitor, io::Storage& storage) {
  std::vector<RefreshRecord> records;
  const auto table = refreshes_table(monitor);
  if (!table_exists(storage, table)) return records;
  const auto snapshot = delta::Snapshot::load(table, {}, storage);
  delta::ScanOptions options;
  options.predicate = delta::parse_predicate("monitor_name = '" + [&] {
    std::string quoted;
    for (const char c : monitor.name) {
      quoted += c;
      if (c == '\'') quoted += '\'';
    }
    return quoted;
  }() + "'", table);
  delta::Scan scan(snapshot, options);
  std::map<std::string, std::size_t> by_id;
  while (auto batch = scan.next()) {
    using delta::RowValue;
    const delta::BatchRows rows(*batch, table);
    const auto text = [&](const char* name) { return rows.required<RowValue::kText>(name); };
    const auto integer = [&](const char* name) { return rows.required<RowValue::kInteger>(name); };
    const auto monitor_name = text("monitor_name"), refresh_id = text("refresh_id"), target = text("target"),
               state = text("state"), trigger = text("trigger"), message = text("message"),
               config_hash = text("config_hash");
    const auto full_refresh = integer("full_refresh"), start_time = integer("start_time"),
               end_time = integer("end_time"), version_from = integer("table_version_from"),
               version_to = integer("table_version_to"), rows_read = integer("rows_read"),
               windows_touched = integer("windows_touched"), null_timestamp_rows = integer("null_timestamp_rows"),
               monitor_version = integer("monitor_version");
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      if (monitor_name.view(row).value_or("") != monitor.name) continue;
      RefreshRecord record;
      record.refresh_id = refresh_id.at(row).value_or("");
      record.monitor = monitor.name;
      record.target = target.at(row).value_or("");
      record.state = state.at(row).value_or("");
      record.trigger = trigger.at(row).value_or("");
      record.message = message.at(row).value_or("");
      record.config_hash = config_hash.at(row).value_or("");
      record.full = full_refresh.at(row).value_or(0) != 0;
      record.start_time_us = start_time.at(row).value_or(0);
      record.end_time_us = end_time.at(row);
      record.version_from = version_from.at(row);
      record.version_to = version_to.at(row);
      record.rows_read = rows_read.at(row).value_or(0);
      record.windows_touched = windows_touched.at(row).value_or(0);
      record.null_timestamp_rows = null_timestamp_rows.at(row).value_or(0);
      record.monitor_version = monitor_version.at(row).value_or(1);
      const auto found = by_id.find(record.refresh_id);
      if (found == by_id.end()) {
        by_id.emplace(record.refresh_id, records.size());
        records.push_back(std::move(record));
      } else if (record.state != "RUNNING" && record.state != "PENDING") {
        records[found->second] = std::move(record);  // the final state wins over RUNNING
      }
    }
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const RefreshRecord& a, const RefreshRecord& b) { return a.start_time_us < b.start_time_us; });
  return records;
}

namespace {

// Where a refresh's rows come from: the monitored table, read by this process, or the merged state of every row
// of one version computed elsewhere (the Spark path). The one place where the two kinds of refresh differ.
class RowSource {
 public:
  virtual ~RowSource() = default;
  // The version of the monitored table the refresh goes to.
  virtual delta::TimeTravel version() const = 0;
  // The rows are the whole table at that version and nothing else: the refresh is full, and runs even when the
  // state table has processed that version already.
  virtual bool whole_version_only() const = 0;
  // The state of every row of `source` (a full refresh), with what was read.
  virtual void read_all(const delta::Snapshot& source, const Plan& plan, const std::string& source_name,
                        StateMap& state, Counters& counters) const = 0;
};

// The table itself, at its latest version; a refresh may be incremental.
class TableRows final : public RowSource {
 public:
  delta::TimeTravel version() const override { return {}; }
  bool whole_version_only() const override { return false; }
  void read_all(const delta::Snapshot& source, const Plan& plan, const std::string& source_name, StateMap& state,
                Counters& counters) const override {
    delta::ScanOptions scan_options;
    scan_options.columns = plan.scan_columns;
    delta::Scan scan(source, scan_options);
    GroupReader reader(plan, scan.schema(), false);
    read_scan(scan, reader, [](std::int64_t) { return true; }, state, counters, source_name);
  }
};

// A state computed elsewhere from every row of `state.version`.
class ExternalRows final : public RowSource {
 public:
  explicit ExternalRows(const TableState& state) : state_(state) {}
  delta::TimeTravel version() const override { return {state_.version, std::nullopt}; }
  bool whole_version_only() const override { return true; }
  void read_all(const delta::Snapshot& source, const Plan&, const std::string&, StateMap& state,
                Counters& counters) const override {
    for (const auto& rows : state_.rows) add_state_rows(rows, "partial state", false, std::nullopt, state);
    // Every live file of the version was read by the tasks.
    counters = Counters{state_.rows_read, state_.null_timestamp_rows,
                        static_cast<std::int64_t>(source.files().size())};
  }

 private:
  const TableState& state_;
};

// A refresh: reading its rows, then profiles, drift, breaches, writes and the refresh's records.
RefreshSummary refresh(const Config& config, const MonitorConfig& monitor, const RefreshOptions& options,
                       const RowSource& row_source) {
  auto& storage = options.storage ? *options.storage : io::local_storage();
  const auto clock_start = std::chrono::steady_clock::now();
  const auto now_us = options.now_us.value_or(system_now_us());

  // One refresh of a monitor at a time.
  const auto lock_path = io::join_path(io::join_path(monitor.output_root, "_driftgov"), monitor.name + ".lock");
  auto lock = storage.try_lock(lock_path);
  const auto wait_until = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.wait_seconds);
  while (!lock && std::chrono::steady_clock::now() < wait_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    lock = storage.try_lock(lock_path);
  }
  if (!lock) {
    throw MonitorBusyError(fmt::format(
        "monitor '{}' is being refreshed by another process (lock {} is held); wait for it to finish, or pass "
        "--wait SECONDS",
        monitor.name, lock_path));
  }

  RefreshSummary summary;
  summary.refresh_id = new_refresh_id();
  summary.monitor = monitor.name;
  const auto history = read_refreshes(monitor, storage);
  RefreshRecord record;
  record.refresh_id = summary.refresh_id;
  record.monitor = monitor.name;
  record.target = config.target;
  record.trigger = options.trigger;
  record.config_hash = monitor.config_hash;
  record.start_time_us = now_us;
  record.monitor_version = 1;
  {
    std::set<std::string> hashes;
    std::int64_t highest = 0;
    for (const auto& past : history) {
      highest = std::max(highest, past.monitor_version);
      if (past.state == "SUCCESS") hashes.insert(past.config_hash);
    }
    const auto last_success = std::find_if(history.rbegin(), history.rend(),
                                           [](const RefreshRecord& r) { return r.state == "SUCCESS"; });
    if (last_success != history.rend()) {
      record.monitor_version =
          last_success->config_hash == monitor.config_hash ? last_success->monitor_version : highest + 1;
    }
  }
  // Refreshes that never finished (their process ended while holding the lock, which we now hold).
  for (const auto& past : history) {
    if (past.state == "RUNNING" || past.state == "PENDING") {
      RefreshRecord ended = past;
      ended.state = "FAILED";
      ended.end_time_us = now_us;
      ended.message = "interrupted: the refresh's process ended before it finished";
      append_refresh_row(monitor, config, ended, storage, options.driftgov_version);
    }
  }

  const auto source = delta::Snapshot::load(monitor.table, row_source.version(), storage);
  const auto plan = make_plan(config, monitor, source.schema().schema);
  const auto state_location = state_table(monitor);
  std::optional<delta::Snapshot> state_snapshot;
  if (table_exists(storage, state_location)) state_snapshot = delta::Snapshot::load(state_location, {}, storage);
  std::optional<std::int64_t> processed;
  if (state_snapshot) processed = state_snapshot->transaction_version(plan.app_id);
  summary.version_from = processed;
  summary.version_to = source.version();
  const bool snapshot_monitor = is_snapshot(monitor);
  const bool full_asked = options.full || row_source.whole_version_only();
  bool full = full_asked || !processed || snapshot_monitor;
  if (!full_asked && processed && *processed == source.version()) {
    summary.state = "UP_TO_DATE";
    summary.telemetry = nlohmann::json::object();  // no telemetry document: nothing was written
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
    return summary;
  }
  std::optional<delta::Snapshot> previous;
  if (!full) {
    try {
      previous = delta::Snapshot::load(monitor.table, delta::TimeTravel{*processed, std::nullopt}, storage);
    } catch (const core::InputError&) {
      full = true;  // the processed version is gone (log cleaned up): start over
    }
  }
  summary.full = full;
  record.full = full;
  record.state = "RUNNING";
  record.version_from = processed;
  record.version_to = source.version();
  append_refresh_row(monitor, config, record, storage, options.driftgov_version);

  try {
    Counters counters;
    Context context{plan, source.version(), record.monitor_version, summary.refresh_id, now_us};
    const std::string source_name = fmt::format("{}@v={}", monitor.table, source.version());
    // ---- Baseline
    StateMap baseline;
    if (monitor.baseline) {
      if (!full && state_snapshot) baseline = read_state(state_location, *state_snapshot, true, std::nullopt);
      if (baseline.empty()) {
        if (!monitor.baseline->profile.empty()) {
          GroupState whole;
          whole.profile = load_profile(monitor.baseline->profile);
          baseline.emplace(GroupKey{0, std::nullopt, std::nullopt, std::string(kAllModels)}, std::move(whole));
        } else {
          const auto base = delta::Snapshot::load(
              monitor.baseline->table, delta::TimeTravel{monitor.baseline->version, std::nullopt}, storage);
          std::vector<std::string> columns;
          std::set<std::string> wanted(plan.scan_columns.begin(), plan.scan_columns.end());
          for (const auto& f : base.schema().schema.fields) {
            if (wanted.contains(f.name)) columns.push_back(f.name);
          }
          delta::ScanOptions scan_options;
          scan_options.columns = columns;
          delta::Scan scan(base, scan_options);
          GroupReader reader(plan, scan.schema(), true);
          Counters baseline_counters;
          read_scan(scan, reader, [](std::int64_t) { return true; }, baseline, baseline_counters,
                    fmt::format("{}@v={}", monitor.baseline->table, base.version()));
        }
      }
    }

    // ---- Which finest windows change, and their state
    const auto seconds_since = [](std::chrono::steady_clock::time_point from) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
    };
    const auto read_start = std::chrono::steady_clock::now();
    StateMap state;
    std::set<std::int64_t> touched;     // finest windows whose state this refresh rewrites
    std::set<std::int64_t> recomputed;  // finest windows rebuilt from the table
    delta::ScanOptions scan_options;
    scan_options.columns = plan.scan_columns;
    const auto& zone = monitor.zone();
    if (full) {
      row_source.read_all(source, plan, source_name, state, counters);
      if (snapshot_monitor) {
        // One window per table version: [commit time, commit time].
        StateMap keyed;
        const std::int64_t at = now_us;
        for (auto& [key, group] : state) {
          GroupKey k = key;
          k.window_start = at;
          group.window_end = at;
          keyed.emplace(k, std::move(group));
        }
        state = std::move(keyed);
      }
      for (const auto& [key, group] : state) touched.insert(key.window_start);
    } else {
      std::map<std::string, const delta::AddFile*> before, after;
      for (const auto& f : previous->files()) before.emplace(f.key(), &f);
      for (const auto& f : source.files()) after.emplace(f.key(), &f);
      std::set<std::string> removed, added;
      for (const auto& [key, file] : before) {
        if (!after.contains(key)) removed.insert(key);
      }
      for (const auto& [key, file] : after) {
        if (!before.contains(key)) added.insert(key);
      }
      // Windows holding rows of removed files, read as they were at the processed version.
      if (!removed.empty()) {
        delta::ScanOptions removed_options;
        removed_options.columns = {monitor.timestamp_col};
        removed_options.file_keys = removed;
        delta::Scan scan(*previous, removed_options);
        while (auto batch = scan.next()) {
          Window current{1, 0};
          for (std::int64_t row = 0; row < batch->num_rows; ++row) {
            const auto instant = instant_of(batch->columns[0], row, zone);
            if (!instant) continue;
            if (!(*instant >= current.start && *instant < current.end)) {
              current = window_of(*instant, plan.finest, zone);
              recomputed.insert(current.start);
            }
          }
        }
      }
      // New rows: windows not recomputed merge into their stored state.
      StateMap fresh;
      if (!added.empty()) {
        auto options_added = scan_options;
        options_added.file_keys = added;
        delta::Scan scan(source, options_added);
        GroupReader reader(plan, scan.schema(), false);
        read_scan(scan, reader, [&](std::int64_t start) { return !recomputed.contains(start); }, fresh, counters,
                  source_name);
      }
      for (const auto& [key, group] : fresh) touched.insert(key.window_start);
      // Recomputed windows from the current version (file skipping on the timestamp's range).
      if (!recomputed.empty()) {
        auto options_recompute = scan_options;
        const auto first = *recomputed.begin();
        const auto last = window_of(*recomputed.rbegin(), plan.finest, zone).end;
        options_recompute.predicate = delta::parse_predicate(
            fmt::format("`{}` >= {} AND `{}` < {}", monitor.timestamp_col, timestamp_literal(first),
                        monitor.timestamp_col, timestamp_literal(last)),
            "recompute");
        delta::Scan scan(source, options_recompute);
        GroupReader reader(plan, scan.schema(), false);
        read_scan(scan, reader, [&](std::int64_t start) { return recomputed.contains(start); }, fresh, counters,
                  source_name);
        touched.insert(recomputed.begin(), recomputed.end());
      }
      // Load the stored state of every window the output needs: the touched windows' coarse windows, and the
      // windows before them (CONSECUTIVE drift, breach rules over several windows).
      int lookback = 1;
      for (const auto& rule : monitor.breach) lookback = std::max(lookback, rule.num_violation_windows);
      std::int64_t span_start = INT64_MAX, span_end = INT64_MIN;
      for (const auto start : touched) {
        for (const auto& g : plan.granularities) {
          auto w = window_of(start, g, zone);
          const auto after_window = next_window(w, g, zone);
          span_end = std::max(span_end, after_window.end);
          for (int i = 0; i < lookback; ++i) w = previous_window(w, g, zone);
          span_start = std::min(span_start, w.start);
        }
      }
      if (!touched.empty()) {
        state = read_state(state_location, *state_snapshot, false, std::make_pair(span_start, span_end));
      }
      for (auto it = state.begin(); it != state.end();) {
        if (recomputed.contains(it->first.window_start)) it = state.erase(it);
        else ++it;
      }
      for (auto& [key, group] : fresh) {
        const auto found = state.find(key);
        if (found == state.end() || recomputed.contains(key.window_start)) state.insert_or_assign(key, std::move(group));
        else merge_into(found->second, group);
      }
    }
    summary.rows_read = counters.rows_read;
    summary.files_read = counters.files_read;
    summary.null_timestamp_rows = counters.null_timestamp_rows;
    summary.windows_recomputed = static_cast<std::int64_t>(recomputed.size());

    const double read_seconds = seconds_since(read_start);
    const auto compute_start = std::chrono::steady_clock::now();
    // ---- Output windows: every coarse window holding a touched finest window, and the window after each
    // (its CONSECUTIVE drift compares with a changed window). Rows are replaced by window start, so every row
    // whose window starts at one of those starts is rewritten, whatever its granularity.
    const bool model_column = !monitor.model_id_col.empty();
    const auto groups = output_groups(plan, state, model_column);
    std::set<std::int64_t> starts;
    for (const auto start : touched) {
      if (plan.granularities.empty()) starts.insert(start);
      for (const auto& g : plan.granularities) {
        const auto w = window_of(start, g, zone);
        starts.insert(w.start);
        starts.insert(next_window(w, g, zone).start);
      }
    }
    std::set<OutKey> written;
    std::map<std::pair<std::string, std::int64_t>, Window> output_windows;
    for (const auto& [key, group] : groups) {
      if (full || starts.contains(key.window.start)) {
        written.insert(key);
        output_windows[std::make_pair(key.granularity, key.window.start)] = key.window;
      }
    }
    summary.windows_touched = static_cast<std::int64_t>(output_windows.size());

    BatchBuilder profile_rows(profile_metrics_schema(monitor.model_id_col));
    BatchBuilder drift_rows(drift_metrics_schema(monitor.model_id_col));
    ValueIndex values;
    // The whole baseline: its own group, or the union of the covering partition's values.
    std::optional<GroupState> baseline_whole;
    for (const auto& [bkey, bgroup] : baseline) {
      if (!bkey.slice_key) {
        baseline_whole = bgroup;
        break;
      }
      if (plan.covering < 0 || bkey.slice_key != plan.partitions[static_cast<std::size_t>(plan.covering)].key) continue;
      if (!baseline_whole) baseline_whole = bgroup;
      else merge_into(*baseline_whole, bgroup);
    }
    for (const auto& [key, group] : groups) {
      const bool write = written.contains(key);
      const GroupIdentity identity{key.granularity, key.slice_key, key.slice_value, key.model};
      if (write) add_profile_rows(profile_rows, context, key, group.state, "INPUT");
      values["PROFILE"][identity][key.window] = profile_values(group.state);
      // BASELINE drift: the baseline's same slice.
      if (!baseline.empty()) {
        const GroupState* reference = nullptr;
        if (!key.slice_key) {
          if (baseline_whole) reference = &*baseline_whole;
        } else {
          const auto found = baseline.find(GroupKey{0, key.slice_key, key.slice_value, std::string(kAllModels)});
          if (found != baseline.end()) reference = &found->second;
        }
        if (reference) {
          values["BASELINE"][identity][key.window] =
              add_drift_rows(write ? &drift_rows : nullptr, context, key, key.window, "BASELINE", *reference,
                             group.state);
        }
      }
      // CONSECUTIVE drift: the same group in the previous window.
      if (!key.granularity.empty()) {
        const auto& granularity_text = key.granularity;
        const auto g = std::find_if(plan.granularities.begin(), plan.granularities.end(),
                                    [&](const Granularity& x) { return x.text == granularity_text; });
        const auto before = previous_window(key.window, *g, zone);
        OutKey previous_key = key;
        previous_key.window = before;
        const auto found = groups.find(previous_key);
        if (found != groups.end()) {
          values["CONSECUTIVE"][identity][key.window] = add_drift_rows(
              write ? &drift_rows : nullptr, context, key, before, "CONSECUTIVE", found->second.state, group.state);
        }
      }
    }
    if (full) {
      // BASELINE rows of profile_metrics (no window), written with every full refresh; the whole baseline too
      // when it is not a group of its own (a covering column slice gives it).
      for (const auto& [bkey, bgroup] : baseline) {
        add_profile_rows(profile_rows, context, OutKey{"", Window{}, bkey.slice_key, bkey.slice_value, bkey.model},
                         bgroup, "BASELINE");
      }
      if (baseline_whole && !baseline.contains(GroupKey{0, std::nullopt, std::nullopt, std::string(kAllModels)})) {
        add_profile_rows(profile_rows, context,
                         OutKey{"", Window{}, std::nullopt, std::nullopt, std::string(kAllModels)}, *baseline_whole,
                         "BASELINE");
      }
    }
    const auto breaches = evaluate_breaches(monitor, values, written, plan);
    summary.breaches = breaches;

    const double compute_seconds = seconds_since(compute_start);
    const auto write_start = std::chrono::steady_clock::now();
    // ---- Write: metric tables first, the state last (its txn marks the version as processed).
    const delta::TransactionId processed_txn{plan.app_id, source.version(), std::nullopt};
    const std::optional<delta::TransactionId> txn = full ? std::nullopt : std::optional(processed_txn);
    if (full || !starts.empty()) {
      const std::optional<std::string> where =
          full ? std::nullopt : std::optional("`window`.`start` IN (" + in_list(starts) + ")");
      write_rows(profile_metrics_table(monitor), profile_rows.finish(), full, where, txn, storage);
      write_rows(drift_metrics_table(monitor), drift_rows.finish(), full, where, txn, storage);
      write_rows(breaches_table(monitor), breach_rows(breaches, config, monitor, context), full, where, txn, storage);
    }
    // State: INPUT rows of the touched windows (every window and the BASELINE rows on a full refresh).
    // One batch per finest window, built as the writer asks for it: the serialized profiles of one window at a
    // time are in memory, not the whole state's.
    std::vector<std::int64_t> state_windows;
    for (const auto& [key, group] : state) {
      if ((full || touched.contains(key.window_start)) &&
          (state_windows.empty() || state_windows.back() != key.window_start)) {
        state_windows.push_back(key.window_start);
      }
    }
    delta::TableWriteOptions state_options;
    state_options.mode = full ? delta::WriteMode::kOverwrite : delta::WriteMode::kAppend;
    state_options.overwrite_schema = full;
    if (!full && !touched.empty()) {
      state_options.mode = delta::WriteMode::kOverwrite;
      state_options.replace_where =
          delta::parse_predicate("window_start IN (" + in_list(touched) + ")", state_location + ": replaceWhere");
    }
    state_options.idempotent = processed_txn;
    state_options.storage = &storage;
    state_options.parquet.row_group_bytes = std::int64_t{16} << 20;
    std::size_t next_window = 0;
    bool baseline_written = !full || baseline.empty();
    delta::write_table(state_location, state_schema(),
                       [&]() -> std::optional<core::RecordBatch> {
                         if (next_window < state_windows.size()) {
                           return state_rows(state, {state_windows[next_window++]}, false, false);
                         }
                         if (!baseline_written) {
                           baseline_written = true;
                           return state_rows(baseline, {}, true, true);
                         }
                         return std::nullopt;
                       },
                       state_options);

    const double write_seconds = seconds_since(write_start);
    // ---- Telemetry and the refresh record
    summary.state = "SUCCESS";
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
    nlohmann::json telemetry;
    telemetry["format"] = "driftgov.refresh_telemetry";
    telemetry["format_version"] = 1;
    telemetry["refresh_id"] = summary.refresh_id;
    telemetry["project"] = config.project;
    telemetry["target"] = config.target;
    telemetry["monitor"] = monitor.name;
    telemetry["table"] = monitor.table;
    telemetry["config_hash"] = monitor.config_hash;
    telemetry["monitor_version"] = record.monitor_version;
    telemetry["driftgov_version"] = options.driftgov_version;
    telemetry["trigger"] = options.trigger;
    telemetry["full_refresh"] = full;
    telemetry["table_version_from"] = processed ? nlohmann::json(*processed) : nlohmann::json(nullptr);
    telemetry["table_version_to"] = source.version();
    telemetry["started_at"] = format_instant(now_us);
    telemetry["rows_read"] = summary.rows_read;
    telemetry["files_read"] = summary.files_read;
    telemetry["null_timestamp_rows"] = summary.null_timestamp_rows;
    telemetry["windows_recomputed"] = summary.windows_recomputed;
    auto windows_json = nlohmann::json::array();
    for (const auto& [where_key, window] : output_windows) {
      auto w = window_json(window);
      if (!where_key.first.empty()) w["granularity"] = where_key.first;
      windows_json.push_back(std::move(w));
    }
    telemetry["windows_touched"] = windows_json;
    // Per-column drift levels of the whole table, all models, BASELINE, in the newest written window.
    auto columns_json = nlohmann::json::array();
    {
      const auto by_identity = values.find("BASELINE");
      if (by_identity != values.end()) {
        for (const auto& [identity, by_window] : by_identity->second) {
          if (identity.slice_key || (model_column && identity.model != kAllModels)) continue;
          for (auto it = by_window.rbegin(); it != by_window.rend(); ++it) {
            if (!output_windows.contains({identity.granularity, it->first.start})) continue;
            for (const auto& [column, metrics] : it->second) {
              if (column == ":table") continue;
              nlohmann::json c{{"column", column}, {"granularity", identity.granularity},
                               {"window", window_json(it->first)},
                               {"drifted", metrics.contains("drifted") && metrics.at("drifted") != 0.0}};
              if (metrics.contains("population_stability_index")) {
                const auto psi = metrics.at("population_stability_index");
                c["population_stability_index"] = psi;
                c["drift_level"] = stats::psi_level(psi);
              }
              columns_json.push_back(std::move(c));
            }
            break;
          }
        }
      }
    }
    telemetry["columns"] = columns_json;
    auto breaches_json = nlohmann::json::array();
    for (const auto& b : breaches) {
      nlohmann::json j = nlohmann::json::object();
      j["breach_id"] = b.breach_id;
      j["rule"] = b.rule;
      j["metric"] = b.metric;
      j["granularity"] = b.granularity;
      j["window"] = window_json(Window{b.window_start, b.window_end});
      j["column"] = b.column_name;
      j["violation_windows"] = b.violation_windows;
      j["value"] = b.value ? nlohmann::json(*b.value) : nlohmann::json(nullptr);
      j["slice_key"] = b.slice_key ? nlohmann::json(*b.slice_key) : nlohmann::json(nullptr);
      j["slice_value"] = b.slice_value ? nlohmann::json(*b.slice_value) : nlohmann::json(nullptr);
      j["model_id"] = b.model_id ? nlohmann::json(*b.model_id) : nlohmann::json(nullptr);
      j["drift_type"] = b.drift_type.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.drift_type);
      breaches_json.push_back(std::move(j));
    }
    telemetry["breaches"] = breaches_json;
    telemetry["tables"] = {{"profile_metrics", profile_metrics_table(monitor)},
                           {"drift_metrics", drift_metrics_table(monitor)},
                           {"breaches", breaches_table(monitor)},
                           {"refreshes", refreshes_table(monitor)}};
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
    telemetry["timings"] = {{"total_seconds", summary.seconds},
                            {"read_seconds", read_seconds},
                            {"compute_seconds", compute_seconds},
                            {"write_seconds", write_seconds}};
    telemetry["state"] = summary.state;
    summary.telemetry = telemetry;
    summary.telemetry_path =
        io::join_path(io::join_path(io::join_path(monitor.output_root, "_driftgov"), "telemetry"), monitor.name + "/" + summary.refresh_id + ".json");
    io::write_file_atomically(storage, summary.telemetry_path, telemetry.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");

    record.state = "SUCCESS";
    record.end_time_us = now_us + static_cast<std::int64_t>(summary.seconds * 1e6);
    record.rows_read = summary.rows_read;
    record.windows_touched = summary.windows_touched;
    record.null_timestamp_rows = summary.null_timestamp_rows;
    append_refresh_row(monitor, config, record, storage, options.driftgov_version);
    return summary;
  } catch (const std::exception& error) {
    record.state = "FAILED";
    record.end_time_us = system_now_us();
    record.message = error.what();
    try {
      append_refresh_row(monitor, config, record, storage, options.driftgov_version);
    } catch (...) {
      // The original error matters more than a failed record of it.
    }
    throw;
  }
}

}  // namespace

RefreshSummary refresh_monitor(const Config& config, const MonitorConfig& monitor, const RefreshOptions& options) {
  return refresh(config, monitor, options, TableRows{});
}

RefreshSummary refresh_monitor_from_state(const Config& config, const MonitorConfig& monitor, const TableState& state,
                                          const RefreshOptions& options) {
  return refresh(config, monitor, options, ExternalRows{state});
}

TableScan refresh_table_scan(const Config& config, const MonitorConfig& monitor, io::Storage& storage) {
  const auto table = delta::Snapshot::load(monitor.table, {}, storage);
  return TableScan{monitor.table, table.version(), make_plan(config, monitor, table.schema().schema).scan_columns};
}

PartialState partial_state(const Config& config, const MonitorConfig& monitor, std::int64_t version,
                           io::Source& source) {
  const auto plan = make_plan(config, monitor, source.schema());
  GroupReader reader(plan, source.schema(), false);
  Cells cells;
  Counters counters;
  while (auto batch = source.next()) reader.consume(*batch, [](std::int64_t) { return true; }, cells, counters);
  StateMap state;
  reader.finish(cells, state, fmt::format("{}@v={}", monitor.table, version));
  PartialState partial;
  partial.rows = state_rows(state, {}, false, true);
  partial.rows_read = counters.rows_read;
  partial.null_timestamp_rows = counters.null_timestamp_rows;
  return partial;
}

nlohmann::json summary_json(const RefreshSummary& summary) {
  using nlohmann::json;
  json j = {{"monitor", summary.monitor},
            {"refresh_id", summary.refresh_id},
            {"state", summary.state},
            {"full_refresh", summary.full},
            {"table_version_to", summary.version_to},
            {"rows_read", summary.rows_read},
            {"files_read", summary.files_read},
            {"windows_touched", summary.windows_touched},
            {"windows_recomputed", summary.windows_recomputed},
            {"null_timestamp_rows", summary.null_timestamp_rows},
            {"seconds", summary.seconds},
            {"breaches", summary.telemetry.is_object() ? summary.telemetry.value("breaches", json::array())
                                                       : json::array()},
            {"telemetry", summary.telemetry_path.empty() ? json(nullptr) : json(summary.telemetry_path)}};
  j["table_version_from"] = summary.version_from ? json(*summary.version_from) : json(nullptr);
  return j;
}

}  // namespace driftgov::monitor
