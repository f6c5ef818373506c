#include "driftgov/core/types.hpp"

#include <fmt/format.h>

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

DataType parse_type_name(std::string_view name, std::string_view context) {
  if (name == "int" || name == "int64" || name == "integer" || name == "bigint") return DataType::int64();
  if (name == "int32") return DataType::int32();
  if (name == "double" || name == "float64" || name == "float") return DataType::float64();
  if (name == "string" || name == "str" || name == "categorical") return DataType::string();
  if (name == "bool" || name == "boolean") return DataType::boolean();
  if (name == "date") return DataType::date();
  if (name == "timestamp") return DataType::timestamp();
  throw InputError(fmt::format("{}: unknown type '{}' (expected one of int64, int32, double, string, boolean, "
                               "date, timestamp)",
                               context, name));
}

}  // namespace driftgov::core
