#include "driftgov/delta/data_skipping.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/log.hpp"

namespace driftgov::delta {
namespace {

using nlohmann::json;
using core::TypeId;

enum class BoundKind { kInteger, kFloating, kDecimal, kText, kNone };

BoundKind kind_of(const core::DataType& type) {
  if (type.is_integer() || type.id == TypeId::kDate || type.id == TypeId::kTimestamp || type.id == TypeId::kBoolean) {
    return BoundKind::kInteger;
  }
  if (type.is_floating()) return BoundKind::kFloating;
  if (type.id == TypeId::kDecimal) return BoundKind::kDecimal;
  if (type.id == TypeId::kString) return BoundKind::kText;
  return BoundKind::kNone;
}


// The unscaled decimal bound for a stats number. Writers put decimals in JSON as numbers, which arrive here as
// doubles (and some writers round them to 17 digits before writing): exact while the unscaled value is below 2^50,
// beyond that widened by the double's relative error (outwards, so the bound stays true), and open beyond what
// a decimal(38) holds.
std::optional<core::Int128> decimal_bound(const json& value, int scale, bool upper) {
  if (!value.is_number()) return std::nullopt;
  long double unscaled = value.get<long double>();
  for (int i = 0; i < scale; ++i) unscaled *= 10;
  if (!std::isfinite(unscaled)) return std::nullopt;
  constexpr long double kExact = 1125899906842624.0L;  // 2^50
  if (std::fabs(unscaled) < kExact) return static_cast<core::Int128>(std::llround(unscaled));
  const long double margin = std::fabs(unscaled) * 0x1p-50L + 2;
  const long double widened = upper ? std::ceil(unscaled + margin) : std::floor(unscaled - margin);
  if (std::fabs(widened) >= 1e38L) return std::nullopt;
  return static_cast<core::Int128>(widened);
}

// A stats value as a bound. `upper` widens timestamps by the sub-millisecond part stats cannot hold.
std::optional<BoundValue> stats_value(const json& value, const core::DataType& type, bool upper) {
  if (value.is_null()) return std::nullopt;
  try {
    switch (type.id) {
      case TypeId::kInt8:
      case TypeId::kInt16:
      case TypeId::kInt32:
      case TypeId::kInt64:
        if (value.is_number_integer()) return value.get<std::int64_t>();
        return std::nullopt;
      case TypeId::kFloat32:
      case TypeId::kFloat64:
        if (value.is_number()) return value.get<double>();
        return std::nullopt;
      case TypeId::kDate:
        if (value.is_string()) return std::int64_t{parse_timestamp_ms(value.get<std::string>(), "stats") / 86400000};
        return std::nullopt;
      case TypeId::kTimestamp: {
        if (!value.is_string()) return std::nullopt;
        std::int64_t micros = parse_timestamp_us(value.get<std::string>(), "stats");
        if (upper) micros += 999;
        if (type.unit == core::TimeUnit::kMilli) return upper ? (micros + 999) / 1000 : micros / 1000;
        if (type.unit == core::TimeUnit::kNano) return micros * 1000 + (upper ? 999 : 0);
        return micros;
      }
      case TypeId::kString:
        if (value.is_string()) return value.get<std::string>();
        return std::nullopt;
      case TypeId::kDecimal:
        if (auto bound = decimal_bound(value, type.scale, upper)) return *bound;
        return std::nullopt;
      default:
        return std::nullopt;  // booleans, binary and nested types: no skipping from JSON stats
    }
  } catch (const core::InputError&) {
    return std::nullopt;  // unreadable stats only cost the skipping, never correctness
  }
}

struct ResolvedRange {
  const ColumnRange* range;
  std::size_t index;
  bool is_partition;
  std::string physical_name;
};

}  // namespace

std::optional<BoundValue> column_value(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row)) return std::nullopt;
  const auto index = static_cast<std::size_t>(row);
  switch (kind_of(column.type)) {
    case BoundKind::kInteger: return column.ints[index];
    case BoundKind::kFloating: return column.doubles[index];
    case BoundKind::kDecimal: return column.decimals[index];
    case BoundKind::kText: return std::string(column.string_at(row));
    case BoundKind::kNone: return std::nullopt;
  }
  return std::nullopt;
}

int compare(const BoundValue& a, const BoundValue& b) {
  return std::visit(
      [&](const auto& left) {
        using Value = std::decay_t<decltype(left)>;
        const auto& right = std::get<Value>(b);
        return left < right ? -1 : (right < left ? 1 : 0);
      },
      a);
}

std::vector<const AddFile*> files_overlapping(const Snapshot& snapshot, const std::vector<ColumnRange>& ranges) {
  const auto& schema = snapshot.schema();
  const auto& partitions = snapshot.metadata().partition_columns;
  std::vector<ResolvedRange> resolved;
  for (const auto& range : ranges) {
    const auto index = schema.schema.find(range.column);
    if (!index) {
      throw core::InputError(fmt::format("{}: data skipping: no column '{}'", snapshot.table_root().string(),
                                         range.column));
    }
    const auto& field = schema.schema.fields[*index];
    const BoundKind kind = kind_of(field.type);
    for (const auto* bound : {&range.lower, &range.upper}) {
      if (!*bound) continue;
      const bool fits = (kind == BoundKind::kInteger && std::holds_alternative<std::int64_t>(**bound)) ||
                        (kind == BoundKind::kFloating && std::holds_alternative<double>(**bound)) ||
                        (kind == BoundKind::kDecimal && std::holds_alternative<core::Int128>(**bound)) ||
                        (kind == BoundKind::kText && std::holds_alternative<std::string>(**bound));
      if (!fits) {
        throw core::InputError(fmt::format("{}: data skipping: a bound for column '{}' does not match its type {}",
                                           snapshot.table_root().string(), range.column, field.type.to_string()));
      }
    }
    const bool is_partition = std::find(partitions.begin(), partitions.end(), field.name) != partitions.end();
    resolved.push_back(
        {&range, *index, is_partition, physical_column_name(schema, *index, snapshot.column_mapping_mode())});
  }

  std::vector<const AddFile*> kept;
  for (const auto& file : snapshot.files()) {
    std::optional<json> stats;
    bool keep = true;
    for (const auto& item : resolved) {
      const auto& field = schema.schema.fields[item.index];
      std::optional<BoundValue> minimum;
      std::optional<BoundValue> maximum;
      if (item.is_partition) {
        auto found = file.partition_values.find(item.physical_name);
        const auto value = found == file.partition_values.end() ? std::nullopt : found->second;
        const auto typed = column_value(partition_value_column(field, value, 1, file.path), 0);
        if (!typed) {
          keep = false;  // a null partition value matches no range
          break;
        }
        minimum = maximum = typed;
      } else {
        if (!stats) {
          stats = file.stats ? json::parse(*file.stats, nullptr, false) : json();
          if (stats->is_discarded()) stats = json();
        }
        if (!stats->is_object()) continue;
        const auto records = stats->find("numRecords");
        const auto nulls = stats->find("nullCount");
        if (records != stats->end() && nulls != stats->end() && nulls->is_object() && records->is_number_integer()) {
          auto count = nulls->find(item.physical_name);
          if (count != nulls->end() && count->is_number_integer() && *count == *records &&
              !file.deletion_vector) {
            keep = false;  // every row is null
            break;
          }
        }
        const auto bound = [&](const char* key, bool upper) -> std::optional<BoundValue> {
          auto values = stats->find(key);
          if (values == stats->end() || !values->is_object()) return std::nullopt;
          auto value = values->find(item.physical_name);
          return value == values->end() ? std::nullopt : stats_value(*value, field.type, upper);
        };
        minimum = bound("minValues", false);
        maximum = bound("maxValues", true);
      }
      if (item.range->lower && maximum && compare(*maximum, *item.range->lower) < 0) keep = false;
      if (item.range->upper && minimum && compare(*minimum, *item.range->upper) > 0) keep = false;
      if (!keep) break;
    }
    if (keep) kept.push_back(&file);
  }
  return kept;
}

}  // namespace driftgov::delta
