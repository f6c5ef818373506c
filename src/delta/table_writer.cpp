#include "driftgov/delta/table_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "delta/json_columns.hpp"
#include "delta/row_selection.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"
#include "driftgov/delta/data_skipping.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {
namespace {

using nlohmann::json;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

// Column names are matched ignoring case, as Spark does by default.
std::optional<std::size_t> find_field(const std::vector<core::Field>& fields, std::string_view name) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (same_name(fields[i].name, name)) return i;
  }
  return std::nullopt;
}

std::string schema_text(const core::Schema& schema) {
  std::string text;
  for (const auto& field : schema.fields) {
    text += fmt::format("    {}: {}{}\n", field.name, delta_type_name(field.type), field.nullable ? "" : " not null");
  }
  return text;
}

struct MergeFailure {
  std::string reason;
};

core::DataType merge_type(const core::DataType& current, const core::DataType& update, const std::string& path,
                          bool merge_schema);

// Spark's ANSI store assignment (INSERT into a table): any number goes into a numeric column, checked value by
// value when the data is written (conform_column); floating and decimal values into integer columns are left out,
// as a fraction never fits.
bool store_assignable(const core::DataType& from, const core::DataType& to) {
  using core::TypeId;
  const bool from_number = from.is_integer() || from.is_floating() || from.id == TypeId::kDecimal;
  if (to.is_integer()) return from.is_integer();
  if (to.is_floating() || to.id == TypeId::kDecimal) return from_number;
  return false;
}

std::vector<core::Field> merge_fields(const std::vector<core::Field>& current, const std::vector<core::Field>& update,
                                      const std::string& path, bool merge_schema) {
  std::vector<core::Field> merged = current;
  for (auto& field : merged) {
    if (auto found = find_field(update, field.name)) {
      const std::string child_path = path.empty() ? field.name : path + "." + field.name;
      field.type = merge_type(field.type, update[*found].type, child_path, merge_schema);
    }
  }
  for (const auto& field : update) {
    if (!find_field(current, field.name)) {
      core::Field added = field;
      added.nullable = true;  // rows written before the column existed read it as null
      added.field_id.reset();
      merged.push_back(std::move(added));
    }
  }
  return merged;
}

core::DataType merge_type(const core::DataType& current, const core::DataType& update, const std::string& path,
                          bool merge_schema) {
  using core::TypeId;
  if (current.id == TypeId::kStruct && update.id == TypeId::kStruct) {
    core::DataType merged = current;
    merged.children = merge_fields(current.children, update.children, path, merge_schema);
    return merged;
  }
  if (current.id == TypeId::kList && update.id == TypeId::kList) {
    core::DataType merged = current;
    merged.children[0].type =
        merge_type(current.children[0].type, update.children[0].type, path + ".element", merge_schema);
    return merged;
  }
  if (current.id == TypeId::kMap && update.id == TypeId::kMap) {
    core::DataType merged = current;
    merged.children[0].type = merge_type(current.children[0].type, update.children[0].type, path + ".key", merge_schema);
    merged.children[1].type =
        merge_type(current.children[1].type, update.children[1].type, path + ".value", merge_schema);
    return merged;
  }
  if (current == update) return current;
  // Parquet stores byte, short and int alike, so Spark's schema merge lets these three widen into each other.
  const auto small_integer = [](TypeId id) { return id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32; };
  if (merge_schema && small_integer(current.id) && small_integer(update.id)) {
    return current.id > update.id ? current : update;
  }
  if (current.id == TypeId::kNull) return update;
  if (update.id == TypeId::kNull) return current;
  // Otherwise the table's type stays and the data is cast into it.
  if (store_assignable(update, current)) return current;
  throw MergeFailure{fmt::format("column '{}': incompatible types {} (table) and {} (data)", path,
                                 delta_type_name(current), delta_type_name(update))};
}

core::Column null_column(const core::DataType& type, std::int64_t rows) {
  core::Column column(type);
  if (type.id == core::TypeId::kStruct) {
    for (const auto& child : type.children) column.children.push_back(null_column(child.type, 0));
  } else if (type.id == core::TypeId::kList) {
    column.children.push_back(null_column(type.children[0].type, 0));
  } else if (type.id == core::TypeId::kMap) {
    core::DataType entries{core::TypeId::kStruct};
    entries.children = type.children;
    column.children.push_back(null_column(entries, 0));
  }
  for (std::int64_t i = 0; i < rows; ++i) column.append_null();
  return column;
}

// Where the values of a (possibly nested) data column sit, for a refused cast: the column's path and, per value, the
// row of the batch; `refuse` throws.
struct CastSite {
  std::string path;
  std::function<std::int64_t(std::int64_t)> row_of;
  std::function<void(std::int64_t row, const std::string& path, const std::string& value, const std::string& expected)>
      refuse;
};

CastSite child_site(const CastSite& site, const std::string& name) {
  return CastSite{site.path + "." + name, site.row_of, site.refuse};
}

// The elements of a list or map column belong to the row whose offsets enclose them.
CastSite element_site(const CastSite& site, const std::string& name, const std::vector<std::int64_t>& offsets) {
  return CastSite{site.path + "." + name,
                  [offsets, outer = site.row_of](std::int64_t element) {
                    const auto after = std::upper_bound(offsets.begin(), offsets.end(), element);
                    return outer(static_cast<std::int64_t>(after - offsets.begin()) - 1);
                  },
                  site.refuse};
}

// Casts a numeric column into the table's numeric type, value by value, as Spark's ANSI store assignment does:
// integers must lie in the target's range, doubles into float must stay finite, and numbers into decimal(p,s) are
// rounded half up to s places (a double by its shortest decimal text, as Spark's Decimal(double)) and must fit p
// digits. Any value that does not fit is refused through `site`.
core::Column cast_number(core::Column column, const core::DataType& target, const CastSite& site) {
  using core::TypeId;
  const auto& from = column.type;
  core::Column out(target);
  out.length = column.length;
  out.validity = column.validity;
  const auto refuse = [&](std::int64_t index, const std::string& value, const std::string& expected) {
    site.refuse(site.row_of(index), site.path, value, fmt::format("{}: {}", delta_type_name(target), expected));
  };
  const auto text_of = [&](std::int64_t index) {
    const auto at = static_cast<std::size_t>(index);
    if (from.is_integer()) return std::to_string(column.ints[at]);
    if (from.is_floating()) return core::floating_text(column.doubles[at], false);  // shortest text that reads back
    return core::decimal_to_string(column.decimals[at], from.scale);
  };
  for (std::int64_t index = 0; index < column.length; ++index) {
    const auto at = static_cast<std::size_t>(index);
    const bool valid = column.is_valid(index);
    if (target.is_integer()) {
      const std::int64_t value = valid ? column.ints[at] : 0;
      const int bits = target.id == TypeId::kInt8 ? 8 : target.id == TypeId::kInt16 ? 16 : target.id == TypeId::kInt32 ? 32 : 64;
      if (bits < 64) {
        const std::int64_t max = (std::int64_t{1} << (bits - 1)) - 1;
        if (value < -max - 1 || value > max) refuse(index, text_of(index), fmt::format("{} to {}", -max - 1, max));
      }
      out.ints.push_back(value);
    } else if (target.is_floating()) {
      double value = 0;
      if (valid) {
        if (from.is_integer()) {
          value = static_cast<double>(column.ints[at]);
        } else if (from.is_floating()) {
          value = column.doubles[at];
        } else {
          const auto text = text_of(index);
          std::from_chars(text.data(), text.data() + text.size(), value);
        }
      }
      if (target.id == TypeId::kFloat32) {
        const auto rounded = static_cast<float>(value);
        if (std::isinf(rounded) && std::isfinite(value)) refuse(index, text_of(index), "magnitude at most 3.4028235e38");
        value = static_cast<double>(rounded);
      }
      out.doubles.push_back(value);
    } else {
      core::Int128 unscaled = 0;
      if (valid) {
        const auto text = text_of(index);
        const auto status = core::parse_decimal(text, target.precision, target.scale, unscaled);
        if (status != core::DecimalParse::kOk) {
          refuse(index, text,
                 status == core::DecimalParse::kNotANumber
                     ? std::string("a finite number")
                     : fmt::format("at most {} digits before the point", target.precision - target.scale));
        }
      }
      out.decimals.push_back(unscaled);
    }
  }
  return out;
}

// Reshapes a data column into the table's type: fields reordered and filled with nulls, numbers cast.
core::Column conform_column(core::Column column, const core::DataType& target, const CastSite& site) {
  using core::TypeId;
  if (column.type == target) return column;
  if (column.type.id == TypeId::kNull) return null_column(target, column.length);
  if (target.id == TypeId::kStruct && column.type.id == TypeId::kStruct) {
    core::Column out(target);
    out.length = column.length;
    out.validity = std::move(column.validity);
    for (const auto& field : target.children) {
      auto found = find_field(column.type.children, field.name);
      out.children.push_back(found ? conform_column(std::move(column.children[*found]), field.type,
                                                    child_site(site, field.name))
                                   : null_column(field.type, column.length));
    }
    return out;
  }
  if ((target.id == TypeId::kList || target.id == TypeId::kMap) && column.type.id == target.id) {
    core::DataType child_target = target.children[0].type;
    if (target.id == TypeId::kMap) {
      child_target = core::DataType{TypeId::kStruct};
      child_target.children = target.children;
    }
    column.children[0] = conform_column(std::move(column.children[0]), child_target,
                                        element_site(site, target.id == TypeId::kMap ? "entries" : "element",
                                                     column.offsets));
    column.type = target;
    return column;
  }
  if (target.is_integer() && column.type.is_integer() && target.id >= column.type.id) {
    column.type = target;  // values are held as int64 whatever the width
    return column;
  }
  if (store_assignable(column.type, target)) return cast_number(std::move(column), target, site);
  DRIFTGOV_CHECK(false, "cannot conform {} to {} after a schema merge", column.type.to_string(), target.to_string());
  return column;
}

// Stats bounds per column, kept across the batches of one file.
struct ColumnBounds {
  std::int64_t null_count = 0;
  bool usable = true;  // false once a value makes min/max meaningless (NaN) or the type has no stats
  std::optional<json> min;
  std::optional<json> max;
  // Typed comparisons happen on these before conversion to JSON.
  std::optional<std::int64_t> min_int, max_int;
  std::optional<double> min_double, max_double;
  std::optional<core::Int128> min_decimal, max_decimal;
  std::optional<std::string> min_text, max_text;
  std::vector<ColumnBounds> children;  // struct columns: one per field (lists and maps carry no stats)
};

constexpr std::size_t kMaxStatsStringLength = 32;

std::int64_t to_micros(std::int64_t value, core::TimeUnit unit) {
  if (unit == core::TimeUnit::kMilli) return value * 1000;
  if (unit == core::TimeUnit::kNano) return value >= 0 ? value / 1000 : -((-value + 999) / 1000);
  return value;
}

// "yyyy-mm-dd hh:mm:ss[.ffffff]" as Spark writes timestamp partition values.
std::string timestamp_partition_text(std::int64_t micros) {
  return core::timestamp_text(micros, core::TimeUnit::kMicro, false, core::TimestampLayout{.separator = ' '});
}

// `absent` marks the rows where an enclosing struct is null (empty: none); the field counts as null there, as
// Spark counts window.start null where window is.
void update_bounds(ColumnBounds& bounds, const core::Column& column,
                   const std::vector<std::uint8_t>& absent) {
  using core::TypeId;
  const auto present = [&](std::int64_t row) {
    return column.is_valid(row) && (absent.empty() || !absent[static_cast<std::size_t>(row)]);
  };
  const auto& type = column.type;
  if (type.id == TypeId::kStruct) {
    bounds.children.resize(column.children.size());
    std::vector<std::uint8_t> absent_below(static_cast<std::size_t>(column.length));
    for (std::int64_t row = 0; row < column.length; ++row)
      absent_below[static_cast<std::size_t>(row)] = !present(row);
    for (std::size_t i = 0; i < column.children.size(); ++i)
      update_bounds(bounds.children[i], column.children[i], absent_below);
    return;
  }
  if (absent.empty()) {
    bounds.null_count += column.null_count();
  } else {
    for (std::int64_t row = 0; row < column.length; ++row) bounds.null_count += present(row) ? 0 : 1;
  }
  const bool integer_like = type.is_integer() || type.id == TypeId::kDate || type.id == TypeId::kTimestamp;
  for (std::int64_t row = 0; row < column.length && bounds.usable; ++row) {
    if (!present(row)) continue;
    const auto index = static_cast<std::size_t>(row);
    if (integer_like) {
      const auto value = column.ints[index];
      if (!bounds.min_int || value < *bounds.min_int) bounds.min_int = value;
      if (!bounds.max_int || value > *bounds.max_int) bounds.max_int = value;
    } else if (type.is_floating()) {
      const double value = column.doubles[index];
      if (std::isnan(value)) {
        bounds.usable = false;
        break;
      }
      if (!bounds.min_double || value < *bounds.min_double) bounds.min_double = value;
      if (!bounds.max_double || value > *bounds.max_double) bounds.max_double = value;
    } else if (type.id == TypeId::kDecimal) {
      const auto value = column.decimals[index];
      if (!bounds.min_decimal || value < *bounds.min_decimal) bounds.min_decimal = value;
      if (!bounds.max_decimal || value > *bounds.max_decimal) bounds.max_decimal = value;
    } else if (type.id == TypeId::kString) {
      const auto value = column.string_at(row);
      if (!bounds.min_text || value < *bounds.min_text) bounds.min_text = std::string(value);
      if (!bounds.max_text || value > *bounds.max_text) bounds.max_text = std::string(value);
    } else {
      bounds.usable = false;  // booleans, binary and nested columns carry only null counts
    }
  }
}

void finish_bounds(ColumnBounds& bounds, const core::DataType& type) {
  using core::TypeId;
  if (!bounds.usable) return;
  if (bounds.min_int) {
    if (type.id == TypeId::kDate) {
      bounds.min = core::date_text(*bounds.min_int);
      bounds.max = core::date_text(*bounds.max_int);
    } else if (type.id == TypeId::kTimestamp) {
      // Stats hold milliseconds: the minimum rounds down and the maximum up so both stay true bounds.
      const auto min_us = to_micros(*bounds.min_int, type.unit);
      const auto max_us = to_micros(*bounds.max_int, type.unit);
      const std::int64_t min_ms = min_us >= 0 ? min_us / 1000 : -((-min_us + 999) / 1000);
      const std::int64_t max_ms = max_us >= 0 ? (max_us + 999) / 1000 : -((-max_us) / 1000);
      const core::TimestampLayout layout{.always_fraction = true};
      bounds.min = core::timestamp_text(min_ms, core::TimeUnit::kMilli, type.utc, layout);
      bounds.max = core::timestamp_text(max_ms, core::TimeUnit::kMilli, type.utc, layout);
    } else {
      bounds.min = *bounds.min_int;
      bounds.max = *bounds.max_int;
    }
  } else if (bounds.min_double) {
    bounds.min = *bounds.min_double;
    bounds.max = *bounds.max_double;
  } else if (bounds.min_decimal) {
    // JSON numbers are read as doubles by most engines; beyond 15 digits the bound could round the wrong way.
    if (type.precision <= 15) {
      bounds.min = json::parse(core::decimal_to_string(*bounds.min_decimal, type.scale));
      bounds.max = json::parse(core::decimal_to_string(*bounds.max_decimal, type.scale));
    }
  } else if (bounds.min_text) {
    // A prefix is still a lower bound; a truncated maximum would not be an upper bound, so it is left out.
    bounds.min = bounds.min_text->substr(0, kMaxStatsStringLength);
    if (bounds.max_text->size() <= kMaxStatsStringLength) bounds.max = *bounds.max_text;
  }
}

// One field's entries of minValues, maxValues and nullCount under its (physical) name: a nested object of its
// fields for a struct (left out when empty), nothing for a list or a map.
void finish_field(ColumnBounds& bounds, const core::Field& field, json& minimum, json& maximum, json& nulls) {
  if (field.type.id == core::TypeId::kStruct) {
    bounds.children.resize(field.type.children.size());
    json nested_minimum = json::object();
    json nested_maximum = json::object();
    json nested_nulls = json::object();
    for (std::size_t i = 0; i < field.type.children.size(); ++i) {
      finish_field(bounds.children[i], field.type.children[i], nested_minimum, nested_maximum, nested_nulls);
    }
    if (!nested_minimum.empty()) minimum[field.name] = std::move(nested_minimum);
    if (!nested_maximum.empty()) maximum[field.name] = std::move(nested_maximum);
    if (!nested_nulls.empty()) nulls[field.name] = std::move(nested_nulls);
    return;
  }
  if (field.type.is_nested()) return;
  finish_bounds(bounds, field.type);
  if (bounds.min) minimum[field.name] = *bounds.min;
  if (bounds.max) maximum[field.name] = *bounds.max;
  nulls[field.name] = bounds.null_count;
}

class StatisticsAccumulator {
 public:
  void add(const core::RecordBatch& batch) {
    if (columns_.empty()) {
      columns_.resize(batch.columns.size());
      schema_ = batch.schema;
    }
    rows_ += batch.num_rows;
    for (std::size_t i = 0; i < batch.columns.size(); ++i) update_bounds(columns_[i], batch.columns[i], {});
  }
  std::int64_t rows() const { return rows_; }
  std::string finish() {
    json minimum = json::object();
    json maximum = json::object();
    json nulls = json::object();
    for (std::size_t i = 0; i < columns_.size(); ++i)
      finish_field(columns_[i], schema_.fields[i], minimum, maximum, nulls);
    return dump_json(json{{"numRecords", rows_}, {"minValues", minimum}, {"maxValues", maximum}, {"nullCount", nulls}},
                     "file statistics");
  }

 private:
  core::Schema schema_;
  std::vector<ColumnBounds> columns_;
  std::int64_t rows_ = 0;
};

std::optional<std::string> partition_text(const core::Column& column, std::int64_t row) {
  using core::TypeId;
  if (!column.is_valid(row)) return std::nullopt;
  const auto index = static_cast<std::size_t>(row);
  switch (column.type.id) {
    case TypeId::kBoolean: return column.ints[index] ? "true" : "false";
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64: return std::to_string(column.ints[index]);
    case TypeId::kFloat32:
    case TypeId::kFloat64: return fmt::format("{}", column.doubles[index]);
    case TypeId::kDecimal: return core::decimal_to_string(column.decimals[index], column.type.scale);
    case TypeId::kDate: return core::date_text(column.ints[index]);
    case TypeId::kTimestamp: return timestamp_partition_text(to_micros(column.ints[index], column.type.unit));
    case TypeId::kString: return std::string(column.string_at(row));
    default:
      throw core::UnsupportedError(
          fmt::format("partition column of type {} is not supported", delta_type_name(column.type)));
  }
}

// One data file being written.
struct OpenFile {
  std::unique_ptr<parquet::FileWriter> writer;
  std::string relative_path;  // decoded, relative to the table root
  PartitionValues partition_values;  // keyed by physical name
  StatisticsAccumulator statistics;
};

void check_writer_protocol(const Snapshot& snapshot, WriteMode mode) {
  const auto& protocol = snapshot.protocol();
  const std::string& table = snapshot.table_root();
  if (protocol.min_writer_version > 7) {
    throw core::UnsupportedError(
        fmt::format("{}: Delta writer protocol version {} is not supported", table, protocol.min_writer_version));
  }
  // invariants, checkConstraints, changeDataFeed, generatedColumns and identityColumns are listed by every table
  // that upgrades from a legacy protocol; supporting them means refusing tables that use them, checked below.
  static const std::set<std::string> supported = {
      "appendOnly",   "columnMapping",    "timestampNtz",   "deletionVectors",  "vacuumProtocolCheck",
      "domainMetadata", "typeWidening",   "typeWidening-preview", "invariants", "checkConstraints",
      "changeDataFeed", "generatedColumns", "identityColumns"};
  if (protocol.writer_features) {
    for (const auto& feature : *protocol.writer_features) {
      if (!supported.contains(feature)) {
        throw core::UnsupportedError(fmt::format(
            "{}: writing needs the Delta writer feature '{}', which driftgov does not support", table, feature));
      }
    }
  }
  const auto& configuration = snapshot.metadata().configuration;
  for (const auto& [key, value] : configuration) {
    if (key.starts_with("delta.constraints.")) {
      throw core::UnsupportedError(fmt::format("{}: writing to a table with CHECK constraint '{}' is not supported",
                                               table, key.substr(18)));
    }
  }
  // Also without the writer feature listed: readers would look for in-commit timestamps in every new commit.
  if (in_commit_timestamps(configuration).enabled) {
    throw core::UnsupportedError(fmt::format(
        "{}: writing to a table with in-commit timestamps enabled is not supported (driftgov does not write "
        "commitInfo.inCommitTimestamp)",
        table));
  }
  if (auto cdf = configuration.find("delta.enableChangeDataFeed"); cdf != configuration.end() && cdf->second == "true") {
    throw core::UnsupportedError(fmt::format("{}: writing to a table with change data feed enabled is not supported",
                                             table));
  }
  const auto schema = snapshot.metadata().schema_string;
  for (const auto* key : {"delta.generationExpression", "delta.identity.", "delta.invariants"}) {
    if (schema.find(key) != std::string::npos) {
      throw core::UnsupportedError(fmt::format("{}: writing to a table whose schema uses '{}' is not supported",
                                               table, key));
    }
  }
  if (mode == WriteMode::kOverwrite) {
    if (auto append_only = configuration.find("delta.appendOnly");
        append_only != configuration.end() && append_only->second == "true") {
      throw core::InputError(fmt::format("{}: the table is append-only (delta.appendOnly = true); overwrite refused",
                                         table));
    }
  }
}

bool has_timestamp_ntz(const core::DataType& type) {
  if (type.id == core::TypeId::kTimestamp && !type.utc) return true;
  return std::any_of(type.children.begin(), type.children.end(),
                     [](const core::Field& child) { return has_timestamp_ntz(child.type); });
}

// Adds `feature` to a protocol's feature list unless it is listed already.
void add_feature(std::vector<std::string>& list, const std::string& feature) {
  if (std::find(list.begin(), list.end(), feature) == list.end()) list.push_back(feature);
}

// Features a protocol supports: its table features, or for a legacy protocol (PROTOCOL.md, "Table Features")
// the ones its versions imply.
std::vector<std::string> implied_features(const Protocol& protocol, bool reader) {
  if (reader) {
    if (protocol.reader_features) return *protocol.reader_features;
    return protocol.min_reader_version >= 2 ? std::vector<std::string>{"columnMapping"} : std::vector<std::string>{};
  }
  if (protocol.writer_features) return *protocol.writer_features;
  static const std::vector<std::pair<int, std::string>> by_version = {
      {2, "appendOnly"},       {2, "invariants"},       {3, "checkConstraints"}, {4, "changeDataFeed"},
      {4, "generatedColumns"}, {5, "columnMapping"},    {6, "identityColumns"}};
  std::vector<std::string> features;
  for (const auto& [version, feature] : by_version) {
    if (protocol.min_writer_version >= version) features.push_back(feature);
  }
  return features;
}

// The protocol a table needs for `schema` under `mapping`, starting from `current` (nullopt for a new table):
// the legacy versions while they suffice, table features once timestamp_ntz asks for them or the table already
// uses them. Reader table features only when a reader feature needs listing. A protocol is never downgraded.
Protocol protocol_for(const core::Schema& schema, ColumnMappingMode mapping, const std::optional<Protocol>& current) {
  const bool ntz = std::any_of(schema.fields.begin(), schema.fields.end(),
                               [](const core::Field& field) { return has_timestamp_ntz(field.type); });
  const bool mapped = mapping != ColumnMappingMode::kNone;
  Protocol result = current.value_or(Protocol{1, 2, std::nullopt, std::nullopt});
  if (!ntz && result.min_writer_version < 7) {
    if (mapped) {
      result.min_reader_version = std::max(result.min_reader_version, 2);
      result.min_writer_version = std::max(result.min_writer_version, 5);
    }
    return result;
  }
  std::vector<std::string> writer_features = implied_features(result, false);
  if (ntz) add_feature(writer_features, "timestampNtz");
  if (mapped) add_feature(writer_features, "columnMapping");
  if (ntz || result.min_reader_version >= 3) {
    std::vector<std::string> reader_features = implied_features(result, true);
    if (ntz) add_feature(reader_features, "timestampNtz");
    if (mapped) add_feature(reader_features, "columnMapping");
    result.min_reader_version = 3;
    result.reader_features = std::move(reader_features);
  } else if (mapped) {
    result.min_reader_version = std::max(result.min_reader_version, 2);  // reader 2 implies column mapping
  }
  result.min_writer_version = 7;
  result.writer_features = std::move(writer_features);
  return result;
}

// Table properties of a new table that ask for a protocol rather than configure the table, as Spark's
// TBLPROPERTIES do: delta.minReaderVersion, delta.minWriterVersion and delta.feature.NAME = supported (or
// enabled) are taken out of the configuration and become the protocol; delta.enableDeletionVectors = true stays
// and adds its feature. Properties asking for what driftgov cannot write are refused, naming them.
Protocol requested_protocol(StringMap& configuration, const std::string& table) {
  Protocol result{1, 2, std::nullopt, std::nullopt};
  const auto version_of = [&](const std::string& key, int highest) -> std::optional<int> {
    const auto found = configuration.find(key);
    if (found == configuration.end()) return std::nullopt;
    int value = 0;
    const auto* end = found->second.data() + found->second.size();
    if (std::from_chars(found->second.data(), end, value).ptr != end || value < 1 || value > highest) {
      throw core::InputError(fmt::format("{}: table property {}: expected a whole number from 1 to {}, got '{}'",
                                         table, key, highest, found->second));
    }
    configuration.erase(found);
    return value;
  };
  const auto reader = version_of("delta.minReaderVersion", 3);
  const auto writer = version_of("delta.minWriterVersion", 7);
  if (reader) result.min_reader_version = *reader;
  if (writer) result.min_writer_version = *writer;
  // Features this writer honours: reader-writer ones need reader version 3, all need writer version 7.
  static const std::set<std::string> reader_writer = {"columnMapping", "deletionVectors", "timestampNtz",
                                                      "typeWidening", "vacuumProtocolCheck"};
  static const std::set<std::string> writer_only = {"appendOnly",       "invariants",      "checkConstraints",
                                                    "generatedColumns", "identityColumns", "domainMetadata"};
  std::set<std::string> features;
  for (auto it = configuration.begin(); it != configuration.end();) {
    if (!it->first.starts_with("delta.feature.")) {
      ++it;
      continue;
    }
    const auto feature = it->first.substr(14);
    if (it->second != "supported" && it->second != "enabled") {
      throw core::InputError(fmt::format("{}: table property {}: expected 'supported', got '{}'", table, it->first,
                                         it->second));
    }
    if (!reader_writer.contains(feature) && !writer_only.contains(feature)) {
      throw core::UnsupportedError(fmt::format(
          "{}: table property {}: driftgov cannot write tables with the Delta feature '{}'", table, it->first,
          feature));
    }
    features.insert(feature);
    it = configuration.erase(it);
  }
  static const std::vector<std::pair<std::string, std::string>> unsupported_when_true = {
      {"delta.enableChangeDataFeed", "change data feed"},       {"delta.enableRowTracking", "row tracking"},
      {"delta.enableInCommitTimestamps", "in-commit timestamps"},
      {"delta.enableInCommitTimestamps-preview", "in-commit timestamps"},
      {"delta.enableIcebergCompatV1", "Iceberg compatibility"},
      {"delta.enableIcebergCompatV2", "Iceberg compatibility"}};
  for (const auto& [key, what] : unsupported_when_true) {
    if (auto found = configuration.find(key); found != configuration.end() && found->second == "true") {
      throw core::UnsupportedError(fmt::format("{}: table property {}=true: driftgov does not write {}", table, key,
                                               what));
    }
  }
  if (auto found = configuration.find("delta.checkpointPolicy"); found != configuration.end() && found->second != "classic") {
    throw core::UnsupportedError(fmt::format(
        "{}: table property delta.checkpointPolicy={}: driftgov writes classic checkpoints only", table, found->second));
  }
  if (auto found = configuration.find("delta.enableDeletionVectors"); found != configuration.end() && found->second == "true") {
    features.insert("deletionVectors");
  }
  if (result.min_reader_version == 3 && result.min_writer_version != 7) {
    throw core::InputError(fmt::format(
        "{}: table property delta.minReaderVersion=3 (table features) needs delta.minWriterVersion=7", table));
  }
  const bool reader_features = result.min_reader_version == 3 ||
                               std::any_of(features.begin(), features.end(),
                                           [](const std::string& name) { return reader_writer.contains(name); });
  if (!features.empty() || result.min_writer_version == 7) {
    // Moving to writer table features keeps what the legacy versions implied.
    std::vector<std::string> writer_list =
        implied_features(Protocol{1, result.min_writer_version < 7 ? result.min_writer_version : 2, std::nullopt,
                                  std::nullopt},
                         false);
    for (const auto& feature : features) add_feature(writer_list, feature);
    result.min_writer_version = 7;
    result.writer_features = std::move(writer_list);
  }
  if (reader_features) {
    std::vector<std::string> reader_list;
    if (result.min_reader_version == 2) reader_list.push_back("columnMapping");
    for (const auto& feature : features) {
      if (reader_writer.contains(feature)) add_feature(reader_list, feature);
    }
    result.min_reader_version = 3;
    result.reader_features = std::move(reader_list);
  }
  return result;
}

std::int64_t max_column_id(const StringMap& configuration) {
  auto found = configuration.find("delta.columnMapping.maxColumnId");
  if (found == configuration.end()) return 0;
  std::int64_t value = 0;
  const auto* end = found->second.data() + found->second.size();
  if (std::from_chars(found->second.data(), end, value).ptr != end || value < 0) {
    throw core::InputError(fmt::format("table property delta.columnMapping.maxColumnId: '{}' is not a column id",
                                       found->second));
  }
  return value;
}

// Column mapping metadata for the fields of `type` (struct fields, or the fields nested in a list element or map
// key/value), keeping what `existing` (the table's metadata for the same position, if any) already assigns.
void annotate_children(const core::DataType& type, const core::DataType* existing_type,
                       const ColumnMetadata* existing, ColumnMetadata& out, bool mapped, std::int64_t& max_id);

void annotate_field(const core::Field& field, const core::Field* existing_field, const ColumnMetadata* existing,
                    ColumnMetadata& out, bool mapped, std::int64_t& max_id) {
  if (existing_field && existing) {
    out.values = existing->values;
  } else if (mapped) {
    // A new field: Spark's next id and a physical name no earlier field can have had.
    out.values = {{"delta.columnMapping.id", ++max_id}, {"delta.columnMapping.physicalName", "col-" + new_uuid()}};
  }
  annotate_children(field.type, existing_field ? &existing_field->type : nullptr,
                    existing_field ? existing : nullptr, out, mapped, max_id);
}

void annotate_children(const core::DataType& type, const core::DataType* existing_type,
                       const ColumnMetadata* existing, ColumnMetadata& out, bool mapped, std::int64_t& max_id) {
  out.children.assign(type.children.size(), ColumnMetadata{});
  if (existing_type && existing_type->id != type.id) existing_type = nullptr;
  for (std::size_t i = 0; i < type.children.size(); ++i) {
    const auto& child = type.children[i];
    const core::Field* existing_child = nullptr;
    const ColumnMetadata* existing_child_metadata = nullptr;
    if (existing_type) {
      std::optional<std::size_t> index;
      if (type.id == core::TypeId::kStruct) {
        index = find_field(existing_type->children, child.name);
      } else if (i < existing_type->children.size()) {
        index = i;
      }
      if (index) {
        existing_child = &existing_type->children[*index];
        if (existing && *index < existing->children.size()) existing_child_metadata = &existing->children[*index];
      }
    }
    if (type.id == core::TypeId::kStruct) {
      annotate_field(child, existing_child, existing_child_metadata, out.children[i], mapped, max_id);
    } else {
      // A list element or map key/value is no field: it has no id of its own, only the fields inside it.
      annotate_children(child.type, existing_child ? &existing_child->type : nullptr, existing_child_metadata,
                        out.children[i], mapped, max_id);
    }
  }
}

// The table schema with Delta metadata: fields of `existing` keep theirs; under column mapping every new field
// (nested ones too) gets the next column id and a fresh physical name, and maxColumnId moves on.
TableSchema annotate(const core::Schema& merged, const TableSchema* existing, ColumnMappingMode mode,
                     StringMap& configuration) {
  TableSchema result = table_schema_from(merged);
  const bool mapped = mode != ColumnMappingMode::kNone;
  std::int64_t max_id = max_column_id(configuration);
  for (std::size_t i = 0; i < merged.fields.size(); ++i) {
    const core::Field* existing_field = nullptr;
    const ColumnMetadata* existing_metadata = nullptr;
    if (existing) {
      if (auto index = find_field(existing->schema.fields, merged.fields[i].name)) {
        existing_field = &existing->schema.fields[*index];
        if (*index < existing->metadata.size()) existing_metadata = &existing->metadata[*index];
      }
    }
    annotate_field(merged.fields[i], existing_field, existing_metadata, result.metadata[i], mapped, max_id);
  }
  if (mapped) configuration["delta.columnMapping.maxColumnId"] = std::to_string(max_id);
  return result;
}

// The replaceWhere predicate bound to `schema`; its errors name the option ("TABLE: replace_where: ...").
BoundPredicate bind_replace_where(const Predicate& predicate, const core::Schema& schema, const std::string& table) {
  try {
    return BoundPredicate(predicate, schema, table);
  } catch (const core::InputError& error) {
    // The message starts with the context given, the table: the option's name goes after it.
    std::string rest = std::string(error.what()).substr(table.size());
    std::vector<core::InputError::Piece> pieces{table + ": ", core::OptionName{"replace_where"}, std::move(rest)};
    if (dynamic_cast<const core::UnsupportedError*>(&error)) throw core::UnsupportedError(std::move(pieces));
    throw core::InputError(std::move(pieces));
  }
}

}  // namespace

bool is_delta_destination(const std::string& destination) {
  return io::local_storage().is_folder(destination + "/_delta_log") || io::lowercase_extension(destination).empty();
}

WriteMode parse_write_mode(const std::string& text) {
  if (text.empty() || text == "create" || text == "errorifexists") return WriteMode::kCreate;
  if (text == "append") return WriteMode::kAppend;
  if (text == "overwrite") return WriteMode::kOverwrite;
  throw core::option_error(core::OptionName{"mode"}, fmt::format(": '{}' is not one of create, append, overwrite", text));
}

std::string escape_partition_value(std::string_view value) {
  // The characters Hive's FileUtils.escapePathName escapes.
  static constexpr std::string_view kEscaped = "\"#%'*/:=?\\\x7f{[]^";
  std::string escaped;
  for (const unsigned char c : value) {
    if (c < 0x20 || kEscaped.find(static_cast<char>(c)) != std::string_view::npos) {
      escaped += fmt::format("%{:02X}", c);
    } else {
      escaped += static_cast<char>(c);
    }
  }
  return escaped;
}

core::Schema merge_schemas(const core::Schema& table, const core::Schema& data, bool merge_schema) {
  const auto mismatch = [&](const std::string& reason) {
    std::vector<core::InputError::Piece> pieces{
        fmt::format("schema mismatch: the data does not fit the table ({})", reason)};
    if (!merge_schema) {
      pieces.insert(pieces.end(), {"; to add columns, write with ", core::OptionName{"merge_schema"},
                                   " (or replace the schema with ", core::OptionName{"mode", "", "overwrite"}, " and ",
                                   core::OptionName{"overwrite_schema"}, ")"});
    }
    pieces.emplace_back(fmt::format("\n  table schema:\n{}  data schema:\n{}", schema_text(table), schema_text(data)));
    return core::InputError(std::move(pieces));
  };
  core::Schema merged;
  try {
    merged.fields = merge_fields(table.fields, data.fields, "", merge_schema);
  } catch (const MergeFailure& failure) {
    throw mismatch(failure.reason);
  }
  if (!merge_schema && merged != table) {
    std::vector<std::string> added;
    for (const auto& field : data.fields) {
      if (!find_field(table.fields, field.name)) added.push_back(field.name);
    }
    throw mismatch(added.empty() ? "nested fields or types differ"
                                 : fmt::format("new columns: {}", fmt::join(added, ", ")));
  }
  return merged;
}

std::string file_statistics_json(const core::RecordBatch& batch) {
  StatisticsAccumulator accumulator;
  accumulator.add(batch);
  return accumulator.finish();
}

TableWriteResult write_table(const std::string& table_root, const core::Schema& data_schema,
                             const BatchSupplier& next_batch, const TableWriteOptions& options) {
  const std::string& table = table_root;
  // One storage for the whole write: the Parquet and commit options carry it from here on. A caller written
  // before TableWriteOptions::storage existed may still name it in both nested options; two different ones are
  // refused.
  io::Storage* chosen = options.storage;
  const auto take_nested = [&](io::Storage* nested, const char* field) {
    if (!nested) return;
    DRIFTGOV_CHECK(!chosen || nested == chosen,
                   "(TableWriteOptions::{} names another storage than the write's; set only TableWriteOptions::storage)",
                   field);
    chosen = nested;
  };
  take_nested(options.parquet.storage, "parquet.storage");
  take_nested(options.commit.storage, "commit.storage");
  io::Storage& storage = chosen ? *chosen : io::local_storage();
  parquet::WriterOptions parquet_options = options.parquet;
  parquet_options.storage = &storage;
  CommitOptions commit_options = options.commit;
  commit_options.storage = &storage;
  auto transaction = Transaction::start(table_root, storage);
  const auto& snapshot = transaction.snapshot();
  TableWriteResult result;
  if (options.mode == WriteMode::kCreate && snapshot) {
    throw core::option_error(fmt::format("{}: the Delta table already exists (version {}); write with ", table,
                                         snapshot->version()),
                             core::OptionName{"mode", "", "append"}, " or ", core::OptionName{"mode", "", "overwrite"});
  }
  if (options.overwrite_schema && options.mode != WriteMode::kOverwrite) {
    throw core::option_error(table + ": ", core::OptionName{"overwrite_schema"}, " needs ",
                             core::OptionName{"mode", "", "overwrite"});
  }
  if (options.replace_where && options.mode != WriteMode::kOverwrite) {
    throw core::option_error(table + ": ", core::OptionName{"replace_where"}, " needs ",
                             core::OptionName{"mode", "", "overwrite"});
  }
  if (options.overwrite_schema && options.replace_where) {
    throw core::option_error(table + ": ", core::OptionName{"overwrite_schema"},
                             " cannot be combined with a partial overwrite (", core::OptionName{"replace_where"}, ")");
  }
  if (options.overwrite_schema && options.merge_schema) {
    throw core::option_error(table + ": choose one of ", core::OptionName{"merge_schema"}, " and ",
                             core::OptionName{"overwrite_schema"});
  }
  if (options.read_version) {
    transaction.read_whole_table();
    if (transaction.read_version() != *options.read_version) {
      throw ConcurrentModificationError(
          "ConcurrentAppendException",
          fmt::format("{}: the table was read at version {} and is now at version {}: another writer committed in "
                      "between; nothing was written",
                      table, *options.read_version, transaction.read_version()));
    }
  }
  if (options.idempotent) {
    const auto recorded = transaction.read_transaction_version(options.idempotent->app_id);
    if (recorded && *recorded >= options.idempotent->version) {
      result.skipped = true;
      result.version = snapshot ? snapshot->version() : -1;
      return result;
    }
    transaction.set_transaction(options.idempotent->app_id, options.idempotent->version);
  }

  // The schema and partitioning the commit leaves.
  const bool replace_schema = !snapshot || options.overwrite_schema;
  StringMap configuration = snapshot ? snapshot->metadata().configuration : options.table_properties;
  const std::optional<Protocol> requested =
      snapshot ? std::nullopt : std::optional<Protocol>(requested_protocol(configuration, table));
  ColumnMappingMode mapping = snapshot ? snapshot->column_mapping_mode() : column_mapping_mode(configuration);
  std::vector<std::string> partition_columns;
  TableSchema target;
  if (snapshot) check_writer_protocol(*snapshot, options.mode);
  if (replace_schema) {
    core::Schema schema;
    for (auto field : data_schema.fields) {
      field.field_id.reset();
      if (field.type.id == core::TypeId::kTimestamp) field.type.unit = core::TimeUnit::kMicro;
      schema.fields.push_back(std::move(field));
    }
    for (std::size_t i = 0; i < schema.fields.size(); ++i) {
      for (std::size_t j = i + 1; j < schema.fields.size(); ++j) {
        if (same_name(schema.fields[i].name, schema.fields[j].name)) {
          throw core::InputError(fmt::format("{}: columns '{}' and '{}' differ only in case, which Delta does not allow",
                                             table, schema.fields[i].name, schema.fields[j].name));
        }
      }
    }
    for (const auto& column : options.partition_by) {
      auto found = find_field(schema.fields, column);
      if (!found) {
        throw core::InputError(fmt::format("{}: partition column '{}' is not in the data (columns: {})", table, column,
                                           schema_text(schema)));
      }
      if (schema.fields[*found].type.is_nested()) {
        throw core::InputError(fmt::format("{}: partition column '{}' must have a primitive type", table, column));
      }
      partition_columns.push_back(schema.fields[*found].name);
    }
    if (partition_columns.size() == schema.fields.size() && !schema.fields.empty()) {
      throw core::InputError(fmt::format("{}: every column is a partition column; Delta needs one data column", table));
    }
    // Under column mapping a replaced schema gets fresh ids and physical names: the old files are all removed.
    target = annotate(schema, nullptr, mapping, configuration);
  } else {
    partition_columns = snapshot->metadata().partition_columns;
    if (!options.partition_by.empty() && options.partition_by != partition_columns) {
      throw core::InputError(fmt::format("{}: partition columns [{}] differ from the table's [{}]", table,
                                         fmt::join(options.partition_by, ", "), fmt::join(partition_columns, ", ")));
    }
    const core::Schema merged = merge_schemas(snapshot->schema().schema, data_schema, options.merge_schema);
    target = annotate(merged, &snapshot->schema(), mapping, configuration);
  }
  // The predicate bound to the data written (target schema) and to the rows already there (the snapshot's).
  std::optional<BoundPredicate> new_rows_predicate;
  std::optional<BoundPredicate> old_rows_predicate;
  if (options.replace_where) {
    new_rows_predicate.emplace(bind_replace_where(*options.replace_where, target.schema, table));
    if (snapshot) old_rows_predicate.emplace(bind_replace_where(*options.replace_where, snapshot->schema().schema, table));
  }

  if (replace_schema || target.schema != snapshot->schema().schema || configuration != snapshot->metadata().configuration) {
    Metadata metadata = snapshot ? snapshot->metadata() : Metadata{};
    if (!snapshot) {
      metadata.id = new_uuid();
      metadata.created_time = now_ms();
    }
    metadata.schema_string = serialize_schema(target);
    metadata.partition_columns = partition_columns;
    metadata.configuration = configuration;
    transaction.update_metadata(std::move(metadata));
    const std::optional<Protocol> current = snapshot ? std::optional<Protocol>(snapshot->protocol()) : std::nullopt;
    const Protocol needed = protocol_for(target.schema, mapping, current ? current : requested);
    if (!current || needed != *current) transaction.update_protocol(needed);
  }

  // Where each logical column goes: partition columns into paths, the rest into the files.
  const core::Schema physical = physical_schema(target, mapping);
  std::vector<std::size_t> partition_indices;
  std::vector<std::string> partition_physical_names;
  std::vector<std::size_t> data_indices;
  core::Schema file_schema;
  for (std::size_t i = 0; i < target.schema.fields.size(); ++i) {
    const bool is_partition = std::find(partition_columns.begin(), partition_columns.end(),
                                        target.schema.fields[i].name) != partition_columns.end();
    if (is_partition) {
      partition_indices.push_back(i);
      partition_physical_names.push_back(physical.fields[i].name);
    } else if (target.schema.fields[i].type.id == core::TypeId::kNull) {
      continue;  // void columns are never stored in data files (PROTOCOL.md, "Void Type")
    } else {
      data_indices.push_back(i);
      file_schema.fields.push_back(physical.fields[i]);
    }
  }

  std::map<std::string, OpenFile> open_files;  // by partition folder
  std::vector<AddFile> written;
  const auto close_file = [&](OpenFile& file) {
    file.writer->close();
    AddFile add;
    add.path = encode_path(file.relative_path);
    add.partition_values = file.partition_values;
    add.size = storage.stat(io::join_path(table_root, file.relative_path)).value_or(io::FileInfo{}).size;
    add.modification_time = now_ms();
    add.data_change = true;
    add.stats = file.statistics.finish();
    result.rows += file.statistics.rows();
    written.push_back(std::move(add));
  };

  std::vector<std::string> created_files;
  std::int64_t rows_supplied = 0;
  // Writes rows into the open files; `check` refuses rows outside the replaceWhere predicate (new data only: the
  // rows kept from rewritten files are exactly the ones outside it).
  const auto write_rows = [&](core::RecordBatch input, bool check) {
    // Conform to the table's logical schema.
    core::RecordBatch conformed;
    conformed.num_rows = input.num_rows;
    conformed.schema = target.schema;
    for (const auto& field : target.schema.fields) {
      auto found = find_field(input.schema.fields, field.name);
      if (!found) {
        if (!field.nullable) {
          throw core::InputError(fmt::format("{}: the data has no column '{}', which the table declares not null",
                                             table, field.name));
        }
        conformed.columns.push_back(null_column(field.type, input.num_rows));
      } else {
        const CastSite site{field.name, [](std::int64_t row) { return row; },
                            [&](std::int64_t row, const std::string& path, const std::string& value,
                                const std::string& expected) {
                              throw core::InputError(fmt::format(
                                  "{}: row {} of the data, column '{}': {} does not fit the table's type ({}); "
                                  "nothing was written",
                                  table, rows_supplied + row + 1, path, value, expected));
                            }};
        conformed.columns.push_back(conform_column(std::move(input.columns[*found]), field.type, site));
      }
    }
    if (check && new_rows_predicate) {
      const auto matching = new_rows_predicate->matches(conformed);
      const auto outside = std::find(matching.begin(), matching.end(), false);
      if (outside != matching.end()) {
        throw core::InputError(fmt::format(
            "{}: Data written out does not match replaceWhere '{}': row {} of the data does not satisfy it", table,
            predicate_text(*options.replace_where), rows_supplied + (outside - matching.begin()) + 1));
      }
    }
    if (check) rows_supplied += conformed.num_rows;
    // Group rows by partition.
    std::map<std::string, std::pair<PartitionValues, std::vector<std::int64_t>>> groups;
    for (std::int64_t row = 0; row < conformed.num_rows; ++row) {
      PartitionValues values;
      std::string folder;
      for (std::size_t p = 0; p < partition_indices.size(); ++p) {
        const auto value = partition_text(conformed.columns[partition_indices[p]], row);
        values.emplace(partition_physical_names[p], value);
        folder += fmt::format("{}={}/", partition_physical_names[p],
                              value ? escape_partition_value(*value) : "__HIVE_DEFAULT_PARTITION__");
      }
      auto& group = groups[folder];
      if (group.second.empty()) group.first = std::move(values);
      group.second.push_back(row);
    }
    for (auto& [folder, group] : groups) {
      const auto& rows = group.second;
      std::size_t done = 0;
      while (done < rows.size()) {
        auto found = open_files.find(folder);
        if (found == open_files.end()) {
          OpenFile file;
          file.relative_path =
              fmt::format("{}part-{:05d}-{}.c000.{}.parquet", folder, written.size() + open_files.size(), new_uuid(),
                          parquet::compression_name(parquet_options.compression));
          created_files.push_back(io::join_path(table_root, file.relative_path));
          file.writer = std::make_unique<parquet::FileWriter>(created_files.back(),
                                                              file_schema, parquet_options);
          file.partition_values = group.first;
          found = open_files.emplace(folder, std::move(file)).first;
        }
        // A file holds at most target_file_rows rows: the rows of a batch are split across files when needed.
        const auto room = static_cast<std::size_t>(std::max<std::int64_t>(
            1, options.target_file_rows - found->second.statistics.rows()));
        const auto take = std::min(room, rows.size() - done);
        core::RecordBatch part;
        if (take == static_cast<std::size_t>(conformed.num_rows)) {
          part = conformed;
        } else {
          part = take_rows(conformed, std::vector<std::int64_t>(rows.begin() + static_cast<std::ptrdiff_t>(done),
                                                                rows.begin() + static_cast<std::ptrdiff_t>(done + take)));
        }
        done += take;
        core::RecordBatch file_batch;
        file_batch.schema = file_schema;
        file_batch.num_rows = part.num_rows;
        for (const auto index : data_indices) file_batch.columns.push_back(std::move(part.columns[index]));
        found->second.writer->write(file_batch);
        found->second.statistics.add(file_batch);
        if (found->second.statistics.rows() >= options.target_file_rows) {
          close_file(found->second);
          open_files.erase(found);
        }
      }
    }
  };
  try {
    while (auto batch = next_batch()) {
      if (batch->num_rows > 0) write_rows(std::move(*batch), true);
    }
  } catch (...) {
    // No commit will refer to the files written so far (refused data, unreadable input): remove them rather than
    // leave them to a vacuum.
    open_files.clear();
    for (const auto& path : created_files) {
      try {
        storage.remove(path);
      } catch (const core::IOError&) {
        // Best effort: the error being reported is the one that matters; a stray file is only unreferenced.
      }
    }
    throw;
  }

  // The rows the predicate replaces: data skipping narrows the files, partition values settle files whose
  // partition decides, and the rest are read. Files partly matching are rewritten with the other rows.
  std::vector<const AddFile*> replaced_files;
  if (snapshot && old_rows_predicate) {
    const auto predicate_columns = old_rows_predicate->columns();
    const bool partition_only = std::all_of(predicate_columns.begin(), predicate_columns.end(), [&](const auto& name) {
      return std::find(partition_columns.begin(), partition_columns.end(), name) != partition_columns.end();
    });
    Scan scan(*snapshot, ScanOptions{{}, options.replace_where, {}});
    if (partition_only) {
      replaced_files = scan.files();
    } else {
      const AddFile* file = nullptr;
      std::vector<core::RecordBatch> kept_batches;
      bool any_match = false;
      const auto finish_file = [&] {
        if (any_match) {
          replaced_files.push_back(file);
          for (auto& rows : kept_batches) write_rows(std::move(rows), false);
        }
        kept_batches.clear();
        any_match = false;
      };
      while (auto rows = scan.next()) {
        if (scan.current_file() != file) {
          finish_file();
          file = scan.current_file();
        }
        const auto matching = old_rows_predicate->matches(*rows);
        std::vector<std::int64_t> kept;
        for (std::int64_t row = 0; row < rows->num_rows; ++row) {
          if (!matching[static_cast<std::size_t>(row)]) kept.push_back(row);
        }
        if (static_cast<std::int64_t>(kept.size()) == rows->num_rows) {
          kept_batches.push_back(std::move(*rows));
          continue;
        }
        any_match = true;
        if (!kept.empty()) kept_batches.push_back(take_rows(*rows, kept));
      }
      finish_file();
    }
  }
  for (auto& [folder, file] : open_files) close_file(file);
  open_files.clear();

  // What the operation read and replaces.
  json parameters = {{"mode", options.mode == WriteMode::kAppend      ? "Append"
                              : options.mode == WriteMode::kOverwrite ? "Overwrite"
                                                                      : "ErrorIfExists"},
                     {"partitionBy", dump_json(json(partition_columns), "partitionBy")}};
  if (snapshot && options.mode == WriteMode::kOverwrite) {
    const std::int64_t deletion_time = now_ms();
    if (!options.replace_where) {
      transaction.read_whole_table();
      for (const auto& file : snapshot->files()) transaction.remove_file(file, deletion_time);
    } else {
      std::vector<std::string> conjuncts;
      for (const auto& comparison : options.replace_where->conjuncts) conjuncts.push_back(comparison_text(comparison));
      parameters["predicate"] = dump_json(json(conjuncts), "predicate");
      // Conflicts are judged by partition values: any file the predicate may touch counts as read, so a
      // concurrent commit adding or removing rows there is refused.
      transaction.read_files_matching(
          [predicate = *old_rows_predicate, schema = snapshot->schema().schema](const PartitionValues& values) {
            return partition_may_match(predicate, schema, values, "a concurrently added file");
          });
      for (const auto* file : replaced_files) transaction.remove_file(*file, deletion_time);
    }
  }
  for (auto& add : written) transaction.add_file(std::move(add));
  transaction.set_operation("WRITE", parameters);
  result.files = static_cast<std::int64_t>(written.size());
  const auto committed = transaction.commit(commit_options);
  result.version = committed.version;
  result.attempts = committed.attempts;
  result.checkpoint_written = committed.checkpoint_written;
  result.checkpoint_error = committed.checkpoint_error;
  return result;
}

}  // namespace driftgov::delta
