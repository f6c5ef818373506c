#include "driftgov/delta/data_skipping.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/predicate.hpp"

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
  const core::Field* field;  // the column, or the nested field
  bool is_partition;
  std::vector<std::string> physical_path;  // names in the data files and the stats, top-level first
};

// The stats entry of a column path inside minValues, maxValues or nullCount (nested objects for struct
// fields).
const json* stats_entry(const json& stats, const char* key, const std::vector<std::string>& path) {
  const auto values = stats.find(key);
  if (values == stats.end()) return nullptr;
  const json* node = &*values;
  for (const auto& name : path) {
    if (!node->is_object()) return nullptr;
    const auto child = node->find(name);
    if (child == node->end()) return nullptr;
    node = &*child;
  }
  return node;
}

}  // namespace

std::vector<std::size_t> resolve_field_path(const core::Schema& schema, const std::string& column,
                                            const std::vector<std::string>& fields,
                                            const std::string& context) {
  const auto names_of = [](const std::vector<core::Field>& children) {
    std::vector<std::string> names;
    for (const auto& field : children) names.push_back(column_path_text(field.name, {}));
    return fmt::format("{}", fmt::join(names, ", "));
  };
  std::vector<std::size_t> path;
  const auto index = schema.find(column);
  if (!index) {
    std::string hint;
    std::string joined = column;
    for (const auto& field : fields) joined += "." + field;
    if (!fields.empty() && schema.find(joined)) {
      hint = fmt::format("; the top-level column '{}' is written {}", joined, column_path_text(joined, {}));
    }
    throw core::InputError(fmt::format("{}: no column '{}' (columns: {}){}", context,
                                       column_path_text(column, fields), names_of(schema.fields), hint));
  }
  path.push_back(*index);
  const core::Field* field = &schema.fields[*index];
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto parent =
        column_path_text(column, std::vector<std::string>(fields.begin(), fields.begin() + i));
    if (field->type.id != core::TypeId::kStruct) {
      throw core::InputError(fmt::format("{}: '{}' is not a struct (it is {}), so it has no field '{}'",
                                         context, parent, field->type.to_string(), fields[i]));
    }
    const auto& children = field->type.children;
    const auto found = std::find_if(children.begin(), children.end(),
                                    [&](const core::Field& child) { return child.name == fields[i]; });
    if (found == children.end()) {
      throw core::InputError(fmt::format("{}: the struct '{}' has no field '{}' (fields: {})", context,
                                         parent, fields[i], names_of(children)));
    }
    path.push_back(static_cast<std::size_t>(found - children.begin()));
    field = &*found;
  }
  return path;
}

const core::Field& field_at(const core::Schema& schema, const std::vector<std::size_t>& path) {
  DRIFTGOV_CHECK(!path.empty(), "an empty column path");
  const core::Field* field = &schema.fields.at(path[0]);
  for (std::size_t i = 1; i < path.size(); ++i) field = &field->type.children.at(path[i]);
  return *field;
}

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
  const core::Schema physical = physical_schema(schema, snapshot.column_mapping_mode());
  const std::string context = snapshot.table_root() + ": data skipping";
  std::vector<ResolvedRange> resolved;
  for (const auto& range : ranges) {
    const auto path = resolve_field_path(schema.schema, range.column, range.fields, context);
    const auto& field = field_at(schema.schema, path);
    const BoundKind kind = kind_of(field.type);
    for (const auto* bound : {&range.lower, &range.upper}) {
      if (!*bound) continue;
      const bool fits = (kind == BoundKind::kInteger && std::holds_alternative<std::int64_t>(**bound)) ||
                        (kind == BoundKind::kFloating && std::holds_alternative<double>(**bound)) ||
                        (kind == BoundKind::kDecimal && std::holds_alternative<core::Int128>(**bound)) ||
                        (kind == BoundKind::kText && std::holds_alternative<std::string>(**bound));
      if (!fits) {
        throw core::InputError(fmt::format("{}: a bound for column '{}' does not match its type {}", context,
                                           column_path_text(range.column, range.fields),
                                           field.type.to_string()));
      }
    }
    const bool is_partition = range.fields.empty() &&
                              std::find(partitions.begin(), partitions.end(), field.name) != partitions.end();
    // Under column mapping physical_schema renames every level; its shape is the logical schema's.
    std::vector<std::string> physical_path;
    const std::vector<core::Field>* level = &physical.fields;
    for (const auto index : path) {
      physical_path.push_back((*level)[index].name);
      level = &(*level)[index].type.children;
    }
    resolved.push_back({&range, &field, is_partition, std::move(physical_path)});
  }

  std::vector<const AddFile*> kept;
  for (const auto& file : snapshot.files()) {
    std::optional<json> stats;
    bool keep = true;
    for (const auto& item : resolved) {
      const auto& field = *item.field;
      std::optional<BoundValue> minimum;
      std::optional<BoundValue> maximum;
      if (item.is_partition) {
        auto found = file.partition_values.find(item.physical_path[0]);
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
        const auto* count = stats_entry(*stats, "nullCount", item.physical_path);
        if (records != stats->end() && records->is_number_integer() && count && count->is_number_integer() &&
            *count == *records && !file.deletion_vector) {
          keep = false;  // every row is null
          break;
        }
        const auto bound = [&](const char* key, bool upper) -> std::optional<BoundValue> {
          const auto* value = stats_entry(*stats, key, item.physical_path);
          return value ? stats_value(*value, field.type, upper) : std::nullopt;
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
