#include "driftgov/delta/batch_rows.hpp"

#include <fmt/format.h>

#include <cmath>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"

namespace driftgov::delta {

const core::Column* BatchRows::find(std::string_view name) const {
  for (std::size_t i = 0; i < batch_.schema.fields.size(); ++i) {
    if (batch_.schema.fields[i].name == name) return &batch_.columns[i];
  }
  return nullptr;
}

const core::Column& BatchRows::require(std::string_view name) const {
  if (const auto* column = find(name)) return *column;
  throw core::InputError(fmt::format("{}: no column '{}'", table_, name));
}

std::optional<std::string> BatchRows::text(const core::Column* column, std::int64_t row) {
  if (column == nullptr || !column->is_valid(row)) return std::nullopt;
  return std::string(column->string_at(row));
}

std::optional<double> BatchRows::real(const core::Column* column, std::int64_t row) {
  if (column == nullptr || !column->is_valid(row)) return std::nullopt;
  const auto index = static_cast<std::size_t>(row);
  if (!column->doubles.empty()) return column->doubles[index];
  if (!column->ints.empty()) return static_cast<double>(column->ints[index]);
  return std::nullopt;
}

std::optional<std::int64_t> BatchRows::integer(const core::Column* column, std::int64_t row) {
  if (column == nullptr || !column->is_valid(row) || column->ints.empty()) return std::nullopt;
  return column->ints[static_cast<std::size_t>(row)];
}

std::optional<std::pair<std::int64_t, std::int64_t>> BatchRows::window(const core::Column* column,
                                                                       std::int64_t row) {
  if (column == nullptr || !column->is_valid(row) || column->children.size() < 2) return std::nullopt;
  const auto start = integer(&column->children[0], row);
  const auto end = integer(&column->children[1], row);
  if (!start || !end) return std::nullopt;
  return std::pair{*start, *end};
}

nlohmann::json BatchRows::json(const core::Column& column, std::int64_t row) {
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
        object[column.type.children[i].name] = json(column.children[i], row);
      }
      return object;
    }
    case core::TypeId::kList: {
      auto array = nlohmann::json::array();
      for (auto element = column.offsets[index]; element < column.offsets[index + 1]; ++element) {
        array.push_back(json(column.children[0], element));
      }
      return array;
    }
    default:
      // Dates, timestamps and anything else the tables do not hold today: their value text.
      return core::value_text(column, row);
  }
}

}  // namespace driftgov::delta
