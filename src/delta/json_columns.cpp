#include "delta/json_columns.hpp"

#include <fmt/format.h>

#include <cmath>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/actions.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/core/value_text.hpp"

namespace driftgov::delta {
namespace {

using nlohmann::json;

core::DataType entries_type(const core::DataType& map) {
  core::DataType entries{core::TypeId::kStruct};
  entries.children = map.children;
  return entries;
}

[[noreturn]] void mismatch(const core::DataType& type, const json& value, const std::string& context) {
  throw core::InputError(fmt::format("{}: expected a value of type {}, found {}", context, type.to_string(),
                                     value.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 80)));
}


}  // namespace

core::Column make_column(const core::DataType& type) {
  core::Column column(type);
  if (type.id == core::TypeId::kStruct) {
    for (const auto& child : type.children) column.children.push_back(make_column(child.type));
  } else if (type.id == core::TypeId::kList) {
    column.children.push_back(make_column(type.children.at(0).type));
  } else if (type.id == core::TypeId::kMap) {
    column.children.push_back(make_column(entries_type(type)));
  }
  return column;
}

void append_json(core::Column& column, const json& value, const std::string& context) {
  using core::TypeId;
  const auto& type = column.type;
  if (value.is_null()) {
    column.append_null();
    return;
  }
  switch (type.id) {
    case TypeId::kNull:
      column.append_null();
      return;
    case TypeId::kBoolean:
      if (!value.is_boolean()) mismatch(type, value, context);
      column.append_int(value.get<bool>() ? 1 : 0);
      return;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      if (!value.is_number_integer()) mismatch(type, value, context);
      column.append_int(value.get<std::int64_t>());
      return;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      if (!value.is_number()) mismatch(type, value, context);
      column.append_double(value.get<double>());
      return;
    case TypeId::kString:
    case TypeId::kBinary:
      if (!value.is_string()) mismatch(type, value, context);
      column.append_string(value.get_ref<const std::string&>());
      return;
    case TypeId::kDate:
      if (!value.is_string()) mismatch(type, value, context);
      column.append_int(parse_timestamp_ms(value.get<std::string>(), context) / 86400000LL);
      return;
    case TypeId::kTimestamp: {
      if (!value.is_string()) mismatch(type, value, context);
      const auto micros = parse_timestamp_us(value.get<std::string>(), context);
      column.append_int(type.unit == core::TimeUnit::kMilli ? micros / 1000
                        : type.unit == core::TimeUnit::kNano ? micros * 1000
                                                             : micros);
      return;
    }
    case TypeId::kStruct: {
      if (!value.is_object()) mismatch(type, value, context);
      for (std::size_t i = 0; i < type.children.size(); ++i) {
        auto found = value.find(type.children[i].name);
        append_json(column.children[i], found == value.end() ? json(nullptr) : *found,
                    context + "." + type.children[i].name);
      }
      if (!column.validity.empty()) column.validity.push_back(1);
      ++column.length;
      return;
    }
    case TypeId::kList: {
      if (!value.is_array()) mismatch(type, value, context);
      for (const auto& item : value) append_json(column.children[0], item, context + "[]");
      column.offsets.push_back(column.children[0].length);
      if (!column.validity.empty()) column.validity.push_back(1);
      ++column.length;
      return;
    }
    case TypeId::kMap: {
      if (!value.is_object()) mismatch(type, value, context);
      auto& entries = column.children[0];
      for (const auto& [key, item] : value.items()) {
        append_json(entries, json{{type.children[0].name, key}, {type.children[1].name, item}}, context + "." + key);
      }
      column.offsets.push_back(entries.length);
      if (!column.validity.empty()) column.validity.push_back(1);
      ++column.length;
      return;
    }
    case TypeId::kDecimal:
      throw core::UnsupportedError(fmt::format("{}: decimal values in log rows are not supported", context));
  }
}

json json_at(const core::Column& column, std::int64_t row) {
  using core::TypeId;
  if (!column.is_valid(row)) return nullptr;
  const auto index = static_cast<std::size_t>(row);
  const auto& type = column.type;
  switch (type.id) {
    case TypeId::kNull:
      return nullptr;
    case TypeId::kBoolean:
      return column.ints[index] != 0;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return column.ints[index];
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      const double value = column.doubles[index];
      return std::isfinite(value) ? json(value) : json(nullptr);
    }
    case TypeId::kDecimal:
      return json::parse(core::decimal_to_string(column.decimals[index], type.scale));
    case TypeId::kDate:
      return core::date_text(column.ints[index]);
    case TypeId::kTimestamp: {
      std::int64_t value = column.ints[index];
      if (type.unit == core::TimeUnit::kMicro) value = value >= 0 ? value / 1000 : -((-value + 999) / 1000);
      if (type.unit == core::TimeUnit::kNano) value = value >= 0 ? value / 1000000 : -((-value + 999999) / 1000000);
      // Delta statistics hold timestamps in milliseconds, with the fraction always written.
      return core::timestamp_text(value, core::TimeUnit::kMilli, type.utc, core::TimestampLayout{.always_fraction = true});
    }
    case TypeId::kString:
    case TypeId::kBinary:
      return std::string(column.string_at(row));
    case TypeId::kStruct: {
      json object = json::object();
      for (std::size_t i = 0; i < type.children.size(); ++i) {
        object[type.children[i].name] = json_at(column.children[i], row);
      }
      return object;
    }
    case TypeId::kList: {
      json array = json::array();
      for (auto child = column.offsets[index]; child < column.offsets[index + 1]; ++child) {
        array.push_back(json_at(column.children[0], child));
      }
      return array;
    }
    case TypeId::kMap: {
      json object = json::object();
      const auto& entries = column.children[0];
      for (auto child = column.offsets[index]; child < column.offsets[index + 1]; ++child) {
        const json key = json_at(entries.children[0], child);
        object[key.is_string() ? key.get<std::string>() : dump_json(key, "map key")] = json_at(entries.children[1], child);
      }
      return object;
    }
  }
  return nullptr;
}

}  // namespace driftgov::delta
