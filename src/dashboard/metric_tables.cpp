#include "dashboard/metric_tables.hpp"

#include <fmt/format.h>

#include <cmath>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::dashboard {
namespace {

nlohmann::json value_json(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row)) return nullptr;
  const auto index = static_cast<std::size_t>(row);
  switch (column.type.id) {
    case core::TypeId::kBoolean:
      return column.ints[index] != 0;
    case core::TypeId::kInt8:
    case core::TypeId::kInt16:
    case core::TypeId::kInt32:
    case core::TypeId::kInt64:
      return column.ints[index];
    case core::TypeId::kFloat32:
    case core::TypeId::kFloat64: {
      const double value = column.doubles[index];
      return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
    }
    case core::TypeId::kString:
      return std::string(column.string_at(row));
    case core::TypeId::kStruct: {
      auto object = nlohmann::json::object();
      for (std::size_t i = 0; i < column.children.size(); ++i) {
        object[column.type.children[i].name] = value_json(column.children[i], row);
      }
      return object;
    }
    case core::TypeId::kList: {
      auto array = nlohmann::json::array();
      for (auto element = column.offsets[index]; element < column.offsets[index + 1]; ++element) {
        array.push_back(value_json(column.children[0], element));
      }
      return array;
    }
    default: {
      // Dates, timestamps and anything else the metric tables do not hold today: their value text.
      return core::value_text(column, row);
    }
  }
}

}  // namespace

TableRows read_table_rows(const std::string& path, const std::vector<std::string>& columns) {
  if (!io::local_storage().is_folder(path + "/_delta_log")) {
    throw core::InputError(fmt::format("{}: no such Delta table", path));
  }
  const auto snapshot = delta::Snapshot::load(path);
  delta::ScanOptions options;
  for (const auto& name : columns) {
    for (const auto& field : snapshot.schema().schema.fields) {
      if (field.name == name) options.columns.push_back(name);
    }
  }
  TableRows out;
  out.path = path;
  out.version = snapshot.version();
  delta::Scan scan(snapshot, options);
  const auto& fields = scan.schema().fields;
  while (auto batch = scan.next()) {
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      auto object = nlohmann::json::object();
      for (std::size_t i = 0; i < fields.size(); ++i)
        object[fields[i].name] = value_json(batch->columns[i], row);
      out.rows.push_back(std::move(object));
    }
  }
  return out;
}

}  // namespace driftgov::dashboard
