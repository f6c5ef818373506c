#include "driftgov/core/types.hpp"

#include <fmt/format.h>

#include <charconv>
#include <string_view>
#include <tuple>

#include "driftgov/core/error.hpp"

namespace driftgov::core {

DataType DataType::timestamp(TimeUnit unit, bool utc) {
  DataType type{TypeId::kTimestamp};
  type.unit = unit;
  type.utc = utc;
  return type;
}

DataType DataType::decimal(int precision, int scale) {
  DataType type{TypeId::kDecimal};
  type.precision = precision;
  type.scale = scale;
  return type;
}

bool DataType::is_integer() const {
  switch (id) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return true;
    default:
      return false;
  }
}

bool DataType::is_numeric() const {
  return is_integer() || is_floating() || id == TypeId::kDecimal || id == TypeId::kDate ||
         id == TypeId::kTimestamp;
}

bool operator==(const DataType& a, const DataType& b) {
  if (a.id != b.id) return false;
  switch (a.id) {
    case TypeId::kDecimal:
      return a.precision == b.precision && a.scale == b.scale;
    case TypeId::kTimestamp:
      return a.unit == b.unit && a.utc == b.utc;
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return a.children == b.children;
    default:
      return true;
  }
}

std::string DataType::to_string() const {
  switch (id) {
    case TypeId::kNull: return "null";
    case TypeId::kBoolean: return "boolean";
    case TypeId::kInt8: return "int8";
    case TypeId::kInt16: return "int16";
    case TypeId::kInt32: return "int32";
    case TypeId::kInt64: return "int64";
    case TypeId::kFloat32: return "float";
    case TypeId::kFloat64: return "double";
    case TypeId::kDecimal: return fmt::format("decimal({},{})", precision, scale);
    case TypeId::kDate: return "date";
    case TypeId::kTimestamp: {
      const char* unit_name = unit == TimeUnit::kMilli ? "ms" : unit == TimeUnit::kMicro ? "us" : "ns";
      return utc ? fmt::format("timestamp[{}, UTC]", unit_name) : fmt::format("timestamp_ntz[{}]", unit_name);
    }
    case TypeId::kString: return "string";
    case TypeId::kBinary: return "binary";
    case TypeId::kStruct: {
      std::string out = "struct<";
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (i) out += ", ";
        out += children[i].name + ": " + children[i].type.to_string();
      }
      return out + ">";
    }
    case TypeId::kList:
      return "list<" + (children.empty() ? std::string("?") : children[0].type.to_string()) + ">";
    case TypeId::kMap:
      return "map<" + (children.size() < 2 ? std::string("?")
                                           : children[0].type.to_string() + ", " + children[1].type.to_string()) +
             ">";
  }
  return "?";
}

std::optional<std::size_t> Schema::find(std::string_view name) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return i;
  }
  return std::nullopt;
}

std::string Schema::to_string() const {
  std::string out;
  for (const auto& field : fields) {
    out += fmt::format("  {}: {}{}\n", field.name, field.type.to_string(), field.nullable ? "" : " not null");
  }
  return out;
}

// Besides the names in the header, every name DataType::to_string prints for a scalar type parses back (profile
// files store column types that way).
DataType parse_type_name(std::string_view name, std::string_view context) {
  if (name == "int" || name == "int64" || name == "integer" || name == "bigint" || name == "long") {
    return DataType::int64();
  }
  if (name == "int32") return DataType::int32();
  if (name == "int16" || name == "smallint" || name == "short") return DataType{TypeId::kInt16};
  if (name == "int8" || name == "tinyint" || name == "byte") return DataType{TypeId::kInt8};
  if (name == "double" || name == "float64") return DataType::float64();
  // "float" is 32 bits, as DataType::to_string, Spark SQL and Parquet name it.
  if (name == "float" || name == "float32" || name == "real") return DataType::float32();
  if (name == "string" || name == "str" || name == "categorical") return DataType::string();
  if (name == "bool" || name == "boolean") return DataType::boolean();
  if (name == "date") return DataType::date();
  if (name == "timestamp") return DataType::timestamp();
  if (name == "binary") return DataType::binary();
  // The forms DataType::to_string prints: timestamp[<unit>, UTC] and timestamp_ntz[<unit>].
  for (const auto& [prefix, suffix, utc] : {std::tuple{std::string_view("timestamp["), std::string_view(", UTC]"), true},
                                            std::tuple{std::string_view("timestamp_ntz["), std::string_view("]"), false}}) {
    if (name.starts_with(prefix) && name.ends_with(suffix) && name.size() > prefix.size() + suffix.size()) {
      const auto unit = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
      if (unit == "ms") return DataType::timestamp(TimeUnit::kMilli, utc);
      if (unit == "us") return DataType::timestamp(TimeUnit::kMicro, utc);
      if (unit == "ns") return DataType::timestamp(TimeUnit::kNano, utc);
    }
  }
  if (name.starts_with("decimal(") && name.ends_with(")")) {
    // decimal(p,s) with 1 <= p <= 38 and 0 <= s <= p, as Spark and Delta allow.
    const auto inside = name.substr(8, name.size() - 9);
    const auto comma = inside.find(',');
    int precision = -1;
    int scale = -1;
    const auto number = [](std::string_view text, int& out) {
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
      return !text.empty() && error == std::errc() && end == text.data() + text.size();
    };
    if (comma != std::string_view::npos && number(inside.substr(0, comma), precision) &&
        number(inside.substr(comma + 1), scale) && precision >= 1 && precision <= 38 && scale >= 0 &&
        scale <= precision) {
      return DataType::decimal(precision, scale);
    }
    throw InputError(fmt::format("{}: '{}' is not a decimal type (expected decimal(p,s) with 1 <= p <= 38 and "
                                 "0 <= s <= p)",
                                 context, name));
  }
  throw InputError(fmt::format("{}: unknown type '{}' (expected one of int64, int32, int16, int8, double, float, "
                               "decimal(p,s), string, boolean, date, timestamp)",
                               context, name));
}

}  // namespace driftgov::core
